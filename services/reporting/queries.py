"""Reading the reports out of the projections. Group-wide reads touch only the monthly counters,
so they cost O(estates × months), never O(tickets)."""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from services.reporting import domain
from services.reporting.models import (
    AreaMonth,
    CallbackFactRow,
    Estate,
    EstateMonth,
    OccupiedUnit,
    RuleMonth,
    TicketFactRow,
)
from shared.events import RATINGS

COUNTER_COLUMNS = tuple(getattr(EstateMonth, f) for f in domain.COUNTER_FIELDS)


def _counters(session: Session, estate: str, months: list[str]) -> dict:
    total: dict = dict.fromkeys(domain.COUNTER_FIELDS, 0)
    for row in session.execute(
        select(*COUNTER_COLUMNS).where(EstateMonth.estate_id == estate, EstateMonth.month.in_(months))
    ):
        domain.add_counters(total, row._asdict())
    return total


def callback_stats(session: Session, estate: str, month: str) -> dict:
    """QR004 (回访统计月统计表) for one estate-month."""
    areas = {a: dict.fromkeys(RATINGS, 0) for a in domain.AREA_KEYS}
    for row in session.scalars(
        select(AreaMonth).where(AreaMonth.estate_id == estate, AreaMonth.month == month)
    ):
        if row.area in areas:
            areas[row.area] = {r: getattr(row, r) for r in RATINGS}
    c = _counters(session, estate, [month])
    return {
        "estate": estate,
        "month": month,
        "rows": domain.qr004_table(areas),
        **domain.satisfaction_rates(int(c["satisfied"]), int(c["fairly_satisfied"]), int(c["unsatisfied"])),
    }


def callback_rates(session: Session, estate: str, month: str) -> dict:
    rules = []
    for row in session.scalars(
        select(RuleMonth)
        .where(RuleMonth.estate_id == estate, RuleMonth.month == month)
        .order_by(RuleMonth.rule)
    ):
        rate = domain.ratio(row.done, row.eligible)
        rules.append(
            {
                "rule": row.rule,
                "eligible": row.eligible,
                "done": row.done,
                "rate": rate,
                "target": row.target,
                "meets_target": None if rate is None or row.target is None else rate >= row.target,
            }
        )
    return {
        "estate": estate,
        "month": month,
        "rules": rules,
        "routine_coverage": routine_coverage(session, estate, month),
    }


def routine_coverage(session: Session, estate: str, month: str) -> dict:
    """Occupied units visited by a routine callback in the twelve months ending with `month`."""
    months = domain.months_between(domain.shift_month(month, -11), month)
    occupied = set(session.scalars(select(OccupiedUnit.unit).where(OccupiedUnit.estate_id == estate)))
    visited = set(
        session.scalars(
            select(CallbackFactRow.unit).where(
                CallbackFactRow.estate_id == estate,
                CallbackFactRow.rule.in_(domain.ROUTINE_RULES),
                CallbackFactRow.status == "completed",
                CallbackFactRow.outcome_month.in_(months),
                CallbackFactRow.unit.is_not(None),
            )
        )
    )
    covered = len(visited & occupied)
    return {
        "from": months[0],
        "to": month,
        "occupied_units": len(occupied),
        "visited_units": covered,
        "rate": domain.ratio(covered, len(occupied)),
        "target": 1.0,
    }


def complaint_summary(session: Session, estate: str, month: str) -> dict:
    tickets = session.scalars(
        select(TicketFactRow).where(TicketFactRow.estate_id == estate, TicketFactRow.month == month)
    ).all()
    return {"estate": estate, "month": month, **domain.complaint_summary(tickets)}


def nonconformance(session: Session, estate: str, quarter: str) -> dict:
    months = domain.quarter_months(quarter)
    tickets = session.scalars(
        select(TicketFactRow).where(TicketFactRow.estate_id == estate, TicketFactRow.month.in_(months))
    ).all()
    callbacks = session.scalars(
        select(CallbackFactRow).where(
            CallbackFactRow.estate_id == estate, CallbackFactRow.outcome_month.in_(months)
        )
    ).all()
    # Callbacks this quarter may be about tickets opened earlier: look their places up too.
    ticket_ids = {c.ticket_id for c in callbacks if c.ticket_id and not c.unit}
    places = (
        dict(
            session.execute(
                select(TicketFactRow.ticket_id, TicketFactRow.place).where(
                    TicketFactRow.estate_id == estate, TicketFactRow.ticket_id.in_(ticket_ids)
                )
            ).all()
        )
        if ticket_ids
        else {}
    )
    items = domain.nonconformance(tickets, callbacks, {k: v for k, v in places.items() if v})
    return {"estate": estate, "quarter": quarter, "items": items}


def trend(session: Session, estates: list[str], first: str, last: str) -> dict[str, dict[str, dict]]:
    """Figures per estate per month (for the dashboard's charts)."""
    out: dict[str, dict[str, dict]] = {e: {} for e in estates}
    rows = session.execute(
        select(EstateMonth.estate_id, EstateMonth.month, *COUNTER_COLUMNS)
        .where(EstateMonth.estate_id.in_(estates), EstateMonth.month >= first, EstateMonth.month <= last)
        # `estates` come from a comparison already limited to what the caller may see.
        .execution_options(all_estates=True)
    )
    for row in rows:
        counters = row._asdict()
        out.setdefault(row.estate_id, {})[row.month] = domain.comparison_figures(counters)
    return out


def _in_group(stmt, group: str, whole_group: bool):
    """Restrict a group-wide read to the group's estates.

    A head-office token for every estate of the group reads across estates on purpose: filter by
    the group with a join, not the session's per-estate filter, whose IN list of hundreds of ids
    costs more to build than the query costs to run. Any narrower token keeps the session filter.
    """
    if not whole_group:
        return stmt
    return stmt.where(Estate.group_id == group).execution_options(all_estates=True)


def group_comparison(
    session: Session, group: str, first: str, last: str, sort: str, whole_group: bool = False
) -> dict:
    """One row per estate (and per region) over [first, last], with the change from the period before.

    `whole_group`: the caller may see every estate of `group` (its token says estates ["*"])."""
    length = len(domain.months_between(first, last))
    prev_first, prev_last = domain.shift_month(first, -length), domain.shift_month(last, -length)
    estates = session.execute(
        _in_group(
            select(Estate.estate_id, Estate.name, Estate.region).where(Estate.group_id == group),
            group,
            whole_group,
        )
    ).all()
    empty = dict.fromkeys(domain.COUNTER_FIELDS, 0)
    current: dict[str, dict] = {}
    previous: dict[str, dict] = {}
    # One SUM … GROUP BY (estate, period): the database does the adding, Python sees ≤ 2 rows per estate.
    is_current = case((EstateMonth.month >= first, 1), else_=0).label("is_current")
    stmt = (
        select(
            EstateMonth.estate_id,
            is_current,
            *(func.sum(c).label(f) for c, f in zip(COUNTER_COLUMNS, domain.COUNTER_FIELDS, strict=True)),
        )
        .where(EstateMonth.month >= prev_first, EstateMonth.month <= last)
        .group_by(EstateMonth.estate_id, is_current)
    )
    if whole_group:
        stmt = _in_group(stmt.join(Estate, Estate.estate_id == EstateMonth.estate_id), group, True)
    rows = session.execute(stmt)
    for row in rows:
        sums = row._asdict()
        (current if sums.pop("is_current") else previous)[sums.pop("estate_id")] = sums
    items = []
    regions: dict[str, list[dict]] = {}
    for e in estates:
        now_c, before_c = current.get(e.estate_id, empty), previous.get(e.estate_id, empty)
        now, before = domain.comparison_figures(now_c), domain.comparison_figures(before_c)
        items.append(
            {
                "estate": e.estate_id,
                "name": e.name,
                "region": e.region,
                **now,
                "change": domain.change(now, before),
            }
        )
        region = regions.setdefault(e.region or "—", [{}, {}])
        domain.add_counters(region[0], now_c)
        domain.add_counters(region[1], before_c)
    region_rows = []
    for name, (now_c, before_c) in sorted(regions.items()):
        now, before = domain.comparison_figures(now_c), domain.comparison_figures(before_c)
        region_rows.append({"region": name, **now, "change": domain.change(now, before)})
    return {
        "group": group,
        "from": first,
        "to": last,
        "previous": {"from": prev_first, "to": prev_last},
        "sort": sort,
        "items": domain.sort_rows(items, sort),
        "regions": region_rows,
    }
