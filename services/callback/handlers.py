"""Callback's event handlers, routed by event type.

Business events may arrive twice or out of order: every decision is keyed (one per work order, per
desk resolution, per resident moving in), so a repeat finds the decision already made.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.callback import domain, service
from services.callback.models import Callback, Estate, TicketFacts, Unit
from services.callback.policy import Work, month_of, select_rule
from shared.bus import Handler
from shared.estates import apply_estate_event
from shared.events import Event, load_data
from shared.workdays import start_of_day


def keep_estate_copy(session: Session, event: Event) -> None:
    apply_estate_event(session, Estate, event)


def _estate(session: Session, event: Event) -> Estate:
    estate = session.get(Estate, event.estate)
    if estate is None:
        # The estate's registration has not reached us yet: fail so the message is redelivered later.
        raise LookupError(f"estate {event.estate!r} is not known to callback yet")
    return estate


def _work(data: dict, **extra) -> Work:
    location = data.get("location") or {}
    return Work(
        kind=data["kind"],
        category=data["category"],
        severity=data.get("severity"),
        tags=tuple(data.get("tags") or ()),
        urgent=bool(data.get("urgent")),
        location="unit" if location.get("unit") else "area",
        **extra,
    )


def on_work_order_completed(session: Session, event: Event) -> None:
    """A completed work order (repair slip signed and rated): schedule its callback or skip it."""
    data = load_data(event)
    estate = _estate(session, event)
    policy = service.current_policy(session, estate.estate_id)
    work = _work(data, rework=data["rework"])
    rule = select_rule(policy.rules, work)
    facts = session.get(TicketFacts, (estate.estate_id, data["ticket_id"]))
    subject = service.Subject(
        key=f"wo:{data['work_order_id']}",
        work=work,
        done_at=data["completed_at"],
        ticket_id=data["ticket_id"],
        work_order_id=data["work_order_id"],
        unit=(data.get("location") or {}).get("unit"),
        mandatory=domain.mandatory_reason(
            bool(rule and rule.get("slip_mandatory")), data["resident_signed"], data["resident_rating"]
        ),
        slip_satisfied=data["resident_rating"] == "satisfied" and data["resident_signed"],
        anonymous=bool(facts and facts.anonymous),
    )
    service.decide(session, estate, subject, event.correlation_id)


def on_resolved_at_desk(session: Session, event: Event) -> None:
    """An inquiry answered or a complaint settled at the desk also follows the policy."""
    data = load_data(event)
    estate = _estate(session, event)
    resolved_at: datetime = data["resolved_at"]
    subject = service.Subject(
        # UTC, so a redelivery spelled with another offset is still the same resolution
        key=f"desk:{data['ticket_id']}:{resolved_at.astimezone(UTC).isoformat()}",
        work=_work(data),
        done_at=resolved_at,
        ticket_id=data["ticket_id"],
        unit=(data.get("location") or {}).get("unit"),
        resident_id=(data.get("reporter") or {}).get("resident_id"),
        anonymous=data.get("reporter") is None,
    )
    if data["outcome"] == "out_of_scope":
        # Outside property management's remit: the resident was told where to go; nothing to call back.
        service.decide(session, estate, subject, event.correlation_id, skip_reason="out_of_scope")
        return
    service.decide(session, estate, subject, event.correlation_id)


def on_ticket_opened(session: Session, event: Event) -> None:
    """Remember who to call back; a special service with a contract period gets its mid-contract callback."""
    data = load_data(event)
    estate = _estate(session, event)
    reporter = data.get("reporter") or None
    unit = (data.get("location") or {}).get("unit")
    facts = session.get(TicketFacts, (estate.estate_id, data["ticket_id"]))
    if facts is None:
        facts = TicketFacts(estate_id=estate.estate_id, ticket_id=data["ticket_id"], kind=data["kind"])
        session.add(facts)
    facts.anonymous, facts.reporter, facts.unit = data["anonymous"], reporter, unit
    # Callbacks scheduled before this event arrived (reordering) learn the resident now.
    for cb in session.scalars(select(Callback).where(Callback.ticket_id == data["ticket_id"])).all():
        if cb.resident_id is None and reporter:
            cb.resident_id = reporter.get("resident_id")
        cb.unit = cb.unit or unit
    appointment = data.get("appointment") or {}
    if data["kind"] == "special_service" and appointment.get("start") and appointment.get("end"):
        start = datetime.fromisoformat(appointment["start"])
        end = datetime.fromisoformat(appointment["end"])
        if end > start:
            service.decide(
                session,
                estate,
                service.Subject(
                    key=f"special:{data['ticket_id']}:mid",
                    work=_work(data),
                    done_at=start + (end - start) / 2,
                    ticket_id=data["ticket_id"],
                    unit=unit,
                    resident_id=(reporter or {}).get("resident_id"),
                    anonymous=data["anonymous"],
                ),
                event.correlation_id,
            )


def on_resident_moved_in(session: Session, event: Event) -> None:
    """A new resident gets the manager's visit within a month; the unit joins the routine plan."""
    data = load_data(event)
    estate = _estate(session, event)
    moved_in = (
        start_of_day(data["moved_in_on"], estate.timezone)
        if data.get("moved_in_on")
        else datetime.fromisoformat(event.occurred_at)
    )
    unit = session.get(Unit, (estate.estate_id, data["unit"]))
    if unit is None:
        load = {}
        for month in session.scalars(select(Unit.routine_month)).all():
            load[month] = load.get(month, 0) + 1
        preferred = int(month_of(moved_in, estate.timezone)[5:]) % 12 + 1
        unit = Unit(
            estate_id=estate.estate_id,
            code=data["unit"],
            routine_month=domain.assign_routine_month(load, preferred),
            occupied_since=moved_in.date(),
        )
        session.add(unit)
    unit.resident_id = data["resident_id"]
    service.decide(
        session,
        estate,
        service.Subject(
            key=f"resident:{data['resident_id']}",
            work=Work(kind="", category="", subject="new_resident"),
            done_at=moved_in,
            unit=data["unit"],
            resident_id=data["resident_id"],
            mandatory="new_resident",
        ),
        event.correlation_id,
    )


HANDLERS: dict[str, list[Handler]] = {
    "estate.registered": [keep_estate_copy],
    "estate.updated": [keep_estate_copy],
    "workorder.completed": [on_work_order_completed],
    "ticket.resolved_at_desk": [on_resolved_at_desk],
    "ticket.opened": [on_ticket_opened],
    "resident.moved_in": [on_resident_moved_in],
}
