"""Configuration from the environment template.yaml gives each function.

Nothing here is read at import time. Each getter reads its variables on first use and fails
loudly, naming the variable, when one is missing: a function deployed without its configuration
stops at cold start instead of writing to a default table.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

from tessera.errors import ConfigurationError


def required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"environment variable {name} is not set")
    return value


def region() -> str:
    value = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not value:
        raise ConfigurationError("environment variable AWS_REGION is not set")
    return value


@cache
def table_name() -> str:
    return required("TABLE_NAME")


@dataclass(frozen=True)
class MailIntake:
    raw_mail_bucket: str
    raw_mail_prefix: str
    support_addresses: frozenset[str]


@cache
def mail_intake() -> MailIntake:
    addresses = frozenset(
        a.strip().lower() for a in required("SUPPORT_ADDRESSES").split(",") if a.strip()
    )
    return MailIntake(
        raw_mail_bucket=required("RAW_MAIL_BUCKET"),
        raw_mail_prefix=os.environ.get("RAW_MAIL_PREFIX", ""),
        support_addresses=addresses,
    )


@cache
def routing_state_machine_arn() -> str:
    return required("ROUTING_STATE_MACHINE_ARN")


@cache
def event_bus_name() -> str:
    return required("EVENT_BUS_NAME")


@cache
def escalation_state_machine_arn() -> str:
    return required("ESCALATION_STATE_MACHINE_ARN")


@cache
def escalation_function_name() -> str:
    return required("ESCALATION_FUNCTION_NAME")


@cache
def sms_topic_arn() -> str:
    return required("SMS_TOPIC_ARN")


@cache
def from_address() -> str:
    return required("FROM_ADDRESS")


@dataclass(frozen=True)
class UserPool:
    pool_id: str
    client_id: str
    region: str

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.pool_id}"

    @property
    def jwks_url(self) -> str:
        # An endpoint override (the local stack's emulator) serves the keys under the pool id.
        endpoint = os.environ.get("AWS_ENDPOINT_URL_COGNITO_IDP") or os.environ.get(
            "AWS_ENDPOINT_URL"
        )
        if endpoint:
            return f"{endpoint.rstrip('/')}/{self.pool_id}/.well-known/jwks.json"
        return f"{self.issuer}/.well-known/jwks.json"


@cache
def user_pool() -> UserPool:
    return UserPool(
        pool_id=required("USER_POOL_ID"), client_id=required("USER_POOL_CLIENT_ID"), region=region()
    )


@cache
def signing_secret_arn() -> str:
    return required("SIGNING_SECRET_ARN")


@cache
def attachments_bucket() -> str:
    return required("ATTACHMENTS_BUCKET")


@cache
def search_bucket() -> str:
    return required("SEARCH_BUCKET")


@cache
def portal_bucket() -> str:
    return required("PORTAL_BUCKET")


@cache
def portal_base_url() -> str:
    return required("PORTAL_BASE_URL").rstrip("/")
