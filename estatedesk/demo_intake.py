"""Demo data for intake: units, residents and a spread of open tickets per demo estate.

Idempotent: units are imported with `skip_existing`, residents only into empty units, and tickets
only into an estate that has none yet.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # demo.py imports this module to list it in STEPS
    from estatedesk.demo import DemoClient

BUILDINGS = 3
FLOORS = 6
PER_FLOOR = 4
RESIDENTS = [
    ("1-0101", "Li Wei 李伟", "13812345678", "owner"),
    ("1-0203", "Wang Fang 王芳", "13900001111", "tenant"),
    ("2-0302", "Zhang Min 张敏", "13711112222", "owner"),
    ("3-0504", "Chen Jie 陈杰", "13622223333", "owner"),
]


def _units_csv() -> str:
    lines = ["code,building,floor,occupied"]
    for b in range(1, BUILDINGS + 1):
        for f in range(1, FLOORS + 1):
            for n in range(1, PER_FLOOR + 1):
                lines.append(f"{b}-{f:02d}{n:02d},{b},{f},{'no' if (b + f + n) % 7 == 0 else 'yes'}")
    return "\n".join(lines) + "\n"


def _tickets(residents: dict[str, dict]) -> list[tuple[dict, dict | None]]:
    """(ticket body, follow-up) pairs; a follow-up is a desk resolution or a reply."""
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(hour=2, minute=0, second=0, microsecond=0)
    li, wang, zhang = residents.get("1-0101"), residents.get("1-0203"), residents.get("2-0302")

    def by(resident):
        return {"resident_id": resident["id"]} if resident else {"name": "Resident", "phone": "13800000000"}

    return [
        (
            {
                "kind": "repair",
                "category": "engineering",
                "channel": "phone",
                "description": "Kitchen tap leaking under the sink 厨房水龙头漏水",
                "location": {"unit": "1-0101"},
                "reporter": by(li),
                "tags": ["leak"],
                "appointment": {
                    "start": tomorrow.isoformat(),
                    "end": (tomorrow + timedelta(hours=2)).isoformat(),
                },
            },
            None,
        ),
        (
            {
                "kind": "repair",
                "category": "engineering",
                "channel": "inspection",
                "urgent": True,
                "description": "Lift B stops between floors 电梯困梯",
                "location": {"area": "Block 2 lift B"},
                "reporter": {"name": "Patrol guard 巡逻保安", "phone": "13500005555"},
            },
            None,
        ),
        (
            {
                "kind": "repair",
                "category": "cleaning",
                "channel": "visit",
                "description": "Blocked drain in the bathroom 卫生间下水道堵塞",
                "location": {"unit": "1-0203"},
                "reporter": by(wang),
                "tags": ["drain_blockage"],
            },
            None,
        ),
        (
            {
                "kind": "complaint",
                "category": "noise",
                "channel": "phone",
                "severity": "minor",
                "description": "Renovation noise after 8 pm 晚上装修噪音",
                "location": {"unit": "2-0302"},
                "reporter": by(zhang),
            },
            {"reply": {"message": "We will remind the renovating unit today.", "channel": "phone"}},
        ),
        (
            {
                "kind": "complaint",
                "category": "security",
                "channel": "letter",
                "severity": "important",
                "description": "Gate guard let a stranger in without registration 门岗未登记放行",
                "location": {"area": "North gate 北门"},
                "reporter": by(li),
                "written": True,
            },
            None,
        ),
        (
            {
                "kind": "complaint",
                "category": "engineering",
                "channel": "visit",
                "severity": "major",
                "description": "Water pipe burst flooded the basement storage again 地下室再次水浸",
                "location": {"area": "Basement storage 地下储物间"},
                "reporter": by(zhang),
                "urgent": True,
            },
            None,
        ),
        (
            {
                "kind": "complaint",
                "category": "greening",
                "channel": "online",
                "anonymous": True,
                "description": "Hedges not trimmed for two months 绿篱两个月未修剪",
                "location": {"area": "Central garden"},
            },
            None,
        ),
        (
            {
                "kind": "inquiry",
                "category": "fees",
                "channel": "phone",
                "description": "When is the management fee due? 物业费何时缴纳",
                "location": {"unit": "1-0203"},
                "reporter": by(wang),
            },
            {
                "resolution": {
                    "outcome": "answered",
                    "note": "By the 15th of each month at the service centre.",
                }
            },
        ),
    ]


def seed(client: DemoClient) -> None:
    from estatedesk.demo import DEMO_ESTATES

    for estate in DEMO_ESTATES:
        base = f"/intake/v1/estates/{estate['id']}"
        r = client.http.post(
            f"{client.base}{base}/units/import",
            params={"skip_existing": "true"},
            data=_units_csv().encode(),
            headers={"Content-Type": "text/csv"},
            timeout=60,
        )
        if r.status_code != 201:
            raise RuntimeError(f"unit import for {estate['id']} failed: {r.status_code} {r.text[:300]}")
        client.progress(f"  units of {estate['id']}: {r.json()['imported']} imported")

        residents = {}
        for unit, name, phone, role in RESIDENTS:
            existing = client.get(f"{base}/residents", unit=unit)["items"]
            if existing:
                residents[unit] = existing[0]
                continue
            residents[unit] = client.post(
                f"{base}/residents", {"name": name, "phone": phone, "unit": unit, "role": role}
            )

        if client.get(f"{base}/tickets", limit=1)["items"]:
            client.progress(f"  tickets of {estate['id']}: already there")
            continue
        for body, follow_up in _tickets(residents):
            ticket = client.post(f"{base}/tickets", body)
            if follow_up and "resolution" in follow_up:
                client.post(f"{base}/tickets/{ticket['id']}/resolution", follow_up["resolution"])
            if follow_up and "reply" in follow_up:
                client.post(f"{base}/tickets/{ticket['id']}/replies", follow_up["reply"])
        client.progress(f"  tickets of {estate['id']}: {len(_tickets(residents))} taken")
