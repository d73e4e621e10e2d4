r"""Per-period demand distributions: what the solvers need of them (docs/model.md section 3).

Demand is i.i.d. over the periods of a review period. A solver needs two functions of the
stock :math:`S`:

* the ready probability :math:`F(S) = P(d \le S)`, and
* the expected leftover :math:`H(S) = E[(S - d)^+]`; for integer demand
  :math:`H(S) = \sum_{k=0}^{S-1} F(k)`.

Closed forms are used where they exist (Poisson, the uniforms); otherwise :math:`H` is the finite
sum above, which is exact. Discrete demands take integer stock; the continuous uniform takes real
stock and has a closed-form optimal stock. Demands with rational probabilities (discrete
uniform, an empirical pmf) also give :math:`F` and :math:`H` as exact fractions, which the solvers
use in exact mode. One concern, one module: the distributions share one interface, and each is a
short class.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from fractions import Fraction

import numpy as np

from ..core.binomial import poisson_pmf
from ..core.numbers import first_at_least, to_fraction, to_int
from ..errors import DemandError

__all__ = [
    "Demand",
    "DiscreteDemand",
    "Poisson",
    "DiscretisedNormal",
    "DiscreteUniform",
    "Empirical",
    "ContinuousUniform",
    "ScipyDemand",
    "make_demand",
    "DEMAND_KINDS",
    "TAIL_CUT",
]


def _finite_positive(value, field, *, allow_zero=False):
    x = to_fraction(value, field, DemandError)
    if x < 0 or (x == 0 and not allow_zero):
        rule = ">= 0" if allow_zero else "> 0"
        raise DemandError(f"{field}: must be {rule}, got {float(x):g}")
    return x


class Demand(ABC):
    """Base class of the per-period demand distributions.

    Subclasses give the ready probability :meth:`cdf` (:math:`F`), the expected leftover
    :meth:`expected_leftover` (:math:`H`), :meth:`quantile`, :meth:`sample` and
    :attr:`upper` (the top of the support, ``math.inf`` when unbounded).
    """

    #: integer demand and integer stock
    discrete: bool = True
    #: F and H are available as exact fractions
    rational: bool = False

    @abstractmethod
    def cdf(self, stock):
        """Ready probability :math:`F(S) = P(d \\le S)`, vectorised over ``stock``."""

    @abstractmethod
    def expected_leftover(self, stock):
        """Expected leftover :math:`H(S) = E[(S - d)^+]`, vectorised over ``stock``."""

    @abstractmethod
    def quantile(self, q: float):
        """The smallest stock :math:`S \\ge 0` with :math:`F(S) \\ge q`."""

    @abstractmethod
    def sample(self, rng: np.random.Generator, size):
        """Draw demands of shape ``size`` with the numpy Generator ``rng``."""

    @property
    def upper(self) -> float:
        """The top of the support (``math.inf`` when unbounded)."""
        return math.inf

    @property
    def mean(self) -> float:
        """Expected demand per period."""
        return float(self._mean())

    def _mean(self):  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def mean_value(self, exact: bool = False):
        """E[d]: a float, or with ``exact`` a :class:`~fractions.Fraction` (the exact mean of a
        rational demand).

        Examples
        --------
        >>> DiscreteUniform(0, 3).mean_value(exact=True), Poisson(5).mean_value()
        (Fraction(3, 2), 5.0)
        """
        m = self._mean()
        return Fraction(m) if exact else float(m)

    def describe(self) -> str:
        """A short human description, e.g. ``Poisson(5)``."""
        return repr(self)

    def to_dict(self) -> dict:
        """The ``[demand]`` table of a contract file that rebuilds this demand."""
        raise DemandError(f"demand: {type(self).__name__} cannot be written to a contract file")


#: Poisson means up to this get F from a table of Loader's pmf (about 1e7 + 40 sd entries, 80 MB);
#: beyond it no stock table could be held by any solve, and F comes from scipy.special's
#: incomplete gamma, so that size checks can still state how large the request is
_POISSON_TABLE_LIMIT = 1e7

#: the largest float64 below 1 (1 - 2**-53): the quantile at which an unbounded demand's table is
#: cut (:meth:`DiscreteDemand.support_cut`)
TAIL_CUT = math.nextafter(1.0, 0.0)

#: math.erfc elementwise (the normal tables are small: one value per stock level)
_ERFC = np.frompyfunc(math.erfc, 1, 1)
_SQRT1_2 = math.sqrt(0.5)


class DiscreteDemand(Demand):
    """Integer demand on {0, 1, ...}; stock is an integer.

    Subclasses define :meth:`_cdf_int` on integer arrays; :meth:`table` returns F and H on
    0..S_max at once, exactly when :attr:`rational` and ``exact=True``.
    """

    discrete = True

    @abstractmethod
    def _cdf_int(self, k: np.ndarray) -> np.ndarray:
        """F on integer k >= 0 (float64)."""

    def _cdf_exact_int(self, k: int) -> Fraction:
        raise DemandError(f"demand: {self.describe()} has no exact (rational) probabilities")

    def cdf(self, stock):
        s = np.floor(np.asarray(stock, dtype=np.float64))
        out = np.zeros(s.shape)
        ok = s >= 0
        if np.any(ok):
            out[ok] = self._cdf_int(s[ok].astype(np.int64))
        return out if out.ndim else float(out)

    def expected_leftover(self, stock):
        s = np.asarray(stock, dtype=np.float64)
        top = int(max(np.ceil(np.max(s, initial=0.0)), 0))
        F = self._cdf_int(np.arange(top + 1))
        H_int = np.concatenate(([0.0], np.cumsum(F)))  # H(k) for k = 0..top+1
        # H is piecewise linear between integers: H(S) = H(floor S) + (S - floor S) F(floor S)
        fl = np.clip(np.floor(s), 0, None).astype(np.int64)
        out = np.where(s <= 0, 0.0, H_int[np.minimum(fl, top)] + (s - fl) * F[np.minimum(fl, top)])
        return out if out.ndim else float(out)

    def table(self, max_stock: int, exact: bool = False):
        """F(S) and H(S) for S = 0..max_stock.

        Parameters
        ----------
        max_stock : int
        exact : bool, default False
            Object arrays of Fractions (only for rational demands).

        Returns
        -------
        F, H : ndarray

        Examples
        --------
        >>> F, H = DiscreteUniform(0, 3).table(4, exact=True)
        >>> [str(x) for x in F], [str(x) for x in H]
        (['1/4', '1/2', '3/4', '1', '1'], ['0', '1/4', '3/4', '3/2', '5/2'])
        """
        k = np.arange(max_stock + 1)
        if exact:
            F = np.array([self._cdf_exact_int(int(j)) for j in k], dtype=object)
            H = np.empty(max_stock + 1, dtype=object)
            acc = Fraction(0)
            for j in k:
                H[j] = acc
                acc += F[j]
            return F, H
        F = self._cdf_int(k)
        H = self._leftover_int(k, F)
        return F, H

    def _leftover_int(self, k, F):
        """H on integers 0..K given F there; the finite sum unless a closed form overrides."""
        return np.concatenate(([0.0], np.cumsum(F[:-1])))

    def leftover_second_moment(self, stock, exact=False):
        r"""Second moment of the leftover, :math:`E[((S - d)^+)^2]`, at integer stock.

        From :math:`L_2(S+1) = L_2(S) + 2H(S) + F(S)` and :math:`L_2(0) = 0`.

        Examples
        --------
        >>> DiscreteUniform(0, 1).leftover_second_moment([0, 1, 2]).tolist()
        [0.0, 0.5, 2.5]
        """
        s = np.asarray(stock)
        top = int(s.max(initial=0))
        F, H = self.table(top, exact=exact)
        L2 = np.empty(top + 1, dtype=F.dtype)
        L2[0] = 0
        if top:
            L2[1:] = np.cumsum(2 * H[:-1] + F[:-1])
        return L2.take(s.astype(np.int64))

    def second_moment(self, exact: bool = False):
        r""":math:`E[d^2]`, exactly for a rational demand with ``exact``.

        From :math:`E[d^2] = \sum_{k \ge 0} (2k + 1) P(d > k)`, summed to the top of a bounded
        support (far into the tail of an unbounded one), or in closed form for Poisson demand.

        Examples
        --------
        >>> DiscreteUniform(0, 2).second_moment(exact=True), Poisson(2).second_moment()
        (Fraction(5, 3), 6.0)
        """
        upper = self.upper
        if np.isfinite(upper):
            top = int(upper)
        else:
            top = self.support_cut() * 2 + 50
        F, _ = self.table(top, exact=exact)
        k = np.arange(top + 1)
        total = ((2 * k + 1) * (1 - F)).sum()
        return total if exact else float(total)

    def support_cut(self) -> int:
        r"""Where a table of the demand may stop: the top of a bounded support, else the smallest
        k whose float64 :math:`F(k)` reaches :data:`TAIL_CUT` (:math:`P(d > k)` below about
        :math:`1.1 \times 10^{-16}`, one rounding of 1: past it F is 1 in float64).

        Always a finite integer (a quantile at 1 of an unbounded demand is infinite; a
        probability such as ``1 - 1e-17`` *is* 1 in float64).

        Examples
        --------
        >>> DiscreteUniform(0, 3).support_cut(), DiscretisedNormal(5, 2).support_cut()
        (3, 21)
        """
        if math.isfinite(self.upper):
            return int(self.upper)
        return int(self.quantile(TAIL_CUT))

    def quantile(self, q: float):
        if q <= 0:
            return 0
        if q >= 1:
            if math.isinf(self.upper):
                return math.inf
            return int(self.upper)
        guess = self._quantile_guess(q)
        try:
            guess = max(int(guess), 0)
        except (OverflowError, ValueError):  # an infinite or NaN guess (scipy gives up)
            guess = 0
        # correct the guess on the exact integer grid: the smallest k with F(k) >= q, by
        # doubling steps away from the guess and bisection (never one unit at a time: a guess
        # that is far off, or F flat in float64 over a long run of k, would take ~k steps)
        return first_at_least(lambda k: self._cdf_int(np.array([k]))[0] >= q, guess)

    def _quantile_guess(self, q):
        return 0


class Poisson(DiscreteDemand):
    r"""Poisson demand with mean :math:`\lambda` (the source study's main case, :math:`\lambda = 5`).

    :math:`H(S) = S F(S) - \lambda F(S - 1)` in closed form.

    Examples
    --------
    >>> d = Poisson(5)
    >>> round(d.cdf(5), 6), round(d.expected_leftover(5), 6)
    (0.615961, 0.877337)
    """

    def __init__(self, mean):
        self.lam = _finite_positive(mean, "demand.mean")

    def _table_to_tail(self):
        """F on 0..U, U = lambda + 40 sd + 40, past which 1 - F < 1e-170 and F is 1.0 in float;
        built once. Below the mode F is the sum of the pmf from 0, at and above it 1 minus the
        sum of the upper tail, both summed from their small end: each is accurate to a few ulps
        of what it sums (scipy's pdtr is no closer; no scipy import, which costs more than a
        typical solve)."""
        if getattr(self, "_F", None) is None:
            lam = float(self.lam)
            top = int(lam + 40 * math.sqrt(lam)) + 40
            p = poisson_pmf(top, lam)
            mode = int(lam)
            F = np.empty(top + 1)
            F[:mode] = np.cumsum(p[:mode])
            tail = np.cumsum(p[:mode:-1])[::-1]  # tail[j] = P(d > mode + j), j = 0..top-mode-1
            F[mode:top] = 1.0 - tail
            F[top] = 1.0
            np.maximum.accumulate(F, out=F)  # the two sums meet at the mode within rounding
            np.minimum(F, 1.0, out=F)
            self._F = F
        return self._F

    def _cdf_int(self, k):
        k = np.asarray(k)
        if float(self.lam) > _POISSON_TABLE_LIMIT:
            from scipy.special import (
                pdtr,  # no table of F fits: scipy's incomplete gamma
            )

            return np.where(k < 0, 0.0, pdtr(np.maximum(k, 0), float(self.lam)))
        F = self._table_to_tail()
        return np.where(k < 0, 0.0, F[np.clip(k, 0, F.shape[0] - 1)])

    def _leftover_int(self, k, F):
        F_prev = np.concatenate(([0.0], F[:-1]))
        return np.maximum(k * F - float(self.lam) * F_prev, 0.0)

    def _quantile_guess(self, q):
        # the smallest k with F(k) >= q on the table (F reaches 1.0 at its end); quantile()
        # checks it on the integer grid
        if float(self.lam) > _POISSON_TABLE_LIMIT:
            from scipy.special import pdtrik

            g = float(pdtrik(q, float(self.lam)))
            return math.ceil(g) if math.isfinite(g) else 0
        return int(np.searchsorted(self._table_to_tail(), q, side="left"))

    def sample(self, rng, size):
        return rng.poisson(float(self.lam), size=size)

    def second_moment(self, exact: bool = False):
        lam = float(self.lam)
        return lam + lam * lam

    def _mean(self):
        return self.lam

    def describe(self):
        return f"Poisson({float(self.lam):g})"

    def to_dict(self):
        return {"kind": "poisson", "mean": float(self.lam)}

    def __repr__(self):
        return f"Poisson(mean={float(self.lam):g})"


class DiscretisedNormal(DiscreteDemand):
    r"""Normal demand rounded down: :math:`d = \lfloor X \rfloor`, :math:`X \sim N(\mu, \sigma^2)`,
    negative values lumped at 0 (docs/model.md section 3; the study's supplement uses (15, 5)).

    :math:`F(x) = \Phi((\lfloor x \rfloor + 1 - \mu)/\sigma)` for :math:`x \ge 0`.

    Examples
    --------
    >>> d = DiscretisedNormal(15, 5)
    >>> round(d.cdf(14), 6)
    0.5
    """

    def __init__(self, mean, sd):
        self.mu = to_fraction(mean, "demand.mean", DemandError)
        self.sigma = _finite_positive(sd, "demand.sd")

    def _cdf_int(self, k):
        # Phi(z) = erfc(-z / sqrt 2) / 2 (as scipy's ndtr, without importing scipy, which costs
        # more than a typical solve): full relative accuracy in the lower tail
        z = (np.asarray(k, dtype=np.float64) + 1 - float(self.mu)) / float(self.sigma)
        return 0.5 * np.asarray(_ERFC(-z * _SQRT1_2), dtype=np.float64)

    def _quantile_guess(self, q):
        from statistics import NormalDist

        return math.ceil(float(self.mu) + float(self.sigma) * NormalDist().inv_cdf(q) - 1)

    def sample(self, rng, size):
        x = rng.normal(float(self.mu), float(self.sigma), size=size)
        return np.maximum(np.floor(x), 0).astype(np.int64)

    def _mean(self):
        k = np.arange(int(float(self.mu) + 40 * float(self.sigma)) + 2)
        return float(np.sum(1.0 - self._cdf_int(k)))  # E[d] = sum_{k>=0} P(d > k)

    def describe(self):
        return f"DiscretisedNormal({float(self.mu):g}, {float(self.sigma):g})"

    def to_dict(self):
        return {"kind": "normal", "mean": float(self.mu), "sd": float(self.sigma)}

    def __repr__(self):
        return f"DiscretisedNormal(mean={float(self.mu):g}, sd={float(self.sigma):g})"


class DiscreteUniform(DiscreteDemand):
    r"""Demand uniform on the integers :math:`\{a, \dots, b\}`, :math:`0 \le a \le b`.

    Rational: usable in exact mode. :math:`H(S) = m(m+1)/(2n)` with :math:`m = S - a`,
    :math:`n = b - a + 1` on :math:`a \le S \le b + 1`, and :math:`S - (a+b)/2` above.

    Examples
    --------
    >>> d = DiscreteUniform(2, 5)
    >>> d.cdf(3), d.expected_leftover(4)
    (0.5, 0.75)
    """

    rational = True

    def __init__(self, low, high):
        self.low = to_int(low, "demand.low", DemandError)
        self.high = to_int(high, "demand.high", DemandError)
        if self.low < 0:
            raise DemandError(f"demand.low: must be >= 0, got {self.low}")
        if self.high < self.low:
            raise DemandError(f"demand.high: must be >= demand.low ({self.high} < {self.low})")

    @property
    def n(self):
        return self.high - self.low + 1

    @property
    def upper(self):
        return self.high

    def _cdf_int(self, k):
        return np.clip((np.asarray(k, dtype=np.float64) - self.low + 1) / self.n, 0.0, 1.0)

    def _cdf_exact_int(self, k):
        return min(max(Fraction(k - self.low + 1, self.n), Fraction(0)), Fraction(1))

    def _leftover_int(self, k, F):
        k = np.asarray(k, dtype=np.float64)
        m = np.clip(k - self.low, 0, None)
        inside = m * (m + 1) / (2 * self.n)
        return np.where(k > self.high, k - (self.low + self.high) / 2, inside)

    def _quantile_guess(self, q):
        return self.low + math.ceil(q * self.n) - 1

    def sample(self, rng, size):
        return rng.integers(self.low, self.high + 1, size=size)

    def _mean(self):
        return Fraction(self.low + self.high, 2)

    def describe(self):
        return f"DiscreteUniform({self.low}, {self.high})"

    def to_dict(self):
        return {"kind": "discrete-uniform", "low": self.low, "high": self.high}

    def __repr__(self):
        return f"DiscreteUniform(low={self.low}, high={self.high})"


class Empirical(DiscreteDemand):
    """Demand with a given pmf on 0, 1, ..., len(pmf) - 1.

    Entries given as ints, Fractions or strings (``"1/3"``) are exact, and must sum to exactly 1;
    the demand is then rational and usable in exact mode. Float entries are read through their
    decimal representation (``0.1`` is 1/10); when their sum differs from 1 by at most 1e-9 (float
    rounding of a computed pmf), they are renormalised, otherwise refused.

    Examples
    --------
    >>> d = Empirical([0.2, 0.5, 0.3])
    >>> d.cdf(1), d.rational
    (0.7, True)
    >>> Empirical(["1/3", "1/3", "1/3"]).table(2, exact=True)[0].tolist()
    [Fraction(1, 3), Fraction(2, 3), Fraction(1, 1)]
    """

    def __init__(self, pmf):
        try:
            entries = list(pmf)
        except TypeError:
            raise DemandError("demand.pmf: must be a list of probabilities") from None
        if not entries:
            raise DemandError("demand.pmf: must not be empty")
        fr = [to_fraction(p, f"demand.pmf[{k}]", DemandError) for k, p in enumerate(entries)]
        for k, p in enumerate(fr):
            if p < 0:
                raise DemandError(f"demand.pmf[{k}]: must be >= 0, got {float(p):g}")
        total = sum(fr)
        if total != 1:
            floats = any(isinstance(p, (float, np.floating)) for p in entries)
            if not floats or abs(total - 1) > Fraction(1, 10**9):
                raise DemandError(f"demand.pmf: must sum to 1, sums to {float(total):.12g}")
            fr = [p / total for p in fr]
        while len(fr) > 1 and fr[-1] == 0:
            fr.pop()
        self.pmf_exact = tuple(fr)
        self.pmf = np.array([float(p) for p in fr])
        cum, acc = [], Fraction(0)
        for p in fr:
            acc += p
            cum.append(acc)
        self._cum_exact = tuple(cum)
        self._cum = np.array([float(c) for c in cum])
        self._cum[-1] = 1.0

    rational = True

    @property
    def upper(self):
        return len(self.pmf) - 1

    def _cdf_int(self, k):
        k = np.asarray(k)
        return self._cum[np.minimum(k, len(self._cum) - 1)]

    def _cdf_exact_int(self, k):
        return self._cum_exact[min(k, len(self._cum_exact) - 1)]

    def _quantile_guess(self, q):
        return int(np.searchsorted(self._cum, q))

    def sample(self, rng, size):
        return rng.choice(len(self.pmf), size=size, p=self.pmf)

    def _mean(self):
        return sum(k * p for k, p in enumerate(self.pmf_exact))

    def describe(self):
        return f"Empirical(pmf on 0..{len(self.pmf) - 1})"

    def to_dict(self):
        return {"kind": "empirical", "pmf": [str(p) for p in self.pmf_exact]}

    def __repr__(self):
        return f"Empirical(pmf={[str(p) for p in self.pmf_exact]})"


class ScipyDemand(DiscreteDemand):
    """Adapter for a frozen scipy.stats discrete distribution with support in {0, 1, ...}.

    Examples
    --------
    >>> from scipy import stats
    >>> d = ScipyDemand(stats.nbinom(5, 0.5))
    >>> round(d.cdf(4), 6)
    0.5
    """

    def __init__(self, dist):
        if not hasattr(dist, "dist") or not hasattr(dist, "cdf"):
            raise DemandError("demand: must be a frozen scipy.stats distribution")
        from scipy import stats  # the caller's distribution has imported it already

        if not isinstance(dist.dist, stats.rv_discrete):
            raise DemandError(
                "demand: a continuous scipy.stats distribution needs real stock; use a discrete "
                "distribution, ContinuousUniform, or discretise it (e.g. DiscretisedNormal)"
            )
        lo, hi = dist.support()
        if not lo >= 0:
            raise DemandError(f"demand: support must lie in {{0, 1, ...}}, starts at {lo}")
        self.dist = dist
        self._upper = float(hi)

    @property
    def upper(self):
        return self._upper

    def _cdf_int(self, k):
        return np.asarray(self.dist.cdf(k), dtype=np.float64)

    def _quantile_guess(self, q):
        return self.dist.ppf(q)

    def sample(self, rng, size):
        return np.asarray(self.dist.rvs(size=size, random_state=rng))

    def _mean(self):
        return self.dist.mean()

    def describe(self):
        args = ", ".join(f"{a:g}" for a in self.dist.args)
        return f"scipy.stats.{self.dist.dist.name}({args})"

    def __repr__(self):
        return f"ScipyDemand({self.describe()})"


class ContinuousUniform(Demand):
    r"""Demand uniform on the interval :math:`[a, b]`, :math:`0 \le a < b`; stock is real.

    :math:`F(S) = (S - a)/(b - a)` and :math:`H(S) = (S - a)^2 / (2(b - a))` on :math:`[a, b]`,
    :math:`H(S) = S - (a + b)/2` above. The per-state problem
    :math:`\min_S h H(S) - \Delta F(S)` has the closed-form solution
    :math:`S = \min(a + \Delta/h, b)` for :math:`\Delta > 0` and :math:`S = 0` otherwise
    (:meth:`best_stock`). Rational parameters allow exact mode.

    Examples
    --------
    >>> d = ContinuousUniform(0, 10)
    >>> d.cdf(2.5), d.expected_leftover(2.5)
    (0.25, 0.3125)
    >>> d.best_stock([0.0, 2.0, 50.0], 1.0).tolist()
    [0.0, 2.0, 10.0]
    """

    discrete = False
    rational = True

    def __init__(self, low, high):
        self.low = to_fraction(low, "demand.low", DemandError)
        self.high = to_fraction(high, "demand.high", DemandError)
        if self.low < 0:
            raise DemandError(f"demand.low: must be >= 0, got {float(self.low):g}")
        if self.high <= self.low:
            raise DemandError(
                f"demand.high: must be > demand.low ({float(self.high):g} <= {float(self.low):g})"
            )

    @property
    def upper(self):
        return float(self.high)

    def _params(self, exact):
        if exact:
            return self.low, self.high
        return float(self.low), float(self.high)

    def cdf(self, stock, exact=False):
        a, b = self._params(exact)
        s = np.asarray(stock, dtype=object if exact else np.float64)
        # np.asarray: on a 0-d object array the ufuncs return a bare Fraction, not an array
        out = np.asarray(np.minimum(np.maximum((s - a) / (b - a), 0), 1))
        return out if out.ndim else (out.item() if not exact else out[()])

    def expected_leftover(self, stock, exact=False):
        a, b = self._params(exact)
        s = np.asarray(stock, dtype=object if exact else np.float64)
        inside = np.maximum(s - a, 0) ** 2 / (2 * (b - a))
        above = s - (a + b) / 2 if not exact else s - Fraction(a + b, 2)
        out = np.where(s >= b, above, inside)
        return out if out.ndim else (out.item() if not exact else out[()])

    def leftover_second_moment(self, stock, exact=False):
        r""":math:`E[((S - d)^+)^2]`: :math:`(S-a)^3 / (3(b-a))` on :math:`[a, b]`,
        :math:`(S - (a+b)/2)^2 + (b-a)^2/12` above.

        Examples
        --------
        >>> ContinuousUniform(0, 3).leftover_second_moment([3.0]).tolist()
        [3.0]
        """
        a, b = self._params(exact)
        s = np.asarray(stock, dtype=object if exact else np.float64)
        inside = np.maximum(s - a, 0) ** 3 / (3 * (b - a))
        mid = (a + b) / 2 if not exact else Fraction(a + b, 2)
        above = (s - mid) ** 2 + (b - a) ** 2 / 12
        return np.where(s >= b, above, inside)

    def best_stock(self, delta, holding_cost, exact=False):
        r"""The smallest minimiser of :math:`h H(S) - \Delta F(S)`, vectorised over ``delta``."""
        a, b = self._params(exact)
        d = np.asarray(delta, dtype=object if exact else np.float64)
        if holding_cost == 0:
            interior = np.full(d.shape, b, dtype=d.dtype)
        else:
            interior = np.minimum(a + d / holding_cost, b)
        zero = Fraction(0) if exact else 0.0
        return np.where(d > 0, interior, zero)

    def quantile(self, q):
        if q <= 0:
            return 0.0
        return float(self.low + (self.high - self.low) * Fraction(min(q, 1.0)))

    def sample(self, rng, size):
        return rng.uniform(float(self.low), float(self.high), size=size)

    def _mean(self):
        return (self.low + self.high) / 2

    def describe(self):
        return f"Uniform[{float(self.low):g}, {float(self.high):g}]"

    def to_dict(self):
        return {"kind": "uniform", "low": float(self.low), "high": float(self.high)}

    def __repr__(self):
        return f"ContinuousUniform(low={float(self.low):g}, high={float(self.high):g})"


#: the ``kind`` values of a contract file's ``[demand]`` table and their parameters
DEMAND_KINDS = {
    "poisson": (Poisson, ("mean",)),
    "normal": (DiscretisedNormal, ("mean", "sd")),
    "discrete-uniform": (DiscreteUniform, ("low", "high")),
    "uniform": (ContinuousUniform, ("low", "high")),
    "empirical": (Empirical, ("pmf",)),
}


def make_demand(kind: str, **params) -> Demand:
    """Build a demand from a contract file's ``kind`` and parameters.

    Raises
    ------
    DemandError
        On an unknown kind, a missing or unknown parameter, or an invalid value.

    Examples
    --------
    >>> make_demand("normal", mean=15, sd=5)
    DiscretisedNormal(mean=15, sd=5)
    """
    if not isinstance(kind, str) or kind not in DEMAND_KINDS:
        raise DemandError(f"demand.kind: must be one of {', '.join(DEMAND_KINDS)}, got {kind!r}")
    cls, names = DEMAND_KINDS[kind]
    for key in params:
        if key not in names:
            raise DemandError(
                f"demand.{key}: unknown parameter for kind {kind!r} (expected {', '.join(names)})"
            )
    missing = [n for n in names if n not in params]
    if missing:
        raise DemandError(f"demand.{missing[0]}: required for kind {kind!r}")
    return cls(**{n: params[n] for n in names})
