"""Contract-valid event streams for reporting's tests, with the timestamps a story needs."""

from __future__ import annotations

import uuid
from datetime import datetime

from shared.events import Event, parse_event


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Stream:
    """Builds the events other services would publish about one estate."""

    def __init__(self, estate: str, group: str = "g1", timezone: str = "Asia/Shanghai"):
        self.estate, self.group, self.timezone = estate, group, timezone

    def event(self, type_: str, data: dict, when: str, producer: str = "intake") -> Event:
        envelope = {
            "id": str(uuid.uuid4()),
            "type": type_,
            "version": 1,
            "estate": self.estate,
            "group": self.group,
            "occurred_at": at(when).isoformat(),
            "producer": producer,
            "correlation_id": str(uuid.uuid4()),
            "data": data,
        }
        return parse_event(envelope)

    # -- intake --------------------------------------------------------------------------------
    def registered(
        self, name: str = "Test Estate 测试小区", region: str | None = None, when="2026-01-01T00:00:00+00:00"
    ):
        data = {"id": self.estate, "name": name, "code": "TE", "timezone": self.timezone, "calendar": "CN"}
        return self.event("estate.registered", {**data, "region": region}, when)

    def moved_in(self, unit: str, when="2026-01-01T00:00:00+00:00"):
        data = {"resident_id": f"r-{unit}", "unit": unit, "role": "owner"}
        return self.event("resident.moved_in", data, when)

    def opened(
        self,
        ticket: str,
        when: str,
        kind: str = "repair",
        category: str = "engineering",
        channel: str = "phone",
        unit: str | None = "1-101",
        area: str | None = None,
        severity: str | None = None,
        first_reply_due: str | None = None,
        resolve_due: str | None = None,
    ):
        data = {
            "ticket_id": ticket,
            "number": f"T-{ticket}",
            "kind": kind,
            "category": category,
            "channel": channel,
            "severity": severity,
            "location": {"unit": unit, "area": area},
            "opened_at": at(when).isoformat(),
            "first_reply_due": first_reply_due,
            "resolve_due": resolve_due,
        }
        return self.event("ticket.opened", data, when)

    def replied(self, ticket: str, when: str, first: bool = True, on_time: bool | None = None):
        data = {
            "ticket_id": ticket,
            "number": f"T-{ticket}",
            "first": first,
            "channel": "phone",
            "replied_at": at(when).isoformat(),
            "on_time": on_time,
        }
        return self.event("ticket.replied", data, when)

    def escalated(self, ticket: str, severity: str, when: str):
        return self.event(
            "ticket.escalated", {"ticket_id": ticket, "number": f"T-{ticket}", "severity": severity}, when
        )

    def resolved_at_desk(self, ticket: str, when: str, kind="inquiry", category="other", outcome="answered"):
        data = {
            "ticket_id": ticket,
            "number": f"T-{ticket}",
            "kind": kind,
            "category": category,
            "outcome": outcome,
            "resolved_at": at(when).isoformat(),
        }
        return self.event("ticket.resolved_at_desk", data, when)

    def reopened(self, ticket: str, count: int, when: str, callback: str | None = None):
        data = {
            "ticket_id": ticket,
            "number": f"T-{ticket}",
            "reopen_count": count,
            "callback_id": callback,
            "reopened_at": at(when).isoformat(),
        }
        return self.event("ticket.reopened", data, when)

    def closed(self, ticket: str, when: str, reason: str = "callback_satisfied"):
        data = {
            "ticket_id": ticket,
            "number": f"T-{ticket}",
            "reason": reason,
            "closed_at": at(when).isoformat(),
        }
        return self.event("ticket.closed", data, when)

    # -- dispatch ------------------------------------------------------------------------------
    def arrived(self, ticket: str, order: str, when: str, on_time: bool | None = True):
        data = {"work_order_id": order, "ticket_id": ticket, "at": at(when).isoformat(), "on_time": on_time}
        return self.event("workorder.arrived", data, when, producer="dispatch")

    def completed(
        self,
        ticket: str,
        order: str,
        when: str,
        kind: str = "repair",
        category: str = "engineering",
        rework: bool = False,
        completed_on_time: bool | None = None,
        arrived_on_time: bool | None = None,
        rating: str | None = "satisfied",
    ):
        data = {
            "work_order_id": order,
            "ticket_id": ticket,
            "kind": kind,
            "category": category,
            "team_id": "team-eng",
            "rework": rework,
            "completed_at": at(when).isoformat(),
            "resident_signed": True,
            "resident_rating": rating,
            "completed_on_time": completed_on_time,
            "arrived_on_time": arrived_on_time,
        }
        return self.event("workorder.completed", data, when, producer="dispatch")

    def overdue(self, ticket: str, order: str, deadline: str, when: str):
        data = {
            "work_order_id": order,
            "ticket_id": ticket,
            "deadline": deadline,
            "due_at": at(when).isoformat(),
        }
        return self.event("workorder.overdue", data, when, producer="dispatch")

    # -- callback ------------------------------------------------------------------------------
    def _ref(self, callback: str, ticket: str | None, rule: str, **extra) -> dict:
        return {"callback_id": callback, "ticket_id": ticket, "rule": rule, **extra}

    def scheduled(
        self, callback: str, ticket: str | None, rule: str, when: str, target: float | None = None, **kw
    ):
        data = self._ref(callback, ticket, rule, assignee_role="agent", method="phone", target=target, **kw)
        return self.event("callback.scheduled", data, when, producer="callback")

    def skipped(self, callback: str, ticket: str | None, rule: str, when: str, reason: str = "not_sampled"):
        return self.event(
            "callback.skipped", self._ref(callback, ticket, rule, reason=reason), when, producer="callback"
        )

    def done(
        self,
        callback: str,
        ticket: str | None,
        rule: str,
        when: str,
        satisfaction: str = "satisfied",
        ratings: dict | None = None,
        unit: str | None = None,
        **kw,
    ):
        data = self._ref(
            callback,
            ticket,
            rule,
            method="phone",
            satisfaction=satisfaction,
            ratings=ratings or {},
            completed_at=at(when).isoformat(),
            unit=unit,
            **kw,
        )
        return self.event("callback.completed", data, when, producer="callback")

    def failed(self, callback: str, ticket: str | None, rule: str, when: str):
        data = self._ref(callback, ticket, rule, attempts=3, failed_at=at(when).isoformat())
        return self.event("callback.failed", data, when, producer="callback")


def redelivered(event: Event) -> Event:
    """The same business event published again under a new id (a producer retry after a crash)."""
    return parse_event({**event.to_dict(), "id": str(uuid.uuid4())})
