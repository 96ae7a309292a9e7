"""How a ticket is shown: each deadline met or breached, the phone masked for outsiders, the timeline."""

from __future__ import annotations

from sqlalchemy import select

from services.intake import domain
from services.intake.models import Ticket
from services.intake.privacy import shown_phone
from services.intake.tickets import reporter
from shared.db import utcnow
from shared.web import current_principal, current_session


def present_many(rows: list[Ticket], estate: str) -> list[dict]:
    ids = {t.duplicate_of for t in rows if t.duplicate_of}
    numbers = {}
    if ids:
        numbers = dict(
            current_session().execute(select(Ticket.id, Ticket.number).where(Ticket.id.in_(ids))).all()
        )
    return [present(t, estate, numbers) for t in rows]


def present(ticket: Ticket, estate: str, numbers: dict | None = None) -> dict:
    now = utcnow()
    if numbers is None:
        # Single ticket just changed in this request: reload its timeline with the new entries.
        current_session().flush()
        current_session().expire(ticket, ["timeline"])
    duplicate = None
    if ticket.duplicate_of:
        if numbers is None or ticket.duplicate_of not in numbers:
            numbers = {
                ticket.duplicate_of: current_session().scalar(
                    select(Ticket.number).where(Ticket.id == ticket.duplicate_of)
                )
            }
        duplicate = {"id": ticket.duplicate_of, "number": numbers.get(ticket.duplicate_of)}
    deadlines = {
        "first_reply": (ticket.first_reply_due, ticket.first_reply_at),
        "written_answer": (ticket.written_answer_due, ticket.written_answer_at),
        "resolve": (ticket.resolve_due, ticket.resolved_at),
    }
    if ticket.kind == "complaint" and ticket.resolve_due is not None:
        # Unresolved on the last day: the complainant must be told the progress (进度告知).
        met = ticket.resolved_at if ticket.resolved_at and ticket.resolved_at <= ticket.resolve_due else None
        deadlines["progress_notice"] = (ticket.resolve_due, ticket.progress_notice_at or met)
    sla_deadlines = {
        name: {"due": due, "met_at": met, "breached": domain.breached(due, met, now)}
        for name, (due, met) in deadlines.items()
        if due is not None
    }
    principal = current_principal()
    rep = reporter(ticket)
    if rep is not None:
        rep["phone"] = shown_phone(rep["phone"], principal, estate)
    return {
        "id": ticket.id,
        "number": ticket.number,
        "estate": ticket.estate_id,
        "kind": ticket.kind,
        "category": ticket.category,
        "channel": ticket.channel,
        "severity": ticket.severity,
        "urgent": ticket.urgent,
        "written": ticket.written,
        "anonymous": ticket.anonymous,
        "location": {"unit": ticket.unit_code, "area": ticket.area},
        "reporter": rep,
        "description": ticket.description,
        "tags": list(ticket.tags or []),
        "appointment": ticket.appointment,
        "status": ticket.status,
        "desk_outcome": ticket.desk_outcome,
        "first_responder": ticket.first_responder,
        "first_responder_name": ticket.first_responder_name,
        "duplicate_of": duplicate,
        "reopen_count": ticket.reopen_count,
        "subject_staff": list(ticket.subject_staff or []),
        "sla": {
            "first_reply_due": ticket.first_reply_due,
            "first_reply_at": ticket.first_reply_at,
            "written_answer_due": ticket.written_answer_due,
            "written_answer_at": ticket.written_answer_at,
            "resolve_due": ticket.resolve_due,
            "resolved_at": ticket.resolved_at,
            "progress_notice_at": ticket.progress_notice_at,
            "deadlines": sla_deadlines,
        },
        "overdue": any(d["breached"] and d["met_at"] is None for d in sla_deadlines.values()),
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "closed_at": ticket.closed_at,
        "timeline": [
            {"at": e.at, "type": e.type, "actor": e.actor, "note": e.note, "data": e.data}
            for e in ticket.timeline
        ],
    }
