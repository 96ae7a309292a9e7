"""Cursor pagination: `?limit=` (default 50, max 200) and an opaque `?cursor=` → `{items, next_cursor}`."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from marshmallow import Schema, fields, validate
from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import Session

from shared.problems import Problem

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class PageArgs(Schema):
    limit = fields.Int(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT))
    cursor = fields.Str(load_default=None)


def page_schema(item_schema: type[Schema]) -> type[Schema]:
    return type(
        f"{item_schema.__name__.removesuffix('Schema')}PageSchema",
        (Schema,),
        {"items": fields.List(fields.Nested(item_schema)), "next_cursor": fields.Str(allow_none=True)},
    )


def _encode(values: list) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, count: int) -> list:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != count:
        raise Problem(422, "The cursor is not valid.", errors={"cursor": ["Not a valid cursor."]})
    return values


def paginate(session: Session, stmt: Select, keys: list, limit: int, cursor: str | None, *, descending=True):
    """Keyset pagination over `keys` (columns that together are unique, e.g. created_at, id)."""
    if cursor:
        values = _decode(cursor, len(keys))
        try:
            values = [
                datetime.fromisoformat(v) if getattr(k.type, "python_type", None) is datetime else v
                for k, v in zip(keys, values, strict=True)
            ]
        except (TypeError, ValueError):
            raise Problem(
                422, "The cursor is not valid.", errors={"cursor": ["Not a valid cursor."]}
            ) from None
        stmt = stmt.where(_after(keys, values, descending))
    order = [k.desc() if descending else k.asc() for k in keys]
    rows = session.scalars(stmt.order_by(*order).limit(limit + 1)).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode([getattr(last, k.key) for k in keys])
    return {"items": rows, "next_cursor": next_cursor}


def _after(keys, values, descending):
    # (a, b) < (x, y) spelled out, so it works on every database and with mixed types.
    clauses = []
    for i, key in enumerate(keys):
        equal = [keys[j] == values[j] for j in range(i)]
        beyond = key < values[i] if descending else key > values[i]
        clauses.append(and_(*equal, beyond))
    return or_(*clauses)
