"""Sampling meets each rule's target over the month, without coin flips that drift."""

import math

from hypothesis import given
from hypothesis import strategies as st

from services.callback.domain import decide, mandatory_reason, top_up_needed

SLIPS = st.tuples(st.booleans(), st.sampled_from(["satisfied", "fairly_satisfied", "unsatisfied", None]))


def run_month(slips, target):
    scheduled = mandatory_count = 0
    history = []
    for before, (signed, rating) in enumerate(slips):
        mandatory = mandatory_reason(True, signed, rating)
        verdict = decide(
            eligible_before=before, scheduled_before=scheduled, target_percent=target, mandatory=mandatory
        )
        eligible = before + 1
        scheduled += verdict.schedule
        mandatory_count += bool(mandatory)
        history.append((eligible, scheduled, mandatory_count, mandatory, verdict))
    return history


@given(st.lists(SLIPS, max_size=300), st.integers(min_value=0, max_value=100))
def test_the_running_rate_never_falls_below_the_target(slips, target):
    for eligible, scheduled, _, _, _ in run_month(slips, target):
        assert scheduled * 100 >= target * eligible


@given(st.lists(SLIPS, max_size=300), st.integers(min_value=0, max_value=100))
def test_mandatory_callbacks_are_always_scheduled(slips, target):
    for _, _, _, mandatory, verdict in run_month(slips, target):
        if mandatory:
            assert verdict.schedule and verdict.mandatory and verdict.reason == mandatory


@given(st.lists(SLIPS, max_size=300), st.integers(min_value=0, max_value=100))
def test_sampling_takes_no_more_than_the_target_beyond_the_mandatory_ones(slips, target):
    for eligible, scheduled, mandatory_count, _, _ in run_month(slips, target):
        assert scheduled <= mandatory_count + math.ceil(target * eligible / 100)


def test_seventy_percent_of_ten_satisfied_repairs_is_seven():
    history = run_month([(True, "satisfied")] * 10, 70)
    assert history[-1][1] == 7


def test_a_bad_missing_or_unsigned_slip_makes_the_callback_mandatory():
    assert mandatory_reason(True, True, "unsatisfied") == "unsatisfied_slip"
    assert mandatory_reason(True, True, None) == "unrated_slip"
    assert mandatory_reason(True, False, "satisfied") == "unsigned_slip"
    assert mandatory_reason(True, True, "satisfied") is None
    assert mandatory_reason(True, True, "fairly_satisfied") is None
    assert mandatory_reason(False, False, None) is None  # rules without repair slips


def test_month_end_top_up_counts_what_is_still_missing():
    assert top_up_needed(eligible=10, counted=5, target_percent=70) == 2
    assert top_up_needed(eligible=10, counted=8, target_percent=70) == 0
    assert top_up_needed(eligible=3, counted=0, target_percent=30) == 1
    assert top_up_needed(eligible=0, counted=0, target_percent=100) == 0
