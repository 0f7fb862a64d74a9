"""Regional OpenStreetMap extracts of China, downloaded once into the cache; district boundaries.

:data:`REGIONS` lists Geofabrik's extracts of China's provinces, autonomous
regions, municipalities and special administrative regions, and of China as a
whole (``https://download.geofabrik.de/asia/china.html``). Each is named by its
Geofabrik slug (``jilin``), its Chinese name (``吉林省``, ``吉林``), its English
name (``Jilin``) and aliases (``Jilin Province``, ``Jilin Sheng``), in any case.

:func:`fetch_extract` downloads one (or any ``http(s)`` URL) into
``<settings.cache_dir>/extracts/``: resumable (an interrupted download
continues with an HTTP Range request), retried on connection errors, checked
against the MD5 that Geofabrik publishes beside every extract, and moved into
place only when it matches. An ``<file>.md5`` sidecar (the same
``<hash>  <file name>`` line as Geofabrik's, so ``md5sum -c`` reads it) is kept
beside the file: later calls verify the file against it and return at once,
without the network. A file downloaded by hand together with its ``.md5`` into
that folder is used the same way.

:func:`district_boundary` returns the administrative boundary of a city or
district by name, from an extract's own boundaries or a vector file.

The download server is Geofabrik's (:data:`DEFAULT_BASE_URL`) unless
``base_url=`` or the environment variable ``GEOPLAN_EXTRACTS_URL`` names
another server (a mirror) with the same layout:
``<base>/asia/china/<slug>-latest.osm.pbf`` and ``...osm.pbf.md5``.

Examples
--------
>>> REGIONS["jilin"].url()
'https://download.geofabrik.de/asia/china/jilin-latest.osm.pbf'
>>> resolve_region("吉林省").slug, resolve_region("Inner Mongolia").slug
('jilin', 'inner-mongolia')
>>> path = fetch_extract("吉林")  # doctest: +SKIP
>>> path.name  # doctest: +SKIP
'jilin-latest.osm.pbf'
"""

from __future__ import annotations

import difflib
import hashlib
import http.client
import logging
import os
import re
import time
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar, cast
from urllib.parse import unquote, urlsplit

import numpy as np
import pandas as pd
import shapely
from tqdm import tqdm

from geoplan._errors import ConfigError, DataSourceError, InputError
from geoplan._io import atomic_path
from geoplan.settings import settings
from geoplan.sources.osm import SourceLike, read_boundaries

__all__ = [
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "MAX_RETRIES",
    "REGIONS",
    "TIMEOUT_S",
    "Region",
    "district_boundary",
    "fetch_extract",
    "resolve_region",
]

log = logging.getLogger(__name__)

#: Geofabrik's download server.
DEFAULT_BASE_URL = "https://download.geofabrik.de"
#: Environment variable naming another server with Geofabrik's layout (a mirror).
BASE_URL_ENV = "GEOPLAN_EXTRACTS_URL"
#: Seconds every request may wait for a connection or for the next bytes.
TIMEOUT_S = 30.0
#: Retries after a connection error, a timeout or a dropped transfer (each resumes).
MAX_RETRIES = 3
#: Seconds before the first retry; doubled before each further one.
RETRY_BACKOFF_S = 1.0

_CHUNK = 1 << 20
_MD5 = re.compile(r"\s*([0-9a-fA-F]{32})(?:\s|$)")
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")
_UNSATISFIED_RANGE = re.compile(r"bytes\s+\*/(\d+)")
_KEY_SEPARATORS = re.compile(r"[\s\-_'\u2019.\u00b7]+")

_T = TypeVar("_T")


# ====================================================================== regions
@dataclass(frozen=True)
class Region:
    """One Geofabrik extract of China or of a province-level division.

    Attributes
    ----------
    slug : str
        Geofabrik's name of the extract (``jilin``, ``inner-mongolia``).
    name_zh : str
        The full Chinese name (``吉林省``).
    short_zh : str
        The short Chinese name (``吉林``).
    name_en : str
        The English name (``Jilin``).
    kind : str
        ``province``, ``autonomous region``, ``municipality``, ``special
        administrative region`` or ``country``.
    aliases : tuple of str
        Further names it is found by (pinyin, older spellings).
    note : str
        What the extract covers beyond its name, as Geofabrik says.
    path : str
        Where the extract lives below the base URL, without ``-latest.osm.pbf``.

    Examples
    --------
    >>> REGIONS["jilin"].file_name
    'jilin-latest.osm.pbf'
    >>> "Jilin Province" in REGIONS["jilin"].names
    True
    """

    slug: str
    name_zh: str
    short_zh: str
    name_en: str
    kind: str
    aliases: tuple[str, ...] = ()
    note: str = ""
    path: str = ""

    @property
    def file_name(self) -> str:
        """The extract's file name, ``<slug>-latest.osm.pbf``."""
        return f"{self.slug}-latest.osm.pbf"

    @property
    def names(self) -> tuple[str, ...]:
        """Every name the region is found by: slug, Chinese, English, aliases."""
        english = {
            "province": ("Province", "Sheng"),
            "autonomous region": ("Autonomous Region", "Zizhiqu"),
            "municipality": ("Municipality", "City", "Shi"),
            "special administrative region": ("Special Administrative Region", "SAR"),
            "country": (),
        }[self.kind]
        return (
            self.slug,
            self.name_zh,
            self.short_zh,
            self.name_en,
            *(f"{self.name_en} {suffix}" for suffix in english),
            *self.aliases,
        )

    def url(self, base_url: str | None = None) -> str:
        """Return the download URL of the extract.

        Parameters
        ----------
        base_url
            The server; ``GEOPLAN_EXTRACTS_URL`` or Geofabrik's when omitted.

        Returns
        -------
        str
            ``<base>/<path>-latest.osm.pbf``; its MD5 is at the same URL + ``.md5``.

        Examples
        --------
        >>> REGIONS["china"].url("http://mirror.example")
        'http://mirror.example/asia/china-latest.osm.pbf'
        """
        return f"{_base_url(base_url)}/{self.path}-latest.osm.pbf"


def _region(
    slug: str,
    name_zh: str,
    short_zh: str,
    name_en: str,
    kind: str,
    *aliases: str,
    note: str = "",
) -> Region:
    path = "asia/china" if slug == "china" else f"asia/china/{slug}"
    return Region(slug, name_zh, short_zh, name_en, kind, tuple(aliases), note, path)


_P, _A, _M, _S = "province", "autonomous region", "municipality", "special administrative region"

#: Geofabrik's extracts under ``asia/china`` and China as a whole, by slug. The
#: slugs are those of Geofabrik's download server as of 2026 (its ``asia/china``
#: index page); ``guangdong`` includes Hong Kong and Macau and ``hebei`` includes
#: Beijing and Tianjin, as Geofabrik cuts them.
REGIONS: Mapping[str, Region] = MappingProxyType(
    {
        r.slug: r
        for r in (
            _region("china", "中华人民共和国", "中国", "China", "country", "Zhongguo", "PRC"),
            _region("anhui", "安徽省", "安徽", "Anhui", _P),
            _region("beijing", "北京市", "北京", "Beijing", _M, "Peking"),
            _region("chongqing", "重庆市", "重庆", "Chongqing", _M, "Chungking"),
            _region("fujian", "福建省", "福建", "Fujian", _P, "Fukien"),
            _region("gansu", "甘肃省", "甘肃", "Gansu", _P, "Kansu"),
            _region(
                "guangdong",
                "广东省",
                "广东",
                "Guangdong",
                _P,
                "Canton Province",
                note="with Hong Kong and Macau",
            ),
            _region(
                "guangxi",
                "广西壮族自治区",
                "广西",
                "Guangxi",
                _A,
                "Guangxi Zhuang Autonomous Region",
                "Guangxi Zhuangzu Zizhiqu",
            ),
            _region("guizhou", "贵州省", "贵州", "Guizhou", _P, "Kweichow"),
            _region("hainan", "海南省", "海南", "Hainan", _P),
            _region("hebei", "河北省", "河北", "Hebei", _P, note="with Beijing and Tianjin"),
            _region("heilongjiang", "黑龙江省", "黑龙江", "Heilongjiang", _P),
            _region("henan", "河南省", "河南", "Henan", _P),
            _region("hubei", "湖北省", "湖北", "Hubei", _P),
            _region("hunan", "湖南省", "湖南", "Hunan", _P),
            _region(
                "inner-mongolia",
                "内蒙古自治区",
                "内蒙古",
                "Inner Mongolia",
                _A,
                "Nei Mongol",
                "Neimenggu",
                "Nei Menggu",
            ),
            _region("jiangsu", "江苏省", "江苏", "Jiangsu", _P),
            _region("jiangxi", "江西省", "江西", "Jiangxi", _P),
            _region("jilin", "吉林省", "吉林", "Jilin", _P, "Kirin"),
            _region("liaoning", "辽宁省", "辽宁", "Liaoning", _P),
            _region(
                "ningxia",
                "宁夏回族自治区",
                "宁夏",
                "Ningxia",
                _A,
                "Ningxia Hui Autonomous Region",
                "Ningxia Huizu Zizhiqu",
            ),
            _region("qinghai", "青海省", "青海", "Qinghai", _P),
            _region("shaanxi", "陕西省", "陕西", "Shaanxi", _P, "Shensi"),
            _region("shandong", "山东省", "山东", "Shandong", _P),
            _region("shanghai", "上海市", "上海", "Shanghai", _M),
            _region("shanxi", "山西省", "山西", "Shanxi", _P, "Shansi"),
            _region("sichuan", "四川省", "四川", "Sichuan", _P, "Szechuan", "Szechwan"),
            _region("tianjin", "天津市", "天津", "Tianjin", _M, "Tientsin"),
            _region(
                "tibet",
                "西藏自治区",
                "西藏",
                "Tibet",
                _A,
                "Xizang",
                "Xizang Autonomous Region",
                "Xizang Zizhiqu",
            ),
            _region(
                "xinjiang",
                "新疆维吾尔自治区",
                "新疆",
                "Xinjiang",
                _A,
                "Xinjiang Uygur Autonomous Region",
                "Xinjiang Uyghur Autonomous Region",
                "Xinjiang Weiwuer Zizhiqu",
            ),
            _region("yunnan", "云南省", "云南", "Yunnan", _P),
            _region("zhejiang", "浙江省", "浙江", "Zhejiang", _P, "Chekiang"),
            _region("hong-kong", "香港特别行政区", "香港", "Hong Kong", _S, "Xianggang", "HKSAR"),
            _region("macau", "澳门特别行政区", "澳门", "Macau", _S, "Macao", "Aomen"),
        )
    }
)


def _key(text: str) -> str:
    """Fold a name for lookup: NFKC, case, spaces, hyphens and apostrophes ignored."""
    return _KEY_SEPARATORS.sub("", unicodedata.normalize("NFKC", text).casefold())


_BY_KEY: Mapping[str, str] = MappingProxyType(
    {_key(name): region.slug for region in REGIONS.values() for name in region.names}
)


def resolve_region(name: str) -> Region:
    """Return the region a name means: slug, Chinese or English name, or alias.

    Parameters
    ----------
    name
        ``jilin``, ``吉林省``, ``吉林``, ``Jilin Province``, ``inner mongolia``...;
        case, spaces and hyphens do not matter.

    Returns
    -------
    Region

    Raises
    ------
    ConfigError
        An unknown name; the message lists the closest known names.

    Examples
    --------
    >>> resolve_region("Jilin Province").name_zh
    '吉林省'
    """
    if not isinstance(name, str) or not name.strip():
        msg = f"a region must be a name such as 'jilin' or '吉林省'; got {name!r}"
        raise ConfigError(msg)
    slug = _BY_KEY.get(_key(name))
    if slug is not None:
        return REGIONS[slug]
    close = difflib.get_close_matches(_key(name), list(_BY_KEY), n=6, cutoff=0.6)
    slugs = list(dict.fromkeys(_BY_KEY[k] for k in close))
    hint = (
        "did you mean " + ", ".join(f"{s!r} ({REGIONS[s].name_zh})" for s in slugs) + "? "
        if slugs
        else ""
    )
    msg = (
        f"unknown region {name!r}; {hint}See every region with `geoplan fetch --list` "
        "(or geoplan.sources.REGIONS), or pass a full http(s) URL of an .osm.pbf file"
    )
    raise ConfigError(msg)


# ====================================================================== download
#: The file name a URL may give a cached download: no separators, no leading dot, no NUL.
_PLAIN_FILE_NAME = re.compile(r"^\w[\w.+-]{0,200}$")


@dataclass(frozen=True)
class _Target:
    """What to download and how to name it."""

    url: str
    file_name: str
    md5_required: bool
    again: str  # the command that retries it

    @property
    def md5_url(self) -> str:
        return self.url + ".md5"


def _base_url(base_url: str | None) -> str:
    origin = "base_url"
    url = base_url
    if url is None:
        url = os.environ.get(BASE_URL_ENV) or None
        origin = BASE_URL_ENV
    if url is None:
        return DEFAULT_BASE_URL
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        msg = (
            f"{origin} = {url!r} is not an http(s) URL; give the server of the extracts, e.g. "
            f"{DEFAULT_BASE_URL} (Geofabrik) or a mirror with its layout"
        )
        raise ConfigError(msg)
    return url.strip().rstrip("/")


def _target(region_or_url: str, base_url: str | None) -> _Target:
    if not isinstance(region_or_url, str):
        msg = (
            "region_or_url must be a region name such as 'jilin' or an http(s) URL; "
            f"got {region_or_url!r}"
        )
        raise ConfigError(msg)
    text = region_or_url.strip()
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text):
        parts = urlsplit(text)
        name = unquote(parts.path.rsplit("/", 1)[-1])
        if parts.scheme not in ("http", "https") or not parts.netloc:
            msg = f"{text!r} is not an http(s) URL; give e.g. {REGIONS['jilin'].url()}"
            raise ConfigError(msg)
        if not _PLAIN_FILE_NAME.fullmatch(name):
            msg = (
                f"the URL {text!r} names no plain file (its last part is {name!r}); give the "
                f"URL of the .osm.pbf file itself, e.g. {REGIONS['jilin'].url()}"
            )
            raise ConfigError(msg)
        return _Target(text, name, md5_required=False, again=f"geoplan fetch --url {text}")
    region = resolve_region(text)
    return _Target(
        region.url(base_url),
        region.file_name,
        md5_required=True,
        again=f"geoplan fetch --region {region.slug}",
    )


def fetch_extract(
    region_or_url: str,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    base_url: str | None = None,
    force: bool = False,
    progress: bool | None = None,
) -> Path:
    """Download an OpenStreetMap extract into the cache once, and return its path.

    Parameters
    ----------
    region_or_url
        A region of :data:`REGIONS` by slug, Chinese or English name or alias
        (``"jilin"``, ``"吉林省"``, ``"吉林"``, ``"Jilin Province"``; any case),
        or the full ``http(s)`` URL of an ``.osm.pbf`` file. A region's
        published MD5 (the same URL + ``.md5``) must exist; for another URL
        it is used when the server has one, and the download is not verified
        otherwise (a warning is logged).
    cache_dir
        The cache folder; ``settings.cache_dir`` when omitted. Files go to its
        ``extracts/`` subfolder.
    base_url
        The server of the regions; the environment variable
        ``GEOPLAN_EXTRACTS_URL`` or :data:`DEFAULT_BASE_URL` when omitted.
    force
        Download again even when the cache holds a verified copy (which stays
        in place until the new one is verified).
    progress
        Show a progress bar in bytes; ``settings.progress`` when omitted.

    Returns
    -------
    pathlib.Path
        ``<cache_dir>/extracts/<file name>``, e.g. ``jilin-latest.osm.pbf``,
        beside its ``.md5`` sidecar.

    Raises
    ------
    ConfigError
        An unknown region (the message lists the closest names) or a bad URL.
    DataSourceError
        ``settings.offline`` is True and the file is not cached; no connection
        after :data:`MAX_RETRIES` retries (the message names the URL and the
        folder to put a hand-downloaded copy in); the file or its MD5 is not on
        the server; the download does not match the published MD5 (it is
        deleted, never used); the cache folder cannot be written.

    Notes
    -----
    The download goes to ``<file>.part`` (with ``<file>.part.md5``, the MD5
    it must end with). A connection error, a timeout or a transfer cut short
    is retried up to :data:`MAX_RETRIES` times (waits of 1, 2, 4 s; the count
    starts again whenever a retry got further), and each retry, like a later
    call after an interruption, resumes with an HTTP ``Range`` request; a
    server that ignores it (status 200) is read from the start. A partial
    download of an older version of the extract (a different published MD5) is
    discarded. Every request times out after :data:`TIMEOUT_S` seconds without
    data. A cache hit reads the whole file once to check its MD5 against the
    sidecar (a few seconds per GB) and makes no request; a file that does not
    match is downloaded again. Only the standard library's ``urllib`` is used,
    so the usual ``https_proxy``/``no_proxy`` variables apply.

    Examples
    --------
    >>> path = fetch_extract("jilin")  # doctest: +SKIP
    >>> path  # doctest: +SKIP
    PosixPath('/home/me/.cache/geoplan/extracts/jilin-latest.osm.pbf')
    >>> import geoplan
    >>> net = geoplan.read_network(path, clip=(125.30, 43.80, 125.42, 43.90))  # doctest: +SKIP
    """
    target = _target(region_or_url, base_url)
    root = Path(cache_dir).expanduser() if cache_dir is not None else settings.cache_dir
    folder = root / "extracts"
    path = folder / target.file_name
    show = settings.progress if progress is None else bool(progress)
    if not force and _verified(path, show):
        log.info("%s: in the cache, MD5 verified (%s)", target.file_name, path)
        return path
    by_hand = (
        f"download {target.url} and {target.md5_url} by hand into {folder} (as "
        f"{target.file_name} and {target.file_name}.md5) and run again"
    )
    if settings.offline:
        msg = (
            f"cannot download {target.url}: geoplan.settings.offline is True and "
            f"{path} is not in the cache (or does not match its .md5). Either {by_hand}, or "
            "allow downloads with geoplan.settings.offline = False"
        )
        raise DataSourceError(msg)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = (
            f"cannot create the cache folder {folder}: {exc.strerror}; choose a writable one "
            "with cache_dir= (geoplan fetch --cache-dir) or geoplan.settings.cache_dir"
        )
        raise DataSourceError(msg) from None
    expected = _published_md5(target, by_hand)
    part = _Part(path.with_name(path.name + ".part"), expected, fresh=force)
    started = time.perf_counter()
    try:
        digest = _download(target, part, show, by_hand)
    except DataSourceError:
        if part.size == 0:  # nothing to resume: leave no stamp behind
            part.discard()
        raise
    if expected is not None and digest != expected:
        part.discard()
        msg = (
            f"the download of {target.url} does not match its published MD5 ({target.md5_url}: "
            f"{expected}, the download: {digest}), so it was deleted and not used. The server "
            f"may have been replacing the extract while it was read: run `{target.again}` (or "
            "fetch_extract) again to download it afresh"
        )
        raise DataSourceError(msg)
    sidecar = _sidecar(path)
    sidecar.unlink(missing_ok=True)
    try:
        os.replace(part.path, path)
    except OSError as exc:
        msg = f"cannot move {part.path} to {path}: {exc.strerror}; check the cache folder"
        raise DataSourceError(msg) from None
    with atomic_path(sidecar) as tmp:
        tmp.write_text(f"{digest}  {target.file_name}\n", encoding="ascii")
    part.stamp.unlink(missing_ok=True)
    size = path.stat().st_size
    log.info(
        "%s: downloaded %.1f MB in %.1f s, MD5 %s (%s)",
        target.file_name,
        size / 1e6,
        time.perf_counter() - started,
        "verified" if expected is not None else "not published; recorded",
        path,
    )
    return path


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".md5")


def _verified(path: Path, show: bool) -> bool:
    """Whether ``path`` exists and matches the MD5 of its sidecar."""
    if not path.is_file():
        return False
    sidecar = _sidecar(path)
    try:
        recorded = _parse_md5(sidecar.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        recorded = None
    if recorded is None:
        log.info("%s has no valid .md5 sidecar (%s); downloading it again", path, sidecar)
        return False
    actual = _file_md5(path, show)
    if actual != recorded:
        log.warning(
            "%s does not match its .md5 sidecar (%s, the file: %s): it is incomplete or was "
            "changed; downloading it again",
            path,
            recorded,
            actual,
        )
        return False
    return True


def _parse_md5(text: str) -> str | None:
    match = _MD5.match(text)
    return match.group(1).lower() if match else None


def _file_md5(path: Path, show: bool) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    size = path.stat().st_size
    with (
        path.open("rb") as stream,
        tqdm(
            total=size,
            desc=f"checking {path.name}",
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            disable=None if show and size > 64 * _CHUNK else True,
        ) as bar,
    ):
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
            bar.update(len(chunk))
    return digest.hexdigest()


class _TransientError(Exception):
    """A failure worth retrying: no connection, a timeout, a transfer cut short, HTTP 5xx."""


class _Part:
    """The partial download: ``<file>.part``, the MD5 of what is in it so far, its stamp.

    The stamp ``<file>.part.md5`` holds the MD5 the finished file must have; a
    partial download whose stamp differs from the published MD5 is of another
    version of the extract and is discarded instead of resumed.
    """

    def __init__(self, path: Path, expected: str | None, *, fresh: bool) -> None:
        self.path = path
        self.stamp = path.with_name(path.name + ".md5")
        stamped = None
        if self.stamp.exists():
            stamped = _parse_md5(self.stamp.read_text(encoding="utf-8", errors="replace"))
        if self.path.exists() and (fresh or (stamped is not None and stamped != expected)):
            log.info(
                "%s: discarding a partial download (%s)",
                path.name,
                "force" if fresh else "of another version of the file",
            )
            self.path.unlink()
        if expected is None:
            self.stamp.unlink(missing_ok=True)
        else:
            self.stamp.write_text(f"{expected}\n", encoding="ascii")
        self.digest = hashlib.md5(usedforsecurity=False)
        self.size = 0
        if self.path.exists():
            with self.path.open("rb") as stream:
                while chunk := stream.read(_CHUNK):
                    self.digest.update(chunk)
                    self.size += len(chunk)

    def restart(self) -> None:
        """Empty the partial download (the next bytes are the start of the file)."""
        self.path.write_bytes(b"")
        self.digest = hashlib.md5(usedforsecurity=False)
        self.size = 0

    def append(self, out: Any, chunk: bytes) -> None:
        """Write ``chunk`` to the open ``out`` and account for it."""
        try:
            out.write(chunk)
        except OSError as exc:
            msg = (
                f"cannot write {self.path}: {exc.strerror}; free disk space or choose another "
                "cache folder (cache_dir=, geoplan.settings.cache_dir)"
            )
            raise DataSourceError(msg) from None
        self.digest.update(chunk)
        self.size += len(chunk)

    def discard(self) -> None:
        """Delete the partial download and its stamp."""
        self.path.unlink(missing_ok=True)
        self.stamp.unlink(missing_ok=True)


def _user_agent() -> str:
    from geoplan._version import __version__

    return f"geoplan/{__version__} (python-urllib)"


def _open(url: str, headers: Mapping[str, str] | None = None) -> http.client.HTTPResponse:
    """Open ``url`` (GET) with a timeout; classify failures as _TransientError or final."""
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked: http or https)
        url,
        headers={"User-Agent": _user_agent(), "Accept-Encoding": "identity", **(headers or {})},
    )
    try:
        return cast(
            http.client.HTTPResponse,
            urllib.request.urlopen(request, timeout=TIMEOUT_S),  # noqa: S310
        )
    except urllib.error.HTTPError:
        raise
    except urllib.error.URLError as exc:
        raise _TransientError(f"cannot connect ({exc.reason})") from None
    except (OSError, http.client.HTTPException) as exc:
        raise _TransientError(f"the connection failed ({exc!r})") from None


def _http_error(exc: urllib.error.HTTPError, url: str, by_hand: str) -> Exception:
    """Return the exception an HTTP error status becomes; close the response."""
    code, reason = exc.code, exc.reason
    exc.close()
    if code in (408, 425, 429) or code >= 500:
        return _TransientError(f"the server answered HTTP {code} {reason}")
    if code in (404, 410):
        msg = (
            f"{url} is not on the server (HTTP {code}); check the region or URL, and the "
            f"server ({BASE_URL_ENV} or base_url, default {DEFAULT_BASE_URL}). Or {by_hand}"
        )
        return DataSourceError(msg)
    msg = f"{url}: the server refused it (HTTP {code} {reason}); check the URL, or {by_hand}"
    return DataSourceError(msg)


def _retrying(url: str, attempt: Callable[[], _T], by_hand: str, progress: Callable[[], int]) -> _T:
    """Run ``attempt`` until it succeeds, retrying transient failures a bounded number of times.

    ``progress()`` tells how far the download got; a retry that got further than
    any before starts the count of retries again.
    """
    failures = 0
    best = progress()
    while True:
        try:
            return attempt()
        except _TransientError as exc:
            reached = progress()
            if reached > best:
                best, failures = reached, 0
            failures += 1
            if failures > MAX_RETRIES:
                msg = (
                    f"cannot download {url}: {exc} (gave up after {MAX_RETRIES} retries). Check "
                    f"the internet connection (and https_proxy), or {by_hand}"
                )
                raise DataSourceError(msg) from None
            wait = RETRY_BACKOFF_S * 2 ** (failures - 1)
            log.warning(
                "%s: %s; retrying in %.1f s (%d of %d)", url, exc, wait, failures, MAX_RETRIES
            )
            time.sleep(wait)


def _published_md5(target: _Target, by_hand: str) -> str | None:
    """Download and parse the published MD5 of ``target``; None when it has none (URLs)."""

    def attempt() -> str | None:
        try:
            response = _open(target.md5_url)
        except urllib.error.HTTPError as exc:
            if exc.code in (404, 410) and not target.md5_required:
                exc.close()
                return None
            raise _http_error(exc, target.md5_url, by_hand) from None
        with response:
            try:
                body = response.read(4096)
            except (OSError, http.client.HTTPException) as exc:
                raise _TransientError(f"reading the MD5 failed ({exc!r})") from None
        return body.decode("utf-8", errors="replace")

    text = _retrying(target.md5_url, attempt, by_hand, lambda: 0)
    if text is None:
        log.warning(
            "%s: the server publishes no MD5 (%s not found); the download cannot be verified",
            target.url,
            target.md5_url,
        )
        return None
    md5 = _parse_md5(text)
    if md5 is None:
        msg = (
            f"{target.md5_url} is not an MD5 file ('<32 hex digits>  <file name>'); it begins "
            f"{text[:60]!r}. Check the server ({BASE_URL_ENV} or base_url), or {by_hand}"
        )
        raise DataSourceError(msg)
    return md5


def _download(target: _Target, part: _Part, show: bool, by_hand: str) -> str:
    """Fill ``part`` with the whole file, resuming and retrying; return its MD5."""
    with tqdm(
        desc=target.file_name,
        total=None,
        initial=part.size,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        disable=None if show else True,
    ) as bar:

        def attempt() -> None:
            _attempt(target.url, part, bar, by_hand)

        _retrying(target.url, attempt, by_hand, lambda: part.size)
    return part.digest.hexdigest()


def _attempt(url: str, part: _Part, bar: tqdm[Any], by_hand: str) -> None:
    """One request: append the rest of the file to ``part`` (or all of it, on status 200)."""
    offset = part.size
    if offset:
        log.info("%s: resuming after %d bytes", url, offset)
    try:
        response = _open(url, {"Range": f"bytes={offset}-"} if offset else None)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:  # the range starts at or beyond the end
            unsatisfied = _UNSATISFIED_RANGE.match(exc.headers.get("Content-Range", "") or "")
            exc.close()
            if unsatisfied is not None and int(unsatisfied.group(1)) == offset:
                return  # the partial download is already the whole file
            part.restart()
            msg = "the partial download does not fit the file on the server; starting again"
            raise _TransientError(msg) from None
        raise _http_error(exc, url, by_hand) from None
    with response:
        length_header = response.headers.get("Content-Length")
        length = int(length_header) if length_header and length_header.isdigit() else None
        total: int | None = None
        if response.status == 206:
            match = _CONTENT_RANGE.match(response.headers.get("Content-Range", "") or "")
            if match is None or int(match.group(1)) != offset:
                part.restart()
                msg = "the server answered another byte range than asked for; starting again"
                raise _TransientError(msg)
            total = int(match.group(3)) if match.group(3) != "*" else None
        else:
            if offset:
                log.info("%s: the server ignores Range requests; downloading from the start", url)
            part.restart()
            total = length
        bar.reset(total=total)
        bar.update(part.size)
        start = part.size
        with part.path.open("ab") as out:
            while True:
                try:
                    chunk = response.read(_CHUNK)
                except (OSError, http.client.HTTPException) as exc:
                    msg = f"the transfer broke off after {part.size:,} bytes ({exc!r})"
                    raise _TransientError(msg) from None
                if not chunk:
                    break
                part.append(out, chunk)
                bar.update(len(chunk))
    if length is not None and part.size - start < length:
        msg = f"the connection closed after {part.size:,} of {start + length:,} bytes"
        raise _TransientError(msg)


# ====================================================================== boundaries
_NAME_COLUMNS = ("name", "name:zh", "name:en")
_NAME_TAG = re.compile(r"^(?:name|alt_name|official_name|short_name)(?::[\w-]+)?$")


def _name_key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _row_names(record: Mapping[str, Any], columns: Iterable[str]) -> list[str]:
    names = [record[c] for c in columns if isinstance(record.get(c), str) and record[c].strip()]
    tags = record.get("tags")
    if isinstance(tags, dict):
        names += [
            v for k, v in tags.items() if _NAME_TAG.match(str(k)) and isinstance(v, str) and v
        ]
    return list(dict.fromkeys(n.strip() for n in names))


def _level_text(level: float) -> str:
    return f"admin_level {int(level)}" if np.isfinite(level) else "no admin_level"


@dataclass(frozen=True)
class _Boundaries:
    """Every boundary of a source once, with its names and level, for lookups by name."""

    frame: Any  # GeoDataFrame in EPSG:4326
    names: list[list[str]]
    levels: Any  # float ndarray, NaN when absent
    label: str

    def describe(self, i: int) -> str:
        row = self.frame.iloc[i]
        names = self.names[i]
        point = row.geometry.representative_point()
        what = ""
        if "osm_type" in self.frame.columns and "osm_id" in self.frame.columns:
            what = f", {row['osm_type']} {row['osm_id']}"
        return (
            f"{names[0] if names else '(unnamed)'} ({_level_text(self.levels[i])}{what}, "
            f"near {point.x:.3f}, {point.y:.3f})"
        )

    def find(self, name: str, admin_level: int | None, within: str | None) -> int:
        wanted = _name_key(name)
        found = [i for i, names in enumerate(self.names) if wanted in map(_name_key, names)]
        if not found:
            raise InputError(self._no_match(name))
        if admin_level is not None:
            at_level = [i for i in found if self.levels[i] == admin_level]
            if not at_level:
                levels = sorted({_level_text(self.levels[i]) for i in found})
                msg = (
                    f"{self.label}: {name!r} is a boundary at {', '.join(levels)}, but not at "
                    f"admin_level {admin_level}; pass one of those levels (or none)"
                )
                raise InputError(msg)
            found = at_level
        if within is not None:
            container = self.frame.geometry.iloc[self.find(within, None, None)]
            shapely.prepare(container)
            inside = [
                i
                for i in found
                if container.covers(self.frame.geometry.iloc[i].representative_point())
            ]
            if not inside:
                msg = (
                    f"{self.label}: no boundary named {name!r} lies within {within!r}; those "
                    f"named so: {'; '.join(self.describe(i) for i in found)}"
                )
                raise InputError(msg)
            found = inside
        if len(found) > 1:
            shapes = [self.frame.geometry.iloc[i].normalize() for i in found]
            if all(s.equals(shapes[0]) for s in shapes[1:]):
                return found[0]  # one boundary mapped twice (a way and a relation)
            msg = (
                f"{self.label}: {len(found)} boundaries are named {name!r}: "
                f"{'; '.join(self.describe(i) for i in found)}. Choose one with admin_level= "
                "(6 is a district or county, 5 a prefecture city, 8 a subdistrict) or "
                "within= (the name of the city it lies in, e.g. within='长春市')"
            )
            raise InputError(msg)
        return found[0]

    def _no_match(self, name: str) -> str:
        if len(self.frame) == 0:
            return (
                f"{self.label} has no administrative boundaries (closed ways or relations "
                f"tagged boundary=administrative), so none named {name!r}; use a vector file "
                "of the district (.gpkg, .geojson, .shp) or an extract that holds its boundary "
                "(a Geofabrik extract from fetch_extract does)"
            )
        levels: dict[str, set[str]] = {}
        for names, level in zip(self.names, self.levels, strict=True):
            for n in names:
                levels.setdefault(n, set()).add(_level_text(level))
        by_key = {_name_key(n): n for n in levels}
        close = difflib.get_close_matches(_name_key(name), list(by_key), n=6, cutoff=0.5)
        if close:
            shown = [f"{by_key[k]} ({', '.join(sorted(levels[by_key[k]]))})" for k in close]
            return (
                f"{self.label}: no boundary named {name!r}; did you mean "
                f"{', '.join(shown)}? Names are matched exactly (ignoring case and spaces)"
            )
        some = sorted(levels)[:15]
        return (
            f"{self.label}: no boundary named {name!r} and none with a similar name; its "
            f"{len(self.frame)} boundaries include {', '.join(some)}"
            f"{' ...' if len(levels) > len(some) else ''}. Check the name, or that the source "
            "covers the area"
        )


def _source_label(source: SourceLike) -> str:
    if isinstance(source, str | os.PathLike):
        return str(Path(os.fspath(source)).name) or str(source)
    return f"the {type(source).__name__} source"


def district_boundary(
    source: SourceLike,
    name: str,
    *,
    admin_level: int | None = None,
    within: str | None = None,
) -> shapely.Polygon | shapely.MultiPolygon:
    """Return the administrative boundary of a city, district or subdistrict by its name.

    Parameters
    ----------
    source
        An OSM PBF or XML file (an extract from :func:`fetch_extract` holds
        the boundaries of its region), a vector file of boundaries with a
        ``name`` (or ``name:zh``/``name:en``) column, or anything else
        :func:`~geoplan.sources.read_boundaries` reads.
    name
        The name in Chinese or English (``"南关区"``, ``"Nanguan District"``,
        ``"长春市"``), matched against ``name``, ``name:zh``, ``name:en`` and,
        for OSM sources, the other ``name:*``, ``alt_name``, ``official_name``
        and ``short_name`` tags; case and spaces do not matter.
    admin_level
        Keep only boundaries of this OSM ``admin_level`` (in China 4 province,
        5 prefecture city, 6 district/county, 8 subdistrict/town, 10
        community); needed when boundaries of several levels share the name.
    within
        The name of a larger boundary of the same source that contains it
        (``"长春市"``), for names that several cities share (``"朝阳区"`` is
        in Beijing and in Changchun).

    Returns
    -------
    shapely.Polygon or shapely.MultiPolygon
        In EPSG:4326 (lon/lat), ready for ``clip=`` of the readers.

    Raises
    ------
    InputError
        No boundary of that name (the message suggests the closest names that
        exist, with their admin levels); several (the message lists them with
        their admin levels and where they are); ``admin_level`` is not a whole
        number; the source has no name column.
    DataSourceError, CRSError
        The source cannot be read (see :func:`~geoplan.sources.read_boundaries`).

    Notes
    -----
    The source is read once (all its administrative boundaries), so a miss
    costs no second read; for a whole province's PBF that read takes a while,
    so keep the result rather than asking again. Two boundaries with the same
    shape (a district mapped as a way and as a relation) count as one.

    Examples
    --------
    >>> from geoplan.sources import fetch_extract
    >>> jilin = fetch_extract("jilin")  # doctest: +SKIP
    >>> nanguan = district_boundary(jilin, "南关区", within="长春市")  # doctest: +SKIP
    >>> import geoplan
    >>> net = geoplan.read_network(jilin, clip=nanguan)  # doctest: +SKIP
    """
    if not isinstance(name, str) or not name.strip():
        msg = f"name must be a non-empty string such as '南关区'; got {name!r}"
        raise InputError(msg)
    if admin_level is not None and (
        isinstance(admin_level, bool) or not isinstance(admin_level, int)
    ):
        msg = f"admin_level must be a whole number such as 6; got {admin_level!r}"
        raise InputError(msg)
    if within is not None and (not isinstance(within, str) or not within.strip()):
        msg = f"within must be the name of a larger boundary such as '长春市'; got {within!r}"
        raise InputError(msg)
    label = _source_label(source)
    frame = read_boundaries(source)
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    columns = [c for c in _NAME_COLUMNS if c in frame.columns]
    if not columns and "tags" not in frame.columns:
        msg = (
            f"{label} has no name column (name, name:zh or name:en) to find {name!r} by; its "
            f"columns: {list(frame.columns)}. Rename the column of the names to 'name'"
        )
        raise InputError(msg)
    if admin_level is not None and "admin_level" not in frame.columns:
        msg = (
            f"{label} has no admin_level column to choose by; its columns: "
            f"{list(frame.columns)}. Leave admin_level out"
        )
        raise InputError(msg)
    records = frame.drop(columns=frame.geometry.name).to_dict("records")
    names = [_row_names(record, columns) for record in records]
    if "admin_level" in frame.columns:
        levels = pd.to_numeric(frame["admin_level"], errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
    else:
        levels = np.full(len(frame), np.nan)
    table = _Boundaries(frame.reset_index(drop=True), names, levels, label)
    index = table.find(name, admin_level, within)
    geometry = table.frame.geometry.iloc[index]
    log.info("%s: the boundary of %s", label, table.describe(index))
    return geometry
