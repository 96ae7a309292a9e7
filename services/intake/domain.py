"""Intake's rules in plain Python: deadlines (时限), severity ageing, status from the other services' events.

Nothing here touches Flask, SQLAlchemy or the broker, so every rule is tested in microseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from shared.workdays import WorkCalendar, end_of_day, local_date

ORAL_CHANNELS = ("phone", "visit")
WRITTEN_CHANNELS = ("letter",)
OPEN_STATUSES = ("open", "dispatched", "in_progress", "reopened")
STATUSES = ("open", "dispatched", "in_progress", "resolved", "reopened", "closed")
DESK_OUTCOMES = ("answered", "unfounded", "out_of_scope")
ANSWERABLE_KINDS = ("inquiry", "suggestion", "help", "special_service")

# Per-estate deadline settings (Estate.settings["deadlines"]); DOMAIN.md §1 values are the presets.
DEFAULT_SETTINGS: dict[str, int | bool] = {
    "first_reply_workdays": 1,  # every complaint: first reply within one working day
    "oral_same_day": True,  # oral complaints: first reply the same day
    "written_answer_workdays": 1,  # written complaints: a written answer the next working day
    "resolve_workdays": 3,  # complaints resolved within three (working) days, else a progress notice
    "urgent_first_reply_hours": 2,  # urgent (safety: water, electricity, lift)
    "urgent_resolve_hours": 48,  # the "24 h reply / 48 h solution" variant
    "duplicate_window_hours": 72,  # same unit + category while the first is open
    "major_after_days": 30,  # a valid complaint unresolved for a month becomes major
}


def deadline_settings(stored: dict | None) -> dict:
    merged = dict(DEFAULT_SETTINGS)
    merged.update({k: v for k, v in (stored or {}).items() if k in DEFAULT_SETTINGS})
    return merged


@dataclass(frozen=True)
class Deadlines:
    """The targets a ticket gets at intake (受理时限)."""

    first_reply_due: datetime | None = None
    written_answer_due: datetime | None = None
    resolve_due: datetime | None = None

    def as_dict(self) -> dict:
        return {
            "first_reply_due": self.first_reply_due,
            "written_answer_due": self.written_answer_due,
            "resolve_due": self.resolve_due,
        }


def _within_workdays(day: date, count: int, cal: WorkCalendar, tz: str) -> datetime:
    """The end of the `count`-th working day after `day` (0: the end of `day`, or of the next workday)."""
    target = cal.add_workdays(day, count) if count else cal.on_or_after(day)
    return end_of_day(target, tz)


def is_written(channel: str, written: bool) -> bool:
    return written or channel in WRITTEN_CHANNELS


def compute_deadlines(
    *,
    kind: str,
    channel: str,
    written: bool,
    urgent: bool,
    opened_at: datetime,
    tz: str,
    cal: WorkCalendar,
    settings: dict | None = None,
) -> Deadlines:
    """Deadlines in the estate's calendar and timezone.

    Complaints: first reply within one working day (oral: the same day; written: a same-day reply
    and a written answer the next working day); resolution within three working days. Urgent
    tickets also get the shorter urgent targets, whichever comes first. Other kinds get a first
    reply within one working day; a repair's resolution clock is dispatch's (arrival, completion).
    """
    s = deadline_settings(settings)
    day = local_date(opened_at, tz)
    written = is_written(channel, written)
    first = _within_workdays(day, int(s["first_reply_workdays"]), cal, tz)
    written_due = resolve = None
    if kind == "complaint":
        if written or (channel in ORAL_CHANNELS and s["oral_same_day"]):
            first = end_of_day(day, tz)  # the same day, whether or not it is a working day
        if written:
            written_due = _within_workdays(day, int(s["written_answer_workdays"]), cal, tz)
        resolve = _within_workdays(day, int(s["resolve_workdays"]), cal, tz)
    elif kind == "repair":
        first = None
    if urgent:
        quick = opened_at + timedelta(hours=int(s["urgent_first_reply_hours"]))
        first = min(first, quick) if first else quick
        quick = opened_at + timedelta(hours=int(s["urgent_resolve_hours"]))
        resolve = min(resolve, quick) if resolve else quick
        if written_due:
            written_due = min(written_due, resolve)  # the written answer never lags the resolution
    return Deadlines(first_reply_due=first, written_answer_due=written_due, resolve_due=resolve)


def breached(due: datetime | None, met_at: datetime | None, now: datetime) -> bool | None:
    """None when there is no deadline; else whether it was (or is being) missed."""
    if due is None:
        return None
    if met_at is not None:
        return met_at > due
    return now > due


# --- severity ageing -------------------------------------------------------------------------------
def ages_into_major(
    *,
    kind: str,
    severity: str | None,
    status: str,
    desk_outcome: str | None,
    opened_at: datetime,
    now: datetime,
    settings: dict | None = None,
) -> bool:
    """A valid complaint (not found unfounded/out of scope) unresolved after a month becomes major (重大)."""
    if kind != "complaint" or severity == "major" or status not in OPEN_STATUSES:
        return False
    if desk_outcome in ("unfounded", "out_of_scope"):
        return False
    return now - opened_at >= timedelta(days=int(deadline_settings(settings)["major_after_days"]))


# --- status from the other services' events --------------------------------------------------------
WORK_ORDER_RANK = {"assigned": 0, "accepted": 1, "on_site": 2, "completed": 3}


@dataclass
class TicketProgress:
    """What intake knows of a ticket's work orders and callbacks; the status is derived from it.

    Each work order only moves forward (a late `accepted` after `completed` changes nothing); each
    callback counts once; `closed` is final. So events may arrive in any order, or twice.
    """

    status: str = "open"
    reopen_count: int = 0
    work_orders: dict[str, dict] = field(default_factory=dict)  # id → {state, cycle, rework}
    callbacks: dict[str, str] = field(default_factory=dict)  # id → satisfied|…|skipped|failed

    @classmethod
    def from_dict(cls, status: str, reopen_count: int, data: dict | None) -> TicketProgress:
        data = data or {}
        return cls(
            status=status,
            reopen_count=reopen_count,
            work_orders={k: dict(v) for k, v in data.get("work_orders", {}).items()},
            callbacks=dict(data.get("callbacks", {})),
        )

    def to_dict(self) -> dict:
        return {"work_orders": self.work_orders, "callbacks": self.callbacks}

    def _derive(self) -> str:
        if self.status == "closed":
            return "closed"
        current = [w for w in self.work_orders.values() if w["cycle"] == self.reopen_count]
        if not current:
            if self.reopen_count:
                return "reopened"
            return "resolved" if self.status == "resolved" else "open"
        states = [WORK_ORDER_RANK[w["state"]] for w in current]
        if all(s == WORK_ORDER_RANK["completed"] for s in states):
            return "resolved"
        if any(s >= WORK_ORDER_RANK["accepted"] for s in states):
            return "in_progress"
        return "dispatched"

    def work_order_step(self, work_order_id: str, state: str, *, rework: bool = False) -> str | None:
        """Apply assigned/accepted/on_site/completed; return the new status if it changed."""
        before = self.status
        known = self.work_orders.get(work_order_id)
        if known is None:
            self.work_orders[work_order_id] = {"state": state, "cycle": self.reopen_count, "rework": rework}
        elif WORK_ORDER_RANK[state] > WORK_ORDER_RANK[known["state"]]:
            known["state"] = state
        else:
            return None
        self.status = self._derive()
        return self.status if self.status != before else None

    def work_order_reassigned(self, work_order_id: str) -> str | None:
        """Another team takes the order: it waits for acceptance again, unless it was already done."""
        before = self.status
        known = self.work_orders.get(work_order_id)
        if known is None:
            self.work_orders[work_order_id] = {
                "state": "assigned",
                "cycle": self.reopen_count,
                "rework": False,
            }
        elif known["state"] != "completed":
            known["state"] = "assigned"
        self.status = self._derive()
        return self.status if self.status != before else None

    def callback_outcome(self, callback_id: str, outcome: str) -> str | None:
        """satisfied/fairly_satisfied/skipped → "closed"; unsatisfied → "reopened"; failed → None.

        Returns what happened to the ticket ("closed", "reopened") or None.
        """
        if callback_id in self.callbacks or self.status == "closed":
            self.callbacks.setdefault(callback_id, outcome)
            return None
        self.callbacks[callback_id] = outcome
        if outcome in ("satisfied", "fairly_satisfied", "skipped"):
            self.status = "closed"
            return "closed"
        if outcome == "unsatisfied":
            self.reopen_count += 1
            self.status = "reopened"
            return "reopened"
        return None


def resolution_allowed(kind: str, outcome: str, status: str, has_work_orders: bool) -> str | None:
    """Why a desk resolution is refused, or None when it is allowed."""
    if status not in ("open", "reopened") or has_work_orders:
        return f"A ticket that is {status} with work under way cannot be resolved at the desk."
    if outcome == "answered" and kind not in ANSWERABLE_KINDS:
        return "Only inquiries, suggestions, help and special-service requests are answered at the desk."
    if outcome in ("unfounded", "out_of_scope") and kind != "complaint":
        return "Only complaints are found unfounded or out of scope."
    return None
