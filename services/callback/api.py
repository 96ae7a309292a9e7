"""Callback's HTTP API."""

from __future__ import annotations

from services.callback.models import Estate
from shared.estates import estates_blueprint


def blueprints() -> list:
    return [estates_blueprint("callback", Estate)]
