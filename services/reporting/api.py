"""Reporting's HTTP API."""

from __future__ import annotations

from services.reporting.models import Estate
from shared.estates import estates_blueprint


def blueprints() -> list:
    return [estates_blueprint("reporting", Estate)]
