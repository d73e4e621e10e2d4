"""Tests of the gaming indicators and the state classes (docs/model.md section 12;
slamarkov.chain.classes, slamarkov.analysis.gaming).

Order: exact values worked by hand on a two-period chain and the issue's reproducer, then the
brute force (every demand path of T <= 4 enumerated, written without the chain's code), then the
invariants on random contracts (the static policy scores exactly 0 on every strategic indicator,
a policy that abandons from period 1 gives up T periods).
"""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest

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
    solve_both,
    solve_dynamic,
    solve_static,
)
from slamarkov.analysis.gaming import (
    GAMING_INDICATORS,
    OUTCOME_INDICATORS,
    STRATEGIC_INDICATORS,
    coasting_states,
    gaming_indicators,
    give_up_states,
    ready_rate_gap,
)
from slamarkov.chain.classes import decided_outcome, indicators, state_classes

U09 = DiscreteUniform(0, 9)  # F(S) = (S + 1) / 10

#: the issue's reproducer: a penalty too cheap to buy any service
CHEAP = Contract(10, 0.8, 0.9, LUMP_SUM, penalty=8, bonus=6)


class TestHandWorked:
    def test_two_periods(self):
        # n_L = n_U = 2; (1, 0) stocks 6 (F = 7/10), (2, 0) 0 (F = 1/10), (2, 1) 8 (F = 9/10)
        pol = Policy(Problem(Contract(2, 1, 1, penalty=10, bonus=5), U09, 1), [[6], [0, 8]],
                     exact=True)
        out = gaming_indicators(pol, 8)  # the reference orders 8 (F = 9/10) everywhere
        F = Fraction
        assert out == {
            # (2, 0): the penalty is certain and F(0) < 1; reached w.p. 3/10
            "give_up_periods": F(3, 10),
            # (1, 0): P(bonus) = 63/100 > 1/2 and F(6) < 1; (2, 1): P(bonus) = 9/10
            "coasting_periods": 1 + F(7, 10),
            "withheld_ready_periods": F(2, 10) + F(3, 10) * F(8, 10),
            "withheld_ready_periods_open": F(2, 10),
            "withheld_ready_periods_decided": F(3, 10) * F(8, 10),
            "added_ready_periods": 0, "added_ready_periods_open": 0,
            "added_ready_periods_decided": 0,
            # P(v_T = 2) = 63/100 against Binomial(2, 9/10): 81/100
            "bunching_excess_bonus": F(63, 100) - F(81, 100),
            "bunching_excess_penalty": F(63, 100) - F(81, 100),
        }
        assert all(isinstance(x, Fraction) for x in out.values())

    def test_state_classes_name_every_state(self):
        pol = Policy(Problem(Contract(2, 1, 1, penalty=10, bonus=5), U09, 1), [[6], [0, 8]],
                     exact=True)
        cls = state_classes(pol, 8)
        assert cls["role"].tolist() == ["coasting", "give-up", "coasting"]
        assert cls["decided"].tolist() == ["open", "penalty-certain", "open"]
        assert cls["p_penalty"].tolist() == [Fraction(37, 100), 1, Fraction(1, 10)]
        assert cls["withheld"].tolist() == [Fraction(2, 10), Fraction(8, 10), 0]
        assert give_up_states(pol).tolist() == [False, True, False]
        assert coasting_states(pol).tolist() == [True, False, True]

    def test_decided_reads_every_contract_the_same_way(self):
        # a zero amount is no outcome: penalty-only has no bonus to secure, bonus-only no
        # penalty to be certain of
        i, v = [8, 10, 6, 11], [2, 9, 5, 8]
        both = Contract(10, 0.8, 0.9, penalty=5, bonus=3)
        assert decided_outcome(both, i, v).tolist() == [-1, 1, 2, 0]
        assert decided_outcome(Contract(10, 0.8, 0.9, LINEAR, penalty=5), i, v).tolist() \
            == [-1, 0, 2, 0]
        assert decided_outcome(Contract(10, 0.8, 0.9, bonus=3), i, v).tolist() == [0, 1, 2, 0]

    def test_ready_gap(self):
        prob = Problem(Contract.study(10), Poisson(5), 0.5)
        dyn, sta = solve_dynamic(prob, max_stock=40), solve_static(prob, max_stock=40)
        gap = ready_rate_gap(dyn, sta)
        assert gap == sta.ready_rate.mean - dyn.ready_rate.mean
        assert ready_rate_gap(dyn.ready_rate, sta.ready_rate) == gap

    def test_bad_input(self):
        with pytest.raises(ChainError, match="policy"):
            gaming_indicators("not a policy")
        pol = Policy(Problem(Contract(2, 1, 1, penalty=10), U09, 1), [[6], [0, 8]])
        with pytest.raises(ChainError, match="state"):
            gaming_indicators(pol, 8, start=(4, 0))


class TestReproducer:
    """The issue's contract: both policies stock nothing in all 10 periods."""

    @pytest.mark.parametrize("leftover", ["discard", "carry"])
    def test_give_up_from_period_one(self, leftover):
        prob = Problem(CHEAP, Poisson(5), 1, leftover=leftover)
        both = solve_both(prob, max_stock=40)
        assert both.static.base_stock == 0
        assert both.dynamic.ready_rate.p_penalty > 0.99999
        for sol in both:
            cls = state_classes(sol.policy)
            visits = np.asarray(AbsorbingChain(sol.policy).visits((1, 0)), dtype=float)
            per_period = np.bincount(cls["stage"], weights=visits * (cls["role"] == "give-up"))
            assert per_period[1:].min() > 0.9999  # every period, period 1 included
            assert gaming_indicators(sol, both)["give_up_periods"] > 9.9999
        assert gaming_indicators(both.static)["give_up_periods"] == 10.0


def _walk(prob, orders, start, on_state):
    """Every demand path from ``start``, by hand: ``on_state(state, y, p)`` at each transient
    state a path visits with p its probability; returns P(v_T = n) for n = 0..T."""
    T = prob.review_period
    lo, hi = prob.demand.low, prob.demand.high
    pd = Fraction(1, hi - lo + 1)
    final = [Fraction(0)] * (T + 1)

    def go(i, v, x, p):
        if i > T:
            final[v] += p
            return
        y = orders(i, v, x)
        on_state((i, v, x), y, p)
        for d in range(lo, hi + 1):
            ready = d <= y
            left = y - d if (ready and prob.carries) else 0
            go(i + 1, v + ready, left, p * pd)

    go(*start, Fraction(1))
    return final


def _brute(pol, S, start):
    """The indicators of docs/model.md section 12, from their definitions on enumerated paths."""
    prob, c = pol.problem, pol.problem.contract
    T, lo, hi = prob.review_period, prob.demand.low, prob.demand.high

    def F(y):
        return Fraction(max(0, min(y, hi) - lo + 1), hi - lo + 1)

    def orders(i, v, x):
        return pol.stock_at(i, v, x) if prob.carries else pol.stock_at(i, v)

    def outcome(n):
        if n < c.penalty_count and c.penalty > 0:
            return -1
        return 1 if (n >= c.bonus_count and c.bonus > 0) else 0

    out = dict.fromkeys(GAMING_INDICATORS, Fraction(0))

    def on_state(s, y, p):
        i, v, x = s
        final = _walk(prob, orders, s, lambda *a: None)
        p_pen = sum(q for n, q in enumerate(final) if outcome(n) == -1)
        p_bon = sum(q for n, q in enumerate(final) if outcome(n) == 1)
        if F(y) < c.penalty_threshold and p_pen > Fraction(1, 2):
            out["give_up_periods"] += p
        if F(y) < c.bonus_threshold and p_bon > Fraction(1, 2):
            out["coasting_periods"] += p
        part = "decided" if len({outcome(n) for n in range(v, min(v + T - i + 1, T) + 1)}) == 1 \
            else "open"
        gap = F(max(S, x)) - F(y)
        out[f"withheld_ready_periods_{part}"] += p * max(gap, 0)
        out[f"added_ready_periods_{part}"] += p * max(-gap, 0)

    final = _walk(prob, orders, start, on_state)
    ref = _walk(prob, lambda i, v, x: max(S, x), start, lambda *a: None)
    for k in ("withheld_ready_periods", "added_ready_periods"):
        out[k] = out[k + "_open"] + out[k + "_decided"]
    out["bunching_excess_bonus"] = final[c.bonus_count] - ref[c.bonus_count]
    out["bunching_excess_penalty"] = final[c.penalty_count] - ref[c.penalty_count]
    return out


def _random_contract(rng, T):
    aL = Fraction(rng.randint(0, 10), 10)
    aU = aL + Fraction(rng.randint(0, 10 - int(aL * 10)), 10)
    return Contract(T, aL, aU, rng.choice([LUMP_SUM, LINEAR]),
                    penalty=rng.choice([0, 1, 5, 20]), bonus=rng.choice([0, 1, 3, 12]))


def _random_problem(rng, T, demand):
    carry = rng.random() < 0.5
    c = rng.choice([0, 0, 1])
    return Problem(_random_contract(rng, T), demand, Fraction(rng.randint(1, 8), 4),
                   purchase_cost=c, salvage_value=rng.choice([0, c]) if carry else 0,
                   leftover="carry" if carry else "discard",
                   initial_stock=rng.choice([0, 0, 1, 3]))


class TestBruteForce:
    """Every indicator equals its definition evaluated on every demand path (T <= 4)."""

    @pytest.mark.parametrize("seed", range(12))
    def test_indicators_equal_enumeration(self, seed):
        rng = random.Random(seed)
        T = rng.randint(1, 4)
        lo = rng.randint(0, 1)
        prob = _random_problem(rng, T, DiscreteUniform(lo, lo + rng.randint(1, 3)))
        both = solve_both(prob, exact=True)
        S = both.static.base_stock
        space = both.dynamic.policy.space
        K = space.max_stock if prob.carries else 6
        if prob.carries:  # a user's table: any y >= x
            x = space.coordinates()[-1]
            y = np.minimum(x + np.array([rng.randint(0, 2) for _ in x]), max(K, x.max()))
            user = Policy(prob, y, exact=True, max_stock=K)
        else:
            user = Policy(prob, [rng.randint(0, K) for _ in range(space.n_transient)],
                          exact=True)
        for pol in (both.dynamic.policy, both.static.policy, user):
            starts = [(1, 0, prob.initial_stock)] + [
                tuple(k) if prob.carries else (*k, 0)
                for k in pol.space.keys_at(rng.sample(range(pol.space.n_transient),
                                                      min(2, pol.space.n_transient)))]
            for s in starts:
                if s[0] == 1:
                    s = (1, 0, prob.initial_stock)
                key = s if prob.carries else s[:2]
                assert indicators(pol, S, key) == _brute(pol, S, s), (pol.kind, s)


class TestStaticScoresZero:
    """The non-strategic reference scores exactly 0 on every strategic indicator, with or
    without stock carried over, exact or float, from any start state."""

    def test_200_random_contracts(self):
        rng = random.Random(20)
        seen = set()
        for _ in range(200):
            T = rng.randint(1, 9)
            exact = rng.random() < 0.3
            demand = DiscreteUniform(0, rng.randint(1, 8)) if exact else Poisson(
                Fraction(rng.randint(2, 16), 2))
            prob = _random_problem(rng, T, demand)
            seen.add((prob.leftover, exact))
            sta = solve_static(prob, exact=exact)
            space = sta.policy.space
            starts = [(1, 0)] + space.keys_at(rng.sample(range(space.n_transient),
                                                         min(3, space.n_transient)))
            for s in starts:
                out = gaming_indicators(sta, start=s)
                for k in STRATEGIC_INDICATORS:
                    assert out[k] == 0, (k, s, prob)
                    assert isinstance(out[k], Fraction if exact else float)
        assert seen == {(r, e) for r in ("discard", "carry") for e in (False, True)}

    def test_dynamic_against_its_reference_is_not_zero(self):
        both = solve_both(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40)
        out = gaming_indicators(both.dynamic, both)
        assert out["withheld_ready_periods"] > 0.5 and out["bunching_excess_bonus"] > 0.5
        assert out["withheld_ready_periods"] == pytest.approx(
            out["withheld_ready_periods_open"] + out["withheld_ready_periods_decided"], abs=1e-15)


class TestAbandonment:
    @pytest.mark.parametrize("leftover", ["discard", "carry"])
    def test_abandoning_from_period_one_gives_up_T_periods(self, leftover):
        # demand is never 0, so stock 0 is never ready: v stays 0 and the penalty is certain
        for T in (1, 4, 9):
            prob = Problem(Contract(T, 0.5, 0.9, penalty=5, bonus=3), DiscreteUniform(1, 4), 1,
                           leftover=leftover)
            pol = Policy.base_stock(prob, 0, max_stock=4, exact=True)
            out = gaming_indicators(pol)
            assert out["give_up_periods"] == T
            assert out["coasting_periods"] == 0

    def test_outcome_indicators_may_be_nonzero_for_the_static_policy(self):
        out = gaming_indicators(solve_static(Problem(CHEAP, Poisson(5), 1), max_stock=40))
        assert out["give_up_periods"] == 10.0
        assert set(OUTCOME_INDICATORS) < set(out)


class TestIssueReproducers:
    def test_base_stock_with_carry_over_is_not_gaming(self):
        # linear, T = 9, h = 2.5, stock carried over: the static policy holds stock and orders
        # nothing in many states; it withholds nothing against itself, and the inspection names
        # no state as withholding (it used to label 170 states "penalty-avoidable")
        prob = Problem(Contract.study(9, LINEAR), Poisson(5), 2.5, leftover="carry")
        both = solve_both(prob)
        out = gaming_indicators(both.static, both)
        assert all(out[k] == 0.0 for k in STRATEGIC_INDICATORS)
        from slamarkov.analysis.inspect import inspect_policy

        rep = inspect_policy(both.static.policy, reference=both.static)
        assert rep.withholding == {} and rep.adding == {}
        assert gaming_indicators(both.dynamic, both)["withheld_ready_periods"] > 0

    def test_bunching_is_measured_against_the_reference(self):
        # n_U = T = 6: P(v_T = n_U) is P(bonus) itself (0.82 for both policies), no bunching
        prob = Problem(Contract.study(6, bonus_threshold="0.85"), Poisson(5), 0.5)
        both = solve_both(prob)
        assert both.dynamic.ready_rate.p_bonus > 0.8
        out = gaming_indicators(both.dynamic, both)
        assert abs(out["bunching_excess_bonus"]) < 1e-12

    def test_exact_and_float_agree(self):
        prob = Problem(Contract(5, 0.6, 0.8, penalty=12, bonus=4), DiscreteUniform(0, 6), 1,
                       leftover="carry", initial_stock=2)
        ex, fl = solve_both(prob, exact=True), solve_both(prob)
        for kind in ("dynamic", "static"):
            a, b = gaming_indicators(ex[kind], ex), gaming_indicators(fl[kind], fl)
            assert set(a) == set(GAMING_INDICATORS) == set(b)
            for k in GAMING_INDICATORS:
                assert isinstance(a[k], Fraction)
                assert float(a[k]) == pytest.approx(b[k], abs=1e-12), k

    def test_any_start_state(self):
        # from a start state, the indicators look forward from there (the reference too)
        both = solve_both(Problem(Contract.study(8), Poisson(5), 0.5), max_stock=40)
        out = gaming_indicators(both.dynamic, both, start=(8, 7))
        assert out["coasting_periods"] + out["give_up_periods"] <= 1
        assert gaming_indicators(both.static, both, start=(5, 1))["withheld_ready_periods"] == 0
