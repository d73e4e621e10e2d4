"""Several customers sharing one stock (docs/model.md section 15), against a brute force written
from the model's words alone: a recursion over explicit demand vectors for the values, orders and
allocations, and an enumeration of every demand path for the joint pmf, the sacrificed periods
and the static policies' costs. Exact arithmetic, demand on {0, 1, 2}, T <= 3, k = 2 and 3."""

from __future__ import annotations

import itertools
from fractions import Fraction as Fr
from functools import lru_cache

import numpy as np
import pytest

from slamarkov import Contract, Empirical
from slamarkov.model.customers import Customer, CustomersProblem
from slamarkov.solve.customers import (
    outlook_from,
    solve_customers_dynamic,
    solve_customers_static,
    state_probabilities,
)


def brute_force(problem, pmfs):
    """Values, orders, allocations; joint pmf, sacrificed periods; static costs by rule."""
    cs = problem.customers
    k, T = len(cs), problem.review_period
    h, c, s = problem.holding_cost, problem.purchase_cost, problem.salvage_value
    carry = problem.carries
    vectors = [(d, np.prod([pmfs[j][d[j]] for j in range(k)])) for d in
               itertools.product(range(3), repeat=k)]
    vectors = [(d, p) for d, p in vectors if p != 0]
    top = 2 * k  # no order above the largest total demand can help
    sets = [A for r in range(k + 1) for A in itertools.combinations(range(k), r)]

    def G(v):
        return sum(cu.contract.settlement(exact=True)[v[j]] for j, cu in enumerate(cs))

    def period_cost(y, x, d):
        D = sum(d)
        return c * max(y - x, 0) + c * max(D - y, 0) + h * max(y - D, 0)

    def after(y, d):
        return max(y - sum(d), 0) if carry else 0

    @lru_cache(maxsize=None)
    def V(i, v, x):
        if i == T + 1:
            return G(v) - (s * x if carry else 0)
        return best_order(i, v, x)[1]

    def allocate(i, v, y, d):
        xp = after(y, d)
        fit = [A for A in sets if sum(d[j] for j in A) <= y]
        return min(fit, key=lambda A: (V(i + 1, tuple(v[j] + (j in A) for j in range(k)), xp),
                                       -len(A), A))

    @lru_cache(maxsize=None)
    def best_order(i, v, x):
        lo = x if carry else 0
        best = None
        for y in range(lo, max(top, lo) + 1):
            total = Fr(0)
            for d, p in vectors:
                A = allocate(i, v, y, d)
                total += p * (period_cost(y, x, d)
                              + V(i + 1, tuple(v[j] + (j in A) for j in range(k)), after(y, d)))
            if best is None or total < best[1]:
                best = (y, total)
        return best

    x1 = int(problem.initial_stock)

    def run(order, alloc):
        joint, sac, cost, visits = {}, [Fr(0)] * k, Fr(0), {}
        for path in itertools.product(vectors, repeat=T):
            prob = np.prod([p for _, p in path])
            v, x, total = (0,) * k, x1, Fr(0)
            for i, (d, _) in enumerate(path, start=1):
                visits[(i, v, x)] = visits.get((i, v, x), Fr(0)) + prob
                y = order(i, v, x)
                A = alloc(i, v, y, d)
                for j in range(k):
                    if d[j] <= y and j not in A:
                        sac[j] += prob
                total += period_cost(y, x, d)
                v = tuple(v[j] + (j in A) for j in range(k))
                x = after(y, d)
            total += G(v) - (s * x if carry else 0)
            joint[v] = joint.get(v, Fr(0)) + prob
            cost += prob * total
        run.visits = visits
        return joint, sac, cost

    def rule_alloc(rule):
        def alloc(i, v, y, d):
            order = range(k) if rule == "priority" else sorted(range(k), key=lambda j: (d[j], j))
            left, out = y, []
            for j in order:
                if d[j] <= left:
                    left -= d[j]
                    out.append(j)
            return tuple(sorted(out))
        return alloc

    dyn = run(lambda i, v, x: best_order(i, v, x)[0], allocate)
    visits = run.visits
    static = {}
    for rule in ("priority", "smallest-first"):
        runs = [run(lambda i, v, x, S=S: max(S, x), rule_alloc(rule)) for S in range(top + 1)]
        costs = [r[2] for r in runs]
        S = costs.index(min(costs))
        static[rule] = (S, runs[S])
    return dict(V=V, best_order=best_order, allocate=allocate, dynamic=dyn, static=static,
                vectors=vectors, visits=visits)


def _contract(T, lo, hi, scheme, pen, bon):
    return Contract(review_period=T, penalty_threshold=lo, bonus_threshold=hi, scheme=scheme,
                    penalty=pen, bonus=bon)


CASES = [
    # (T, customers as (thresholds, scheme, amounts, pmf), h, c, s, leftover, x1)
    (2, [(("1/2", "1"), "lump-sum", (10, 6), ("1/3", "1/3", "1/3")),
         (("1/2", "1"), "lump-sum", (10, 6), ("1/3", "1/3", "1/3"))], 1, 0, 0, "discard", 0),
    (3, [(("2/3", "1"), "lump-sum", (12, 4), ("1/4", "1/2", "1/4")),
         (("1/3", "2/3"), "linear", (30, 9), ("1/2", "1/4", "1/4"))], "1/2", 0, 0, "discard", 0),
    (2, [(("1/2", "1"), "lump-sum", (8, 3), ("1/5", "2/5", "2/5")),
         (("1", "1"), "lump-sum", (5, 5), ("1/3", "1/3", "1/3")),
         (("1/2", "1/2"), "linear", (20, 20), ("1/2", "0", "1/2"))], 1, 0, 0, "discard", 0),
    (2, [(("1/2", "1"), "lump-sum", (10, 6), ("1/3", "1/3", "1/3")),
         (("1/2", "1"), "linear", (16, 6), ("1/4", "1/4", "1/2"))], "1/2", 1, "1/2", "carry", 1),
    (3, [(("2/3", "1"), "lump-sum", (9, 6), ("1/3", "1/3", "1/3")),
         (("1/3", "1"), "lump-sum", (9, 3), ("1/2", "1/3", "1/6"))], 1, "1/2", 0, "carry", 0),
    (1, [(("1", "1"), "lump-sum", (4, 1), ("1/3", "1/3", "1/3")),
         (("1", "1"), "lump-sum", (4, 1), ("1/3", "1/3", "1/3")),
         (("1", "1"), "lump-sum", (3, 2), ("1/2", "1/4", "1/4"))], "1/4", 0, 0, "carry", 2),
    (2, [(("1/2", "1"), "lump-sum", (6, 2), ("1/3", "1/3", "1/3")),
         (("1/2", "1"), "lump-sum", (7, 2), ("1/3", "1/3", "1/3")),
         (("1", "1"), "linear", (9, 4), ("1/4", "1/4", "1/2"))], "1/2", "1/4", "1/4", "carry", 0),
]


def build(case):
    T, custs, h, c, s, leftover, x1 = case
    customers = [Customer(f"c{j}", _contract(T, Fr(lo), Fr(hi), scheme, *amounts),
                          Empirical([Fr(p) for p in pmf]))
                 for j, ((lo, hi), scheme, amounts, pmf) in enumerate(custs)]
    return CustomersProblem(customers, Fr(h), purchase_cost=Fr(c), salvage_value=Fr(s),
                            leftover=leftover, initial_stock=x1)


@pytest.fixture(scope="module", params=range(len(CASES)))
def solved(request):
    case = CASES[request.param]
    p = build(case)
    pmfs = [[Fr(x) for x in pmf] for *_, pmf in case[1]]
    return p, brute_force(p, pmfs), solve_customers_dynamic(p, exact=True)


def _states(p, i, K):
    xs = [int(p.initial_stock)] if i == 1 else (range(K + 1) if p.carries else [0])
    for v in itertools.product(range(i), repeat=p.k):
        for x in xs:
            yield v, x


class TestDynamic:
    def test_value(self, solved):
        p, bf, sol = solved
        assert sol.value_start == bf["V"](1, (0,) * p.k, int(p.initial_stock))
        assert sol.cost_per_period == sol.value_start / p.review_period

    def test_orders_and_allocations(self, solved):
        p, bf, sol = solved
        for i in range(1, p.review_period + 1):
            for v, x in _states(p, i, sol.max_stock):
                y = bf["best_order"](i, v, x)[0]
                assert sol.order(i, v, x) == y, (i, v, x)
                for d, _ in bf["vectors"]:
                    assert sol.serve(i, v, y, d, x) == bf["allocate"](i, v, y, d), (i, v, x, d)

    def test_outlook_from_every_state_is_its_value(self, solved):
        p, bf, sol = solved
        for i in range(1, p.review_period + 1):
            for v, x in _states(p, i, sol.max_stock):
                out = outlook_from(sol, i, v, x)
                assert out.cost == bf["V"](i, v, x), (i, v, x)
                assert out.joint_pmf.sum() == 1
                assert [m.sum() for m in out.visits] == [1] * (p.review_period + 1 - i)

    def test_state_probabilities(self, solved):
        p, bf, sol = solved
        probs = state_probabilities(sol)
        for i in range(1, p.review_period + 1):
            for v, x in _states(p, i, sol.max_stock):
                s = sum(v[j] * i ** (p.k - 1 - j) for j in range(p.k))
                col = 0 if (i == 1 or not p.carries) else x
                assert probs[i - 1][s, col] == bf["visits"].get((i, v, x), 0), (i, v, x)

    def test_joint_pmf_and_sacrificed(self, solved):
        p, bf, sol = solved
        joint, sac, cost = bf["dynamic"]
        assert sol.joint_pmf.shape == (p.review_period + 1,) * p.k
        for w in itertools.product(range(p.review_period + 1), repeat=p.k):
            assert sol.joint_pmf[w] == joint.get(w, 0), w
        assert sol.joint_pmf.sum() == 1
        assert list(sol.sacrificed) == sac
        assert cost == sol.value_start  # the forward cost of the policy is its value

    @pytest.mark.parametrize("rule", ["priority", "smallest-first"])
    def test_static(self, solved, rule):
        p, bf, dyn = solved
        S, (joint, sac, cost) = bf["static"][rule]
        sol = solve_customers_static(p, rule, exact=True)
        assert (sol.base_stock, sol.value_start) == (S, cost)
        for w in itertools.product(range(p.review_period + 1), repeat=p.k):
            assert sol.joint_pmf[w] == joint.get(w, 0), w
        assert list(sol.sacrificed) == sac
        assert dyn.value_start <= sol.value_start
        for j, rr in enumerate(sol.ready_rates):
            assert list(rr.pmf) == list(sol.joint_pmf.sum(
                axis=tuple(a for a in range(p.k) if a != j)))
