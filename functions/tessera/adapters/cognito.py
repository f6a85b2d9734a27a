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
from tessera.errors import Unauthorized


def login(email: str, password: str) -> str:
    """Exchange an email and password for an ID token. Raises Unauthorized."""
    pool = settings.user_pool()
    cognito = client("cognito-idp")
    try:
        result = cognito.initiate_auth(
            ClientId=pool.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
    except (cognito.exceptions.NotAuthorizedException, cognito.exceptions.UserNotFoundException):
        raise Unauthorized("wrong email or password") from None
    tokens = result.get("AuthenticationResult")
    if not tokens:
        raise Unauthorized(f"sign-in needs another step first: {result.get('ChallengeName')}")
    return str(tokens["IdToken"])


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
