"""Tests of slamarkov.chain.policy: the stock table S_i(v) and its exact ready-count distribution."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from slamarkov import (
    ContinuousUniform,
    Contract,
    DiscreteUniform,
    Empirical,
    Poisson,
    Policy,
    PolicyError,
    Problem,
    ReadyRateDistribution,
    solve_dynamic,
)


def problem(T=3, demand=None, h=1):
    return Problem(Contract(T, 0.5, 1, penalty=10, bonus=5), demand or Poisson(5), h)


def brute_ready_count(policy, F_of, start=(1, 0)):
    """P(v_T = v) from (i0, v0) by summing over every ready/short sequence of periods i0..T."""
    i0, v0 = start
    T = policy.review_period
    pmf = [0] * (T + 1)
    for xs in itertools.product((0, 1), repeat=T - i0 + 1):
        prob, v = 1, v0
        for i, x in zip(range(i0, T + 1), xs):
            q = F_of(policy.stock_at(i, v))
            prob = prob * (q if x else 1 - q)
            v += x
        pmf[v] += prob
    return pmf


class TestConstruction:
    def test_nested_lists(self):
        pol = Policy(problem(2), [[6], [0, 8]])
        assert pol.to_lists() == [[6], [0, 8]]
        assert pol.stock.tolist() == [6, 0, 8]
        assert pol.kind == "user" and not pol.exact

    def test_flat(self):
        pol = Policy(problem(3), [1, 2, 3, 4, 5, 6])
        assert pol.to_lists() == [[1], [2, 3], [4, 5, 6]]
        pol = Policy(problem(3), np.arange(6))
        assert pol.stage(3).tolist() == [3, 4, 5]

    def test_integral_floats_accepted_for_discrete(self):
        pol = Policy(problem(2), [[6.0], [0.0, 8.0]])
        assert pol.to_lists() == [[6], [0, 8]]
        assert all(isinstance(x, int) for row in pol.to_lists() for x in row)

    def test_compact_dtype(self):
        assert Policy(problem(2), [[6], [0, 255]]).stock.dtype == np.uint8
        assert Policy(problem(2), [[6], [0, 256]]).stock.dtype == np.uint16

    def test_read_only(self):
        pol = Policy(problem(2), [[6], [0, 8]])
        with pytest.raises(ValueError):
            pol.stock[0] = 3
        with pytest.raises(ValueError):
            pol.stage(2)[0] = 3

    def test_continuous_reals(self):
        pol = Policy(problem(2, ContinuousUniform(0, 10)), [[2.5], [0, 7.25]])
        assert pol.to_lists() == [[2.5], [0.0, 7.25]]
        assert pol.stock.dtype == np.float64

    def test_continuous_fractions(self):
        pol = Policy(problem(1, ContinuousUniform(0, 10)), [[Fraction(5, 2)]], exact=True)
        assert pol.stock_at(1, 0) == Fraction(5, 2)
        assert pol.ready_count().pmf.tolist() == [Fraction(3, 4), Fraction(1, 4)]


class TestValidation:
    @pytest.mark.parametrize("stock, rule", [
        ([[6], [0]], r"stock\[1\]: period 2 must have 2 entries"),
        ([[6], [0, 1, 2]], r"stock\[1\]: period 2 must have 2 entries"),
        ([[6, 1], [0, 1]], r"stock\[0\]: period 1 must have 1 entries"),
        ([[6]], r"stock: must have T = 2 rows"),
        ([[6], [0, 1], [1, 2, 3]], r"stock: must have T = 2 rows"),
        ([1, 2], r"stock: must have T\(T\+1\)/2 = 3 entries, got 2"),
        ([1, 2, 3, 4], r"stock: must have T\(T\+1\)/2 = 3 entries, got 4"),
        (np.zeros((2, 2)), r"stock: must be flat or a list of T = 2 rows"),
    ])
    def test_wrong_shape(self, stock, rule):
        with pytest.raises(PolicyError, match=rule):
            Policy(problem(2), stock)

    @pytest.mark.parametrize("stock", [[[6], [-1, 8]], [-2, 0, 1], np.array([1, -1, 0])])
    def test_negative(self, stock):
        with pytest.raises(PolicyError, match=r"^stock: must be >= 0"):
            Policy(problem(2), stock)

    def test_negative_continuous(self):
        with pytest.raises(PolicyError, match=r"^stock: must be >= 0"):
            Policy(problem(2, ContinuousUniform(0, 10)), [[1.0], [-0.5, 2.0]])

    @pytest.mark.parametrize("stock", [[[6.5], [0, 8]], [0.5, 1, 2], [[Fraction(1, 2)], [0, 1]]])
    def test_non_integer_for_discrete(self, stock):
        with pytest.raises(PolicyError, match=r"^stock: must be integers for discrete demand"):
            Policy(problem(2), stock)

    @pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
    @pytest.mark.parametrize("demand", [Poisson(5), ContinuousUniform(0, 10)], ids=repr)
    def test_non_finite(self, bad, demand):
        with pytest.raises(PolicyError, match=r"^stock: must be finite"):
            Policy(problem(2, demand), [[1.0], [bad, 2.0]])

    @pytest.mark.parametrize("stock", [[["a"], [1, 2]], np.array([True, False, True])])
    def test_not_numbers(self, stock):
        with pytest.raises(PolicyError, match=r"^stock: must be numbers"):
            Policy(problem(2), stock)

    def test_problem_type(self):
        with pytest.raises(PolicyError, match=r"^problem: "):
            Policy("not a problem", [[1]])

    def test_exact_needs_rational_demand(self):
        with pytest.raises(PolicyError, match=r"^exact: "):
            Policy(problem(1), [[5]], exact=True)


class TestConstant:
    def test_lists(self):
        prob = Problem(Contract.study(3), Poisson(5), 1)
        pol = Policy.constant(prob, 7)
        assert pol.to_lists() == [[7], [7, 7], [7, 7, 7]]
        assert pol.kind == "static"

    def test_kind_and_exact(self):
        pol = Policy.constant(problem(2, DiscreteUniform(0, 3)), 1, kind="mine", exact=True)
        assert pol.kind == "mine" and pol.exact

    def test_fraction_continuous(self):
        pol = Policy.constant(problem(2, ContinuousUniform(0, 4)), Fraction(3), exact=True)
        assert pol.to_lists() == [[3], [3, 3]]
        assert pol.ready_count().pmf.tolist() == [Fraction(1, 16), Fraction(6, 16), Fraction(9, 16)]

    def test_invalid(self):
        with pytest.raises(PolicyError):
            Policy.constant(problem(2), -1)
        with pytest.raises(PolicyError):
            Policy.constant(problem(2), 2.5)

    @pytest.mark.parametrize("T, S", [(1, 3), (5, 5), (12, 8)])
    def test_binomial(self, T, S):
        pol = Policy.constant(problem(T), S)
        q = stats.poisson.cdf(S, 5)
        np.testing.assert_allclose(pol.ready_count().pmf, stats.binom.pmf(np.arange(T + 1), T, q),
                                   rtol=1e-10, atol=1e-15)


class TestStageAndStockAt:
    def setup_method(self):
        self.pol = Policy(problem(3), [[1], [2, 3], [4, 5, 6]])

    def test_stage(self):
        assert [self.pol.stage(i).tolist() for i in (1, 2, 3)] == [[1], [2, 3], [4, 5, 6]]

    def test_stock_at(self):
        assert self.pol.stock_at(3, 2) == 6 and isinstance(self.pol.stock_at(3, 2), int)
        assert self.pol.stock_at(1, 0) == 1

    @pytest.mark.parametrize("i", [0, 4, -1])
    def test_stage_outside(self, i):
        with pytest.raises(PolicyError, match=r"^stage: must lie in 1\.\.3"):
            self.pol.stage(i)

    @pytest.mark.parametrize("i, v", [(2, 2), (2, -1), (1, 1), (3, 5)])
    def test_count_outside(self, i, v):
        with pytest.raises(PolicyError, match=r"^ready count: must lie in 0\.\."):
            self.pol.stock_at(i, v)

    def test_stage_outside_via_stock_at(self):
        with pytest.raises(PolicyError, match=r"^stage: "):
            self.pol.stock_at(4, 0)

    def test_review_period_and_repr(self):
        assert self.pol.review_period == 3
        assert "T=3" in repr(self.pol) and "max_stock=6" in repr(self.pol)


class TestSuccessAndHolding:
    def test_success(self):
        pol = Policy(problem(2, DiscreteUniform(0, 3)), [[0], [1, 3]])
        np.testing.assert_array_equal(pol.success(), [0.25, 0.5, 1.0])
        np.testing.assert_array_equal(pol.stage_success(2), [0.5, 1.0])

    def test_success_exact(self):
        pol = Policy(problem(2, DiscreteUniform(0, 3)), [[0], [1, 3]], exact=True)
        assert pol.success().tolist() == [Fraction(1, 4), Fraction(1, 2), 1]

    def test_holding(self):
        pol = Policy(problem(2, DiscreteUniform(0, 3), h=2), [[0], [1, 3]])
        np.testing.assert_allclose(pol.stage_holding(2), [2 * 0.25, 2 * 1.5])
        pol = Policy(problem(2, DiscreteUniform(0, 3), h=2), [[0], [1, 3]], exact=True)
        assert pol.stage_holding(2).tolist() == [Fraction(1, 2), 3]

    def test_holding_continuous(self):
        pol = Policy(problem(1, ContinuousUniform(0, 10), h=2), [[5.0]])
        assert pol.stage_holding(1).tolist() == [2 * 25 / 20]


class TestReadyCount:
    def test_docstring(self):
        prob = Problem(Contract(2, 0.5, 1, penalty=10), DiscreteUniform(0, 3), 1)
        rc = Policy.constant(prob, 1, exact=True).ready_count()
        assert isinstance(rc, ReadyRateDistribution)
        assert rc.pmf.tolist() == [Fraction(1, 4), Fraction(1, 2), Fraction(1, 4)]

    def test_by_hand(self):
        # DiscreteUniform(0, 3): F(0) = 1/4, F(1) = 1/2, F(3) = 1. S_1(0) = 0, S_2(0) = 1, S_2(1) = 3:
        # P(v=0) = 3/4 * 1/2; P(v=1) = 3/4 * 1/2 + 1/4 * 0; P(v=2) = 1/4 * 1
        pol = Policy(problem(2, DiscreteUniform(0, 3)), [[0], [1, 3]], exact=True)
        assert pol.ready_count().pmf.tolist() == [Fraction(3, 8), Fraction(3, 8), Fraction(1, 4)]

    @pytest.mark.parametrize("start, expect", [
        ((2, 0), [Fraction(1, 2), Fraction(1, 2), 0]),
        ((2, 1), [0, 0, 1]),
        ((3, 0), [1, 0, 0]),  # i = T + 1: absorbed, the count is final
        ((3, 2), [0, 0, 1]),
    ])
    def test_from_start_state(self, start, expect):
        pol = Policy(problem(2, DiscreteUniform(0, 3)), [[0], [1, 3]], exact=True)
        assert pol.ready_count(start).pmf.tolist() == expect

    @pytest.mark.parametrize("start", [(0, 0), (1, 1), (2, 2), (4, 0), (3, 3), (2, -1)])
    def test_start_outside(self, start):
        pol = Policy(problem(2), [[5], [5, 5]])
        with pytest.raises(PolicyError, match=r"^start: state"):
            pol.ready_count(start)

    @settings(max_examples=30, deadline=None)
    @given(T=st.integers(1, 7), data=st.data())
    def test_random_exact_vs_enumeration(self, T, data):
        weights = data.draw(st.lists(st.integers(0, 4), min_size=1, max_size=6).filter(lambda w: sum(w)))
        pmf = [Fraction(w, sum(weights)) for w in weights]
        demand = Empirical(pmf)
        stock = data.draw(st.lists(st.integers(0, len(pmf) + 1), min_size=T * (T + 1) // 2,
                                   max_size=T * (T + 1) // 2))
        pol = Policy(problem(T, demand), stock, exact=True)
        i0 = data.draw(st.integers(1, T + 1))
        v0 = data.draw(st.integers(0, i0 - 1))

        def F_of(S):
            return sum(pmf[: S + 1], Fraction(0))

        assert pol.ready_count((i0, v0)).pmf.tolist() == brute_ready_count(pol, F_of, (i0, v0))

    def test_float_vs_enumeration_solved_policy(self):
        prob = Problem(Contract.study(9, "linear"), Poisson(5), 1)
        pol = solve_dynamic(prob).policy
        for start in [(1, 0), (4, 2), (9, 8)]:
            expect = brute_ready_count(pol, lambda S: stats.poisson.cdf(S, 5), start)
            np.testing.assert_allclose(pol.ready_count(start).pmf, expect, rtol=1e-12, atol=1e-15)
            assert abs(pol.ready_count(start).pmf.sum() - 1) <= 1e-12

    def test_zero_probability_states(self):
        # F(0) = 0 for DiscreteUniform(1, 2): a zero stock is never ready; F(2) = 1 always ready
        pol = Policy(problem(3, DiscreteUniform(1, 2)), [[0], [2, 0], [0, 2, 0]], exact=True)
        # v: period 1 short (v=0); period 2 S_2(0)=2 ready (v=1); period 3 S_3(1)=2 ready (v=2)
        assert pol.ready_count().pmf.tolist() == [0, 0, 1, 0]


class TestConstantHoldsNoTable:
    """A constant policy is one value, not a table of T(T+1)/2 stocks (issue 12)."""

    def test_view_of_one_value_behaves_as_the_full_table(self):
        prob = problem(T=60)
        const = Policy.constant(prob, 7)
        full = Policy(prob, np.full(60 * 61 // 2, 7), kind="static")
        assert const.stock.strides == (0,) and const.stock.shape == full.stock.shape
        assert const.stock.dtype == full.stock.dtype == np.uint8
        assert not const.stock.flags.writeable
        assert const.to_lists() == full.to_lists()
        np.testing.assert_array_equal(const.success(), full.success())
        for i in (1, 30, 60):
            np.testing.assert_array_equal(const.stage_success(i), full.stage_success(i))
        assert const.ready_count().pmf.tolist() == full.ready_count().pmf.tolist()
        assert repr(const) == repr(full)

    def test_large_constant_is_instant_in_memory(self):
        T = 20_000  # 200 million states: a table would take 200 MB
        pol = Policy.constant(problem(T=T), 6)
        assert pol.stock.shape == (T * (T + 1) // 2,) and pol.stock.strides == (0,)
        assert pol.stock_at(T, T - 1) == 6

    def test_constant_is_checked_like_a_table(self):
        with pytest.raises(PolicyError, match="must be >= 0"):
            Policy.constant(problem(), -1)
        with pytest.raises(PolicyError, match="integers"):
            Policy.constant(problem(), 1.5)

    def test_exact_constant(self):
        pol = Policy.constant(problem(T=4, demand=DiscreteUniform(0, 3)), 2, exact=True)
        assert pol.ready_count().pmf.tolist() == [
            Fraction(1, 256), Fraction(12, 256), Fraction(54, 256), Fraction(108, 256), Fraction(81, 256)]
