"""Demo data for a fresh local stack: staff accounts, and customer mail sent over SMTP so the
demo tickets are made by the same path as real ones."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any

from tessera_local.template import Template

ADMIN = "admin@example.com"
# (email, Cognito group)
STAFF = (
    (ADMIN, "admins"),
    ("alice@example.com", "agents"),
    ("bahram@example.com", "agents"),
    ("eleni@example.com", "agents"),
)

CUSTOMER_MAIL = (
    (
        "Dana Customer <dana@customer.test>",
        "support@example.com",
        "Cannot sign in after password reset",
        "Hi, since I reset my password yesterday the app says my account is locked. Can you help?",
    ),
    (
        "Sara Ahmadi <sara@customer.test>",
        "support@example.com",
        "فاکتور ماه گذشته",
        "سلام، فاکتور ماه گذشته را دریافت نکرده‌ام. لطفاً دوباره ارسال کنید.",
    ),
    (
        "Nikos Papadopoulos <nikos@customer.test>",
        "billing@example.com",
        "Διπλή χρέωση στην κάρτα μου",
        "Καλησπέρα, χρεώθηκα δύο φορές για τη συνδρομή του Νοεμβρίου.",
    ),
)


def create_staff(template: Template, cognito: Any, password: str) -> None:
    pool_id = template.ref("UserPool")
    for email, group in STAFF:
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=email,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
            ],
            MessageAction="SUPPRESS",
        )
        cognito.admin_set_user_password(
            UserPoolId=pool_id, Username=email, Password=password, Permanent=True
        )
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName=group)


def send_customer_mail(smtp_port: int) -> int:
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp:
        for sender, to, subject, text in CUSTOMER_MAIL:
            message = EmailMessage()
            message["From"] = sender
            message["To"] = to
            message["Subject"] = subject
            message.set_content(text)
            smtp.send_message(message)
    return len(CUSTOMER_MAIL)
