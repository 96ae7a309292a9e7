"""The first slice: an estate registered at intake reaches every service through RabbitMQ."""

from sqlalchemy import select

from services.intake.models import platform as intake_platform
from tests.support import auth, estate_body, random_estate, random_group, wait_for

OTHERS = ("dispatch", "callback", "reporting")


def register(stack, group, estate_id=None, **body):
    body = estate_body(estate_id, **body)
    r = stack.client("intake").post("/intake/v1/estates", json=body, headers=auth("admin", group=group))
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def known_everywhere(stack, group, estate_id):
    for service in OTHERS:
        url = f"/{service}/v1/estates/{estate_id}"
        wait_for(
            lambda url=url, service=service: (
                stack.client(service).get(url, headers=auth("head_office", group=group)).status_code == 200
            ),
            timeout=15,
            what=f"{service} to learn {estate_id}",
        )


def test_an_estate_registered_over_http_reaches_the_other_three_services(stack):
    group = random_group()
    estate = register(
        stack, group, name="Harbour View 海景花园", code="HV", timezone="Asia/Hong_Kong", calendar="HK"
    )
    assert estate["group"] == group and estate["timezone"] == "Asia/Hong_Kong"
    known_everywhere(stack, group, estate["id"])
    for service in OTHERS:
        copy = (
            stack.client(service)
            .get(
                f"/{service}/v1/estates/{estate['id']}",
                headers=auth("agent", group=group, estates=[estate["id"]]),
            )
            .get_json()
        )
        assert copy == estate, service


def test_the_event_is_published_once_with_the_contract_envelope(stack):
    import json

    group = random_group()
    estate = register(stack, group)
    known_everywhere(stack, group, estate["id"])
    sessions = stack.apps["intake"].extensions["estatedesk"].sessions
    with sessions() as s:
        rows = s.scalars(
            select(intake_platform.Outbox).where(intake_platform.Outbox.estate_id == estate["id"])
        ).all()
    assert len(rows) == 1 and rows[0].sent_at is not None
    envelope = json.loads(rows[0].payload)
    assert envelope["type"] == "estate.registered" and envelope["group"] == group
    assert envelope["estate"] == estate["id"] and envelope["producer"] == "intake"
    assert rows[0].routing_key == f"estate.registered.{estate['id']}"


def test_an_estate_is_unknown_to_a_service_until_its_event_arrives(stack):
    group = random_group()
    r = stack.client("dispatch").get(
        f"/dispatch/v1/estates/{random_estate()}", headers=auth("admin", group=group)
    )
    assert r.status_code == 404 and r.mimetype == "application/problem+json"


def test_a_token_for_estate_a_gets_404_for_estate_b_everywhere(stack):
    group = random_group()
    a, b = register(stack, group)["id"], register(stack, group)["id"]
    known_everywhere(stack, group, a)
    known_everywhere(stack, group, b)
    for service in ("intake", *OTHERS):
        headers = auth("agent", "manager", group=group, estates=[a])
        assert stack.client(service).get(f"/{service}/v1/estates/{a}", headers=headers).status_code == 200
        r = stack.client(service).get(f"/{service}/v1/estates/{b}", headers=headers)
        assert r.status_code == 404, service
        listed = [
            e["id"]
            for e in stack.client(service).get(f"/{service}/v1/estates", headers=headers).get_json()["items"]
        ]
        assert listed == [a], service


def test_head_office_lists_every_estate_of_its_group_and_none_of_another(stack):
    mine, theirs = random_group(), random_group()
    my_estates = {register(stack, mine)["id"] for _ in range(2)}
    their_estate = register(stack, theirs)["id"]
    for e in my_estates:
        known_everywhere(stack, mine, e)
    known_everywhere(stack, theirs, their_estate)
    for service in ("intake", *OTHERS):
        listed = (
            stack.client(service)
            .get(f"/{service}/v1/estates", headers=auth("head_office", group=mine))
            .get_json()
        )
        assert {e["id"] for e in listed["items"]} == my_estates, service
        r = stack.client(service).get(
            f"/{service}/v1/estates/{their_estate}", headers=auth("head_office", group=mine)
        )
        assert r.status_code == 404, service


def test_registering_a_taken_estate_id_is_a_conflict(stack):
    group = random_group()
    estate_id = register(stack, group)["id"]
    r = stack.client("intake").post(
        "/intake/v1/estates", json=estate_body(estate_id), headers=auth("admin", group=random_group())
    )
    assert r.status_code == 409 and r.mimetype == "application/problem+json"
