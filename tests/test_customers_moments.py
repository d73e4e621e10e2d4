"""Moments of the chain of several customers (docs/model.md section 15, moments) against a brute
force over every demand path from a state: the mean and variance of the cost of the rest of the
review period and of its parts, and the every-start arrays (cost mean and variance, expected
sacrificed periods, P(penalty), P(bonus)). Exact arithmetic, k = 2, demand on {0, 1, 2}, T <= 3,
both leftover rules; the policy's own orders and allocations drive the paths."""

from __future__ import annotations

import itertools
from fractions import Fraction as Fr

import numpy as np
import pytest

from slamarkov import Contract, DiscreteUniform, Empirical, Problem, solve_dynamic
from slamarkov.chain.absorbing import AbsorbingChain
from slamarkov.errors import ChainError
from slamarkov.model.customers import Customer, CustomersProblem, demand_pmf
from slamarkov.solve.customer_moments import (customers_cost_components,
                                              customers_cost_moments, customers_state_moments)
from slamarkov.solve.customers import solve_customers_dynamic, solve_customers_static

CASES = [
    # (T, customers as (thresholds, scheme, amounts, pmf), h, c, s, leftover, x1)
    (2, [(("1/2", "1"), "lump-sum", (10, 6), ("1/3", "1/3", "1/3")),
         (("1/2", "1"), "linear", (16, 6), ("1/4", "1/4", "1/2"))], 1, 0, 0, "discard", 0),
    (3, [(("2/3", "1"), "lump-sum", (12, 4), ("1/4", "1/2", "1/4")),
         (("1/3", "2/3"), "linear", (30, 9), ("1/2", "1/4", "1/4"))], "1/2", "1/3", 0,
     "discard", 0),
    (2, [(("1/2", "1"), "lump-sum", (10, 6), ("1/3", "1/3", "1/3")),
         (("1/2", "1"), "linear", (16, 6), ("1/4", "1/4", "1/2"))], "1/2", 1, "1/2", "carry", 1),
    (3, [(("2/3", "1"), "lump-sum", (9, 6), ("1/3", "1/3", "1/3")),
         (("1/3", "1"), "lump-sum", (9, 3), ("1/2", "1/3", "1/6"))], 1, "1/2", 0, "carry", 0),
]


def build(case):
    T, custs, h, c, s, leftover, x1 = case
    customers = [Customer(f"c{j}", Contract(review_period=T, penalty_threshold=Fr(lo),
                                            bonus_threshold=Fr(hi), scheme=scheme,
                                            penalty=amounts[0], bonus=amounts[1]),
                          Empirical([Fr(p) for p in pmf]))
                 for j, ((lo, hi), scheme, amounts, pmf) in enumerate(custs)]
    return CustomersProblem(customers, Fr(h), purchase_cost=Fr(c), salvage_value=Fr(s),
                            leftover=leftover, initial_stock=x1)


def paths_from(sol, i0, v0, x0):
    """Every demand path from (i0, v0, x0) under the solution's policy: (probability, parts),
    parts = holding, purchase less salvage, each settlement, the total, each customer's
    sacrificed periods, penalty and bonus indicators."""
    p = sol.problem
    k, T = p.k, p.review_period
    h, c, s = p.holding_cost, p.purchase_cost, p.salvage_value
    pmfs = [demand_pmf(cu.demand, 2, exact=True) for cu in p.customers]
    vectors = [(d, np.prod([pmfs[j][d[j]] for j in range(k)]))
               for d in itertools.product(range(3), repeat=k)]
    vectors = [(d, q) for d, q in vectors if q != 0]
    out = []
    for path in itertools.product(vectors, repeat=T + 1 - i0):
        prob = np.prod([q for _, q in path]) if path else Fr(1)
        v, x = tuple(v0), x0
        hold, buy, sac = Fr(0), Fr(0), [0] * k
        for i, (d, _) in enumerate(path, start=i0):
            y = sol.order(i, v, x)
            A = sol.serve(i, v, y, d, x)
            D = sum(d)
            hold += h * max(y - D, 0)
            buy += c * max(y - x, 0) + c * max(D - y, 0)
            for j in range(k):
                sac[j] += d[j] <= y and j not in A
            v = tuple(v[j] + (j in A) for j in range(k))
            x = max(y - D, 0) if p.carries else 0
        if p.carries:
            buy -= s * x
        G = [cu.contract.settlement(exact=True)[v[j]] for j, cu in enumerate(p.customers)]
        pen = [int(v[j] < cu.contract.penalty_count) for j, cu in enumerate(p.customers)]
        bon = [int(v[j] >= cu.contract.bonus_count) for j, cu in enumerate(p.customers)]
        out.append((prob, dict(holding=hold, purchase=buy, settlement=sum(G),
                               total=hold + buy + sum(G),
                               **{f"settlement_c{j}": G[j] for j in range(k)}), sac, pen, bon))
    return out


def moments(paths, key):
    mean = sum(q * parts[key] for q, parts, *_ in paths)
    return mean, sum(q * (parts[key] - mean) ** 2 for q, parts, *_ in paths)


def states(p, i, K):
    xs = [int(p.initial_stock)] if i == 1 else (range(K + 1) if p.carries else [0])
    for v in itertools.product(range(i), repeat=p.k):
        for x in xs:
            yield v, x


def policies(p):
    return [solve_customers_dynamic(p, exact=True),
            solve_customers_static(p, "priority", exact=True),
            solve_customers_static(p, "smallest-first", exact=True)]


@pytest.fixture(scope="module", params=range(len(CASES)))
def solved(request):
    p = build(CASES[request.param])
    return p, policies(p)


def test_cost_components_from_several_states(solved):
    p, sols = solved
    for sol in sols:
        picks = [(1, (0, 0), int(p.initial_stock))]
        T = p.review_period
        picks += [(2, v, x) for v, x in itertools.islice(states(p, 2, sol.max_stock), 0, None, 3)]
        picks += [((T + 1), (1, T), 1 if p.carries else 0)]
        for i, v, x in picks:
            paths = paths_from(sol, i, v, x)
            parts = customers_cost_components(sol, i, v, x)
            want = ["holding"] + (["purchase"] if p.purchase_cost or p.salvage_value else []) \
                + ["settlement", "settlement_c0", "settlement_c1", "total"]
            assert list(parts) == want
            for key in want:
                assert parts[key] == moments(paths, key), (sol.kind, sol.rule, i, v, x, key)
            assert customers_cost_moments(sol, i, v, x) == parts["total"]


def test_every_start_arrays(solved):
    p, sols = solved
    for sol in sols:
        m = customers_state_moments(sol)
        assert m["mean"][1][0, 0] == sol.value_start  # the solver's value, exactly
        assert m["sacrificed"][1][0, 0].tolist() == list(sol.sacrificed)
        for i in range(1, p.review_period + 1):
            for v, x in states(p, i, sol.max_stock):
                paths = paths_from(sol, i, v, x)
                s = sum(v[j] * i ** (p.k - 1 - j) for j in range(p.k))
                col = 0 if (i == 1 or not p.carries) else x
                where = (sol.kind, sol.rule, i, v, x)
                assert (m["mean"][i][s, col], m["variance"][i][s, col]) == \
                    moments(paths, "total"), where
                for j in range(p.k):
                    assert m["sacrificed"][i][s, col, j] == sum(q * sac[j] for q, _, sac, _, _
                                                                in paths), where
                    assert m["p_penalty"][i][s, col, j] == sum(q * pen[j] for q, _, _, pen, _
                                                               in paths), where
                    assert m["p_bonus"][i][s, col, j] == sum(q * bon[j] for q, *_, bon
                                                             in paths), where


@pytest.mark.parametrize("case", [0, 3])
def test_float_agrees_with_exact(case):
    p = build(CASES[case])
    for exact_sol, float_sol in zip(policies(p), [
            solve_customers_dynamic(p), solve_customers_static(p, "priority"),
            solve_customers_static(p, "smallest-first")]):
        if exact_sol.base_stock != float_sol.base_stock:
            continue  # a float tie may pick another S; the moments are then of another policy
        me, mf = customers_state_moments(exact_sol), customers_state_moments(float_sol)
        for key in ("mean", "variance", "sacrificed", "p_penalty", "p_bonus"):
            for i in range(1, p.review_period + 1):
                assert np.allclose(np.asarray(me[key][i], dtype=float), mf[key][i],
                                   rtol=1e-12, atol=1e-12), (key, i)
        ce = customers_cost_components(exact_sol, 1, (0, 0))
        cf = customers_cost_components(float_sol, 1, (0, 0))
        for key in ce:
            assert np.allclose([float(t) for t in ce[key]], cf[key], rtol=1e-12, atol=1e-12)


def test_poisson_float_matches_solver_value():
    from slamarkov import Poisson
    p = CustomersProblem([Customer(n, Contract.study(4), Poisson(2)) for n in "ab"], 0.5)
    for sol in (solve_customers_dynamic(p), solve_customers_static(p)):
        m = customers_state_moments(sol)
        assert abs(m["mean"][1][0, 0] - sol.value_start) <= 1e-9 * abs(sol.value_start)
        assert m["variance"][1][0, 0] > 0


def test_bad_state():
    p = build(CASES[0])
    sol = solve_customers_dynamic(p, exact=True)
    with pytest.raises(ChainError, match="state"):
        customers_cost_moments(sol, 2, (2, 0))
    with pytest.raises(ChainError, match="state: period"):
        customers_cost_moments(sol, 0, (0, 0))


ONE = [
    Problem(Contract.study(4), DiscreteUniform(0, 4), Fr(1, 2)),
    Problem(Contract.study(4, "linear"), Empirical([Fr(1, 4), Fr(1, 2), Fr(1, 4)]), 1,
            purchase_cost=Fr(1, 2), initial_stock=1),
    Problem(Contract.study(4), DiscreteUniform(0, 3), Fr(1, 2), purchase_cost=1,
            salvage_value=Fr(1, 2), leftover="carry", initial_stock=2),
]


@pytest.mark.parametrize("problem", ONE)
def test_one_customer_is_the_single_customer_chain(problem):
    """k = 1: the cost moments from every state equal AbsorbingChain.cost_components, exactly."""
    ref = AbsorbingChain(solve_dynamic(problem, exact=True).policy)
    one = CustomersProblem([Customer("only", problem.contract, problem.demand)],
                           problem.holding_cost, purchase_cost=problem.purchase_cost,
                           salvage_value=problem.salvage_value, leftover=problem.leftover,
                           initial_stock=problem.initial_stock)
    sol = solve_customers_dynamic(one, exact=True)
    for i in range(1, problem.review_period + 1):
        for v, x in states(one, i, sol.max_stock):
            if problem.carries and x >= ref.space.width(i):
                continue
            start = (i, v[0], x) if problem.carries else (i, v[0])
            want = ref.cost_components(start)
            got = customers_cost_components(sol, i, v, x)
            for key in ("holding", "settlement", "total") + (
                    ("purchase",) if "purchase" in got else ()):
                assert got[key] == want[key], (i, v, x, key)
