"""Intake's HTTP schemas: strict on input (unknown fields are refused)."""

from __future__ import annotations

from zoneinfo import available_timezones

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.intake.domain import STATUSES
from shared.estates import EstateSchema
from shared.events import CATEGORIES, CHANNELS, KINDS, SEVERITIES
from shared.schemas import StrictSchema
from shared.tenancy import ESTATE_ID_PATTERN

CALENDARS = ("CN", "HK", "MO", "TW")
REPLY_CHANNELS = ("phone", "visit", "letter", "email", "online", "sms")


class EstateCreateSchema(StrictSchema):
    id = fields.Str(
        required=True,
        validate=validate.Regexp(
            ESTATE_ID_PATTERN,
            error="Use 2–40 lowercase letters, digits and hyphens, starting with a letter or digit.",
        ),
    )
    name = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    code = fields.Str(
        required=True,
        validate=validate.Regexp(r"^[A-Z0-9]{1,20}$", error="Use 1–20 uppercase letters and digits."),
    )
    timezone = fields.Str(
        load_default="Asia/Shanghai",
        validate=validate.OneOf(sorted(available_timezones()), error="Not a known IANA timezone."),
    )
    calendar = fields.Str(
        load_default="CN",
        validate=validate.OneOf(CALENDARS, error="Use one of: " + ", ".join(CALENDARS) + "."),
    )
    region = fields.Str(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100))


class IntakeEstateSchema(EstateSchema):
    pass


# --- estate directory ------------------------------------------------------------------------------
class DeadlineSettingsSchema(StrictSchema):
    first_reply_workdays = fields.Int(validate=validate.Range(min=0, max=10))
    oral_same_day = fields.Bool()
    written_answer_workdays = fields.Int(validate=validate.Range(min=0, max=10))
    resolve_workdays = fields.Int(validate=validate.Range(min=1, max=60))
    urgent_first_reply_hours = fields.Int(validate=validate.Range(min=1, max=72))
    urgent_resolve_hours = fields.Int(validate=validate.Range(min=1, max=720))
    duplicate_window_hours = fields.Int(validate=validate.Range(min=0, max=24 * 90))
    major_after_days = fields.Int(validate=validate.Range(min=1, max=365))


class EstateSettingsSchema(StrictSchema):
    deadlines = fields.Nested(DeadlineSettingsSchema, required=True)


UNIT_CODE = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9-]{0,39}$", error="Use letters, digits and hyphens.")


class UnitCreateSchema(StrictSchema):
    code = fields.Str(required=True, validate=UNIT_CODE)
    building = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=40))
    floor = fields.Int(load_default=None, allow_none=True, validate=validate.Range(min=-10, max=200))
    occupied = fields.Bool(load_default=True)


class UnitSchema(Schema):
    id = fields.Str(dump_only=True)
    estate = fields.Str(attribute="estate_id", dump_only=True)
    code = fields.Str()
    building = fields.Str(allow_none=True)
    floor = fields.Int(allow_none=True)
    occupied = fields.Bool()
    created_at = fields.DateTime(dump_only=True)


class UnitListArgs(StrictSchema):
    limit = fields.Int(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.Str(load_default=None)
    building = fields.Str(load_default=None)


class UnitImportResultSchema(Schema):
    imported = fields.Int()
    skipped = fields.Int()


class UnitImportArgs(StrictSchema):
    skip_existing = fields.Bool(load_default=False)


PHONE = validate.Regexp(r"^\+?[0-9][0-9 -]{4,19}$", error="Not a phone number.")


class ResidentCreateSchema(StrictSchema):
    name = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    phone = fields.Str(required=True, validate=PHONE)
    unit = fields.Str(required=True, validate=UNIT_CODE)
    role = fields.Str(required=True, validate=validate.OneOf(("owner", "tenant")))
    moved_in_on = fields.Date(load_default=None, allow_none=True)


class ResidentSchema(Schema):
    id = fields.Str()
    estate = fields.Str(attribute="estate_id")
    name = fields.Str()
    phone = fields.Str()
    unit = fields.Str(attribute="unit_code")
    role = fields.Str()
    moved_in_on = fields.Date(allow_none=True)
    created_at = fields.DateTime()


class ResidentListArgs(StrictSchema):
    limit = fields.Int(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.Str(load_default=None)
    unit = fields.Str(load_default=None)


# --- tickets ---------------------------------------------------------------------------------------
class LocationSchema(StrictSchema):
    unit = fields.Str(load_default=None, allow_none=True, validate=UNIT_CODE)
    area = fields.Str(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200))

    @validates_schema
    def _one_place(self, data, **_):
        if bool(data.get("unit")) == bool(data.get("area")):
            raise ValidationError(
                "Give either a unit (户内) or a public area (公共区域), not both.", "_schema"
            )


class ReporterSchema(StrictSchema):
    name = fields.Str(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200))
    phone = fields.Str(load_default=None, allow_none=True, validate=PHONE)
    resident_id = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=36))


class AppointmentSchema(StrictSchema):
    start = fields.AwareDateTime(required=True)
    end = fields.AwareDateTime(required=True)

    @validates_schema
    def _ordered(self, data, **_):
        if data["end"] <= data["start"]:
            raise ValidationError("The appointment must end after it starts.", "end")


class TicketCreateSchema(StrictSchema):
    kind = fields.Str(required=True, validate=validate.OneOf(KINDS))
    category = fields.Str(required=True, validate=validate.OneOf(CATEGORIES))
    channel = fields.Str(required=True, validate=validate.OneOf(CHANNELS))
    description = fields.Str(required=True, validate=validate.Length(min=1, max=5000))
    location = fields.Nested(LocationSchema, required=True)
    reporter = fields.Nested(ReporterSchema, load_default=None, allow_none=True)
    anonymous = fields.Bool(load_default=False)
    severity = fields.Str(load_default=None, allow_none=True, validate=validate.OneOf(SEVERITIES))
    urgent = fields.Bool(load_default=False)
    written = fields.Bool(load_default=False)
    tags = fields.List(
        fields.Str(validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,39}$", error="Use lowercase_words.")),
        load_default=list,
        validate=validate.Length(max=20),
    )
    appointment = fields.Nested(AppointmentSchema, load_default=None, allow_none=True)
    subject_staff = fields.List(fields.Str(validate=validate.Length(min=1, max=200)), load_default=list)

    @validates_schema
    def _consistent(self, data, **_):
        errors: dict[str, list[str]] = {}
        reporter = data.get("reporter") or {}
        if data["anonymous"]:
            if data["kind"] not in ("complaint", "suggestion"):
                errors.setdefault("anonymous", []).append("Only complaints and suggestions may be anonymous.")
            if reporter.get("name") or reporter.get("phone") or reporter.get("resident_id"):
                errors.setdefault("reporter", []).append("An anonymous ticket carries no name or phone.")
        elif not reporter.get("resident_id"):
            if not reporter.get("phone"):
                errors.setdefault("reporter", []).append("A reporter phone is required unless anonymous.")
            if not reporter.get("name"):
                errors.setdefault("reporter", []).append("A reporter name is required unless anonymous.")
        if data.get("severity") and data["kind"] != "complaint":
            errors.setdefault("severity", []).append("Only complaints have a severity.")
        if data.get("subject_staff") and data["kind"] != "complaint":
            errors.setdefault("subject_staff", []).append("Only complaints name staff.")
        if data.get("appointment") and not (data["kind"] == "repair" and data["location"].get("unit")):
            errors.setdefault("appointment", []).append("Appointments are for in-unit repairs.")
        if errors:
            raise ValidationError(errors)


class ReplyCreateSchema(StrictSchema):
    message = fields.Str(required=True, validate=validate.Length(min=1, max=5000))
    channel = fields.Str(required=True, validate=validate.OneOf(REPLY_CHANNELS))
    written = fields.Bool(load_default=False)


class EscalationCreateSchema(StrictSchema):
    severity = fields.Str(required=True, validate=validate.OneOf(SEVERITIES))
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=2000))


class ResolutionCreateSchema(StrictSchema):
    outcome = fields.Str(required=True, validate=validate.OneOf(("answered", "unfounded", "out_of_scope")))
    note = fields.Str(required=True, validate=validate.Length(min=1, max=5000))


class TicketListArgs(StrictSchema):
    limit = fields.Int(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.Str(load_default=None)
    status = fields.Str(load_default=None, validate=validate.OneOf(STATUSES))
    kind = fields.Str(load_default=None, validate=validate.OneOf(KINDS))
    category = fields.Str(load_default=None, validate=validate.OneOf(CATEGORIES))
    severity = fields.Str(load_default=None, validate=validate.OneOf(SEVERITIES))
    unit = fields.Str(load_default=None)
    overdue = fields.Bool(load_default=None)
    created_from = fields.AwareDateTime(load_default=None)
    created_to = fields.AwareDateTime(load_default=None)
    q = fields.Str(load_default=None, validate=validate.Length(min=1, max=200))


class TimelineEntrySchema(Schema):
    at = fields.DateTime()
    type = fields.Str()
    actor = fields.Str()
    note = fields.Str()
    data = fields.Dict()


class DeadlineSchema(Schema):
    due = fields.DateTime(allow_none=True)
    met_at = fields.DateTime(allow_none=True)
    breached = fields.Bool(allow_none=True)


class SlaSchema(Schema):
    first_reply_due = fields.DateTime(allow_none=True)
    first_reply_at = fields.DateTime(allow_none=True)
    written_answer_due = fields.DateTime(allow_none=True)
    written_answer_at = fields.DateTime(allow_none=True)
    resolve_due = fields.DateTime(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    progress_notice_at = fields.DateTime(allow_none=True)
    deadlines = fields.Dict(keys=fields.Str(), values=fields.Nested(DeadlineSchema))


class TicketSchema(Schema):
    id = fields.Str()
    number = fields.Str()
    estate = fields.Str()
    kind = fields.Str()
    category = fields.Str()
    channel = fields.Str()
    severity = fields.Str(allow_none=True)
    urgent = fields.Bool()
    written = fields.Bool()
    anonymous = fields.Bool()
    location = fields.Dict()
    reporter = fields.Dict(allow_none=True)
    description = fields.Str()
    tags = fields.List(fields.Str())
    appointment = fields.Dict(allow_none=True)
    status = fields.Str()
    desk_outcome = fields.Str(allow_none=True)
    first_responder = fields.Str()
    first_responder_name = fields.Str(allow_none=True)
    duplicate_of = fields.Dict(allow_none=True)
    reopen_count = fields.Int()
    subject_staff = fields.List(fields.Str())
    sla = fields.Nested(SlaSchema)
    overdue = fields.Bool()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    timeline = fields.List(fields.Nested(TimelineEntrySchema))
