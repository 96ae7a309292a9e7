"""The reference contractor consumer (contrib/contractor-consumer) queues real deliveries."""

import importlib.util
import json
import threading
import uuid
from pathlib import Path

import pika
import pytest

from tests.integration.dispatch.test_contractors import add_contractor, link
from tests.support import wait_for

CONSUMER = Path(__file__).resolve().parents[3] / "contrib" / "contractor-consumer" / "consumer.py"


@pytest.fixture(scope="module")
def consumer():
    spec = importlib.util.spec_from_file_location("contractor_consumer", CONSUMER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_signed_orders_land_in_the_contractors_own_queue_and_forgeries_do_not(place, consumer):
    queue = f"contractor-{uuid.uuid4().hex[:8]}"
    # kombu spells the default vhost "//"; pika (which the contractor runs) wants it quoted.
    amqp_url = (
        place.stack.broker_url.removesuffix("//") + "/%2F"
        if place.stack.broker_url.endswith("//")
        else place.stack.broker_url
    )
    config = {"secrets": [], "amqp_url": amqp_url, "queue": queue, "host": "127.0.0.1", "port": 0}
    server = consumer.make_receiver(config, consumer.Publisher(amqp_url, queue))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/"
    channel = pika.BlockingConnection(pika.URLParameters(amqp_url)).channel()
    channel.queue_declare(queue, durable=True, arguments={"x-queue-type": "quorum"})
    try:
        contractor = add_contractor(place, webhook_url=url)
        config["secrets"].append(contractor["webhook_secret"])
        link(place, contractor)
        ticket_id, _ = place.open_ticket(tags=["lift"])
        [order] = place.wait_order(ticket_id)

        def queued():
            method, properties, body = channel.basic_get(queue, auto_ack=True)
            return (properties, json.loads(body)) if method else None

        properties, event = wait_for(queued, timeout=15, what="the order in the contractor's queue")
        assert event["type"] == "workorder.assigned" and event["data"]["work_order_id"] == order["id"]
        assert properties.message_id == event["id"] and properties.delivery_mode == 2

        import requests

        forged = requests.post(
            url,
            data=json.dumps(event),
            headers={"webhook-id": event["id"], "webhook-timestamp": "1", "webhook-signature": "v1,Zm9yZ2Vk"},
            timeout=5,
        )
        assert forged.status_code == 401
        assert channel.basic_get(queue, auto_ack=True)[0] is None
    finally:
        server.shutdown()
        channel.queue_delete(queue)
        channel.connection.close()


def test_a_redelivered_message_is_handled_once(consumer):
    seen = consumer.Seen(size=2)
    assert seen.add("a") and seen.add("b") and not seen.add("a")
    assert seen.add("c") and seen.add("a")  # the oldest id was forgotten
