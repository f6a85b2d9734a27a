"""Tickets: the model (tickets, messages, audit events), custom fields, and what people do
with tickets: open, reply, note, change, rate (conversation), read them and their views
(reading), merge duplicates, canned responses, files (attachments)."""
