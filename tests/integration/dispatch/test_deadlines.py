"""The deadline timer: a warning before the breach, `workorder.overdue` at it, then the manager."""

from datetime import datetime, timedelta

from services.dispatch.timers import check_deadlines
from shared.events import load_data, parse_event


def at(order: dict, key: str) -> datetime:
    return datetime.fromisoformat(order["due"][key])


def test_a_late_public_area_repair_is_warned_then_overdue_to_the_supervisor_then_the_manager(place):
    ticket_id, _ = place.open_ticket(location={"area": "Lift lobby, block 3"})
    [order] = place.wait_order(ticket_id)
    due = at(order, "arrive_by")
    assert due - datetime.fromisoformat(order["assigned_at"]) == timedelta(minutes=15)

    check_deadlines(place.sessions, now=due - timedelta(minutes=6))
    assert place.events("workorder.due_soon", order["id"]) == []
    check_deadlines(place.sessions, now=due - timedelta(minutes=4))
    check_deadlines(place.sessions, now=due - timedelta(minutes=3))  # a second tick sends nothing new
    [warning] = place.events("workorder.due_soon", order["id"])
    assert warning["data"]["deadline"] == "arrive_by"

    check_deadlines(place.sessions, now=due + timedelta(seconds=1))
    check_deadlines(place.sessions, now=due + timedelta(minutes=2))
    [breach] = place.events("workorder.overdue", order["id"])
    data = load_data(parse_event(breach))
    assert data["escalated_to"] == "supervisor" and data["due_at"] == due and data["deadline"] == "arrive_by"

    check_deadlines(place.sessions, now=due + timedelta(minutes=61))
    levels = [e["data"]["escalated_to"] for e in place.events("workorder.overdue", order["id"])]
    assert levels == ["supervisor", "manager"]
    steps = [s["action"] for s in place.get(f"/work-orders/{order['id']}").get_json()["steps"]]
    assert steps[-3:] == ["warning:arrive_by", "supervisor:arrive_by", "manager:arrive_by"]


def test_waiting_for_parts_pauses_the_clock_and_moves_the_deadline(place):
    ticket_id, _ = place.open_ticket()
    [order] = place.wait_order(ticket_id)
    base = f"/work-orders/{order['id']}"
    due = at(order, "arrive_by")
    place.post(f"{base}/accept", {}, "technician")
    paused = place.post(
        f"{base}/pause", {"reason": "waiting_parts", "note": "new ballast ordered"}, "technician"
    )
    assert paused.status_code == 200 and paused.get_json()["paused"]["reason"] == "waiting_parts"
    assert place.post(f"{base}/pause", {"reason": "waiting_parts"}, "technician").status_code == 409

    check_deadlines(place.sessions, now=due + timedelta(hours=2))  # paused: nothing is late
    assert place.events("workorder.overdue", order["id"]) == []
    assert place.events("workorder.due_soon", order["id"]) == []

    resumed = place.post(f"{base}/resume", {}, "technician").get_json()
    assert resumed["paused"] is None
    assert at(resumed, "arrive_by") > due  # moved by the length of the pause
    assert place.post(f"{base}/resume", {}, "technician").status_code == 409


def test_a_complaint_is_due_by_its_resolution_deadline_and_arrival_stops_nothing(place):
    resolve_due = datetime.fromisoformat("2030-03-01T18:00:00+08:00")
    ticket_id, _ = place.open_ticket(
        kind="complaint",
        category="cleaning",
        severity="minor",
        resolve_due=resolve_due.isoformat(),
        location={"area": "Bins"},
    )
    [order] = place.wait_order(ticket_id)
    assert at(order, "complete_by") == resolve_due and order["due"]["arrive_by"] is None
    base = f"/work-orders/{order['id']}"
    place.post(f"{base}/accept", {}, "technician")
    place.post(f"{base}/arrive", {}, "technician")
    check_deadlines(place.sessions, now=resolve_due + timedelta(minutes=1))
    [breach] = place.events("workorder.overdue", order["id"])
    assert breach["data"]["deadline"] == "complete_by"


def test_an_estate_sets_its_own_deadlines_and_bad_settings_change_nothing(place):
    r = place.client.put(
        place.url("/settings"), json={"public_arrive_minutes": 30}, headers=place.headers("manager")
    )
    assert r.status_code == 200 and r.get_json()["public_arrive_minutes"] == 30
    assert r.get_json()["complaint_resolve_workdays"] == 3  # the rest keep DOMAIN.md's defaults
    for bad in ({"public_arrive_minutes": 0}, {"public_arrive_minutes": "soon"}, {"coffee_break_minutes": 5}):
        r = place.client.put(place.url("/settings"), json=bad, headers=place.headers("manager"))
        assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert (
        place.client.put(place.url("/settings"), json={}, headers=place.headers("agent")).status_code == 403
    )
    assert place.get("/settings").get_json()["public_arrive_minutes"] == 30

    ticket_id, _ = place.open_ticket()
    [order] = place.wait_order(ticket_id)
    assert at(order, "arrive_by") - datetime.fromisoformat(order["assigned_at"]) == timedelta(minutes=30)
