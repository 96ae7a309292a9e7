"""Reporting's statistics on hand-built event streams (no I/O)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.reporting import domain
from services.reporting.memory import MemoryProjection
from tests.unit.reporting.stream import Stream, redelivered

E = "harbour-view"


def qr004(p: MemoryProjection, month: str) -> dict[str, tuple[int, int, int]]:
    rows = p.qr004(E, month)["rows"]
    return {
        r["area"]: (r["satisfied"], r["fairly_satisfied"], r["unsatisfied"])
        for r in rows
        if any((r["satisfied"], r["fairly_satisfied"], r["unsatisfied"]))
    }


def repair_with_callback(
    s: Stream, n: int, satisfaction: str, ratings=None, category="engineering", kind="repair"
):
    t, cb = f"t{n}", f"cb{n}"
    return [
        s.opened(t, "2026-03-02T02:00:00+00:00", kind=kind, category=category, unit=f"1-{n:03d}"),
        s.completed(t, f"wo{n}", "2026-03-02T06:00:00+00:00", kind=kind, category=category),
        s.scheduled(cb, t, "complaint" if kind == "complaint" else "repair", "2026-03-02T06:00:01+00:00"),
        s.done(cb, t, "repair", "2026-03-03T03:00:00+00:00", satisfaction, ratings=ratings),
    ]


# --- QR004 -------------------------------------------------------------------------------------
def test_a_repair_callback_fills_the_engineering_row_and_its_ratings_fill_attitude_and_efficiency():
    s = Stream(E)
    ratings = {"quality": "fairly_satisfied", "attitude": "satisfied", "punctuality": "unsatisfied"}
    p = MemoryProjection().apply_all([s.registered(), *repair_with_callback(s, 1, "satisfied", ratings)])
    assert qr004(p, "2026-03") == {
        "engineering_repairs": (0, 1, 0),  # the quality rating, not the overall one
        "service_attitude": (1, 0, 0),
        "work_efficiency": (0, 0, 1),
    }
    report = p.qr004(E, "2026-03")
    assert report["reached"] == 1 and report["satisfaction_rate"] == 1.0
    assert [r["area"] for r in report["rows"]] == list(domain.AREA_KEYS)  # every row, form order


def test_subject_rows_follow_the_ticket_category_and_complaints_go_to_complaint_handling():
    s = Stream(E)
    events = [s.registered()]
    for n, (kind, category) in enumerate(
        [
            ("repair", "security"),
            ("repair", "cleaning"),
            ("repair", "greening"),
            ("help", "pest_control"),
            ("repair", "waste"),
            ("repair", "noise"),
            ("complaint", "noise"),
            ("repair", "parking"),  # no row of its own: repairs are engineering's
            ("inquiry", "fees"),  # no subject row at all
        ]
    ):
        events += repair_with_callback(s, n, "satisfied", category=category, kind=kind)
    p = MemoryProjection().apply_all(events)
    assert qr004(p, "2026-03") == {
        "security": (1, 0, 0),
        "cleaning_greening": (2, 0, 0),
        "pest_waste": (2, 0, 0),
        "noise": (1, 0, 0),
        "complaint_handling": (1, 0, 0),
        "engineering_repairs": (1, 0, 0),
    }
    assert p.qr004(E, "2026-03")["reached"] == 9


def test_satisfaction_rate_counts_fairly_satisfied_and_full_rate_does_not():
    s = Stream(E)
    events = [s.registered()]
    for n, sat in enumerate(["satisfied", "satisfied", "fairly_satisfied", "unsatisfied"]):
        events += repair_with_callback(s, n, sat)
    events.append(s.failed("cbx", "tx", "repair", "2026-03-20T03:00:00+00:00"))  # not reached
    report = MemoryProjection().apply_all(events).qr004(E, "2026-03")
    assert report["reached"] == 4
    assert report["satisfaction_rate"] == 0.75
    assert report["full_satisfaction_rate"] == 0.5


def test_months_are_the_estates_local_months():
    s = Stream(E, timezone="Asia/Shanghai")
    # 2026-03-31 17:00 UTC is 1 April 01:00 in Shanghai.
    events = [
        s.registered(),
        s.opened("t1", "2026-03-31T17:00:00+00:00"),
        s.scheduled("cb1", "t1", "repair", "2026-03-31T17:30:00+00:00"),
        s.done("cb1", "t1", "repair", "2026-03-31T18:00:00+00:00"),
    ]
    p = MemoryProjection().apply_all(events)
    assert p.figures(E, "2026-03")["tickets"] == 0
    assert p.figures(E, "2026-04")["tickets"] == 1
    assert qr004(p, "2026-04") == {"engineering_repairs": (1, 0, 0)}


# --- duplicates and order ------------------------------------------------------------------------
def a_month_of_work(s: Stream) -> list:
    events = [s.registered()]
    events += repair_with_callback(s, 1, "satisfied", {"attitude": "satisfied"})
    events += repair_with_callback(s, 2, "unsatisfied", {"punctuality": "fairly_satisfied"})
    events += [
        s.reopened("t2", 1, "2026-03-04T01:00:00+00:00", callback="cb2"),
        s.completed("t2", "wo2b", "2026-03-05T01:00:00+00:00", rework=True),
        s.scheduled("cb2b", "t2", "rework", "2026-03-05T01:00:01+00:00"),
        s.done("cb2b", "t2", "rework", "2026-03-06T01:00:00+00:00", "fairly_satisfied"),
        s.closed("t2", "2026-03-06T01:00:01+00:00"),
        s.opened("t3", "2026-03-07T01:00:00+00:00", kind="complaint", category="noise", severity="minor"),
        s.replied("t3", "2026-03-07T02:00:00+00:00", on_time=True),
        s.escalated("t3", "important", "2026-03-08T01:00:00+00:00"),
        s.skipped("cb4", "t4", "repair", "2026-03-09T01:00:00+00:00"),
        s.failed("cb5", "t5", "complaint", "2026-03-10T01:00:00+00:00"),
    ]
    return events


def snapshot(p: MemoryProjection) -> tuple:
    return (
        p.qr004(E, "2026-03"),
        p.figures(E, "2026-03"),
        p.month(E, "2026-03").rules,
        p.complaint_summary(E, "2026-03"),
        p.nonconformance(E, "2026Q1"),
    )


def test_an_exact_redelivery_and_a_republished_business_event_never_double_count():
    s = Stream(E)
    events = a_month_of_work(s)
    once = snapshot(MemoryProjection().apply_all(events))
    twice = snapshot(MemoryProjection().apply_all(events + events + [redelivered(e) for e in events]))
    assert once == twice
    assert once[0]["reached"] == 3 and once[1]["tickets"] == 3


@settings(max_examples=60, deadline=None)
@given(st.randoms(use_true_random=False))
def test_any_arrival_order_gives_the_same_numbers(rng):
    s = Stream(E)
    events = a_month_of_work(s)
    expected = snapshot(MemoryProjection().apply_all(events))
    shuffled = events[1:]
    rng.shuffle(shuffled)
    assert snapshot(MemoryProjection().apply_all([events[0], *shuffled])) == expected


# --- reopen cycles ---------------------------------------------------------------------------------
def test_a_reopen_cycle_counts_both_callbacks_and_one_reopened_ticket():
    s = Stream(E)
    p = MemoryProjection().apply_all(a_month_of_work(s))
    assert qr004(p, "2026-03")["engineering_repairs"] == (1, 1, 1)
    figures = p.figures(E, "2026-03")
    assert figures["reopen_rate"] == round(1 / 3, 4)
    assert p.tickets[(E, "t2")].reopen_count == 1
    kinds = [i["type"] for i in p.nonconformance(E, "2026Q1")]
    assert kinds.count("callback_unsatisfied") == 1 and kinds.count("callback_failed") == 1


def test_the_same_repair_three_times_is_nonconforming():
    s = Stream(E)
    events = [
        s.registered(),
        s.opened("t1", "2026-04-01T01:00:00+00:00", unit="3-301"),
        s.reopened("t1", 1, "2026-04-03T01:00:00+00:00"),
        s.reopened("t1", 2, "2026-04-06T01:00:00+00:00"),
        s.reopened("t1", 1, "2026-04-03T01:00:00+00:00"),  # a late copy does not lower the count
    ]
    items = MemoryProjection().apply_all(events).nonconformance(E, "2026Q2")
    assert [(i["type"], i["place"], i["count"]) for i in items] == [("repeated_repair", "3-301", 3)]


def test_two_repairs_of_the_same_thing_are_not_yet_nonconforming_but_three_separate_ones_are():
    s = Stream(E)
    two = [s.opened(f"t{n}", f"2026-05-0{n}T01:00:00+00:00", unit="2-201") for n in (1, 2)]
    assert MemoryProjection().apply_all([s.registered(), *two]).nonconformance(E, "2026Q2") == []
    three = [*two, s.opened("t3", "2026-06-03T01:00:00+00:00", unit="2-201")]
    items = MemoryProjection().apply_all([s.registered(), *three]).nonconformance(E, "2026Q2")
    assert items[0]["ticket_ids"] == ["t1", "t2", "t3"]


def test_the_same_matter_complained_about_twice_in_a_quarter_is_nonconforming():
    s = Stream(E)
    events = [
        s.registered(),
        s.opened("c1", "2026-07-01T01:00:00+00:00", kind="complaint", category="noise", unit="5-501"),
        s.opened("c2", "2026-08-15T01:00:00+00:00", kind="complaint", category="noise", unit="5-501"),
        s.opened("c3", "2026-08-16T01:00:00+00:00", kind="complaint", category="security", unit="5-501"),
        s.opened("c4", "2026-10-01T01:00:00+00:00", kind="complaint", category="noise", unit="5-501"),  # Q4
    ]
    items = MemoryProjection().apply_all(events).nonconformance(E, "2026Q3")
    assert [(i["type"], i["place"], i["category"], i["count"]) for i in items] == [
        ("repeated_complaint", "5-501", "noise", 2)
    ]


# --- callback rates ---------------------------------------------------------------------------------
def test_callback_rate_per_rule_against_the_default_target():
    s = Stream(E)
    events = [s.registered()]
    for n in range(7):
        events += [
            s.scheduled(f"cb{n}", f"t{n}", "repair", "2026-03-02T01:00:00+00:00"),
            s.done(f"cb{n}", f"t{n}", "repair", "2026-03-03T01:00:00+00:00"),
        ]
    events += [s.skipped(f"sk{n}", f"u{n}", "repair", "2026-03-02T01:00:00+00:00") for n in range(3)]
    events.append(s.skipped("none", "v1", "repair", "2026-03-02T01:00:00+00:00", reason="no_rule"))
    events.append(s.scheduled("c1", "w1", "complaint", "2026-03-02T01:00:00+00:00"))
    rules = MemoryProjection().apply_all(events).month(E, "2026-03").rules
    assert rules["repair"] == {"eligible": 10, "done": 7, "target": 0.7}
    assert rules["complaint"] == {"eligible": 1, "done": 0, "target": 1.0}
    figures = MemoryProjection().apply_all(events).figures(E, "2026-03")
    assert figures["callback_rate"] == round(7 / 11, 4)


def test_a_target_carried_by_the_event_wins_over_the_preset():
    s = Stream(E)
    events = [s.registered(), s.scheduled("cb1", "t1", "repair", "2026-03-02T01:00:00+00:00", target=0.8)]
    assert MemoryProjection().apply_all(events).month(E, "2026-03").rules["repair"]["target"] == 0.8


def test_a_callback_scheduled_after_a_skip_for_the_same_id_is_scheduled_whatever_the_order():
    s = Stream(E)
    skip = s.skipped("cb1", "t1", "repair", "2026-03-02T01:00:00+00:00")
    sched = s.scheduled("cb1", "t1", "repair", "2026-03-02T02:00:00+00:00", mandatory=True)
    for order in ([skip, sched], [sched, skip]):
        fact = MemoryProjection().apply_all([s.registered(), *order]).callbacks[(E, "cb1")]
        assert fact.status == "scheduled" and fact.skip_reason is None


# --- complaint summary and SLA ------------------------------------------------------------------------
def test_the_complaint_summary_counts_medians_and_on_time_rates():
    s = Stream(E)
    events = [
        s.registered(),
        s.opened(
            "c1",
            "2026-03-02T01:00:00+00:00",
            kind="complaint",
            category="noise",
            channel="phone",
            severity="minor",
            first_reply_due="2026-03-03T09:00:00+00:00",
            resolve_due="2026-03-05T09:00:00+00:00",
        ),
        s.replied("c1", "2026-03-02T01:30:00+00:00"),  # 30 min, before the due time
        s.completed("c1", "w1", "2026-03-03T01:00:00+00:00", kind="complaint", category="noise"),
        s.opened(
            "c2",
            "2026-03-04T01:00:00+00:00",
            kind="complaint",
            category="security",
            channel="letter",
            severity="important",
            first_reply_due="2026-03-04T09:00:00+00:00",
            resolve_due="2026-03-06T09:00:00+00:00",
        ),
        s.replied("c2", "2026-03-04T11:30:00+00:00"),  # 10.5 h: late
        s.escalated("c2", "major", "2026-03-05T01:00:00+00:00"),
        s.overdue("c2", "w2", "arrive_by", "2026-03-04T02:00:00+00:00"),
        s.completed("c2", "w2", "2026-03-07T01:00:00+00:00", kind="complaint", category="security"),
        s.opened("r1", "2026-03-04T01:00:00+00:00", kind="repair", category="engineering"),
    ]
    summary = MemoryProjection().apply_all(events).complaint_summary(E, "2026-03")
    assert summary["complaints"] == 2
    assert summary["by_severity"] == {"major": 1, "important": 0, "minor": 1, "unclassified": 0}
    assert summary["by_category"]["noise"] == 1 and summary["by_category"]["security"] == 1
    assert summary["by_channel"] == {"letter": 1, "phone": 1}
    assert summary["median_minutes_to_first_reply"] == (30 + 630) / 2
    assert summary["median_hours_to_resolution"] == (24 + 72) / 2
    assert summary["sla"]["first_reply"] == {"total": 2, "on_time": 1, "rate": 0.5}
    assert summary["sla"]["resolution"] == {"total": 2, "on_time": 1, "rate": 0.5}
    assert summary["sla"]["on_site"] == {"total": 1, "on_time": 0, "rate": 0.0}


def test_an_overdue_arrival_stays_a_breach_even_if_a_later_event_says_on_time():
    s = Stream(E)
    events = [
        s.registered(),
        s.opened("t1", "2026-03-02T01:00:00+00:00"),
        s.arrived("t1", "w1", "2026-03-02T03:00:00+00:00", on_time=True),
        s.overdue("t1", "w1", "arrive_by", "2026-03-02T01:15:00+00:00"),
    ]
    for order in (events, [events[0], *reversed(events[1:])]):
        assert MemoryProjection().apply_all(order).figures(E, "2026-03")["on_site_on_time_rate"] == 0.0


# --- the comparison ---------------------------------------------------------------------------------
def test_ranges_sum_counters_before_dividing_and_change_is_against_the_previous_period():
    march = dict.fromkeys(domain.COUNTER_FIELDS, 0) | {"satisfied": 1, "unsatisfied": 1, "tickets": 2}
    april = dict.fromkeys(domain.COUNTER_FIELDS, 0) | {"satisfied": 8, "tickets": 8}
    total = domain.add_counters(domain.add_counters({}, march), april)
    figures = domain.comparison_figures(total)
    assert figures["satisfaction_rate"] == 0.9  # 9/10, not the mean of 0.5 and 1.0
    delta = domain.change(domain.comparison_figures(april), domain.comparison_figures(march))
    assert delta["satisfaction_rate"] == 0.5 and delta["tickets"] == 6
    assert delta["callback_rate"] is None


def test_sorting_puts_unknown_figures_last_in_both_directions():
    rows = [
        {"estate": "a", "satisfaction_rate": 0.5},
        {"estate": "b", "satisfaction_rate": None},
        {"estate": "c", "satisfaction_rate": 0.9},
    ]
    assert [r["estate"] for r in domain.sort_rows(rows, "-satisfaction_rate")] == ["c", "a", "b"]
    assert [r["estate"] for r in domain.sort_rows(rows, "satisfaction_rate")] == ["a", "c", "b"]


@pytest.mark.parametrize("bad", ["2026-13", "2026-1", "26-01", "", "2026-00"])
def test_months_must_be_yyyy_mm(bad):
    with pytest.raises(ValueError):
        domain.parse_month(bad)


def test_quarters_and_month_arithmetic():
    assert domain.quarter_months("2026Q4") == ["2026-10", "2026-11", "2026-12"]
    assert domain.shift_month("2026-01", -1) == "2025-12"
    assert domain.months_between("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    with pytest.raises(ValueError):
        domain.quarter_months("2026Q5")


def test_events_before_the_estate_or_a_timezone_change_move_to_the_right_local_month():
    s = Stream(E, timezone="America/New_York")
    late_evening = [
        s.opened("t1", "2026-04-01T02:00:00+00:00"),  # 31 March 22:00 in New York, 1 April in Shanghai
        s.scheduled("cb1", "t1", "repair", "2026-04-01T02:30:00+00:00"),
        s.done("cb1", "t1", "repair", "2026-04-01T03:00:00+00:00"),
    ]
    p = MemoryProjection().apply_all(late_evening)  # no estate yet: the default (Shanghai) months
    assert p.figures(E, "2026-04")["tickets"] == 1
    p.apply(s.registered())  # New York: it was still March there
    assert p.figures(E, "2026-03")["tickets"] == 1 and p.figures(E, "2026-04")["tickets"] == 0
    assert qr004(p, "2026-03") == {"engineering_repairs": (1, 0, 0)}
