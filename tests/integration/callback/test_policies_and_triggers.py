"""Policies per estate (versioned), leak callbacks waiting for rain, new residents, overdue callbacks."""

from datetime import UTC, datetime, timedelta

from services.callback.worker import tick
from tests.integration.callback.helpers import BASE, Story
from tests.support import wait_for


def test_the_default_policy_then_a_preset_with_an_override_as_a_new_version(stack):
    story = Story(stack)
    url = f"{BASE}/{story.estate}/policy"
    policy = story.get(url).get_json()
    assert policy["version"] == 1 and policy["preset"] == "default"
    repair = next(r for r in policy["rules"] if r["id"] == "repair")
    assert repair["target_percent"] == 70 and repair["window"]["unit"] == "workdays"

    override = {**repair, "target_percent": 90}
    r = story.put(url, {"preset": "months-30", "rules": [override]}, "supervisor")
    assert r.status_code == 200, r.get_json()
    updated = r.get_json()
    assert updated["version"] == 2 and updated["preset"] == "months-30"
    rules = {r["id"]: r for r in updated["rules"]}
    assert rules["repair"]["target_percent"] == 90 and rules["community"]["target_percent"] == 10
    assert story.get(url).get_json()["version"] == 2
    old = story.get(url, version=1).get_json()
    assert old["version"] == 1 and old["preset"] == "default"
    assert story.get(url, version=3).status_code == 404
    assert story.get(url, version="x").status_code == 422


def test_a_callback_keeps_the_rule_version_it_was_scheduled_under(stack):
    story = Story(stack)
    _, data = story.complete_work_order(resident_rating="unsatisfied")
    before = story.callback_for(data["work_order_id"])
    assert before["rule_version"] == 1
    r = story.put(f"{BASE}/{story.estate}/policy", {"preset": "months-80"}, "manager")
    assert r.status_code == 200
    again = story.get(f"{BASE}/{story.estate}/callbacks/{before['id']}").get_json()
    assert again["rule_version"] == 1 and again["due_by"] == before["due_by"]
    _, later = story.complete_work_order(resident_rating="unsatisfied")
    assert story.callback_for(later["work_order_id"])["rule_version"] == 2


def test_a_group_applies_a_preset_to_its_estates_and_each_keeps_its_overrides(stack):
    story = Story(stack)
    url = f"{BASE}/{story.estate}/policy"
    policy = story.get(url).get_json()
    other = {**next(r for r in policy["rules"] if r["id"] == "other"), "target_percent": 25}
    assert story.put(url, {"rules": [other]}, "manager").status_code == 200
    r = story.stack.client("callback").put(
        f"/callback/v1/groups/{story.group}/policy",
        json={"preset": "months-30"},
        headers=story.headers("admin"),
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["estates"] == [{"estate": story.estate, "version": 3}]
    rules = {r["id"]: r for r in story.get(url).get_json()["rules"]}
    assert rules["repair"]["target_percent"] == 30 and rules["other"]["target_percent"] == 25


def test_a_leak_repair_waits_for_the_next_heavy_rainstorm_then_is_due_on_site(stack):
    story = Story(stack)
    _, data = story.complete_work_order(tags=["leak"], location={"unit": "B-0502"})
    waiting = story.callback_for(data["work_order_id"])
    assert waiting["status"] == "waiting" and waiting["rule"] == "leak"
    assert waiting["due_from"] is None and waiting["due_by"] is None and waiting["method"] == "visit"
    assert any(c["id"] == waiting["id"] for c in story.callbacks(status="upcoming"))

    url = f"{BASE}/{story.estate}/weather-events"
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert story.post(url, {"kind": "heavy_rain", "occurred_at": future}).status_code == 422
    before_the_work = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    r = story.post(url, {"kind": "heavy_rain", "occurred_at": before_the_work})
    assert r.status_code == 201 and r.get_json()["released"] == 0  # it is the *next* storm that counts
    rain = datetime.now(UTC).isoformat()
    r = story.post(f"{BASE}/{story.estate}/weather-events", {"kind": "heavy_rain", "occurred_at": rain})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["callbacks"] == [waiting["id"]]
    due = story.get(f"{BASE}/{story.estate}/callbacks/{waiting['id']}").get_json()
    assert due["status"] == "scheduled" and due["due_from"] is not None
    announced = story.emitted("callback.scheduled", callback_id=waiting["id"])
    assert [e["data"]["due_by"] is not None for e in announced] == [False, True]
    again = story.post(f"{BASE}/{story.estate}/weather-events", {"kind": "heavy_rain", "occurred_at": rain})
    assert again.status_code == 201 and again.get_json()["released"] == 0
    assert any(c["id"] == waiting["id"] for c in story.callbacks(status="due"))


def test_a_new_resident_gets_the_managers_visit_within_a_month(stack):
    story = Story(stack)
    story.publish(
        "resident.moved_in",
        {"resident_id": "r-new-1", "unit": "C-0101", "role": "owner", "moved_in_on": "2026-11-02"},
        producer="intake",
    )

    def visit():
        items = [c for c in story.callbacks("manager") if c["rule"] == "new_resident"]
        return items[0] if items else None

    cb = wait_for(visit, timeout=15, what="the new-resident callback")
    assert cb["assignee_role"] == "manager" and cb["resident_id"] == "r-new-1" and cb["unit"] == "C-0101"
    assert cb["due_by"].startswith("2026-12-02")
    assert [c for c in story.callbacks("agent") if c["rule"] == "new_resident"] == []


def test_a_callback_past_its_window_is_announced_overdue_once(stack):
    story = Story(stack)
    _, data = story.complete_work_order(resident_rating="unsatisfied")
    cb = story.callback_for(data["work_order_id"])
    sessions = stack.apps["callback"].extensions["estatedesk"].sessions
    later = datetime.now(UTC) + timedelta(days=30)
    tick(sessions, now=later, estates=[story.estate])
    tick(sessions, now=later + timedelta(hours=1), estates=[story.estate])
    overdue = story.emitted("callback.overdue", callback_id=cb["id"])
    assert len(overdue) == 1 and overdue[0]["data"]["due_by"]
    assert story.get(f"{BASE}/{story.estate}/callbacks/{cb['id']}").get_json()["overdue"] is True


def test_the_number_of_tries_at_an_unreachable_resident_is_set_by_the_policy(stack):
    story = Story(stack)
    url = f"{BASE}/{story.estate}/policy"
    r = story.put(url, {"retries": {"max_attempts": 1, "spacing_hours": [2]}}, "supervisor")
    assert r.status_code == 200 and r.get_json()["retries"]["max_attempts"] == 1
    assert story.put(url, {"retries": {"max_attempts": 0}}, "supervisor").status_code == 422
    _, data = story.complete_work_order(resident_rating="unsatisfied")
    cb = story.callback_for(data["work_order_id"])
    r = story.attempt(cb["id"], {"method": "phone", "reached": False})
    assert r.status_code == 201 and r.get_json()["status"] == "failed"
    assert len(story.emitted("callback.failed", callback_id=cb["id"])) == 1
