"""Tables as CSV or Excel (`?format=csv|xlsx`). Excel sheets carry a Chinese and an English header row,
because the paper forms staff know are in Chinese and head office reads both."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response
from openpyxl import Workbook
from openpyxl.styles import Font

Column = tuple[str, str, str]  # (key, 中文, English)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

QR004_COLUMNS: Sequence[Column] = (
    ("label_zh", "项目", "Area (zh)"),
    ("label_en", "项目（英文）", "Area"),
    ("satisfied", "满意", "Satisfied"),
    ("fairly_satisfied", "较满意", "Fairly satisfied"),
    ("unsatisfied", "不满意", "Unsatisfied"),
)
RATE_COLUMNS: Sequence[Column] = (
    ("rule", "回访类别", "Rule"),
    ("eligible", "应回访数", "Eligible"),
    ("done", "已回访数", "Done"),
    ("rate", "回访率", "Callback rate"),
    ("target", "目标回访率", "Target"),
)
NONCONFORMANCE_COLUMNS: Sequence[Column] = (
    ("type", "不合格类型", "Type"),
    ("at", "时间", "When"),
    ("place", "房号/位置", "Unit or place"),
    ("category", "类别", "Category"),
    ("rule", "回访类别", "Rule"),
    ("count", "次数", "Times"),
    ("ticket_ids", "工单", "Tickets"),
    ("callback_id", "回访记录", "Callback"),
)
COMPARISON_COLUMNS: Sequence[Column] = (
    ("estate", "小区编号", "Estate"),
    ("name", "小区", "Name"),
    ("region", "区域", "Region"),
    ("tickets", "工单数", "Tickets"),
    ("complaints", "投诉数", "Complaints"),
    ("callback_rate", "回访率", "Callback rate"),
    ("callback_target", "目标回访率", "Callback target"),
    ("satisfaction_rate", "满意率", "Satisfaction rate"),
    ("first_reply_on_time_rate", "首次答复及时率", "First reply on time"),
    ("on_site_on_time_rate", "到场及时率", "On site on time"),
    ("resolution_on_time_rate", "处理及时率", "Resolved on time"),
    ("reopen_rate", "返修/重开率", "Reopen rate"),
)
SUMMARY_COLUMNS: Sequence[Column] = (
    ("measure", "指标", "Measure"),
    ("value", "数值", "Value"),
)


def _cell(value):
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return value


def csv_response(rows: Iterable[dict], columns: Sequence[Column], filename: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c[0] for c in columns])
    for row in rows:
        writer.writerow(["" if row.get(c[0]) is None else _cell(row.get(c[0])) for c in columns])
    # A BOM so that Excel opens the UTF-8 (Chinese) text correctly.
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )


def xlsx_response(rows: Iterable[dict], columns: Sequence[Column], filename: str, title: str) -> Response:
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([c[1] for c in columns])
    sheet.append([c[2] for c in columns])
    for cell in (*sheet[1], *sheet[2]):
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell(row.get(c[0])) for c in columns])
    sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(
        buffer.getvalue(),
        mimetype=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'},
    )


def tabular(fmt: str, rows: list[dict], columns: Sequence[Column], filename: str, title: str) -> Response:
    if fmt == "csv":
        return csv_response(rows, columns, filename)
    return xlsx_response(rows, columns, filename, title)


def summary_rows(summary: dict) -> list[dict]:
    """Flatten the complaint summary into (measure, value) rows for a spreadsheet."""
    rows = [{"measure": "complaints", "value": summary["complaints"]}]
    for section in ("by_severity", "by_category", "by_channel"):
        rows += [{"measure": f"{section}.{k}", "value": v} for k, v in summary[section].items()]
    rows.append(
        {"measure": "median_minutes_to_first_reply", "value": summary["median_minutes_to_first_reply"]}
    )
    rows.append({"measure": "median_hours_to_resolution", "value": summary["median_hours_to_resolution"]})
    for name, figures in summary["sla"].items():
        rows.append({"measure": f"sla.{name}.rate", "value": figures["rate"]})
    return rows
