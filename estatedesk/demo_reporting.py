"""Demo step for reporting: reporting builds everything from the other services' events, so there
is nothing to create here; check that head office's reports and dashboard answer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from estatedesk.demo import DemoClient


def seed(client: DemoClient) -> None:
    from estatedesk.demo import DEMO_GROUP

    month = datetime.now(UTC).strftime("%Y-%m")
    report = client.get(f"/reporting/v1/groups/{DEMO_GROUP}/estates", month=month)
    client.progress(
        f"  reporting: {len(report['items'])} estates compared for {month}; "
        "dashboard at /reporting/dashboard (sign in with the token below)"
    )
