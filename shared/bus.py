"""At-least-once messaging on kombu: transactional outbox + relay, idempotent inbox consumers.

- `emit` adds the event to the outbox through the caller's session, so it commits or rolls back
  with the state change that caused it.
- `OutboxRelay` claims unsent rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several workers can
  relay at once), publishes each with publisher confirms and a confirm timeout, and marks it sent.
  A failed publish leaves the row unsent with a backoff recorded in the row.
- `EventConsumer` validates each message, applies the handlers and records the event id in the
  inbox in one transaction, and acks only after the commit. A redelivered event is acked and
  skipped; a malformed one is parked in `<service>.dead`; a failing handler is retried until the
  queue's delivery limit parks it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from kombu import Connection, Consumer, Producer
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from shared import context, metrics, topology
from shared.db import PlatformTables, unit_of_work, utcnow
from shared.events import Event, InvalidEvent, new_event, parse_event

log = logging.getLogger(__name__)
Handler = Callable[[Session, Event], None]
OUTAGE_PATIENCE = 20.0  # seconds a consumer holds a message while the database is unreachable

_wakeups: dict[str, threading.Event] = {}


def relay_wakeup(service: str) -> threading.Event:
    """Set whenever a transaction that wrote outbox rows commits, so an in-process relay wakes at once."""
    return _wakeups.setdefault(service, threading.Event())


def emit(session: Session, platform: PlatformTables, event: Event) -> None:
    session.add(
        platform.Outbox(
            event_id=event.id,
            type=event.type,
            routing_key=event.routing_key,
            estate_id=event.estate,
            payload=event.to_json(),
        )
    )
    session.info["estatedesk.outbox_service"] = event.producer


def emit_for(
    session: Session,
    platform: PlatformTables,
    estate,
    type: str,
    data: dict,
    *,
    producer: str,
    correlation_id: str | None = None,
) -> Event:
    """Build a validated event about `estate` (any estate row: `estate_id`, `group_id`) and add it to
    the outbox in the caller's transaction."""
    event = new_event(
        type,
        estate=estate.estate_id,
        group=estate.group_id,
        producer=producer,
        data=data,
        correlation_id=correlation_id,
    )
    emit(session, platform, event)
    return event


def _after_commit(session: Session) -> None:
    service = session.info.pop("estatedesk.outbox_service", None)
    if service:
        relay_wakeup(service).set()


def _after_rollback(session: Session) -> None:
    session.info.pop("estatedesk.outbox_service", None)


def install_outbox_signal() -> None:
    from sqlalchemy import event as sa_event

    if not sa_event.contains(Session, "after_commit", _after_commit):
        sa_event.listen(Session, "after_commit", _after_commit)
        sa_event.listen(Session, "after_soft_rollback", lambda s, _t: _after_rollback(s))


install_outbox_signal()


def connect(broker_url: str, *, connect_timeout: float = 5.0) -> Connection:
    options = {}
    if broker_url.startswith(("amqp", "pyamqp")):
        options["confirm_publish"] = True
    return Connection(broker_url, transport_options=options, connect_timeout=connect_timeout, heartbeat=30)


def supports_dead_lettering(connection: Connection) -> bool:
    return connection.transport.driver_type == "amqp"


class OutboxRelay:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        platform: PlatformTables,
        broker_url: str,
        *,
        confirm_timeout: float = 5.0,
        batch_size: int = 100,
    ):
        self._sessions = session_factory
        self._outbox = platform.Outbox
        self._broker_url = broker_url
        self._confirm_timeout = confirm_timeout
        self._batch_size = batch_size
        self._connection: Connection | None = None
        self._producer: Producer | None = None

    def _get_producer(self) -> Producer:
        if self._producer is None:
            self._connection = connect(self._broker_url)
            self._connection.ensure_connection(max_retries=1, timeout=5)
            channel = self._connection.channel()
            topology.EXCHANGE(channel).declare()
            self._producer = Producer(channel, exchange=topology.EXCHANGE, serializer="json")
        return self._producer

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):  # closing a broken connection may fail in many ways
                self._connection.release()
        self._connection = None
        self._producer = None

    def relay_once(self) -> int:
        """Publish one batch of pending events; return how many were confirmed by the broker."""
        Outbox = self._outbox
        now = utcnow()
        sent = 0
        with self._sessions() as session:
            rows = session.scalars(
                select(Outbox)
                .where(Outbox.sent_at.is_(None))
                .where(or_(Outbox.next_attempt_at.is_(None), Outbox.next_attempt_at <= now))
                .order_by(Outbox.id)
                .limit(self._batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            if not rows:
                return 0
            for row in rows:
                try:
                    self._get_producer().publish(
                        json.loads(row.payload),
                        exchange=topology.EXCHANGE,
                        routing_key=row.routing_key,
                        delivery_mode=2,
                        serializer="json",
                        message_id=row.event_id,
                        retry=False,
                        confirm_timeout=self._confirm_timeout,
                    )
                except Exception as exc:  # noqa: BLE001 - any broker failure leaves the row for later
                    row.attempts += 1
                    row.next_attempt_at = utcnow() + timedelta(seconds=min(0.25 * 2**row.attempts, 30))
                    row.last_error = f"{type(exc).__name__}: {exc}"[:1000]
                    log.warning(
                        "outbox publish failed; will retry",
                        extra={"event_id": row.event_id, "attempts": row.attempts, "error": row.last_error},
                    )
                    self.close()
                    break
                row.sent_at = utcnow()
                sent += 1
                metrics.EVENTS_PUBLISHED.labels(type=row.type).inc()
            session.commit()
        return sent

    def pending(self) -> int:
        with self._sessions() as session:
            return len(session.scalars(select(self._outbox.id).where(self._outbox.sent_at.is_(None))).all())


class EventConsumer:
    def __init__(
        self,
        service: str,
        handlers: dict[str, list[Handler]],
        session_factory: sessionmaker[Session],
        platform: PlatformTables,
        broker_url: str,
        *,
        delivery_limit: int = topology.DELIVERY_LIMIT,
        prefetch: int = 10,
    ):
        unknown = [t for t in handlers if not topology.consumes(service, t)]
        if unknown:
            raise ValueError(f"{service} has handlers for events its queue is not bound to: {unknown}")
        self.service = service
        self._handlers = handlers
        self._sessions = session_factory
        self._inbox = platform.Inbox
        self._broker_url = broker_url
        self._delivery_limit = delivery_limit
        self._prefetch = prefetch
        self._local_failures: dict[str, int] = {}

    # -- the transaction: pure of the broker, so tests can drive it directly -----------------------
    def apply(self, envelope: object) -> str:
        """Apply one event exactly once; return "applied" or "duplicate". Raises InvalidEvent."""
        event = parse_event(envelope)
        token = context.correlation_id.set(event.correlation_id)
        try:
            try:
                with unit_of_work(self._sessions, estate=event.estate) as session:
                    if session.get(self._inbox, (self.service, event.id)) is not None:
                        return "duplicate"
                    for handler in self._handlers.get(event.type, ()):
                        handler(session, event)
                    session.add(
                        self._inbox(
                            consumer=self.service, event_id=event.id, type=event.type, estate_id=event.estate
                        )
                    )
            except IntegrityError:
                # A concurrent delivery of the same event committed first: that is a duplicate.
                with self._sessions() as session:
                    if session.get(self._inbox, (self.service, event.id)) is not None:
                        return "duplicate"
                raise
            log.info("event applied", extra={"event_type": event.type, "event_id": event.id})
            return "applied"
        finally:
            context.correlation_id.reset(token)

    # -- the broker side ---------------------------------------------------------------------------
    def _apply_through_outages(self, body) -> str:
        """Apply; while the database is unreachable, hold the message and retry in place.

        An outage is not the event's fault: requeueing would spend the queue's delivery limit and
        park good events. The wait is bounded so the broker's heartbeat never lapses meanwhile.
        """
        delay, waited = 0.5, 0.0
        while True:
            try:
                return self.apply(body)
            except (OperationalError, InterfaceError) as exc:
                if waited >= OUTAGE_PATIENCE:
                    raise
                log.warning("database unavailable; holding the event", extra={"error": str(exc)[:300]})
                time.sleep(delay)
                waited += delay
                delay = min(delay * 2, 5.0)

    def on_message(self, body, message) -> None:
        key = message.properties.get("message_id") or str(message.delivery_tag)
        try:
            outcome = self._apply_through_outages(body)
        except InvalidEvent as exc:
            log.error("malformed event parked", extra={"error": str(exc), "errors": exc.errors})
            metrics.EVENTS_CONSUMED.labels(service=self.service, outcome="parked").inc()
            self._park(message)
            return
        except Exception:  # noqa: BLE001 - a failed handler is retried, then parked by the delivery limit
            failures = self._local_failures.get(key, 0) + 1
            self._local_failures[key] = failures
            log.exception("event handler failed", extra={"attempt": failures})
            metrics.EVENTS_CONSUMED.labels(service=self.service, outcome="failed").inc()
            if not supports_dead_lettering(message.channel.connection.client) and (
                failures >= self._delivery_limit
            ):
                self._local_failures.pop(key, None)
                self._park(message)
                return
            time.sleep(min(0.1 * 2**failures, 2.0))
            message.requeue()
            return
        self._local_failures.pop(key, None)
        metrics.EVENTS_CONSUMED.labels(service=self.service, outcome=outcome).inc()
        message.ack()

    def on_decode_error(self, message, exc) -> None:
        log.error("undecodable message parked", extra={"error": str(exc)})
        metrics.EVENTS_CONSUMED.labels(service=self.service, outcome="parked").inc()
        self._park(message)

    def _park(self, message) -> None:
        connection = message.channel.connection.client
        if supports_dead_lettering(connection):
            message.reject(requeue=False)
            return
        # The in-memory transport has no dead-lettering: copy the message to the dead queue ourselves.
        producer = Producer(message.channel)
        producer.publish(
            message.body,
            exchange=topology.DEAD_LETTER_EXCHANGE,
            routing_key=self.service,
            content_type=message.content_type,
            content_encoding=message.content_encoding,
            declare=[topology.dead_letter_queue(self.service)],
        )
        message.ack()

    def run(self, stop: threading.Event, ready: threading.Event | None = None) -> None:
        """Consume until `stop` is set, reconnecting after broker failures."""
        while not stop.is_set():
            try:
                with connect(self._broker_url) as conn:
                    conn.ensure_connection(max_retries=3, interval_start=1, interval_step=1, timeout=5)
                    channel = conn.channel()
                    queue = topology.declare(channel, self.service, self._delivery_limit)
                    with Consumer(
                        channel,
                        queues=[queue],
                        callbacks=[self.on_message],
                        accept=["application/json"],
                        prefetch_count=self._prefetch,
                        on_decode_error=self.on_decode_error,
                    ):
                        if ready is not None:
                            ready.set()
                        while not stop.is_set():
                            try:
                                conn.drain_events(timeout=0.5)
                            except TimeoutError:
                                conn.heartbeat_check()
            except Exception as exc:  # noqa: BLE001 - broker or database outage: back off, reconnect
                log.warning("consumer lost its connection; reconnecting", extra={"error": str(exc)})
                stop.wait(2.0)


def replay_dead_letters(broker_url: str, service: str, limit: int | None = None) -> int:
    """Move parked messages from `<service>.dead` back into `<service>`'s own queue (only there:
    the other services already had their copy). Returns how many were moved."""
    moved = 0
    with connect(broker_url) as conn:
        channel = conn.channel()
        topology.declare(channel, service)
        dead = topology.dead_letter_queue(service)(channel)
        producer = Producer(channel)
        while limit is None or moved < limit:
            message = dead.get(no_ack=False)
            if message is None:
                break
            headers = {k: v for k, v in (message.headers or {}).items() if not k.startswith("x-")}
            producer.publish(
                message.body,
                exchange="",
                routing_key=service,
                content_type=message.content_type,
                content_encoding=message.content_encoding,
                headers=headers,
                delivery_mode=2,
                message_id=message.properties.get("message_id"),
            )
            message.ack()
            moved += 1
    return moved
