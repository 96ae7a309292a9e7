"""Every failure is application/problem+json with the right status — never a 500, never a trace."""

import json

import pytest

from services.intake.app import create_app
from services.intake.models import Base
from shared.config import Config
from tests.support import SECRET, auth, estate_body, token


@pytest.fixture
def client():
    config = Config.from_env(
        "intake", env={}, database_url="sqlite://", jwt_secret=SECRET, max_body_bytes=4096
    )
    app = create_app(config)
    Base.metadata.create_all(app.extensions["estatedesk"].engine)
    return app.test_client()


def assert_problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status and body["title"] and body["type"] == "about:blank"
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def test_no_token_is_401_with_a_bearer_challenge(client):
    r = client.get("/intake/v1/estates")
    assert_problem(r, 401)
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_forged_token_is_401(client):
    forged = token("admin", secret="not-the-real-secret-0123456789-xyz")
    assert_problem(client.get("/intake/v1/estates", headers={"Authorization": f"Bearer {forged}"}), 401)


def test_a_role_that_may_not_act_is_403(client):
    body = assert_problem(client.post("/intake/v1/estates", json=estate_body(), headers=auth("agent")), 403)
    assert "admin" in body["detail"]


def test_an_unknown_url_is_404_and_a_wrong_method_is_405(client):
    assert_problem(client.get("/intake/v1/nowhere", headers=auth("admin")), 404)
    assert_problem(client.delete("/intake/v1/estates", headers=auth("admin")), 405)


def test_malformed_json_is_400(client):
    r = client.post(
        "/intake/v1/estates", data="{not json", content_type="application/json", headers=auth("admin")
    )
    assert_problem(r, 400)


def test_validation_errors_are_422_with_field_messages(client):
    body = assert_problem(
        client.post(
            "/intake/v1/estates",
            json={"id": "Bad Id!", "name": 7, "code": "hv", "calendar": "MARS", "surprise": 1},
            headers=auth("admin"),
        ),
        422,
    )
    assert set(body["errors"]) == {"id", "name", "code", "calendar", "surprise"}


def test_an_oversized_body_is_413(client):
    big = json.dumps(estate_body(name="x" * 10_000))
    r = client.post("/intake/v1/estates", data=big, content_type="application/json", headers=auth("admin"))
    assert_problem(r, 413)


def test_health_needs_no_token_and_reports_ready(client):
    assert client.get("/intake/healthz").get_json() == {"status": "ok", "service": "intake"}
    assert client.get("/intake/readyz").get_json()["status"] == "ready"


def test_the_openapi_document_is_generated_from_the_schemas(client):
    spec = client.get("/intake/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    create = spec["paths"]["/intake/v1/estates"]["post"]
    schema_ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert schema_ref.endswith("EstateCreate")
    assert "bearer" in spec["components"]["securitySchemes"]
