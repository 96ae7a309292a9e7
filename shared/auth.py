"""Bearer JWT identity: verification (HS256 in dev/test, RS256 via JWKS in production), roles, minting."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from shared.config import Config

ROLES = ("agent", "supervisor", "manager", "technician", "contractor", "head_office", "admin")
ALL = "*"


class AuthError(Exception):
    """The request carries no usable identity (→ 401)."""


@dataclass(frozen=True)
class Principal:
    sub: str
    group: str
    roles: frozenset[str]
    estates: tuple[str, ...]
    name: str = ""
    contractor: str | None = None

    @property
    def all_estates(self) -> bool:
        return ALL in self.estates

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def may_access(self, estate_id: str, estate_group: str) -> bool:
        """An estate is visible when it belongs to the caller's group and is in its estate list."""
        if estate_group != self.group:
            return False
        return self.all_estates or estate_id in self.estates

    @classmethod
    def from_claims(cls, claims: dict) -> Principal:
        try:
            roles = claims["roles"]
            estates = claims.get("estates", [])
            group = claims["group"]
            sub = claims["sub"]
        except KeyError as exc:
            raise AuthError(f"token lacks the {exc.args[0]!r} claim") from None
        if not isinstance(roles, list) or not all(r in ROLES for r in roles) or not roles:
            raise AuthError("token has no valid roles")
        if not isinstance(estates, list) or not all(isinstance(e, str) for e in estates):
            raise AuthError("token's estates claim must be a list of estate ids")
        if not isinstance(group, str) or not group or not isinstance(sub, str) or not sub:
            raise AuthError("token's group and sub must be non-empty strings")
        contractor = claims.get("contractor")
        if "contractor" in roles and not contractor:
            raise AuthError("a contractor token must name its contractor")
        return cls(
            sub=sub,
            group=group,
            roles=frozenset(roles),
            estates=tuple(estates),
            name=str(claims.get("name") or sub),
            contractor=contractor,
        )


class TokenVerifier:
    def __init__(self, config: Config):
        self._audience = config.jwt_audience
        if config.jwt_jwks_url:
            self._jwks = jwt.PyJWKClient(config.jwt_jwks_url, cache_keys=True, lifespan=300)
            self._secret = None
        elif config.jwt_secret:
            self._jwks = None
            self._secret = config.jwt_secret
        else:
            raise ValueError("set ESTATEDESK_JWT_SECRET or ESTATEDESK_JWT_JWKS_URL")

    def verify(self, token: str) -> Principal:
        options = {"require": ["exp", "sub"], "verify_aud": self._audience is not None}
        try:
            if self._jwks is not None:
                key = self._jwks.get_signing_key_from_jwt(token).key
                claims = jwt.decode(
                    token, key, algorithms=["RS256"], audience=self._audience, options=options
                )
            else:
                claims = jwt.decode(
                    token, self._secret, algorithms=["HS256"], audience=self._audience, options=options
                )
        except jwt.ExpiredSignatureError:
            raise AuthError("token has expired") from None
        except (jwt.InvalidTokenError, jwt.PyJWKClientError) as exc:
            raise AuthError(f"invalid token: {exc}") from None
        return Principal.from_claims(claims)


def mint_token(
    secret: str,
    *,
    group: str,
    roles: list[str],
    estates: list[str],
    sub: str | None = None,
    name: str | None = None,
    contractor: str | None = None,
    ttl: timedelta = timedelta(hours=12),
) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": sub or f"user-{uuid.uuid4().hex[:8]}",
        "name": name or sub or "EstateDesk user",
        "group": group,
        "estates": estates,
        "roles": roles,
        "iat": now,
        "exp": now + ttl,
    }
    if contractor:
        claims["contractor"] = contractor
    Principal.from_claims(claims)  # refuse to mint a token the services would reject
    return jwt.encode(claims, secret, algorithm="HS256")
