r"""The absorbing chain's queries on a state space with stock on hand (docs/model.md section 11).

:class:`~slamarkov.chain.AbsorbingChain` answers these for a policy whose states are
:math:`(i, v, x)` (stock carried over) or whose costs include a purchase price, a salvage value
or an initial stock; the study's triangle of states :math:`(i, v)` keeps its own, faster kernels.
Everything here loops over layers and is vectorised over a layer's states, through the two
kernels of :mod:`slamarkov.chain.space`.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..errors import ChainError
from .space import StateSpace, backward_step, demand_kernel, forward_step

__all__ = ["demand_tables", "forward_pmf", "expected_values", "base_stock_orders", "start_state", "absorption", "visits", "transition_arrays", "reward_moments",
           "absorption_matrix", "fundamental_matrix", "demand_second_moment"]


def demand_tables(problem, K: int, exact: bool):
    """F, H, the pmf and the Toeplitz kernel on 0..K, and E[d] (exact when asked)."""
    demand = problem.demand
    F, H = demand.table(int(K), exact=exact)
    pmf = F.copy()
    pmf[1:] = F[1:] - F[:-1]
    mean = demand._mean() if exact else demand.mean
    if exact and not isinstance(mean, Fraction):
        mean = Fraction(mean)
    return F, H, pmf, demand_kernel(pmf), mean


def forward_pmf(space: StateSpace, orders: np.ndarray, F, kernel, *, exact=False, start=None,
                on_layer=None):
    r"""The distribution of the final ready count under a stock table, by pushing probability
    forward layer by layer.

    Parameters
    ----------
    space : StateSpace
    orders : ndarray
        Order-up-to levels of every transient state, flat in state order; or a callable
        ``orders(i)`` giving layer i's (i, width) array.
    start : (i, v, x), optional
        The start state (default: period 1 with no ready periods and the initial stock).
    on_layer : callable, optional
        ``on_layer(i, v_lo, mass)`` for each layer i from the start's, with the (n, width)
        probability of states (v_lo.., x); a view of a working array.

    Returns
    -------
    ndarray
        P(final ready count = v), v = 0..T.
    """
    T = space.T
    i0, v0, x = start if start is not None else (1, 0, space.initial_stock)
    col = space._column(i0, x)
    one = Fraction(1) if exact else 1.0
    mass = np.zeros((1, space.width(i0)), dtype=object if exact else np.float64)
    mass[...] = one * 0
    mass[0, col] = one
    lo = v0
    layer = orders if callable(orders) else (lambda i: space.layer(orders, i))
    for i in range(i0, T + 1):
        n = mass.shape[0]
        if on_layer is not None:
            on_layer(i, lo, mass)
        Y = layer(i)[lo : lo + n]
        w_next = space.width(i + 1) if i < T else space.final_width
        mass = forward_step(mass, Y, F, kernel, space.carry, w_next)
        if i == T:
            break
    out = np.zeros(T + 1, dtype=object if exact else np.float64)
    if exact:
        out[:] = Fraction(0)
    out[lo : lo + mass.shape[0]] = mass.sum(axis=1)
    return out


def expected_values(space: StateSpace, orders, F, kernel, terminal, stage_cost):
    r"""Backward policy evaluation: the expected cost-to-go of every state of every layer.

    ``terminal`` is an (T+1, width) array of end values, ``stage_cost(i, Y)`` the expected cost
    of a period in layer i's states with orders Y. Returns a list over i = 1..T of layer arrays.
    """
    T = space.T
    layer = orders if callable(orders) else (lambda i: space.layer(orders, i))
    out = [None] * (T + 2)
    V = terminal
    for i in range(T, 0, -1):
        Y = layer(i)
        V = backward_step(V[: i + 1], Y, F, kernel, space.carry) + stage_cost(i, Y)
        out[i] = V
    return out


def base_stock_orders(space: StateSpace, S):
    """``orders(i)`` of the base-stock rule max(S, x) (no table is built)."""
    def layer(i):
        levels = space.stock_levels(i)
        return np.broadcast_to(np.maximum(levels, S)[None, :], (i, levels.shape[0]))
    return layer



def start_state(policy, start):
    """A validated start state (i, v, x); (i, v) means the layer's only stock level."""
    space = policy.space
    try:
        parts = tuple(start)
    except TypeError:
        raise ChainError(f"start: must be a state (i, v) or (i, v, x), got {start!r}") from None
    if len(parts) == 2:
        i, v = parts
        x = space.initial_stock if i == 1 else (0 if not space.carry else None)
        if space.carry and i != 1:
            raise ChainError(f"start: give the stock on hand, (i, v, x): stock carries over "
                             f"({space.rule()})")
    elif len(parts) == 3:
        i, v, x = parts
    else:
        raise ChainError(f"start: must be a state (i, v) or (i, v, x), got {start!r}")
    T = space.T
    if (isinstance(i, (int, np.integer)) and not isinstance(i, bool) and i == T + 1
            and isinstance(v, (int, np.integer)) and 0 <= v <= T):
        return int(i), int(v), x
    space.index(i, v, x)  # raises ChainError naming the rule
    return int(i), int(v), x


def _tables(policy):
    F = policy._table()
    return F, policy.kernel()


def absorption(policy, start):
    """Row of B from a start state: P(final ready count = v), v = 0..T."""
    i, v, x = start_state(policy, start)
    T = policy.space.T
    if i == T + 1:
        zero = Fraction(0) if policy.exact else 0.0
        out = np.full(T + 1, zero, dtype=object if policy.exact else np.float64)
        out[v] = Fraction(1) if policy.exact else 1.0
        return out
    F, K = _tables(policy)
    return forward_pmf(policy.space, policy.stock, F, K, exact=policy.exact, start=(i, v, x))


def visits(policy, start, on_layer=None):
    """Row of N from a start state: reach probabilities of every transient state, flat in state
    order; ``on_layer(i, v_lo, mass)`` is called as the mass passes each layer."""
    i, v, x = start_state(policy, start)
    space = policy.space
    dtype = object if policy.exact else np.float64
    row = np.zeros(space.n_transient, dtype=dtype)
    if policy.exact:
        row[:] = Fraction(0)
    if i == space.T + 1:
        return row

    def keep(j, lo, mass):
        layer = space.layer(row, j)
        layer[lo : lo + mass.shape[0]] = mass
        if on_layer is not None:
            on_layer(j, lo, mass)

    F, K = _tables(policy)
    forward_pmf(space, policy.stock, F, K, exact=policy.exact, start=(i, v, x), on_layer=keep)
    return row


def transition_arrays(policy):
    """COO arrays of Q and R: (q_rows, q_cols, q_vals, r_rows, r_cols, r_vals), float64,
    built layer by layer without a loop over states."""
    space = policy.space
    F = policy._table()
    pmf = F.copy()
    pmf[1:] = F[1:] - F[:-1]
    T = space.T
    qs, rs = [], []
    for i in range(1, T + 1):
        Y = np.asarray(policy.layer(i), dtype=np.int64)
        n, w = Y.shape
        src = space.offset(i) + np.arange(n * w)
        y = Y.ravel()
        v = np.repeat(np.arange(n), w)
        last = i == T
        if space.carry and not last:
            w_next = space.width(i + 1)
            counts = y + 1  # x' = 0..y after a ready period
            rows = np.repeat(src, counts)
            starts = np.cumsum(counts) - counts
            xprime = np.arange(counts.sum()) - np.repeat(starts, counts)
            yrep = np.repeat(y, counts)
            cols = space.offset(i + 1) + (np.repeat(v, counts) + 1) * w_next + xprime
            vals = pmf[yrep - xprime]
            stay_cols = space.offset(i + 1) + v * w_next
            qs.append((np.concatenate((rows, src)), np.concatenate((cols, stay_cols)),
                       np.concatenate((vals, 1 - F[y]))))
        elif not last:
            w_next = space.width(i + 1)
            base = space.offset(i + 1)
            qs.append((np.concatenate((src, src)),
                       np.concatenate((base + (v + 1) * w_next, base + v * w_next)),
                       np.concatenate((F[y], 1 - F[y]))))
        else:
            rs.append((np.concatenate((src, src)), np.concatenate((v + 1, v)),
                       np.concatenate((F[y], 1 - F[y]))))

    def cat(parts, k):
        return np.concatenate([p[k] for p in parts]) if parts else np.zeros(0)

    return (cat(qs, 0).astype(np.int64), cat(qs, 1).astype(np.int64), cat(qs, 2),
            cat(rs, 0).astype(np.int64), cat(rs, 1).astype(np.int64), cat(rs, 2))


def demand_second_moment(demand, exact=False):
    r""":math:`E[d^2]`, exactly for rational demand with ``exact``.

    From :math:`E[d^2] = \sum_{k \ge 0} (2k + 1) P(d > k)`, summed to the top of a bounded
    support, or in closed form for Poisson demand.

    Examples
    --------
    >>> from slamarkov import DiscreteUniform, Poisson
    >>> demand_second_moment(DiscreteUniform(0, 2), exact=True), demand_second_moment(Poisson(2))
    (Fraction(5, 3), 6.0)
    """
    from ..model.demand import Poisson

    if isinstance(demand, Poisson):
        lam = float(demand.mean)
        return lam + lam * lam
    upper = demand.upper
    if np.isfinite(upper):
        top = int(upper)
    else:
        top = int(demand.quantile(1 - 1e-17)) * 2 + 50
    F, _ = demand.table(top, exact=exact)
    k = np.arange(top + 1)
    total = ((2 * k + 1) * (1 - F)).sum()
    return total if exact else float(total)


def _layer_costs(policy, i, Y, coefficients):
    """Per-state moments of one period's reward ``X = a + alpha (y-d)^+ + beta (d-y)^+``.

    Returns (a, alpha, beta, E[X], E[X^2]) for the states of layer i with orders Y.
    """
    problem = policy.problem
    exact = policy.exact
    F, H, L2 = policy._tables()
    y = np.asarray(Y, dtype=np.int64)
    x = policy.space.stock_levels(i)[None, :]
    h_on, c_on = coefficients
    h = problem.holding_cost if exact else float(problem.holding_cost)
    c = problem.purchase_cost if exact else float(problem.purchase_cost)
    alpha = h if h_on else 0
    beta = c if c_on else 0
    a = (c * np.maximum(y - x, 0)) if c_on else np.zeros(y.shape, dtype=np.int64)
    mean, second = _demand_moments(policy)
    Hy, Fy, L2y = H.take(y), F.take(y), L2.take(y)
    back1 = mean - y + Hy  # E(d - y)^+
    # E[((d - y)^+)^2] = E[(d - y)^2] - E[((y - d)^+)^2]
    back2 = second - 2 * y * mean + y * y - L2y
    ex = a + alpha * Hy + beta * back1
    ex2 = a * a + 2 * a * (alpha * Hy + beta * back1) + alpha * alpha * L2y + beta * beta * back2
    return a, alpha, beta, Fy, Hy, back1, ex, ex2


def _demand_moments(policy):
    cache = getattr(policy, "_demand_moments", None)
    if cache is None:
        demand = policy.problem.demand
        if policy.exact:
            m = demand._mean()
            cache = (Fraction(m), demand_second_moment(demand, exact=True))
        else:
            cache = (float(demand.mean), demand_second_moment(demand))
        policy._demand_moments = cache
    return cache


def reward_moments(policy, *, holding=True, purchase=True, settlement=True):
    r"""First and second moments of the cost of the rest of the review period from every state,
    by a backward recursion over the layers (docs/model.md section 11).

    The cost of a period in state (v, x) with order y and demand d is
    :math:`X = a + \alpha (y - d)^+ + \beta (d - y)^+` with :math:`a = c (y - x)^+`,
    :math:`\alpha = h`, :math:`\beta = c` (each switched on or off by the flags); at the end the
    settlement G(v) and, with carry-over, :math:`-s x` are added. With
    :math:`M_1, M_2` the moments of the cost to go,

    .. math::

        M_1 = E[X] + E[M_1'], \qquad M_2 = E[X^2] + 2 E[X M_1'] + E[M_2'],

    primes meaning the next state's. :math:`E[X M_1']` follows the branch: a ready period
    (:math:`d \le y`) moves to :math:`(v + 1, y - d)` (or x' = 0 without carry-over), a short
    one to (v, 0).

    Returns
    -------
    list of (M1, M2)
        Indexed by layer i = 1..T (entry 0 unused): (i, width) arrays.
    """
    space = policy.space
    T = space.T
    exact = policy.exact
    problem = policy.problem
    one = Fraction(1) if exact else 1.0
    s = problem.salvage_value if exact else float(problem.salvage_value)
    G = problem.contract.settlement(exact=exact)
    levels = np.arange(space.final_width)
    term = np.zeros((T + 1, space.final_width), dtype=object if exact else np.float64) * one
    if settlement:
        term = term + G[:, None]
    if purchase and space.carry:
        term = term - s * levels[None, :]
    M1, M2 = term, term * term
    kernel = policy.kernel()
    kernel_t = np.ascontiguousarray(kernel.T)
    out = [None] * (T + 1)
    for i in range(T, 0, -1):
        Y = np.asarray(policy.layer(i), dtype=np.int64)
        n, w = Y.shape
        a, alpha, beta, Fy, Hy, back1, ex, ex2 = _layer_costs(policy, i, Y, (holding, purchase))
        m1n, m2n = M1[: n + 1], M2[: n + 1]
        F = policy._table()
        e1 = backward_step(m1n, Y, F, kernel, space.carry)
        e2 = backward_step(m2n, Y, F, kernel, space.carry)
        # E[X M1'] = ready part + short part
        stay = m1n[:n, 0][:, None]
        if space.carry:
            xprime = np.arange(m1n.shape[1])
            C0 = m1n[1:] @ kernel_t  # sum_x' P(y - x') M1'(v+1, x')
            C1 = (m1n[1:] * xprime[None, :]) @ kernel_t
            rows = np.arange(n)[:, None]
            ready_part = a * C0[rows, Y] + alpha * C1[rows, Y]  # x' = y - d
        else:
            ready_part = (a * Fy + alpha * Hy) * m1n[1:, 0][:, None]
        short_part = (a * (one - Fy) + beta * back1) * stay
        cross = ready_part + short_part
        M1 = ex + e1
        M2 = ex2 + 2 * cross + e2
        out[i] = (M1, M2)
    return out


def absorption_matrix(policy, max_bytes):
    """B for every transient state by the backward recursion with one column per final ready
    count (dense; guarded)."""
    space = policy.space
    T = space.T
    t = space.n_transient
    itemsize = 64 if policy.exact else 8
    need = t * (T + 1) * itemsize
    if need > max_bytes:
        raise_size("B", need, max_bytes, T)
    exact = policy.exact
    one = Fraction(1) if exact else 1.0
    dtype = object if exact else np.float64
    eye = np.zeros((T + 1, space.final_width, T + 1), dtype=dtype) * one
    eye[np.arange(T + 1), :, np.arange(T + 1)] = one
    B = np.zeros((t, T + 1), dtype=dtype) * one
    nxt = eye
    F, kernel = policy._table(), policy.kernel()
    for i in range(T, 0, -1):
        Y = np.asarray(policy.layer(i), dtype=np.int64)
        cur = backward_step(nxt[: i + 1], Y, F, kernel, space.carry)
        o, w = space.offset(i), space.width(i)
        B[o : o + i * w] = cur.reshape(i * w, T + 1)
        nxt = cur
    return B


def fundamental_matrix(policy, max_bytes):
    """N = I + Q N, layer by layer backwards (dense; guarded): row s holds the reach
    probabilities of every transient state from s."""
    space = policy.space
    T = space.T
    t = space.n_transient
    itemsize = 64 if policy.exact else 8
    need = t * t * itemsize
    if need > max_bytes:
        raise_size("N", need, max_bytes, T)
    exact = policy.exact
    one = Fraction(1) if exact else 1.0
    dtype = object if exact else np.float64
    N = np.zeros((t, t), dtype=dtype) * one
    F, kernel = policy._table(), policy.kernel()
    nxt = None
    for i in range(T, 0, -1):
        Y = np.asarray(policy.layer(i), dtype=np.int64)
        o, w = space.offset(i), space.width(i)
        if nxt is None:
            cur = np.zeros((i, w, t), dtype=dtype) * one
        else:
            cur = backward_step(nxt, Y, F, kernel, space.carry)
        idx = np.arange(i * w)
        cur.reshape(i * w, t)[idx, o + idx] = one
        N[o : o + i * w] = cur.reshape(i * w, t)
        nxt = cur
    return N


def raise_size(name, need, max_bytes, T):
    from ..errors import ChainSizeError

    raise ChainSizeError(
        f"{name}: a dense {name} for T = {T} needs {need / 2**30:.3g} GiB, above the memory guard "
        f"of {max_bytes / 2**30:.3g} GiB; use row queries (from a start state) or raise max_bytes"
    )
