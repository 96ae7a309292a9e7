"""Dispatch's HTTP API for work orders: lists, the unrouted queue, and every step on an order."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from services.dispatch import access, actions, orders
from services.dispatch.models import (
    Ticket,
    WorkOrder,
    WorkOrderStep,
)
from services.dispatch.schemas import (
    AppointmentSchema,
    CompleteSchema,
    ConsentSchema,
    PauseSchema,
    QuoteSchema,
    ReasonSchema,
    ReassignSchema,
    RouteTicketSchema,
    StepNoteSchema,
    UnroutedPageSchema,
    WorkOrderArgs,
    WorkOrderPageSchema,
    WorkOrderSchema,
)
from shared.pagination import PageArgs, paginate
from shared.privacy import mask_phone
from shared.problems import Problem
from shared.web import current_principal, current_session, roles_required

ESTATE_URL = "/dispatch/v1/estates/<estate>"
STAFF = access.STAFF
PLANNERS = ("supervisor", "manager", "admin")

work = Blueprint("dispatch-work-orders", __name__, url_prefix=ESTATE_URL, description="Work orders (派工单).")


# --- unrouted tickets ------------------------------------------------------------------------------
@work.route("/unrouted-tickets")
class Unrouted(MethodView):
    @roles_required(*STAFF)
    @work.arguments(PageArgs, location="query")
    @work.response(200, UnroutedPageSchema)
    def get(self, args, estate):
        """Tickets no routing rule matched: a supervisor routes them by hand."""
        stmt = select(Ticket).where(Ticket.unrouted.is_(True))
        return paginate(current_session(), stmt, [Ticket.opened_at, Ticket.id], args["limit"], args["cursor"])


@work.route("/unrouted-tickets/<ticket_id>/route")
class RouteTicket(MethodView):
    @roles_required(*PLANNERS)
    @work.arguments(RouteTicketSchema)
    @work.response(201, WorkOrderSchema)
    def post(self, body, estate, ticket_id):
        session = current_session()
        ticket = session.scalar(select(Ticket).where(Ticket.id == ticket_id))
        if ticket is None:
            raise Problem(404, "Ticket not found.")
        if not ticket.unrouted:
            raise Problem(409, "This ticket is not waiting to be routed.")
        team = orders.team_or_422(session, body["team_id"])
        order = orders.create_order(session, ticket, team, actor=current_principal().sub, note=body["note"])
        return order_view(session, order, steps=True), 201


# --- work orders -----------------------------------------------------------------------------------
def order_view(session, order: WorkOrder, *, steps: bool = False) -> dict:
    ticket = session.get(Ticket, order.ticket_id)
    full = access.shows_full_phone(current_principal(), order)
    phone = ticket.reporter_phone if full else mask_phone(ticket.reporter_phone)
    view = {
        **{
            c: getattr(order, c)
            for c in (
                "id",
                "number",
                "ticket_id",
                "team_id",
                "contractor_id",
                "technician",
                "status",
                "rework",
                "rework_of",
                "quote",
                "consent",
                "result",
                "materials",
                "fee",
                "resident_signed",
                "resident_rating",
                "cancel_reason",
                "assigned_at",
                "accepted_at",
                "arrived_at",
                "completed_at",
                "created_at",
                "updated_at",
            )
        },
        "estate": order.estate_id,
        "ticket_number": ticket.number,
        "kind": ticket.kind,
        "category": ticket.category,
        "due": {"arrive_by": order.arrive_by, "complete_by": order.complete_by},
        "paused": {"since": order.paused_at, "reason": order.pause_reason} if order.paused_at else None,
        "appointment": ticket.appointment,
        "location": ticket.location or {},
        "resident": {"name": ticket.reporter_name, "phone": phone, "phone_masked": not full},
    }
    if steps:
        rows = session.scalars(
            select(WorkOrderStep).where(WorkOrderStep.work_order_id == order.id).order_by(WorkOrderStep.id)
        ).all()
        view["steps"] = rows
    return view


def page_of(session, stmt, args):
    page = paginate(session, stmt, [WorkOrder.created_at, WorkOrder.id], args["limit"], args["cursor"])
    # One query for the page's tickets; order_view then finds each in the identity map.
    ticket_ids = {o.ticket_id for o in page["items"]}
    if ticket_ids:
        session.scalars(select(Ticket).where(Ticket.id.in_(ticket_ids))).all()
    return {"items": [order_view(session, o) for o in page["items"]], "next_cursor": page["next_cursor"]}


@work.route("/work-orders")
class WorkOrders(MethodView):
    @roles_required(*STAFF, "contractor")
    @work.arguments(WorkOrderArgs, location="query")
    @work.response(200, WorkOrderPageSchema)
    def get(self, args, estate):
        stmt = access.orders_in_estate(current_principal())
        for key in ("status", "team_id", "ticket_id", "rework"):
            if key in args:
                stmt = stmt.where(getattr(WorkOrder, key) == args[key])
        return page_of(current_session(), stmt, args)


def _order_in_estate(order_id: str) -> WorkOrder:
    stmt = access.orders_in_estate(current_principal()).where(WorkOrder.id == order_id)
    order = current_session().scalar(stmt)
    if order is None:
        raise Problem(404, "Work order not found.")
    return order


@work.route("/work-orders/<order_id>")
class OneWorkOrder(MethodView):
    @roles_required(*STAFF, "contractor")
    @work.response(200, WorkOrderSchema)
    def get(self, estate, order_id):
        return order_view(current_session(), _order_in_estate(order_id), steps=True)


ACTION_SCHEMAS = {
    "accept": StepNoteSchema,
    "arrive": StepNoteSchema,
    "complete": CompleteSchema,
    "decline": ReasonSchema,
    "reassign": ReassignSchema,
    "cancel": ReasonSchema,
    "pause": PauseSchema,
    "resume": StepNoteSchema,
    "appoint": AppointmentSchema,
    "quote": QuoteSchema,
    "consent": ConsentSchema,
}


ACTION_DOCS = {
    "accept": "Accept the order (接单); a technician taking it from the team's pool becomes its technician.",
    "arrive": "On site (到场): the arrival is checked against `due.arrive_by`; a pause ends here.",
    "complete": "Completed (完工): result, materials, fee, whether the resident signed and their rating.",
    "decline": "A contractor turns the order down, with a reason; the ticket goes back to the unrouted list.",
    "reassign": "Give the order to another team and/or technician, with a reason.",
    "cancel": "Cancel an open order, with a reason.",
    "pause": "Stop the clock while waiting on the resident or on parts, with the reason.",
    "resume": "Restart the clock; open deadlines move by the length of the pause.",
    "appoint": "Record the time agreed with the resident (预约); an in-unit repair is due on site then.",
    "quote": "Price a paid repair (有偿维修) from the estate's fee schedule.",
    "consent": "Record the resident's answer to the quote; a refusal closes the order with the reason.",
}


def action_view(blueprint: Blueprint, action: str, schema, load):
    class ActionView(MethodView):
        @blueprint.arguments(schema)
        @blueprint.response(200, WorkOrderSchema)
        def post(self, body, order_id, **_):
            session = current_session()
            order = load(order_id)
            actions.perform(session, order, action, body, current_principal())
            session.flush()
            return order_view(session, order, steps=True)

    ActionView.__name__ = f"{blueprint.name.replace('-', '_')}_{action}"
    ActionView.post.__doc__ = ACTION_DOCS[action]
    return ActionView


for _action, _schema in ACTION_SCHEMAS.items():
    work.route(f"/work-orders/<order_id>/{_action}")(action_view(work, _action, _schema, _order_in_estate))
