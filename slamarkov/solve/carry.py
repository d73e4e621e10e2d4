r"""Stock that carries over: the dynamic program over (i, v, x) and the static base-stock cost
(docs/model.md section 11).

With ``leftover = "carry"`` a supplier holding x units orders up to :math:`y \ge x`; demand d
makes the period ready iff :math:`d \le y` and leaves :math:`(y - d)^+` on hand. A period costs
:math:`c(y - x) + c\,E(d - y)^+ + h\,E(y - d)^+ = c\,E[d] - c x + (c + h) H(y)` in expectation,
and the stock left after period T is worth s per unit. With

.. math::

    W_i(v, y) = c\,E[d] + (c + h) H(y)
        + \sum_{d \le y} P(d)\, V_{i+1}(v + 1, y - d) + (1 - F(y))\, V_{i+1}(v, 0),

the values are :math:`V_{T+1}(v, x) = G(v) - s x` and
:math:`V_i(v, x) = -c x + \min_{y \ge x} W_i(v, y)`, the smallest minimiser on ties. For a
layer, :math:`W_i` is one matrix product of the next layer's values with the demand's Toeplitz
kernel, and the minimum over :math:`y \ge x` is a suffix minimum: the optimal order from x is
the first "record" at or after x (a y whose W is no larger than any W to its right).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..chain.kernels import kernel_for
from ..chain.policy import Policy
from ..chain.space import StateSpace
from ..chain.tables import DemandTables
from ..core.binomial import binomial_pmf
from ..core.numbers import rounding_resolution

__all__ = ["solve_carry_dynamic", "static_costs", "static_cost_by_chain", "suffix_argmin"]


def suffix_argmin(W: np.ndarray, tie: float = 0.0) -> np.ndarray:
    r"""For each row and each x, the smallest :math:`y \ge x` minimising ``W[row, y]``.

    ``tie`` (float arrays only) is the rounding resolution of W: a y whose W is within ``tie``
    of every W to its right counts as a minimiser, so values that are equal in exact arithmetic
    but differ by rounding still go to the smallest stock (docs/model.md section 11).

    Examples
    --------
    >>> suffix_argmin(np.array([[3.0, 1.0, 2.0, 1.0]])).tolist()
    [[1, 1, 3, 3]]
    """
    n, m = W.shape
    # suffix minimum of y+1..m-1 (infinite past the end)
    if W.dtype == object:
        after = np.empty((n, m), dtype=object)
        after[:, m - 1] = None
        best = [None] * n
        for y in range(m - 1, -1, -1):  # exact mode only: small layers
            after[:, y] = best
            best = [w if b is None or w < b else b for w, b in zip(W[:, y], best)]
        record = np.array([[b is None or w <= b for w, b in zip(rw, ra)]
                           for rw, ra in zip(W, after)], dtype=bool).reshape(n, m)
    else:
        suffix = np.minimum.accumulate(W[:, ::-1], axis=1)[:, ::-1]
        after = np.empty_like(W)
        after[:, :-1] = suffix[:, 1:]
        after[:, -1] = np.inf
        record = W <= after + tie
    # the optimum from x is the first record at or after x
    idx = np.where(record, np.arange(m)[None, :], m)
    return np.minimum.accumulate(idx[:, ::-1], axis=1)[:, ::-1]


def solve_carry_dynamic(problem, K: int, *, exact: bool = False, keep_values: bool = False):
    r"""Backward induction over (i, v, x) for ``leftover = "carry"``.

    Returns
    -------
    space : StateSpace
    orders : ndarray
        The order-up-to level :math:`y_i(v, x)` of every transient state, flat in state order.
    value_start : float or Fraction
        :math:`V_1(0, x_1)`.
    values : ndarray or None
        :math:`V_i(v, x)` flat in state order, when kept.
    """
    T = problem.review_period
    x0 = int(problem.initial_stock)
    space = StateSpace.for_problem(problem, K)
    tables = DemandTables(problem.demand, K, exact=exact)
    F, H, kernel, mean = tables.F, tables.H, tables.toeplitz, tables.mean
    one = Fraction(1) if exact else 1.0
    h = problem.holding_cost if exact else float(problem.holding_cost)
    c = problem.purchase_cost if exact else float(problem.purchase_cost)
    s = problem.salvage_value if exact else float(problem.salvage_value)
    G = problem.contract.settlement(exact=exact)
    levels = np.arange(K + 1)
    period_cost = c * mean + (c + h) * H  # expected cost of a period before -c x, by y
    # contiguous: numpy multiplies by a transposed view tens of times more slowly
    kernel_t = np.ascontiguousarray(kernel.T)
    not_ready = one - F
    dtype = object if exact else np.float64
    orders = np.zeros(space.n_transient, dtype=np.uint8 if K <= 255 else np.int64)
    values = np.empty(space.n_transient, dtype=dtype) if keep_values else None
    # V_{T+1}(v, x) = G(v) - s x
    V = G[:, None] - s * levels[None, :]
    for i in range(T, 0, -1):
        Vn = V[: i + 1]
        W = np.asarray(Vn[1:] @ kernel_t, dtype=dtype)  # sum_x' P(y - x') V_{i+1}(v+1, x')
        W += not_ready[None, :] * Vn[:i, :1]
        W += period_cost[None, :]
        if i == 1:
            y = int(suffix_argmin(W[:1], 0 if exact else rounding_resolution(W, T))[0, x0])
            Y = np.array([[y]])
            Vi = np.array([[W[0, y] - c * x0]], dtype=dtype)
        else:
            Y = suffix_argmin(W, 0 if exact else rounding_resolution(W, T - i + 1))
            Vi = np.take_along_axis(W, Y, axis=1) - c * levels[None, :]
        space.layer(orders, i)[...] = Y
        if keep_values:
            space.layer(values, i)[...] = Vi
        V = Vi
    value_start = V[0, 0]
    return space, orders, value_start, values


def static_costs(problem, K: int, *, exact: bool = False, levels=None):
    r"""Expected cost of the review period under the base-stock rule "order up to max(S, x)",
    for each S = 0..K (or each S in ``levels``), with a purchase price, a salvage value, an
    initial stock or stock carried over (docs/model.md section 11).

    When :math:`S \ge x_1` the order is always S, so the ready count is Binomial(T, F(S)) and the
    purchases add up to the demand plus the final stock minus the initial one:

    .. math::

        C(S) = c\,T E[d] - c x_1 + (c - s) H(S) + T h H(S) + E[G(\mathrm{Bin}(T, F(S)))],

    where with discard the final stock is thrown away (no :math:`(c - s) H(S)`: the purchases are
    then :math:`c (T E[d] + T H(S)) - c x_1`, i.e. h acts as h + c). Below :math:`x_1` the policy
    is evaluated on the chain.

    Returns
    -------
    ndarray
        C(S) for S = 0..K, or for the given levels in their order.

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform, Problem
    >>> prob = Problem(Contract(2, 0.5, 1, penalty=4), DiscreteUniform(0, 1), 1,
    ...                purchase_cost=1, salvage_value=1, leftover="carry")
    >>> [str(c) for c in static_costs(prob, 2, exact=True)]
    ['2', '2', '4']
    """
    T = problem.review_period
    x0 = int(problem.initial_stock)
    tables = DemandTables(problem.demand, K, exact=exact)
    F, H, mean = tables.F, tables.H, tables.mean
    h = problem.holding_cost if exact else float(problem.holding_cost)
    c = problem.purchase_cost if exact else float(problem.purchase_cost)
    s = problem.salvage_value if exact else float(problem.salvage_value)
    G = problem.contract.settlement(exact=exact)
    levels = range(K + 1) if levels is None else [int(S) for S in levels]
    costs = np.empty(len(levels), dtype=object if exact else np.float64)
    for k, S in enumerate(levels):
        if S >= x0:
            # carry: the final stock is worth s; discard: it is thrown away and h acts as h + c
            final = (c - s) * H[S] if problem.carries else T * c * H[S]
            costs[k] = (c * T * mean - c * x0 + final + T * h * H[S]
                        + (binomial_pmf(T, F[S] if exact else float(F[S]), exact=exact) * G).sum())
        else:
            costs[k] = static_cost_by_chain(problem, K, S, exact=exact)
    return costs


def static_cost_by_chain(problem, K: int, S: int, *, exact: bool = False):
    """Expected cost of the base-stock rule max(S, x), by policy evaluation on the problem's
    chain (stock carried over or thrown away; docs/model.md section 11)."""
    x0 = int(problem.initial_stock)
    top = max(K, x0)
    policy = Policy.base_stock(problem, S, max_stock=top, exact=exact)
    kernel = kernel_for(policy)
    space, tables = policy.space, policy.tables
    h = problem.holding_cost if exact else float(problem.holding_cost)
    c = problem.purchase_cost if exact else float(problem.purchase_cost)

    def stage_cost(i, Y):
        x = space.stock_levels(i)[None, :]
        y = np.asarray(Y, dtype=np.int64)
        return c * tables.mean + (c + h) * tables.H.take(y) - c * np.minimum(y, x)

    terminal = kernel.terminal_costs(settlement=True, salvage=True)
    V = kernel.expected_values(terminal, stage_cost)
    return V[1][0, 0]
