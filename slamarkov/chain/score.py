r"""The score of a review period: the part of the state that the contract measures
(docs/model.md sections 6 and 11).

A state of a review period is (period i, score, stock on hand x). The *score* is what the
contract's settlement is a function of at the end: for a ready-rate contract the ready count v,
the number of ready periods so far. Other measures keep other scores (the fill rate: the demand
so far and the units filled so far; several customers: one ready count each), so the score is
one pluggable part of :class:`~slamarkov.chain.space.StateSpace`: a :class:`Score` says

* how many score states enter each period (:meth:`Score.size`) and what they are
  (:meth:`Score.values`, one row of coordinates per state, in state order);
* where one period takes each state under an order-up-to level y: its transitions with their
  probabilities and the expected costs they carry (:meth:`Score.transitions`), from which every
  question of the chain can be answered (:class:`~slamarkov.chain.kernels.Kernel`);
* the settlement of each final score (:meth:`Score.settlement`).

:class:`ReadyCount` is the first score: v = 0..i-1 entering period i, v = 0..T at the end. A
period with order y and demand d is ready iff d <= y (v moves to v + 1), short otherwise.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np


__all__ = ["Score", "ReadyCount", "Transitions", "log_probability",
           "log_complement"]


@dataclass(frozen=True)
class Transitions:
    r"""The transitions out of the states of one layer, as flat arrays (one entry a transition).

    ``rows`` are the states' positions in their layer (score index times the layer's width, plus
    the stock column), ``cols`` the positions of the states they lead to in the next layer (after
    period T: in the final layer of final scores by final stock levels). Every transition the
    order allows is listed, also one the demand gives probability 0, so that the transitions
    have the chain's shape.

    Attributes
    ----------
    rows, cols : ndarray of int64
    p : ndarray
        The transition's probability (Fractions in exact mode).
    holding, holding2 : ndarray or None
        :math:`E[(y - d)^+ 1_t]` and :math:`E[((y - d)^+)^2 1_t]`: the leftover and its square,
        over the demands that take the transition (None unless asked for).
    short, short2 : ndarray or None
        :math:`E[(d - y)^+ 1_t]` and :math:`E[((d - y)^+)^2 1_t]`: the demand not met.
    ready : ndarray of bool
        Whether the transition is a ready period (the contract counts it).
    logp : ndarray of float
        :math:`\ln p`, computed where it loses nothing to rounding (``log1p(-F)`` for
        :math:`1 - F`): the most probable paths compare sums of these.
    """

    rows: np.ndarray
    cols: np.ndarray
    p: np.ndarray
    holding: np.ndarray
    holding2: np.ndarray
    short: np.ndarray
    short2: np.ndarray
    ready: np.ndarray
    logp: np.ndarray


class Score(ABC):
    """What a contract measures of a review period, as coordinates of the state.

    Parameters
    ----------
    review_period : int
        T.
    """

    #: the names of the score's coordinates (node attributes, table columns)
    coordinates: tuple = ()
    #: a short name, for messages
    name: str = "score"

    def __init__(self, review_period: int):
        self.T = int(review_period)

    @abstractmethod
    def size(self, i: int) -> int:
        """The number of score states entering period i (i = T + 1: the final scores)."""

    @abstractmethod
    def values(self, i: int) -> np.ndarray:
        """The coordinates of layer i's score states, shape (size(i), len(coordinates))."""

    @abstractmethod
    def locate(self, i: int, values) -> int | None:
        """The index in layer i of the score state with these coordinates, or None."""

    @abstractmethod
    def rule(self) -> str:
        """Which score states exist, in words (for error messages)."""

    @abstractmethod
    def transitions(self, space, i: int, orders: np.ndarray, tables, *,
                    final_stock: bool = False, costs: bool = False) -> Transitions:
        """The transitions out of layer i under the order-up-to levels ``orders`` (size(i),
        width(i)); after period T the targets are final scores by final stock levels when
        ``final_stock``, else final scores alone (the absorbing states). With ``costs`` the
        expected leftover and shortfall of each transition are filled in."""

    @abstractmethod
    def settlement(self, contract, exact: bool = False) -> np.ndarray:
        """The settlement G of each final score, size(T + 1) entries."""

    @abstractmethod
    def step(self, i: int, index: np.ndarray, order: np.ndarray, demand: np.ndarray):
        """The score index after period i, from the index before it, the order-up-to level and
        the demand (vectorised over runs: the simulator's state)."""

    #: the columns of a monitor's log that record a period's outcome for this score
    log_columns: tuple = ()

    @abstractmethod
    def read_outcome(self, record: dict):
        """A logged period's outcome from its ``log_columns`` (text), checked; raises
        :class:`ValueError` with the rule a value breaks."""

    @abstractmethod
    def short(self, outcome) -> bool:
        """Whether the period's demand exceeded the order (nothing is left on hand)."""

    @abstractmethod
    def logged(self, outcomes) -> tuple:
        """The score's coordinates after the logged outcomes of periods 1..n, in order."""


class ReadyCount(Score):
    r"""The ready count v: ready periods so far (docs/model.md sections 1, 6 and 11).

    Entering period i the ready count is v = 0..i-1; after period T it is v = 0..T, and the
    settlement is G(v). A period with order-up-to level y is ready with probability F(y) and
    moves v to v + 1; with stock carried over, a ready period with demand d leaves y - d on
    hand, so it splits into one transition per d = 0..y.

    Examples
    --------
    >>> s = ReadyCount(3)
    >>> [s.size(i) for i in (1, 2, 3, 4)], s.values(3).ravel().tolist(), s.locate(3, (2,))
    ([1, 2, 3, 4], [0, 1, 2], 2)
    """

    coordinates = ("ready_count",)
    name = "ready count"

    def size(self, i: int) -> int:
        return int(i) if i <= self.T else self.T + 1

    def values(self, i: int) -> np.ndarray:
        return np.arange(self.size(i))[:, None]

    def locate(self, i: int, values):
        (v,) = values
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            return None
        return int(v) if 0 <= v < self.size(i) else None

    def rule(self) -> str:
        return "0 <= v < i"

    def settlement(self, contract, exact: bool = False) -> np.ndarray:
        return contract.settlement(exact=exact)

    log_columns = ("ready",)

    def read_outcome(self, record: dict) -> int:
        """``ready``: 1 for a ready period, 0 for a short one.

        Examples
        --------
        >>> ReadyCount(3).read_outcome({"ready": "1"})
        1
        """
        text = record["ready"]
        if text not in ("0", "1"):
            shown = repr(text) if len(text) <= 40 else f"{text[:40]!r}... ({len(text):,} characters)"
            raise ValueError(f"ready must be 0 or 1, got {shown}")
        return int(text)

    def short(self, outcome) -> bool:
        return outcome == 0

    def logged(self, outcomes) -> tuple:
        """(v,): the ready periods logged.

        Examples
        --------
        >>> ReadyCount(3).logged([1, 0, 1])
        (2,)
        """
        return (sum(outcomes),)

    def step(self, i, index, order, demand):
        """v + 1 where the period is ready (d <= y), v otherwise.

        Examples
        --------
        >>> ReadyCount(3).step(2, np.array([0, 1]), np.array([5, 5]), np.array([5, 6])).tolist()
        [1, 1]
        """
        return index + (np.asarray(demand) <= np.asarray(order))

    def transitions(self, space, i, orders, tables, *, final_stock=False,
                    costs=False) -> Transitions:
        """The ready count's transitions (docs/model.md sections 6 and 11).

        From (v, x) with order y: the short period, to (v, 0) with probability 1 - F(y), and the
        ready one, to (v + 1, x') with probability F(y), where the stock rule gives x': with
        stock carried over one transition per demand d = 0..y, to x' = y - d with probability
        P(d); otherwise x' = 0. With ``costs`` the expected leftover and shortfall of each
        transition are filled in (they need E[d] and E[d^2]), else they are None.

        Examples
        --------
        >>> from slamarkov.chain.space import StateSpace
        >>> from slamarkov.chain.tables import DemandTables
        >>> from slamarkov import DiscreteUniform
        >>> space = StateSpace(2, carry=True, max_stock=2)
        >>> t = ReadyCount(2).transitions(space, 1, np.array([[2]]), DemandTables(
        ...     DiscreteUniform(0, 2), 2, exact=True))
        >>> t.cols.tolist(), [str(p) for p in t.p], t.ready.tolist()
        ([0, 5, 4, 3], ['0', '1/3', '1/3', '1/3'], [False, True, True, True])
        """
        Y = np.asarray(orders)
        n, w = Y.shape
        y = Y.ravel()
        src = np.arange(n * w)
        v = np.repeat(np.arange(n), w)
        last = i == space.T
        if last and not final_stock:
            w_next, split = 1, False  # the absorbing states: final ready counts alone
        else:
            w_next = space.final_width if last else space.width(i + 1)
            split = space.carry
        exact = tables.exact
        Fy = tables.cdf_at(y)
        short_p = 1 - Fy
        rows, cols, prob, ready, logp = [src], [v * w_next], [short_p], [False], [log_complement(Fy)]
        if split:  # one ready transition per demand d = 0..y, to x' = y - d
            y = y.astype(np.int64)  # stock carries over: integer stock
            counts = y + 1
            r = np.repeat(src, counts)
            starts = np.cumsum(counts) - counts
            d = np.arange(counts.sum()) - np.repeat(starts, counts)
            x_next = np.repeat(y, counts) - d
            p = tables.pmf.take(d)
            rows.append(r)
            cols.append((np.repeat(v, counts) + 1) * w_next + x_next)
            prob.append(p)
            logp.append(log_probability(p))
        else:  # one ready transition, to (v + 1, 0)
            rows.append(src)
            cols.append((v + 1) * w_next)
            prob.append(Fy)
            logp.append(log_probability(Fy))
        ready.append(True)
        flags = np.concatenate([np.full(len(r), b) for r, b in zip(rows, ready)])
        out = dict(rows=np.concatenate(rows), cols=np.concatenate(cols), p=np.concatenate(prob),
                   ready=flags, logp=np.concatenate(logp),
                   holding=None, holding2=None, short=None, short2=None)
        if costs:
            H, L2 = tables.leftover_at(y), tables.leftover2_at(y)
            yy = y.astype(object) if exact else y
            mean, second = tables.mean, tables.second_moment
            zero = short_p * 0
            # the short period: E(d - y)^+ = E[d] - y + H(y), E[((d - y)^+)^2] = E[(d - y)^2] - L2(y)
            hold, hold2 = [zero], [zero]
            short, short2 = [mean - yy + H], [second - 2 * yy * mean + yy * yy - L2]
            if split:
                left = x_next.astype(object) if exact else x_next
                hold += [left * p]
                hold2 += [left * left * p]
                short += [p * 0]
                short2 += [p * 0]
            else:
                hold += [H]
                hold2 += [L2]
                short += [zero]
                short2 += [zero]
            out.update(holding=np.concatenate(hold), holding2=np.concatenate(hold2),
                       short=np.concatenate(short), short2=np.concatenate(short2))
        return Transitions(**out)


def log_probability(p) -> np.ndarray:
    """The natural log of probabilities, in float (log 0 = -inf), as transitions carry it.

    Examples
    --------
    >>> from fractions import Fraction
    >>> log_probability([Fraction(1, 2), 1, 0]).round(6).tolist()
    [-0.693147, 0.0, -inf]
    """
    with np.errstate(divide="ignore"):
        return np.log(np.asarray(p, dtype=np.float64))


def log_complement(F) -> np.ndarray:
    """log(1 - F), in float, accurate for small F (``log1p``): a short period's log probability.

    Examples
    --------
    >>> log_complement([1e-20, 0.5, 1.0]).tolist()
    [-1e-20, -0.6931471805599453, -inf]
    """
    with np.errstate(divide="ignore"):
        return np.log1p(-np.asarray(F, dtype=np.float64))
