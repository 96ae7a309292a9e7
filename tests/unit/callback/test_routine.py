"""Routine visits (例行回访): every occupied unit once a year, spread evenly over the months."""

from hypothesis import given
from hypothesis import strategies as st

from services.callback.domain import assign_routine_month, routine_plan


def occupy(arrivals):
    """Units move in one by one (code, month they moved in) and get a month in the plan."""
    units, load = {}, {}
    for code, moved_in_month in arrivals:
        month = assign_routine_month(load, moved_in_month % 12 + 1)
        units[code] = month
        load[month] = load.get(month, 0) + 1
    return units


ARRIVALS = st.lists(st.integers(min_value=1, max_value=12), max_size=400).map(
    lambda months: [(f"U{i:04d}", m) for i, m in enumerate(months)]
)


@given(ARRIVALS)
def test_twelve_monthly_plans_visit_every_occupied_unit_exactly_once(arrivals):
    units = occupy(arrivals)
    visits = [u for month in range(1, 13) for u in routine_plan(units, month)]
    assert sorted(visits) == sorted(units)


@given(ARRIVALS)
def test_the_monthly_plans_are_spread_evenly(arrivals):
    units = occupy(arrivals)
    sizes = [len(routine_plan(units, month)) for month in range(1, 13)]
    assert max(sizes) - min(sizes) <= 1


def test_a_unit_visited_recently_for_another_reason_is_skipped():
    units = {"A-101": 3, "A-102": 3, "B-201": 4}
    assert routine_plan(units, 3, recently_visited=["A-102"]) == ["A-101"]


def test_a_new_unit_is_planned_after_its_move_in_month_when_months_are_equally_loaded():
    assert assign_routine_month({}, 6) == 6
    assert assign_routine_month({6: 1}, 6) == 7
    assert assign_routine_month({m: 1 for m in range(1, 13)} | {1: 0}, 6) == 1
