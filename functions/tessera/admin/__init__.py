"""The admin center's own use cases: the audit log of admin actions (:mod:`.audit`) and the
people overview (:mod:`.people`: accounts, routing profile and current load side by side)."""
