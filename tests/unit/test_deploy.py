"""The deployment files start the same processes the end-to-end tests start (no Docker engine here)."""

from pathlib import Path

import pytest
import yaml

from estatedesk.cli import build_parser
from shared.config import SERVICES

ROOT = Path(__file__).resolve().parents[2]


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def k8s_containers():
    for path in sorted((ROOT / "deploy" / "k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc or doc.get("kind") not in ("Deployment", "Job"):
                continue
            for container in doc["spec"]["template"]["spec"]["containers"]:
                if container.get("image", "").startswith("estatedesk"):
                    yield path.name, container


def test_every_compose_command_is_a_valid_estatedesk_invocation():
    parser = build_parser()
    commands = {
        name: svc["command"] for name, svc in compose().items() if svc.get("image") == "estatedesk:latest"
    }
    for command in commands.values():
        parser.parse_args(command)  # exits (fails the test) on an unknown command or option
    for service in SERVICES:
        assert commands[f"{service}-web"][:2] == ["web", service]
        assert commands[f"{service}-worker"] == ["worker", service]
    assert commands["migrate"] == ["migrate"]


def test_compose_health_checks_use_the_services_own_health_urls():
    services = compose()
    for service in SERVICES:
        check = " ".join(services[f"{service}-web"]["healthcheck"]["test"])
        assert f"/{service}/healthz" in check


@pytest.mark.parametrize("service", SERVICES)
def test_kubernetes_runs_a_web_and_a_worker_per_service_with_valid_arguments(service):
    parser = build_parser()
    args = [c["args"] for _, c in k8s_containers() if service in c["args"]]
    for a in args:
        parser.parse_args(a)
    assert any(a[:2] == ["web", service] for a in args)
    assert ["worker", service] in args
    probes = [c for _, c in k8s_containers() if c["args"][:2] == ["web", service]][0]
    assert probes["readinessProbe"]["httpGet"]["path"] == f"/{service}/readyz"
    assert probes["livenessProbe"]["httpGet"]["path"] == f"/{service}/healthz"


def test_the_gateway_routes_every_service_prefix():
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    for service in SERVICES:
        assert f"location /{service}/" in nginx
