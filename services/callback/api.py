"""Callback's HTTP API: policies, the callback work queue, attempts, corrections, weather. Thin."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from services.callback import service
from services.callback.domain import CallbackStateError
from services.callback.models import Callback, Correction, Estate
from services.callback.policy import PRESETS, PolicyError, compose, validate_rule, visible_assignees
from services.callback.schemas import (
    AttemptSchema,
    CallbackQuerySchema,
    CallbackSchema,
    CorrectionOutSchema,
    CorrectionSchema,
    GroupPolicyPutSchema,
    GroupPolicyResultSchema,
    PolicyPutSchema,
    PolicyQuerySchema,
    PolicySchema,
    WeatherEventSchema,
    WeatherResultSchema,
)
from shared.db import utcnow
from shared.estates import estates_blueprint
from shared.pagination import page_schema, paginate
from shared.problems import Problem
from shared.web import current_principal, current_session, roles_required

blp = Blueprint(
    "callbacks",
    __name__,
    url_prefix="/callback/v1",
    description="Callback (回访) policies, the callback work queue and its outcomes.",
)
POLICY_EDITORS = ("supervisor", "manager", "admin")
CALLERS = ("agent", "supervisor", "manager", "admin", "technician")


def _estate(estate_id: str) -> Estate:
    row = current_session().get(Estate, estate_id)
    if row is None:
        raise Problem(404, f"Estate {estate_id!r} was not found.")
    return row


def _policy_body(doc: service.PolicyDoc) -> dict:
    return {
        "version": doc.version,
        "preset": doc.preset,
        "overrides": doc.overrides,
        "rules": doc.rules,
        "retries": doc.retries,
        "created_at": doc.created_at,
        "presets": {name: p["title"] for name, p in PRESETS.items()},
    }


def _check_rules(preset: str, overrides: list) -> None:
    errors: dict = {}
    for i, rule in enumerate(overrides):
        try:
            validate_rule(rule)
        except PolicyError as exc:
            errors[str(i)] = exc.errors
    if errors:
        raise Problem(422, "A rule has an impossible window.", errors={"rules": errors})
    compose(preset, overrides)


@blp.route("/estates/<estate>/policy")
class EstatePolicy(MethodView):
    @blp.arguments(PolicyQuerySchema, location="query")
    @blp.response(200, PolicySchema)
    def get(self, args, estate):
        """The estate's callback policy (回访规定) and its rules; `?version=` reads an older one."""
        estate_id = _estate(estate).estate_id
        if args["version"] is None:
            return _policy_body(service.current_policy(current_session(), estate_id))
        doc = service.policy_version(current_session(), estate_id, args["version"])
        if doc is None:
            raise Problem(404, f"Policy version {args['version']} was not found.")
        return _policy_body(doc)

    @roles_required(*POLICY_EDITORS)
    @blp.arguments(PolicyPutSchema)
    @blp.response(200, PolicySchema)
    def put(self, body, estate):
        """Choose a preset and override it rule by rule; each change is a new version."""
        _check_rules(body["preset"], body["rules"])
        doc = service.save_policy(
            current_session(),
            _estate(estate).estate_id,
            preset=body["preset"],
            overrides=body["rules"],
            retries=body["retries"],
            by=current_principal().sub,
        )
        return _policy_body(doc)


@blp.route("/groups/<group>/policy")
class GroupPolicy(MethodView):
    @roles_required("admin")
    @blp.arguments(GroupPolicyPutSchema)
    @blp.response(200, GroupPolicyResultSchema)
    def put(self, body, group):
        """Apply a preset to every estate of the group the caller may manage; estates keep their overrides."""
        session = current_session()
        result = []
        for estate in session.scalars(select(Estate).order_by(Estate.estate_id)).all():
            current = service.current_policy(session, estate.estate_id)
            doc = service.save_policy(
                session,
                estate.estate_id,
                preset=body["preset"],
                overrides=current.overrides,
                retries=current.retries,
                by=current_principal().sub,
            )
            result.append({"estate": estate.estate_id, "version": doc.version})
        return {"preset": body["preset"], "estates": result}


@blp.route("/estates/<estate>/callbacks")
class Callbacks(MethodView):
    @blp.arguments(CallbackQuerySchema, location="query")
    @blp.response(200, page_schema(CallbackSchema))
    def get(self, args, estate):
        """The callback work queue for the caller's roles, by deadline (due, overdue, upcoming…)."""
        stmt = service.queue_statement(
            visible_assignees(current_principal().roles),
            utcnow(),
            status=args["status"],
            rule=args["rule"],
            assignee_role=args["assignee_role"],
            ticket_id=args["ticket_id"],
            due_before=args["due_before"],
        )
        return paginate(
            current_session(),
            stmt,
            keys=[Callback.deadline, Callback.id],
            limit=args["limit"],
            cursor=args["cursor"],
            descending=False,
        )


def _callback(callback_id: str) -> Callback:
    cb = current_session().get(Callback, callback_id)
    if cb is None:
        raise Problem(404, f"Callback {callback_id!r} was not found.")
    cb.corrections = (
        current_session()
        .scalars(select(Correction).where(Correction.callback_id == cb.id).order_by(Correction.created_at))
        .all()
    )
    return cb


@blp.route("/estates/<estate>/callbacks/<callback_id>")
class OneCallback(MethodView):
    @blp.response(200, CallbackSchema)
    def get(self, estate, callback_id):
        return _callback(callback_id)


@blp.route("/estates/<estate>/callbacks/<callback_id>/attempts")
class Attempts(MethodView):
    @roles_required(*CALLERS)
    @blp.arguments(AttemptSchema)
    @blp.response(201, CallbackSchema)
    def post(self, body, estate, callback_id):
        """Record a callback attempt: reached (with the resident's ratings) or not (retried, then failed)."""
        cb = _callback(callback_id)
        try:
            service.record_attempt(
                current_session(), _estate(estate), cb, body, utcnow(), current_principal().sub
            )
        except CallbackStateError as exc:
            raise Problem(409, str(exc)) from None
        return cb


@blp.route("/estates/<estate>/callbacks/<callback_id>/corrections")
class Corrections(MethodView):
    @roles_required("supervisor", "manager", "admin")
    @blp.arguments(CorrectionSchema)
    @blp.response(201, CorrectionOutSchema)
    def post(self, body, estate, callback_id):
        """Correct a completed record: a new entry referencing it; the original is never altered."""
        cb = _callback(callback_id)
        changes = {k: v for k, v in body.items() if k != "reason" and v is not None}
        if not changes:
            raise Problem(422, "Nothing to correct.", errors={"_schema": ["Give a corrected field."]})
        try:
            return service.correct(current_session(), cb, changes, body["reason"], current_principal().sub)
        except CallbackStateError as exc:
            raise Problem(409, str(exc)) from None


@blp.route("/estates/<estate>/weather-events")
class WeatherEvents(MethodView):
    @roles_required(*CALLERS)
    @blp.arguments(WeatherEventSchema)
    @blp.response(201, WeatherResultSchema)
    def post(self, body, estate):
        """A heavy rainstorm (暴雨): the leak callbacks waiting for it become due, on site."""
        if body["occurred_at"] > utcnow():
            raise Problem(422, "A rainstorm cannot be in the future.", errors={"occurred_at": ["Future."]})
        row, released = service.record_weather(
            current_session(), _estate(estate), body["kind"], body["occurred_at"]
        )
        return {
            "id": row.id,
            "kind": row.kind,
            "occurred_at": row.occurred_at,
            "released": row.released,
            "callbacks": [cb.id for cb in released],
        }


def blueprints() -> list:
    return [estates_blueprint("callback", Estate), blp]
