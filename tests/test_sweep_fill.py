"""Sweeps over fill-rate contracts and their indicators in units (docs/model.md section 14).

The brute force walks every demand path (T <= 3, small finite support, Fractions) under the
dynamic and the static policy and sums, period by period, the units the policy fills in
expectation less (more) than the reference "order up to max(S*, x)" would; it finds the lowest
value classes by listing every fraction F/D. It shares nothing with the forward pass it checks.
"""

from __future__ import annotations

import itertools
import json
import math
import random
from fractions import Fraction

import pytest

from slamarkov import Contract, DiscreteUniform, Empirical, Poisson, Problem
from slamarkov.analysis.fill_gaming import FILL_GAMING_INDICATORS, fill_gaming_indicators
from slamarkov.chain.classes import FILL_STRATEGIC_INDICATORS
from slamarkov.errors import ConfigError
from slamarkov.solve import solve_both
from slamarkov.sweep import sweep
from slamarkov.sweep.grid import (
    FILL_ONLY_COLUMNS,
    RATE_RESULT_COLUMNS,
    READY_ONLY_COLUMNS,
    RESULT_COLUMNS,
    grid_from_dict,
)
from slamarkov.sweep.runner import solve_point


def _pmf(demand):
    u = int(demand.upper)
    F, _ = demand.table(u, exact=True)
    return [F[0]] + [F[k] - F[k - 1] for k in range(1, u + 1)]


def _order_of(policy):
    space = policy.space

    def order_of(i, D, F, x):
        coords = (i, D, F, x) if space.carry else (i, D, F)
        return int(policy.stock[space.index(*coords)])
    return order_of


def _brute(problem, order_of, S):
    """(withheld, added, FR pmf) of a policy by walking every demand path."""
    pmf = _pmf(problem.demand)
    support = [d for d, p in enumerate(pmf) if p]

    def filled(y):
        return sum(p * min(d, y) for d, p in enumerate(pmf))

    withheld = added = Fraction(0)
    final = {}
    T = problem.review_period
    for path in itertools.product(support, repeat=T):
        prob, D, F, x = Fraction(1), 0, 0, int(problem.initial_stock)
        for i, d in enumerate(path, start=1):
            y = order_of(i, D, F, x)
            y_ref = max(S, x)
            # each prefix's weight is shared by the paths through it: weight by this path's
            # probability of the whole path, summed over paths = the prefix's probability
            gap = filled(y_ref) - filled(y)
            whole = math.prod(pmf[e] for e in path)
            withheld += whole * max(gap, 0)
            added += whole * max(-gap, 0)
            prob *= pmf[d]
            D, F = D + d, F + min(d, y)
            x = max(y - d, 0) if problem.carries else 0
        fr = Fraction(1) if D == 0 else Fraction(F, D)
        final[fr] = final.get(fr, 0) + prob
    return withheld, added, final


def _lowest(top, a):
    return min([Fraction(F, D) for D in range(1, top + 1) for F in range(D + 1)
                if Fraction(F, D) >= a] + [Fraction(1)])


CASES = [
    # (T, demand, leftover, scheme, aL, aU, penalty, bonus, h, x0)
    (2, DiscreteUniform(0, 2), "discard", "lump-sum", "1/2", "3/4", 1, 4, "1/2", 0),
    (2, DiscreteUniform(0, 2), "discard", "linear", "1/2", "3/4", 1, 4, "3/2", 0),
    (2, DiscreteUniform(0, 2), "discard", "linear", "1/2", "9/10", 1, 1, "1/2", 0),
    (3, Empirical(["1/4", "1/2", "1/4"]), "discard", "lump-sum", "0.6", "0.9", 8, 5, 1, 1),
    (3, DiscreteUniform(0, 2), "carry", "linear", "0.6", "0.9", 25, 15, "1/2", 0),
    (3, Empirical(["1/3", "1/6", "1/2"]), "carry", "lump-sum", "0.7", "0.9", 6, 4, 1, 1),
    (2, DiscreteUniform(0, 3), "carry", "lump-sum", "1/2", "3/4", 3, 6, "1/2", 2),
]


def _problem(case):
    T, demand, leftover, scheme, aL, aU, Lm, Lp, h, x0 = case
    contract = Contract(T, aL, aU, scheme, penalty=Lm, bonus=Lp, measure="fill-rate")
    return Problem(contract, demand, h, leftover=leftover, initial_stock=x0)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"T{c[0]}-{c[2]}-{c[3]}-{c[6]}{c[7]}")
def test_indicators_equal_brute_force(case):
    problem = _problem(case)
    both = solve_both(problem, max_stock=4, exact=True)
    S = both.static.base_stock
    top = both.dynamic.policy.space.score.cap(problem.review_period + 1)
    _, _, ref = _brute(problem, _order_of(both.static.policy), S)
    for sol in both:
        withheld, added, final = _brute(problem, _order_of(sol.policy), S)
        got = fill_gaming_indicators(sol, both.static)
        assert got["withheld_filled_units"] == withheld
        assert got["added_filled_units"] == added
        for key, a in (("bunching_excess_bonus", problem.contract.bonus_threshold),
                       ("bunching_excess_penalty", problem.contract.penalty_threshold)):
            phi = _lowest(top, a)
            assert got[key] == final.get(phi, 0) - ref.get(phi, 0), key
        assert all(isinstance(v, Fraction) for v in got.values())


def test_the_cases_are_not_all_zero():
    """The brute-force cases include policies that game (a test that cannot fail is none)."""
    seen = set()
    for case in CASES:
        problem = _problem(case)
        both = solve_both(problem, max_stock=4, exact=True)
        got = fill_gaming_indicators(both.dynamic, both.static)
        seen |= {k for k, v in got.items() if v != 0}
    # the split by decided states and the outcome classes: tests/test_fill_classes.py
    assert seen >= {"withheld_filled_units", "added_filled_units", "bunching_excess_bonus",
                    "bunching_excess_penalty"}


@pytest.mark.parametrize("leftover", ["discard", "carry"])
def test_static_policy_scores_exactly_zero(leftover):
    rng = random.Random(21)
    for _ in range(25):
        T = rng.randint(1, 4)
        aL = Fraction(rng.randint(1, 9), 10)
        aU = aL + Fraction(rng.randint(0, 10 - aL.numerator * 10 // aL.denominator), 10)
        scheme = rng.choice(["lump-sum", "linear"])
        contract = Contract(T, aL, min(aU, 1), scheme, penalty=rng.randint(0, 9),
                            bonus=rng.randint(0, 9), measure="fill-rate")
        demand = DiscreteUniform(0, rng.randint(1, 3))
        problem = Problem(contract, demand, Fraction(rng.randint(1, 6), 4), leftover=leftover,
                          initial_stock=rng.randint(0, 2))
        exact = rng.random() < 0.5
        both = solve_both(problem, max_stock=5, exact=exact)
        got = fill_gaming_indicators(both.static, both.static)
        assert set(got) == set(FILL_GAMING_INDICATORS)
        assert all(type(v) is (Fraction if exact else float) for v in got.values())
        assert all(got[k] == 0 for k in FILL_STRATEGIC_INDICATORS)


BASE = {"contract": {"review_period": 3, "penalty_threshold": 0.8, "bonus_threshold": 0.9,
                     "penalty": 10, "bonus": 4, "measure": ["ready-rate", "fill-rate"]},
        "costs": {"holding": [0.5, 1]}, "demand": {"kind": "poisson", "mean": 2},
        "solver": {"max_stock": 15}}


def test_sweep_rows_equal_the_solver():
    table = sweep(BASE, workers=1)
    assert tuple(table.columns) == ("contract.measure", "holding", *RATE_RESULT_COLUMNS)
    for h in (0.5, 1):
        contract = Contract(3, 0.8, 0.9, penalty=10, bonus=4, measure="fill-rate")
        both = solve_both(Problem(contract, Poisson(2), h), max_stock=15)
        rows = table[(table["contract.measure"] == "fill-rate") & (table["holding"] == h)]
        assert rows["measure"].tolist() == ["fill-rate", "fill-rate"]
        for (_, row), sol in zip(rows.iterrows(), both):
            assert row["cost_per_period"] == float(sol.cost_per_period)
            assert row["rate_mean"] == float(sol.fill_rate.mean)
            assert row["rate_sd"] == float(sol.fill_rate.sd)
            assert row["p_penalty"] == float(sol.fill_rate.p_penalty)
            assert row["p_bonus"] == float(sol.fill_rate.p_bonus)
            ind = fill_gaming_indicators(sol, both.static)
            for k in FILL_GAMING_INDICATORS:
                assert row[k] == ind[k]
            assert row["rate_gap"] == float(both.static.fill_rate.mean - both.dynamic.fill_rate.mean)
            assert all(math.isnan(row[k]) for k in READY_ONLY_COLUMNS)
    # a ready-rate point's row is its ready-rate sweep row, renamed
    ready = table[table["contract.measure"] == "ready-rate"]
    assert all(ready[k].isna().all() for k in FILL_ONLY_COLUMNS)
    point = {**BASE, "contract": {**BASE["contract"], "measure": "ready-rate"},
             "costs": {"holding": 0.5}}
    for row, plain in zip(ready[ready["holding"] == 0.5].itertuples(), solve_point(point)):
        plain = dict(zip(RESULT_COLUMNS, plain))
        assert row.rate_mean == plain["ready_mean"] and row.rate_gap == plain["ready_gap"]
        assert row.withheld_ready_periods == plain["withheld_ready_periods"]


def test_a_ready_rate_grid_keeps_its_columns():
    grid = grid_from_dict({**BASE, "contract": {**BASE["contract"], "measure": "ready-rate"}})
    assert grid.result_columns is RESULT_COLUMNS


def test_resume_on_a_fill_rate_grid(tmp_path):
    partial = tmp_path / "out.partial"
    fresh = sweep(BASE, workers=1, partial=partial)
    lines = partial.read_text().splitlines()
    assert "null" in lines[1] or "null" in lines[-1]  # the empty cells as null
    partial.write_text("\n".join(lines[:3]) + "\n")  # interrupted after two points
    again = sweep(BASE, workers=1, partial=partial, resume=True)
    assert again.equals(fresh)
    # a changed record is refused in one line
    rec = json.loads(lines[3])
    rec["rows"][0][RATE_RESULT_COLUMNS.index("withheld_filled_units")] = 1.0 \
        if rec["rows"][0][1] == "ready-rate" else None
    partial.write_text("\n".join(lines[:3] + [json.dumps(rec)]) + "\n")
    with pytest.raises(ConfigError, match="line 4: point .*withheld_filled_units must be"):
        sweep(BASE, workers=1, partial=partial, resume=True)
