"""Prometheus metrics. Safe under gunicorn's pre-fork workers when PROMETHEUS_MULTIPROC_DIR is set."""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

HTTP_REQUESTS = Counter(
    "estatedesk_http_requests_total", "HTTP requests", ["service", "method", "endpoint", "status"]
)
HTTP_LATENCY = Histogram(
    "estatedesk_http_request_duration_seconds", "HTTP request latency", ["service", "endpoint"]
)
EVENTS_PUBLISHED = Counter("estatedesk_events_published_total", "Events confirmed by the broker", ["type"])
EVENTS_CONSUMED = Counter(
    "estatedesk_events_consumed_total", "Events consumed, by outcome", ["service", "outcome"]
)


def exposition() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
