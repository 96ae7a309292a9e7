"""Demo data: a property group with three estates, seeded over HTTP (so it works on any running stack)."""

from __future__ import annotations

import time
from collections.abc import Callable

import requests

DEMO_GROUP = "evergreen"
DEMO_ESTATES = [
    {"id": "harbour-view", "name": "Harbour View Gardens 海景花园", "code": "HV", "region": "South"},
    {"id": "maple-court", "name": "Maple Court 枫林苑", "code": "MC", "region": "South"},
    {"id": "riverside", "name": "Riverside Residences 江畔名苑", "code": "RS", "region": "East"},
]


class SeedError(RuntimeError):
    pass


def seed(base_url: str, token: str, progress: Callable[[str], None] = print, timeout: float = 30.0) -> None:
    """Create the demo estates (what exists is left alone) and wait until every service knows them."""
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    base = base_url.rstrip("/")
    for estate in DEMO_ESTATES:
        body = {**estate, "timezone": "Asia/Shanghai", "calendar": "CN"}
        r = http.post(f"{base}/intake/v1/estates", json=body, timeout=10)
        if r.status_code == 201:
            progress(f"  estate {estate['id']}: registered")
        elif r.status_code == 409:
            progress(f"  estate {estate['id']}: already there")
        else:
            raise SeedError(f"registering {estate['id']} failed: {r.status_code} {r.text}")
    deadline = time.monotonic() + timeout
    for service in ("dispatch", "callback", "reporting"):
        for estate in DEMO_ESTATES:
            url = f"{base}/{service}/v1/estates/{estate['id']}"
            while http.get(url, timeout=10).status_code != 200:
                if time.monotonic() > deadline:
                    raise SeedError(f"{service} has not learnt estate {estate['id']} after {timeout:.0f}s")
                time.sleep(0.1)
    progress("  every service knows the demo estates")
