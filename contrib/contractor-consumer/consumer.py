"""Reference consumer for EstateDesk contractors: take your work orders from a RabbitMQ queue of your own.

Two processes, so that an order is never lost between EstateDesk and your systems:

    python consumer.py receive   # HTTPS-terminated webhook endpoint → your own durable queue
    python consumer.py work      # your queue → your handling code (ack after it succeeded)

`receive` verifies each delivery's Standard Webhooks signature (webhook-id, webhook-timestamp,
webhook-signature), publishes it to your queue with publisher confirms, and only then answers 2xx.
Anything else makes EstateDesk retry (exponential backoff, for up to three days), so a RabbitMQ
outage on your side costs nothing. `work` consumes with a prefetch of 1 and acknowledges after
`handle()` returns; a redelivered message (same webhook-id) is recognised and skipped.

Configuration (environment):
    ESTATEDESK_WEBHOOK_SECRET            whsec_… as shown once when your company was registered
    ESTATEDESK_WEBHOOK_SECRET_PREVIOUS   optional: the old secret while a rotation overlaps
    CONTRACTOR_AMQP_URL                  default amqp://guest:guest@localhost:5672/%2F
    CONTRACTOR_QUEUE                     default estatedesk.work-orders
    RECEIVER_HOST / RECEIVER_PORT        default 127.0.0.1 / 8090
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pika
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

log = logging.getLogger("contractor-consumer")
MAX_BODY = 1_000_000


def settings(env=os.environ) -> dict:
    return {
        "secrets": [
            s
            for s in (env.get("ESTATEDESK_WEBHOOK_SECRET"), env.get("ESTATEDESK_WEBHOOK_SECRET_PREVIOUS"))
            if s
        ],
        "amqp_url": env.get("CONTRACTOR_AMQP_URL", "amqp://guest:guest@localhost:5672/%2F"),
        "queue": env.get("CONTRACTOR_QUEUE", "estatedesk.work-orders"),
        "host": env.get("RECEIVER_HOST", "127.0.0.1"),
        "port": int(env.get("RECEIVER_PORT", "8090")),
    }


def verify(body: bytes, headers: dict, secrets: list[str]) -> dict:
    """The event if one of our secrets signed it (and it is fresh); WebhookVerificationError otherwise."""
    if not secrets:
        raise WebhookVerificationError("no secret configured")
    last: Exception | None = None
    for secret in secrets:
        try:
            return Webhook(secret).verify(body, headers)
        except WebhookVerificationError as exc:
            last = exc
    raise last


# --- receive: webhook → own queue -------------------------------------------------------------------
class Publisher:
    """One blocking connection with publisher confirms; reconnects after a failure."""

    def __init__(self, amqp_url: str, queue: str):
        self.amqp_url, self.queue = amqp_url, queue
        self._channel = None

    def _open(self):
        connection = pika.BlockingConnection(pika.URLParameters(self.amqp_url))
        channel = connection.channel()
        channel.queue_declare(queue=self.queue, durable=True, arguments={"x-queue-type": "quorum"})
        channel.confirm_delivery()
        return channel

    def publish(self, message_id: str, body: bytes) -> None:
        for attempt in (1, 2):
            try:
                if self._channel is None or self._channel.is_closed:
                    self._channel = self._open()
                self._channel.basic_publish(
                    exchange="",
                    routing_key=self.queue,
                    body=body,
                    properties=pika.BasicProperties(
                        content_type="application/json", delivery_mode=2, message_id=message_id
                    ),
                    mandatory=True,
                )
                return
            except (pika.exceptions.AMQPError, OSError):
                self._channel = None
                if attempt == 2:
                    raise


def make_receiver(config: dict, publisher: Publisher) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_BODY:
                return self._answer(413)
            body = self.rfile.read(length)
            try:
                event = verify(body, dict(self.headers), config["secrets"])
            except WebhookVerificationError as exc:
                log.warning("rejected a delivery: %s", exc)
                return self._answer(401)
            try:
                publisher.publish(self.headers["webhook-id"], body)
            except Exception:  # noqa: BLE001 - our broker is down: let EstateDesk retry later
                log.exception("could not queue the delivery")
                return self._answer(503)
            log.info("queued %s for %s", event["type"], event["data"].get("work_order_number"))
            return self._answer(204)

        def _answer(self, code: int):
            self.send_response(code)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    return ThreadingHTTPServer((config["host"], config["port"]), Handler)


# --- work: own queue → your systems -------------------------------------------------------------------
def handle(event: dict) -> None:
    """Replace with your own: create the job in your dispatch system, page the on-call engineer…"""
    data = event["data"]
    print(
        f"[{event['estate']}] {event['type']}: order {data.get('work_order_number')} "
        f"(ticket {data.get('ticket_number')})",
        flush=True,
    )


class Seen:
    """The last N message ids, so a redelivery after a crash is not handled twice."""

    def __init__(self, size: int = 10_000):
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._size = size

    def add(self, message_id: str) -> bool:
        if message_id in self._ids:
            return False
        self._ids[message_id] = None
        if len(self._ids) > self._size:
            self._ids.popitem(last=False)
        return True


def work(config: dict) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(config["amqp_url"]))
    channel = connection.channel()
    channel.queue_declare(queue=config["queue"], durable=True, arguments={"x-queue-type": "quorum"})
    channel.basic_qos(prefetch_count=1)
    seen = Seen()

    def on_message(ch, method, properties, body):
        message_id = properties.message_id or ""
        if message_id and not seen.add(message_id):
            ch.basic_ack(method.delivery_tag)
            return
        try:
            handle(json.loads(body))
        except Exception:  # noqa: BLE001 - put it back for another try; quorum queues count redeliveries
            log.exception("handling failed; requeued")
            ch.basic_nack(method.delivery_tag, requeue=True)
            return
        ch.basic_ack(method.delivery_tag)

    channel.basic_consume(queue=config["queue"], on_message_callback=on_message)
    log.info("waiting for work orders on %s", config["queue"])
    try:
        channel.start_consuming()
    except KeyboardInterrupt:
        channel.stop_consuming()
    connection.close()


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    config = settings()
    command = argv[1] if len(argv) > 1 else ""
    if command == "receive":
        if not config["secrets"]:
            print("Set ESTATEDESK_WEBHOOK_SECRET first.", file=sys.stderr)
            return 2
        server = make_receiver(config, Publisher(config["amqp_url"], config["queue"]))
        log.info("receiving webhooks on http://%s:%s/", config["host"], config["port"])
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            server.shutdown()
        return 0
    if command == "work":
        work(config)
        return 0
    print("usage: consumer.py receive | work", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
