r"""The non-strategic supplier's optimal base-stock level (docs/model.md sections 5 and 11).

One S for every period: the ready count is Binomial(T, F(S)), and
:math:`C(S) = T h H(S) + E[G(\mathrm{Bin}(T, F(S)))]` is minimised over S, the smallest S on
ties; with a purchase price, a salvage value, an initial stock or stock carried over the rule is
"order up to max(S, x)" and C(S) comes from :func:`~slamarkov.solve.carry.static_costs`. In
float64 or, with ``exact=True`` and rational data, in exact rational arithmetic.
"""

from __future__ import annotations

import numpy as np

from ..chain.distribution import ReadyRateDistribution
from ..chain.policy import Policy
from ..core.binomial import binomial_pmf, binomial_rows
from ..errors import SolverError
from ..model.contract import FILL_RATE
from ..model.customers import CustomersProblem
from ..model.problem import Problem
from .carry import static_costs
from .customers import solve_customers_static
from .fill import solve_fill_static
from .limits import check_solve
from .options import check_exact, check_max_stock, stock_range, validate_max_stock
from .results import StaticSolution

__all__ = ["solve_static"]


def solve_static(problem: Problem, *, max_stock=None, exact: bool = False) -> StaticSolution:
    r"""The non-strategic supplier's optimal base-stock level (docs/model.md section 5).

    .. math:: C(S) = T h H(S) + \sum_v \binom{T}{v} F(S)^v (1 - F(S))^{T-v} G(v)

    is minimised over S = 0..max_stock (smallest S on ties). For continuous uniform demand C is
    a polynomial in q = F(S); it is minimised over q in [0, 1] by a fine grid refined with a
    bounded scalar search (not exact; use discrete demand for exact mode).

    Parameters
    ----------
    problem : Problem
    max_stock : int, optional
        As in :func:`solve_dynamic`.
    exact : bool, default False

    Returns
    -------
    StaticSolution
        Or, for a fill-rate contract, a :class:`~slamarkov.solve.fill.FillStaticSolution`.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem
    >>> sol = solve_static(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40)
    >>> sol.base_stock, round(sol.cost_per_period, 6)
    (8, -0.87201)
    """
    if isinstance(problem, CustomersProblem):  # several customers (docs/model.md section 15)
        return solve_customers_static(problem, max_stock=max_stock, exact=exact)
    check_exact(problem, exact)
    max_stock = validate_max_stock(problem, max_stock)
    if problem.contract.measure == FILL_RATE:  # docs/model.md section 14
        return solve_fill_static(problem, max_stock, exact)
    check_solve(problem, max_stock, exact=exact)
    T = problem.review_period
    G = problem.contract.settlement(exact=exact)
    demand = problem.demand
    x0 = problem.initial_stock
    if demand.discrete and (problem.carries or problem.purchase_cost or x0):
        top, _ = stock_range(problem, max_stock)
        top = max(int(top), int(x0))
        costs = static_costs(problem, top, exact=exact)
        if exact:
            best = min(range(top + 1), key=lambda s: (costs[s], s))
        elif demand.rational:
            best = _static_exact_tie(problem, costs, top)
        else:
            best = int(np.argmin(costs))
        check_max_stock(max_stock, best, "for the static policy")
        policy = Policy.base_stock(problem, best, max_stock=top, exact=exact)
        return StaticSolution(
            problem=problem,
            base_stock=best,
            cost_per_period=costs[best] / T if exact else float(costs[best]) / T,
            costs=costs / T,
            ready_rate=policy.ready_count(),
            policy=policy,
            max_stock=max_stock if max_stock is not None else top,
        )
    rows = None  # the float Binomial(T, F(S)) rows, when kept
    if demand.discrete:
        top, _ = stock_range(problem, max_stock)
        top = int(top)
        F, H = demand.table(top, exact=exact)
        if exact:
            h = problem.holding_cost
            costs = np.array(
                [T * h * H[s] + (binomial_pmf(T, F[s], exact=True) * G).sum() for s in range(top + 1)],
                dtype=object,
            )
            best = min(range(top + 1), key=lambda s: (costs[s], s))
        else:
            h = float(problem.holding_cost)
            # the Binomial(T, F(S)) rows depend on T and the demand only: kept across the
            # holding costs and contracts of a grid (binomial_rows; a large table row by row);
            # multiply-and-sum, not a BLAS dot, whose thread start-up costs more than the sum
            rows = binomial_rows(T, F)
            costs = T * h * H + np.array([(row * G).sum() for row in rows])
            best = int(np.argmin(costs))
            if demand.rational:
                best = _static_exact_tie(problem, costs, top)
        check_max_stock(max_stock, best, "for the static policy")
        q = F[best]
        per_period = costs / T
        base_stock = best
    else:
        if exact:
            raise SolverError(
                "exact: the static policy for continuous demand has no exact solution (its "
                "optimal base stock is a root of a polynomial of degree T, in general "
                "irrational); use exact=False")
        h = float(problem.holding_cost + problem.purchase_cost)
        base_stock, cost = _static_continuous_uniform(problem, h, G)
        cost += T * float(problem.purchase_cost) * demand.mean
        q = demand.cdf(base_stock)
        per_period = None
        costs_best = cost
    if exact:
        ready_pmf = binomial_pmf(T, q, exact=True)
    elif isinstance(rows, np.ndarray):
        ready_pmf = rows[base_stock].copy()  # the row of F(S*), binomial_pmf(T, F(S*))
    else:
        ready_pmf = binomial_pmf(T, float(q))
    ready = ReadyRateDistribution(problem.contract, ready_pmf)
    policy = Policy.constant(problem, base_stock, exact=exact)
    cost_pp = per_period[base_stock] if per_period is not None else costs_best / T
    return StaticSolution(
        problem=problem,
        base_stock=base_stock,
        cost_per_period=cost_pp if exact else float(cost_pp),
        costs=per_period,
        ready_rate=ready,
        policy=policy,
        max_stock=(max_stock if max_stock is not None else top) if demand.discrete else demand.upper,
    )


#: float static costs this close (relative to the largest |cost|) are compared exactly
_STATIC_TIE_RTOL = 1e-9


def _static_exact_tie(problem, costs, top):
    """The smallest minimiser of the float static costs, with near-ties decided exactly.

    Rounding (the float binomial pmf is not exact) can break an exact tie either way, so every
    S whose float cost is within a relative 1e-9 of the minimum is costed again in exact
    rational arithmetic and the smallest exact minimiser wins, as in exact mode and as the
    dynamic solver's exact hull slopes decide (docs/model.md section 5). Only near-tied
    candidates are costed exactly, so the usual case (one clear minimiser) costs nothing extra.
    """
    cmin = costs.min()
    tol = _STATIC_TIE_RTOL * max(1.0, float(np.abs(costs).max()))
    near = np.flatnonzero(costs <= cmin + tol)
    if len(near) == 1:
        return int(near[0])
    if problem.carries or problem.purchase_cost or problem.initial_stock:
        values = static_costs(problem, int(top), exact=True, levels=near)
        exact = dict(zip((int(s) for s in near), values))
        return min(exact, key=lambda s: (exact[s], s))
    T = problem.review_period
    h = problem.holding_cost
    G = problem.contract.settlement(exact=True)
    F, H = problem.demand.table(int(top), exact=True)
    exact = {int(s): T * h * H[s] + (binomial_pmf(T, F[s], exact=True) * G).sum() for s in near}
    return min(exact, key=lambda s: (exact[s], s))


def _static_continuous_uniform(problem, h, G):
    """Minimise C over real S for continuous uniform demand: C is a polynomial in q = F(S)."""
    demand = problem.demand
    T = problem.review_period
    a, b = float(demand.low), float(demand.high)

    def cost_q(q):
        return T * h * q * q * (b - a) / 2 + binomial_pmf(T, float(q)) @ G

    grid = np.linspace(0.0, 1.0, 2001)
    vals = np.array([cost_q(q) for q in grid])
    k = int(np.argmin(vals))
    lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]
    best_q, best_c = grid[k], vals[k]
    if hi > lo:
        from scipy import optimize  # only for continuous demand

        res = optimize.minimize_scalar(cost_q, bounds=(lo, hi), method="bounded",
                                       options={"xatol": 1e-12})
        if res.fun < best_c:
            best_q, best_c = float(res.x), float(res.fun)
    # q = 0 costs the same at S = 0 as at S = a: the smallest stock wins
    S = 0.0 if best_q <= 0 else a + best_q * (b - a)
    return S, best_c
