"""Stock that carries over (docs/model.md section 11): the solvers against an independent
brute-force dynamic program over (i, v, x, y).

Everything in the helpers below is written from the model's definition, not from the package:

* demand pmfs from the distributions' definitions (scipy's Poisson pmf, the normal cdf rounded
  down with negative values lumped at 0, the uniform and empirical masses);
* the settlement G(v) from the contract's thresholds and amounts;
* in state (i, v, x) the supplier orders up to y (y >= x with carry, any y >= 0 with discard) and
  pays c (y - x)^+; demand d makes the period ready iff d <= y, costs c (d - y)^+ (each
  backordered unit bought once) plus h (y - d)^+, and leaves (y - d)^+ (carry) or 0 (discard);
  after period T the stock on hand is worth s per unit (carry only); ties go to the smallest y.

The loops over y and d are explicit. The only truncation is the solver's own: no order goes above
the top K of its stock range (a demand d > K >= y is simply not ready and leaves nothing). Exact
(rational) demands are compared with ``==`` state by state, value and decision; float demands
(Poisson, discretised normal) to 1e-9, with the solver's decision checked to be optimal within
float noise.

SOLVER BUG found by this file (the failing tests are left failing, nothing is marked xfail):
``solve_static`` with ``leftover="discard"`` and an initial stock x1 > 0 gets every base stock
S < x1 wrong. (A) Its cost C(S) is computed by ``slamarkov.solve.carry.static_cost_by_chain``, which
builds a *carry-over* state space (``StateSpace(T, carry=True, ...)``) with the terminal value
G(v) - s x: the leftover is carried into later periods and credited at the salvage value, though
with discard it is thrown away and nothing is salvaged. (B) Its ready-count pmf and policy table
come from ``Policy.base_stock``, which for discard is ``Policy.constant(S)``: period 1 orders up to
S, not max(S, x1), so the pmf is Binomial(T, F(S)) instead of the rule's. The argmin goes wrong as
a result. Smallest clear case (``test_static_discard_below_initial_stock``): T = 2, thresholds
1/2 and 3/4, lump-sum penalty 20 and bonus 12, demand uniform on {0..3}, h = 1, c = 1, s = 0,
discard, x1 = 3: the true total costs C(S), S = 0..4, are 0, -5/2, -9/2, -6, -2 (best S = 3, -3
a period, ready count 2 surely); the solver reports -19/4, -43/8, -51/8, -6, -2 and picks S = 2
at -51/16 a period with pmf (1/16, 3/8, 9/16). With s > 0 it even reports a static cost below
the dynamic optimum (T = 1, demand 0, h = 0, c = s = 1/4, x1 = 1: static -1/4 < dynamic 0).

SECOND SOLVER BUG (``test_carry_max_stock_that_cuts_nothing_is_accepted``): with carry,
``solve_dynamic`` widens the state range to the provable bound and then checks the largest order
over *all* states, including those whose stock on hand x already exceeds max_stock and so must
order y >= x. So any max_stock below the bound is refused with a false claim. Case: study contract
T = 3, Poisson(5), h = 1/2, carry: with max_stock = 11 no state with x <= 9 orders above 9 (so
0..9 cuts nothing off, as the docstring's "a smaller value that cuts off the optimum raises"
allows), yet max_stock = 9 raises "9 cuts off the optimum (in some state a stock of 10 lowers the
cost)"; the stock of 10 is forced in state x = 10, not better. Discard accepts such a max_stock.

THIRD SOLVER BUG (``test_carry_float_exact_ties_go_to_the_smallest_stock``): the issue asks for
ties to the smallest stock, exact ties decided exactly for rational demand (as the discard float
solver does). The carry float solver decides them in float: T = 2, lump-sum, both thresholds
1/4, penalty 3, no bonus, demand uniform on {1, 2, 3}, h = 5/4, c = s = 0, carry, x1 = 0. From
(1, 0, 0) ordering up to 1 or 2 costs exactly 5/6 either way; exact mode orders 1 (ready count
1 surely), float mode orders 2 (ready-count pmf (0, 8/9, 1/9)).
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from slamarkov import (
    LINEAR,
    LUMP_SUM,
    Contract,
    DiscreteUniform,
    DiscretisedNormal,
    Empirical,
    Poisson,
    Problem,
    solve_dynamic,
    solve_static,
)

TOL = 1e-9

# ---------------------------------------------------------------------------------------------
# independent helpers
# ---------------------------------------------------------------------------------------------


def settlement_of(contract):
    """G(v), v = 0..T, in Fractions, from the contract's definition."""
    T, aL, aU = contract.review_period, contract.penalty_threshold, contract.bonus_threshold
    Lm, Lp = contract.penalty, contract.bonus
    out = []
    for v in range(T + 1):
        if contract.scheme == LUMP_SUM:
            g = (Lm if v < T * aL else 0) - (Lp if v >= T * aU else 0)
        else:
            g = Lm * max(aL - Fraction(v, T), 0) - Lp * max(Fraction(v, T) - aU, 0)
        out.append(Fraction(g))
    return out


def pmf_of(spec):
    """(demand object, {d: P(d)}, exact) from a spec tuple; the pmf from the definition."""
    kind = spec[0]
    if kind == "uniform":
        lo, hi = spec[1], spec[2]
        return DiscreteUniform(lo, hi), {d: Fraction(1, hi - lo + 1) for d in range(lo, hi + 1)}, True
    if kind == "empirical":
        probs = [Fraction(p) for p in spec[1]]
        return Empirical(spec[1]), {d: p for d, p in enumerate(probs) if p}, True
    if kind == "poisson":
        lam = spec[1]
        top = int(lam + 40 * math.sqrt(lam) + 40)
        return Poisson(lam), {d: float(stats.poisson.pmf(d, lam)) for d in range(top + 1)}, False
    if kind == "normal":
        mu, sd = spec[1], spec[2]
        top = int(mu + 40 * sd + 40)
        cdf = [float(stats.norm.cdf((k + 1 - mu) / sd)) for k in range(top + 1)]
        pmf = {0: cdf[0]}
        pmf.update({k: cdf[k] - cdf[k - 1] for k in range(1, top + 1)})
        return DiscretisedNormal(mu, sd), pmf, False
    raise AssertionError(spec)


class Brute:
    """The brute-force dynamic program V_i(v, x) = min_y [stage cost + E V_{i+1}]."""

    def __init__(self, problem, K, pmf, exact):
        num = (lambda q: Fraction(q)) if exact else float
        self.T = problem.review_period
        self.K = K
        self.pmf = pmf
        self.h, self.c, self.s = (num(problem.holding_cost), num(problem.purchase_cost),
                                  num(problem.salvage_value))
        self.G = [num(g) for g in settlement_of(problem.contract)]
        self.carry = problem.leftover == "carry"
        self.x0 = int(problem.initial_stock)
        self.zero = Fraction(0) if exact else 0.0
        self.memo = {}

    def orders(self, x):
        return range(x, self.K + 1) if self.carry else range(0, self.K + 1)

    def after(self, i, v, x, y):
        """Expected cost of period i ordering up to y from (i, v, x), plus the cost to go."""
        h, c = self.h, self.c
        total = c * max(y - x, 0)
        for d, p in self.pmf.items():
            ready = d <= y
            nxt = y - d if (self.carry and ready) else 0
            total += p * (c * max(d - y, 0) + h * max(y - d, 0)
                          + self.V(i + 1, v + int(ready), nxt))
        return total

    def terminal(self, v, x):
        return self.G[v] - (self.s * x if self.carry else 0)

    def best(self, i, v, x):
        """(V_i(v, x), smallest optimal y)."""
        key = (i, v, x)
        if key not in self.memo:
            best = None
            for y in self.orders(x):
                w = self.after(i, v, x, y)
                if best is None or w < best[0]:
                    best = (w, y)
            self.memo[key] = best
        return self.memo[key]

    def V(self, i, v, x):
        return self.terminal(v, x) if i == self.T + 1 else self.best(i, v, x)[0]


def enumerate_paths(brute, policy):
    """Every demand path d_1..d_T under ``policy(i, v, x) -> y``: yields (probability, realised
    total cost including the settlement and salvage, final ready count)."""
    T, c, h = brute.T, brute.c, brute.h
    one = Fraction(1) if isinstance(brute.zero, Fraction) else 1.0

    def walk(i, v, x, prob, cost):
        if i == T + 1:
            yield prob, cost + brute.terminal(v, x), v
            return
        y = policy(i, v, x)
        for d, p in brute.pmf.items():
            ready = d <= y
            nxt = y - d if (brute.carry and ready) else 0
            realised = c * max(y - x, 0) + c * max(d - y, 0) + h * max(y - d, 0)
            yield from walk(i + 1, v + int(ready), nxt, prob * p, cost + realised)

    yield from walk(1, 0, brute.x0, one, brute.zero)


def evaluate(brute, policy):
    """Expected total cost of ``policy`` by an independent backward recursion."""
    memo = {}

    def E(i, v, x):
        if i == brute.T + 1:
            return brute.terminal(v, x)
        if (i, v, x) not in memo:
            y = policy(i, v, x)
            total = brute.c * max(y - x, 0)
            for d, p in brute.pmf.items():
                ready = d <= y
                nxt = y - d if (brute.carry and ready) else 0
                total += p * (brute.c * max(d - y, 0) + brute.h * max(y - d, 0)
                              + E(i + 1, v + int(ready), nxt))
            memo[i, v, x] = total
        return memo[i, v, x]

    return E(1, 0, brute.x0)


def path_pmf(brute, policy):
    out = [brute.zero] * (brute.T + 1)
    cost = brute.zero
    for p, total, v in enumerate_paths(brute, policy):
        out[v] += p
        cost += p * total
    return out, cost


def static_policy(S):
    """The base-stock rule: order up to max(S, x) (with discard x is 0 after period 1)."""
    return lambda i, v, x: max(S, x)


def states(sol):
    space = sol.policy.space
    for k in range(space.n_transient):
        yield space.state(k)


def range_top(problem, K):
    """A max_stock at least the provable bound and the initial stock (so no range error)."""
    return max(K, int(problem.stock_bound()), int(problem.initial_stock))


def solver_top(sol):
    """The top of the stock range the solver searched (its state range with carry)."""
    if sol.problem.carries:
        return sol.policy.space.max_stock
    return int(sol.max_stock)


# ---------------------------------------------------------------------------------------------
# cases
# ---------------------------------------------------------------------------------------------

EXACT_DEMANDS = [
    ("uniform", 0, 3),
    ("uniform", 1, 4),
    ("empirical", ("1/5", "1/2", "3/10")),
    ("empirical", ("1/10", "0", "3/5", "3/10")),
]
FLOAT_DEMANDS = [("poisson", 2), ("normal", 3, 1.5)]

# (h, c, s, x0): s <= c throughout
COSTS = [
    ("1", "0", "0", 0),
    ("1/2", "1", "0", 0),
    ("1", "1", "1", 2),
    ("1/2", "2", "1", 1),
    ("1/4", "1/2", "1/4", 3),
]


def contracts(T):
    yield Contract(T, "1/2", "3/4", LUMP_SUM, penalty=10 * T, bonus=6 * T)
    yield Contract(T, "1/2", "3/4", LINEAR, penalty=25 * T, bonus=15 * T)
    yield Contract(T, "2/3", "1", LUMP_SUM, penalty=4 * T, bonus=0)
    if T <= 2:
        yield Contract(T, "1/4", "1/2", LINEAR, penalty=0, bonus=8 * T)


def problems(spec, T, cost_rows=COSTS):
    demand, pmf, exact = pmf_of(spec)
    for con, (h, c, s, x0), leftover in itertools.product(contracts(T), cost_rows,
                                                           ("carry", "discard")):
        yield Problem(con, demand, h, purchase_cost=c, salvage_value=s, leftover=leftover,
                      initial_stock=x0), pmf, exact


# ---------------------------------------------------------------------------------------------
# the reference values: discard with c = s = 0 is the study's model, unchanged
# ---------------------------------------------------------------------------------------------


def test_study_reference_values_unchanged_with_explicit_defaults():
    base = Problem(Contract.study(10), Poisson(5), 0.5)
    explicit = Problem(Contract.study(10), Poisson(5), 0.5, purchase_cost=0, salvage_value=0,
                       leftover="discard", initial_stock=0)
    for prob in (base, explicit):
        dyn = solve_dynamic(prob, max_stock=40)
        sta = solve_static(prob, max_stock=40)
        assert round(dyn.cost_per_period, 6) == -1.20155
        assert round(100 * dyn.ready_rate.mean, 4) == 89.6123
        assert dyn.policy.stage(10).tolist() == [0, 0, 0, 0, 0, 0, 0, 10, 10, 0]
        assert sta.base_stock == 8 and round(sta.cost_per_period, 6) == -0.87201
    a, b = solve_dynamic(base, max_stock=40), solve_dynamic(explicit, max_stock=40)
    assert a.value_start == b.value_start
    assert a.policy.to_lists() == b.policy.to_lists()
    assert np.array_equal(a.ready_rate.pmf, b.ready_rate.pmf)


def test_static_discard_below_initial_stock():
    """The static rule max(S, x) with discard and x1 = 3 > S (see the bug note at the top)."""
    demand, pmf, _ = pmf_of(("uniform", 0, 3))
    con = Contract(2, "1/2", "3/4", LUMP_SUM, penalty=20, bonus=12)
    prob = Problem(con, demand, 1, purchase_cost=1, salvage_value=0, leftover="discard",
                   initial_stock=3)
    brute = Brute(prob, 4, pmf, exact=True)
    truth = [evaluate(brute, static_policy(S)) for S in range(5)]
    assert truth == [0, Fraction(-5, 2), Fraction(-9, 2), -6, -2]
    # by hand at S = 0: period 1 orders nothing (3 on hand), is ready surely and leaves
    # E(3 - d)^+ = 3/2 (cost 3/2); period 2 orders up to 0: ready w.p. 1/4, backorders E d = 3/2
    # bought at c = 1; G(2) = -12 w.p. 1/4, G(1) = 0 w.p. 3/4: total 3/2 + 3/2 - 3 = 0
    assert truth[0] == Fraction(3, 2) + Fraction(3, 2) + Fraction(1, 4) * -12
    sol = solve_static(prob, max_stock=4, exact=True)
    assert [C * 2 for C in sol.costs] == truth
    assert sol.base_stock == 3 and sol.cost_per_period == -3
    assert list(sol.ready_rate.pmf) == [0, 0, 1]


def test_carry_max_stock_that_cuts_nothing_is_accepted():
    """See the second bug note at the top: a range that cuts off no optimal order is accepted."""
    prob = Problem(Contract.study(3), Poisson(5), "1/2", leftover="carry")
    wide = solve_dynamic(prob, max_stock=11)
    table = wide.policy.to_lists()
    assert table[0][0][0] <= 9
    assert all(y <= 9 for row in table[1:] for cell in row for x, y in enumerate(cell) if x <= 9)
    narrow = solve_dynamic(prob, max_stock=9)  # raises SolverError on branch carry
    assert abs(narrow.value_start - wide.value_start) <= TOL
    assert np.allclose(narrow.ready_rate.pmf, wide.ready_rate.pmf, rtol=0, atol=1e-12)


def test_carry_float_exact_ties_go_to_the_smallest_stock():
    """See the third bug note at the top: an exact tie in float mode, rational demand."""
    con = Contract(2, "1/4", "1/4", LUMP_SUM, penalty=3, bonus=0)
    demand, pmf, _ = pmf_of(("uniform", 1, 3))
    prob = Problem(con, demand, "5/4", leftover="carry")
    exact = solve_dynamic(prob, max_stock=3, exact=True)
    brute = Brute(prob, solver_top(exact), pmf, exact=True)
    assert brute.after(1, 0, 0, 1) == brute.after(1, 0, 0, 2) == Fraction(5, 6)
    assert brute.best(1, 0, 0) == (Fraction(5, 6), 1)
    assert exact.policy.stock_at(1, 0, 0) == 1
    assert list(exact.ready_rate.pmf) == [0, 1, 0]
    fl = solve_dynamic(prob, max_stock=3)
    assert fl.policy.to_lists() == exact.policy.to_lists()  # float orders 2 on branch carry
    assert np.allclose(fl.ready_rate.pmf, [0, 1, 0], rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# dynamic policy: every state's value and decision against the brute force
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", EXACT_DEMANDS, ids=str)
@pytest.mark.parametrize("T", [1, 2, 3, 4])
def test_dynamic_exact_every_state(spec, T):
    rows = COSTS if T <= 3 else COSTS[1:4]
    checked = 0
    for prob, pmf, _ in problems(spec, T, rows):
        top = range_top(prob, 4)
        sol = solve_dynamic(prob, max_stock=top, exact=True, keep_values=True)
        K = solver_top(sol)
        brute = Brute(prob, K, pmf, exact=True)
        where = (prob.contract.describe(), prob.leftover, prob.holding_cost, prob.purchase_cost,
                 prob.salvage_value, prob.initial_stock)
        assert sol.value_start == brute.V(1, 0, prob.initial_stock), where
        assert sol.cost_per_period == brute.V(1, 0, prob.initial_stock) / T, where
        for i, v, x in states(sol):
            value, y = brute.best(i, v, x)
            assert sol.value(i, v, x) == value, (where, (i, v, x))
            assert sol.policy.stock_at(i, v, x) == y, (where, (i, v, x))
            if prob.carries:
                assert y >= x
            checked += 1
        if T <= 3:
            # the float solver on the same rational problem: values to 1e-9, decisions optimal
            fl = solve_dynamic(prob, max_stock=top, keep_values=True)
            assert abs(fl.value_start - float(sol.value_start)) <= TOL, where
            # exact ties are decided exactly for rational demand: the same table as exact mode
            assert fl.policy.to_lists() == sol.policy.to_lists(), where
            for i, v, x in states(fl):
                value, _ = brute.best(i, v, x)
                assert abs(fl.value(i, v, x) - float(value)) <= TOL, (where, (i, v, x))
                y = fl.policy.stock_at(i, v, x)
                assert float(brute.after(i, v, x, y)) <= float(value) + TOL, (where, (i, v, x))
    assert checked > 0


@pytest.mark.parametrize("spec", FLOAT_DEMANDS, ids=str)
@pytest.mark.parametrize("T", [1, 2, 3, 4])
def test_dynamic_float_every_state(spec, T):
    rows = COSTS[:3] if T <= 2 else COSTS[1:3]
    for prob, pmf, _ in problems(spec, T, rows):
        if prob.contract.scheme == LINEAR and T == 4:
            continue
        sol = solve_dynamic(prob, max_stock=range_top(prob, 4), keep_values=True)
        brute = Brute(prob, solver_top(sol), pmf, exact=False)
        where = (prob.contract.describe(), prob.leftover, prob.purchase_cost, prob.initial_stock)
        assert abs(sol.value_start - brute.V(1, 0, prob.initial_stock)) <= TOL, where
        for i, v, x in states(sol):
            value, _ = brute.best(i, v, x)
            assert abs(sol.value(i, v, x) - value) <= TOL, (where, (i, v, x))
            y = sol.policy.stock_at(i, v, x)
            if prob.carries:
                assert y >= x
            # the solver's decision is optimal up to float noise
            assert brute.after(i, v, x, y) <= value + TOL, (where, (i, v, x), y)


# ---------------------------------------------------------------------------------------------
# static policy: the cost of every base stock S and the argmin
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", EXACT_DEMANDS, ids=str)
@pytest.mark.parametrize("T", [1, 2, 3])
def test_static_exact_every_base_stock_by_paths(spec, T):
    rows = COSTS if T <= 2 else COSTS[1:4]
    for prob, pmf, _ in problems(spec, T, rows):
        sol = solve_static(prob, max_stock=range_top(prob, 4), exact=True)
        K = len(sol.costs) - 1
        brute = Brute(prob, K, pmf, exact=True)
        where = (prob.contract.describe(), prob.leftover, prob.purchase_cost, prob.initial_stock)
        costs = []
        for S in range(K + 1):
            pmf_v, cost = path_pmf(brute, static_policy(S))
            assert sum(pmf_v) == 1
            assert cost == evaluate(brute, static_policy(S)), (where, S)
            assert sol.costs[S] * T == cost, (where, S)
            costs.append(cost)
            if S == sol.base_stock:
                assert list(sol.ready_rate.pmf) == pmf_v, where
        best = min(range(K + 1), key=lambda S: (costs[S], S))
        assert sol.base_stock == best, where
        assert sol.cost_per_period * T == costs[best], where


@pytest.mark.parametrize("spec", FLOAT_DEMANDS, ids=str)
@pytest.mark.parametrize("T", [2, 3])
def test_static_float_every_base_stock(spec, T):
    for prob, pmf, _ in problems(spec, T, COSTS[1:4]):
        sol = solve_static(prob, max_stock=range_top(prob, 4))
        K = len(sol.costs) - 1
        brute = Brute(prob, K, pmf, exact=False)
        costs = [evaluate(brute, static_policy(S)) for S in range(K + 1)]
        where = (prob.contract.describe(), prob.leftover, prob.purchase_cost, prob.initial_stock)
        for S in range(K + 1):
            assert abs(sol.costs[S] * T - costs[S]) <= TOL, (where, S)
        assert costs[sol.base_stock] <= min(costs) + TOL, where


# ---------------------------------------------------------------------------------------------
# ready-count pmf of both policies by enumerating every demand path (T <= 3, exact)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", EXACT_DEMANDS, ids=str)
@pytest.mark.parametrize("T", [1, 2, 3])
def test_ready_count_pmf_by_paths(spec, T):
    for prob, pmf, _ in problems(spec, T, COSTS[1:4]):
        top = range_top(prob, 4)
        dyn = solve_dynamic(prob, max_stock=top, exact=True)
        sta = solve_static(prob, max_stock=top, exact=True)
        brute = Brute(prob, solver_top(dyn), pmf, exact=True)
        pmf_dyn, cost_dyn = path_pmf(brute, lambda i, v, x: brute.best(i, v, x)[1])
        assert list(dyn.ready_rate.pmf) == pmf_dyn
        assert cost_dyn == dyn.value_start
        # the solver's own table, walked path by path, gives the same distribution
        pmf_tab, _ = path_pmf(brute, lambda i, v, x: dyn.policy.stock_at(i, v, x))
        assert pmf_tab == pmf_dyn
        pmf_sta, cost_sta = path_pmf(brute, static_policy(sta.base_stock))
        assert list(sta.ready_rate.pmf) == pmf_sta
        assert cost_sta == sta.cost_per_period * T
        assert sum(pmf_dyn) == 1 and sum(pmf_sta) == 1


def test_carry_table_shape_and_nesting():
    """``to_lists`` is a list over i of lists over v of lists over x; y >= x everywhere."""
    prob = Problem(Contract(3, "1/2", "3/4", penalty=30, bonus=18), DiscreteUniform(0, 3), 1,
                   purchase_cost=1, salvage_value="1/2", leftover="carry", initial_stock=2)
    sol = solve_dynamic(prob, max_stock=4, exact=True)
    table = sol.policy.to_lists()
    assert len(table) == 3
    assert [len(row) for row in table] == [1, 2, 3]
    assert [len(cell) for cell in table[0]] == [1]
    assert all(len(cell) == 5 for row in table[1:] for cell in row)
    assert table[0][0][0] == sol.policy.stock_at(1, 0, 2) >= 2
    for i, row in enumerate(table[1:], start=2):
        for v, cell in enumerate(row):
            for x, y in enumerate(cell):
                assert y == sol.policy.stock_at(i, v, x) and y >= x


# ---------------------------------------------------------------------------------------------
# identities of the model, exact
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", EXACT_DEMANDS[:3], ids=str)
def test_carry_with_c_equal_s_is_a_constant_purchase_cost(spec):
    """With carry and c = s, everything bought is demand plus final stock less the initial
    stock, the final stock is sold back at c: the purchases cost c (T E[d] - x1) whatever the
    policy. So the values shift by c ((T - i + 1) E[d] - x) and the policy is unchanged."""
    demand, pmf, _ = pmf_of(spec)
    mean = sum(d * p for d, p in pmf.items())
    T = 3
    for con in contracts(T):
        for x0 in (0, 2):
            free = Problem(con, demand, "1/2", leftover="carry", initial_stock=x0)
            paid = Problem(con, demand, "1/2", purchase_cost="3/2", salvage_value="3/2",
                           leftover="carry", initial_stock=x0)
            top = max(range_top(free, 4), range_top(paid, 4))
            a = solve_dynamic(free, max_stock=top, exact=True, keep_values=True)
            b = solve_dynamic(paid, max_stock=top, exact=True, keep_values=True)
            c = Fraction(3, 2)
            assert b.value_start == a.value_start + c * (T * mean - x0)
            assert a.policy.to_lists() == b.policy.to_lists()
            assert list(a.ready_rate.pmf) == list(b.ready_rate.pmf)
            for i, v, x in states(a):
                assert b.value(i, v, x) == a.value(i, v, x) + c * ((T - i + 1) * mean - x)


@pytest.mark.parametrize("spec", EXACT_DEMANDS[:3], ids=str)
def test_stock_range_past_the_bound_changes_nothing(spec):
    """Widening the stock range past the provable bound leaves the optimum unchanged (the bound
    is valid with carry too)."""
    demand, _, _ = pmf_of(spec)
    for con in contracts(3):
        for h, c, s, x0 in COSTS[1:4]:
            prob = Problem(con, demand, h, purchase_cost=c, salvage_value=s, leftover="carry",
                           initial_stock=x0)
            top = range_top(prob, 0)
            a = solve_dynamic(prob, max_stock=top, exact=True)
            b = solve_dynamic(prob, max_stock=top + 3, exact=True)
            assert a.value_start == b.value_start
            assert list(a.ready_rate.pmf) == list(b.ready_rate.pmf)
            sa = solve_static(prob, max_stock=top, exact=True)
            sb = solve_static(prob, max_stock=top + 3, exact=True)
            assert (sa.base_stock, sa.cost_per_period) == (sb.base_stock, sb.cost_per_period)


# ---------------------------------------------------------------------------------------------
# property tests on random small problems
# ---------------------------------------------------------------------------------------------

fractions_q = st.integers(0, 8).map(lambda k: Fraction(k, 4))


@st.composite
def small_problems(draw):
    T = draw(st.integers(1, 3))
    scheme = draw(st.sampled_from([LUMP_SUM, LINEAR]))
    aL = draw(st.integers(0, 4))
    aU = draw(st.integers(aL, 4))
    con = Contract(T, Fraction(aL, 4), Fraction(aU, 4), scheme,
                   penalty=draw(st.integers(0, 30)), bonus=draw(st.integers(0, 30)))
    if draw(st.booleans()):
        lo = draw(st.integers(0, 2))
        spec = ("uniform", lo, draw(st.integers(lo, 4)))
    else:
        weights = draw(st.lists(st.integers(0, 5), min_size=1, max_size=5).filter(any))
        total = sum(weights)
        spec = ("empirical", tuple(str(Fraction(w, total)) for w in weights))
    demand, pmf, _ = pmf_of(spec)
    h = draw(fractions_q)
    c = draw(fractions_q)
    s = draw(st.integers(0, int(4 * c)).map(lambda k: Fraction(k, 4)))
    leftover = draw(st.sampled_from(["carry", "discard"]))
    x0 = draw(st.integers(0, 3))
    return Problem(con, demand, h, purchase_cost=c, salvage_value=s, leftover=leftover,
                   initial_stock=x0), pmf


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems())
def test_random_problems_against_brute_force(case):
    prob, pmf = case
    T = prob.review_period
    top = range_top(prob, 0)
    dyn = solve_dynamic(prob, max_stock=top, exact=True, keep_values=True)
    sta = solve_static(prob, max_stock=top, exact=True)
    brute = Brute(prob, solver_top(dyn), pmf, exact=True)
    # values and decisions in every state
    for i, v, x in states(dyn):
        value, y = brute.best(i, v, x)
        assert dyn.value(i, v, x) == value and dyn.policy.stock_at(i, v, x) == y
        if prob.carries:
            assert y >= x
    # the dynamic policy is at least as good as the static one (a base-stock rule is one of
    # the policies the dynamic program minimises over)
    assert dyn.value_start <= sta.cost_per_period * T
    assert dyn.cost_per_period <= sta.cost_per_period
    # the static cost of the solver's S, and its optimality over the range
    costs = [evaluate(brute, static_policy(S)) for S in range(len(sta.costs))]
    assert [C * T for C in sta.costs] == costs
    assert sta.cost_per_period * T == costs[sta.base_stock] == min(costs)
    assert sta.base_stock == costs.index(min(costs))
    # the pmfs sum to 1 exactly and match path enumeration
    for sol in (dyn, sta):
        assert all(isinstance(p, Fraction) for p in sol.ready_rate.pmf)
        assert sum(sol.ready_rate.pmf) == 1
    pmf_dyn, _ = path_pmf(brute, lambda i, v, x: brute.best(i, v, x)[1])
    assert list(dyn.ready_rate.pmf) == pmf_dyn
    pmf_sta, _ = path_pmf(brute, static_policy(sta.base_stock))
    assert list(sta.ready_rate.pmf) == pmf_sta
    # float mode on the same rational problem: exact ties decided exactly, values to 1e-9
    fl = solve_dynamic(prob, max_stock=top)
    assert fl.policy.to_lists() == dyn.policy.to_lists()
    assert abs(fl.value_start - float(dyn.value_start)) <= TOL


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems())
def test_random_discard_with_zero_costs_is_the_study_model(case):
    """leftover = discard, c = s = 0, x1 = 0 is the default problem: identical results."""
    prob, _ = case
    plain = Problem(prob.contract, prob.demand, prob.holding_cost)
    explicit = Problem(prob.contract, prob.demand, prob.holding_cost, purchase_cost=0,
                       salvage_value=0, leftover="discard", initial_stock=0)
    top = range_top(plain, 0)
    a = solve_dynamic(plain, max_stock=top, exact=True, keep_values=True)
    b = solve_dynamic(explicit, max_stock=top, exact=True, keep_values=True)
    assert a.value_start == b.value_start
    assert a.policy.to_lists() == b.policy.to_lists()
    assert list(a.ready_rate.pmf) == list(b.ready_rate.pmf)
    sa = solve_static(plain, max_stock=top, exact=True)
    sb = solve_static(explicit, max_stock=top, exact=True)
    assert (sa.base_stock, sa.cost_per_period) == (sb.base_stock, sb.cost_per_period)
    assert list(sa.costs) == list(sb.costs)
