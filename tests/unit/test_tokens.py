"""Signed tokens: round trip, expiry, tampering, purpose binding."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tessera.identity.tokens import InvalidToken, Signer

SIGNER = Signer(b"k" * 32)


def test_round_trip_carries_subject_and_extra_claims() -> None:
    token = SIGNER.sign("thread", "T1", ttl_seconds=60, now=1000, number=1042)
    claims = SIGNER.verify(token, "thread", now=1059)
    assert (claims.subject, claims.expires, dict(claims.extra)) == ("T1", 1060, {"number": 1042})


def test_expired_token_is_refused() -> None:
    token = SIGNER.sign("thread", "T1", ttl_seconds=60, now=1000)
    with pytest.raises(InvalidToken, match="expired"):
        SIGNER.verify(token, "thread", now=1061)


def test_token_for_another_purpose_or_key_is_refused() -> None:
    token = SIGNER.sign("ticket-link", "T1", ttl_seconds=60)
    with pytest.raises(InvalidToken):
        SIGNER.verify(token, "magic-link")
    with pytest.raises(InvalidToken):
        Signer(b"x" * 32).verify(token, "ticket-link")


def test_short_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Signer(b"short")


@given(st.text(max_size=80))
def test_arbitrary_strings_never_verify_and_never_crash(text: str) -> None:
    with pytest.raises(InvalidToken):
        SIGNER.verify(text, "thread")


@given(st.integers(min_value=0, max_value=200), st.sampled_from("AbZz09-_."))
def test_any_single_character_change_is_refused(position: int, replacement: str) -> None:
    token = SIGNER.sign("thread", "T1", ttl_seconds=600)
    index = position % len(token)
    tampered = token[:index] + replacement + token[index + 1 :]
    if tampered == token:
        return
    with pytest.raises(InvalidToken):
        SIGNER.verify(tampered, "thread")
