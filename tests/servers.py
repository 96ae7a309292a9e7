"""Finding the real PostgreSQL, RabbitMQ and Redis the integration tests run against (DESIGN.md §8).

Order: `ESTATEDESK_TEST_<KIND>_URL` if set; else a testcontainers container when a Docker engine
is reachable; else the standard local port. If none is reachable the tests are skipped with a
loud reason — except under CI=true, where that is a failure.
"""

from __future__ import annotations

import os
import socket
import uuid
from contextlib import suppress
from urllib.parse import urlparse

import pytest

LOCAL = {
    "postgres": "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//",
    "redis": "redis://127.0.0.1:6379/0",
}
_containers: list = []


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _reachable(url: str) -> bool:
    parsed = urlparse(url.replace("+psycopg", ""))
    with suppress(OSError), socket.create_connection((parsed.hostname, parsed.port), timeout=2):
        return True
    return False


def _docker_reachable() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=2)
        client.ping()
        return True
    except Exception:  # noqa: BLE001 - no engine, no socket, no permission: all mean "no Docker"
        return False


def _from_container(kind: str) -> str:
    if kind == "postgres":
        from testcontainers.postgres import PostgresContainer

        c = PostgresContainer("postgres:16-alpine", driver="psycopg").start()
        url = c.get_connection_url()
    elif kind == "rabbitmq":
        from testcontainers.rabbitmq import RabbitMqContainer

        c = RabbitMqContainer("rabbitmq:3.13-alpine").start()
        url = f"amqp://guest:guest@{c.get_container_host_ip()}:{c.get_exposed_port(5672)}//"
    else:
        from testcontainers.redis import RedisContainer

        c = RedisContainer("redis:7-alpine").start()
        url = f"redis://{c.get_container_host_ip()}:{c.get_exposed_port(6379)}/0"
    _containers.append(c)
    return url


def locate(kind: str) -> str:
    url = os.environ.get(f"ESTATEDESK_TEST_{kind.upper()}_URL")
    if not url and _docker_reachable():
        url = _from_container(kind)
    url = url or LOCAL[kind]
    if not _reachable(url):
        message = f"!!! {kind} is not reachable at {url}: integration tests need it (DESIGN.md §8) !!!"
        if in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return url


def stop_containers() -> None:
    while _containers:
        with suppress(Exception):
            _containers.pop().stop()


def fresh_database(server_url: str) -> tuple[str, callable]:
    """Create an empty database on the server; return its URL and a function that drops it."""
    from sqlalchemy import create_engine, text

    name = f"ed_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    parsed = urlparse(server_url)
    url = parsed._replace(path=f"/{name}").geturl()

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name}
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return url, drop


def reset_queues(amqp_url: str) -> None:
    """Start from empty queues: leftovers of an earlier run must not leak into this one."""
    from kombu import Connection

    from shared.config import SERVICES

    with Connection(amqp_url, connect_timeout=5) as conn:
        for service in SERVICES:
            for name in (service, f"{service}.dead"):
                channel = conn.channel()
                try:
                    channel.queue_delete(name)
                finally:
                    with suppress(Exception):
                        channel.close()
