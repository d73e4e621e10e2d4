"""The comparison of a command's output with its pinned copy (tests/data/): the text with every
float masked is byte-identical and every float agrees to 12 significant digits, since numpy and
scipy versions move the last digits of a float (the minimum-versions CI) while the rest must not
change. An int stays an int (the mask matches only literals with a point or an exponent). What a
library writes about itself (networkx's GEXF header: the day the file was written and the
networkx version) is not our output and is masked."""

from __future__ import annotations

import csv
import io
import math
import re

#: a float literal (ints have no point and no exponent)
FLOAT = re.compile(r"-?\d+(?:\.\d+(?:[eE][-+]?\d+)?|[eE][-+]?\d+)")

#: what a file's writer says of itself: the GEXF header's date and creator
WRITER_METADATA = [
    (re.compile(r'lastmodifieddate="[^"]*"'), 'lastmodifieddate="DATE"'),
    (re.compile(r"<creator>NetworkX [^<]*</creator>"), "<creator>NetworkX VERSION</creator>"),
]


def _ours(text: str) -> str:
    for pattern, mask in WRITER_METADATA:
        text = pattern.sub(mask, text)
    return text


def assert_same(got: str, expected: str) -> None:
    """Fail unless ``got`` equals ``expected`` with floats compared to 12 significant digits."""
    got, expected = _ours(got), _ours(expected)
    assert FLOAT.sub("F", got) == FLOAT.sub("F", expected)
    want = [float(x) for x in FLOAT.findall(expected)]
    have = [float(x) for x in FLOAT.findall(got)]
    assert len(have) == len(want)
    for g, w in zip(have, want):
        assert math.isclose(g, w, rel_tol=1e-12, abs_tol=1e-12), (g, w)


#: how far the exact value may move with the numpy/scipy version, in its own ulps (issue 12
#: measured at most 2; the minimum-versions CI moves the published table's by 1 or 2)
EXACT_ULPS = 8


def assert_same_z(got: str, expected: str) -> None:
    """The published table's CSV (columns published, exact, se, z): byte-identical but for z,
    which agrees within its conditioning.

    z = (published - exact) / se divides a change of the exact value's last bits by a standard
    error near 1e-4, so the 12 printed digits of z move with the numpy/scipy version while exact
    and se, printed to 12 digits, do not: z may move by ``EXACT_ULPS`` ulps of exact over se,
    plus one unit of each printed value's 12th digit.
    """
    g_rows = list(csv.reader(io.StringIO(got)))
    e_rows = list(csv.reader(io.StringIO(expected)))
    assert len(g_rows) == len(e_rows) and g_rows[0] == e_rows[0]
    header = e_rows[0]
    zi, ei, si = header.index("z"), header.index("exact"), header.index("se")
    for g, e in zip(g_rows[1:], e_rows[1:]):
        assert g[:zi] + g[zi + 1:] == e[:zi] + e[zi + 1:], (g, e)
        if e[zi] == g[zi]:
            continue
        zg, ze, exact, se = float(g[zi]), float(e[zi]), float(e[ei]), float(e[si])
        printed = 10.0 ** (math.floor(math.log10(max(abs(zg), abs(ze)))) - 11)
        bound = EXACT_ULPS * math.ulp(exact) / se + 2 * printed
        assert abs(zg - ze) <= bound, (g, e, abs(zg - ze), bound)
