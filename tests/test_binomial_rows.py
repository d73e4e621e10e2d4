"""binomial_rows: the static policy's Binomial(T, F(S)) rows, kept across a grid's solves.

Each row must be binomial_pmf's, bit for bit (the pinned reproduce outputs rely on it); a table
is kept for the next call, the cache never holds more than its bytes, and a table above them is
computed row by row, never as one array.
"""

from __future__ import annotations

import types

import numpy as np
import pytest

from slamarkov.core import binomial
from slamarkov.core.binomial import binomial_pmf, binomial_rows
from slamarkov.model.demand import Poisson


@pytest.mark.parametrize("n", [1, 2, 10, 30, 90, 500])
def test_rows_are_binomial_pmf_bit_for_bit(n):
    F, _ = Poisson(5).table(40)
    rows = binomial_rows(n, F)
    assert rows.shape == (41, n + 1)
    for k, f in enumerate(F):
        assert np.array_equal(rows[k], binomial_pmf(n, float(f)))  # same bits, not close


def test_kept_and_read_only():
    ps = np.array([0.1, 0.37, 0.999])
    rows = binomial_rows(17, ps)
    assert binomial_rows(17, ps.copy()) is rows
    assert binomial_rows(17, ps[:2]) is not rows  # other p's: another table
    with pytest.raises(ValueError):
        rows[0, 0] = 1.0


def test_the_cache_stays_within_its_bytes(monkeypatch):
    monkeypatch.setattr(binomial, "ROWS_CACHE_BYTES", 3 * 11 * 8 * 2)  # two tables of 3 x 11
    monkeypatch.setattr(binomial, "_ROWS", {})
    tables = [binomial_rows(10, [0.1 * k, 0.5, 0.9]) for k in range(1, 5)]
    assert sum(r.nbytes for r in binomial._ROWS.values()) <= binomial.ROWS_CACHE_BYTES
    assert binomial_rows(10, [0.4, 0.5, 0.9]) is tables[-1]  # the newest kept
    assert binomial_rows(10, [0.1, 0.5, 0.9]) is not tables[0]  # the oldest dropped


def test_a_table_above_the_cache_comes_row_by_row(monkeypatch):
    monkeypatch.setattr(binomial, "ROWS_CACHE_BYTES", 100)
    monkeypatch.setattr(binomial, "_ROWS", {})
    rows = binomial_rows(20, [0.2, 0.8])
    assert isinstance(rows, types.GeneratorType)
    got = list(rows)
    assert all(np.array_equal(r, binomial_pmf(20, p)) for r, p in zip(got, [0.2, 0.8]))
    assert binomial._ROWS == {}
