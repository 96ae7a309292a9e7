"""Dispatch's HTTP API. Thin: parse → load → domain (actions/orders) → save → outbox."""

from __future__ import annotations

import base64
import secrets
from datetime import timedelta

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import delete, select

from services.dispatch import access, actions, domain, orders
from services.dispatch.models import (
    Contractor,
    Estate,
    RoutingRule,
    Team,
    Ticket,
    WebhookDelivery,
    WorkOrder,
    WorkOrderStep,
)
from services.dispatch.schemas import (
    AppointmentSchema,
    CompleteSchema,
    ConsentSchema,
    ContractorCreateSchema,
    ContractorListSchema,
    ContractorOrderArgs,
    ContractorSchema,
    ContractorSecretSchema,
    ContractorUpdateSchema,
    DeliveryArgs,
    DeliveryPageSchema,
    DeliverySchema,
    FeeScheduleSchema,
    PauseSchema,
    QuoteSchema,
    ReasonSchema,
    ReassignSchema,
    RotateSecretSchema,
    RouteTicketSchema,
    RoutingSchema,
    SettingsSchema,
    StepNoteSchema,
    TeamCreateSchema,
    TeamListSchema,
    TeamSchema,
    TeamUpdateSchema,
    UnroutedPageSchema,
    WorkOrderArgs,
    WorkOrderPageSchema,
    WorkOrderSchema,
)
from shared.db import utcnow
from shared.estates import estates_blueprint
from shared.pagination import PageArgs, paginate
from shared.problems import Problem
from shared.web import current_principal, current_session, roles_required

ESTATE_URL = "/dispatch/v1/estates/<estate>"
STAFF = access.STAFF
PLANNERS = ("supervisor", "manager", "admin")

setup = Blueprint(
    "dispatch-setup", __name__, url_prefix=ESTATE_URL, description="Teams, routing, settings, fees."
)
work = Blueprint("dispatch-work-orders", __name__, url_prefix=ESTATE_URL, description="Work orders (派工单).")
companies = Blueprint(
    "dispatch-contractors", __name__, url_prefix="/dispatch/v1", description="Contractors and their webhooks."
)


# --- teams ---------------------------------------------------------------------------------------
@setup.route("/teams")
class Teams(MethodView):
    @roles_required(*STAFF)
    @setup.response(200, TeamListSchema)
    def get(self, estate):
        rows = current_session().scalars(select(Team).order_by(Team.created_at, Team.id)).all()
        return {"items": rows, "next_cursor": None}

    @roles_required(*PLANNERS)
    @setup.arguments(TeamCreateSchema)
    @setup.response(201, TeamSchema)
    def post(self, body, estate):
        """A team of this estate; with `contractor_id`, a contractor linked to the estate (external team)."""
        session = current_session()
        if body["contractor_id"]:
            contractor = session.get(Contractor, body["contractor_id"])
            if contractor is None or contractor.group_id != current_principal().group:
                raise Problem(422, "Unknown contractor.", errors={"contractor_id": ["No such contractor."]})
        if session.scalar(select(Team.id).where(Team.name == body["name"])):
            raise Problem(409, f"A team named {body['name']!r} already exists in this estate.")
        team = Team(estate_id=estate, **body)
        session.add(team)
        session.flush()
        return team, 201, {"Location": f"/dispatch/v1/estates/{estate}/teams/{team.id}"}


@setup.route("/teams/<team_id>")
class OneTeam(MethodView):
    @roles_required(*STAFF)
    @setup.response(200, TeamSchema)
    def get(self, estate, team_id):
        return _team(team_id)

    @roles_required(*PLANNERS)
    @setup.arguments(TeamUpdateSchema)
    @setup.response(200, TeamSchema)
    def patch(self, body, estate, team_id):
        team = _team(team_id)
        for key, value in body.items():
            setattr(team, key, value)
        return team


def _team(team_id: str) -> Team:
    team = current_session().scalar(select(Team).where(Team.id == team_id))
    if team is None:
        raise Problem(404, "Team not found.")
    return team


# --- routing ---------------------------------------------------------------------------------------
def _routing_view(session):
    rows = session.scalars(select(RoutingRule).order_by(RoutingRule.position)).all()
    return {
        "rules": [
            {"category": r.category, "kind": r.kind, "tags": r.tags or [], "team_id": r.team_id} for r in rows
        ]
    }


@setup.route("/routing")
class Routing(MethodView):
    @roles_required(*STAFF)
    @setup.response(200, RoutingSchema)
    def get(self, estate):
        return _routing_view(current_session())

    @roles_required(*PLANNERS)
    @setup.arguments(RoutingSchema)
    @setup.response(200, RoutingSchema)
    def put(self, body, estate):
        """Replace the estate's routing table: (kind, category, tags) → team; the most specific rule wins."""
        session = current_session()
        teams = set(session.scalars(select(Team.id)).all())
        errors = {
            str(i): {"team_id": ["No such team in this estate."]}
            for i, rule in enumerate(body["rules"])
            if rule["team_id"] not in teams
        }
        if errors:
            raise Problem(422, "Unknown team in the routing table.", errors={"rules": errors})
        session.execute(delete(RoutingRule).where(RoutingRule.estate_id == estate))
        for position, rule in enumerate(body["rules"]):
            session.add(RoutingRule(estate_id=estate, position=position, **rule))
        session.flush()
        return _routing_view(session)


# --- settings and fee schedule ---------------------------------------------------------------------
def _estate(session, estate_id) -> Estate:
    return session.get(Estate, estate_id)


@setup.route("/settings")
class Settings(MethodView):
    @roles_required(*STAFF)
    @setup.response(200, SettingsSchema)
    def get(self, estate):
        return orders.settings_of(_estate(current_session(), estate)).as_dict()

    @roles_required("manager", "admin")
    @setup.arguments(SettingsSchema)
    @setup.response(200, SettingsSchema)
    def put(self, body, estate):
        """Per-estate deadlines; what is left out keeps the DOMAIN.md default."""
        row = _estate(current_session(), estate)
        row.settings = {**(row.settings or {}), **body}
        return orders.settings_of(row).as_dict()


@setup.route("/fee-schedule")
class FeeSchedule(MethodView):
    @roles_required(*STAFF, "contractor")
    @setup.response(200, FeeScheduleSchema)
    def get(self, estate):
        schedule = _estate(current_session(), estate).fee_schedule or {}
        return {"items": [{"code": c, **v} for c, v in sorted(schedule.items())]}

    @roles_required("manager", "admin")
    @setup.arguments(FeeScheduleSchema)
    @setup.response(200, FeeScheduleSchema)
    def put(self, body, estate):
        """The estate's paid-repair fee schedule (有偿维修收费标准)."""
        row = _estate(current_session(), estate)
        row.fee_schedule = {i["code"]: {"name": i["name"], "amount": str(i["amount"])} for i in body["items"]}
        return {"items": [{"code": c, **v} for c, v in sorted(row.fee_schedule.items())]}


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
    phone = ticket.reporter_phone if full else domain.mask_phone(ticket.reporter_phone)
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


def _page(session, stmt, args):
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
        return _page(current_session(), stmt, args)


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


def _action_view(blueprint: Blueprint, action: str, schema, load):
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
    work.route(f"/work-orders/<order_id>/{_action}")(_action_view(work, _action, _schema, _order_in_estate))


# --- contractors -----------------------------------------------------------------------------------
def _new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _contractor(contractor_id: str) -> Contractor:
    row = current_session().get(Contractor, contractor_id)
    if row is None or row.group_id != current_principal().group:
        raise Problem(404, "Contractor not found.")
    return row


@companies.route("/contractors")
class Contractors(MethodView):
    @roles_required("admin", "supervisor", "manager", "head_office")
    @companies.response(200, ContractorListSchema)
    def get(self):
        rows = (
            current_session()
            .scalars(
                select(Contractor)
                .where(Contractor.group_id == current_principal().group)
                .order_by(Contractor.name)
            )
            .all()
        )
        return {"items": rows, "next_cursor": None}

    @roles_required("admin")
    @companies.arguments(ContractorCreateSchema)
    @companies.response(201, ContractorSecretSchema)
    def post(self, body):
        """A contractor company of the group; the webhook secret is in this response only."""
        session = current_session()
        group = current_principal().group
        if session.scalar(
            select(Contractor.id).where(Contractor.group_id == group, Contractor.name == body["name"])
        ):
            raise Problem(409, f"A contractor named {body['name']!r} already exists.")
        row = Contractor(
            group_id=group, name=body["name"], webhook_url=body["webhook_url"], webhook_secret=_new_secret()
        )
        session.add(row)
        session.flush()
        return _with_secret(row), 201, {"Location": f"/dispatch/v1/contractors/{row.id}"}


def _with_secret(row: Contractor) -> dict:
    return {
        **ContractorSchema().dump(row),
        "webhook_secret": row.webhook_secret,
        "previous_secret_valid_until": row.previous_secret_until,
        "created_at": row.created_at,
    }


@companies.route("/contractors/<contractor_id>")
class OneContractor(MethodView):
    @roles_required("admin", "supervisor", "manager", "head_office")
    @companies.response(200, ContractorSchema)
    def get(self, contractor_id):
        return _contractor(contractor_id)

    @roles_required("admin")
    @companies.arguments(ContractorUpdateSchema)
    @companies.response(200, ContractorSchema)
    def patch(self, body, contractor_id):
        row = _contractor(contractor_id)
        for key, value in body.items():
            setattr(row, key, value)
        return row


@companies.route("/contractors/<contractor_id>/rotate-secret")
class RotateSecret(MethodView):
    @roles_required("admin")
    @companies.arguments(RotateSecretSchema)
    @companies.response(200, ContractorSecretSchema)
    def post(self, body, contractor_id):
        """A new secret, shown once; deliveries are signed with both until the overlap ends."""
        row = _contractor(contractor_id)
        row.previous_secret = row.webhook_secret
        row.previous_secret_until = utcnow() + timedelta(hours=body["overlap_hours"])
        row.webhook_secret = _new_secret()
        return _with_secret(row)


@companies.route("/contractors/<contractor_id>/deliveries")
class Deliveries(MethodView):
    @roles_required("admin")
    @companies.arguments(DeliveryArgs, location="query")
    @companies.response(200, DeliveryPageSchema)
    def get(self, args, contractor_id):
        """The delivery log of the contractor's endpoint: status, attempts, last response code."""
        row = _contractor(contractor_id)
        stmt = select(WebhookDelivery).where(WebhookDelivery.contractor_id == row.id)
        if "status" in args:
            stmt = stmt.where(WebhookDelivery.status == args["status"])
        keys = [WebhookDelivery.created_at, WebhookDelivery.id]
        return paginate(current_session(), stmt, keys, args["limit"], args["cursor"])


@companies.route("/contractors/<contractor_id>/deliveries/<delivery_id>/replay")
class Replay(MethodView):
    @roles_required("admin")
    @companies.response(200, DeliverySchema)
    def post(self, contractor_id, delivery_id):
        """Send a delivery again (e.g. after the contractor fixed its endpoint)."""
        row = _contractor(contractor_id)
        delivery = current_session().scalar(
            select(WebhookDelivery).where(
                WebhookDelivery.id == delivery_id, WebhookDelivery.contractor_id == row.id
            )
        )
        if delivery is None:
            raise Problem(404, "Delivery not found.")
        delivery.status = "pending"
        delivery.next_attempt_at = utcnow()
        delivery.first_attempt_at = None
        return delivery


# --- the contractor's own view ----------------------------------------------------------------------
def _contractor_order(order_id: str) -> WorkOrder:
    session = current_session()
    order = session.scalar(
        access.contractor_orders(session, current_principal()).where(WorkOrder.id == order_id)
    )
    if order is None:
        raise Problem(404, "Work order not found.")
    return order


@companies.route("/contractor/work-orders")
class ContractorWorkOrders(MethodView):
    @roles_required("contractor")
    @companies.arguments(ContractorOrderArgs, location="query")
    @companies.response(200, WorkOrderPageSchema)
    def get(self, args):
        """The caller's company's orders in every estate it serves."""
        session = current_session()
        stmt = access.contractor_orders(session, current_principal())
        if "status" in args:
            stmt = stmt.where(WorkOrder.status == args["status"])
        return _page(session, stmt, args)


@companies.route("/contractor/work-orders/<order_id>")
class ContractorOneWorkOrder(MethodView):
    @roles_required("contractor")
    @companies.response(200, WorkOrderSchema)
    def get(self, order_id):
        return order_view(current_session(), _contractor_order(order_id), steps=True)


for _action in ("accept", "arrive", "complete", "decline", "pause", "resume", "appoint", "quote", "consent"):
    companies.route(f"/contractor/work-orders/<order_id>/{_action}")(
        _action_view(companies, _action, ACTION_SCHEMAS[_action], _contractor_order)
    )


def blueprints() -> list:
    from services.dispatch.models import Estate as _Estate

    return [estates_blueprint("dispatch", _Estate), setup, work, companies]
