"""Dispatch's HTTP API for contractors: companies, webhook secrets and deliveries, and the
contractor users' own view of their orders across estates."""

from __future__ import annotations

import base64
import secrets
from datetime import timedelta

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from services.dispatch import access
from services.dispatch.api_orders import ACTION_SCHEMAS, action_view, order_view, page_of
from services.dispatch.models import Contractor, WebhookDelivery, WorkOrder
from services.dispatch.schemas import (
    ContractorCreateSchema,
    ContractorListSchema,
    ContractorOrderArgs,
    ContractorSchema,
    ContractorSecretSchema,
    ContractorUpdateSchema,
    DeliveryArgs,
    DeliveryPageSchema,
    DeliverySchema,
    RotateSecretSchema,
    WorkOrderPageSchema,
    WorkOrderSchema,
)
from shared.db import utcnow
from shared.pagination import paginate
from shared.problems import Problem
from shared.web import current_principal, current_session, roles_required

companies = Blueprint(
    "dispatch-contractors", __name__, url_prefix="/dispatch/v1", description="Contractors and their webhooks."
)


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
        return page_of(session, stmt, args)


@companies.route("/contractor/work-orders/<order_id>")
class ContractorOneWorkOrder(MethodView):
    @roles_required("contractor")
    @companies.response(200, WorkOrderSchema)
    def get(self, order_id):
        return order_view(current_session(), _contractor_order(order_id), steps=True)


for _action in ("accept", "arrive", "complete", "decline", "pause", "resume", "appoint", "quote", "consent"):
    companies.route(f"/contractor/work-orders/<order_id>/{_action}")(
        action_view(companies, _action, ACTION_SCHEMAS[_action], _contractor_order)
    )
