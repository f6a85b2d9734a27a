"""SES: outbound mail (:class:`tessera.ports.Mailer`)."""

from __future__ import annotations

from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from tessera.adapters.clients import client


class SesMailer:
    def send(
        self, *, sender: str, to: Sequence[str], subject: str, text: str, headers: dict[str, str]
    ) -> str:
        message = EmailMessage()
        message["From"] = sender
        message["To"] = ", ".join(to)
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
        for name, value in headers.items():
            message[name] = value
        message.set_content(text)
        response = client("ses").send_raw_email(
            Source=sender, Destinations=list(to), RawMessage={"Data": message.as_bytes()}
        )
        return str(response["MessageId"])

    def send_raw(self, *, sender: str, to: Sequence[str], message: bytes) -> str:
        response = client("ses").send_raw_email(
            Source=sender, Destinations=list(to), RawMessage={"Data": message}
        )
        return str(response["MessageId"])
