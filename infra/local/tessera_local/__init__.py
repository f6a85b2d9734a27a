"""The local stack: Tessera on 127.0.0.1 with moto, an SMTP server and a clock (no AWS account)."""
