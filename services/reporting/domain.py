"""Reporting's rules (统计分析): how events become facts, and facts become monthly statistics.

Plain Python: no Flask, SQLAlchemy or broker. The projection (projection.py) stores the facts these
functions maintain; tests drive them directly with hand-built event streams (memory.py).

Order-independence: every fact is keyed by its business id (ticket, callback, unit) and every
update is a merge that gives the same result whatever order the events arrive in (earliest
timestamp wins, a breach once seen stays a breach, status only moves up its ladder, counts are
maxima of what the producer reported). Monthly counters are never incremented: they are
re-derived from the facts of that estate-month, so a duplicate cannot count twice.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from shared.events import CATEGORIES, RATINGS, SEVERITIES

DEFAULT_TIMEZONE = "Asia/Shanghai"
MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
QUARTER_PATTERN = re.compile(r"^(\d{4})Q([1-4])$")

# --- QR004: the callback subject areas (回访统计月统计表) ------------------------------------------
# (key, 中文, English) in the order of the paper form.
AREAS: tuple[tuple[str, str, str], ...] = (
    ("security", "治安", "Security"),
    ("cleaning_greening", "清洁绿化", "Cleaning & greening"),
    ("pest_waste", "消杀清运", "Pest control & waste removal"),
    ("noise", "噪声影响", "Noise"),
    ("engineering_repairs", "工程维修", "Engineering repairs"),
    ("complaint_handling", "投诉处理", "Complaint handling"),
    ("service_attitude", "服务态度", "Service attitude"),
    ("work_efficiency", "工作效率", "Work efficiency"),
)
AREA_KEYS = tuple(a[0] for a in AREAS)

# The mapping from a completed callback to QR004 rows, written down once:
# - the *subject* row takes the resident's rating of the work's quality (质量), or the overall
#   satisfaction when quality was not rated. The subject is "complaint handling" for complaints,
#   otherwise decided by the ticket category below; repairs in a category with no row of its own
#   (parking, fees, other) count as engineering repairs; other kinds in such categories, and
#   routine visits without a ticket, have no subject row;
# - the *attitude* (态度) rating goes to "service attitude";
# - the *punctuality* (守时) rating goes to "work efficiency".
# So one callback adds at most one count to each of three rows.
CATEGORY_AREA = {
    "security": "security",
    "cleaning": "cleaning_greening",
    "greening": "cleaning_greening",
    "pest_control": "pest_waste",
    "waste": "pest_waste",
    "noise": "noise",
    "engineering": "engineering_repairs",
}
RATING_AREA = {"attitude": "service_attitude", "punctuality": "work_efficiency"}


def subject_area(kind: str | None, category: str | None) -> str | None:
    if kind == "complaint":
        return "complaint_handling"
    if category in CATEGORY_AREA:
        return CATEGORY_AREA[category]
    if kind == "repair":
        return "engineering_repairs"
    return None


def qr004_contributions(
    kind: str | None, category: str | None, satisfaction: str | None, ratings: dict | None
) -> list[tuple[str, str]]:
    """The (area, rating) pairs one completed callback adds to the QR004 matrix."""
    ratings = ratings or {}
    out = []
    area = subject_area(kind, category)
    quality = ratings.get("quality")
    subject_rating = quality if quality in RATINGS else satisfaction
    if area and subject_rating in RATINGS:
        out.append((area, subject_rating))
    for dimension, dim_area in RATING_AREA.items():
        if ratings.get(dimension) in RATINGS:
            out.append((dim_area, ratings[dimension]))
    return out


# --- callback rules and their rate targets (DOMAIN.md §3) ----------------------------------------
# Used when the callback event carries no `target` of its own. Keyed by rule name; the callback
# service's presets name their rules like these (aliases included for the variants).
DEFAULT_TARGETS: dict[str, float | None] = {
    "complaint": 1.0,
    "repair": 0.7,
    "general_repair": 0.7,
    "repair_next_day": 0.7,
    "repair_followup": 0.8,
    "rework": 1.0,
    "leak": 1.0,
    "leak_after_rain": 1.0,
    "toilet_leak": 1.0,
    "drain_blockage": 1.0,
    "concealed_works": 1.0,
    "plumbing": 1.0,
    "special_service": 0.8,
    "emergency_aid": 1.0,
    "help": 1.0,
    "community_activity": 0.2,
    "new_resident": 1.0,
    "routine": 1.0,
    "routine_visit": 1.0,
    "other": None,  # set by the CS supervisor
}
ROUTINE_RULES = frozenset({"routine", "routine_visit"})
# A skipped callback still counts as eligible (it was due under the rule but not sampled) unless
# the skip says the rule never applied or the resident cannot be called back.
INELIGIBLE_SKIP_REASONS = frozenset({"no_rule", "anonymous", "no_contact", "cancelled"})


def rule_target(rule: str, carried: float | None = None) -> float | None:
    if carried is not None:
        return carried
    return DEFAULT_TARGETS.get(rule)


# --- months and quarters in the estate's local time ----------------------------------------------
def local_month(at: datetime, timezone: str | None) -> str:
    local = at.astimezone(ZoneInfo(timezone or DEFAULT_TIMEZONE))
    return f"{local.year:04d}-{local.month:02d}"


def parse_month(value: str) -> tuple[int, int]:
    m = MONTH_PATTERN.match(value or "")
    if not m:
        raise ValueError("Use the form YYYY-MM.")
    return int(m.group(1)), int(m.group(2))


def shift_month(month: str, delta: int) -> str:
    year, mon = parse_month(month)
    index = year * 12 + (mon - 1) + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_between(first: str, last: str) -> list[str]:
    out, month = [], first
    while month <= last:
        out.append(month)
        month = shift_month(month, 1)
    return out


def quarter_months(quarter: str) -> list[str]:
    m = QUARTER_PATTERN.match(quarter or "")
    if not m:
        raise ValueError("Use the form YYYYQn, e.g. 2026Q3.")
    year, q = int(m.group(1)), int(m.group(2))
    return [f"{year:04d}-{mon:02d}" for mon in range(3 * q - 2, 3 * q + 1)]


def month_of_date(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


# --- facts ---------------------------------------------------------------------------------------
@dataclass
class TicketFact:
    """One row per ticket: its milestones and whether each deadline was met."""

    estate_id: str
    ticket_id: str
    number: str | None = None
    kind: str | None = None
    category: str | None = None
    channel: str | None = None
    severity: str | None = None
    urgent: bool = False
    place: str | None = None  # unit code (户内) or public area
    opened_at: datetime | None = None
    month: str | None = None  # local month of opened_at
    first_reply_due: datetime | None = None
    first_reply_at: datetime | None = None
    first_reply_on_time: bool | None = None
    resolve_due: datetime | None = None
    resolved_at: datetime | None = None
    resolved_on_time: bool | None = None  # as reported by dispatch (completed_on_time)
    resolve_breached: bool = False
    arrived_on_time: bool = False  # an on-time arrival was reported
    arrive_breached: bool = False  # a late arrival or an arrive_by overdue was reported
    reopen_count: int = 0
    closed_at: datetime | None = None
    close_reason: str | None = None


@dataclass
class CallbackFact:
    """One row per callback (回访): the decision, the outcome and its ratings."""

    estate_id: str
    callback_id: str
    ticket_id: str | None = None
    rule: str | None = None
    kind: str | None = None
    category: str | None = None
    status: str = "scheduled"
    mandatory: bool = False
    skip_reason: str | None = None
    target: float | None = None
    decided_at: datetime | None = None
    month: str | None = None  # rate month: when it was scheduled or skipped
    completed_at: datetime | None = None
    outcome_month: str | None = None  # statistics month: when it was completed or failed
    failed_at: datetime | None = None
    satisfaction: str | None = None
    quality: str | None = None
    attitude: str | None = None
    punctuality: str | None = None
    unit: str | None = None
    on_time: bool | None = None


STATUS_RANK = {"skipped": 0, "scheduled": 1, "overdue": 2, "failed": 3, "completed": 4}


def new_ticket(estate_id: str, ticket_id: str) -> dict:
    return {f.name: f.default for f in fields(TicketFact)} | {"estate_id": estate_id, "ticket_id": ticket_id}


def new_callback(estate_id: str, callback_id: str) -> dict:
    return {f.name: f.default for f in fields(CallbackFact)} | {
        "estate_id": estate_id,
        "callback_id": callback_id,
        "status": "skipped",
    }


def _earliest(current: datetime | None, candidate: datetime | None) -> datetime | None:
    if candidate is None:
        return current
    return candidate if current is None or candidate < current else current


def _fill(fact, name: str, value) -> None:
    if value is not None and getattr(fact, name) is None:
        setattr(fact, name, value)


SEVERITY_RANK = {s: i for i, s in enumerate(reversed(SEVERITIES))}  # minor < important < major


def _raise_severity(fact, severity: str | None) -> None:
    # Escalation only ever raises a complaint's class, so the highest class reported wins.
    if severity and SEVERITY_RANK.get(severity, -1) > SEVERITY_RANK.get(fact.severity, -1):
        fact.severity = severity


def _ticket_facts(fact, data: dict) -> None:
    """Fields every ticket-describing event carries (_TicketFacts): the latest description wins."""
    for name in ("kind", "category"):
        if data.get(name):
            setattr(fact, name, data[name])
    _raise_severity(fact, data.get("severity"))
    if data.get("urgent"):
        fact.urgent = True
    location = data.get("location") or {}
    _fill(fact, "place", location.get("unit") or location.get("area"))


def apply_to_ticket(fact, event_type: str, data: dict, timezone: str | None) -> None:
    """Merge one event into a ticket fact (any attribute-bearing object with TicketFact's fields)."""
    _fill(fact, "number", data.get("number") or data.get("ticket_number"))
    if event_type == "ticket.opened":
        _ticket_facts(fact, data)
        fact.channel = data["channel"]
        fact.opened_at = _earliest(fact.opened_at, data["opened_at"])
        fact.month = local_month(fact.opened_at, timezone)
        _fill(fact, "first_reply_due", data.get("first_reply_due"))
        _fill(fact, "resolve_due", data.get("resolve_due"))
    elif event_type == "ticket.replied":
        if data["first"] and (fact.first_reply_at is None or data["replied_at"] <= fact.first_reply_at):
            fact.first_reply_at = data["replied_at"]
            if data.get("on_time") is not None:
                fact.first_reply_on_time = data["on_time"]
    elif event_type == "ticket.escalated":
        _raise_severity(fact, data["severity"])
    elif event_type == "ticket.resolved_at_desk":
        _ticket_facts(fact, data)
        fact.resolved_at = _earliest(fact.resolved_at, data["resolved_at"])
    elif event_type == "ticket.reopened":
        fact.reopen_count = max(fact.reopen_count or 0, data["reopen_count"])
    elif event_type == "ticket.closed":
        if fact.closed_at is None or data["closed_at"] >= fact.closed_at:
            fact.closed_at = data["closed_at"]
            fact.close_reason = data.get("reason") or None
    elif event_type == "workorder.arrived":
        if data.get("on_time") is True:
            fact.arrived_on_time = True
        elif data.get("on_time") is False:
            fact.arrive_breached = True
    elif event_type == "workorder.completed":
        _ticket_facts(fact, data)
        if not data.get("rework"):
            fact.resolved_at = _earliest(fact.resolved_at, data["completed_at"])
            if data.get("completed_on_time") is not None:
                fact.resolved_on_time = data["completed_on_time"]
        if data.get("arrived_on_time") is True:
            fact.arrived_on_time = True
        elif data.get("arrived_on_time") is False:
            fact.arrive_breached = True
    elif event_type == "workorder.overdue":
        if data["deadline"] == "arrive_by":
            fact.arrive_breached = True
        else:
            fact.resolve_breached = True


def apply_to_callback(fact, event_type: str, data: dict, occurred_at: datetime, timezone: str | None) -> None:
    """Merge one callback event into a callback fact."""
    _fill(fact, "ticket_id", data.get("ticket_id"))
    _fill(fact, "rule", data.get("rule"))
    _fill(fact, "kind", data.get("kind"))
    _fill(fact, "category", data.get("category"))
    status = {
        "callback.scheduled": "scheduled",
        "callback.skipped": "skipped",
        "callback.completed": "completed",
        "callback.failed": "failed",
        "callback.overdue": "overdue",
    }[event_type]
    if event_type in ("callback.scheduled", "callback.skipped"):
        fact.decided_at = _earliest(fact.decided_at, occurred_at)
        if data.get("target") is not None:
            fact.target = data["target"]
        if event_type == "callback.scheduled":
            fact.mandatory = bool(data.get("mandatory")) or bool(fact.mandatory)
            fact.skip_reason = None
        elif STATUS_RANK[fact.status] == 0:
            fact.skip_reason = data["reason"]
    if event_type == "callback.completed":
        if fact.completed_at is None or data["completed_at"] >= fact.completed_at:
            fact.completed_at = data["completed_at"]
            fact.satisfaction = data["satisfaction"]
            ratings = data.get("ratings") or {}
            for dim in ("quality", "attitude", "punctuality"):
                value = ratings.get(dim)
                setattr(fact, dim, value if value in RATINGS else None)
            fact.on_time = data.get("on_time")
        _fill(fact, "unit", data.get("unit"))
    elif event_type == "callback.failed":
        fact.failed_at = _earliest(fact.failed_at, data["failed_at"])
    if STATUS_RANK[status] > STATUS_RANK[fact.status] or (
        event_type == "callback.scheduled" and fact.status == "skipped"
    ):
        fact.status = status
    # A callback that was scheduled once is never "skipped" again by a late-arriving skip.
    fact.month = local_month(fact.decided_at or fact.completed_at or fact.failed_at or occurred_at, timezone)
    outcome_at = fact.completed_at if fact.status == "completed" else fact.failed_at
    fact.outcome_month = local_month(outcome_at, timezone) if outcome_at else None


def place_in_months(ticket_or_callback, timezone: str | None) -> None:
    """Recompute a fact's month(s) for the estate's (possibly corrected) timezone."""
    f = ticket_or_callback
    if hasattr(f, "callback_id"):
        basis = f.decided_at or f.completed_at or f.failed_at
        f.month = local_month(basis, timezone) if basis else f.month
        outcome_at = (
            f.completed_at if f.status == "completed" else f.failed_at if f.status == "failed" else None
        )
        f.outcome_month = local_month(outcome_at, timezone) if outcome_at else None
    elif f.opened_at is not None:
        f.month = local_month(f.opened_at, timezone)


def callback_eligible(fact) -> bool:
    return fact.status != "skipped" or (fact.skip_reason not in INELIGIBLE_SKIP_REASONS)


def callback_target(fact) -> float | None:
    return rule_target(fact.rule or "", fact.target)


TICKET_EVENTS = frozenset(
    {
        "ticket.opened",
        "ticket.replied",
        "ticket.escalated",
        "ticket.resolved_at_desk",
        "ticket.reopened",
        "ticket.closed",
        "workorder.arrived",
        "workorder.completed",
        "workorder.overdue",
    }
)
CALLBACK_EVENTS = frozenset(
    {"callback.scheduled", "callback.skipped", "callback.completed", "callback.failed", "callback.overdue"}
)


def months_touched(*facts_months) -> set[str]:
    return {m for m in facts_months if m}


def qr004_table(areas: dict[str, dict[str, int]], lang_labels: bool = True) -> list[dict]:
    """The QR004 rows in form order, every area present (zeros included)."""
    rows = []
    for key, zh, en in AREAS:
        counts = areas.get(key) or {}
        row = {"area": key, **{r: int(counts.get(r, 0)) for r in RATINGS}}
        if lang_labels:
            row["label_zh"], row["label_en"] = zh, en
        rows.append(row)
    return rows


# --- deadlines ------------------------------------------------------------------------------------
def first_reply_on_time(fact) -> bool | None:
    if fact.first_reply_on_time is not None:
        return fact.first_reply_on_time
    if fact.first_reply_at and fact.first_reply_due:
        return fact.first_reply_at <= fact.first_reply_due
    return None


def on_site_on_time(fact) -> bool | None:
    if fact.arrive_breached:
        return False
    return True if fact.arrived_on_time else None


def resolution_on_time(fact) -> bool | None:
    if fact.resolve_breached:
        return False
    if fact.resolved_at and fact.resolve_due:
        return fact.resolved_at <= fact.resolve_due
    return fact.resolved_on_time


# --- the monthly counters ---------------------------------------------------------------------------
COUNTER_FIELDS = (
    "tickets",
    "complaints",
    "repairs",
    "reopened",
    "first_reply_total",
    "first_reply_on_time",
    "on_site_total",
    "on_site_on_time",
    "resolution_total",
    "resolution_on_time",
    "callbacks_eligible",
    "callbacks_done",
    "callbacks_failed",
    "target_sum",
    "target_n",
    "satisfied",
    "fairly_satisfied",
    "unsatisfied",
)


@dataclass
class MonthCounters:
    """Everything the group comparison and the dashboard need about one estate-month."""

    counters: dict[str, float] = field(default_factory=lambda: dict.fromkeys(COUNTER_FIELDS, 0))
    areas: dict[str, dict[str, int]] = field(
        default_factory=lambda: {a: dict.fromkeys(RATINGS, 0) for a in AREA_KEYS}
    )
    rules: dict[str, dict] = field(default_factory=dict)  # rule → {eligible, done, target}


def summarise_month(month: str, tickets: Iterable, callbacks: Iterable) -> MonthCounters:
    """Derive one estate-month's counters from its facts (tickets opened, callbacks decided or done)."""
    out = MonthCounters()
    c = out.counters
    for t in tickets:
        if t.month != month:
            continue
        c["tickets"] += 1
        c["complaints"] += t.kind == "complaint"
        c["repairs"] += t.kind == "repair"
        c["reopened"] += (t.reopen_count or 0) > 0
        for name, verdict in (
            ("first_reply", first_reply_on_time(t)),
            ("on_site", on_site_on_time(t)),
            ("resolution", resolution_on_time(t)),
        ):
            if verdict is not None:
                c[f"{name}_total"] += 1
                c[f"{name}_on_time"] += verdict
    for cb in callbacks:
        if cb.month == month and cb.rule and callback_eligible(cb):
            c["callbacks_eligible"] += 1
            c["callbacks_done"] += cb.status == "completed"
            rule = out.rules.setdefault(cb.rule, {"eligible": 0, "done": 0, "target": None})
            rule["eligible"] += 1
            rule["done"] += cb.status == "completed"
            target = callback_target(cb)
            if target is not None:
                c["target_sum"] += target
                c["target_n"] += 1
                rule["target"] = target if rule["target"] is None else max(rule["target"], target)
        if cb.outcome_month != month:
            continue
        if cb.status == "failed":
            c["callbacks_failed"] += 1
        elif cb.status == "completed" and cb.satisfaction in RATINGS:
            c[cb.satisfaction] += 1
            ratings = {"quality": cb.quality, "attitude": cb.attitude, "punctuality": cb.punctuality}
            for area, rating in qr004_contributions(cb.kind, cb.category, cb.satisfaction, ratings):
                out.areas[area][rating] += 1
    return out


def ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def satisfaction_rates(satisfied: int, fairly: int, unsatisfied: int) -> dict:
    reached = satisfied + fairly + unsatisfied
    return {
        "reached": reached,
        "satisfaction_rate": ratio(satisfied + fairly, reached),
        "full_satisfaction_rate": ratio(satisfied, reached),
    }


# --- the complaint summary (投诉统计表) ---------------------------------------------------------------
def _minutes(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds() / 60


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def complaint_summary(tickets: Iterable) -> dict:
    complaints = [t for t in tickets if t.kind == "complaint"]
    by = {
        "severity": Counter(t.severity or "unclassified" for t in complaints),
        "category": Counter(t.category or "other" for t in complaints),
        "channel": Counter(t.channel or "unknown" for t in complaints),
    }
    first = [m for t in complaints if (m := _minutes(t.opened_at, t.first_reply_at)) is not None]
    resolved = [m for t in complaints if (m := _minutes(t.opened_at, t.resolved_at)) is not None]
    sla = {}
    for name, verdict in (
        ("first_reply", first_reply_on_time),
        ("on_site", on_site_on_time),
        ("resolution", resolution_on_time),
    ):
        verdicts = [v for t in complaints if (v := verdict(t)) is not None]
        sla[name] = {
            "total": len(verdicts),
            "on_time": sum(verdicts),
            "rate": ratio(sum(verdicts), len(verdicts)),
        }
    return {
        "complaints": len(complaints),
        "by_severity": {k: by["severity"].get(k, 0) for k in (*SEVERITIES, "unclassified")},
        "by_category": {k: by["category"].get(k, 0) for k in CATEGORIES},
        "by_channel": dict(sorted(by["channel"].items())),
        "median_minutes_to_first_reply": median(first),
        "median_hours_to_resolution": round(median(resolved) / 60, 2) if resolved else None,
        "sla": sla,
        "reopened": sum(1 for t in complaints if (t.reopen_count or 0) > 0),
    }


# --- quarterly nonconformance (不合格项, 003 §4.7) ----------------------------------------------------
REPEAT_COMPLAINT_THRESHOLD = 2
REPEAT_REPAIR_THRESHOLD = 3


def nonconformance(
    tickets: Iterable, callbacks: Iterable, places: dict[str, str] | None = None
) -> list[dict]:
    """Failed or unsatisfied callbacks, the same matter complained about twice or more (same unit
    or place + category), the same repair three times or more (a reopened ticket was repaired once
    more per reopen). `places` gives a callback's unit or place from its ticket when it has none."""
    items: list[dict] = []
    tickets = list(tickets)
    places = {**{t.ticket_id: t.place for t in tickets if t.place}, **(places or {})}
    for cb in callbacks:
        place = cb.unit or places.get(cb.ticket_id)
        if cb.status == "failed":
            items.append(_callback_item("callback_failed", cb, cb.failed_at, place))
        elif cb.status == "completed" and cb.satisfaction == "unsatisfied":
            items.append(_callback_item("callback_unsatisfied", cb, cb.completed_at, place))
    complaints: dict[tuple, list] = defaultdict(list)
    repairs: dict[tuple, list] = defaultdict(list)
    for t in tickets:
        if not t.place or not t.category:
            continue
        if t.kind == "complaint":
            complaints[(t.place, t.category)].append(t)
        elif t.kind == "repair":
            repairs[(t.place, t.category)].append(t)
    for (place, category), group in sorted(complaints.items()):
        if len(group) >= REPEAT_COMPLAINT_THRESHOLD:
            items.append(_repeat_item("repeated_complaint", place, category, group, len(group)))
    for (place, category), group in sorted(repairs.items()):
        times = sum(1 + (t.reopen_count or 0) for t in group)
        if times >= REPEAT_REPAIR_THRESHOLD:
            items.append(_repeat_item("repeated_repair", place, category, group, times))
    return sorted(items, key=lambda i: (i["at"] or "", i["type"], i["callback_id"] or "", i["place"] or ""))


def _callback_item(kind: str, cb, at: datetime | None, place: str | None) -> dict:
    return {
        "type": kind,
        "at": at.astimezone(UTC).isoformat() if at else None,
        "callback_id": cb.callback_id,
        "ticket_id": cb.ticket_id,
        "rule": cb.rule,
        "category": cb.category,
        "place": place,
        "count": 1,
        "ticket_ids": [cb.ticket_id] if cb.ticket_id else [],
    }


def _repeat_item(kind: str, place: str, category: str, group: list, count: int) -> dict:
    group = sorted(group, key=lambda t: t.opened_at.timestamp() if t.opened_at else 0.0)
    last = group[-1].opened_at
    return {
        "type": kind,
        "at": last.astimezone(UTC).isoformat() if last else None,
        "callback_id": None,
        "ticket_id": group[-1].ticket_id,
        "rule": None,
        "category": category,
        "place": place,
        "count": count,
        "ticket_ids": [t.ticket_id for t in group],
    }


# --- the group comparison -----------------------------------------------------------------------------
COMPARISON_FIELDS = (
    "tickets",
    "complaints",
    "callback_rate",
    "callback_target",
    "satisfaction_rate",
    "first_reply_on_time_rate",
    "on_site_on_time_rate",
    "resolution_on_time_rate",
    "on_time_rate",
    "reopen_rate",
)
SORT_KEYS = ("estate", "name", "region", *COMPARISON_FIELDS)


def comparison_figures(c: dict) -> dict:
    """Rates from summed counters (sum first, divide last: a range is not the mean of its months)."""
    on_time_total = c["first_reply_total"] + c["on_site_total"] + c["resolution_total"]
    on_time = c["first_reply_on_time"] + c["on_site_on_time"] + c["resolution_on_time"]
    return {
        "tickets": int(c["tickets"]),
        "complaints": int(c["complaints"]),
        "callback_rate": ratio(c["callbacks_done"], c["callbacks_eligible"]),
        "callback_target": ratio(c["target_sum"], c["target_n"]),
        "satisfaction_rate": ratio(
            c["satisfied"] + c["fairly_satisfied"], c["satisfied"] + c["fairly_satisfied"] + c["unsatisfied"]
        ),
        "first_reply_on_time_rate": ratio(c["first_reply_on_time"], c["first_reply_total"]),
        "on_site_on_time_rate": ratio(c["on_site_on_time"], c["on_site_total"]),
        "resolution_on_time_rate": ratio(c["resolution_on_time"], c["resolution_total"]),
        "on_time_rate": ratio(on_time, on_time_total),
        "reopen_rate": ratio(c["reopened"], c["tickets"]),
    }


def add_counters(total: dict, more: dict) -> dict:
    for k in COUNTER_FIELDS:
        total[k] = total.get(k, 0) + (more.get(k) or 0)
    return total


def change(current: dict, previous: dict) -> dict:
    """Month-on-month (or period-on-period) change of each figure; None where either side is unknown."""
    out = {}
    for k in COMPARISON_FIELDS:
        a, b = current.get(k), previous.get(k)
        out[k] = None if a is None or b is None else round(a - b, 4)
    return out


def sort_rows(rows: list[dict], sort: str) -> list[dict]:
    """Sort by a figure; '-' first for descending. Ties keep estate order; unknown values go last."""
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    ordered = sorted(rows, key=lambda r: r["estate"])
    known = [r for r in ordered if r.get(key) is not None]
    unknown = [r for r in ordered if r.get(key) is None]
    known.sort(key=lambda r: r[key], reverse=descending)  # stable: ties stay in estate order
    return known + unknown
