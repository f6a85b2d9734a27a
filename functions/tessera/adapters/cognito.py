"""The Cognito user pool: staff sign-in (email and password, the first-password challenge),
verification of its ID tokens, and the staff accounts (:class:`tessera.ports.StaffDirectory`).

Tokens are verified in the function itself (signature against the pool's JWKS, audience, issuer,
expiry, token use) so the same checks run behind API Gateway and on the local stack.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from tessera.adapters.clients import client
from tessera.errors import (
    AccountDisabled,
    AlreadyExists,
    Conflict,
    NotFound,
    PasswordChangeRequired,
    Unauthorized,
    ValidationFailed,
)
from tessera.identity.access import GROUP_ROLES, Principal
from tessera.ports import StaffMember
from tessera.settings import UserPool


@cache
def _jwks(jwks_url: str) -> Any:
    import jwt

    return jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=3600)


class CognitoStaffDirectory:
    """Staff accounts and their sign-in in the user pool. Uses InitiateAuth,
    RespondToAuthChallenge (the pool's app client) and exactly ListUsersInGroup, AdminCreateUser
    (also with MessageAction RESEND), AdminGetUser, AdminListGroupsForUser, AdminAddUserToGroup,
    AdminRemoveUserFromGroup, AdminDisableUser and AdminEnableUser (ApiFunction's StaffAccounts
    policy grants those on the pool)."""

    def __init__(self, pool: UserPool) -> None:
        self.pool = pool
        self.pool_id = pool.pool_id

    def _start_sign_in(self, email: str, password: str) -> dict[str, Any]:
        """Cognito's answer to an email and password: tokens, or a challenge. Unauthorized."""
        cognito = client("cognito-idp")
        try:
            result: dict[str, Any] = cognito.initiate_auth(
                ClientId=self.pool.client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": email, "PASSWORD": password},
            )
        except cognito.exceptions.NotAuthorizedException:
            if self._disabled(email):
                raise AccountDisabled("this account is disabled; an admin can enable it") from None
            raise Unauthorized("wrong email or password") from None
        except cognito.exceptions.UserNotFoundException:
            raise Unauthorized("wrong email or password") from None
        return result

    def _disabled(self, email: str) -> bool:
        """Whether a refused sign-in's account exists and is disabled. Saying so tells nothing
        the pool does not: Cognito's own InitiateAuth answers "User is disabled." for such an
        account to anyone holding the console's (public, secretless) app client id, whatever
        the password; it cannot check a disabled account's password, so neither can we. An
        unknown address and a wrong password for an enabled account keep the one answer.
        AdminGetUser rather than Cognito's message: error text is not an interface."""
        cognito = client("cognito-idp")
        try:
            user = cognito.admin_get_user(UserPoolId=self.pool_id, Username=email)
        except cognito.exceptions.UserNotFoundException:
            return False
        return not user.get("Enabled", True)

    def sign_in(self, email: str, password: str) -> str:
        result = self._start_sign_in(email, password)
        tokens = result.get("AuthenticationResult")
        if result.get("ChallengeName") == "NEW_PASSWORD_REQUIRED":
            raise PasswordChangeRequired("the password is temporary: choose a new one first")
        if not tokens:
            raise Unauthorized(f"sign-in needs another step first: {result.get('ChallengeName')}")
        return str(tokens["IdToken"])

    def set_first_password(self, email: str, temporary_password: str, new_password: str) -> str:
        started = self._start_sign_in(email, temporary_password)
        cognito = client("cognito-idp")
        if started.get("ChallengeName") != "NEW_PASSWORD_REQUIRED":
            raise Unauthorized("this password is not a temporary one; sign in with it")
        try:
            answered = cognito.respond_to_auth_challenge(
                ClientId=self.pool.client_id,
                ChallengeName="NEW_PASSWORD_REQUIRED",
                Session=started["Session"],
                ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": new_password},
            )
        except cognito.exceptions.InvalidPasswordException as error:
            message = str(error.response["Error"]["Message"])
            raise ValidationFailed("new_password", message) from None
        return str(answered["AuthenticationResult"]["IdToken"])

    def verify(self, token: str) -> Principal:
        import jwt

        try:
            key = _jwks(self.pool.jwks_url).get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                audience=self.pool.client_id,
                issuer=self.pool.issuer,
                options={"require": ["exp", "iat", "iss", "aud", "token_use"]},
            )
        except jwt.PyJWTError as error:
            raise Unauthorized(f"invalid token: {error}") from None
        if claims.get("token_use") != "id" or not claims.get("email"):
            raise Unauthorized("invalid token: not an ID token with an email")
        groups = claims.get("cognito:groups", [])
        roles = frozenset(GROUP_ROLES[g] for g in groups if g in GROUP_ROLES)
        return Principal(email=str(claims["email"]).lower(), roles=roles)

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
            # No MessageAction: the pool mails the invitation with the temporary password (the
            # local stack's emulated pool mails it to its outbox, tessera_local.cognito).
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

    def resend_invitation(self, email: str) -> None:
        cognito = client("cognito-idp")
        try:
            # RESEND: the pool makes up a new temporary password and mails the invitation again
            # (the template's InviteMessageTemplate); the account, its groups and state stay.
            cognito.admin_create_user(
                UserPoolId=self.pool_id,
                Username=email,
                MessageAction="RESEND",
                DesiredDeliveryMediums=["EMAIL"],
            )
        except cognito.exceptions.UserNotFoundException:
            raise NotFound(f"no staff account {email}") from None
        except cognito.exceptions.UnsupportedUserStateException:
            raise Conflict(
                f"{email} has signed in already: there is no invitation to resend"
            ) from None

    def member(self, email: str) -> StaffMember:
        cognito = client("cognito-idp")
        try:
            user = cognito.admin_get_user(UserPoolId=self.pool_id, Username=email)
            groups = cognito.admin_list_groups_for_user(UserPoolId=self.pool_id, Username=email)
        except cognito.exceptions.UserNotFoundException:
            raise NotFound(f"no staff account {email}") from None
        names = tuple(g["GroupName"] for g in groups["Groups"] if g["GroupName"] in GROUP_ROLES)
        if not names:
            raise NotFound(f"no staff account {email}")
        return StaffMember(
            email=email,
            groups=tuple(sorted(names)),
            status=str(user.get("UserStatus", "")),
            enabled=bool(user.get("Enabled", True)),
        )

    def set_enabled(self, email: str, enabled: bool) -> None:
        cognito = client("cognito-idp")
        change = cognito.admin_enable_user if enabled else cognito.admin_disable_user
        try:
            change(UserPoolId=self.pool_id, Username=email)
        except cognito.exceptions.UserNotFoundException:
            raise NotFound(f"no staff account {email}") from None

    def set_group(self, email: str, group: str) -> None:
        cognito = client("cognito-idp")
        try:
            # Into the new group first: the account is never in no staff group at all.
            cognito.admin_add_user_to_group(
                UserPoolId=self.pool_id, Username=email, GroupName=group
            )
            for other in sorted(set(GROUP_ROLES) - {group}):
                cognito.admin_remove_user_from_group(
                    UserPoolId=self.pool_id, Username=email, GroupName=other
                )
        except cognito.exceptions.UserNotFoundException:
            raise NotFound(f"no staff account {email}") from None


def _email(attributes: list[dict[str, str]]) -> str:
    return next((a["Value"] for a in attributes if a["Name"] == "email"), "").lower()
