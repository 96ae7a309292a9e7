"""Helpers for intake's integration stories: an estate with units and residents, tickets, bus events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select

from services.intake.models import Ticket, platform
from shared.events import new_event
from tests.support import auth, deliver_to, estate_body, random_group, wait_for


class Desk:
    """One estate of a fresh group, and the front desk's calls against it."""

    def __init__(self, stack, units=("1-101", "1-102", "2-201")):
        self.stack = stack
        self.group = random_group()
        body = estate_body(code="T" + uuid.uuid4().hex[:6].upper())
        r = self.http.post("/intake/v1/estates", json=body, headers=auth("admin", group=self.group))
        assert r.status_code == 201, r.get_json()
        self.estate = r.get_json()["id"]
        self.code = body["code"]
        self._route_nothing()
        self.agent_sub = f"agent-{uuid.uuid4().hex[:6]}"
        for code in units:
            r = self.http.post(
                self.url("units"), json={"code": code, "building": code[0]}, headers=self.agent()
            )
            assert r.status_code == 201, r.get_json()

    @property
    def http(self):
        return self.stack.client("intake")

    def url(self, *parts: str) -> str:
        return "/".join([f"/intake/v1/estates/{self.estate}", *parts])

    def agent(self, *roles, sub=None, **kw) -> dict:
        return auth(
            *(roles or ("agent",)), group=self.group, estates=[self.estate], sub=sub or self.agent_sub, **kw
        )

    def open(self, expect=201, headers=None, **overrides) -> dict:
        body = {
            "kind": "repair",
            "category": "engineering",
            "channel": "phone",
            "description": "Kitchen tap leaking 厨房水龙头漏水",
            "location": {"unit": "1-101"},
            "reporter": {"name": "Li Wei", "phone": "13812345678"},
        }
        body.update(overrides)
        r = self.http.post(self.url("tickets"), json=body, headers=headers or self.agent())
        assert r.status_code == expect, r.get_json()
        return r.get_json()

    def get(self, ticket_id: str, headers=None) -> dict:
        r = self.http.get(self.url("tickets", ticket_id), headers=headers or self.agent())
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    def _route_nothing(self) -> None:
        """These tests play dispatch and callback themselves: the real dispatch must leave this
        estate's tickets unrouted (an empty routing table), so no real work order joins in."""
        dispatch = self.stack.client("dispatch")
        headers = auth("supervisor", group=self.group, estates=[self.estate])
        url = f"/dispatch/v1/estates/{self.estate}/routing"
        wait_for(
            lambda: dispatch.get(url, headers=headers).status_code == 200,
            15,
            what="dispatch to learn the estate",
        )
        r = dispatch.put(url, json={"rules": []}, headers=headers)
        assert r.status_code == 200, r.get_json()

    def publish(self, type: str, producer: str, **data) -> None:
        """Deliver another service's event to intake alone (the real producers stay out of it)."""
        event = new_event(type, estate=self.estate, group=self.group, producer=producer, data=data)
        deliver_to(self.stack.broker_url, "intake", event)

    def wait_status(self, ticket_id: str, status: str, timeout=15) -> dict:
        return wait_for(
            lambda: (t := self.get(ticket_id))["status"] == status and t,
            timeout,
            what=f"ticket {ticket_id} to be {status}",
        )

    def counts(self) -> tuple[int, int]:
        sessions = self.stack.apps["intake"].extensions["estatedesk"].sessions
        with sessions() as s:
            tickets = s.scalar(
                select(func.count())
                .select_from(Ticket)
                .where(Ticket.estate_id == self.estate)
                .execution_options(all_estates=True)
            )
            events = s.scalar(
                select(func.count())
                .select_from(platform.Outbox)
                .where(platform.Outbox.estate_id == self.estate)
            )
        return tickets, events

    def outbox(self, type: str) -> list:
        import json

        sessions = self.stack.apps["intake"].extensions["estatedesk"].sessions
        with sessions() as s:
            rows = s.scalars(
                select(platform.Outbox)
                .where(platform.Outbox.estate_id == self.estate, platform.Outbox.type == type)
                .order_by(platform.Outbox.id)
            ).all()
        return [json.loads(r.payload) for r in rows]


def now() -> str:
    return datetime.now(UTC).isoformat()


def work_order(ticket: dict, wo: str | None = None) -> dict:
    return {
        "work_order_id": wo or str(uuid.uuid4()),
        "ticket_id": ticket["id"],
        "ticket_number": ticket["number"],
    }


def completed(ticket: dict, wo: str) -> dict:
    return {
        **work_order(ticket, wo),
        "kind": ticket["kind"],
        "category": ticket["category"],
        "team_id": "team-eng",
        "completed_at": now(),
        "resident_signed": True,
        "resident_rating": "satisfied",
    }


def callback_done(ticket: dict, satisfaction: str, callback_id: str | None = None, **extra) -> dict:
    return {
        "callback_id": callback_id or str(uuid.uuid4()),
        "ticket_id": ticket["id"],
        "rule": "repair_next_day",
        "method": "phone",
        "satisfaction": satisfaction,
        "completed_at": now(),
        **extra,
    }
