"""Lines and rings as encoded polylines: a compact text form for the maps' base layer.

The encoding is the published "Encoded Polyline Algorithm Format" (Google Maps
Platform documentation): each coordinate, in units of 1e-5 degrees, is written
as the difference from the previous one, zig-zag signed, in 5-bit groups of
printable characters. A street network drawn this way takes about a fifth of
its GeoJSON size. The maps decode it in a few lines of JavaScript
(:data:`DECODER_JS`).

Examples
--------
>>> encode_parts([np.array([[-120.2, 38.5], [-120.95, 40.7], [-126.453, 43.252]])])
['_p~iF~ps|U_ulLnnqC_mqNvxq`@']
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["DECODER_JS", "PRECISION", "encode_joined", "encode_parts"]

#: Coordinates are written in units of 10**-PRECISION degrees (1e-5: about a metre).
PRECISION = 5

#: ``geoplanDecode(text)`` -> ``[[lat, lng], ...]``: the inverse of :func:`encode_parts`.
DECODER_JS = """
function geoplanDecode(text) {
    var points = [], lat = 0, lng = 0, i = 0;
    while (i < text.length) {
        var values = [0, 0];
        for (var k = 0; k < 2; k++) {
            var shift = 0, result = 0, byte;
            do {
                byte = text.charCodeAt(i++) - 63;
                result |= (byte & 31) << shift;
                shift += 5;
            } while (byte >= 32);
            values[k] = (result & 1) ? ~(result >> 1) : (result >> 1);
        }
        lat += values[0];
        lng += values[1];
        points.push([lat / 1e5, lng / 1e5]);
    }
    return points;
}
"""

_MAX_GROUPS = 7  # 5-bit groups of a 32-bit zig-zag value


def encode_parts(parts: Sequence[NDArray[np.float64]]) -> list[str]:
    """Encode each part (an ``(n, 2)`` array of lon/lat) as one polyline string.

    Parameters
    ----------
    parts
        Lines or rings, each as lon/lat rows.

    Returns
    -------
    list of str
        One string per part, lat/lng order as the format defines.
    """
    if not parts:
        return []
    lengths = np.array([len(p) for p in parts])
    coords = np.concatenate([np.asarray(p, dtype=float).reshape(-1, 2) for p in parts])
    return encode_joined(coords, lengths)


def encode_joined(coords: NDArray[np.float64], lengths: NDArray[np.int64]) -> list[str]:
    """Encode parts given end to end: ``coords`` (lon/lat rows) cut after each of ``lengths``.

    The same strings as :func:`encode_parts` on the parts, without splitting
    the coordinates first (``shapely.get_coordinates`` of many lines at once).

    Parameters
    ----------
    coords
        Every part's lon/lat rows, one part after another.
    lengths
        The number of rows of each part.

    Returns
    -------
    list of str
        One string per part.
    """
    if not len(lengths):
        return []
    units = np.round(coords[:, ::-1] * 10**PRECISION).astype(np.int64)  # lat, lng
    deltas = np.diff(units, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    deltas[starts] = units[starts]  # each part starts from zero
    text = _encode_values(deltas.ravel())
    # two values per coordinate: split the characters at each part's first value
    cuts = text.offsets[2 * np.cumsum(lengths)]
    edges = np.concatenate([[0], cuts])
    chars = text.chars.tobytes().decode("ascii")
    return [chars[a:b] for a, b in itertools.pairwise(edges)]


class _Encoded:
    def __init__(self, chars: NDArray[np.uint8], offsets: NDArray[np.int64]) -> None:
        self.chars = chars
        self.offsets = offsets  # where each value's characters start; last = total length


def _encode_values(values: NDArray[np.int64]) -> _Encoded:
    """Encode signed integers as the format's characters, all at once."""
    zigzag = np.where(values < 0, ~(values << 1), values << 1).astype(np.int64)
    groups = np.ones(len(values), dtype=np.int64)
    for k in range(1, _MAX_GROUPS):
        groups += zigzag >= (1 << (5 * k))
    offsets = np.concatenate([[0], np.cumsum(groups)])
    chars = np.empty(int(offsets[-1]), dtype=np.uint8)
    for k in range(_MAX_GROUPS):
        present = groups > k
        chunk = (zigzag[present] >> (5 * k)) & 31
        more = groups[present] > k + 1
        chars[offsets[:-1][present] + k] = (chunk | np.where(more, 32, 0)) + 63
    return _Encoded(chars, offsets)
