"""Dispatch rules as stories: routing, the order's life, deadlines and pauses, rotation, fees, webhooks."""

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.dispatch import domain
from services.dispatch.domain import Clock, Rule, Settings, TicketFacts
from shared.privacy import mask_phone

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=SH)  # a Monday morning


# --- routing -------------------------------------------------------------------------------------
RULES = [
    Rule(category="engineering", team_id="eng"),
    Rule(category="engineering", team_id="lift", tags=("lift",)),
    Rule(category="cleaning", team_id="clean"),
    Rule(category="security", team_id="sec"),
    Rule(category="security", kind="complaint", team_id="sec-supervisor"),
]


def test_a_repair_goes_to_the_team_of_its_category():
    assert domain.route(RULES, kind="repair", category="cleaning") == "clean"


def test_the_most_specific_rule_wins_tags_then_kind():
    assert domain.route(RULES, kind="repair", category="engineering", tags=["lift", "urgent"]) == "lift"
    assert domain.route(RULES, kind="repair", category="engineering", tags=["leak"]) == "eng"
    assert domain.route(RULES, kind="complaint", category="security") == "sec-supervisor"
    assert domain.route(RULES, kind="repair", category="security") == "sec"


def test_a_ticket_no_rule_matches_is_left_unrouted():
    assert domain.route(RULES, kind="repair", category="parking") is None
    assert domain.route([], kind="repair", category="engineering") is None


def test_a_warranty_building_defect_goes_to_the_warranty_contractor_whatever_the_table_says():
    tags = ["warranty", "leak"]
    assert domain.route(RULES, kind="repair", category="engineering", tags=tags, warranty_team="dev") == "dev"
    # without a warranty contractor linked to the estate, the table decides
    assert domain.route(RULES, kind="repair", category="engineering", tags=tags) == "eng"


def test_inquiries_and_suggestions_stay_at_the_desk():
    assert [
        k
        for k in ("repair", "complaint", "inquiry", "suggestion", "help", "special_service")
        if domain.is_dispatched(k)
    ] == ["repair", "complaint", "help", "special_service"]


def test_the_default_table_routes_every_category_its_teams_cover():
    teams = {key for key, _, _ in domain.DEFAULT_TEAMS}
    rules = [Rule(category=c, team_id=t) for c, t in domain.DEFAULT_RULES]
    assert all(r.team_id in teams for r in rules)
    assert domain.route(rules, kind="repair", category="greening") == "cleaning"
    assert domain.route(rules, kind="repair", category="noise") is None


# --- the state machine ---------------------------------------------------------------------------
def test_the_happy_path_is_assigned_accepted_on_site_completed():
    status = "assigned"
    for action, expected in [("accept", "accepted"), ("arrive", "on_site"), ("complete", "completed")]:
        status = domain.next_status(status, action)
        assert status == expected


@pytest.mark.parametrize(
    "status, action",
    [
        ("assigned", "arrive"),
        ("assigned", "complete"),
        ("accepted", "complete"),
        ("completed", "accept"),
        ("completed", "cancel"),
        ("cancelled", "accept"),
        ("on_site", "reassign"),
        ("on_site", "decline"),
        ("completed", "pause"),
    ],
)
def test_illegal_steps_are_refused(status, action):
    with pytest.raises(domain.IllegalTransition):
        domain.next_status(status, action)


@given(st.sampled_from(domain.STATUSES), st.sampled_from(sorted(domain.TRANSITIONS)))
def test_every_step_ends_in_a_known_status_and_closed_orders_never_move(status, action):
    try:
        after = domain.next_status(status, action)
    except domain.IllegalTransition:
        return
    assert after in domain.STATUSES
    assert status in domain.OPEN_STATUSES


# --- deadlines -----------------------------------------------------------------------------------
def deadlines(ticket, at=T0, settings=Settings()):
    return domain.deadlines(ticket, at, settings, tz="Asia/Shanghai", cal="CN")


def test_a_public_area_repair_must_be_on_site_within_15_minutes_of_assignment():
    arrive_by, complete_by = deadlines(TicketFacts("repair", "engineering", location={"area": "Lobby B"}))
    assert arrive_by == T0 + timedelta(minutes=15) and complete_by is None


def test_the_estate_may_set_its_own_public_area_minutes():
    arrive_by, _ = deadlines(
        TicketFacts("repair", "engineering", location={"area": "Gate"}),
        settings=Settings(public_arrive_minutes=30),
    )
    assert arrive_by == T0 + timedelta(minutes=30)


def test_an_in_unit_repair_is_due_at_the_appointment_five_minutes_early():
    appointment = {"start": "2026-11-23T14:00:00+08:00", "end": "2026-11-23T15:00:00+08:00"}
    arrive_by, _ = deadlines(
        TicketFacts("repair", "engineering", location={"unit": "3-1201"}, appointment=appointment)
    )
    assert arrive_by == datetime(2026, 11, 23, 13, 55, tzinfo=SH)


def test_an_in_unit_repair_without_an_appointment_has_no_arrival_deadline_yet():
    assert deadlines(TicketFacts("repair", "engineering", location={"unit": "3-1201"})) == (None, None)


def test_a_complaint_is_remedied_by_its_own_resolution_deadline():
    due = T0 + timedelta(days=2)
    assert deadlines(TicketFacts("complaint", "noise", resolve_due=due, opened_at=T0)) == (None, due)


def test_a_complaint_without_a_deadline_gets_three_working_days_skipping_the_weekend():
    friday = datetime(2026, 11, 27, 16, 0, tzinfo=SH)
    _, complete_by = deadlines(TicketFacts("complaint", "noise", opened_at=friday), at=friday)
    assert complete_by.astimezone(SH).date().isoformat() == "2026-12-02"  # Mon, Tue, Wed


def test_a_complaint_before_national_day_counts_the_make_up_saturday_as_a_working_day():
    eve = datetime(2026, 9, 30, 10, 0, tzinfo=SH)
    _, complete_by = deadlines(TicketFacts("complaint", "noise", opened_at=eve), at=eve)
    # 1–7 October are holidays; the 8th, 9th and Saturday the 10th (调休) are working days
    assert complete_by.astimezone(SH).date().isoformat() == "2026-10-10"


def test_a_pause_moves_the_deadline_by_its_length():
    due = T0 + timedelta(minutes=15)
    paused, resumed = T0 + timedelta(minutes=5), T0 + timedelta(minutes=45)
    assert domain.shift_for_pause(due, paused, resumed) == due + timedelta(minutes=40)


def test_a_pause_after_the_breach_does_not_excuse_it():
    due = T0 + timedelta(minutes=15)
    assert domain.shift_for_pause(due, T0 + timedelta(minutes=20), T0 + timedelta(hours=2)) == due
    assert domain.shift_for_pause(None, T0, T0 + timedelta(hours=1)) is None


def clock(**kw):
    values = dict(
        status="assigned",
        arrive_by=T0 + timedelta(minutes=15),
        complete_by=None,
        arrived_at=None,
        paused=False,
        notified=frozenset(),
    )
    values.update(kw)
    return Clock(**values)


def test_a_warning_comes_five_minutes_before_the_arrival_deadline():
    s = Settings()
    assert domain.due_alerts(clock(), T0 + timedelta(minutes=9), s) == []
    assert domain.due_alerts(clock(), T0 + timedelta(minutes=10), s) == [
        ("arrive_by", "warning", T0 + timedelta(minutes=15))
    ]


def test_the_breach_goes_to_the_supervisor_then_an_hour_later_to_the_manager():
    s = Settings()
    due = T0 + timedelta(minutes=15)
    warned = frozenset({"arrive_by:warning"})
    assert domain.due_alerts(clock(notified=warned), due, s) == [("arrive_by", "supervisor", due)]
    told = warned | {"arrive_by:supervisor"}
    assert domain.due_alerts(clock(notified=told), due + timedelta(minutes=59), s) == []
    assert domain.due_alerts(clock(notified=told), due + timedelta(minutes=60), s) == [
        ("arrive_by", "manager", due)
    ]
    assert domain.due_alerts(clock(notified=told | {"arrive_by:manager"}), due + timedelta(days=1), s) == []


def test_a_late_tick_sends_only_the_most_serious_alert():
    assert domain.due_alerts(clock(), T0 + timedelta(hours=3), Settings()) == [
        ("arrive_by", "manager", T0 + timedelta(minutes=15))
    ]


def test_a_paused_or_arrived_or_finished_order_raises_no_arrival_alert():
    late = T0 + timedelta(hours=1)
    assert domain.due_alerts(clock(paused=True), late, Settings()) == []
    assert domain.due_alerts(clock(status="on_site", arrived_at=T0), late, Settings()) == []
    assert domain.due_alerts(clock(status="completed"), late, Settings()) == []


def test_a_complaint_remedy_deadline_warns_four_hours_ahead():
    due = T0 + timedelta(days=1)
    c = clock(arrive_by=None, complete_by=due, status="on_site")
    assert domain.due_alerts(c, due - timedelta(hours=4), Settings()) == [("complete_by", "warning", due)]


def test_on_time_compares_with_the_deadline():
    assert domain.on_time(T0, T0) is True
    assert domain.on_time(T0 + timedelta(seconds=1), T0) is False
    assert domain.on_time(T0, None) is None


# --- round-robin ---------------------------------------------------------------------------------
def test_round_robin_takes_the_next_technician_in_turn():
    members = ["wang", "li", "zhao"]
    assert domain.next_technician(members, None, {}, cap=3) == "wang"
    assert domain.next_technician(members, "wang", {}, cap=3) == "li"
    assert domain.next_technician(members, "zhao", {}, cap=3) == "wang"


def test_round_robin_skips_technicians_at_their_cap():
    members = ["wang", "li", "zhao"]
    assert domain.next_technician(members, "wang", {"li": 2}, cap=2) == "zhao"


def test_when_everyone_is_at_the_cap_the_order_waits_in_the_pool():
    assert domain.next_technician(["wang", "li"], "li", {"wang": 2, "li": 5}, cap=2) is None
    assert domain.next_technician([], None, {}, cap=2) is None


@given(
    st.lists(st.integers(0, 6), min_size=1, max_size=6),
    st.integers(1, 5),
    st.integers(0, 6),
)
def test_round_robin_never_overloads_and_only_pools_when_everyone_is_full(loads, cap, last_index):
    members = [f"tech-{i}" for i in range(len(loads))]
    counts = dict(zip(members, loads, strict=True))
    last = members[last_index] if last_index < len(members) else None
    chosen = domain.next_technician(members, last, counts, cap)
    if chosen is None:
        assert all(n >= cap for n in loads)
    else:
        assert counts[chosen] < cap
        if len(members) > 1 and last in members:
            assert chosen != last or all(counts[m] >= cap for m in members if m != last)


def test_round_robin_spreads_a_run_of_orders_evenly():
    members, counts, last = ["a", "b", "c"], {}, None
    for _ in range(9):
        last = domain.next_technician(members, last, counts, cap=5)
        counts[last] = counts.get(last, 0) + 1
    assert counts == {"a": 3, "b": 3, "c": 3}


# --- what contractors see, fees, webhooks ----------------------------------------------------------
def test_a_phone_is_masked_but_recognisable():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("5678") == "****"
    assert mask_phone(None) is None


def test_a_quote_is_priced_from_the_fee_schedule():
    schedule = {
        "tap": {"name": "Replace tap", "amount": "45.50"},
        "trap": {"name": "Clear trap", "amount": "30"},
    }
    amount, lines = domain.quote(schedule, [{"code": "tap", "quantity": 2}, {"code": "trap"}])
    assert amount == "121.00" and [line["amount"] for line in lines] == ["91.00", "30.00"]
    with pytest.raises(domain.UnknownFeeItem):
        domain.quote(schedule, [{"code": "gold-plating"}])


def test_webhook_retries_back_off_exponentially_with_jitter_and_stop_after_three_days():
    rng = random.Random(7)
    start = datetime(2026, 11, 23, tzinfo=UTC)
    first = domain.next_webhook_attempt(start, 1, start, rng) - start
    fifth = domain.next_webhook_attempt(start, 5, start, rng) - start
    assert timedelta(seconds=15) <= first <= timedelta(seconds=30)
    assert timedelta(minutes=4) <= fifth <= timedelta(minutes=8)
    late = start + timedelta(days=3)
    assert domain.next_webhook_attempt(start, 30, late, rng) is None
    delays = {domain.next_webhook_attempt(start, 3, start, random.Random(i)) for i in range(5)}
    assert len(delays) > 1  # jittered, so a fleet of failures does not retry in lock-step
