"""Per-request / per-message context carried into every log line."""

from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
estate: ContextVar[str | None] = ContextVar("estate", default=None)
