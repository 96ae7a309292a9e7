"""Demo data for dispatch: teams, a lift contractor, the developer's warranty contractor, routing.

Each demo estate already has its default engineering, security and cleaning & greening teams (made
when dispatch learnt the estate); this step gives engineering a round-robin rotation, links the two
contractors to every estate as external teams, routes lift repairs to the lift contractor, and sets
a small paid-repair fee schedule. Idempotent: a second run finds everything in place.
"""

from __future__ import annotations

from estatedesk.demo import DEMO_ESTATES, DemoClient

CONTRACTORS = [
    {"name": "Otis Lift Service 奥的斯电梯维保", "discipline": "lift", "warranty": False},
    {"name": "Evergreen Developer Warranty 开发商保修", "discipline": "warranty", "warranty": True},
]
FEES = [
    {"code": "tap", "name": "Replace a tap 更换水龙头", "amount": "45.00"},
    {"code": "drain", "name": "Clear a blocked drain 疏通下水道", "amount": "60.00"},
    {"code": "socket", "name": "Replace a socket 更换插座", "amount": "30.00"},
]
TECHNICIANS = ["tech-wang", "tech-li", "tech-zhao"]


def _contractor_ids(client: DemoClient) -> dict[str, str]:
    for contractor in CONTRACTORS:
        created = client.post("/dispatch/v1/contractors", {"name": contractor["name"]})
        client.progress(f"  contractor {contractor['name']}: {'added' if created else 'already there'}")
    listed = client.get("/dispatch/v1/contractors")["items"]
    return {c["name"]: c["id"] for c in listed}


def seed(client: DemoClient) -> None:
    ids = _contractor_ids(client)
    for estate in DEMO_ESTATES:
        base = f"/dispatch/v1/estates/{estate['id']}"
        teams = {t["name"]: t for t in client.get(f"{base}/teams")["items"]}
        for contractor in CONTRACTORS:
            if contractor["name"] not in teams:
                client.post(
                    f"{base}/teams",
                    {
                        "name": contractor["name"],
                        "discipline": contractor["discipline"],
                        "contractor_id": ids[contractor["name"]],
                        "warranty": contractor["warranty"],
                    },
                )
        teams = {t["name"]: t for t in client.get(f"{base}/teams")["items"]}
        internal = [t for t in teams.values() if not t["contractor_id"]]
        engineering = next(t for t in internal if t["discipline"] == "engineering")
        client.send(
            "PATCH",
            f"{base}/teams/{engineering['id']}",
            {"strategy": "round_robin", "members": TECHNICIANS, "max_open_per_technician": 5},
        )
        lift = teams[CONTRACTORS[0]["name"]]
        rules = [r for r in client.get(f"{base}/routing")["rules"] if r["team_id"] != lift["id"]]
        lift_rule = {"category": "engineering", "kind": "repair", "tags": ["lift"], "team_id": lift["id"]}
        client.put(f"{base}/routing", {"rules": [lift_rule, *rules]})
        client.put(f"{base}/fee-schedule", {"items": FEES})
        client.progress(f"  dispatch {estate['id']}: {len(teams)} teams, routing and fee schedule set")
