"""Intake's worker: consumes dispatch/callback events, relays its outbox, runs its timers."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.intake.handlers import HANDLERS
from services.intake.models import Estate, platform
from services.intake.tickets import age_complaints
from shared.config import Config
from shared.db import unit_of_work, utcnow
from shared.worker import Timer, Worker
from shared.worker import build_worker as _build

log = logging.getLogger(__name__)
AGEING_INTERVAL = 15 * 60.0


def age_all_estates(sessions: sessionmaker[Session], now: datetime | None = None) -> dict[str, list[str]]:
    """A valid complaint unresolved for a month becomes major — one transaction per estate."""
    now = now or utcnow()
    with sessions() as lookup:
        estates = lookup.scalars(select(Estate.estate_id).execution_options(all_estates=True)).all()
    aged = {}
    for estate_id in estates:
        with unit_of_work(sessions, estate=estate_id) as session:
            numbers = age_complaints(session, session.get(Estate, estate_id), now)
        if numbers:
            log.info("complaints aged into major", extra={"estate": estate_id, "tickets": numbers})
            aged[estate_id] = numbers
    return aged


def build_worker(config: Config | None = None, engine=None) -> Worker:
    return _build(
        config or Config.from_env("intake"),
        platform,
        HANDLERS,
        timers=[Timer("complaint-ageing", AGEING_INTERVAL, age_all_estates)],
        engine=engine,
    )
