"""The steps staff and contractors take on a work order; each is logged and emits its event.

Shared by the estate routes (`/estates/<estate>/work-orders/<id>/<action>`) and the contractor
routes (`/contractor/work-orders/<id>/<action>`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from services.dispatch import domain, orders
from services.dispatch.access import is_contractor_only
from services.dispatch.models import Estate, Team, Ticket, WorkOrder
from shared.auth import Principal
from shared.db import utcnow
from shared.problems import Problem

FIELD_ROLES = ("technician", "supervisor", "manager", "contractor")
ROLES: dict[str, tuple[str, ...]] = {
    "accept": FIELD_ROLES,
    "arrive": FIELD_ROLES,
    "complete": FIELD_ROLES,
    "pause": FIELD_ROLES,
    "resume": FIELD_ROLES,
    "appoint": (*FIELD_ROLES, "agent"),
    "quote": FIELD_ROLES,
    "consent": FIELD_ROLES,
    "decline": ("contractor", "supervisor", "manager"),
    "reassign": ("supervisor", "manager"),
    "cancel": ("supervisor", "manager"),
}


def _step_event(order: WorkOrder, at: datetime, by: str, on_time: bool | None = None) -> dict:
    return {"at": at, "by": by, "on_time": on_time}


def accept(session, order, body, principal, now):
    order.status = orders.step(session, order, "accept")
    order.accepted_at = now
    if principal.has_role("technician") and not principal.has_role("supervisor", "manager"):
        _may_take(session, order, principal)
        order.technician = principal.sub  # grabbed from the team's pool (抢单)
    orders.log_step(session, order, "accepted", principal.sub, body.get("note", ""), at=now)
    orders.publish(session, order, "workorder.accepted", _step_event(order, now, principal.sub))


def _may_take(session, order, principal) -> None:
    """A technician accepts an order given to them, or takes one from their own team's pool."""
    if order.technician not in (None, principal.sub):
        raise Problem(403, "This order is assigned to another technician.")
    team = session.get(Team, order.team_id)
    if order.technician is None and team.members and principal.sub not in team.members:
        raise Problem(403, "Only members of the team can take orders from its pool.")


def arrive(session, order, body, principal, now):
    order.status = orders.step(session, order, "arrive")
    orders.resume_clock(order, now)
    order.arrived_at = now
    orders.log_step(session, order, "arrived", principal.sub, body.get("note", ""), at=now)
    orders.publish(
        session,
        order,
        "workorder.arrived",
        _step_event(order, now, principal.sub, domain.on_time(now, order.arrive_by)),
    )


def complete(session, order, body, principal, now):
    order.status = orders.step(session, order, "complete")
    if order.quote and not (order.consent or {}).get("consented"):
        raise Problem(409, "A paid repair needs the resident's consent to the quote before the work.")
    fee = body.get("fee")
    if fee is None and order.quote:
        fee = {"amount": order.quote["amount"], "consented": True}
    if fee is not None and not fee["consented"]:
        raise Problem(409, "A fee the resident did not consent to cannot be charged; record the refusal.")
    orders.resume_clock(order, now)
    order.completed_at = now
    order.result = body["result"]
    order.materials = [{**m, "quantity": str(m["quantity"])} for m in body.get("materials") or []]
    order.fee = {"amount": str(fee["amount"]), "consented": fee["consented"]} if fee else None
    order.resident_signed = body["resident_signed"]
    order.resident_rating = body["resident_rating"]
    orders.log_step(session, order, "completed", principal.sub, body["result"], at=now)
    orders.publish(session, order, "workorder.completed", orders.completed_data(session, order))


def decline(session, order, body, principal, now):
    """A contractor turns the order down: it is cancelled and the ticket waits for a supervisor."""
    orders.step(session, order, "decline")
    orders.cancel(session, order, actor=principal.sub, reason=f"declined: {body['reason']}", now=now)
    ticket = session.get(Ticket, order.ticket_id)
    ticket.unrouted = True
    orders.publish(
        session,
        order,
        "workorder.reassigned",
        {
            "from_team_id": order.team_id,
            "team_id": order.team_id,
            "contractor_id": order.contractor_id,
            "reason": body["reason"],
            "declined": True,
        },
    )


def reassign(session, order, body, principal, now):
    order.status = orders.step(session, order, "reassign")
    previous_team, previous_contractor = order.team_id, order.contractor_id
    if body.get("team_id"):
        team = orders.team_or_422(session, body["team_id"])
        order.team_id, order.contractor_id = team.id, team.contractor_id
        order.technician = None
    if body.get("technician"):
        order.technician = body["technician"]
    order.accepted_at = None
    orders.log_step(session, order, "reassigned", principal.sub, body["reason"], at=now)
    orders.publish(
        session,
        order,
        "workorder.reassigned",
        {
            "from_team_id": previous_team,
            "team_id": order.team_id,
            "contractor_id": order.contractor_id,
            "reason": body["reason"],
            "declined": False,
            "previous_contractor_id": previous_contractor,
        },
    )


def cancel(session, order, body, principal, now):
    orders.step(session, order, "cancel")
    orders.cancel(session, order, actor=principal.sub, reason=body["reason"], now=now)


def pause(session, order, body, principal, now):
    orders.step(session, order, "pause")
    if order.paused_at is not None:
        raise Problem(409, "The order is already paused.")
    order.paused_at = now
    order.pause_reason = body["reason"]
    orders.log_step(
        session, order, "paused", principal.sub, f"{body['reason']}: {body.get('note', '')}", at=now
    )


def resume(session, order, body, principal, now):
    orders.step(session, order, "resume")
    if order.paused_at is None:
        raise Problem(409, "The order is not paused.")
    orders.resume_clock(order, now)
    orders.log_step(session, order, "resumed", principal.sub, body.get("note", ""), at=now)


def appoint(session, order, body, principal, now):
    """Agree a time with the resident (预约上门); an in-unit repair is then due on site at it."""
    orders.step(session, order, "appoint")
    ticket = session.get(Ticket, order.ticket_id)
    appointment = {"start": body["start"].isoformat()}
    if body.get("end"):
        appointment["end"] = body["end"].isoformat()
    ticket.appointment = appointment
    if ticket.kind == "repair" and domain.is_in_unit(ticket.location):
        estate = session.get(Estate, order.estate_id)
        early = orders.settings_of(estate).appointment_early_minutes
        order.arrive_by = body["start"] - timedelta(minutes=early)
        order.alerts_sent = [a for a in order.alerts_sent or [] if not a.startswith("arrive_by:")]
    orders.log_step(session, order, "appointed", principal.sub, appointment["start"], at=now)


def quote(session, order, body, principal, now):
    orders.step(session, order, "quote")
    estate = session.get(Estate, order.estate_id)
    try:
        amount, lines = domain.quote(estate.fee_schedule or {}, body["items"])
    except domain.UnknownFeeItem as exc:
        raise Problem(
            422, "Unknown fee item.", errors={"items": [f"{exc.args[0]!r} is not in the fee schedule."]}
        ) from None
    order.quote = {"amount": amount, "lines": lines, "at": now.isoformat(), "by": principal.sub}
    order.consent = None
    orders.log_step(session, order, "quoted", principal.sub, f"{amount}", at=now)


def consent(session, order, body, principal, now):
    orders.step(session, order, "consent")
    if not order.quote:
        raise Problem(409, "There is no quote to consent to.")
    order.consent = {
        "consented": body["consented"],
        "reason": body.get("reason", ""),
        "at": now.isoformat(),
        "by": principal.sub,
    }
    if body["consented"]:
        orders.log_step(session, order, "consented", principal.sub, "", at=now)
        return
    # 住户不同意收费: record why, and the slip goes back — the order is closed.
    orders.cancel(session, order, actor=principal.sub, reason=f"fee refused: {body['reason']}", now=now)


ACTIONS: dict[str, Callable] = {
    "accept": accept,
    "arrive": arrive,
    "complete": complete,
    "decline": decline,
    "reassign": reassign,
    "cancel": cancel,
    "pause": pause,
    "resume": resume,
    "appoint": appoint,
    "quote": quote,
    "consent": consent,
}


def perform(session: Session, order: WorkOrder, action: str, body: dict, principal: Principal) -> None:
    if not principal.has_role(*ROLES[action]):
        raise Problem(403, f"This action needs one of the roles: {', '.join(ROLES[action])}.")
    if is_contractor_only(principal) and order.contractor_id != principal.contractor:
        raise Problem(404, "Work order not found.")
    ACTIONS[action](session, order, body, principal, utcnow())
