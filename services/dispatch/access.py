"""Who sees which work orders — kept in one place.

Staff see the orders of the estate in the URL (the central tenant filter). A contractor user
(role `contractor` + `contractor` claim) sees only its company's orders: inside an estate URL that
is a filter on top of the estate scope; across estates (`/contractor/work-orders`) it is the one
deliberate `all_estates=True` query of this service, narrowed to the contractor's id, its group's
estates and the estates its token names.
"""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from services.dispatch import domain
from services.dispatch.models import Contractor, Estate, WorkOrder
from shared.auth import Principal
from shared.problems import Problem

STAFF = ("agent", "supervisor", "manager", "technician", "head_office", "admin")


def is_contractor_only(principal: Principal) -> bool:
    return principal.has_role("contractor") and not principal.has_role(*STAFF)


def orders_in_estate(principal: Principal) -> Select:
    stmt = select(WorkOrder)
    if is_contractor_only(principal):
        stmt = stmt.where(WorkOrder.contractor_id == principal.contractor)
    return stmt


def contractor_orders(session: Session, principal: Principal) -> Select:
    """A contractor's own orders in every estate of its group that its token allows."""
    if not principal.has_role("contractor") or not principal.contractor:
        raise Problem(403, "This list is for contractor users.")
    contractor = session.get(Contractor, principal.contractor)
    if contractor is None or contractor.group_id != principal.group:
        raise Problem(404, "Contractor not found.")
    estates = session.scalars(
        select(Estate.estate_id).where(Estate.group_id == principal.group).execution_options(all_estates=True)
    ).all()
    allowed = [e for e in estates if principal.all_estates or e in principal.estates]
    return (
        select(WorkOrder)
        .where(WorkOrder.contractor_id == contractor.id, WorkOrder.estate_id.in_(allowed))
        .execution_options(all_estates=True)
    )


def shows_full_phone(principal: Principal, order: WorkOrder) -> bool:
    """Contractors get the resident's number only while the order is open (then masked)."""
    return not is_contractor_only(principal) or order.status in domain.OPEN_STATUSES
