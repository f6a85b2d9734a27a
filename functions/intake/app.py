"""SES inbound: the receipt rule stored the raw MIME in S3, then invoked this with the SES event."""

from __future__ import annotations

from typing import Any

from tessera import bootstrap, settings
from tessera.mail.intake import receive_mail
from tessera.observability import logger


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Turn each SES record into a ticket or a reply (see tessera.mail.intake.receive_mail)."""
    deps = bootstrap.dependencies()
    prefix = settings.mail_intake().raw_mail_prefix
    results = []
    for record in event["Records"]:
        ses = record["ses"]
        ses_message_id = ses["mail"]["messageId"]
        outcome = receive_mail(
            deps,
            key=f"{prefix}{ses_message_id}",
            ses_message_id=ses_message_id,
            recipients=ses["receipt"]["recipients"],
        )
        logger().info(
            "inbound mail",
            extra={
                "ses_message_id": ses_message_id,
                "result": outcome.result,
                "ticket_id": outcome.ticket_id,
                "reason": outcome.reason,
            },
        )
        results.append(
            {
                "ses_message_id": ses_message_id,
                "result": outcome.result,
                "ticket_id": outcome.ticket_id,
            }
        )
    return {"results": results}
