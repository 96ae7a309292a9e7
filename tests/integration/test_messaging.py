"""At-least-once and nothing lost: the outbox survives a broker outage, the inbox absorbs
redelivery, and a poison message is parked in `<service>.dead` while the queue keeps flowing."""

import json
import uuid

from kombu import Connection, Producer
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from services.dispatch.models import platform as dispatch_platform
from services.intake.app import create_app as create_intake
from services.intake.models import platform as intake_platform
from shared import topology
from shared.bus import OutboxRelay
from shared.config import Config
from shared.events import new_event
from tests import servers
from tests.support import SECRET, auth, estate_body, publish_event, random_group, wait_for


def known_to_dispatch(stack, group, estate_id):
    r = stack.client("dispatch").get(f"/dispatch/v1/estates/{estate_id}", headers=auth("admin", group=group))
    return r.status_code == 200


def registered_event(estate_id, group, **data):
    body = {"id": estate_id, "name": "E", "code": "E1", "timezone": "Asia/Shanghai", "calendar": "CN", **data}
    return new_event("estate.registered", estate=estate_id, group=group, producer="intake", data=body)


def test_an_event_written_while_the_broker_is_down_is_delivered_when_it_is_back(stack, postgres_server):
    # A separate intake database whose relay we drive by hand: first against a dead broker.
    url, drop = servers.fresh_database(postgres_server)
    try:
        from shared.migrations import upgrade

        config = Config.from_env(
            "intake", env={}, database_url=url, jwt_secret=SECRET, broker_url=stack.broker_url
        )
        upgrade(config)
        intake = create_intake(config)
        group = random_group()
        body = estate_body()
        r = intake.test_client().post("/intake/v1/estates", json=body, headers=auth("admin", group=group))
        assert r.status_code == 201  # the request does not need the broker

        sessions = intake.extensions["estatedesk"].sessions
        dead = OutboxRelay(sessions, intake_platform, "amqp://guest:guest@127.0.0.1:1//", confirm_timeout=1)
        assert dead.relay_once() == 0
        with sessions() as s:
            row = s.scalar(select(intake_platform.Outbox))
            assert row.sent_at is None and row.attempts == 1 and row.last_error

        live = OutboxRelay(sessions, intake_platform, stack.broker_url)
        wait_for(lambda: live.relay_once() == 1, timeout=10, what="the relay to publish after the backoff")
        live.close()
        wait_for(lambda: known_to_dispatch(stack, group, body["id"]), timeout=15, what="dispatch to learn it")
        with sessions() as s:
            assert (
                s.scalar(
                    select(func.count())
                    .select_from(intake_platform.Outbox)
                    .where(intake_platform.Outbox.sent_at.is_(None))
                )
                == 0
            )
        intake.extensions["estatedesk"].engine.dispose()
    finally:
        drop()


def consumed(service, outcome):
    return (
        REGISTRY.get_sample_value(
            "estatedesk_events_consumed_total", {"service": service, "outcome": outcome}
        )
        or 0.0
    )


def test_the_same_event_delivered_twice_is_applied_once(stack):
    group = random_group()
    estate_id = f"dup-{uuid.uuid4().hex[:8]}"
    event = registered_event(estate_id, group, name="Once")
    duplicates_before = consumed("dispatch", "duplicate")
    publish_event(stack.broker_url, event)
    publish_event(stack.broker_url, event)
    wait_for(lambda: known_to_dispatch(stack, group, estate_id), what="dispatch to apply the event")
    wait_for(
        lambda: consumed("dispatch", "duplicate") >= duplicates_before + 1,
        what="the redelivery to be skipped",
    )
    sessions = stack.workers["dispatch"].sessions
    with sessions() as s:
        rows = s.scalar(
            select(func.count())
            .select_from(dispatch_platform.Inbox)
            .where(dispatch_platform.Inbox.event_id == event.id)
        )
    assert rows == 1


def _dead_letters(broker_url, service):
    bodies = []
    with Connection(broker_url) as conn:
        queue = topology.dead_letter_queue(service)(conn.channel())
        queue.declare()
        while (message := queue.get(no_ack=True)) is not None:
            bodies.append(message.body)
    return bodies


def test_a_malformed_message_is_parked_and_the_queue_keeps_flowing(stack):
    marker = uuid.uuid4().hex
    with Connection(stack.broker_url) as conn:
        producer = Producer(conn.channel(), exchange=topology.EXCHANGE)
        # Not JSON at all, then JSON that is not a valid envelope.
        producer.publish(
            f"not json {marker}".encode(),
            routing_key="estate.registered.poison",
            content_type="application/json",
            content_encoding="utf-8",
        )
        producer.publish(
            json.dumps({"type": "estate.registered", "marker": marker}),
            routing_key="estate.registered.poison",
            content_type="application/json",
            content_encoding="utf-8",
        )
    group = random_group()
    estate_id = f"after-{uuid.uuid4().hex[:8]}"
    publish_event(stack.broker_url, registered_event(estate_id, group))
    wait_for(lambda: known_to_dispatch(stack, group, estate_id), what="the valid event behind the poison")

    parked: list = []
    wait_for(
        lambda: (
            parked.extend(_dead_letters(stack.broker_url, "dispatch"))
            or sum(marker in (b if isinstance(b, str) else b.decode("utf-8", "replace")) for b in parked) == 2
        ),
        timeout=10,
        what="both poison messages in dispatch.dead",
    )


def test_parked_events_can_be_replayed_into_their_own_queue_once_the_cause_is_fixed(stack):
    from shared.bus import replay_dead_letters

    group = random_group()
    estate_id = f"parked-{uuid.uuid4().hex[:8]}"
    event = registered_event(estate_id, group)
    _dead_letters(stack.broker_url, "callback")  # start from an empty dead-letter queue
    with Connection(stack.broker_url) as conn:  # as if callback's handler had failed five times
        Producer(conn.channel()).publish(
            event.to_dict(),
            exchange=topology.DEAD_LETTER_EXCHANGE,
            routing_key="callback",
            serializer="json",
            declare=[topology.dead_letter_queue("callback")],
        )
    assert replay_dead_letters(stack.broker_url, "callback") == 1

    def known_to_callback():
        r = stack.client("callback").get(
            f"/callback/v1/estates/{estate_id}", headers=auth("admin", group=group)
        )
        return r.status_code == 200

    wait_for(known_to_callback, what="callback to apply the replayed event")
    assert not known_to_dispatch(stack, group, estate_id)  # replay went to callback's queue only
