r"""The strategic supplier's optimal dynamic policy (docs/model.md sections 4 and 11).

Dynamic policy (docs/model.md section 4), a finite-horizon stochastic DP by backward induction:

.. math::

    V_{T+1}(v) = G(v), \qquad
    V_i(v) = V_{i+1}(v) + \min_S \{ h H(S) - \Delta_i(v) F(S) \}, \qquad
    \Delta_i(v) = V_{i+1}(v) - V_{i+1}(v+1).

The decision in a state depends on :math:`\Delta` alone. For a finite set of candidate stocks the
minimiser is a vertex of the lower convex hull of the points :math:`(F(S), h H(S))`: the vertex
whose two adjacent hull slopes bracket :math:`\Delta`. So each stage costs one ``searchsorted`` of
the stage's :math:`\Delta` vector into the hull's slopes, never a scan over every stock in every
state. Ties go to the smallest stock. Continuous uniform demand has a closed-form minimiser.

The solver runs in float64 or, with ``exact=True`` and rational data, in exact rational
arithmetic; with stock carried over it is the dynamic program of :mod:`slamarkov.solve.carry`.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..chain.policy import Policy
from ..chain.triangle import n_transient, offset, stage_of
from ..core.numbers import rounding_resolution
from ..model.contract import FILL_RATE
from ..model.customers import CustomersProblem
from ..model.problem import Problem
from .carry import solve_carry_dynamic
from .customers import solve_customers_dynamic
from .fill import solve_fill_dynamic
from .limits import check_solve
from .options import check_exact, check_max_stock, stock_range, validate_max_stock
from .results import DynamicSolution

__all__ = ["solve_dynamic", "lower_envelope", "KEEP_VALUES_UP_TO"]


#: keep per-state values and decision values by default up to this many states
KEEP_VALUES_UP_TO = 5_000_000


def lower_envelope(F, cost):
    r"""The lower convex hull of the points (F(S), cost(S)), S = 0..K, for the per-state argmin.

    Returns the indices ``vertex`` of the hull's vertices (increasing S) and the slopes between
    consecutive vertices (strictly increasing). For a decision value :math:`\Delta`,
    ``vertex[searchsorted(slopes, Delta, side="left")]`` is the smallest S minimising
    ``cost(S) - Delta * F(S)``. Points with the F of a smaller S, and points on a hull edge, are
    dropped: they are never the smallest minimiser.

    Examples
    --------
    >>> import numpy as np
    >>> vertex, slopes = lower_envelope(np.array([0.2, 0.5, 0.8, 0.8, 1.0]),
    ...                                 np.array([0.0, 0.2, 0.8, 1.0, 1.8]))
    >>> vertex.tolist(), np.round(slopes.astype(float), 6).tolist()
    ([0, 1, 2, 4], [0.666667, 2.0, 5.0])
    """
    hull: list[int] = []
    for k in range(len(F)):
        if hull and F[k] == F[hull[-1]]:
            continue  # same ready probability at a higher stock: never the smallest minimiser
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            # drop b when it is on or above the chord a-k (slope(a,b) >= slope(b,k))
            if (cost[b] - cost[a]) * (F[k] - F[b]) >= (cost[k] - cost[b]) * (F[b] - F[a]):
                hull.pop()
            else:
                break
        hull.append(k)
    vertex = np.array(hull, dtype=np.int64)
    dx = F[vertex[1:]] - F[vertex[:-1]]
    dy = cost[vertex[1:]] - cost[vertex[:-1]]
    slopes = dy / dx
    return vertex, slopes


def solve_dynamic(problem: Problem, *, max_stock=None, exact: bool = False,
                  keep_values=None) -> DynamicSolution:
    r"""The strategic supplier's optimal policy by backward induction (docs/model.md section 4).

    Parameters
    ----------
    problem : Problem
    max_stock : int, optional
        Top of the integer stock range 0..max_stock (the study used 40). By default the
        critical-fractile bound of :meth:`Problem.stock_bound`, beyond which no stock can be
        optimal. A smaller value that cuts off the optimum raises :class:`SolverError`.
    exact : bool, default False
        Exact rational arithmetic (demand with rational probabilities only).
    keep_values : bool, optional
        Keep :math:`V_i(v)` and :math:`\Delta_i(v)` for every state (default: up to 5 million
        states).

    Returns
    -------
    DynamicSolution
        Or, for a fill-rate contract, a :class:`~slamarkov.solve.fill.FillDynamicSolution`.

    Raises
    ------
    SolverError
        On a max_stock that cuts off the optimum, or exact mode with irrational demand.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem
    >>> sol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40)
    >>> round(sol.cost_per_period, 6), round(100 * sol.ready_rate.mean, 4)
    (-1.20155, 89.6123)
    >>> sol.policy.stage(10).tolist()
    [0, 0, 0, 0, 0, 0, 0, 10, 10, 0]
    """
    if isinstance(problem, CustomersProblem):  # several customers (docs/model.md section 15)
        return solve_customers_dynamic(problem, max_stock=max_stock, exact=exact)
    check_exact(problem, exact)
    max_stock = validate_max_stock(problem, max_stock)
    if problem.contract.measure == FILL_RATE:  # states (i, D, F[, x]): docs/model.md section 14
        return solve_fill_dynamic(problem, max_stock, exact, keep_values)
    check_solve(problem, max_stock, exact=exact)
    T = problem.review_period
    n = n_transient(T)
    if problem.carries:
        return _solve_dynamic_carry(problem, max_stock, exact, keep_values)
    if keep_values is None:
        keep_values = n <= KEEP_VALUES_UP_TO
    # With discard, a purchase price c acts like h + c plus c E[d] a period (docs/model.md
    # section 11); the initial stock only changes period 1, solved on its own below.
    h_model = problem.holding_cost + problem.purchase_cost
    h = h_model if exact else float(h_model)
    x0 = problem.initial_stock
    G = problem.contract.settlement(exact=exact)
    demand = problem.demand
    dtype = object if exact else np.float64

    values = np.empty(n, dtype=dtype) if keep_values else None
    deltas = np.empty(n, dtype=dtype) if keep_values else None
    V = G.copy()  # V_{i+1}(v), v = 0..i; only the first i+1 entries are live at stage i

    if demand.discrete:
        top, _ = stock_range(problem, max_stock)
        F, H = demand.table(int(top), exact=exact)
        if demand.rational and not exact:
            # Build the hull in exact arithmetic and round each slope once: an exact tie
            # (Delta equal to a slope, e.g. integer Delta/h with uniform demand) then stays a tie
            # in float and goes to the smaller stock.
            Fx, Hx = demand.table(int(top), exact=True)
            vertex, slopes_exact = lower_envelope(Fx, Hx * h_model)
            slopes = np.array([float(x) for x in slopes_exact], dtype=np.float64)
        else:
            vertex, slopes = lower_envelope(F, H * h)
        hx, hy = F[vertex], (H * h)[vertex]
        # np.zeros is lazily zeroed memory: states never written keep stock 0
        stock = np.zeros(n, dtype=np.uint8 if vertex[-1] <= 255 else np.int64)
        hs = vertex.astype(stock.dtype)
        every_stock = bool(np.array_equal(vertex, np.arange(len(vertex))))  # vertex k is stock k
        # Where Delta_i(v) == 0 exactly, S = 0 (vertex 0, cost 0) and V_i(v) = V_{i+1}(v): nothing
        # to do. V changes only on the window [lo, hi) of non-zero Delta, so the next stage's
        # Delta can be non-zero only on [lo - 1, hi): carry that window, trimmed of exact zeros.
        # Float stages write into two scratch buffers (no allocation in the loop).
        zero = Fraction(0) if exact else 0.0
        near_ties = demand.rational and not exact
        dbuf = None if exact else np.empty(T + 1)
        tbuf = None if exact else np.empty(T + 1)
        search = slopes.searchsorted
        lo, hi = 0, T
        o = offset(T)
        for i in range(T, 1 if x0 else 0, -1):
            if lo:
                lo -= 1
            if hi > i:
                hi = i
            if exact:
                di = V[lo:hi] - V[lo + 1 : hi + 1]
            else:
                di = np.subtract(V[lo:hi], V[lo + 1 : hi + 1], out=dbuf[: hi - lo])
            # trim exact zeros at the ends (amortised O(1): the window grows by one per stage)
            a, b = 0, hi - lo
            while a < b and di[a] == 0:
                a += 1
            while b > a and di[b - 1] == 0:
                b -= 1
            if a == b:
                lo = hi = 0
            else:
                di = di[a:b]
                lo, hi = lo + a, lo + b
                if near_ties:
                    # Delta carries the rounding of T - i + 1 backward steps: one that equals
                    # a slope exactly may land a few ulps above it, and within that resolution
                    # it is a tie, which goes to the smaller stock (docs/model.md section 4)
                    k = search(di - rounding_resolution(V[lo : hi + 1], T - i + 1), side="left")
                else:
                    k = search(di, side="left")
                stock[o + lo : o + hi] = k if every_stock else hs.take(k)
                # V_i(v) = V_{i+1}(v) + h H(S) - Delta F(S)
                w = V[lo:hi]
                w += hy.take(k)
                if exact:
                    w -= hx.take(k) * di
                else:
                    t = hx.take(k, out=tbuf[: hi - lo], mode="clip")
                    t *= di
                    w -= t
            if keep_values:
                deltas[o : o + i] = zero
                if hi > lo:
                    deltas[o + lo : o + hi] = di
                values[o : o + i] = V[:i]
            o -= i - 1
        if x0:
            # period 1 from (1, 0, x0): order up to any y >= 0 and pay c (y - x0)^+
            d1 = V[0] - V[1]
            y, V[0] = _first_period_with_stock(problem, F, H, V[0], d1, int(top), exact)
            stock[0] = y
            if keep_values:
                deltas[0], values[0] = d1, V[0]
        needed = int(stock.max(initial=0))
        check_max_stock(max_stock, needed, "in some state")
        top_used = max_stock if max_stock is not None else int(top)
    else:
        stock = np.empty(n, dtype=dtype)
        for i in range(T, 0, -1):
            o = offset(i)
            di = V[:i] - V[1 : i + 1]
            S = demand.best_stock(di, h, exact=exact)
            stock[o : o + i] = S
            if keep_values:
                deltas[o : o + i] = di
            V[:i] = V[:i] + h * demand.expected_leftover(S, exact=exact) - di * demand.cdf(S, exact=exact)
            if keep_values:
                values[o : o + i] = V[:i]
        top_used = demand.upper
    value_start = V[0]
    if problem.purchase_cost:
        # the constant c E[d] of every period still to come (docs/model.md section 11)
        per = problem.purchase_cost * demand.mean_value(exact)
        if not exact:
            per = float(per)
        value_start = value_start + T * per
        if keep_values:
            stage, _ = stage_of(np.arange(n))
            values += (T + 1 - stage) * per
    policy = Policy(problem, stock, kind="dynamic", exact=exact)
    return _dynamic_solution(policy, value_start, top_used, G, values, deltas)


def _dynamic_solution(policy, value_start, max_stock, terminal, values, deltas):
    """The result object of :func:`solve_dynamic`, with the exact ready-count distribution."""
    T = policy.review_period
    exact = policy.exact
    return DynamicSolution(
        problem=policy.problem,
        policy=policy,
        value_start=value_start if exact else float(value_start),
        cost_per_period=value_start / T if exact else float(value_start) / T,
        ready_rate=policy.ready_count(),
        max_stock=max_stock,
        terminal=terminal,
        values=values,
        deltas=deltas,
    )


def _first_period_with_stock(problem, F, H, V2_0, delta, top, exact):
    r"""Period 1 of the discard model from stock on hand x0 > 0: the smallest y minimising
    :math:`(c + h) H(y) - c \min(y, x_0) - \Delta F(y)`, and :math:`V_1(0, x_0)` without the
    constant c E[d] (docs/model.md section 11)."""
    c, h = problem.purchase_cost, problem.holding_cost
    if not exact:
        c, h = float(c), float(h)
    y = np.arange(top + 1)
    W = (c + h) * H - c * np.minimum(y, problem.initial_stock) - delta * F
    if exact:
        best = min(range(top + 1), key=lambda k: (W[k], k))
    elif problem.demand.rational:
        # values equal in exact arithmetic differ by rounding in float: the smallest y within
        # the resolution of the minimum, as in the stage loop of solve_dynamic
        tie = rounding_resolution(W, problem.review_period)
        best = int(np.flatnonzero(W <= W.min() + tie)[0])
    else:
        best = int(np.argmin(W))
    return best, V2_0 + W[best]


def _solve_dynamic_carry(problem, max_stock, exact, keep_values):
    """:func:`solve_dynamic` with stock carried over (docs/model.md section 11)."""
    T = problem.review_period
    top, _ = stock_range(problem, max_stock)
    top = max(int(top), int(problem.initial_stock))
    space_size = 1 + (top + 1) * (n_transient(T) - 1)
    if keep_values is None:
        keep_values = space_size <= KEEP_VALUES_UP_TO
    space, orders, value_start, values = solve_carry_dynamic(problem, top, exact=exact,
                                                             keep_values=keep_values)
    if max_stock is not None:
        # states holding more than max_stock exist only because the range reaches the bound;
        # an optimum is cut off when a state inside the user's range orders above it
        needed = max(int(space.layer(orders, i)[:, space.stock_levels(i) <= max_stock]
                         .max(initial=0)) for i in range(1, space.T + 1))
        check_max_stock(max_stock, needed, "in some state")
    policy = Policy(problem, orders, kind="dynamic", exact=exact, max_stock=top)
    return _dynamic_solution(policy, value_start, top, problem.contract.settlement(exact=exact),
                             values, None)
