"""An SMTP server standing in for SES inbound.

For each receipt rule in template.yaml it does what SES does: accept mail for the rule's
recipients, store the raw MIME where the rule's S3 action would (``<prefix><messageId>``), then
invoke the rule's Lambda action with the event SES sends.

"250" is a promise that the mail is stored: before the answer, the mail is written to the spool
(``<data dir>/spool/``) and flushed to disk. It leaves the spool when every Lambda action it
started has finished — done, or after the last retry in the function's dead-letter queue — and
the calls that did it are durable (tessera_local.emulator). A mail still in the spool when the
stack stops is delivered again, under the same SES message id, when it starts: intake is
idempotent on that id, so a mail is never lost and never makes two tickets.

While the stack's backlog is at its limit, a mail waits before it is taken, so senders are paced
to the rate the stack routes at (tessera_local.admission).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import secrets
import string
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import compat32
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tessera_local.admission import Admission
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


@dataclass(frozen=True)
class Spooled:
    """A received mail waiting in the spool for its receipt rules' actions to finish."""

    message_id: str
    mail_from: str
    recipients: tuple[str, ...]
    received: str  # SES's timestamp format
    raw: bytes


class Spool:
    """Received mail on disk until its delivery is done (one file per mail, written atomically
    and flushed before the SMTP answer)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def _path(self, message_id: str) -> Path:
        return self.directory / f"{message_id}.mail"

    def put(self, mail: Spooled) -> None:
        header = {"from": mail.mail_from, "to": list(mail.recipients), "at": mail.received}
        data = json.dumps(header).encode() + b"\n" + mail.raw
        temporary = self.directory / f"{mail.message_id}.tmp"
        with open(temporary, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self._path(mail.message_id))
        descriptor = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def done(self, message_id: str) -> None:
        self._path(message_id).unlink(missing_ok=True)

    def pending(self) -> list[Spooled]:
        """What a stopped (or crashed) stack left undelivered, oldest first."""
        found = []
        paths = sorted(self.directory.glob("*.mail"), key=lambda p: p.stat().st_mtime)
        for path in paths:
            header, _, raw = path.read_bytes().partition(b"\n")
            meta = json.loads(header)
            found.append(Spooled(path.stem, meta["from"], tuple(meta["to"]), meta["at"], raw))
        for leftover in self.directory.glob("*.tmp"):  # never answered 250: not ours to keep
            leftover.unlink(missing_ok=True)
        return found


class InboundMail:
    """The aiosmtpd handler: SES receipt rules, performed locally, on spooled mail."""

    def __init__(self, template: Template, functions: Functions, s3: Any, spool: Spool) -> None:
        self.rules = receipt_rules(template)
        self.functions = functions
        self.s3 = s3
        self.spool = spool
        # Mails spooled whose receipt rules' actions have not all finished (by SES message id).
        self.unfinished: set[str] = set()
        # Paces senders while the stack's backlog is at its limit (tessera_local.admission); set
        # by the stack, whose backlog counts this handler's unfinished mail.
        self.admission: Admission | None = None
        self._delivering = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ses-receipt")

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if not any(rule.matches(address) for rule in self.rules):
            return f"550 5.1.1 <{address}>: no receipt rule for this recipient"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.admission is not None:
            await self.admission.admit()
        raw = envelope.original_content or b""
        mail = Spooled(
            message_id=ses_message_id(),
            mail_from=envelope.mail_from or "",
            recipients=tuple(envelope.rcpt_tos),
            received=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            # SES records the envelope sender as Return-Path at the top of the stored message.
            raw=f"Return-Path: <{envelope.mail_from or ''}>\r\n".encode() + raw,
        )
        self.unfinished.add(mail.message_id)  # at once: the next mail's admission counts it
        try:
            # The write and its fsync run beside the event loop, so the other connections'
            # commands go on while this mail reaches the disk; the 250 still waits for it.
            await asyncio.get_running_loop().run_in_executor(None, self.spool.put, mail)
        except OSError as error:
            log.error("spooling mail failed: %s", error)
            self._forget(mail.message_id)
            return "451 4.3.0 Mail not stored; try again later"
        self._delivering.submit(self.deliver, mail)
        return f"250 2.0.0 Ok: queued as {mail.message_id}"

    def deliver(self, mail: Spooled) -> None:
        """Perform the matching rules' actions; the mail leaves the spool when all are done."""
        try:
            deliver(self.rules, self.functions, self.s3, mail, on_done=self._done)
        except Exception:
            log.exception("delivering %s failed; it stays in the spool", mail.message_id)
            self._forget(mail.message_id)  # till the next start: not a backlog

    def _done(self, message_id: str) -> None:
        self.spool.done(message_id)
        self._forget(message_id)

    def _forget(self, message_id: str) -> None:
        self.unfinished.discard(message_id)
        if self.admission is not None:
            self.admission.changed()

    def redeliver_pending(self) -> int:
        """Deliver again what the spool still holds (after a stop or a crash)."""
        pending = self.spool.pending()
        for mail in pending:
            self.unfinished.add(mail.message_id)
            self._delivering.submit(self.deliver, mail)
        if pending:
            log.info("delivering %d spooled mail(s) again", len(pending))
        return len(pending)

    def shutdown(self) -> None:
        self._delivering.shutdown(wait=True)


def deliver(
    rules: list[ReceiptRule],
    functions: Functions,
    s3: Any,
    mail: Spooled,
    *,
    on_done: Any = None,
) -> None:
    """Apply every matching rule to one received mail; ``on_done(message_id)`` once every Lambda
    action it started has finished."""
    invocations: list[tuple[str, dict[str, Any]]] = []
    for rule in rules:
        matched = [r for r in mail.recipients if rule.matches(r)]
        if not matched:
            continue
        for action in rule.actions:
            if "S3Action" in action:
                s3_action = action["S3Action"]
                key = f"{s3_action.get('ObjectKeyPrefix', '')}{mail.message_id}"
                s3.put_object(Bucket=s3_action["BucketName"], Key=key, Body=mail.raw)
            elif "LambdaAction" in action:
                event = ses_event(
                    mail.message_id,
                    mail.raw,
                    mail.mail_from,
                    matched,
                    mail.received,
                    action["LambdaAction"],
                )
                invocations.append((action["LambdaAction"]["FunctionArn"], event))
            else:
                log.warning("receipt rule %s: action %s is not emulated", rule.name, list(action))
    remaining = [len(invocations)]
    lock = threading.Lock()

    def finished() -> None:
        with lock:
            remaining[0] -= 1
            last = remaining[0] == 0
        if last and on_done is not None:
            on_done(mail.message_id)

    if not invocations and on_done is not None:
        on_done(mail.message_id)
    for function_arn, event in invocations:
        functions.invoke_async(function_arn, event, on_done=finished)


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
