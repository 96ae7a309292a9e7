"""Dispatch's worker: consumes its events, relays its outbox, runs its timers."""

from __future__ import annotations

from services.dispatch.handlers import HANDLERS
from services.dispatch.models import platform
from shared.config import Config
from shared.worker import Worker
from shared.worker import build_worker as _build


def build_worker(config: Config | None = None, engine=None) -> Worker:
    return _build(config or Config.from_env("dispatch"), platform, HANDLERS, engine=engine)
