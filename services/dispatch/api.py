"""Dispatch's HTTP API."""

from __future__ import annotations

from services.dispatch.models import Estate
from shared.estates import estates_blueprint


def blueprints() -> list:
    return [estates_blueprint("dispatch", Estate)]
