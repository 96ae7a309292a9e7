"""A ticket's status follows dispatch's and callback's events, in whatever order they arrive."""

import itertools
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.intake.domain import TicketProgress, ages_into_major, resolution_allowed

T0 = datetime(2026, 3, 2, 9, 0).astimezone()


def apply_all(steps, progress=None):
    progress = progress or TicketProgress()
    for wo, step in steps:
        progress.work_order_step(wo, step)
    return progress


def test_a_repair_goes_dispatched_in_progress_resolved():
    p = TicketProgress()
    assert p.work_order_step("wo1", "assigned") == "dispatched"
    assert p.work_order_step("wo1", "accepted") == "in_progress"
    assert p.work_order_step("wo1", "on_site") is None  # still in progress
    assert p.work_order_step("wo1", "completed") == "resolved"


def test_a_late_accepted_after_completed_does_not_move_the_ticket_back():
    p = apply_all([("wo1", "assigned"), ("wo1", "completed"), ("wo1", "accepted"), ("wo1", "assigned")])
    assert p.status == "resolved"


def test_a_duplicated_event_changes_nothing():
    p = apply_all([("wo1", "assigned"), ("wo1", "accepted")])
    assert p.work_order_step("wo1", "accepted") is None and p.status == "in_progress"


def test_every_order_of_one_work_orders_events_ends_resolved():
    for order in itertools.permutations(["assigned", "accepted", "on_site", "completed"]):
        assert apply_all([("wo1", s) for s in order]).status == "resolved", order


@given(st.permutations([("a", "assigned"), ("a", "accepted"), ("a", "completed"), ("b", "assigned")]))
def test_a_ticket_with_an_open_work_order_is_not_resolved_whatever_the_order(steps):
    assert apply_all(steps).status == "in_progress"


def test_a_satisfied_callback_closes_and_closed_is_final():
    p = apply_all([("wo1", "assigned"), ("wo1", "completed")])
    assert p.callback_outcome("cb1", "satisfied") == "closed"
    assert p.work_order_step("wo1", "accepted") is None
    assert p.work_order_step("wo2", "assigned") is None and p.status == "closed"
    assert p.callback_outcome("cb2", "unsatisfied") is None and p.status == "closed"


def test_a_skipped_callback_closes_a_resolved_ticket():
    p = apply_all([("wo1", "assigned"), ("wo1", "completed")])
    assert p.callback_outcome("cb1", "skipped") == "closed"


def test_an_unsatisfied_callback_reopens_and_the_rework_order_carries_the_ticket_on():
    p = apply_all([("wo1", "assigned"), ("wo1", "completed")])
    assert p.callback_outcome("cb1", "unsatisfied") == "reopened"
    assert p.reopen_count == 1 and p.status == "reopened"
    # a late event of the first order must not un-reopen it
    assert p.work_order_step("wo1", "accepted") is None and p.status == "reopened"
    assert p.work_order_step("wo2", "assigned", rework=True) == "dispatched"
    assert p.work_order_step("wo2", "completed") == "resolved"
    assert p.callback_outcome("cb2", "satisfied") == "closed"


def test_the_same_callback_reported_twice_reopens_once():
    p = apply_all([("wo1", "assigned"), ("wo1", "completed")])
    p.callback_outcome("cb1", "unsatisfied")
    assert p.callback_outcome("cb1", "unsatisfied") is None and p.reopen_count == 1


def test_a_failed_callback_does_not_close():
    p = apply_all([("wo1", "assigned"), ("wo1", "completed")])
    assert p.callback_outcome("cb1", "failed") is None and p.status == "resolved"


def test_a_reassigned_order_waits_for_acceptance_again_unless_done():
    p = apply_all([("wo1", "assigned"), ("wo1", "accepted")])
    assert p.work_order_reassigned("wo1") == "dispatched"
    p.work_order_step("wo1", "completed")
    assert p.work_order_reassigned("wo1") is None and p.status == "resolved"


def test_progress_survives_a_round_trip_through_json():
    import json

    p = apply_all([("wo1", "assigned"), ("wo1", "accepted")])
    p.callback_outcome("cbx", "failed")
    back = TicketProgress.from_dict(p.status, p.reopen_count, json.loads(json.dumps(p.to_dict())))
    assert back == p


# --- severity ageing ----------------------------------------------------------------------------------
def ages(now_days, **kw):
    args = dict(kind="complaint", severity="minor", status="open", desk_outcome=None, opened_at=T0)
    args.update(kw)
    return ages_into_major(now=T0 + timedelta(days=now_days), **args)


def test_a_valid_complaint_unresolved_for_a_month_becomes_major():
    assert ages(30) and not ages(29.9)


def test_ageing_spares_resolved_unfounded_already_major_and_non_complaints():
    assert not ages(40, status="resolved")
    assert not ages(40, status="closed")
    assert not ages(40, desk_outcome="unfounded")
    assert not ages(40, desk_outcome="out_of_scope")
    assert not ages(40, severity="major")
    assert not ages(40, kind="repair")
    assert ages(40, status="reopened") and ages(40, severity=None)


def test_ageing_follows_the_estate_setting():
    assert ages(10, settings={"major_after_days": 10})


def test_desk_resolution_rules():
    assert resolution_allowed("inquiry", "answered", "open", False) is None
    assert resolution_allowed("complaint", "unfounded", "open", False) is None
    assert resolution_allowed("complaint", "answered", "open", False)
    assert resolution_allowed("repair", "out_of_scope", "open", False)
    assert resolution_allowed("complaint", "unfounded", "dispatched", True)


STEPS = [
    ("a", "assigned"),
    ("a", "accepted"),
    ("a", "on_site"),
    ("a", "completed"),
    ("b", "assigned"),
    ("b", "completed"),
]


@given(st.lists(st.sampled_from(STEPS), min_size=1, max_size=20))
def test_replaying_any_events_again_in_any_order_changes_nothing(events):
    once = apply_all(events)
    twice = apply_all(
        list(reversed(events)) + events, TicketProgress.from_dict(once.status, 0, once.to_dict())
    )
    assert twice.status == once.status and twice.work_orders == once.work_orders


@given(st.permutations(STEPS))
def test_the_final_status_does_not_depend_on_the_order(events):
    assert apply_all(events).status == "resolved"
