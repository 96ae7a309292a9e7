"""Bad input never writes anything; Idempotency-Key; rate limits on Redis; health and metrics."""

import json
import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.intake.app import create_app as create_intake
from services.intake.models import Estate
from services.intake.models import platform as intake_platform
from shared import idempotency
from shared.auth import mint_token
from tests.support import SECRET, auth, estate_body, random_group, token


def counts(stack):
    with stack.apps["intake"].extensions["estatedesk"].sessions() as s:
        estates = s.scalar(select(func.count()).select_from(Estate).execution_options(all_estates=True))
        outbox = s.scalar(select(func.count()).select_from(intake_platform.Outbox))
    return estates, outbox


BAD = {
    "malformed JSON": dict(data="{oops", content_type="application/json"),
    "wrong types": dict(json={"id": 12, "name": ["x"], "code": None}),
    "unknown field": dict(json={**estate_body(), "colour": "red"}),
    "not an object": dict(json=["a", "list"]),
    "oversized body": dict(
        data=json.dumps(estate_body(name="x" * 2_000_000)), content_type="application/json"
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_refused_and_nothing_is_written(stack, case):
    before = counts(stack)
    r = stack.client("intake").post(
        "/intake/v1/estates", headers=auth("admin", group=random_group()), **BAD[case]
    )
    assert r.status_code in (400, 413, 422), r.get_data(as_text=True)
    assert r.mimetype == "application/problem+json"
    assert counts(stack) == before


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer " + mint_token(SECRET, group="g1", roles=["admin"], estates=["*"], ttl=timedelta(seconds=-1)),
        "Bearer " + token("admin", secret="forged-secret-forged-secret-forged-secret"),
        "Bearer not.a.jwt",
    ],
)
def test_missing_expired_or_forged_tokens_are_401_and_nothing_is_written(stack, header):
    before = counts(stack)
    headers = {"Authorization": header} if header else {}
    r = stack.client("intake").post("/intake/v1/estates", json=estate_body(), headers=headers)
    assert r.status_code == 401 and r.mimetype == "application/problem+json"
    assert counts(stack) == before


def test_a_retry_with_the_same_idempotency_key_returns_the_first_response(stack):
    headers = {**auth("admin", group=random_group(), sub=f"u-{uuid.uuid4().hex}"), "Idempotency-Key": "k-1"}
    body = estate_body()
    first = stack.client("intake").post("/intake/v1/estates", json=body, headers=headers)
    before = counts(stack)
    again = stack.client("intake").post("/intake/v1/estates", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert counts(stack) == before  # no second estate, no second event

    other = stack.client("intake").post("/intake/v1/estates", json=estate_body(), headers=headers)
    assert other.status_code == 422 and "different request" in other.get_json()["detail"]


def test_a_concurrent_request_with_the_same_key_is_a_conflict(stack):
    sub = f"u-{uuid.uuid4().hex}"
    headers = {**auth("admin", group=random_group(), sub=sub), "Idempotency-Key": "k-2"}
    body = estate_body()
    app = stack.apps["intake"]
    # The first request is still running (its reservation is held), when the second arrives.
    with app.test_request_context("/intake/v1/estates", method="POST", json=body):
        st = app.extensions["estatedesk"]
        reservation = idempotency.reserve(st.sessions, intake_platform.IdempotencyRecord, sub, "k-2")
        assert isinstance(reservation, int)
    r = stack.client("intake").post("/intake/v1/estates", json=body, headers=headers)
    assert r.status_code == 409 and r.mimetype == "application/problem+json"


def test_concurrent_retries_create_the_estate_once(stack):
    headers = {**auth("admin", group=random_group(), sub=f"u-{uuid.uuid4().hex}"), "Idempotency-Key": "k-3"}
    body = estate_body()
    statuses = []

    def send():
        statuses.append(
            stack.client("intake").post("/intake/v1/estates", json=body, headers=headers).status_code
        )

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses.count(201) >= 1 and set(statuses) <= {201, 409}
    with stack.apps["intake"].extensions["estatedesk"].sessions() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(Estate)
                .where(Estate.estate_id == body["id"])
                .execution_options(all_estates=True)
            )
            == 1
        )


def test_rate_limits_are_shared_through_redis_and_answer_429(stack, redis_url):
    config = stack.config("intake", rate_limit="3/minute")
    first, second = create_intake(config), create_intake(config)  # two web processes, one Redis
    headers = auth("head_office", group=random_group(), sub=f"u-{uuid.uuid4().hex}")
    statuses = [
        app.test_client().get("/intake/v1/estates", headers=headers).status_code
        for app in (first, second, first)
    ]
    assert statuses == [200, 200, 200]
    r = second.test_client().get("/intake/v1/estates", headers=headers)
    assert r.status_code == 429 and r.mimetype == "application/problem+json"
    assert "Retry-After" in r.headers


def test_readiness_checks_the_database_and_the_broker(stack):
    assert stack.client("callback").get("/callback/readyz").get_json()["checks"] == {
        "database": "ok",
        "broker": "ok",
    }
    broken = create_intake(stack.config("intake", broker_url="amqp://guest:guest@127.0.0.1:1//"))
    r = broken.test_client().get("/intake/readyz")
    assert r.status_code == 503 and r.get_json()["checks"]["broker"].startswith("unreachable")


def test_metrics_are_exposed_for_prometheus(stack):
    stack.client("reporting").get("/reporting/healthz")
    text = stack.client("reporting").get("/reporting/metrics").get_data(as_text=True)
    assert "estatedesk_http_requests_total" in text
