"""Helpers for tests: tokens, waiting on conditions, an in-process stack of the four services."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from shared.auth import mint_token
from shared.config import SERVICES, Config

SECRET = "test-secret-not-for-production-0123456789"


def token(*roles: str, group: str = "g1", estates=("*",), secret: str = SECRET, **kw) -> str:
    return mint_token(secret, group=group, roles=list(roles), estates=list(estates), **kw)


def auth(*roles: str, **kw) -> dict:
    return {"Authorization": f"Bearer {token(*roles, **kw)}"}


def random_estate(prefix: str = "est") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def random_group() -> str:
    return f"grp-{uuid.uuid4().hex[:8]}"


def wait_for(predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.05, what: str = ""):
    """Poll `predicate` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(interval)


def estate_body(estate_id: str | None = None, **overrides) -> dict:
    body = {"id": estate_id or random_estate(), "name": "Test Estate 测试小区", "code": "TE"}
    body.update(overrides)
    return body


@dataclass
class Stack:
    """The four services in this process: Flask apps (test clients) and workers (threads)."""

    database_url: str
    broker_url: str
    redis_url: str | None = None
    overrides: dict = field(default_factory=dict)
    apps: dict = field(default_factory=dict)
    workers: dict = field(default_factory=dict)

    def config(self, service: str, **extra) -> Config:
        values = dict(
            database_url=self.database_url,
            broker_url=self.broker_url,
            redis_url=self.redis_url,
            jwt_secret=SECRET,
            jwt_jwks_url=None,
            relay_interval=0.1,
        )
        values.update(self.overrides)
        values.update(extra)
        return Config.from_env(service, env={}, **values)

    def start(self, workers: bool = True) -> Stack:
        from estatedesk.registry import app_factory, worker_builder

        for service in SERVICES:
            self.apps[service] = app_factory(service)(self.config(service))
            if workers:
                worker = worker_builder(service)(self.config(service))
                worker.start()
                self.workers[service] = worker
        for worker in self.workers.values():
            wait_for(worker.consumer_ready.is_set, 15, what=f"{worker.config.service} consumer to start")
        return self

    def stop(self) -> None:
        for worker in self.workers.values():
            worker.stop()
        for app in self.apps.values():
            app.extensions["estatedesk"].engine.dispose()

    def client(self, service: str):
        return self.apps[service].test_client()


def publish_event(broker_url: str, event) -> None:
    """Put a contract event on the real bus, as its producing service's relay would."""
    from kombu import Producer

    from shared import topology
    from shared.bus import connect

    with connect(broker_url) as conn:
        producer = Producer(conn.channel(), exchange=topology.EXCHANGE, serializer="json")
        producer.publish(
            event.to_dict(),
            routing_key=event.routing_key,
            declare=[topology.EXCHANGE],
            delivery_mode=2,
            message_id=event.id,
            retry=False,
        )


def deliver_to(broker_url: str, service: str, event) -> None:
    """Put a contract event into one service's queue only, as if the others did not exist — for
    tests of that service's reaction to another service's event."""
    from kombu import Producer

    from shared import topology
    from shared.bus import connect

    with connect(broker_url) as conn:
        channel = conn.channel()
        topology.declare(channel, service)
        Producer(channel, serializer="json").publish(
            event.to_dict(),
            exchange="",
            routing_key=service,
            delivery_mode=2,
            message_id=event.id,
            retry=False,
        )
