"""The estate directory: units, bulk CSV import (all or nothing), residents moving in."""

import pytest

from tests.integration.intake.helpers import Desk
from tests.support import auth


@pytest.fixture
def desk(stack):
    return Desk(stack, units=())


def import_csv(desk, text, **query):
    return desk.http.post(
        desk.url("units", "import"),
        data=text.encode(),
        query_string=query,
        headers={**desk.agent(), "Content-Type": "text/csv"},
    )


def unit_codes(desk):
    codes, cursor = [], None
    while True:
        q = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = desk.http.get(desk.url("units"), query_string=q, headers=desk.agent()).get_json()
        codes += [u["code"] for u in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            return codes


def test_a_few_thousand_units_import_at_once(desk):
    lines = ["code,building,floor,occupied"]
    lines += [
        f"{b}-{f:02d}{n:02d},{b},{f},{'yes' if n % 3 else 'no'}"
        for b in range(1, 11)
        for f in range(1, 31)
        for n in range(1, 11)
    ]
    r = import_csv(desk, "\n".join(lines))
    assert r.status_code == 201, r.get_json()
    assert r.get_json() == {"imported": 3000, "skipped": 0}
    codes = unit_codes(desk)
    assert len(codes) == 3000 and codes == sorted(codes)


def test_one_bad_line_imports_nothing_and_names_every_bad_line(desk):
    text = "code,building,floor,occupied\nA-101,A,1,yes\nbad code!,A,1,yes\nA-102,A,high,yes\nA-101,A,1,no\n"
    r = import_csv(desk, text)
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert set(r.get_json()["errors"]) == {"line 3", "line 4", "line 5"}
    assert unit_codes(desk) == []


def test_existing_units_are_errors_unless_skipped(desk):
    assert import_csv(desk, "code\nB-1\nB-2\n").status_code == 201
    r = import_csv(desk, "code\nB-2\nB-3\n")
    assert r.status_code == 422 and "line 2" in r.get_json()["errors"]
    r = import_csv(desk, "code\nB-2\nB-3\n", skip_existing="true")
    assert r.get_json() == {"imported": 1, "skipped": 1}
    assert unit_codes(desk) == ["B-1", "B-2", "B-3"]


def test_a_csv_without_a_code_column_is_refused(desk):
    r = import_csv(desk, "name,floor\nx,1\n")
    assert r.status_code == 422


def test_a_resident_moves_in_and_is_announced(desk):
    desk.http.post(desk.url("units"), json={"code": "C-1"}, headers=desk.agent())
    r = desk.http.post(
        desk.url("residents"),
        json={
            "name": "Wang Fang 王芳",
            "phone": "13900001111",
            "unit": "C-1",
            "role": "owner",
            "moved_in_on": "2026-11-01",
        },
        headers=desk.agent(),
    )
    assert r.status_code == 201, r.get_json()
    resident = r.get_json()
    data = desk.outbox("resident.moved_in")[-1]["data"]
    assert (
        data["resident_id"] == resident["id"]
        and data["unit"] == "C-1"
        and data["moved_in_on"] == "2026-11-01"
    )
    listed = desk.http.get(
        desk.url("residents"), query_string={"unit": "C-1"}, headers=auth("head_office", group=desk.group)
    )
    assert listed.get_json()["items"][0]["phone"] == "139****1111"
    t = desk.open(location={"unit": "C-1"}, reporter={"resident_id": resident["id"]})
    assert t["reporter"] == {"name": "Wang Fang 王芳", "phone": "13900001111", "resident_id": resident["id"]}


def test_a_resident_needs_a_unit_of_this_estate(desk):
    before = desk.counts()
    r = desk.http.post(
        desk.url("residents"),
        json={"name": "Nobody", "phone": "13900001111", "unit": "Z-9", "role": "tenant"},
        headers=desk.agent(),
    )
    assert r.status_code == 422 and "unit" in r.get_json()["errors"]
    r = desk.http.post(
        desk.url("residents"),
        json={"name": "Nobody", "phone": "13900001111", "unit": "Z-9", "role": "landlord"},
        headers=desk.agent(),
    )
    assert r.status_code == 422 and "role" in r.get_json()["errors"]
    assert desk.counts() == before


def test_a_duplicate_unit_is_a_conflict(desk):
    assert desk.http.post(desk.url("units"), json={"code": "D-1"}, headers=desk.agent()).status_code == 201
    assert desk.http.post(desk.url("units"), json={"code": "D-1"}, headers=desk.agent()).status_code == 409


def test_residents_import_from_csv_all_or_nothing_and_each_is_announced(desk):
    assert import_csv(desk, "code\nE-1\nE-2\n").status_code == 201
    header = "name,phone,unit,role,moved_in_on\n"
    bad = (
        header
        + "Zhao,13911112222,E-1,owner,2026-10-01\nQian,call me,E-2,tenant,\nSun,13911113333,E-9,owner,\n"
    )
    r = desk.http.post(
        desk.url("residents", "import"),
        data=bad.encode(),
        headers={**desk.agent(), "Content-Type": "text/csv"},
    )
    assert r.status_code == 422 and set(r.get_json()["errors"]) == {"line 3", "line 4"}
    assert desk.outbox("resident.moved_in") == []
    good = header + "Zhao,13911112222,E-1,owner,2026-10-01\nQian,13911114444,E-2,tenant,\n"
    r = desk.http.post(
        desk.url("residents", "import"),
        data=good.encode(),
        headers={**desk.agent(), "Content-Type": "text/csv"},
    )
    assert r.status_code == 201 and r.get_json()["imported"] == 2
    assert sorted(e["data"]["unit"] for e in desk.outbox("resident.moved_in")) == ["E-1", "E-2"]


@pytest.mark.parametrize("body", [b"code\nA-1\x00\n", b"co\x00de\nA-1\n", b"\xff\xfe\x00garbage", b""])
def test_an_unreadable_csv_is_a_problem_not_a_crash(desk, body):
    r = desk.http.post(
        desk.url("units", "import"), data=body, headers={**desk.agent(), "Content-Type": "text/csv"}
    )
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert unit_codes(desk) == []


def test_a_forged_cursor_is_a_problem_not_a_crash(desk):
    import base64
    import json

    cursor = base64.urlsafe_b64encode(json.dumps(["yesterday", "x"]).encode()).decode().rstrip("=")
    r = desk.http.get(desk.url("tickets"), query_string={"cursor": cursor}, headers=desk.agent())
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
