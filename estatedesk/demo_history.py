"""Demo step: a morning's finished work, so head office has callbacks (回访) to look at.

For each demo estate, a few of the routed work orders are carried through dispatch (accepted, on
site, completed with the resident's signature and rating) and the callbacks the estate's policy
schedules for them are made, with a spread of outcomes. All through the public API; an estate that
already has completed work is left alone, so a second run adds nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from estatedesk.demo import DemoClient

# (rating on the slip, callback outcome, its three ratings: punctuality, attitude, quality)
OUTCOMES = [
    ("satisfied", "satisfied", ("satisfied", "satisfied", "satisfied")),
    (None, "fairly_satisfied", ("fairly_satisfied", "satisfied", "fairly_satisfied")),
    ("fairly_satisfied", "satisfied", ("satisfied", "satisfied", "satisfied")),
    ("unsatisfied", "unsatisfied", ("fairly_satisfied", "satisfied", "unsatisfied")),
]


def seed(client: DemoClient) -> None:
    from estatedesk.demo import DEMO_ESTATES

    for n, estate in enumerate(DEMO_ESTATES):
        orders_url = f"/dispatch/v1/estates/{estate['id']}/work-orders"
        if client.get(orders_url, status="completed")["items"]:
            client.progress(f"  history of {estate['id']}: already there")
            continue
        # The seeded tickets reach dispatch through the bus: wait until they are routed.
        client.wait_until(
            f"work orders at {estate['id']}",
            lambda u=orders_url: len(client.get(u, status="assigned")["items"]) >= 3,
        )
        orders = client.get(orders_url, status="assigned")["items"][: len(OUTCOMES) - (n % 2)]
        outcomes = {}
        for order, (slip, outcome, ratings) in zip(orders, OUTCOMES, strict=False):
            for step in ("accept", "arrive"):
                client.post(f"{orders_url}/{order['id']}/{step}", {}, ok=(200,), tolerate=(409,))
            client.post(
                f"{orders_url}/{order['id']}/complete",
                {
                    "result": "Fixed and tested with the resident",
                    "resident_signed": slip is not None,
                    "resident_rating": slip,
                },
                ok=(200,),
                tolerate=(409, 422),
            )
            outcomes[order["ticket_id"]] = (outcome, ratings)
        made = _make_callbacks(client, estate["id"], outcomes)
        client.progress(f"  history of {estate['id']}: {len(orders)} orders completed, {made} callbacks made")


def _make_callbacks(client: DemoClient, estate: str, outcomes: dict) -> int:
    url = f"/callback/v1/estates/{estate}/callbacks"

    def scheduled() -> list:
        return [
            c for c in client.get(url, status="scheduled", limit=200)["items"] if c["ticket_id"] in outcomes
        ]

    # Sampling may skip some satisfied slips; wait until the policy has decided on the mandatory ones.
    client.wait_until(f"callbacks at {estate}", lambda: len(scheduled()) >= 2)
    made = 0
    for callback in scheduled():
        outcome, (punctuality, attitude, quality) = outcomes[callback["ticket_id"]]
        client.post(
            f"{url}/{callback['id']}/attempts",
            {
                "method": "phone",
                "reached": True,
                "satisfaction": outcome,
                "ratings": {"punctuality": punctuality, "attitude": attitude, "quality": quality},
                "comments": "回访：住户反馈"
                + {"satisfied": "满意", "fairly_satisfied": "较满意"}.get(outcome, "不满意"),
            },
            ok=(200, 201),
            tolerate=(409,),
        )
        made += 1
    return made
