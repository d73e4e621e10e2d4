r"""A discrete demand tabulated on the stock range 0..K: what every kernel and solver reads
(docs/model.md sections 3 and 11).

:math:`F(y) = P(d \le y)`, :math:`H(y) = E[(y - d)^+]`, :math:`L_2(y) = E[((y - d)^+)^2]`, the pmf
:math:`P(d = k)`, the lower-triangular Toeplitz matrix :math:`M_{y x'} = P(d = y - x')` (row y: the
stock left after a ready period with order y) and the moments :math:`E[d]`, :math:`E[d^2]`, in
float64 or, for a rational demand with ``exact``, in Fractions. Each is computed once, on first
use.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["DemandTables", "DemandFunctions", "toeplitz"]


def toeplitz(pmf: np.ndarray) -> np.ndarray:
    r"""The lower-triangular Toeplitz matrix :math:`M_{y x'} = P(d = y - x')`, :math:`x' \le y`.

    Row y gives the probability of each stock on hand :math:`x' = y - d` after a ready period
    with order-up-to level y.

    Examples
    --------
    >>> toeplitz(np.array([0.5, 0.25, 0.25])).tolist()
    [[0.5, 0.0, 0.0], [0.25, 0.5, 0.0], [0.25, 0.25, 0.5]]
    """
    n = pmf.shape[0]
    d = np.arange(n)[:, None] - np.arange(n)[None, :]
    return np.where(d >= 0, pmf[np.clip(d, 0, n - 1)], pmf[0] * 0)


class DemandTables:
    """A discrete demand on the stock range 0..``top`` (module docstring).

    Parameters
    ----------
    demand : DiscreteDemand
    top : int
        K, the top of the stock range.
    exact : bool, default False
        Fractions (a rational demand only).

    Attributes
    ----------
    F, H : ndarray
        :math:`F(y)` and :math:`H(y)`, y = 0..K.

    Examples
    --------
    >>> from slamarkov import DiscreteUniform
    >>> t = DemandTables(DiscreteUniform(0, 2), 3, exact=True)
    >>> [str(x) for x in t.pmf], [str(x) for x in t.L2], t.mean, t.second_moment
    (['1/3', '1/3', '1/3', '0'], ['0', '1/3', '5/3', '14/3'], Fraction(1, 1), Fraction(5, 3))
    """

    def __init__(self, demand, top: int, *, exact: bool = False):
        self.demand = demand
        self.top = int(top)
        self.exact = bool(exact)
        self.F, self.H = demand.table(self.top, exact=self.exact)

    def cdf_at(self, y) -> np.ndarray:
        """:math:`F(y)` at integer orders ``y`` (an array)."""
        return self.F.take(np.asarray(y, dtype=np.intp))

    def leftover_at(self, y) -> np.ndarray:
        """:math:`H(y)` at integer orders ``y``."""
        return self.H.take(np.asarray(y, dtype=np.intp))

    def leftover2_at(self, y) -> np.ndarray:
        """:math:`L_2(y)` at integer orders ``y``."""
        return self.L2.take(np.asarray(y, dtype=np.intp))

    @functools.cached_property
    def L2(self) -> np.ndarray:
        r""":math:`L_2(y)`, from :math:`L_2(0) = 0`, :math:`L_2(y + 1) = L_2(y) + 2H(y) + F(y)`."""
        F, H = self.F, self.H
        L2 = np.empty(self.top + 1, dtype=F.dtype)
        L2[0] = 0
        if self.top:
            L2[1:] = np.cumsum(2 * H[:-1] + F[:-1])
        return L2

    @functools.cached_property
    def pmf(self) -> np.ndarray:
        """:math:`P(d = k)`, k = 0..K, as differences of F."""
        pmf = self.F.copy()
        pmf[1:] = self.F[1:] - self.F[:-1]
        return pmf

    @functools.cached_property
    def toeplitz(self) -> np.ndarray:
        """The Toeplitz matrix of :func:`toeplitz` on 0..K."""
        return toeplitz(self.pmf)

    @functools.cached_property
    def mean(self):
        """:math:`E[d]` (a Fraction in exact mode)."""
        return self.demand.mean_value(exact=self.exact)

    @functools.cached_property
    def second_moment(self):
        """:math:`E[d^2]` (a Fraction in exact mode)."""
        return self.demand.second_moment(exact=self.exact)


class DemandFunctions:
    """A continuous demand's F, H and L2 at the orders themselves (real stock: no table), with
    the interface of :class:`DemandTables` that needs no stock range.

    Examples
    --------
    >>> from slamarkov import ContinuousUniform
    >>> DemandFunctions(ContinuousUniform(0, 4)).cdf_at(np.array([1.0, 2.0])).tolist()
    [0.25, 0.5]
    """

    def __init__(self, demand, *, exact: bool = False):
        self.demand = demand
        self.exact = bool(exact)

    def cdf_at(self, y) -> np.ndarray:
        return np.asarray(self.demand.cdf(y, exact=True) if self.exact else self.demand.cdf(y))

    def leftover_at(self, y) -> np.ndarray:
        return np.asarray(self.demand.expected_leftover(y, exact=self.exact))

    def leftover2_at(self, y) -> np.ndarray:
        return np.asarray(self.demand.leftover_second_moment(y, exact=self.exact))

    @functools.cached_property
    def mean(self):
        return self.demand.mean_value(exact=self.exact)
