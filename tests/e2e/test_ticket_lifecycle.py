"""A ticket's whole life across the four services, each its own processes, over real HTTP.

ticket → work order routed and completed → callback scheduled → resident unsatisfied → ticket
reopened → rework order completed → second callback → satisfied → ticket closed — and reporting
counts both callbacks in the month's QR004 table — the same after a rebuild.
"""

import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import requests

from tests.support import estate_body, random_group, token, wait_for


class Client:
    def __init__(self, processes, headers):
        self.p, self.headers = processes, headers

    def call(self, method, service, path, body=None, expect=(200, 201)):
        r = requests.request(
            method, f"{self.p.url(service)}/{service}/v1{path}", json=body, headers=self.headers, timeout=10
        )
        assert r.status_code in expect, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else None

    def eventually(self, service, path, check, what):
        def attempt():
            r = requests.get(f"{self.p.url(service)}/{service}/v1{path}", headers=self.headers, timeout=10)
            return r.status_code == 200 and check(r.json()) and r.json()

        return wait_for(attempt, timeout=20, what=what)


def test_an_unsatisfied_resident_reopens_the_work_until_they_are_satisfied(processes):
    group = random_group()
    estate = estate_body()["id"]
    staff = token(
        "admin", "supervisor", "manager", "agent", "technician", "head_office", group=group, sub="desk-1"
    )
    api = Client(processes, {"Authorization": f"Bearer {staff}"})
    api.call("POST", "intake", "/estates", estate_body(estate, code="LC"))
    for service in ("dispatch", "callback", "reporting"):
        api.eventually(service, f"/estates/{estate}", lambda b: True, f"{service} to learn the estate")
    e = f"/estates/{estate}"
    api.call("POST", "intake", f"{e}/units", {"code": "1-101", "building": "1", "occupied": True})
    # A new estate comes with dispatch's default routing table: engineering repairs go to Engineering.

    ticket = api.call(
        "POST",
        "intake",
        f"{e}/tickets",
        {
            "kind": "repair",
            "category": "engineering",
            "channel": "phone",
            "description": "Kitchen tap leaks",
            "location": {"unit": "1-101"},
            "reporter": {"name": "Wang Fang", "phone": "13800138000"},
        },
    )
    tid = ticket["id"]

    def work_order(rework):
        return api.eventually(
            "dispatch",
            f"{e}/work-orders?ticket_id={tid}",
            lambda b: any(w["rework"] == rework for w in b["items"]),
            f"a work order (rework={rework})",
        )["items"]

    def complete(order):
        for step in ("accept", "arrive"):
            api.call("POST", "dispatch", f"{e}/work-orders/{order['id']}/{step}", {})
        api.call(
            "POST",
            "dispatch",
            f"{e}/work-orders/{order['id']}/complete",
            {"result": "Washer replaced", "resident_signed": True, "resident_rating": None},
        )

    def open_callback(order):
        """The callback the estate's policy scheduled for `order`, waiting in the work queue."""
        found = api.eventually(
            "callback",
            f"{e}/callbacks?ticket_id={tid}&status=scheduled",
            lambda b: any(c["work_order_id"] == order["id"] for c in b["items"]),
            f"the callback for work order {order['id']}",
        )
        return next(c for c in found["items"] if c["work_order_id"] == order["id"])

    first = next(w for w in work_order(False) if not w["rework"])
    api.eventually("intake", f"{e}/tickets/{tid}", lambda t: t["status"] == "dispatched", "ticket dispatched")
    complete(first)
    api.eventually("intake", f"{e}/tickets/{tid}", lambda t: t["status"] == "resolved", "ticket resolved")

    cb1 = open_callback(first)
    ratings = {"punctuality": "satisfied", "attitude": "satisfied", "quality": "unsatisfied"}
    api.call(
        "POST",
        "callback",
        f"{e}/callbacks/{cb1['id']}/attempts",
        {
            "method": "phone",
            "reached": True,
            "satisfaction": "unsatisfied",
            "ratings": ratings,
            "comments": "Still dripping",
        },
    )
    api.eventually("intake", f"{e}/tickets/{tid}", lambda t: t["status"] == "reopened", "ticket reopened")

    rework = next(w for w in work_order(True) if w["rework"])
    complete(rework)
    cb2 = open_callback(rework)
    assert cb2["rule"] != cb1["rule"]  # the rework callback (返修回访), not another general repair one
    happy = {"punctuality": "satisfied", "attitude": "satisfied", "quality": "satisfied"}
    api.call(
        "POST",
        "callback",
        f"{e}/callbacks/{cb2['id']}/attempts",
        {"method": "visit", "reached": True, "satisfaction": "satisfied", "ratings": happy},
    )
    closed = api.eventually(
        "intake", f"{e}/tickets/{tid}", lambda t: t["status"] == "closed", "ticket closed"
    )
    assert any(entry["type"] == "reopened" for entry in closed["timeline"])

    # Reporting heard it all from the real workers: the month's QR004 table (回访统计月统计表).
    month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    stats_url = f"{e}/callback-stats?month={month}"
    expected = {"engineering_repairs": (1, 0, 1), "service_attitude": (2, 0, 0), "work_efficiency": (2, 0, 0)}
    seen = {}

    def table_as_expected(body):
        seen["stats"] = body
        rows = {r["area"]: (r["satisfied"], r["fairly_satisfied"], r["unsatisfied"]) for r in body["rows"]}
        return body["reached"] == 2 and all(rows[a] == cells for a, cells in expected.items())

    try:
        stats = api.eventually(
            "reporting", stats_url, table_as_expected, "reporting's QR004 table for both callbacks"
        )
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last table seen: {seen.get('stats')}") from None
    assert stats["satisfaction_rate"] == 0.5

    # A rebuild from reporting's event log gives the same numbers.
    subprocess.run(
        [sys.executable, "-m", "estatedesk.cli", "reporting", "rebuild"],
        env=processes.env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert api.call("GET", "reporting", stats_url) == stats
