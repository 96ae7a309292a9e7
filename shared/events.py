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


# Enumerations shared by the contract (DESIGN.md §7).
KINDS = ("repair", "complaint", "inquiry", "suggestion", "help", "special_service")
CATEGORIES = (
    "engineering",
    "security",
    "cleaning",
    "greening",
    "pest_control",
    "waste",
    "noise",
    "parking",
    "fees",
    "other",
)
CHANNELS = ("phone", "visit", "letter", "email", "online", "inspection", "callback")
SEVERITIES = ("major", "important", "minor")
RATINGS = ("satisfied", "fairly_satisfied", "unsatisfied")
CALLBACK_METHODS = ("phone", "visit", "letter", "email")


def _one_of(values):
    return validate.OneOf(values)


class _Data(Schema):
    class Meta:
        unknown = EXCLUDE


class _Location(_Data):
    unit = fields.Str(allow_none=True, load_default=None)  # unit code for in-unit work (户内)
    area = fields.Str(allow_none=True, load_default=None)  # public area (公共区域) otherwise


class _Reporter(_Data):
    name = fields.Str(allow_none=True, load_default=None)
    phone = fields.Str(allow_none=True, load_default=None)
    resident_id = fields.Str(allow_none=True, load_default=None)


class _TicketFacts(_Data):
    """What consumers need to know about a ticket without reading intake's tables."""

    ticket_id = fields.Str(required=True)
    kind = fields.Str(required=True, validate=_one_of(KINDS))
    category = fields.Str(required=True, validate=_one_of(CATEGORIES))
    severity = fields.Str(allow_none=True, load_default=None, validate=_one_of(SEVERITIES))
    urgent = fields.Bool(load_default=False)
    tags = fields.List(fields.Str(), load_default=list)
    location = fields.Nested(_Location, load_default=dict)


# --- intake ------------------------------------------------------------------------------------
class EstateData(_Data):
    id = fields.Str(required=True, validate=EstateId)
    name = fields.Str(required=True)
    code = fields.Str(required=True)
    timezone = fields.Str(required=True)
    calendar = fields.Str(required=True)
    region = fields.Str(allow_none=True, load_default=None)


class ResidentMovedIn(_Data):
    resident_id = fields.Str(required=True)
    unit = fields.Str(required=True)
    role = fields.Str(required=True, validate=_one_of(("owner", "tenant")))
    name = fields.Str(allow_none=True, load_default=None)
    phone = fields.Str(allow_none=True, load_default=None)
    moved_in_on = fields.Date(allow_none=True, load_default=None)


class TicketOpened(_TicketFacts):
    number = fields.Str(required=True)
    channel = fields.Str(required=True, validate=_one_of(CHANNELS))
    description = fields.Str(load_default="")
    anonymous = fields.Bool(load_default=False)
    written = fields.Bool(load_default=False)
    reporter = fields.Nested(_Reporter, allow_none=True, load_default=None)
    appointment = fields.Dict(allow_none=True, load_default=None)  # {"start": iso, "end": iso}
    first_responder = fields.Str(allow_none=True, load_default=None)
    opened_at = fields.AwareDateTime(required=True)
    first_reply_due = fields.AwareDateTime(allow_none=True, load_default=None)
    resolve_due = fields.AwareDateTime(allow_none=True, load_default=None)
    duplicate_of = fields.Str(allow_none=True, load_default=None)
    written_answer_due = fields.AwareDateTime(allow_none=True, load_default=None)  # written complaints


class TicketReplied(_Data):
    ticket_id = fields.Str(required=True)
    number = fields.Str(required=True)
    first = fields.Bool(required=True)  # the first reply (首次答复) to the reporter
    channel = fields.Str(required=True)
    written = fields.Bool(load_default=False)
    replied_at = fields.AwareDateTime(required=True)
    on_time = fields.Bool(allow_none=True, load_default=None)
    progress = fields.Bool(load_default=False)  # a progress notice (进度告知) on an unresolved complaint


class TicketEscalated(_Data):
    ticket_id = fields.Str(required=True)
    number = fields.Str(required=True)
    severity = fields.Str(required=True, validate=_one_of(SEVERITIES))
    previous_severity = fields.Str(allow_none=True, load_default=None)
    reason = fields.Str(load_default="")
    automatic = fields.Bool(load_default=False)  # aged into major after a month unresolved
    escalated_to = fields.Str(allow_none=True, load_default=None)  # "manager" for a major complaint


class TicketResolvedAtDesk(_TicketFacts):
    number = fields.Str(required=True)
    outcome = fields.Str(required=True, validate=_one_of(("answered", "unfounded", "out_of_scope")))
    note = fields.Str(load_default="")
    resolved_at = fields.AwareDateTime(required=True)
    reporter = fields.Nested(_Reporter, allow_none=True, load_default=None)


class TicketReopened(_Data):
    ticket_id = fields.Str(required=True)
    number = fields.Str(required=True)
    reason = fields.Str(load_default="callback_unsatisfied")
    callback_id = fields.Str(allow_none=True, load_default=None)
    work_order_id = fields.Str(allow_none=True, load_default=None)
    reopen_count = fields.Int(required=True)
    reopened_at = fields.AwareDateTime(required=True)


class TicketClosed(_Data):
    ticket_id = fields.Str(required=True)
    number = fields.Str(required=True)
    reason = fields.Str(load_default="")  # callback_satisfied | callback_skipped | callback_failed | desk
    closed_at = fields.AwareDateTime(required=True)


# --- dispatch ----------------------------------------------------------------------------------
class _WorkOrderRef(_Data):
    work_order_id = fields.Str(required=True)
    work_order_number = fields.Str(allow_none=True, load_default=None)
    ticket_id = fields.Str(required=True)
    ticket_number = fields.Str(allow_none=True, load_default=None)


class WorkOrderAssigned(_WorkOrderRef):
    team_id = fields.Str(required=True)
    contractor_id = fields.Str(allow_none=True, load_default=None)
    rework = fields.Bool(load_default=False)
    rework_of = fields.Str(allow_none=True, load_default=None)
    arrive_by = fields.AwareDateTime(allow_none=True, load_default=None)
    complete_by = fields.AwareDateTime(allow_none=True, load_default=None)
    assigned_at = fields.AwareDateTime(required=True)


class WorkOrderStep(_WorkOrderRef):
    at = fields.AwareDateTime(required=True)
    by = fields.Str(allow_none=True, load_default=None)
    on_time = fields.Bool(allow_none=True, load_default=None)


class WorkOrderCompleted(_WorkOrderRef, _TicketFacts):
    team_id = fields.Str(required=True)
    contractor_id = fields.Str(allow_none=True, load_default=None)
    rework = fields.Bool(load_default=False)
    completed_at = fields.AwareDateTime(required=True)
    result = fields.Str(load_default="")
    resident_signed = fields.Bool(required=True)
    resident_rating = fields.Str(allow_none=True, load_default=None, validate=_one_of(RATINGS))
    fee = fields.Dict(allow_none=True, load_default=None)  # {"amount": "120.00", "consented": true}
    arrived_on_time = fields.Bool(allow_none=True, load_default=None)
    completed_on_time = fields.Bool(allow_none=True, load_default=None)


class WorkOrderReassigned(_WorkOrderRef):
    from_team_id = fields.Str(allow_none=True, load_default=None)
    team_id = fields.Str(required=True)
    contractor_id = fields.Str(allow_none=True, load_default=None)
    reason = fields.Str(load_default="")
    declined = fields.Bool(load_default=False)


class WorkOrderOverdue(_WorkOrderRef):
    deadline = fields.Str(required=True, validate=_one_of(("arrive_by", "complete_by")))
    due_at = fields.AwareDateTime(required=True)
    escalated_to = fields.Str(allow_none=True, load_default=None)  # supervisor, then manager


class WorkOrderCancelled(_WorkOrderRef):
    """An open order ended without the work: ticket closed, cancelled, declined or fee refused."""

    reason = fields.Str(load_default="")
    cancelled_at = fields.AwareDateTime(required=True)
    by = fields.Str(allow_none=True, load_default=None)


class WorkOrderDueSoon(_WorkOrderRef):
    """A warning shortly before a work-order deadline is breached (the breach is workorder.overdue)."""

    deadline = fields.Str(required=True, validate=_one_of(("arrive_by", "complete_by")))
    due_at = fields.AwareDateTime(required=True)


# --- callback ----------------------------------------------------------------------------------
class _CallbackRef(_Data):
    callback_id = fields.Str(required=True)
    ticket_id = fields.Str(allow_none=True, load_default=None)  # routine / new-resident visits have none
    work_order_id = fields.Str(allow_none=True, load_default=None)
    rule = fields.Str(required=True)
    rule_version = fields.Int(load_default=1)
    kind = fields.Str(allow_none=True, load_default=None)
    category = fields.Str(allow_none=True, load_default=None)
    # The rule's target callback rate (0–100) when decided, for per-rule rate reports.
    target_percent = fields.Int(allow_none=True, load_default=None)
    unit = fields.Str(allow_none=True, load_default=None)
    resident_id = fields.Str(allow_none=True, load_default=None)


class CallbackScheduled(_CallbackRef):
    due_from = fields.AwareDateTime(allow_none=True, load_default=None)  # None while waiting for a trigger
    due_by = fields.AwareDateTime(allow_none=True, load_default=None)
    assignee_role = fields.Str(required=True)
    method = fields.Str(required=True, validate=_one_of(CALLBACK_METHODS))
    mandatory = fields.Bool(load_default=False)
    reason = fields.Str(load_default="")  # sampled | unsatisfied_slip | unrated_slip | unsigned_slip | …
    # The rule's callback-rate target (0–1) from the estate's policy, for reporting's rate tables.
    target = fields.Float(allow_none=True, load_default=None, validate=validate.Range(0, 1))


class CallbackSkipped(_CallbackRef):
    reason = fields.Str(required=True)  # not_sampled | no_rule | anonymous | …
    target = fields.Float(allow_none=True, load_default=None, validate=validate.Range(0, 1))


class CallbackCompleted(_CallbackRef):
    method = fields.Str(required=True, validate=_one_of(CALLBACK_METHODS))
    satisfaction = fields.Str(required=True, validate=_one_of(RATINGS))
    ratings = fields.Dict(load_default=dict)  # {"punctuality": …, "attitude": …, "quality": …}
    completed_at = fields.AwareDateTime(required=True)
    on_time = fields.Bool(allow_none=True, load_default=None)
    early = fields.Bool(load_default=False)
    resident_confirmed = fields.Bool(load_default=False)
    unit = fields.Str(allow_none=True, load_default=None)
    next_callback_on = fields.Date(allow_none=True, load_default=None)
    comments = fields.Str(allow_none=True, load_default=None)
    suggestions = fields.Str(allow_none=True, load_default=None)
    # A new problem the resident raised during the callback: intake opens it as a ticket with
    # channel "callback" ({kind, category, description, location: {unit}|{area}}).
    new_issue = fields.Dict(allow_none=True, load_default=None)


class CallbackFailed(_CallbackRef):
    attempts = fields.Int(required=True)
    failed_at = fields.AwareDateTime(required=True)


class CallbackOverdue(_CallbackRef):
    due_by = fields.AwareDateTime(required=True)


CATALOGUE: dict[str, type[Schema]] = {
    "estate.registered": EstateData,
    "estate.updated": EstateData,
    "resident.moved_in": ResidentMovedIn,
    "ticket.opened": TicketOpened,
    "ticket.replied": TicketReplied,
    "ticket.escalated": TicketEscalated,
    "ticket.resolved_at_desk": TicketResolvedAtDesk,
    "ticket.reopened": TicketReopened,
    "ticket.closed": TicketClosed,
    "workorder.assigned": WorkOrderAssigned,
    "workorder.accepted": WorkOrderStep,
    "workorder.arrived": WorkOrderStep,
    "workorder.completed": WorkOrderCompleted,
    "workorder.reassigned": WorkOrderReassigned,
    "workorder.overdue": WorkOrderOverdue,
    "workorder.due_soon": WorkOrderDueSoon,
    "workorder.cancelled": WorkOrderCancelled,
    "callback.scheduled": CallbackScheduled,
    "callback.skipped": CallbackSkipped,
    "callback.completed": CallbackCompleted,
    "callback.failed": CallbackFailed,
    "callback.overdue": CallbackOverdue,
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
