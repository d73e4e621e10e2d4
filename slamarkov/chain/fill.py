r"""The fill-rate score: units demanded and units filled so far, and the exact distribution of the
fill rate (docs/model.md section 14).

Entering period i a fill-rate state holds the score (D, F): D units demanded and F filled in
periods 1..i-1, :math:`0 \le F \le D \le D_i`, with :math:`D_i` the largest total kept
(:class:`~slamarkov.model.fill.FillSupport`). The score states of a layer are the pairs ordered by
D then F (flat index :math:`D(D+1)/2 + F`). A period with order y and demand d moves (D, F) to
(D + d, F + min(d, y)); each demand is one transition.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..core.numbers import clip_probability, whole_number
from ..model.fill import FillSupport, fill_band, fill_settlement
from .score import Score, Transitions, log_probability

__all__ = ["FillScore", "FillRateDistribution", "triangle_pairs"]


def triangle_pairs(top: int):
    """The pairs (D, F), 0 <= F <= D <= top, in score order (D, then F), as two int64 arrays.

    Examples
    --------
    >>> [a.tolist() for a in triangle_pairs(2)]
    [[0, 1, 1, 2, 2, 2], [0, 0, 1, 0, 1, 2]]
    """
    D, F = np.tril_indices(int(top) + 1)
    return D.astype(np.int64), F.astype(np.int64)


class FillScore(Score):
    r"""The fill-rate score (D, F) (module docstring; docs/model.md section 14).

    Parameters
    ----------
    review_period : int
        T.
    support : FillSupport
        The demands and totals kept.
    demand : DiscreteDemand
        The per-period demand (its pmf gives the transitions' probabilities).

    Examples
    --------
    >>> from slamarkov import DiscreteUniform
    >>> from slamarkov.model.fill import fill_support
    >>> s = FillScore(3, fill_support(DiscreteUniform(0, 1), 3), DiscreteUniform(0, 1))
    >>> [s.size(i) for i in (1, 2, 3, 4)], s.locate(3, (2, 1)), s.values(2).tolist()
    ([1, 3, 6, 10], 4, [[0, 0], [1, 0], [1, 1]])
    """

    coordinates = ("demand_total", "filled_total")
    name = "units demanded and filled"
    log_columns = ("demand", "filled")

    def __init__(self, review_period: int, support: FillSupport, demand):
        super().__init__(review_period)
        self.support = support
        self.demand = demand
        self._pmf = {}

    def cap(self, i: int) -> int:
        """:math:`D_i`, the largest total demand entering period i (i = T + 1: at the end)."""
        return self.support.total_cap(min(int(i), self.T + 1) - 1)

    def size(self, i: int) -> int:
        n = self.cap(i) + 1
        return n * (n + 1) // 2

    def values(self, i: int) -> np.ndarray:
        D, F = triangle_pairs(self.cap(i))
        return np.stack([D, F], axis=1)

    def locate(self, i: int, values):
        if len(values) != 2:
            return None
        D, F = values
        for v in (D, F):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                return None
        D, F = int(D), int(F)
        if not 0 <= F <= D <= self.cap(i):
            return None
        return D * (D + 1) // 2 + F

    def rule(self) -> str:
        return ("0 <= F <= D, D <= the largest total demand kept (D: units demanded, F: units "
                "filled before period i)")

    def pmf(self, exact: bool) -> np.ndarray:
        """P(d), d = 0..d_max (Fractions in exact mode), computed once per mode."""
        if exact not in self._pmf:
            F, _ = self.demand.table(self.support.period_max, exact=exact)
            p = F.copy()
            p[1:] = F[1:] - F[:-1]
            if not exact:
                p = np.clip(p, 0.0, None)
            self._pmf[exact] = p
        return self._pmf[exact]

    def settlement(self, contract, exact: bool = False) -> np.ndarray:
        D, F = triangle_pairs(self.cap(self.T + 1))
        return fill_settlement(contract, D, F, exact=exact)

    def transitions(self, space, i, orders, tables, *, final_stock=False,
                    costs=False) -> Transitions:
        """One transition per state and demand d = 0..d_max with D + d kept: to
        (D + d, F + min(d, y)) and, with stock carried over, x' = (y - d)^+.

        Examples
        --------
        >>> from slamarkov import Contract, DiscreteUniform, Problem
        >>> from slamarkov.chain.space import StateSpace
        >>> prob = Problem(Contract(2, 0.5, 1, measure="fill-rate"), DiscreteUniform(0, 2), 1)
        >>> space = StateSpace.for_problem(prob)
        >>> t = space.score.transitions(space, 1, np.array([[1]]), None)
        >>> t.cols.tolist(), t.ready.tolist()
        ([0, 2, 4], [True, True, False])
        """
        exact = tables.exact if tables is not None else False
        Y = np.asarray(orders).astype(np.int64)
        n, w = Y.shape
        last = i == space.T
        if last and not final_stock:
            w_next, split = 1, False
        else:
            w_next = space.final_width if last else space.width(i + 1)
            split = space.carry
        pmf = self.pmf(exact)
        dmax = pmf.shape[0] - 1
        D, F = triangle_pairs(self.cap(i))
        cap_next = self.cap(i + 1)
        d = np.arange(dmax + 1)
        src = np.arange(n * w)
        Ds = np.repeat(D, w)[:, None]
        Fs = np.repeat(F, w)[:, None]
        y = Y.ravel()[:, None]
        keep = Ds + d[None, :] <= cap_next
        Dn = (Ds + d[None, :])[keep]
        f = np.minimum(d[None, :], y)
        Fn = (Fs + f)[keep]
        dd = np.broadcast_to(d[None, :], keep.shape)[keep]
        yy = np.broadcast_to(y, keep.shape)[keep]
        rows = np.broadcast_to(src[:, None], keep.shape)[keep]
        left = np.maximum(yy - dd, 0)
        x_next = left if split else np.zeros_like(left)
        cols = (Dn * (Dn + 1) // 2 + Fn) * w_next + x_next
        p = pmf.take(dd)
        out = dict(rows=rows.astype(np.int64), cols=cols.astype(np.int64), p=p,
                   ready=dd <= yy, logp=log_probability(p),
                   holding=None, holding2=None, short=None, short2=None)
        if costs:
            over = np.maximum(dd - yy, 0)
            if exact:
                left, over = left.astype(object), over.astype(object)
            out.update(holding=left * p, holding2=left * left * p, short=over * p,
                       short2=over * over * p)
        return Transitions(**out)

    def step(self, i, index, order, demand):
        """The score index after period i (vectorised over runs).

        Raises
        ------
        ValueError
            When a total demand leaves the range kept.
        """
        pairs = self.values(i)[np.asarray(index)]
        d = np.asarray(demand, dtype=np.int64)
        D = pairs[:, 0] + d
        F = pairs[:, 1] + np.minimum(d, np.asarray(order, dtype=np.int64))
        if D.size and D.max() > self.cap(i + 1):
            raise ValueError(f"demand: a total demand of {int(D.max())} units leaves the range "
                             f"kept (0..{self.cap(i + 1)})")
        return D * (D + 1) // 2 + F

    def read_outcome(self, record: dict):
        """``demand`` and ``filled``: non-negative integers with filled <= demand.

        Examples
        --------
        >>> from slamarkov import Poisson
        >>> from slamarkov.model.fill import fill_support
        >>> FillScore(2, fill_support(Poisson(5), 2), Poisson(5)).read_outcome(
        ...     {"demand": "4", "filled": "3"})
        (4, 3)
        """
        out = []
        for name in ("demand", "filled"):
            text = str(record[name]).strip()
            units = whole_number(text)
            if units is None:
                raise ValueError(f"{name} must be a non-negative integer (units), got {text!r}")
            out.append(units)
        if out[1] > out[0]:
            raise ValueError(f"filled must not exceed demand, got filled {out[1]} > demand "
                             f"{out[0]}")
        return tuple(out)

    def short(self, outcome) -> bool:
        return outcome[1] < outcome[0]

    def logged(self, outcomes) -> tuple:
        """(D, F): the units demanded and filled in the logged periods."""
        return (sum(o[0] for o in outcomes), sum(o[1] for o in outcomes))


class FillRateDistribution:
    r"""The exact distribution of the fill rate FR = F / D at the end of a review period
    (docs/model.md section 14).

    Parameters
    ----------
    contract : Contract
        Its thresholds define the penalty and bonus bands.
    demanded, filled : array_like of int
        The final scores (D, F).
    pmf : array_like
        Their probabilities (Fractions in exact mode); with a float-mode cut they sum to
        1 - ``truncated_mass``.
    truncated_mass : float or Fraction, default 0

    Examples
    --------
    >>> from fractions import Fraction as Fr
    >>> from slamarkov import Contract
    >>> c = Contract(2, 0.6, 0.9, measure="fill-rate")
    >>> dist = FillRateDistribution(c, [0, 2, 4, 2], [0, 1, 2, 2],
    ...                             [Fr(1, 4), Fr(1, 4), Fr(1, 4), Fr(1, 4)])
    >>> [str(v) for v in dist.values], [str(p) for p in dist.pmf]
    (['1/2', '1'], ['1/2', '1/2'])
    >>> str(dist.mean), str(dist.p_penalty), str(dist.p_bonus), str(dist.quantile(0.5))
    ('3/4', '1/2', '1/2', '1/2')
    """

    def __init__(self, contract, demanded, filled, pmf, truncated_mass=0):
        self.contract = contract
        D = np.asarray(demanded, dtype=np.int64)
        F = np.asarray(filled, dtype=np.int64)
        arr = np.asarray(pmf)
        self.exact = arr.dtype == object
        self.truncated_mass = truncated_mass
        none = D == 0
        g = np.gcd(F, D)
        g[none] = 1
        num = np.where(none, 1, F // g)
        den = np.where(none, 1, D // g)
        top = int(den.max(initial=1)) + 1
        key = num * top + den
        uniq, inv = np.unique(key, return_inverse=True)
        unum, uden = uniq // top, uniq % top
        # distinct fractions with denominators <= top differ by >= 1/top^2: float order is exact
        order = np.argsort(unum / uden, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        self.numerators, self.denominators = unum[order], uden[order]
        if self.exact:
            probs = np.empty(order.size, dtype=object)
            probs[:] = Fraction(0)
            np.add.at(probs, rank[inv], arr)
        else:
            probs = np.bincount(rank[inv], weights=arr.astype(np.float64), minlength=order.size)
            probs = clip_probability(probs, "pmf")
        # the values FR takes: unreachable final scores (probability exactly 0) are left out
        live = np.array([p != 0 for p in probs], dtype=bool) if self.exact else probs != 0
        self.numerators, self.denominators = self.numerators[live], self.denominators[live]
        self.pmf = probs[live]

    @property
    def values(self) -> np.ndarray:
        """The distinct values of FR in increasing order (Fractions in exact mode)."""
        if self.exact:
            return np.array([Fraction(int(a), int(b)) for a, b in
                             zip(self.numerators, self.denominators)], dtype=object)
        return self.numerators / self.denominators

    def _out(self, x):
        return x if self.exact else float(x)

    def _sum(self, mask, what):
        part = self.pmf[mask]
        if self.exact:
            return part.sum() if part.size else Fraction(0)
        return clip_probability(math.fsum(part.tolist()), what)

    @property
    def mean(self):
        """E[FR]."""
        if self.exact:
            return (self.pmf * self.values).sum()
        return clip_probability(math.fsum((self.pmf * self.values).tolist()), "mean fill rate")

    @property
    def variance(self):
        m = self.mean
        return self._out((self.pmf * (self.values - m) ** 2).sum())

    @property
    def sd(self) -> float:
        """Standard deviation of FR (a float, also in exact mode)."""
        return float(np.sqrt(float(max(self.variance, 0))))

    def _band(self):
        return fill_band(self.contract, self.denominators, self.numerators)

    @property
    def p_penalty(self):
        """P(FR < alpha_L)."""
        return self._sum(self._band() == -1, "P(penalty)")

    @property
    def p_bonus(self):
        """P(FR >= alpha_U)."""
        return self._sum(self._band() == 1, "P(bonus)")

    @property
    def p_neutral(self):
        return self._sum(self._band() == 0, "P(neutral)")

    def quantile(self, q):
        """The smallest value v of FR with P(FR <= v) >= q (q in (0, 1]; exact in exact mode).

        Raises
        ------
        ValueError
            On q outside (0, 1].
        """
        qq = Fraction(q) if self.exact else float(q)
        if not 0 < qq <= 1:
            raise ValueError(f"q: must lie in (0, 1], got {q!r}")
        cdf = np.cumsum(self.pmf)
        hit = np.flatnonzero(cdf >= qq)
        k = int(hit[0]) if hit.size else len(cdf) - 1
        return self.values[k]

    def expected_settlement(self):
        """E[G(FR)]."""
        G = fill_settlement(self.contract, self.denominators, self.numerators, exact=self.exact)
        return self._out((self.pmf * G).sum())

    def to_dict(self, pmf: bool = True) -> dict:
        """``mean``, ``sd``, ``p_penalty``, ``p_bonus`` and, with ``pmf``, ``values`` and
        ``pmf``: floats, or fraction strings in exact mode (``sd`` is always a float)."""
        def show(x):
            return str(x) if self.exact else float(x)

        out = {"mean": show(self.mean), "sd": self.sd, "p_penalty": show(self.p_penalty),
               "p_bonus": show(self.p_bonus)}
        if pmf:
            out["values"] = [show(v) for v in self.values]
            out["pmf"] = [show(p) for p in self.pmf]
        return out

    def __repr__(self):
        return (f"FillRateDistribution(values={len(self.pmf)}, mean={float(self.mean):.6g}, "
                f"sd={self.sd:.6g}, p_penalty={float(self.p_penalty):.6g}, "
                f"p_bonus={float(self.p_bonus):.6g})")
