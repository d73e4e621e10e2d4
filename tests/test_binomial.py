"""slamarkov._binomial: the binomial pmf of the static policy without scipy.stats (issue 12)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from slamarkov.core.binomial import binomial_pmf


def exact_pmf(n, p):
    q = Fraction(p)
    return [math.comb(n, k) * q**k * (1 - q) ** (n - k) for k in range(n + 1)]


class TestReferenceValues:
    def test_exact_small_cases(self):
        np.testing.assert_allclose(binomial_pmf(4, 0.5), [0.0625, 0.25, 0.375, 0.25, 0.0625],
                                   rtol=2.3e-16, atol=0)  # within one ulp
        assert binomial_pmf(1, 0.5).tolist() == [0.5, 0.5]  # scipy gives 0.5000000000000001
        assert binomial_pmf(0, 0.3).tolist() == [1.0]

    @pytest.mark.parametrize("n", [1, 2, 3, 7, 15, 16, 17, 40, 200])
    @pytest.mark.parametrize("p", [1e-9, 0.01, 0.1, 0.25, 0.5, 0.615961, 0.9, 0.999])
    def test_against_exact_rationals(self, n, p):
        ref = np.array([float(x) for x in exact_pmf(n, p)])
        got = binomial_pmf(n, p)
        big = ref > 1e-280
        np.testing.assert_allclose(got[big], ref[big], rtol=1e-12, atol=0)
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-15)

    def test_degenerate_p(self):
        assert binomial_pmf(3, [0.0, 1.0]).tolist() == [[1, 0, 0, 0], [0, 0, 0, 1]]


class TestAgainstScipy:
    @pytest.mark.parametrize("n", [10, 100, 1000, 10_000])
    def test_rows_for_many_p(self, n):
        F = np.linspace(0.001, 0.999, 41)
        got = binomial_pmf(n, F)
        assert got.shape == (41, n + 1)
        np.testing.assert_allclose(got, stats.binom.pmf(np.arange(n + 1)[None, :], n, F[:, None]),
                                   rtol=0, atol=1e-14)
        np.testing.assert_allclose(got.sum(axis=1), 1, rtol=0, atol=1e-12)

    @settings(max_examples=60, deadline=None)
    # against a 40-digit reference, not scipy: scipy 1.9's own pmf is off by 1e-14 at
    # (n, p) = (204, 1.2e-7), where this one is within 3e-17
    @given(st.integers(0, 3000), st.one_of(st.sampled_from([0.0, 1.0]), st.floats(1e-12, 1 - 1e-12)))
    def test_property(self, n, p):
        import mpmath

        got = binomial_pmf(n, p)
        assert np.all(got >= 0)
        assert abs(got.sum() - 1) <= 1e-12
        mpmath.mp.dps = 40
        P = mpmath.mpf(p)
        term, ref = (1 - P) ** n, []
        for k in range(n + 1):  # C(n, k) p^k q^(n-k), one ratio at a time
            ref.append(term)
            if k < n:
                term = term * (n - k) / (k + 1) * P / (1 - P) if P < 1 else (1 if k + 1 == n else 0)
        ref = np.array([float(x) for x in ref])
        # relative accuracy wherever the pmf is not deep in the underflow range
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-290)

    @settings(max_examples=30, deadline=None)
    @given(st.integers(0, 3000), st.floats(1e-9, 1 - 1e-9))
    def test_agrees_with_scipy(self, n, p):
        # a cross-check at scipy's own accuracy (about 1e-14 in its older releases)
        np.testing.assert_allclose(binomial_pmf(n, p), stats.binom.pmf(np.arange(n + 1), n, p),
                                   rtol=0, atol=1e-13)


class TestSupportWindow:
    """binomial_pmf evaluates the saddle-point form only on the range where it can be non-zero
    in float64; outside it the full form underflows to exactly 0.0, so nothing changes."""

    @staticmethod
    def full_form(n, p):
        from slamarkov.core.binomial import _LOG_2PI, _deviance, _stirling_error

        x = np.arange(1, n, dtype=np.float64)
        lc = (_stirling_error(float(n)) - _stirling_error(x) - _stirling_error(n - x)
              - _deviance(x, n * p) - _deviance(n - x, n * (1 - p)))
        lf = _LOG_2PI + np.log(x) + np.log1p(-x / n)
        return np.exp(lc - 0.5 * lf)

    @settings(max_examples=80, deadline=None)
    @given(st.integers(2, 40_000), st.floats(1e-12, 1 - 1e-12))
    def test_zero_outside_the_window(self, n, p):
        from slamarkov.core.binomial import _support

        a, b = _support(n, p, 1.0 - p)
        assert 1 <= a <= b <= n - 1
        full = self.full_form(n, p)
        outside = np.ones(n - 1, dtype=bool)
        outside[a - 1 : b] = False
        assert np.all(full[outside] == 0.0)
        np.testing.assert_array_equal(binomial_pmf(n, p)[1:n], full)

    @pytest.mark.parametrize("n", [2, 10, 100_000, 10**7])
    @pytest.mark.parametrize("p", [1e-300, 5e-324, 1 - 2**-53, 1 - 2**-52])
    def test_extreme_p(self, n, p):
        # n p or n q may be subnormal or round n p to n: the bisection takes logs, never ratios
        got = binomial_pmf(n, p)
        assert np.all(np.isfinite(got)) and abs(got.sum() - 1) <= 1e-12

    def test_window_is_tight_at_large_n(self):
        from slamarkov.core.binomial import _support

        a, b = _support(10_000, 0.9, 1.0 - 0.9)  # sd 30: tens of sd either side, not all
        assert 7500 < a < 8000 and 9800 < b < 9999
