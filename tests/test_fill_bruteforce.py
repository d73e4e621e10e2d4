"""Fill-rate contracts against brute force over every demand path (docs/model.md section 14).

The brute force here shares nothing with the solver: it walks the tree of histories (orders and
demands) with Fractions, costs each period from its realised demand, and compares FR with the
thresholds as Fractions. For T <= 4 and small finite supports it must equal the exact solver:
the optimal value, the order of every state (the smallest optimal order), the FR pmf of both
policies, the static cost of every S, for both leftover rules and both schemes.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest

from slamarkov import Contract, DiscreteUniform, Empirical, Problem
from slamarkov.solve import solve_both
from slamarkov.solve.fill import solve_fill_dynamic, solve_fill_static


def rate(F, D):
    return Fraction(1) if D == 0 else Fraction(F, D)


def settle(contract, F, D):
    fr = rate(F, D)
    aL, aU = contract.penalty_threshold, contract.bonus_threshold
    if contract.scheme == "lump-sum":
        return contract.penalty * (fr < aL) - contract.bonus * (fr >= aU)
    return contract.penalty * max(aL - fr, 0) - contract.bonus * max(fr - aU, 0)


class Brute:
    def __init__(self, problem, K):
        self.p = problem
        self.K = K
        u = int(problem.demand.upper)
        Fc, _ = problem.demand.table(u, exact=True)
        self.pmf = [Fc[0]] + [Fc[k] - Fc[k - 1] for k in range(1, u + 1)]
        self.carry = problem.carries
        self.T = problem.review_period

    def period(self, x, y, d):
        """Realised cost of one period, the units filled and the stock after it."""
        p = self.p
        cost = (p.purchase_cost * max(y - x, 0) + p.purchase_cost * max(d - y, 0)
                + p.holding_cost * max(y - d, 0))
        return cost, min(d, y), (max(y - d, 0) if self.carry else 0)

    def orders(self, x):
        return range(x if self.carry else 0, self.K + 1)

    def cost_of(self, i, D, F, x, y):
        tot = Fraction(0)
        for d, pd in enumerate(self.pmf):
            if pd:
                cost, f, x2 = self.period(x, y, d)
                tot += pd * (cost + self.value(i + 1, D + d, F + f, x2)[0])
        return tot

    def value(self, i, D, F, x):
        """(optimal expected cost to go, the minimising orders) by walking every history."""
        if i > self.T:
            end = settle(self.p.contract, F, D)
            if self.carry:
                end -= self.p.salvage_value * x
            return end, []
        costs = {y: self.cost_of(i, D, F, x, y) for y in self.orders(x)}
        best = min(costs.values())
        return best, [y for y, v in costs.items() if v == best]

    def paths(self, order_of):
        """(probability, cost, F, D) of every demand path under a policy ``order_of(i, D, F, x)``."""
        x0 = int(self.p.initial_stock)
        support = [d for d, pd in enumerate(self.pmf) if pd]
        for path in itertools.product(support, repeat=self.T):
            prob, cost, D, F, x = Fraction(1), Fraction(0), 0, 0, x0
            for i, d in enumerate(path, start=1):
                y = order_of(i, D, F, x)
                c, f, x = self.period(x, y, d)
                prob *= self.pmf[d]
                cost += c
                D, F = D + d, F + f
            cost += settle(self.p.contract, F, D) - (self.p.salvage_value * x if self.carry else 0)
            yield prob, cost, F, D


def fr_pmf(paths):
    out = {}
    for prob, _, F, D in paths:
        out[rate(F, D)] = out.get(rate(F, D), 0) + prob
    return {k: v for k, v in out.items() if v}


def solver_pmf(dist):
    return dict(zip(dist.values.tolist(), dist.pmf.tolist()))


def policy_order(policy):
    space = policy.space

    def order_of(i, D, F, x):
        coords = (i, D, F, x) if space.carry else (i, D, F)
        return int(policy.stock[space.index(*coords)])
    return order_of


CASES = [
    # (T, demand, leftover, scheme, thresholds, amounts, h, c, s, x0, K)
    (2, DiscreteUniform(0, 2), "discard", "lump-sum", ("0.8", "1"), (10, 0), 1, 0, 0, 0, 3),
    (3, DiscreteUniform(0, 2), "discard", "linear", ("0.7", "0.9"), (30, 20), "1/2", 0, 0, 0, 3),
    (3, Empirical(["1/4", "1/2", "1/4"]), "discard", "lump-sum", ("0.6", "0.9"), (8, 5), 1, 1, 0,
     1, 3),
    (4, DiscreteUniform(0, 1), "discard", "lump-sum", ("0.75", "0.75"), (9, 4), "1/2", 0, 0, 0,
     2),
    (4, DiscreteUniform(0, 1), "discard", "linear", ("0.5", "0.8"), (20, 10), 1, 0, 0, 0, 2),
    (2, DiscreteUniform(0, 2), "carry", "lump-sum", ("0.8", "1"), (10, 3), 1, 1, "1/2", 1, 3),
    (3, DiscreteUniform(0, 2), "carry", "linear", ("0.6", "0.9"), (25, 15), "1/2", 0, 0, 0, 2),
    (3, Empirical(["1/3", "1/6", "1/2"]), "carry", "lump-sum", ("0.7", "0.9"), (6, 4), 1, 1, 1,
     0, 3),
]


def problem_of(case):
    T, demand, leftover, scheme, (aL, aU), (Lm, Lp), h, c, s, x0, K = case
    contract = Contract(T, aL, aU, scheme, penalty=Lm, bonus=Lp, measure="fill-rate")
    return Problem(contract, demand, h, purchase_cost=c, salvage_value=s, leftover=leftover,
                   initial_stock=x0), K


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"T{c[0]}-{c[2]}-{c[3]}")
def test_dynamic_equals_brute_force(case):
    problem, K = problem_of(case)
    sol = solve_fill_dynamic(problem, max_stock=K, exact=True)
    K = sol.max_stock
    brute = Brute(problem, K)
    x0 = int(problem.initial_stock)
    value, best = brute.value(1, 0, 0, x0)
    assert sol.value_start == value
    assert sol.cost_per_period == value / problem.review_period
    # every state's order is the smallest optimal one, and every kept value is exact
    space = sol.policy.space
    stage, Dc, Fc, xc = space.coordinates()
    for k in range(space.n_transient):
        i, D, F, x = int(stage[k]), int(Dc[k]), int(Fc[k]), int(xc[k])
        v, ys = brute.value(i, D, F, x)
        assert int(sol.policy.stock[k]) == min(ys), (i, D, F, x)
        assert sol.values[k] == v, (i, D, F, x)
    paths = list(brute.paths(policy_order(sol.policy)))
    assert sum(p * cost for p, cost, _, _ in paths) == value
    assert solver_pmf(sol.fill_rate) == fr_pmf(paths)
    assert solver_pmf(sol.policy.fill_rate()) == fr_pmf(paths)  # the reference kernel agrees


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"T{c[0]}-{c[2]}-{c[3]}")
def test_static_equals_brute_force(case):
    problem, K = problem_of(case)
    sol = solve_fill_static(problem, max_stock=K, exact=True)
    K = sol.max_stock
    brute = Brute(problem, K)
    T = problem.review_period
    costs = []
    for S in range(K + 1):
        paths = list(brute.paths(lambda i, D, F, x: max(S, x)))
        costs.append(sum(p * c for p, c, _, _ in paths))
        if sol.costs[S] is None:  # not costed: provably above the optimum
            assert costs[-1] > sol.cost_per_period * T, S
        else:
            assert sol.costs[S] == costs[-1] / T, S
    best = min(range(K + 1), key=lambda S: (costs[S], S))
    assert sol.base_stock == best
    paths = list(brute.paths(lambda i, D, F, x: max(best, x)))
    assert solver_pmf(sol.fill_rate) == fr_pmf(paths)
    # the dynamic policy never costs more
    assert solve_fill_dynamic(problem, max_stock=K, exact=True).value_start <= costs[best]


def test_entry_points_dispatch_on_the_measure():
    problem, K = problem_of(CASES[1])
    both = solve_both(problem, max_stock=K, exact=True)
    assert both.dynamic.value_start == solve_fill_dynamic(problem, max_stock=K,
                                                          exact=True).value_start
    assert both.static.base_stock == solve_fill_static(problem, max_stock=K,
                                                       exact=True).base_stock
    assert both.dynamic.fill_rate.truncated_mass == 0


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"T{c[0]}-{c[2]}-{c[3]}")
def test_float_mode_decides_as_exact_mode(case):
    # float mode orders the static candidates by a lower bound and skips the hopeless ones; it
    # must pick the exact mode's S and the dynamic orders, with values equal to rounding
    problem, K = problem_of(case)
    for solve in (solve_fill_static, solve_fill_dynamic):
        ex = solve(problem, max_stock=K, exact=True)
        fl = solve(problem, max_stock=K)
        assert list(fl.policy.stock) == list(ex.policy.stock)
        assert fl.cost_per_period == pytest.approx(float(ex.cost_per_period), abs=1e-12)
        assert fl.fill_rate.pmf == pytest.approx([float(p) for p in ex.fill_rate.pmf], abs=1e-14)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"T{c[0]}-{c[2]}-{c[3]}")
def test_chain_cost_identity(case):
    # the chain's expected cost of the review period (reference kernel, every part) equals the
    # solver's value, and its cost moments are those of the brute force's paths
    problem, K = problem_of(case)
    sol = solve_fill_dynamic(problem, max_stock=K, exact=True)
    chain = sol.chain
    assert chain.cost_decomposition()["total"] == sol.value_start
    paths = list(Brute(problem, sol.max_stock).paths(policy_order(sol.policy)))
    mean = sum(p * c for p, c, _, _ in paths)
    var = sum(p * c * c for p, c, _, _ in paths) - mean * mean
    assert chain.cost_moments() == (mean, var)
