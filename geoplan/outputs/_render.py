"""Render a folium map to its HTML page without copying it or recompiling its text.

folium renders a map by adding elements to the page (each layer's script, its
header, its "add to map" call), so rendering twice would repeat them; geoplan
used to render a deep copy instead, which copied every layer's GeoJSON. And
branca turns each rendered piece of text back into a jinja2 template
(``Element(text)``) and renders that once more: a layer's GeoJSON, megabytes
of it, was lexed and compiled as a template on every save.

:func:`render_page` renders the map itself and then puts it back as it was
(every element's children and id), and while it renders, text that holds no
template syntax becomes a :class:`_Literal` that gives back exactly what
jinja2 would have made of it; text that does hold some is compiled as before
(once per distinct text). The page is the same, character for character.

Examples
--------
>>> _Literal.of("var a = 1;" + chr(10)).render()
'var a = 1;'
>>> _Literal.of("{{ 1 + 1 }}").render()
'2'
"""

from __future__ import annotations

import contextlib
import functools
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import branca.element
from jinja2 import Template

__all__ = ["elements", "numbered", "render_page"]

#: What makes jinja2 treat text as more than plain data (tags, expressions, comments,
#: and carriage returns, which its lexer turns into line feeds).
_SYNTAX = ("{{", "{%", "{#", "\r")


class _Literal:
    """Text that renders to itself as jinja2 would render it (one final newline dropped).

    jinja2's default environment (branca's) keeps no trailing newline: a
    template of plain text renders to the text without its last line feed.
    """

    __slots__ = ("_text",)

    def __init__(self, text: str) -> None:
        self._text = text[:-1] if text.endswith("\n") else text

    @staticmethod
    def of(text: str) -> _Literal | Template:
        """Return a literal for plain text, else the (cached) compiled template."""
        source = str(text)
        if any(mark in source for mark in _SYNTAX):
            return _compiled(source)
        return _Literal(source)

    def render(self, *args: Any, **kwargs: Any) -> str:
        """Return the text (what the template would give for any arguments)."""
        return self._text


@functools.lru_cache(maxsize=512)
def _compiled(source: str) -> Template:
    template: Template = Template(source)
    return template


def elements(element: Any) -> Iterator[Any]:
    """Yield the element and everything under it, depth first, in insertion order."""
    yield element
    for child in list(getattr(element, "_children", {}).values()):
        yield from elements(child)


#: The parts of a page (branca ``Figure``) that hold no element of the map but what rendering adds.
_PAGE_PARTS = ("header", "html", "script")


@contextlib.contextmanager
def numbered(root: Any) -> Iterator[None]:
    """Give every element an id numbered in order; restore ids and children on leaving.

    While inside, rendering may add children anywhere (folium does: to the page's
    header, body and script, and to layers); on leaving, every element that was
    there before has its own children and id again.
    """
    tree = list(elements(root))
    parts = [e for name in _PAGE_PARTS for e in elements(getattr(root, name, None))]
    saved = [(e, e._id, OrderedDict(e._children)) for e in tree + parts if e is not None]
    try:
        for number, element in enumerate(tree):
            element._id = f"{number:032x}"
        yield
    finally:
        for element, ident, children in saved:
            element._id = ident
            element._children = children


@contextlib.contextmanager
def _literal_text() -> Iterator[None]:
    """Let branca wrap rendered text as :class:`_Literal` instead of compiling it."""
    names = vars(branca.element)  # the module's globals: Element() looks Template up there
    original = names["Template"]
    names["Template"] = _Literal.of
    try:
        yield
    finally:
        names["Template"] = original


def render_page(m: Any) -> str:
    """Return the map's page with its elements numbered in order (the same map, the same page).

    Parameters
    ----------
    m
        A folium map (or any branca element inside a page).

    Returns
    -------
    str
        The HTML page; ``m`` is left as it was.
    """
    root = m.get_root()
    with numbered(root), _literal_text():
        page: str = root.render()
    return page
