"""Intake's event handlers, routed by event type."""

from __future__ import annotations

from shared.bus import Handler

HANDLERS: dict[str, list[Handler]] = {}
