"""The worker's periodic jobs: deadline alerts and contractor webhook deliveries.

Both take an explicit `now` so tests drive them directly; both open one unit of work per estate.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import requests
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks.webhooks import Webhook

from services.dispatch import domain, orders
from services.dispatch.models import Contractor, Estate, WebhookDelivery, WorkOrder
from shared.db import unit_of_work, utcnow

log = logging.getLogger(__name__)
WEBHOOK_TIMEOUT = 10.0


# --- deadlines -------------------------------------------------------------------------------------
def _estates(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(Estate.estate_id).execution_options(all_estates=True)).all())


def check_deadlines(sessions: sessionmaker[Session], now: datetime | None = None) -> int:
    """Warn before a breach (`workorder.due_soon`), report it at the breach (`workorder.overdue`, to the
    supervisor) and again later to the manager. Each alert is sent once per order and deadline."""
    now = now or utcnow()
    sent = 0
    for estate_id in _estates(sessions):
        with unit_of_work(sessions, estate=estate_id) as session:
            estate = session.get(Estate, estate_id)
            settings = orders.settings_of(estate)
            candidates = session.scalars(
                select(WorkOrder)
                .where(WorkOrder.status.in_(domain.OPEN_STATUSES), WorkOrder.paused_at.is_(None))
                .where(or_(WorkOrder.arrive_by.is_not(None), WorkOrder.complete_by.is_not(None)))
                .with_for_update(skip_locked=True)
            ).all()
            for order in candidates:
                clock = domain.Clock(
                    status=order.status,
                    arrive_by=order.arrive_by,
                    complete_by=order.complete_by,
                    arrived_at=order.arrived_at,
                    paused=order.paused_at is not None,
                    notified=frozenset(order.alerts_sent or ()),
                )
                alerts = domain.due_alerts(clock, now, settings)
                if not alerts:
                    continue
                notified = set(order.alerts_sent or ())
                for deadline, level, due_at in alerts:
                    levels = ("warning", "supervisor", "manager")
                    notified |= {f"{deadline}:{lvl}" for lvl in levels[: levels.index(level) + 1]}
                    if level == "warning":
                        orders.publish(
                            session, order, "workorder.due_soon", {"deadline": deadline, "due_at": due_at}
                        )
                    else:
                        orders.publish(
                            session,
                            order,
                            "workorder.overdue",
                            {"deadline": deadline, "due_at": due_at, "escalated_to": level},
                        )
                    orders.log_step(
                        session, order, f"{level}:{deadline}", "timer", f"due {due_at.isoformat()}", at=now
                    )
                    sent += 1
                order.alerts_sent = sorted(notified)
    return sent


# --- webhooks --------------------------------------------------------------------------------------
def signature(contractor: Contractor, msg_id: str, timestamp: datetime, body: str) -> str:
    """Standard Webhooks `webhook-signature`; during a secret rotation, signed with both secrets."""
    signatures = [Webhook(contractor.webhook_secret).sign(msg_id, timestamp, body)]
    until = contractor.previous_secret_until
    if contractor.previous_secret and until and timestamp < until:
        signatures.append(Webhook(contractor.previous_secret).sign(msg_id, timestamp, body))
    return " ".join(signatures)


def _send(contractor: Contractor, delivery: WebhookDelivery) -> tuple[int | None, str | None]:
    stamp = datetime.now(UTC).replace(microsecond=0)
    headers = {
        "content-type": "application/json",
        "webhook-id": delivery.event_id,
        "webhook-timestamp": str(int(stamp.timestamp())),
        "webhook-signature": signature(contractor, delivery.event_id, stamp, delivery.payload),
        "user-agent": "EstateDesk-Webhooks/1",
    }
    try:
        response = requests.post(
            contractor.webhook_url,
            data=delivery.payload.encode(),
            headers=headers,
            timeout=WEBHOOK_TIMEOUT,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        return None, f"{type(exc).__name__}: {exc}"[:1000]
    return response.status_code, None


def deliver_webhooks(sessions: sessionmaker[Session], now: datetime | None = None, limit: int = 50) -> int:
    """Send the deliveries that are due; return how many were attempted.

    A delivery row is locked (SKIP LOCKED) while it is being sent, so several workers never send
    the same one twice at once. 2xx → delivered; 410 → the endpoint is disabled; anything else →
    retried with exponential backoff and jitter for up to three days, then failed.
    """
    from services.dispatch.models import WebhookAttempt

    now = now or utcnow()
    with sessions() as lookup:
        estates = lookup.scalars(
            select(WebhookDelivery.estate_id)
            .distinct()
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
            .execution_options(all_estates=True)
        ).all()
    attempted = 0
    for estate_id in estates:
        with unit_of_work(sessions, estate=estate_id) as session:
            due = session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
                .order_by(WebhookDelivery.created_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            for delivery in due:
                contractor = session.get(Contractor, delivery.contractor_id)
                if contractor is None or not contractor.webhook_url or not contractor.webhook_enabled:
                    delivery.status = "gone"
                    delivery.next_attempt_at = None
                    continue
                code, error = _send(contractor, delivery)
                attempted += 1
                delivery.attempts += 1
                delivery.first_attempt_at = delivery.first_attempt_at or now
                delivery.last_status_code, delivery.last_error = code, error
                session.add(
                    WebhookAttempt(
                        estate_id=estate_id, delivery_id=delivery.id, at=now, status_code=code, error=error
                    )
                )
                if code is not None and 200 <= code < 300:
                    delivery.status, delivery.delivered_at, delivery.next_attempt_at = "delivered", now, None
                elif code == 410:
                    # The receiver says the endpoint is gone for good: stop sending to it.
                    delivery.status, delivery.next_attempt_at = "gone", None
                    contractor.webhook_enabled = False
                    log.warning("webhook endpoint gone; disabled", extra={"contractor": contractor.id})
                else:
                    retry_at = domain.next_webhook_attempt(delivery.first_attempt_at, delivery.attempts, now)
                    delivery.next_attempt_at = retry_at
                    if retry_at is None:
                        delivery.status = "failed"
    return attempted
