"""Reporting's HTTP schemas: strict query arguments, documented response shapes."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.reporting import domain
from shared.schemas import StrictSchema

FORMATS = ("json", "csv", "xlsx")
# Requests ask for years 2000–2099: wide enough for any report, and far enough from the calendar's
# ends that the month arithmetic behind a report (a year back, the month before) never leaves it.
MONTH = validate.Regexp(r"^(20\d{2})-(0[1-9]|1[0-2])$", error="Use the form YYYY-MM (years 2000–2099).")
QUARTER = validate.Regexp(r"^(20\d{2})Q([1-4])$", error="Use the form YYYYQn, e.g. 2026Q3 (years 2000–2099).")
MAX_RANGE_MONTHS = 36


class MonthArgs(StrictSchema):
    month = fields.Str(required=True, validate=MONTH)
    format = fields.Str(load_default="json", validate=validate.OneOf(FORMATS))


class QuarterArgs(StrictSchema):
    quarter = fields.Str(required=True, validate=QUARTER)
    format = fields.Str(load_default="json", validate=validate.OneOf(FORMATS))


class GroupArgs(StrictSchema):
    month = fields.Str(validate=MONTH)
    first = fields.Str(data_key="from", validate=MONTH)
    last = fields.Str(data_key="to", validate=MONTH)
    sort = fields.Str(
        load_default="-satisfaction_rate",
        validate=validate.OneOf([*domain.SORT_KEYS, *(f"-{k}" for k in domain.SORT_KEYS)]),
    )
    format = fields.Str(load_default="json", validate=validate.OneOf(FORMATS))

    @validates_schema
    def one_period(self, data, **_kw):
        has_range = "first" in data or "last" in data
        if "month" in data and has_range:
            raise ValidationError("Give either month or from/to, not both.", "month")
        if "month" not in data and not has_range:
            raise ValidationError("Give month=YYYY-MM or from=YYYY-MM&to=YYYY-MM.", "month")
        if has_range:
            if "first" not in data or "last" not in data:
                raise ValidationError(
                    "A range needs both from and to.", "from" if "first" not in data else "to"
                )
            if data["first"] > data["last"]:
                raise ValidationError("from must not be after to.", "from")
            if len(domain.months_between(data["first"], data["last"])) > MAX_RANGE_MONTHS:
                raise ValidationError(f"A range covers at most {MAX_RANGE_MONTHS} months.", "to")


class Qr004Row(Schema):
    area = fields.Str()
    label_zh = fields.Str()
    label_en = fields.Str()
    satisfied = fields.Int()
    fairly_satisfied = fields.Int()
    unsatisfied = fields.Int()


class CallbackStatsSchema(Schema):
    estate = fields.Str()
    month = fields.Str()
    rows = fields.List(fields.Nested(Qr004Row))
    reached = fields.Int()
    satisfaction_rate = fields.Float(allow_none=True)
    full_satisfaction_rate = fields.Float(allow_none=True)


class RuleRate(Schema):
    rule = fields.Str()
    eligible = fields.Int()
    done = fields.Int()
    rate = fields.Float(allow_none=True)
    target = fields.Float(allow_none=True)
    meets_target = fields.Bool(allow_none=True)


class Coverage(Schema):
    first = fields.Str(data_key="from")
    to = fields.Str()
    occupied_units = fields.Int()
    visited_units = fields.Int()
    rate = fields.Float(allow_none=True)
    target = fields.Float()


class CallbackRatesSchema(Schema):
    estate = fields.Str()
    month = fields.Str()
    rules = fields.List(fields.Nested(RuleRate))
    routine_coverage = fields.Nested(Coverage)


class ComplaintSummarySchema(Schema):
    estate = fields.Str()
    month = fields.Str()
    complaints = fields.Int()
    by_severity = fields.Dict(keys=fields.Str(), values=fields.Int())
    by_category = fields.Dict(keys=fields.Str(), values=fields.Int())
    by_channel = fields.Dict(keys=fields.Str(), values=fields.Int())
    median_minutes_to_first_reply = fields.Float(allow_none=True)
    median_hours_to_resolution = fields.Float(allow_none=True)
    sla = fields.Dict()
    reopened = fields.Int()


class NonconformanceItem(Schema):
    type = fields.Str()
    at = fields.Str(allow_none=True)
    callback_id = fields.Str(allow_none=True)
    ticket_id = fields.Str(allow_none=True)
    rule = fields.Str(allow_none=True)
    category = fields.Str(allow_none=True)
    place = fields.Str(allow_none=True)
    count = fields.Int()
    ticket_ids = fields.List(fields.Str())


class NonconformanceSchema(Schema):
    estate = fields.Str()
    quarter = fields.Str()
    items = fields.List(fields.Nested(NonconformanceItem))


class _Figures(Schema):
    tickets = fields.Int()
    complaints = fields.Int()
    callback_rate = fields.Float(allow_none=True)
    callback_target = fields.Float(allow_none=True)
    satisfaction_rate = fields.Float(allow_none=True)
    first_reply_on_time_rate = fields.Float(allow_none=True)
    on_site_on_time_rate = fields.Float(allow_none=True)
    resolution_on_time_rate = fields.Float(allow_none=True)
    on_time_rate = fields.Float(allow_none=True)
    reopen_rate = fields.Float(allow_none=True)
    change = fields.Dict()


class EstateRow(_Figures):
    estate = fields.Str()
    name = fields.Str()
    region = fields.Str(allow_none=True)


class RegionRow(_Figures):
    region = fields.Str()


class GroupComparisonSchema(Schema):
    group = fields.Str()
    first = fields.Str(data_key="from")
    to = fields.Str()
    previous = fields.Dict()
    sort = fields.Str()
    items = fields.List(fields.Nested(EstateRow))
    regions = fields.List(fields.Nested(RegionRow))
