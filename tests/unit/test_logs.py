"""Logs are JSON lines that carry the request id, the estate and the event correlation id."""

import io
import json
import logging

import pytest

from services.dispatch.models import Base as DispatchBase
from services.dispatch.models import platform as dispatch_platform
from services.intake.app import create_app
from services.intake.models import Base
from shared.bus import EventConsumer
from shared.config import Config
from shared.db import make_engine, make_session_factory
from shared.events import new_event
from shared.logs import json_handler
from tests.support import SECRET, auth


@pytest.fixture
def lines():
    stream = io.StringIO()
    handler = json_handler("test", stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(level)


def test_each_request_is_logged_with_its_request_id(lines):
    app = create_app(Config.from_env("intake", env={}, database_url="sqlite://", jwt_secret=SECRET))
    Base.metadata.create_all(app.extensions["estatedesk"].engine)
    r = app.test_client().get("/intake/v1/estates", headers={**auth("head_office"), "X-Request-ID": "req-42"})
    assert r.headers["X-Request-ID"] == "req-42"
    access = [line for line in lines() if line["logger"] == "estatedesk.access"]
    assert access and access[-1]["request_id"] == "req-42" and access[-1]["status"] == 200


def test_an_applied_event_is_logged_with_its_correlation_id(lines, tmp_path):
    engine = make_engine(Config.from_env("dispatch", env={}, database_url=f"sqlite:///{tmp_path}/d.db"))
    DispatchBase.metadata.create_all(engine)
    consumer = EventConsumer("dispatch", {}, make_session_factory(engine), dispatch_platform, "memory://")
    data = {"id": "log-estate", "name": "L", "code": "L", "timezone": "Asia/Shanghai", "calendar": "CN"}
    event = new_event(
        "estate.registered",
        estate="log-estate",
        group="g1",
        producer="intake",
        data=data,
        correlation_id="corr-7",
    )
    consumer.apply(event.to_dict())
    applied = [line for line in lines() if line["message"] == "event applied"]
    assert applied[-1]["correlation_id"] == "corr-7" and applied[-1]["event_id"] == event.id
