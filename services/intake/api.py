"""Intake's HTTP API. Thin: parse → load → domain → save → outbox."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from services.intake import directory, ticket_api
from services.intake.domain import deadline_settings
from services.intake.models import Estate, platform
from services.intake.schemas import EstateCreateSchema, EstateSettingsSchema, IntakeEstateSchema
from shared import bus, tenancy
from shared.estates import EstateListSchema
from shared.problems import Problem
from shared.web import current_principal, current_session, roles_required

estates = Blueprint(
    "estates", __name__, url_prefix="/intake/v1/estates", description="Estates (小区) of a group."
)


@estates.route("")
class Estates(MethodView):
    @estates.response(200, EstateListSchema)
    def get(self):
        """The estates of the caller's group that the caller may see."""
        rows = current_session().scalars(select(Estate).order_by(Estate.estate_id)).all()
        return {"items": rows, "next_cursor": None}

    @roles_required("admin")
    @estates.arguments(EstateCreateSchema)
    @estates.response(201, IntakeEstateSchema)
    def post(self, body):
        """Register an estate in the caller's group; the other services learn it from `estate.registered`."""
        session = current_session()
        taken = session.scalar(
            select(Estate.estate_id).where(Estate.estate_id == body["id"]).execution_options(all_estates=True)
        )
        if taken:
            raise Problem(409, f"Estate id {body['id']!r} is already taken.")
        principal = current_principal()
        tenancy.admit(session, body["id"])
        estate = Estate(
            estate_id=body["id"],
            group_id=principal.group,
            name=body["name"],
            code=body["code"],
            timezone=body["timezone"],
            calendar=body["calendar"],
            region=body["region"],
            settings={},
        )
        session.add(estate)
        data = {k: body[k] for k in ("id", "name", "code", "timezone", "calendar", "region")}
        bus.emit_for(session, platform, estate, "estate.registered", data, producer="intake")
        return estate, 201, {"Location": f"/intake/v1/estates/{estate.estate_id}"}


@estates.route("/<estate>")
class OneEstate(MethodView):
    @estates.response(200, IntakeEstateSchema)
    def get(self, estate):
        row = current_session().get(Estate, estate)
        if row is None:
            raise Problem(404, f"Estate {estate!r} was not found.")
        return row


@estates.route("/<estate>/settings")
class EstateSettings(MethodView):
    @estates.response(200, EstateSettingsSchema)
    def get(self, estate):
        """The estate's deadline settings (DOMAIN.md presets where not set)."""
        return {"deadlines": deadline_settings(_estate(estate).settings.get("deadlines"))}

    @roles_required("supervisor", "manager", "admin")
    @estates.arguments(EstateSettingsSchema)
    @estates.response(200, EstateSettingsSchema)
    def put(self, body, estate):
        """Change the estate's deadline targets; tickets taken from now on use them."""
        row = _estate(estate)
        merged = {**deadline_settings(row.settings.get("deadlines")), **body["deadlines"]}
        row.settings = {**(row.settings or {}), "deadlines": merged}
        return {"deadlines": merged}


def _estate(estate_id: str) -> Estate:
    row = current_session().get(Estate, estate_id)
    if row is None:
        raise Problem(404, f"Estate {estate_id!r} was not found.")
    return row


BLUEPRINTS = [estates, directory.units, directory.residents, ticket_api.tickets]
