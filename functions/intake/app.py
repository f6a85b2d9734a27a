"""SES inbound: the receipt rule stored the raw MIME in S3, then invoked this with the SES event.

Each record is processed once per SES message id (powertools idempotency on the tickets table,
kept 7 days: longer than Lambda's 6-hour retry window for asynchronous invocations), on top of
the conditional Message-ID claim the use case writes. Each outcome emits its metric:
``TicketCreated``, ``TicketReplied``, ``MailQuarantined`` (the template's alarm watches it) or
``MailDropped`` (a mail delivered again, dropped as already processed).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from tessera import bootstrap, settings
from tessera.mail.intake import receive_ses_record
from tessera.observability import (
    MAIL_DROPPED,
    MAIL_QUARANTINED,
    TICKET_CREATED,
    TICKET_REPLIED,
    correlate,
    count,
    logger,
    no_ticket,
    observed,
)

IDEMPOTENCY_TTL_SECONDS = 7 * 24 * 3600
IDEMPOTENCY_PARTITION = "IDEMPOTENCY#intake"
OUTCOME_METRICS = {
    "created": TICKET_CREATED,
    "reply": TICKET_REPLIED,
    "quarantined": MAIL_QUARANTINED,
    "duplicate": MAIL_DROPPED,
}


@observed(no_ticket)  # one invocation may carry several mails: each names its ticket
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Turn each SES record into a ticket, a reply or a quarantine record (see
    tessera.mail.intake.receive_mail)."""
    process, config = _idempotent_process()
    if hasattr(context, "get_remaining_time_in_millis"):
        config.register_lambda_context(context)
    return {"results": [process(record=record) for record in event["Records"]]}


def process_record(record: dict[str, Any]) -> dict[str, Any]:
    ses_message_id, outcome = receive_ses_record(
        bootstrap.dependencies(), record, settings.mail_intake().raw_mail_prefix
    )
    correlate(outcome.ticket_id)
    logger().info(
        "inbound mail",
        extra={
            "ses_message_id": ses_message_id,
            "result": outcome.result,
            "ticket_id": outcome.ticket_id,
            "reason": outcome.reason,
        },
    )
    count(OUTCOME_METRICS[outcome.result], ticket_id=outcome.ticket_id)
    return {
        "ses_message_id": ses_message_id,
        "result": outcome.result,
        "ticket_id": outcome.ticket_id,
    }


@cache
def _idempotent_process() -> tuple[Callable[..., dict[str, Any]], Any]:
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    from tessera.adapters.clients import client

    persistence = DynamoDBPersistenceLayer(
        table_name=settings.table_name(),
        key_attr="pk",
        sort_key_attr="sk",
        static_pk_value=IDEMPOTENCY_PARTITION,
        expiry_attr="expires_at",  # the table's TTL attribute
        boto3_client=client("dynamodb"),  # the process's one client (adapters/dynamodb/binding.py)
    )
    config = IdempotencyConfig(
        event_key_jmespath="ses.mail.messageId",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=IDEMPOTENCY_TTL_SECONDS,
    )
    process = idempotent_function(
        data_keyword_argument="record", persistence_store=persistence, config=config
    )(process_record)
    return process, config
