"""The event envelope and the catalogue of event types (DESIGN.md §5).

Every event type has a marshmallow schema for its `data`; events are validated when published
and again when consumed. Data schemas are tolerant of extra fields (EXCLUDE) so producers can add
fields without breaking older consumers; the fields named here are the contract.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from shared.tenancy import ESTATE_ID_PATTERN

ENVELOPE_VERSION = 1
EstateId = validate.Regexp(ESTATE_ID_PATTERN, error="not a valid estate id")


class InvalidEvent(ValueError):
    def __init__(self, message: str, errors: dict | None = None):
        super().__init__(message)
        self.errors = errors or {}


class _Data(Schema):
    class Meta:
        unknown = EXCLUDE


# --- intake ------------------------------------------------------------------------------------
class EstateData(_Data):
    id = fields.Str(required=True, validate=EstateId)
    name = fields.Str(required=True)
    code = fields.Str(required=True)
    timezone = fields.Str(required=True)
    calendar = fields.Str(required=True)
    region = fields.Str(allow_none=True, load_default=None)


class ResidentData(_Data):
    resident_id = fields.Str(required=True)
    unit = fields.Str(required=True)
    role = fields.Str(required=True)
    moved_in_on = fields.Date(allow_none=True, load_default=None)


class TicketRef(_Data):
    ticket_id = fields.Str(required=True)
    number = fields.Str(load_default=None)
    kind = fields.Str(load_default=None)
    category = fields.Str(load_default=None)


# --- dispatch ----------------------------------------------------------------------------------
class WorkOrderRef(_Data):
    work_order_id = fields.Str(required=True)
    ticket_id = fields.Str(required=True)


# --- callback ----------------------------------------------------------------------------------
class CallbackRef(_Data):
    callback_id = fields.Str(required=True)
    ticket_id = fields.Str(allow_none=True, load_default=None)


CATALOGUE: dict[str, type[Schema]] = {
    "estate.registered": EstateData,
    "estate.updated": EstateData,
    "resident.moved_in": ResidentData,
    "ticket.opened": TicketRef,
    "ticket.replied": TicketRef,
    "ticket.escalated": TicketRef,
    "ticket.resolved_at_desk": TicketRef,
    "ticket.reopened": TicketRef,
    "ticket.closed": TicketRef,
    "workorder.assigned": WorkOrderRef,
    "workorder.accepted": WorkOrderRef,
    "workorder.arrived": WorkOrderRef,
    "workorder.completed": WorkOrderRef,
    "workorder.reassigned": WorkOrderRef,
    "workorder.overdue": WorkOrderRef,
    "callback.scheduled": CallbackRef,
    "callback.skipped": CallbackRef,
    "callback.completed": CallbackRef,
    "callback.failed": CallbackRef,
    "callback.overdue": CallbackRef,
}
PRODUCERS = ("intake", "dispatch", "callback", "reporting")


class EnvelopeSchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.UUID(required=True)
    type = fields.Str(required=True, validate=validate.OneOf(sorted(CATALOGUE)))
    version = fields.Int(required=True, validate=validate.Equal(ENVELOPE_VERSION))
    estate = fields.Str(required=True, validate=EstateId)
    group = fields.Str(required=True, validate=validate.Length(min=1, max=40))
    occurred_at = fields.AwareDateTime(required=True)
    producer = fields.Str(required=True, validate=validate.OneOf(PRODUCERS))
    correlation_id = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    data = fields.Dict(required=True)


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    estate: str
    group: str
    occurred_at: str
    producer: str
    correlation_id: str
    data: dict = field(default_factory=dict)
    version: int = ENVELOPE_VERSION

    @property
    def routing_key(self) -> str:
        return f"{self.type}.{self.estate}"

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)


def new_event(
    type: str,
    *,
    estate: str,
    group: str,
    producer: str,
    data: dict,
    correlation_id: str | None = None,
) -> Event:
    event_id = str(uuid.uuid4())
    envelope = {
        "id": event_id,
        "type": type,
        "version": ENVELOPE_VERSION,
        "estate": estate,
        "group": group,
        "occurred_at": datetime.now(UTC).isoformat(),
        "producer": producer,
        "correlation_id": correlation_id or event_id,
        "data": json.loads(json.dumps(data, default=_json_default)),
    }
    return parse_event(envelope)


def parse_event(envelope: object) -> Event:
    """Validate an envelope and its data against the catalogue; raise InvalidEvent otherwise."""
    if not isinstance(envelope, dict):
        raise InvalidEvent("event envelope must be a JSON object")
    try:
        loaded = EnvelopeSchema().load(envelope)
    except ValidationError as exc:
        raise InvalidEvent("invalid event envelope", exc.messages_dict) from None
    try:
        CATALOGUE[loaded["type"]]().load(loaded["data"])
    except ValidationError as exc:
        raise InvalidEvent(f"invalid data for {loaded['type']}", exc.messages_dict) from None
    return Event(
        id=str(loaded["id"]),
        type=loaded["type"],
        estate=loaded["estate"],
        group=loaded["group"],
        occurred_at=loaded["occurred_at"].isoformat(),
        producer=loaded["producer"],
        correlation_id=loaded["correlation_id"],
        data=envelope["data"],
    )


def load_data(event: Event) -> dict:
    """The event's data, deserialised by its catalogue schema (dates become dates, …)."""
    return CATALOGUE[event.type]().load(event.data)


def _json_default(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
