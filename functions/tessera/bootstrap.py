"""The one place where adapters are chosen and wired to the use cases.

Every handler asks :func:`dependencies` on its first invocation (never at import). Each adapter
is built on first use, so a handler pays only for the clients it touches, and a missing setting
fails when first needed, naming its environment variable (tessera.settings).
"""

from __future__ import annotations

from functools import cache

from tessera import settings
from tessera.identity.tokens import Signer
from tessera.kb.articles import ArticleStore
from tessera.kb.feedback import FeedbackStore
from tessera.kb.site import CdnCache, SiteStore
from tessera.ports import (
    AgentLoads,
    AgentSettingsStore,
    ArchiveStore,
    AttachmentStore,
    AuditLog,
    Automations,
    ConfigStore,
    Configuration,
    Dependencies,
    Escalations,
    EventPublisher,
    FileTransfers,
    Mailer,
    MailLedger,
    Nonces,
    NotificationStore,
    PresenceStore,
    RateCounters,
    RawMailStore,
    SmsSender,
    StaffDirectory,
    Workflow,
)
from tessera.reports.aggregates import AggregateStore
from tessera.search.model import SearchIndex


@cache
def dependencies() -> Dependencies:
    from tessera.adapters.dynamodb.tickets import DynamoTicketRepository

    return Dependencies(
        tickets=DynamoTicketRepository(settings.table_name()),
        raw_mail=_raw_mail,
        workflow=_workflow,
        mailer=_mailer,
        events=_events,
        config=_config,
        config_store=config_store,
        signer=signer,
        nonces=_nonces,
        support_addresses=lambda: settings.mail_intake().support_addresses,
        from_address=settings.from_address,
        attachments=_attachments,
        mail_ledger=_mail_ledger,
        portal_base_url=settings.portal_base_url,
        agent_loads=_agent_loads,
        escalations=_escalations,
        automations=_automations,
        sms=_sms,
        file_transfers=_file_transfers,
        rate_counters=_rate_counters,
        staff_directory=_staff_directory,
        agent_settings=_agent_settings,
        presence=_presence,
        notifications=_notifications,
        audit_log=_audit_log,
    )


# ------------------------------------------------------------------ the admin center
# ------------------------------------------------------------------ the knowledge base's stores
def kb_articles() -> ArticleStore:
    """The admin API's articles, in the tickets table (a store holds only the table's name)."""
    from tessera.adapters.dynamodb.kb import DynamoArticleStore

    return DynamoArticleStore(settings.table_name())


def kb_feedback() -> FeedbackStore:
    """Readers' votes and missed searches, in the tickets table."""
    from tessera.adapters.dynamodb.kb import DynamoFeedbackStore

    return DynamoFeedbackStore(settings.table_name())


def report_aggregates() -> AggregateStore:
    """The reports' per-hour aggregates, in the tickets table."""
    from tessera.adapters.dynamodb.reports import DynamoAggregateStore

    return DynamoAggregateStore(settings.table_name())


def portal_site(bucket: str | None = None) -> SiteStore:
    """The portal bucket the knowledge base is published to (PORTAL_BUCKET unless named)."""
    from tessera.adapters.s3 import S3SiteStore

    return S3SiteStore(bucket or settings.portal_bucket())


def portal_cdn(distribution_id: str) -> CdnCache:
    """The CloudFront distribution in front of the portal bucket (the PortalDistributionId
    output), told what each publish changed."""
    from tessera.adapters.cloudfront import CloudFrontCache

    return CloudFrontCache(distribution_id)


# ------------------------------------------------------------------ ticket search
@cache
def search_index() -> SearchIndex:
    """The ticket index: SQLite FTS5 segments in the search bucket (docs/search.md)."""
    from tessera.adapters.search_segments import S3Blobs, SegmentIndex

    return SegmentIndex(S3Blobs(settings.search_bucket()))


# ------------------------------------------------------------------ the use cases' ports
@cache
def _staff_directory() -> StaffDirectory:
    from tessera.adapters.cognito import CognitoStaffDirectory

    return CognitoStaffDirectory(settings.user_pool())


@cache
def _file_transfers() -> FileTransfers:
    from tessera.adapters.s3 import S3FileTransfers

    return S3FileTransfers(settings.attachments_bucket())


@cache
def _rate_counters() -> RateCounters:
    from tessera.adapters.dynamodb.rate_counters import DynamoRateCounters

    return DynamoRateCounters(settings.table_name())


@cache
def _escalations() -> Escalations:
    from tessera.adapters.stepfunctions import StepFunctionsEscalations

    return StepFunctionsEscalations(settings.escalation_state_machine_arn())


@cache
def _automations() -> Automations:
    from tessera.adapters.lambda_invoke import AsyncAutomations

    return AsyncAutomations(settings.escalation_function_name())


@cache
def _sms() -> SmsSender:
    from tessera.adapters.sns import SnsSms

    return SnsSms(settings.sms_topic_arn())


@cache
def _attachments() -> AttachmentStore:
    from tessera.adapters.s3 import S3AttachmentStore

    return S3AttachmentStore(settings.attachments_bucket())


@cache
def _mail_ledger() -> MailLedger:
    from tessera.adapters.dynamodb.mail_ledger import DynamoMailLedger

    return DynamoMailLedger(settings.table_name())


@cache
def _raw_mail() -> RawMailStore:
    from tessera.adapters.s3 import S3RawMailStore

    return S3RawMailStore(settings.mail_intake().raw_mail_bucket)


@cache
def _workflow() -> Workflow:
    from tessera.adapters.stepfunctions import StepFunctionsWorkflow

    return StepFunctionsWorkflow(settings.routing_state_machine_arn())


@cache
def _mailer() -> Mailer:
    from tessera.adapters.ses import SesMailer

    return SesMailer()


@cache
def _events() -> EventPublisher:
    from tessera.adapters.eventbridge import EventBridgePublisher

    return EventBridgePublisher(settings.event_bus_name())


@cache
def config_store() -> ConfigStore:
    from tessera.adapters.dynamodb.config_store import DynamoConfigStore

    return DynamoConfigStore(settings.table_name())


@cache
def _config() -> Configuration:
    # Importing the kinds imports every validator: only a function that reads config pays.
    from tessera.config.kinds import ConfigReader

    return ConfigReader(config_store())


@cache
def signer() -> Signer:
    from tessera.adapters.secretsmanager import signing_key

    return Signer(signing_key(settings.signing_secret_arn()))


@cache
def _nonces() -> Nonces:
    from tessera.adapters.dynamodb.nonces import DynamoNonces

    return DynamoNonces(settings.table_name())


@cache
def _agent_loads() -> AgentLoads:
    from tessera.adapters.dynamodb.agent_loads import DynamoAgentLoads

    dependencies()  # the ticket models must point at the table before the counters join them
    return DynamoAgentLoads(settings.table_name())


# ------------------------------------------------------------------ the agent workspace
@cache
def _agent_settings() -> AgentSettingsStore:
    from tessera.adapters.dynamodb.workspace import DynamoAgentSettings

    return DynamoAgentSettings(settings.table_name())


@cache
def _presence() -> PresenceStore:
    from tessera.adapters.dynamodb.workspace import DynamoPresence

    return DynamoPresence(settings.table_name())


@cache
def _notifications() -> NotificationStore:
    from tessera.adapters.dynamodb.workspace import DynamoNotifications

    return DynamoNotifications(settings.table_name())


# ------------------------------------------------------------------ data in and out
@cache
def archive() -> ArchiveStore:
    """Every ticket at once (export, import, privacy), on the ticket repository's items."""
    from tessera.adapters.dynamodb.archive import DynamoArchive
    from tessera.adapters.dynamodb.tickets import DynamoTicketRepository

    tickets = dependencies().tickets
    assert isinstance(tickets, DynamoTicketRepository)
    return DynamoArchive(tickets)


def attachments() -> AttachmentStore:
    """The attachments bucket's files."""
    return _attachments()


# ------------------------------------------------------------------ the admin center
@cache
def _audit_log() -> AuditLog:
    from tessera.adapters.dynamodb.audit import DynamoAuditLog

    return DynamoAuditLog(settings.table_name())
