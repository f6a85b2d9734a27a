"""DynamoDB: everything Tessera keeps is in one table (docs/data-model.md), one module per store:
tickets with their threads and audit trails, agents' loads, configuration documents, the
knowledge base's articles and feedback, mail's address ledger, one-time keys, rate counters."""
