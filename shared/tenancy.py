"""The estate is the tenant key, and isolation is enforced here, once.

Every tenant-owned model inherits `EstateScoped`. A session carries the set of estates it may
touch (`set_scope`); a `do_orm_execute` listener adds `estate_id IN (scope)` to every ORM query
of those models, and a `before_flush` listener refuses to write rows outside the scope. A query
that must cross estates says so with the greppable execution option `all_estates=True`.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import String, event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, with_loader_criteria

from shared.db import UTCDateTime, utcnow

ESTATE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,39}$"
SCOPE_KEY = "estatedesk.estates"


class TenantScopeError(RuntimeError):
    """Tenant-scoped data was touched without an estate scope, or outside it."""


_scoped_classes: list[type] = []


class EstateScoped:
    """Mixin for tenant-owned rows: a non-null, indexed estate id."""

    estate_id: Mapped[str] = mapped_column(String(40), index=True, nullable=False)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _scoped_classes.append(cls)


def _touches_estate_data(state: ORMExecuteState) -> bool:
    if any(issubclass(m.class_, EstateScoped) for m in state.all_mappers):
        return True
    # `select(func.count()).select_from(Model)` names no mapper: look at the tables it reads.
    froms = getattr(state.statement, "get_final_froms", lambda: [])()
    tables = {getattr(c, "__table__", None) for c in _scoped_classes}
    return any(f in tables for f in froms)


class EstateCopy(EstateScoped):
    """Columns every service keeps about an estate (learnt from `estate.registered`)."""

    estate_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    group_id: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(20))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    calendar: Mapped[str] = mapped_column(String(8), default="CN")
    region: Mapped[str | None] = mapped_column(String(100))
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


def set_scope(session: Session, estates: Iterable[str]) -> None:
    session.info[SCOPE_KEY] = frozenset(estates)


def admit(session: Session, estate: str) -> None:
    """Widen the scope by one estate, for the moment an estate itself is created."""
    session.info[SCOPE_KEY] = frozenset(session.info.get(SCOPE_KEY, frozenset())) | {estate}


def scope_of(session: Session) -> frozenset[str] | None:
    return session.info.get(SCOPE_KEY)


@event.listens_for(Session, "do_orm_execute")
def _filter_by_estate(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return
    if state.execution_options.get("all_estates", False):
        return
    scope = scope_of(state.session)
    if scope is None:
        if not _touches_estate_data(state):
            return
        raise TenantScopeError("query on estate-owned data without an estate scope")
    estates = tuple(sorted(scope))
    state.statement = state.statement.options(
        with_loader_criteria(EstateScoped, lambda cls: cls.estate_id.in_(estates), include_aliases=True)
    )


@event.listens_for(Session, "before_flush")
def _refuse_writes_outside_scope(session: Session, _ctx, _instances) -> None:
    touched = [o for o in (*session.new, *session.dirty) if isinstance(o, EstateScoped)]
    if not touched:
        return
    scope = scope_of(session)
    for obj in touched:
        if scope is None or obj.estate_id not in scope:
            raise TenantScopeError(f"write to estate {obj.estate_id!r} outside the session's scope")
