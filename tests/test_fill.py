"""Fill-rate contracts (docs/model.md section 14): exact comparisons, T = 1 in closed form, the
float-mode cut, the chain, bad input and property tests on random small problems."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slamarkov import (AbsorbingChain, Contract, ContinuousUniform, DiscreteUniform, Empirical,
                       Poisson, Policy, Problem, solve_dynamic, solve_static)
from slamarkov.errors import ContractError, DemandError
from slamarkov.model.config import config_from_dict
from slamarkov.model.contract import max_fill_drop
from slamarkov.model.fill import fill_band, fill_settlement, fill_support


def fill_contract(T=2, aL="0.8", aU="0.9", scheme="lump-sum", penalty=10, bonus=5):
    return Contract(T, aL, aU, scheme, penalty=penalty, bonus=bonus, measure="fill-rate")


class TestExactComparison:
    def test_fill_rate_at_the_threshold_is_not_a_penalty(self):
        # 4/5 == 0.8 exactly: no penalty; 0.8999.. below 0.9: no bonus
        c = fill_contract(aL="0.8", aU="0.9")
        assert fill_band(c, [5, 10, 10, 1000], [4, 9, 8, 899]).tolist() == [0, 1, 0, 0]

    def test_thresholds_that_floats_round(self):
        # 0.7 * 10 rounds to 7.000000000000001 in floats; exactly 7/10 reaches 0.7
        c = fill_contract(aL="0.7", aU="0.7")
        assert fill_band(c, [10, 10], [7, 6]).tolist() == [1, -1]

    def test_nothing_demanded_is_a_fill_rate_of_one(self):
        c = fill_contract(aL="1", aU="1", scheme="linear", penalty=10, bonus=4)
        assert fill_band(c, [0], [0]).tolist() == [1]
        assert fill_settlement(c, [0], [0], exact=True).tolist() == [Fraction(0)]

    def test_linear_settlement_is_exact(self):
        c = fill_contract(aL="0.8", aU="0.9", scheme="linear", penalty=100, bonus=50)
        g = fill_settlement(c, [3, 7, 10], [2, 7, 10], exact=True)
        assert g.tolist() == [Fraction(40, 3), Fraction(-5), Fraction(-5)]
        assert fill_settlement(c, [3], [2])[0] == pytest.approx(40 / 3, rel=1e-15)

    def test_max_fill_drop_is_the_largest_fall(self):
        for scheme in ("lump-sum", "linear"):
            c = fill_contract(aL="0.6", aU="0.75", scheme=scheme, penalty=12, bonus=7)
            D = np.repeat(np.arange(1, 40), np.arange(1, 40))
            F = np.concatenate([np.arange(d) for d in range(1, 40)])
            drop = fill_settlement(c, D, F, exact=True) - fill_settlement(c, D, F + 1, exact=True)
            assert max(drop) == max_fill_drop(c)


class TestOnePeriod:
    """With T = 1 the fill rate is min(d, y) / d (1 at d = 0) and the ready rate 1[d <= y]."""

    @pytest.mark.parametrize("scheme", ["lump-sum", "linear"])
    def test_closed_form(self, scheme):
        demand = Empirical(["1/8", "1/4", "1/4", "1/4", "1/8"])
        p = [Fraction(1, 8), Fraction(1, 4), Fraction(1, 4), Fraction(1, 4), Fraction(1, 8)]
        h = Fraction(1, 2)
        c = Contract(1, "0.6", "0.9", scheme, penalty=6, bonus=2, measure="fill-rate")
        ready = Contract(1, "0.6", "0.9", scheme, penalty=6, bonus=2)
        aL, aU = c.penalty_threshold, c.bonus_threshold

        def G(fr):
            if scheme == "lump-sum":
                return 6 * (fr < aL) - 2 * (fr >= aU)
            return 6 * max(aL - fr, 0) - 2 * max(fr - aU, 0)

        def fr(d, y):
            return Fraction(1) if d == 0 else Fraction(min(d, y), d)

        costs = []
        for y in range(7):
            H = sum(pd * max(y - d, 0) for d, pd in enumerate(p))
            mean_fr = sum(pd * fr(d, y) for d, pd in enumerate(p))
            costs.append(h * H + sum(pd * G(fr(d, y)) for d, pd in enumerate(p)))
            pol = Policy.constant(Problem(c, demand, h), y, exact=True)
            assert pol.fill_rate().mean == mean_fr
            # the ready rate of the same order is F(y) = P(d <= y)
            ready_pol = Policy.constant(Problem(ready, demand, h), y, exact=True)
            assert ready_pol.ready_count().mean == sum(p[: y + 1])
        best = min(range(7), key=lambda y: (costs[y], y))
        sol = solve_dynamic(Problem(c, demand, h), max_stock=6, exact=True)
        assert sol.value_start == costs[best]
        assert int(sol.policy.stock[0]) == best
        st_ = solve_static(Problem(c, demand, h), max_stock=6, exact=True)
        assert (st_.base_stock, st_.cost_per_period) == (best, costs[best])


class TestTruncation:
    def test_poisson_cut_is_below_budget_and_accounted(self):
        prob = Problem(fill_contract(T=6), Poisson(4), 1)
        sol = solve_dynamic(prob, max_stock=20)
        assert 0 < sol.truncated_mass <= 1e-12
        total = math.fsum(sol.fill_rate.pmf.tolist())
        assert abs(total - (1 - sol.truncated_mass)) <= 1e-14
        st_ = solve_static(prob, max_stock=20)
        assert st_.truncated_mass == sol.truncated_mass  # the cut does not depend on the policy
        assert abs(math.fsum(st_.fill_rate.pmf.tolist()) - (1 - st_.truncated_mass)) <= 1e-14

    def test_finite_support_drops_nothing(self):
        s = fill_support(DiscreteUniform(0, 3), 5, exact=True)
        assert (s.period_max, s.total_max, s.truncated_mass) == (3, 15, 0)

    def test_fast_forward_equals_reference_kernel(self):
        prob = Problem(fill_contract(T=5, scheme="linear", penalty=40, bonus=20), Poisson(3), 1)
        sol = solve_dynamic(prob, max_stock=15)
        ref = sol.policy.fill_rate()
        assert np.array_equal(ref.values, sol.fill_rate.values)
        assert np.allclose(ref.pmf, sol.fill_rate.pmf, rtol=1e-12, atol=1e-15)


class TestChain:
    def test_absorbing_chain_rows_match_the_distribution(self):
        prob = Problem(fill_contract(T=3), DiscreteUniform(0, 2), 1)
        sol = solve_dynamic(prob, max_stock=3, exact=True)
        chain = AbsorbingChain(sol.policy)
        row = chain.absorption((1, 0, 0))
        assert sum(row) == 1
        final = chain.space.score.values(4)
        by_rate = {}
        for (D, F), p in zip(final.tolist(), row):
            if p:
                r = Fraction(1) if D == 0 else Fraction(F, D)
                by_rate[r] = by_rate.get(r, 0) + p
        assert by_rate == dict(zip(sol.fill_rate.values.tolist(), sol.fill_rate.pmf.tolist()))
        B = chain.absorption_matrix()
        assert all(sum(r) == 1 for r in B)
        assert list(B[chain.index(1, 0, 0)]) == list(row)

    def test_mid_period_start(self):
        prob = Problem(fill_contract(T=3), DiscreteUniform(0, 2), 1)
        sol = solve_dynamic(prob, max_stock=3, exact=True)
        dist = sol.policy.fill_rate((3, 2, 1))
        assert sum(dist.pmf) == 1
        assert all(Fraction(1, 4) <= v <= Fraction(3, 4) for v in dist.values)


class TestBadInput:
    def test_unknown_measure(self):
        with pytest.raises(ContractError, match=r"^contract\.measure: must be one of ready-rate, "
                                                r"fill-rate, got 'fill'$"):
            Contract(2, 0.8, 0.9, measure="fill")

    def test_continuous_demand(self):
        with pytest.raises(DemandError, match=r"^contract\.measure: 'fill-rate' needs discrete"):
            Problem(fill_contract(), ContinuousUniform(0, 4), 1)

    def test_config_measure(self):
        base = {"contract": {"review_period": 3, "penalty_threshold": 0.8, "bonus_threshold": 0.9,
                             "penalty": 5, "bonus": 3, "measure": "fill-rate"},
                "costs": {"holding": 1}, "demand": {"kind": "poisson", "mean": 2}}
        assert config_from_dict(base).problem.contract.measure == "fill-rate"
        base["contract"]["measure"] = 3
        with pytest.raises(ContractError, match=r"^contract\.measure: must be one of"):
            config_from_dict(base)

    def test_ready_rate_is_the_default(self):
        assert Contract(2, 0.8, 0.9).measure == "ready-rate"


# -- property tests ---------------------------------------------------------------------------

@st.composite
def small_problems(draw):
    T = draw(st.integers(1, 3))
    weights = draw(st.lists(st.integers(0, 4), min_size=2, max_size=3).filter(lambda w: sum(w)))
    pmf = [Fraction(w, sum(weights)) for w in weights]
    aL = Fraction(draw(st.integers(0, 10)), 10)
    aU = aL + Fraction(draw(st.integers(0, 10 - aL.numerator * 10 // aL.denominator)), 10)
    scheme = draw(st.sampled_from(["lump-sum", "linear"]))
    contract = Contract(T, aL, aU, scheme, penalty=draw(st.integers(0, 20)),
                        bonus=draw(st.integers(0, 10)), measure="fill-rate")
    leftover = draw(st.sampled_from(["discard", "carry"]))
    h = Fraction(draw(st.integers(1, 4)), 2)
    return Problem(contract, Empirical([str(p) for p in pmf]), h, leftover=leftover)


@settings(max_examples=25, deadline=None)
@given(small_problems())
def test_pmf_sums_to_one_and_dynamic_beats_static(problem):
    dyn = solve_dynamic(problem, max_stock=3, exact=True)
    sta = solve_static(problem, max_stock=3, exact=True)
    assert sum(dyn.fill_rate.pmf) == 1 and sum(sta.fill_rate.pmf) == 1
    assert dyn.value_start <= sta.cost_per_period * problem.review_period


@settings(max_examples=25, deadline=None)
@given(small_problems(), st.integers(1, 10))
def test_raising_penalty_threshold_never_lowers_p_penalty(problem, step):
    pol = solve_dynamic(problem, max_stock=3, exact=True).policy
    c = problem.contract
    higher = min(c.penalty_threshold + Fraction(step, 10), 1)
    c2 = Contract(c.review_period, higher, max(higher, c.bonus_threshold), c.scheme,
                  penalty=c.penalty, bonus=c.bonus, measure="fill-rate")
    p2 = problem.with_contract(c2)
    same = Policy(p2, np.asarray(pol.stock), exact=True,
                  max_stock=pol.space.max_stock if problem.carries else None)
    assert same.fill_rate().p_penalty >= pol.fill_rate().p_penalty


# -- simulation and its validation --------------------------------------------------------------

def _mutant(policy, runs, seed, *, fill_one_less=False, count_periods=False):
    """A wrong simulator: fills min(d, y - 1), or records ready periods out of T as units."""
    from slamarkov.simulation.fill import FillRuns

    space = policy.space
    rng = np.random.default_rng(seed)
    index = np.zeros(runs, dtype=np.int64)
    D = np.zeros(runs, dtype=np.int64)
    F = np.zeros(runs, dtype=np.int64)
    for i in range(1, space.T + 1):
        y = np.asarray(policy.layer(i), dtype=np.int64)[index, 0]
        d = np.asarray(policy.problem.demand.sample(rng, runs), dtype=np.int64)
        index = space.score.step(i, index, y, d)
        if count_periods:
            D += 1
            F += d <= y
        else:
            D += d
            F += np.minimum(d, np.maximum(y - 1, 0)) if fill_one_less else np.minimum(d, y)
    return FillRuns(D, F)


def _fill_policy():
    prob = Problem(fill_contract(T=4, aL="0.7", aU="0.9"), Poisson(3), 1)
    return solve_dynamic(prob, max_stock=15).policy


def test_simulation_passes_at_the_nominal_rate():
    from slamarkov.simulation.fill import simulate_fill, validate_fill

    pol = _fill_policy()
    exact = pol.fill_rate()
    passed = [validate_fill(exact, simulate_fill(pol, 4000, seed=s), level=0.05).passed
              for s in range(40)]
    # DKW is conservative: rejections are at most Binomial(40, 0.05), here bounded by its
    # 1 - 1e-3 quantile (no slack chosen to pass: a test at level 0.05 fails this 1 in 1000)
    from scipy import stats

    assert 40 - sum(passed) <= stats.binom.ppf(1 - 1e-3, 40, 0.05)


@pytest.mark.parametrize("mutation", ["fill_one_less", "count_periods"])
def test_validation_catches_a_wrong_simulator(mutation):
    from slamarkov.simulation.fill import validate_fill

    pol = _fill_policy()
    exact = pol.fill_rate()
    for seed in range(5):
        wrong = _mutant(pol, 4000, seed, **{mutation: True})
        assert not validate_fill(exact, wrong, level=0.05).passed


def test_simulated_totals_follow_the_rules():
    from slamarkov.simulation.fill import simulate_fill

    pol = _fill_policy()
    r = simulate_fill(pol, 2000, seed=7)
    assert (r.filled_total <= r.demand_total).all()
    assert abs(r.fill_rate.mean() - float(pol.fill_rate().mean)) < 0.01


def test_size_check_knows_the_state_count_before_allocating():
    from slamarkov import memory_limit
    from slamarkov.errors import SizeError
    from slamarkov.solve.fill import fill_state_count

    prob = Problem(fill_contract(T=30), Poisson(5), 1)
    n = fill_state_count(prob)
    assert n == 731_430
    with memory_limit(gib=0.01):
        with pytest.raises(SizeError, match=rf"^contract\.review_period: T = 30 \(fill rate\) "
                                            rf"gives {n:,} states"):
            solve_dynamic(prob, max_stock=40)
    # a review period far too long is refused on a lower bound, before the cut's convolution
    with memory_limit(gib=1):
        with pytest.raises(SizeError, match=r"gives at least"):
            solve_static(Problem(fill_contract(T=5000), Poisson(5), 1), max_stock=40)
