"""The head-office dashboard in a real headless Chromium, served by the embedded stack.

Data arrives the way it does in production: estates registered over intake's HTTP API, the other
services' events published on the (in-memory) bus. Needs Debian's chromium; under CI=true a
missing browser is a failure, elsewhere a loud skip.
"""

from __future__ import annotations

import os
import shutil
import struct
import zlib
from pathlib import Path

import pytest
import requests

from tests.servers import in_ci
from tests.support import SECRET, publish_event, token, wait_for
from tests.unit.reporting.stream import Stream

CHROMIUM = os.environ.get("ESTATEDESK_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
GROUP = "evergreen"
MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
ESTATES = {  # estate → (name, region, satisfied callbacks of three, month by month)
    "harbour-view": ("Harbour View 海景花园", "South", [3, 3, 2, 3, 3, 3]),
    "maple-court": ("Maple Court 枫林苑", "South", [1, 2, 1, 2, 2, 1]),
    "riverside": ("Riverside 江畔名苑", "East", [2, 3, 2, 2, 3, 2]),
}


def _chromium_or_skip() -> str:
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if path:
        return path
    message = "Debian's chromium is not installed (apt-get install -y chromium): browser tests NOT RUN"
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from estatedesk.dev import Embedded

    system = Embedded(data_dir=tmp_path_factory.mktemp("embedded"), secret=SECRET, port=0)
    system.start(progress=lambda _m: None)
    try:
        seed(system.url)
        yield system.url
    finally:
        system.stop()


def seed(url: str) -> None:
    admin = {"Authorization": f"Bearer {token('admin', 'head_office', group=GROUP)}"}
    for estate, (name, region, _satisfied) in ESTATES.items():
        body = {"id": estate, "name": name, "code": estate[:2].upper(), "region": region}
        assert (
            requests.post(f"{url}/intake/v1/estates", json=body, headers=admin, timeout=10).status_code == 201
        )
    for estate in ESTATES:
        wait_for(
            lambda e=estate: requests.get(f"{url}/reporting/v1/estates/{e}", headers=admin, timeout=10).ok,
            timeout=20,
            what=f"reporting to learn {estate}",
        )
    total = 0
    for estate, (_name, _region, satisfied) in ESTATES.items():
        s = Stream(estate, group=GROUP)
        for m, month in enumerate(MONTHS):
            for n in range(4):
                t, cb = f"{month}-t{n}", f"{month}-cb{n}"
                good = n < satisfied[m]
                category = ("engineering", "cleaning", "security", "noise")[n]
                kind = "complaint" if category == "noise" else "repair"
                events = [
                    s.opened(
                        t,
                        f"{month}-10T02:00:00+00:00",
                        kind=kind,
                        category=category,
                        unit=f"1-{n}",
                        first_reply_due=f"{month}-10T09:00:00+00:00",
                        resolve_due=f"{month}-11T09:00:00+00:00",
                    ),
                    s.replied(t, f"{month}-10T{3 + 7 * (n == m % 4):02d}:00:00+00:00"),
                    s.arrived(t, f"w-{t}", f"{month}-10T02:10:00+00:00", on_time=n != 3),
                    s.completed(t, f"w-{t}", f"{month}-11T02:00:00+00:00", kind=kind, category=category),
                    s.scheduled(
                        cb, t, "complaint" if kind == "complaint" else "repair", f"{month}-11T02:00:01+00:00"
                    ),
                ]
                if n < 3:
                    events.append(
                        s.done(
                            cb,
                            t,
                            "repair",
                            f"{month}-12T02:00:00+00:00",
                            "satisfied" if good else "unsatisfied",
                            ratings={"attitude": "satisfied", "punctuality": "fairly_satisfied"},
                        )
                    )
                for event in events:
                    publish_event("memory://", event)
                total += len(events)

    def consumed() -> bool:
        r = requests.get(
            f"{url}/reporting/v1/groups/{GROUP}/estates?from={MONTHS[0]}&to={MONTHS[-1]}",
            headers=admin,
            timeout=10,
        )
        return r.ok and sum(row["tickets"] for row in r.json()["items"]) == len(ESTATES) * len(MONTHS) * 4

    wait_for(consumed, timeout=120, interval=0.5, what=f"reporting to project {total} events")


def coloured_pixels(png: bytes) -> int:
    """How many clearly coloured (not white/grey/black) pixels a PNG screenshot has."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, width = 8, [], 0
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
        data = png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", data[:10])
            assert depth == 8 and colour in (2, 6)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            chunks.append(data)
        pos += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    previous = bytearray(stride)
    count = 0
    for y in range(height):
        start = y * (stride + 1)
        ftype, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            upleft = previous[i - channels] if i >= channels else 0
            if ftype == 1:
                line[i] = (line[i] + left) & 0xFF
            elif ftype == 2:
                line[i] = (line[i] + up) & 0xFF
            elif ftype == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif ftype == 4:
                p = left + up - upleft
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - upleft)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else upleft
                line[i] = (line[i] + pred) & 0xFF
        for x in range(0, stride, channels):
            r, g, b = line[x], line[x + 1], line[x + 2]
            if max(r, g, b) - min(r, g, b) > 60:
                count += 1
        previous = line
    return count


@pytest.fixture(scope="module")
def browser():
    executable = _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=ARGS)
        yield b
        b.close()


def test_head_office_signs_in_and_sees_estates_ranked_with_charts_drawn(site, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{site}/reporting/dashboard?month=2026-06&lang=en")
    assert "/reporting/dashboard/sign-in" in page.url  # no token yet: the sign-in page
    page.fill("#token", token("head_office", group=GROUP))
    page.click("button[type=submit]")
    page.wait_for_selector("#ranking")
    assert "Head-office dashboard" in page.title()

    ranked = page.eval_on_selector_all("#ranking tbody tr", "rows => rows.map(r => r.dataset.estate)")
    assert ranked == ["harbour-view", "riverside", "maple-court"]

    for chart in ("ranking", "trend", "rates", "sla"):
        box = page.locator(f"#chart-{chart} svg").bounding_box()
        assert box and box["width"] > 300 and box["height"] > 100, chart
    assert page.locator("#chart-trend svg .series path.line").count() == len(ESTATES)
    assert page.locator("#chart-ranking svg .series rect").count() >= len(ESTATES)

    shot = Path(os.environ.get("ESTATEDESK_SCREENSHOT_DIR", tmp_path)) / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    for chart in ("ranking", "trend", "rates", "sla"):
        png = page.locator(f"#chart-{chart}").screenshot()
        assert coloured_pixels(png) > 800, f"the {chart} chart drew almost nothing"

    # Progressive JS: a click on a heading sorts the table in the page.
    page.click("#ranking th:nth-child(9)")  # tickets, ascending
    page.click("#ranking th:nth-child(4)")  # satisfaction, ascending
    ranked = page.eval_on_selector_all("#ranking tbody tr", "rows => rows.map(r => r.dataset.estate)")
    assert ranked == ["maple-court", "riverside", "harbour-view"]

    # The language switch.
    page.click("#lang-switch")
    page.wait_for_selector("text=各小区回访满意率排名")

    # Drill down to one estate: its QR004 table and nonconformance list, with exports.
    page.click("a:has-text('Maple Court')")
    page.wait_for_selector("#qr004")
    assert page.locator("#qr004 tbody tr").count() == 8
    assert page.locator("#qr004 tr[data-area=engineering_repairs] td").nth(0).inner_text() == "工程维修"
    assert page.locator("#nonconformance tr[data-type=callback_unsatisfied]").count() >= 1
    page.screenshot(path=str(shot.with_name("estate.png")), full_page=True)
    with page.expect_download() as download:
        page.click("#qr004 a:has-text('Excel')")
    assert download.value.suggested_filename == "qr004-maple-court-2026-06.xlsx"
    page.close()


def test_a_token_without_head_office_is_refused_by_the_page(site, browser):
    page = browser.new_page()
    page.goto(f"{site}/reporting/dashboard/sign-in?lang=en")
    page.fill("#token", token("agent", group=GROUP, estates=["harbour-view"]))
    page.click("button[type=submit]")
    assert page.locator("text=This page is for head-office staff.").count() == 1
    page.close()
