"""report.html: a run's key figures, tables, charts and links to its maps.

The page is one self-contained HTML file (no scripts, no external assets):
charts are inline SVG drawn here, so they need no plotting library and show
Chinese labels with the browser's own fonts. Every value is escaped by Jinja's
autoescaping.

Every figure on the page says which table cell it comes from::

    <span class="figure" data-table="coverage_totals" data-key="facility_type=x"
          data-column="share" data-value="0.5401" data-format="percent">54.0%</span>

so the page can be checked against the tables (``tests/test_one_truth.py``
does), and a reader can find where each number is.
"""

from __future__ import annotations

import html
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

from geoplan._i18n import facility_type_label, label, level_name, resolve_lang
from geoplan._io import atomic_path
from geoplan.study import StudyResult, study_totals

__all__ = ["FORMATS", "bar_chart", "figure", "write_report_page"]

#: How a figure's value is shown, by its ``data-format``.
FORMATS = {
    "percent": lambda v: f"{v:.1%}",
    "count": lambda v: f"{v:,.0f}",
    "number": lambda v: f"{v:,.1f}",
}


def figure(
    value: float, table: str, key: dict[str, Any], column: str, *, fmt: str = "count"
) -> Markup:
    """Return a figure of the page, tagged with the table cell it comes from.

    Parameters
    ----------
    value
        The number (as the table holds it).
    table
        The table's name (``tables/<table>.csv``).
    key
        The columns and values that find its row.
    column
        Its column.
    fmt
        One of :data:`FORMATS`.

    Examples
    --------
    >>> str(figure(0.5, "coverage_totals", {"facility_type": "x"}, "share", fmt="percent"))
    '<span class="figure" data-table="coverage_totals" data-key="facility_type=x" \
data-column="share" data-value="0.5" data-format="percent">50.0%</span>'
    """
    number = float(value)
    shown = FORMATS[fmt](number) if math.isfinite(number) else "—"
    keys = ";".join(f"{k}={v}" for k, v in key.items())
    return Markup(
        '<span class="figure" data-table="{}" data-key="{}" data-column="{}" '
        'data-value="{}" data-format="{}">{}</span>'
    ).format(table, keys, column, repr(number), fmt, shown)


def _summary(section: str, item: str, value: float, fmt: str = "count") -> Markup:
    return figure(value, "summary", {"section": section, "item": item}, "value", fmt=fmt)


@dataclass(frozen=True)
class _Bar:
    name: str
    value: float
    text: str


def bar_chart(bars: Sequence[tuple[str, float, str]], *, maximum: float = 1.0) -> str:
    """Draw a horizontal bar chart as inline SVG; names and texts are escaped.

    Parameters
    ----------
    bars
        (name, value, text shown after the bar).
    maximum
        The value of a full-width bar.

    Returns
    -------
    str
        An ``<svg>`` element.

    Examples
    --------
    >>> svg = bar_chart([("clinic", 0.5, "50%")])
    >>> svg.startswith("<svg") and 'width="150.0"' in svg
    True
    """
    rows = [_Bar(str(n), float(v), str(t)) for n, v, t in bars]
    label_w, bar_w, row_h = 260, 300, 22
    height = row_h * len(rows) + 6
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{label_w + bar_w + 70}" '
        f'height="{height}" role="img">'
    ]
    for i, row in enumerate(rows):
        y = 3 + i * row_h
        share = 0.0 if maximum <= 0 or row.value != row.value else min(row.value / maximum, 1.0)
        width = round(bar_w * max(share, 0.0), 1)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{html.escape(row.name)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{width}" height="{row_h - 8}" '
            f'fill="#3182bd"></rect>'
            f'<text x="{label_w + width + 5}" y="{y + 15}">{html.escape(row.text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


_PAGE = """<!DOCTYPE html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} — {{ t.report_title }}</title>
<style>
body {font: 14px/1.5 "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2em auto;
  max-width: 1100px; padding: 0 1em; color: #222;}
h1 {font-size: 1.6em;} h2 {border-bottom: 1px solid #ccc; margin-top: 1.8em;}
table {border-collapse: collapse; margin: 0.5em 0;} td, th {border: 1px solid #ddd;
  padding: 3px 8px; text-align: right;} th {background: #f3f3f3;}
td:first-child, th:first-child {text-align: left;}
.chart text {font-size: 12px;} .note {color: #8a5a00;} .muted {color: #777;}
ul.maps li {margin: 0.2em 0;}
</style>
</head>
<body>
<h1>{{ title }}</h1>
<p class="muted">{{ t.report_title }} · {{ t.study }}: {{ study }} ·
{{ t.generated }}: {{ generated }}</p>

<h2>{{ t.key_figures }}</h2>
<table>
{% for name, value in key_figures %}<tr><td>{{ name }}</td><td>{{ value }}</td></tr>
{% endfor %}</table>

{% if maps %}
<h2>{{ t.maps }}</h2>
<ul class="maps">
{% for href, name in maps %}<li><a href="{{ href }}">{{ name }}</a></li>
{% endfor %}</ul>
{% endif %}

{% if coverage_chart %}
<h2>{{ t.coverage }}</h2>
{{ coverage_chart|safe }}
{{ coverage_table|safe }}
{% endif %}

{% if completeness_chart %}
<h2>{{ t.life_circles }}</h2>
{{ completeness_chart|safe }}
{% if missing_table %}{{ missing_table|safe }}{% endif %}
{% endif %}

{% if indicators %}
<h2>{{ t.indicators }}</h2>
{{ indicators|safe }}
{% if unsupported %}<p class="note">{{ unsupported }}</p>{% endif %}
{% endif %}

{% if proposals %}
<h2>{{ t.site_proposals }}</h2>
{% for p in proposals %}
<h3>{{ p.name }}</h3>
{{ p.chart|safe }}
<p>{{ p.text }}</p>
{% endfor %}
{% endif %}

<h2 id="caveats">{{ t.caveats }}</h2>
{% if caveats %}<ul>{% for caveat in caveats %}<li class="note">{{ caveat }}</li>{% endfor %}</ul>
{% else %}<p class="muted">{{ t.no_caveats }}</p>{% endif %}
{% if notes %}
<h3>{{ t.technical_notes }}</h3>
<ul>{% for note in notes %}<li class="muted">{{ note }}</li>{% endfor %}</ul>
{% endif %}

<h2>{{ t.tables }} · {{ t.layers }} · {{ t.rasters }}</h2>
<ul>
{% for href in files %}<li><a href="{{ href }}">{{ href }}</a></li>
{% endfor %}</ul>

<h2>{{ t.run_info }}</h2>
<table>
{% for step, seconds in timings %}<tr><td>{{ step }}</td><td>{{ seconds }} s</td></tr>
{% endfor %}</table>
<p class="muted">run.json: inputs with checksums, versions, parameters.</p>
</body>
</html>
"""

_LABEL_KEYS = (
    "report_title",
    "study",
    "generated",
    "key_figures",
    "maps",
    "coverage",
    "life_circles",
    "site_proposals",
    "note",
    "tables",
    "layers",
    "rasters",
    "run_info",
    "indicators",
    "caveats",
    "no_caveats",
    "technical_notes",
)


def write_report_page(result: StudyResult, folder: Path, written: dict[str, list[str]]) -> Path:
    """Write ``folder/report.html`` for a run whose other files are ``written``."""
    lang = resolve_lang(None)
    totals = study_totals(result)
    config = result.study.config
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    page = environment.from_string(_PAGE).render(
        lang="zh-CN" if lang == "zh" else "en",
        title=config.title if config is not None else result.study.name,
        study=result.study.name,
        generated=time.strftime("%Y-%m-%d %H:%M"),
        t={key: label(key, lang) for key in _LABEL_KEYS},
        key_figures=_key_figures(result, totals, lang),
        maps=[(path, _map_name(path, lang)) for path in written.get("maps", [])],
        coverage_chart=_coverage_chart(totals, lang),
        coverage_table=_coverage_table(result, lang),
        completeness_chart=_completeness_chart(totals, lang),
        missing_table=_missing_table(result, lang),
        proposals=_proposals(totals, lang),
        indicators=_indicator_table(result, lang),
        unsupported=_unsupported(result, lang),
        caveats=[c.text(lang) for c in result.caveats],
        notes=sorted(set(result.notes)),
        files=[p for kind in ("tables", "layers", "rasters") for p in written.get(kind, [])],
        timings=sorted(result.timings.items()),
    )
    path = folder / "report.html"
    with atomic_path(path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return path


def _map_name(path: str, lang: str) -> str:
    stem = Path(path).stem
    if stem == "indicators":
        return label("indicators", lang)
    for prefix, key in (("coverage_", "coverage"), ("sites_", "site_proposals")):
        if stem.startswith(prefix):
            return f"{label(key, lang)}: {facility_type_label(stem.removeprefix(prefix), lang)}"
    keys = {"life_circles": "life_circles", "service_areas": "service_areas", "network": "network"}
    return label(keys[stem], lang) if stem in keys else stem


def _key_figures(result: StudyResult, totals: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    rows: list[tuple[str, Any]] = [
        (
            f"{label('network', lang)}: {label('nodes', lang)}",
            _summary("network", "nodes", totals["nodes"]),
        ),
        (
            f"{label('network', lang)}: {label('edges', lang)}",
            _summary("network", "edges", totals["edges"]),
        ),
        (
            label("network_pieces", lang),
            Markup("{} ({}: {})").format(
                _summary("network", "pieces", totals["connectivity"]["pieces"]),
                label("largest_piece", lang),
                _summary(
                    "network",
                    "largest_piece_length_share",
                    totals["connectivity"]["largest_piece_length_share"],
                    "percent",
                ),
            ),
        ),
        (label("communities", lang), _summary("study", "communities", totals["communities"])),
        (label("population", lang), _summary("study", "population", totals["population"])),
        (
            label("outside_population", lang),
            _summary("study", "outside_population", totals["outside_population"]),
        ),
    ]
    for type_id, share in totals.get("coverage", {}).items():
        rows.append(
            (
                f"{label('covered_share', lang)}: {facility_type_label(type_id, lang)}",
                _summary("coverage_share", type_id, share, "percent"),
            )
        )
    for type_id, capacity in result.capacity.items():
        figures = capacity.totals
        rows.append(
            (
                f"{label('capacity', lang)}: {facility_type_label(type_id, lang)}",
                Markup("{} ({} {} / {})").format(
                    _summary(f"capacity_{type_id}", "capacity", figures["capacity"]),
                    label("assigned", lang),
                    _summary(f"capacity_{type_id}", "assigned", figures["assigned"]),
                    _summary(f"capacity_{type_id}", "population", figures["population"]),
                ),
            )
        )
    return rows


def _coverage_chart(totals: dict[str, Any], lang: str) -> str:
    shares = totals.get("coverage", {})
    if not shares:
        return ""
    return bar_chart([(facility_type_label(t, lang), s, f"{s:.1%}") for t, s in shares.items()])


def _coverage_table(result: StudyResult, lang: str) -> str:
    """Every measured type: its threshold and its basis, sites, people, covered share, note."""
    if result.coverage is None:
        return ""
    head = [
        label("type", lang),
        label("service_threshold", lang),
        label("facilities", lang),
        label("population", lang),
        label("covered", lang),
        label("covered_share", lang),
        label("note", lang),
    ]
    types = {t.id: t for t in result.study.types}
    rows = []
    for type_id, row in result.coverage.totals.iterrows():
        key = {"facility_type": type_id}
        measured = types.get(str(type_id))
        cells = [
            facility_type_label(type_id, lang),
            _threshold_text(measured, lang) if measured else "",
            figure(row["n_facilities"], "coverage_totals", key, "n_facilities"),
            figure(row["population"], "coverage_totals", key, "population"),
            figure(row["covered"], "coverage_totals", key, "covered"),
            figure(row["share"], "coverage_totals", key, "share", fmt="percent"),
            (measured.note if measured and measured.note else row["note"]) or "",
        ]
        rows.append(cells)
    return _table(head, rows)


def _threshold_text(measured: Any, lang: str) -> str:
    """E.g. "500 m (distance; gb50180_93_table, verified_primary)"."""
    cutoff = measured.cutoff
    basis = label("by_distance" if cutoff.basis == "distance" else "by_time", lang)
    value = cutoff.value
    return f"{cutoff.text} ({basis}; {value.source}, {value.verification})"


def _table(head: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Return an escaped HTML table (figures are Markup and kept as they are)."""
    escape = Markup.escape
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f'<table class="dataframe"><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>'


def _completeness_chart(totals: dict[str, Any], lang: str) -> str:
    scores = totals.get("completeness", {})
    if not scores:
        return ""
    chart = bar_chart([(level_name(level, lang), s, f"{s:.0%}") for level, s in scores.items()])
    figures = [
        [level_name(level, lang), _summary("mean_completeness", level, s, "percent")]
        for level, s in scores.items()
    ]
    return chart + _table([label("life_circle", lang), label("completeness", lang)], figures)


def _missing_table(result: StudyResult, lang: str) -> str:
    circles = result.life_circles
    if circles is None or "missing" not in circles.coverage.columns:
        return ""
    missing = circles.coverage[circles.coverage["missing"]]
    if len(missing) == 0:
        return ""
    name = "name_zh" if lang == "zh" else "name_en"
    if name not in missing.columns:
        return ""
    counts = missing.groupby(name).size().sort_values(ascending=False).head(10)
    frame = counts.to_frame(f"{label('missing', lang)} ({label('communities', lang)})")
    return _html_table(frame)


def _proposals(totals: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    out = []
    for type_id, summary in totals.get("proposals", {}).items():
        name = facility_type_label(type_id, lang)
        chart = bar_chart(
            [
                (
                    label("share_before", lang),
                    summary["share_before"],
                    f"{summary['share_before']:.1%}",
                ),
                (
                    label("share_after", lang),
                    summary["share_after"],
                    f"{summary['share_after']:.1%}",
                ),
            ]
        )
        section = f"proposal_{type_id}"
        text = Markup("{}: {} · {}: {} → {} · {}: {} · {}: {:.2%}").format(
            label("sites", lang),
            _summary(section, "sites", summary["sites"]),
            label("covered_share", lang),
            _summary(section, "share_before", summary["share_before"], "percent"),
            _summary(section, "share_after", summary["share_after"], "percent"),
            label("solver", lang),
            summary["solver"],
            label("gap", lang),
            summary["gap"],
        )
        out.append({"name": name, "chart": chart, "text": text})
    return out


def _indicator_table(result: StudyResult, lang: str) -> str:
    if result.indicators is None:
        return ""
    return _html_table(result.indicators.summary(lang).reset_index(drop=True))


def _unsupported(result: StudyResult, lang: str) -> str:
    found = result.indicators
    if found is None or len(found.unsupported) == 0:
        return ""
    head = "数据不足、未评估的指标" if lang == "zh" else "Indicators the data cannot support"
    items = "; ".join(f"{row.number}: {row.reason}" for row in found.unsupported.itertuples())
    return f"{head}: {items}"


def _html_table(frame: pd.DataFrame) -> str:
    """Return an escaped HTML table with numbers formatted for reading."""
    formatted = frame.copy()
    for column in formatted.columns:
        if pd.api.types.is_float_dtype(formatted[column]):
            digits = 3 if str(column).startswith("share") else 1
            formatted[column] = formatted[column].map(lambda v, d=digits: f"{v:,.{d}f}")
    return str(formatted.to_html(escape=True, border=0))
