"""Ticket search: what is indexed (documents), how a query is read (query), the index port and
keeping it fresh from the tickets table's changes (indexing). The index itself is an adapter
(tessera.adapters.search_segments); docs/search.md and docs/decisions/0008-ticket-search.md."""
