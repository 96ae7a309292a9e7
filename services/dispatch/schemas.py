"""Dispatch's HTTP schemas: strict on input (unknown fields are refused), documented output."""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from services.dispatch import domain
from shared.events import CATEGORIES, KINDS, RATINGS
from shared.pagination import PageArgs, page_schema
from shared.schemas import StrictSchema

Name = fields.Str(required=True, validate=validate.Length(min=1, max=200))
Tag = fields.Str(validate=validate.Length(min=1, max=40))
Note = fields.Str(load_default="", validate=validate.Length(max=2000))
Reason = fields.Str(required=True, validate=validate.Length(min=1, max=2000))


# --- teams -------------------------------------------------------------------------------------------
class TeamCreateSchema(StrictSchema):
    name = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    discipline = fields.Str(required=True, validate=validate.OneOf(domain.DISCIPLINES))
    contractor_id = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=36))
    strategy = fields.Str(load_default="supervisor", validate=validate.OneOf(domain.STRATEGIES))
    max_open_per_technician = fields.Int(load_default=None, allow_none=True, validate=validate.Range(1, 100))
    members = fields.List(fields.Str(validate=validate.Length(min=1, max=200)), load_default=list)
    warranty = fields.Bool(load_default=False)


class TeamUpdateSchema(StrictSchema):
    name = fields.Str(validate=validate.Length(min=1, max=200))
    strategy = fields.Str(validate=validate.OneOf(domain.STRATEGIES))
    max_open_per_technician = fields.Int(allow_none=True, validate=validate.Range(1, 100))
    members = fields.List(fields.Str(validate=validate.Length(min=1, max=200)))
    warranty = fields.Bool()


class TeamSchema(Schema):
    id = fields.Str()
    estate = fields.Str(attribute="estate_id")
    name = fields.Str()
    discipline = fields.Str()
    contractor_id = fields.Str(allow_none=True)
    strategy = fields.Str()
    max_open_per_technician = fields.Int(allow_none=True)
    members = fields.List(fields.Str())
    warranty = fields.Bool()
    created_at = fields.AwareDateTime()


class TeamListSchema(Schema):
    items = fields.List(fields.Nested(TeamSchema))
    next_cursor = fields.Str(allow_none=True)


# --- routing -----------------------------------------------------------------------------------------
class RuleSchema(StrictSchema):
    category = fields.Str(required=True, validate=validate.OneOf(CATEGORIES))
    kind = fields.Str(load_default=None, allow_none=True, validate=validate.OneOf(domain.DISPATCHED_KINDS))
    tags = fields.List(Tag, load_default=list)
    team_id = fields.Str(required=True, validate=validate.Length(min=1, max=36))


class RoutingSchema(StrictSchema):
    rules = fields.List(fields.Nested(RuleSchema), required=True, validate=validate.Length(max=200))


# --- settings and fees -------------------------------------------------------------------------------
class SettingsSchema(StrictSchema):
    public_arrive_minutes = fields.Int(validate=validate.Range(1, 24 * 60))
    appointment_early_minutes = fields.Int(validate=validate.Range(0, 120))
    complaint_resolve_workdays = fields.Int(validate=validate.Range(1, 30))
    warn_before_arrive_minutes = fields.Int(validate=validate.Range(0, 24 * 60))
    warn_before_complete_minutes = fields.Int(validate=validate.Range(0, 7 * 24 * 60))
    manager_after_minutes = fields.Int(validate=validate.Range(0, 7 * 24 * 60))
    max_open_per_technician = fields.Int(validate=validate.Range(1, 100))


# as_string would make apispec print the bounds as strings, which is not valid OpenAPI: say them as numbers.
Money = fields.Decimal(
    required=True,
    places=2,
    as_string=True,
    validate=validate.Range(min=0, max=1_000_000),
    metadata={"minimum": 0, "maximum": 1_000_000},
)


class FeeItemSchema(StrictSchema):
    code = fields.Str(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,40}$"))
    name = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    amount = Money


class FeeScheduleSchema(StrictSchema):
    items = fields.List(fields.Nested(FeeItemSchema), required=True, validate=validate.Length(max=500))


# --- contractors -------------------------------------------------------------------------------------
WebhookUrl = fields.Url(
    load_default=None,
    allow_none=True,
    require_tld=False,
    schemes={"http", "https"},
    validate=validate.Length(max=500),
)


class ContractorCreateSchema(StrictSchema):
    name = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    webhook_url = WebhookUrl


class ContractorUpdateSchema(StrictSchema):
    webhook_url = fields.Url(allow_none=True, require_tld=False, schemes={"http", "https"})
    webhook_enabled = fields.Bool()


class ContractorSchema(Schema):
    id = fields.Str()
    group = fields.Str(attribute="group_id")
    name = fields.Str()
    webhook_url = fields.Str(allow_none=True)
    webhook_enabled = fields.Bool()
    created_at = fields.AwareDateTime()


class ContractorSecretSchema(ContractorSchema):
    webhook_secret = fields.Str(metadata={"description": "Shown once: store it to verify signatures."})
    previous_secret_valid_until = fields.AwareDateTime(allow_none=True)


class ContractorListSchema(Schema):
    items = fields.List(fields.Nested(ContractorSchema))
    next_cursor = fields.Str(allow_none=True)


class RotateSecretSchema(StrictSchema):
    overlap_hours = fields.Int(load_default=24, validate=validate.Range(0, 7 * 24))


class DeliverySchema(Schema):
    id = fields.Str()
    estate = fields.Str(attribute="estate_id")
    contractor_id = fields.Str()
    event_id = fields.Str()
    event_type = fields.Str()
    status = fields.Str()
    attempts = fields.Int()
    next_attempt_at = fields.AwareDateTime(allow_none=True)
    last_status_code = fields.Int(allow_none=True)
    last_error = fields.Str(allow_none=True)
    delivered_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()


DeliveryPageSchema = page_schema(DeliverySchema)


class DeliveryArgs(PageArgs):
    class Meta:
        unknown = RAISE

    status = fields.Str(validate=validate.OneOf(("pending", "delivered", "failed", "gone")))


# --- work orders -------------------------------------------------------------------------------------
class WorkOrderArgs(PageArgs):
    class Meta:
        unknown = RAISE

    status = fields.Str(validate=validate.OneOf(domain.STATUSES))
    team_id = fields.Str(validate=validate.Length(max=36))
    ticket_id = fields.Str(validate=validate.Length(max=64))
    rework = fields.Bool()


class ContractorOrderArgs(PageArgs):
    class Meta:
        unknown = RAISE

    status = fields.Str(validate=validate.OneOf(domain.STATUSES))


class StepNoteSchema(StrictSchema):
    note = Note


class ReassignSchema(StrictSchema):
    team_id = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=36))
    technician = fields.Str(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200))
    reason = Reason

    @validates_schema
    def _something(self, data, **_):
        if not data.get("team_id") and not data.get("technician"):
            raise ValidationError("Give a team_id, a technician, or both.", "team_id")


class ReasonSchema(StrictSchema):
    reason = Reason


class PauseSchema(StrictSchema):
    reason = fields.Str(required=True, validate=validate.OneOf(domain.PAUSE_REASONS))
    note = Note


class AppointmentSchema(StrictSchema):
    start = fields.AwareDateTime(required=True)
    end = fields.AwareDateTime(load_default=None, allow_none=True)

    @validates_schema
    def _ordered(self, data, **_):
        if data.get("end") and data["end"] <= data["start"]:
            raise ValidationError("The appointment must end after it starts.", "end")


class QuoteItemSchema(StrictSchema):
    code = fields.Str(required=True, validate=validate.Length(min=1, max=40))
    quantity = fields.Int(load_default=1, validate=validate.Range(1, 1000))


class QuoteSchema(StrictSchema):
    items = fields.List(
        fields.Nested(QuoteItemSchema), required=True, validate=validate.Length(min=1, max=50)
    )


class ConsentSchema(StrictSchema):
    consented = fields.Bool(required=True)
    reason = fields.Str(load_default="", validate=validate.Length(max=2000))

    @validates_schema
    def _refusal_needs_reason(self, data, **_):
        if not data["consented"] and not data.get("reason"):
            raise ValidationError("Record why the resident refused.", "reason")


class FeeSchema(StrictSchema):
    amount = Money
    consented = fields.Bool(required=True)


class MaterialSchema(StrictSchema):
    name = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    quantity = fields.Decimal(
        load_default=1,
        as_string=True,
        validate=validate.Range(min=0, max=100000),
        metadata={"minimum": 0, "maximum": 100000, "default": 1},
    )
    unit = fields.Str(load_default="", validate=validate.Length(max=20))


class CompleteSchema(StrictSchema):
    result = fields.Str(required=True, validate=validate.Length(min=1, max=4000))
    materials = fields.List(
        fields.Nested(MaterialSchema), load_default=list, validate=validate.Length(max=100)
    )
    resident_signed = fields.Bool(required=True)
    resident_rating = fields.Str(required=True, allow_none=True, validate=validate.OneOf(RATINGS))
    fee = fields.Nested(FeeSchema, load_default=None, allow_none=True)


class RouteTicketSchema(StrictSchema):
    team_id = fields.Str(required=True, validate=validate.Length(min=1, max=36))
    note = Note


class DueSchema(Schema):
    arrive_by = fields.AwareDateTime(allow_none=True)
    complete_by = fields.AwareDateTime(allow_none=True)


class PauseStateSchema(Schema):
    since = fields.AwareDateTime()
    reason = fields.Str()


class ResidentSchema(Schema):
    name = fields.Str(allow_none=True)
    phone = fields.Str(allow_none=True)
    phone_masked = fields.Bool()


class StepSchema(Schema):
    at = fields.AwareDateTime()
    action = fields.Str()
    actor = fields.Str(allow_none=True)
    note = fields.Str()


class WorkOrderSchema(Schema):
    id = fields.Str()
    number = fields.Str()
    estate = fields.Str()
    ticket_id = fields.Str()
    ticket_number = fields.Str(allow_none=True)
    kind = fields.Str(validate=validate.OneOf(KINDS))
    category = fields.Str()
    team_id = fields.Str()
    contractor_id = fields.Str(allow_none=True)
    technician = fields.Str(allow_none=True)
    status = fields.Str()
    rework = fields.Bool()
    rework_of = fields.Str(allow_none=True)
    due = fields.Nested(DueSchema)
    paused = fields.Nested(PauseStateSchema, allow_none=True)
    appointment = fields.Dict(allow_none=True)
    location = fields.Dict()
    resident = fields.Nested(ResidentSchema)
    quote = fields.Dict(allow_none=True)
    consent = fields.Dict(allow_none=True)
    result = fields.Str(allow_none=True)
    materials = fields.List(fields.Dict(), allow_none=True)
    fee = fields.Dict(allow_none=True)
    resident_signed = fields.Bool(allow_none=True)
    resident_rating = fields.Str(allow_none=True)
    cancel_reason = fields.Str(allow_none=True)
    assigned_at = fields.AwareDateTime()
    accepted_at = fields.AwareDateTime(allow_none=True)
    arrived_at = fields.AwareDateTime(allow_none=True)
    completed_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    steps = fields.List(fields.Nested(StepSchema))


WorkOrderPageSchema = page_schema(WorkOrderSchema)


class UnroutedTicketSchema(Schema):
    id = fields.Str()
    number = fields.Str()
    estate = fields.Str(attribute="estate_id")
    kind = fields.Str()
    category = fields.Str()
    severity = fields.Str(allow_none=True)
    tags = fields.List(fields.Str())
    location = fields.Dict()
    description = fields.Str()
    opened_at = fields.AwareDateTime()


UnroutedPageSchema = page_schema(UnroutedTicketSchema)
