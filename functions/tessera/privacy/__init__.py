"""A requester's data: everything held about them, and erasing it (docs/data-export.md)."""
