"""Dispatch's tables (schema `dispatch`)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import BigId, PlatformTables, UTCDateTime, utcnow
from shared.tenancy import EstateCopy, EstateScoped


class Base(DeclarativeBase):
    pass


platform = PlatformTables(Base)


def new_id() -> str:
    return str(uuid.uuid4())


class Estate(EstateCopy, Base):
    """Dispatch's copy of an estate, learnt from `estate.registered` / `estate.updated`."""

    __tablename__ = "estates"
    settings: Mapped[dict] = mapped_column(JSON, default=dict)  # domain.Settings overrides
    fee_schedule: Mapped[dict] = mapped_column(JSON, default=dict)  # code → {name, amount}
    next_number: Mapped[int] = mapped_column(Integer, default=1)


class Contractor(Base):
    """A third-party company (外包单位) of a group: lift maintenance, pest control, warranty…

    Group-level, not estate-owned: it is linked to estates through teams with its id.
    """

    __tablename__ = "contractors"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    group_id: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(200))
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    webhook_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    webhook_secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("group_id", "name", name="uq_contractor_group_name"),)


class Team(EstateScoped, Base):
    """A team of an estate (班组): internal (members are technicians) or a contractor's (external)."""

    __tablename__ = "teams"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    discipline: Mapped[str] = mapped_column(String(40))
    contractor_id: Mapped[str | None] = mapped_column(ForeignKey("contractors.id"), index=True)
    strategy: Mapped[str] = mapped_column(String(20), default="supervisor")
    max_open_per_technician: Mapped[int | None] = mapped_column(Integer)
    members: Mapped[list] = mapped_column(JSON, default=list)  # technician subs, in rotation order
    last_assigned: Mapped[str | None] = mapped_column(String(200))
    warranty: Mapped[bool] = mapped_column(Boolean, default=False)  # the developer's warranty contractor
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("estate_id", "name", name="uq_team_estate_name"),)


class RoutingRule(EstateScoped, Base):
    __tablename__ = "routing_rules"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str | None] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(20))
    tags: Mapped[list] = mapped_column(JSON, default=list)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"))


class Ticket(EstateScoped, Base):
    """What dispatch knows of a ticket, from `ticket.opened` (so orders and alerts need nothing else)."""

    __tablename__ = "tickets"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    number: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str | None] = mapped_column(String(20))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    tags: Mapped[list] = mapped_column(JSON, default=list)
    location: Mapped[dict] = mapped_column(JSON, default=dict)
    description: Mapped[str] = mapped_column(Text, default="")
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    reporter_phone: Mapped[str | None] = mapped_column(String(40))
    appointment: Mapped[dict | None] = mapped_column(JSON)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolve_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    group_id: Mapped[str] = mapped_column(String(40))
    correlation_id: Mapped[str | None] = mapped_column(String(100))
    unrouted: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WorkOrder(EstateScoped, Base):
    """A work order (派工单/维修单)."""

    __tablename__ = "work_orders"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(40))
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), index=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"), index=True)
    contractor_id: Mapped[str | None] = mapped_column(String(36), index=True)
    technician: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="assigned")
    rework: Mapped[bool] = mapped_column(Boolean, default=False)
    rework_of: Mapped[str | None] = mapped_column(String(36))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    arrive_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    complete_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pause_reason: Mapped[str | None] = mapped_column(String(40))
    alerts_sent: Mapped[list] = mapped_column(JSON, default=list)
    quote: Mapped[dict | None] = mapped_column(JSON)  # {amount, lines}
    consent: Mapped[dict | None] = mapped_column(JSON)  # {consented, at, by, reason}
    result: Mapped[str | None] = mapped_column(Text)
    materials: Mapped[list | None] = mapped_column(JSON)
    fee: Mapped[dict | None] = mapped_column(JSON)
    resident_signed: Mapped[bool | None] = mapped_column(Boolean)
    resident_rating: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    __table_args__ = (
        UniqueConstraint("estate_id", "number", name="uq_work_order_estate_number"),
        Index("ix_work_orders_estate_status", "estate_id", "status"),
    )


class WorkOrderStep(EstateScoped, Base):
    """The order's log: who did what, when and why."""

    __tablename__ = "work_order_steps"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    work_order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")


class WebhookDelivery(EstateScoped, Base):
    """One order event for one contractor endpoint; written in the order's transaction, sent by the worker."""

    __tablename__ = "webhook_deliveries"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    contractor_id: Mapped[str] = mapped_column(ForeignKey("contractors.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|delivered|failed|gone
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("contractor_id", "event_id", name="uq_delivery_contractor_event"),)


class WebhookAttempt(EstateScoped, Base):
    __tablename__ = "webhook_attempts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
