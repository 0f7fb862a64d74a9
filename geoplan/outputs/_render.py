"""Render a folium map to its HTML page without copying it or compiling its text again.

folium renders a map by adding elements to the page (each layer's script, its
header, its "add to map" call), so rendering twice would repeat them; geoplan
used to render a deep copy instead, which copied every layer's GeoJSON. And
branca turns each rendered piece of text back into a jinja2 template
(``Element(text)``) and renders that once more: a layer's GeoJSON, megabytes
of it, was lexed and compiled as a template on every save — and a name in the
data holding ``{{ ... }}`` was run as template code (jinja2 unsandboxed: it
reaches Python's modules), or broke the page with ``{%``.

:func:`render_page` renders the map itself and then puts it back as it was
(every element's children and id), and while it renders, rendered text becomes
a :class:`Literal`: exactly the text, as jinja2 gives plain text back (line
ends as line feeds, the last one dropped), never compiled. For every page
whose data holds no template syntax the page is the same, character for
character; names that hold some are shown as written.

Examples
--------
>>> Literal.of("var a = 1;" + chr(10)).render()
'var a = 1;'
>>> Literal.of("{{ 6 * 7 }}").render()
'{{ 6 * 7 }}'
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import branca.element

__all__ = ["Literal", "LiteralElement", "elements", "numbered", "render_page"]

#: Line ends as jinja2's lexer reads them (it writes each as a line feed).
_LINE_ENDS = re.compile(r"\r\n|\r|\n")


class Literal:
    """Text that renders to itself as jinja2 renders plain text.

    jinja2's default environment (branca's) writes every line end as a line
    feed and keeps no trailing newline.
    """

    __slots__ = ("_text",)

    def __init__(self, text: str) -> None:
        lines = _LINE_ENDS.split(str(text))
        if lines[-1] == "":
            lines.pop()
        self._text = "\n".join(lines)

    @staticmethod
    def of(text: str) -> Literal:
        """Return ``text`` as a literal (what branca would have compiled as a template)."""
        return Literal(text)

    def render(self, *args: Any, **kwargs: Any) -> str:
        """Return the text (whatever the arguments)."""
        return self._text


class LiteralElement(branca.element.Element):
    """A branca element whose page text is given, never compiled as a template."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._literal = Literal(text)

    def render(self, **kwargs: Any) -> str:
        """Return the element's text."""
        return self._literal.render()


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


#: branca's own template class, put back after every render (whatever thread rendered).
_BRANCA_TEMPLATE = vars(branca.element)["Template"]
#: One render at a time: branca's module is shared, and a map's tree is changed while it renders.
_RENDERING = threading.Lock()


@contextlib.contextmanager
def _literal_text() -> Iterator[None]:
    """Let branca wrap rendered text as :class:`Literal` instead of compiling it."""
    names = vars(branca.element)  # the module's globals: Element() looks Template up there
    names["Template"] = Literal.of
    try:
        yield
    finally:
        names["Template"] = _BRANCA_TEMPLATE


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
    with _RENDERING, numbered(root), _literal_text():
        page: str = root.render()
    return page
