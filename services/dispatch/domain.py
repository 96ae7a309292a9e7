"""Dispatch rules (派工) in plain Python: routing, the work-order state machine, deadlines, rotation.

Nothing here touches Flask, SQLAlchemy or the broker, so every rule is unit-tested in microseconds.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shared.workdays import calendar, end_of_day, local_date

# --- what gets dispatched ------------------------------------------------------------------------
DISPATCHED_KINDS = (
    "repair",
    "complaint",
    "help",
    "special_service",
)  # inquiries/suggestions stay at the desk
DISCIPLINES = (
    "engineering",
    "security",
    "cleaning",
    "greening",
    "pest_control",
    "waste",
    "office",
    "lift",
    "warranty",
)
STRATEGIES = ("supervisor", "pool", "round_robin")
OPEN_STATUSES = ("assigned", "accepted", "on_site")
STATUSES = (*OPEN_STATUSES, "completed", "cancelled")
PAUSE_REASONS = ("waiting_resident", "waiting_parts")


def is_dispatched(kind: str) -> bool:
    return kind in DISPATCHED_KINDS


# --- routing -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    """(kind, category, tags) → team. `None` kind means any kind; every listed tag must be present."""

    category: str
    team_id: str
    kind: str | None = None
    tags: tuple[str, ...] = ()

    def matches(self, kind: str, category: str, tags: Iterable[str]) -> bool:
        return (
            self.category == category
            and (self.kind is None or self.kind == kind)
            and set(self.tags) <= set(tags)
        )

    @property
    def specificity(self) -> tuple[int, int]:
        return (len(self.tags), self.kind is not None)


def route(
    rules: Sequence[Rule],
    *,
    kind: str,
    category: str,
    tags: Iterable[str] = (),
    warranty_team: str | None = None,
) -> str | None:
    """The team a ticket goes to, or None when no rule matches (left for a supervisor: unrouted).

    Warranty-period building defects (保修期内质量问题) go to the developer's warranty contractor
    whatever the table says; the most specific matching rule wins otherwise (more tags, then a kind).
    """
    tags = tuple(tags)
    if "warranty" in tags and warranty_team and category == "engineering":
        return warranty_team
    candidates = [r for r in rules if r.matches(kind, category, tags)]
    if not candidates:
        return None
    return max(candidates, key=lambda r: r.specificity).team_id


# The teams and rules a new estate starts with (an estate is routable the moment it arrives;
# a supervisor replaces the table with PUT …/routing). Categories without a team here — noise,
# parking, fees, other — stay unrouted until someone routes them.
DEFAULT_TEAMS = (
    ("engineering", "Engineering 工程部", "engineering"),
    ("security", "Security 安防班", "security"),
    ("cleaning", "Cleaning & greening 清洁绿化班", "cleaning"),
)
DEFAULT_RULES = (
    ("engineering", "engineering"),
    ("security", "security"),
    ("cleaning", "cleaning"),
    ("greening", "cleaning"),
    ("waste", "cleaning"),
    ("pest_control", "cleaning"),
)


# --- the state machine ---------------------------------------------------------------------------
class IllegalTransition(Exception):
    """The order's status does not allow this step (→ 409)."""


TRANSITIONS: dict[str, dict[str, str]] = {
    "accept": {"assigned": "accepted"},
    "arrive": {"accepted": "on_site"},
    "complete": {"on_site": "completed"},
    "reassign": {"assigned": "assigned", "accepted": "assigned"},
    "decline": {"assigned": "cancelled", "accepted": "cancelled"},
    "cancel": {s: "cancelled" for s in OPEN_STATUSES},
    "pause": {s: s for s in OPEN_STATUSES},
    "resume": {s: s for s in OPEN_STATUSES},
    "appoint": {"assigned": "assigned", "accepted": "accepted"},
    "quote": {"accepted": "accepted", "on_site": "on_site"},
    "consent": {"accepted": "accepted", "on_site": "on_site"},
}


def next_status(status: str, action: str) -> str:
    try:
        return TRANSITIONS[action][status]
    except KeyError:
        raise IllegalTransition(f"A work order that is {status} cannot be {_past(action)}.") from None


def _past(action: str) -> str:
    return {
        "accept": "accepted",
        "arrive": "marked on site",
        "complete": "completed",
        "reassign": "reassigned",
        "decline": "declined",
        "cancel": "cancelled",
        "pause": "paused",
        "resume": "resumed",
        "appoint": "given an appointment",
        "quote": "quoted",
        "consent": "given a consent",
    }.get(action, action)


# --- deadlines (时限) ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Settings:
    """Per-estate dispatch settings; the defaults are DOMAIN.md's values."""

    public_arrive_minutes: int = 15  # public-area repair: on site within 15 minutes of the slip
    appointment_early_minutes: int = 5  # in-unit repair: at the appointment, 5 minutes early
    complaint_resolve_workdays: int = 3  # when the ticket carries no resolve_due of its own
    warn_before_arrive_minutes: int = 5
    warn_before_complete_minutes: int = 240
    manager_after_minutes: int = 60  # breach → supervisor; still open this long after → manager
    max_open_per_technician: int = 5

    @classmethod
    def from_dict(cls, values: dict | None) -> Settings:
        known = {k: v for k, v in (values or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class TicketFacts:
    kind: str
    category: str
    location: dict = field(default_factory=dict)
    appointment: dict | None = None
    resolve_due: datetime | None = None
    opened_at: datetime | None = None
    urgent: bool = False


def is_in_unit(location: dict | None) -> bool:
    return bool((location or {}).get("unit"))


def deadlines(
    ticket: TicketFacts, assigned_at: datetime, settings: Settings, *, tz: str, cal: str
) -> tuple[datetime | None, datetime | None]:
    """(arrive_by, complete_by) for a new order.

    - public-area repair (公共区域): on site within `public_arrive_minutes` of assignment;
    - in-unit repair (户内): on site at the appointment (`appointment_early_minutes` early);
      without an appointment there is no arrival deadline until one is agreed;
    - complaint: remedied by the complaint's own resolution deadline, else within
      `complaint_resolve_workdays` working days (end of that day, estate's calendar).
    """
    arrive_by = complete_by = None
    if ticket.kind == "repair":
        if is_in_unit(ticket.location):
            start = appointment_start(ticket.appointment)
            if start is not None:
                arrive_by = start - timedelta(minutes=settings.appointment_early_minutes)
        else:
            arrive_by = assigned_at + timedelta(minutes=settings.public_arrive_minutes)
    elif ticket.kind == "complaint":
        complete_by = ticket.resolve_due or complaint_deadline(
            ticket.opened_at or assigned_at, settings.complaint_resolve_workdays, tz=tz, cal=cal
        )
    return arrive_by, complete_by


def complaint_deadline(opened_at: datetime, workdays: int, *, tz: str, cal: str) -> datetime:
    """End of the `workdays`-th working day after the complaint was taken (weekends/holidays skipped)."""
    day = calendar(cal).add_workdays(local_date(opened_at, tz), workdays)
    return end_of_day(day, tz)


def appointment_start(appointment: dict | None) -> datetime | None:
    if not appointment or not appointment.get("start"):
        return None
    value = appointment["start"]
    if isinstance(value, datetime):
        return value
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def shift_for_pause(due: datetime | None, paused_at: datetime, resumed_at: datetime) -> datetime | None:
    """Waiting on the resident or on parts stops the clock: the deadline moves by the pause."""
    if due is None or paused_at >= due:
        return due
    return due + (resumed_at - paused_at)


@dataclass(frozen=True)
class Clock:
    """What the deadline timer needs to know about one open order."""

    status: str
    arrive_by: datetime | None
    complete_by: datetime | None
    arrived_at: datetime | None
    paused: bool
    notified: frozenset[str]  # e.g. {"arrive_by:warning", "arrive_by:supervisor"}


def due_alerts(clock: Clock, now: datetime, settings: Settings) -> list[tuple[str, str, datetime]]:
    """The alerts due now that were not sent yet: (deadline, level, due_at).

    level: "warning" shortly before the breach, "supervisor" at the breach, "manager" when it is
    still open `manager_after_minutes` later. A paused order raises nothing.
    """
    if clock.paused or clock.status not in OPEN_STATUSES:
        return []
    alerts = []
    checks = []
    if clock.arrive_by is not None and clock.arrived_at is None and clock.status != "on_site":
        checks.append(("arrive_by", clock.arrive_by, settings.warn_before_arrive_minutes))
    if clock.complete_by is not None:
        checks.append(("complete_by", clock.complete_by, settings.warn_before_complete_minutes))
    for deadline, due, warn_minutes in checks:
        levels = [
            ("warning", due - timedelta(minutes=warn_minutes)),
            ("supervisor", due),
            ("manager", due + timedelta(minutes=settings.manager_after_minutes)),
        ]
        reached = [level for level, at in levels if now >= at and f"{deadline}:{level}" not in clock.notified]
        # A breach makes its warning moot: send only the most serious level not yet sent.
        if reached:
            alerts.append((deadline, reached[-1], due))
    return alerts


def on_time(done_at: datetime | None, due: datetime | None) -> bool | None:
    if due is None or done_at is None:
        return None
    return done_at <= due


# --- assignment inside a team ----------------------------------------------------------------------
def next_technician(
    members: Sequence[str], last: str | None, open_counts: dict[str, int], cap: int
) -> str | None:
    """Round-robin (轮派) after `last`, skipping technicians at their cap of open orders.

    None when everybody is at the cap: the order waits in the team's pool.
    """
    if not members:
        return None
    start = (members.index(last) + 1) if last in members else 0
    for i in range(len(members)):
        candidate = members[(start + i) % len(members)]
        if open_counts.get(candidate, 0) < cap:
            return candidate
    return None


# --- what contractors see ----------------------------------------------------------------------------
# --- paid repairs (有偿维修) -----------------------------------------------------------------------
class UnknownFeeItem(ValueError):
    pass


def quote(schedule: dict[str, dict], items: Sequence[dict]) -> tuple[str, list[dict]]:
    """Price the items from the estate's fee schedule; amounts as decimal strings (fen-exact)."""
    from decimal import Decimal

    total = Decimal("0")
    lines = []
    for item in items:
        entry = schedule.get(item["code"])
        if entry is None:
            raise UnknownFeeItem(item["code"])
        amount = Decimal(str(entry["amount"])) * int(item.get("quantity", 1))
        total += amount
        lines.append(
            {
                "code": item["code"],
                "name": entry.get("name", ""),
                "quantity": item.get("quantity", 1),
                "amount": f"{amount:.2f}",
            }
        )
    return f"{total:.2f}", lines


# --- webhook delivery -------------------------------------------------------------------------------
WEBHOOK_RETRY_FOR = timedelta(days=3)


def next_webhook_attempt(
    first_attempt_at: datetime, attempts: int, now: datetime, rng: random.Random | None = None
) -> datetime | None:
    """Exponential backoff with jitter: 30 s · 2ⁿ⁻¹ (capped at 6 h), of which a random half is waited
    on top of the other half, so failing endpoints are not retried in lock-step. None once 3 days
    have passed since the first attempt: the delivery has failed."""
    rng = rng or random.Random()
    base = min(30 * 2 ** max(attempts - 1, 0), 6 * 3600)
    delay = timedelta(seconds=base / 2 + rng.uniform(0, base / 2))
    at = now + delay
    if at - first_attempt_at > WEBHOOK_RETRY_FOR:
        return None
    return at
