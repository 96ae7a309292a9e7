"""The envelope and the catalogue: what a service may publish and must accept."""

import json

import pytest

from shared.events import CATALOGUE, InvalidEvent, new_event, parse_event


def registered(**data):
    body = {
        "id": "harbour-view",
        "name": "Harbour View",
        "code": "HV",
        "timezone": "Asia/Shanghai",
        "calendar": "CN",
    }
    body.update(data)
    return new_event("estate.registered", estate="harbour-view", group="g1", producer="intake", data=body)


def test_a_new_event_carries_the_full_envelope_and_its_routing_key():
    event = registered()
    envelope = json.loads(event.to_json())
    assert set(envelope) == {
        "id",
        "type",
        "version",
        "estate",
        "group",
        "occurred_at",
        "producer",
        "correlation_id",
        "data",
    }
    assert envelope["version"] == 1
    assert event.routing_key == "estate.registered.harbour-view"
    assert envelope["occurred_at"].endswith("+00:00")
    assert event.correlation_id == event.id  # a new chain starts with its own id


def test_an_event_survives_a_json_round_trip_unchanged():
    event = registered()
    assert parse_event(json.loads(event.to_json())) == event


def test_extra_data_fields_are_tolerated_for_forward_compatibility():
    event = registered(brand_new_field=1)
    assert parse_event(json.loads(event.to_json())).data["brand_new_field"] == 1


@pytest.mark.parametrize(
    "change, field",
    [
        ({"type": "estate.demolished"}, "type"),
        ({"version": 2}, "version"),
        ({"estate": "Not A Slug"}, "estate"),
        ({"id": "not-a-uuid"}, "id"),
        ({"occurred_at": "2026-01-01T00:00:00"}, "occurred_at"),  # naive time: refused
        ({"producer": "someone-else"}, "producer"),
        ({"surprise": True}, "surprise"),
    ],
)
def test_a_malformed_envelope_is_refused_with_the_offending_field(change, field):
    envelope = json.loads(registered().to_json())
    envelope.update(change)
    with pytest.raises(InvalidEvent) as exc:
        parse_event(envelope)
    assert field in exc.value.errors


def test_data_missing_a_contract_field_is_refused():
    envelope = json.loads(registered().to_json())
    del envelope["data"]["timezone"]
    with pytest.raises(InvalidEvent) as exc:
        parse_event(envelope)
    assert "timezone" in exc.value.errors


@pytest.mark.parametrize("payload", [None, [], "text", 42])
def test_a_message_that_is_not_an_object_is_refused(payload):
    with pytest.raises(InvalidEvent):
        parse_event(payload)


def test_publishing_an_invalid_event_fails_at_the_producer():
    with pytest.raises(InvalidEvent):
        new_event("ticket.opened", estate="e1x", group="g1", producer="intake", data={})


def test_the_catalogue_names_every_v1_event_type():
    assert {
        "estate.registered",
        "estate.updated",
        "resident.moved_in",
        "ticket.opened",
        "ticket.replied",
        "ticket.escalated",
        "ticket.resolved_at_desk",
        "ticket.reopened",
        "ticket.closed",
        "workorder.assigned",
        "workorder.accepted",
        "workorder.arrived",
        "workorder.completed",
        "workorder.reassigned",
        "workorder.overdue",
        "callback.scheduled",
        "callback.skipped",
        "callback.completed",
        "callback.failed",
        "callback.overdue",
    } <= set(CATALOGUE)
