"""The platform tables are pruned, but never of what still protects against a retry or redelivery."""

from datetime import timedelta

from sqlalchemy import func, select

from services.callback.models import Base, platform
from shared.config import Config
from shared.db import make_engine, make_session_factory, utcnow
from shared.housekeeping import prune


def test_old_rows_go_and_recent_or_unsent_ones_stay(tmp_path):
    engine = make_engine(Config.from_env("callback", env={}, database_url=f"sqlite:///{tmp_path}/c.db"))
    Base.metadata.create_all(engine)
    sessions = make_session_factory(engine)
    now = utcnow()
    long_ago = now - timedelta(days=40)
    with sessions() as s:
        s.add_all(
            [
                platform.IdempotencyRecord(
                    principal="u", key="old", fingerprint="f", created_at=now - timedelta(days=2)
                ),
                platform.IdempotencyRecord(principal="u", key="new", fingerprint="f", created_at=now),
                platform.Outbox(
                    event_id="sent-long-ago",
                    type="t",
                    routing_key="t.e",
                    estate_id="e",
                    payload="{}",
                    created_at=long_ago,
                    sent_at=long_ago,
                ),
                platform.Outbox(
                    event_id="never-sent",
                    type="t",
                    routing_key="t.e",
                    estate_id="e",
                    payload="{}",
                    created_at=long_ago,
                ),  # still waiting for the broker: must never be lost
                platform.Inbox(
                    consumer="callback", event_id="old", type="t", estate_id="e", processed_at=long_ago
                ),
                platform.Inbox(
                    consumer="callback",
                    event_id="recent",
                    type="t",
                    estate_id="e",
                    processed_at=now - timedelta(days=3),
                ),
            ]
        )
        s.commit()

    assert prune(sessions, platform, now) == {"idempotency": 1, "outbox": 1, "inbox": 1}
    with sessions() as s:
        assert s.scalars(select(platform.IdempotencyRecord.key)).all() == ["new"]
        assert s.scalars(select(platform.Outbox.event_id)).all() == ["never-sent"]
        assert s.scalars(select(platform.Inbox.event_id)).all() == ["recent"]
        assert s.scalar(select(func.count()).select_from(platform.Outbox)) == 1
