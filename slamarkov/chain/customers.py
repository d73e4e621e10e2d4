r"""Several customers' ready counts as the score of a review period, and what one period's
demands allow (docs/model.md section 15).

:class:`ReadyCounts` is the score :math:`(v_1, \dots, v_k)`, one ready count per customer:
:math:`i^k` score states entering period i (each :math:`v_j = 0..i-1`, row-major), the
:math:`(T+1)^k` final counts at the end, settled by :math:`\sum_j G_j(v_j)`. Which customers are
ready in a period is the supplier's allocation, part of the policy, so the transitions of this
score are built by :mod:`slamarkov.solve.customers` from :func:`period_outcomes`: for an order y,
the probability of each *family* of feasible sets (the sets of customers whose demands fit in y
together) jointly with the leftover, and of each served set under the static rules.

Sets of customers are bit masks: customer j (0-based, file order) is bit j.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..errors import ChainError
from .score import Score

__all__ = ["ReadyCounts", "preference_order", "set_members", "PeriodOutcomes",
           "period_outcomes", "all_families", "rule_served", "feasible_family", "marginal"]


def set_members(a: int, k: int) -> tuple:
    """The customers (0-based indices, increasing) of the bit mask ``a``.

    Examples
    --------
    >>> set_members(0b101, 3)
    (0, 2)
    """
    return tuple(j for j in range(k) if a >> j & 1)


def feasible_family(d: np.ndarray, y) -> np.ndarray:
    """The family of feasible sets of each row of demands ``d`` (cells x k) at the order ``y``
    (a number, or one per row): bit a of the mask is set when the demands of the set ``a`` add
    up to at most y (docs/model.md section 15).

    Examples
    --------
    >>> feasible_family(np.array([[2, 2], [1, 1]]), 3).tolist()  # {}, {0}, {1}; all four
    [7, 15]
    """
    k = d.shape[1]
    subsets = np.array([[a >> j & 1 for j in range(k)] for a in range(2**k)], dtype=np.int64)
    fits = (d @ subsets.T) <= np.asarray(y)[..., None]  # (cells, 2^k)
    return (fits.astype(np.int64) << np.arange(2**k)).sum(axis=1)


def marginal(joint: np.ndarray, j: int) -> np.ndarray:
    """Customer j's marginal pmf of its final ready count, from the joint pmf over the k
    customers' counts (axis j).

    Examples
    --------
    >>> marginal(np.array([[0.25, 0.25], [0.5, 0.0]]), 1).tolist()
    [0.75, 0.25]
    """
    axes = tuple(a for a in range(joint.ndim) if a != j)
    return joint.sum(axis=axes) if axes else joint


def preference_order(k: int) -> list:
    """The sets of k customers in the order that breaks ties between allocations of equal value
    (docs/model.md section 15): most customers first, then the sorted index lists compared
    lexicographically (file order).

    Examples
    --------
    >>> [set_members(a, 3) for a in preference_order(3)]
    [(0, 1, 2), (0, 1), (0, 2), (1, 2), (0,), (1,), (2,), ()]
    """
    return sorted(range(2**k), key=lambda a: (-bin(a).count("1"), set_members(a, k)))


class ReadyCounts(Score):
    r"""One ready count per customer, :math:`(v_1, \dots, v_k)` (docs/model.md section 15).

    Parameters
    ----------
    review_period : int
        T.
    names : sequence of str
        The customers' names (file order); the coordinates are ``ready_count_<name>``.

    Examples
    --------
    >>> s = ReadyCounts(3, ["a", "b"])
    >>> s.size(2), s.values(2).tolist(), s.locate(3, (2, 1)), s.coordinates
    (4, [[0, 0], [0, 1], [1, 0], [1, 1]], 7, ('ready_count_a', 'ready_count_b'))
    """

    name = "ready counts"

    def __init__(self, review_period: int, names):
        super().__init__(review_period)
        self.names = tuple(names)
        self.k = len(self.names)
        self.coordinates = tuple(f"ready_count_{n}" for n in self.names)
        self.log_columns = tuple(f"ready_{n}" for n in self.names)

    def side(self, i: int) -> int:
        """The values each customer's count takes in layer i: 0..side-1."""
        return int(i) if i <= self.T else self.T + 1

    def size(self, i: int) -> int:
        return self.side(i) ** self.k

    def values(self, i: int) -> np.ndarray:
        m = self.side(i)
        return np.indices((m,) * self.k).reshape(self.k, -1).T

    def index(self, i: int, counts: np.ndarray) -> np.ndarray:
        """The score index in layer i of count vectors (rows of ``counts``), row-major."""
        m = self.side(i)
        weights = m ** np.arange(self.k - 1, -1, -1)
        return np.asarray(counts) @ weights

    def locate(self, i: int, values):
        vals = tuple(values)
        if len(vals) != self.k:
            return None
        m = self.side(i)
        for v in vals:
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= v < m:
                return None
        return int(self.index(i, np.array(vals, dtype=np.int64)))

    def rule(self) -> str:
        return "0 <= v_j < i for every customer j"

    def settlement(self, contracts, exact: bool = False) -> np.ndarray:
        r""":math:`\sum_j G_j(v_j)` over the final counts (row-major), from the customers'
        contracts (a sequence, file order).

        Examples
        --------
        >>> from slamarkov import Contract
        >>> ReadyCounts(1, "ab").settlement([Contract.study(1)] * 2).tolist()
        [10.0, 2.0, 2.0, -6.0]
        """
        G = [c.settlement(exact=exact) for c in contracts]
        total = G[0]
        for g in G[1:]:
            total = (total[:, None] + g[None, :]).reshape(-1)
        return total

    def successors(self, i: int) -> np.ndarray:
        """For each set a (bit mask) and each score state of layer i, the index in layer i + 1
        of the counts after serving a: shape (2^k, size(i)).

        Examples
        --------
        >>> ReadyCounts(2, "ab").successors(1).tolist()
        [[0], [2], [1], [3]]
        """
        vals = self.values(i)
        out = np.empty((2**self.k, len(vals)), dtype=np.int64)
        for a in range(2**self.k):
            served = np.array([a >> j & 1 for j in range(self.k)], dtype=np.int64)
            out[a] = self.index(i + 1, vals + served)
        return out

    def transitions(self, space, i, orders, tables, *, final_stock=False, costs=False):
        """Not defined by the score alone: which customers are ready depends on the
        allocation, which is part of the policy (:mod:`slamarkov.solve.customers` builds the
        chain)."""
        raise ChainError("ready counts of several customers: the transitions depend on the "
                         "allocation; use slamarkov.solve.customers")

    def step(self, i, index, order, demand):
        """Not defined by the score alone (the allocation is part of the policy)."""
        raise ChainError("ready counts of several customers: a step depends on the allocation; "
                         "use slamarkov.solve.customers")

    def read_outcome(self, record: dict) -> tuple:
        """``ready_<name>``: 1 or 0 per customer.

        Examples
        --------
        >>> ReadyCounts(3, "ab").read_outcome({"ready_a": "1", "ready_b": "0"})
        (1, 0)
        """
        out = []
        for col in self.log_columns:
            text = record[col]
            if text not in ("0", "1"):
                raise ValueError(f"{col} must be 0 or 1, got {text!r}")
            out.append(int(text))
        return tuple(out)

    def short(self, outcome) -> bool:
        return not all(outcome)

    def logged(self, outcomes) -> tuple:
        """Each customer's ready periods logged.

        Examples
        --------
        >>> ReadyCounts(3, "ab").logged([(1, 0), (1, 1)])
        (2, 1)
        """
        return tuple(int(sum(o[j] for o in outcomes)) for j in range(self.k))


@dataclass(frozen=True)
class PeriodOutcomes:
    r"""What one period's demands allow, for each order y = 0..K (docs/model.md section 15).

    Attributes
    ----------
    families : ndarray of int64
        The families of feasible sets that occur, each as a bit mask over the :math:`2^k` sets
        (bit a set: set a fits).
    family : ndarray, shape (K + 1, len(families), X)
        :math:`\pi_y(\mathcal F, x')`: the probability of each family jointly with the leftover
        :math:`x' = (y - D)^+` (X = K + 1 with carry; X = 1 with discard, every leftover at 0).
    served : dict
        For each static rule, an array (K + 1, 2^k, X): the probability that the rule serves
        set a, jointly with the leftover.
    sacrificed : dict
        For each static rule, an array (K + 1, k): the probability that customer j's demand fits
        alone (:math:`d_j \le y`) and the rule does not serve it.
    """

    families: np.ndarray
    family: np.ndarray
    served: dict
    sacrificed: dict


def rule_served(d: np.ndarray, y, rule: str) -> np.ndarray:
    """The set (bit mask) a static rule serves for each row of demands d under the order y (a
    number or one per row): customers taken in the rule's order (docs/model.md section 15),
    each in full if its demand fits in what is left.

    Examples
    --------
    >>> d = np.array([[3, 1, 1], [1, 3, 1]])
    >>> rule_served(d, 3, "priority").tolist(), rule_served(d, 3, "smallest-first").tolist()
    ([1, 5], [6, 5])
    """
    n, k = d.shape
    if rule == "priority":
        order = np.broadcast_to(np.arange(k), (n, k))
    else:  # smallest-first: increasing demand, ties by file order (a stable sort)
        order = np.argsort(d, axis=1, kind="stable")
    left = np.broadcast_to(np.asarray(y, dtype=np.int64), (n,)).copy()
    served = np.zeros(n, dtype=np.int64)
    for pos in range(k):
        j = order[:, pos]
        dj = np.take_along_axis(d, j[:, None], axis=1)[:, 0]
        fits = dj <= left
        left = np.where(fits, left - dj, left)
        served |= np.where(fits, 1 << j, 0)
    return served


def period_outcomes(pmfs, tails, K: int, *, carry: bool, rules=("priority", "smallest-first"),
                    exact: bool = False) -> PeriodOutcomes:
    r"""The families of feasible sets and the static rules' served sets, with their
    probabilities jointly with the leftover, for every order y = 0..K (docs/model.md
    section 15).

    For each y the demand vectors fall into the cells :math:`\{0, \dots, y, >y\}^k`; a cell's
    probability is the product of the customers' :math:`P(d_j = t)` and :math:`P(d_j > y)`.

    Parameters
    ----------
    pmfs : list of ndarray
        :math:`P(d_j = t)`, t = 0..K, per customer.
    tails : list of ndarray
        :math:`P(d_j > t)`, t = 0..K, per customer.

    Examples
    --------
    >>> from fractions import Fraction as Fr
    >>> half = np.array([Fr(1, 2), Fr(1, 2)], dtype=object)
    >>> tail = np.array([Fr(1, 2), Fr(0)], dtype=object)
    >>> out = period_outcomes([half, half], [tail, tail], 1, carry=False, exact=True)
    >>> [bin(f) for f in out.families], [str(p) for p in out.family[1, :, 0]]
    (['0b1', '0b11', '0b101', '0b111', '0b1111'], ['0', '0', '0', '1/4', '3/4'])
    """
    k = len(pmfs)
    X = K + 1 if carry else 1
    per_y = []
    for y in range(K + 1):
        d = np.indices((y + 2,) * k).reshape(k, -1).T  # y + 1 stands for "above y"
        prob = None
        for j in range(k):
            pj = np.concatenate((pmfs[j][: y + 1], [tails[j][y]]))
            if exact:
                pj = pj.astype(object)
            col = pj[d[:, j]]
            prob = col if prob is None else prob * col
        fam = feasible_family(d, y)
        total = d.sum(axis=1)
        left = np.where(total <= y, y - total, 0) if carry else np.zeros(len(d), dtype=np.int64)
        served = {r: rule_served(d, y, r) for r in rules}
        per_y.append((prob, fam, left, served))
    families = np.unique(np.concatenate([f for _, f, _, _ in per_y]))
    dtype = object if exact else np.float64
    family = np.zeros((K + 1, len(families), X), dtype=dtype)
    served_p = {r: np.zeros((K + 1, 2**k, X), dtype=dtype) for r in rules}
    if exact:
        family[...] = Fraction(0)
        for r in rules:
            served_p[r][...] = Fraction(0)
    sacrificed = {r: np.zeros((K + 1, k), dtype=dtype) for r in rules}
    for y, (prob, fam, left, served) in enumerate(per_y):
        f_idx = np.searchsorted(families, fam)
        _accumulate(family[y], (f_idx, left), prob, exact)
        d = np.indices((y + 2,) * k).reshape(k, -1).T
        for r in rules:
            _accumulate(served_p[r][y], (served[r], left), prob, exact)
            for j in range(k):
                lost = (d[:, j] <= y) & ((served[r] >> j & 1) == 0)
                sacrificed[r][y, j] = prob[lost].sum() if lost.any() else prob[:0].sum()
    return PeriodOutcomes(families, family, served_p, sacrificed)


def _accumulate(target, index, prob, exact):
    """target[index] += prob, summed over repeated indices."""
    if exact:
        np.add.at(target, index, prob)
    else:
        flat = np.ravel_multi_index(index, target.shape)
        target += np.bincount(flat, weights=prob, minlength=target.size).reshape(target.shape)


def all_families(k: int) -> list:
    """Every family of sets of k customers closed under subsets and containing the empty set
    (bit masks), for tests and the size check.

    Examples
    --------
    >>> len(all_families(1)), len(all_families(2)), len(all_families(3))
    (2, 5, 19)
    """
    out = []
    n = 2**k
    for mask in range(1, 2**n):
        if not mask & 1:
            continue
        if all(not (mask >> a & 1) or all(mask >> b & 1 for b in range(n) if b & a == b)
               for a in range(n)):
            out.append(mask)
    return out

