r"""The state space of a review period, layered by period (docs/model.md sections 6 and 11).

A transient state is (i, s, x): period :math:`i = 1..T`, the *score* s that the contract
measures (:mod:`slamarkov.chain.score`; for a ready-rate contract the ready count
:math:`v = 0..i-1`), and the stock on hand x carried into period i. Every transition goes from
period i to period i + 1, so the states form layers and the chain is a layered DAG.

Layer i holds a rectangle of states, the score states of period i by the stock levels
:math:`X_i` of the layer. The stock levels are the space's *stock rule*, the one place where
carrying stock over is decided:

* period 1: :math:`X_1 = \{x_1\}`, the initial stock;
* later periods, ``leftover = "discard"``: :math:`X_i = \{0\}` (stock is thrown away), so with
  the ready count the layers are the study's triangle of states :math:`(i, v)`;
* later periods, ``leftover = "carry"``: :math:`X_i = \{0, 1, \dots, K\}`, K the top of the
  stock range (no order goes above K, so no carried stock does), and a period with order y and
  demand d leaves :math:`(y - d)^+` on hand (:meth:`StateSpace.stock_after`).

States are numbered layer by layer, then by score, then by stock level; with the ready count and
no stock carried over this is the study's order of the states (i, v). The absorbing states are
the final scores (the final ready counts v = 0..T).
"""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple

import numpy as np

from ..errors import ChainError
from ..model.contract import FILL_RATE
from .score import ReadyCount, Score

__all__ = ["StateSpace", "Position", "score_of"]


class Position(NamedTuple):
    """Where a state lies in its layer: period ``i``, score index ``score``, stock column
    ``column`` (``i = T + 1``: a final score, the absorbing state, and column 0)."""

    i: int
    score: int
    column: int


class StateSpace:
    r"""Transient states (i, score, x) of a review period, layer by layer (module docstring).

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
    score : Score, optional
        What the contract measures; default the ready count (:class:`ReadyCount`).

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
                 initial_stock: int = 0, score: Score | None = None):
        self.T = int(review_period)
        self.carry = bool(carry)
        self.max_stock = int(max_stock)
        self.initial_stock = initial_stock
        self.score = ReadyCount(self.T) if score is None else score
        T = self.T
        widths = np.ones(T + 2, dtype=np.int64)  # widths[i], i = 1..T (index 0 and T+1 unused)
        if self.carry:
            widths[2 : T + 1] = self.max_stock + 1
        widths[0] = 0
        widths[T + 1] = 0
        self._widths = widths
        sizes = np.array([0] + [self.score.size(i) for i in range(1, T + 1)], dtype=np.int64)
        self._sizes = sizes
        # offsets[i]: the first index of layer i, i = 1..T+1
        self._offsets = np.concatenate(([0], np.cumsum(sizes * widths[: T + 1])))

    @classmethod
    def for_problem(cls, problem, max_stock: int = 0) -> "StateSpace":
        """The state space of a problem: its review period, the score its contract measures
        (:func:`score_of`), its stock rule and initial stock, and the
        stock range 0..``max_stock`` (when stock carries over).

        Examples
        --------
        >>> from slamarkov import Contract, Poisson, Problem
        >>> StateSpace.for_problem(Problem(Contract.study(3), Poisson(5), 1, leftover="carry"), 2)
        StateSpace(T=3, leftover='carry', max_stock=2, initial_stock=0, transient=16)
        """
        return cls(problem.review_period, carry=problem.carries, max_stock=max_stock,
                   initial_stock=problem.initial_stock, score=score_of(problem))

    # -- sizes -------------------------------------------------------------------------------
    @property
    def review_period(self) -> int:
        return self.T

    @property
    def trivial(self) -> bool:
        """True when every layer has one stock level (nothing carried over): with the ready
        count, the study's (i, v) triangle."""
        return not self.carry

    @property
    def n_transient(self) -> int:
        """Number of transient states."""
        return int(self._offsets[self.T + 1])

    @property
    def n_final(self) -> int:
        """Number of final scores: the absorbing states (T + 1 final ready counts)."""
        return self.score.size(self.T + 1)

    def size(self, i: int) -> int:
        """Number of score states in layer i (i = T + 1: the final scores)."""
        return self.score.size(i)

    def width(self, i: int) -> int:
        """Number of stock levels in layer i."""
        return int(self._widths[i])

    @property
    def final_width(self) -> int:
        """Stock levels after period T (before absorption): K + 1 with carry, else 1."""
        return self.max_stock + 1 if self.carry else 1

    def offset(self, i: int) -> int:
        """Flat index of the first state of layer i (layer T + 1: the number of transient
        states)."""
        return int(self._offsets[i])

    def stock_levels(self, i: int) -> np.ndarray:
        """The stock on hand of layer i's columns (i = T + 1: after period T)."""
        if i == 1:
            return np.array([self.initial_stock])
        if self.carry:
            return np.arange(self.max_stock + 1)
        return np.zeros(1, dtype=np.int64)

    def layer(self, flat: np.ndarray, i: int) -> np.ndarray:
        """The (size(i), width(i)) view of layer i of a flat per-state array."""
        o, w = self.offset(i), self.width(i)
        return flat[o : o + self.size(i) * w].reshape(self.size(i), w)

    # -- the stock rule ----------------------------------------------------------------------
    def stock_after(self, order, demand):
        """Stock on hand after a period with order-up-to level ``order`` and ``demand``
        (vectorised): :math:`(y - d)^+` carried over, or 0 when leftover stock is thrown away.

        Examples
        --------
        >>> StateSpace(2, carry=True, max_stock=5).stock_after(np.array([5, 5]), np.array([2, 7]))
        array([3, 0])
        >>> StateSpace(2).stock_after(np.array([5]), np.array([2]))
        array([0])
        """
        left = np.asarray(order) - np.asarray(demand)
        if self.carry:
            return np.where(left >= 0, left, 0)
        return np.zeros_like(left)

    def columns(self, i: int, stock_on_hand) -> np.ndarray:
        """The stock column of layer i for each stock on hand in ``stock_on_hand`` (vectorised,
        unchecked: the values must be levels of the layer)."""
        x = np.asarray(stock_on_hand)
        if i == 1 or not self.carry:
            return np.zeros(x.shape, dtype=np.int64)
        return x.astype(np.int64)

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

    # -- indices -----------------------------------------------------------------------------
    def _split(self, coords):
        """Score coordinates and stock on hand of a state given as (score..., [x])."""
        k = len(self.score.coordinates)
        coords = tuple(coords)
        if len(coords) == k + 1 and coords[-1] is None:
            coords = coords[:-1]
        if len(coords) not in (k, k + 1):
            return None, None, False
        return coords[:k], (coords[k] if len(coords) > k else None), True

    def column(self, i: int, x=None):
        """The column of stock level x in layer i (x left out: the layer's only level), or None
        when x is not a level of the layer."""
        levels = self.stock_levels(i)
        if x is None:
            return 0 if levels.shape[0] == 1 else None
        if isinstance(x, bool) or not isinstance(x, (int, np.integer, Fraction, float)):
            return None
        hit = np.nonzero(levels == x)[0]
        return int(hit[0]) if hit.size else None

    def position(self, i, *coords) -> Position | None:
        """Where the transient state (i, score..., x) lies, or None when it is not one."""
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 1 <= i <= self.T:
            return None
        score, x, ok = self._split(coords)
        if not ok:
            return None
        s = self.score.locate(int(i), score)
        col = self.column(int(i), x)
        if s is None or col is None:
            return None
        return Position(int(i), s, col)

    def contains(self, i, *coords) -> bool:
        """Whether (i, score..., x) is a transient state (x defaults to the layer's only level)."""
        return self.position(i, *coords) is not None

    def index(self, i: int, *coords) -> int:
        """Flat index of transient state (i, score..., x).

        Raises
        ------
        ChainError
            When the state is not in the space.
        """
        pos = self.position(i, *coords)
        if pos is None:
            raise ChainError(f"state: {self.describe_state(i, *coords)} is not in the chain "
                             f"({self.rule()})")
        return self.offset(pos.i) + pos.score * self.width(pos.i) + pos.column

    def flat(self, pos: Position) -> int:
        """Flat index of a transient :class:`Position`."""
        return self.offset(pos.i) + pos.score * self.width(pos.i) + pos.column

    def keys(self, i: int, positions) -> list:
        """The states at ``positions`` of layer i (score index times the width, plus the stock
        column) as the chain names them: ``(i, *score)``, with the stock on hand x last when stock
        carries over.

        Examples
        --------
        >>> StateSpace(3, carry=True, max_stock=2).keys(3, [0, 7])
        [(3, 0, 0), (3, 2, 1)]
        >>> StateSpace(3).keys(3, [2])
        [(3, 2)]
        """
        s, col = np.divmod(np.asarray(positions, dtype=np.int64), self.width(i))
        values = self.score.values(i)[s].tolist()
        if not self.carry:
            return [(i, *vals) for vals in values]
        x = self.stock_levels(i)[col].tolist()
        return [(i, *vals, xx) for vals, xx in zip(values, x)]

    def key(self, pos: Position) -> tuple:
        """The state at a :class:`Position` as the chain names it (:meth:`keys`); a final score
        is (T + 1, score)."""
        if pos.i > self.T:
            return (pos.i, *self.score.values(pos.i)[pos.score].tolist())
        return self.keys(pos.i, [pos.score * self.width(pos.i) + pos.column])[0]

    def describe_state(self, i, *coords) -> str:
        coords = tuple(c for c in coords if c is not None)
        return "(" + ", ".join(str(c) for c in (i, *coords)) + ")"

    def rule(self) -> str:
        """The membership rule, in words, for error messages."""
        T = self.T
        base = f"1 <= i <= {T}, {self.score.rule()}"
        if self.carry:
            return (f"{base}, stock on hand x = {self.initial_stock} at i = 1 and "
                    f"0 <= x <= {self.max_stock} after")
        return base

    def start(self, start, *, field: str = "start", absorbing: bool = True) -> Position:
        """A start state given as (i, v) or (i, v, x), checked; (i, v) means the layer's only
        stock level (at i = 1 the initial stock). With ``absorbing``, i = T + 1 with a final
        score is accepted (the end of the review period).

        Raises
        ------
        ChainError
            ``start: must be a state ...`` or ``start: (...) is not in the chain (rule)``.

        Examples
        --------
        >>> sp = StateSpace(3, carry=True, max_stock=2, initial_stock=1)
        >>> sp.start((1, 0)), sp.start((2, 1, 2)), sp.start((4, 3))
        (Position(i=1, score=0, column=0), Position(i=2, score=1, column=2), Position(i=4, score=3, column=0))
        """
        try:
            parts = tuple(start)
        except TypeError:
            raise ChainError(f"{field}: must be a state {self.example()}, got {start!r}") \
                from None
        k = len(self.score.coordinates)
        if not parts or len(parts) not in ((1 + k, 2 + k) if self.carry else (1 + k,)):
            raise ChainError(f"{field}: must be a state {self.example()}, got {start!r}")
        i, coords = parts[0], parts[1:]
        if absorbing and isinstance(i, (int, np.integer)) and not isinstance(i, bool) \
                and i == self.T + 1:  # the end: a final score (the stock left does not matter)
            s = self.score.locate(self.T + 1, coords[:k])
            if s is not None:
                return Position(self.T + 1, s, 0)
        if self.carry and len(coords) == k and i != 1:
            raise ChainError(f"{field}: give the stock on hand, (i, v, x): stock carries over "
                             f"({self.rule()})")
        pos = self.position(*parts)
        if pos is None:
            last = (f"0 <= v <= {self.T}" if isinstance(self.score, ReadyCount)
                    else self.score.rule())
            end = (f"; absorbing: i = {self.T + 1}, {last}" if absorbing else "")
            raise ChainError(f"{field}: state {self.describe_state(*parts)} is not in the chain "
                             f"({self.rule()}{end})")
        return pos

    def example(self) -> str:
        """The shape of a state, for messages: ``(i, v)`` or ``(i, v) or (i, v, x)``."""
        names = "i, v" if self.score.coordinates == ("ready_count",) else \
            ", ".join(("i",) + self.score.coordinates)
        return f"({names})" + (f" or ({names}, x)" if self.carry else "")

    def keys_at(self, index) -> list:
        """The states at flat transient indices as the chain names them (:meth:`keys`), built
        column by column (vectorised; a long list of states costs one ``zip``).

        Examples
        --------
        >>> StateSpace(3, carry=True, max_stock=2).keys_at([0, 12])
        [(1, 0, 0), (3, 1, 2)]
        >>> StateSpace(3).keys_at([0, 5])
        [(1, 0), (3, 2)]
        """
        cols = self.coordinates_at(index)
        if not self.carry:
            cols = cols[:-1]  # one stock level per layer: not part of the name
        return list(zip(*(c.tolist() for c in cols)))

    def coordinates(self):
        """Period, score coordinates and stock on hand of every transient state, flat in state
        order: ``(stage, *score, stock)`` (vectorised; computed once and kept read-only)."""
        if getattr(self, "_coords", None) is None:
            T = self.T
            layers = np.arange(1, T + 1)
            widths = self._widths[1 : T + 1]
            sizes = self._sizes[1 : T + 1] * widths
            stage = np.repeat(layers, sizes)
            rank = np.arange(self.n_transient) - np.repeat(self._offsets[1 : T + 1], sizes)
            w = np.repeat(widths, sizes)
            s, col = np.divmod(rank, w)
            if isinstance(self.score, ReadyCount):
                score = [s]  # the ready count is its own index
            else:
                score = [np.concatenate([self.score.values(i)[:, k].repeat(self.width(i))
                                         for i in range(1, T + 1)])
                         for k in range(len(self.score.coordinates))]
            x0 = self.initial_stock
            if isinstance(x0, (int, np.integer)):
                stock = col.copy()  # carry layers hold 0..K; discard layers hold 0
            else:
                stock = col.astype(np.float64)
            stock[: widths[0]] = x0  # period 1 holds the initial stock
            for arr in (stage, *score, stock):
                arr.setflags(write=False)
            self._coords = (stage, *score, stock)
        return self._coords

    def coordinates_at(self, index) -> tuple:
        """``(stage, *score, stock)`` of the transient states at flat indices (vectorised), as
        :meth:`coordinates` gives them, without building them for every state.

        Raises
        ------
        ChainError
            ``index: ...`` on an index that is not an integer in 0..n_transient - 1.

        Examples
        --------
        >>> [c.tolist() for c in StateSpace(3, carry=True, max_stock=2).coordinates_at([0, 12])]
        [[1, 3], [0, 1], [0, 2]]
        >>> StateSpace(3).coordinates_at([6])
        Traceback (most recent call last):
        slamarkov.errors.ChainError: index: must be in 0..5 (the transient states), got 6
        """
        k = np.asarray(index)
        if k.size:
            if k.dtype.kind not in "iu":
                raise ChainError(f"index: must be integers (flat transient state indices), got "
                                 f"{k.dtype} values")
            bad = k[(k < 0) | (k >= self.n_transient)]
            if bad.size:
                raise ChainError(f"index: must be in 0..{self.n_transient - 1} (the transient "
                                 f"states), got {int(bad.flat[0])}")
        k = k.astype(np.int64)
        i = np.searchsorted(self._offsets[1 : self.T + 2], k, side="right")
        rank = k - self._offsets[i]
        w = self._widths[i]
        s, col = np.divmod(rank, w)
        if isinstance(self.score, ReadyCount):
            score = [s]
        else:
            # one gather per stage present (a loop over stages, not states)
            values = np.zeros((len(self.score.coordinates), k.size), dtype=np.int64)
            for a in np.unique(i).tolist():
                sel = i == a
                values[:, sel] = self.score.values(a)[s[sel]].T
            score = list(values)
        stock = np.where(i == 1, self.initial_stock, col)
        return (i, *score, stock)

    def state(self, index: int) -> tuple:
        """The state (i, score..., x) at a flat transient index."""
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not (
            0 <= index < self.n_transient
        ):
            raise ChainError(f"index: must lie in 0..{self.n_transient - 1}, got {index}")
        i = int(np.searchsorted(self._offsets[1 : self.T + 2], index, side="right"))
        r = index - self.offset(i)
        s, col = divmod(int(r), self.width(i))
        x = self.stock_levels(i)[col]
        score = tuple(int(c) for c in self.score.values(i)[s])
        return (i, *score, x.item() if hasattr(x, "item") else x)

    def __repr__(self):
        mode = "carry" if self.carry else "discard"
        return (f"StateSpace(T={self.T}, leftover={mode!r}, max_stock={self.max_stock}, "
                f"initial_stock={self.initial_stock}, transient={self.n_transient})")


def score_of(problem) -> Score:
    """The score a problem's contract measures: the ready count (a ready-rate contract), or the
    units demanded and filled (a fill-rate contract, :mod:`slamarkov.chain.fill`).

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem
    >>> score_of(Problem(Contract.study(10), Poisson(5), 1)).coordinates
    ('ready_count',)
    >>> score_of(Problem(Contract.study(2, measure="fill-rate"), Poisson(5), 1)).coordinates
    ('demand_total', 'filled_total')
    """
    if getattr(getattr(problem, "contract", None), "measure", None) == FILL_RATE:
        from ..model.fill import fill_support
        from .fill import FillScore

        T = problem.review_period
        return FillScore(T, fill_support(problem.demand, T), problem.demand)
    return ReadyCount(problem.review_period)
