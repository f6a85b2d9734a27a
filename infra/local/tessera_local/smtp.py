"""An SMTP server standing in for SES inbound.

For each receipt rule in template.yaml it does what SES does: accept mail for the rule's
recipients, store the raw MIME where the rule's S3 action would (``<prefix><messageId>``), then
invoke the rule's Lambda action with the event SES sends.
"""

from __future__ import annotations

import logging
import re
import secrets
import string
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import compat32
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tessera_local.lambdas import Functions
from tessera_local.template import Template

log = logging.getLogger("tessera.local.smtp")

_ID_ALPHABET = string.ascii_lowercase + string.digits


def ses_message_id() -> str:
    """An id shaped like the ones SES gives inbound mail."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(40))


class ReceiptRule:
    """One ``AWS::SES::ReceiptRule`` of the template, resolved."""

    def __init__(self, rule: dict[str, Any]) -> None:
        self.name = rule["Name"]
        self.recipients = [r.lower() for r in rule.get("Recipients", [])]
        self.actions = rule["Actions"]

    def matches(self, address: str) -> bool:
        """SES matches a recipient by full address, or by domain when the rule names one."""
        address = address.lower()
        domain = address.rsplit("@", 1)[-1]
        return not self.recipients or any(
            r == address or ("@" not in r and (domain == r or domain.endswith("." + r)))
            for r in self.recipients
        )


def receipt_rules(template: Template) -> list[ReceiptRule]:
    return [
        ReceiptRule(template.resolve(resource["Properties"]["Rule"]))
        for resource in template.of_type("AWS::SES::ReceiptRule").values()
    ]


class InboundMail:
    """The aiosmtpd handler: SES receipt rules, performed locally."""

    def __init__(self, template: Template, functions: Functions, s3: Any) -> None:
        self.rules = receipt_rules(template)
        self.functions = functions
        self.s3 = s3

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if not any(rule.matches(address) for rule in self.rules):
            return f"550 5.1.1 <{address}>: no receipt rule for this recipient"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        deliver(
            self.rules, self.functions, self.s3, raw, envelope.mail_from or "", envelope.rcpt_tos
        )
        return "250 2.0.0 Ok: queued"


def deliver(
    rules: list[ReceiptRule],
    functions: Functions,
    s3: Any,
    raw: bytes,
    mail_from: str,
    recipients: list[str],
) -> list[str]:
    """Apply every matching rule to one received mail; returns the SES message ids used."""
    message_id = ses_message_id()
    # SES records the envelope sender as Return-Path at the top of the stored message.
    stored = f"Return-Path: <{mail_from}>\r\n".encode() + raw
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    for rule in rules:
        matched = [r for r in recipients if rule.matches(r)]
        if not matched:
            continue
        for action in rule.actions:
            if "S3Action" in action:
                s3_action = action["S3Action"]
                key = f"{s3_action.get('ObjectKeyPrefix', '')}{message_id}"
                s3.put_object(Bucket=s3_action["BucketName"], Key=key, Body=stored)
            elif "LambdaAction" in action:
                event = ses_event(
                    message_id, stored, mail_from, matched, now, action["LambdaAction"]
                )
                functions.invoke_async(action["LambdaAction"]["FunctionArn"], event)
            else:
                log.warning("receipt rule %s: action %s is not emulated", rule.name, list(action))
    return [message_id]


def ses_event(
    message_id: str,
    raw: bytes,
    mail_from: str,
    recipients: list[str],
    timestamp: str,
    lambda_action: dict[str, Any],
) -> dict[str, Any]:
    """The event SES gives a receipt rule's Lambda action."""
    headers = message_from_bytes(raw, policy=compat32)
    common = {
        "returnPath": mail_from,
        "from": headers.get_all("From", []),
        "to": headers.get_all("To", []),
        "messageId": str(headers.get("Message-ID", "")),
        "subject": str(headers.get("Subject", "")),
    }
    verdicts = receipt_verdicts(headers)
    return {
        "Records": [
            {
                "eventSource": "aws:ses",
                "eventVersion": "1.0",
                "ses": {
                    "mail": {
                        "timestamp": timestamp,
                        "source": mail_from,
                        "messageId": message_id,
                        "destination": recipients,
                        "headersTruncated": False,
                        "headers": [{"name": k, "value": str(v)} for k, v in headers.items()],
                        "commonHeaders": common,
                    },
                    "receipt": {
                        "timestamp": timestamp,
                        "processingTimeMillis": 1,
                        "recipients": recipients,
                        **verdicts,
                        "action": {
                            "type": "Lambda",
                            "functionArn": lambda_action["FunctionArn"],
                            "invocationType": lambda_action.get("InvocationType", "Event"),
                        },
                    },
                },
            }
        ]
    }


_AUTH_RESULT = re.compile(r"\b(spf|dkim|dmarc)=(\w+)", re.IGNORECASE)


def receipt_verdicts(headers: Any) -> dict[str, dict[str, str]]:
    """The receipt's verdicts, PASS unless the mail itself says otherwise.

    Real SES scans the mail and writes what it found into the stored message: the
    ``X-SES-Spam-Verdict`` and ``X-SES-Virus-Verdict`` headers and an ``Authentication-Results``
    header with ``spf=``, ``dkim=`` and ``dmarc=``. Locally nothing scans, so a test mail that
    carries those headers sets the verdicts of its event (``X-SES-Virus-Verdict: FAIL`` makes a
    virus), and one without them passes.
    """
    verdicts = dict.fromkeys(("spam", "virus", "spf", "dkim", "dmarc"), "PASS")
    for name in ("spam", "virus"):
        value = str(headers.get(f"X-SES-{name.capitalize()}-Verdict", "") or "").strip()
        if value:
            verdicts[name] = value.upper()
    for value in headers.get_all("Authentication-Results", []):
        for mechanism, result in _AUTH_RESULT.findall(str(value)):
            verdicts[mechanism.lower()] = result.upper()
    return {f"{name}Verdict": {"status": status} for name, status in verdicts.items()}


def start(handler: InboundMail, port: int) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=port, data_size_limit=40_000_000)
    controller.start()
    return controller
