"""Pruning the platform tables, so they do not grow for ever.

- Idempotency records: a client retries within minutes, not days — kept 24 hours.
- Outbox rows: kept 7 days after the broker confirmed them (for tracing what was sent).
- Inbox rows: they are what makes redelivery harmless, so they outlive any redelivery — 30 days.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from shared.db import PlatformTables, utcnow

log = logging.getLogger(__name__)

IDEMPOTENCY_RETENTION = timedelta(hours=24)
OUTBOX_RETENTION = timedelta(days=7)
INBOX_RETENTION = timedelta(days=30)


def prune(
    sessions: sessionmaker[Session], platform: PlatformTables, now: datetime | None = None
) -> dict[str, int]:
    now = now or utcnow()
    idem, outbox, inbox = platform.IdempotencyRecord, platform.Outbox, platform.Inbox
    with sessions() as session:
        removed = {
            "idempotency": session.execute(
                delete(idem).where(idem.created_at < now - IDEMPOTENCY_RETENTION)
            ).rowcount,
            "outbox": session.execute(
                delete(outbox).where(outbox.sent_at.is_not(None), outbox.sent_at < now - OUTBOX_RETENTION)
            ).rowcount,
            "inbox": session.execute(
                delete(inbox).where(inbox.processed_at < now - INBOX_RETENTION)
            ).rowcount,
        }
        session.commit()
    if any(removed.values()):
        log.info("pruned platform tables", extra=removed)
    return removed
