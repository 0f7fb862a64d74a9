"""Print maps drawn from one street path made once are the pages drawn from a path per street.

The oracle is the old drawing: ``LineCollection(lines)``, which makes a path of every
street for every map. The pages must be the same picture: pixels differ only where
streets overlap at junctions (their half-transparent ink is laid once there, not twice).
"""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
import shapely
from PIL import Image

import geoplan
from geoplan.config import parse_config
from geoplan.outputs import print_maps
from geoplan.outputs.fonts import print_typeface
from geoplan.outputs.run import _settings_of


def remade_streets(page):
    """The old way: matplotlib makes each street's path from its coordinates, per map."""
    from matplotlib.collections import LineCollection

    return LineCollection(
        page.network,
        colors=print_maps._NETWORK_COLOUR,
        linewidths=0.2,
        alpha=0.7,
        zorder=3,
        rasterized=len(page.network) > print_maps.RASTER_EDGES_ABOVE,
    )


@pytest.fixture(scope="module")
def result():
    config = {
        "study": {"name": "streets"},
        "network": {"source": "synthetic"},
        "synthetic": {"area_km2": 1.0, "seed": 5},
        "communities": {"source": "synthetic"},
        "population": {"source": "synthetic"},
        "facilities": {"types": {"community_canteen": {}}},
        "sites": [{"facility_type": "community_canteen", "p": 1}],
        "outputs": {"basemap": "none", "rasters": False},
    }
    return geoplan.run_study(geoplan.Study.from_config(parse_config(config)))


def pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGBA"))


@pytest.mark.parametrize("raster_above", [0, 5000])  # streets rasterised in the PDF, or drawn
def test_one_street_path_draws_the_pages_of_a_path_per_street(
    result, tmp_path, monkeypatch, raster_above
):
    monkeypatch.setattr(print_maps, "RASTER_EDGES_ABOVE", raster_above)
    with _settings_of(result):
        typeface, lang, _ = print_typeface("en")
        new = print_maps.write_print_maps(result, tmp_path / "new", lang=lang, typeface=typeface)
        with monkeypatch.context() as patch:
            patch.setattr(print_maps, "_streets", remade_streets)
            old = print_maps.write_print_maps(
                result, tmp_path / "old", lang=lang, typeface=typeface
            )
    assert [p.name for p in new] == [p.name for p in old]
    assert len(new) >= 4
    for made, oracle in zip(new, old, strict=True):
        if made.suffix != ".png":
            continue
        image, before = pixels(made.read_bytes()), pixels(oracle.read_bytes())
        assert image.shape == before.shape
        change = np.abs(image.astype(int) - before.astype(int)).max(axis=-1)
        assert (change > 10).mean() < 0.01, made.name  # junctions only
        assert change.max() <= 64, made.name
        assert (image[..., :3] < 200).any()  # something is drawn


def test_the_streets_are_one_path_shared_by_every_map(result):
    from matplotlib.path import Path as Polyline

    _, edges = result.study.network.to_gdfs()
    lines = print_maps._lines(edges, result.study.communities)
    typeface, lang, _ = print_typeface("en")
    with print_maps._style(typeface):
        page = print_maps._page(lang, typeface, "", lines)
    assert len(lines) == len(edges)
    assert edges.crs.is_projected  # drawn as they are: each line its street's coordinates
    for line, street in zip(lines, edges.geometry, strict=True):
        assert np.array_equal(line, shapely.get_coordinates(street))
    (path,) = page.paths
    assert np.array_equal(path.vertices, np.concatenate(lines))
    assert (path.codes == Polyline.MOVETO).sum() == len(lines)  # each street starts anew
    first, second = print_maps._streets(page), print_maps._streets(page)
    assert first.get_paths() is second.get_paths()


def test_the_rasterised_streets_are_encoded_once_for_every_page(result, tmp_path, monkeypatch):
    # every PDF page rasterises the same streets: that image (and its alpha) is encoded
    # for the first page only, and each page's bytes are those of pages encoded one by one
    from matplotlib.backends.backend_pdf import PdfFile

    monkeypatch.setattr(print_maps, "RASTER_EDGES_ABOVE", 0)
    encoded: list[str] = []
    original = PdfFile._writePng

    def counted(pdf, image):
        encoded.append(image.mode)
        return original(pdf, image)

    monkeypatch.setattr(PdfFile, "_writePng", counted)
    with _settings_of(result):
        typeface, lang, _ = print_typeface("en")
        once = print_maps.write_print_maps(result, tmp_path / "once", lang=lang, typeface=typeface)
        encoded_once = len(encoded)
        with monkeypatch.context() as patch:
            patch.setattr(print_maps, "_pdf_images_encoded_once", contextlib.nullcontext)
            each = print_maps.write_print_maps(
                result, tmp_path / "each", lang=lang, typeface=typeface
            )
    pdfs = [path for path in once if path.suffix == ".pdf"]
    assert len(pdfs) >= 3
    assert encoded_once == 2  # the streets and their alpha
    assert len(encoded) - encoded_once == 2 * len(pdfs)
    assert [path.name for path in once] == [path.name for path in each]
    for made, oracle in zip(once, each, strict=True):
        assert made.read_bytes() == oracle.read_bytes(), made.name
    assert PdfFile._writePng is counted  # the block put back what it found


def test_pdf_images_encoded_once_leaves_matplotlib_as_it_was_after_a_failure():
    from matplotlib.backends.backend_pdf import PdfFile

    before = PdfFile.__dict__["_writePng"]
    seen = []

    def fail_inside() -> None:
        with print_maps._pdf_images_encoded_once():
            seen.append(PdfFile._writePng)
            with print_maps._pdf_images_encoded_once():  # nested: the outer block's serves
                seen.append(PdfFile._writePng)
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        fail_inside()
    assert seen[0] is not before
    assert seen[1] is seen[0]
    assert PdfFile.__dict__["_writePng"] is before
