"""The dashboard's charts as server-side SVG (pygal): no chart script from a CDN, nothing to load."""

from __future__ import annotations

import pygal
from markupsafe import Markup
from pygal.style import Style

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#333",
    foreground_strong="#111",
    foreground_subtle="#999",
    font_family="'Noto Sans CJK SC','Microsoft YaHei','PingFang SC',sans-serif",
    colors=("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"),
    label_font_size=11,
    major_label_font_size=11,
    legend_font_size=11,
    title_font_size=14,
)
COMMON = dict(
    style=STYLE,
    disable_xml_declaration=True,
    js=[],  # pygal's tooltips load a script from the internet; the page must work offline
    width=760,
    height=320,
    legend_at_bottom=True,
    print_values=False,
    range=(0, 1),
    value_formatter=lambda v: "–" if v is None else f"{v:.0%}",
    y_labels=[0, 0.25, 0.5, 0.75, 1.0],
    truncate_label=14,
    margin=12,
)


def _svg(chart) -> Markup:
    return Markup(chart.render(is_unicode=True))  # noqa: S704 - pygal's own SVG, values are numbers


def ranking_bar(title: str, names: list[str], values: list[float | None], series: str) -> Markup:
    chart = pygal.HorizontalBar(**{**COMMON, "height": max(160, 34 * len(names) + 90)}, title=title)
    # A horizontal bar chart draws its first label at the bottom: reverse, so the best is on top.
    chart.x_labels = list(reversed(names))
    chart.add(series, list(reversed(values)))
    return _svg(chart)


def trend_lines(title: str, months: list[str], series: dict[str, list[float | None]]) -> Markup:
    chart = pygal.Line(**COMMON, title=title, allow_interruptions=True, dots_size=3, x_label_rotation=30)
    chart.x_labels = months
    for name, values in series.items():
        chart.add(name, values)
    return _svg(chart)


def grouped_bars(title: str, names: list[str], series: dict[str, list[float | None]]) -> Markup:
    chart = pygal.Bar(**COMMON, title=title, x_label_rotation=20)
    chart.x_labels = names
    for name, values in series.items():
        chart.add(name, values)
    return _svg(chart)
