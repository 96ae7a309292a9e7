"""Dispatch's HTTP API: the estate's set-up — teams, routing, deadline settings, fee schedule."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import delete, select

from services.dispatch import access, orders
from services.dispatch.models import (
    Contractor,
    Estate,
    RoutingRule,
    Team,
)
from services.dispatch.schemas import (
    FeeScheduleSchema,
    RoutingSchema,
    SettingsSchema,
    TeamCreateSchema,
    TeamListSchema,
    TeamSchema,
    TeamUpdateSchema,
)
from shared.estates import estates_blueprint
from shared.problems import Problem
from shared.web import current_principal, current_session, roles_required

ESTATE_URL = "/dispatch/v1/estates/<estate>"
STAFF = access.STAFF
PLANNERS = ("supervisor", "manager", "admin")

setup = Blueprint(
    "dispatch-setup", __name__, url_prefix=ESTATE_URL, description="Teams, routing, settings, fees."
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


def blueprints() -> list:
    from services.dispatch.api_contractors import companies
    from services.dispatch.api_orders import work

    return [estates_blueprint("dispatch", Estate), setup, work, companies]
