"""Reporting — read models, statistics and the head-office dashboard."""

from __future__ import annotations

from flask import Flask

from services.reporting import dashboard
from services.reporting.api import blueprints
from services.reporting.models import Base, Estate, platform
from shared.config import Config
from shared.web import ServiceSpec, create_service_app


def create_app(config: Config | None = None, **kwargs) -> Flask:
    spec = ServiceSpec(
        name="reporting",
        title="Reporting",
        base=Base,
        platform=platform,
        estate_model=Estate,
        blueprints=blueprints(),
        configure=dashboard.configure,
        extra_public_endpoints=set(dashboard.PUBLIC_ENDPOINTS),
    )
    return create_service_app(config or Config.from_env("reporting"), spec, **kwargs)
