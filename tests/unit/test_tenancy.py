"""Isolation is central: every query of estate-owned rows is filtered by the session's scope."""

import pytest
from sqlalchemy import String, create_engine, func, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from shared.tenancy import EstateScoped, TenantScopeError, admit, set_scope


class Base(DeclarativeBase):
    pass


class Note(EstateScoped, Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(50))


class Unscoped(Base):
    __tablename__ = "unscoped"
    id: Mapped[int] = mapped_column(primary_key=True)


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        set_scope(s, ["east", "west"])
        s.add_all([Note(estate_id="east", text="a"), Note(estate_id="west", text="b")])
        s.commit()
        yield s


def test_a_session_sees_only_the_estates_in_its_scope(session):
    set_scope(session, ["east"])
    assert [n.text for n in session.scalars(select(Note))] == ["a"]
    assert session.scalar(select(func.count()).select_from(Note)) == 1


def test_another_estates_row_is_invisible_even_by_primary_key_query(session):
    west_id = session.scalar(select(Note.id).where(Note.text == "b"))
    set_scope(session, ["east"])
    session.expunge_all()
    assert session.scalars(select(Note).where(Note.id == west_id)).first() is None


def test_bulk_updates_are_filtered_too(session):
    set_scope(session, ["east"])
    session.execute(update(Note).values(text="changed"))
    set_scope(session, ["east", "west"])
    assert sorted(n.text for n in session.scalars(select(Note))) == ["b", "changed"]


def test_a_query_without_a_scope_is_refused_not_silently_widened(session):
    session.info.clear()
    with pytest.raises(TenantScopeError):
        session.scalars(select(Note)).all()


def test_crossing_estates_is_an_explicit_option(session):
    set_scope(session, ["east"])
    rows = session.scalars(select(Note).execution_options(all_estates=True)).all()
    assert len(rows) == 2


def test_queries_of_unscoped_tables_need_no_scope(session):
    session.info.clear()
    assert session.scalars(select(Unscoped)).all() == []


def test_writing_a_row_outside_the_scope_is_refused(session):
    set_scope(session, ["east"])
    session.add(Note(estate_id="west", text="sneaky"))
    with pytest.raises(TenantScopeError):
        session.flush()
    session.rollback()


def test_admit_widens_the_scope_for_a_newly_created_estate(session):
    set_scope(session, ["east"])
    admit(session, "north")
    session.add(Note(estate_id="north", text="new"))
    session.flush()
