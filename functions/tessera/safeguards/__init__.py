"""What keeps callers from hurting themselves or others: idempotency keys on creates and
per-caller request limits."""
