"""`estatedesk dev`: the embedded default — all four services, SQLite, in-memory bus, one port."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from werkzeug.serving import make_server

from estatedesk import demo
from estatedesk.registry import SERVICES, app_factory, worker_builder
from estatedesk.router import PrefixRouter
from estatedesk.secrets import dev_secret
from shared.auth import mint_token
from shared.config import Config
from shared.logs import configure_logging
from shared.migrations import upgrade

log = logging.getLogger(__name__)


@dataclass
class Embedded:
    """The whole system in one process; tests and `estatedesk dev` both use it."""

    data_dir: Path
    secret: str
    port: int = 8000
    host: str = "127.0.0.1"
    configs: dict[str, Config] = field(default_factory=dict)
    workers: dict = field(default_factory=dict)
    server: object = None
    _thread: threading.Thread | None = None

    def config(self, service: str) -> Config:
        return Config.from_env(
            service,
            database_url=f"sqlite:///{self.data_dir / (service + '.db')}",
            broker_url="memory://",
            redis_url=None,
            jwt_secret=self.secret,
            jwt_jwks_url=None,
            data_dir=self.data_dir,
            relay_interval=0.2,
            # The console is for the person running it: warnings only, unless they ask for more.
            log_level=os.environ.get("ESTATEDESK_LOG_LEVEL", "WARNING").upper(),
        )

    def start(self, progress=print) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        apps = {}
        for service in SERVICES:
            config = self.configs[service] = self.config(service)
            progress(f"  {service}: migrating {config.database_url}")
            upgrade(config)
            apps[service] = app_factory(service)(config)
            worker = self.workers[service] = worker_builder(service)(config)
            worker.start()
        index = {
            "EstateDesk": "embedded development stack",
            "services": {s: {"docs": f"/{s}/docs", "openapi": f"/{s}/openapi.json"} for s in SERVICES},
        }
        self.server = make_server(self.host, self.port, PrefixRouter(apps, index), threaded=True)
        self.port = self.server.server_port
        self._thread = threading.Thread(target=self.server.serve_forever, name="http", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
        for worker in self.workers.values():
            worker.stop()

    def demo_token(self) -> str:
        return mint_token(
            self.secret,
            sub="demo-admin",
            name="Demo Admin",
            group=demo.DEMO_GROUP,
            estates=["*"],
            roles=["admin", "head_office", "manager", "supervisor", "agent"],
        )


def run(port: int, data_dir: Path, seed: bool = True) -> None:
    configure_logging("estatedesk", os.environ.get("ESTATEDESK_LOG_LEVEL", "WARNING"))
    secret = dev_secret(data_dir, create=True)
    system = Embedded(data_dir=data_dir, secret=secret, port=port)
    print(f"EstateDesk — embedded stack in {data_dir.resolve()}", flush=True)
    system.start()
    token = system.demo_token()
    if seed:
        print("Seeding demo data:", flush=True)
        demo.seed(system.url, token, progress=lambda m: print(m, flush=True))
    print(
        f"""
Ready on {system.url}
  API docs:   {system.url}/intake/docs  (also /dispatch, /callback, /reporting)
  Dashboard:  {system.url}/reporting/dashboard
  Token (admin + head office of group '{demo.DEMO_GROUP}', 12 h):

export TOKEN={token}
curl -H "Authorization: Bearer $TOKEN" {system.url}/intake/v1/estates

More tokens: estatedesk token --role agent --group {demo.DEMO_GROUP} --estate harbour-view
Press Ctrl+C to stop.""",
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
    finally:
        system.stop()
