"""Helpers for dispatch's integration tests: estates over intake's API, tickets as intake's events."""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from services.dispatch.models import WorkOrder, platform
from shared.events import new_event
from tests.support import auth, estate_body, publish_event, random_group, wait_for


@dataclass
class Place:
    """A group with one estate that dispatch knows (its default teams and routing created)."""

    stack: object
    group: str
    estate: str

    @property
    def client(self):
        return self.stack.client("dispatch")

    @property
    def sessions(self):
        return self.stack.apps["dispatch"].extensions["estatedesk"].sessions

    def headers(self, *roles, **kw):
        kw.setdefault("group", self.group)
        kw.setdefault("estates", [self.estate])
        return auth(*(roles or ("supervisor",)), **kw)

    def url(self, path: str = "") -> str:
        return f"/dispatch/v1/estates/{self.estate}{path}"

    def get(self, path, *roles, **kw):
        return self.client.get(self.url(path), headers=self.headers(*roles, **kw))

    def post(self, path, body, *roles, **kw):
        return self.client.post(self.url(path), json=body, headers=self.headers(*roles, **kw))

    def open_ticket(self, **data) -> tuple[str, object]:
        """Publish intake's `ticket.opened` on the real bus; return the ticket id and the event."""
        ticket_id = data.pop("ticket_id", None) or str(uuid.uuid4())
        body = {
            "ticket_id": ticket_id,
            "number": f"T-{ticket_id[:6]}",
            "kind": "repair",
            "category": "engineering",
            "channel": "phone",
            "description": "Lobby light flickering",
            "location": {"area": "Lobby B"},
            "reporter": {"name": "Mrs Chen", "phone": "13812345678"},
            "opened_at": datetime.now(UTC).isoformat(),
        }
        body.update(data)
        event = new_event("ticket.opened", estate=self.estate, group=self.group, producer="intake", data=body)
        publish_event(self.stack.broker_url, event)
        return ticket_id, event

    def publish(self, type_, **data):
        event = new_event(type_, estate=self.estate, group=self.group, producer="intake", data=data)
        publish_event(self.stack.broker_url, event)
        return event

    def orders_of(self, ticket_id: str) -> list[dict]:
        r = self.get(f"/work-orders?ticket_id={ticket_id}")
        assert r.status_code == 200, r.get_json()
        return r.get_json()["items"]

    def wait_order(self, ticket_id: str, count: int = 1, what: str = "") -> list[dict]:
        return wait_for(
            lambda: (lambda items: items if len(items) >= count else None)(self.orders_of(ticket_id)),
            timeout=15,
            what=what or f"{count} work order(s) for {ticket_id}",
        )

    def events(self, type_: str, order_id: str | None = None) -> list[dict]:
        with self.sessions() as s:
            rows = s.scalars(
                select(platform.Outbox)
                .where(platform.Outbox.estate_id == self.estate, platform.Outbox.type == type_)
                .order_by(platform.Outbox.id)
            ).all()
        found = [json.loads(r.payload) for r in rows]
        return [e for e in found if order_id is None or e["data"]["work_order_id"] == order_id]

    def order_rows(self) -> int:
        with self.sessions() as s:
            return len(
                s.scalars(
                    select(WorkOrder.id)
                    .where(WorkOrder.estate_id == self.estate)
                    .execution_options(all_estates=True)
                ).all()
            )


def new_place(stack, group: str | None = None) -> Place:
    group = group or random_group()
    body = estate_body()
    r = stack.client("intake").post("/intake/v1/estates", json=body, headers=auth("admin", group=group))
    assert r.status_code == 201, r.get_json()
    place = Place(stack, group, body["id"])
    wait_for(
        lambda: place.get("/routing").status_code == 200 and place.get("/routing").get_json()["rules"],
        timeout=15,
        what="dispatch to learn the estate and give it default routing",
    )
    return place


@pytest.fixture
def place(stack) -> Place:
    return new_place(stack)


# --- a contractor's webhook endpoint: a real HTTP server on loopback ------------------------------------
@dataclass
class Receiver:
    replies: list[int] = field(default_factory=list)  # status codes to answer, in order; then 200
    received: list[dict] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hooks/estatedesk"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                code = receiver.replies.pop(0) if receiver.replies else 200
                receiver.received.append(
                    {"headers": dict(self.headers), "body": body.decode(), "answered": code}
                )
                self.send_response(code)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


def later(minutes: float) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)
