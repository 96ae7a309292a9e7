"""The head-office dashboard: server-rendered pages over the same reports the API serves.

It accepts the Bearer token like the API, or a session cookie set by its own sign-in page (where
a person pastes a token — enough for the embedded demo; production puts an OIDC login in front).
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import Blueprint, Flask, make_response, redirect, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import func, select

from services.reporting import charts, domain, queries
from services.reporting.i18n import DEFAULT_LANGUAGE, LANGUAGES, translator
from services.reporting.models import Estate, EstateMonth
from shared.auth import AuthError
from shared.web import current_principal, current_session, state

COOKIE = "estatedesk_reporting"
LANG_COOKIE = "estatedesk_lang"
COOKIE_PATH = "/reporting"
TREND_ESTATES = 6
CHART_ENDS = 10

dashboard = Blueprint(
    "dashboard",
    __name__,
    url_prefix="/reporting/dashboard",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
PUBLIC_ENDPOINTS = {"dashboard.sign_in", "dashboard.sign_out", "dashboard.static"}


def configure(app: Flask) -> None:
    """Wire the dashboard into reporting's app: cookie sign-in and its blueprint."""
    app.config["ESTATEDESK_COOKIE_TOKEN"] = lambda: request.cookies.get(COOKIE)
    app.register_blueprint(dashboard)
    app.after_request(_send_people_to_sign_in)


def _send_people_to_sign_in(response):
    # A person opening the page without a (valid) token gets the sign-in form, not a JSON problem.
    if (
        response.status_code == 401
        and request.path.startswith("/reporting/dashboard")
        and request.endpoint not in PUBLIC_ENDPOINTS
    ):
        out = redirect(url_for("dashboard.sign_in", next=request.full_path.rstrip("?")), code=303)
        out.delete_cookie(COOKIE, path=COOKIE_PATH)
        return out
    return response


@dashboard.app_template_filter("pct")
def pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


@dashboard.app_template_filter("delta")
def delta(value: float | None, points: bool = True) -> Markup:
    """A month-on-month change: ▲/▼ with percentage points for rates, plain numbers for counts."""
    if value is None:
        return Markup('<span class="delta">–</span>')
    if value == 0:
        return Markup('<span class="delta">0</span>')
    size = f"{abs(value) * 100:.1f} pt" if points else f"{abs(value):g}"
    arrow, css = ("▲", "up") if value > 0 else ("▼", "down")
    return Markup(f'<span class="delta {css}">{arrow} {size}</span>')


def _language() -> str:
    lang = request.args.get("lang") or request.cookies.get(LANG_COOKIE) or DEFAULT_LANGUAGE
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def _render(template: str, status: int = 200, **context):
    lang = _language()
    other = "en" if lang == "zh" else "zh"
    switch = "?" + urlencode({**{k: v for k, v in request.args.items() if k != "lang"}, "lang": other})
    response = make_response(
        render_template(template, t=translator(lang), lang=lang, lang_switch_url=switch, **context), status
    )
    if request.args.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, path=COOKIE_PATH, samesite="Lax", max_age=365 * 86400)
    return response


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/reporting/") and not target.startswith("//"):
        return target
    return url_for("dashboard.overview")


@dashboard.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    next_url = _safe_next(request.values.get("next"))
    if request.method == "GET":
        return _render("reporting/sign_in.html", next_url=next_url, error=None)
    token = (request.form.get("token") or "").strip()
    try:
        state().verifier.verify(token)
    except AuthError:
        return _render("reporting/sign_in.html", status=401, next_url=next_url, error="bad_token")
    response = redirect(next_url, code=303)
    response.set_cookie(
        COOKIE,
        token,
        path=COOKIE_PATH,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
        max_age=12 * 3600,
    )
    return response


@dashboard.route("/sign-out", methods=["POST"])
def sign_out():
    response = redirect(url_for("dashboard.sign_in"), code=303)
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response


def _month_arg(session) -> str:
    month = request.args.get("month", "")
    if domain.MONTH_PATTERN.match(month):
        return month
    latest = session.scalar(select(func.max(EstateMonth.month)))
    if latest:
        return latest
    return domain.local_month(datetime.now(UTC), domain.DEFAULT_TIMEZONE)


def _forbidden():
    return _render("reporting/message.html", status=403, message="not_head_office")


def _chart_rows(rows: list[dict]) -> list[dict]:
    """A chart stays readable for a big group: the best and the worst estates by satisfaction."""
    if len(rows) <= 2 * CHART_ENDS:
        return rows
    known = [r for r in rows if r["satisfaction_rate"] is not None] or rows
    return known[:CHART_ENDS] + known[-CHART_ENDS:] if len(known) > 2 * CHART_ENDS else known


@dashboard.route("")
def overview():
    principal = current_principal()
    if not principal.has_role("head_office"):
        return _forbidden()
    session = current_session()
    month = _month_arg(session)
    report = queries.group_comparison(
        session, principal.group, month, month, "-satisfaction_rate", principal.all_estates
    )
    rows = report["items"]
    t = translator(_language())
    charted = _chart_rows(rows)
    names = [r["name"] or r["estate"] for r in charted]
    first = domain.shift_month(month, -11)
    months = domain.months_between(first, month)
    leaders = [r["estate"] for r in rows[:TREND_ESTATES]]
    trend = queries.trend(session, leaders, first, month)
    label = {r["estate"]: r["name"] or r["estate"] for r in rows}
    figures = {
        "ranking": charts.ranking_bar(
            t("ranking"), names, [r["satisfaction_rate"] for r in charted], t("satisfaction_rate")
        ),
        "trend": charts.trend_lines(
            t("trend"),
            months,
            {label[e]: [trend[e].get(m, {}).get("satisfaction_rate") for m in months] for e in leaders},
        ),
        "rates": charts.grouped_bars(
            t("rates_vs_target"),
            names,
            {
                t("callback_rate"): [r["callback_rate"] for r in charted],
                t("callback_target"): [r["callback_target"] for r in charted],
            },
        ),
        "sla": charts.grouped_bars(
            t("sla"),
            names,
            {
                t(k): [r[k] for r in charted]
                for k in ("first_reply_on_time_rate", "on_site_on_time_rate", "resolution_on_time_rate")
            },
        ),
    }
    return _render(
        "reporting/dashboard.html",
        month=month,
        rows=rows,
        regions=report["regions"],
        charts=figures,
        group=principal.group,
        has_data=any(r["tickets"] or r["satisfaction_rate"] is not None for r in rows),
    )


@dashboard.route("/estates/<estate>")
def estate_page(estate):
    if not current_principal().has_role("head_office"):
        return _forbidden()
    session = current_session()
    month = _month_arg(session)
    year, mon = domain.parse_month(month)
    quarter = f"{year}Q{(mon - 1) // 3 + 1}"
    return _render(
        "reporting/estate.html",
        estate=session.get(Estate, estate),
        month=month,
        quarter=quarter,
        stats=queries.callback_stats(session, estate, month),
        rates=queries.callback_rates(session, estate, month),
        summary=queries.complaint_summary(session, estate, month),
        nonconformance=queries.nonconformance(session, estate, quarter),
    )
