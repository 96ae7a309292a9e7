"""Callback's tables (schema `callback`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import BigId, PlatformTables, UTCDateTime, utcnow
from shared.tenancy import EstateCopy, EstateScoped


class Base(DeclarativeBase):
    pass


platform = PlatformTables(Base)


def new_id() -> str:
    return str(uuid.uuid4())


class Estate(EstateCopy, Base):
    """Callback's copy of an estate, learnt from `estate.registered` / `estate.updated`."""

    __tablename__ = "estates"


class Policy(EstateScoped, Base):
    """One version of an estate's callback policy. Never updated: a change is a new version."""

    __tablename__ = "policies"
    __table_args__ = (UniqueConstraint("estate_id", "version", name="uq_policies_estate_version"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    version: Mapped[int] = mapped_column(Integer)
    preset: Mapped[str] = mapped_column(String(40))
    overrides: Mapped[list] = mapped_column(JSON, default=list)
    rules: Mapped[list] = mapped_column(JSON)  # the effective rules of this version
    retries: Mapped[dict] = mapped_column(JSON)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Decision(EstateScoped, Base):
    """Exactly one schedule-or-skip decision per piece of work (the sampling ledger)."""

    __tablename__ = "decisions"
    __table_args__ = (UniqueConstraint("estate_id", "key", name="uq_decisions_estate_key"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200))  # wo:<id> | desk:<ticket>:<at> | resident:<id> | …
    rule: Mapped[str] = mapped_column(String(60))
    rule_version: Mapped[int] = mapped_column(Integer)
    month: Mapped[str] = mapped_column(String(7), index=True)
    scheduled: Mapped[bool] = mapped_column(Boolean)
    mandatory: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(String(60))
    slip_satisfied: Mapped[bool] = mapped_column(Boolean, default=False)
    callback_id: Mapped[str | None] = mapped_column(String(36))
    subject: Mapped[dict] = mapped_column(JSON, default=dict)  # what a later top-up needs to schedule
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Callback(EstateScoped, Base):
    """A callback (回访) to make: its window, who and how, its attempts and, once done, its outcome."""

    __tablename__ = "callbacks"
    __table_args__ = (UniqueConstraint("estate_id", "key", name="uq_callbacks_estate_key"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    key: Mapped[str] = mapped_column(String(200))
    ticket_id: Mapped[str | None] = mapped_column(String(64), index=True)
    work_order_id: Mapped[str | None] = mapped_column(String(64))
    resident_id: Mapped[str | None] = mapped_column(String(64))
    unit: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str | None] = mapped_column(String(40))
    category: Mapped[str | None] = mapped_column(String(40))
    rule: Mapped[str] = mapped_column(String(60), index=True)
    rule_version: Mapped[int] = mapped_column(Integer)
    rule_snapshot: Mapped[dict] = mapped_column(JSON)  # the rule as it was when scheduled
    month: Mapped[str] = mapped_column(String(7))
    assignee_role: Mapped[str] = mapped_column(String(40))
    method: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    reason: Mapped[str] = mapped_column(String(60))
    mandatory: Mapped[bool] = mapped_column(Boolean, default=False)
    trigger: Mapped[str | None] = mapped_column(String(40))
    work_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # due_by, or the far future while waiting for a trigger: the work queue's non-null sort key
    deadline: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[list] = mapped_column(JSON, default=list)
    outcome: Mapped[dict | None] = mapped_column(JSON)
    follows: Mapped[str | None] = mapped_column(String(36))  # the callback this one follows up
    correlation_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Correction(EstateScoped, Base):
    """A correction of a completed callback's record: a new entry; the original stays as it was."""

    __tablename__ = "corrections"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    callback_id: Mapped[str] = mapped_column(String(36), index=True)
    changes: Mapped[dict] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TicketFacts(EstateScoped, Base):
    """What callback needs to know of a ticket, from `ticket.opened`: who to call back."""

    __tablename__ = "tickets"
    estate_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    ticket_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    reporter: Mapped[dict | None] = mapped_column(JSON)
    unit: Mapped[str | None] = mapped_column(String(64))


class Unit(EstateScoped, Base):
    """An occupied unit (learnt from `resident.moved_in`) and its month in the routine plan."""

    __tablename__ = "units"
    estate_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    routine_month: Mapped[int] = mapped_column(Integer)
    resident_id: Mapped[str | None] = mapped_column(String(64))
    occupied_since: Mapped[date | None] = mapped_column(Date)


class WeatherEvent(EstateScoped, Base):
    """A heavy rainstorm (暴雨) that released the leak callbacks waiting for it."""

    __tablename__ = "weather_events"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    released: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
