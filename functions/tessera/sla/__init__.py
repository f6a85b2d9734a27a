"""Service levels: deadlines, business hours, the due-timer sweep and escalation."""
