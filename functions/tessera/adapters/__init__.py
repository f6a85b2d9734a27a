"""Where the domain's ports meet the outside world: one module (or package) per outside system.

``dynamodb/`` (every store in the tickets table), ``s3`` (raw mail, ticket files, the portal
site), ``stepfunctions``, ``ses``, ``sns``, ``eventbridge``, ``cognito`` (staff sign-in and
accounts), ``secretsmanager`` (the signing key); ``clients`` makes their boto3 clients.

Adapters implement the ports of :mod:`tessera.ports` (and the knowledge base's, in
:mod:`tessera.kb`); :mod:`tessera.bootstrap` wires them. The domain never imports this package
or a storage SDK (tests/unit/test_architecture.py holds it to that).
"""
