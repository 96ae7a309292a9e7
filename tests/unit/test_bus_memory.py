"""The embedded bus (kombu memory://): the same outbox/inbox guarantees, and parking without a DLX."""

import threading
import uuid

from kombu import Connection
from sqlalchemy.orm import Session

from services.dispatch.models import Base, platform
from shared import topology
from shared.bus import EventConsumer
from shared.config import Config
from shared.db import make_engine, make_session_factory
from shared.events import Event, new_event
from tests.support import publish_event, wait_for


def sessions(tmp_path):
    engine = make_engine(Config.from_env("dispatch", env={}, database_url=f"sqlite:///{tmp_path}/d.db"))
    Base.metadata.create_all(engine)
    return make_session_factory(engine)


def event(estate="mem-estate"):
    data = {"id": estate, "name": "M", "code": "M", "timezone": "Asia/Shanghai", "calendar": "CN"}
    return new_event("estate.registered", estate=estate, group="g1", producer="intake", data=data)


def test_a_handler_runs_once_per_event_however_often_it_arrives(tmp_path):
    calls = []

    def count(session: Session, e: Event) -> None:
        calls.append(e.id)

    consumer = EventConsumer(
        "dispatch", {"estate.registered": [count]}, sessions(tmp_path), platform, "memory://"
    )
    e = event().to_dict()
    assert [consumer.apply(e), consumer.apply(e), consumer.apply(e)] == ["applied", "duplicate", "duplicate"]
    assert len(calls) == 1


def test_a_handler_that_keeps_failing_is_parked_after_the_delivery_limit(tmp_path):
    attempts = []
    marker = f"fail-{uuid.uuid4().hex[:8]}"

    def explode(session: Session, e: Event) -> None:
        if e.estate == marker:  # the in-memory queue is shared by the process: count our event only
            attempts.append(1)
        raise RuntimeError("the handler is broken")

    consumer = EventConsumer(
        "dispatch",
        {"estate.registered": [explode]},
        sessions(tmp_path),
        platform,
        "memory://",
        delivery_limit=3,
    )
    stop, ready = threading.Event(), threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop, ready), daemon=True)
    thread.start()
    wait_for(ready.is_set, what="the consumer to start")
    publish_event("memory://", event(marker))
    try:
        wait_for(lambda: len(attempts) >= 3, timeout=10, what="three attempts")

        def parked():
            with Connection("memory://") as conn:
                queue = topology.dead_letter_queue("dispatch")(conn.channel())
                queue.declare()
                message = queue.get(no_ack=True)
                return message is not None and marker in message.body.decode()

        wait_for(parked, timeout=5, what="the message in dispatch.dead")
        assert len(attempts) == 3  # not retried forever
    finally:
        stop.set()
        thread.join(5)
