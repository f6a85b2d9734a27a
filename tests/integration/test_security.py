"""What a probe found, on the local stack: tokens minted with moto's shipped key, bad input that
gave 5xx, missing security headers, participants who could not find their tickets."""

from __future__ import annotations

import json
import smtplib
import time
import urllib.request
import uuid
from email.message import EmailMessage

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.localstack import RunningStack, customer_session, wait_for

pytestmark = pytest.mark.integration


def test_an_admin_token_minted_with_motos_shipped_key_is_refused(stack: RunningStack) -> None:
    # Given an ID token for the admin, signed with the private key that ships inside moto
    from joserfc import jwk, jwt
    from moto.utilities.utils import load_resource

    env = stack.environment()
    shipped = jwk.RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
    now = int(time.time())
    claims = {
        "iss": f"https://cognito-idp.{env['AWS_REGION']}.amazonaws.com/{env['USER_POOL_ID']}",
        "aud": env["USER_POOL_CLIENT_ID"],
        "token_use": "id",
        "email": "admin@example.com",
        "cognito:groups": ["admins"],
        "iat": now,
        "exp": now + 600,
    }
    forged = jwt.encode({"kid": "dummy", "alg": "RS256"}, claims, shipped)
    # Then the API refuses it, while the admin's real token works
    status, body = stack.request("GET", "/api/admin/agents", token=forged)
    assert (status, body["error"]["code"]) == (401, "Unauthorized")
    assert stack.request("GET", "/api/admin/agents", token=stack.login())[0] == 200


def raw_request(
    stack: RunningStack, method: str, path: str, data: bytes, content_type: str, token: str
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(  # noqa: S310 - loopback only
        stack.url + path,
        data=data,
        method=method,
        headers={"Content-Type": content_type, "Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def carol(stack: RunningStack) -> tuple[str, str]:
    token = customer_session(stack, f"probe.{uuid.uuid4().hex[:6]}@customer.test")
    status, ticket = stack.request(
        "POST", "/api/tickets", {"subject": "Probe", "body": "x"}, token=token
    )
    assert status == 201
    return token, ticket["id"]


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/api/tickets", '{"subject": "\\ud800", "body": "x"}', "subject"),
        ("POST", "/api/tickets/{id}/replies", '{"text": "a\\udfffb"}', "text"),
        ("PATCH", "/api/tickets/{id}", '{"status": "\\ud800"}', "status"),
        (
            "POST",
            "/api/tickets/{id}/attachments",
            '{"filename": "\\ud800.txt", "content_type": "text/plain", "size": 3}',
            "filename",
        ),
        ("POST", "/api/auth/magic-link", '{"email": "\\ud800@x.test"}', "email"),
        ("POST", "/api/auth/magic-link", '{"email": "a\\u0000b@x.test"}', "email"),
        ("POST", "/api/tickets", "[" * 100_000, "body"),
        ("POST", "/api/tickets", '{"a":' * 5000 + "1" + "}" * 5000, "body"),
    ],
)
def test_hostile_bodies_are_refused_naming_the_field_never_a_server_error(
    stack: RunningStack, carol: tuple[str, str], method: str, path: str, body: str, field: str
) -> None:
    token, ticket_id = carol
    status, _headers, raw = raw_request(
        stack, method, path.replace("{id}", ticket_id), body.encode(), "application/json", token
    )
    answer = json.loads(raw)
    assert status == 400, answer
    assert answer["error"]["field"] == field, answer


def test_a_bad_number_in_the_query_and_another_media_type_are_4xx_in_the_one_shape(
    stack: RunningStack, carol: tuple[str, str]
) -> None:
    token, ticket_id = carol
    status, body = stack.request("GET", "/api/me/tickets?limit=--1", token=token)
    assert (status, body["error"]["field"]) == (400, "limit")
    status, _headers, raw = raw_request(
        stack, "POST", f"/api/tickets/{ticket_id}/replies", b"text=hi", "text/plain", token
    )
    answer = json.loads(raw)
    assert status == 415
    assert set(answer["error"]) >= {"code", "message"}


@pytest.mark.parametrize(
    "path", ["/", "/tickets.html", "/console/", "/kb/en/index.html", "/assets/lib/api.js"]
)
def test_every_page_and_file_carries_the_security_headers(stack: RunningStack, path: str) -> None:
    with urllib.request.urlopen(stack.url + path, timeout=30) as response:  # noqa: S310
        headers = response.headers
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-eval" not in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"]


def test_api_answers_carry_the_security_headers_errors_too(stack: RunningStack) -> None:
    for path in ("/api/health", "/api/tickets", "/api/no-such-route"):
        request = urllib.request.Request(stack.url + path)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                headers = response.headers
        except urllib.error.HTTPError as error:
            headers = error.headers
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_a_participant_finds_the_ticket_they_were_copied_on(stack: RunningStack) -> None:
    # Given a mail to support with a colleague in Cc
    boss = f"boss.{uuid.uuid4().hex[:6]}@customer.test"
    subject = f"Copied {uuid.uuid4().hex[:6]}"
    message = EmailMessage()
    message["From"] = f"dana.{uuid.uuid4().hex[:6]}@customer.test"
    message["To"] = "support@example.com"
    message["Cc"] = boss
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4()}@customer.test>"
    message.set_content("Please help us both.")
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)
    # When the colleague signs in to the portal
    token = customer_session(stack, boss)

    def listed() -> list[str]:
        status, page = stack.request("GET", "/api/me/tickets?tab=open", token=token)
        assert status == 200
        return [t["subject"] for t in page["items"]]

    # Then the ticket is in their open tickets
    assert wait_for(lambda: subject in listed(), timeout=20)


# Text of every kind (lone surrogates, NUL, control characters, any script) in every string of
# a body: always a 2xx or a 4xx naming what was wrong, never a 5xx.
TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(subject=TEXT, body=TEXT, email=TEXT)
def test_generated_text_in_bodies_never_gives_a_server_error(
    stack: RunningStack, carol: tuple[str, str], subject: str, body: str, email: str
) -> None:
    token, ticket_id = carol
    attempts = [
        ("POST", "/api/tickets", {"subject": subject, "body": body}),
        ("POST", f"/api/tickets/{ticket_id}/replies", {"text": body}),
        ("PATCH", f"/api/tickets/{ticket_id}", {"subject": subject}),
        ("POST", "/api/auth/magic-link", {"email": email}),
    ]
    for method, path, payload in attempts:
        data = json.dumps(payload).encode()  # \\ud800 and friends go out as JSON escapes
        status, _headers, raw = raw_request(stack, method, path, data, "application/json", token)
        assert status < 500, (path, payload, raw[:300])
        if status >= 400:
            assert "field" in json.loads(raw)["error"] or status in {401, 403, 404, 409, 429}
