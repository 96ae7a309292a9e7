"""The callback work queue: each role sees its callbacks, by deadline, a page at a time."""

from tests.integration.callback.helpers import Story
from tests.support import wait_for


def test_the_queue_is_ordered_by_deadline_paged_and_filtered(stack):
    story = Story(stack)
    _, aid = story.complete_work_order(kind="help", category="other", urgent=True)  # within a week
    _, repair = story.complete_work_order(resident_rating="unsatisfied")  # next working day
    _, drain = story.complete_work_order(tags=["drain_blockage"])  # within 3 days
    ids = [d["work_order_id"] for d in (aid, repair, drain)]
    wait_for(lambda: len(story.callbacks("agent")) == 3, what="three callbacks")

    pages, cursor = [], None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        r = story.get(f"/callback/v1/estates/{story.estate}/callbacks", "agent", **params)
        assert r.status_code == 200
        body = r.get_json()
        pages += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert [c["due_by"] for c in pages] == sorted(c["due_by"] for c in pages)
    assert {c["work_order_id"] for c in pages} == set(ids)
    assert pages[-1]["rule"] == "emergency_aid"

    by_rule = story.callbacks("agent", rule="hidden_works")
    assert [c["work_order_id"] for c in by_rule] == [drain["work_order_id"]]
    cutoff = pages[-1]["due_by"]
    assert [c["rule"] for c in story.callbacks("agent", due_before=cutoff)] == [p["rule"] for p in pages[:2]]
    assert story.callbacks("agent", status="completed") == []
    by_ticket = story.callbacks("agent", ticket_id=repair["ticket_id"])
    assert [c["work_order_id"] for c in by_ticket] == [repair["work_order_id"]]


def test_each_role_sees_the_callbacks_it_must_make(stack):
    story = Story(stack)
    _, major = story.complete_work_order(kind="complaint", category="security", severity="major")
    _, minor = story.complete_work_order(kind="complaint", category="security", severity="minor")
    _, rework = story.complete_work_order(rework=True)
    wait_for(lambda: len(story.callbacks("manager")) == 3, what="three callbacks")

    def rules(*roles):
        return sorted(c["rule"] for c in story.callbacks(*roles))

    assert rules("manager") == ["complaint", "complaint_major", "rework"]
    assert rules("supervisor") == ["complaint", "rework"]
    assert rules("technician") == ["rework"]
    assert rules("agent") == ["complaint"]
    r = story.stack.client("callback").put(
        f"/callback/v1/groups/{story.group}/policy", json={"preset": "months-30"}, headers=story.headers()
    )
    assert r.status_code == 403


def test_an_unreachable_resident_leaves_the_due_list_until_the_next_try(stack):
    story = Story(stack)
    _, complaint = story.complete_work_order(kind="complaint", category="noise", severity="minor")
    cb = story.callback_for(complaint["work_order_id"])
    assert [c["id"] for c in story.callbacks("agent", status="due")] == [cb["id"]]
    r = story.attempt(cb["id"], {"method": "phone", "reached": False})
    assert r.status_code == 201 and r.get_json()["next_attempt_at"] is not None
    assert story.callbacks("agent", status="due") == []
    assert [c["id"] for c in story.callbacks("agent", status="open")] == [cb["id"]]
