"""The PRC working-day calendar, with its make-up working weekends (调休)."""

from datetime import UTC, date, datetime

from shared.workdays import calendar, end_of_day, local_date


def test_a_make_up_sunday_is_a_working_day_and_a_substituted_weekday_is_not():
    cn = calendar("CN")
    assert cn.is_workday(date(2026, 1, 4))  # Sunday worked in exchange for 2 January
    assert not cn.is_workday(date(2026, 1, 2))
    assert not cn.is_workday(date(2026, 1, 3))  # an ordinary Saturday


def test_the_next_working_day_after_the_friday_before_a_make_up_sunday_is_that_sunday():
    assert calendar("CN").next_workday(date(2026, 1, 2)) == date(2026, 1, 4)


def test_the_national_day_week_is_skipped():
    cn = calendar("CN")
    assert cn.next_workday(date(2026, 9, 30)) == date(2026, 10, 8)
    assert cn.is_workday(date(2026, 10, 10))  # make-up Saturday after the holiday
    assert cn.add_workdays(date(2026, 9, 30), 2) == date(2026, 10, 9)
    assert cn.workdays_between(date(2026, 9, 30), date(2026, 10, 10)) == 3


def test_local_days_follow_the_estates_timezone():
    moment = datetime(2026, 3, 1, 17, 30, tzinfo=UTC)  # 01:30 on 2 March in Shanghai
    assert local_date(moment, "Asia/Shanghai") == date(2026, 3, 2)
    last_second = end_of_day(date(2026, 3, 2), "Asia/Shanghai").astimezone(UTC)
    assert last_second == datetime(2026, 3, 2, 15, 59, 59, tzinfo=UTC)


def test_hong_kong_has_its_own_holidays():
    assert not calendar("HK").is_workday(date(2026, 7, 1))  # HKSAR Establishment Day
    assert calendar("CN").is_workday(date(2026, 7, 1))
