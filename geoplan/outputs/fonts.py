"""The typeface of the print maps and report.pdf: a Chinese (CJK) font found on the machine.

geoplan ships no font. No well-kept package on PyPI carries an OFL-licensed
Simplified Chinese face (Noto Sans CJK SC, Source Han Sans SC: 16-20 MB a
weight), and the ones that carry SimHei or Microsoft YaHei carry fonts whose
licences forbid it. Every machine a plan is drawn on has one instead:

* Debian/Ubuntu: ``sudo apt-get install fonts-noto-cjk`` (Noto Sans CJK SC;
  geoplan's CI installs it); Fedora: ``google-noto-sans-cjk-fonts``;
* Windows: Microsoft YaHei (微软雅黑) or SimHei (黑体), installed with the system;
* macOS: PingFang SC (苹方) or Hiragino Sans GB, installed with the system;
* anywhere: the environment variable ``GEOPLAN_CJK_FONT`` names a font file
  (``.ttf``, ``.otf`` or ``.ttc``) or a family, e.g. a Source Han Sans SC
  downloaded by hand.

:func:`cjk_typeface` finds the first of :data:`CJK_FAMILIES` through
matplotlib's font manager (fonts installed after matplotlib built its font
cache are found too) and checks that it draws Chinese. :func:`print_typeface`
decides what a run prints with: the CJK face; or, when the study is in Chinese
and the machine has none, DejaVu Sans (bundled with matplotlib) with English
labels, a :class:`MissingFontWarning` and a note saying how to install one —
never boxes (tofu) in place of characters.

Examples
--------
>>> face = latin_typeface()
>>> face.family, face.cjk
('DejaVu Sans', False)
>>> face.clean("社区 A→B")
'?? A→B'
"""

from __future__ import annotations

import functools
import logging
import os
import re
import threading
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path

from geoplan._errors import ConfigError, DataSourceError, GeoplanWarning

__all__ = [
    "CJK_FAMILIES",
    "FONT_VARIABLE",
    "INSTALL_HINT",
    "Face",
    "MissingFontError",
    "MissingFontWarning",
    "Typeface",
    "cjk_typeface",
    "latin_typeface",
    "print_typeface",
    "require_cjk_typeface",
]

log = logging.getLogger(__name__)

#: Simplified Chinese sans-serif families, in the order geoplan prefers them.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans SC",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
)
#: The environment variable that names a font file or family to use instead.
FONT_VARIABLE = "GEOPLAN_CJK_FONT"
#: How to get a Chinese font, for error messages, warnings and run.json notes.
INSTALL_HINT = (
    "install Noto Sans CJK (Debian/Ubuntu: sudo apt-get install fonts-noto-cjk; Fedora: "
    "sudo dnf install google-noto-sans-cjk-fonts; Windows and macOS have Microsoft YaHei "
    f"and PingFang SC), or set {FONT_VARIABLE} to a .ttf/.otf/.ttc font file with Chinese "
    "characters"
)
#: Characters every CJK face geoplan uses must draw.
PROBE = "社区服务设施覆盖率生活圈选址建议说明与局限"
#: Font files a font cache made before the fonts were installed may not know of.
_CJK_FILE = re.compile(r"cjk|sourcehan|msyh|simhei|pingfang|hiragino|wqy|notosanssc", re.I)
_LATIN = "DejaVu Sans"
_FONT_SUFFIXES = (".ttf", ".otf", ".ttc")


class MissingFontWarning(GeoplanWarning):
    """No Chinese font was found: the print maps and report.pdf are written in English."""


class MissingFontError(DataSourceError):
    """A Chinese font is needed and none was found; the message says how to install one."""


@dataclass(frozen=True)
class Face:
    """One face of a font file (a ``.ttc`` collection holds several)."""

    path: Path
    index: int = 0


@dataclass(frozen=True)
class Typeface:
    """What geoplan prints with: a family for matplotlib, its faces for report.pdf.

    Attributes
    ----------
    family
        The family name matplotlib knows it by.
    regular, bold
        The regular and bold faces (``bold`` is ``regular`` when the family has none).
    cjk
        Whether it draws Chinese.
    """

    family: str
    regular: Face
    bold: Face
    cjk: bool

    @property
    def families(self) -> list[str]:
        """Return the families for matplotlib: this one, then DejaVu Sans for what it lacks."""
        return [self.family] if self.family == _LATIN else [self.family, _LATIN]

    def can_show(self, text: str) -> bool:
        """Whether every character of ``text`` is drawn by this typeface or DejaVu Sans."""
        known = _drawable(self.regular)
        return all(_invisible(c) or ord(c) in known for c in text)

    def clean(self, text: str) -> str:
        """Return ``text`` with every character the typeface cannot draw as ``?``.

        Control characters other than line breaks are dropped, so nothing is
        drawn as a box (tofu) and no PDF writer meets a glyph it lacks.
        """
        known = _drawable(self.regular)
        out = []
        for character in text:
            if character == "\n":
                out.append(character)
            elif character.isspace():
                out.append(" ")
            elif not unicodedata.category(character).startswith("C"):
                out.append(character if ord(character) in known else "?")
        return "".join(out)


def _invisible(character: str) -> bool:
    return character.isspace() or unicodedata.category(character).startswith("C")


@functools.cache
def _characters(face: Face) -> frozenset[int]:
    """Return the code points a face maps to a glyph."""
    from matplotlib.ft2font import FT2Font

    font = FT2Font(str(face.path), face_index=face.index)
    return frozenset(code for code, glyph in font.get_charmap().items() if glyph)


@functools.cache
def _drawable(face: Face) -> frozenset[int]:
    """Return the code points a face draws, itself or through DejaVu Sans after it."""
    return _characters(face) | _characters(latin_typeface().regular)


@functools.cache
def latin_typeface() -> Typeface:
    """Return DejaVu Sans, which matplotlib bundles (Latin, Greek, Cyrillic; no Chinese)."""
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return Typeface(
        _LATIN, Face(folder / "DejaVuSans.ttf"), Face(folder / "DejaVuSans-Bold.ttf"), cjk=False
    )


def cjk_typeface() -> Typeface | None:
    """Return the machine's Chinese typeface, or None when it has none.

    ``GEOPLAN_CJK_FONT`` (a font file or a family name) comes first, then the
    first of :data:`CJK_FAMILIES` that matplotlib's font manager knows and that
    draws every character of :data:`PROBE`.

    Raises
    ------
    ConfigError
        ``GEOPLAN_CJK_FONT`` names a file that is missing or not a font, or a
        font that draws no Chinese.
    """
    with _FINDING:
        return _find(os.environ.get(FONT_VARIABLE, "").strip())


#: One search for the typeface at a time: the print writer's readying thread and its writing
#: may both ask, and a search may add font files to matplotlib's font list one by one (the
#: bold file before the regular one), so a second search meanwhile could see a family
#: half added (two unequal typefaces were seen in one of about fourteen Chengdu runs).
_FINDING = threading.Lock()


def require_cjk_typeface() -> Typeface:
    """Return the machine's Chinese typeface.

    Raises
    ------
    MissingFontError
        The machine has none; the message says how to install one.
    """
    found = cjk_typeface()
    if found is None:
        msg = f"no Chinese font was found for the print maps and report.pdf: {INSTALL_HINT}"
        raise MissingFontError(msg)
    return found


def print_typeface(lang: str) -> tuple[Typeface, str, str | None]:
    """Return what a run prints with, the language it prints in, and a note when they changed.

    Parameters
    ----------
    lang
        The run's language (``"zh"`` or ``"en"``).

    Returns
    -------
    tuple
        The typeface; ``lang``, or ``"en"`` when Chinese was asked for and the
        machine has no Chinese font (a :class:`MissingFontWarning` is then
        issued); and the note for run.json in that case, else None.
    """
    found = cjk_typeface()
    if found is not None:
        return found, lang, None
    if lang != "zh":
        return latin_typeface(), lang, None
    note = (
        "print maps and report.pdf are in English: no Chinese font was found on this "
        f"machine; to print them in Chinese, {INSTALL_HINT}"
    )
    warnings.warn(note, MissingFontWarning, stacklevel=2)
    return latin_typeface(), "en", note


@functools.cache
def _find(variable: str) -> Typeface | None:
    if variable:
        return _from_variable(variable)
    for family in CJK_FAMILIES:
        found = _typeface(family)
        if found is not None:
            return found
    if _add_uncached_fonts():
        return next(filter(None, (_typeface(f) for f in CJK_FAMILIES)), None)
    return None


def _from_variable(value: str) -> Typeface:
    """Return the typeface ``GEOPLAN_CJK_FONT`` names (a font file or a family)."""
    from matplotlib import font_manager

    path = Path(value).expanduser()
    looks_like_file = path.suffix.lower() in _FONT_SUFFIXES or os.sep in value
    if not looks_like_file:
        found = _typeface(value)
        if found is None:
            msg = (
                f"{FONT_VARIABLE}={value!r}: no installed font family of that name draws "
                f"Chinese; give the path of a .ttf/.otf/.ttc file, or unset it and {INSTALL_HINT}"
            )
            raise ConfigError(msg)
        return found
    if not path.is_file() or path.suffix.lower() not in _FONT_SUFFIXES:
        msg = (
            f"{FONT_VARIABLE}={value!r} is not a .ttf, .otf or .ttc file; set it to the path "
            "of a font with Chinese characters (e.g. NotoSansCJK-Regular.ttc)"
        )
        raise ConfigError(msg)
    path = path.resolve()
    try:
        font_manager.fontManager.addfont(str(path))
    except (OSError, RuntimeError, ValueError) as exc:
        msg = f"{FONT_VARIABLE}={value!r} cannot be read as a font ({exc}); choose another file"
        raise ConfigError(msg) from exc
    names = {e.name for e in font_manager.fontManager.ttflist if Path(e.fname).resolve() == path}
    for name in sorted(names, key=_family_rank):
        found = _typeface(name, only=path)
        if found is not None:
            return found
    msg = (
        f"{FONT_VARIABLE}={value!r} draws no Chinese (it lacks characters such as "
        f"{PROBE[:4]}); set it to a font with Chinese characters, e.g. NotoSansCJK-Regular.ttc"
    )
    raise ConfigError(msg)


def _family_rank(name: str) -> tuple[int, str]:
    """Sort a collection's families: the preferred ones, then Simplified Chinese, then others."""
    if name in CJK_FAMILIES:
        return CJK_FAMILIES.index(name), name
    simplified = any(tag in name for tag in (" SC", " CN", " GB", "Hans"))
    return len(CJK_FAMILIES) + (0 if simplified else 1), name


def _typeface(family: str, only: Path | None = None) -> Typeface | None:
    """Return ``family``'s regular and bold faces when it draws Chinese, else None."""
    from matplotlib import font_manager

    entries = [
        e
        for e in font_manager.fontManager.ttflist
        if e.name == family
        and e.style == "normal"
        and Path(e.fname).suffix.lower() in _FONT_SUFFIXES
        and (only is None or Path(e.fname).resolve() == only)
    ]
    if not entries:
        return None
    regular = min(entries, key=lambda e: (abs(_weight(e.weight) - 400), e.fname, e.index))
    heavy = [e for e in entries if _weight(e.weight) >= 600]
    bold = min(heavy, key=lambda e: (abs(_weight(e.weight) - 700), e.fname, e.index), default=None)
    face = Face(Path(regular.fname), int(regular.index))
    try:
        drawn = _characters(face)
    except (OSError, RuntimeError) as exc:  # an unreadable file in the font cache
        log.info("font %s (%s) cannot be read: %s", family, regular.fname, exc)
        return None
    if not all(ord(c) in drawn for c in PROBE):
        return None
    bold_face = Face(Path(bold.fname), int(bold.index)) if bold is not None else face
    return Typeface(family, face, bold_face, cjk=True)


def _weight(value: int | str) -> int:
    from matplotlib import font_manager

    if isinstance(value, int):
        return value
    return int(font_manager.weight_dict.get(str(value), 400))


def _add_uncached_fonts() -> bool:
    """Add CJK font files matplotlib's font cache does not know (installed after it was made)."""
    from matplotlib import font_manager

    known = {e.fname for e in font_manager.fontManager.ttflist}
    added = False
    for name in sorted(font_manager.findSystemFonts()):
        if name in known or not _CJK_FILE.search(Path(name).name):
            continue
        try:
            font_manager.fontManager.addfont(name)
        except (OSError, RuntimeError, ValueError) as exc:
            log.info("font file %s cannot be read: %s", name, exc)
            continue
        added = True
    return added
