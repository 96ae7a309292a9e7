"""Callback (回访) decisions: sampling, mandatory callbacks, attempts and outcomes, the routine plan.

Plain Python, no Flask, SQLAlchemy or broker: the adapters load state, call these functions and
save what they return.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

OPEN = ("waiting", "scheduled")
FINAL = ("completed", "failed", "cancelled")


class CallbackStateError(Exception):
    """An action the callback's state does not allow (→ 409)."""


# --- sampling ------------------------------------------------------------------------------------
def mandatory_reason(slip_mandatory: bool, resident_signed: bool | None, resident_rating: str | None):
    """Why a repair must be called back regardless of sampling (004): a bad, missing or unsigned slip."""
    if not slip_mandatory:
        return None
    if resident_rating == "unsatisfied":
        return "unsatisfied_slip"
    if resident_rating is None:
        return "unrated_slip"
    if resident_signed is False:
        return "unsigned_slip"
    return None


def should_sample(eligible_before: int, scheduled_before: int, target_percent: int) -> bool:
    """Schedule this one iff skipping it would drop the month's running rate below the target.

    Counting this item, there are n = eligible_before + 1 eligible; the rate stays ≥ target without
    it iff scheduled_before * 100 ≥ target * n. Integer arithmetic, so nothing drifts.
    """
    n = eligible_before + 1
    return scheduled_before * 100 < target_percent * n


@dataclass
class SamplingDecision:
    schedule: bool
    mandatory: bool
    reason: str


def decide(
    *,
    eligible_before: int,
    scheduled_before: int,
    target_percent: int,
    mandatory: str | None,
) -> SamplingDecision:
    """Mandatory callbacks first, then enough of the rest to keep the running rate at the target."""
    if mandatory:
        return SamplingDecision(True, True, mandatory)
    if should_sample(eligible_before, scheduled_before, target_percent):
        return SamplingDecision(True, False, "sampled")
    return SamplingDecision(False, False, "not_sampled")


def top_up_needed(eligible: int, counted: int, target_percent: int) -> int:
    """How many more callbacks the month needs so that counted / eligible ≥ target."""
    return max(0, math.ceil(eligible * target_percent / 100) - counted)


# --- attempts and outcomes -----------------------------------------------------------------------
@dataclass
class AttemptResult:
    status: str  # the callback's new status
    attempt: dict
    failed: bool = False
    completed: bool = False
    next_attempt_at: datetime | None = None
    outcome: dict | None = None


@dataclass
class CallbackView:
    """What the attempt rules need to know about a callback."""

    status: str
    due_from: datetime | None
    due_by: datetime | None
    attempts: list[dict] = field(default_factory=list)


def record_attempt(
    callback: CallbackView,
    body: dict,
    now: datetime,
    *,
    max_attempts: int,
    spacing_hours: list[int],
    by: str | None = None,
) -> AttemptResult:
    """Apply one attempt: reached → completed with its outcome; not reached → retry later, then fail."""
    if callback.status not in OPEN:
        raise CallbackStateError(f"This callback is {callback.status}; its record cannot change.")
    early = callback.due_from is None or now < callback.due_from
    attempt = {
        "number": len(callback.attempts) + 1,
        "at": now.isoformat(),
        "method": body["method"],
        "reached": body["reached"],
        "early": early,
        "by": by,
    }
    if not body["reached"]:
        unreached = sum(1 for a in callback.attempts if not a["reached"]) + 1
        if unreached >= max_attempts:
            return AttemptResult("failed", attempt, failed=True)
        gap = spacing_hours[min(unreached - 1, len(spacing_hours) - 1)] if spacing_hours else 24
        return AttemptResult(callback.status, attempt, next_attempt_at=now + timedelta(hours=gap))
    on_time = None if callback.due_by is None else (not early and now <= callback.due_by)
    outcome = {
        "satisfaction": body["satisfaction"],
        "ratings": dict(body["ratings"]),
        "comments": body.get("comments"),
        "suggestions": body.get("suggestions"),
        "resident_confirmed": body.get("resident_confirmed", False),
        "unresolved_reason": body.get("unresolved_reason"),
        "next_callback_on": body["next_callback_on"].isoformat() if body.get("next_callback_on") else None,
        "new_issue": body.get("new_issue"),
        "method": body["method"],
        "completed_at": now.isoformat(),
        "early": early,
        "on_time": on_time,
    }
    return AttemptResult("completed", attempt, completed=True, outcome=outcome)


# --- routine visits (例行回访) --------------------------------------------------------------------
def assign_routine_month(load: dict[int, int], preferred: int) -> int:
    """The plan month (1–12) for a newly occupied unit: the least loaded, nearest after `preferred`.

    Assigning every unit to the month with the fewest units keeps the monthly plans even (they
    differ by at most one unit), and a unit is in exactly one month, so once a year.
    """
    order = [(preferred - 1 + i) % 12 + 1 for i in range(12)]
    return min(order, key=lambda m: (load.get(m, 0), order.index(m)))


def routine_plan(
    units: dict[str, int],
    month: int,
    recently_visited: Iterable[str] = (),
) -> list[str]:
    """This month's routine visits: the planned units, minus those visited lately for another reason."""
    skip = set(recently_visited)
    return sorted(u for u, m in units.items() if m == month and u not in skip)
