"""Admins: staff accounts (agents and admins) in the Cognito user pool."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from api import schemas
from api.app import endpoint
from api.endpoints import ADMINS, Call
from tessera import admin, bootstrap
from tessera.access import GROUP_ROLES
from tessera.ports import StaffMember

GROUP = {"type": "string", "enum": sorted(GROUP_ROLES)}
PASSWORD = {"type": "string", "minLength": 12, "maxLength": 256}
NEW_AGENT = schemas.obj(
    {"email": schemas.EMAIL, "group": GROUP, "temporary_password": PASSWORD}, ["email", "group"]
)
AGENT = schemas.obj(
    {
        "email": {"type": "string"},
        "groups": {"type": "array", "items": GROUP},
        "status": {
            "type": "string",
            "description": "The pool's account status: FORCE_CHANGE_PASSWORD until first sign-in",
        },
        "enabled": {"type": "boolean"},
    },
    ["email", "groups", "status", "enabled"],
)


def agent_json(member: StaffMember) -> dict[str, Any]:
    return {
        "email": member.email,
        "groups": list(member.groups),
        "status": member.status,
        "enabled": member.enabled,
    }


@endpoint(
    "GET",
    "/api/admin/agents",
    roles=ADMINS,
    tag="admin",
    summary="Admins: the staff accounts (agents and admins) with their groups",
    responses={200: schemas.obj({"items": {"type": "array", "items": AGENT}}, ["items"])},
)
def list_agents(call: Call) -> dict[str, Any]:
    members = admin.staff(bootstrap.dependencies(), call.caller)
    return {"items": [agent_json(m) for m in members]}


@endpoint(
    "POST",
    "/api/admin/agents",
    roles=ADMINS,
    tag="admin",
    body=NEW_AGENT,
    errors=frozenset({409}),
    summary=(
        "Admins: create a staff account in a group; the user pool mails a temporary password "
        "(409 when the email has an account)"
    ),
    responses={201: AGENT},
)
def create_agent(call: Call) -> Response:
    member = admin.add_staff(
        bootstrap.dependencies(),
        call.caller,
        call.body["email"],
        call.body["group"],
        call.body.get("temporary_password"),
    )
    return Response(body=agent_json(member), status_code=201)
