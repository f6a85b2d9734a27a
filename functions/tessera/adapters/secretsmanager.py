"""Secrets Manager: the deployment's token-signing key."""

from __future__ import annotations

from tessera.adapters.clients import client


def signing_key(secret_arn: str) -> bytes:
    """The deployment's token-signing key from Secrets Manager."""
    value = client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"]
    return str(value).encode()
