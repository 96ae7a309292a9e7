"""The service layer between HTTP/consumers and the domain: load → domain → save → outbox.

Everything here works through the caller's session and never commits (the request or the message
owns the transaction). Events go to the outbox; contractor webhooks to the deliveries table, in the
same transaction — the worker sends both later.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.dispatch import domain
from services.dispatch.models import (
    Contractor,
    Estate,
    RoutingRule,
    Team,
    Ticket,
    WebhookDelivery,
    WorkOrder,
    WorkOrderStep,
    platform,
)
from shared import bus, tenancy
from shared.db import utcnow
from shared.problems import Problem


def settings_of(estate: Estate) -> domain.Settings:
    return domain.Settings.from_dict(estate.settings)


# --- events and webhooks ---------------------------------------------------------------------------
def publish(session: Session, order: WorkOrder, event_type: str, data: dict, *, correlation_id=None) -> None:
    """Emit an order event to the bus, and to the order's contractor endpoint if it has one
    (and to the contractor an order was just taken from)."""
    data = dict(data)
    previous_contractor = data.pop("previous_contractor_id", None)
    estate = session.get(Estate, order.estate_id)
    ticket = session.get(Ticket, order.ticket_id)
    data = {
        "work_order_id": order.id,
        "work_order_number": order.number,
        "ticket_id": order.ticket_id,
        "ticket_number": ticket.number if ticket else None,
        **data,
    }
    correlation_id = correlation_id or (ticket.correlation_id if ticket else None)
    event = bus.emit_for(
        session, platform, estate, event_type, data, producer="dispatch", correlation_id=correlation_id
    )
    for contractor_id in {order.contractor_id, previous_contractor} - {None}:
        contractor = session.get(Contractor, contractor_id)
        if contractor is not None and contractor.webhook_url and contractor.webhook_enabled:
            session.add(
                WebhookDelivery(
                    estate_id=order.estate_id,
                    contractor_id=contractor.id,
                    event_id=event.id,
                    event_type=event.type,
                    payload=event.to_json(),
                    next_attempt_at=utcnow(),
                )
            )


def log_step(session: Session, order: WorkOrder, action: str, actor: str | None, note: str = "", at=None):
    session.add(
        WorkOrderStep(
            estate_id=order.estate_id,
            work_order_id=order.id,
            action=action,
            actor=actor,
            note=note or "",
            at=at or utcnow(),
        )
    )


# --- routing and creation ----------------------------------------------------------------------------
def rules_of(session: Session) -> list[domain.Rule]:
    rows = session.scalars(select(RoutingRule).order_by(RoutingRule.position)).all()
    return [
        domain.Rule(category=r.category, team_id=r.team_id, kind=r.kind, tags=tuple(r.tags or ()))
        for r in rows
    ]


def warranty_team(session: Session) -> str | None:
    return session.scalar(select(Team.id).where(Team.warranty.is_(True)).order_by(Team.created_at).limit(1))


def route_ticket(session: Session, ticket: Ticket) -> str | None:
    return domain.route(
        rules_of(session),
        kind=ticket.kind,
        category=ticket.category,
        tags=ticket.tags or (),
        warranty_team=warranty_team(session),
    )


def _next_number(session: Session, estate: Estate) -> str:
    n = estate.next_number or 1
    estate.next_number = n + 1
    return f"WO-{estate.code}-{n:06d}"


def open_orders_of(session: Session, ticket_id: str) -> list[WorkOrder]:
    return session.scalars(
        select(WorkOrder).where(WorkOrder.ticket_id == ticket_id, WorkOrder.status.in_(domain.OPEN_STATUSES))
    ).all()


def pick_technician(session: Session, team: Team, settings: domain.Settings) -> str | None:
    if team.strategy != "round_robin" or not team.members:
        return None
    counts = dict(
        session.execute(
            select(WorkOrder.technician, func.count())
            .where(WorkOrder.team_id == team.id, WorkOrder.status.in_(domain.OPEN_STATUSES))
            .group_by(WorkOrder.technician)
        ).all()
    )
    cap = team.max_open_per_technician or settings.max_open_per_technician
    chosen = domain.next_technician(list(team.members), team.last_assigned, counts, cap)
    if chosen:
        team.last_assigned = chosen
    return chosen


def create_order(
    session: Session,
    ticket: Ticket,
    team: Team,
    *,
    actor: str | None,
    rework_of: WorkOrder | None = None,
    now: datetime | None = None,
    correlation_id: str | None = None,
    note: str = "",
) -> WorkOrder:
    now = now or utcnow()
    estate = session.get(Estate, ticket.estate_id)
    settings = settings_of(estate)
    facts = domain.TicketFacts(
        kind=ticket.kind,
        category=ticket.category,
        location=ticket.location or {},
        appointment=ticket.appointment,
        resolve_due=ticket.resolve_due,
        opened_at=ticket.opened_at,
        urgent=ticket.urgent,
    )
    arrive_by, complete_by = domain.deadlines(facts, now, settings, tz=estate.timezone, cal=estate.calendar)
    order = WorkOrder(
        estate_id=ticket.estate_id,
        number=_next_number(session, estate),
        ticket_id=ticket.id,
        team_id=team.id,
        contractor_id=team.contractor_id,
        status="assigned",
        rework=rework_of is not None,
        rework_of=rework_of.id if rework_of else None,
        assigned_at=now,
        arrive_by=arrive_by,
        complete_by=complete_by,
        alerts_sent=[],
        created_at=now,
    )
    order.technician = pick_technician(session, team, settings)
    session.add(order)
    session.flush()
    ticket.unrouted = False
    log_step(session, order, "assigned", actor, note or f"to {team.name}", at=now)
    publish(
        session,
        order,
        "workorder.assigned",
        {
            "team_id": team.id,
            "contractor_id": team.contractor_id,
            "rework": order.rework,
            "rework_of": order.rework_of,
            "arrive_by": arrive_by,
            "complete_by": complete_by,
            "assigned_at": now,
        },
        correlation_id=correlation_id,
    )
    return order


def team_or_422(session: Session, team_id: str, field: str = "team_id") -> Team:
    team = session.get(Team, team_id)
    # session.get may return an identity-map hit from another estate; the scope is checked here too.
    if team is None or team.estate_id not in (tenancy.scope_of(session) or ()):
        raise Problem(422, "Unknown team.", errors={field: ["No such team in this estate."]})
    return team


# --- steps on an order -------------------------------------------------------------------------------
def step(session: Session, order: WorkOrder, action: str) -> str:
    try:
        return domain.next_status(order.status, action)
    except domain.IllegalTransition as exc:
        raise Problem(409, str(exc)) from None


def resume_clock(order: WorkOrder, now: datetime) -> None:
    if order.paused_at is None:
        return
    order.arrive_by = domain.shift_for_pause(order.arrive_by, order.paused_at, now)
    order.complete_by = domain.shift_for_pause(order.complete_by, order.paused_at, now)
    order.paused_at = None
    order.pause_reason = None


def cancel(session: Session, order: WorkOrder, *, actor: str | None, reason: str, now=None) -> None:
    now = now or utcnow()
    order.status = "cancelled"
    order.cancelled_at = now
    order.cancel_reason = reason
    order.paused_at = None
    log_step(session, order, "cancelled", actor, reason, at=now)
    publish(session, order, "workorder.cancelled", {"reason": reason, "cancelled_at": now, "by": actor})


def completed_data(session: Session, order: WorkOrder) -> dict:
    ticket = session.get(Ticket, order.ticket_id)
    return {
        "kind": ticket.kind,
        "category": ticket.category,
        "severity": ticket.severity,
        "urgent": ticket.urgent,
        "tags": list(ticket.tags or []),
        "location": ticket.location or {},
        "team_id": order.team_id,
        "contractor_id": order.contractor_id,
        "rework": order.rework,
        "completed_at": order.completed_at,
        "result": order.result or "",
        "resident_signed": bool(order.resident_signed),
        "resident_rating": order.resident_rating,
        "fee": order.fee,
        "arrived_on_time": domain.on_time(order.arrived_at, order.arrive_by),
        "completed_on_time": domain.on_time(order.completed_at, order.complete_by),
    }
