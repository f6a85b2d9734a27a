"""Signing in: staff with email and password (the user pool), customers with magic links and
the signed links in ticket mail."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from api import schemas
from api.endpoints import PUBLIC, Call
from api.service import endpoint
from tessera import bootstrap, settings
from tessera.identity import customers, staff


@endpoint(
    "POST",
    "/api/auth/login",
    roles=PUBLIC,
    tag="auth",
    body=schemas.LOGIN,
    summary="Agents and admins: email and password for an ID token",
    errors=frozenset({401}),
    responses={200: schemas.TOKEN},
)
def login(call: Call) -> dict[str, Any]:
    token = staff.login(bootstrap.dependencies(), call.body["email"], call.body["password"])
    return {"token": token}


@endpoint(
    "POST",
    "/api/auth/new-password",
    roles=PUBLIC,
    tag="auth",
    body=schemas.NEW_PASSWORD,
    summary=(
        "Agents and admins, first sign-in: trade the temporary password for your own "
        "(login answers 401 PasswordChangeRequired until then)"
    ),
    errors=frozenset({401}),
    responses={200: schemas.TOKEN},
)
def new_password(call: Call) -> dict[str, Any]:
    b = call.body
    token = staff.set_first_password(
        bootstrap.dependencies(), b["email"], b["password"], b["new_password"]
    )
    return {"token": token}


@endpoint(
    "POST",
    "/api/auth/magic-link",
    roles=PUBLIC,
    tag="auth",
    body=schemas.MAGIC_LINK,
    summary="Customers: mail me a sign-in link (answers the same for any address)",
    responses={202: schemas.ACCEPTED},
)
def magic_link(call: Call) -> Response:
    customers.request_magic_link(
        bootstrap.dependencies(),
        call.body["email"],
        portal_url=settings.portal_base_url(),
        next_page=call.body.get("next"),
    )
    return Response(body={"status": "sent"}, status_code=202)


@endpoint(
    "POST",
    "/api/auth/session",
    roles=PUBLIC,
    tag="auth",
    body=schemas.TOKEN_EXCHANGE,
    summary="Customers: exchange a magic link's token for a session (single use)",
    errors=frozenset({401}),
    responses={200: schemas.TOKEN},
)
def session(call: Call) -> dict[str, Any]:
    token, _ = customers.exchange_magic_link(bootstrap.dependencies(), call.body["token"])
    return {"token": token}


@endpoint(
    "POST",
    "/api/auth/ticket-link",
    roles=PUBLIC,
    tag="auth",
    body=schemas.TOKEN_EXCHANGE,
    summary="Open the one ticket a mailed signed link names, without signing in",
    errors=frozenset({401}),
    responses={200: schemas.TOKEN},
)
def ticket_link(call: Call) -> dict[str, Any]:
    token, _ = customers.exchange_ticket_link(bootstrap.dependencies(), call.body["token"])
    return {"token": token}
