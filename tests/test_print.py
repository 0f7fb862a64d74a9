"""Print maps and report.pdf: Chinese drawn as glyphs (by pixels), the same bytes twice,
colours that tell no data from 0 %, and a PDF whose figures are report.html's."""

from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
import threading
import time
import warnings
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from PIL import Image
from scipy import ndimage

import geoplan
from geoplan.cli.demo import demo_config
from geoplan.config import parse_config
from geoplan.outputs import fonts
from geoplan.outputs.fonts import INSTALL_HINT, MissingFontWarning, Typeface
from geoplan.outputs.print_maps import (
    NO_DATA_EDGE,
    PAGE_INCHES,
    SHARE_COLOURS,
    PrintMap,
    data_sources,
    draw_print_map,
    nice_length,
    print_maps,
    write_print_maps,
)
from geoplan.outputs.report_pdf import write_print, write_report_pdf
from geoplan.outputs.run import _settings_of

pypdf = pytest.importorskip("pypdf")
from pypdf.generic import ByteStringObject, ContentStream, TextStringObject  # noqa: E402

FIGURE_TEXT = re.compile(r'<span class="figure"[^>]*>([^<]*)</span>')


@pytest.fixture(scope="module")
def cjk() -> Typeface:
    found = fonts.cjk_typeface()
    if found is None:
        pytest.skip(f"no Chinese font on this machine: {INSTALL_HINT}")
    return found


def synthetic_config(**outputs) -> dict:
    return {
        "study": {"name": "print", "title": "示例城区 社区服务设施"},
        "network": {"source": "synthetic"},
        "synthetic": {"area_km2": 1.0, "seed": 3},
        "communities": {"source": "synthetic"},
        "population": {"source": "synthetic"},
        "facilities": {"types": {"community_canteen": {}, "kindergarten": {}}},
        "sites": [{"facility_type": "community_canteen", "p": 1}],
        "outputs": {"basemap": "none", "rasters": False, **outputs},
    }


@pytest.fixture(scope="module")
def result():
    study = geoplan.Study.from_config(parse_config(synthetic_config()))
    return geoplan.run_study(study)


@pytest.fixture(scope="module")
def run(result, cjk, tmp_path_factory):
    """The synthetic study written as a run folder (in Chinese, the default)."""
    return geoplan.write_run(result, tmp_path_factory.mktemp("print") / "print")


def unicode_map(font) -> dict[int, str]:
    """A font's codes and their text, from its ToUnicode CMap (bfchar and bfrange)."""
    data = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    pair = r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>"
    out = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for code, target in re.findall(pair, block):
            out[int(code, 16)] = bytes.fromhex(target).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
        for low, high, target in re.findall(pair + r"\s*<([0-9A-Fa-f]+)>", block):
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                out[code] = chr(int(target, 16) + offset)
    return out


def pdf_text(path: Path) -> str:
    """The text a PDF draws, one line per text object.

    Decoded here from the content streams and each font's ToUnicode map (two bytes a
    code for the Type0 fonts fpdf2 embeds), as a PDF viewer reads it: pypdf's own
    extract_text reads those codes one byte at a time once a subset passes 255 glyphs.
    """
    reader = pypdf.PdfReader(path)
    lines: list[str] = []
    for page in reader.pages:
        fonts = {name: ref.get_object() for name, ref in page["/Resources"]["/Font"].items()}
        maps = {
            name: (unicode_map(font), 2 if font["/Subtype"] == "/Type0" else 1)
            for name, font in fonts.items()
        }
        font, line = ({}, 1), []
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"Tf":
                font = maps[operands[0]]
            elif operator in (b"Tj", b"TJ"):
                table, width = font
                for part in operands[0] if operator == b"TJ" else operands[:1]:
                    if isinstance(part, (ByteStringObject, TextStringObject)):
                        raw = part.original_bytes
                        codes = (
                            int.from_bytes(raw[i : i + width]) for i in range(0, len(raw), width)
                        )
                        line.extend(table.get(code, "\ufffd") for code in codes)
            elif operator == b"ET":
                lines.append("".join(line))
                line = []
    return "\n".join(lines)


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


# ------------------------------------------------------------------- Chinese by pixels


def rendered(text: str, families: list[str]) -> np.ndarray:
    """Ink (True) of ``text`` drawn at 48 pt with ``families`` (missing glyphs allowed)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(3, 1), dpi=100)
    figure.text(0.05, 0.25, text, family=families, size=48, parse_math=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tofu references lack the glyphs on purpose
        return pixels(figure)[..., 0] < 128


def test_chinese_is_drawn_as_glyphs_not_boxes(cjk):
    word = rendered("社区", cjk.families)
    components = ndimage.label(word)[1]
    assert word.sum() > 800  # ink where the characters are
    assert 3 <= components <= 8  # 社 is 礻 and 土, 区 is 匚 and 㐅: strokes, not two boxes
    # the same word in a font without Chinese, and two characters the CJK font lacks,
    # are drawn as missing-glyph boxes (tofu): a different picture
    for tofu in (rendered("社区", ["DejaVu Sans"]), rendered("\U000f0000\U000f0001", cjk.families)):
        assert (word != tofu).sum() > 0.5 * word.sum()
        assert ndimage.label(tofu)[1] != components
    # every character a print map writes is in the face itself (no box, no warning)
    assert cjk.can_show("社区服务设施覆盖率生活圈完整度无数据现有设施建议新建北米千米")


def test_the_print_map_title_has_ink_and_the_page_is_a4(run):
    image = np.asarray(Image.open(run / "print" / "coverage_community_canteen.png").convert("L"))
    height, width = image.shape
    assert width / height == pytest.approx(PAGE_INCHES[0] / PAGE_INCHES[1], abs=0.002)
    assert (width, height) == (int(PAGE_INCHES[0] * 200), int(PAGE_INCHES[1] * 200))
    title = image[int(0.03 * height) : int(0.075 * height), : int(0.5 * width)] < 128
    assert title.sum() > 2000
    assert ndimage.label(title)[1] >= 10  # "示例城区 社区服务设施": many strokes
    # the top right corner above the legend is paper
    assert (image[: int(0.04 * height), int(0.8 * width) :] < 250).sum() == 0


def test_the_map_words_are_chinese(result, cjk):
    from matplotlib.text import Text

    with _settings_of(result):
        spec = next(m for m in print_maps(result) if m.name == "coverage_community_canteen")
        figure = draw_print_map(spec, cjk, lang="zh", footer="数据来源：合成数据")
    texts = [t.get_text() for t in figure.findobj(Text) if t.get_text()]
    joined = "\n".join(texts)
    for word in ("北", "无数据", "现有设施", "覆盖率", "米", "服务范围", "示例城区 社区服务设施"):
        assert word in joined, word
    assert "Easting" not in joined
    assert "Northing" not in joined
    assert spec.subtitle.startswith("社区食堂 / 老年食堂 / 老年助餐点：覆盖率 · 服务范围 ")


# --------------------------------------------------------------- colours and geometry


def squares(values: list[float]) -> gpd.GeoDataFrame:
    boxes = [shapely.box(i * 1000.0, 0.0, i * 1000.0 + 900.0, 900.0) for i in range(len(values))]
    return gpd.GeoDataFrame({"value": values}, geometry=boxes, crs="EPSG:32651")


def pixels(figure) -> np.ndarray:
    """The figure drawn by Agg (what the PNG pages hold), as RGB."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def at(figure, image: np.ndarray, x: float, y: float, half: int = 6) -> np.ndarray:
    """The pixels around a point of the map (data coordinates)."""
    column, row = figure.axes[0].transData.transform((x, y))
    row = image.shape[0] - round(row)
    column = round(column)
    return image[row - half : row + half, column - half : column + half].reshape(-1, 3)


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def test_no_data_is_hatched_and_unlike_zero(cjk):
    spec = PrintMap("t", "标题", "副标题", "覆盖率", squares([0.0, float("nan"), 1.0, 0.5]))
    figure = draw_print_map(spec, cjk, lang="zh")
    image = pixels(figure)
    zero, missing, full, half = (at(figure, image, i * 1000 + 450, 450) for i in range(4))
    assert {tuple(p) for p in zero} == {hex_rgb(SHARE_COLOURS[0])}  # 0 % is the first class
    assert {tuple(p) for p in full} == {hex_rgb(SHARE_COLOURS[-1])}
    assert {tuple(p) for p in half} == {hex_rgb(SHARE_COLOURS[2])}  # 40-60 %
    colours = {tuple(p) for p in missing}
    assert (255, 255, 255) in colours  # white paper ...
    assert len(colours) > 2  # ... with grey hatching lines
    assert hex_rgb(SHARE_COLOURS[0]) not in colours
    greys = [p for p in missing if p[0] == p[1] == p[2] and p[0] < 250]
    assert greys
    assert min(p[0] for p in greys) <= int(NO_DATA_EDGE[1:3], 16) + 40


def test_holes_stay_empty_and_every_class_keeps_its_colour(cjk):
    # each class is drawn as one path: a hole (either ring orientation) stays paper,
    # a multipolygon's parts and a community inside another's hole keep their own class
    outer = shapely.box(0.0, 0.0, 3000.0, 3000.0)
    hole = shapely.box(1000.0, 1000.0, 2000.0, 2000.0)
    donut = shapely.Polygon(outer.exterior.coords, [hole.exterior.coords])  # hole same way round
    island = shapely.box(1400.0, 1400.0, 1600.0, 1600.0)
    pair = shapely.MultiPolygon(
        [shapely.box(4000.0, 0.0, 4900.0, 900.0), shapely.box(4000, 2000, 4900, 2900)]
    )
    frame = gpd.GeoDataFrame(
        {"value": [0.0, 1.0, float("nan")]}, geometry=[donut, island, pair], crs="EPSG:32651"
    )
    figure = draw_print_map(PrintMap("t", "标题", "副标题", "覆盖率", frame), cjk, lang="zh")
    image = pixels(figure)
    assert {tuple(p) for p in at(figure, image, 500, 500)} == {hex_rgb(SHARE_COLOURS[0])}
    assert {tuple(p) for p in at(figure, image, 1200, 1200, half=3)} == {(255, 255, 255)}
    assert {tuple(p) for p in at(figure, image, 1500, 1500, half=2)} == {hex_rgb(SHARE_COLOURS[-1])}
    for y in (450, 2450):  # both parts hatched: white paper and grey lines
        assert len({tuple(p) for p in at(figure, image, 4450, y)}) > 2


def test_the_scale_bar_is_as_long_as_its_label(cjk):
    from matplotlib.patches import Rectangle

    spec = PrintMap("t", "标题", "副标题", "覆盖率", squares([0.2, 0.4, 0.6]))  # 2.9 km wide
    figure = draw_print_map(spec, cjk, lang="zh")
    axes = figure.axes[0]
    left, right = axes.get_xlim()
    length = nice_length(right - left)
    bar = [p for p in axes.patches if isinstance(p, Rectangle) and p.get_zorder() == 7]
    assert sum(p.get_width() for p in bar) == pytest.approx(length)
    labels = [t.get_text() for t in axes.texts]
    assert f"{length:g} 米" in labels or f"{length / 1000:g} 千米" in labels
    assert nice_length(2600) == 500
    assert nice_length(12_000) == 2000
    assert nice_length(90) == 10


def test_text_is_never_mathtext(cjk):
    hostile = r"$\undefinedcommand$ <b>x</b>"
    spec = PrintMap("t", hostile, hostile, hostile, squares([0.5]))
    figure = draw_print_map(spec, cjk, lang="zh", footer=hostile)
    pixels(figure)  # mathtext would raise on the unknown command
    from matplotlib.text import Text

    assert hostile in {t.get_text() for t in figure.findobj(Text)}


# ------------------------------------------------------------------------ sources


def test_the_footer_credits_openstreetmap_and_says_synthetic(result):
    demo = SimpleNamespace(config=demo_config(), inputs=[])
    assert data_sources(demo, "zh")[0] == "© OpenStreetMap 贡献者（ODbL）"
    assert data_sources(demo, "en")[0] == "© OpenStreetMap contributors (ODbL)"
    assert "population estimated from buildings" in data_sources(demo, "en")
    assert data_sources(result.study, "zh")[0] == "合成数据（示例，不代表真实地点）"
    frames = SimpleNamespace(config=None, inputs=[Path("/secret/place/pois.csv")])
    assert data_sources(frames, "en") == ["user-supplied data", "pois.csv"]  # no folders


# ---------------------------------------------------------------------- the run folder


def test_the_run_writes_print_maps_and_report_pdf(run):
    import json

    record = json.loads((run / "run.json").read_text(encoding="utf-8"))
    written = record["outputs"]["print"]
    names = {
        "coverage_community_canteen",
        "coverage_kindergarten",
        "sites_community_canteen",
        *(f"life_circles_{level}" for level in ("15min", "10min", "5min")),
    }
    expected = {f"print/{n}.{s}" for n in names for s in ("png", "pdf")} | {"report.pdf"}
    assert set(written) == expected
    assert all((run / p).is_file() for p in written)
    assert "write_print" in record["timings_s"]
    for pdf in (run / "print").glob("*.pdf"):
        assert len(pypdf.PdfReader(pdf).pages) == 1


def test_print_false_leaves_the_print_maps_out(tmp_path):
    config = parse_config(synthetic_config(print=False))
    assert config.print_outputs is False
    result = geoplan.run_study(geoplan.Study.from_config(config))
    folder = geoplan.write_run(result, tmp_path / "print")
    assert not (folder / "print").exists()
    assert not (folder / "report.pdf").exists()
    assert (folder / "maps").is_dir()
    assert 'href="report.pdf"' not in (folder / "report.html").read_text(encoding="utf-8")


def test_same_result_same_bytes(result, cjk, tmp_path):
    with _settings_of(result):
        first = write_print(result, tmp_path / "a")
        second = write_print(result, tmp_path / "b")
    assert first == second
    assert len(first) == 13
    for name in first:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_a_page_png_is_the_one_savefig_writes(result, cjk, tmp_path):
    # save_page draws the page once and encodes its PNG in a second thread while the PDF
    # is drawn: the file is byte for byte matplotlib's own savefig PNG, and the pixels it
    # hands on are those the PNG holds
    from geoplan.outputs import print_maps

    spec = print_maps.print_maps(result, "en")[0]
    handed: list[tuple[Path, np.ndarray]] = []
    with print_maps._style(cjk):
        page = print_maps._page("en", cjk, "footer", [])
        figure = print_maps._draw(spec, page)
        written = print_maps.save_page(
            figure, tmp_path / "page", spec.title, on_pixels=lambda p, a: handed.append((p, a))
        )
        oracle = io.BytesIO()
        figure.savefig(
            oracle,
            format="png",
            dpi=print_maps.DPI,
            metadata={"Software": None},
            pil_kwargs={"compress_level": print_maps._PNG_COMPRESSION},
        )
    assert written == [tmp_path / "page.png", tmp_path / "page.pdf"]
    assert written[0].read_bytes() == oracle.getvalue()
    assert [p for p, _ in handed] == [written[0]]
    with Image.open(written[0]) as png:
        assert np.array_equal(np.asarray(png.convert("RGBA")), handed[0][1])
    assert written[1].read_bytes().startswith(b"%PDF")


def test_a_document_made_ahead_gives_the_same_report_and_is_taken_once(result, cjk, tmp_path):
    # ready_to_print reads report.pdf's fonts ahead (the print writer's readying); the report
    # that takes the document is byte for byte the one made without it, the next reads its own
    from geoplan.outputs import report_pdf

    latin = fonts.latin_typeface()
    with _settings_of(result):
        write_report_pdf(result, tmp_path / "fresh", figures=[])
        report_pdf.ready_to_print()
        assert list(report_pdf._made_ahead) == [cjk]  # the typeface the report will use
        report_pdf._make_document_ahead(latin)  # one document ahead at a time
        write_report_pdf(result, tmp_path / "other", figures=[])
        assert list(report_pdf._made_ahead) == [latin]  # not this report's typeface: left
        left = report_pdf._made_ahead[latin].fonts["body"].ttfont.reader.file
        report_pdf._make_document_ahead(cjk)
        assert left.closed  # the document it replaced closed its font files
        ahead = report_pdf._made_ahead[cjk]
        # its CFF fonts' outline indexes read too (not when the report's subsets are made)
        tables = [f.ttfont["CFF "].cff for f in ahead.fonts.values() if "CFF " in f.ttfont]
        assert tables
        assert all("CharStrings" in vars(cff[cff.fontNames[0]]) for cff in tables)
        write_report_pdf(result, tmp_path / "ahead", figures=[])
        assert report_pdf._made_ahead == {}
        taken = report_pdf._document(cjk, "t", "f")
        assert taken is not ahead
        for font in taken.fonts.values():
            font.ttfont.close()
    fresh = (tmp_path / "fresh" / "report.pdf").read_bytes()
    for folder in ("other", "ahead"):
        assert (tmp_path / folder / "report.pdf").read_bytes() == fresh


def test_report_pdf_shows_the_pixels_of_the_png_pages(result, cjk, tmp_path):
    # write_print hands report.pdf each page's pixels as drawn; read back from the PNGs, the
    # same report comes out byte for byte
    with _settings_of(result):
        written = write_print(result, tmp_path / "a")
        pages = [tmp_path / "a" / name for name in written if name.endswith(".png")]
        (tmp_path / "b").mkdir()
        write_report_pdf(result, tmp_path / "b", figures=pages)
    assert len(pages) == 6
    report = (tmp_path / "a" / "report.pdf").read_bytes()
    assert report == (tmp_path / "b" / "report.pdf").read_bytes()


def test_each_page_is_loaded_into_report_pdf_beside_the_drawing(result, cjk, tmp_path, monkeypatch):
    # the page images are compressed into report.pdf's document by the thread encoding each
    # PNG, in page order, before the report's text is written; the report still lists and
    # shows every page (the byte-for-byte comparison is the test above)
    from geoplan.outputs import report_pdf

    loads: list[tuple[str, int]] = []
    load = report_pdf._Writer.load_figure

    def recorded(self: report_pdf._Writer, image: Image.Image) -> str:
        loads.append((threading.current_thread().name, self.pdf.page))
        return load(self, image)

    monkeypatch.setattr(report_pdf._Writer, "load_figure", recorded)
    with _settings_of(result):
        written = write_print(result, tmp_path)
    pngs = [name for name in written if name.endswith(".png")]
    assert len(loads) == len(pngs) == 6
    assert all(thread.startswith("geoplan-png") for thread, _ in loads)
    assert {page for _, page in loads} == {0}  # the document had no page yet
    with open(tmp_path / "report.pdf", "rb") as opened:
        reader = pypdf.PdfReader(opened)
        landscape = [p for p in reader.pages if p.mediabox.width > p.mediabox.height]
        assert len(landscape) == 6
        assert all("/XObject" in p["/Resources"] for p in landscape)


def test_report_pdf_shows_the_page_figures_in_chinese(run):
    text = pdf_text(run / "report.pdf")
    assert "示例城区 社区服务设施" in text
    for heading in ("主要指标", "设施覆盖", "生活圈", "选址建议", "说明与局限", "专题图"):
        assert heading in text, heading
    totals = pd.read_csv(run / "tables" / "coverage_totals.csv", encoding="utf-8-sig")
    share = float(totals.set_index("facility_type").loc["kindergarten", "share"])
    assert f"{share:.1%}" in text
    # every figure report.html shows is in report.pdf, as the page formats it
    page = (run / "report.html").read_text(encoding="utf-8")
    figures = [html.unescape(f) for f in FIGURE_TEXT.findall(page)]
    assert len(figures) > 10
    flat = squeezed(text)
    missing = [f for f in figures if squeezed(f) not in flat]
    assert not missing
    # the caveats, in Chinese
    assert "合成数据" in text


def test_report_pdf_embeds_a_subset_of_the_chinese_font(run, cjk):
    reader = pypdf.PdfReader(run / "report.pdf")
    embedded = {}
    for page in reader.pages:
        for reference in page["/Resources"]["/Font"].values():
            font = reference.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            stream = next(descriptor[k] for k in ("/FontFile3", "/FontFile2") if k in descriptor)
            embedded[str(font["/BaseFont"])] = len(stream.get_object().get_data())
    family = cjk.family.replace(" ", "")
    cjk_fonts = {n: size for n, size in embedded.items() if family in n}
    assert cjk_fonts, embedded
    assert all(re.match(r"/[A-Z]{6}\+", n) for n in cjk_fonts)  # subset tags
    assert all(size < 2_000_000 for size in cjk_fonts.values())  # not the 20 MB font
    assert cjk.regular.path.stat().st_size > 5 * max(cjk_fonts.values())


def test_every_embedded_glyph_lies_inside_its_font_box(run):
    """The subsets keep the whole font's box (not recomputed): it must still hold every glyph."""
    cff_lib = pytest.importorskip("fontTools.cffLib")
    reader = pypdf.PdfReader(run / "report.pdf")
    checked = 0
    for page in reader.pages:
        for reference in page["/Resources"]["/Font"].values():
            descendant = reference.get_object()["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            if "/FontFile3" not in descriptor:
                continue
            fonts = cff_lib.CFFFontSet()
            fonts.decompile(io.BytesIO(descriptor["/FontFile3"].get_object().get_data()), None)
            top = fonts[fonts.fontNames[0]]
            left, bottom, right, top_edge = top.FontBBox
            for name in top.charset:
                bounds = top.CharStrings[name].calcBounds(top.CharStrings)
                if bounds is not None:
                    x0, y0, x1, y1 = bounds
                    inside = left <= x0 and bottom <= y0 and x1 <= right and y1 <= top_edge
                    assert inside, (name, bounds, top.FontBBox)
                    checked += 1
    assert checked > 50


def test_a_fallback_font_subset_keeps_valid_boxes_and_glyph_count(cjk, tmp_path):
    """Letters the Chinese font lacks come from DejaVu Sans, embedded as a TrueType subset."""
    tt_lib = pytest.importorskip("fontTools.ttLib")
    from geoplan.outputs.report_pdf import _document

    with (
        tt_lib.TTFont(str(cjk.regular.path), fontNumber=cjk.regular.index) as chinese,
        tt_lib.TTFont(str(fonts.latin_typeface().regular.path)) as latin,
    ):
        missing = sorted(set(latin.getBestCmap()) - set(chinese.getBestCmap()))
    letters = "".join(chr(c) for c in missing if chr(c).isalpha())[:30]
    assert len(letters) == 30
    pdf = _document(cjk, "t", "f")
    pdf.add_page()
    pdf.set_font("body", size=10)
    pdf.multi_cell(0, 5, "社区 " + letters)
    pdf.output(str(tmp_path / "fallback.pdf"))
    page = pypdf.PdfReader(tmp_path / "fallback.pdf").pages[0]
    embedded = []
    for reference in page["/Resources"]["/Font"].values():
        descendant = reference.get_object()["/DescendantFonts"][0].get_object()
        descriptor = descendant["/FontDescriptor"].get_object()
        if "/FontFile2" in descriptor:
            data = descriptor["/FontFile2"].get_object().get_data()
            embedded.append(tt_lib.TTFont(io.BytesIO(data)))
    (subset,) = embedded
    assert subset["maxp"].numGlyphs == len(subset.getGlyphOrder()) >= len(letters)
    head, glyphs = subset["head"], subset["glyf"]
    for name in subset.getGlyphOrder():
        glyph = glyphs[name]
        if glyph.numberOfContours:
            glyph.recalcBounds(glyphs)
            box = (glyph.xMin, glyph.yMin, glyph.xMax, glyph.yMax)
            inside = head.xMin <= box[0] and head.yMin <= box[1]
            inside = inside and box[2] <= head.xMax and box[3] <= head.yMax
            assert inside, (name, box)


def test_report_pdf_has_a_landscape_page_per_map(run):
    reader = pypdf.PdfReader(run / "report.pdf")
    maps = sorted((run / "print").glob("*.png"))
    landscape = [p for p in reader.pages if float(p.mediabox.width) > float(p.mediabox.height)]
    pictured = [p for p in landscape if len(p.images) == 1]
    assert len(pictured) == len(maps)
    with Image.open(maps[0]) as image:
        assert pictured[0].images[0].image.size == image.size  # at full resolution
        page = np.asarray(pictured[0].images[0].image.convert("RGB"), dtype=int)
        png = np.asarray(image.convert("RGB"), dtype=int)
    assert np.abs(page - png).max() <= 16  # 256 colours, each pixel close to its own


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) absent")
def test_pdftotext_reads_the_title_and_a_share(run):
    shown = subprocess.run(
        ["pdftotext", str(run / "report.pdf"), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "示例城区 社区服务设施" in shown
    totals = pd.read_csv(run / "tables" / "coverage_totals.csv", encoding="utf-8-sig")
    share = float(totals.set_index("facility_type").loc["community_canteen", "share"])
    assert f"{share:.1%}" in shown


# ------------------------------------------------------------------------- fallbacks


def test_without_a_chinese_font_the_print_is_english_and_says_so(result, monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "cjk_typeface", lambda: None)
    notes_before = list(result.notes)
    try:
        with _settings_of(result), pytest.warns(MissingFontWarning, match="fonts-noto-cjk"):
            written = write_print(result, tmp_path)
        assert any("English" in n and "fonts-noto-cjk" in n for n in result.notes)
    finally:
        result.notes[:] = notes_before
    text = pdf_text(tmp_path / "report.pdf")
    assert "Coverage" in text
    assert "Caveats" in text
    assert "Key figures" in text
    assert "??????" in text  # the Chinese title, which DejaVu Sans cannot draw
    assert "report.pdf" in written


def test_english_runs_print_in_english(result, cjk, tmp_path):
    with _settings_of(result):
        maps = write_print_maps(result, tmp_path, lang="en", typeface=cjk)
        report = write_report_pdf(result, tmp_path, lang="en", typeface=cjk)
    assert len(maps) == 12
    text = pdf_text(report)
    assert "Site proposals" in text
    assert "Life circles" in text
    assert "示例城区 社区服务设施" in text  # the study's own title, in the CJK face


def test_the_font_variable_names_a_file_or_a_family(cjk, monkeypatch):
    monkeypatch.setenv(fonts.FONT_VARIABLE, str(cjk.regular.path))
    assert fonts.cjk_typeface().regular.path == cjk.regular.path
    assert fonts.cjk_typeface().cjk
    monkeypatch.setenv(fonts.FONT_VARIABLE, cjk.family)
    assert fonts.cjk_typeface().family == cjk.family


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("/nowhere/font.ttf", "is not a .ttf, .otf or .ttc file"),
        ("No Such Font Family", "no installed font family of that name"),
        ("latin", "draws no Chinese"),
    ],
)
def test_a_bad_font_variable_says_what_to_do(value, message, monkeypatch):
    if value == "latin":
        value = str(fonts.latin_typeface().regular.path)
    monkeypatch.setenv(fonts.FONT_VARIABLE, value)
    with pytest.raises(geoplan.ConfigError, match=message) as caught:
        fonts.cjk_typeface()
    assert fonts.FONT_VARIABLE in str(caught.value)


def test_clean_text_draws_no_boxes(cjk):
    latin = fonts.latin_typeface()
    assert latin.clean("社区 A→B\x07\tC") == "?? A→B C"
    assert cjk.clean("社区 A→B") == "社区 A→B"
    assert cjk.clean("\U0001f642") == "?"  # an emoji neither face has
    assert cjk.clean("\U000f0000") == ""  # private use: nothing to draw
    assert not latin.can_show("社区")
    assert cjk.can_show("社区")


def test_require_cjk_typeface_names_the_install_command(monkeypatch):
    monkeypatch.setattr(fonts, "cjk_typeface", lambda: None)
    with pytest.raises(geoplan.GeoplanError, match="apt-get install fonts-noto-cjk"):
        fonts.require_cjk_typeface()


# ------------------------------------------------------------------------------ demo


@pytest.fixture(scope="module")
def demo(cjk, tmp_path_factory):
    """The demo's report.html and report.pdf (no maps: the figures are the point here)."""
    from geoplan.outputs.report_page import write_report_page

    result = geoplan.run_study(geoplan.Study.from_config(demo_config()))
    folder = tmp_path_factory.mktemp("demo")
    with _settings_of(result):
        write_report_page(result, folder, {})
        write_report_pdf(result, folder)
        spec = next(m for m in print_maps(result) if m.name.startswith("sites_"))
    return result, folder, spec


def test_the_demo_report_pdf_agrees_with_its_page(demo):
    result, folder, _ = demo
    text = pdf_text(folder / "report.pdf")
    page = (folder / "report.html").read_text(encoding="utf-8")
    figures = [html.unescape(f) for f in FIGURE_TEXT.findall(page)]
    assert len(figures) > 20
    flat = squeezed(text)
    assert [f for f in figures if squeezed(f) not in flat] == []
    # what the synthetic study lacks: capacity, the plan's indicators, OpenStreetMap
    assert "容量（人）" in text
    assert "规划主要指标" in text
    assert "城市社区综合服务设施覆盖率" in text
    assert "© OpenStreetMap 贡献者（ODbL）" in text
    assert [c for c in result.caveats if squeezed(c.text("zh")) not in flat] == []


def test_the_demo_site_map_says_before_and_after(demo):
    result, _, spec = demo
    summary = result.proposals["community_health_station"].proposal.summary
    shown = "\n".join(spec.figures)
    assert f"{summary['share_before']:.1%} → {summary['share_after']:.1%}" in shown
    assert f"{summary['sites']}" in shown
    assert "服务范围 5 分钟（按步行时间" in spec.subtitle


# -------------------------------------------------------- groups and scenarios in the pdf


def test_report_pdf_carries_the_groups_and_scenarios_of_its_page(cjk, tmp_path):
    """一老一小 and a scenario: every figure report.html shows in them is in report.pdf."""
    from shapely.geometry import LineString

    from geoplan.outputs.report_page import write_report_page

    raw = synthetic_config()
    raw["population"]["groups"] = {"elderly": {"share": 0.2}}
    plain = geoplan.Study.from_config(parse_config(raw))
    nodes, _ = plain.network.to_gdfs()
    left, bottom, right, top = nodes.total_bounds
    middle = (left + right) / 2 + 7
    wall = gpd.GeoDataFrame(
        geometry=[LineString([(middle, bottom - 50), (middle, top + 50)])], crs=nodes.crs
    )
    wall.to_crs(4326).to_file(tmp_path / "railway.geojson")
    raw["scenarios"] = [{"name": "铁路", "barrier": "railway.geojson"}]
    study = geoplan.Study.from_config(parse_config(raw, base_dir=tmp_path))
    result = geoplan.run_study(study)
    assert result.scenarios
    assert study.groups
    folder = tmp_path / "out"
    folder.mkdir()
    with _settings_of(result):
        write_report_page(result, folder, {})
        write_report_pdf(result, folder, typeface=cjk)
    text = pdf_text(folder / "report.pdf")
    for heading in ("一老一小：各人群覆盖率", "情景分析", "情景: 铁路", "老年人"):
        assert squeezed(heading) in squeezed(text), heading
    page = (folder / "report.html").read_text(encoding="utf-8")
    sections = page[page.index('id="groups"') :]
    figures = [html.unescape(f) for f in FIGURE_TEXT.findall(sections)]
    assert len(figures) > 20
    flat = squeezed(text)
    assert [f for f in figures if squeezed(f) not in flat] == []
    # the scenario's table in the pdf holds its covered people before and after, as the csv
    compared = result.scenarios["铁路"].table.set_index(["topic", "subject", "measure"])
    row = compared.loc[("coverage", "community_canteen", "covered")]
    assert squeezed(f"{row['before']:,.0f}{row['after']:,.0f}") in flat


def test_the_demo_report_page_reads_in_chinese(demo):
    """report.html in zh: no English word left but names, tags, ids of data and the solver's."""
    _, folder, _ = demo
    page = (folder / "report.html").read_text(encoding="utf-8")
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    tokens = [t for t in re.split(r"[\s，。；：、（）(),;:]+", text) if t]
    # OSM tags (key=value), file names and paths are data, not words
    plain = [t for t in tokens if "=" not in t and "/" not in t and not re.search(r"\.\w+$", t)]
    words = {w for t in plain for w in re.findall(r"[A-Za-z][A-Za-z_]{3,}", t)}
    data = {"Helsinki", "central", "demo", "geoplan", "OpenStreetMap", "ODbL", "outside"}
    solver = {"HiGHS", "highs"}
    register_column = {"service_floor_area_m"}  # service_floor_area_m2, the register's column
    assert words - data - solver - register_column == set()


def test_the_demo_report_pdf_has_the_methods_chapter_of_its_page(demo):
    """Methods and assumptions: every threshold source, parameter and file of the page."""
    from geoplan.outputs.report_page import methods

    result, folder, _ = demo
    flat = squeezed(pdf_text(folder / "report.pdf"))
    assert squeezed("方法与假设") in flat
    sections = methods(result, "zh")
    assert len(sections) >= 4
    for heading, blocks in sections:
        assert squeezed(heading) in flat, heading
        for block in blocks:
            for cell in (c for row in block.rows for c in row):
                assert squeezed(str(cell)) in flat, cell
            for item in block.items:
                assert squeezed(item) in flat, item


def test_threads_asking_for_the_typeface_at_once_search_once(monkeypatch):
    # the print writer's readying thread and its writing both ask: a second search during a
    # first could see a family half added to matplotlib's list (its bold face as the regular)
    monkeypatch.delenv(fonts.FONT_VARIABLE, raising=False)
    searched: list[str] = []
    real = fonts._typeface

    def slow(family: str, only: Path | None = None) -> Typeface | None:
        searched.append(family)
        time.sleep(0.05)  # a search that adds font files takes a while
        return real(family, only)

    monkeypatch.setattr(fonts, "_typeface", slow)
    found: list[Typeface | None] = []
    barrier = threading.Barrier(2)

    def ask() -> None:
        barrier.wait()
        found.append(fonts.cjk_typeface())

    fonts._find.cache_clear()
    try:
        fonts.cjk_typeface()  # a first search may add font files matplotlib had not listed
        fonts._find.cache_clear()
        searched.clear()
        alone = fonts.cjk_typeface()
        once = len(searched)
        fonts._find.cache_clear()
        searched.clear()
        threads = [threading.Thread(target=ask) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        fonts._find.cache_clear()
    assert once >= 1
    assert len(searched) == once  # one search, not two
    assert found[0] is found[1]
    assert found[0] == alone
