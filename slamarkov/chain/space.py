r"""The state space of a review period, layered by period (docs/model.md sections 6 and 11).

A transient state is :math:`(i, v, x)`: period :math:`i = 1..T`, ready periods so far
:math:`v = 0..i-1`, and stock on hand :math:`x` carried into period i. Every transition goes
from period i to period i + 1, so the states form layers and the chain is a layered DAG.

Layer i holds a rectangle of states, ready counts :math:`0..i-1` by the stock levels
:math:`X_i` of the layer:

* period 1: :math:`X_1 = \{x_1\}`, the initial stock;
* later periods, ``leftover = "discard"``: :math:`X_i = \{0\}` (stock is thrown away), so the
  layers are the study's triangle of states :math:`(i, v)`;
* later periods, ``leftover = "carry"``: :math:`X_i = \{0, 1, \dots, K\}`, K the top of the
  stock range (no order goes above K, so no carried stock does).

States are numbered layer by layer, then by v, then by x; the flat order of the study's
:math:`(i, v)` states is unchanged. The absorbing states are the final ready counts
:math:`v = 0..T`.

The transition kernels of a stock table live here too: :func:`forward_step` pushes probability
mass from one layer to the next, :func:`backward_step` takes the expectation of a function of
the next layer's state. In the carry case a ready period with order-up-to level y and demand
:math:`d \le y` leaves :math:`y - d` on hand, so both are a product with the lower-triangular
Toeplitz matrix :math:`T_{y x'} = P(d = y - x')`, after the states with the same (v, y) are
summed: one small matrix product per layer, vectorised over the layer's states.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..errors import ChainError

__all__ = ["StateSpace", "forward_step", "backward_step", "demand_kernel"]


class StateSpace:
    r"""Transient states :math:`(i, v, x)` of a review period, layer by layer.

    Parameters
    ----------
    review_period : int
        T.
    carry : bool, default False
        Stock left at the end of a period is carried over (else thrown away).
    max_stock : int, default 0
        K, the top of the stock range; with ``carry`` the stock on hand lies in 0..K.
    initial_stock : int, default 0
        :math:`x_1`, the stock on hand at the start of period 1.

    Examples
    --------
    >>> sp = StateSpace(3, carry=True, max_stock=2)
    >>> sp.n_transient, sp.width(1), sp.width(2)
    (16, 1, 3)
    >>> sp.index(3, 1, 2), sp.state(12)
    (12, (3, 1, 2))
    >>> StateSpace(3).n_transient  # the study's triangle: T(T+1)/2
    6
    """

    def __init__(self, review_period: int, *, carry: bool = False, max_stock: int = 0,
                 initial_stock: int = 0):
        self.T = int(review_period)
        self.carry = bool(carry)
        self.max_stock = int(max_stock)
        self.initial_stock = initial_stock
        T = self.T
        widths = np.ones(T + 2, dtype=np.int64)  # widths[i], i = 1..T (index 0 and T+1 unused)
        if self.carry:
            widths[2 : T + 1] = self.max_stock + 1
        widths[0] = 0
        widths[T + 1] = 0
        self._widths = widths
        # offsets[i] = sum over j < i of j * widths[j]: the first index of layer i, i = 1..T+1
        self._offsets = np.concatenate(([0], np.cumsum(np.arange(T + 1) * widths[: T + 1])))

    # -- sizes -------------------------------------------------------------------------------
    @property
    def review_period(self) -> int:
        return self.T

    @property
    def trivial(self) -> bool:
        """True when every layer has one stock level: the study's (i, v) triangle."""
        return not self.carry

    @property
    def n_transient(self) -> int:
        """Number of transient states."""
        return int(self._offsets[self.T + 1])

    def width(self, i: int) -> int:
        """Number of stock levels in layer i."""
        return int(self._widths[i])

    @property
    def final_width(self) -> int:
        """Stock levels after period T (before absorption): K + 1 with carry, else 1."""
        return self.max_stock + 1 if self.carry else 1

    def offset(self, i: int) -> int:
        """Flat index of the first state of layer i (layer T + 1: the number of transient states)."""
        return int(self._offsets[i])

    def stock_levels(self, i: int) -> np.ndarray:
        """The stock on hand of layer i's columns."""
        if i == 1:
            return np.array([self.initial_stock])
        if self.carry:
            return np.arange(self.max_stock + 1)
        return np.zeros(1, dtype=np.int64)

    def layer(self, flat: np.ndarray, i: int) -> np.ndarray:
        """The (i, width) view of layer i of a flat per-state array."""
        o, w = self.offset(i), self.width(i)
        return flat[o : o + i * w].reshape(i, w)

    # -- indices -----------------------------------------------------------------------------
    def contains(self, i, v, x=None) -> bool:
        """Whether (i, v, x) is a transient state (x defaults to the layer's only level)."""
        if not (isinstance(i, (int, np.integer)) and isinstance(v, (int, np.integer))):
            return False
        if isinstance(i, bool) or isinstance(v, bool) or not (1 <= i <= self.T and 0 <= v < i):
            return False
        return self._column(i, x) is not None

    def _column(self, i, x):
        levels = self.stock_levels(i)
        if x is None:
            return 0 if levels.shape[0] == 1 else None
        if isinstance(x, bool) or not isinstance(x, (int, np.integer, Fraction, float)):
            return None
        hit = np.nonzero(levels == x)[0]
        return int(hit[0]) if hit.size else None

    def index(self, i: int, v: int, x=None) -> int:
        """Flat index of transient state (i, v, x).

        Raises
        ------
        ChainError
            When the state is not in the space.
        """
        if not self.contains(i, v, x):
            raise ChainError(f"state: {self.describe_state(i, v, x)} is not in the chain "
                             f"({self.rule()})")
        return self.offset(i) + v * self.width(i) + self._column(i, x)

    def describe_state(self, i, v, x=None) -> str:
        return f"({i}, {v})" if x is None else f"({i}, {v}, {x})"

    def stock_slice(self, x) -> int:
        """A stock on hand x of the later periods' layers, checked (carry-over: 0..K), as an int:
        the slice of states (i, v, x) that a drawing or a decision boundary looks at.

        Raises
        ------
        ChainError
            When x is not an integer in the stock range.

        Examples
        --------
        >>> StateSpace(3, carry=True, max_stock=2).stock_slice(2)
        2
        """
        K = self.max_stock if self.carry else 0
        ok = isinstance(x, (int, np.integer)) and not isinstance(x, bool) and 0 <= x <= K
        if not ok:
            raise ChainError(f"stock_on_hand: must be an integer in 0..{K} (the stock range), "
                             f"got {x!r}")
        return int(x)

    def rule(self) -> str:
        """The membership rule, in words, for error messages."""
        T = self.T
        base = f"1 <= i <= {T}, 0 <= v < i"
        if self.carry:
            return (f"{base}, stock on hand x = {self.initial_stock} at i = 1 and "
                    f"0 <= x <= {self.max_stock} after")
        return base

    def coordinates(self):
        """Period, ready count and stock on hand of every transient state, flat in state order
        (vectorised; no loop over states; computed once and kept read-only)."""
        if getattr(self, "_coords", None) is None:
            T = self.T
            layers = np.arange(1, T + 1)
            widths = self._widths[1 : T + 1]
            sizes = layers * widths
            stage = np.repeat(layers, sizes)
            rank = np.arange(self.n_transient) - np.repeat(self._offsets[1 : T + 1], sizes)
            w = np.repeat(widths, sizes)
            ready, col = np.divmod(rank, w)
            x0 = self.initial_stock
            if isinstance(x0, (int, np.integer)):
                stock = col.copy()  # carry layers hold 0..K; discard layers hold 0
            else:
                stock = col.astype(np.float64)
            stock[: widths[0]] = x0  # period 1 holds the initial stock
            for arr in (stage, ready, stock):
                arr.setflags(write=False)
            self._coords = (stage, ready, stock)
        return self._coords

    def state(self, index: int) -> tuple:
        """The state (i, v, x) at a flat transient index."""
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not (
            0 <= index < self.n_transient
        ):
            raise ChainError(f"index: must lie in 0..{self.n_transient - 1}, got {index}")
        i = int(np.searchsorted(self._offsets[1 : self.T + 2], index, side="right"))
        r = index - self.offset(i)
        w = self.width(i)
        v, col = divmod(int(r), w)
        x = self.stock_levels(i)[col]
        return i, v, x.item() if hasattr(x, "item") else x

    def __repr__(self):
        mode = "carry" if self.carry else "discard"
        return (f"StateSpace(T={self.T}, leftover={mode!r}, max_stock={self.max_stock}, "
                f"initial_stock={self.initial_stock}, transient={self.n_transient})")


def demand_kernel(pmf: np.ndarray) -> np.ndarray:
    r"""The lower-triangular Toeplitz matrix :math:`M_{y x'} = P(d = y - x')`, :math:`x' \le y`.

    Row y gives the probability of each stock on hand :math:`x' = y - d` after a ready period
    with order-up-to level y.

    Examples
    --------
    >>> demand_kernel(np.array([0.5, 0.25, 0.25])).tolist()
    [[0.5, 0.0, 0.0], [0.25, 0.5, 0.0], [0.25, 0.25, 0.5]]
    """
    n = pmf.shape[0]
    d = np.arange(n)[:, None] - np.arange(n)[None, :]
    M = np.where(d >= 0, pmf[np.clip(d, 0, n - 1)], pmf[0] * 0)
    return M


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
    r"""Push the probability of a layer's states to the next layer.

    Parameters
    ----------
    mass : ndarray, shape (n, w)
        Probability of states (v, x) for v = v_lo..v_lo+n-1 and the layer's w stock levels.
    orders : ndarray of int, shape (n, w)
        Order-up-to levels y of those states.
    F : ndarray
        :math:`F(y) = P(d \le y)`, y = 0..K.
    kernel : ndarray, shape (K+1, K+1)
        :func:`demand_kernel` of the demand (used with ``carry``).
    carry : bool
    width_next : int
        Stock levels of the next layer (K + 1 with carry, else 1).

    Returns
    -------
    ndarray, shape (n + 1, width_next)
        Probability of the next layer's states (v, x) for v = v_lo..v_lo+n.

    Examples
    --------
    >>> F = np.array([0.5, 0.75, 1.0]); M = demand_kernel(np.array([0.5, 0.25, 0.25]))
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
    r"""Expectation of a function of the next layer's state, from each state of a layer.

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
    >>> F = np.array([0.5, 0.75, 1.0]); M = demand_kernel(np.array([0.5, 0.25, 0.25]))
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
