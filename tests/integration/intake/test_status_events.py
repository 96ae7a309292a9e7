"""A ticket's status follows real dispatch and callback events from RabbitMQ, in any order."""

import uuid
from datetime import timedelta

import pytest

from services.intake.worker import age_all_estates
from shared.db import utcnow
from tests.integration.intake.helpers import Desk, callback_done, completed, now, work_order
from tests.support import wait_for


@pytest.fixture
def desk(stack):
    return Desk(stack)


def timeline_types(ticket):
    return [e["type"] for e in ticket["timeline"]]


def test_a_repair_follows_its_work_order_to_closed(desk):
    t = desk.open(tags=["leak"])
    wo = str(uuid.uuid4())
    desk.publish("workorder.assigned", "dispatch", **work_order(t, wo), team_id="team-eng", assigned_at=now())
    desk.wait_status(t["id"], "dispatched")
    desk.publish("workorder.accepted", "dispatch", **work_order(t, wo), at=now())
    desk.wait_status(t["id"], "in_progress")
    desk.publish("workorder.completed", "dispatch", **completed(t, wo))
    resolved = desk.wait_status(t["id"], "resolved")
    assert resolved["sla"]["resolved_at"]
    desk.publish("callback.completed", "callback", **callback_done(t, "satisfied", work_order_id=wo))
    closed = desk.wait_status(t["id"], "closed")
    assert closed["closed_at"]
    assert [e["data"]["ticket_id"] for e in desk.outbox("ticket.closed")] == [t["id"]]
    assert desk.outbox("ticket.closed")[0]["data"]["reason"] == "callback_satisfied"


def test_a_late_accepted_after_completed_leaves_the_ticket_resolved(desk):
    t = desk.open()
    wo = str(uuid.uuid4())
    desk.publish("workorder.completed", "dispatch", **completed(t, wo))
    desk.wait_status(t["id"], "resolved")
    desk.publish("workorder.accepted", "dispatch", **work_order(t, wo), at=now())
    desk.publish("workorder.assigned", "dispatch", **work_order(t, wo), team_id="team-eng", assigned_at=now())
    ticket = wait_for(
        lambda: (x := desk.get(t["id"])) and timeline_types(x).count("work_order_assigned") and x,
        15,
        what="the late events to be recorded",
    )
    assert ticket["status"] == "resolved"
    assert "work_order_accepted" in timeline_types(ticket)


def test_an_unsatisfied_callback_reopens_the_ticket_and_counts_it(desk):
    t = desk.open()
    wo = str(uuid.uuid4())
    desk.publish("workorder.assigned", "dispatch", **work_order(t, wo), team_id="team-eng", assigned_at=now())
    desk.publish("workorder.completed", "dispatch", **completed(t, wo))
    desk.wait_status(t["id"], "resolved")
    cb = callback_done(t, "unsatisfied", work_order_id=wo)
    desk.publish("callback.completed", "callback", **cb)
    reopened = desk.wait_status(t["id"], "reopened")
    assert reopened["reopen_count"] == 1
    # the same callback reported again (another event id) does not reopen twice
    desk.publish("callback.completed", "callback", **cb)
    rework = str(uuid.uuid4())
    desk.publish(
        "workorder.assigned",
        "dispatch",
        **work_order(t, rework),
        team_id="team-eng",
        rework=True,
        rework_of=wo,
        assigned_at=now(),
    )
    again = desk.wait_status(t["id"], "dispatched")
    assert again["reopen_count"] == 1
    events = desk.outbox("ticket.reopened")
    assert len(events) == 1 and events[0]["data"]["reopen_count"] == 1


def test_a_skipped_callback_closes_and_a_failed_one_does_not(desk):
    a, b = desk.open(), desk.open(location={"unit": "2-201"})
    for t in (a, b):
        wo = str(uuid.uuid4())
        desk.publish("workorder.completed", "dispatch", **completed(t, wo))
        desk.wait_status(t["id"], "resolved")
    desk.publish(
        "callback.skipped",
        "callback",
        callback_id=str(uuid.uuid4()),
        ticket_id=a["id"],
        rule="r",
        reason="not_sampled",
    )
    desk.wait_status(a["id"], "closed")
    desk.publish(
        "callback.failed",
        "callback",
        callback_id=str(uuid.uuid4()),
        ticket_id=b["id"],
        rule="r",
        attempts=3,
        failed_at=now(),
    )
    failed = wait_for(
        lambda: (x := desk.get(b["id"])) and "callback_failed" in timeline_types(x) and x,
        15,
        what="failure noted",
    )
    assert failed["status"] == "resolved"


def test_a_new_issue_raised_during_a_callback_becomes_a_ticket(desk):
    t = desk.open()
    wo = str(uuid.uuid4())
    desk.publish("workorder.completed", "dispatch", **completed(t, wo))
    desk.wait_status(t["id"], "resolved")
    issue = {
        "kind": "complaint",
        "category": "cleaning",
        "description": "Lobby dirty",
        "location": {"area": "Lobby"},
    }
    desk.publish("callback.completed", "callback", **callback_done(t, "satisfied", new_issue=issue))
    desk.wait_status(t["id"], "closed")

    def new_ticket():
        r = desk.http.get(desk.url("tickets"), query_string={"kind": "complaint"}, headers=desk.agent())
        return r.get_json()["items"]

    items = wait_for(new_ticket, 15, what="the new ticket")
    assert items[0]["channel"] == "callback" and items[0]["location"] == {"unit": None, "area": "Lobby"}
    assert items[0]["reporter"]["name"] == "Li Wei"
    opened = [e for e in desk.outbox("ticket.opened") if e["data"]["ticket_id"] == items[0]["id"]]
    assert opened and opened[0]["data"]["channel"] == "callback"


def test_a_valid_complaint_unresolved_for_a_month_becomes_major(stack, desk):
    minor = desk.open(kind="complaint", category="noise", severity="minor", location={"area": "Roof"})
    answered = desk.open(kind="complaint", category="parking", location={"area": "Car park"})
    r = desk.http.post(
        desk.url("tickets", answered["id"], "resolution"),
        json={"outcome": "unfounded", "note": "Explained."},
        headers=desk.agent(),
    )
    assert r.status_code == 201
    sessions = stack.workers["intake"].sessions
    assert desk.estate not in age_all_estates(sessions, now=utcnow() + timedelta(days=29))
    aged = age_all_estates(sessions, now=utcnow() + timedelta(days=31))
    assert aged[desk.estate] == [minor["number"]]
    t = desk.get(minor["id"])
    assert t["severity"] == "major" and t["timeline"][-1]["data"]["automatic"] is True
    event = desk.outbox("ticket.escalated")[-1]["data"]
    assert event["automatic"] is True and event["previous_severity"] == "minor"
    assert desk.estate not in age_all_estates(sessions, now=utcnow() + timedelta(days=32))


def test_a_new_issue_without_a_place_is_opened_where_the_first_ticket_was(desk):
    t = desk.open(location={"unit": "2-201"})
    issue = {"kind": "repair", "category": "engineering", "description": "Balcony light out"}
    desk.publish("callback.completed", "callback", **callback_done(t, "satisfied", new_issue=issue))
    bad = {"kind": "riddle", "category": "engineering", "description": "?"}
    desk.publish("callback.completed", "callback", **callback_done(t, "satisfied", new_issue=bad))

    def from_callbacks():
        r = desk.http.get(desk.url("tickets"), query_string={"unit": "2-201"}, headers=desk.agent())
        return [x for x in r.get_json()["items"] if x["channel"] == "callback"]

    made = wait_for(from_callbacks, 15, what="the new ticket")
    assert made[0]["description"] == "Balcony light out" and made[0]["duplicate_of"]["id"] == t["id"]
    origin = wait_for(
        lambda: (x := desk.get(t["id"])) and "new_issue_unreadable" in timeline_types(x) and x,
        15,
        what="noted",
    )
    assert "new_issue_opened" in timeline_types(origin)
