"""Callback — callback (回访) policies, scheduling, sampling and outcomes."""

from __future__ import annotations

from flask import Flask

from services.callback.api import blueprints
from services.callback.models import Base, Estate, platform
from shared.config import Config
from shared.web import ServiceSpec, create_service_app


def create_app(config: Config | None = None, **kwargs) -> Flask:
    spec = ServiceSpec(
        name="callback",
        title="Callback",
        base=Base,
        platform=platform,
        estate_model=Estate,
        blueprints=blueprints(),
    )
    return create_service_app(config or Config.from_env("callback"), spec, **kwargs)
