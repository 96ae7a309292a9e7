"""Dispatch's worker: consumes its events, relays its outbox, runs its timers."""

from __future__ import annotations

from services.dispatch.handlers import HANDLERS
from services.dispatch.models import platform
from services.dispatch.timers import check_deadlines, deliver_webhooks
from shared.config import Config
from shared.worker import Timer, Worker
from shared.worker import build_worker as _build

TIMERS = (
    Timer("deadlines", 30.0, lambda sessions: check_deadlines(sessions)),
    Timer("webhooks", 1.0, lambda sessions: deliver_webhooks(sessions)),
)


def build_worker(config: Config | None = None, engine=None) -> Worker:
    return _build(config or Config.from_env("dispatch"), platform, HANDLERS, timers=TIMERS, engine=engine)
