"""Reporting's HTTP API: the monthly reports per estate and the group comparison (JSON, CSV, Excel)."""

from __future__ import annotations

from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from services.reporting import exports, queries
from services.reporting.models import Estate
from services.reporting.schemas import (
    CallbackRatesSchema,
    CallbackStatsSchema,
    ComplaintSummarySchema,
    GroupArgs,
    GroupComparisonSchema,
    MonthArgs,
    NonconformanceSchema,
    QuarterArgs,
)
from shared.estates import estates_blueprint
from shared.web import current_principal, current_session, roles_required

HEAD_OFFICE = ("head_office",)

reports = Blueprint(
    "reports",
    __name__,
    url_prefix="/reporting/v1",
    description="Monthly statistics per estate (QR004, callback rates, complaints, nonconformance) "
    "and the head-office comparison across estates. Every table also comes as ?format=csv|xlsx.",
)


@reports.route("/estates/<estate>/callback-stats")
class CallbackStats(MethodView):
    @reports.arguments(MonthArgs, location="query", unknown=RAISE)
    @reports.response(200, CallbackStatsSchema)
    def get(self, args, estate):
        """The monthly callback statistics (回访统计月统计表 QR004): subject areas × satisfaction."""
        report = queries.callback_stats(current_session(), estate, args["month"])
        if args["format"] != "json":
            return exports.tabular(
                args["format"],
                report["rows"],
                exports.QR004_COLUMNS,
                f"qr004-{estate}-{args['month']}",
                "QR004",
            )
        return report


@reports.route("/estates/<estate>/callback-rates")
class CallbackRates(MethodView):
    @reports.arguments(MonthArgs, location="query", unknown=RAISE)
    @reports.response(200, CallbackRatesSchema)
    def get(self, args, estate):
        """Callback rate per rule against its target, and routine-visit coverage of occupied units."""
        report = queries.callback_rates(current_session(), estate, args["month"])
        if args["format"] != "json":
            return exports.tabular(
                args["format"],
                report["rules"],
                exports.RATE_COLUMNS,
                f"callback-rates-{estate}-{args['month']}",
                "回访率",
            )
        return report


@reports.route("/estates/<estate>/complaints")
class ComplaintSummary(MethodView):
    @reports.arguments(MonthArgs, location="query", unknown=RAISE)
    @reports.response(200, ComplaintSummarySchema)
    def get(self, args, estate):
        """The month's complaint summary (投诉统计表): counts, median reply and resolution times, SLA."""
        report = queries.complaint_summary(current_session(), estate, args["month"])
        if args["format"] != "json":
            return exports.tabular(
                args["format"],
                exports.summary_rows(report),
                exports.SUMMARY_COLUMNS,
                f"complaints-{estate}-{args['month']}",
                "投诉统计",
            )
        return report


@reports.route("/estates/<estate>/nonconformance")
class Nonconformance(MethodView):
    @reports.arguments(QuarterArgs, location="query", unknown=RAISE)
    @reports.response(200, NonconformanceSchema)
    def get(self, args, estate):
        """The quarter's nonconformance list (不合格项): failed/unsatisfied callbacks, repeated complaints
        (same unit + category twice or more), repairs done three times or more."""
        report = queries.nonconformance(current_session(), estate, args["quarter"])
        if args["format"] != "json":
            return exports.tabular(
                args["format"],
                report["items"],
                exports.NONCONFORMANCE_COLUMNS,
                f"nonconformance-{estate}-{args['quarter']}",
                "不合格项",
            )
        return report


@reports.route("/groups/<group>/estates")
class GroupComparison(MethodView):
    @roles_required(*HEAD_OFFICE)
    @reports.arguments(GroupArgs, location="query", unknown=RAISE)
    @reports.response(200, GroupComparisonSchema)
    def get(self, args, group):
        """Head office: every estate (and region) side by side for a month or a range, sortable,
        with the change from the period before."""
        first = args.get("first") or args["month"]
        last = args.get("last") or args["month"]
        whole = current_principal().all_estates
        report = queries.group_comparison(current_session(), group, first, last, args["sort"], whole)
        if args["format"] != "json":
            return exports.tabular(
                args["format"],
                report["items"],
                exports.COMPARISON_COLUMNS,
                f"estates-{group}-{first}-{last}",
                "小区对比",
            )
        # Already plain JSON values: skip marshmallow's per-field dump of hundreds of rows (the
        # response schema still documents the shape).
        return jsonify(report)


def blueprints() -> list:
    return [estates_blueprint("reporting", Estate), reports]
