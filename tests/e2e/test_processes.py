"""The production process model, driven over real HTTP: one gunicorn and one worker per service."""

import requests

from tests.support import estate_body, random_group, token, wait_for


def test_an_estate_registered_at_intake_is_known_to_all_four_services(processes):
    group = random_group()
    headers = {"Authorization": f"Bearer {token('admin', 'head_office', group=group)}"}
    body = estate_body(name="Lakeside 湖畔", code="LS")
    r = requests.post(f"{processes.url('intake')}/intake/v1/estates", json=body, headers=headers, timeout=10)
    assert r.status_code == 201, r.text
    assert r.headers["X-Request-ID"]
    for service in ("dispatch", "callback", "reporting"):
        url = f"{processes.url(service)}/{service}/v1/estates/{body['id']}"
        got = wait_for(
            lambda url=url: (
                (resp := requests.get(url, headers=headers, timeout=5)).status_code == 200 and resp.json()
            ),
            timeout=15,
            what=f"{service} to learn the estate",
        )
        assert got["name"] == "Lakeside 湖畔" and got["group"] == group


def test_errors_over_real_http_are_problem_documents(processes):
    r = requests.post(
        f"{processes.url('intake')}/intake/v1/estates",
        data="{",
        timeout=5,
        headers={"Authorization": f"Bearer {token('admin')}", "Content-Type": "application/json"},
    )
    assert r.status_code == 400 and r.headers["Content-Type"] == "application/problem+json"
    r = requests.get(f"{processes.url('dispatch')}/dispatch/v1/estates", timeout=5)
    assert r.status_code == 401


def test_each_service_serves_its_openapi_document(processes):
    for service in ("intake", "dispatch", "callback", "reporting"):
        spec = requests.get(f"{processes.url(service)}/{service}/openapi.json", timeout=5).json()
        assert any(path.startswith(f"/{service}/v1/") for path in spec["paths"]), service
