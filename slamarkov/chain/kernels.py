r"""How a policy moves probability from one layer of a review period to the next: the kernels
of the absorbing chain (docs/model.md sections 6 and 11).

Every question the chain answers is a pass over the layers: *forward*, pushing the probability
of a start state to the end (a row of B, a row of N, expected visits), or *backward*, taking the
expectation of what comes next (the whole of B and N, policy evaluation, the moments of costs
and visits). A kernel does these passes for one policy, and each of its methods means the same
for every score (:mod:`slamarkov.chain.score`) and every stock rule
(:class:`~slamarkov.chain.space.StateSpace`): the chain, the inspection, the graph and the
monitor ask the kernel and never look at how stock is kept.

* :class:`Kernel`, the reference: every pass from the score's transitions
  (:meth:`~slamarkov.chain.score.Score.transitions`), a sparse block per layer. Any score works
  here, unchanged.
* :class:`ReadyCountKernel`: the ready count on any stock rule. The states with the same (v, y)
  are summed first, so a layer is one small product with the demand's Toeplitz matrix
  :math:`M_{y x'} = P(d = y - x')` (stock carried over) or a shift by one ready count (stock
  thrown away), vectorised over the layer.
* :class:`TriangleKernel`: the ready count with one stock level per layer, the study's
  triangle of states (i, v): one-dimensional windows of non-zero probability, the lookup of a
  discrete policy's success probabilities, and the bands of N (:mod:`slamarkov.chain.triangle`).
* :class:`FillKernel`: the fill rate's pairs (D, F) on any stock rule (docs/model.md section 14):
  the backward passes as one gather of the next layer per demand over the states that keep
  D + d in range, vectorised over the layer; the moments of costs, ready periods and units.

The fast kernels give the reference's numbers (tests/test_kernels.py checks every pass against
:class:`Kernel` on random problems); :func:`kernel_for` picks the fastest that applies. One
concern, one module, although a long one: the passes of the reference and their fast paths stand
side by side, so that each fast path is read against what it must equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..errors import ChainSizeError
from . import triangle
from .fill import FillScore, triangle_pairs
from .score import ReadyCount, log_complement, log_probability

__all__ = ["Kernel", "ReadyCountKernel", "TriangleKernel", "FillKernel", "Incoming", "kernel_for",
           "forward_step", "backward_step", "forward_pmf", "expected_values"]


def _zeros(shape, exact):
    out = np.zeros(shape, dtype=object if exact else np.float64)
    if exact:
        out[...] = Fraction(0)
    return out


def _scatter(out, index, values):
    """out[index] += values, repeated indices summed (out flat along its first axis)."""
    if out.dtype != object and out.ndim == 1:
        out += np.bincount(index, weights=values, minlength=out.shape[0])
    else:
        np.add.at(out, index, values)


@dataclass(frozen=True)
class Incoming:
    """The transitions into each state of the next layer, slot by slot (:meth:`Kernel.incoming`).

    Column j holds the transitions into the next layer's state j (flat position in that layer),
    one per slot, in the order of the tie rule of the most probable paths: the short period
    first, then the smallest source. A slot with nothing in it has probability 0.

    Attributes
    ----------
    rows : ndarray of int, shape (m, n_next)
        The source of each transition: its flat position in layer i.
    p : ndarray, shape (m, n_next)
        Its probability (Fractions when the policy is exact).
    logp : ndarray of float, shape (m, n_next)
        Its natural log (-inf in an empty slot).
    """

    rows: np.ndarray
    p: np.ndarray
    logp: np.ndarray


def size_error(name, need, max_bytes, T, what=None):
    """The one-line refusal of a matrix above the memory guard (``what``: how the matrix is
    described, by default "dense NAME")."""
    what = f"dense {name}" if what is None else what
    return ChainSizeError(
        f"{name}: a {what} for T = {T} needs {need / 2**30:.3g} GiB, above the memory guard "
        f"of {max_bytes / 2**30:.3g} GiB; use row queries (from a start state) or raise max_bytes"
    )


class Kernel:
    """The passes over the layers of a policy's chain, from the score's transitions.

    Parameters
    ----------
    policy : Policy
        Its space, its orders and its demand tables; exact (Fractions) when the policy is.

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform, Policy, Problem
    >>> prob = Problem(Contract(2, 0.5, 1, penalty=10), DiscreteUniform(0, 3), 1)
    >>> k = Kernel(Policy.constant(prob, 1, exact=True))
    >>> [str(x) for x in k.forward(k.space.start((1, 0)))]
    ['1/4', '1/2', '1/4']
    """

    #: whether :meth:`fundamental` builds a sparse N directly (else a dense one, then CSR)
    sparse_fundamental = False

    def __init__(self, policy):
        self.policy = policy
        self.space = policy.space
        self.exact = policy.exact
        self.T = policy.space.T

    @property
    def tables(self):
        return self.policy.tables

    # -- the transitions ---------------------------------------------------------------------
    def transitions(self, i: int, *, final_stock: bool = False, costs: bool = False):
        """The transitions out of layer i (:class:`~slamarkov.chain.score.Transitions`)."""
        return self.space.score.transitions(self.space, i, self.policy.layer(i), self.tables,
                                            final_stock=final_stock, costs=costs)

    def incoming(self, i: int) -> Incoming:
        """The transitions from layer i into each state of the next (the absorbing states after
        period T), grouped by target in the tie rule's order (:class:`Incoming`).

        Examples
        --------
        >>> from slamarkov import Contract, DiscreteUniform, Policy, Problem
        >>> prob = Problem(Contract(2, 0.5, 1, penalty=10), DiscreteUniform(0, 3), 1)
        >>> inc = Kernel(Policy.constant(prob, 1, exact=True)).incoming(2)
        >>> inc.rows.tolist(), [[str(x) for x in row] for row in inc.p]
        ([[0, 1, 1], [0, 0, 0]], [['1/2', '1/2', '1/2'], ['0', '1/2', '0']])

        Into ready count 1: the short period from 1, then the ready one from 0; into 2, only
        the ready one from 1 (its second slot is empty).
        """
        tr = self.transitions(i)
        n, w = self.next_shape(i, final_stock=False)
        order = np.lexsort((tr.rows, tr.ready, tr.cols))  # by target, short first, then source
        cols = tr.cols[order]
        first = np.flatnonzero(np.r_[True, cols[1:] != cols[:-1]]) if cols.size else cols
        length = np.diff(np.r_[first, cols.size])
        slot = np.arange(cols.size) - np.repeat(first, length)
        m = int(length.max()) if length.size else 1
        rows = np.zeros((m, n * w), dtype=np.int64)
        p = _zeros((m, n * w), self.exact)
        logp = np.full((m, n * w), -np.inf)
        rows[slot, cols] = tr.rows[order]
        p[slot, cols] = tr.p[order]
        logp[slot, cols] = tr.logp[order]
        return Incoming(rows, p, logp)

    def next_shape(self, i: int, final_stock: bool = True) -> tuple:
        """(score states, stock levels) of the layer after layer i (after period T: the final
        scores by the final stock levels, or by one level when not ``final_stock``)."""
        if i < self.T:
            return self.space.size(i + 1), self.space.width(i + 1)
        return self.space.n_final, (self.space.final_width if final_stock else 1)

    # -- forward -----------------------------------------------------------------------------
    def forward(self, start, on_layer=None) -> np.ndarray:
        """Push the probability of a start state to the end of the review period.

        Parameters
        ----------
        start : Position
            A transient state (:meth:`StateSpace.start`).
        on_layer : callable, optional
            ``on_layer(i, lo, mass)`` for each layer i from the start's: ``mass`` (n, width(i))
            is the probability of the layer's score states lo..lo+n-1 (a view of a working
            array: copy it to keep it); the other states are reached with probability 0.

        Returns
        -------
        ndarray
            The probability of each final score (the absorbing states).
        """
        space = self.space
        mass = _zeros((space.size(start.i), space.width(start.i)), self.exact)
        mass[start.score, start.column] = Fraction(1) if self.exact else 1.0
        for i in range(start.i, self.T + 1):
            if on_layer is not None:
                on_layer(i, 0, mass)
            t = self.transitions(i)
            n, w = self.next_shape(i, final_stock=False)
            nxt = _zeros(n * w, self.exact)
            _scatter(nxt, t.cols, mass.ravel()[t.rows] * t.p)
            mass = nxt.reshape(n, w)
        return mass[:, 0]

    # -- backward ----------------------------------------------------------------------------
    def backward(self, i: int, g_next: np.ndarray, out=None) -> np.ndarray:
        r"""The expectation of a function of the next state, from every state of layer i.

        Parameters
        ----------
        g_next : ndarray, shape (size, width, ...)
            The function on the next layer (after period T: on the final scores by the final
            stock levels); trailing axes are carried along (one per column of B, say).
        out : ndarray, optional
            Receives the result, shape (size(i), width(i), ...).

        Returns
        -------
        ndarray
            :math:`E[g(\text{next state}) \mid \text{state}]`, shape (size(i), width(i), ...).
        """
        t = self.transitions(i, final_stock=True)
        n, w = self.space.size(i), self.space.width(i)
        tail = g_next.shape[2:]
        flat = g_next.reshape((-1,) + tail)
        res = _zeros((n * w,) + tail, self.exact)
        np.add.at(res, t.rows, t.p.reshape(t.p.shape + (1,) * len(tail)) * flat[t.cols])
        res = res.reshape((n, w) + tail)
        if out is None:
            return res
        out[...] = res
        return out

    def backward_layers(self, terminal: np.ndarray, stage=None):
        """Backward induction from ``terminal`` (on the final layer): yields (i, layer values)
        for i = T..1, the values of layer i being the expectation of the next layer's plus
        ``stage(i)`` (an array broadcastable to the layer, or None)."""
        nxt = terminal
        for i in range(self.T, 0, -1):
            cur = self.backward(i, nxt)
            if stage is not None:
                cur = cur + stage(i)
            yield i, cur
            nxt = cur

    # -- the questions built on the passes -----------------------------------------------------
    def absorption_matrix(self, max_bytes: int) -> np.ndarray:
        """B: for every transient state, the distribution of the final score (dense; guarded
        by ``max_bytes``)."""
        space, T = self.space, self.T
        t, n_final = space.n_transient, space.n_final
        need = t * n_final * (64 if self.exact else 8)
        if need > max_bytes:
            raise size_error("B", need, max_bytes, T)
        one = Fraction(1) if self.exact else 1.0
        eye = _zeros((n_final, space.final_width, n_final), self.exact)
        eye[np.arange(n_final), :, np.arange(n_final)] = one
        B = _zeros((t, n_final), self.exact)
        nxt = eye
        for i in range(T, 0, -1):
            o, w, n = space.offset(i), space.width(i), space.size(i)
            rows = B[o : o + n * w].reshape(n, w, n_final)
            nxt = self.backward(i, nxt, out=rows)
        return B

    def fundamental(self, dense: bool, max_bytes: int):
        """N = I + Q N, layer by layer backwards: row s holds the reach probabilities of every
        transient state from s (dense, or its CSR copy; guarded by ``max_bytes``)."""
        space, T = self.space, self.T
        t = space.n_transient
        need = t * t * (64 if self.exact else 8)
        if need > max_bytes:
            raise size_error("N", need, max_bytes, T)
        one = Fraction(1) if self.exact else 1.0
        N = _zeros((t, t), self.exact)
        nxt = None
        for i in range(T, 0, -1):
            o, w, n = space.offset(i), space.width(i), space.size(i)
            if nxt is None:
                cur = _zeros((n, w, t), self.exact)
            else:
                cur = self.backward(i, nxt)
            idx = np.arange(n * w)
            cur.reshape(n * w, t)[idx, o + idx] = one
            N[o : o + n * w] = cur.reshape(n * w, t)
            nxt = cur
        if dense:
            return N
        from scipy import sparse

        return sparse.csr_matrix(N)

    def transition_arrays(self):
        """COO arrays of Q and R: (q_rows, q_cols, q_vals, r_rows, r_cols, r_vals), flat
        indices; every transition the order allows, also one of probability 0."""
        space, T = self.space, self.T
        qs, rs = [], []
        for i in range(1, T + 1):
            t = self.transitions(i)
            src = space.offset(i) + t.rows
            if i < T:
                qs.append((src, space.offset(i + 1) + t.cols, t.p))
            else:
                rs.append((src, t.cols, t.p))

        def cat(parts, k):
            return np.concatenate([p[k] for p in parts]) if parts else np.zeros(0)

        return (cat(qs, 0).astype(np.int64), cat(qs, 1).astype(np.int64), cat(qs, 2),
                cat(rs, 0).astype(np.int64), cat(rs, 1).astype(np.int64), cat(rs, 2))

    def expected_values(self, terminal, stage_cost):
        r"""Backward policy evaluation: the expected cost-to-go of every layer's states.

        ``terminal`` is the (final scores, final stock levels) array of end values and
        ``stage_cost(i, Y)`` the expected cost of a period in layer i's states with orders Y.
        Returns a list over i = 1..T of layer arrays (entries 0 and T + 1 unused).
        """
        out = [None] * (self.T + 2)
        for i, values in self.backward_layers(
                terminal, lambda i: stage_cost(i, self.policy.layer(i))):
            out[i] = values
        return out

    def terminal_costs(self, settlement: bool, salvage: bool) -> np.ndarray:
        """The cost at the end of the review period on (final scores, final stock levels): the
        settlement G and, with stock carried over, minus the salvage value of the stock left."""
        space, problem = self.space, self.policy.problem
        term = _zeros((space.n_final, space.final_width), self.exact)
        if settlement:
            term = term + space.score.settlement(problem.contract, exact=self.exact)[:, None]
        if salvage and space.carry:
            s = problem.salvage_value if self.exact else float(problem.salvage_value)
            term = term - s * np.arange(space.final_width)[None, :]
        return term

    def reward_moments(self, *, holding=True, purchase=True, settlement=True):
        r"""First and second moments of the cost of the rest of the review period from every
        state, by a backward recursion over the layers (docs/model.md section 11).

        A period in state (s, x) with order y and demand d costs
        :math:`X = a + \alpha (y - d)^+ + \beta (d - y)^+` with :math:`a = c (y - x)^+`,
        :math:`\alpha = h`, :math:`\beta = c` (each switched on or off by the flags); at the end
        the settlement and, with carry-over, :math:`-s x` are added. With :math:`M_1, M_2` the
        moments of the cost to go, :math:`M_1 = E[X] + E[M_1']` and
        :math:`M_2 = E[X^2] + 2 E[X M_1'] + E[M_2']`, where :math:`E[X M_1']` sums each
        transition's expected cost times the next state's :math:`M_1`.

        Returns
        -------
        list of (M1, M2)
            Indexed by layer i = 1..T (entry 0 unused): (size(i), width(i)) arrays.
        """
        space, problem, exact = self.space, self.policy.problem, self.exact
        h = problem.holding_cost if exact else float(problem.holding_cost)
        c = problem.purchase_cost if exact else float(problem.purchase_cost)
        alpha = h if holding else 0
        beta = c if purchase else 0
        term = self.terminal_costs(settlement, purchase)
        M1, M2 = term, term * term
        out = [None] * (self.T + 1)
        for i in range(self.T, 0, -1):
            t = self.transitions(i, final_stock=True, costs=True)
            n, w = space.size(i), space.width(i)
            Y = np.asarray(self.policy.layer(i), dtype=np.int64).ravel()
            x = np.broadcast_to(space.stock_levels(i)[None, :], (n, w)).ravel()
            a = (c * np.maximum(Y - x, 0)) if purchase else np.zeros(n * w, dtype=np.int64)
            ar = a[t.rows]
            ex = ar * t.p + alpha * t.holding + beta * t.short
            ex2 = (ar * ar * t.p + 2 * ar * (alpha * t.holding + beta * t.short)
                   + alpha * alpha * t.holding2 + beta * beta * t.short2)
            m1n, m2n = M1.ravel()[t.cols], M2.ravel()[t.cols]
            m1 = _zeros(n * w, exact)
            m2 = _zeros(n * w, exact)
            np.add.at(m1, t.rows, ex + t.p * m1n)
            np.add.at(m2, t.rows, ex2 + 2 * ex * m1n + t.p * m2n)
            M1, M2 = m1.reshape(n, w), m2.reshape(n, w)
            out[i] = (M1, M2)
        return out

    def state_moments(self, reward) -> tuple:
        r"""Mean and second moment of a sum of per-state rewards to the end of the review period,
        from every transient state (flat): ``reward(i)`` gives layer i's rewards, each 0 or 1
        (visits to a set of states), so :math:`X^2 = X` and
        :math:`M_2 = r + 2 r E[M_1'] + E[M_2']`."""
        space = self.space
        mean = _zeros(space.n_transient, self.exact)
        second = _zeros(space.n_transient, self.exact)
        nxt = _zeros((space.n_final, space.final_width, 2), self.exact)
        for i in range(self.T, 0, -1):
            r = reward(i)
            e = self.backward(i, nxt)
            cur = np.empty_like(e)
            cur[..., 0] = r + e[..., 0]
            cur[..., 1] = r + 2 * r * e[..., 0] + e[..., 1]
            space.layer(mean, i)[...] = cur[..., 0]
            space.layer(second, i)[...] = cur[..., 1]
            nxt = cur
        return mean, second

    def ready_moments(self) -> tuple:
        """Mean and second moment of the number of ready periods still to come, from every
        transient state (flat), by a backward recursion over the transitions."""
        space = self.space
        mean = _zeros(space.n_transient, self.exact)
        second = _zeros(space.n_transient, self.exact)
        M1 = _zeros((space.n_final, space.final_width), self.exact)
        M2 = M1.copy()
        for i in range(self.T, 0, -1):
            t = self.transitions(i, final_stock=True)
            n, w = space.size(i), space.width(i)
            r = t.ready.astype(np.int64)
            ex = t.p * r
            m1n, m2n = M1.ravel()[t.cols], M2.ravel()[t.cols]
            m1 = _zeros(n * w, self.exact)
            m2 = _zeros(n * w, self.exact)
            np.add.at(m1, t.rows, ex + t.p * m1n)
            np.add.at(m2, t.rows, ex + 2 * ex * m1n + t.p * m2n)
            M1, M2 = m1.reshape(n, w), m2.reshape(n, w)
            space.layer(mean, i)[...] = M1
            space.layer(second, i)[...] = M2
        return mean, second

    def cost_components(self, start) -> dict:
        """Mean and second moment of the holding cost, the purchases less salvage, the
        settlement and the total cost of the rest of the review period from a transient start
        (:class:`Position`): ``{part: (mean, second moment)}``."""
        parts = {
            "holding": dict(holding=True, purchase=False, settlement=False),
            "purchase": dict(holding=False, purchase=True, settlement=False),
            "settlement": dict(holding=False, purchase=False, settlement=True),
            "total": dict(holding=True, purchase=True, settlement=True),
        }
        out = {}
        for name, flags in parts.items():
            M1, M2 = self.reward_moments(**flags)[start.i]
            out[name] = (M1[start.score, start.column], M2[start.score, start.column])
        return out

    def cost_decomposition(self, start) -> dict:
        """The expected cost of the rest of the review period from a transient start, by part
        (the means of :meth:`cost_components`)."""
        return {k: mu for k, (mu, _) in self.cost_components(start).items()}


# -- the ready count: states (v, x), one product with the Toeplitz matrix per layer ------------

def _by_order(mass: np.ndarray, orders: np.ndarray, K: int) -> np.ndarray:
    """Sum the mass of the states of a layer with the same (v, y): an (n_v, K+1) array."""
    n, w = mass.shape
    flat = (np.arange(n)[:, None] * (K + 1) + orders.astype(np.int64)).ravel()
    if mass.dtype == object:
        out = np.empty(n * (K + 1), dtype=object)
        out[:] = mass.flat[0] * 0 if mass.size else Fraction(0)
        np.add.at(out, flat, mass.ravel())
        return out.reshape(n, K + 1)
    return np.bincount(flat, weights=mass.ravel(), minlength=n * (K + 1)).reshape(n, K + 1)


def forward_step(mass, orders, F, kernel, carry: bool, width_next: int):
    r"""Push the probability of a ready-count layer's states to the next layer.

    Parameters
    ----------
    mass : ndarray, shape (n, w)
        Probability of states (v, x) for v = v_lo..v_lo+n-1 and the layer's w stock levels.
    orders : ndarray of int, shape (n, w)
        Order-up-to levels y of those states.
    F : ndarray
        :math:`F(y) = P(d \le y)`, y = 0..K.
    kernel : ndarray, shape (K+1, K+1)
        The demand's Toeplitz matrix (used with ``carry``).
    carry : bool
    width_next : int
        Stock levels of the next layer (K + 1 with carry, else 1).

    Returns
    -------
    ndarray, shape (n + 1, width_next)
        Probability of the next layer's states (v, x) for v = v_lo..v_lo+n.

    Examples
    --------
    >>> from slamarkov.chain.tables import toeplitz
    >>> F = np.array([0.5, 0.75, 1.0]); M = toeplitz(np.array([0.5, 0.25, 0.25]))
    >>> forward_step(np.array([[1.0]]), np.array([[2]]), F, M, True, 3).tolist()
    [[0.0, 0.0, 0.0], [0.25, 0.25, 0.5]]
    """
    n = mass.shape[0]
    zero = mass.flat[0] * 0 if mass.size else 0.0
    out = np.empty((n + 1, width_next), dtype=mass.dtype)
    out[...] = zero
    if carry:
        A = _by_order(mass, orders, kernel.shape[0] - 1)
        out[1:, :] += A @ kernel
        out[:n, 0] += A @ (1 - F)
    else:
        p = F.take(orders.astype(np.int64))
        moved = (mass * p).sum(axis=1)
        out[:n, 0] += mass.sum(axis=1) - moved
        out[1:, 0] += moved
    return out


def backward_step(g_next, orders, F, kernel, carry: bool):
    r"""Expectation of a function of the next layer's state, from each state of a ready-count
    layer.

    Parameters
    ----------
    g_next : ndarray, shape (n + 1, w_next, ...)
        The function on the next layer's states (v = v_lo..v_lo+n); trailing axes are carried
        along (e.g. one per absorbing state, for rows of B).
    orders : ndarray of int, shape (n, w)
    F, kernel, carry
        As in :func:`forward_step`.

    Returns
    -------
    ndarray, shape (n, w, ...)
        :math:`E[g(\text{next state}) \mid (v, x)]`.

    Examples
    --------
    >>> from slamarkov.chain.tables import toeplitz
    >>> F = np.array([0.5, 0.75, 1.0]); M = toeplitz(np.array([0.5, 0.25, 0.25]))
    >>> g = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]])
    >>> backward_step(g, np.array([[1]]), F, M, True).tolist()  # y=1: x'=1 w.p. .5, 0 w.p. .25
    [[1.25]]
    """
    n = orders.shape[0]
    y = orders.astype(np.int64)
    tail = g_next.shape[2:]
    if carry:
        # C[v, y', ...] = sum_x' M[y', x'] g[v+1, x', ...]: one product for the whole layer
        C = np.tensordot(g_next[1:], kernel, axes=([1], [1]))  # (n, *tail, K+1)
        C = np.moveaxis(C, -1, 1)  # (n, K+1, *tail)
        rows = np.arange(n)[:, None]
        ready = C[rows, y]  # (n, w, *tail)
        stay = g_next[:n, 0][:, None]  # (n, 1, *tail)
    else:
        ready = np.broadcast_to(g_next[1:, 0][:, None], (n, y.shape[1], *tail))
        stay = g_next[:n, 0][:, None]
    p = F.take(y).reshape(y.shape + (1,) * len(tail))
    return ready * p + stay * (1 - p) if not carry else ready + stay * (1 - p)


def forward_pmf(space, orders, F, kernel, *, exact=False, start=None, on_layer=None):
    r"""The distribution of the final ready count under a table of orders, by pushing
    probability forward layer by layer (:func:`forward_step`).

    Parameters
    ----------
    space : StateSpace
    orders : ndarray or callable
        Order-up-to levels of every transient state, flat in state order; or ``orders(i)``
        giving layer i's (i, width) array.
    F, kernel : ndarray
        :math:`F(y)` and the demand's Toeplitz matrix on 0..K.
    start : (i, v, x), optional
        The start state (default: period 1 with no ready periods and the initial stock).
    on_layer : callable, optional
        ``on_layer(i, v_lo, mass)`` for each layer i from the start's, with the (n, width)
        probability of states (v_lo.., x); a view of a working array.

    Returns
    -------
    ndarray
        P(final ready count = v), v = 0..T.

    Examples
    --------
    >>> from slamarkov.chain.space import StateSpace
    >>> from slamarkov.chain.tables import toeplitz
    >>> F = np.array([0.5, 1.0]); M = toeplitz(np.array([0.5, 0.5]))
    >>> forward_pmf(StateSpace(2, carry=True, max_stock=1), np.array([1, 1, 1, 1, 1]), F, M).tolist()
    [0.0, 0.0, 1.0]
    """
    T = space.T
    i0, v0, x = start if start is not None else (1, 0, space.initial_stock)
    col = space.column(i0, x)
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
    out = _zeros(T + 1, exact)
    out[lo : lo + mass.shape[0]] = mass.sum(axis=1)
    return out


def expected_values(space, orders, F, kernel, terminal, stage_cost):
    r"""Backward policy evaluation of a ready-count table of orders (:func:`backward_step`):
    the expected cost-to-go of every state of every layer.

    ``orders`` is the flat table or a callable ``orders(i)``, ``terminal`` an (T+1, width)
    array of end values, ``stage_cost(i, Y)`` the expected cost of a period in layer i's states
    with orders Y. Returns a list over i = 1..T of layer arrays (entries 0 and T + 1 unused).

    Examples
    --------
    >>> from slamarkov.chain.space import StateSpace
    >>> from slamarkov.chain.tables import toeplitz
    >>> F = np.array([0.5, 1.0]); M = toeplitz(np.array([0.5, 0.5]))
    >>> V = expected_values(StateSpace(1), np.array([0]), F, M, np.array([[1.0], [0.0]]),
    ...                     lambda i, Y: 0.0)
    >>> V[1].tolist()  # ready (v = 1, G = 0) or short (v = 0, G = 1) with probability 1/2
    [[0.5]]
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


class ReadyCountKernel(Kernel):
    """The ready count on any stock rule (module docstring): the passes of :class:`Kernel`, with
    the states of a layer that share (v, y) summed and one product with the demand's Toeplitz
    matrix per layer, and forward passes restricted to the window of ready counts reached.

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform, Policy, Problem
    >>> prob = Problem(Contract(2, 0.5, 1, penalty=10), DiscreteUniform(0, 2), 1, leftover="carry")
    >>> k = ReadyCountKernel(Policy(prob, [[[2]], [[0, 1, 2], [0, 1, 2]]]))
    >>> [round(float(x), 4) for x in k.forward(k.space.start((1, 0)))]
    [0.0, 0.3333, 0.6667]
    """

    def _layer_orders(self, i):
        return np.asarray(self.policy.layer(i), dtype=np.int64)

    def forward(self, start, on_layer=None) -> np.ndarray:
        space = self.space
        return forward_pmf(space, self.policy.stock, self.tables.F, self.tables.toeplitz,
                           exact=self.exact, on_layer=on_layer,
                           start=(start.i, start.score, space.stock_levels(start.i)[start.column]))

    def expected_values(self, terminal, stage_cost):
        return expected_values(self.space, self.policy.stock, self.tables.F,
                               self.tables.toeplitz, terminal, stage_cost)

    def backward(self, i: int, g_next: np.ndarray, out=None) -> np.ndarray:
        res = backward_step(g_next, self._layer_orders(i), self.tables.F,
                            self.tables.toeplitz, self.space.carry)
        if out is None:
            return res
        out[...] = res
        return out

    def reward_moments(self, *, holding=True, purchase=True, settlement=True):
        space, T, exact = self.space, self.T, self.exact
        problem = self.policy.problem
        tables = self.tables
        one = Fraction(1) if exact else 1.0
        h = problem.holding_cost if exact else float(problem.holding_cost)
        c = problem.purchase_cost if exact else float(problem.purchase_cost)
        alpha = h if holding else 0
        beta = c if purchase else 0
        mean, second = tables.mean, tables.second_moment
        F, H, L2, kernel = tables.F, tables.H, tables.L2, tables.toeplitz
        term = self.terminal_costs(settlement, purchase)
        M1, M2 = term, term * term
        kernel_t = np.ascontiguousarray(kernel.T)
        out = [None] * (T + 1)
        for i in range(T, 0, -1):
            Y = self._layer_orders(i)
            n, w = Y.shape
            x = space.stock_levels(i)[None, :]
            a = (c * np.maximum(Y - x, 0)) if purchase else np.zeros(Y.shape, dtype=np.int64)
            Hy, Fy, L2y = H.take(Y), F.take(Y), L2.take(Y)
            back1 = mean - Y + Hy  # E(d - y)^+
            # E[((d - y)^+)^2] = E[(d - y)^2] - E[((y - d)^+)^2]
            back2 = second - 2 * Y * mean + Y * Y - L2y
            ex = a + alpha * Hy + beta * back1
            ex2 = (a * a + 2 * a * (alpha * Hy + beta * back1) + alpha * alpha * L2y
                   + beta * beta * back2)
            m1n, m2n = M1[: n + 1], M2[: n + 1]
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

    def _branch_moments(self, reward):
        """Mean and second moment of a sum of per-period rewards, from every transient state:
        ``reward(i, p)`` gives the rewards of layer i's states on the short and on the ready
        branch, ``(r0, r1)``; the ready branch spreads over the stock left through the demand's
        Toeplitz matrix (docs/model.md section 11)."""
        space, T, exact = self.space, self.T, self.exact
        dtype = object if exact else np.float64
        zero = Fraction(0) if exact else 0.0
        one = Fraction(1) if exact else 1.0
        mean = np.empty(space.n_transient, dtype=dtype)
        second = np.empty(space.n_transient, dtype=dtype)
        F, kernel = self.tables.F, self.tables.toeplitz
        kernel_t = np.ascontiguousarray(kernel.T)
        m1 = np.full((T + 1, space.final_width), zero, dtype=dtype)
        s1 = m1.copy()
        for i in range(T, 0, -1):
            Y = self._layer_orders(i)
            p = F.take(Y)
            q = one - p
            r0, r1 = reward(i, p)
            if space.carry:
                rows = np.arange(i)[:, None]
                ready_m = (m1[1 : i + 1] @ kernel_t)[rows, Y]  # E[m'; ready]
            else:
                ready_m = p * m1[1 : i + 1, :1]
            short_m = q * m1[:i, :1]  # E[m'; short]
            cur_m = q * r0 + p * r1 + backward_step(m1[: i + 1], Y, F, kernel, space.carry)
            cur_s = (q * r0 * r0 + p * r1 * r1 + 2 * (r0 * short_m + r1 * ready_m)
                     + backward_step(s1[: i + 1], Y, F, kernel, space.carry))
            space.layer(mean, i)[...] = cur_m
            space.layer(second, i)[...] = cur_s
            m1, s1 = cur_m, cur_s
        return mean, second

    def state_moments(self, reward) -> tuple:
        def both(i, p):
            r = reward(i)
            return r, r

        return self._branch_moments(both)

    def ready_moments(self) -> tuple:
        zero, one = (Fraction(0), Fraction(1)) if self.exact else (0.0, 1.0)
        return self._branch_moments(lambda i, p: (zero, one))


# -- the study's triangle: one stock level per layer ---------------------------------------------

class TriangleKernel(ReadyCountKernel):
    """The ready count with one stock level per layer, the study's triangle of states (i, v):
    the passes of :class:`ReadyCountKernel` on one-dimensional windows of ready counts
    (:mod:`slamarkov.chain.triangle`), a discrete policy's success probabilities gathered from
    its lookup table, the bands of N, and a forward pass for the holding cost and the settlement
    when the costs are the study's (docs/model.md section 6).

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform, Policy, Problem
    >>> prob = Problem(Contract(2, 0.5, 1, penalty=10), DiscreteUniform(0, 3), 1)
    >>> k = TriangleKernel(Policy.constant(prob, 1, exact=True))
    >>> [str(x) for x in k.forward(k.space.start((1, 0)))]
    ['1/4', '1/2', '1/4']
    """

    def forward(self, start, on_layer=None) -> np.ndarray:
        if on_layer is None:
            return triangle.propagate(self.policy, self.T, start.i, start.score, exact=self.exact)
        return triangle.propagate(self.policy, self.T, start.i, start.score, exact=self.exact,
                                  on_stage=lambda i, lo, reach: on_layer(i, lo, reach[:, None]))

    def incoming(self, i: int) -> Incoming:
        # two slots: the short period from v, the ready one from v - 1 (0.1's Viterbi step)
        F = self.policy.stage_success(i)
        n = F.shape[0]
        rows = np.zeros((2, n + 1), dtype=np.int64)
        rows[0, :n] = rows[1, 1:] = np.arange(n)
        p = _zeros((2, n + 1), self.exact)
        p[0, :n], p[1, 1:] = 1 - F, F
        logp = np.full((2, n + 1), -np.inf)
        logp[0, :n], logp[1, 1:] = log_complement(F), log_probability(F)
        return Incoming(rows, p, logp)

    def backward(self, i: int, g_next: np.ndarray, out=None) -> np.ndarray:
        tail = g_next.shape[2:]
        if out is None:
            out = np.empty((i, 1) + tail, dtype=g_next.dtype)
        triangle.backward_shift(g_next[:, 0], self.policy.stage_success(i), out[:, 0])
        return out

    def fundamental(self, dense: bool, max_bytes: int):
        """N from the layers: each start's reach probabilities as bands
        (:func:`~slamarkov.chain.triangle.reach_step`), stage by stage backwards, written
        straight into CSR (float) or a dense array (its memory checked by the chain)."""
        T, t, exact = self.T, self.space.n_transient, self.exact
        offset = triangle.offset
        dtype = object if exact else np.float64
        nnz = triangle.reach_nnz(T)
        itype = np.int32 if max(nnz, t) < 2**31 else np.int64
        if dense:
            N = np.zeros((t, t), dtype=dtype)
            if exact:
                N[:] = Fraction(0)
        else:
            data = np.empty(nnz, dtype=np.float64)
            indices = np.empty(nnz, dtype=itype)
            indptr = np.empty(t + 1, dtype=itype)
            indptr[0] = 0
        one = Fraction(1) if exact else 1.0
        nxt = None
        end = nnz
        for i in range(T, 0, -1):
            m = T - i + 1  # distances d = 0..T-i
            A = np.empty((i, m, m), dtype=dtype)
            if nxt is None:
                A[:, 0, 0] = one
            else:
                triangle.reach_step(nxt, self.policy.stage_success(i), A)
            d, k = np.tril_indices(m)
            flat = d * m + k
            band = A.reshape(i, m * m)[:, flat]  # row (i, v): stages i..T in turn, ready counts up
            base = offset(i + d) + k  # column of (i + d, v + k) is base + v
            o = offset(i)
            if dense:
                v = np.arange(i)
                N[(o + v)[:, None], base[None, :] + v[:, None]] = band
            else:
                L = flat.shape[0]
                start = end - i * L
                data[start:end] = band.ravel()
                cols = indices[start:end].reshape(i, L)
                np.add(base[None, :].astype(itype), np.arange(i, dtype=itype)[:, None], out=cols)
                indptr[o + 1 : o + i + 1] = start + L * np.arange(1, i + 1)
                end = start
            nxt = A
        if dense:
            return N
        from scipy import sparse

        N = sparse.csr_matrix((data, indices, indptr), shape=(t, t))
        N.eliminate_zeros()
        return N

    sparse_fundamental = True

    @property
    def study_costs(self) -> bool:
        """Whether the costs are the study's, holding and settlement alone (no purchase price,
        salvage value or initial stock): then one forward pass from the start gives them."""
        p = self.policy.problem
        return not (p.purchase_cost or p.salvage_value or p.initial_stock)

    def cost_components(self, start) -> dict:
        r"""Mean and second moment of the holding cost, the settlement and the total cost from a
        transient start, by one forward pass (docs/model.md section 6) when the costs are the
        study's: it carries, state by state, the probability m, :math:`E[C 1]` and
        :math:`E[C^2 1]` of the holding cost C accrued so far; a period with stock S costs
        :math:`h (S - d)^+`, positive only on the ready branch, which adds :math:`hH(S)` and
        :math:`h^2 E[((S-d)^+)^2]`. Otherwise as :class:`ReadyCountKernel`."""
        if not self.study_costs:
            return super().cost_components(start)
        T, exact = self.T, self.exact
        policy = self.policy
        dtype = object if exact else np.float64
        one = Fraction(1) if exact else 1.0
        m = np.array([one], dtype=dtype)
        a = np.zeros(1, dtype=dtype) * one
        b = np.zeros(1, dtype=dtype) * one
        lo = start.score
        for i in range(start.i, T + 1):
            n = m.shape[0]
            p = policy.success_window(i, lo, lo + n)
            e1, e2 = policy.leftover_moments(i, lo, lo + n)
            nm, na, nb = (np.zeros(n + 1, dtype=dtype) * one for _ in range(3))
            nm[:n] += m * (1 - p)
            na[:n] += a * (1 - p)
            nb[:n] += b * (1 - p)
            nm[1:] += m * p
            na[1:] += a * p + m * e1
            nb[1:] += b * p + 2 * a * e1 + m * e2
            m, a, b = nm, na, nb
        G = policy.problem.contract.settlement(exact=exact)[lo : lo + m.shape[0]]
        mean_h, mean_g = a.sum(), (m * G).sum()
        return {
            "holding": (mean_h, b.sum()),
            "settlement": (mean_g, (m * G * G).sum()),
            "total": (mean_h + mean_g, (b + 2 * a * G + m * G * G).sum()),
        }

    def cost_decomposition(self, start) -> dict:
        """The expected holding cost (the row of N against h H(S)) and settlement (the row of B
        against G) from a transient start, by one forward pass (docs/model.md section 6), when
        the costs are the study's; otherwise as :class:`ReadyCountKernel`."""
        if not self.study_costs:
            return super().cost_decomposition(start)
        exact = self.exact
        hold = [Fraction(0) if exact else 0.0]

        def add(i, lo, reach):
            r = reach[:, 0]
            hold[0] += (r * self.policy.stage_holding(i)[lo : lo + r.shape[0]]).sum()

        pmf = self.forward(start, on_layer=add)
        settle = (pmf * self.policy.problem.contract.settlement(exact=exact)).sum()
        return {"holding": hold[0], "settlement": settle, "total": hold[0] + settle}

    def _branch_moments(self, reward):
        """:meth:`ReadyCountKernel._branch_moments` on the triangle: the next stage's rows are
        two shifted, weighted copies (:func:`~slamarkov.chain.triangle.backward_shift`)."""
        T, t, exact = self.T, self.space.n_transient, self.exact
        dtype = object if exact else np.float64
        zero = Fraction(0) if exact else 0.0
        mean = np.empty(t, dtype=dtype)
        second = np.empty(t, dtype=dtype)
        nxt = np.full((T + 1, 2), zero, dtype=dtype)  # absorbing: nothing more to come
        for i in range(T, 0, -1):
            sl = triangle.stage_slice(i)
            p = self.policy.stage_success(i)
            r0, r1 = reward(i, p)
            m1 = nxt[:, 0]
            cur = triangle.backward_shift(nxt, p, np.empty((i, 2), dtype=dtype))
            q = 1 - p
            cur[:, 0] += q * r0 + p * r1
            cur[:, 1] += q * r0 * r0 + p * r1 * r1 + 2 * (q * r0 * m1[:i] + p * r1 * m1[1:])
            mean[sl], second[sl] = cur[:, 0], cur[:, 1]
            nxt = cur
        return mean, second

    def state_moments(self, reward) -> tuple:
        def both(i, p):
            r = reward(i)[:, 0]
            return r, r

        return self._branch_moments(both)

    def ready_moments(self) -> tuple:
        zero, one = (Fraction(0), Fraction(1)) if self.exact else (0.0, 1.0)
        return self._branch_moments(lambda i, p: (zero, one))


# -- the fill rate: states (D, F, x), one gather of the next layer per demand ---------------------

class FillKernel(Kernel):
    r"""The fill-rate score (D, F) on any stock rule (docs/model.md section 14): the backward
    passes of :class:`Kernel` without transition arrays or scattered sums.

    From layer i's states the demand d moves (D, F, x) to (D + d, F + min(d, y), x'), with
    :math:`x' = (y - d)^+` when stock carries over (else 0). The pairs are ordered by D, so the
    states that keep D + d within the range kept (:class:`~slamarkov.model.fill.FillSupport`) are
    a prefix of the layer, and a pass is, per demand, one gather of the next layer's values over
    that prefix, vectorised over the layer; only stages and demands are looped. The transitions
    the float-mode cut drops contribute nothing, exactly as in :class:`Kernel`.

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform, Policy, Problem
    >>> prob = Problem(Contract(2, 0.5, 1, measure="fill-rate"), DiscreteUniform(0, 2), 1)
    >>> k = FillKernel(Policy.constant(prob, 1, exact=True))
    >>> [str(m) for m in k.units_moments("filled")[0]]  # E[units still to be filled]
    ['4/3', '2/3', '2/3', '2/3', '2/3', '2/3', '2/3']
    """

    def moves(self, i: int, final_stock: bool = True):
        """The moves out of layer i, one demand at a time: yields ``(d, P(d), m, orders, nxt)``
        for each demand d kept, where the first m score states of the layer keep D + d in range,
        ``orders`` is their (m, width(i)) order-up-to levels and ``nxt`` the flat index in the
        next layer that d moves each of them to (after period T: the final scores by the final
        stock levels, or by one level when not ``final_stock``).

        Examples
        --------
        >>> from slamarkov import Contract, DiscreteUniform, Policy, Problem
        >>> prob = Problem(Contract(2, 0.5, 1, measure="fill-rate"), DiscreteUniform(0, 1), 1)
        >>> k = FillKernel(Policy.constant(prob, 1, exact=True))
        >>> [(d, str(p), m, nxt.tolist()) for d, p, m, _, nxt in k.moves(2)]
        [(0, '1/2', 3, [[0], [1], [2]]), (1, '1/2', 3, [[2], [4], [5]])]
        """
        space = self.space
        score = space.score
        pmf = score.pmf(self.exact)
        cap, cap_next = score.cap(i), score.cap(i + 1)
        D, pair = self._pairs(cap)
        Y = np.asarray(self.policy.layer(i), dtype=np.int64)
        w_next, split = self.next_shape(i, final_stock)[1], space.carry
        if i == self.T and not final_stock:
            split = False
        for d in range(min(pmf.shape[0] - 1, cap_next) + 1):
            c = min(cap, cap_next - d)
            m = (c + 1) * (c + 2) // 2
            y = Y[:m]
            # the index of (D + d, F) is that of (D, F) plus d D + d (d + 1) / 2
            base = pair[:m] + (d * D[:m] + d * (d + 1) // 2)
            nxt = (base[:, None] + np.minimum(y, d)) * w_next
            if split:
                nxt += np.maximum(y - d, 0)
            yield d, pmf[d], m, y, nxt

    def _pairs(self, cap: int):
        """D and the flat index D(D+1)/2 + F of the pairs up to ``cap``, computed once."""
        cache = self.__dict__.setdefault("_pair_cache", {})
        if cap not in cache:
            D, F = triangle_pairs(cap)
            cache[cap] = (D, D * (D + 1) // 2 + F)
        return cache[cap]

    def forward(self, start, on_layer=None) -> np.ndarray:
        space, exact = self.space, self.exact
        mass = _zeros((space.size(start.i), space.width(start.i)), exact)
        mass[start.score, start.column] = Fraction(1) if exact else 1.0
        for i in range(start.i, self.T + 1):
            if on_layer is not None:
                on_layer(i, 0, mass)
            n, w = self.next_shape(i, final_stock=False)
            idx, wts = [], []
            for _, p, m, _, nxt in self.moves(i, final_stock=False):
                idx.append(nxt.ravel())
                wts.append((mass[:m] * p).ravel())
            nxt_mass = _zeros(n * w, exact)
            _scatter(nxt_mass, np.concatenate(idx), np.concatenate(wts))
            mass = nxt_mass.reshape(n, w)
        return mass[:, 0]

    def backward(self, i: int, g_next: np.ndarray, out=None) -> np.ndarray:
        tail = g_next.shape[2:]
        flat = g_next.reshape((-1,) + tail)
        res = _zeros((self.space.size(i), self.space.width(i)) + tail, self.exact)
        for _, p, m, _, nxt in self.moves(i):
            res[:m] += p * flat[nxt]
        if out is None:
            return res
        out[...] = res
        return out

    def demand_moments(self, table, terminal, *, state=None, last=1, keep=None):
        r"""First and second moments of a sum of per-period rewards plus an end value, from every
        state of layers T..``last``, by a backward recursion over the layers.

        A period in state (D, F, x) with order y and demand d earns
        :math:`X = A(y, x) + R(d, y)`; with :math:`M_1, M_2` the moments still to come and
        primes at the state d moves to, :math:`M_1 = \sum_d P(d) (X + M_1')` and
        :math:`M_2 = \sum_d P(d) (X^2 + 2 X M_1' + M_2')`, the sums over the demands kept. The
        terms without a prime are the cumulative sums :math:`\sum_{d \le e} P(d) R(d, y)^k`
        looked up at each state's last demand kept e, so that per demand only the gather of
        :math:`(M_1', M_2')` and the cross term :math:`2 P(d) R(d, y) M_1'` remain.

        Parameters
        ----------
        table : ndarray, shape (d_max + 1, y_max + 1[, r])
            R(d, y), the reward of demand d at order y (y_max: the policy's largest order), or
            r rewards side by side (the parts of a cost).
        terminal : ndarray, shape (final scores, final stock levels[, r])
            The end value.
        state : callable, optional
            ``state(orders, x)``: A, the reward of a period that does not depend on its demand,
            shape (size, width, r) for a layer's (size, width) orders and its stock levels as a
            (1, width) row.
        last : int, default 1
            The first layer computed.
        keep : callable, optional
            ``keep(i, M1, M2)`` receives each layer's moments (size(i), width(i)[, r]).

        Returns
        -------
        (M1, M2) of layer ``last``.
        """
        space, score, exact = self.space, self.space.score, self.exact
        pmf = score.pmf(exact)
        scalar = terminal.ndim == 2  # one reward: carried as an axis of length 1
        if scalar:
            terminal, table = terminal[..., None], table[..., None]
        # the rewards first: each gather takes whole rows of the next layer
        table = np.moveaxis(table, -1, 0)  # (r, d, y)
        P = pmf[None, :, None]
        C0 = np.cumsum(pmf)  # sum of P(d), d <= e
        C1 = np.cumsum(P * table, axis=1)
        C2 = np.cumsum(P * table * table, axis=1)
        twice = 2 * P * table
        r = terminal.shape[2]
        M1 = np.moveaxis(terminal, -1, 0)
        M2 = M1 * M1
        for i in range(self.T, last - 1, -1):
            n, w = space.size(i), space.width(i)
            G = np.concatenate((M1, M2), axis=0).reshape(2 * r, -1)  # one gather for both
            acc = _zeros((2 * r, n, w), exact)
            cross = _zeros((r, n, w), exact)
            for d, p, m, y, nxt in self.moves(i):
                g = G.take(nxt, axis=1)
                acc[:, :m] += p * g
                cross[:, :m] += twice[:, d].take(y, axis=1) * g[:r]
            Y = np.asarray(self.policy.layer(i), dtype=np.int64)
            D = self._pairs(score.cap(i))[0]
            e = np.minimum(pmf.shape[0] - 1, score.cap(i + 1) - D)[:, None]  # last d kept
            S1 = C1[:, e, Y]
            M1 = S1 + acc[:r]
            M2 = C2[:, e, Y] + cross + acc[r:]
            if state is not None:
                A = np.moveaxis(state(Y, space.stock_levels(i)[None, :]), -1, 0)
                p_kept = C0[e][None]
                M2 = M2 + A * A * p_kept + 2 * A * M1
                M1 = M1 + A * p_kept
            if keep is not None:
                keep(i, *((M1[0], M2[0]) if scalar else
                          (np.moveaxis(M1, 0, -1), np.moveaxis(M2, 0, -1))))
        return (M1[0], M2[0]) if scalar else (np.moveaxis(M1, 0, -1), np.moveaxis(M2, 0, -1))

    #: the parts of :meth:`cost_components`, as (holding, purchase, settlement) switches
    COST_PARTS = {"holding": (True, False, False), "purchase": (False, True, False),
                  "settlement": (False, False, True), "total": (True, True, True)}

    def cost_components(self, start) -> dict:
        r"""Mean and second moment of the holding cost, the purchases less salvage, the
        settlement and the total cost of the rest of the review period from a transient start
        (:class:`Position`), all the parts in one backward pass to the start's layer
        (:meth:`demand_moments`; the costs of :meth:`Kernel.reward_moments`: a period costs
        :math:`c (y - x)^+ + c (d - y)^+` in purchases and :math:`h (y - d)^+` in holding, and the
        end the settlement less the salvage :math:`s x`).

        Examples
        --------
        >>> from slamarkov import Contract, DiscreteUniform, Policy, Problem
        >>> prob = Problem(Contract(2, 0.5, 1, penalty=4, measure="fill-rate"),
        ...                DiscreteUniform(0, 2), 1, purchase_cost=1)
        >>> k = FillKernel(Policy.constant(prob, 1, exact=True))
        >>> parts = k.cost_components(k.space.start((2, 1, 0)))  # one unit short so far
        >>> for part, (mean, second) in parts.items():
        ...     print(part, mean, second)
        holding 1/3 1/3
        purchase 4/3 2
        settlement 8/3 32/3
        total 13/3 73/3
        """
        problem, exact = self.policy.problem, self.exact
        h = problem.holding_cost if exact else float(problem.holding_cost)
        c = problem.purchase_cost if exact else float(problem.purchase_cost)
        # without a price or a salvage value the purchases are exactly 0: not carried along
        idle = not problem.purchase_cost and not (problem.salvage_value and self.space.carry)
        names = [n for n in self.COST_PARTS if not (idle and n == "purchase")]
        switches = np.array([self.COST_PARTS[n] for n in names])  # (parts, 3)
        term = np.stack([self.terminal_costs(bool(settle), bool(buy))
                         for _, buy, settle in switches], axis=-1)
        hold_on, buy_on = switches[:, 0], switches[:, 1]
        # by (d, y): h (y - d)^+ held and c (d - y)^+ bought for the back-orders; the order's
        # own purchase c (y - x)^+ does not depend on d
        d = np.arange(self.space.score.pmf(exact).shape[0])[:, None]
        y = np.arange(int(np.max(self.policy.stock, initial=0)) + 1)[None, :]
        table = (h * np.maximum(y - d, 0))[..., None] * hold_on \
            + (c * np.maximum(d - y, 0))[..., None] * buy_on

        def bought(Y, x):
            return (c * np.maximum(Y - x, 0))[..., None] * buy_on

        M1, M2 = self.demand_moments(table, term, state=bought if c else None, last=start.i)
        m1, m2 = M1[start.score, start.column], M2[start.score, start.column]
        out = {name: (m1[k], m2[k]) for k, name in enumerate(names)}
        if idle:
            zero = Fraction(0) if exact else 0.0
            out["purchase"] = (zero, zero)
        # the parts the ready count's kernels give: with stock thrown away and the study's costs
        # (no price, salvage value or initial stock) no purchase part, as TriangleKernel
        study = not (problem.purchase_cost or problem.salvage_value or problem.initial_stock)
        return {name: out[name] for name in self.COST_PARTS
                if not (name == "purchase" and study and not self.space.carry)}

    def _every_state(self, reward) -> tuple:
        """Mean and second moment of a sum of per-period rewards ``reward(d, y)`` (broadcast
        over the demands and the orders), from every transient state (flat)."""
        space, exact = self.space, self.exact
        mean = _zeros(space.n_transient, exact)
        second = _zeros(space.n_transient, exact)

        def keep(i, M1, M2):
            space.layer(mean, i)[...] = M1
            space.layer(second, i)[...] = M2

        d = np.arange(space.score.pmf(exact).shape[0])[:, None]
        y = np.arange(int(np.max(self.policy.stock, initial=0)) + 1)[None, :]
        table = np.broadcast_to(reward(d, y), (d.shape[0], y.shape[1])).astype(np.int64)
        if exact:
            table = table.astype(object) * Fraction(1)
        end = _zeros((space.n_final, space.final_width), exact)
        self.demand_moments(table, end, keep=keep)
        return mean, second

    def ready_moments(self) -> tuple:
        """Mean and second moment of the number of ready periods (d <= y) still to come, from
        every transient state (flat)."""
        return self._every_state(lambda d, y: d <= y)

    def units_moments(self, units: str) -> tuple:
        """Mean and second moment of the units still to be ``"filled"`` (min(d, y) a period) or
        ``"demanded"`` (d a period), from every transient state (flat; docs/model.md
        section 14).

        Examples
        --------
        >>> from slamarkov import Contract, DiscreteUniform, Policy, Problem
        >>> prob = Problem(Contract(2, 0.5, 1, measure="fill-rate"), DiscreteUniform(0, 2), 1)
        >>> k = FillKernel(Policy.constant(prob, 1, exact=True))
        >>> [str(m) for m in k.units_moments("demanded")[0][:2]]
        ['2', '1']
        """
        if units == "filled":
            return self._every_state(np.minimum)
        return self._every_state(lambda d, y: d + 0 * y)


def kernel_for(policy) -> Kernel:
    """The fastest kernel that applies to a policy: :class:`TriangleKernel` for the ready count
    with one stock level per layer, :class:`ReadyCountKernel` for the ready count with stock
    carried over, :class:`FillKernel` for the fill rate, the reference :class:`Kernel` for any
    other score.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Policy, Problem
    >>> type(kernel_for(Policy.constant(Problem(Contract.study(3), Poisson(5), 1), 6))).__name__
    'TriangleKernel'
    """
    space = policy.space
    if isinstance(space.score, FillScore):
        return FillKernel(policy)
    if not isinstance(space.score, ReadyCount):
        return Kernel(policy)
    if space.trivial:
        return TriangleKernel(policy)
    return ReadyCountKernel(policy)
