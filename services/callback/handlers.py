"""Callback's event handlers, routed by event type."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.callback.models import Estate
from shared.bus import Handler
from shared.estates import apply_estate_event
from shared.events import Event


def keep_estate_copy(session: Session, event: Event) -> None:
    apply_estate_event(session, Estate, event)


HANDLERS: dict[str, list[Handler]] = {
    "estate.registered": [keep_estate_copy],
    "estate.updated": [keep_estate_copy],
}
