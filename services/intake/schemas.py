"""Intake's HTTP schemas: strict on input (unknown fields are refused)."""

from __future__ import annotations

from zoneinfo import available_timezones

from marshmallow import RAISE, Schema, fields, validate

from shared.estates import EstateSchema
from shared.tenancy import ESTATE_ID_PATTERN

CALENDARS = ("CN", "HK", "MO", "TW")


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


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
