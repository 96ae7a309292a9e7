"""Tokens and roles."""

from datetime import timedelta

import jwt
import pytest

from shared.auth import AuthError, Principal, TokenVerifier, mint_token
from shared.config import Config

SECRET = "unit-secret-0123456789-0123456789-abcdef"


def verifier(**kw):
    return TokenVerifier(Config.from_env("intake", env={}, jwt_secret=SECRET, **kw))


def test_a_minted_token_verifies_into_its_principal():
    token = mint_token(SECRET, group="g1", roles=["agent"], estates=["harbour-view"], sub="u1", name="Li Na")
    p = verifier().verify(token)
    assert (p.sub, p.group, p.roles, p.estates, p.name) == ("u1", "g1", {"agent"}, ("harbour-view",), "Li Na")


def test_an_expired_token_is_refused():
    token = mint_token(SECRET, group="g1", roles=["agent"], estates=["e1"], ttl=timedelta(seconds=-5))
    with pytest.raises(AuthError, match="expired"):
        verifier().verify(token)


def test_a_token_signed_with_another_secret_is_refused():
    token = mint_token("another-secret-0123456789-0123456789", group="g1", roles=["agent"], estates=["e1"])
    with pytest.raises(AuthError, match="invalid"):
        verifier().verify(token)


def test_an_unsigned_token_is_refused():
    token = jwt.encode(
        {"sub": "x", "group": "g1", "roles": ["admin"], "estates": ["*"], "exp": 9999999999},
        None,
        algorithm="none",
    )
    with pytest.raises(AuthError):
        verifier().verify(token)


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "u", "estates": ["e1"], "roles": ["agent"]},  # no group
        {"sub": "u", "group": "g1", "estates": ["e1"], "roles": []},  # no roles
        {"sub": "u", "group": "g1", "estates": ["e1"], "roles": ["overlord"]},  # unknown role
        {"sub": "u", "group": "g1", "estates": "e1", "roles": ["agent"]},  # estates not a list
        {"sub": "u", "group": "g1", "estates": [], "roles": ["contractor"]},  # contractor without company
    ],
)
def test_tokens_with_unusable_claims_are_refused(claims):
    with pytest.raises(AuthError):
        Principal.from_claims(claims)


def test_estate_access_needs_the_same_group_and_the_estate_in_the_list():
    agent = Principal.from_claims({"sub": "u", "group": "g1", "estates": ["east"], "roles": ["agent"]})
    assert agent.may_access("east", "g1")
    assert not agent.may_access("west", "g1")
    assert not agent.may_access("east", "g2")


def test_a_wildcard_token_sees_every_estate_of_its_own_group_only():
    head = Principal.from_claims({"sub": "h", "group": "g1", "estates": ["*"], "roles": ["head_office"]})
    assert head.may_access("anything", "g1")
    assert not head.may_access("anything", "g2")
    assert head.has_role("head_office", "admin") and not head.has_role("admin")


def test_a_service_needs_a_secret_or_a_jwks_url():
    with pytest.raises(ValueError):
        TokenVerifier(Config.from_env("intake", env={}))
