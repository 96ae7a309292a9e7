"""Engines, sessions and the platform tables (outbox, inbox, idempotency) each service keeps.

Each service owns its data: on PostgreSQL one schema per service (the connection's search_path
points at it, so models stay schema-less and Alembic's version table lands in the same schema);
on SQLite one file per service.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    BigInteger,
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

from shared.config import Config

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes stored in UTC; SQLite hands back naive values, so re-attach UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self):
        # TypeDecorator reports `object`; cursor pagination needs to know these keys are datetimes.
        return datetime

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def schema_name(config: Config) -> str | None:
    return config.service if config.is_postgres else None


def make_engine(config: Config, **kwargs) -> Engine:
    url = config.database_url
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        opts: dict = {"connect_args": {"check_same_thread": False, "timeout": 30}}
        if path in ("", ":memory:"):
            opts["poolclass"] = StaticPool
        engine = create_engine(url, **opts, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    options = f"-csearch_path={config.service}"
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=kwargs.pop("pool_size", 5),
        max_overflow=kwargs.pop("max_overflow", 10),
        connect_args={"options": options, "connect_timeout": 5},
        **kwargs,
    )


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # WAL lets the embedded web threads read while a consumer thread writes.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, future=True)


@contextmanager
def unit_of_work(session_factory: sessionmaker[Session], estate: str | None = None) -> Iterator[Session]:
    """One transaction for a message or a timer tick: commit on success, roll back on error."""
    from shared.tenancy import set_scope

    session = session_factory()
    if estate is not None:
        set_scope(session, [estate])
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


class PlatformTables:
    """The outbox, inbox and idempotency tables, declared on a service's own Base."""

    def __init__(self, base: type[DeclarativeBase]):
        class Outbox(base):
            __tablename__ = "outbox"
            id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
            event_id: Mapped[str] = mapped_column(String(36), unique=True)
            type: Mapped[str] = mapped_column(String(64))
            routing_key: Mapped[str] = mapped_column(String(128))
            estate_id: Mapped[str] = mapped_column(String(40), index=True)
            payload: Mapped[str] = mapped_column(Text)
            created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
            sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
            attempts: Mapped[int] = mapped_column(Integer, default=0)
            next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
            last_error: Mapped[str | None] = mapped_column(Text)

        class Inbox(base):
            __tablename__ = "inbox"
            consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
            event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
            type: Mapped[str] = mapped_column(String(64))
            estate_id: Mapped[str] = mapped_column(String(40))
            processed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

        class IdempotencyRecord(base):
            __tablename__ = "idempotency_keys"
            __table_args__ = (UniqueConstraint("principal", "key", name="uq_idempotency_principal_key"),)
            id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
            principal: Mapped[str] = mapped_column(String(200))
            key: Mapped[str] = mapped_column(String(200))
            fingerprint: Mapped[str] = mapped_column(String(64))
            status: Mapped[int | None] = mapped_column(Integer)
            content_type: Mapped[str | None] = mapped_column(String(100))
            body: Mapped[bytes | None] = mapped_column(LargeBinary)
            location: Mapped[str | None] = mapped_column(String(500))
            created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

        self.Outbox = Outbox
        self.Inbox = Inbox
        self.IdempotencyRecord = IdempotencyRecord
