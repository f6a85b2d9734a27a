"""The agent workspace beside the tickets: agents' own settings (availability, which
notifications they get by mail), presence on a ticket (who views or replies now), and
notifications (assigned to you, the customer replied). See docs/api.md and docs/events.md."""
