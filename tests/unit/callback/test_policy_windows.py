"""Every default rule's callback window, in the estate's timezone and working-day calendar."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.callback.policy import (
    DEFAULT_RULES,
    PRESETS,
    PolicyError,
    Work,
    callback_window,
    compose,
    find_rule,
    schedule_for,
    select_rule,
    validate_rule,
)
from shared.workdays import calendar

SH = "Asia/Shanghai"
CN = calendar("CN")


def at(y, m, d, hh=10, mm=0, tz=SH):
    return datetime(y, m, d, hh, mm, tzinfo=ZoneInfo(tz))


def window_of(rule_id, done, rules=DEFAULT_RULES):
    rule = find_rule(rules, rule_id)
    return callback_window(rule["window"], done, SH, CN)


def local(moment):
    return moment.astimezone(ZoneInfo(SH))


def rule_for(**facts):
    facts.setdefault("category", "engineering")
    return select_rule(DEFAULT_RULES, Work(**facts))["id"]


# --- which rule ------------------------------------------------------------------------------------
def test_each_kind_of_work_falls_under_its_row_of_the_table():
    assert rule_for(kind="repair") == "repair"
    assert rule_for(kind="repair", rework=True) == "rework"
    assert rule_for(kind="repair", tags=("leak",)) == "leak"
    assert rule_for(kind="repair", tags=("drain_blockage",)) == "hidden_works"
    assert rule_for(kind="repair", tags=("toilet_leak",)) == "hidden_works"
    assert rule_for(kind="repair", tags=("concealed_works",)) == "hidden_works"
    assert rule_for(kind="complaint", severity="minor") == "complaint"
    assert rule_for(kind="complaint", severity="major") == "complaint_major"
    assert rule_for(kind="special_service") == "special_service"
    assert rule_for(kind="help", urgent=True) == "emergency_aid"
    assert rule_for(kind="suggestion", tags=("community_activity",)) == "community"
    assert rule_for(kind="inquiry") == "other"
    assert (
        select_rule(DEFAULT_RULES, Work(kind="", category="", subject="new_resident"))["id"] == "new_resident"
    )
    assert select_rule(DEFAULT_RULES, Work(kind="", category="", subject="routine"))["id"] == "routine"


def test_who_calls_back_and_how():
    major = find_rule(DEFAULT_RULES, "complaint_major")
    assert (major["assignee_role"], major["method"], major["target_percent"]) == ("manager", "visit", 100)
    rework = find_rule(DEFAULT_RULES, "rework")
    assert (rework["assignee_role"], rework["method"]) == ("engineering_supervisor", "visit")
    repair = find_rule(DEFAULT_RULES, "repair")
    assert (repair["assignee_role"], repair["method"], repair["target_percent"]) == ("agent", "phone", 70)
    assert find_rule(DEFAULT_RULES, "new_resident")["assignee_role"] == "manager"
    assert find_rule(DEFAULT_RULES, "community")["target_percent"] == 20


# --- windows -------------------------------------------------------------------------------------
def test_a_repair_done_on_monday_is_called_back_on_tuesday():
    opens, closes = window_of("repair", at(2026, 3, 2))
    assert local(opens) == at(2026, 3, 3, 0, 0)
    assert local(closes).date() == date(2026, 3, 3) and local(closes).hour == 23


def test_the_next_day_after_new_year_is_the_make_up_sunday():
    # 1–3 January 2026 are holidays; Sunday 4 January is worked in exchange (调休).
    opens, closes = window_of("repair", at(2026, 1, 1))
    assert local(opens).date() == local(closes).date() == date(2026, 1, 4)


def test_the_next_day_after_national_day_eve_is_after_the_golden_week():
    opens, closes = window_of("repair", at(2026, 9, 30, 16))
    assert local(opens).date() == local(closes).date() == date(2026, 10, 8)


def test_a_complaint_handled_today_is_called_back_within_three_working_days():
    done = at(2026, 3, 6, 15)  # a Friday
    opens, closes = window_of("complaint", done)
    assert opens == done  # "within": the window opens as soon as it is handled
    assert local(closes).date() == date(2026, 3, 11)  # Mon, Tue, Wed


def test_three_working_days_from_national_day_eve_end_on_the_make_up_saturday():
    _, closes = window_of("complaint_major", at(2026, 9, 30))
    assert local(closes).date() == date(2026, 10, 10)
    _, closes = window_of("rework", at(2026, 9, 30))
    assert local(closes).date() == date(2026, 10, 10)


def test_hidden_works_have_three_calendar_days_even_over_a_holiday():
    _, closes = window_of("hidden_works", at(2026, 9, 30))
    assert local(closes).date() == date(2026, 10, 3)


def test_emergency_aid_within_a_week_and_other_services_within_a_week():
    for rule in ("emergency_aid", "other"):
        _, closes = window_of(rule, at(2026, 3, 2))
        assert local(closes).date() == date(2026, 3, 9)


def test_community_work_within_a_month_clamped_to_the_month_end():
    _, closes = window_of("community", at(2026, 1, 31))
    assert local(closes).date() == date(2026, 2, 28)


def test_new_residents_within_a_month_of_moving_in():
    _, closes = window_of("new_resident", at(2026, 5, 10, 0))
    assert local(closes).date() == date(2026, 6, 10)


def test_special_service_milestones_have_a_week():
    _, closes = window_of("special_service", at(2026, 5, 10))
    assert local(closes).date() == date(2026, 5, 17)


def test_a_leak_callback_counts_from_the_rainstorm():
    rain = at(2026, 6, 20, 22)
    opens, closes = window_of("leak", rain)
    assert opens == rain and local(closes).date() == date(2026, 6, 23)


def test_preset_months_30_calls_repairs_back_one_to_two_months_later_at_30_percent():
    rules = compose("months-30", [])
    repair = find_rule(rules, "repair")
    assert repair["target_percent"] == 30
    opens, closes = callback_window(repair["window"], at(2026, 3, 15), SH, CN)
    assert local(opens) == at(2026, 4, 15, 0, 0)
    assert local(closes).date() == date(2026, 5, 15)
    assert find_rule(compose("months-80", []), "repair")["target_percent"] == 80
    assert find_rule(compose("next-day-70", []), "repair")["target_percent"] == 70


def test_local_days_follow_the_estates_timezone_not_utc():
    done = datetime(2026, 3, 2, 17, 30, tzinfo=UTC)  # already Tuesday 01:30 in Shanghai
    opens, _ = callback_window(find_rule(DEFAULT_RULES, "repair")["window"], done, SH, CN)
    assert local(opens).date() == date(2026, 3, 4)


# --- presets and overrides -----------------------------------------------------------------------
def test_an_estate_overrides_one_rule_and_keeps_the_rest_of_its_preset():
    override = {**find_rule(DEFAULT_RULES, "repair"), "target_percent": 90}
    custom = {**find_rule(DEFAULT_RULES, "other"), "id": "parking", "match": {"categories": ["parking"]}}
    rules = compose("months-30", [override, custom])
    assert find_rule(rules, "repair")["target_percent"] == 90
    assert find_rule(rules, "community")["target_percent"] == 10  # still the preset's
    assert select_rule(rules, Work(kind="inquiry", category="parking"))["id"] == "parking"
    assert find_rule(PRESETS["months-30"]["rules"], "repair")["target_percent"] == 30  # preset untouched


def test_every_shipped_rule_is_valid():
    for preset in PRESETS:
        for rule in compose(preset, []):
            validate_rule(rule)


@pytest.mark.parametrize(
    "window",
    [
        {"type": "after", "from": 3, "to": 1, "unit": "days"},
        {"type": "after", "from": -1, "to": 1, "unit": "days"},
        {"type": "after", "from": 0, "to": 2000, "unit": "days"},
        {"type": "after", "from": 0, "to": 24, "unit": "months"},
        {"type": "trigger", "trigger": "earthquake", "from": 0, "to": 3, "unit": "days"},
        {"type": "month"},
    ],
)
def test_impossible_windows_are_refused(window):
    rule = {**find_rule(DEFAULT_RULES, "repair"), "window": window}
    with pytest.raises(PolicyError) as exc:
        validate_rule(rule)
    assert "window" in exc.value.errors


def test_an_unknown_preset_is_refused():
    with pytest.raises(PolicyError):
        compose("nonsense", [])


# --- properties over every day of three years ----------------------------------------------------
@given(st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)), st.integers(0, 23))
def test_a_next_day_repair_callback_falls_on_the_first_working_day_after_the_work(day, hour):
    done = datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(SH))
    opens, closes = window_of("repair", done)
    due = local(opens).date()
    assert due == local(closes).date() and due > day and CN.is_workday(due)
    assert CN.workdays_between(day, due) == 1


@given(st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)))
def test_a_complaint_window_holds_exactly_three_working_days_after_the_handling_day(day):
    done = datetime(day.year, day.month, day.day, 11, tzinfo=ZoneInfo(SH))
    opens, closes = window_of("complaint", done)
    assert opens == done
    end = local(closes).date()
    assert CN.is_workday(end) and CN.workdays_between(day, end) == 3


# --- trigger-waiting callbacks -------------------------------------------------------------------
def test_a_leak_callback_waits_for_heavy_rain_with_no_dates_yet():
    plan = schedule_for(find_rule(DEFAULT_RULES, "leak")["window"], at(2026, 6, 1), SH, CN)
    assert plan.status == "waiting" and plan.trigger == "heavy_rain"
    assert plan.due_from is None and plan.due_by is None


def test_other_callbacks_are_scheduled_straight_away():
    plan = schedule_for(find_rule(DEFAULT_RULES, "repair")["window"], at(2026, 3, 2), SH, CN)
    assert plan.status == "scheduled" and plan.trigger is None
    assert local(plan.due_from).date() == date(2026, 3, 3)


def test_a_routine_visit_is_due_within_its_plan_month():
    plan = schedule_for(find_rule(DEFAULT_RULES, "routine")["window"], at(2026, 2, 1, 0), SH, CN)
    assert local(plan.due_from) == at(2026, 2, 1, 0, 0)
    assert local(plan.due_by).date() == date(2026, 2, 28)


def test_each_role_queue_shows_the_callbacks_that_role_makes():
    from services.callback.policy import visible_assignees

    assert visible_assignees(["agent"]) == {"agent"}
    assert visible_assignees(["technician"]) == {"engineering_supervisor"}
    assert visible_assignees(["agent", "supervisor"]) == {"agent", "supervisor", "engineering_supervisor"}
    assert "manager" in visible_assignees(["manager"]) and visible_assignees(["contractor"]) == set()
