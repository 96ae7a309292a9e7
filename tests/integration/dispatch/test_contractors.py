"""Contractors: signed webhooks with retries, secret rotation, and a view of only their own orders."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.dispatch.models import Contractor, WebhookAttempt
from services.dispatch.timers import deliver_webhooks
from tests.integration.dispatch.conftest import new_place
from tests.support import auth, wait_for


def add_contractor(place, name="Otis Lift Service 奥的斯电梯", webhook_url=None):
    r = place.stack.client("dispatch").post(
        "/dispatch/v1/contractors",
        json={"name": f"{name} {place.estate}", "webhook_url": webhook_url},
        headers=auth("admin", group=place.group),
    )
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def link(place, contractor, discipline="lift", **extra):
    r = place.post(
        "/teams",
        {"name": contractor["name"], "discipline": discipline, "contractor_id": contractor["id"], **extra},
    )
    assert r.status_code == 201, r.get_json()
    team = r.get_json()
    rules = place.get("/routing").get_json()["rules"]
    rules.insert(0, {"category": "engineering", "kind": "repair", "tags": ["lift"], "team_id": team["id"]})
    r = place.client.put(place.url("/routing"), json={"rules": rules}, headers=place.headers("supervisor"))
    assert r.status_code == 200, r.get_json()
    return team


def contractor_headers(place, contractor, estates=("*",)):
    return auth(
        "contractor", group=place.group, estates=list(estates), contractor=contractor["id"], sub="otis-ops"
    )


def test_the_secret_is_shown_once(place):
    contractor = add_contractor(place)
    assert contractor["webhook_secret"].startswith("whsec_")
    shown = place.client.get(
        f"/dispatch/v1/contractors/{contractor['id']}", headers=auth("admin", group=place.group)
    )
    assert shown.status_code == 200 and "webhook_secret" not in shown.get_json()
    listed = place.client.get("/dispatch/v1/contractors", headers=auth("admin", group=place.group)).get_json()
    assert all("webhook_secret" not in c for c in listed["items"])
    r = place.client.post(
        "/dispatch/v1/contractors", json={"name": "x"}, headers=auth("supervisor", group=place.group)
    )
    assert r.status_code == 403
    r = place.client.post(
        "/dispatch/v1/contractors",
        json={"name": "x", "webhook_url": "not a url"},
        headers=auth("admin", group=place.group),
    )
    assert r.status_code == 422 and "webhook_url" in r.get_json()["errors"]


def test_a_contractor_endpoint_gets_signed_deliveries_and_a_500_is_retried(place, receiver):
    contractor = add_contractor(place, webhook_url=receiver.url)
    link(place, contractor)
    receiver.replies = [500]
    ticket_id, _ = place.open_ticket(tags=["lift"], location={"area": "Lift 2, block 5"})
    [order] = place.wait_order(ticket_id)
    assert order["contractor_id"] == contractor["id"]
    wait_for(lambda: receiver.received, what="the first delivery attempt")
    assert receiver.received[0]["answered"] == 500

    def failure_recorded():
        # The receiver hears the attempt before the worker commits its outcome and backoff;
        # winding the clock forward before that commit would find nothing due yet.
        log = place.client.get(
            f"/dispatch/v1/contractors/{contractor['id']}/deliveries",
            headers=auth("admin", group=place.group),
        ).get_json()["items"]
        return any(d["attempts"] == 1 and d["last_status_code"] == 500 for d in log)

    wait_for(failure_recorded, what="the worker to record the failed attempt")
    deliver_webhooks(place.sessions, now=datetime.now(UTC) + timedelta(minutes=5))  # the backoff has passed
    wait_for(lambda: len(receiver.received) >= 2, what="the retry")
    first, retry = receiver.received[:2]
    assert retry["answered"] == 200
    assert first["headers"]["webhook-id"] == retry["headers"]["webhook-id"]  # the same message, again
    payload = Webhook(contractor["webhook_secret"]).verify(retry["body"], retry["headers"])
    assert payload["type"] == "workorder.assigned" and payload["data"]["work_order_id"] == order["id"]

    log = place.client.get(
        f"/dispatch/v1/contractors/{contractor['id']}/deliveries", headers=auth("admin", group=place.group)
    ).get_json()["items"]
    [delivery] = [d for d in log if d["event_type"] == "workorder.assigned"]
    assert (
        delivery["status"] == "delivered"
        and delivery["attempts"] == 2
        and delivery["last_status_code"] == 200
    )
    with place.sessions() as s:
        codes = s.scalars(
            select(WebhookAttempt.status_code)
            .where(WebhookAttempt.delivery_id == delivery["id"])
            .order_by(WebhookAttempt.id)
            .execution_options(all_estates=True)
        ).all()
    assert codes == [500, 200]

    # a receiver holding another secret, or a tampered body, rejects the delivery
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY").verify(retry["body"], retry["headers"])
    tampered = json.loads(retry["body"])
    tampered["data"]["work_order_id"] = "someone-else"
    with pytest.raises(WebhookVerificationError):
        Webhook(contractor["webhook_secret"]).verify(json.dumps(tampered), retry["headers"])

    replay = place.client.post(
        f"/dispatch/v1/contractors/{contractor['id']}/deliveries/{delivery['id']}/replay",
        headers=auth("admin", group=place.group),
    )
    assert replay.status_code == 200 and replay.get_json()["status"] == "pending"
    wait_for(lambda: len(receiver.received) >= 3, what="the manual replay")


def test_a_rotated_secret_signs_with_both_during_the_overlap(place, receiver):
    contractor = add_contractor(place, webhook_url=receiver.url)
    link(place, contractor)
    rotated = place.client.post(
        f"/dispatch/v1/contractors/{contractor['id']}/rotate-secret",
        json={},
        headers=auth("admin", group=place.group),
    )
    assert rotated.status_code == 200
    new_secret = rotated.get_json()["webhook_secret"]
    assert new_secret != contractor["webhook_secret"]
    ticket_id, _ = place.open_ticket(tags=["lift"])
    place.wait_order(ticket_id)
    wait_for(lambda: receiver.received, what="a delivery")
    sent = receiver.received[0]
    assert len(sent["headers"]["webhook-signature"].split(" ")) == 2
    Webhook(new_secret).verify(sent["body"], sent["headers"])
    Webhook(contractor["webhook_secret"]).verify(sent["body"], sent["headers"])


def test_an_endpoint_answering_410_is_disabled(place, receiver):
    contractor = add_contractor(place, webhook_url=receiver.url)
    link(place, contractor)
    receiver.replies = [410]
    ticket_id, _ = place.open_ticket(tags=["lift"])
    place.wait_order(ticket_id)
    wait_for(lambda: receiver.received, what="a delivery")
    with place.sessions() as s:
        wait_for(
            lambda: not s.get(Contractor, contractor["id"], populate_existing=True).webhook_enabled,
            what="the endpoint to be disabled",
        )
    shown = place.client.get(
        f"/dispatch/v1/contractors/{contractor['id']}", headers=auth("admin", group=place.group)
    )
    assert shown.get_json()["webhook_enabled"] is False


def test_a_contractor_sees_and_acts_on_only_its_own_orders_across_estates(stack, place):
    second = new_place(stack, place.group)
    otis = add_contractor(place)
    rival = add_contractor(place, name="Rival Lifts")
    link(place, otis)
    link(second, otis)
    mine_here, _ = place.open_ticket(tags=["lift"], reporter={"name": "Mr Lin", "phone": "13900001111"})
    mine_there, _ = second.open_ticket(tags=["lift"])
    staff_only, _ = place.open_ticket()
    [here] = place.wait_order(mine_here)
    [there] = second.wait_order(mine_there)
    [internal] = place.wait_order(staff_only)
    client = stack.client("dispatch")
    headers = contractor_headers(place, otis)

    listed = client.get("/dispatch/v1/contractor/work-orders", headers=headers).get_json()["items"]
    assert {o["id"] for o in listed} == {here["id"], there["id"]}
    assert {o["estate"] for o in listed} == {place.estate, second.estate}
    mine = next(o for o in listed if o["id"] == here["id"])
    assert mine["resident"]["phone"] == "13900001111" and mine["location"] == {
        "area": "Lobby B",
        "unit": None,
    }

    # the rival and a token limited to the other estate see none of it
    rival_list = client.get("/dispatch/v1/contractor/work-orders", headers=contractor_headers(place, rival))
    assert rival_list.get_json()["items"] == []
    narrow = contractor_headers(place, otis, estates=[second.estate])
    assert [
        o["id"] for o in client.get("/dispatch/v1/contractor/work-orders", headers=narrow).get_json()["items"]
    ] == [there["id"]]
    assert client.get(f"/dispatch/v1/contractor/work-orders/{here['id']}", headers=narrow).status_code == 404
    assert client.get(place.url(f"/work-orders/{here['id']}"), headers=narrow).status_code == 404
    assert (
        client.get(f"/dispatch/v1/contractor/work-orders/{internal['id']}", headers=headers).status_code
        == 404
    )
    assert client.get(place.url(f"/work-orders/{internal['id']}"), headers=headers).status_code == 404
    in_estate = client.get(place.url("/work-orders"), headers=headers).get_json()["items"]
    assert [o["id"] for o in in_estate] == [here["id"]]
    other_group = auth("contractor", group="grp-elsewhere", contractor=otis["id"])
    assert client.get("/dispatch/v1/contractor/work-orders", headers=other_group).status_code == 404
    assert (
        client.post(
            f"/dispatch/v1/contractor/work-orders/{internal['id']}/accept", json={}, headers=headers
        ).status_code
        == 404
    )
    assert (
        client.post(
            place.url(f"/work-orders/{here['id']}/reassign"),
            json={"team_id": here["team_id"], "reason": "x"},
            headers=headers,
        ).status_code
        == 403
    )

    # acting on its own order, then the phone is masked once the order is closed
    base = f"/dispatch/v1/contractor/work-orders/{here['id']}"
    for action, body in [
        ("accept", {}),
        ("arrive", {}),
        (
            "complete",
            {"result": "Door sensor replaced", "resident_signed": True, "resident_rating": "satisfied"},
        ),
    ]:
        r = client.post(f"{base}/{action}", json=body, headers=headers)
        assert r.status_code == 200, (action, r.get_json())
    closed = client.get(base, headers=headers).get_json()
    assert closed["status"] == "completed" and closed["resident"]["phone"] == "139****1111"
    assert closed["resident"]["phone_masked"] is True
    staff_view = place.get(f"/work-orders/{here['id']}").get_json()
    assert staff_view["resident"]["phone"] == "13900001111"

    # declining hands the ticket back to a supervisor
    r = client.post(
        f"/dispatch/v1/contractor/work-orders/{there['id']}/decline",
        json={"reason": "no parts"},
        headers=headers,
    )
    assert r.status_code == 200 and r.get_json()["status"] == "cancelled"
    unrouted = [t["id"] for t in second.get("/unrouted-tickets").get_json()["items"]]
    assert mine_there in unrouted
