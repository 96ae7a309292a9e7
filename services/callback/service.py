"""Callback's use cases: load state through the caller's session, apply the domain, save, emit.

Used by the HTTP views, the event handlers and the timers alike. Nothing here commits: the
request, the consumed message or the timer tick owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from services.callback import domain
from services.callback.models import (
    Callback,
    Correction,
    Decision,
    Estate,
    Policy,
    TicketFacts,
    Unit,
    WeatherEvent,
    platform,
)
from services.callback.policy import (
    DEFAULT_RETRIES,
    Work,
    callback_window,
    month_of,
    month_window,
    schedule_for,
    select_rule,
)
from services.callback.policy import compose as compose_rules
from shared import bus
from shared.workdays import calendar, end_of_day, local_date, start_of_day

FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)
# Skips that were never a sampling choice: they do not count as eligible work for the rate.
UNCALLABLE = ("no_rule", "anonymous", "out_of_scope")
RECENT_VISIT_DAYS = 90


@dataclass
class PolicyDoc:
    version: int
    preset: str
    overrides: list
    rules: list
    retries: dict
    created_at: datetime | None = None


def current_policy(session: Session, estate_id: str) -> PolicyDoc:
    """The estate's latest policy; version 1 is the default preset until someone changes it."""
    row = session.scalar(
        select(Policy).where(Policy.estate_id == estate_id).order_by(Policy.version.desc()).limit(1)
    )
    return _doc(row) if row is not None else _default_doc()


def policy_version(session: Session, estate_id: str, version: int) -> PolicyDoc | None:
    """One earlier version, as the callbacks scheduled under it saw it; None if there is no such version."""
    row = session.scalar(select(Policy).where(Policy.estate_id == estate_id, Policy.version == version))
    if row is not None:
        return _doc(row)
    return _default_doc() if version == 1 else None


def _doc(row: Policy) -> PolicyDoc:
    return PolicyDoc(row.version, row.preset, row.overrides, row.rules, row.retries, row.created_at)


def _default_doc() -> PolicyDoc:
    return PolicyDoc(1, "default", [], compose_rules("default", []), dict(DEFAULT_RETRIES))


def save_policy(
    session: Session, estate_id: str, *, preset: str, overrides: list, retries: dict, by: str | None
) -> PolicyDoc:
    current = current_policy(session, estate_id)
    row = Policy(
        estate_id=estate_id,
        version=current.version + 1,
        preset=preset,
        overrides=overrides,
        rules=compose_rules(preset, overrides),
        retries=retries,
        created_by=by,
    )
    session.add(row)
    session.flush()
    return PolicyDoc(row.version, row.preset, row.overrides, row.rules, row.retries, row.created_at)


def _emit(session: Session, estate: Estate, type_: str, data: dict, correlation_id: str | None) -> None:
    bus.emit_for(session, platform, estate, type_, data, producer="callback", correlation_id=correlation_id)


def _ref(cb: Callback) -> dict:
    return {
        "callback_id": cb.id,
        "ticket_id": cb.ticket_id,
        "work_order_id": cb.work_order_id,
        "rule": cb.rule,
        "rule_version": cb.rule_version,
        "kind": cb.kind,
        "category": cb.category,
        "target_percent": cb.rule_snapshot.get("target_percent"),
        "unit": cb.unit,
        "resident_id": cb.resident_id,
    }


# --- the work queue ------------------------------------------------------------------------------
def queue_statement(
    assignees: set[str],
    now: datetime,
    *,
    status: str,
    rule: str | None = None,
    assignee_role: str | None = None,
    ticket_id: str | None = None,
    due_before: datetime | None = None,
) -> Select:
    """The callbacks a caller's queue shows: by status (or open / due / overdue / upcoming) and filters."""
    stmt = select(Callback).where(Callback.assignee_role.in_(sorted(assignees)))
    if status == "open":
        stmt = stmt.where(Callback.status.in_(domain.OPEN))
    elif status == "due":
        # due now, and not waiting for the next try at an unreachable resident
        stmt = stmt.where(
            Callback.status == "scheduled",
            Callback.due_from <= now,
            Callback.due_by >= now,
            or_(Callback.next_attempt_at.is_(None), Callback.next_attempt_at <= now),
        )
    elif status == "overdue":
        stmt = stmt.where(Callback.status == "scheduled", Callback.due_by < now)
    elif status == "upcoming":
        stmt = stmt.where(
            or_(Callback.status == "waiting", and_(Callback.status == "scheduled", Callback.due_from > now))
        )
    else:
        stmt = stmt.where(Callback.status == status)
    if rule:
        stmt = stmt.where(Callback.rule == rule)
    if assignee_role:
        stmt = stmt.where(Callback.assignee_role == assignee_role)
    if ticket_id:
        stmt = stmt.where(Callback.ticket_id == ticket_id)
    if due_before:
        stmt = stmt.where(Callback.deadline < due_before)
    return stmt


# --- scheduling ---------------------------------------------------------------------------------
@dataclass
class Subject:
    """A piece of work that may earn a callback, and how to reach the resident about it."""

    key: str  # one decision per key: wo:<id>, desk:<ticket>:<at>, resident:<id>, routine:<unit>:<month>…
    work: Work
    done_at: datetime  # completion, desk resolution, moving in, milestone
    ticket_id: str | None = None
    work_order_id: str | None = None
    unit: str | None = None
    resident_id: str | None = None
    mandatory: str | None = None
    slip_satisfied: bool = False
    anonymous: bool = False
    rule_id: str | None = None  # force a rule instead of matching (follow-ups)

    def to_json(self) -> dict:
        return {
            "ticket_id": self.ticket_id,
            "work_order_id": self.work_order_id,
            "unit": self.unit,
            "resident_id": self.resident_id,
            "kind": self.work.kind,
            "category": self.work.category,
            "done_at": self.done_at.isoformat(),
        }


def decide(
    session: Session,
    estate: Estate,
    subject: Subject,
    correlation_id: str | None,
    *,
    skip_reason: str | None = None,
) -> Decision:
    """Schedule a callback for `subject` or skip it — exactly once per key, however often it is asked."""
    existing = session.scalar(select(Decision).where(Decision.key == subject.key))
    if existing is not None:
        return existing
    policy = current_policy(session, estate.estate_id)
    rule = select_rule(policy.rules, subject.work)
    month = month_of(subject.done_at, estate.timezone)
    if rule is None or subject.anonymous or skip_reason:
        reason = skip_reason or ("no_rule" if rule is None else "anonymous")
        return _skip(session, estate, subject, rule, policy.version, month, reason, correlation_id)
    counts = session.execute(
        select(func.count(Decision.id), func.count(Decision.id).filter(Decision.scheduled.is_(True))).where(
            Decision.rule == rule["id"], Decision.month == month, Decision.reason.not_in(UNCALLABLE)
        )
    ).one()
    # Two workers deciding for the same rule at once may both read the same counts and under-sample
    # by one; the month-end top-up repairs that. Duplicates of one key are stopped by its unique index.
    verdict = domain.decide(
        eligible_before=counts[0],
        scheduled_before=counts[1],
        target_percent=rule["target_percent"],
        mandatory=subject.mandatory,
    )
    if not verdict.schedule:
        return _skip(session, estate, subject, rule, policy.version, month, verdict.reason, correlation_id)
    cb = create_callback(
        session,
        estate,
        subject,
        rule,
        policy.version,
        start=subject.done_at,
        reason=verdict.reason,
        mandatory=verdict.mandatory,
        correlation_id=correlation_id,
    )
    decision = Decision(
        estate_id=estate.estate_id,
        key=subject.key,
        rule=rule["id"],
        rule_version=policy.version,
        month=month,
        scheduled=True,
        mandatory=verdict.mandatory,
        reason=verdict.reason,
        slip_satisfied=subject.slip_satisfied,
        callback_id=cb.id,
        subject=subject.to_json(),
    )
    session.add(decision)
    return decision


def _skip(session, estate, subject, rule, version, month, reason, correlation_id) -> Decision:
    decision = Decision(
        estate_id=estate.estate_id,
        key=subject.key,
        rule=rule["id"] if rule else "none",
        rule_version=version,
        month=month,
        scheduled=False,
        reason=reason,
        slip_satisfied=subject.slip_satisfied,
        subject=subject.to_json(),
    )
    session.add(decision)
    _emit(
        session,
        estate,
        "callback.skipped",
        {
            "callback_id": f"skipped:{subject.key}",
            "ticket_id": subject.ticket_id,
            "work_order_id": subject.work_order_id,
            "rule": decision.rule,
            "rule_version": version,
            "kind": subject.work.kind or None,
            "category": subject.work.category or None,
            "target_percent": rule["target_percent"] if rule else None,
            "unit": subject.unit,
            "resident_id": subject.resident_id,
            "reason": reason,
        },
        correlation_id,
    )
    return decision


def create_callback(
    session: Session,
    estate: Estate,
    subject: Subject,
    rule: dict,
    version: int,
    *,
    start: datetime,
    reason: str,
    mandatory: bool,
    correlation_id: str | None,
    key: str | None = None,
    follows: str | None = None,
    window: tuple[datetime, datetime] | None = None,
) -> Callback:
    """Create the callback with its window (or waiting for its trigger) and announce it."""
    tz = estate.timezone
    if window is not None:
        status, trigger, (due_from, due_by) = "scheduled", None, window
    else:
        plan = schedule_for(rule["window"], start, tz, calendar(estate.calendar))
        status, trigger, due_from, due_by = plan.status, plan.trigger, plan.due_from, plan.due_by
    cb = Callback(
        estate_id=estate.estate_id,
        key=key or subject.key,
        ticket_id=subject.ticket_id,
        work_order_id=subject.work_order_id,
        resident_id=subject.resident_id,
        unit=subject.unit,
        kind=subject.work.kind or None,
        category=subject.work.category or None,
        rule=rule["id"],
        rule_version=version,
        rule_snapshot=rule,
        month=month_of(subject.done_at, tz),
        assignee_role=rule["assignee_role"],
        method=rule["method"],
        status=status,
        reason=reason,
        mandatory=mandatory,
        trigger=trigger,
        work_done_at=subject.done_at,
        due_from=due_from,
        due_by=due_by,
        deadline=due_by or FAR_FUTURE,
        attempts=[],
        follows=follows,
        correlation_id=correlation_id,
    )
    if subject.resident_id is None and subject.ticket_id:
        _fill_contact(session, cb)
    session.add(cb)
    session.flush()
    _announce(session, estate, cb)
    return cb


def _announce(session: Session, estate: Estate, cb: Callback) -> None:
    _emit(
        session,
        estate,
        "callback.scheduled",
        {
            **_ref(cb),
            "due_from": cb.due_from,
            "due_by": cb.due_by,
            "assignee_role": cb.assignee_role,
            "method": cb.method,
            "mandatory": cb.mandatory,
            "reason": cb.reason,
        },
        cb.correlation_id,
    )


def _fill_contact(session: Session, cb: Callback) -> None:
    facts = session.get(TicketFacts, (cb.estate_id, cb.ticket_id))
    if facts is not None and facts.reporter:
        cb.resident_id = facts.reporter.get("resident_id")
        cb.unit = cb.unit or facts.unit


# --- triggers, overdue, top-up, routine --------------------------------------------------------------
def release_waiting(session: Session, estate: Estate, trigger: str, occurred_at: datetime) -> list[Callback]:
    """A heavy rainstorm makes the leak callbacks for work done before it due, on site."""
    waiting = session.scalars(
        select(Callback).where(
            Callback.status == "waiting",
            Callback.trigger == trigger,
            Callback.work_done_at <= occurred_at,
        )
    ).all()
    cal = calendar(estate.calendar)
    for cb in waiting:
        window = cb.rule_snapshot["window"]
        cb.due_from, cb.due_by = callback_window(window, occurred_at, estate.timezone, cal)
        cb.deadline = cb.due_by
        cb.status = "scheduled"
        # The same callback announced again, now with its window (it was announced with none).
        _announce(session, estate, cb)
    return list(waiting)


def record_weather(
    session: Session, estate: Estate, kind: str, occurred_at: datetime
) -> tuple[WeatherEvent, list[Callback]]:
    released = release_waiting(session, estate, kind, occurred_at)
    row = WeatherEvent(estate_id=estate.estate_id, kind=kind, occurred_at=occurred_at, released=len(released))
    session.add(row)
    session.flush()
    return row, released


def mark_overdue(session: Session, estate: Estate, now: datetime) -> list[Callback]:
    """`callback.overdue`, once, for each open callback whose window has closed."""
    late = session.scalars(
        select(Callback).where(
            Callback.status == "scheduled", Callback.due_by < now, Callback.overdue_at.is_(None)
        )
    ).all()
    for cb in late:
        cb.overdue_at = now
        _emit(session, estate, "callback.overdue", {**_ref(cb), "due_by": cb.due_by}, cb.correlation_id)
    return list(late)


def top_up(session: Session, estate: Estate, month: str, now: datetime) -> list[Callback]:
    """At month end, schedule skipped work (satisfied slips first) for any rule still short of its target."""
    policy = current_policy(session, estate.estate_id)
    added: list[Callback] = []
    rule_ids = session.scalars(select(Decision.rule).where(Decision.month == month).distinct()).all()
    for rule_id in rule_ids:
        rule = next((r for r in policy.rules if r["id"] == rule_id), None)
        if rule is None:
            continue
        eligible = session.scalar(
            select(func.count(Decision.id)).where(
                Decision.rule == rule_id, Decision.month == month, Decision.reason.not_in(UNCALLABLE)
            )
        )
        counted = session.scalar(
            select(func.count(Callback.id)).where(
                Callback.rule == rule_id,
                Callback.month == month,
                Callback.status.not_in(("failed", "cancelled")),
                Callback.follows.is_(None),
            )
        )
        need = domain.top_up_needed(eligible, counted, rule["target_percent"])
        if not need:
            continue
        candidates = session.scalars(
            select(Decision)
            .where(Decision.rule == rule_id, Decision.month == month, Decision.reason == "not_sampled")
            .order_by(Decision.slip_satisfied.desc(), Decision.created_at, Decision.id)
            .limit(need)
        ).all()
        for decision in candidates:
            s = decision.subject
            subject = Subject(
                key=decision.key,
                work=Work(kind=s.get("kind") or "", category=s.get("category") or ""),
                done_at=datetime.fromisoformat(s["done_at"]),
                ticket_id=s.get("ticket_id"),
                work_order_id=s.get("work_order_id"),
                unit=s.get("unit"),
                resident_id=s.get("resident_id"),
            )
            cb = create_callback(
                session, estate, subject, rule, policy.version, start=now, reason="top_up",
                mandatory=False, correlation_id=None,
            )  # fmt: skip
            decision.scheduled, decision.reason, decision.callback_id = True, "top_up", cb.id
            added.append(cb)
    return added


def is_month_end(now: datetime, tz: str, days: int = 3) -> bool:
    today = local_date(now, tz)
    return (today + timedelta(days=days)).month != today.month


def plan_routine(session: Session, estate: Estate, now: datetime) -> list[Callback]:
    """This month's routine visits: the units planned for it, minus those visited recently."""
    month = month_of(now, estate.timezone)
    units = {u.code: u.routine_month for u in session.scalars(select(Unit)).all()}
    recent = session.scalars(
        select(Callback.unit).where(
            Callback.status == "completed",
            Callback.unit.is_not(None),
            Callback.completed_at >= now - timedelta(days=RECENT_VISIT_DAYS),
            Callback.completed_at <= now,
        )
    ).all()
    planned = domain.routine_plan(units, int(month[5:]), recent)
    start = month_window(month, estate.timezone)[0]
    made = []
    for unit in planned:
        subject = Subject(
            key=f"routine:{unit}:{month}",
            work=Work(kind="", category="", subject="routine"),
            done_at=start,
            unit=unit,
            mandatory="routine_plan",
        )
        if session.scalar(select(Decision.id).where(Decision.key == subject.key)) is None:
            decision = decide(session, estate, subject, None)
            if decision.callback_id:
                made.append(decision.callback_id)
    return made


# --- attempts ------------------------------------------------------------------------------------
def record_attempt(session: Session, estate: Estate, cb: Callback, body: dict, now: datetime, by: str | None):
    policy_retries = current_policy(session, estate.estate_id).retries or DEFAULT_RETRIES
    result = domain.record_attempt(
        domain.CallbackView(cb.status, cb.due_from, cb.due_by, list(cb.attempts)),
        body,
        now,
        max_attempts=policy_retries.get("max_attempts", 3),
        spacing_hours=policy_retries.get("spacing_hours", [24]),
        by=by,
    )
    cb.attempts = [*cb.attempts, result.attempt]
    cb.status = result.status
    cb.next_attempt_at = result.next_attempt_at
    if result.failed:
        _emit(
            session,
            estate,
            "callback.failed",
            {**_ref(cb), "attempts": len(cb.attempts), "failed_at": now},
            cb.correlation_id,
        )
    if result.completed:
        cb.outcome = result.outcome
        cb.completed_at = now
        out = result.outcome
        _emit(
            session,
            estate,
            "callback.completed",
            {
                **_ref(cb),
                "method": out["method"],
                "satisfaction": out["satisfaction"],
                "ratings": out["ratings"],
                "completed_at": now,
                "on_time": out["on_time"],
                "early": out["early"],
                "resident_confirmed": out["resident_confirmed"],
                "unit": cb.unit,
                "next_callback_on": out["next_callback_on"],
                "comments": out["comments"],
                "suggestions": out["suggestions"],
                "new_issue": out["new_issue"],
            },
            cb.correlation_id,
        )
        if body.get("next_callback_on"):
            schedule_follow_up(session, estate, cb, body["next_callback_on"])
    return result


def schedule_follow_up(session: Session, estate: Estate, cb: Callback, on: date) -> Callback:
    """Cannot be solved now: the next callback, on the date agreed with the resident, under the same rule."""
    tz = estate.timezone
    subject = Subject(
        key=f"next:{cb.id}",
        work=Work(kind=cb.kind or "", category=cb.category or ""),
        done_at=cb.work_done_at or start_of_day(on, tz),
        ticket_id=cb.ticket_id,
        work_order_id=cb.work_order_id,
        unit=cb.unit,
        resident_id=cb.resident_id,
    )
    return create_callback(
        session,
        estate,
        subject,
        cb.rule_snapshot,
        cb.rule_version,
        start=start_of_day(on, tz),
        reason="next_callback_date",
        mandatory=True,
        correlation_id=cb.correlation_id,
        follows=cb.id,
        window=(start_of_day(on, tz), end_of_day(on, tz)),
    )


def correct(session: Session, cb: Callback, changes: dict, reason: str, by: str | None) -> Correction:
    """A completed record is never altered: a correction is a new entry that references it."""
    if cb.status != "completed":
        raise domain.CallbackStateError(
            f"Only a completed callback can be corrected; this one is {cb.status}."
        )
    row = Correction(estate_id=cb.estate_id, callback_id=cb.id, changes=changes, reason=reason, created_by=by)
    session.add(row)
    session.flush()
    return row
