"""Provider POI categories (Amap, Baidu) as evidence for and against the facility types.

The table is package data, ``poi_categories.toml`` beside this module: each
``[[category]]`` entry lists provider categories (Amap's six-digit type codes
with their 大类;中类;小类 path, Baidu's 一级;二级 industry categories, or words of
other exports) and says what they tell about a POI: the type(s) they stand for
(``facility_type``), how strongly (``strength``), and which types a name may
still give (``confirms``, ``allows``); every other type is ruled out. The file's
header documents the fields and the order of precedence;
:func:`geoplan.facilities.classify_facilities` applies it.

Examples
--------
>>> table = category_table()
>>> [m.entry.facility_types for m in table.lookup("交通设施;公交车站", None)]
[('bus_stop',)]
>>> match = table.lookup("购物服务;便民商店/便利店;便民商店/便利店", "060200")[0]
>>> match.text, match.entry.strength, match.entry.compatible("primary_school")
('060200 便民商店/便利店', 'strong', False)
"""

from __future__ import annotations

import math
import re
import tomllib
import unicodedata
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Final

from geoplan._errors import ConfigError

__all__ = ["ANY", "CategoryEntry", "CategoryMatch", "CategoryTable", "category_table"]

#: In ``allows``: any type.
ANY: Final = "*"
STRENGTHS: Final = ("strong", "weak", "none")
PROVIDERS: Final = ("amap", "baidu")
#: Parts that say nothing ("other"): never looked up, the broader part decides.
_VOID: Final = frozenset({"其他", "其它"})
_ENTRY_KEYS: Final = frozenset(
    {
        "facility_type",
        "strength",
        "confirms",
        "allows",
        "amap",
        "baidu",
        "words",
        "verification",
        "note",
    }
)
_PROVIDER_KEYS: Final = frozenset({"name", "cite", "urls", "verification"})
_VERIFICATIONS: Final = ("verified_secondary", "default")
_AMAP = re.compile(r"^(\d{6}) ([^;]+);([^;]+);([^;]+)$")
_CODE = re.compile(r"^\d{5,6}$")
_PARTS = re.compile(r"[;,、>]")
_PATHS = re.compile(r"\|")


def category_key(text: str) -> str:
    """Return the form category words are compared in: NFKC, casefolded, no spaces.

    Examples
    --------
    >>> category_key(" 医疗；药店 ")
    '医疗;药店'
    """
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


# ====================================================================== entries
@dataclass(frozen=True)
class Provider:
    """A provider's category table, as ``poi_categories.toml`` cites it."""

    id: str
    name: str
    cite: str
    urls: tuple[str, ...]
    verification: str


@dataclass(frozen=True)
class CategoryEntry:
    """One ``[[category]]`` entry of ``poi_categories.toml``.

    Attributes
    ----------
    number
        The entry's position in the file (1 for the first).
    facility_types
        The types the categories stand for (the first is the one a single-type
        reader keeps); empty when they are none of the standard types.
    strength
        ``"strong"`` (decides its types whatever the name says), ``"weak"``
        (decides only when the name gives no type) or ``"none"``.
    confirms
        Types a name may give with the category's support.
    allows
        Other types a name may give; :data:`ANY` in it allows every type.
    amap
        ``(code, 大类;中类;小类)`` of Amap's table.
    baidu
        ``一级;二级`` (or ``一级``) of Baidu's table.
    words
        Words of other exports.
    verification, note
        ``"verified_secondary"`` (seen in the cited tables) or ``"default"``,
        and why.
    """

    number: int
    facility_types: tuple[str, ...]
    strength: str
    confirms: frozenset[str]
    allows: frozenset[str]
    amap: tuple[tuple[str, str], ...]
    baidu: tuple[str, ...]
    words: tuple[str, ...]
    verification: str
    note: str

    def compatible(self, type_id: str) -> bool:
        """Whether a POI of this category may be of the type (else it is ruled out)."""
        return (
            ANY in self.allows
            or type_id in self.facility_types
            or type_id in self.confirms
            or type_id in self.allows
        )

    def supports(self, type_id: str) -> bool:
        """Whether the category speaks for the type (its own types and ``confirms``)."""
        return type_id in self.facility_types or type_id in self.confirms

    @property
    def label(self) -> str:
        """The entry's first category, as the file writes it, for messages."""
        if self.amap:
            return " ".join(self.amap[0])
        return (self.baidu or self.words)[0]

    def indexed_words(self) -> Iterator[str]:
        """Yield the words a POI's category part is looked up by (see the file's header)."""
        for code, path in self.amap:
            major, middle, minor = path.split(";")
            yield minor
            if code.endswith("00"):
                yield middle
            if code.endswith("0000"):
                yield major
        for path in self.baidu:
            yield path.split(";")[-1]
        yield from self.words

    def row(self) -> dict[str, Any]:
        """Return the entry as a table row (see :meth:`CategoryTable.rows`)."""
        return {
            "entry": self.number,
            "facility_type": ", ".join(self.facility_types),
            "strength": self.strength,
            "confirms": ", ".join(sorted(self.confirms)),
            "allows": ", ".join(sorted(self.allows)),
            "amap": "; ".join(" ".join(pair) for pair in self.amap),
            "baidu": "; ".join(self.baidu),
            "words": "; ".join(self.words),
            "verification": self.verification,
            "note": self.note,
        }


@dataclass(frozen=True)
class CategoryMatch:
    """A POI's category found in the table: the entry and the text that matched it.

    ``text`` is the matched part of the path (``"幼儿园"``) or the Amap code with
    its 小类 (``"141204 幼儿园"``); match rules quote it.
    """

    entry: CategoryEntry
    text: str


# ====================================================================== table
class CategoryTable:
    """The provider categories of ``poi_categories.toml``, indexed for lookup.

    Parameters
    ----------
    entries
        The entries, in the file's order.
    providers
        The cited provider tables by id (``"amap"``, ``"baidu"``).

    Raises
    ------
    ConfigError
        A word or code listed by two entries.
    """

    def __init__(self, entries: Sequence[CategoryEntry], providers: Mapping[str, Provider]) -> None:
        self.entries = tuple(entries)
        self.providers = dict(providers)
        self._by_code: dict[str, tuple[CategoryEntry, str]] = {}
        self._by_word: dict[str, CategoryEntry] = {}
        for entry in self.entries:
            for code, path in entry.amap:
                _index(self._by_code, code, (entry, f"{code} {path.split(';')[-1]}"), code)
            for word in entry.indexed_words():
                key = category_key(word)
                if key in _VOID:
                    continue
                if self._by_word.get(key, entry) is not entry:
                    first = self._by_word[key]
                    msg = (
                        f"poi_categories.toml: the category word {word!r} is indexed by entry "
                        f"{first.number} ({first.label}) and entry {entry.number} "
                        f"({entry.label}); keep it in one entry"
                    )
                    raise ConfigError(msg)
                self._by_word[key] = entry

    def lookup(self, category: object, typecode: object) -> tuple[CategoryMatch, ...]:
        """Find a POI's categories: one match per path (``|``-separated) the table knows.

        Parameters
        ----------
        category
            The provider's category text (``"医疗;药店"``,
            ``"A;B;C|D;E;F"``), or None.
        typecode
            Amap's type code(s) (``"090601"``, ``"090601|070000"``; five
            digits are read as a dropped leading zero), or None.

        Returns
        -------
        tuple of CategoryMatch
            In the order of the paths; empty when none is known.
        """
        paths = [p for p in _PATHS.split(_text(category)) if p.strip()]
        codes = [_code(c) for c in _PATHS.split(_text(typecode))]
        codes = [c for c in codes if c]
        found = []
        for i in range(max(len(paths), len(codes))):
            match = self._code_match(codes[i]) if i < len(codes) else None
            if match is None and i < len(paths):
                match = self._path_match(paths[i])
            if match is not None:
                found.append(match)
        return tuple(found)

    def check_types(self, known: Collection[str]) -> None:
        """Raise :class:`ConfigError` when an entry names a type not in ``known``."""
        for entry in self.entries:
            named = {*entry.facility_types, *entry.confirms, *entry.allows} - {ANY}
            unknown = sorted(named - set(known))
            if unknown:
                msg = (
                    f"poi_categories.toml: entry {entry.number} ({entry.label}) names "
                    f"{', '.join(map(repr, unknown))}, not facility types of the standards; "
                    "use ids of geoplan.standards.facility_types()"
                )
                raise ConfigError(msg)

    def rows(self) -> list[dict[str, Any]]:
        """Return one row per entry (see :func:`geoplan.sources.poi.poi_categories`)."""
        return [entry.row() for entry in self.entries]

    def _code_match(self, code: str) -> CategoryMatch | None:
        for key in (code, f"{code[:4]}00", f"{code[:2]}0000"):
            if key in self._by_code:
                entry, text = self._by_code[key]
                return CategoryMatch(entry, text)
        return None

    def _path_match(self, path: str) -> CategoryMatch | None:
        parts = [p.strip() for p in _PARTS.split(unicodedata.normalize("NFKC", path)) if p.strip()]
        for part in reversed(parts):
            for piece in (part, *reversed(part.split("/"))):
                entry = self._by_word.get(category_key(piece))
                if entry is not None:
                    return CategoryMatch(entry, piece)
        return None


def _index(table: dict[str, Any], key: str, value: Any, what: str) -> None:
    if key in table:
        msg = f"poi_categories.toml lists the Amap code {what} twice; keep it in one entry"
        raise ConfigError(msg)
    table[key] = value


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()


def _code(text: str) -> str:
    """Return a six-digit type code, or ``""`` (``"60200"`` or ``"60200.0"`` → ``"060200"``)."""
    text = text.strip().removesuffix(".0")
    return text.zfill(6) if _CODE.match(text) else ""


# ====================================================================== loading
def category_table(known_types: Collection[str] | None = None) -> CategoryTable:
    """Return the package's provider category table, checked against the types.

    Parameters
    ----------
    known_types
        The facility type ids the entries may name (a standards' types); the
        package standards' when omitted.

    Returns
    -------
    CategoryTable

    Raises
    ------
    ConfigError
        A malformed entry, a word listed twice, or a type the standards lack.
    """
    table = _package_table()
    if known_types is None:
        from geoplan.standards import load_standards

        known_types = [t.id for t in load_standards().all_types]
    table.check_types(known_types)
    return table


@lru_cache(maxsize=1)
def _package_table() -> CategoryTable:
    text = resources.files("geoplan.standards").joinpath("poi_categories.toml")
    return parse_table(tomllib.loads(text.read_text(encoding="utf-8")))


def parse_table(data: Mapping[str, Any]) -> CategoryTable:
    """Build a :class:`CategoryTable` from the parsed TOML of ``poi_categories.toml``.

    Raises
    ------
    ConfigError
        A malformed provider, group or entry (the message names the entry and
        the fix).
    """
    providers = {p: _provider(p, data.get("provider", {}).get(p)) for p in PROVIDERS}
    groups = _groups(data.get("group", {}))
    raw = data.get("category", [])
    if not isinstance(raw, list) or not raw:
        msg = "poi_categories.toml has no [[category]] entries"
        raise ConfigError(msg)
    entries = [_entry(i + 1, item, groups) for i, item in enumerate(raw)]
    return CategoryTable(entries, providers)


def _provider(pid: str, raw: object) -> Provider:
    where = f"poi_categories.toml [provider.{pid}]"
    if not isinstance(raw, Mapping) or not set(raw) >= _PROVIDER_KEYS:
        msg = f"{where} is missing or lacks one of {', '.join(sorted(_PROVIDER_KEYS))}"
        raise ConfigError(msg)
    urls = raw["urls"]
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        msg = f"{where}: urls must be a list of addresses"
        raise ConfigError(msg)
    return Provider(pid, str(raw["name"]), str(raw["cite"]), tuple(urls), str(raw["verification"]))


def _groups(raw: object) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, Mapping) or not all(
        isinstance(v, list) and all(isinstance(t, str) for t in v) for v in raw.values()
    ):
        msg = "poi_categories.toml [group] must map names to lists of facility type ids"
        raise ConfigError(msg)
    return {str(k): tuple(v) for k, v in raw.items()}


def _entry(number: int, raw: object, groups: Mapping[str, tuple[str, ...]]) -> CategoryEntry:
    where = f"poi_categories.toml entry {number}"
    if not isinstance(raw, Mapping):
        msg = f"{where} must be a table"
        raise ConfigError(msg)
    unknown = sorted(set(raw) - _ENTRY_KEYS)
    if unknown:
        msg = f"{where}: unknown key {unknown[0]!r}; valid keys: {', '.join(sorted(_ENTRY_KEYS))}"
        raise ConfigError(msg)
    types = _texts(raw.get("facility_type", []), where, "facility_type")
    strength = raw.get("strength")
    if strength not in STRENGTHS or (strength == "none") != (not types):
        msg = (
            f"{where}: strength must be 'strong' or 'weak' with a facility_type, or 'none' "
            f"without one; got strength={strength!r}, facility_type={list(types)}"
        )
        raise ConfigError(msg)
    amap = tuple(_amap(p, where) for p in _texts(raw.get("amap", []), where, "amap"))
    baidu = _texts(raw.get("baidu", []), where, "baidu")
    words = _texts(raw.get("words", []), where, "words")
    verification = _verification(raw, where, words=bool(words), provider=bool(amap or baidu))
    return CategoryEntry(
        number=number,
        facility_types=types,
        strength=str(strength),
        confirms=frozenset(_expand(_texts(raw.get("confirms", []), where, "confirms"), groups)),
        allows=frozenset(_expand(_texts(raw.get("allows", []), where, "allows"), groups)),
        amap=amap,
        baidu=tuple(_baidu(p, where) for p in baidu),
        words=words,
        verification=verification,
        note=str(raw.get("note", "")),
    )


def _verification(raw: Mapping[str, Any], where: str, *, words: bool, provider: bool) -> str:
    verification = raw.get("verification")
    if not (words or provider):
        msg = f"{where} lists no category: give amap, baidu or words"
        raise ConfigError(msg)
    if verification not in _VERIFICATIONS:
        msg = f"{where}: verification must be one of {', '.join(_VERIFICATIONS)}"
        raise ConfigError(msg)
    if words and verification != "default":
        msg = f"{where}: words are in neither provider's table; write verification = 'default'"
        raise ConfigError(msg)
    if verification == "default" and not str(raw.get("note", "")).strip():
        msg = f"{where}: a 'default' entry needs a note saying what geoplan chose and why"
        raise ConfigError(msg)
    return str(verification)


def _texts(value: object, where: str, key: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) and v.strip() for v in items):
        msg = f"{where}: {key} must be a list of non-empty strings"
        raise ConfigError(msg)
    return tuple(items)


def _expand(items: Iterable[str], groups: Mapping[str, tuple[str, ...]]) -> Iterator[str]:
    for item in items:
        if item.startswith("@"):
            if item[1:] not in groups:
                msg = (
                    f"poi_categories.toml names the group {item!r}, which [group] lacks; "
                    f"known groups: {', '.join(sorted(groups))}"
                )
                raise ConfigError(msg)
            yield from groups[item[1:]]
        else:
            yield item


def _amap(text: str, where: str) -> tuple[str, str]:
    match = _AMAP.match(text)
    if match is None:
        msg = (
            f"{where}: Amap category {text!r} must read '<six-digit code> 大类;中类;小类', "
            "e.g. '090601 医疗保健服务;医药保健销售店;药房'"
        )
        raise ConfigError(msg)
    return match.group(1), ";".join(match.groups()[1:])


def _baidu(text: str, where: str) -> str:
    if not 1 <= len(text.split(";")) <= 2:
        msg = f"{where}: Baidu category {text!r} must read '一级' or '一级;二级', e.g. '医疗;药店'"
        raise ConfigError(msg)
    return text
