"""The message topology, in one place that producers and consumers both import (DESIGN.md §5).

One durable topic exchange `estatedesk`; routing key `<type>.<estate>`. Each service has one
durable quorum queue named after it, bound to the event types it consumes, dead-lettering to
`estatedesk.dlx` → `<service>.dead` after an explicit delivery limit.
"""

from __future__ import annotations

from kombu import Exchange, Queue, binding

from shared.events import CATALOGUE

EXCHANGE = Exchange("estatedesk", type="topic", durable=True)
DEAD_LETTER_EXCHANGE = Exchange("estatedesk.dlx", type="direct", durable=True)
DELIVERY_LIMIT = 5

# Which event types each service consumes. Reporting consumes everything.
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "intake": (
        "workorder.assigned",
        "workorder.accepted",
        "workorder.arrived",
        "workorder.completed",
        "workorder.reassigned",
        "callback.skipped",
        "callback.completed",
        "callback.failed",
    ),
    "dispatch": (
        "estate.registered",
        "estate.updated",
        "ticket.opened",
        "ticket.reopened",
        "ticket.closed",
        "ticket.escalated",
    ),
    "callback": (
        "estate.registered",
        "estate.updated",
        "resident.moved_in",
        "ticket.opened",
        "ticket.resolved_at_desk",
        "ticket.closed",
        "workorder.completed",
    ),
    "reporting": ("#",),
}


def binding_keys(service: str) -> list[str]:
    return ["#" if t == "#" else f"{t}.*" for t in SUBSCRIPTIONS[service]]


def consumes(service: str, event_type: str) -> bool:
    subs = SUBSCRIPTIONS[service]
    return "#" in subs or event_type in subs


def service_queue(service: str, delivery_limit: int = DELIVERY_LIMIT) -> Queue:
    return Queue(
        service,
        exchange=EXCHANGE,
        bindings=[binding(EXCHANGE, routing_key=key) for key in binding_keys(service)],
        durable=True,
        queue_arguments={
            "x-queue-type": "quorum",
            "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE.name,
            "x-dead-letter-routing-key": service,
            "x-delivery-limit": delivery_limit,
            # Quorum queues dead-letter at-most-once by default; a parked message must never be lost.
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        },
    )


def dead_letter_queue(service: str) -> Queue:
    return Queue(
        f"{service}.dead",
        exchange=DEAD_LETTER_EXCHANGE,
        routing_key=service,
        durable=True,
        queue_arguments={"x-queue-type": "quorum"},
    )


def declare(channel, service: str, delivery_limit: int = DELIVERY_LIMIT) -> Queue:
    """Declare the exchanges, the service's queue and its dead-letter queue; return the bound queue."""
    EXCHANGE(channel).declare()
    DEAD_LETTER_EXCHANGE(channel).declare()
    dead_letter_queue(service)(channel).declare()
    queue = service_queue(service, delivery_limit)(channel)
    queue.declare()
    return queue


assert all(t in CATALOGUE for subs in SUBSCRIPTIONS.values() for t in subs if t != "#")
