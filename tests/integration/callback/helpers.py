"""Story helpers for callback's integration tests: an estate, contract events on the bus, the API."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from services.callback.models import platform
from shared.events import new_event
from tests.support import auth, estate_body, publish_event, random_group, wait_for

BASE = "/callback/v1/estates"


class Story:
    """One estate of a fresh group, seen from callback; events put on the real bus by 'other services'."""

    def __init__(self, stack):
        self.stack = stack
        self.group = random_group()
        body = estate_body()
        r = stack.client("intake").post(
            "/intake/v1/estates", json=body, headers=auth("admin", group=self.group)
        )
        assert r.status_code == 201, r.get_json()
        self.estate = body["id"]
        wait_for(
            lambda: self.get(f"{BASE}/{self.estate}").status_code == 200,
            timeout=15,
            what="callback to learn the estate",
        )

    # -- HTTP ------------------------------------------------------------------------------------
    def headers(self, *roles):
        return auth(*(roles or ("agent", "supervisor", "manager")), group=self.group, estates=[self.estate])

    def get(self, url, *roles, **params):
        return self.stack.client("callback").get(url, headers=self.headers(*roles), query_string=params)

    def post(self, url, body, *roles):
        return self.stack.client("callback").post(url, json=body, headers=self.headers(*roles))

    def put(self, url, body, *roles):
        return self.stack.client("callback").put(url, json=body, headers=self.headers(*roles))

    def callbacks(self, *roles, **params):
        r = self.get(f"{BASE}/{self.estate}/callbacks", *roles, **params)
        assert r.status_code == 200, r.get_json()
        return r.get_json()["items"]

    def callback_for(self, work_order_id, **params):
        def found():
            items = [c for c in self.callbacks(**params) if c["work_order_id"] == work_order_id]
            return items[0] if items else None

        return wait_for(found, timeout=15, what=f"a callback for {work_order_id}")

    def attempt(self, callback_id, body, *roles):
        return self.post(f"{BASE}/{self.estate}/callbacks/{callback_id}/attempts", body, *roles)

    # -- the bus ---------------------------------------------------------------------------------
    def publish(self, type_, data, producer="dispatch", correlation_id=None):
        event = new_event(
            type_,
            estate=self.estate,
            group=self.group,
            producer=producer,
            data=data,
            correlation_id=correlation_id,
        )
        publish_event(self.stack.broker_url, event)
        return event

    def complete_work_order(self, ticket_id=None, **overrides):
        data = {
            "work_order_id": f"wo-{uuid.uuid4().hex[:10]}",
            "ticket_id": ticket_id or f"t-{uuid.uuid4().hex[:10]}",
            "kind": "repair",
            "category": "engineering",
            "tags": [],
            "location": {"unit": "A-1203"},
            "team_id": "team-eng",
            "rework": False,
            "completed_at": datetime.now(UTC).isoformat(),
            "result": "replaced the tap washer",
            "resident_signed": True,
            "resident_rating": "satisfied",
        }
        data.update(overrides)
        return self.publish("workorder.completed", data), data

    # -- what callback wrote ----------------------------------------------------------------------
    def outbox(self, type_=None):
        sessions = self.stack.apps["callback"].extensions["estatedesk"].sessions
        with sessions() as s:
            rows = s.scalars(
                select(platform.Outbox)
                .where(platform.Outbox.estate_id == self.estate)
                .order_by(platform.Outbox.id)
            ).all()
        events = [(json.loads(r.payload), r.sent_at) for r in rows]
        return [(e, sent) for e, sent in events if type_ is None or e["type"] == type_]

    def emitted(self, type_, **match):
        return [e for e, _ in self.outbox(type_) if all(e["data"].get(k) == v for k, v in match.items())]

    def seen_by_reporting(self, event_id):
        from services.reporting.models import platform as reporting_platform

        sessions = self.stack.apps["reporting"].extensions["estatedesk"].sessions
        with sessions() as s:
            return s.get(reporting_platform.Inbox, ("reporting", event_id)) is not None


RATED = {"punctuality": "satisfied", "attitude": "satisfied", "quality": "unsatisfied"}
ALL_GOOD = {"punctuality": "satisfied", "attitude": "satisfied", "quality": "satisfied"}


def soon(hours=0):
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()
