"""Ticket operations shared by the HTTP views and the event handlers: numbering, opening, the timeline,
and the events that go with each change (written to the outbox in the caller's transaction).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from services.intake import domain
from services.intake.models import Estate, Ticket, TicketCounter, TimelineEntry, platform
from shared import bus
from shared.db import utcnow
from shared.workdays import calendar, local_date


def next_number(session: Session, estate: Estate, at: datetime) -> str:
    """`<estate code>-<year>-<seq>`: one atomic upsert on the (estate, year) counter row.

    The row stays locked until the creating transaction ends, so concurrent creations queue up
    behind it: numbers are never shared, and a rolled-back creation gives its number back.
    """
    year = local_date(at, estate.timezone).year
    table = TicketCounter.__table__
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(table)
        .values(estate_id=estate.estate_id, year=year, last=1)
        .on_conflict_do_update(index_elements=["estate_id", "year"], set_={"last": table.c.last + 1})
        .returning(table.c.last)
    )
    seq = session.execute(stmt).scalar_one()
    return f"{estate.code}-{year}-{seq:05d}"


def record(session: Session, ticket: Ticket, type: str, actor: str, note: str = "", **data) -> None:
    session.add(
        TimelineEntry(
            estate_id=ticket.estate_id,
            ticket_id=ticket.id,
            at=utcnow(),
            type=type,
            actor=actor,
            note=note or "",
            data=_jsonable(data),
        )
    )


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def publish(session: Session, estate: Estate, type: str, data: dict, correlation_id: str | None = None):
    bus.emit_for(session, platform, estate, type, data, producer="intake", correlation_id=correlation_id)


def facts(ticket: Ticket) -> dict:
    return {
        "ticket_id": ticket.id,
        "kind": ticket.kind,
        "category": ticket.category,
        "severity": ticket.severity,
        "urgent": ticket.urgent,
        "tags": list(ticket.tags or []),
        "location": {"unit": ticket.unit_code, "area": ticket.area},
    }


def reporter(ticket: Ticket) -> dict | None:
    if ticket.anonymous:
        return None
    return {"name": ticket.reporter_name, "phone": ticket.reporter_phone, "resident_id": ticket.resident_id}


def find_duplicate(
    session: Session, estate: Estate, unit_code: str | None, category: str, now
) -> Ticket | None:
    """The open ticket for the same unit and category within the estate's window, if any."""
    if not unit_code:
        return None
    hours = int(domain.deadline_settings(estate.settings.get("deadlines"))["duplicate_window_hours"])
    return session.scalars(
        select(Ticket)
        .where(
            Ticket.unit_code == unit_code,
            Ticket.category == category,
            Ticket.status.in_(domain.OPEN_STATUSES),
            Ticket.created_at >= now - timedelta(hours=hours),
        )
        .order_by(Ticket.created_at.asc())
        .limit(1)
    ).first()


def open_ticket(
    session: Session,
    estate: Estate,
    *,
    fields: dict,
    actor: str,
    actor_name: str | None,
    correlation_id: str | None = None,
    note: str = "",
) -> Ticket:
    """Number the ticket, compute its deadlines, link a duplicate, record it and emit `ticket.opened`.

    `fields` holds the validated columns (kind, category, channel, unit_code/area, reporter…).
    """
    now = utcnow()
    deadlines = domain.compute_deadlines(
        kind=fields["kind"],
        channel=fields["channel"],
        written=fields.get("written", False),
        urgent=fields.get("urgent", False),
        opened_at=now,
        tz=estate.timezone,
        cal=calendar(estate.calendar),
        settings=estate.settings.get("deadlines"),
    )
    duplicate = find_duplicate(session, estate, fields.get("unit_code"), fields["category"], now)
    ticket = Ticket(
        estate_id=estate.estate_id,
        number=next_number(session, estate, now),
        status="open",
        first_responder=actor,
        first_responder_name=actor_name,
        duplicate_of=duplicate.id if duplicate else None,
        written=domain.is_written(fields["channel"], fields.get("written", False)),
        created_at=now,
        updated_at=now,
        reopen_count=0,
        progress={},
        **{k: v for k, v in fields.items() if k != "written"},
        **deadlines.as_dict(),
    )
    session.add(ticket)
    session.flush()
    record(session, ticket, "opened", actor, note, number=ticket.number, channel=ticket.channel)
    if ticket.severity:
        record(session, ticket, "severity_set", actor, "", severity=ticket.severity)
    if duplicate is not None:
        record(session, ticket, "duplicate_linked", actor, f"Same unit and category as {duplicate.number}.")
        record(
            session,
            duplicate,
            "duplicate_reported",
            actor,
            f"Reported again as {ticket.number}.",
            ticket_id=ticket.id,
        )
    publish(
        session,
        estate,
        "ticket.opened",
        {
            **facts(ticket),
            "number": ticket.number,
            "channel": ticket.channel,
            "description": ticket.description,
            "anonymous": ticket.anonymous,
            "written": ticket.written,
            "reporter": reporter(ticket),
            "appointment": ticket.appointment,
            "first_responder": ticket.first_responder,
            "opened_at": now,
            "first_reply_due": ticket.first_reply_due,
            "resolve_due": ticket.resolve_due,
            "duplicate_of": ticket.duplicate_of,
            "written_answer_due": ticket.written_answer_due,
        },
        correlation_id,
    )
    if ticket.severity == "major":
        escalate(session, estate, ticket, "major", None, "Major complaint at intake.", actor, correlation_id)
    return ticket


def escalate(
    session: Session,
    estate: Estate,
    ticket: Ticket,
    severity: str,
    previous: str | None,
    reason: str,
    actor: str,
    correlation_id: str | None = None,
    automatic: bool = False,
) -> None:
    """Record a severity change and emit `ticket.escalated`; a major one goes to the estate manager."""
    ticket.severity = severity
    ticket.updated_at = utcnow()
    escalated_to = "manager" if severity == "major" else None
    record(
        session,
        ticket,
        "escalated",
        actor,
        reason,
        severity=severity,
        previous_severity=previous,
        automatic=automatic,
        escalated_to=escalated_to,
    )
    publish(
        session,
        estate,
        "ticket.escalated",
        {
            "ticket_id": ticket.id,
            "number": ticket.number,
            "severity": severity,
            "previous_severity": previous,
            "reason": reason,
            "automatic": automatic,
            "escalated_to": escalated_to,
        },
        correlation_id,
    )


def age_complaints(session: Session, estate: Estate, now: datetime) -> list[str]:
    """Make every valid complaint unresolved for a month major (重大投诉); return their numbers."""
    settings = estate.settings.get("deadlines")
    days = int(domain.deadline_settings(settings)["major_after_days"])
    candidates = session.scalars(
        select(Ticket).where(
            Ticket.kind == "complaint",
            Ticket.status.in_(domain.OPEN_STATUSES),
            Ticket.created_at <= now - timedelta(days=days),
        )
    ).all()
    aged = []
    for ticket in candidates:
        if domain.ages_into_major(
            kind=ticket.kind,
            severity=ticket.severity,
            status=ticket.status,
            desk_outcome=ticket.desk_outcome,
            opened_at=ticket.created_at,
            now=now,
            settings=settings,
        ):
            escalate(
                session,
                estate,
                ticket,
                "major",
                ticket.severity,
                f"Unresolved for {days} days: a major complaint now.",
                "system",
                automatic=True,
            )
            aged.append(ticket.number)
    return aged


def reply(
    session: Session,
    estate: Estate,
    ticket: Ticket,
    *,
    message: str,
    channel: str,
    written: bool,
    actor: str,
    actor_name: str | None,
) -> None:
    """Answer the reporter: the first reply, a written answer, or a progress notice (进度告知)."""
    now = utcnow()
    first = ticket.first_reply_at is None
    written = written or channel == "letter"
    progress = not first and ticket.resolved_at is None
    if first:
        ticket.first_reply_at = now
    if written and ticket.written_answer_at is None:
        ticket.written_answer_at = now
    if progress and ticket.progress_notice_at is None:
        ticket.progress_notice_at = now
    ticket.updated_at = now
    kind = "first_reply" if first else ("progress_notice" if progress else "reply")
    record(
        session,
        ticket,
        "replied",
        actor,
        message,
        reply=kind,
        channel=channel,
        written=written,
        author_name=actor_name,
    )
    on_time = None
    if first and ticket.first_reply_due is not None:
        on_time = now <= ticket.first_reply_due
    publish(
        session,
        estate,
        "ticket.replied",
        {
            "ticket_id": ticket.id,
            "number": ticket.number,
            "first": first,
            "channel": channel,
            "written": written,
            "replied_at": now,
            "on_time": on_time,
            "progress": progress,
        },
    )


def resolve_at_desk(
    session: Session, estate: Estate, ticket: Ticket, outcome: str, note: str, actor: str
) -> None:
    """Answered at once, unfounded (explained) or out of scope (told where to go): resolved at the desk.

    The resident has had an answer, so this also counts as the first reply; callback decides
    whether to call back (then the ticket closes from its events).
    """
    now = utcnow()
    ticket.status = "resolved"
    ticket.desk_outcome = outcome
    ticket.resolved_at = now
    ticket.first_reply_at = ticket.first_reply_at or now
    ticket.updated_at = now
    record(session, ticket, "resolved_at_desk", actor, note, outcome=outcome)
    publish(
        session,
        estate,
        "ticket.resolved_at_desk",
        {
            **facts(ticket),
            "number": ticket.number,
            "outcome": outcome,
            "note": note,
            "resolved_at": now,
            "reporter": reporter(ticket),
        },
    )
