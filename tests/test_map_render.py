"""Maps rendered without deep copies or recompiled text give folium's own page, exactly.

The oracle is what geoplan did before (and what folium does): render a deep copy of
the map with its element ids numbered in order. The fast renderer
(:mod:`geoplan.outputs._render`) must give the same page character for character,
leave the map as it was, and agree with jinja2 on any text without template syntax;
names with template syntax are shown as written (folium ran them as template code).
"""

from __future__ import annotations

import copy
import json
import os
import re
from typing import Any

import folium
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jinja2 import Template, TemplateError

import geoplan
from geoplan.outputs import maps
from geoplan.outputs._render import Literal, elements, render_page

ORIGIN = (125.32, 43.88)
CANTEEN = "community_canteen"
#: Names with line ends jinja2 rewrites, markup and Chinese: the page must not change.
TRICKY = ["<b>社区</b> & co", "line\r\nbreak", "{ not } % a # tag", "a\rb", "普通"]
#: Names that are template code to jinja2: folium ran them; geoplan shows them as written.
TEMPLATE_CODE = ["{{ 6 * 7 }}", "{{ lipsum.__globals__.os.getpid() }}", "{% raw %}", "{# x"]


def folium_page(m: folium.Map) -> str:
    """The oracle: a deep copy rendered by branca, its ids numbered depth first."""
    shown = copy.deepcopy(m)
    root = shown.get_root()
    for number, element in enumerate(elements(root)):
        element._id = f"{number:032x}"
    page: str = root.render()
    return page


@pytest.fixture(scope="module")
def city() -> Any:
    city = geoplan.datasets.synthetic_city(area_km2=1.5, seed=3, origin_lonlat=ORIGIN)
    names = [TRICKY[i % len(TRICKY)] for i in range(len(city.communities))]
    city.communities["name"] = names
    city.facilities["name"] = [
        TRICKY[i % len(TRICKY)] + str(i) for i in range(len(city.facilities))
    ]
    return city


@pytest.fixture(scope="module")
def built(city: Any) -> dict[str, folium.Map]:
    net = city.network()
    demand = city.demand()
    canteens = city.facilities[city.facilities["category"] == CANTEEN]
    cover = geoplan.coverage(net, city.facilities, demand, communities=city.communities)
    circles = geoplan.life_circles(net, city.communities, city.facilities, demand=demand)
    rings = geoplan.service_areas(net, canteens, minutes=[5, 10, 15], mode="rings")
    proposal = geoplan.propose_sites(
        net,
        geoplan.siting.candidates(net, spacing_m=200),
        demand,
        minutes=10,
        p=2,
        existing=canteens,
        communities=city.communities,
    )
    made = {
        "life_circles": maps.life_circle_map(circles, facilities=city.facilities),
        "coverage": maps.coverage_map(
            cover, city.facilities, facility_type=CANTEEN, communities=city.communities
        ),
        "service_areas": maps.service_area_map(rings.assign(facility_type=CANTEEN)),
        "sites": maps.site_map(
            proposal, existing=canteens, communities=city.communities, facility_type=CANTEEN
        ),
        "network": maps.network_map(net, basemap="amap"),
    }
    base = None
    for name, m in made.items():
        base = base or maps.base_layer_json(net, m)
        maps.add_base_layer(m, net, data=base)
        maps.add_title(m, "标题 <b>&</b>", name)
    return made


@pytest.mark.parametrize("name", ["life_circles", "coverage", "service_areas", "sites", "network"])
def test_each_map_page_is_folium_s_page_exactly(built, name):
    m = built[name]
    expected = folium_page(m)
    page = render_page(m)
    assert page == expected
    assert re.search(r"geo_json_0{20,}[0-9a-f]+", page) or name == "network"


def test_rendering_leaves_the_map_as_it_was(built):
    m = built["coverage"]
    before = [(e, e._id, list(e._children)) for e in elements(m.get_root())]
    first = render_page(m)
    after = [(e, e._id, list(e._children)) for e in elements(m.get_root())]
    assert after == before
    assert render_page(m) == first  # and renders the same page again
    assert folium_page(m) == first


def test_a_map_rendered_by_folium_first_still_matches(built):
    m = copy.deepcopy(built["sites"])
    m.get_root().render()  # a notebook showed it: folium added its scripts to the page
    assert render_page(m) == folium_page(m)


def test_the_tricky_names_were_drawn(built):
    page = render_page(built["life_circles"])
    assert json.dumps("普通4")[1:-1] in page  # as folium embeds it


def test_names_that_are_template_code_are_shown_not_run(city):
    communities = city.communities.copy()
    communities["name"] = [TEMPLATE_CODE[i % len(TEMPLATE_CODE)] for i in range(len(communities))]
    m = maps.add_layer(maps.base_map(communities, basemap="none"), communities, "x", tooltip="name")
    page = render_page(m)
    for name in TEMPLATE_CODE[: len(communities)]:
        assert json.dumps(name)[1:-1] in page  # as written (folium's JSON of it)
    assert f'"{os.getpid()}"' not in page
    assert "42" not in page
    with pytest.raises(TemplateError):  # folium's own render compiles the names
        folium_page(m)


@given(st.text(alphabet="ab{}%#\r\n -社", max_size=40))
def test_literal_text_renders_as_jinja2_renders_plain_text(text):
    literal = Literal.of(text).render()
    if not any(mark in text for mark in ("{{", "{%", "{#")):
        assert literal == Template(text).render()
    else:  # jinja2 would run it; the literal is the text as jinja2 gives plain text back
        plain = Template(text.replace("{", "\ue000")).render().replace("\ue000", "{")
        assert literal == plain


def test_maps_rendered_on_threads_at_once_are_the_same_and_branca_is_restored(built):
    from concurrent.futures import ThreadPoolExecutor

    import branca.element

    template = branca.element.Template
    names = ["coverage", "sites", "service_areas", "coverage", "sites", "service_areas"]
    alone = {name: render_page(built[name]) for name in set(names)}
    with ThreadPoolExecutor(max_workers=3) as pool:
        pages = list(pool.map(lambda name: render_page(built[name]), names))
    assert pages == [alone[name] for name in names]
    assert branca.element.Template is template
