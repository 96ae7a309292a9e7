"""Tickets over HTTP: take, list, read, reply, escalate, resolve at the desk. Thin views."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import and_, or_, select

from services.intake import domain
from services.intake.directory import estate_or_404, unit_by_code
from services.intake.models import Resident, Ticket
from services.intake.presenters import present, present_many
from services.intake.schemas import (
    EscalationCreateSchema,
    ReplyCreateSchema,
    ResolutionCreateSchema,
    TicketCreateSchema,
    TicketListArgs,
    TicketSchema,
)
from services.intake.tickets import escalate, open_ticket, reply, resolve_at_desk
from shared.db import utcnow
from shared.pagination import page_schema, paginate
from shared.problems import Problem
from shared.web import current_principal, current_session, roles_required

DESK = ("agent", "supervisor", "manager")
APPOINTMENT_GRACE = timedelta(minutes=1)

tickets = Blueprint(
    "tickets",
    __name__,
    url_prefix="/intake/v1/estates/<estate>/tickets",
    description="Tickets taken at the front desk (受理): repairs, complaints, inquiries…",
)


@tickets.route("")
class Tickets(MethodView):
    @tickets.arguments(TicketListArgs, location="query")
    @tickets.response(200, page_schema(TicketSchema))
    def get(self, args, estate):
        """Tickets newest first, filtered by status, kind, category, severity, unit, overdue, dates, text."""
        stmt = select(Ticket)
        for name, column in (
            ("status", Ticket.status),
            ("kind", Ticket.kind),
            ("category", Ticket.category),
            ("severity", Ticket.severity),
            ("unit", Ticket.unit_code),
        ):
            if args[name] is not None:
                stmt = stmt.where(column == args[name])
        if args["created_from"]:
            stmt = stmt.where(Ticket.created_at >= args["created_from"])
        if args["created_to"]:
            stmt = stmt.where(Ticket.created_at < args["created_to"])
        if args["q"]:
            escaped = args["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            like = f"%{escaped}%"
            stmt = stmt.where(
                or_(
                    Ticket.description.ilike(like, escape="\\"),
                    Ticket.number.ilike(like, escape="\\"),
                    Ticket.reporter_name.ilike(like, escape="\\"),
                    Ticket.area.ilike(like, escape="\\"),
                )
            )
        if args["overdue"] is not None:
            stmt = stmt.where(_overdue_clause(utcnow(), args["overdue"]))
        page = paginate(
            current_session(), stmt, [Ticket.created_at, Ticket.id], args["limit"], args["cursor"]
        )
        page["items"] = present_many(page["items"], estate)
        return page

    @roles_required(*DESK)
    @tickets.arguments(TicketCreateSchema)
    @tickets.response(201, TicketSchema)
    def post(self, body, estate):
        """Take a ticket. The caller is its first responder (首问负责人)."""
        session = current_session()
        row = estate_or_404(estate)
        fields = _ticket_fields(body)
        principal = current_principal()
        ticket = open_ticket(session, row, fields=fields, actor=principal.sub, actor_name=principal.name)
        return present(ticket, estate), 201, {"Location": f"/intake/v1/estates/{estate}/tickets/{ticket.id}"}


def _overdue_clause(now: datetime, overdue: bool):
    """A deadline passed and not met — spelled out both ways, as NOT over NULLs would be NULL."""
    pairs = (
        (Ticket.first_reply_due, Ticket.first_reply_at),
        (Ticket.written_answer_due, Ticket.written_answer_at),
        (Ticket.resolve_due, Ticket.resolved_at),
    )
    if overdue:
        return or_(*(and_(met.is_(None), due < now) for due, met in pairs))
    return and_(*(or_(met.is_not(None), due.is_(None), due >= now) for due, met in pairs))


def _ticket_fields(body: dict) -> dict:
    """Check what the schema cannot (the unit and resident exist here) and map the body to columns."""
    errors: dict[str, list[str]] = {}
    unit_code = body["location"]["unit"]
    if unit_code and unit_by_code(unit_code) is None:
        errors["location"] = [f"Unit {unit_code!r} is not in this estate."]
    rep = body["reporter"] or {}
    resident = None
    if rep.get("resident_id"):
        resident = current_session().get(Resident, rep["resident_id"])
        if resident is None:
            errors["reporter"] = ["Unknown resident."]
    appointment = body["appointment"]
    if appointment and appointment["start"] < utcnow() - APPOINTMENT_GRACE:
        errors["appointment"] = ["The appointment is in the past."]
    if errors:
        raise Problem(422, "The ticket cannot be taken as given.", errors=errors)
    return {
        "kind": body["kind"],
        "category": body["category"],
        "channel": body["channel"],
        "description": body["description"],
        "unit_code": unit_code,
        "area": body["location"]["area"],
        "anonymous": body["anonymous"],
        "reporter_name": rep.get("name") or (resident.name if resident else None),
        "reporter_phone": rep.get("phone") or (resident.phone if resident else None),
        "resident_id": resident.id if resident else None,
        "severity": body["severity"],
        "urgent": body["urgent"],
        "written": body["written"],
        "tags": sorted(set(body["tags"])),
        "appointment": (
            {"start": appointment["start"].isoformat(), "end": appointment["end"].isoformat()}
            if appointment
            else None
        ),
        "subject_staff": body["subject_staff"],
    }


def _ticket_or_404(ticket_id: str) -> Ticket:
    ticket = current_session().get(Ticket, ticket_id)
    if ticket is None:
        raise Problem(404, "Ticket not found.")
    return ticket


def _changeable(ticket: Ticket) -> Ticket:
    """Staff named in a complaint may not touch its record (用户投诉处理注意事项)."""
    if ticket.kind == "complaint" and current_principal().sub in (ticket.subject_staff or []):
        raise Problem(403, "You are named in this complaint and cannot change it.")
    return ticket


@tickets.route("/<ticket_id>")
class OneTicket(MethodView):
    @tickets.response(200, TicketSchema)
    def get(self, estate, ticket_id):
        return present(_ticket_or_404(ticket_id), estate)


@tickets.route("/<ticket_id>/replies")
class Replies(MethodView):
    @roles_required(*DESK)
    @tickets.arguments(ReplyCreateSchema)
    @tickets.response(201, TicketSchema)
    def post(self, body, estate, ticket_id):
        """Answer the reporter: the first reply, a written answer, or a progress notice (进度告知)."""
        session = current_session()
        ticket = _changeable(_ticket_or_404(ticket_id))
        if ticket.status == "closed":
            raise Problem(409, "The ticket is closed.")
        principal = current_principal()
        reply(
            session,
            estate_or_404(estate),
            ticket,
            message=body["message"],
            channel=body["channel"],
            written=body["written"],
            actor=principal.sub,
            actor_name=principal.name,
        )
        return present(ticket, estate), 201


@tickets.route("/<ticket_id>/escalations")
class Escalations(MethodView):
    @roles_required(*DESK)
    @tickets.arguments(EscalationCreateSchema)
    @tickets.response(201, TicketSchema)
    def post(self, body, estate, ticket_id):
        """Classify a complaint major/important/minor; a major one goes to the estate manager."""
        ticket = _changeable(_ticket_or_404(ticket_id))
        if ticket.kind != "complaint":
            raise Problem(409, "Only complaints have a severity.")
        if ticket.status == "closed":
            raise Problem(409, "The ticket is closed.")
        if ticket.severity == body["severity"]:
            raise Problem(409, f"The complaint is already {body['severity']}.")
        escalate(
            current_session(),
            estate_or_404(estate),
            ticket,
            body["severity"],
            ticket.severity,
            body["reason"],
            current_principal().sub,
        )
        return present(ticket, estate), 201


@tickets.route("/<ticket_id>/resolution")
class Resolution(MethodView):
    @roles_required(*DESK)
    @tickets.arguments(ResolutionCreateSchema)
    @tickets.response(201, TicketSchema)
    def post(self, body, estate, ticket_id):
        """Resolve at the desk: answered at once, unfounded (explained) or out of scope (told where to go)."""
        session = current_session()
        ticket = _changeable(_ticket_or_404(ticket_id))
        has_orders = bool((ticket.progress or {}).get("work_orders"))
        refusal = domain.resolution_allowed(ticket.kind, body["outcome"], ticket.status, has_orders)
        if refusal:
            raise Problem(409, refusal)
        resolve_at_desk(
            session, estate_or_404(estate), ticket, body["outcome"], body["note"], current_principal().sub
        )
        return present(ticket, estate), 201
