"""Deadlines at intake, in the estate's working-day calendar (PRC holidays and 调休 make-up days)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.intake.domain import breached, compute_deadlines
from shared.privacy import mask_phone
from shared.workdays import calendar

SH = "Asia/Shanghai"
CN = calendar("CN")


def at(y, m, d, h=10, minute=0, tz=SH):
    return datetime(y, m, d, h, minute, tzinfo=ZoneInfo(tz))


def end(y, m, d, tz=SH):
    return datetime(y, m, d, 23, 59, 59, tzinfo=ZoneInfo(tz))


def deadlines(kind="complaint", channel="online", written=False, urgent=False, opened_at=None, **kw):
    return compute_deadlines(
        kind=kind,
        channel=channel,
        written=written,
        urgent=urgent,
        opened_at=opened_at or at(2025, 9, 26),
        tz=kw.pop("tz", SH),
        cal=kw.pop("cal", CN),
        settings=kw.pop("settings", None),
    )


# Friday 26 Sep 2025; Saturday 27 is off; Sunday 28 is a make-up working day (调休) before National Day.
def test_a_complaint_taken_on_the_friday_before_a_make_up_sunday_is_answered_by_that_sunday():
    d = deadlines(opened_at=at(2025, 9, 26, 17))
    assert d.first_reply_due == end(2025, 9, 28)
    # three working days: Sun 28, Mon 29, Tue 30
    assert d.resolve_due == end(2025, 9, 30)
    assert d.written_answer_due is None


def test_a_written_complaint_gets_a_same_day_reply_and_a_written_answer_the_next_working_day():
    d = deadlines(channel="letter", opened_at=at(2025, 9, 26, 9))
    assert d.first_reply_due == end(2025, 9, 26)
    assert d.written_answer_due == end(2025, 9, 28)  # the make-up Sunday is a working day


def test_the_written_flag_counts_like_a_letter():
    d = deadlines(channel="email", written=True, opened_at=at(2025, 9, 26, 9))
    assert d.written_answer_due == end(2025, 9, 28)


def test_an_oral_complaint_is_answered_the_same_day_even_on_a_holiday():
    d = deadlines(channel="phone", opened_at=at(2025, 10, 3, 11))
    assert d.first_reply_due == end(2025, 10, 3)
    # the Golden Week runs to 8 Oct; working days 9, 10 and the make-up Saturday 11
    assert d.resolve_due == end(2025, 10, 11)


def test_a_complaint_on_the_eve_of_the_national_day_week_waits_for_the_week_to_end():
    d = deadlines(channel="online", opened_at=at(2025, 9, 30, 16))
    assert d.first_reply_due == end(2025, 10, 9)
    assert d.resolve_due == end(2025, 10, 11)


def test_an_oral_complaint_on_the_eve_of_national_day_is_still_answered_that_day():
    d = deadlines(channel="visit", opened_at=at(2025, 9, 30, 16))
    assert d.first_reply_due == end(2025, 9, 30)


def test_an_urgent_complaint_gets_the_shorter_urgent_targets():
    opened = at(2025, 9, 30, 16)
    d = deadlines(channel="online", urgent=True, opened_at=opened)
    assert d.first_reply_due == opened + timedelta(hours=2)
    assert d.resolve_due == opened + timedelta(hours=48)


def test_urgent_never_lengthens_a_deadline():
    opened = at(2025, 9, 26, 23, 0)
    d = deadlines(channel="phone", urgent=True, opened_at=opened)
    assert d.first_reply_due == end(2025, 9, 26)  # same day comes before +2 h


def test_the_day_is_the_estates_local_day_not_utc():
    # 17:30 UTC on Friday is already Saturday 01:30 in Shanghai: the next working day is Sunday 28.
    opened = datetime(2025, 9, 26, 17, 30, tzinfo=ZoneInfo("UTC"))
    d = deadlines(channel="online", opened_at=opened)
    assert d.first_reply_due == end(2025, 9, 28)
    assert d.resolve_due == end(2025, 9, 30)


def test_per_estate_settings_replace_the_presets():
    d = deadlines(channel="online", opened_at=at(2025, 9, 26), settings={"resolve_workdays": 1})
    assert d.resolve_due == end(2025, 9, 28)


def test_a_hong_kong_estate_uses_its_own_calendar_and_timezone():
    hk = "Asia/Hong_Kong"
    # Saturday counts as a working day in the HK calendar, Sunday 28 Sep is no make-up day, 1 Oct is off.
    d = deadlines(channel="online", opened_at=at(2025, 9, 26, tz=hk), tz=hk, cal=calendar("HK"))
    assert d.first_reply_due == end(2025, 9, 27, tz=hk)
    assert d.resolve_due == end(2025, 9, 30, tz=hk)
    d = deadlines(channel="online", opened_at=at(2025, 9, 30, tz=hk), tz=hk, cal=calendar("HK"))
    assert d.first_reply_due == end(2025, 10, 2, tz=hk)


def test_repairs_leave_the_resolution_clock_to_dispatch():
    d = deadlines(kind="repair", channel="phone")
    assert d.first_reply_due is None and d.resolve_due is None


def test_an_inquiry_is_answered_within_one_working_day():
    d = deadlines(kind="inquiry", channel="phone", opened_at=at(2025, 9, 26))
    assert d.first_reply_due == end(2025, 9, 28) and d.resolve_due is None


@pytest.mark.parametrize(
    "met,now,expected",
    [(None, 1, True), (None, -1, False), (-1, 5, False), (1, 5, True)],
)
def test_a_deadline_is_breached_when_met_late_or_not_met_in_time(met, now, expected):
    due = at(2025, 9, 26)
    met_at = None if met is None else due + timedelta(hours=met)
    assert breached(due, met_at, due + timedelta(hours=now)) is expected
    assert breached(None, None, due) is None


def test_phones_are_masked_in_the_middle():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone(None) is None


@given(
    opened=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31)),
    channel=st.sampled_from(["phone", "visit", "letter", "email", "online", "inspection", "callback"]),
    urgent=st.booleans(),
)
def test_every_complaint_deadline_lies_ahead_in_order_and_ends_a_working_day(opened, channel, urgent):
    opened = opened.replace(tzinfo=ZoneInfo(SH))
    d = deadlines(channel=channel, urgent=urgent, opened_at=opened)
    assert opened <= d.first_reply_due <= d.resolve_due
    if d.written_answer_due:
        assert d.first_reply_due <= d.written_answer_due <= d.resolve_due
    if not urgent:
        assert CN.is_workday(d.resolve_due.date()) and d.resolve_due.time().hour == 23
        assert d.resolve_due.date() > opened.date()
