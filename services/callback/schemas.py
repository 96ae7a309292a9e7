"""Callback's HTTP schemas: strict on input (unknown fields are refused), plain on output."""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from services.callback.policy import ASSIGNEE_ROLES, METHODS, PRESETS, SUBJECTS, TRIGGERS, WINDOW_UNITS
from shared.events import CATEGORIES, KINDS, RATINGS, SEVERITIES
from shared.pagination import PageArgs
from shared.schemas import StrictSchema

RULE_ID = validate.Regexp(r"^[a-z][a-z0-9_]{1,59}$", error="Use 2–60 lowercase letters, digits and _.")
STATUSES = ("waiting", "scheduled", "completed", "failed", "cancelled", "open", "due", "overdue", "upcoming")


class MatchSchema(StrictSchema):
    kinds = fields.List(fields.Str(validate=validate.OneOf(KINDS)), load_default=list)
    categories = fields.List(fields.Str(validate=validate.OneOf(CATEGORIES)), load_default=list)
    severities = fields.List(fields.Str(validate=validate.OneOf(SEVERITIES)), load_default=list)
    tags = fields.List(fields.Str(validate=validate.Length(min=1, max=60)), load_default=list)
    rework = fields.Bool(load_default=None, allow_none=True)
    urgent = fields.Bool(load_default=None, allow_none=True)
    location = fields.Str(load_default=None, allow_none=True, validate=validate.OneOf(("unit", "area")))


class WindowSchema(StrictSchema):
    type = fields.Str(required=True, validate=validate.OneOf(("after", "trigger", "milestones", "month")))
    # "from"/"to" are Python keywords; data_key keeps the JSON names
    from_ = fields.Int(data_key="from", attribute="from", load_default=None)
    to = fields.Int(load_default=None)
    unit = fields.Str(load_default="days", validate=validate.OneOf(WINDOW_UNITS))
    trigger = fields.Str(load_default=None, allow_none=True, validate=validate.OneOf(TRIGGERS))


class RuleSchema(StrictSchema):
    id = fields.Str(required=True, validate=RULE_ID)
    title = fields.Str(load_default="", validate=validate.Length(max=300))
    subject = fields.Str(load_default="work", validate=validate.OneOf(SUBJECTS))
    match = fields.Nested(MatchSchema, load_default=dict)
    window = fields.Nested(WindowSchema, required=True)
    target_percent = fields.Int(required=True, validate=validate.Range(min=0, max=100))
    assignee_role = fields.Str(required=True, validate=validate.OneOf(ASSIGNEE_ROLES))
    method = fields.Str(required=True, validate=validate.OneOf(METHODS))
    slip_mandatory = fields.Bool(load_default=False)


class RetriesSchema(StrictSchema):
    max_attempts = fields.Int(load_default=3, validate=validate.Range(min=1, max=10))
    spacing_hours = fields.List(
        fields.Int(validate=validate.Range(min=1, max=24 * 14)),
        load_default=lambda: [4, 24],
        validate=validate.Length(min=1, max=10),
    )


class PolicyPutSchema(StrictSchema):
    preset = fields.Str(load_default="default", validate=validate.OneOf(sorted(PRESETS)))
    rules = fields.List(fields.Nested(RuleSchema), load_default=list)  # overrides of the preset, by id
    retries = fields.Nested(RetriesSchema, load_default=lambda: RetriesSchema().load({}))

    @validates_schema
    def unique_ids(self, data, **_):
        ids = [r["id"] for r in data.get("rules", [])]
        if len(ids) != len(set(ids)):
            raise ValidationError("Each rule id may appear once.", "rules")


class PolicyQuerySchema(StrictSchema):
    version = fields.Int(load_default=None, validate=validate.Range(min=1))


class GroupPolicyPutSchema(StrictSchema):
    preset = fields.Str(required=True, validate=validate.OneOf(sorted(PRESETS)))


class PolicySchema(Schema):
    version = fields.Int()
    preset = fields.Str()
    overrides = fields.List(fields.Dict())
    rules = fields.List(fields.Dict())
    retries = fields.Dict()
    created_at = fields.AwareDateTime(allow_none=True)
    presets = fields.Dict()


class GroupPolicyResultSchema(Schema):
    preset = fields.Str()
    estates = fields.List(fields.Dict())


class RatingsSchema(StrictSchema):
    punctuality = fields.Str(required=True, validate=validate.OneOf(RATINGS))
    attitude = fields.Str(required=True, validate=validate.OneOf(RATINGS))
    quality = fields.Str(required=True, validate=validate.OneOf(RATINGS))


class NewIssueLocationSchema(StrictSchema):
    unit = fields.Str(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64))
    area = fields.Str(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200))


class NewIssueSchema(StrictSchema):
    kind = fields.Str(required=True, validate=validate.OneOf(KINDS))
    category = fields.Str(required=True, validate=validate.OneOf(CATEGORIES))
    description = fields.Str(required=True, validate=validate.Length(min=1, max=4000))
    location = fields.Nested(NewIssueLocationSchema, load_default=None, allow_none=True)


class AttemptSchema(StrictSchema):
    method = fields.Str(required=True, validate=validate.OneOf(METHODS))
    reached = fields.Bool(required=True)
    satisfaction = fields.Str(load_default=None, validate=validate.OneOf(RATINGS))
    ratings = fields.Nested(RatingsSchema, load_default=None)
    comments = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=4000))
    suggestions = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=4000))
    resident_confirmed = fields.Bool(load_default=False)
    next_callback_on = fields.Date(load_default=None, allow_none=True)
    unresolved_reason = fields.Str(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=2000)
    )
    new_issue = fields.Nested(NewIssueSchema, load_default=None, allow_none=True)

    @validates_schema
    def outcome_only_when_reached(self, data, **_):
        errors: dict = {}
        if data["reached"]:
            for name in ("satisfaction", "ratings"):
                if data.get(name) is None:
                    errors[name] = ["Required when the resident was reached."]
            if data.get("next_callback_on") and not data.get("unresolved_reason"):
                errors["unresolved_reason"] = ["Say why it cannot be solved now when fixing the next date."]
        else:
            for name in ("satisfaction", "ratings", "next_callback_on", "unresolved_reason", "new_issue"):
                if data.get(name) is not None:
                    errors[name] = ["Only for a resident who was reached."]
        if errors:
            raise ValidationError(errors)


class CorrectionSchema(StrictSchema):
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=2000))
    satisfaction = fields.Str(load_default=None, validate=validate.OneOf(RATINGS))
    ratings = fields.Nested(RatingsSchema, load_default=None)
    comments = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=4000))
    suggestions = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=4000))
    resident_confirmed = fields.Bool(load_default=None, allow_none=True)


class WeatherEventSchema(StrictSchema):
    kind = fields.Str(required=True, validate=validate.OneOf(TRIGGERS))
    occurred_at = fields.AwareDateTime(required=True)


class WeatherResultSchema(Schema):
    id = fields.Str()
    kind = fields.Str()
    occurred_at = fields.AwareDateTime()
    released = fields.Int()
    callbacks = fields.List(fields.Str())


class CallbackQuerySchema(PageArgs):
    class Meta:
        unknown = RAISE

    status = fields.Str(load_default="open", validate=validate.OneOf(STATUSES))
    rule = fields.Str(load_default=None, validate=RULE_ID)
    assignee_role = fields.Str(load_default=None, validate=validate.OneOf(ASSIGNEE_ROLES))
    due_before = fields.AwareDateTime(load_default=None)
    ticket_id = fields.Str(load_default=None, validate=validate.Length(min=1, max=64))


class CorrectionOutSchema(Schema):
    id = fields.Str()
    changes = fields.Dict()
    reason = fields.Str()
    created_by = fields.Str(allow_none=True)
    created_at = fields.AwareDateTime()


class CallbackSchema(Schema):
    id = fields.Str()
    estate = fields.Str(attribute="estate_id")
    ticket_id = fields.Str(allow_none=True)
    work_order_id = fields.Str(allow_none=True)
    resident_id = fields.Str(allow_none=True)
    unit = fields.Str(allow_none=True)
    kind = fields.Str(allow_none=True)
    category = fields.Str(allow_none=True)
    rule = fields.Str()
    rule_version = fields.Int()
    due_from = fields.AwareDateTime(allow_none=True)
    due_by = fields.AwareDateTime(allow_none=True)
    assignee_role = fields.Str()
    method = fields.Str()
    status = fields.Str()
    reason = fields.Str()
    mandatory = fields.Bool()
    trigger = fields.Str(allow_none=True)
    overdue = fields.Method("is_overdue")
    next_attempt_at = fields.AwareDateTime(allow_none=True)
    completed_at = fields.AwareDateTime(allow_none=True)
    attempts = fields.List(fields.Dict())
    outcome = fields.Dict(allow_none=True)
    follows = fields.Str(allow_none=True)
    corrections = fields.List(fields.Nested(CorrectionOutSchema), dump_default=list)
    created_at = fields.AwareDateTime()

    def is_overdue(self, cb) -> bool:
        return cb.overdue_at is not None and cb.status == "scheduled"
