"""Dispatch's event handlers, routed by event type.

Each runs in the consumer's transaction, scoped to the event's estate; the inbox makes a
redelivered event a no-op, and the handlers themselves tolerate duplicated or out-of-order
business events (a second `ticket.opened` for a known ticket creates nothing).
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.dispatch import domain, orders
from services.dispatch.models import Estate, RoutingRule, Team, Ticket, WorkOrder
from shared.bus import Handler
from shared.estates import apply_estate_event
from shared.events import Event, load_data

log = logging.getLogger(__name__)


def keep_estate_copy(session: Session, event: Event) -> None:
    apply_estate_event(session, Estate, event)


def give_new_estate_default_teams(session: Session, event: Event) -> None:
    """A new estate is routable at once: engineering, security and cleaning & greening teams, and a
    rule per category they cover (domain.DEFAULT_RULES). A supervisor edits them afterwards."""
    session.flush()
    if session.scalar(select(Team.id).where(Team.estate_id == event.estate).limit(1)):
        return
    teams = {}
    for key, name, discipline in domain.DEFAULT_TEAMS:
        team = Team(
            estate_id=event.estate, name=name, discipline=discipline, strategy="supervisor", members=[]
        )
        session.add(team)
        teams[key] = team
    session.flush()
    for position, (category, key) in enumerate(domain.DEFAULT_RULES):
        session.add(
            RoutingRule(
                estate_id=event.estate, position=position, category=category, team_id=teams[key].id, tags=[]
            )
        )


def open_work_order(session: Session, event: Event) -> None:
    data = load_data(event)
    if session.get(Ticket, data["ticket_id"]) is not None:
        return  # the same ticket announced twice: one order is enough
    reporter = data.get("reporter") or {}
    ticket = Ticket(
        id=data["ticket_id"],
        estate_id=event.estate,
        group_id=event.group,
        number=data["number"],
        kind=data["kind"],
        category=data["category"],
        severity=data.get("severity"),
        urgent=data.get("urgent", False),
        tags=list(data.get("tags") or []),
        location=dict(data.get("location") or {}),
        description=data.get("description") or "",
        reporter_name=reporter.get("name"),
        reporter_phone=reporter.get("phone"),
        appointment=event.data.get("appointment"),
        opened_at=data["opened_at"],
        resolve_due=data.get("resolve_due"),
        correlation_id=event.correlation_id,
    )
    session.add(ticket)
    session.flush()
    if not domain.is_dispatched(ticket.kind):
        return  # inquiries and suggestions are answered at the desk
    team_id = orders.route_ticket(session, ticket)
    if team_id is None:
        ticket.unrouted = True  # waits for a supervisor: GET …/unrouted-tickets
        return
    orders.create_order(
        session, ticket, session.get(Team, team_id), actor="routing", correlation_id=event.correlation_id
    )


def open_rework_order(session: Session, event: Event) -> None:
    """返修: the repair failed its callback — redo it, flagged and linked, by the same team."""
    data = load_data(event)
    ticket = session.get(Ticket, data["ticket_id"])
    if ticket is None:
        log.warning("reopened ticket unknown to dispatch", extra={"ticket_id": data["ticket_id"]})
        return
    ticket.closed_at = None
    if orders.open_orders_of(session, ticket.id):
        return  # an order is still open: it carries on
    previous = None
    if data.get("work_order_id"):
        previous = session.get(WorkOrder, data["work_order_id"])
    if previous is None:
        previous = session.scalar(
            select(WorkOrder)
            .where(WorkOrder.ticket_id == ticket.id, WorkOrder.status == "completed")
            .order_by(WorkOrder.completed_at.desc())
            .limit(1)
        )
    if previous is None:
        return
    already = session.scalar(
        select(WorkOrder.id)
        .where(WorkOrder.rework_of == previous.id, WorkOrder.status != "cancelled")
        .limit(1)
    )
    if already:
        return  # this failure already has its rework (a duplicated reopen)
    orders.create_order(
        session,
        ticket,
        session.get(Team, previous.team_id),
        actor="callback",
        rework_of=previous,
        correlation_id=event.correlation_id,
        note=f"rework: {data.get('reason') or 'reopened'}",
    )


def cancel_open_orders(session: Session, event: Event) -> None:
    data = load_data(event)
    ticket = session.get(Ticket, data["ticket_id"])
    if ticket is None:
        # Closed before its `ticket.opened` reached us: remember it, so a late opening creates no order.
        session.add(
            Ticket(
                id=data["ticket_id"],
                estate_id=event.estate,
                group_id=event.group,
                number=data["number"],
                kind="",
                category="",
                tags=[],
                location={},
                opened_at=data["closed_at"],
                closed_at=data["closed_at"],
                correlation_id=event.correlation_id,
            )
        )
        return
    ticket.closed_at = data["closed_at"]
    ticket.unrouted = False
    for order in orders.open_orders_of(session, ticket.id):
        orders.cancel(
            session, order, actor="intake", reason=f"ticket closed: {data.get('reason') or 'closed'}"
        )


def note_escalation(session: Session, event: Event) -> None:
    data = load_data(event)
    ticket = session.get(Ticket, data["ticket_id"])
    if ticket is None:
        return
    ticket.severity = data["severity"]
    for order in orders.open_orders_of(session, ticket.id):
        orders.log_step(
            session, order, "escalated", "intake", f"complaint now {data['severity']}: {data['reason']}"
        )


HANDLERS: dict[str, list[Handler]] = {
    "estate.registered": [keep_estate_copy, give_new_estate_default_teams],
    "estate.updated": [keep_estate_copy],
    "ticket.opened": [open_work_order],
    "ticket.reopened": [open_rework_order],
    "ticket.closed": [cancel_open_orders],
    "ticket.escalated": [note_escalation],
}
