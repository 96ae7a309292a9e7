"""Storing reporting's projections: events → facts (domain rules) → monthly counters.

The consumer calls `handle` for every event: it appends the event to the log, merges it into the
fact it is about, and re-derives the counters of every estate-month whose facts changed. Batch
callers (rebuild, the benchmark) use `Projector` directly and recompute once per batch.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from services.reporting import domain
from services.reporting.models import (
    AreaMonth,
    CallbackFactRow,
    Estate,
    EstateMonth,
    EventLogEntry,
    OccupiedUnit,
    RuleMonth,
    TicketFactRow,
)
from shared.estates import apply_estate_event
from shared.events import Event, load_data

TICKET_SUMMARY_COLUMNS = (
    "month",
    "kind",
    "reopen_count",
    "first_reply_on_time",
    "first_reply_at",
    "first_reply_due",
    "arrived_on_time",
    "arrive_breached",
    "resolve_breached",
    "resolved_at",
    "resolve_due",
    "resolved_on_time",
)
CALLBACK_SUMMARY_COLUMNS = (
    "month",
    "outcome_month",
    "rule",
    "status",
    "skip_reason",
    "target",
    "satisfaction",
    "quality",
    "attitude",
    "punctuality",
    "kind",
    "category",
)
PROJECTION_TABLES = (TicketFactRow, CallbackFactRow, OccupiedUnit, EstateMonth, AreaMonth, RuleMonth)


class Projector:
    """Applies events to the facts of one session; remembers which estate-months became stale."""

    def __init__(self, session: Session, *, fresh: bool = False):
        """`fresh`: the projection tables hold nothing for these estates (a rebuild just emptied
        them), so every fact lives in this projector's memory and nothing needs looking up."""
        self.session = session
        self.fresh = fresh
        self.dirty: set[tuple[str, str]] = set()
        self._units: set[tuple[str, str]] = set()
        self._callbacks_of_ticket: dict[tuple[str, str], list[CallbackFactRow]] = {}
        self._tickets: dict[tuple[str, str], TicketFactRow] = {}
        self._callbacks: dict[tuple[str, str], CallbackFactRow] = {}
        self._timezones: dict[str, str] = {}

    # -- events → facts -------------------------------------------------------------------------
    def apply(self, event: Event) -> None:
        if event.type in ("estate.registered", "estate.updated"):
            before = self._timezone(event.estate)
            apply_estate_event(self.session, Estate, event)
            self._timezones.pop(event.estate, None)
            if self._timezone(event.estate) != before:
                self._move_months(event.estate)
            return
        data = load_data(event)
        if event.type == "resident.moved_in":
            self._occupy(event.estate, data)
        elif event.type in domain.TICKET_EVENTS:
            self._ticket_event(event, data)
        elif event.type in domain.CALLBACK_EVENTS:
            self._callback_event(event, data)

    def _move_months(self, estate: str) -> None:
        """The estate's timezone changed (or its events came before it was registered): local
        months move, so every fact is placed again and both old and new months are refreshed."""
        timezone = self._timezone(estate)
        for model in (TicketFactRow, CallbackFactRow):
            for fact in self.session.scalars(select(model).where(model.estate_id == estate)):
                before = (fact.month, getattr(fact, "outcome_month", None))
                domain.place_in_months(fact, timezone)
                self._mark(estate, *before, fact.month, getattr(fact, "outcome_month", None))

    def _timezone(self, estate: str) -> str:
        if estate not in self._timezones:
            row = self.session.get(Estate, estate)
            self._timezones[estate] = row.timezone if row else domain.DEFAULT_TIMEZONE
        return self._timezones[estate]

    def _occupy(self, estate: str, data: dict) -> None:
        if (estate, data["unit"]) in self._units:
            return
        self._units.add((estate, data["unit"]))
        exists = None
        if not self.fresh:
            exists = self.session.scalar(
                select(OccupiedUnit.id).where(
                    OccupiedUnit.estate_id == estate, OccupiedUnit.unit == data["unit"]
                )
            )
        if exists is None:
            moved = data.get("moved_in_on")
            self.session.add(
                OccupiedUnit(
                    estate_id=estate, unit=data["unit"], moved_in_on=moved.isoformat() if moved else None
                )
            )

    def ticket(self, estate: str, ticket_id: str) -> TicketFactRow:
        key = (estate, ticket_id)
        row = self._tickets.get(key)
        if row is None:
            row = None if self.fresh else self._known_ticket(estate, ticket_id)
            if row is None:
                row = TicketFactRow(**domain.new_ticket(estate, ticket_id))
                self.session.add(row)
            self._tickets[key] = row
        return row

    def callback(self, estate: str, callback_id: str) -> CallbackFactRow:
        key = (estate, callback_id)
        row = self._callbacks.get(key)
        if row is None:
            if not self.fresh:
                row = self.session.scalar(
                    select(CallbackFactRow).where(
                        CallbackFactRow.estate_id == estate, CallbackFactRow.callback_id == callback_id
                    )
                )
            if row is None:
                row = CallbackFactRow(**domain.new_callback(estate, callback_id))
                self.session.add(row)
            self._callbacks[key] = row
        return row

    def _ticket_event(self, event: Event, data: dict) -> None:
        fact = self.ticket(event.estate, data["ticket_id"])
        before = fact.month
        domain.apply_to_ticket(fact, event.type, data, self._timezone(event.estate))
        self._mark(event.estate, before, fact.month)
        if event.type == "ticket.opened":
            # Callbacks that arrived before their ticket learn what the ticket was about now.
            waiting = self._callbacks_of_ticket.get((event.estate, fact.ticket_id), [])
            if not self.fresh:
                waiting = self.session.scalars(
                    select(CallbackFactRow).where(
                        CallbackFactRow.estate_id == event.estate, CallbackFactRow.ticket_id == fact.ticket_id
                    )
                ).all()
            for cb in waiting:
                if cb.kind is not None and cb.category is not None:
                    continue
                cb.kind = cb.kind or fact.kind
                cb.category = cb.category or fact.category
                self._mark(event.estate, cb.month, cb.outcome_month)

    def _callback_event(self, event: Event, data: dict) -> None:
        fact = self.callback(event.estate, data["callback_id"])
        before = (fact.month, fact.outcome_month)
        occurred_at = datetime.fromisoformat(event.occurred_at)
        domain.apply_to_callback(fact, event.type, data, occurred_at, self._timezone(event.estate))
        if fact.ticket_id:
            siblings = self._callbacks_of_ticket.setdefault((event.estate, fact.ticket_id), [])
            if fact not in siblings:
                siblings.append(fact)
        if fact.ticket_id and (fact.kind is None or fact.category is None):
            ticket = self._known_ticket(event.estate, fact.ticket_id)
            if ticket is not None:
                fact.kind = fact.kind or ticket.kind
                fact.category = fact.category or ticket.category
        self._mark(event.estate, *before, fact.month, fact.outcome_month)

    def _known_ticket(self, estate: str, ticket_id: str) -> TicketFactRow | None:
        row = self._tickets.get((estate, ticket_id))
        if row is None and not self.fresh:
            row = self.session.scalar(
                select(TicketFactRow).where(
                    TicketFactRow.estate_id == estate, TicketFactRow.ticket_id == ticket_id
                )
            )
        return row

    def _mark(self, estate: str, *months: str | None) -> None:
        self.dirty.update((estate, m) for m in months if m)

    # -- facts → counters -----------------------------------------------------------------------
    def recompute(self) -> int:
        """Re-derive the counters of every stale estate-month; return how many were refreshed."""
        self.session.flush()
        done = 0
        for estate, month in sorted(self.dirty):
            recompute_month(self.session, estate, month)
            done += 1
        self.dirty.clear()
        return done


def recompute_month(session: Session, estate: str, month: str) -> None:
    """Replace one estate-month's counters with what its facts say now.

    The counter row is locked first (FOR UPDATE), so two consumers refreshing the same month
    serialise and the second reads the facts the first committed (READ COMMITTED re-reads per
    statement) — neither overwrites the other with a stale view.
    """
    row = session.scalar(
        select(EstateMonth)
        .where(EstateMonth.estate_id == estate, EstateMonth.month == month)
        .with_for_update()
    )
    if row is None:
        row = EstateMonth(estate_id=estate, month=month, details={})
        session.add(row)
        session.flush()
    # Plain rows of the columns the counters need, not ORM objects: this runs for every event.
    tickets = session.execute(
        select(*(getattr(TicketFactRow, c) for c in TICKET_SUMMARY_COLUMNS)).where(
            TicketFactRow.estate_id == estate, TicketFactRow.month == month
        )
    ).all()
    callbacks = session.execute(
        select(*(getattr(CallbackFactRow, c) for c in CALLBACK_SUMMARY_COLUMNS)).where(
            CallbackFactRow.estate_id == estate,
            or_(CallbackFactRow.month == month, CallbackFactRow.outcome_month == month),
        )
    ).all()
    summary = domain.summarise_month(month, tickets, callbacks)
    for name, value in summary.counters.items():
        setattr(row, name, value)
    details = month_details(summary)
    previous = row.details or {}
    row.details = details
    # Most events (a reply, a new ticket) change no QR004 cell and no rule rate: skip those writes.
    if previous != details:
        write_month_details(session, estate, month, summary)


def month_details(summary: domain.MonthCounters) -> dict:
    """The QR004 cells and rule rates an estate-month's counters were derived with."""
    return {"areas": {a: c for a, c in summary.areas.items() if any(c.values())}, "rules": summary.rules}


def write_month_details(session: Session, estate: str, month: str, summary: domain.MonthCounters) -> None:
    session.execute(delete(AreaMonth).where(AreaMonth.estate_id == estate, AreaMonth.month == month))
    session.execute(delete(RuleMonth).where(RuleMonth.estate_id == estate, RuleMonth.month == month))
    for area, counts in summary.areas.items():
        if any(counts.values()):
            session.add(AreaMonth(estate_id=estate, month=month, area=area, **counts))
    for rule, figures in summary.rules.items():
        session.add(RuleMonth(estate_id=estate, month=month, rule=rule, **figures))


def record(session: Session, event: Event) -> None:
    """Append the event to reporting's log (once: the inbox already skips redeliveries)."""
    session.add(
        EventLogEntry(
            estate_id=event.estate,
            event_id=event.id,
            type=event.type,
            group_id=event.group,
            occurred_at=datetime.fromisoformat(event.occurred_at),
            envelope=json.dumps(event.to_dict(), ensure_ascii=False, sort_keys=True),
        )
    )


def handle(session: Session, event: Event) -> None:
    """The consumer's handler for every event type."""
    record(session, event)
    projector = Projector(session)
    projector.apply(event)
    projector.recompute()
