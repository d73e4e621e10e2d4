"""The ``slamarkov reproduce`` outputs (CSV, markdown, JSON) are pinned byte for byte.

The files in tests/data/reproduce/ were written by the command before the study's tables became
pandas DataFrames; the rendering must not change a byte (the same numbers, the same digits, the
same int/float spelling; JSON's full-precision floats up to their last digits, see
:func:`test_json_is_pinned`). The CSV and JSON files were re-pinned once when rates and
probabilities became fractions in machine formats: every changed CSV value was checked to be the
old one divided by 100 to its 12 printed digits; the markdown files did not change. They were
re-pinned a second time when the Poisson and normal probabilities stopped coming from
scipy.special (issue 12: a sum of Loader's pmf, checked against 40-digit references, and erfc):
F moved by at most 2 ulps, every JSON float by at most 2e-14 relative, and in the CSV files only
the published-table z-scores changed, by at most 3 units of their 12th digit (z divides the
change of the exact value by a standard error near 1e-4); the markdown files did not change.
The published table's z-scores are the one exception to byte identity: z = (published -
exact) / se divides a change in the last bits of the exact value by a standard error near 1e-4,
so its 12th printed digit moves with the numpy/scipy version (the minimum-versions CI moves two
of them by 1 and 4 units, in 0.1 as after the regroup); z is compared within that conditioning,
every other column byte for byte (tests/pinning.py). To re-pin after a deliberate change of
format:
``python tests/test_reproduce_pinned.py``. Issue 23 re-pinned published.csv and published.md
only: a z-score of zero printed "-0" ("-0.00"), now "0" ("0.00"); no value moved (the JSON
files were left as they were: re-pinning only moved their last digits).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pinning import assert_same, assert_same_z

from slamarkov.cli import main

DATA = Path(__file__).resolve().parent / "data" / "reproduce"

COMMON = ["--holding", "0.5,1", "--review-periods", "10,30"]
#: name -> arguments after ``reproduce``
CASES = {
    "ready-rate-lump-sum": ["ready-rate", "--scheme", "lump-sum", *COMMON, "--costs"],
    "ready-rate-linear-sim": ["ready-rate", "--scheme", "linear", "--holding", "1.5",
                              "--review-periods", "10", "--simulate", "300", "--seed", "4"],
    "cost-linear": ["cost", "--scheme", "linear", *COMMON],
    "cost-lump-sum-sim": ["cost", "--scheme", "lump-sum", "--holding", "2", "--review-periods",
                          "20", "--simulate", "300", "--seed", "5"],
    "saving-lump-sum": ["saving", "--scheme", "lump-sum", *COMMON],
    "saving-linear-sim": ["saving", "--scheme", "linear", "--holding", "1", "--review-periods",
                          "10", "--simulate", "300", "--seed", "6"],
    "stock-lump-sum": ["stock", "--scheme", "lump-sum", "--holding", "0.5",
                       "--review-periods", "10,30"],
    "carry-over-lump-sum": ["carry-over", "--scheme", "lump-sum", *COMMON, "--purchase", "1",
                            "--salvage", "0.5", "--initial-stock", "3"],
    "carry-over-linear": ["carry-over", "--scheme", "linear", "--holding", "2",
                          "--review-periods", "10"],
    "published": ["published"],
}
FORMATS = {"csv": ".csv", "markdown": ".md", "json": ".json"}


def _run(capsys, name, fmt):
    code = main(["reproduce", *CASES[name], "--format", fmt])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


@pytest.mark.parametrize("fmt", ["csv", "markdown"])
@pytest.mark.parametrize("name", list(CASES))
def test_output_is_pinned(capsys, name, fmt):
    expected = (DATA / f"{name}{FORMATS[fmt]}").read_bytes().decode("utf-8")
    got = _run(capsys, name, fmt)
    if (name, fmt) == ("published", "csv"):
        assert_same_z(got, expected)  # z's 12th digit moves with exact's last bits
    else:
        assert got == expected


@pytest.mark.parametrize("name", list(CASES))
def test_json_is_pinned(capsys, name):
    """JSON prints floats in full (17 digits), whose last digit numpy/scipy versions may move
    (the minimum-versions CI differs from the pinned files there, before and after the
    DataFrame change alike): the text with every float masked is byte-identical, every float
    agrees to 12 significant digits (as the byte-identical CSV prints them; ``z`` is a
    difference over a small SE and moves in its 14th digit), and an int stays an int."""
    expected = (DATA / f"{name}.json").read_bytes().decode("utf-8")
    assert_same(_run(capsys, name, "json"), expected)


def test_every_table_and_format_is_pinned():
    # every table of `slamarkov reproduce` (but `all`) is covered, in each format
    tables = {args[0] for args in CASES.values()}
    assert tables == {"ready-rate", "cost", "saving", "stock", "carry-over", "published"}
    assert len(list(DATA.iterdir())) == len(CASES) * len(FORMATS)


if __name__ == "__main__":  # re-pin
    import contextlib
    import io

    DATA.mkdir(parents=True, exist_ok=True)
    for name in CASES:
        for fmt, suffix in FORMATS.items():
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                assert main(["reproduce", *CASES[name], "--format", fmt]) == 0
            (DATA / f"{name}{suffix}").write_bytes(buf.getvalue().encode("utf-8"))
    sys.exit(0)
