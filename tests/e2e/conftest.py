"""End-to-end: every service as its own processes (gunicorn web + worker) on real servers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass, field

import pytest
import requests

from shared.config import SERVICES
from tests import servers
from tests.support import SECRET, wait_for


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Processes:
    env: dict
    ports: dict = field(default_factory=dict)
    procs: list = field(default_factory=list)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start(self, log_dir) -> None:
        command = [sys.executable, "-m", "estatedesk.cli"]
        subprocess.run([*command, "migrate"], env=self.env, check=True, capture_output=True, timeout=120)
        for service in SERVICES:
            self.ports[service] = free_port()
            for role, args in (
                ("web", ["web", service, "--port", str(self.ports[service])]),
                ("worker", ["worker", service]),
            ):
                log = open(log_dir / f"{service}-{role}.log", "wb")  # noqa: SIM115 - closed with the process
                self.procs.append(
                    (
                        subprocess.Popen(
                            [*command, *args], env=self.env, stdout=log, stderr=subprocess.STDOUT
                        ),
                        log,
                    )
                )
        for service in SERVICES:
            wait_for(
                lambda s=service: self._ready(s), timeout=60, interval=0.2, what=f"{service} to be ready"
            )

    def _ready(self, service: str) -> bool:
        for proc, log in self.procs:
            if proc.poll() is not None:
                raise AssertionError(f"a process exited early ({proc.args}); see {log.name}")
        try:
            return requests.get(f"{self.url(service)}/{service}/readyz", timeout=5).status_code == 200
        except requests.RequestException:  # not listening yet, or still booting
            return False

    def stop(self) -> None:
        for proc, _ in self.procs:
            proc.terminate()
        for proc, log in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()


@pytest.fixture(scope="package")
def processes(postgres_server, rabbitmq_url, redis_url, tmp_path_factory):
    database_url, drop = servers.fresh_database(postgres_server)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ESTATEDESK_") and k != "PROMETHEUS_MULTIPROC_DIR"
    }
    env.update(
        ESTATEDESK_DATABASE_URL=database_url,
        ESTATEDESK_BROKER_URL=rabbitmq_url,
        ESTATEDESK_REDIS_URL=redis_url,
        ESTATEDESK_JWT_SECRET=SECRET,
        ESTATEDESK_RELAY_INTERVAL="0.2",
        ESTATEDESK_TIMER_INTERVAL="2",
        ESTATEDESK_LOG_LEVEL="WARNING",
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="4",
    )
    stack = Processes(env=env)
    try:
        stack.start(tmp_path_factory.mktemp("e2e-logs"))
        yield stack
    finally:
        stack.stop()
        drop()


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
