"""The comparison of a command's output with its pinned copy (tests/data/): the text with every
float masked is byte-identical and every float agrees to 12 significant digits, since numpy and
scipy versions move the last digits of a float (the minimum-versions CI) while the rest must not
change. An int stays an int (the mask matches only literals with a point or an exponent)."""

from __future__ import annotations

import math
import re

#: a float literal (ints have no point and no exponent)
FLOAT = re.compile(r"-?\d+(?:\.\d+(?:[eE][-+]?\d+)?|[eE][-+]?\d+)")


def assert_same(got: str, expected: str) -> None:
    """Fail unless ``got`` equals ``expected`` with floats compared to 12 significant digits."""
    assert FLOAT.sub("F", got) == FLOAT.sub("F", expected)
    want = [float(x) for x in FLOAT.findall(expected)]
    have = [float(x) for x in FLOAT.findall(got)]
    assert len(have) == len(want)
    for g, w in zip(have, want):
        assert math.isclose(g, w, rel_tol=1e-12, abs_tol=1e-12), (g, w)
