"""Cognito's invitation mail, which moto does not send.

In AWS, ``AdminCreateUser`` without ``MessageAction: SUPPRESS`` mails the new user their
username and temporary password (the pool makes one up when none is given), and
``MessageAction: RESEND`` mails a fresh one to a user who has not signed in yet. moto stores the
user with no password at all and sends nothing, so an account invited without a password could
never sign in locally. Here:

- :func:`with_temporary_password` fills in the password Cognito would make up, **in the request**
  before it is served (``Emulator.fill_in``): the journal then records it, and a replay after a
  crash gives the account the same password the mail told.
- :func:`install` makes moto's ``admin_create_user`` mail the invitation into the emulated SES's
  sent mail (``/_local/outbox``), from the pool's sender in template.yaml and with its
  ``InviteMessageTemplate`` (Cognito's defaults where the template sets none), and serve
  ``RESEND`` as Cognito does: the same account (groups, enabled) with a new temporary password,
  refused once the user has chosen their own.

The product code is the same in AWS and here; only the emulated service changes.
"""

from __future__ import annotations

import json
import secrets
import string
from typing import Any

from tessera_local.template import Template

# What Cognito uses when the pool's template says nothing (COGNITO_DEFAULT email sending).
DEFAULT_SENDER = "no-reply@verificationemail.com"
DEFAULT_SUBJECT = "Your temporary password"
DEFAULT_MESSAGE = "Your username is {username} and temporary password is {####}."


def with_temporary_password(body: bytes) -> bytes:
    """An ``AdminCreateUser`` request with the temporary password Cognito would generate when
    it has none and a mail is to go out (a new user, or RESEND); other requests unchanged."""
    request = json.loads(body or b"{}")
    if request.get("TemporaryPassword") or request.get("MessageAction") == "SUPPRESS":
        return body
    request["TemporaryPassword"] = generated_password()
    return json.dumps(request).encode("utf-8")


def generated_password() -> str:
    """A password that meets any pool policy: lower and upper case, digits and a symbol."""
    alphabet = string.ascii_letters + string.digits
    body = "".join(secrets.choice(alphabet) for _ in range(12))
    return (
        body
        + secrets.choice(string.ascii_lowercase)
        + secrets.choice(string.ascii_uppercase)
        + secrets.choice(string.digits)
        + "!"
    )


def invitation(template: Template, pool_name: str) -> tuple[str, str, str]:
    """``(sender, subject, message)`` of the pool named ``pool_name`` in the template."""
    for resource in template.of_type("AWS::Cognito::UserPool").values():
        props = template.resolve(resource["Properties"])
        if props.get("UserPoolName") != pool_name:
            continue
        invite = props.get("AdminCreateUserConfig", {}).get("InviteMessageTemplate", {})
        sender = props.get("EmailConfiguration", {}).get("From", DEFAULT_SENDER)
        return (
            sender,
            invite.get("EmailSubject", DEFAULT_SUBJECT),
            invite.get("EmailMessage", DEFAULT_MESSAGE),
        )
    return DEFAULT_SENDER, DEFAULT_SUBJECT, DEFAULT_MESSAGE


def install(template: Template) -> None:
    """Make the emulated ``AdminCreateUser`` send the invitation and serve RESEND."""
    from moto.cognitoidp.models import CognitoIdpBackend, UserStatus
    from moto.core.exceptions import JsonRESTError

    create = getattr(CognitoIdpBackend.admin_create_user, "__wrapped__", None) or (
        CognitoIdpBackend.admin_create_user
    )

    def admin_create_user(
        backend: Any,
        user_pool_id: str,
        username: str,
        message_action: str,
        temporary_password: str,
        attributes: list[dict[str, str]],
    ) -> Any:
        if message_action == "RESEND":
            # moto would replace the user with a new one (losing its groups); Cognito keeps
            # the account and gives it a new temporary password, only before the first sign-in.
            user = backend.admin_get_user(user_pool_id, username)
            if user.status != UserStatus.FORCE_CHANGE_PASSWORD:
                raise JsonRESTError(
                    "UnsupportedUserStateException",
                    f"Resend not possible. {username} status is not FORCE_CHANGE_PASSWORD.",
                )
            user.password = temporary_password
        else:
            user = create(
                backend, user_pool_id, username, message_action, temporary_password, attributes
            )
        if message_action != "SUPPRESS" and temporary_password:
            _send(backend, template, user_pool_id, user, temporary_password)
        return user

    admin_create_user.__wrapped__ = create  # type: ignore[attr-defined]
    CognitoIdpBackend.admin_create_user = admin_create_user  # type: ignore[method-assign,assignment]


def _send(backend: Any, template: Template, pool_id: str, user: Any, password: str) -> None:
    from moto.ses.models import Message, ses_backends

    address = user.attribute_lookup.get("email")
    if not address:
        return  # Cognito mails only to an email attribute (this pool's username is one)
    pool = backend.describe_user_pool(pool_id)
    sender, subject, message = invitation(template, pool.name)
    text = message.replace("{username}", address).replace("{####}", password)
    ses = ses_backends[backend.account_id][backend.region_name]
    ses.sent_messages.append(
        Message(
            message_id=secrets.token_hex(16),
            source=sender,
            subject=subject,
            body=text,
            destinations={"ToAddresses": [address], "CcAddresses": [], "BccAddresses": []},
        )
    )
