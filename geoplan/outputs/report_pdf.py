"""report.pdf: the report page's content as a printable A4 document, in the run's language.

Beside report.html, a run writes report.pdf with the same content: the title,
the key figures, the coverage of every measured type with its threshold, the
life circles, the plan's indicators, the site proposals, the caveats
(说明与局限) and the print maps (:mod:`geoplan.outputs.print_maps`) as
figures. Every figure is read from :func:`~geoplan.study.study_totals` and the
result's tables exactly as report.html reads them, and formatted by the same
:data:`~geoplan.outputs.report_page.FORMATS`, so the two agree.

It is written with fpdf2 (pure Python, on PyPI): it embeds TrueType and
OpenType fonts, CFF-based CJK collections (``.ttc``) included, as subsets, so a
Chinese report carries the few hundred glyphs it uses, not a 20 MB font; and
it writes tables with bold headings and page breaks. The same result gives the
same bytes: the document's date is the run's.
"""

from __future__ import annotations

import datetime
import functools
import math
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pandas as pd
from fpdf.enums import WrapMode

from geoplan._i18n import describe_cutoff, facility_type_label, label, level_name, resolve_lang
from geoplan._io import atomic_path
from geoplan._version import __version__
from geoplan.outputs.fonts import Typeface, cjk_typeface, latin_typeface, print_typeface
from geoplan.outputs.print_maps import data_sources, figure_text, write_print_maps
from geoplan.outputs.report_page import group_coverage, methods, scenario_tables
from geoplan.study import StudyResult, study_totals

if TYPE_CHECKING:
    from fpdf import FPDF

    class _Document(FPDF):
        footer_text: str


__all__ = ["ready_to_print", "write_print", "write_report_pdf"]

_BLUE = (49, 130, 189)  # the bars of report.html
_HEAD_FILL = (243, 243, 243)
_MARGIN_MM = 15.0
_TEXT_PT = 10.0


def ready_to_print() -> None:
    """Load what writing the print maps and report.pdf uses, ahead of it.

    matplotlib's figure, Agg and PDF backends and font manager, fpdf's font
    subsetting (fontTools) and Pillow, the machine's typefaces (found once
    per process), and report.pdf's empty document with the typeface it will
    be written in (its four fonts read: 0.8-1.0 s with Noto Sans CJK, taken
    by the next report this process writes in that typeface): about two
    seconds of a Harbin run's print writer, which
    :func:`geoplan.outputs.run.print_ahead` spends while the run goes on.
    Nothing is written; what fails here fails again, and is reported, where
    it is used.
    """
    import importlib

    for module in (
        "matplotlib.figure",
        "matplotlib.collections",
        "matplotlib.patches",
        "matplotlib.backends.backend_agg",
        "matplotlib.backends.backend_pdf",
        "matplotlib.font_manager",
        "fpdf",
        "fontTools.subset",
        "PIL.Image",
        "PIL.PngImagePlugin",
    ):
        importlib.import_module(module)
    latin = latin_typeface()
    _make_document_ahead(cjk_typeface() or latin)


def write_print(
    result: StudyResult,
    folder: Path,
    *,
    lang: str | None = None,
    typeface: Typeface | None = None,
) -> list[str]:
    """Write the print maps (``print/*.png``, ``print/*.pdf``) and ``report.pdf``.

    When the run is in Chinese and the machine has no Chinese font, both are
    written in English and a note saying how to install one is added to the
    run's notes (run.json, report.html).

    Parameters
    ----------
    result
        From :func:`geoplan.run_study`.
    folder
        The run folder.
    lang
        ``"zh"`` or ``"en"``; default ``settings.lang``.
    typeface
        The typeface, chosen by the caller with
        :func:`~geoplan.outputs.fonts.print_typeface` (which then keeps the
        note); ``lang`` is then the language it draws.

    Returns
    -------
    list of str
        The files written, relative to ``folder``.
    """
    if typeface is None:
        typeface, lang, note = print_typeface(resolve_lang(lang))
        if note is not None:
            result.notes.append(note)
    lang = resolve_lang(lang)
    # each page, from the pixels its PNG was made of, is loaded into report.pdf's document
    # by the thread that encodes the PNG, while the next PDF is drawn; that thread takes the
    # document at the first page (it may still be made ahead: the pages need not wait for it)
    writer = functools.cache(lambda: _report_writer(result, lang, typeface))
    loaded: dict[Path, str] = {}

    def keep(png: Path, pixels: Any) -> None:
        loaded[png] = writer().load_figure(_indexed(_image(pixels)))

    maps = write_print_maps(result, folder, lang=lang, typeface=typeface, on_pixels=keep)
    figures = [(path, loaded[path]) for path in maps if path.suffix == ".png"]
    report = _finish_report(writer(), result, folder, figures)
    return [path.relative_to(folder).as_posix() for path in [*maps, report]]


def write_report_pdf(
    result: StudyResult,
    folder: Path,
    *,
    figures: Sequence[Path] = (),
    lang: str | None = None,
    typeface: Typeface | None = None,
) -> Path:
    """Write ``folder/report.pdf``: the report page's content, with ``figures`` as pages.

    Parameters
    ----------
    result
        From :func:`geoplan.run_study`.
    folder
        The run folder.
    figures
        Images to add, one to a landscape page (the print maps' PNGs).
    lang
        ``"zh"`` or ``"en"``; default ``settings.lang``.
    typeface
        The typeface to embed; by default :func:`~geoplan.outputs.fonts.print_typeface`
        chooses.

    Returns
    -------
    pathlib.Path
    """
    lang = resolve_lang(lang)
    if typeface is None:
        typeface, lang, _ = print_typeface(lang)
    writer = _report_writer(result, lang, typeface)
    pages = [(image, writer.load_figure(_indexed(_read(image)))) for image in figures]
    return _finish_report(writer, result, folder, pages)


def _report_writer(result: StudyResult, lang: str, typeface: Typeface) -> _Writer:
    """Return the writer of ``result``'s report.pdf, its document empty."""
    study = result.study
    title = study.config.title if study.config is not None else study.name
    return _Writer(typeface, lang, title, study.started)


def _finish_report(
    writer: _Writer, result: StudyResult, folder: Path, figures: Sequence[tuple[Path, str]]
) -> Path:
    """Write ``folder/report.pdf`` with ``figures`` (each print map's PNG and its loaded image)."""
    writer.cover(result)
    writer.key_figures(result)
    writer.coverage(result)
    writer.groups(result)
    writer.life_circles(result)
    writer.indicators(result)
    writer.proposals(result)
    writer.scenarios(result)
    writer.methods(result)
    writer.caveats(result)
    writer.figures(figures)
    path = folder / "report.pdf"
    with atomic_path(path) as tmp:
        writer.pdf.output(str(tmp))
    return path


#: report.pdf's empty document made ahead (:func:`ready_to_print`), by its typeface; the next
#: report in that typeface takes it. The lock is held while it is made, so that the report
#: waits for a document half made rather than reading the fonts a second time.
_made_ahead: dict[Typeface, _Document] = {}
_making_ahead = threading.Lock()


def _make_document_ahead(typeface: Typeface) -> None:
    with _making_ahead:
        _discard_made_ahead()
        pdf = _empty_document(typeface)
        _read_outline_index(pdf)
        _made_ahead[typeface] = pdf


def _read_outline_index(pdf: FPDF) -> None:
    """Read each CFF font's index of glyph outlines now, not when the report is written.

    fontTools reads a font's tables when they are first used; making a Noto
    Sans CJK report's subsets read its two fonts' outline indexes (65,535
    glyphs each) at the end of the print writer's work: 0.05 s.
    """
    for font in pdf.fonts.values():
        ttfont = getattr(font, "ttfont", None)
        if ttfont is not None and "CFF " in ttfont:
            cff = ttfont["CFF "].cff
            _ = cff[cff.fontNames[0]].CharStrings


def _discard_made_ahead() -> None:
    """Drop the document made ahead, if any, closing its font files."""
    for pdf in _made_ahead.values():
        for font in pdf.fonts.values():
            ttfont = getattr(font, "ttfont", None)
            if ttfont is not None:
                ttfont.close()
    _made_ahead.clear()


def _document(typeface: Typeface, title: str, footer: str) -> _Document:
    """Return an A4 document with the typeface (regular and bold) and page numbers."""
    with _making_ahead:
        pdf = _made_ahead.pop(typeface, None)
    if pdf is None:
        pdf = _empty_document(typeface)
    pdf.footer_text = footer
    pdf.set_title(title)
    pdf.set_creator(f"geoplan {__version__}")
    pdf.set_lang("zh-CN" if typeface.cjk else "en")
    return pdf


def _empty_document(typeface: Typeface) -> _Document:
    """Return an A4 document with the typeface's fonts (regular and bold) and no text yet."""
    pdf = _document_class()(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(_MARGIN_MM, _MARGIN_MM, _MARGIN_MM)
    pdf.set_auto_page_break(auto=True, margin=18)
    for style, face in (("", typeface.regular), ("B", typeface.bold)):
        pdf.add_font("body", style, str(face.path), collection_font_number=face.index)
    latin = latin_typeface()
    if typeface.family != latin.family:
        pdf.add_font("latin", "", str(latin.regular.path))
        pdf.add_font("latin", "B", str(latin.bold.path))
        pdf.set_fallback_fonts(["latin"])
    _keep_glyph_boxes(pdf)
    return pdf


@functools.cache
def _document_class() -> type[_Document]:
    """Return the class of report.pdf's documents: fpdf's, with a footer of page numbers."""
    from fpdf import FPDF

    class Document(FPDF):
        footer_text = ""

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("body", size=8)
            self.set_text_color(119, 119, 119)
            self.cell(0, 5, f"{self.footer_text} · {self.page_no()}/{{nb}}", align="C")

    return cast("type[_Document]", Document)


def _keep_glyph_boxes(pdf: FPDF) -> None:
    """Embed the font subsets without recomputing their bounding boxes.

    fontTools recomputes the boxes of every glyph of a subset when it writes it
    (``recalcBBoxes``); the subset's glyphs are the font's own, unchanged, so the
    font's boxes stay valid (a subset's font box is then the whole font's, which
    holds it). Skipping it took report.pdf from 3.8 to 2.7 s with Noto Sans CJK.
    """
    for font in pdf.fonts.values():
        ttfont = getattr(font, "ttfont", None)
        if ttfont is not None:
            ttfont.recalcBBoxes = False


class _Writer:
    """Writes the report's sections into one fpdf2 document."""

    def __init__(self, typeface: Typeface, lang: str, title: str, started: float) -> None:
        self.typeface = typeface
        self.lang = lang
        self.title = self.text(title)
        self.started = started
        self.pdf = _document(typeface, self.title, self.text(label("report_title", lang)))
        # Chinese has no spaces to break at
        self.wrap = WrapMode.CHAR if lang == "zh" else WrapMode.WORD
        # the run's time, so that the same result gives the same bytes
        self.pdf.set_creation_date(datetime.datetime.fromtimestamp(started, datetime.UTC))

    # ------------------------------------------------------------------ text
    def text(self, value: Any) -> str:
        """Return a cell's text: drawable by the typeface (see :meth:`Typeface.clean`)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        return self.typeface.clean(str(value))

    def colon(self) -> str:
        return "：" if self.lang == "zh" else ": "

    def heading(self, text: str, size: float = 14.0) -> None:
        pdf = self.pdf
        if pdf.will_page_break(size * 0.5 + 30):  # keep a heading with what follows it
            pdf.add_page(orientation=pdf.cur_orientation.value)
        pdf.ln(3)
        pdf.set_font("body", "B", size)
        pdf.set_text_color(34, 34, 34)
        pdf.multi_cell(0, size * 0.5, self.text(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
        pdf.set_font("body", size=_TEXT_PT)

    def paragraph(self, text: str, *, colour: tuple[int, int, int] = (34, 34, 34)) -> None:
        pdf = self.pdf
        pdf.set_font("body", size=_TEXT_PT)
        pdf.set_text_color(*colour)
        pdf.multi_cell(
            0,
            5.2,
            self.text(text),
            new_x="LMARGIN",
            new_y="NEXT",
            wrapmode=self.wrap,
        )
        pdf.set_text_color(34, 34, 34)

    def bullets(self, items: Sequence[str], *, colour: tuple[int, int, int]) -> None:
        for item in items:
            self.paragraph(f"• {item}", colour=colour)
            self.pdf.ln(0.8)

    def table(
        self,
        head: Sequence[str] | None,
        rows: Sequence[Sequence[Any]],
        *,
        size: float = 9.0,
        width: float | None = None,
    ) -> None:
        """Write a table: bold, shaded headings; text left, numbers right.

        Columns are as wide as their longest text (within limits), so that long
        names wrap and numbers do not.
        """
        from fpdf.fonts import FontFace

        pdf = self.pdf
        pdf.set_font("body", size=size)
        pdf.set_fill_color(255, 255, 255)
        cells = [[self.text(c) for c in row] for row in rows]
        titles = [self.text(h) for h in head] if head is not None else None
        align = tuple(_alignment(cells, column) for column in range(len(cells[0])))
        with pdf.table(
            width=width,
            col_widths=_widths(cells if titles is None else [titles, *cells]),
            align="LEFT",
            text_align=align,
            first_row_as_headings=titles is not None,
            headings_style=FontFace(emphasis="BOLD", fill_color=_HEAD_FILL),
            line_height=size * 0.5,
            padding=1,
            borders_layout="ALL",
            wrapmode=self.wrap,
        ) as table:
            if titles is not None:
                heading = table.row()
                for cell in titles:
                    heading.cell(cell)
            for row in cells:
                line = table.row()
                for cell in row:
                    line.cell(cell)
        pdf.ln(2)
        pdf.set_font("body", size=_TEXT_PT)

    def bars(self, bars: Sequence[tuple[str, float, str]], *, maximum: float = 1.0) -> None:
        """Draw a horizontal bar chart (report.html's): a name, a bar, the value's text."""
        pdf = self.pdf
        pdf.set_font("body", size=9)
        name_w, bar_w, row_h = 62.0, 85.0, 6.0
        for name, value, shown in bars:
            if pdf.will_page_break(row_h):
                pdf.add_page()
            x, y = pdf.l_margin, pdf.get_y()
            pdf.set_xy(x, y)
            pdf.cell(name_w - 2, row_h, self.text(name), align="R")
            share = (
                0.0 if maximum <= 0 or math.isnan(value) else min(max(value / maximum, 0.0), 1.0)
            )
            width = bar_w * share
            if width > 0:
                pdf.set_fill_color(*_BLUE)
                pdf.rect(x + name_w, y + 1.2, width, row_h - 2.4, style="F")
                pdf.set_fill_color(255, 255, 255)
            pdf.set_xy(x + name_w + width + 1.5, y)
            pdf.cell(30, row_h, self.text(shown))
            pdf.set_xy(x, y + row_h)
        pdf.ln(2)
        pdf.set_font("body", size=_TEXT_PT)

    def portrait(self) -> None:
        """Start a portrait page when the current one is landscape (after a wide table)."""
        from fpdf.enums import PageOrientation

        if self.pdf.cur_orientation is PageOrientation.LANDSCAPE:
            self.pdf.add_page(orientation="portrait")

    # -------------------------------------------------------------- sections
    def cover(self, result: StudyResult) -> None:
        pdf, lang = self.pdf, self.lang
        pdf.add_page()
        pdf.set_font("body", "B", 18)
        pdf.multi_cell(0, 9, self.title, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
        started = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.started))
        line = " · ".join(
            [
                label("report_title", lang),
                f"{label('study', lang)}{self.colon()}{result.study.name}",
                f"{label('run_started', lang)}{self.colon()}{started}",
            ]
        )
        self.paragraph(line, colour=(119, 119, 119))
        separator = "；" if lang == "zh" else "; "
        sources = separator.join(data_sources(result.study, lang))
        self.paragraph(
            f"{label('data_sources', lang)}{self.colon()}{sources}", colour=(119, 119, 119)
        )

    def key_figures(self, result: StudyResult) -> None:
        lang, totals = self.lang, study_totals(result)
        count = functools.partial(figure_text, fmt="count")
        rows: list[tuple[str, str]] = [
            (f"{label('network', lang)}: {label('nodes', lang)}", count(totals["nodes"])),
            (f"{label('network', lang)}: {label('edges', lang)}", count(totals["edges"])),
            (
                label("network_pieces", lang),
                f"{count(totals['connectivity']['pieces'])} ({label('largest_piece', lang)}"
                f"{self.colon()}"
                f"{figure_text(totals['connectivity']['largest_piece_length_share'], 'percent')})",
            ),
            (label("communities", lang), count(totals["communities"])),
            (label("population", lang), count(totals["population"])),
            (label("outside_population", lang), count(totals["outside_population"])),
        ]
        for type_id, share in totals.get("coverage", {}).items():
            name = f"{label('covered_share', lang)}: {facility_type_label(type_id, lang)}"
            rows.append((name, figure_text(share, "percent")))
        for type_id, capacity in result.capacity.items():
            figures = capacity.totals
            rows.append(
                (
                    f"{label('capacity', lang)}: {facility_type_label(type_id, lang)}",
                    f"{count(figures['capacity'])} ({label('assigned', lang)} "
                    f"{count(figures['assigned'])} / {count(figures['population'])})",
                )
            )
        self.heading(label("key_figures", lang))
        self.table(None, rows, width=130)

    def coverage(self, result: StudyResult) -> None:
        if result.coverage is None:
            return
        lang = self.lang
        shares = study_totals(result).get("coverage", {})
        self.heading(label("coverage", lang))
        self.bars(
            [
                (facility_type_label(t, lang), s, figure_text(s, "percent"))
                for t, s in shares.items()
            ]
        )
        types = {t.id: t for t in result.study.types}
        rows = []
        for type_id, row in result.coverage.totals.iterrows():
            measured = types.get(str(type_id))
            rows.append(
                [
                    facility_type_label(type_id, lang),
                    describe_cutoff(measured.cutoff, lang) if measured else "",
                    figure_text(row["n_facilities"], "count"),
                    figure_text(row["population"], "count"),
                    figure_text(row["covered"], "count"),
                    figure_text(row["share"], "percent"),
                    (measured.note_in(lang) if measured and measured.note else row["note"]) or "",
                ]
            )
        head = [
            label(key, lang)
            for key in (
                "type",
                "service_threshold",
                "facilities",
                "population",
                "covered",
                "covered_share",
                "note",
            )
        ]
        self.table(head, rows, size=8)

    def groups(self, result: StudyResult) -> None:
        """一老一小: each group's coverage at its own walking speed, as the page shows it."""
        found = group_coverage(result, self.lang, _plain_figure)
        if found is None:
            return
        lang = self.lang
        self.heading(label("population_groups", lang), size=11)
        joined = "、" if lang == "zh" else ", "
        speeds = joined.join(" ".join(speed) for speed in found["speeds"])
        self.paragraph(f"{found['lead']}{speeds}{found['tail']}")
        self.table(found["head"], found["rows"], size=8)

    def life_circles(self, result: StudyResult) -> None:
        scores = study_totals(result).get("completeness", {})
        if not scores:
            return
        lang = self.lang
        self.heading(label("life_circles", lang))
        self.bars([(level_name(v, lang), s, f"{s:.0%}") for v, s in scores.items()])
        self.table(
            [label("life_circle", lang), label("completeness", lang)],
            [[level_name(v, lang), figure_text(s, "percent")] for v, s in scores.items()],
            width=100,
        )
        missing = _missing(result, lang)
        if missing:
            head = [
                label("facilities", lang),
                f"{label('missing', lang)} ({label('communities', lang)})",
            ]
            self.table(head, missing, width=100)

    def indicators(self, result: StudyResult) -> None:
        found = result.indicators
        if found is None:
            return
        lang = self.lang
        table = _formatted(found.summary(lang).reset_index(drop=True))
        self.pdf.add_page(orientation="landscape")  # a dozen columns
        self.heading(label("indicators", lang))
        rows = [list(row) for row in table.itertuples(index=False)]
        self.table([str(c) for c in table.columns], rows, size=6.5)
        if len(found.unsupported):
            head = (
                "数据不足、未评估的指标" if lang == "zh" else "Indicators the data cannot support"
            )
            items = "; ".join(f"{r.number}: {r.reason}" for r in found.unsupported.itertuples())
            self.paragraph(f"{head}: {items}", colour=(138, 90, 0))

    def proposals(self, result: StudyResult) -> None:
        summaries = study_totals(result).get("proposals", {})
        if not summaries:
            return
        lang = self.lang
        self.portrait()
        self.heading(label("site_proposals", lang))
        for type_id, summary in summaries.items():
            self.heading(facility_type_label(type_id, lang), size=11)
            before, after = summary["share_before"], summary["share_after"]
            self.bars(
                [
                    (label("share_before", lang), before, f"{before:.1%}"),
                    (label("share_after", lang), after, f"{after:.1%}"),
                ]
            )
            self.paragraph(
                f"{label('sites', lang)}: {figure_text(summary['sites'], 'count')} · "
                f"{label('covered_share', lang)}: {figure_text(before, 'percent')} → "
                f"{figure_text(after, 'percent')} · {label('solver', lang)}: {summary['solver']} · "
                f"{label('gap', lang)}: {summary['gap']:.2%}"
            )

    def scenarios(self, result: StudyResult) -> None:
        """Each scenario: its edits in words and every figure before and after."""
        found = scenario_tables(result, self.lang, _plain_figure)
        if not found:
            return
        lang = self.lang
        self.portrait()
        self.heading(label("scenarios", lang))
        for scenario in found:
            self.heading(f"{label('scenario', lang)}: {scenario['name']}", size=11)
            self.paragraph(scenario["text"])
            self.table(scenario["head"], scenario["rows"], size=8)

    def methods(self, result: StudyResult) -> None:
        """Write the methods and assumptions chapter, as the page has it."""
        self.portrait()
        self.heading(label("methods", self.lang))
        for heading, blocks in methods(result, self.lang):
            self.heading(heading, size=11)
            for block in blocks:
                if block.head:
                    if block.rows:  # a table of nothing (no type measured) is left out
                        self.table(block.head, block.rows, size=7)
                elif block.items:
                    self.bullets(block.items, colour=(34, 34, 34))
                elif block.text:
                    self.paragraph(block.text)

    def caveats(self, result: StudyResult) -> None:
        lang = self.lang
        self.portrait()
        self.heading(label("caveats", lang))
        texts = [c.text(lang) for c in result.caveats]
        if texts:
            self.bullets(texts, colour=(138, 90, 0))
        else:
            self.paragraph(label("no_caveats", lang), colour=(119, 119, 119))
        notes = sorted(set(result.notes))
        if notes:
            self.heading(label("technical_notes", lang), size=11)
            self.bullets(notes, colour=(119, 119, 119))

    def load_figure(self, image: Any) -> str:
        """Load a figure's image (:func:`_indexed`) into the document; return its name there.

        fpdf compresses the image as it loads it, leaving Python's lock while it
        does, so the thread encoding a print page's PNG loads it while the next
        page is drawn (0.2 s of a Harbin report's 0.6 s); nothing else may use the
        document meanwhile. :meth:`figures` then places it by its name; images
        are numbered in the order they are loaded.
        """
        from fpdf.image_parsing import preload_image

        name, _, _ = preload_image(self.pdf.image_cache, image)
        return name

    def figures(self, images: Sequence[tuple[Path, str]]) -> None:
        """List the print maps, then add each on a landscape page of its own.

        ``images`` holds each map's PNG and its image's name (:meth:`load_figure`).
        """
        if not images:
            return
        self.portrait()
        self.heading(label("print_maps", self.lang))
        self.paragraph(", ".join(f"print/{path.stem}.pdf" for path, _ in images))
        pdf = self.pdf
        for _, image in images:
            pdf.add_page(orientation="landscape")
            width = pdf.w - 2 * _MARGIN_MM + 10
            top = _MARGIN_MM + 2
            height = pdf.h - top - 14
            pdf.image(image, x=_MARGIN_MM - 5, y=top, w=width, h=height, keep_aspect_ratio=True)


def _plain_figure(value: Any, table: str, key: Any, column: str, *, fmt: str = "count") -> str:
    """Show a figure as the page does, without the page's tag (report.pdf is text)."""
    return figure_text(value, fmt)


def _indexed(image: Any) -> Any:
    """Return a print map with its colours indexed (256): a third of the bytes in the PDF.

    The maps are flat colours and antialiased text, which 256 colours hold; the
    print/*.png files beside the report keep every colour. The fast octree
    palette is 6 times quicker than median cut on a Harbin page (0.05 s against
    0.30 s), each pixel within 15 of 255 levels of its colour (median cut: 34).
    """
    from PIL import Image

    return image.convert("RGB").quantize(
        256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
    )


def _read(png: Path) -> Any:
    """Return a PNG's image, read whole (the file is closed)."""
    from PIL import Image

    with Image.open(png) as opened:
        return opened.copy()


def _image(pixels: Any) -> Any:
    """Return the image of a page's pixels (rows x columns x RGBA), as its PNG holds them."""
    from PIL import Image

    return Image.fromarray(pixels, mode="RGBA")


def _alignment(cells: Sequence[Sequence[str]], column: int) -> str:
    """Right for a column of numbers (not the first), left for text."""
    texts = [row[column] for row in cells if row[column]]
    numbers = column > 0 and bool(texts) and all(_numeric(t) for t in texts)
    return "RIGHT" if numbers else "LEFT"


def _widths(rows: Sequence[Sequence[str]]) -> tuple[float, ...]:
    """Column weights from the longest text of each (a Chinese character counts two)."""
    return tuple(
        float(min(max(max(_width(row[column]) for row in rows) + 2, 6), 32))
        for column in range(len(rows[0]))
    )


def _width(text: str) -> int:
    return sum(2 if ord(c) > 0x2E7F else 1 for c in text)


def _numeric(text: str) -> bool:
    stripped = text.replace(",", "").replace("%", "").replace("—", "").strip()
    try:
        float(stripped)
    except ValueError:
        return False
    return True


def _missing(result: StudyResult, lang: str) -> list[list[str]]:
    """Return the types most often missing from life circles, as report.html counts them."""
    circles = result.life_circles
    if circles is None or "missing" not in circles.coverage.columns:
        return []
    missing = circles.coverage[circles.coverage["missing"]]
    name = "name_zh" if lang == "zh" else "name_en"
    if len(missing) == 0 or name not in missing.columns:
        return []
    counts = missing.groupby(name).size().sort_values(ascending=False).head(10)
    return [[str(n), figure_text(c, "count")] for n, c in counts.items()]


def _formatted(frame: pd.DataFrame) -> pd.DataFrame:
    """Format floats as report.html's tables do (shares to 3 places, others to 1)."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            digits = 3 if str(column).startswith("share") else 1
            out[column] = out[column].map(lambda v, d=digits: f"{v:,.{d}f}")
    return out
