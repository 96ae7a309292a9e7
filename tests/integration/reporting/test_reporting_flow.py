"""Reporting on PostgreSQL + RabbitMQ: contract events on the real bus become the month's reports,
and a rebuild from the event log gives the same numbers.

The events here stand in for the other services' (invented tickets, orders and callbacks), so they
are delivered to reporting's queue alone: the real intake, dispatch and callback must not react."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from services.reporting.memory import MemoryProjection
from services.reporting.rebuild import rebuild
from tests.integration.test_estate_flow import register
from tests.support import auth, deliver_to, random_group, wait_for
from tests.unit.reporting.stream import Stream, redelivered

MONTH = "2026-03"


def reporting(stack):
    return stack.client("reporting")


def head_office(group):
    return auth("head_office", group=group)


def known_to_reporting(stack, group, estate):
    wait_for(
        lambda: (
            reporting(stack).get(f"/reporting/v1/estates/{estate}", headers=head_office(group)).status_code
            == 200
        ),
        timeout=15,
        what=f"reporting to learn {estate}",
    )


def logged(stack, estate) -> int:
    from sqlalchemy import func, select

    from services.reporting.models import EventLogEntry

    sessions = stack.apps["reporting"].extensions["estatedesk"].sessions
    with sessions() as s:
        return s.scalar(
            select(func.count())
            .select_from(EventLogEntry)
            .where(EventLogEntry.estate_id == estate)
            .execution_options(all_estates=True)
        )


def month_of_work(s: Stream) -> list:
    """A March at one estate: repairs with callbacks, a reopen cycle, complaints, skips, a failure."""
    events = []
    ratings = {"quality": "satisfied", "attitude": "satisfied", "punctuality": "fairly_satisfied"}
    for n, (category, satisfaction) in enumerate(
        [
            ("engineering", "satisfied"),
            ("engineering", "fairly_satisfied"),
            ("cleaning", "satisfied"),
            ("security", "unsatisfied"),
            ("pest_control", "satisfied"),
        ]
    ):
        t = f"t{n}"
        events += [
            s.opened(
                t,
                f"2026-03-0{n + 2}T02:00:00+00:00",
                category=category,
                unit=f"1-10{n}",
                first_reply_due=f"2026-03-0{n + 2}T09:00:00+00:00",
                resolve_due=f"2026-03-0{n + 4}T09:00:00+00:00",
            ),
            s.replied(t, f"2026-03-0{n + 2}T03:00:00+00:00"),
            s.arrived(t, f"w{n}", f"2026-03-0{n + 2}T02:10:00+00:00", on_time=n != 1),
            s.completed(t, f"w{n}", f"2026-03-0{n + 2}T06:00:00+00:00", category=category),
            s.scheduled(f"cb{n}", t, "repair", f"2026-03-0{n + 2}T06:00:01+00:00"),
            s.done(
                f"cb{n}",
                t,
                "repair",
                f"2026-03-0{n + 3}T02:00:00+00:00",
                satisfaction,
                ratings={**ratings, "quality": satisfaction},
            ),
        ]
    events += [
        s.reopened("t3", 1, "2026-03-06T03:00:00+00:00", callback="cb3"),
        s.completed("t3", "w3b", "2026-03-07T03:00:00+00:00", category="security", rework=True),
        s.scheduled("cb3b", "t3", "rework", "2026-03-07T03:00:01+00:00"),
        s.done("cb3b", "t3", "rework", "2026-03-08T03:00:00+00:00", "satisfied"),
        s.closed("t3", "2026-03-08T03:00:01+00:00"),
        s.opened("c1", "2026-03-10T02:00:00+00:00", kind="complaint", category="noise", unit="2-201"),
        s.opened("c2", "2026-03-20T02:00:00+00:00", kind="complaint", category="noise", unit="2-201"),
        s.escalated("c2", "important", "2026-03-21T02:00:00+00:00"),
        s.skipped("sk1", "t9", "repair", "2026-03-11T02:00:00+00:00"),
        s.skipped("sk2", "t8", "repair", "2026-03-11T02:00:00+00:00", reason="no_rule"),
        s.scheduled("cbc", "c1", "complaint", "2026-03-12T02:00:00+00:00"),
        s.failed("cbc", "c1", "complaint", "2026-03-15T02:00:00+00:00"),
        s.moved_in("1-100"),
        s.moved_in("1-101"),
        s.scheduled("rv1", None, "routine", "2026-03-01T02:00:00+00:00"),
        s.done("rv1", None, "routine", "2026-03-02T02:00:00+00:00", "satisfied", unit="1-100"),
    ]
    return events


def reports(stack, group, estate) -> dict:
    get = lambda path: reporting(stack).get(path, headers=head_office(group)).get_json()  # noqa: E731
    base = f"/reporting/v1/estates/{estate}"
    return {
        "stats": get(f"{base}/callback-stats?month={MONTH}"),
        "rates": get(f"{base}/callback-rates?month={MONTH}"),
        "complaints": get(f"{base}/complaints?month={MONTH}"),
        "nonconformance": get(f"{base}/nonconformance?quarter=2026Q1"),
        "group": get(f"/reporting/v1/groups/{group}/estates?month={MONTH}"),
    }


@pytest.fixture(scope="module")
def march(stack):
    """One estate whose March arrived over RabbitMQ, each event published twice."""
    group = random_group()
    estate = register(stack, group, name="Harbour View 海景花园", region="South")["id"]
    known_to_reporting(stack, group, estate)
    s = Stream(estate, group=group)
    events = month_of_work(s)
    for event in events:
        deliver_to(stack.broker_url, "reporting", event)
    for event in events[:5]:  # a producer that crashed after publishing and published again
        deliver_to(stack.broker_url, "reporting", event)
        deliver_to(stack.broker_url, "reporting", redelivered(event))
    expected_log = 1 + len(events) + 5  # estate.registered + every distinct event id
    wait_for(lambda: logged(stack, estate) == expected_log, timeout=30, what="reporting to consume March")
    return group, estate, events


def test_contract_events_on_the_bus_produce_the_months_qr004_table(stack, march):
    group, estate, _ = march
    stats = reports(stack, group, estate)["stats"]
    table = {r["area"]: (r["satisfied"], r["fairly_satisfied"], r["unsatisfied"]) for r in stats["rows"]}
    assert table == {
        "security": (1, 0, 1),  # the unsatisfied callback and the satisfied one after the rework
        "cleaning_greening": (1, 0, 0),
        "pest_waste": (1, 0, 0),
        "noise": (0, 0, 0),
        "engineering_repairs": (1, 1, 0),
        "complaint_handling": (0, 0, 0),
        "service_attitude": (5, 0, 0),
        "work_efficiency": (0, 5, 0),
    }
    assert stats["rows"][0]["label_zh"] == "治安"
    assert stats["reached"] == 7  # 5 repairs, the rework, the routine visit
    assert stats["satisfaction_rate"] == round(6 / 7, 4)
    assert stats["full_satisfaction_rate"] == round(5 / 7, 4)


def test_the_stored_projection_agrees_with_the_domain_rules_on_the_same_stream(stack, march):
    group, estate, events = march
    s = Stream(estate, group=group)
    memory = MemoryProjection().apply_all([s.registered(), *events])
    got = reports(stack, group, estate)
    assert got["stats"]["rows"] == [
        {**row, "label_zh": r["label_zh"], "label_en": r["label_en"]}
        for row, r in zip(memory.qr004(estate, MONTH)["rows"], got["stats"]["rows"], strict=True)
    ]
    complaints = {k: v for k, v in got["complaints"].items() if k not in ("estate", "month")}
    assert complaints == memory.complaint_summary(estate, MONTH)
    assert got["nonconformance"]["items"] == memory.nonconformance(estate, "2026Q1")
    row = got["group"]["items"][0]
    assert {k: row[k] for k in memory.figures(estate, MONTH)} == memory.figures(estate, MONTH)


def test_callback_rates_per_rule_and_routine_coverage(stack, march):
    group, estate, _ = march
    rates = reports(stack, group, estate)["rates"]
    by_rule = {r["rule"]: r for r in rates["rules"]}
    assert by_rule["repair"] == {
        "rule": "repair",
        "eligible": 6,  # five done + one not sampled; "no_rule" is not eligible
        "done": 5,
        "rate": round(5 / 6, 4),
        "target": 0.7,
        "meets_target": True,
    }
    assert by_rule["complaint"]["done"] == 0 and by_rule["complaint"]["meets_target"] is False
    assert rates["routine_coverage"]["occupied_units"] == 2
    assert rates["routine_coverage"]["visited_units"] == 1 and rates["routine_coverage"]["rate"] == 0.5


def test_nonconformance_lists_the_failed_and_unsatisfied_callbacks_and_the_repeated_complaint(stack, march):
    group, estate, _ = march
    items = reports(stack, group, estate)["nonconformance"]["items"]
    assert sorted(i["type"] for i in items) == [
        "callback_failed",
        "callback_unsatisfied",
        "repeated_complaint",
    ]
    repeated = next(i for i in items if i["type"] == "repeated_complaint")
    assert repeated["place"] == "2-201" and repeated["ticket_ids"] == ["c1", "c2"]


def test_rebuild_from_the_event_log_gives_identical_numbers(stack, march):
    group, estate, _ = march
    before = reports(stack, group, estate)
    sessions = stack.apps["reporting"].extensions["estatedesk"].sessions
    totals = rebuild(sessions, estates=[estate])
    assert totals["estates"] == 1 and totals["events"] == logged(stack, estate)
    assert reports(stack, group, estate) == before


def test_group_comparison_is_for_head_office_and_exports_csv_and_excel(stack, march):
    group, estate, _ = march
    url = f"/reporting/v1/groups/{group}/estates?month={MONTH}"
    r = reporting(stack).get(url, headers=auth("manager", group=group))
    assert r.status_code == 403 and r.mimetype == "application/problem+json"
    body = reporting(stack).get(url, headers=head_office(group)).get_json()
    assert [row["estate"] for row in body["items"]] == [estate]
    assert body["items"][0]["tickets"] == 7 and body["items"][0]["complaints"] == 2
    assert body["regions"][0]["region"] == "South"
    csv_rows = list(
        csv.reader(io.StringIO(reporting(stack).get(url + "&format=csv", headers=head_office(group)).text))
    )
    assert csv_rows[0][0].lstrip("\ufeff") == "estate" and csv_rows[1][0] == estate
    xlsx = reporting(stack).get(
        f"/reporting/v1/estates/{estate}/callback-stats?month={MONTH}&format=xlsx", headers=head_office(group)
    )
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert [c.value for c in sheet[1]][:3] == ["项目", "项目（英文）", "满意"]
    assert [c.value for c in sheet[2]][2] == "Satisfied"
    assert [c.value for c in sheet[3]][:2] == ["治安", "Security"]


@pytest.mark.parametrize(
    "query",
    [
        "month=2026-13",
        "month=march",
        "",
        "month=2026-03&sort=bogus",
        "from=2026-05&to=2026-01",
        "month=2026-03&x=1",
    ],
)
def test_bad_queries_are_422_problems(stack, march, query):
    group, estate, _ = march
    r = reporting(stack).get(f"/reporting/v1/groups/{group}/estates?{query}", headers=head_office(group))
    assert r.status_code == 422 and r.mimetype == "application/problem+json", r.get_data(as_text=True)
    r = reporting(stack).get(
        f"/reporting/v1/estates/{estate}/nonconformance?quarter=2026Q9", headers=head_office(group)
    )
    assert r.status_code == 422 and "quarter" in r.get_json()["errors"]


@pytest.mark.parametrize(
    "path",
    [
        "callback-stats?month=0000-01",
        "callback-rates?month=0000-01",  # a month before year 1 once reached date arithmetic (500)
        "complaints?month=9999-12",
        "callback-rates?month=2000-01",  # valid: a year back reaches 1999, which must still work
        "callback-stats?month=1999-12",
        "nonconformance?quarter=0000Q1",
    ],
)
def test_months_at_or_outside_the_calendars_edges_never_give_a_500(stack, march, path):
    group, estate, _ = march
    r = reporting(stack).get(f"/reporting/v1/estates/{estate}/{path}", headers=head_office(group))
    expected = 200 if path.endswith("2000-01") else 422
    assert r.status_code == expected, r.get_data(as_text=True)


def test_another_groups_estate_is_404(stack, march):
    _, estate, _ = march
    r = reporting(stack).get(
        f"/reporting/v1/estates/{estate}/callback-stats?month={MONTH}", headers=head_office(random_group())
    )
    assert r.status_code == 404


def test_the_dashboard_signs_in_with_a_pasted_token_and_draws_the_charts(stack, march):
    from tests.support import token

    group, estate, _ = march
    client = reporting(stack)
    r = client.get("/reporting/dashboard")
    assert r.status_code == 303 and "/reporting/dashboard/sign-in" in r.headers["Location"]
    assert client.get("/reporting/dashboard/sign-in").status_code == 200
    bad = client.post("/reporting/dashboard/sign-in", data={"token": "nonsense"})
    assert bad.status_code == 401
    good = client.post("/reporting/dashboard/sign-in", data={"token": token("head_office", group=group)})
    assert good.status_code == 303
    page = client.get(f"/reporting/dashboard?month={MONTH}&lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and html.count("<svg") == 4 and "Harbour View" in html
    drill = client.get(f"/reporting/dashboard/estates/{estate}?month={MONTH}&lang=zh").get_data(as_text=True)
    assert "回访统计月统计表" in drill and "同一事项重复投诉" in drill
    agent = stack.client("reporting")
    agent.post("/reporting/dashboard/sign-in", data={"token": token("agent", group=group)})
    assert agent.get("/reporting/dashboard").status_code == 403


def test_a_head_office_token_for_some_estates_compares_only_those(stack):
    group = random_group()
    a = register(stack, group, region="North")["id"]
    b = register(stack, group, region="North")["id"]
    known_to_reporting(stack, group, a)
    known_to_reporting(stack, group, b)
    url = f"/reporting/v1/groups/{group}/estates?month={MONTH}&sort=estate"
    everyone = reporting(stack).get(url, headers=head_office(group)).get_json()
    assert [r["estate"] for r in everyone["items"]] == sorted([a, b])
    some = reporting(stack).get(url, headers=auth("head_office", group=group, estates=[b])).get_json()
    assert [r["estate"] for r in some["items"]] == [b]


def test_the_same_month_arriving_in_any_order_gives_the_same_reports(stack, march):
    import random

    group, estate, _ = march
    other = register(stack, group, name="Harbour View 海景花园", region="South")["id"]
    known_to_reporting(stack, group, other)
    events = month_of_work(Stream(other, group=group))
    random.Random(6).shuffle(events)
    for event in events:
        deliver_to(stack.broker_url, "reporting", event)
    wait_for(lambda: logged(stack, other) == 1 + len(events), timeout=30, what="reporting to consume")

    def comparable(report: dict) -> dict:
        return {k: v for k, v in report.items() if k not in ("estate", "group", "items", "regions")}

    mine, theirs = reports(stack, group, estate), reports(stack, group, other)
    for name in ("stats", "rates", "complaints", "nonconformance"):
        assert comparable(theirs[name]) == comparable(mine[name]), name
    assert theirs["nonconformance"]["items"] == mine["nonconformance"]["items"]
    rows = {r["estate"]: {k: v for k, v in r.items() if k != "estate"} for r in theirs["group"]["items"]}
    assert rows[other] == rows[estate]


def test_a_corrected_timezone_moves_the_facts_to_their_local_months(stack):
    group = random_group()
    estate = register(stack, group)["id"]  # Asia/Shanghai by default
    known_to_reporting(stack, group, estate)
    s = Stream(estate, group=group, timezone="America/New_York")
    for event in (
        s.opened("t1", "2026-04-01T02:00:00+00:00"),  # 1 April in Shanghai, 31 March in New York
        s.scheduled("cb1", "t1", "repair", "2026-04-01T02:30:00+00:00"),
        s.done("cb1", "t1", "repair", "2026-04-01T03:00:00+00:00"),
    ):
        deliver_to(stack.broker_url, "reporting", event)

    def tickets(month: str) -> int:
        url = f"/reporting/v1/groups/{group}/estates?month={month}"
        return reporting(stack).get(url, headers=head_office(group)).get_json()["items"][0]["tickets"]

    wait_for(lambda: tickets("2026-04") == 1, timeout=15, what="the ticket in Shanghai's April")
    updated = s.event("estate.updated", s.registered().data, "2026-04-02T00:00:00+00:00")
    deliver_to(stack.broker_url, "reporting", updated)
    wait_for(lambda: tickets("2026-03") == 1, timeout=15, what="the ticket to move to New York's March")
    assert tickets("2026-04") == 0
    stats = reporting(stack).get(
        f"/reporting/v1/estates/{estate}/callback-stats?month=2026-03", headers=head_office(group)
    )
    assert stats.get_json()["reached"] == 1
