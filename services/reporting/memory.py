"""The projection held in memory: the same domain rules as the stored one, without a database.

Unit tests feed it hand-built event streams; the integration tests check that the stored
projection gives the same numbers for the same stream.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from services.reporting import domain
from shared.events import Event, load_data


@dataclass
class MemoryProjection:
    timezones: dict[str, str] = field(default_factory=dict)
    tickets: dict[tuple[str, str], domain.TicketFact] = field(default_factory=dict)
    callbacks: dict[tuple[str, str], domain.CallbackFact] = field(default_factory=dict)
    units: dict[str, set[str]] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)

    def apply(self, event: Event) -> None:
        if event.id in self.seen:  # what the inbox does for an exact redelivery
            return
        self.seen.add(event.id)
        data = load_data(event)
        tz = self.timezones.get(event.estate)
        if event.type in ("estate.registered", "estate.updated"):
            self.timezones[event.estate] = data["timezone"]
            for (estate, _), fact in [*self.tickets.items(), *self.callbacks.items()]:
                if estate == event.estate:
                    domain.place_in_months(fact, data["timezone"])
        elif event.type == "resident.moved_in":
            self.units.setdefault(event.estate, set()).add(data["unit"])
        elif event.type in domain.TICKET_EVENTS:
            key = (event.estate, data["ticket_id"])
            fact = self.tickets.setdefault(key, domain.TicketFact(**domain.new_ticket(*key)))
            domain.apply_to_ticket(fact, event.type, data, tz)
            if event.type == "ticket.opened":
                for cb in self.callbacks.values():
                    if cb.estate_id == event.estate and cb.ticket_id == fact.ticket_id:
                        cb.kind, cb.category = cb.kind or fact.kind, cb.category or fact.category
        elif event.type in domain.CALLBACK_EVENTS:
            key = (event.estate, data["callback_id"])
            fact = self.callbacks.setdefault(key, domain.CallbackFact(**domain.new_callback(*key)))
            domain.apply_to_callback(fact, event.type, data, datetime.fromisoformat(event.occurred_at), tz)
            ticket = self.tickets.get((event.estate, fact.ticket_id)) if fact.ticket_id else None
            if ticket is not None:
                fact.kind, fact.category = fact.kind or ticket.kind, fact.category or ticket.category

    def apply_all(self, events) -> MemoryProjection:
        for event in events:
            self.apply(event)
        return self

    def _tickets(self, estate: str) -> list[domain.TicketFact]:
        return [t for (e, _), t in self.tickets.items() if e == estate]

    def _callbacks(self, estate: str) -> list[domain.CallbackFact]:
        return [c for (e, _), c in self.callbacks.items() if e == estate]

    def month(self, estate: str, month: str) -> domain.MonthCounters:
        return domain.summarise_month(month, self._tickets(estate), self._callbacks(estate))

    def qr004(self, estate: str, month: str) -> dict:
        summary = self.month(estate, month)
        c = summary.counters
        return {
            "rows": domain.qr004_table(summary.areas, lang_labels=False),
            **domain.satisfaction_rates(c["satisfied"], c["fairly_satisfied"], c["unsatisfied"]),
        }

    def figures(self, estate: str, month: str) -> dict:
        return domain.comparison_figures(self.month(estate, month).counters)

    def complaint_summary(self, estate: str, month: str) -> dict:
        return domain.complaint_summary(t for t in self._tickets(estate) if t.month == month)

    def nonconformance(self, estate: str, quarter: str) -> list[dict]:
        months = set(domain.quarter_months(quarter))
        tickets = [t for t in self._tickets(estate) if t.month in months]
        callbacks = [c for c in self._callbacks(estate) if c.outcome_month in months]
        places = {t.ticket_id: t.place for t in self._tickets(estate) if t.place}
        return domain.nonconformance(tickets, callbacks, places)
