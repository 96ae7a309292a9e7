"""Reporting's tables (schema `reporting`)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from shared.db import PlatformTables
from shared.tenancy import EstateCopy


class Base(DeclarativeBase):
    pass


platform = PlatformTables(Base)


class Estate(EstateCopy, Base):
    """Reporting's copy of an estate, learnt from `estate.registered` / `estate.updated`."""

    __tablename__ = "estates"
