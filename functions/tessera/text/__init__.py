"""Text shared by the knowledge base and ticket search: one normaliser for both."""
