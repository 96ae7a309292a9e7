"""Dispatch — teams, contractors, routing rules, work orders, SLA timers."""

from __future__ import annotations

from flask import Flask

from services.dispatch.api import blueprints
from services.dispatch.models import Base, Estate, platform
from shared.config import Config
from shared.web import ServiceSpec, create_service_app


def create_app(config: Config | None = None, **kwargs) -> Flask:
    spec = ServiceSpec(
        name="dispatch",
        title="Dispatch",
        base=Base,
        platform=platform,
        estate_model=Estate,
        blueprints=blueprints(),
    )
    return create_service_app(config or Config.from_env("dispatch"), spec, **kwargs)
