"""Demo callback policies: the DOMAIN.md §3 defaults, and one estate on the 1–2-month preset (004)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from estatedesk.demo import DemoClient

# estate → (preset, rule overrides); each saved once, so a second run adds no policy version.
DEMO_POLICIES: dict[str, tuple[str, list]] = {
    "harbour-view": ("default", []),
    "maple-court": ("default", []),
    "riverside": ("months-30", []),
}


def seed(client: DemoClient) -> None:
    for estate, (preset, overrides) in DEMO_POLICIES.items():
        url = f"/callback/v1/estates/{estate}/policy"
        current = client.get(url)
        if current["created_at"] is not None and (current["preset"], current["overrides"]) == (
            preset,
            overrides,
        ):
            client.progress(f"  callback policy {estate}: {preset} v{current['version']} already there")
            continue
        saved = client.put(url, {"preset": preset, "rules": overrides})
        client.progress(f"  callback policy {estate}: {preset} saved as v{saved['version']}")
