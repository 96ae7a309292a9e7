"""`estatedesk reporting rebuild`: throw the projections away and replay the event log into them.

One transaction per estate: an estate's reports switch from the old numbers to the rebuilt ones
at once, and memory stays bounded by one estate's history. Run it with the reporting worker
stopped (or accept that events consumed during the rebuild of an estate wait for its lock).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from services.reporting.models import EventLogEntry
from services.reporting.projection import PROJECTION_TABLES, Projector
from shared.config import Config
from shared.db import make_engine, make_session_factory, unit_of_work
from shared.events import parse_event

BATCH = 1000


def rebuild(
    sessions: sessionmaker[Session],
    progress: Callable[[str], None] = lambda _m: None,
    estates: list[str] | None = None,
) -> dict:
    """Replay every logged event (of `estates`, default all), estate by estate, in arrival order."""
    if estates is None:
        with sessions() as s:
            estates = s.scalars(
                select(EventLogEntry.estate_id).distinct().execution_options(all_estates=True)
            ).all()
    totals = {"estates": 0, "events": 0, "months": 0}
    for estate in sorted(estates):
        with unit_of_work(sessions, estate=estate) as session:
            for table in PROJECTION_TABLES:
                session.execute(delete(table).where(table.estate_id == estate))
            projector = Projector(session, fresh=True)
            last_id = 0
            while True:
                batch = session.scalars(
                    select(EventLogEntry)
                    .where(EventLogEntry.estate_id == estate, EventLogEntry.id > last_id)
                    .order_by(EventLogEntry.id)
                    .limit(BATCH)
                ).all()
                if not batch:
                    break
                # Nothing to look up in a fresh projection, so let the inserts pile up and go in
                # batches instead of flushing before every query.
                with session.no_autoflush:
                    for entry in batch:
                        projector.apply(parse_event(json.loads(entry.envelope)))
                        totals["events"] += 1
                last_id = batch[-1].id
            totals["months"] += projector.recompute()
        totals["estates"] += 1
        progress(f"  {estate}: rebuilt")
    return totals


def rebuild_from_config(config: Config, progress: Callable[[str], None] = lambda _m: None) -> dict:
    engine = make_engine(config)
    try:
        return rebuild(make_session_factory(engine), progress)
    finally:
        engine.dispose()
