"""Configuration from environment variables, read once into an immutable object (12-factor)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

SERVICES = ("intake", "dispatch", "callback", "reporting")


class ConfigError(ValueError):
    """A setting is missing or malformed; raised at start-up, never mid-request."""


@dataclass(frozen=True)
class Config:
    service: str
    database_url: str
    broker_url: str = "memory://"
    redis_url: str | None = None
    jwt_secret: str | None = None
    jwt_jwks_url: str | None = None
    jwt_audience: str | None = None
    log_level: str = "INFO"
    data_dir: Path = Path("var")
    max_body_bytes: int = 1_048_576
    rate_limit: str = "600/minute"
    relay_interval: float = 0.5
    timer_interval: float = 30.0
    confirm_timeout: float = 5.0
    delivery_limit: int = 5
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, service: str, env: dict[str, str] | None = None, **overrides) -> Config:
        if service not in SERVICES:
            raise ConfigError(f"unknown service {service!r}; expected one of {', '.join(SERVICES)}")
        env = os.environ if env is None else env
        data_dir = Path(env.get("ESTATEDESK_DATA_DIR", "var"))
        database_url = (
            env.get(f"ESTATEDESK_{service.upper()}_DATABASE_URL")
            or env.get("ESTATEDESK_DATABASE_URL")
            or f"sqlite:///{data_dir / (service + '.db')}"
        )
        values = dict(
            service=service,
            database_url=normalise_database_url(database_url),
            broker_url=env.get("ESTATEDESK_BROKER_URL", "memory://"),
            redis_url=env.get("ESTATEDESK_REDIS_URL") or None,
            jwt_secret=env.get("ESTATEDESK_JWT_SECRET") or None,
            jwt_jwks_url=env.get("ESTATEDESK_JWT_JWKS_URL") or None,
            jwt_audience=env.get("ESTATEDESK_JWT_AUDIENCE") or None,
            log_level=env.get("ESTATEDESK_LOG_LEVEL", "INFO").upper(),
            data_dir=data_dir,
            max_body_bytes=_int(env, "ESTATEDESK_MAX_BODY_BYTES", 1_048_576),
            rate_limit=env.get("ESTATEDESK_RATE_LIMIT", "600/minute"),
            relay_interval=_float(env, "ESTATEDESK_RELAY_INTERVAL", 0.5),
            timer_interval=_float(env, "ESTATEDESK_TIMER_INTERVAL", 30.0),
        )
        values.update(overrides)
        return cls(**values)

    def with_(self, **changes) -> Config:
        return replace(self, **changes)

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")


def normalise_database_url(url: str) -> str:
    # psycopg 3 is the only PostgreSQL driver we ship; accept the common spellings of the URL.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _int(env, name: str, default: int) -> int:
    try:
        return int(env.get(name, default))
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer") from exc


def _float(env, name: str, default: float) -> float:
    try:
        return float(env.get(name, default))
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number") from exc
