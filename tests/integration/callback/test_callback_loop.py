"""The callback loop as far as callback owns it, on PostgreSQL and RabbitMQ, driven by real events."""

from tests.integration.callback.helpers import ALL_GOOD, RATED, Story
from tests.support import wait_for


def test_unsatisfied_callback_then_rework_then_a_second_callback_until_satisfied(stack):
    story = Story(stack)
    completed, data = story.complete_work_order(resident_rating="unsatisfied", tags=["warranty"])
    # a duplicated business event (redelivered by dispatch with a new event id) changes nothing
    story.complete_work_order(
        ticket_id=data["ticket_id"], work_order_id=data["work_order_id"], resident_rating="unsatisfied"
    )

    first = story.callback_for(data["work_order_id"])
    assert first["rule"] == "repair" and first["status"] == "scheduled"
    assert first["mandatory"] is True and first["reason"] == "unsatisfied_slip"
    assert first["assignee_role"] == "agent" and first["method"] == "phone"
    assert first["ticket_id"] == data["ticket_id"] and first["unit"] == "A-1203"

    scheduled = wait_for(lambda: story.emitted("callback.scheduled", work_order_id=data["work_order_id"]))
    assert len(scheduled) == 1 and scheduled[0]["correlation_id"] == completed.correlation_id
    wait_for(lambda: story.seen_by_reporting(scheduled[0]["id"]), what="callback.scheduled on the bus")

    r = story.attempt(
        first["id"],
        {
            "method": "phone",
            "reached": True,
            "satisfaction": "unsatisfied",
            "ratings": RATED,
            "comments": "the tap still drips",
            "resident_confirmed": True,
            "new_issue": {
                "kind": "complaint",
                "category": "cleaning",
                "description": "corridor not swept for a week",
                "location": {"area": "Block A lobby"},
            },
        },
    )
    assert r.status_code == 201, r.get_json()
    done = r.get_json()
    assert done["status"] == "completed" and done["outcome"]["satisfaction"] == "unsatisfied"
    assert done["outcome"]["early"] is True  # a next-day callback made the same day
    assert len(done["attempts"]) == 1

    unsatisfied = story.emitted("callback.completed", callback_id=first["id"])
    assert len(unsatisfied) == 1
    event = unsatisfied[0]
    assert event["data"]["satisfaction"] == "unsatisfied" and event["data"]["ratings"] == RATED
    assert event["data"]["new_issue"]["category"] == "cleaning"
    assert event["data"]["ticket_id"] == data["ticket_id"]
    wait_for(lambda: story.seen_by_reporting(event["id"]), what="callback.completed on the bus")

    # intake reopens the ticket, dispatch makes a rework order; its completion arrives here
    _, rework = story.complete_work_order(
        ticket_id=data["ticket_id"], rework=True, resident_rating="satisfied"
    )
    second = story.callback_for(rework["work_order_id"])
    assert second["rule"] == "rework" and second["assignee_role"] == "engineering_supervisor"
    assert second["method"] == "visit"
    assert all(c["work_order_id"] != rework["work_order_id"] for c in story.callbacks("agent"))

    r = story.attempt(
        second["id"],
        {"method": "visit", "reached": True, "satisfaction": "satisfied", "ratings": ALL_GOOD},
    )
    assert r.status_code == 201, r.get_json()
    satisfied = story.emitted("callback.completed", callback_id=second["id"])
    assert [e["data"]["satisfaction"] for e in satisfied] == ["satisfied"]
    assert story.callbacks(status="open") == []
    assert len(story.emitted("callback.scheduled")) == 2


def test_an_unreachable_resident_is_retried_and_then_the_callback_fails(stack):
    story = Story(stack)
    _, data = story.complete_work_order(resident_rating=None)
    cb = story.callback_for(data["work_order_id"])
    assert cb["reason"] == "unrated_slip"
    for n in range(1, 4):
        r = story.attempt(cb["id"], {"method": "phone", "reached": False})
        assert r.status_code == 201, r.get_json()
        body = r.get_json()
        assert len(body["attempts"]) == n
    assert body["status"] == "failed" and body["next_attempt_at"] is None
    failed = story.emitted("callback.failed", callback_id=cb["id"])
    assert len(failed) == 1 and failed[0]["data"]["attempts"] == 3
    assert story.emitted("callback.completed", callback_id=cb["id"]) == []


def test_sampling_skips_a_satisfied_repair_when_the_month_is_already_at_target(stack):
    story = Story(stack)
    _, first = story.complete_work_order()  # 0 of 1 would be 0% < 70%: sampled
    story.callback_for(first["work_order_id"])
    _, second = story.complete_work_order()  # 1 of 2 = 50% < 70%: sampled
    story.callback_for(second["work_order_id"])
    _, third = story.complete_work_order()  # 2 of 3 = 67% < 70%: sampled
    story.callback_for(third["work_order_id"])
    _, fourth = story.complete_work_order()  # 3 of 4 = 75% ≥ 70%: skipped
    skipped = wait_for(lambda: story.emitted("callback.skipped", work_order_id=fourth["work_order_id"]))
    assert skipped[0]["data"]["reason"] == "not_sampled" and skipped[0]["data"]["rule"] == "repair"
    assert all(c["work_order_id"] != fourth["work_order_id"] for c in story.callbacks())


def test_a_cannot_solve_now_outcome_schedules_the_next_callback_on_the_agreed_date(stack):
    story = Story(stack)
    _, data = story.complete_work_order(resident_signed=False)
    cb = story.callback_for(data["work_order_id"])
    r = story.attempt(
        cb["id"],
        {
            "method": "phone",
            "reached": True,
            "satisfaction": "fairly_satisfied",
            "ratings": ALL_GOOD,
            "unresolved_reason": "replacement part arrives next month",
            "next_callback_on": "2030-01-15",
        },
    )
    assert r.status_code == 201, r.get_json()
    follow = [c for c in story.callbacks() if c["follows"] == cb["id"]]
    assert len(follow) == 1 and follow[0]["reason"] == "next_callback_date"
    assert follow[0]["due_from"].startswith("2030-01-14T16:00")  # midnight in Shanghai
    assert follow[0]["rule"] == "repair"
