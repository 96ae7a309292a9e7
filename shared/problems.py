"""RFC 9457 problem details for every failure: `{type, title, status, detail}` (+ `errors` on 422)."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus

from flask import Response
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


class Problem(HTTPException):
    """Raise from a view or domain adapter to answer with a problem document."""

    def __init__(self, status: int, detail: str | None = None, *, errors: dict | None = None, **extra):
        super().__init__(description=detail)
        self.code = status
        self.errors = errors
        self.extra = extra


def problem_response(
    status: int, detail: str | None = None, *, errors: dict | None = None, headers=None, **extra
) -> Response:
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON)
    for name, value in dict(headers or {}).items():
        if name.lower() not in ("content-type", "content-length"):
            response.headers[name] = value
    return response


def _flatten_webargs(messages: dict) -> dict:
    # webargs nests errors by location ({"json": {...}, "query": {...}}); clients want field → messages.
    flat: dict = {}
    for location, errors in messages.items():
        if isinstance(errors, dict):
            flat.update(errors)
        else:
            flat[f"_{location}"] = errors
    return flat


def from_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    if isinstance(exc, Problem):
        return problem_response(status, exc.description, errors=exc.errors, **exc.extra)
    data = getattr(exc, "data", None) or {}
    errors = None
    detail = exc.description
    if "messages" in data:
        errors = _flatten_webargs(data["messages"])
        detail = "The request body is not valid JSON." if status == 400 else "The request has invalid fields."
    elif "message" in data:
        detail = data["message"]
    headers = exc.get_headers() if status in (405, 429) else None
    if status == 413:
        detail = "The request body is larger than this service accepts."
    return problem_response(status, detail, errors=errors, headers=headers)


def internal_error(exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    return problem_response(500, "An unexpected error occurred; it has been logged.")
