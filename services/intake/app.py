"""Intake — the front desk: estates, units, residents, tickets."""

from __future__ import annotations

from flask import Flask

from services.intake.api import BLUEPRINTS
from services.intake.models import Base, Estate, platform
from shared.config import Config
from shared.web import ServiceSpec, create_service_app

SPEC = ServiceSpec(
    name="intake", title="Intake", base=Base, platform=platform, estate_model=Estate, blueprints=BLUEPRINTS
)


def create_app(config: Config | None = None, **kwargs) -> Flask:
    return create_service_app(config or Config.from_env("intake"), SPEC, **kwargs)
