"""Reporting's tables (schema `reporting`): the event log, the facts, the monthly counters.

Everything here is built only from events. The event log is append-only and is what
`estatedesk reporting rebuild` replays; facts and counters can always be thrown away and rebuilt.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import BigId, PlatformTables, UTCDateTime, utcnow
from shared.tenancy import EstateCopy, EstateScoped


class Base(DeclarativeBase):
    pass


platform = PlatformTables(Base)


class Estate(EstateCopy, Base):
    """Reporting's copy of an estate, learnt from `estate.registered` / `estate.updated`."""

    __tablename__ = "estates"


class EventLogEntry(EstateScoped, Base):
    """Every event reporting consumed, in arrival order (append-only; the source of a rebuild)."""

    __tablename__ = "event_log"
    __table_args__ = (UniqueConstraint("event_id", name="uq_event_log_event_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36))
    type: Mapped[str] = mapped_column(String(64))
    group_id: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    envelope: Mapped[str] = mapped_column(Text)  # the event as received, JSON
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TicketFactRow(EstateScoped, Base):
    """One row per ticket (see domain.TicketFact for the meaning of each column)."""

    __tablename__ = "ticket_facts"
    __table_args__ = (
        UniqueConstraint("estate_id", "ticket_id", name="uq_ticket_facts_ticket"),
        Index("ix_ticket_facts_estate_month", "estate_id", "month"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str | None] = mapped_column(String(20))
    category: Mapped[str | None] = mapped_column(String(20))
    channel: Mapped[str | None] = mapped_column(String(20))
    severity: Mapped[str | None] = mapped_column(String(20))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    place: Mapped[str | None] = mapped_column(String(100))
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    month: Mapped[str | None] = mapped_column(String(7))
    first_reply_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_reply_on_time: Mapped[bool | None] = mapped_column(Boolean)
    resolve_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_on_time: Mapped[bool | None] = mapped_column(Boolean)
    resolve_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    arrived_on_time: Mapped[bool] = mapped_column(Boolean, default=False)
    arrive_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    close_reason: Mapped[str | None] = mapped_column(String(40))


class CallbackFactRow(EstateScoped, Base):
    """One row per callback (see domain.CallbackFact)."""

    __tablename__ = "callback_facts"
    __table_args__ = (
        UniqueConstraint("estate_id", "callback_id", name="uq_callback_facts_callback"),
        Index("ix_callback_facts_estate_month", "estate_id", "month"),
        Index("ix_callback_facts_estate_outcome_month", "estate_id", "outcome_month"),
        Index("ix_callback_facts_estate_ticket", "estate_id", "ticket_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    callback_id: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[str | None] = mapped_column(String(64))
    rule: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str | None] = mapped_column(String(20))
    category: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    mandatory: Mapped[bool] = mapped_column(Boolean, default=False)
    skip_reason: Mapped[str | None] = mapped_column(String(64))
    target: Mapped[float | None] = mapped_column(Float)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    month: Mapped[str | None] = mapped_column(String(7))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome_month: Mapped[str | None] = mapped_column(String(7))
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    satisfaction: Mapped[str | None] = mapped_column(String(20))
    quality: Mapped[str | None] = mapped_column(String(20))
    attitude: Mapped[str | None] = mapped_column(String(20))
    punctuality: Mapped[str | None] = mapped_column(String(20))
    unit: Mapped[str | None] = mapped_column(String(100))
    on_time: Mapped[bool | None] = mapped_column(Boolean)


class OccupiedUnit(EstateScoped, Base):
    """Units known to be occupied (from `resident.moved_in`): the base of routine-visit coverage."""

    __tablename__ = "occupied_units"
    __table_args__ = (UniqueConstraint("estate_id", "unit", name="uq_occupied_units_unit"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    unit: Mapped[str] = mapped_column(String(100))
    moved_in_on: Mapped[str | None] = mapped_column(String(10))


class EstateMonth(EstateScoped, Base):
    """Pre-aggregated counters of one estate-month (domain.COUNTER_FIELDS), re-derived from facts.

    Plain numeric columns, so a group comparison over any range is one SUM … GROUP BY in the
    database; `details` keeps the QR004 cells and rule rates the counters were derived with.
    """

    __tablename__ = "estate_months"
    __table_args__ = (
        UniqueConstraint("estate_id", "month", name="uq_estate_months_month"),
        Index("ix_estate_months_month", "month"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    month: Mapped[str] = mapped_column(String(7))
    tickets: Mapped[int] = mapped_column(Integer, default=0)
    complaints: Mapped[int] = mapped_column(Integer, default=0)
    repairs: Mapped[int] = mapped_column(Integer, default=0)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    first_reply_total: Mapped[int] = mapped_column(Integer, default=0)
    first_reply_on_time: Mapped[int] = mapped_column(Integer, default=0)
    on_site_total: Mapped[int] = mapped_column(Integer, default=0)
    on_site_on_time: Mapped[int] = mapped_column(Integer, default=0)
    resolution_total: Mapped[int] = mapped_column(Integer, default=0)
    resolution_on_time: Mapped[int] = mapped_column(Integer, default=0)
    callbacks_eligible: Mapped[int] = mapped_column(Integer, default=0)
    callbacks_done: Mapped[int] = mapped_column(Integer, default=0)
    callbacks_failed: Mapped[int] = mapped_column(Integer, default=0)
    target_sum: Mapped[float] = mapped_column(Float, default=0.0)
    target_n: Mapped[int] = mapped_column(Integer, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    fairly_satisfied: Mapped[int] = mapped_column(Integer, default=0)
    unsatisfied: Mapped[int] = mapped_column(Integer, default=0)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AreaMonth(EstateScoped, Base):
    """The QR004 matrix: one estate-month-area row of satisfied / fairly satisfied / unsatisfied."""

    __tablename__ = "area_months"
    __table_args__ = (UniqueConstraint("estate_id", "month", "area", name="uq_area_months_area"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    month: Mapped[str] = mapped_column(String(7))
    area: Mapped[str] = mapped_column(String(40))
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    fairly_satisfied: Mapped[int] = mapped_column(Integer, default=0)
    unsatisfied: Mapped[int] = mapped_column(Integer, default=0)


class RuleMonth(EstateScoped, Base):
    """Callback rate per rule for one estate-month."""

    __tablename__ = "rule_months"
    __table_args__ = (UniqueConstraint("estate_id", "month", "rule", name="uq_rule_months_rule"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    month: Mapped[str] = mapped_column(String(7))
    rule: Mapped[str] = mapped_column(String(64))
    eligible: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    target: Mapped[float | None] = mapped_column(Float)
