"""Bad input is refused as problem+json and writes nothing."""

from tests.integration.callback.helpers import ALL_GOOD, BASE, Story


def test_a_rating_outside_the_scale_is_refused_and_nothing_is_recorded(stack):
    story = Story(stack)
    _, data = story.complete_work_order(resident_rating="unsatisfied")
    cb = story.callback_for(data["work_order_id"])
    bad = [
        {"method": "phone", "reached": True, "satisfaction": "delighted", "ratings": ALL_GOOD},
        {
            "method": "phone",
            "reached": True,
            "satisfaction": "satisfied",
            "ratings": {**ALL_GOOD, "quality": 5},
        },
        {"method": "phone", "reached": True, "satisfaction": "satisfied"},  # ratings missing
        {"method": "pigeon", "reached": True, "satisfaction": "satisfied", "ratings": ALL_GOOD},
        {"method": "phone", "reached": False, "satisfaction": "satisfied"},
        {"method": "phone", "reached": True, "satisfaction": "satisfied", "ratings": ALL_GOOD, "extra": 1},
        {
            "method": "phone",
            "reached": True,
            "satisfaction": "satisfied",
            "ratings": ALL_GOOD,
            "next_callback_on": "2030-01-01",
        },  # a next date needs the reason it cannot be solved now
    ]
    for body in bad:
        r = story.attempt(cb["id"], body)
        assert r.status_code == 422, (body, r.get_json())
        assert r.mimetype == "application/problem+json" and r.get_json()["errors"]
    after = story.get(f"{BASE}/{story.estate}/callbacks/{cb['id']}").get_json()
    assert after["attempts"] == [] and after["status"] == "scheduled"
    assert story.emitted("callback.completed") == []


def test_an_attempt_on_a_completed_callback_is_a_conflict(stack):
    story = Story(stack)
    _, data = story.complete_work_order(resident_rating="unsatisfied")
    cb = story.callback_for(data["work_order_id"])
    body = {"method": "phone", "reached": True, "satisfaction": "satisfied", "ratings": ALL_GOOD}
    assert story.attempt(cb["id"], body).status_code == 201
    r = story.attempt(cb["id"], {**body, "satisfaction": "unsatisfied"})
    assert r.status_code == 409 and r.mimetype == "application/problem+json"
    record = story.get(f"{BASE}/{story.estate}/callbacks/{cb['id']}").get_json()
    assert record["outcome"]["satisfaction"] == "satisfied" and len(record["attempts"]) == 1
    assert len(story.emitted("callback.completed", callback_id=cb["id"])) == 1


def test_a_correction_is_a_new_entry_and_the_record_stays_as_it_was(stack):
    story = Story(stack)
    _, data = story.complete_work_order(resident_rating="unsatisfied")
    cb = story.callback_for(data["work_order_id"])
    body = {"method": "phone", "reached": True, "satisfaction": "satisfied", "ratings": ALL_GOOD}
    assert story.attempt(cb["id"], body).status_code == 201
    url = f"{BASE}/{story.estate}/callbacks/{cb['id']}/corrections"
    assert story.post(url, {"reason": "typo"}, "supervisor").status_code == 422
    assert story.post(url, {"reason": "x", "satisfaction": "meh"}, "supervisor").status_code == 422
    assert story.post(url, {"reason": "x", "satisfaction": "fairly_satisfied"}, "agent").status_code == 403
    r = story.post(url, {"reason": "misheard", "satisfaction": "fairly_satisfied"}, "supervisor")
    assert r.status_code == 201, r.get_json()
    record = story.get(f"{BASE}/{story.estate}/callbacks/{cb['id']}").get_json()
    assert record["outcome"]["satisfaction"] == "satisfied"
    assert [c["changes"] for c in record["corrections"]] == [{"satisfaction": "fairly_satisfied"}]


def test_another_estates_callback_is_not_found(stack):
    mine, theirs = Story(stack), Story(stack)
    _, data = theirs.complete_work_order(resident_rating="unsatisfied")
    cb = theirs.callback_for(data["work_order_id"])
    body = {"method": "phone", "reached": True, "satisfaction": "satisfied", "ratings": ALL_GOOD}
    # their callback id under my estate's URL
    r = mine.attempt(cb["id"], body)
    assert r.status_code == 404 and r.mimetype == "application/problem+json"
    assert mine.get(f"{BASE}/{mine.estate}/callbacks/{cb['id']}").status_code == 404
    # their estate's URL with my token
    r = mine.stack.client("callback").post(
        f"{BASE}/{theirs.estate}/callbacks/{cb['id']}/attempts", json=body, headers=mine.headers()
    )
    assert r.status_code == 404
    assert theirs.get(f"{BASE}/{theirs.estate}/callbacks/{cb['id']}").get_json()["status"] == "scheduled"


def test_a_policy_rule_with_an_impossible_window_is_refused_and_the_version_stays(stack):
    story = Story(stack)
    url = f"{BASE}/{story.estate}/policy"
    repair = next(r for r in story.get(url).get_json()["rules"] if r["id"] == "repair")
    impossible = [
        {**repair, "window": {"type": "after", "from": 5, "to": 2, "unit": "days"}},
        {**repair, "window": {"type": "after", "from": 0, "to": 3, "unit": "fortnights"}},
        {**repair, "window": {"type": "trigger", "trigger": "snow", "from": 0, "to": 3}},
        {**repair, "target_percent": 140},
        {**repair, "assignee_role": "janitor"},
    ]
    for rule in impossible:
        r = story.put(url, {"rules": [rule]}, "manager")
        assert r.status_code == 422, (rule, r.get_json())
        assert r.mimetype == "application/problem+json" and r.get_json()["errors"]
    assert story.put(url, {"preset": "no-such-preset"}, "manager").status_code == 422
    assert story.put(url, {"rules": [repair, repair]}, "manager").status_code == 422
    assert story.put(url, {"preset": "months-30"}, "agent").status_code == 403
    assert story.get(url).get_json()["version"] == 1


def test_a_bad_weather_event_or_query_is_refused(stack):
    story = Story(stack)
    url = f"{BASE}/{story.estate}/weather-events"
    assert story.post(url, {"kind": "hail", "occurred_at": "2026-01-01T00:00:00+00:00"}).status_code == 422
    assert story.post(url, {"kind": "heavy_rain", "occurred_at": "yesterday"}).status_code == 422
    assert story.post(url, {"kind": "heavy_rain", "occurred_at": "2026-01-01T00:00:00"}).status_code == 422
    listing = f"{BASE}/{story.estate}/callbacks"
    assert story.get(listing, status="lost").status_code == 422
    assert story.get(listing, due_before="soon").status_code == 422
    assert story.get(listing, cursor="!!").status_code == 422
