"""Reports: the numbers a support lead runs the team by, kept per hour as tickets change
(docs/reports.md)."""
