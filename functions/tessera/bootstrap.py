"""The one place where adapters are chosen and wired to the use cases.

Every handler asks :func:`dependencies` on its first invocation (never at import). Each adapter
is built on first use, so a handler pays only for the clients it touches.
"""

from __future__ import annotations

from functools import cache

from tessera import settings
from tessera.config import ConfigReader
from tessera.deps import Dependencies
from tessera.ports import ConfigStore, EventPublisher, Mailer, Nonces, RawMailStore, Workflow
from tessera.signing import Signer


@cache
def dependencies() -> Dependencies:
    from tessera.adapters.dynamodb import DynamoTicketRepository

    return Dependencies(
        tickets=DynamoTicketRepository(settings.table_name()),
        raw_mail=_raw_mail,
        workflow=_workflow,
        mailer=_mailer,
        events=_events,
        config=_config,
        signer=signer,
        nonces=_nonces,
        support_addresses=lambda: settings.mail_intake().support_addresses,
        from_address=settings.from_address,
    )


@cache
def _raw_mail() -> RawMailStore:
    from tessera.adapters.aws import S3RawMailStore

    return S3RawMailStore(settings.mail_intake().raw_mail_bucket)


@cache
def _workflow() -> Workflow:
    from tessera.adapters.aws import StepFunctionsWorkflow

    return StepFunctionsWorkflow(settings.routing_state_machine_arn())


@cache
def _mailer() -> Mailer:
    from tessera.adapters.aws import SesMailer

    return SesMailer()


@cache
def _events() -> EventPublisher:
    from tessera.adapters.aws import EventBridgePublisher

    return EventBridgePublisher(settings.event_bus_name())


@cache
def config_store() -> ConfigStore:
    from tessera.adapters.config_store import DynamoConfigStore

    return DynamoConfigStore(settings.table_name())


@cache
def _config() -> ConfigReader:
    return ConfigReader(config_store())


@cache
def signer() -> Signer:
    from tessera.adapters.aws import signing_key

    return Signer(signing_key(settings.signing_secret_arn()))


@cache
def _nonces() -> Nonces:
    from tessera.adapters.nonces import DynamoNonces

    return DynamoNonces(settings.table_name())
