"""Intake's tables (schema `intake`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.db import BigId, PlatformTables, UTCDateTime, utcnow
from shared.tenancy import EstateCopy, EstateScoped


class Base(DeclarativeBase):
    pass


platform = PlatformTables(Base)


def new_id() -> str:
    return str(uuid.uuid4())


class Estate(EstateCopy, Base):
    """An estate (小区/管理处) — intake is where estates are registered; the others keep copies."""

    __tablename__ = "estates"
    settings: Mapped[dict] = mapped_column(JSON, default=dict)


class Unit(EstateScoped, Base):
    """A flat/shop (户) of the estate."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("estate_id", "code", name="uq_units_estate_code"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40))
    building: Mapped[str | None] = mapped_column(String(40))
    floor: Mapped[int | None] = mapped_column(Integer)
    occupied: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Resident(EstateScoped, Base):
    """An owner (业主) or tenant (租户) living in a unit."""

    __tablename__ = "residents"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    unit_code: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(10))
    moved_in_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TicketCounter(EstateScoped, Base):
    """The last ticket number taken per (estate, year): incremented inside the creating transaction."""

    __tablename__ = "ticket_counters"
    estate_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Ticket(EstateScoped, Base):
    """A request taken at the front desk (报修/投诉/咨询/建议/求助/特约服务)."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("estate_id", "number", name="uq_tickets_estate_number"),
        Index("ix_tickets_estate_created", "estate_id", "created_at", "id"),
        Index("ix_tickets_estate_unit_category", "estate_id", "unit_code", "category"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str | None] = mapped_column(String(10))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    written: Mapped[bool] = mapped_column(Boolean, default=False)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    unit_code: Mapped[str | None] = mapped_column(String(40))
    area: Mapped[str | None] = mapped_column(String(200))
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    reporter_phone: Mapped[str | None] = mapped_column(String(40))
    resident_id: Mapped[str | None] = mapped_column(String(36))
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list] = mapped_column(JSON, default=list)
    appointment: Mapped[dict | None] = mapped_column(JSON)
    subject_staff: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    first_responder: Mapped[str] = mapped_column(String(200))
    first_responder_name: Mapped[str | None] = mapped_column(String(200))
    duplicate_of: Mapped[str | None] = mapped_column(String(36))
    source_callback_id: Mapped[str | None] = mapped_column(String(64), index=True)
    desk_outcome: Mapped[str | None] = mapped_column(String(20))
    first_reply_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    written_answer_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    written_answer_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolve_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    progress_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    progress: Mapped[dict] = mapped_column(JSON, default=dict)  # work orders and callbacks seen
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    timeline: Mapped[list[TimelineEntry]] = relationship(
        order_by="TimelineEntry.id", lazy="selectin", viewonly=True
    )


class TimelineEntry(EstateScoped, Base):
    """One append-only line of a ticket's history: who, when, what. Never updated or deleted."""

    __tablename__ = "ticket_timeline"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    type: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)


@event.listens_for(TimelineEntry, "before_update")
@event.listens_for(TimelineEntry, "before_delete")
def _timeline_is_append_only(_mapper, _connection, target) -> None:
    raise RuntimeError(f"timeline entry {target.id} is append-only")
