"""Every service's OpenAPI document is valid where clients and generators look first."""

import pytest

from estatedesk.registry import SERVICES, app_factory
from shared.config import Config
from tests.support import SECRET


def walk(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield path + "/" + key, key, value
            yield from walk(value, path + "/" + key)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{path}/{i}")


@pytest.mark.parametrize("service", SERVICES)
def test_numeric_bounds_are_numbers_and_every_operation_is_documented(service):
    app = app_factory(service)(Config.from_env(service, env={}, database_url="sqlite://", jwt_secret=SECRET))
    spec = app.test_client().get(f"/{service}/openapi.json").get_json()
    bad = [
        (path, value)
        for path, key, value in walk(spec)
        if key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
        and not isinstance(value, int | float)
        and "/properties/" in path
    ]
    assert bad == []
    for path, operations in spec["paths"].items():
        assert path.startswith(f"/{service}/"), path
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue  # path-level parameters
            assert operation.get("responses"), f"{method.upper()} {path} documents no response"
