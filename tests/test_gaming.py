"""Tests of slamarkov.analysis.gaming (docs/model.md section 12): give-up, coasting, bunching, ready gap.

Order: exact values worked by hand on two-period chains, then invariants (the one-pass indicators
equal row sums of N over the masks, the masks follow their definitions state by state, the sets
are disjoint), then property tests on random problems.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slamarkov import (
    LINEAR,
    LUMP_SUM,
    AbsorbingChain,
    ChainError,
    Contract,
    DiscreteUniform,
    Poisson,
    Policy,
    Problem,
    solve_dynamic,
    solve_static,
)
from slamarkov.analysis.gaming import (
    GAMING_INDICATORS,
    coasting_states,
    gaming_indicators,
    give_up_states,
    ready_rate_gap,
)

U09 = DiscreteUniform(0, 9)  # F(S) = (S + 1) / 10


def _policy(contract, table, exact=True):
    return Policy(Problem(contract, U09, 1), table, exact=exact)


class TestHandWorked:
    def test_give_up_after_a_miss(self):
        # T = 2, both thresholds at 1: (2, 0) has the penalty certain and stocks nothing
        pol = _policy(Contract(2, 1, 1, penalty=10, bonus=5), [[6], [0, 8]])
        out = gaming_indicators(pol)
        assert out == {"give_up_periods": Fraction(3, 10), "coasting_periods": 0,
                       "p_bunching": Fraction(7, 10) * Fraction(9, 10)}
        assert all(isinstance(x, Fraction) for x in out.values())

    def test_zero_stock_with_something_at_stake_is_neither(self):
        pol = _policy(Contract(2, 1, 1, penalty=10, bonus=5), [[6], [8, 0]])
        out = gaming_indicators(pol)
        assert out["give_up_periods"] == 0 and out["coasting_periods"] == 0

    def test_coasting_after_the_bonus(self):
        # thresholds at 1/2: one ready period secures the bonus; (2, 1) then stocks nothing
        pol = _policy(Contract(2, 0.5, 0.5, penalty=10, bonus=5), [[6], [3, 0]])
        out = gaming_indicators(pol)
        assert out["coasting_periods"] == Fraction(7, 10)
        assert out["give_up_periods"] == 0
        # bunching: the ready count ends at n_U = 1 exactly: (ready, short) or (short, ready);
        # stock 0 is ready when demand is 0 (F(0) = 1/10)
        assert out["p_bunching"] == Fraction(7, 10) * Fraction(9, 10) + Fraction(3, 10) * Fraction(4, 10)

    def test_nothing_at_stake_without_a_bonus(self):
        # penalty-only contract: once v >= n_L = 1 the settlement is 0 for good -> coasting
        c = Contract(3, Fraction(1, 3), 1, LUMP_SUM, penalty=10, bonus=0)
        pol = _policy(c, [[9], [0, 0], [9, 0, 0]])
        out = gaming_indicators(pol)
        # (2, 1) reached w.p. 1 (F(9) = 1), then (3, 1) w.p. 1: two coasting periods
        assert out["coasting_periods"] == 2
        assert out["give_up_periods"] == 0

    def test_linear_penalty_certain_still_gives_up(self):
        # linear: the penalty still shrinks with each ready period, yet it is certain
        c = Contract(2, 1, 1, LINEAR, penalty=10, bonus=0)
        ch = AbsorbingChain(_policy(c, [[0], [0, 0]]))
        mask = give_up_states(ch)
        # (1, 0): v + r = 2, not < 2; (2, 0): 1 < 2 certain; (2, 1): 2, not certain
        assert mask.tolist() == [False, True, False]

    def test_static_and_dynamic_gap(self):
        prob = Problem(Contract.study(10), Poisson(5), 0.5)
        dyn, sta = solve_dynamic(prob, max_stock=40), solve_static(prob, max_stock=40)
        gap = ready_rate_gap(dyn, sta)
        assert gap == sta.ready_rate.mean - dyn.ready_rate.mean
        assert ready_rate_gap(dyn.policy, sta.policy) == pytest.approx(gap, abs=1e-12)
        assert ready_rate_gap(dyn.ready_rate, sta.ready_rate) == gap


def _reference_masks(chain):
    """State-by-state definitions, straight from docs/model.md section 12."""
    c = chain.contract
    G = c.settlement(exact=True)
    T = chain.T
    give, coast = [], []
    for k in range(chain.n_transient):
        i, v = chain.state(k)
        r = T - i + 1
        zero = chain.policy.stock_at(i, v) == 0
        settled = G[v] == G[v + r]
        pc = c.penalty > 0 and v + r < c.penalty_count
        bs = c.bonus > 0 and v >= c.bonus_count
        give.append(zero and (pc or (settled and G[v] > 0)))
        coast.append(zero and (bs or (settled and G[v] <= 0)))
    return np.array(give), np.array(coast)


problems = st.builds(
    lambda T, aL, gap, scheme, Lm, Lp, h, mean: Problem(
        Contract(T, Fraction(aL, 20), min(Fraction(aL + gap, 20), Fraction(1)), scheme, Lm, Lp),
        Poisson(mean), Fraction(h, 4)),
    st.integers(1, 14), st.integers(0, 20), st.integers(0, 6), st.sampled_from((LUMP_SUM, LINEAR)),
    st.integers(0, 60), st.integers(0, 40), st.integers(1, 8), st.integers(1, 8),
)


class TestInvariants:
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(prob=problems, data=st.data())
    def test_one_pass_equals_expected_visits_with_masks(self, prob, data):
        sol = solve_dynamic(prob)
        ch = AbsorbingChain(sol.policy)
        give, coast = give_up_states(ch), coasting_states(ch)
        ref_give, ref_coast = _reference_masks(ch)
        assert give.tolist() == ref_give.tolist()
        assert coast.tolist() == ref_coast.tolist()
        assert not (give & coast).any()
        # the masks sit inside the chain's named sets
        zero = ch.zero_stock()
        assert not (give & ~zero).any() and not (coast & ~zero).any()
        assert not (coast & ch.penalty_certain() & (prob.contract.penalty > 0)).any()
        T = prob.review_period
        i = data.draw(st.integers(1, T))
        start = (i, data.draw(st.integers(0, i - 1)))
        out = gaming_indicators(sol, start=start)
        assert out["give_up_periods"] == pytest.approx(ch.expected_visits(give, start), abs=1e-12)
        assert out["coasting_periods"] == pytest.approx(ch.expected_visits(coast, start), abs=1e-12)
        assert out["p_bunching"] == ch.absorption(start)[prob.contract.bonus_count]
        # at most the periods left
        assert 0 <= out["give_up_periods"] + out["coasting_periods"] <= T - i + 1 + 1e-12

    @settings(max_examples=20, deadline=None)
    @given(prob=problems)
    def test_exact_mode_agrees_with_float(self, prob):
        prob = Problem(prob.contract, U09, prob.holding_cost)
        pol = solve_dynamic(prob, exact=True).policy
        ex = gaming_indicators(pol)
        # the same stock table in float (a float solve may break an exact tie the other way)
        fl = gaming_indicators(Policy(prob, pol.stock, exact=False))
        assert set(ex) == set(GAMING_INDICATORS) == set(fl)
        for k in GAMING_INDICATORS:
            assert isinstance(ex[k], Fraction)
            assert float(ex[k]) == pytest.approx(fl[k], abs=1e-12)

    def test_bad_input(self):
        with pytest.raises(ChainError, match="policy"):
            gaming_indicators("not a policy")
        pol = _policy(Contract(2, 1, 1, penalty=10), [[6], [0, 8]])
        with pytest.raises(ChainError, match="state"):
            gaming_indicators(pol, start=(4, 0))


class TestCarryOver:
    """States (i, v, x) with stock carried over (docs/model.md section 11): "stocking nothing"
    is adding no stock; the (i, v) conditions are unchanged."""

    @pytest.mark.parametrize("purchase", [0, 1])
    def test_masks_and_indicators_follow_the_definitions(self, purchase):
        from slamarkov.model.config import config_from_dict

        cfg = config_from_dict({
            "contract": {"review_period": 6, "penalty_threshold": 0.5, "bonus_threshold": 0.8,
                         "penalty": 30, "bonus": 12},
            "costs": {"holding": 0.5, "purchase": purchase},
            "inventory": {"leftover": "carry"},
            "demand": {"kind": "poisson", "mean": 3}})
        sol = solve_dynamic(cfg.problem, **cfg.solver_options())
        ch = AbsorbingChain(sol.policy)
        assert sol.policy.carries
        st = ch.states()
        t = ch.n_transient
        G = ch.contract.settlement(exact=True)
        zero = ch.zero_stock()
        c = ch.contract
        give, coast = np.zeros(t, bool), np.zeros(t, bool)
        for k in range(t):
            i, v = int(st["stage"][k]), int(st["ready_count"][k])
            r = ch.T - i + 1
            settled = G[v] == G[v + r]
            give[k] = zero[k] and ((v + r < c.penalty_count) or (settled and G[v] > 0))
            coast[k] = zero[k] and ((v >= c.bonus_count) or (settled and G[v] <= 0))
        assert give_up_states(sol).tolist() == give.tolist()
        assert coasting_states(sol).tolist() == coast.tolist()
        out = gaming_indicators(sol)
        assert out["give_up_periods"] == ch.expected_visits(give)
        assert out["coasting_periods"] == ch.expected_visits(coast)
        assert out["p_bunching"] == ch.absorption()[c.bonus_count]
