"""State classes and outcome indicators of a fill-rate contract, in units (docs/model.md section
14: "State classes and outcome indicators in units").

The brute forces share nothing with the code they check: the decided outcomes list every final
(D, F) reachable from a state over all demand paths and all fills 0 <= f <= d; the indicators
walk every demand path under the policy, with the chance of each outcome from a state summed
over its own remaining paths.
"""

from __future__ import annotations

import functools
import itertools
import math
import random
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slamarkov import Contract, DiscreteUniform, Empirical, Poisson, Policy, Problem
from slamarkov.analysis.fill_gaming import fill_gaming_indicators
from slamarkov.chain import AbsorbingChain
from slamarkov.chain.classes import (
    FILL_INDICATORS,
    FILL_STRATEGIC_INDICATORS,
    OPEN,
    decided_codes,
    fill_indicators,
    state_classes,
)
from slamarkov.chain.fill_classes import expected_filled, fill_outcome_ends, fill_ratio
from slamarkov.chain.space import StateSpace
from slamarkov.solve import solve_both, solve_dynamic


def _pmf(demand):
    u = int(demand.upper)
    F, _ = demand.table(u, exact=True)
    return [F[0]] + [F[k] - F[k - 1] for k in range(1, u + 1)]


def _outcome(contract, D, F, amounts=True):
    """-1 penalty, +1 bonus, 0 neither of a final (D, F), by Fractions."""
    fr = Fraction(1) if D == 0 else Fraction(F, D)
    if fr < contract.penalty_threshold and (contract.penalty > 0 or not amounts):
        return -1
    if fr >= contract.bonus_threshold and (contract.bonus > 0 or not amounts):
        return 1
    return 0


def _brute_decided(contract, support, i, D, F, amounts=True):
    """The outcome every final (D, F) reachable from (i, D, F) has, or OPEN: every demand path
    and every fill 0 <= f <= d of the periods left."""
    steps = [(d, f) for d in support for f in range(d + 1)]
    seen = set()
    for path in itertools.product(steps, repeat=contract.review_period - i + 1):
        seen.add(_outcome(contract, D + sum(d for d, _ in path), F + sum(f for _, f in path),
                          amounts))
        if len(seen) > 1:
            return OPEN
    return seen.pop()


def _contract(rng, T):
    aL = Fraction(rng.randint(0, 10), 10)
    aU = aL + Fraction(rng.randint(0, 10 - int(aL * 10)), 10)
    return Contract(T, aL, aU, rng.choice(["lump-sum", "linear"]),
                    penalty=rng.choice([0, 3]), bonus=rng.choice([0, 2]), measure="fill-rate")


DEMANDS = [DiscreteUniform(0, 2), DiscreteUniform(1, 2), Empirical(["1/2", "0", "1/2"]),
           Empirical(["0", "0", "1"]), Empirical(["1"]), DiscreteUniform(0, 1)]


@pytest.mark.parametrize("k", range(len(DEMANDS)))
def test_decided_outcomes_equal_brute_force(k):
    demand = DEMANDS[k]
    support = [d for d, p in enumerate(_pmf(demand)) if p]
    rng = random.Random(14 + k)
    for T in (1, 2, 3, 4):
        for _ in range(4 if T < 4 else 2):
            contract = _contract(rng, T)
            problem = Problem(contract, demand, 1)
            space = StateSpace.for_problem(problem)
            i, D, F = space.coordinates()[:3]
            states = list(zip(i.tolist(), D.tolist(), F.tolist()))
            for amounts in (True, False):
                got = decided_codes(space, contract, amounts=amounts).tolist()
                want = [_brute_decided(contract, support, *s, amounts=amounts) for s in states]
                assert got == want, (contract, amounts)
            # the chain's named sets are the bands' decided states
            chain = AbsorbingChain(Policy.constant(problem, 1))
            bands = [_brute_decided(contract, support, *s, amounts=False) for s in states]
            assert chain.penalty_certain().tolist() == [b == -1 for b in bands]
            assert chain.bonus_secured().tolist() == [b == 1 for b in bands]


def test_the_brute_force_cases_decide_every_way():
    """The cases above meet every decided outcome and open states (a test that can fail)."""
    seen = set()
    rng = random.Random(14)
    for T in (1, 2, 3):
        for _ in range(6):
            contract = _contract(rng, T)
            space = StateSpace.for_problem(Problem(contract, DiscreteUniform(0, 2), 1))
            seen |= set(decided_codes(space, contract).tolist())
    assert seen == {-1, 0, 1, OPEN}


def test_unbounded_demand_takes_the_limits():
    """Poisson demand: from any state with a period left, a rate near 0 and near 1 is reachable;
    1 itself only when F = D (docs/model.md section 14)."""
    c = Contract(3, Fraction(1, 2), 1, penalty=5, bonus=2, measure="fill-rate")
    low, high = fill_outcome_ends(c, math.inf, [2, 2, 3, 4], [5, 5, 0, 5], [5, 4, 0, 4])
    assert low.tolist() == [-1, -1, -1, 0]  # the end (4, 5, 4): 4/5
    assert high.tolist() == [1, 0, 1, 0]  # a bonus at alpha_U = 1 needs F = D
    c0 = Contract(3, 0, Fraction(1, 2), penalty=5, bonus=2, measure="fill-rate")
    low, high = fill_outcome_ends(c0, math.inf, [2], [5], [1])
    assert (low.tolist(), high.tolist()) == ([0], [1])  # alpha_L = 0: no penalty ever
    # and the float mode's cut of the support does not enter: decided by the model's support
    prob = Problem(c, Poisson(2), 1)
    space = StateSpace.for_problem(prob)
    codes = decided_codes(space, c)
    _, D, F = space.coordinates()[:3]
    assert set(codes[F < D].tolist()) <= {-1, OPEN}  # a penalty stays reachable


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 8), st.integers(0, 8), st.integers(1, 3), st.integers(0, 10),
       st.integers(0, 10))
def test_unbounded_is_the_limit_of_a_wide_support(D, dF, r, a, b):
    """The ends with unbounded demand are those of a support 0..u for every large u."""
    F = max(D - dF, 0)
    aL, aU = sorted((Fraction(a, 10), Fraction(b, 10)))
    c = Contract(3, aL, aU, penalty=1, bonus=1, measure="fill-rate")
    i = 4 - r
    inf = [x.tolist() for x in fill_outcome_ends(c, math.inf, [i], [D], [F])]
    wide = [x.tolist() for x in fill_outcome_ends(c, 10**9, [i], [D], [F])]
    assert inf == wide


# -- the indicators ---------------------------------------------------------------------------

def _brute_indicators(problem, policy, S):
    """give-up, coasting periods and withheld/added units (open, decided) by every path."""
    pmf = _pmf(problem.demand)
    support = [d for d, p in enumerate(pmf) if p]
    c, T = problem.contract, problem.review_period
    space = policy.space
    mean = sum(d * p for d, p in enumerate(pmf))

    def e(y):
        return sum(p * min(d, y) for d, p in enumerate(pmf))

    def ratio(y):
        return Fraction(1) if mean == 0 else e(y) / mean

    def order(i, D, F, x):
        coords = (i, D, F, x) if space.carry else (i, D, F)
        return int(policy.stock[space.index(*coords)])

    @functools.lru_cache(maxsize=None)
    def chance(i, D, F, x, want):
        if i > T:
            return Fraction(int(_outcome(c, D, F) == want))
        y = order(i, D, F, x)
        return sum(pmf[d] * chance(i + 1, D + d, F + min(d, y),
                                   max(y - d, 0) if problem.carries else 0, want)
                   for d in support)

    out = dict.fromkeys(FILL_INDICATORS[:8], Fraction(0))
    half = Fraction(1, 2)

    def walk(i, D, F, x, prob):
        if i > T:
            return
        y, y_ref = order(i, D, F, x), max(S, x)
        if ratio(y) < c.penalty_threshold and chance(i, D, F, x, -1) > half:
            out["give_up_periods"] += prob
        if ratio(y) < c.bonus_threshold and chance(i, D, F, x, 1) > half:
            out["coasting_periods"] += prob
        part = "open" if _brute_decided(c, support, i, D, F) == OPEN else "decided"
        gap = e(y_ref) - e(y)
        for name, v in (("withheld", max(gap, 0)), ("added", max(-gap, 0))):
            out[f"{name}_filled_units"] += prob * v
            out[f"{name}_filled_units_{part}"] += prob * v
        for d in support:
            walk(i + 1, D + d, F + min(d, y), max(y - d, 0) if problem.carries else 0,
                 prob * pmf[d])

    walk(1, 0, 0, int(problem.initial_stock), Fraction(1))
    return out


CASES = [
    # (T, demand, leftover, scheme, aL, aU, penalty, bonus, h, x0)
    (2, DiscreteUniform(0, 2), "discard", "lump-sum", "1/2", "3/4", 1, 4, "1/2", 0),
    (3, DiscreteUniform(0, 2), "discard", "lump-sum", "0.8", "0.9", 2, 1, "1/2", 0),
    (3, Empirical(["1/4", "1/2", "1/4"]), "discard", "lump-sum", "0.6", "0.9", 8, 5, 1, 1),
    (3, DiscreteUniform(1, 2), "discard", "linear", "0.7", "1", 10, 4, "1/2", 0),
    (3, DiscreteUniform(0, 2), "carry", "linear", "0.6", "0.9", 25, 15, "1/2", 0),
    (3, Empirical(["1/3", "1/6", "1/2"]), "carry", "lump-sum", "0.7", "0.9", 6, 4, 1, 1),
    (4, DiscreteUniform(0, 1), "discard", "lump-sum", "0.5", "1", 3, 2, 2, 0),
    (2, DiscreteUniform(0, 3), "carry", "lump-sum", "1/2", "3/4", 3, 6, "1/2", 2),
    (3, DiscreteUniform(0, 2), "carry", "linear", "0.7", "1", 3, 6, 2, 0),  # adds once decided
]


def _problem(case):
    T, demand, leftover, scheme, aL, aU, Lm, Lp, h, x0 = case
    contract = Contract(T, aL, aU, scheme, penalty=Lm, bonus=Lp, measure="fill-rate")
    return Problem(contract, demand, h, leftover=leftover, initial_stock=x0)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"T{c[0]}-{c[2]}-{c[3]}-{c[4]}-{c[5]}")
def test_indicators_equal_brute_force(case):
    problem = _problem(case)
    both = solve_both(problem, max_stock=4, exact=True)
    S = both.static.base_stock
    for sol in both:
        got = fill_gaming_indicators(sol, both.static)
        want = _brute_indicators(problem, sol.policy, S)
        for k, v in want.items():
            assert got[k] == v, k
        assert all(isinstance(v, Fraction) for v in got.values())
        # from another start, without the reference's distribution: the same passes
        assert fill_indicators(sol, S) == got


def test_the_cases_are_not_all_zero():
    seen = set()
    for case in CASES:
        problem = _problem(case)
        both = solve_both(problem, max_stock=4, exact=True)
        for sol in both:
            got = fill_gaming_indicators(sol, both.static)
            seen |= {k for k, v in got.items() if v != 0}
    assert seen == set(FILL_INDICATORS)


def test_static_policy_scores_exactly_zero_on_the_strategic_indicators():
    rng = random.Random(7)
    for _ in range(20):
        problem = Problem(_contract(rng, rng.randint(1, 4)), DiscreteUniform(0, rng.randint(1, 3)),
                          Fraction(rng.randint(1, 6), 4),
                          leftover=rng.choice(["discard", "carry"]),
                          initial_stock=rng.randint(0, 2))
        exact = rng.random() < 0.5
        both = solve_both(problem, max_stock=5, exact=exact)
        got = fill_gaming_indicators(both.static, both.static)
        assert all(got[k] == 0 and type(got[k]) is (Fraction if exact else float)
                   for k in FILL_STRATEGIC_INDICATORS)


def test_state_classes_of_a_fill_policy():
    problem = _problem(CASES[0])
    both = solve_both(problem, exact=True)
    cls = state_classes(both.dynamic, both.static.base_stock)
    assert list(cls)[:4] == ["stage", "demand_total", "filled_total", "stock"]
    assert [str(r) for r in cls["fill_ratio"]] == ["1", "1", "2/3", "1", "0", "1", "2/3"]
    assert cls["role"].tolist()[-1] == "coasting"
    assert [str(w) for w in cls["withheld"]] == ["0", "0", "1/3", "0", "1", "0", "1/3"]


def test_fill_ratio_is_the_long_run_fill_rate():
    """e(y)/E[d] exactly, and 1 when nothing is ever demanded."""
    d = Empirical(["1/4", "1/2", "1/4"])
    assert [str(e) for e in expected_filled(d, 3, exact=True)] == ["0", "3/4", "1", "1"]
    assert [str(r) for r in fill_ratio(d, [0, 1, 2, 5], exact=True)] == ["0", "3/4", "1", "1"]
    assert fill_ratio(Empirical(["1"]), [0], exact=True)[0] == 1
    # float mode on unbounded demand: the model's e(y), no cut
    assert fill_ratio(Poisson(5), [5])[0] == pytest.approx(
        sum(min(k, 5) * math.exp(-5) * 5**k / math.factorial(k) for k in range(80)) / 5,
        rel=1e-12)


# -- properties -------------------------------------------------------------------------------

@st.composite
def small_problems(draw):
    T = draw(st.integers(1, 3))
    weights = draw(st.lists(st.integers(0, 4), min_size=1, max_size=3).filter(sum))
    pmf = [Fraction(w, sum(weights)) for w in weights]
    aL = Fraction(draw(st.integers(0, 10)), 10)
    aU = aL + Fraction(draw(st.integers(0, 10 - int(aL * 10))), 10)
    contract = Contract(T, aL, aU, draw(st.sampled_from(["lump-sum", "linear"])),
                        penalty=draw(st.integers(0, 20)), bonus=draw(st.integers(0, 10)),
                        measure="fill-rate")
    return Problem(contract, Empirical([str(p) for p in pmf]), Fraction(draw(st.integers(1, 4)), 2),
                   leftover=draw(st.sampled_from(["discard", "carry"])))


@settings(max_examples=40, deadline=None)
@given(small_problems())
def test_classes_are_disjoint_and_decided_means_certain(problem):
    sol = solve_dynamic(problem, max_stock=3, exact=True)
    cls = state_classes(sol)
    c = problem.contract
    assert not np.any((cls["p_penalty"] > Fraction(1, 2)) & (cls["p_bonus"] > Fraction(1, 2)))
    if c.penalty == 0:
        assert "give-up" not in cls["role"].tolist()
    if c.bonus == 0:
        assert "coasting" not in cls["role"].tolist()
    # a decided outcome has probability 1 under any policy, the policy's included
    for label, p_pen, p_bon in zip(cls["decided"], cls["p_penalty"], cls["p_bonus"]):
        if label == "penalty-certain":
            assert p_pen == 1
        elif label == "bonus-secured":
            assert p_bon == 1
        elif label == "neutral-decided":
            assert p_pen == 0 and p_bon == 0
    ind = fill_indicators(sol, 1)
    assert ind["give_up_periods"] + ind["coasting_periods"] <= problem.review_period
    assert ind["withheld_filled_units"] == (ind["withheld_filled_units_open"]
                                            + ind["withheld_filled_units_decided"])
    if c.penalty == 0:
        assert ind["give_up_periods"] == 0


@pytest.mark.parametrize("case", CASES[:6], ids=lambda c: f"T{c[0]}-{c[2]}-{c[3]}-{c[4]}")
def test_class_masks_equal_brute_force(case):
    """Every transient state's role, decided outcome and chances of each outcome, by walking
    its remaining paths (reachable or not)."""
    problem = _problem(case)
    pol = solve_dynamic(problem, max_stock=4, exact=True).policy
    space, c, T = pol.space, problem.contract, problem.review_period
    pmf = _pmf(problem.demand)
    support = [d for d, p in enumerate(pmf) if p]
    mean = sum(d * p for d, p in enumerate(pmf))
    cls = state_classes(pol)
    coords = list(zip(*(a.tolist() for a in space.coordinates())))

    def order(i, D, F, x):
        return int(pol.stock[space.index(*((i, D, F, x) if space.carry else (i, D, F)))])

    def chances(i, D, F, x):
        """(P(penalty), P(bonus)) from (i, D, F, x) over every remaining demand path."""
        pen = bon = Fraction(0)
        for path in itertools.product(support, repeat=T - i + 1):
            DD, FF, xx, p = D, F, x, Fraction(1)
            for k, d in enumerate(path, start=i):
                y = order(k, DD, FF, xx)
                p *= pmf[d]
                DD, FF = DD + d, FF + min(d, y)
                xx = max(y - d, 0) if problem.carries else 0
            pen += p * (_outcome(c, DD, FF) == -1)
            bon += p * (_outcome(c, DD, FF) == 1)
        return pen, bon

    labels = {-1: "penalty-certain", 0: "neutral-decided", 1: "bonus-secured", OPEN: "open"}
    for k, (i, D, F, x) in enumerate(coords):
        pen, bon = chances(i, D, F, x)
        y = order(i, D, F, x)
        ratio = sum(p * min(d, y) for d, p in enumerate(pmf)) / mean
        role = ("give-up" if ratio < c.penalty_threshold and pen > Fraction(1, 2) else
                "coasting" if ratio < c.bonus_threshold and bon > Fraction(1, 2) else "trying")
        assert (cls["p_penalty"][k], cls["p_bonus"][k]) == (pen, bon), (i, D, F, x)
        assert cls["fill_ratio"][k] == ratio
        assert cls["role"][k] == role, (i, D, F, x)
        assert cls["decided"][k] == labels[_brute_decided(c, support, i, D, F)]


def test_the_gaming_api_reads_a_fill_rate_policy_in_units():
    """analysis.gaming.gaming_indicators on a fill-rate solution gives the indicators in units
    (with the static solution, both solutions, or the reference solved for it)."""
    from slamarkov.analysis.gaming import gaming_indicators

    both = solve_both(_problem(CASES[0]), exact=True)
    want = fill_gaming_indicators(both.dynamic, both.static)
    assert gaming_indicators(both.dynamic, both) == want
    assert gaming_indicators(both.dynamic) == want
    assert all(gaming_indicators(both.static)[k] == 0 for k in FILL_STRATEGIC_INDICATORS)
