"""Desk resolutions, reordered events, anonymous reporters, special services, routine visits, top-up."""

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from services.callback.models import TicketFacts
from services.callback.worker import tick
from tests.integration.callback.helpers import ALL_GOOD, Story
from tests.support import wait_for

SH = ZoneInfo("Asia/Shanghai")


def opened(story, ticket_id, **overrides):
    data = {
        "ticket_id": ticket_id,
        "number": f"T-{ticket_id[-6:]}",
        "kind": "repair",
        "category": "engineering",
        "channel": "phone",
        "location": {"unit": "D-0808"},
        "reporter": {"name": "Ms Li 李女士", "phone": "13800000000", "resident_id": "r-li"},
        "opened_at": datetime.now(UTC).isoformat(),
    }
    data.update(overrides)
    return story.publish("ticket.opened", data, producer="intake")


def known_ticket(story, ticket_id):
    sessions = story.stack.apps["callback"].extensions["estatedesk"].sessions
    with sessions() as s:
        s.info["estatedesk.estates"] = frozenset([story.estate])
        return s.get(TicketFacts, (story.estate, ticket_id)) is not None


def test_a_complaint_settled_at_the_desk_is_called_back_by_the_supervisor(stack):
    story = Story(stack)
    ticket = f"t-{uuid.uuid4().hex[:8]}"
    resolution = {
        "ticket_id": ticket,
        "number": "T-1",
        "kind": "complaint",
        "category": "noise",
        "severity": "minor",
        "outcome": "answered",
        "resolved_at": datetime.now(UTC).isoformat(),
        "reporter": {"name": "Mr Wang", "phone": "139", "resident_id": "r-wang"},
        "location": {"unit": "E-0101"},
    }
    story.publish("ticket.resolved_at_desk", resolution, producer="intake")
    story.publish("ticket.resolved_at_desk", resolution, producer="intake")  # duplicated
    cb = wait_for(lambda: [c for c in story.callbacks() if c["ticket_id"] == ticket], what="desk callback")
    assert len(cb) == 1 and cb[0]["rule"] == "complaint" and cb[0]["assignee_role"] == "agent"
    assert cb[0]["resident_id"] == "r-wang"

    out_of_scope = {**resolution, "ticket_id": f"t-{uuid.uuid4().hex[:8]}", "outcome": "out_of_scope"}
    story.publish("ticket.resolved_at_desk", out_of_scope, producer="intake")
    skipped = wait_for(lambda: story.emitted("callback.skipped", ticket_id=out_of_scope["ticket_id"]))
    assert skipped[0]["data"]["reason"] == "out_of_scope"


def test_a_completion_arriving_before_its_ticket_learns_the_resident_afterwards(stack):
    story = Story(stack)
    ticket = f"t-{uuid.uuid4().hex[:8]}"
    _, data = story.complete_work_order(ticket_id=ticket, resident_rating="unsatisfied")
    cb = story.callback_for(data["work_order_id"])
    assert cb["resident_id"] is None
    opened(story, ticket)
    wait_for(
        lambda: story.callback_for(data["work_order_id"])["resident_id"] == "r-li",
        what="the callback to learn its resident",
    )


def test_an_anonymous_reporter_cannot_be_called_back(stack):
    story = Story(stack)
    ticket = f"t-{uuid.uuid4().hex[:8]}"
    opened(story, ticket, anonymous=True, reporter=None)
    wait_for(lambda: known_ticket(story, ticket), what="callback to learn the ticket")
    _, data = story.complete_work_order(ticket_id=ticket, resident_rating="unsatisfied")
    skipped = wait_for(lambda: story.emitted("callback.skipped", work_order_id=data["work_order_id"]))
    assert skipped[0]["data"]["reason"] == "anonymous"


def test_a_special_service_contract_is_called_back_at_mid_contract_and_after_it_ends(stack):
    story = Story(stack)
    ticket = f"t-{uuid.uuid4().hex[:8]}"
    start = datetime(2026, 12, 1, 9, tzinfo=SH)
    end = datetime(2027, 2, 28, 9, tzinfo=SH)
    opened(
        story,
        ticket,
        kind="special_service",
        category="cleaning",
        appointment={"start": start.isoformat(), "end": end.isoformat()},
    )
    mid = wait_for(lambda: [c for c in story.callbacks() if c["ticket_id"] == ticket], what="mid-contract")
    assert mid[0]["rule"] == "special_service" and mid[0]["due_from"].startswith("2027-01-14")
    _, data = story.complete_work_order(ticket_id=ticket, kind="special_service", category="cleaning")
    end_cb = story.callback_for(data["work_order_id"])
    assert end_cb["rule"] == "special_service" and end_cb["resident_id"] == "r-li"


def test_the_monthly_routine_plan_visits_each_occupied_unit_once_and_skips_recent_visits(stack):
    story = Story(stack)
    units = ["F-0101", "F-0102", "F-0103"]
    today = datetime.now(SH).date()
    for i, unit in enumerate(units):
        story.publish(
            "resident.moved_in",
            {"resident_id": f"r-{unit}", "unit": unit, "role": "owner", "moved_in_on": today.isoformat()},
            producer="intake",
        )
        wait_for(
            lambda n=i + 1: len([c for c in story.callbacks("manager") if c["rule"] == "new_resident"]) == n,
            what=f"the new-resident callback for {unit}",
        )
    # the second unit's new-resident visit is made now: the routine plan will not repeat it soon
    visited = next(c for c in story.callbacks("manager") if c["unit"] == "F-0102")
    body = {"method": "visit", "reached": True, "satisfaction": "satisfied", "ratings": ALL_GOOD}
    assert story.attempt(visited["id"], body).status_code == 201

    sessions = stack.apps["callback"].extensions["estatedesk"].sessions
    seen = []
    # the units are planned in the three months after moving in; F-0102's turn comes within 90 days
    for month in range(12):
        m0 = today.month + month  # 0-based month index of the month after this one
        moment = datetime(today.year + m0 // 12, m0 % 12 + 1, 15, 12, tzinfo=SH)
        tick(sessions, now=moment, estates=[story.estate])
        tick(sessions, now=moment + timedelta(days=1), estates=[story.estate])  # idempotent
        routine = [c for c in story.callbacks(rule="routine") if c["unit"] not in [s[1] for s in seen]]
        seen += [(moment.strftime("%Y-%m"), c["unit"]) for c in routine]
    assert sorted(u for _, u in seen) == ["F-0101", "F-0103"]
    assert len(story.callbacks(rule="routine")) == 2
    assert all(c["assignee_role"] == "agent" for c in story.callbacks(rule="routine"))


def test_at_month_end_a_rule_short_of_its_target_is_topped_up_with_a_satisfied_repair(stack):
    story = Story(stack)
    url = f"/callback/v1/estates/{story.estate}/policy"
    repair = next(r for r in story.get(url).get_json()["rules"] if r["id"] == "repair")
    assert story.put(url, {"rules": [{**repair, "target_percent": 50}]}, "manager").status_code == 200
    _, first = story.complete_work_order()  # sampled: 0 of 1 is below 50%
    cb = story.callback_for(first["work_order_id"])
    _, second = story.complete_work_order()  # skipped: 1 of 2 is 50%
    wait_for(lambda: story.emitted("callback.skipped", work_order_id=second["work_order_id"]))
    for _ in range(3):
        assert story.attempt(cb["id"], {"method": "phone", "reached": False}).status_code == 201
    today = datetime.now(SH).date()
    last_day = (date(today.year + today.month // 12, today.month % 12 + 1, 1)) - timedelta(days=1)
    month_end = datetime.combine(last_day, datetime.min.time(), tzinfo=SH).replace(hour=12)
    sessions = stack.apps["callback"].extensions["estatedesk"].sessions
    tick(sessions, now=month_end, estates=[story.estate])
    tick(sessions, now=month_end + timedelta(hours=1), estates=[story.estate])
    topped = [c for c in story.callbacks() if c["work_order_id"] == second["work_order_id"]]
    assert len(topped) == 1 and topped[0]["reason"] == "top_up"
    assert len(story.emitted("callback.scheduled", work_order_id=second["work_order_id"])) == 1
