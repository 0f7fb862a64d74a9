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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd
from markupsafe import Markup

from geoplan._i18n import (
    column_label,
    describe_cutoff,
    facility_type_label,
    is_share_column,
    label,
    level_name,
    parameter_name,
    profile_name,
    resolve_lang,
    unit_name,
    verification_name,
)
from geoplan._io import atomic_path, sha256
from geoplan._study_groups import groups_table
from geoplan.standards import current_standards
from geoplan.study import StudyResult, study_totals

__all__ = [
    "FORMATS",
    "Block",
    "bar_chart",
    "figure",
    "group_coverage",
    "methods",
    "scenario_tables",
    "write_report_page",
]

#: How a figure's value is shown, by its ``data-format``.
FORMATS = {
    "percent": lambda v: f"{v:.1%}",
    "count": lambda v: f"{v:,.0f}",
    "number": lambda v: f"{v:,.1f}",
    "speed": lambda v: f"{v:.2f}",
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
data-column="share" data-value="0.5" data-format="percent" \
title="tables/coverage_totals.csv: share">50.0%</span>'
    """
    number = float(value)
    shown = FORMATS[fmt](number) if math.isfinite(number) else "—"
    keys = ";".join(f"{k}={v}" for k, v in key.items())
    return Markup(
        '<span class="figure" data-table="{}" data-key="{}" data-column="{}" '
        'data-value="{}" data-format="{}" title="tables/{}.csv: {}">{}</span>'
    ).format(table, keys, column, repr(number), fmt, table, column, shown)


def _summary(section: str, item: str, value: float, fmt: str = "count") -> Markup:
    return figure(value, "summary", {"section": section, "item": item}, "value", fmt=fmt)


@dataclass(frozen=True)
class _Bar:
    name: str
    value: float
    text: str


def bar_chart(bars: Sequence[tuple[str, float, str]], *, maximum: float = 1.0) -> Markup:
    """Draw a horizontal bar chart as inline SVG; names and texts are escaped.

    Parameters
    ----------
    bars
        (name, value, text shown after the bar).
    maximum
        The value of a full-width bar.

    Returns
    -------
    markupsafe.Markup
        An ``<svg>`` element (safe HTML: names and texts are escaped).

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
    return Markup("".join(parts))  # noqa: S704 - names and texts are escaped above


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
{% if groups %}
<h3 id="groups">{{ t.population_groups }}</h3>
<p>{{ groups.text }}</p>
{{ groups.table|safe }}
{% endif %}
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

{% if scenarios %}
<h2 id="scenarios">{{ t.scenarios }}</h2>
{% for s in scenarios %}
<h3>{{ t.scenario }}: {{ s.name }}</h3>
<p>{{ s.text }}</p>
{{ s.table|safe }}
{% endfor %}
{% endif %}

<h2 id="methods">{{ t.methods }}</h2>
{% for heading, body in methods %}<h3>{{ heading }}</h3>
{{ body }}
{% endfor %}

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
{% for step, seconds in timings %}<tr><td>{{ step }}</td><td>{{ seconds }} {{ t.seconds }}</td></tr>
{% endfor %}</table>
<p class="muted">{{ t.run_json }}</p>
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
    "methods",
    "seconds",
    "run_json",
    "population_groups",
    "scenario",
    "scenarios",
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
        groups=_group_coverage(result, lang),
        completeness_chart=_completeness_chart(totals, lang),
        missing_table=_missing_table(result, lang),
        proposals=_proposals(totals, lang),
        scenarios=_scenarios(result, lang),
        indicators=_indicator_table(result, lang),
        unsupported=_unsupported(result, lang),
        caveats=[c.text(lang) for c in result.caveats],
        notes=sorted(set(result.notes)),
        files=[
            p
            for kind in ("tables", "layers", "rasters", "sites", "print")
            for p in written.get(kind, [])
        ],
        timings=[(step_name(k, lang), f"{v:,.2f}") for k, v in result.timings.items()],
        methods=[(heading, _blocks_html(blocks)) for heading, blocks in methods(result, lang)],
    )
    path = folder / "report.html"
    with atomic_path(path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return path


def _map_name(path: str, lang: str) -> str:
    stem = Path(path).stem
    if stem == "indicators":
        return label("indicators", lang)
    for prefix, key in (
        ("coverage_", "coverage"),
        ("sites_", "site_proposals"),
        ("scenario_", "scenario"),
    ):
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
            describe_cutoff(measured.cutoff, lang) if measured else "",
            figure(row["n_facilities"], "coverage_totals", key, "n_facilities"),
            figure(row["population"], "coverage_totals", key, "population"),
            figure(row["covered"], "coverage_totals", key, "covered"),
            figure(row["share"], "coverage_totals", key, "share", fmt="percent"),
            (measured.note_in(lang) if measured and measured.note else row["note"]) or "",
        ]
        rows.append(cells)
    return _table(head, rows)


def group_coverage(
    result: StudyResult, lang: str, cell: Callable[..., Any] = figure
) -> dict[str, Any] | None:
    """一老一小: each type's covered share for everyone and for each group, at its speed.

    Parameters
    ----------
    result
        From :func:`geoplan.run_study`.
    lang
        ``"zh"`` or ``"en"``.
    cell
        How a figure is shown, called as :func:`figure` is: :func:`figure` for the page,
        a plain formatter for report.pdf.

    Returns
    -------
    dict or None
        ``lead`` and ``tail`` (text), ``speeds`` (each group's name, speed and unit),
        ``head`` and ``rows`` (the table); None when the study has no groups.
    """
    study = result.study
    if result.coverage is None or not study.groups:
        return None
    speeds = groups_table(study.groups, study.network).set_index("group")["walk_speed_m_s"]
    unit = "米/秒" if lang == "zh" else "m/s"
    said = [
        (
            label("everyone", lang)
            if group == "everyone"
            else _group_name(study, str(group), lang),
            cell(speed, "population_groups", {"group": group}, "walk_speed_m_s", fmt="speed"),
            unit,
        )
        for group, speed in speeds.items()
    ]
    lead = (
        "各人群按自己的步行速度计算覆盖率："
        if lang == "zh"
        else "Each group is measured at its own walking speed: "
    )
    tail = (
        "。以路网距离为服务范围的类型（如幼儿园 300 米）对各人群相同。"
        if lang == "zh"
        else ". Types whose threshold is a network distance (a kindergarten's 300 m) are the same "
        "for every group."
    )
    head = [label("type", lang), label("service_threshold", lang), label("everyone", lang)]
    head += [_group_name(study, g.id, lang) for g in study.groups]
    types = {t.id: t for t in study.types}
    rows = []
    for type_id, row in result.coverage.totals.iterrows():
        key = {"facility_type": type_id}
        measured = types.get(str(type_id))
        cells: list[Any] = [
            facility_type_label(type_id, lang),
            describe_cutoff(measured.cutoff, lang) if measured else "",
            cell(row["share"], "coverage_totals", key, "share", fmt="percent"),
        ]
        cells += [
            cell(row[f"share_{g.id}"], "coverage_totals", key, f"share_{g.id}", fmt="percent")
            for g in study.groups
        ]
        rows.append(cells)
    return {"lead": lead, "speeds": said, "tail": tail, "head": head, "rows": rows}


def _group_coverage(result: StudyResult, lang: str) -> dict[str, Markup] | None:
    """Return the page's 一老一小 section: its sentence and its table."""
    found = group_coverage(result, lang)
    if found is None:
        return None
    said = [Markup("{} {} {}").format(*speed) for speed in found["speeds"]]
    joined = Markup("、") if lang == "zh" else Markup(", ")
    text = Markup("{}{}{}").format(found["lead"], joined.join(said), found["tail"])
    return {"text": text, "table": _table(found["head"], found["rows"])}


def _group_name(study: Any, group_id: str, lang: str) -> str:
    for group in study.groups:
        if group.id == group_id:
            return str(group.label(lang))
    return group_id


def _table(head: Sequence[str], rows: Sequence[Sequence[Any]]) -> Markup:
    """Return an HTML table: every cell escaped, except figures (already Markup)."""
    escape = Markup.escape
    header = Markup("").join(Markup("<th>{}</th>").format(escape(h)) for h in head)
    body = Markup("").join(
        Markup("<tr>{}</tr>").format(
            Markup("").join(Markup("<td>{}</td>").format(escape(cell)) for cell in row)
        )
        for row in rows
    )
    return Markup(
        '<table class="dataframe"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>'
    ).format(header, body)


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
    rows = [[name, f"{int(n):,}"] for name, n in counts.items()]
    head = [label("type", lang), f"{label('missing', lang)} ({label('communities', lang)})"]
    return _table(head, rows)


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


#: How the figures of a scenario's measures are shown.
_SCENARIO_FORMATS = {"covered": "count", "sites": "count"}


def scenario_tables(
    result: StudyResult, lang: str, cell: Callable[..., Any] = figure
) -> list[dict[str, Any]]:
    """Each scenario: what it changed and every figure before and after (its table's cells).

    Parameters
    ----------
    result
        From :func:`geoplan.run_study`.
    lang
        ``"zh"`` or ``"en"``.
    cell
        How a figure is shown, called as :func:`figure` is.

    Returns
    -------
    list of dict
        ``name``, ``text`` (the edits, in words), ``head`` and ``rows`` of each scenario.
    """
    out = []
    for name, answer in result.scenarios.items():
        table = f"scenario_{name}"
        head = [
            label("type", lang),
            label("measure", lang),
            label("scenario_before", lang),
            label("scenario_after", lang),
            label("change", lang),
            label("newly_covered", lang),
            label("lost", lang),
        ]
        rows = []
        for row in answer.table.to_dict("records"):
            key = {k: row[k] for k in ("topic", "subject", "measure")}
            fmt = _SCENARIO_FORMATS.get(str(row["measure"]), "percent")
            people = str(row["measure"]) == "covered"
            rows.append(
                [
                    _subject_name(str(row["topic"]), str(row["subject"]), lang),
                    _measure_name(str(row["measure"]), lang),
                    *(cell(row[c], table, key, c, fmt=fmt) for c in ("before", "after", "change")),
                    *(
                        cell(row[c], table, key, c, fmt="count") if people else ""
                        for c in ("newly_covered", "lost")
                    ),
                ]
            )
        edits = answer.text(lang)
        said = (
            f"{edits}；同一研究在修改后的路网上重新计算，人口与设施重新吸附到最近的路段。"
            if lang == "zh"
            else f"{edits}; the same study run again on the edited network, people and "
            "facilities snapped anew to their nearest street."
        )
        out.append({"name": name, "text": said, "head": head, "rows": rows})
    return out


def _scenarios(result: StudyResult, lang: str) -> list[dict[str, Any]]:
    """Return the page's scenarios: each one's words and its table."""
    return [
        {"name": s["name"], "text": s["text"], "table": _table(s["head"], s["rows"])}
        for s in scenario_tables(result, lang)
    ]


def _subject_name(topic: str, subject: str, lang: str) -> str:
    if topic == "life_circle":
        return level_name(subject, lang)
    return facility_type_label(subject, lang)


def _measure_name(measure: str, lang: str) -> str:
    keys = {
        "share": "covered_share",
        "covered": "covered",
        "completeness": "completeness",
        "sites": "sites",
        "share_existing": "share_before",
        "share_with_new_sites": "share_after",
    }
    if measure in keys:
        return label(keys[measure], lang)
    return column_label(measure, lang)


def _indicator_table(result: StudyResult, lang: str) -> str:
    if result.indicators is None:
        return ""
    return _html_table(result.indicators.summary(lang).reset_index(drop=True), lang)


def _unsupported(result: StudyResult, lang: str) -> str:
    found = result.indicators
    if found is None or len(found.unsupported) == 0:
        return ""
    head = "数据不足、未评估的指标" if lang == "zh" else "Indicators the data cannot support"
    items = "; ".join(f"{row.number}: {row.reason}" for row in found.unsupported.itertuples())
    return f"{head}: {items}"


def _html_table(frame: pd.DataFrame, lang: str) -> str:
    """Return an escaped HTML table for reading: headers in ``lang``, shares as percentages."""
    shown = frame.reset_index() if frame.index.name is not None else frame
    head = [column_label(str(c), lang) for c in shown.columns]
    rows = [
        [_cell(value, str(column), lang) for column, value in row.items()]
        for _, row in shown.iterrows()
    ]
    return _table(head, rows)


def _cell(value: Any, column: str, lang: str) -> str:
    """Format one value as people read it: 54.0 %, 1,234, 是/否, — for nothing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool | np.bool_):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        number = float(value)
        if is_share_column(column):
            return f"{number:.1%}"
        return f"{number:,.0f}" if abs(number) >= 100 else f"{number:,.2f}".rstrip("0").rstrip(".")
    return str(value)


# -------------------------------------------------------------- methods and assumptions

_REASONS = {
    "tag": ("按建筑标签", "by building tag"),
    "name": ("按名称", "by name"),
    "landuse": ("按所在用地", "by the land use under it"),
    "very_large": ("超大且未标注为住宅", "very large and not tagged residential"),
    "caller": ("调用时指定", "by the caller"),
    "non_residential": ("非居住用地", "non-residential parcels"),
    "unknown_class": ("用地类别未知", "unknown land-use class"),
}

_STEPS = {
    "load_network": ("读取路网", "reading the network"),
    "load_communities": ("读取社区", "reading the communities"),
    "load_population": ("读取人口", "reading the population"),
    "load_facilities": ("读取设施", "reading the facilities"),
    "load_register": ("读取社区台账", "reading the register"),
    "load_base_layers": ("读取底图要素", "reading the base map's features"),
    "resolve": ("整合输入", "resolving the inputs"),
    "life_circles": ("生活圈完整度", "life circles"),
    "service_areas": ("服务范围", "service areas"),
    "coverage": ("覆盖率", "coverage"),
    "indicators": ("规划指标", "the plan's indicators"),
    "sites": ("选址建议", "site proposals"),
    "scenarios": ("情景分析", "scenarios"),
    "write_layers": ("写出图层", "writing layers"),
    "write_tables": ("写出表格", "writing tables"),
    "write_rasters": ("写出栅格", "writing rasters"),
    "write_maps": ("写出地图", "writing maps"),
    "write_sites": ("写出选址文件", "writing site files"),
    "write_print": ("写出印刷图", "writing print maps"),
    "whole_run": ("全程", "the whole run"),
}


def step_name(step: str, lang: str) -> str:
    """Return a step of the run by its name in ``lang`` (the step itself when unknown)."""
    names = _STEPS.get(step)
    return step if names is None else names[0 if lang == "zh" else 1]


_HOW = {
    "zh": [
        "路网：步行网络投影到当地 UTM 坐标，边长以米计；时间 = 长度 ÷ 步行速度。",
        "点与设施吸附到最近的路段（不是最近的节点），行程 = 接入段 + 沿路段到两端的距离；"
        "面状设施（公园、学校）取其离连通道路最近的点。",
        "覆盖率 = 最近同类设施在服务范围内的人口 ÷ 人口；各社区分别统计，社区外的人另列一行。",
        "生活圈完整度 = 该层级各项标准设施覆盖率的平均值；低于 50% 的项目列为缺项（默认值）。",
        "选址：候选点 × 需求点的稀疏覆盖矩阵，现有设施保持不变，"
        "用 HiGHS 精确求解或贪心算法，并报告最优间隙。",
    ],
    "en": [
        "Network: the walking network projected to the local UTM zone, edges in metres; "
        "time = length / walking speed.",
        "Homes and facilities attach to the nearest edge (not node): travel = the access leg "
        "plus the distance along the edge; a park or school is reached at its point nearest "
        "the connected streets.",
        "Covered share = people whose nearest facility of the type lies within its threshold, "
        "divided by the people; per community, with people outside every community in a row "
        "of their own.",
        "Life-circle completeness = the mean covered share of the level's required types; a "
        "type under 50 % is listed as missing (a default).",
        "Site proposals: a sparse candidates x demand coverage matrix, existing facilities held "
        "fixed, solved exactly with HiGHS or greedily, with the optimality gap reported.",
    ],
}


@dataclass(frozen=True)
class Block:
    """A piece of the methods chapter, for the page and for report.pdf alike.

    A paragraph (``text``), a table (``head`` and ``rows``) or a list (``items``).
    """

    text: str = ""
    head: Sequence[str] = ()
    rows: Sequence[Sequence[str]] = ()
    items: Sequence[str] = ()


def methods(result: StudyResult, lang: str) -> list[tuple[str, list[Block]]]:
    """Return the report's chapter on methods and assumptions: (heading, blocks) sections."""
    zh = lang == "zh"
    sections = [
        ("数据来源" if zh else "Data", _data_sources(result, lang)),
        (
            "设施类型与服务范围" if zh else "Facility types and thresholds",
            _thresholds(result, lang),
        ),
    ]
    if result.study.groups:
        sections.append((label("walk_speeds", lang), _walk_speeds(result, lang)))
    population = _population_method(result, lang)
    if population:
        sections.append(("人口估算" if zh else "How the population was estimated", population))
    sections.append(
        ("计算方法" if zh else "How the figures are computed", [Block(items=_HOW[lang])])
    )
    return sections


def _blocks_html(blocks: Sequence[Block]) -> Markup:
    """Return the blocks as HTML (every text escaped)."""
    out = []
    for block in blocks:
        if block.head:
            out.append(_table(block.head, block.rows))
        elif block.items:
            items = Markup("").join(Markup("<li>{}</li>").format(t) for t in block.items)
            out.append(Markup("<ul>{}</ul>").format(items))
        elif block.text:
            out.append(Markup("<p>{}</p>").format(block.text))
    return Markup("").join(out)


def _data_sources(result: StudyResult, lang: str) -> list[Block]:
    study = result.study
    zh = lang == "zh"
    rows = []
    for path in study.inputs:
        size = path.stat().st_size if path.is_file() else 0
        rows.append([path.name, f"{size / 1e6:,.2f} MB", sha256(path)[:12]])
    head = [
        "文件" if zh else "file",
        "大小" if zh else "size",
        "SHA-256（前 12 位）" if zh else "SHA-256 (first 12)",
    ]
    network = study.network
    text = (
        f"路网：{network.name}（{network.n_nodes:,} 个节点，{network.n_edges:,} 条路段，"
        f"{profile_name(network.profile, lang)}）。OpenStreetMap 数据 © OpenStreetMap 贡献者，"
        "ODbL 1.0。"
        if zh
        else f"Network: {network.name} ({network.n_nodes:,} nodes, {network.n_edges:,} edges, "
        f"{network.profile}). OpenStreetMap data © OpenStreetMap contributors, ODbL 1.0."
    )
    return [Block(text=text), Block(head=head, rows=rows)] if rows else [Block(text=text)]


def _source_name(source_id: str, lang: str, cites: Mapping[Any, Any]) -> str:
    """Return what a threshold cites: the source's Chinese name in zh, its full citation in en.

    The citations quote the sources with English notes; a Chinese page names them.
    """
    if lang == "zh" and source_id in cites:
        return current_standards().source(source_id).name_in("zh")
    return str(cites.get(source_id, source_id))


def _thresholds(result: StudyResult, lang: str) -> list[Block]:
    zh = lang == "zh"
    cites = current_standards().sources()["cite"].to_dict()
    rows = []
    for t in result.study.types:
        value = t.cutoff.value
        basis = label("by_distance" if t.cutoff.basis == "distance" else "by_time", lang)
        rows.append(
            [
                t.label(lang),
                t.cutoff.text_in(lang),
                basis,
                _source_name(value.source, lang, cites),
                verification_name(value.verification, lang),
                t.source_in(lang),
                t.stand_in or "—",
            ]
        )
    head = (
        ["设施类型", "服务范围", "度量", "依据", "核实程度", "设施来源", "替代数据"]
        if zh
        else [
            "type",
            "threshold",
            "measured as",
            "source",
            "verification",
            "sites from",
            "stand-in",
        ]
    )
    return [Block(head=head, rows=rows)]


def _walk_speeds(result: StudyResult, lang: str) -> list[Block]:
    """Everyone's and each group's walking speed, its source and how well it was checked."""
    study = result.study
    zh = lang == "zh"
    cites = current_standards().sources()["cite"].to_dict()
    rows = []
    for row in groups_table(study.groups, study.network).to_dict("records"):
        group, share = str(row["group"]), row["assumed_share"]
        name = label("everyone", lang) if group == "everyone" else _group_name(study, group, lang)
        counted = (
            f"{float(share):.1%} × {'人口' if zh else 'population'}"
            if share is not None and not math.isnan(float(share))
            else str(row["column"])
        )
        counted = label("population", lang) if group == "everyone" else counted
        source = str(row["speed_source"])
        rows.append(
            [
                name,
                counted,
                f"{float(row['walk_speed_m_s']):.2f}",
                _source_name(source, lang, cites),
                verification_name(str(row["speed_verification"]), lang),
            ]
        )
    head = (
        ["人群", "人口", "步行速度（米/秒）", "依据", "核实程度"]
        if zh
        else ["group", "people", "walking speed (m/s)", "source", "verification"]
    )
    note = (
        "一个人群在 T 分钟内到达的范围，等于全体在 T × v群 / v全体 分钟内到达的范围"
        "（每条路段上的用时都按速度之比放大）；生活圈完整度与选址按全体的步行速度计算。"
        if zh
        else "A group reaches within T minutes what everyone reaches within T x v_group / "
        "v_everyone minutes (its time on every edge scales by the ratio of the speeds); the "
        "life circles and the site proposals use everyone's speed."
    )
    return [Block(head=head, rows=rows), Block(text=note)]


def _population_method(result: StudyResult, lang: str) -> list[Block]:
    method = result.study.population_method
    if not method:
        return []
    zh = lang == "zh"
    text = method.get("method", {}).get("zh" if zh else "en", "")
    cites = current_standards().sources()["cite"].to_dict()
    rows = [
        [
            parameter_name(str(d.get("name", "")), lang),
            f"{d.get('value', '')} {unit_name(str(d.get('unit', '')), lang)}".strip(),
            _source_name(str(d.get("source", "")), lang, cites),
            verification_name(str(d.get("verification", "")), lang),
        ]
        for d in method.get("defaults", [])
    ]
    head = (
        ["参数", "取值", "来源", "核实程度"]
        if zh
        else ["parameter", "value", "source", "verification"]
    )
    left_out = method.get("excluded", {})
    items = [
        f"{_REASONS.get(reason, (reason, reason))[0 if zh else 1]}: "
        f"{figures.get('count', 0):,} ({figures.get('people', 0):,.0f})"
        for reason, figures in left_out.items()
        if figures.get("count", 0)
    ]
    note = (
        "未计入的建筑（条数与按公式本应计入的人数）："
        if zh
        else "Left out (count and people by the formula): "
    )
    blocks = [Block(text=text), Block(head=head, rows=rows)]
    if items:
        blocks.append(Block(text=note + ("；".join(items) if zh else "; ".join(items))))
    return blocks
