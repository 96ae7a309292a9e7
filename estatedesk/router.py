"""One WSGI app in front of the four services: routes by the first path segment, like the gateway."""

from __future__ import annotations

import json


class PrefixRouter:
    def __init__(self, apps: dict[str, object], index: dict):
        self.apps = apps
        self.index = index

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "/")
        segment = path.lstrip("/").split("/", 1)[0]
        app = self.apps.get(segment)
        if app is not None:
            return app(environ, start_response)
        if path in ("", "/"):
            body = json.dumps(self.index, ensure_ascii=False, indent=2).encode()
            start_response(
                "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            )
            return [body]
        body = json.dumps({"type": "about:blank", "title": "Not Found", "status": 404}).encode()
        start_response(
            "404 NOT FOUND",
            [("Content-Type", "application/problem+json"), ("Content-Length", str(len(body)))],
        )
        return [body]
