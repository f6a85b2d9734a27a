"""Sign-in for agents and admins with the Cognito user pool, and verification of its tokens.

Tokens are verified in the function itself (signature against the pool's JWKS, audience, issuer,
expiry, token use) so the same checks run behind API Gateway and on the local stack.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from tessera import settings
from tessera.access import GROUP_ROLES, Principal
from tessera.adapters.aws import client
from tessera.errors import AlreadyExists, PasswordChangeRequired, Unauthorized, ValidationFailed
from tessera.ports import StaffMember


def _start_sign_in(email: str, password: str) -> dict[str, Any]:
    """Cognito's answer to an email and password: tokens, or a challenge. Raises Unauthorized."""
    pool = settings.user_pool()
    cognito = client("cognito-idp")
    try:
        result: dict[str, Any] = cognito.initiate_auth(
            ClientId=pool.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
    except (cognito.exceptions.NotAuthorizedException, cognito.exceptions.UserNotFoundException):
        raise Unauthorized("wrong email or password") from None
    return result


def login(email: str, password: str) -> str:
    """Exchange an email and password for an ID token. Raises Unauthorized."""
    result = _start_sign_in(email, password)
    tokens = result.get("AuthenticationResult")
    if result.get("ChallengeName") == "NEW_PASSWORD_REQUIRED":
        raise PasswordChangeRequired("the password is temporary: choose a new one first")
    if not tokens:
        raise Unauthorized(f"sign-in needs another step first: {result.get('ChallengeName')}")
    return str(tokens["IdToken"])


def set_first_password(email: str, temporary_password: str, new_password: str) -> str:
    """A new staff member's first sign-in: trade the temporary password for their own; returns
    an ID token. Raises Unauthorized, or ValidationFailed naming ``new_password``."""
    started = _start_sign_in(email, temporary_password)
    pool = settings.user_pool()
    cognito = client("cognito-idp")
    if started.get("ChallengeName") != "NEW_PASSWORD_REQUIRED":
        raise Unauthorized("this password is not a temporary one; sign in with it")
    try:
        answered = cognito.respond_to_auth_challenge(
            ClientId=pool.client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=started["Session"],
            ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": new_password},
        )
    except cognito.exceptions.InvalidPasswordException as error:
        raise ValidationFailed("new_password", str(error.response["Error"]["Message"])) from None
    return str(answered["AuthenticationResult"]["IdToken"])


@cache
def _jwks() -> Any:
    import jwt

    return jwt.PyJWKClient(settings.user_pool().jwks_url, cache_keys=True, lifespan=3600)


def verify(token: str) -> Principal:
    """The principal an ID token names. Raises Unauthorized for any invalid token."""
    import jwt

    pool = settings.user_pool()
    try:
        key = _jwks().get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            key.key,
            algorithms=["RS256"],
            audience=pool.client_id,
            issuer=pool.issuer,
            options={"require": ["exp", "iat", "iss", "aud", "token_use"]},
        )
    except jwt.PyJWTError as error:
        raise Unauthorized(f"invalid token: {error}") from None
    if claims.get("token_use") != "id" or not claims.get("email"):
        raise Unauthorized("invalid token: not an ID token with an email")
    roles = frozenset(GROUP_ROLES[g] for g in claims.get("cognito:groups", []) if g in GROUP_ROLES)
    return Principal(email=str(claims["email"]).lower(), roles=roles)


class CognitoStaffDirectory:
    """Staff accounts in the user pool. Uses exactly ListUsersInGroup, AdminCreateUser and
    AdminAddUserToGroup (ApiFunction's StaffAccounts policy grants those on the pool)."""

    def __init__(self, pool_id: str) -> None:
        self.pool_id = pool_id

    def members(self) -> list[StaffMember]:
        # One listing per staff group rather than ListUsers + a group lookup per user: the
        # calls grow with pages, not with people. An account in no group is not staff.
        cognito = client("cognito-idp")
        found: dict[str, tuple[dict[str, Any], list[str]]] = {}
        for group in sorted(GROUP_ROLES):
            pages = cognito.get_paginator("list_users_in_group").paginate(
                UserPoolId=self.pool_id, GroupName=group
            )
            for page in pages:
                for user in page["Users"]:
                    email = _email(user.get("Attributes", []))
                    found.setdefault(email, (user, []))[1].append(group)
        return [
            StaffMember(
                email=email,
                groups=tuple(groups),
                status=str(user.get("UserStatus", "")),
                enabled=bool(user.get("Enabled", True)),
            )
            for email, (user, groups) in sorted(found.items())
        ]

    def invite(self, email: str, group: str, temporary_password: str | None = None) -> StaffMember:
        cognito = client("cognito-idp")
        try:
            # No MessageAction: the pool mails the temporary password (the emulator mails
            # nothing, so local accounts made this way are listed but cannot sign in yet).
            created = cognito.admin_create_user(
                UserPoolId=self.pool_id,
                Username=email,
                UserAttributes=[
                    {"Name": "email", "Value": email},
                    {"Name": "email_verified", "Value": "true"},
                ],
                DesiredDeliveryMediums=["EMAIL"],
                # An admin may set the temporary password (to hand it over another way);
                # without one the pool makes one up.
                **({"TemporaryPassword": temporary_password} if temporary_password else {}),
            )["User"]
        except cognito.exceptions.UsernameExistsException:
            raise AlreadyExists(f"{email} already has a staff account") from None
        except cognito.exceptions.InvalidParameterException as error:
            raise ValidationFailed("email", str(error.response["Error"]["Message"])) from None
        cognito.admin_add_user_to_group(UserPoolId=self.pool_id, Username=email, GroupName=group)
        return StaffMember(
            email=email,
            groups=(group,),
            status=str(created.get("UserStatus", "")),
            enabled=bool(created.get("Enabled", True)),
        )


def _email(attributes: list[dict[str, str]]) -> str:
    return next((a["Value"] for a in attributes if a["Name"] == "email"), "").lower()
