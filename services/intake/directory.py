"""The estate directory: units (户) and residents (业主/租户), with bulk unit import from CSV."""

from __future__ import annotations

import csv
import io

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError
from sqlalchemy import select

from services.intake.models import Estate, Resident, Unit
from services.intake.privacy import shown_phone
from services.intake.schemas import (
    ResidentCreateSchema,
    ResidentListArgs,
    ResidentSchema,
    UnitCreateSchema,
    UnitImportArgs,
    UnitImportResultSchema,
    UnitListArgs,
    UnitSchema,
)
from services.intake.tickets import publish
from shared.pagination import page_schema, paginate
from shared.problems import Problem
from shared.web import current_principal, current_session, roles_required

DESK = ("agent", "supervisor", "manager", "admin")
MAX_IMPORT_LINES = 10_000

units = Blueprint(
    "units", __name__, url_prefix="/intake/v1/estates/<estate>/units", description="Units (户)."
)
residents = Blueprint(
    "residents", __name__, url_prefix="/intake/v1/estates/<estate>/residents", description="Residents."
)


def _csv_body(header: str) -> dict:
    return {
        "required": True,
        "content": {"text/csv": {"schema": {"type": "string"}, "example": header + "\n"}},
    }


def estate_or_404(estate_id: str) -> Estate:
    row = current_session().get(Estate, estate_id)
    if row is None:
        raise Problem(404, f"Estate {estate_id!r} was not found.")
    return row


def unit_by_code(code: str) -> Unit | None:
    return current_session().scalar(select(Unit).where(Unit.code == code))


@units.route("")
class Units(MethodView):
    @units.arguments(UnitListArgs, location="query")
    @units.response(200, page_schema(UnitSchema))
    def get(self, args, estate):
        stmt = select(Unit)
        if args["building"]:
            stmt = stmt.where(Unit.building == args["building"])
        return paginate(
            current_session(), stmt, [Unit.code, Unit.id], args["limit"], args["cursor"], descending=False
        )

    @roles_required(*DESK)
    @units.arguments(UnitCreateSchema)
    @units.response(201, UnitSchema)
    def post(self, body, estate):
        if unit_by_code(body["code"]) is not None:
            raise Problem(409, f"Unit {body['code']!r} already exists.")
        unit = Unit(estate_id=estate, **body)
        current_session().add(unit)
        current_session().flush()
        return unit, 201


@units.route("/import")
class UnitImport(MethodView):
    @roles_required(*DESK)
    @units.doc(requestBody=_csv_body("code,building,floor,occupied"))
    @units.arguments(UnitImportArgs, location="query")
    @units.response(201, UnitImportResultSchema)
    def post(self, args, estate):
        """Import units from a CSV body (`text/csv`; header `code,building,floor,occupied`).

        All or nothing: any bad line answers 422 with the errors per line and imports nothing.
        Codes already on file are errors too, unless `?skip_existing=true`.
        """
        rows, errors = _parse_csv(
            request.get_data(as_text=True), UnitCreateSchema(), {"code", "building", "floor", "occupied"}
        )
        session = current_session()
        existing = set(session.scalars(select(Unit.code)).all())
        fresh = []
        for line, body in rows:
            if body["code"] in existing:
                if not args["skip_existing"]:
                    errors[f"line {line}"] = [f"Unit {body['code']!r} already exists."]
                continue
            fresh.append(body)
        if errors:
            raise Problem(422, "The CSV has invalid lines; nothing was imported.", errors=errors)
        session.add_all(Unit(estate_id=estate, **body) for body in fresh)
        return {"imported": len(fresh), "skipped": len(rows) - len(fresh)}, 201


def _parse_csv(text: str, schema, columns: set[str]) -> tuple[list[tuple[int, dict]], dict[str, list]]:
    """Validate every line with `schema`; return the good rows and the errors keyed by line number.

    A unit code repeated within the file is an error.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    try:
        reader.fieldnames  # noqa: B018 - reads the header line, which may itself be unreadable
    except csv.Error as exc:
        raise Problem(422, "The CSV cannot be read.", errors={"file": [str(exc)]}) from None
    required = {name for name, f in schema.fields.items() if f.required}
    if not reader.fieldnames or not required <= set(reader.fieldnames):
        raise Problem(
            422,
            f"The CSV needs a header line with the columns {sorted(required)}.",
            errors={"line 1": [f"Missing columns: {sorted(required - set(reader.fieldnames or []))}"]},
        )
    unknown = set(reader.fieldnames) - columns
    if unknown:
        raise Problem(422, "Unknown CSV columns.", errors={"line 1": [f"Unknown columns: {sorted(unknown)}"]})
    key = "code" if "code" in columns else None
    try:
        return _read_lines(reader, schema, key)
    except csv.Error as exc:
        raise Problem(422, "The CSV cannot be read.", errors={"file": [str(exc)]}) from None


def _read_lines(
    reader: csv.DictReader, schema, key: str | None
) -> tuple[list[tuple[int, dict]], dict[str, list]]:
    rows, errors, seen = [], {}, {}
    for number, raw in enumerate(reader, start=2):
        if number > MAX_IMPORT_LINES + 1:
            errors["file"] = [f"At most {MAX_IMPORT_LINES} lines per import."]
            break
        if None in raw:
            errors[f"line {number}"] = ["More values than columns."]
            continue
        values = {k: v.strip() for k, v in raw.items() if isinstance(v, str) and v.strip() != ""}
        if "occupied" in values:
            values["occupied"] = values["occupied"].lower() in ("1", "true", "yes", "y")
        try:
            body = schema.load(values)
        except ValidationError as exc:
            errors[f"line {number}"] = [
                f"{k}: {'; '.join(map(str, v))}" for k, v in exc.messages_dict.items()
            ]
            continue
        if key and body[key] in seen:
            errors[f"line {number}"] = [f"{body[key]!r} repeats line {seen[body[key]]}."]
            continue
        if key:
            seen[body[key]] = number
        rows.append((number, body))
    return rows, errors


@residents.route("/import")
class ResidentImport(MethodView):
    @roles_required(*DESK)
    @residents.doc(requestBody=_csv_body("name,phone,unit,role,moved_in_on"))
    @residents.response(201, UnitImportResultSchema)
    def post(self, estate):
        """Import residents from CSV (`name,phone,unit,role[,moved_in_on]`); all or nothing.

        Each resident imported is announced with `resident.moved_in`, like one registered by hand.
        """
        rows, errors = _parse_csv(
            request.get_data(as_text=True),
            ResidentCreateSchema(),
            {"name", "phone", "unit", "role", "moved_in_on"},
        )
        session = current_session()
        known_units = set(session.scalars(select(Unit.code)).all())
        for line, body in rows:
            if body["unit"] not in known_units:
                errors[f"line {line}"] = [f"Unit {body['unit']!r} is not in this estate."]
        if errors:
            raise Problem(422, "The CSV has invalid lines; nothing was imported.", errors=errors)
        row = estate_or_404(estate)
        for _line, body in rows:
            _move_in(session, row, body)
        return {"imported": len(rows), "skipped": 0}, 201


@residents.route("")
class Residents(MethodView):
    @residents.arguments(ResidentListArgs, location="query")
    @residents.response(200, page_schema(ResidentSchema))
    def get(self, args, estate):
        stmt = select(Resident)
        if args["unit"]:
            stmt = stmt.where(Resident.unit_code == args["unit"])
        page = paginate(
            current_session(), stmt, [Resident.created_at, Resident.id], args["limit"], args["cursor"]
        )
        page["items"] = [_present_resident(r, estate) for r in page["items"]]
        return page

    @roles_required(*DESK)
    @residents.arguments(ResidentCreateSchema)
    @residents.response(201, ResidentSchema)
    def post(self, body, estate):
        """Register a resident moving in; emits `resident.moved_in` (new-resident callback)."""
        if unit_by_code(body["unit"]) is None:
            raise Problem(422, "The unit is not in this estate.", errors={"unit": ["Unknown unit."]})
        row = _move_in(current_session(), estate_or_404(estate), body)
        return _present_resident(row, estate), 201


def _move_in(session, estate: Estate, body: dict) -> Resident:
    row = Resident(
        estate_id=estate.estate_id,
        unit_code=body["unit"],
        name=body["name"],
        phone=body["phone"],
        role=body["role"],
        moved_in_on=body["moved_in_on"],
    )
    session.add(row)
    session.flush()
    publish(
        session,
        estate,
        "resident.moved_in",
        {
            "resident_id": row.id,
            "unit": row.unit_code,
            "role": row.role,
            "name": row.name,
            "phone": row.phone,
            "moved_in_on": row.moved_in_on,
        },
    )
    return row


def _present_resident(row: Resident, estate: str) -> dict:
    return {
        "id": row.id,
        "estate_id": row.estate_id,
        "name": row.name,
        "phone": shown_phone(row.phone, current_principal(), estate),
        "unit_code": row.unit_code,
        "role": row.role,
        "moved_in_on": row.moved_in_on,
        "created_at": row.created_at,
    }
