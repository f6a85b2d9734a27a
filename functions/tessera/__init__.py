"""Tessera: a helpdesk that runs on Lambda, DynamoDB, Step Functions and S3.

The package is the domain (what a helpdesk is: tickets, mail, routing, sla) plus the adapters
that store and send it. Handlers in ``functions/<name>/app.py`` only translate events into calls
on the use-case modules (``tessera.mail.intake``, ``tessera.routing.workflow``, ...);
``tessera.bootstrap`` is the one place where adapters are wired.
"""
