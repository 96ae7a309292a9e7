"""Reporting's event handlers, routed by event type: reporting consumes every event (queue bound to `#`)."""

from __future__ import annotations

from services.reporting.projection import handle
from shared.bus import Handler
from shared.events import CATALOGUE

# Every event is logged and projected by the same handler; the projection routes it by type.
HANDLERS: dict[str, list[Handler]] = {event_type: [handle] for event_type in CATALOGUE}
