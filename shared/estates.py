"""What every service knows about estates: its copy, kept from `estate.registered`/`estate.updated`."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.events import Event, load_data
from shared.problems import Problem
from shared.web import current_session


class EstateSchema(Schema):
    id = fields.Str(attribute="estate_id", dump_only=True)
    group = fields.Str(attribute="group_id", dump_only=True)
    name = fields.Str(dump_only=True)
    code = fields.Str(dump_only=True)
    timezone = fields.Str(dump_only=True)
    calendar = fields.Str(dump_only=True)
    region = fields.Str(dump_only=True, allow_none=True)


class EstateListSchema(Schema):
    items = fields.List(fields.Nested(EstateSchema))
    next_cursor = fields.Str(allow_none=True)


def apply_estate_event(session: Session, estate_model, event: Event) -> None:
    """Upsert this service's copy of the estate. Idempotent, so redelivery is harmless."""
    data = load_data(event)
    row = session.get(estate_model, data["id"])
    if row is None:
        row = estate_model(estate_id=data["id"])
        session.add(row)
    row.group_id = event.group
    row.name = data["name"]
    row.code = data["code"]
    row.timezone = data["timezone"]
    row.calendar = data["calendar"]
    row.region = data.get("region")


def estates_blueprint(service: str, estate_model) -> Blueprint:
    """GET /<service>/v1/estates and /<service>/v1/estates/<estate>, served from the local copy."""
    blp = Blueprint(
        f"{service}-estates",
        __name__,
        url_prefix=f"/{service}/v1/estates",
        description=f"Estates as {service} knows them (learnt from estate events).",
    )

    @blp.route("")
    class Estates(MethodView):
        @blp.response(200, EstateListSchema)
        def get(self):
            """Estates of the caller's group that the caller may see."""
            rows = current_session().scalars(select(estate_model).order_by(estate_model.estate_id)).all()
            return {"items": rows, "next_cursor": None}

    @blp.route("/<estate>")
    class OneEstate(MethodView):
        @blp.response(200, EstateSchema)
        def get(self, estate):
            row = current_session().get(estate_model, estate)
            if row is None:
                raise Problem(404, f"Estate {estate!r} was not found.")
            return row

    return blp
