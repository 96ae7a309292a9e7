"""The Flask side every service shares: app factory, request lifecycle, auth, tenancy, health.

One request = one session = one transaction: the session is opened lazily, the request's estate
scope is set on it centrally (from the URL and the caller's token), and it is committed once after
a successful response (rolled back otherwise). Views never commit.
"""

from __future__ import annotations

import functools
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from flask import Flask, Response, current_app, g, request, send_from_directory
from flask_limiter import ApplicationLimit, Limiter
from flask_smorest import Api
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from werkzeug.exceptions import HTTPException

from shared import context, idempotency, metrics, tenancy
from shared.auth import AuthError, Principal, TokenVerifier
from shared.config import Config
from shared.db import PlatformTables, make_engine, make_session_factory
from shared.logs import configure_logging
from shared.problems import Problem, from_http_exception, internal_error, problem_response

log = logging.getLogger(__name__)
access_log = logging.getLogger("estatedesk.access")
PUBLIC_BLUEPRINTS = {"health", "api-docs", "swagger-static"}


@dataclass
class ServiceSpec:
    name: str
    title: str
    base: type[DeclarativeBase]
    platform: PlatformTables
    estate_model: type
    blueprints: Sequence = ()
    configure: Callable[[Flask], None] | None = None
    extra_public_endpoints: set[str] = field(default_factory=set)


@dataclass
class ServiceState:
    config: Config
    spec: ServiceSpec
    engine: Engine
    sessions: sessionmaker[Session]
    verifier: TokenVerifier
    broker_check: Callable[[], None]


def state() -> ServiceState:
    return current_app.extensions["estatedesk"]


def current_session() -> Session:
    if "db" not in g:
        g.db = state().sessions()
        tenancy.set_scope(g.db, g.get("scope", ()))
    return g.db


def current_principal() -> Principal:
    return g.principal


def roles_required(*roles: str):
    """403 unless the caller holds one of `roles`."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not current_principal().has_role(*roles):
                raise Problem(403, f"This action needs one of the roles: {', '.join(roles)}.")
            return view(*args, **kwargs)

        return wrapper

    return decorator


class ProblemApi(Api):
    """flask-smorest with every error rendered as application/problem+json."""

    def handle_http_exception(self, error):
        return from_http_exception(error)


def _token_key() -> str:
    principal = g.get("principal")
    return f"sub:{principal.sub}" if principal else f"ip:{request.remote_addr}"


def _estate_key() -> str:
    estate = (request.view_args or {}).get("estate")
    return f"estate:{estate}" if estate else "estate:-"


def create_service_app(config: Config, spec: ServiceSpec, *, engine: Engine | None = None) -> Flask:
    configure_logging(spec.name, config.log_level)
    app = Flask(spec.name)
    prefix = f"/{spec.name}"
    app.config.update(
        API_TITLE=f"EstateDesk {spec.title}",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=prefix,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=f"{prefix}/docs/static/",
        MAX_CONTENT_LENGTH=config.max_body_bytes,
        JSON_SORT_KEYS=False,
    )
    app.json.ensure_ascii = False
    engine = engine or make_engine(config)
    app.extensions["estatedesk"] = ServiceState(
        config=config,
        spec=spec,
        engine=engine,
        sessions=make_session_factory(engine),
        verifier=TokenVerifier(config),
        broker_check=_broker_check(config.broker_url),
    )

    api = ProblemApi(
        app,
        spec_kwargs={
            "components": {
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
            },
            "security": [{"bearer": []}],
        },
    )
    for blueprint in spec.blueprints:
        api.register_blueprint(blueprint)
    _register_platform_routes(app, prefix)

    app.before_request(_start_request)
    Limiter(
        key_func=_token_key,
        app=app,
        storage_uri=config.redis_url or "memory://",
        application_limits=[
            ApplicationLimit(config.rate_limit, key_function=_token_key, scope="token"),
            ApplicationLimit(config.rate_limit, key_function=_estate_key, scope="estate"),
        ],
        default_limits_exempt_when=_is_public,
        application_limits_exempt_when=_is_public,
        headers_enabled=True,
        swallow_errors=True,  # an unreachable Redis must not take the API down with it
        key_prefix=f"estatedesk:{spec.name}",
    )
    app.after_request(_finish_request)
    app.teardown_request(_close_session)
    app.register_error_handler(HTTPException, from_http_exception)
    app.register_error_handler(Exception, internal_error)
    if spec.configure:
        spec.configure(app)
    return app


def _register_platform_routes(app: Flask, prefix: str) -> None:
    from flask import Blueprint

    health = Blueprint("health", __name__)

    @health.get(f"{prefix}/healthz")
    def healthz():
        return {"status": "ok", "service": state().spec.name}

    @health.get(f"{prefix}/readyz")
    def readyz():
        checks = {}
        try:
            with state().engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except SQLAlchemyError as exc:
            checks["database"] = f"unreachable: {type(exc).__name__}"
        try:
            state().broker_check()
            checks["broker"] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            checks["broker"] = f"unreachable: {type(exc).__name__}"
        ok = all(v == "ok" for v in checks.values())
        if ok:
            return {"status": "ready", "checks": checks}
        return problem_response(503, "A dependency is unreachable.", checks=checks)

    @health.get(f"{prefix}/metrics")
    def prometheus_metrics():
        body, content_type = metrics.exposition()
        return Response(body, content_type=content_type)

    app.register_blueprint(health)

    import swagger_ui_bundle

    static = Blueprint("swagger-static", __name__)

    @static.get(f"{prefix}/docs/static/<path:filename>")
    def swagger_static(filename):
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)

    app.register_blueprint(static)


def _is_public() -> bool:
    return request.blueprint in PUBLIC_BLUEPRINTS or request.endpoint in state().spec.extra_public_endpoints


def _broker_check(broker_url: str) -> Callable[[], None]:
    if broker_url.startswith("memory://"):
        return lambda: None

    def check() -> None:
        from shared.bus import connect

        with connect(broker_url, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)

    return check


def _start_request():
    g.started = time.perf_counter()
    g.request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
    context.request_id.set(g.request_id)
    context.estate.set(None)
    if request.routing_exception is not None:
        raise request.routing_exception
    if _is_public():
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        token = _cookie_token()
        if not token:
            return problem_response(
                401, "A bearer token is required.", headers={"WWW-Authenticate": "Bearer"}
            )
    try:
        g.principal = state().verifier.verify(token.strip())
    except AuthError as exc:
        return problem_response(401, str(exc), headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    _enter_scope(g.principal)
    if request.method == "POST" and idempotency.HEADER in request.headers:
        st = state()
        outcome = idempotency.reserve(
            st.sessions,
            st.spec.platform.IdempotencyRecord,
            g.principal.sub,
            request.headers[idempotency.HEADER],
        )
        if isinstance(outcome, Response):
            return outcome
        g.idempotency_reservation = outcome
    return None


def _cookie_token() -> str | None:
    hook = current_app.config.get("ESTATEDESK_COOKIE_TOKEN")
    return hook() if hook else None


def _enter_scope(principal: Principal) -> None:
    """Decide which estates this request may touch: the URL's estate, the URL's group, or the caller's."""
    view_args = request.view_args or {}
    Estate = state().spec.estate_model
    with state().sessions() as lookup:
        if "estate" in view_args:
            estate_id = view_args["estate"]
            row = lookup.scalar(
                select(Estate).where(Estate.estate_id == estate_id).execution_options(all_estates=True)
            )
            if row is None or not principal.may_access(row.estate_id, row.group_id):
                raise Problem(404, f"Estate {estate_id!r} was not found.")
            g.scope = (estate_id,)
            context.estate.set(estate_id)
            return
        if "group" in view_args and view_args["group"] != principal.group:
            raise Problem(404, f"Group {view_args['group']!r} was not found.")
        ids = lookup.scalars(
            select(Estate.estate_id)
            .where(Estate.group_id == principal.group)
            .execution_options(all_estates=True)
        ).all()
        g.scope = tuple(e for e in ids if principal.all_estates or e in principal.estates)


def _finish_request(response: Response) -> Response:
    st = state()
    reservation = g.pop("idempotency_reservation", None)
    db: Session | None = g.get("db")
    if db is not None and response.status_code < 400:
        try:
            if reservation is not None:
                idempotency.complete_in(db, st.spec.platform.IdempotencyRecord, reservation, response)
                reservation = None
            db.commit()
        except IntegrityError:
            db.rollback()
            log.warning("conflicting write", exc_info=True)
            response = problem_response(
                409, "The change conflicts with the current state; nothing was saved."
            )
        except SQLAlchemyError:
            db.rollback()
            log.exception("commit failed")
            response = problem_response(503, "The database is unavailable; nothing was saved.")
    elif db is not None:
        db.rollback()
    if reservation is not None:
        idempotency.complete_apart(st.sessions, st.spec.platform.IdempotencyRecord, reservation, response)
    response.headers["X-Request-ID"] = g.get("request_id", "")
    endpoint = request.url_rule.rule if request.url_rule else "unmatched"
    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    metrics.HTTP_REQUESTS.labels(st.spec.name, request.method, endpoint, response.status_code).inc()
    metrics.HTTP_LATENCY.labels(st.spec.name, endpoint).observe(elapsed)
    if request.blueprint not in PUBLIC_BLUEPRINTS:  # probes and scrapes would drown the access log
        principal = g.get("principal")
        access_log.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 1),
                "sub": principal.sub if principal else None,
            },
        )
    return response


def _close_session(_exc):
    db: Session | None = g.pop("db", None)
    if db is not None:
        db.close()
