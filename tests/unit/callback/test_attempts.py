"""Callback attempts: reached → an outcome; unreachable → retried at spaced times, then failed."""

from datetime import UTC, date, datetime, timedelta

import pytest

from services.callback.domain import CallbackStateError, CallbackView, record_attempt

NOW = datetime(2026, 3, 3, 10, tzinfo=UTC)
RATINGS = {"punctuality": "satisfied", "attitude": "satisfied", "quality": "unsatisfied"}


def scheduled(**kw):
    kw.setdefault("due_from", NOW - timedelta(hours=2))
    kw.setdefault("due_by", NOW + timedelta(hours=12))
    return CallbackView(status=kw.pop("status", "scheduled"), **kw)


def attempt(cb, now=NOW, **body):
    body.setdefault("method", "phone")
    body.setdefault("reached", True)
    if body["reached"]:
        body.setdefault("satisfaction", "satisfied")
        body.setdefault("ratings", RATINGS)
    return record_attempt(cb, body, now, max_attempts=3, spacing_hours=[4, 24])


def test_a_reached_resident_completes_the_callback_with_the_three_ratings():
    result = attempt(scheduled(), satisfaction="unsatisfied", comments="still drips", resident_confirmed=True)
    assert result.completed and result.status == "completed"
    assert result.outcome["satisfaction"] == "unsatisfied"
    assert result.outcome["ratings"] == RATINGS
    assert result.outcome["resident_confirmed"] is True and result.outcome["on_time"] is True


def test_an_unreachable_resident_is_retried_at_spaced_times_then_the_callback_fails():
    cb = scheduled()
    first = attempt(cb, reached=False)
    assert first.status == "scheduled" and first.next_attempt_at == NOW + timedelta(hours=4)
    cb.attempts.append(first.attempt)
    second = attempt(cb, now=NOW + timedelta(hours=4), reached=False)
    assert second.next_attempt_at == NOW + timedelta(hours=28)
    cb.attempts.append(second.attempt)
    third = attempt(cb, now=NOW + timedelta(hours=28), reached=False)
    assert third.failed and third.status == "failed" and not third.completed


def test_an_attempt_before_the_window_opens_is_recorded_as_early_not_refused():
    result = attempt(scheduled(due_from=NOW + timedelta(days=1), due_by=NOW + timedelta(days=2)))
    assert result.completed and result.attempt["early"] and result.outcome["early"]
    assert result.outcome["on_time"] is False


def test_a_callback_waiting_for_rain_can_still_be_made_early():
    result = attempt(scheduled(status="waiting", due_from=None, due_by=None))
    assert result.completed and result.outcome["early"]


def test_late_is_not_on_time():
    result = attempt(scheduled(), now=NOW + timedelta(days=1))
    assert result.outcome["on_time"] is False and not result.outcome["early"]


@pytest.mark.parametrize("status", ["completed", "failed", "cancelled"])
def test_a_finished_callback_takes_no_more_attempts(status):
    with pytest.raises(CallbackStateError):
        attempt(scheduled(status=status))


def test_cannot_solve_now_records_the_reason_and_the_next_date():
    result = attempt(
        scheduled(),
        satisfaction="fairly_satisfied",
        unresolved_reason="part on order",
        next_callback_on=date(2026, 3, 20),
    )
    assert result.outcome["unresolved_reason"] == "part on order"
    assert result.outcome["next_callback_on"] == "2026-03-20"
