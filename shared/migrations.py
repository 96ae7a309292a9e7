"""Alembic, one history per service: its own schema on PostgreSQL, its own version table in it."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import MetaData, text

from shared.config import Config
from shared.db import make_engine


def alembic_config(config: Config) -> AlembicConfig:
    package = import_module(f"services.{config.service}")
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(Path(package.__file__).parent / "migrations"))
    cfg.attributes["estatedesk_config"] = config
    return cfg


def upgrade(config: Config, revision: str = "head") -> None:
    command.upgrade(alembic_config(config), revision)


def run_env(metadata: MetaData) -> None:
    """Body of every service's migrations/env.py."""
    from alembic import context

    config: Config = context.config.attributes.get("estatedesk_config")
    if config is None:  # run from the alembic command line: read the environment
        service = Path(context.config.get_main_option("script_location")).parent.name
        config = Config.from_env(service)
    engine = make_engine(config)
    try:
        with engine.connect() as connection:
            if config.is_postgres:
                connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{config.service}"'))
                connection.commit()
            context.configure(
                connection=connection,
                target_metadata=metadata,
                version_table="alembic_version",
                render_as_batch=not config.is_postgres,
                compare_type=True,
                include_schemas=False,  # only this service's schema (the search_path) is ever compared
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()
