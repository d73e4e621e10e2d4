"""The statistics that judge simulated runs (slamarkov.simulation.checks): the pooled tests equal
scipy's Pearson test on the cells they form, and a run where the pmf is 0 rejects outright."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from slamarkov.simulation.checks import MIN_EXPECTED, pooled_chi_square, sparse_chi_square


def test_no_pooling_is_scipys_test():
    pmf = np.array([0.25, 0.25, 0.5])
    counts = np.array([30, 20, 50])
    ref = stats.chisquare(counts, 100 * pmf)
    for test in (pooled_chi_square, sparse_chi_square):
        t = test(counts, pmf)
        assert t.statistic == pytest.approx(ref.statistic, rel=1e-12)
        assert t.p_value == pytest.approx(ref.pvalue, rel=1e-12)
        assert t.df == 2


def test_sparse_pools_the_small_cells_into_one():
    pmf = np.array([0.4, 0.01, 0.39, 0.02, 0.18])  # n = 200: 80, 2, 78, 4, 36 expected
    counts = np.array([85, 3, 70, 5, 37])
    t = sparse_chi_square(counts, pmf)
    ref = stats.chisquare([85, 70, 37, 8], [80, 78, 36, 6])
    assert (t.statistic, t.df) == (pytest.approx(ref.statistic, rel=1e-12), 3)


def test_sparse_folds_a_small_remainder_into_the_largest_cell():
    pmf = np.array([0.5, 0.01, 0.49])  # n = 100: 50, 1, 49 expected; the 1 joins the 50
    t = sparse_chi_square([52, 2, 46], pmf)
    ref = stats.chisquare([54, 46], [51, 49])
    assert t.statistic == pytest.approx(ref.statistic, rel=1e-12) and t.df == 1


@pytest.mark.parametrize("test", [pooled_chi_square, sparse_chi_square])
def test_a_run_where_the_pmf_is_zero_rejects(test):
    t = test([50, 1, 49], [0.5, 0.0, 0.5])
    assert t.p_value == 0.0 and t.statistic == np.inf and t.impossible.tolist() == [1]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=2, max_size=12),
       st.lists(st.floats(0.01, 1.0), min_size=12, max_size=12))
def test_cells_keep_every_run_and_expect_enough(counts, weights):
    counts = np.array(counts)
    if counts.sum() == 0:
        counts[0] = 1
    pmf = np.array(weights[: len(counts)])
    pmf /= pmf.sum()
    n = counts.sum()
    t = pooled_chi_square(counts, pmf)
    assert sum(c[2] for c in t.cells) == n
    assert sum(c[3] for c in t.cells) == pytest.approx(n)
    if len(t.cells) > 1:
        assert all(c[3] >= MIN_EXPECTED for c in t.cells)
    s = sparse_chi_square(counts, pmf)
    assert 0.0 <= s.p_value <= 1.0 and 0.0 <= t.p_value <= 1.0
