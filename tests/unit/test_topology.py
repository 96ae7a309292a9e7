"""The message topology, and that the RabbitMQ definitions shipped in deploy/ agree with it."""

import json
from pathlib import Path

from shared.config import SERVICES
from shared.topology import SUBSCRIPTIONS, binding_keys, dead_letter_queue, service_queue

DEFINITIONS = Path(__file__).resolve().parents[2] / "deploy" / "rabbitmq" / "definitions.json"


def test_each_service_queue_is_quorum_with_a_dead_letter_exchange_and_a_delivery_limit():
    for service in SERVICES:
        args = service_queue(service).queue_arguments
        assert args["x-queue-type"] == "quorum"
        assert args["x-dead-letter-exchange"] == "estatedesk.dlx"
        assert args["x-dead-letter-routing-key"] == service
        assert args["x-delivery-limit"] >= 1
        assert dead_letter_queue(service).name == f"{service}.dead"


def test_routing_keys_bind_every_estate_of_an_event_type():
    assert "ticket.opened.*" in binding_keys("dispatch")
    assert binding_keys("reporting") == ["#"]


def test_the_deployed_rabbitmq_definitions_match_the_code():
    defs = json.loads(DEFINITIONS.read_text())
    queues = {q["name"]: q["arguments"] for q in defs["queues"]}
    for service in SERVICES:
        assert queues[service] == service_queue(service).queue_arguments
        bound = {b["routing_key"] for b in defs["bindings"] if b["destination"] == service}
        assert bound == set(binding_keys(service)), service
        assert f"{service}.dead" in queues
    assert set(SUBSCRIPTIONS) == set(SERVICES)
