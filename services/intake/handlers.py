"""Intake's event handlers, routed by event type: a ticket's status follows dispatch and callback.

Each handler loads the ticket's progress (work orders and callbacks seen), lets the domain apply
the event, and records the outcome on the timeline. Events may arrive late, out of order or twice
(with different ids): the domain ignores what would move a ticket backwards.
"""

from __future__ import annotations

import logging

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.intake.domain import TicketProgress
from services.intake.models import Estate, Ticket, Unit
from services.intake.schemas import LocationSchema
from services.intake.tickets import open_ticket, publish, record
from shared.bus import Handler
from shared.db import utcnow
from shared.events import CATEGORIES, KINDS, Event, load_data

log = logging.getLogger(__name__)
STEP_OF = {
    "workorder.assigned": "assigned",
    "workorder.accepted": "accepted",
    "workorder.arrived": "on_site",
    "workorder.completed": "completed",
}


def _load(session: Session, event: Event, data: dict) -> tuple[Estate, Ticket] | None:
    ticket_id = data.get("ticket_id")
    ticket = session.get(Ticket, ticket_id) if ticket_id else None
    estate = session.get(Estate, event.estate)
    if ticket is None or estate is None:
        log.warning(
            "event for a ticket intake does not know", extra={"type": event.type, "ticket": ticket_id}
        )
        return None
    return estate, ticket


def _progress(ticket: Ticket) -> TicketProgress:
    return TicketProgress.from_dict(ticket.status, ticket.reopen_count, ticket.progress)


def _save(ticket: Ticket, progress: TicketProgress) -> None:
    ticket.status = progress.status
    ticket.reopen_count = progress.reopen_count
    ticket.progress = progress.to_dict()
    ticket.updated_at = utcnow()


def on_work_order_step(session: Session, event: Event) -> None:
    data = load_data(event)
    found = _load(session, event, data)
    if found is None:
        return
    _estate, ticket = found
    progress = _progress(ticket)
    step = STEP_OF[event.type]
    changed = progress.work_order_step(data["work_order_id"], step, rework=data.get("rework", False))
    if step == "completed" and progress.status == "resolved" and ticket.resolved_at is None:
        ticket.resolved_at = data["completed_at"]
    _save(ticket, progress)
    record(
        session,
        ticket,
        f"work_order_{step}",
        event.producer,
        f"Work order {data.get('work_order_number') or data['work_order_id']}: {step}.",
        work_order_id=data["work_order_id"],
        status=changed,
        event_id=event.id,
    )


def on_work_order_reassigned(session: Session, event: Event) -> None:
    data = load_data(event)
    found = _load(session, event, data)
    if found is None:
        return
    _estate, ticket = found
    progress = _progress(ticket)
    changed = progress.work_order_reassigned(data["work_order_id"])
    _save(ticket, progress)
    record(
        session,
        ticket,
        "work_order_reassigned",
        event.producer,
        data.get("reason", ""),
        work_order_id=data["work_order_id"],
        team_id=data["team_id"],
        status=changed,
        event_id=event.id,
    )


def on_callback(session: Session, event: Event) -> None:
    """skipped / satisfied → closed (`ticket.closed`); unsatisfied → reopened (`ticket.reopened`)."""
    data = load_data(event)
    if event.type == "callback.completed" and data.get("new_issue"):
        _open_new_issue(session, event, data)
    found = _load(session, event, data)
    if found is None:
        return
    estate, ticket = found
    progress = _progress(ticket)
    if event.type == "callback.skipped":
        outcome = "skipped"
    elif event.type == "callback.failed":
        outcome = "failed"
    else:
        outcome = data["satisfaction"]
    happened = progress.callback_outcome(data["callback_id"], outcome)
    _save(ticket, progress)
    now = utcnow()
    note = {
        "skipped": f"Callback skipped ({data.get('reason', '')}).",
        "failed": f"Callback failed: resident unreachable after {data.get('attempts')} attempts.",
    }.get(outcome, f"Callback completed: {outcome}.")
    record(
        session,
        ticket,
        event.type.replace(".", "_"),
        event.producer,
        note,
        callback_id=data["callback_id"],
        outcome=outcome,
        status=happened,
        event_id=event.id,
    )
    if happened == "closed":
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
        publish(
            session,
            estate,
            "ticket.closed",
            {
                "ticket_id": ticket.id,
                "number": ticket.number,
                "reason": f"callback_{outcome}",
                "closed_at": now,
            },
            event.correlation_id,
        )
    elif happened == "reopened":
        ticket.resolved_at = None
        record(session, ticket, "reopened", "system", "The resident was not satisfied: reopened for rework.")
        publish(
            session,
            estate,
            "ticket.reopened",
            {
                "ticket_id": ticket.id,
                "number": ticket.number,
                "reason": "callback_unsatisfied",
                "callback_id": data["callback_id"],
                "work_order_id": data.get("work_order_id"),
                "reopen_count": ticket.reopen_count,
                "reopened_at": now,
            },
            event.correlation_id,
        )


def _open_new_issue(session: Session, event: Event, data: dict) -> None:
    """A new problem raised during a callback becomes its own ticket, channel `callback` (回访中新问题)."""
    if session.scalar(select(Ticket.id).where(Ticket.source_callback_id == data["callback_id"])):
        return  # the same callback reported twice
    estate = session.get(Estate, event.estate)
    issue = data["new_issue"]
    origin = session.get(Ticket, data["ticket_id"]) if data.get("ticket_id") else None
    place = _issue_location(session, issue.get("location"), origin)
    if (
        estate is None
        or place is None
        or issue.get("kind") not in KINDS
        or issue.get("category") not in CATEGORIES
    ):
        log.warning("callback new issue cannot be opened", extra={"callback": data["callback_id"]})
        if origin is not None:
            record(session, origin, "new_issue_unreadable", event.producer, str(issue)[:2000])
        return
    fields = {
        "kind": issue["kind"],
        "category": issue["category"],
        "channel": "callback",
        "description": str(issue.get("description") or "")[:5000],
        "unit_code": place[0],
        "area": place[1],
        "anonymous": bool(origin.anonymous) if origin else False,
        "reporter_name": origin.reporter_name if origin else None,
        "reporter_phone": origin.reporter_phone if origin else None,
        "resident_id": origin.resident_id if origin else None,
        "tags": [],
        "source_callback_id": data["callback_id"],
    }
    ticket = open_ticket(
        session,
        estate,
        fields=fields,
        actor=f"callback:{data['callback_id']}",
        actor_name=None,
        correlation_id=event.correlation_id,
        note=f"Raised during callback {data['callback_id']}" + (f" on {origin.number}." if origin else "."),
    )
    if origin is not None:
        record(
            session,
            origin,
            "new_issue_opened",
            event.producer,
            f"New ticket {ticket.number}.",
            ticket_id=ticket.id,
        )


def _issue_location(session: Session, given, origin: Ticket | None) -> tuple[str | None, str | None] | None:
    """(unit, area) of a callback's new issue: as given, else where the original ticket was."""
    if not given:
        return (origin.unit_code, origin.area) if origin else None
    try:
        place = LocationSchema().load(given)
    except ValidationError:
        return None
    unit = place["unit"]
    if unit and not session.scalar(select(Unit.id).where(Unit.code == unit)):
        # Better an imprecise location than a lost complaint: keep the unit's name as the area.
        return None, f"Unit {unit} (not on file)"
    return unit, place["area"]


HANDLERS: dict[str, list[Handler]] = {
    "workorder.assigned": [on_work_order_step],
    "workorder.accepted": [on_work_order_step],
    "workorder.arrived": [on_work_order_step],
    "workorder.completed": [on_work_order_step],
    "workorder.reassigned": [on_work_order_reassigned],
    "callback.skipped": [on_callback],
    "callback.completed": [on_callback],
    "callback.failed": [on_callback],
}
