"""Demo data: a property group with three estates and a working day's traffic, seeded over HTTP.

Seeding goes through the public API, so it works on the embedded stack and on a production stack
alike, and is idempotent: what already exists is left alone. Each service area contributes a step
(`estatedesk/demo_<service>.py`); steps run in the order of `STEPS`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import requests

from estatedesk import demo_callback, demo_intake

DEMO_GROUP = "evergreen"
DEMO_ESTATES = [
    {"id": "harbour-view", "name": "Harbour View Gardens 海景花园", "code": "HV", "region": "South"},
    {"id": "maple-court", "name": "Maple Court 枫林苑", "code": "MC", "region": "South"},
    {"id": "riverside", "name": "Riverside Residences 江畔名苑", "code": "RS", "region": "East"},
]


class SeedError(RuntimeError):
    pass


class DemoClient:
    """A thin HTTP client for seeding: JSON in and out, "already there" is not an error."""

    def __init__(self, base_url: str, token: str, progress: Callable[[str], None]):
        self.base = base_url.rstrip("/")
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.progress = progress

    def get(self, path: str, **params):
        r = self.http.get(self.base + path, params=params, timeout=30)
        if r.status_code != 200:
            raise SeedError(f"GET {path} failed: {r.status_code} {r.text[:300]}")
        return r.json()

    def send(self, method: str, path: str, body, ok=(200, 201), tolerate=(409,)):
        r = self.http.request(method, self.base + path, json=body, timeout=30)
        if r.status_code in ok:
            return r.json() if r.content else None
        if r.status_code in tolerate:
            return None
        raise SeedError(f"{method} {path} failed: {r.status_code} {r.text[:300]}")

    def post(self, path: str, body, **kw):
        return self.send("POST", path, body, **kw)

    def put(self, path: str, body, **kw):
        return self.send("PUT", path, body, **kw)

    def wait_until(self, what: str, predicate: Callable[[], bool], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise SeedError(f"gave up waiting for {what} after {timeout:.0f}s")
            time.sleep(0.1)


def seed_estates(client: DemoClient) -> None:
    for estate in DEMO_ESTATES:
        body = {**estate, "timezone": "Asia/Shanghai", "calendar": "CN"}
        created = client.post("/intake/v1/estates", body)
        client.progress(f"  estate {estate['id']}: {'registered' if created else 'already there'}")

    def known(service: str, estate_id: str) -> bool:
        r = client.http.get(f"{client.base}/{service}/v1/estates/{estate_id}", timeout=10)
        return r.status_code == 200

    for service in ("dispatch", "callback", "reporting"):
        for estate in DEMO_ESTATES:
            estate_id = estate["id"]
            client.wait_until(f"{service} to learn {estate_id}", lambda s=service, e=estate_id: known(s, e))
    client.progress("  every service knows the demo estates")


def _dispatch_step(client: DemoClient) -> None:
    from estatedesk import demo_dispatch  # imported late: it imports this module

    demo_dispatch.seed(client)


def _history_step(client: DemoClient) -> None:
    from estatedesk import demo_history  # imported late: it imports this module

    demo_history.seed(client)


def _reporting_step(client: DemoClient) -> None:
    from estatedesk import demo_reporting  # imported late: it imports this module

    demo_reporting.seed(client)


# Routing and policies first, so the tickets seeded afterwards flow through them.
STEPS: list[Callable[[DemoClient], None]] = [
    seed_estates,
    _dispatch_step,
    demo_callback.seed,
    demo_intake.seed,
    _history_step,
    _reporting_step,
]


def seed(base_url: str, token: str, progress: Callable[[str], None] = print) -> None:
    client = DemoClient(base_url, token, progress)
    for step in STEPS:
        step(client)
