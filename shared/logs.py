"""JSON logs, each line carrying the service, request id, correlation id and estate in scope."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from shared import context


class _ContextFilter(logging.Filter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = getattr(record, "service", self.service)
        record.request_id = context.request_id.get()
        record.correlation_id = context.correlation_id.get()
        record.estate = context.estate.get()
        return True


def json_handler(service: str, stream=None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(service)s %(request_id)s "
            "%(correlation_id)s %(estate)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(_ContextFilter(service))
    return handler


def configure_logging(service: str, level: str = "INFO") -> None:
    root = logging.getLogger()
    if any(getattr(h, "_estatedesk", False) for h in root.handlers):
        root.setLevel(level)
        return
    handler = json_handler(service)
    handler._estatedesk = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # kombu and werkzeug are chatty at INFO; their warnings still come through.
    for noisy in ("kombu", "amqp", "werkzeug", "urllib3", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
