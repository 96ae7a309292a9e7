"""The front desk's day over HTTP: taking tickets, numbering, deadlines, replies, escalation, desk answers."""

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from kombu import Connection, Queue

from shared import topology
from tests.integration.intake.helpers import Desk
from tests.support import auth, wait_for


@pytest.fixture
def desk(stack):
    return Desk(stack)


def test_a_ticket_taken_over_http_is_published_once_as_ticket_opened(stack, desk):
    with Connection(stack.broker_url) as conn:
        channel = conn.channel()
        queue = Queue(
            f"test-intake-{desk.estate}",
            exchange=topology.EXCHANGE,
            routing_key=f"ticket.opened.{desk.estate}",
            exclusive=True,
            auto_delete=True,
        )(channel)
        queue.declare()
        ticket = desk.open(tags=["leak"])
        seen = []
        wait_for(lambda: (m := queue.get(no_ack=True)) and seen.append(m) or len(seen) >= 1, 15, what="event")
        for _ in range(10):  # nothing more comes for this ticket
            extra = queue.get(no_ack=True)
            assert extra is None
    envelope = json.loads(seen[0].body) if isinstance(seen[0].body, str | bytes) else seen[0].payload
    assert set(envelope) == {
        "id",
        "type",
        "version",
        "estate",
        "group",
        "occurred_at",
        "producer",
        "correlation_id",
        "data",
    }
    assert envelope["type"] == "ticket.opened" and envelope["version"] == 1
    assert envelope["estate"] == desk.estate and envelope["group"] == desk.group
    assert envelope["producer"] == "intake"
    data = envelope["data"]
    assert data["ticket_id"] == ticket["id"] and data["number"] == ticket["number"]
    assert data["location"] == {"unit": "1-101", "area": None}
    assert data["reporter"]["phone"] == "13812345678" and data["tags"] == ["leak"]
    assert data["first_responder"] == desk.agent_sub
    assert len(desk.outbox("ticket.opened")) == 1


def test_a_ticket_records_its_first_responder_number_and_timeline(desk):
    year = datetime.now(UTC).year
    a = desk.open()
    b = desk.open(location={"area": "Lobby of block 2 二号楼大堂"}, category="cleaning")
    assert a["number"] == f"{desk.code}-{year}-00001" and b["number"] == f"{desk.code}-{year}-00002"
    assert a["first_responder"] == desk.agent_sub and a["status"] == "open"
    assert a["timeline"][0]["type"] == "opened" and a["timeline"][0]["actor"] == desk.agent_sub
    assert b["location"] == {"unit": None, "area": "Lobby of block 2 二号楼大堂"}


def test_two_concurrent_creations_never_share_a_number(desk):
    results, errors = [], []
    start = threading.Barrier(8)

    def take():
        try:
            start.wait(10)
            results.append(desk.open(category="cleaning", location={"area": "Car park"})["number"])
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    year = datetime.now(UTC).year
    assert sorted(results) == [f"{desk.code}-{year}-{n:05d}" for n in range(1, 9)]


def test_an_anonymous_complaint_carries_no_reporter(desk):
    t = desk.open(kind="complaint", category="noise", reporter=None, anonymous=True, location={"area": "Gym"})
    assert t["anonymous"] is True and t["reporter"] is None
    assert desk.outbox("ticket.opened")[-1]["data"]["anonymous"] is True
    r = desk.http.post(
        desk.url("tickets"),
        json={
            "kind": "complaint",
            "category": "noise",
            "channel": "phone",
            "description": "x",
            "location": {"area": "Gym"},
            "anonymous": True,
            "reporter": {"name": "Li", "phone": "13800000000"},
        },
        headers=desk.agent(),
    )
    assert r.status_code == 422 and "reporter" in r.get_json()["errors"]


def test_a_written_complaint_is_due_a_written_answer(desk):
    t = desk.open(kind="complaint", category="fees", channel="letter")
    assert t["written"] is True
    sla = t["sla"]
    assert sla["written_answer_due"] and sla["first_reply_due"] and sla["resolve_due"]
    assert set(sla["deadlines"]) == {"first_reply", "written_answer", "resolve", "progress_notice"}
    assert sla["deadlines"]["first_reply"]["breached"] is False
    r = desk.http.post(
        desk.url("tickets", t["id"], "replies"),
        json={"message": "Received, we will answer in writing.", "channel": "phone"},
        headers=desk.agent(),
    )
    assert r.status_code == 201
    t = r.get_json()
    assert t["sla"]["first_reply_at"] and t["sla"]["written_answer_at"] is None
    t = desk.http.post(
        desk.url("tickets", t["id"], "replies"),
        json={"message": "Our written answer.", "channel": "letter"},
        headers=desk.agent(),
    ).get_json()
    assert t["sla"]["written_answer_at"] and t["sla"]["deadlines"]["written_answer"]["breached"] is False
    replies = [e for e in t["timeline"] if e["type"] == "replied"]
    assert [e["data"]["reply"] for e in replies] == ["first_reply", "progress_notice"]
    assert replies[0]["actor"] == desk.agent_sub and replies[0]["data"]["channel"] == "phone"
    events = desk.outbox("ticket.replied")
    assert [e["data"]["first"] for e in events] == [True, False]


def test_an_urgent_ticket_gets_the_urgent_targets(desk):
    t = desk.open(kind="complaint", category="engineering", urgent=True, channel="online")
    opened = datetime.fromisoformat(t["created_at"])
    first = datetime.fromisoformat(t["sla"]["first_reply_due"])
    assert first <= opened + timedelta(hours=2, seconds=1)
    assert datetime.fromisoformat(t["sla"]["resolve_due"]) <= opened + timedelta(hours=48, seconds=1)


def test_a_second_report_for_the_same_unit_and_category_is_linked_not_merged(desk):
    first = desk.open()
    second = desk.open(description="Still leaking")
    assert second["duplicate_of"] == {"id": first["id"], "number": first["number"]}
    assert second["number"] != first["number"]
    other = desk.open(category="security")
    assert other["duplicate_of"] is None
    again = desk.get(first["id"])
    assert again["timeline"][-1]["type"] == "duplicate_reported"
    assert desk.outbox("ticket.opened")[-2]["data"]["duplicate_of"] == first["id"]


@pytest.mark.parametrize(
    "change,field",
    [
        ({"location": {"unit": "9-999"}}, "location"),
        ({"kind": "moan"}, "kind"),
        ({"category": "weather"}, "category"),
        ({"channel": "pigeon"}, "channel"),
        ({"reporter": {"name": "Li Wei"}}, "reporter"),
        ({"location": {"unit": "1-101", "area": "Lobby"}}, "location"),
        (
            {"appointment": {"start": "2020-01-01T09:00:00+08:00", "end": "2020-01-01T10:00:00+08:00"}},
            "appointment",
        ),
        ({"severity": "major"}, "severity"),
        ({"surprise": 1}, "surprise"),
        ({"reporter": {"resident_id": "nobody"}, "anonymous": False}, "reporter"),
    ],
)
def test_bad_input_is_a_problem_and_writes_nothing(desk, change, field):
    before = desk.counts()
    body = {
        "kind": "repair",
        "category": "engineering",
        "channel": "phone",
        "description": "x",
        "location": {"unit": "1-101"},
        "reporter": {"name": "Li Wei", "phone": "13812345678"},
    }
    body.update(change)
    r = desk.http.post(desk.url("tickets"), json=body, headers=desk.agent())
    assert r.status_code == 422, r.get_json()
    assert r.mimetype == "application/problem+json" and field in r.get_json()["errors"]
    assert desk.counts() == before
    assert desk.open(location={"area": "Lobby"})["number"].endswith("-00001")  # no number was used up


def test_another_estates_unit_is_unknown_here(stack, desk):
    other = Desk(stack, units=("7-701",))
    before = desk.counts()
    r = desk.http.post(
        desk.url("tickets"),
        json={
            "kind": "repair",
            "category": "engineering",
            "channel": "phone",
            "description": "x",
            "location": {"unit": "7-701"},
            "reporter": {"name": "Li", "phone": "13812345678"},
        },
        headers=auth("agent", group=desk.group, estates=["*"]),
    )
    assert r.status_code == 422 and desk.counts() == before
    assert other.open(location={"unit": "7-701"})["location"]["unit"] == "7-701"


def test_an_in_unit_repair_takes_a_future_appointment(desk):
    start = datetime.now(UTC) + timedelta(days=1)
    t = desk.open(appointment={"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()})
    assert t["appointment"]["start"].startswith(start.isoformat()[:16])
    assert desk.outbox("ticket.opened")[-1]["data"]["appointment"] == t["appointment"]


def test_a_major_complaint_goes_to_the_estate_manager(desk):
    t = desk.open(kind="complaint", category="security", severity="major", location={"area": "Gate"})
    assert t["severity"] == "major"
    escalated = desk.outbox("ticket.escalated")
    assert (
        escalated[-1]["data"]["ticket_id"] == t["id"] and escalated[-1]["data"]["escalated_to"] == "manager"
    )


def test_escalating_a_complaint_records_the_reason_and_emits(desk):
    t = desk.open(kind="complaint", category="cleaning", severity="minor", location={"area": "Pool"})
    r = desk.http.post(
        desk.url("tickets", t["id"], "escalations"),
        json={"severity": "important", "reason": "Cleaner skipped the pool three times."},
        headers=desk.agent("supervisor"),
    )
    assert r.status_code == 201 and r.get_json()["severity"] == "important"
    data = desk.outbox("ticket.escalated")[-1]["data"]
    assert data["previous_severity"] == "minor" and data["severity"] == "important"
    r = desk.http.post(
        desk.url("tickets", desk.open()["id"], "escalations"),
        json={"severity": "major", "reason": "x"},
        headers=desk.agent(),
    )
    assert r.status_code == 409


def test_staff_named_in_a_complaint_cannot_change_it(desk):
    t = desk.open(kind="complaint", category="security", subject_staff=["guard-7"], location={"area": "Gate"})
    for path, body in (
        ("replies", {"message": "Nothing happened", "channel": "phone"}),
        ("escalations", {"severity": "minor", "reason": "meh"}),
        ("resolution", {"outcome": "unfounded", "note": "no"}),
    ):
        r = desk.http.post(
            desk.url("tickets", t["id"], path), json=body, headers=desk.agent("agent", sub="guard-7")
        )
        assert r.status_code == 403, path
    assert len(desk.get(t["id"])["timeline"]) == 1


def test_an_inquiry_answered_at_the_desk(desk):
    t = desk.open(kind="inquiry", category="fees", location={"area": "Service centre"})
    r = desk.http.post(
        desk.url("tickets", t["id"], "resolution"),
        json={"outcome": "answered", "note": "Management fee is due by the 15th."},
        headers=desk.agent(),
    )
    assert r.status_code == 201
    t = r.get_json()
    assert t["status"] == "resolved" and t["desk_outcome"] == "answered" and t["sla"]["first_reply_at"]
    assert desk.outbox("ticket.resolved_at_desk")[-1]["data"]["outcome"] == "answered"
    r = desk.http.post(
        desk.url("tickets", t["id"], "resolution"),
        json={"outcome": "answered", "note": "again"},
        headers=desk.agent(),
    )
    assert r.status_code == 409


def test_an_unfounded_complaint_is_explained_and_a_repair_is_not_answered_at_the_desk(desk):
    c = desk.open(kind="complaint", category="parking", location={"area": "Car park"})
    r = desk.http.post(
        desk.url("tickets", c["id"], "resolution"),
        json={"outcome": "unfounded", "note": "The space belongs to another owner."},
        headers=desk.agent(),
    )
    assert r.status_code == 201 and r.get_json()["desk_outcome"] == "unfounded"
    r = desk.http.post(
        desk.url("tickets", desk.open()["id"], "resolution"),
        json={"outcome": "answered", "note": "x"},
        headers=desk.agent(),
    )
    assert r.status_code == 409 and r.mimetype == "application/problem+json"


def test_the_phone_is_masked_for_head_office_and_contractors(desk):
    t = desk.open()
    assert desk.get(t["id"])["reporter"]["phone"] == "13812345678"
    ho = auth("head_office", group=desk.group)
    assert desk.get(t["id"], headers=ho)["reporter"]["phone"] == "138****5678"
    contractor = auth("contractor", group=desk.group, estates=[desk.estate], contractor="lift-co")
    assert desk.get(t["id"], headers=contractor)["reporter"]["phone"] == "138****5678"


def test_lists_filter_and_page_newest_first(desk):
    made = [desk.open(category="greening", location={"area": f"Garden {i}"}) for i in range(3)]
    complaint = desk.open(kind="complaint", category="noise", severity="minor", location={"area": "Roof"})
    r = desk.http.get(
        desk.url("tickets"), query_string={"category": "greening", "limit": 2}, headers=desk.agent()
    )
    page = r.get_json()
    assert [t["id"] for t in page["items"]] == [made[2]["id"], made[1]["id"]] and page["next_cursor"]
    rest = desk.http.get(
        desk.url("tickets"),
        query_string={"category": "greening", "limit": 2, "cursor": page["next_cursor"]},
        headers=desk.agent(),
    ).get_json()
    assert [t["id"] for t in rest["items"]] == [made[0]["id"]] and rest["next_cursor"] is None

    def ids(**q):
        r = desk.http.get(desk.url("tickets"), query_string=q, headers=desk.agent())
        assert r.status_code == 200, r.get_json()
        return [t["id"] for t in r.get_json()["items"]]

    assert ids(kind="complaint") == [complaint["id"]]
    assert ids(severity="minor") == [complaint["id"]]
    assert ids(q="Garden 1") == [made[1]["id"]]
    assert ids(status="closed") == []
    assert ids(overdue="true") == []
    assert len(ids(overdue="false")) == 4
    assert ids(created_from=(datetime.now(UTC) + timedelta(hours=1)).isoformat()) == []
    r = desk.http.get(desk.url("tickets"), query_string={"status": "lost"}, headers=desk.agent())
    assert r.status_code == 422


def test_deadline_settings_are_per_estate(desk):
    r = desk.http.put(
        desk.url("settings"), json={"deadlines": {"resolve_workdays": 5}}, headers=desk.agent("agent")
    )
    assert r.status_code == 403
    r = desk.http.put(
        desk.url("settings"), json={"deadlines": {"resolve_workdays": 5}}, headers=desk.agent("supervisor")
    )
    assert r.status_code == 200 and r.get_json()["deadlines"]["resolve_workdays"] == 5
    assert (
        desk.http.get(desk.url("settings"), headers=desk.agent()).get_json()["deadlines"][
            "first_reply_workdays"
        ]
        == 1
    )
    r = desk.http.put(
        desk.url("settings"), json={"deadlines": {"resolve_workdays": -1}}, headers=desk.agent("manager")
    )
    assert r.status_code == 422


def test_the_timeline_is_append_only(stack, desk):
    from sqlalchemy import select

    from services.intake.models import TimelineEntry
    from shared.tenancy import set_scope

    t = desk.open()
    sessions = stack.apps["intake"].extensions["estatedesk"].sessions
    with sessions() as s:
        set_scope(s, [desk.estate])
        entry = s.scalars(select(TimelineEntry).where(TimelineEntry.ticket_id == t["id"])).first()
        entry.note = "rewritten history"
        with pytest.raises(RuntimeError, match="append-only"):
            s.flush()
        s.rollback()
        s.delete(s.get(TimelineEntry, entry.id))
        with pytest.raises(RuntimeError, match="append-only"):
            s.flush()
    assert desk.get(t["id"])["timeline"][0]["note"] == ""


def test_a_retried_creation_with_the_same_idempotency_key_takes_one_ticket(desk):
    headers = {**desk.agent(), "Idempotency-Key": "desk-call-42"}
    body = {
        "kind": "repair",
        "category": "security",
        "channel": "phone",
        "description": "Door entry phone dead",
        "location": {"unit": "1-102"},
        "reporter": {"name": "Li", "phone": "13812345678"},
    }
    first = desk.http.post(desk.url("tickets"), json=body, headers=headers)
    again = desk.http.post(desk.url("tickets"), json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["number"] == again.get_json()["number"]
    assert desk.counts()[0] == 1 and len(desk.outbox("ticket.opened")) == 1


def test_a_ticket_of_another_estate_is_not_found_here(stack, desk):
    other = Desk(stack)
    theirs = other.open()
    headers = auth("agent", group=desk.group, estates=["*"])
    assert desk.http.get(desk.url("tickets", theirs["id"]), headers=headers).status_code == 404
    r = desk.http.get(other.url("tickets", theirs["id"]), headers=desk.agent())
    assert r.status_code == 404 and r.mimetype == "application/problem+json"
