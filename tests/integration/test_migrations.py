"""Each service's schema is its own: its tables and Alembic history, untouched by the others."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from estatedesk.registry import SERVICES
from shared.config import Config
from shared.db import make_engine


def test_every_service_has_its_own_schema_and_version_table(database_url):
    engine = create_engine(database_url)
    with engine.connect() as conn:
        for service in SERVICES:
            tables = set(inspect(conn).get_table_names(schema=service))
            assert {"alembic_version", "estates", "outbox", "inbox", "idempotency_keys"} <= tables
            assert conn.execute(text(f'SELECT count(*) FROM "{service}".alembic_version')).scalar() == 1
    engine.dispose()


def test_models_match_migrations_and_autogenerate_sees_only_its_own_schema(database_url):
    from importlib import import_module

    for service in SERVICES:
        metadata = import_module(f"services.{service}.models").Base.metadata
        engine = make_engine(Config.from_env(service, env={}, database_url=database_url))
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        engine.dispose()
        assert diff == [], f"{service}: models and migrations differ (or another schema leaked in): {diff}"
