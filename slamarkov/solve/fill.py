r"""Optimal policies for a fill-rate contract (docs/model.md section 14).

A state is (i, D, F[, x]): units demanded and filled so far and, with stock carried over, the
stock on hand. The dynamic program

.. math::

    V_{T+1}(D, F, x) = G(F, D) - s x, \qquad V_i(D, F, x) = -c x + \min_{y \ge x} W_i(D, F, y),

    W_i(D, F, y) = c E[d] + (c + h) H(y) + A_y(D, F) + B_y(D, F + y),

with :math:`A_y = \sum_{d \le y} P(d) V_{i+1}(D + d, F + d, (y - d)^+)` (filled in full) and
:math:`B_y(D, G) = \sum_{d > y} P(d) V_{i+1}(D + d, G, 0)` (short), runs layer by layer on the
square of pairs (D, F) (entries F > D unused): :math:`A_y` is one diagonal shift of the next
layer per demand, :math:`B_y = B_{y+1} + P(y + 1) V_{i+1}(D + y + 1, \cdot, 0)` one row shift
per order. Every stage is vectorised over the layer; only stages, orders and demands are looped.
The static policy orders up to max(S, x); with discard its (D, F) is the T-fold convolution of
(d, min(d, S)), pushed forward by diagonal shifts. Ties go to the smallest stock.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ..chain.absorbing import AbsorbingChain
from ..chain.fill import FillRateDistribution, triangle_pairs
from ..chain.policy import Policy
from ..chain.space import StateSpace
from ..chain.tables import DemandTables
from ..core.limits import FRACTION_BYTES, check_bytes, format_count
from ..core.numbers import rounding_resolution
from ..model.fill import fill_support
from ..model.problem import Problem
from .carry import static_cost_by_chain, suffix_argmin
from .options import check_max_stock, stock_range

__all__ = ["FillDynamicSolution", "FillStaticSolution", "solve_fill_dynamic",
           "solve_fill_static", "fill_state_count"]


@dataclass(frozen=True)
class FillDynamicSolution:
    r"""The result of :func:`~slamarkov.solve.solve_dynamic` on a fill-rate problem.

    Attributes
    ----------
    problem : Problem
    policy : Policy
        The order-up-to level of every state (i, D, F[, x]), flat in state order.
    value_start : float or Fraction
        :math:`V_1(0, 0, x_1)`, the expected cost of the review period.
    cost_per_period : float or Fraction
    fill_rate : FillRateDistribution
        The exact distribution of FR from the start.
    truncated_mass : float or Fraction
        The probability of the demand paths the float-mode cut drops (0 in exact mode).
    max_stock : int
    values : ndarray or None
        :math:`V_i(D, F[, x])` flat in state order, when kept.
    """

    problem: Problem
    policy: Policy
    value_start: object
    cost_per_period: object
    fill_rate: FillRateDistribution
    truncated_mass: object
    max_stock: int
    values: np.ndarray | None = field(default=None, repr=False)

    @functools.cached_property
    def chain(self) -> AbsorbingChain:
        """The policy's absorbing chain, built on first use and kept."""
        return AbsorbingChain(self.policy)


@dataclass(frozen=True)
class FillStaticSolution:
    """The result of :func:`~slamarkov.solve.solve_static` on a fill-rate problem.

    Attributes
    ----------
    problem : Problem
    base_stock : int
        S*, the smallest minimiser of the expected cost.
    cost_per_period : float or Fraction
    costs : ndarray
        C(S) / T for S = 0..max_stock; NaN (None in exact mode) for the S not costed because
        their holding and purchase cost alone exceed the best cost (docs/model.md section 14).
    fill_rate : FillRateDistribution
    truncated_mass : float or Fraction
    policy : Policy
    max_stock : int
    """

    problem: Problem
    base_stock: int
    cost_per_period: object
    costs: np.ndarray
    fill_rate: FillRateDistribution
    truncated_mass: object
    policy: Policy
    max_stock: int

    @functools.cached_property
    def chain(self) -> AbsorbingChain:
        """The policy's absorbing chain, built on first use and kept."""
        return AbsorbingChain(self.policy)


def _zeros(shape, exact):
    out = np.zeros(shape, dtype=object if exact else np.float64)
    if exact:
        out[...] = Fraction(0)
    return out


def fill_state_count(problem: Problem, max_stock: int = 0) -> int:
    """The number of transient states (i, D, F[, x]) of a fill-rate problem, from the sizes alone.

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform
    >>> fill_state_count(Problem(Contract(3, 0.5, 1, measure="fill-rate"), DiscreteUniform(0, 2), 1))
    22
    """
    return StateSpace.for_problem(problem, max_stock).n_transient


def _check_size(problem: Problem, K: int, exact: bool) -> None:
    """Refuse a fill-rate problem too large for memory, before allocating anything: first on a
    lower bound from the mean demand (the cut's convolution is itself O(T^2)), then on the exact
    state count and the widest layer's work arrays."""
    T = problem.review_period
    per = FRACTION_BYTES if exact else 8
    w = K + 1 if problem.carries else 1
    mean = max(int(problem.demand.mean), 0)
    low = (np.arange(T, dtype=np.float64) * mean + 1)
    low_states = float((low * (low + 1) / 2).sum()) * w
    check_bytes(low_states * 2 * per, "contract.review_period",
                f"T = {T} (fill rate) gives at least {format_count(int(low_states))} states, which")
    score = StateSpace.for_problem(problem, K).score
    n = score.cap(T + 1) + 1
    states = sum(score.size(i) for i in range(1, T + 1)) * w
    work = (n + max(K, score.support.period_max) + 1) ** 2 * (K + 1) * per * 4
    check_bytes(states * (2 * per + 8) + work, "contract.review_period",
                f"T = {T} (fill rate) gives {format_count(states)} states, which")


def _terminal(problem, space, exact):
    """V_{T+1} by the final stock levels, each on the square of final pairs (D, F):
    G(F, D) - s x, shape (levels, n, n)."""
    score = space.score
    n = score.cap(space.T + 1) + 1
    D, F = triangle_pairs(n - 1)
    G = score.settlement(problem.contract, exact=exact)
    w = space.final_width
    V = _zeros((w, n, n), exact)
    s = problem.salvage_value if exact else float(problem.salvage_value)
    for x in range(w):
        V[x, D, F] = G - s * x if space.carry else G
    return V


def _pad(V, size, exact):
    """V on a larger square (zeros outside): the next layer read at D + d beyond its range
    (dropped by the cut) and at columns F + y beyond the pairs (never used)."""
    n = V.shape[-1]
    if size <= n:
        return V
    out = _zeros(V.shape[:-2] + (size, size), exact)
    out[..., :n, :n] = V
    return out


def _stage_W(Vn, n, pmf, K, carry, period_cost, exact):
    r""":math:`W_i(D, F, y)` for y = 0..K on the square n x n of layer i's pairs, shape
    (K + 1, n, n): one contiguous square per order (module docstring)."""
    dmax = pmf.shape[0] - 1
    P = _pad(Vn, n + max(K, dmax) + 1, exact)
    X = P[0]
    # short: B_y(D, G) = sum_{d > y} P(d) V(D + d, G, 0), from y = K down
    B = _zeros((n, n + K), exact)
    for d in range(K + 1, dmax + 1):
        B += pmf[d] * X[d : d + n, : n + K]
    W = _zeros((K + 1, n, n), exact) if exact else np.empty((K + 1, n, n))
    tmp = None if exact else np.empty((n, n + K))
    for y in range(K, -1, -1):
        if exact:
            W[y] = B[:, y : y + n] + period_cost[y]
        else:
            np.add(B[:, y : y + n], period_cost[y], out=W[y])
        if 0 < y <= dmax:
            if exact:
                B = B + pmf[y] * X[y : y + n, : n + K]
            else:
                B += np.multiply(X[y : y + n, : n + K], pmf[y], out=tmp)
    # filled in full: A_y = sum_{d <= y} P(d) V(D + d, F + d, (y - d)^+)
    if carry:
        for d in range(min(dmax, K) + 1):
            W[d:] += pmf[d] * P[: K + 1 - d, d : d + n, d : d + n]
    else:
        run = _zeros((n, n), exact)
        for y in range(K + 1):
            if y <= dmax:
                if exact:
                    run = run + pmf[y] * X[y : y + n, y : y + n]
                else:
                    run += np.multiply(X[y : y + n, y : y + n], pmf[y], out=tmp[:, :n])
            W[y] += run
    return W


def _best_order(W, tie, exact):
    """The smallest y minimising W along the last axis (within ``tie`` in float mode)."""
    m = W.min(axis=-1)
    hit = W <= (m[..., None] if exact else m[..., None] + tie)
    return np.argmax(hit, axis=-1)


def _setup(problem, max_stock, exact):
    T = problem.review_period
    top, _ = stock_range(problem, max_stock)
    K = max(int(top), int(problem.initial_stock))
    _check_size(problem, K, exact)
    space = StateSpace.for_problem(problem, K if problem.carries else 0)
    tables = DemandTables(problem.demand, K, exact=exact)
    c = problem.purchase_cost if exact else float(problem.purchase_cost)
    h = problem.holding_cost if exact else float(problem.holding_cost)
    period_cost = c * tables.mean + (c + h) * tables.H
    support = fill_support(problem.demand, T, exact=exact)
    return space, K, tables, c, h, period_cost, support


def solve_fill_dynamic(problem: Problem, max_stock=None, exact: bool = False,
                       keep_values=None) -> FillDynamicSolution:
    r"""The strategic supplier's optimal policy under a fill-rate contract, by backward induction
    over (i, D, F[, x]) (module docstring; docs/model.md section 14).

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform
    >>> prob = Problem(Contract(2, 0.8, 1, penalty=10, measure="fill-rate"), DiscreteUniform(0, 2), 1)
    >>> sol = solve_fill_dynamic(prob, exact=True)
    >>> str(sol.value_start), sol.policy.stage(2).ravel().tolist()
    ('2', [2, 0, 2, 0, 0, 2])
    """
    space, K, tables, c, h, period_cost, support = _setup(problem, max_stock, exact)
    T, carry, x0 = problem.review_period, problem.carries, int(problem.initial_stock)
    score = space.score
    pmf = score.pmf(exact)
    if keep_values is None:
        keep_values = space.n_transient <= 5_000_000
    # with discard an order above d_max fills no more than d_max and costs more (H grows): the
    # orders 0..min(K, d_max) hold every smallest minimiser (docs/model.md section 14)
    Ky = K if carry else min(K, pmf.shape[0] - 1)
    orders = np.zeros(space.n_transient, dtype=np.uint8 if K <= 255 else np.int64)
    values = _zeros(space.n_transient, exact) if keep_values else None
    V = _terminal(problem, space, exact)
    for i in range(T, 0, -1):
        n = score.cap(i) + 1
        D, F = triangle_pairs(n - 1)
        W = _stage_W(V, n, pmf, Ky, carry, period_cost[: Ky + 1], exact)
        Wk = W[:, D, F]  # (orders, pairs): each order's row contiguous
        del W
        if exact:
            tie = 0
        else:  # rounding_resolution of W, from two reductions (no |W| array)
            top = max(abs(float(Wk.min())), abs(float(Wk.max())), 1.0)
            tie = 8.0 * (T - i + 1) * float(np.finfo(np.float64).eps) * top
        if i > 1 and not carry:
            m = Wk.min(axis=0)
            y = np.argmax(Wk <= (m if exact else m + tie), axis=0)  # the smallest within tie
            layer_values = np.take_along_axis(Wk, y[None, :], axis=0)[0]
            Vi = _zeros((1, n, n), exact)
            Vi[0, D, F] = layer_values
            space.layer(orders, i)[...] = y[:, None]
            if keep_values:
                space.layer(values, i)[...] = layer_values[:, None]
            V = Vi
            continue
        Wt = np.ascontiguousarray(Wk.T)  # (pairs, orders)
        if i == 1:
            if carry:
                y = int(suffix_argmin(Wt, tie)[0, x0])
                v1 = Wt[0, y] - c * x0
            else:
                w1 = Wt[0] - c * np.minimum(np.arange(Ky + 1), x0)
                y = int(_best_order(w1[None, :], tie, exact)[0])
                v1 = w1[y]
            Y = np.array([[y]])
            Vi = np.empty((1, 1, 1), dtype=Wt.dtype)
            Vi[0, 0, 0] = v1
            layer_values = np.array([[v1]], dtype=Wt.dtype)
        elif carry:
            Y = suffix_argmin(Wt, tie)
            layer_values = np.take_along_axis(Wt, Y, axis=1) - c * np.arange(K + 1)[None, :]
            Vi = _zeros((K + 1, n, n), exact)
            Vi[:, D, F] = layer_values.T
        space.layer(orders, i)[...] = Y
        if keep_values:
            space.layer(values, i)[...] = layer_values
        V = Vi
    value_start = V[0, 0, 0]
    policy = Policy(problem, orders, kind="dynamic", exact=exact, max_stock=K if carry else None)
    if max_stock is not None:
        check_max_stock(max_stock, int(orders.max(initial=0)), "in some state")
    dist = _distribution(policy, support, exact)
    return FillDynamicSolution(problem, policy, value_start if exact else float(value_start),
                               value_start / T if exact else float(value_start) / T, dist,
                               support.truncated_mass, K, values)


def _distribution(policy, support, exact):
    """The FR distribution of a policy from the start (a forward pass; with stock carried over or
    an initial stock, the reference kernel's)."""
    space, score = policy.space, policy.space.score
    if space.carry or policy.problem.initial_stock:
        return policy.fill_rate()

    def orders(i):
        return np.asarray(policy.layer(i), dtype=np.int64)[:, 0]

    mass = _forward(score.pmf(exact), orders, score, space.T, exact)
    D, F = triangle_pairs(score.cap(space.T + 1))
    return FillRateDistribution(policy.problem.contract, D, F, mass[D, F], support.truncated_mass)


def _forward(pmf, orders, score, T, exact):
    r"""The final (D, F) pmf, as a square, under discard and the orders ``orders(i)`` of layer
    i's pairs (an int array, or one int for every pair), from (1, 0, 0).

    A pair with order y and demand d moves to (D + d, F + d) when :math:`d \le y` and to
    (D + d, F + y) otherwise. Per demand d the first is one diagonal shift of the mass ordering at
    least d; the second one row shift of :math:`\sum_{y < d}` (the mass ordering y, shifted by y
    columns), kept as a running sum over d. So a stage is O(d_max) shifts of the layer.
    """
    dmax = pmf.shape[0] - 1
    mass = _zeros((1, 1), exact)
    mass[0, 0] = Fraction(1) if exact else 1.0
    for i in range(1, T + 1):
        n = mass.shape[0]
        D, F = triangle_pairs(n - 1)
        y = orders(i)
        if np.ndim(y) == 0:  # one order for every pair (a base stock)
            groups = {int(y): None}
        else:  # the pairs by order: a segment of pairs per order value
            by = np.argsort(y, kind="stable")
            ys = y[by]
            starts = np.flatnonzero(np.r_[True, ys[1:] != ys[:-1]])
            ends = np.r_[starts[1:], ys.size]
            groups = {int(ys[a]): by[a:b] for a, b in zip(starts, ends)}
        K = max(groups)
        nn = score.cap(i + 1) + 1
        width = max(nn, n + K)
        nxt = _zeros((nn, width), exact)
        ge = mass.copy()  # the mass of the pairs ordering at least d
        cum = _zeros((n, n + K), exact)  # sum over y < d of the mass ordering y, shifted by y
        first, last = min(groups), max(groups)
        buf = None if exact else np.empty((n, n + K))
        for d in range(dmax + 1):
            rows = min(n, nn - d)
            if rows <= 0:
                break
            if d <= last:  # some pair still orders at least d
                if exact:
                    nxt[d : d + rows, d : d + rows] += pmf[d] * ge[:rows, :rows]
                else:
                    t = np.multiply(ge[:rows, :rows], pmf[d], out=buf[:rows, :rows])
                    nxt[d : d + rows, d : d + rows] += t
            if d > first:  # some pair ordered less than d
                if exact:
                    nxt[d : d + rows, : n + K] += pmf[d] * cum[:rows]
                else:
                    t = np.multiply(cum[:rows], pmf[d], out=buf[:rows])
                    nxt[d : d + rows, : n + K] += t
            if d in groups:  # the pairs ordering d: short from demand d + 1 on
                seg = groups[d]
                if seg is None:
                    ge[...] = 0
                    cum[:, d : d + n] += mass
                else:
                    Dg, Fg = D[seg], F[seg]
                    cum[Dg, Fg + d] += mass[Dg, Fg]
                    ge[Dg, Fg] = 0
        mass = nxt[:, :nn]
    return mass


def _walk_at_or_above(pmf, S, a: Fraction, T):
    r"""P(every d_t <= d_max and :math:`\sum_t (q \min(d_t, S) - p d_t) \ge 0`) for a = p/q, i.e.
    P(FR >= a) without the cut of the totals: a one-dimensional walk, its T-fold convolution by
    FFT (float; None when the walk is too wide). With the error of the FFT it only serves as a
    bound (:func:`solve_fill_static`)."""
    p, q = a.numerator, a.denominator
    d = np.arange(pmf.shape[0])
    z = q * np.minimum(d, S) - p * d
    lo, hi = int(z.min()), int(z.max())
    L = T * (hi - lo) + 1
    if L > 1 << 22:
        return None
    k = np.zeros(hi - lo + 1)
    np.add.at(k, z - lo, np.asarray(pmf, dtype=np.float64))
    size = 1 << (L - 1).bit_length()
    dist = np.fft.irfft(np.fft.rfft(k, size) ** T, size)[:L]
    zero = -T * lo  # the index of a sum of 0
    return float(np.clip(dist[zero:], 0.0, None).sum()), L


def _static_lower_bounds(problem, pmf, period_cost, c, x0, support, levels):
    r"""A lower bound on C(S) for each S in ``levels`` (float mode, discard, S >= x_1), from the
    one-dimensional walks of the bands (docs/model.md section 14): lump-sum
    :math:`L^- (P_{pen} - m) - L^+ (P_{bon} + m)`, linear :math:`-L^+ (1 - \alpha_U) P_{bon}`, m the
    cut's mass, each widened by the FFT's error; None where a walk is too wide."""
    T = problem.review_period
    contract = problem.contract
    Lm, Lp = float(contract.penalty), float(contract.bonus)
    m = float(support.truncated_mass)
    out = {}
    for S in levels:
        bonus = _walk_at_or_above(pmf, S, contract.bonus_threshold, T)
        penalty = _walk_at_or_above(pmf, S, contract.penalty_threshold, T)
        if bonus is None or penalty is None:
            return None
        err = 1e-9 + 1e-15 * max(bonus[1], penalty[1])
        p_bon = min(bonus[0] + m + err, 1.0)
        if contract.scheme == "lump-sum":
            p_pen = max(1.0 - penalty[0] - 2 * m - 2 * err, 0.0)  # 1 - P(FR >= aL), kept paths
            settle = Lm * p_pen - Lp * p_bon
        else:
            settle = -Lp * (1 - float(contract.bonus_threshold)) * p_bon
        out[S] = T * float(period_cost[S]) - c * x0 + settle
    return out


def solve_fill_static(problem: Problem, max_stock=None, exact: bool = False) -> FillStaticSolution:
    r"""The non-strategic supplier's best base-stock level S (order up to max(S, x)) under a
    fill-rate contract, the smallest on ties (docs/model.md section 14).

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform
    >>> prob = Problem(Contract(2, 0.8, 1, penalty=10, measure="fill-rate"), DiscreteUniform(0, 2), 1)
    >>> sol = solve_fill_static(prob, exact=True)
    >>> sol.base_stock, str(sol.cost_per_period)
    (2, '1')
    """
    space, K, tables, c, h, period_cost, support = _setup(problem, max_stock, exact)
    T, x0 = problem.review_period, int(problem.initial_stock)
    score = space.score
    pmf = score.pmf(exact)
    dmax = pmf.shape[0] - 1
    costs = _zeros(K + 1, exact)
    final, squares = {}, {}
    n = score.cap(T + 1) + 1
    D, F = triangle_pairs(n - 1)
    G = score.settlement(problem.contract, exact=exact)
    best_so_far = None
    low = G.min()  # no settlement is below min G: a floor for the cost of every larger S
    order = list(range(K + 1))
    bounds = None
    if not exact and not problem.carries:
        # float mode: cost the S with the smallest lower bound first, and none whose bound
        # exceeds the best cost found (docs/model.md section 14)
        levels = [S for S in order if S >= x0 and S <= dmax]
        bounds = _static_lower_bounds(problem, pmf, period_cost, c, x0, support, levels)
        if bounds is not None:
            order = ([S for S in order if S < x0] + sorted(levels, key=lambda S: (bounds[S], S))
                     + [S for S in order if S > dmax])
    for S in order:
        if problem.carries or S < x0:
            costs[S] = static_cost_by_chain(problem, K, S, exact=exact)
            continue
        if best_so_far is not None and bounds is not None and S in bounds \
                and bounds[S] > best_so_far:
            costs[S] = np.nan
            continue
        if best_so_far is not None and T * period_cost[S] - c * x0 + low > best_so_far:
            # the holding and purchase cost alone exceed the best cost so far, and they grow
            # with S: no larger S can be optimal (docs/model.md section 14)
            rest = [r for r in order if r >= S] if bounds is None else [S]
            for r in rest:
                costs[r] = None if exact else np.nan
            if bounds is None:
                break
            continue
        key = min(S, dmax)  # orders above the largest demand kept fill everything alike
        if key not in final:
            squares[key] = _forward(pmf, lambda i: key, score, T, exact)[D, F]
            final[key] = (squares[key] * G).sum()
        costs[S] = T * period_cost[S] - c * x0 + final[key]
        best_so_far = costs[S] if best_so_far is None else min(best_so_far, costs[S])
    done = [S for S in range(K + 1) if costs[S] is not None and costs[S] == costs[S]]
    if exact:
        best = min(done, key=lambda s: (costs[s], s))
    else:
        kept = costs[done]
        tie = rounding_resolution(kept, T)
        best = done[int(np.flatnonzero(kept <= kept.min() + tie)[0])]
    check_max_stock(max_stock, best, "for the static policy")
    policy = Policy.base_stock(problem, best, max_stock=K, exact=exact)
    if min(best, dmax) in squares:  # its final (D, F) is already known
        dist = FillRateDistribution(problem.contract, D, F, squares[min(best, dmax)],
                                    support.truncated_mass)
    else:
        dist = _distribution(policy, support, exact)
    cost = costs[best] / T if exact else float(costs[best]) / T
    per = np.array([None if x is None else x / T for x in costs], dtype=object) if exact \
        else costs / T
    return FillStaticSolution(problem, best, cost, per, dist, support.truncated_mass, policy, K)
