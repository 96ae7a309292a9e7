"""Intake's tables (schema `intake`)."""

from __future__ import annotations

from sqlalchemy import JSON
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import PlatformTables
from shared.tenancy import EstateCopy


class Base(DeclarativeBase):
    pass


platform = PlatformTables(Base)


class Estate(EstateCopy, Base):
    """An estate (小区/管理处) — intake is where estates are registered; the others keep copies."""

    __tablename__ = "estates"
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
