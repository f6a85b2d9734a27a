"""Where the domain's ports meet the outside world: storage, mail, workflow, events.

Each module implements ports from :mod:`tessera.ports` against one technology (DynamoDB, the
other AWS services, memory for tests); nothing outside this package imports a storage SDK.
"""
