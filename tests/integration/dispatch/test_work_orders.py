"""Tickets from intake become work orders over the real bus; the order's life over HTTP."""

import uuid
from datetime import UTC, datetime

from shared.events import load_data, parse_event
from tests.integration.dispatch.conftest import new_place
from tests.support import publish_event, wait_for


def test_a_new_estate_gets_default_teams_and_routing(place):
    teams = place.get("/teams").get_json()["items"]
    assert {t["discipline"] for t in teams} == {"engineering", "security", "cleaning"}
    rules = place.get("/routing").get_json()["rules"]
    by_category = {r["category"]: r["team_id"] for r in rules}
    engineering = next(t["id"] for t in teams if t["discipline"] == "engineering")
    assert by_category["engineering"] == engineering


def test_a_repair_delivered_twice_creates_exactly_one_work_order(place):
    ticket_id, event = place.open_ticket()
    publish_event(place.stack.broker_url, event)  # the broker redelivers the very same event
    place.open_ticket(ticket_id=ticket_id)  # and intake announces the same ticket again
    [order] = place.wait_order(ticket_id)
    assigned = wait_for(lambda: place.events("workorder.assigned", order["id"]), what="workorder.assigned")
    # give the duplicates every chance to be consumed before counting
    marker, _ = place.open_ticket()
    place.wait_order(marker)
    assert len(place.orders_of(ticket_id)) == 1 and len(assigned) == 1
    assert order["status"] == "assigned" and order["kind"] == "repair" and not order["rework"]
    assert order["due"]["arrive_by"] is not None  # public area: 15 minutes
    data = load_data(parse_event(assigned[0]))
    assert data["team_id"] == order["team_id"] and data["ticket_id"] == ticket_id
    assert assigned[0]["correlation_id"] == event.correlation_id


def test_inquiries_stay_at_the_desk_and_unmatched_tickets_wait_for_a_supervisor(place):
    inquiry, _ = place.open_ticket(kind="inquiry", category="fees")
    parking, _ = place.open_ticket(kind="repair", category="parking", location={"area": "Car park B2"})
    unrouted = wait_for(
        lambda: [t for t in place.get("/unrouted-tickets").get_json()["items"] if t["id"] == parking],
        what="the parking ticket to show as unrouted",
    )
    assert unrouted[0]["category"] == "parking"
    assert place.orders_of(inquiry) == []
    ids = [t["id"] for t in place.get("/unrouted-tickets").get_json()["items"]]
    assert inquiry not in ids

    security = next(t for t in place.get("/teams").get_json()["items"] if t["discipline"] == "security")
    r = place.post(
        f"/unrouted-tickets/{parking}/route", {"team_id": security["id"], "note": "guards handle it"}
    )
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["team_id"] == security["id"]
    assert parking not in [t["id"] for t in place.get("/unrouted-tickets").get_json()["items"]]
    again = place.post(f"/unrouted-tickets/{parking}/route", {"team_id": security["id"]})
    assert again.status_code == 409


def test_an_order_is_accepted_arrived_and_completed_with_the_ticket_facts_on_completion(place):
    ticket_id, _ = place.open_ticket(
        kind="repair",
        category="engineering",
        tags=["leak"],
        location={"unit": "3-1201"},
        severity=None,
        appointment={"start": "2030-01-01T10:00:00+08:00"},
    )
    [order] = place.wait_order(ticket_id)
    base = f"/work-orders/{order['id']}"
    assert (
        place.post(
            f"{base}/complete",
            {"result": "x", "resident_signed": True, "resident_rating": None},
            "technician",
        ).status_code
        == 409
    )
    assert place.post(f"{base}/accept", {}, "technician", sub="tech-wang").status_code == 200
    arrived = place.post(f"{base}/arrive", {"note": "at the door"}, "technician", sub="tech-wang")
    assert arrived.status_code == 200 and arrived.get_json()["status"] == "on_site"
    done = place.post(
        f"{base}/complete",
        {
            "result": "Replaced the seal under the sink",
            "materials": [{"name": "seal", "quantity": "2"}],
            "resident_signed": True,
            "resident_rating": "fairly_satisfied",
        },
        "technician",
        sub="tech-wang",
    )
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert body["status"] == "completed" and body["resident_rating"] == "fairly_satisfied"
    assert [s["action"] for s in body["steps"]] == ["assigned", "accepted", "arrived", "completed"]
    assert body["steps"][1]["actor"] == "tech-wang" and body["technician"] == "tech-wang"
    [completed] = place.events("workorder.completed", order["id"])
    data = load_data(parse_event(completed))
    assert (data["kind"], data["category"], data["tags"]) == ("repair", "engineering", ["leak"])
    assert data["location"]["unit"] == "3-1201" and data["resident_signed"] is True
    assert data["resident_rating"] == "fairly_satisfied" and data["arrived_on_time"] is True
    assert len(place.events("workorder.accepted", order["id"])) == 1
    assert len(place.events("workorder.arrived", order["id"])) == 1
    again = place.post(f"{base}/accept", {}, "technician")
    assert again.status_code == 409 and again.mimetype == "application/problem+json"


def test_reopening_a_ticket_creates_a_flagged_rework_order_for_the_same_team(place):
    ticket_id, _ = place.open_ticket()
    [first] = place.wait_order(ticket_id)
    base = f"/work-orders/{first['id']}"
    for action, body in [
        ("accept", {}),
        ("arrive", {}),
        ("complete", {"result": "fixed", "resident_signed": False, "resident_rating": None}),
    ]:
        assert place.post(f"{base}/{action}", body, "technician").status_code == 200
    now = datetime.now(UTC).isoformat()
    reopen = {
        "ticket_id": ticket_id,
        "number": "T-1",
        "reopen_count": 1,
        "reopened_at": now,
        "work_order_id": first["id"],
    }
    event = place.publish("ticket.reopened", **reopen)
    publish_event(place.stack.broker_url, event)
    place.publish("ticket.reopened", **reopen)  # a duplicated business event
    orders = place.wait_order(ticket_id, 2, "a rework order")
    rework = next(o for o in orders if o["rework"])
    assert rework["rework_of"] == first["id"] and rework["team_id"] == first["team_id"]
    assert rework["status"] == "assigned"
    marker, _ = place.open_ticket()
    place.wait_order(marker)
    assert len(place.orders_of(ticket_id)) == 2

    place.publish("ticket.closed", ticket_id=ticket_id, number="T-1", reason="desk", closed_at=now)
    wait_for(
        lambda: place.get(f"/work-orders/{rework['id']}").get_json()["status"] == "cancelled",
        what="the open rework order to be cancelled when the ticket closes",
    )
    assert place.get(base).get_json()["status"] == "completed"
    [cancelled] = place.events("workorder.cancelled", rework["id"])
    assert cancelled["data"]["reason"] == "ticket closed: desk" and cancelled["data"]["by"] == "intake"


def test_a_supervisor_reassigns_and_every_step_is_logged(place):
    ticket_id, _ = place.open_ticket()
    [order] = place.wait_order(ticket_id)
    security = next(t for t in place.get("/teams").get_json()["items"] if t["discipline"] == "security")
    r = place.post(
        f"/work-orders/{order['id']}/reassign",
        {"team_id": security["id"], "reason": "gate issue"},
        "supervisor",
        sub="sup-li",
    )
    assert r.status_code == 200
    body = r.get_json()
    assert body["team_id"] == security["id"] and body["status"] == "assigned"
    assert body["steps"][-1] == {
        **body["steps"][-1],
        "action": "reassigned",
        "actor": "sup-li",
        "note": "gate issue",
    }
    [event] = place.events("workorder.reassigned", order["id"])
    assert event["data"]["from_team_id"] == order["team_id"] and event["data"]["reason"] == "gate issue"
    assert (
        place.post(
            f"/work-orders/{order['id']}/reassign", {"team_id": security["id"], "reason": "x"}, "technician"
        ).status_code
        == 403
    )


def test_a_paid_repair_needs_consent_and_a_refusal_closes_the_order(place):
    fees = {"items": [{"code": "tap", "name": "Replace tap", "amount": "45.50"}]}
    assert (
        place.client.put(place.url("/fee-schedule"), json=fees, headers=place.headers("manager")).status_code
        == 200
    )
    ticket_id, _ = place.open_ticket(kind="special_service", location={"unit": "2-301"})
    [order] = place.wait_order(ticket_id)
    base = f"/work-orders/{order['id']}"
    place.post(f"{base}/accept", {}, "technician")
    place.post(f"{base}/arrive", {}, "technician")
    q = place.post(f"{base}/quote", {"items": [{"code": "tap", "quantity": 2}]}, "technician")
    assert q.status_code == 200 and q.get_json()["quote"]["amount"] == "91.00"
    done = {"result": "ok", "resident_signed": True, "resident_rating": "satisfied"}
    assert place.post(f"{base}/complete", done, "technician").status_code == 409  # no consent yet
    assert place.post(f"{base}/consent", {"consented": True}, "technician").status_code == 200
    finished = place.post(f"{base}/complete", done, "technician").get_json()
    assert finished["fee"] == {"amount": "91.00", "consented": True}

    other, _ = place.open_ticket(kind="special_service", location={"unit": "2-302"})
    [refused] = place.wait_order(other)
    base = f"/work-orders/{refused['id']}"
    place.post(f"{base}/accept", {}, "technician")
    place.post(f"{base}/quote", {"items": [{"code": "tap"}]}, "technician")
    assert place.post(f"{base}/consent", {"consented": False}, "technician").status_code == 422
    r = place.post(f"{base}/consent", {"consented": False, "reason": "too expensive"}, "technician")
    assert r.get_json()["status"] == "cancelled" and "too expensive" in r.get_json()["cancel_reason"]


def test_bad_input_is_a_problem_and_writes_nothing(place):
    ticket_id, _ = place.open_ticket()
    [order] = place.wait_order(ticket_id)
    base = f"/work-orders/{order['id']}"
    before = place.order_rows()
    cases = [
        (f"{base}/reassign", {"team_id": "nope", "reason": "x"}),
        (f"{base}/reassign", {"reason": "x"}),
        (f"{base}/accept", {"surprise": True}),
        (f"{base}/pause", {"reason": "lunch"}),
        ("/teams", {"name": "", "discipline": "engineering"}),
        ("/teams", {"name": "Night shift", "discipline": "astrology"}),
        ("/routing", {"rules": [{"category": "engineering", "team_id": "nope"}]}),
    ]
    for path, body in cases:
        method = place.client.put if path == "/routing" else place.client.post
        r = method(place.url(path), json=body, headers=place.headers("supervisor"))
        assert r.status_code == 422, (path, body, r.get_json())
        assert r.mimetype == "application/problem+json"
    r = place.client.post(
        place.url(f"{base}/accept"),
        data="{not json",
        headers={**place.headers("technician"), "content-type": "application/json"},
    )
    assert r.status_code in (400, 422) and r.mimetype == "application/problem+json"
    assert place.get(f"/work-orders/{uuid.uuid4()}").status_code == 404
    assert place.get("/work-orders?status=lost").status_code == 422
    detail = place.get(base).get_json()
    assert detail["status"] == "assigned" and len(detail["steps"]) == 1
    assert len(place.get("/teams").get_json()["items"]) == 3
    assert place.order_rows() == before


def test_another_estate_cannot_see_the_order(stack, place):
    ticket_id, _ = place.open_ticket()
    [order] = place.wait_order(ticket_id)
    other = new_place(stack, place.group)
    headers = other.headers("supervisor")
    assert (
        stack.client("dispatch").get(place.url(f"/work-orders/{order['id']}"), headers=headers).status_code
        == 404
    )
    assert (
        stack.client("dispatch").get(other.url(f"/work-orders/{order['id']}"), headers=headers).status_code
        == 404
    )


def test_round_robin_spreads_orders_over_technicians_up_to_their_cap(place):
    engineering = next(t for t in place.get("/teams").get_json()["items"] if t["discipline"] == "engineering")
    r = place.client.patch(
        place.url(f"/teams/{engineering['id']}"),
        json={"strategy": "round_robin", "members": ["wang", "li"], "max_open_per_technician": 1},
        headers=place.headers("manager"),
    )
    assert r.status_code == 200, r.get_json()
    orders = []
    for _ in range(3):
        ticket_id, _ = place.open_ticket()
        orders += place.wait_order(ticket_id)
    technicians = [o["technician"] for o in orders]
    assert technicians == ["wang", "li", None]  # both at their cap: the third waits in the pool
    pooled = orders[2]
    outsider = place.post(f"/work-orders/{pooled['id']}/accept", {}, "technician", sub="zhao")
    assert outsider.status_code == 403  # not a member of the team
    grabbed = place.post(f"/work-orders/{pooled['id']}/accept", {}, "technician", sub="li")
    assert grabbed.status_code == 200 and grabbed.get_json()["technician"] == "li"
    wangs = place.post(f"/work-orders/{orders[0]['id']}/accept", {}, "technician", sub="li")
    assert wangs.status_code == 403  # given to wang by the rotation


def test_a_warranty_defect_goes_to_the_developers_warranty_contractor(place):
    r = place.stack.client("dispatch").post(
        "/dispatch/v1/contractors",
        json={"name": f"Developer warranty {place.estate}"},
        headers=place.headers("admin", estates=["*"]),
    )
    contractor = r.get_json()
    team = place.post(
        "/teams",
        {"name": "Warranty", "discipline": "warranty", "contractor_id": contractor["id"], "warranty": True},
        "manager",
    ).get_json()
    ticket_id, _ = place.open_ticket(tags=["warranty", "leak"], location={"unit": "5-802"})
    [order] = place.wait_order(ticket_id)
    assert order["team_id"] == team["id"] and order["contractor_id"] == contractor["id"]


def test_an_in_unit_repair_is_due_at_the_agreed_appointment(place):
    ticket_id, _ = place.open_ticket(location={"unit": "7-1503"})
    [order] = place.wait_order(ticket_id)
    assert order["due"]["arrive_by"] is None
    r = place.post(f"/work-orders/{order['id']}/appoint", {"start": "2030-05-01T15:00:00+08:00"}, "agent")
    assert r.status_code == 200, r.get_json()
    assert datetime.fromisoformat(r.get_json()["due"]["arrive_by"]) == datetime.fromisoformat(
        "2030-05-01T14:55:00+08:00"
    )
    bad = place.post(
        f"/work-orders/{order['id']}/appoint",
        {"start": "2030-05-01T15:00:00+08:00", "end": "2030-05-01T14:00:00+08:00"},
        "agent",
    )
    assert bad.status_code == 422


def test_a_ticket_closed_before_its_opening_arrives_gets_no_order(place):
    ticket_id = str(uuid.uuid4())
    now = datetime.now(UTC).isoformat()
    place.publish("ticket.closed", ticket_id=ticket_id, number="T-9", reason="desk", closed_at=now)
    place.open_ticket(ticket_id=ticket_id)
    marker, _ = place.open_ticket()
    place.wait_order(marker)
    assert place.orders_of(ticket_id) == []
