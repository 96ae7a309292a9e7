"""Callback policies (回访规定): per-estate rules saying which work gets a callback, when, by whom, how.

Plain Python. A policy is a list of rules; each rule matches a piece of work (ticket kind, category,
tags, severity, rework, location…) and fixes the callback window, the target rate, the assignee
role and the method. The rows of DOMAIN.md §3 ship as the default; the handbooks' variants ship as
named presets; an estate overrides rule by rule (a rule with the same id replaces the preset's).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from shared.workdays import WorkCalendar, end_of_day, local_date, start_of_day

WINDOW_UNITS = ("days", "workdays", "months")
TRIGGERS = ("heavy_rain",)
SUBJECTS = ("work", "new_resident", "routine")
ASSIGNEE_ROLES = ("agent", "supervisor", "manager", "engineering_supervisor")
METHODS = ("phone", "visit", "letter", "email")
MAX_WINDOW_DAYS = 366
DEFAULT_RETRIES = {"max_attempts": 3, "spacing_hours": [4, 24]}


# Whose callbacks each staff role's queue shows; an engineering supervisor is a senior technician.
QUEUE_VISIBILITY = {
    "agent": {"agent"},
    "technician": {"engineering_supervisor"},
    "supervisor": {"agent", "supervisor", "engineering_supervisor"},
    "manager": set(ASSIGNEE_ROLES),
    "admin": set(ASSIGNEE_ROLES),
    "head_office": set(ASSIGNEE_ROLES),
}


def visible_assignees(roles) -> set[str]:
    return set().union(*(QUEUE_VISIBILITY.get(r, set()) for r in roles))


class PolicyError(ValueError):
    """A rule that cannot work (an impossible window, an unknown preset…); `errors` is field → messages."""

    def __init__(self, message: str, errors: dict | None = None):
        super().__init__(message)
        self.errors = errors or {}


@dataclass(frozen=True)
class Work:
    """The facts of a completed piece of work that rules match on."""

    kind: str
    category: str
    severity: str | None = None
    tags: tuple[str, ...] = ()
    rework: bool = False
    urgent: bool = False
    location: str = "unit"  # "unit" (户内) or "area" (public area)
    subject: str = "work"


def _rule(
    rule_id: str,
    title: str,
    *,
    match: dict,
    window: dict,
    target: int,
    role: str = "agent",
    method: str = "phone",
    subject: str = "work",
    slip_mandatory: bool = False,
) -> dict:
    return {
        "id": rule_id,
        "title": title,
        "subject": subject,
        "match": match,
        "window": window,
        "target_percent": target,
        "assignee_role": role,
        "method": method,
        "slip_mandatory": slip_mandatory,
    }


def _after(frm: int, to: int, unit: str = "days") -> dict:
    return {"type": "after", "from": frm, "to": to, "unit": unit}


# DOMAIN.md §3, one rule per row. Order does not matter: the most specific matching rule wins.
DEFAULT_RULES: list[dict] = [
    _rule(
        "complaint_major",
        "Major complaint (重大投诉): the estate manager calls back on site within 3 working days",
        match={"kinds": ["complaint"], "severities": ["major"]},
        window=_after(0, 3, "workdays"),
        target=100,
        role="manager",
        method="visit",
    ),
    _rule(
        "complaint",
        "Complaint (投诉): within 3 working days of handling; a CS agent with the dept's supervisor",
        match={"kinds": ["complaint"]},
        window=_after(0, 3, "workdays"),
        target=100,
    ),
    _rule(
        "repair",
        "General repair (维修): next working day by phone",
        match={"kinds": ["repair"]},
        window=_after(1, 1, "workdays"),
        target=70,
        slip_mandatory=True,
    ),
    _rule(
        "rework",
        "Rework after a failed repair (返修): within 3 working days, engineering supervisor on site",
        match={"rework": True},
        window=_after(0, 3, "workdays"),
        target=100,
        role="engineering_supervisor",
        method="visit",
    ),
    _rule(
        "leak",
        "Leak through floor, window or wall (渗漏水): on site after the next heavy rainstorm",
        match={"tags": ["leak"]},
        window={"type": "trigger", "trigger": "heavy_rain", "from": 0, "to": 3, "unit": "days"},
        target=100,
        method="visit",
    ),
    _rule(
        "hidden_works",
        "Toilet leak, blocked drain, concealed works (隐蔽工程): within 3 days",
        match={"tags": ["toilet_leak", "drain_blockage", "concealed_works"]},
        window=_after(0, 3),
        target=100,
    ),
    _rule(
        "special_service",
        "Special paid service (特约服务): at mid-contract and after it ends",
        match={"kinds": ["special_service"]},
        window={"type": "milestones", "from": 0, "to": 7, "unit": "days"},
        target=80,
    ),
    _rule(
        "emergency_aid",
        "Emergency aid (急救): within 1 week",
        match={"kinds": ["help"], "urgent": True},
        window=_after(0, 7),
        target=100,
    ),
    _rule(
        "community",
        "Community activity or publication (社区活动): within 1 month",
        match={"tags": ["community_activity"]},
        window=_after(0, 1, "months"),
        target=20,
        method="letter",
    ),
    _rule(
        "other",
        "Other services (其他服务): within 1 week, rate set by the CS supervisor",
        match={},
        window=_after(0, 7),
        target=50,
    ),
    _rule(
        "new_resident",
        "New resident (新入住): the estate manager visits within 1 month of moving in",
        subject="new_resident",
        match={},
        window=_after(0, 1, "months"),
        target=100,
        role="manager",
        method="visit",
    ),
    _rule(
        "routine",
        "Routine visit (例行回访): every occupied unit once a year, by the monthly plan",
        subject="routine",
        match={},
        window={"type": "month"},
        target=100,
    ),
]


def _with(rules: list[dict], rule_id: str, **changes) -> list[dict]:
    out = copy.deepcopy(rules)
    for rule in out:
        if rule["id"] == rule_id:
            rule.update(changes)
    return out


# The handbooks disagree on repairs and community work; each variant is a named preset.
PRESETS: dict[str, dict] = {
    "default": {"title": "DOMAIN.md §3 defaults (repairs: next-day phone, 70%)", "rules": DEFAULT_RULES},
    "next-day-70": {
        "title": "Handbook 000: repair callback next working day by phone, ≥70%",
        "rules": _with(DEFAULT_RULES, "repair", target_percent=70, window=_after(1, 1, "workdays")),
    },
    "months-80": {
        "title": "Manual 003: repair callback 1–2 months after completion, 80%; community 20%",
        "rules": _with(
            _with(DEFAULT_RULES, "repair", target_percent=80, window=_after(1, 2, "months")),
            "community",
            target_percent=20,
        ),
    },
    "months-30": {
        "title": "Manual 004: repair callback 1–2 months after completion, 30%; community 10%",
        "rules": _with(
            _with(DEFAULT_RULES, "repair", target_percent=30, window=_after(1, 2, "months")),
            "community",
            target_percent=10,
        ),
    },
}


def compose(preset: str, overrides: list[dict]) -> list[dict]:
    """The effective rules: the preset's, each replaced by the override with the same id; new ids added."""
    if preset not in PRESETS:
        raise PolicyError(f"Unknown preset {preset!r}.", {"preset": [f"Use one of: {', '.join(PRESETS)}."]})
    rules = copy.deepcopy(PRESETS[preset]["rules"])
    by_id = {r["id"]: i for i, r in enumerate(rules)}
    for override in overrides:
        if override["id"] in by_id:
            rules[by_id[override["id"]]] = copy.deepcopy(override)
        else:
            rules.append(copy.deepcopy(override))
    return rules


def validate_rule(rule: dict) -> None:
    """Refuse windows that cannot be met (PolicyError with field errors keyed `window`)."""
    window = rule["window"]
    problems = []
    kind = window.get("type")
    if kind in ("after", "trigger", "milestones"):
        frm, to, unit = window.get("from"), window.get("to"), window.get("unit", "days")
        if unit not in WINDOW_UNITS:
            problems.append(f"unit must be one of {', '.join(WINDOW_UNITS)}")
        elif frm is None or to is None or frm < 0 or to < 0:
            problems.append("from and to must be zero or more")
        elif frm > to:
            problems.append("the window closes before it opens (from > to)")
        elif _span_days(to, unit) > MAX_WINDOW_DAYS:
            problems.append(f"a callback window may not end more than {MAX_WINDOW_DAYS} days after the work")
        if kind == "trigger" and window.get("trigger") not in TRIGGERS:
            problems.append(f"trigger must be one of {', '.join(TRIGGERS)}")
    elif kind != "month":
        problems.append("type must be after, trigger, milestones or month")
    if kind == "month" and rule.get("subject") != "routine":
        problems.append("a monthly-plan window is only for routine visits")
    if rule.get("subject") == "routine" and kind != "month":
        problems.append("routine visits follow the monthly plan (type month)")
    if problems:
        raise PolicyError(f"Rule {rule['id']!r} has an impossible window.", {"window": problems})


def _span_days(n: int, unit: str) -> int:
    return n * 31 if unit == "months" else (n * 7 // 5 + 14 if unit == "workdays" else n)


# How much each criterion says about the work: rework and tags describe it more closely than its
# kind, so a reworked repair falls under the rework rule and a leak under the leak rule, not "repair".
WEIGHTS = {"rework": 8, "tags": 4, "severities": 2, "urgent": 2, "kinds": 1, "categories": 1, "location": 1}


def specificity(rule: dict) -> int:
    return sum(WEIGHTS.get(k, 1) for k, v in rule["match"].items() if v not in (None, [], ()))


def matches(rule: dict, work: Work) -> bool:
    if rule.get("subject", "work") != work.subject:
        return False
    m = rule["match"]
    if m.get("kinds") and work.kind not in m["kinds"]:
        return False
    if m.get("categories") and work.category not in m["categories"]:
        return False
    if m.get("severities") and work.severity not in m["severities"]:
        return False
    if m.get("tags") and not set(m["tags"]) & set(work.tags):
        return False
    if m.get("rework") is not None and bool(m["rework"]) != work.rework:
        return False
    if m.get("urgent") is not None and bool(m["urgent"]) != work.urgent:
        return False
    return not (m.get("location") and m["location"] != work.location)


def select_rule(rules: list[dict], work: Work) -> dict | None:
    """The most specific rule that matches; ties go to the earlier rule."""
    best = None
    for rule in rules:
        if matches(rule, work) and (best is None or specificity(rule) > specificity(best)):
            best = rule
    return best


def find_rule(rules: list[dict], rule_id: str) -> dict | None:
    return next((r for r in rules if r["id"] == rule_id), None)


# --- windows ------------------------------------------------------------------------------------
def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for d in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, d))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _shift(day: date, n: int, unit: str, cal: WorkCalendar) -> date:
    if unit == "workdays":
        return cal.add_workdays(day, n)
    if unit == "months":
        return add_months(day, n)
    return day + timedelta(days=n)


def callback_window(window: dict, start: datetime, tz: str, cal: WorkCalendar) -> tuple[datetime, datetime]:
    """(due_from, due_by) for a window counted from `start` (completion, rain, milestone…).

    `from` 0 opens the window at `start` itself; otherwise at the start of the local day. The window
    closes at the end of the local `to`-th day (working days skip holidays and honour make-up days).
    """
    day = local_date(start, tz)
    frm, to, unit = window["from"], window["to"], window.get("unit", "days")
    opens = start if frm == 0 else start_of_day(_shift(day, frm, unit, cal), tz)
    closes = end_of_day(_shift(day, to, unit, cal), tz)
    return opens, closes


def month_window(month: str, tz: str) -> tuple[datetime, datetime]:
    """The whole local month 'YYYY-MM' as (first moment, last moment)."""
    first = date.fromisoformat(f"{month}-01")
    last = add_months(first, 1) - timedelta(days=1)
    return start_of_day(first, tz), end_of_day(last, tz)


def month_of(moment: datetime, tz: str) -> str:
    return local_date(moment, tz).strftime("%Y-%m")


@dataclass(frozen=True)
class Schedule:
    status: str  # "scheduled", or "waiting" for a trigger
    trigger: str | None
    due_from: datetime | None
    due_by: datetime | None


def schedule_for(window: dict, start: datetime, tz: str, cal: WorkCalendar) -> Schedule:
    """How a new callback starts out: due in its window, or waiting (no dates yet) for its trigger."""
    if window["type"] == "trigger":
        return Schedule("waiting", window["trigger"], None, None)
    if window["type"] == "month":
        return Schedule("scheduled", None, *month_window(month_of(start, tz), tz))
    return Schedule("scheduled", None, *callback_window(window, start, tz, cal))
