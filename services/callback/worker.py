"""Callback's worker: consumes its events, relays its outbox, runs its timers."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.callback import service
from services.callback.handlers import HANDLERS
from services.callback.models import Estate, platform
from services.callback.policy import month_of
from shared.config import Config
from shared.db import unit_of_work, utcnow
from shared.worker import Timer, Worker
from shared.worker import build_worker as _build

log = logging.getLogger(__name__)


def tick(
    sessions: sessionmaker[Session], now: datetime | None = None, estates: list[str] | None = None
) -> None:
    """One pass of the callback clock, estate by estate: overdue callbacks, routine plan, month-end top-up."""
    now = now or utcnow()
    if estates is None:
        with sessions() as lookup:
            estates = lookup.scalars(select(Estate.estate_id).execution_options(all_estates=True)).all()
    for estate_id in estates:
        try:
            with unit_of_work(sessions, estate=estate_id) as session:
                estate = session.get(Estate, estate_id)
                service.mark_overdue(session, estate, now)
                service.plan_routine(session, estate, now)
                if service.is_month_end(now, estate.timezone):
                    service.top_up(session, estate, month_of(now, estate.timezone), now)
        except Exception:  # noqa: BLE001 - one estate's failure must not hold up the others
            log.exception("callback clock failed for an estate", extra={"estate": estate_id})


def build_worker(config: Config | None = None, engine=None) -> Worker:
    config = config or Config.from_env("callback")
    timers = [Timer("callback-clock", config.timer_interval, lambda sessions: tick(sessions))]
    return _build(config, platform, HANDLERS, timers=timers, engine=engine)
