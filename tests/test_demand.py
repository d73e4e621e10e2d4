"""Tests of slamarkov.model.demand (docs/model.md section 3): F(S) = P(d <= S) and H(S) = E[(S - d)^+].

Every distribution is checked against an independent computation from its pmf (scipy.stats or
the definition), never against the package's own formulas.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from slamarkov import (
    ContinuousUniform,
    Demand,
    DemandError,
    DiscreteDemand,
    DiscreteUniform,
    DiscretisedNormal,
    Empirical,
    Poisson,
    ScipyDemand,
    make_demand,
)
from slamarkov.model.demand import DEMAND_KINDS


def reference(pmf, stocks):
    """F and H at integer stocks, by direct summation over a pmf on 0..len(pmf)-1."""
    k = np.arange(len(pmf))
    F = np.array([pmf[k <= s].sum() for s in stocks])
    H = np.array([((s - k[k <= s]) * pmf[k <= s]).sum() for s in stocks])
    return F, H


def discretised_normal_pmf(mu, sigma, top):
    """pmf of d = max(floor(X), 0), X ~ N(mu, sigma^2): P(d = 0) = P(X < 1), P(d = k) = P(k <= X < k+1)."""
    edges = stats.norm.cdf((np.arange(1, top + 2) - mu) / sigma)
    return np.diff(np.concatenate(([0.0], edges)))


class TestPoisson:
    @pytest.mark.parametrize("lam", [0.3, 1, 5, 12.5, 40])
    def test_against_pmf(self, lam):
        d = Poisson(lam)
        top = int(lam + 20 * math.sqrt(lam) + 30)
        pmf = stats.poisson.pmf(np.arange(top + 1), lam)
        S = np.arange(0, int(lam * 2) + 10)
        F_ref, H_ref = reference(pmf, S)
        np.testing.assert_allclose(d.cdf(S), F_ref, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(d.expected_leftover(S), H_ref, rtol=1e-10, atol=1e-12)
        F, H = d.table(int(S[-1]))
        np.testing.assert_allclose(F, F_ref, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(H, H_ref, rtol=1e-10, atol=1e-12)

    def test_h_is_sum_of_f(self):
        # docs/model.md section 3: H(S) = sum_{k<S} F(k) for integer demand
        d = Poisson(5)
        F, H = d.table(40)
        np.testing.assert_allclose(H, np.concatenate(([0.0], np.cumsum(F)[:-1])), rtol=1e-12, atol=1e-13)

    def test_reference_numbers(self):
        d = Poisson(5)
        assert d.cdf(5) == pytest.approx(0.615960654833063, abs=1e-14)
        assert d.cdf(8) == pytest.approx(stats.poisson.cdf(8, 5), abs=1e-15)
        # H(1) = P(d = 0) = e^-5; H(2) = 2 e^-5 + 5 e^-5
        assert d.expected_leftover(1) == pytest.approx(math.exp(-5), rel=1e-12)
        assert d.expected_leftover(2) == pytest.approx(7 * math.exp(-5), rel=1e-12)

    def test_real_and_negative_stock(self):
        d = Poisson(5)
        assert d.cdf(-0.5) == 0.0 and d.cdf(-3) == 0.0
        assert d.cdf(4.9) == d.cdf(4)
        assert d.expected_leftover(-2) == 0.0 and d.expected_leftover(0) == 0.0
        # H is linear between integers with slope F(floor S)
        assert d.expected_leftover(4.25) == pytest.approx(d.expected_leftover(4) + 0.25 * d.cdf(4), rel=1e-13)
        # far above the support H(S) = S - E[d]
        assert d.expected_leftover(100) == pytest.approx(95.0, rel=1e-12)

    def test_scalar_and_array_shapes(self):
        d = Poisson(5)
        assert isinstance(d.cdf(3), float) and isinstance(d.expected_leftover(3), float)
        assert d.cdf(np.array([[1, 2], [3, 4]])).shape == (2, 2)
        assert d.expected_leftover(np.array([[1, 2], [3, 4]])).shape == (2, 2)

    def test_properties(self):
        d = Poisson(5)
        assert d.discrete and not d.rational
        assert d.upper == math.inf
        assert d.mean == 5.0
        assert d.describe() == "Poisson(5)"
        assert d.to_dict() == {"kind": "poisson", "mean": 5.0}

    @pytest.mark.parametrize("mean", [0, -1, float("nan"), float("inf"), True, "five"])
    def test_invalid_mean(self, mean):
        with pytest.raises(DemandError, match=r"^demand\.mean:"):
            Poisson(mean)


class TestDiscretisedNormal:
    @pytest.mark.parametrize("mu, sigma", [(15, 5), (5, 2), (0.5, 1), (-2, 3), (100, 0.3)])
    def test_against_pmf(self, mu, sigma):
        d = DiscretisedNormal(mu, sigma)
        top = int(max(mu, 0) + 15 * sigma + 10)
        pmf = discretised_normal_pmf(mu, sigma, top)
        S = np.arange(0, int(max(mu, 0) + 5 * sigma) + 5)
        F_ref, H_ref = reference(pmf, S)
        np.testing.assert_allclose(d.cdf(S), F_ref, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(d.expected_leftover(S), H_ref, rtol=1e-10, atol=1e-12)

    def test_convention(self):
        # docs/model.md section 3: F(x) = Phi((floor(x) + 1 - mu) / sigma) for x >= 0
        d = DiscretisedNormal(15, 5)
        assert d.cdf(14) == 0.5  # Phi(0)
        assert d.cdf(14.99) == 0.5
        assert d.cdf(19) == pytest.approx(stats.norm.cdf(1.0), abs=1e-15)
        # negative values are lumped at 0
        assert d.cdf(0) == pytest.approx(stats.norm.cdf((1 - 15) / 5), abs=1e-16)
        assert d.cdf(-1) == 0.0

    def test_mean_is_mean_of_floor(self):
        mu, sigma = 15, 5
        pmf = discretised_normal_pmf(mu, sigma, 200)
        assert DiscretisedNormal(mu, sigma).mean == pytest.approx((np.arange(201) * pmf).sum(), rel=1e-10)

    def test_describe_roundtrip(self):
        d = DiscretisedNormal(15, 5)
        assert d.to_dict() == {"kind": "normal", "mean": 15.0, "sd": 5.0}
        assert repr(make_demand(**d.to_dict())) == repr(d)

    @pytest.mark.parametrize("kwargs, field", [
        ({"mean": 15, "sd": 0}, "demand.sd"), ({"mean": 15, "sd": -1}, "demand.sd"),
        ({"mean": 15, "sd": float("nan")}, "demand.sd"), ({"mean": float("inf"), "sd": 1}, "demand.mean"),
        ({"mean": "x", "sd": 1}, "demand.mean")])
    def test_invalid(self, kwargs, field):
        with pytest.raises(DemandError, match=f"^{field}:"):
            DiscretisedNormal(**kwargs)


class TestDiscreteUniform:
    @pytest.mark.parametrize("a, b", [(0, 0), (0, 9), (2, 5), (7, 7), (3, 20)])
    def test_against_pmf(self, a, b):
        d = DiscreteUniform(a, b)
        pmf = np.zeros(b + 1)
        pmf[a:] = 1 / (b - a + 1)
        S = np.arange(0, b + 6)
        F_ref, H_ref = reference(pmf, S)
        np.testing.assert_allclose(d.cdf(S), F_ref, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(d.expected_leftover(S), H_ref, rtol=1e-12, atol=1e-14)
        F, H = d.table(b + 5)
        np.testing.assert_allclose(F, F_ref, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(H, H_ref, rtol=1e-12, atol=1e-14)

    def test_exact_table(self):
        F, H = DiscreteUniform(2, 5).table(7, exact=True)
        assert F.tolist() == [0, 0, Fraction(1, 4), Fraction(1, 2), Fraction(3, 4), 1, 1, 1]
        assert H.tolist() == [0, 0, 0, Fraction(1, 4), Fraction(3, 4), Fraction(3, 2), Fraction(5, 2),
                              Fraction(7, 2)]
        assert all(isinstance(x, Fraction) for x in F) and all(isinstance(x, Fraction) for x in H)

    @settings(max_examples=40, deadline=None)
    @given(a=st.integers(0, 15), width=st.integers(0, 15))
    def test_exact_table_is_definition(self, a, width):
        b = a + width
        d = DiscreteUniform(a, b)
        F, H = d.table(b + 3, exact=True)
        n = b - a + 1
        for S in range(b + 4):
            assert F[S] == Fraction(sum(1 for k in range(a, b + 1) if k <= S), n)
            assert H[S] == Fraction(sum(S - k for k in range(a, b + 1) if k <= S), n)
        Ff, Hf = d.table(b + 3)
        np.testing.assert_allclose(Ff, [float(x) for x in F], rtol=1e-15, atol=0)
        np.testing.assert_allclose(Hf, [float(x) for x in H], rtol=1e-13, atol=0)

    def test_properties(self):
        d = DiscreteUniform(2, 5)
        assert d.rational and d.discrete
        assert d.upper == 5 and d.n == 4 and d.mean == 3.5
        assert d.to_dict() == {"kind": "discrete-uniform", "low": 2, "high": 5}

    @pytest.mark.parametrize("low, high, field", [
        (-1, 5, "demand.low"), (5, 4, "demand.high"), (1.5, 4, "demand.low"), (0, "x", "demand.high"),
        (True, 4, "demand.low"), (0, float("inf"), "demand.high")])
    def test_invalid(self, low, high, field):
        with pytest.raises(DemandError, match=f"^{field}:"):
            DiscreteUniform(low, high)


class TestEmpirical:
    def test_against_pmf(self):
        pmf = [0.1, 0.0, 0.25, 0.4, 0.25]
        d = Empirical(pmf)
        S = np.arange(8)
        F_ref, H_ref = reference(np.array(pmf), S)
        np.testing.assert_allclose(d.cdf(S), F_ref, rtol=1e-15, atol=1e-15)
        np.testing.assert_allclose(d.expected_leftover(S), H_ref, rtol=1e-13, atol=1e-15)

    def test_exact_table(self):
        d = Empirical(["1/3", "1/6", "1/2"])
        F, H = d.table(4, exact=True)
        assert F.tolist() == [Fraction(1, 3), Fraction(1, 2), 1, 1, 1]
        assert H.tolist() == [0, Fraction(1, 3), Fraction(5, 6), Fraction(11, 6), Fraction(17, 6)]
        assert d.mean == pytest.approx(1 / 6 + 1.0)

    def test_float_entries_read_as_decimals(self):
        d = Empirical([0.1] * 10)  # 0.1 is 1/10, so the sum is exactly 1: nothing to renormalise
        assert d.pmf_exact == (Fraction(1, 10),) * 10
        assert d.rational

    def test_float_renormalisation_within_1e9(self):
        d = Empirical([1 / 3, 1 / 3, 1 / 3])  # decimals sum to 0.9999999999999999
        assert sum(d.pmf_exact) == 1
        assert d.pmf_exact[0] == d.pmf_exact[2]
        d = Empirical([0.5, 0.5 + 5e-10])
        assert sum(d.pmf_exact) == 1
        assert d.pmf_exact[1] > d.pmf_exact[0]
        assert d.cdf(1) == 1.0

    def test_float_beyond_1e9_refused(self):
        with pytest.raises(DemandError, match=r"^demand\.pmf: must sum to 1"):
            Empirical([0.5, 0.5 + 2e-9])

    def test_exact_entries_must_sum_exactly(self):
        # strings and Fractions are exact: no tolerance
        with pytest.raises(DemandError, match=r"^demand\.pmf: must sum to 1"):
            Empirical(["1/3", "1/3", "333333333/1000000000"])
        with pytest.raises(DemandError, match=r"^demand\.pmf: must sum to 1"):
            Empirical([Fraction(1, 2), Fraction(1, 2) + Fraction(1, 10**12)])

    @pytest.mark.parametrize("pmf, field, rule", [
        ([0.5, -0.1, 0.6], r"demand\.pmf\[1\]", ">= 0"),
        ([0.5, 0.6], r"demand\.pmf", "must sum to 1"),
        ([0.2, 0.2], r"demand\.pmf", "must sum to 1"),
        ([], r"demand\.pmf", "must not be empty"),
        (5, r"demand\.pmf", "list"),
        ([0.5, float("nan")], r"demand\.pmf\[1\]", "finite"),
        ([0.5, float("inf")], r"demand\.pmf\[1\]", "finite"),
        ([0.5, "x"], r"demand\.pmf\[1\]", "number"),
        ([True], r"demand\.pmf\[0\]", "boolean"),
    ])
    def test_invalid(self, pmf, field, rule):
        with pytest.raises(DemandError, match=f"^{field}: .*{rule}"):
            Empirical(pmf)

    def test_trailing_zeros_trimmed(self):
        d = Empirical(["1/2", "1/2", 0, 0])
        assert d.upper == 1 and len(d.pmf) == 2

    def test_numpy_input(self):
        d = Empirical(np.array([0.2, 0.5, 0.3]))
        assert d.pmf_exact == (Fraction(1, 5), Fraction(1, 2), Fraction(3, 10))

    def test_to_dict_roundtrip(self):
        d = Empirical(["1/3", "1/6", "1/2"])
        assert d.to_dict() == {"kind": "empirical", "pmf": ["1/3", "1/6", "1/2"]}
        assert make_demand(**d.to_dict()).pmf_exact == d.pmf_exact


class TestContinuousUniform:
    @pytest.mark.parametrize("a, b", [(0, 10), (2, 5), (0.5, 1.5)])
    def test_closed_forms(self, a, b):
        d = ContinuousUniform(a, b)
        for S in [-1.0, 0.0, a, (a + b) / 2, a + 0.3 * (b - a), b, b + 2.5]:
            F = min(max((S - a) / (b - a), 0.0), 1.0)
            if S <= a:
                H = 0.0
            elif S <= b:
                H = (S - a) ** 2 / (2 * (b - a))
            else:
                H = S - (a + b) / 2
            assert d.cdf(S) == pytest.approx(F, abs=1e-14)
            assert d.expected_leftover(S) == pytest.approx(H, abs=1e-13)

    def test_h_against_quadrature(self):
        from scipy import integrate

        d = ContinuousUniform(2, 7)
        for S in [1.0, 3.0, 6.5, 9.0]:
            ref, _ = integrate.quad(lambda x: max(S - x, 0.0) / 5, 2, 7, points=[min(max(S, 2), 7)])
            assert d.expected_leftover(S) == pytest.approx(ref, abs=1e-10)

    def test_exact(self):
        d = ContinuousUniform(0, 10)
        assert d.cdf(Fraction(5, 2), exact=True) == Fraction(1, 4)
        assert d.expected_leftover(Fraction(5, 2), exact=True) == Fraction(5, 16)
        assert d.expected_leftover(Fraction(12), exact=True) == 7
        out = d.cdf([Fraction(1), Fraction(20)], exact=True)
        assert out.tolist() == [Fraction(1, 10), 1]

    @pytest.mark.parametrize("a, b, h", [(0, 10, 1), (2, 5, 0.5), (1, 3, 4), (0, 1, 1)])
    def test_best_stock_vs_grid(self, a, b, h):
        d = ContinuousUniform(a, b)
        grid = np.linspace(0.0, b + 2, 200_001)  # step < 1e-4
        step = grid[1] - grid[0]
        F, H = d.cdf(grid), d.expected_leftover(grid)
        deltas = np.array([-1.0, 0.0, 0.3, 1.0, 2.5, 7.0, 50.0])
        best = d.best_stock(deltas, h)
        for delta, S in zip(deltas, best):
            obj = h * H - delta * F
            k = int(np.argmin(obj))  # smallest grid minimiser
            assert abs(S - grid[k]) <= 2 * step + 1e-12
            # and the closed form is at least as good as every grid point
            assert h * d.expected_leftover(S) - delta * d.cdf(S) <= obj.min() + 1e-12
        assert best[0] == 0.0 and best[1] == 0.0  # no gain at stake: zero stock

    def test_best_stock_closed_form(self):
        d = ContinuousUniform(0, 10)
        assert d.best_stock([0.0, 2.0, 50.0], 1.0).tolist() == [0.0, 2.0, 10.0]
        assert d.best_stock([Fraction(3)], Fraction(2), exact=True).tolist() == [Fraction(3, 2)]
        # h = 0: any positive gain pushes the stock to the top of the support
        assert d.best_stock([0.0, 0.1], 0).tolist() == [0.0, 10.0]

    def test_properties(self):
        d = ContinuousUniform(2, 5)
        assert not d.discrete and d.rational
        assert d.upper == 5.0 and d.mean == 3.5
        assert d.to_dict() == {"kind": "uniform", "low": 2.0, "high": 5.0}

    @pytest.mark.parametrize("low, high, field", [
        (-1, 5, "demand.low"), (5, 5, "demand.high"), (5, 4, "demand.high"),
        (0, float("inf"), "demand.high"), (float("nan"), 1, "demand.low")])
    def test_invalid(self, low, high, field):
        with pytest.raises(DemandError, match=f"^{field}:"):
            ContinuousUniform(low, high)


class TestQuantile:
    @pytest.mark.parametrize("demand", [Poisson(5), DiscretisedNormal(15, 5), DiscreteUniform(2, 9),
                                        Empirical([0.1, 0.0, 0.25, 0.4, 0.25]),
                                        ScipyDemand(stats.nbinom(5, 0.5))], ids=repr)
    @pytest.mark.parametrize("q", [1e-6, 0.05, 0.25, 0.5, 0.6, 0.9, 0.99, 0.999999])
    def test_smallest_stock_reaching_q(self, demand, q):
        S = demand.quantile(q)
        assert isinstance(S, int)
        assert demand.cdf(S) >= q
        assert S == 0 or demand.cdf(S - 1) < q

    def test_edges(self):
        assert Poisson(5).quantile(0) == 0
        assert Poisson(5).quantile(1) == math.inf
        assert DiscreteUniform(2, 5).quantile(1) == 5
        assert Empirical([0.5, 0.5]).quantile(1.0) == 1
        assert DiscreteUniform(2, 5).quantile(0.25) == 2
        assert DiscreteUniform(2, 5).quantile(0.2500001) == 3

    def test_exact_boundary(self):
        # F(k) = q exactly: k itself is the quantile
        d = Empirical([0.25, 0.25, 0.5])
        assert d.quantile(0.5) == 1

    def test_continuous(self):
        d = ContinuousUniform(2, 5)
        assert d.quantile(0.5) == 3.5
        assert d.quantile(0) == 0.0
        assert d.quantile(1) == 5.0


class TestSample:
    @pytest.mark.parametrize("demand", [Poisson(5), DiscretisedNormal(15, 5), DiscreteUniform(2, 9),
                                        Empirical([0.1, 0.0, 0.25, 0.4, 0.25]), ContinuousUniform(2, 5),
                                        ScipyDemand(stats.nbinom(5, 0.5))], ids=repr)
    def test_moments(self, demand):
        n = 200_000
        x = demand.sample(np.random.default_rng(12345), n)
        assert x.shape == (n,)
        # the variance from the distribution itself (F), not from the sampler
        if demand.discrete:
            F, _ = demand.table(200)
            pmf = np.diff(np.concatenate(([0.0], F)))
            k = np.arange(201)
            mean, var = (k * pmf).sum(), (k * k * pmf).sum() - (k * pmf).sum() ** 2
            assert np.all(x == np.floor(x)) and x.min() >= 0
        else:
            a, b = float(demand.low), float(demand.high)
            mean, var = (a + b) / 2, (b - a) ** 2 / 12
        assert demand.mean == pytest.approx(mean, rel=1e-9)
        assert abs(x.mean() - mean) < 5 * math.sqrt(var / n)
        assert x.var() == pytest.approx(var, rel=0.03)

    def test_empirical_frequencies(self):
        d = Empirical([0.1, 0.0, 0.25, 0.4, 0.25])
        x = d.sample(np.random.default_rng(7), 100_000)
        freq = np.bincount(x, minlength=5) / x.size
        assert freq[1] == 0
        np.testing.assert_allclose(freq, d.pmf, atol=0.01)

    def test_seeded(self):
        a = Poisson(5).sample(np.random.default_rng(3), 10)
        b = Poisson(5).sample(np.random.default_rng(3), 10)
        assert a.tolist() == b.tolist()

    def test_shape(self):
        assert Poisson(5).sample(np.random.default_rng(0), (3, 4)).shape == (3, 4)


class TestScipyDemand:
    def test_nbinom_against_pmf(self):
        dist = stats.nbinom(5, 0.5)
        d = ScipyDemand(dist)
        pmf = dist.pmf(np.arange(400))
        S = np.arange(30)
        F_ref, H_ref = reference(pmf, S)
        np.testing.assert_allclose(d.cdf(S), F_ref, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(d.expected_leftover(S), H_ref, rtol=1e-10, atol=1e-12)
        assert d.cdf(4) == pytest.approx(0.5, abs=1e-15)
        assert d.mean == pytest.approx(5.0)

    def test_bounded_support(self):
        d = ScipyDemand(stats.binom(8, 0.3))
        assert d.upper == 8
        F, H = d.table(10)
        assert F[8] == pytest.approx(1.0) and H[10] == pytest.approx(10 - 2.4)

    def test_agrees_with_native_poisson(self):
        a, b = ScipyDemand(stats.poisson(5)), Poisson(5)
        np.testing.assert_allclose(a.table(30)[0], b.table(30)[0], rtol=1e-14)
        np.testing.assert_allclose(a.table(30)[1], b.table(30)[1], rtol=1e-10, atol=1e-13)

    def test_shifted_support(self):
        d = ScipyDemand(stats.poisson(3, loc=2))
        assert d.cdf(1) == 0.0
        assert d.quantile(0.5) == 5

    def test_not_rational(self):
        d = ScipyDemand(stats.poisson(5))
        assert not d.rational
        with pytest.raises(DemandError, match="^demand:.*exact"):
            d.table(5, exact=True)
        with pytest.raises(DemandError, match="^demand:"):
            d.to_dict()
        assert "poisson" in d.describe()

    @pytest.mark.parametrize("dist, rule", [
        (stats.poisson, "frozen"),  # the distribution family, not a frozen distribution
        (5, "frozen"),
        ("poisson", "frozen"),
        (stats.norm(10, 2), "continuous"),
        (stats.randint(-1, 3), "support"),
        (stats.poisson(3, loc=-1), "support"),
    ])
    def test_errors(self, dist, rule):
        with pytest.raises(DemandError, match=f"^demand: .*{rule}"):
            ScipyDemand(dist)


class TestMakeDemand:
    @pytest.mark.parametrize("kind, params, cls", [
        ("poisson", {"mean": 5}, Poisson),
        ("normal", {"mean": 15, "sd": 5}, DiscretisedNormal),
        ("discrete-uniform", {"low": 0, "high": 9}, DiscreteUniform),
        ("uniform", {"low": 0, "high": 10}, ContinuousUniform),
        ("empirical", {"pmf": [0.2, 0.5, 0.3]}, Empirical),
    ])
    def test_kinds(self, kind, params, cls):
        d = make_demand(kind, **params)
        assert type(d) is cls
        assert d.to_dict()["kind"] == kind
        assert set(DEMAND_KINDS) == {"poisson", "normal", "discrete-uniform", "uniform", "empirical"}

    def test_string_parameters(self):
        # the command line passes parameters as text
        d = make_demand("normal", mean="15", sd="5")
        assert (d.mu, d.sigma) == (15, 5)

    @pytest.mark.parametrize("kind, params, field, rule", [
        ("gamma", {"mean": 5}, "demand.kind", "one of"),
        ("Poisson", {"mean": 5}, "demand.kind", "one of"),
        ("poisson", {}, "demand.mean", "required"),
        ("normal", {"mean": 15}, "demand.sd", "required"),
        ("poisson", {"mean": 5, "sd": 1}, "demand.sd", "unknown parameter"),
        ("uniform", {"low": 0, "high": 10, "pmf": [1]}, "demand.pmf", "unknown parameter"),
        ("poisson", {"mean": -5}, "demand.mean", "> 0"),
        ("uniform", {"low": 3, "high": 1}, "demand.high", "> demand.low"),
        ("empirical", {"pmf": [0.5, 0.6]}, "demand.pmf", "sum to 1"),
    ])
    def test_errors(self, kind, params, field, rule):
        with pytest.raises(DemandError, match=f"^{field}: .*{rule}"):
            make_demand(kind, **params)

    @pytest.mark.parametrize("kind", [None, 5, ["poisson"]])
    def test_non_string_kind(self, kind):
        with pytest.raises(DemandError, match=r"^demand\.kind:"):
            make_demand(kind, mean=5)


def test_abstract_hierarchy():
    assert issubclass(DiscreteDemand, Demand)
    with pytest.raises(TypeError):
        Demand()
