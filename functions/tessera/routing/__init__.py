"""Routing: which group and agent a ticket goes to, and the workflow that applies it."""
