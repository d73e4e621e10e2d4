r"""Fill-rate contracts: the settlement on units filled over units demanded, compared exactly, and
the demand range the fill-rate state space holds (docs/model.md section 14).

Over a review period D units are demanded and F filled on time; the fill rate is
:math:`\mathrm{FR} = F / D` (1 when D = 0). With a threshold :math:`\alpha = p/q` in lowest terms,
:math:`F/D < \alpha \iff qF < pD`: integer comparisons, no rounding. The settlement is that of
docs/model.md section 2 with FR in place of v/T.

With demand of infinite support D is unbounded: float mode keeps the demands
:math:`d \le d_{\max}` and the totals :math:`D \le D_{\max}` and reports the probability of the
paths it drops (:class:`FillSupport`); exact mode needs finite support and drops nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..errors import DemandError
from .contract import LUMP_SUM, Contract

__all__ = ["fill_settlement", "fill_band", "FillSupport", "fill_support",
           "TRUNCATION_BUDGET"]

#: the most probability the float-mode cut may drop, shared by its two cuts (docs/model.md
#: section 14)
TRUNCATION_BUDGET = 1e-12


def _ints(D, F):
    D = np.asarray(D, dtype=np.int64)
    F = np.asarray(F, dtype=np.int64)
    return D, F


def _compare(a: Fraction, D, F, top):
    """(q F, p D) for threshold a = p / q, in int64 when they fit, else in Python ints."""
    p, q = a.numerator, a.denominator
    if max(p, q) * (int(top) + 1) < 2**62:
        return q * F, p * D
    return q * F.astype(object), p * D.astype(object)


def fill_band(contract: Contract, demanded, filled) -> np.ndarray:
    """Band of final (D, F): -1 penalty (FR < aL), 0 neutral, +1 bonus (FR >= aU), compared
    exactly; FR = 1 when D = 0 (vectorised).

    Examples
    --------
    >>> c = Contract(2, 0.8, 0.9, measure="fill-rate")
    >>> fill_band(c, [10, 10, 10, 0], [7, 8, 9, 0]).tolist()
    [-1, 0, 1, 1]
    """
    D, F = _ints(demanded, filled)
    top = int(D.max(initial=0))
    qF, pD = _compare(contract.penalty_threshold, D, F, top)
    pen = np.asarray(qF < pD, dtype=bool)
    qF, pD = _compare(contract.bonus_threshold, D, F, top)
    bon = np.asarray(qF >= pD, dtype=bool)
    return np.where(pen, -1, np.where(bon, 1, 0)).astype(np.int8)


def fill_settlement(contract: Contract, demanded, filled, exact: bool = False) -> np.ndarray:
    r"""The settlement :math:`G(F, D)` of final (D, F) pairs (docs/model.md section 14).

    Lump-sum: :math:`L^- 1[\mathrm{FR} < \alpha_L] - L^+ 1[\mathrm{FR} \ge \alpha_U]`; linear:
    :math:`L^- (\alpha_L - \mathrm{FR})^+ - L^+ (\mathrm{FR} - \alpha_U)^+`, FR = F / D (1 when
    D = 0). Exact mode gives Fractions; float mode each value rounded once from its exact
    integer ratio.

    Examples
    --------
    >>> c = Contract(2, 0.8, 0.9, "linear", penalty=100, bonus=50, measure="fill-rate")
    >>> [str(g) for g in fill_settlement(c, [10, 10, 0, 3], [6, 10, 0, 2], exact=True)]
    ['20', '-5', '-5', '40/3']
    """
    D, F = _ints(demanded, filled)
    # FR = 1 when nothing was demanded: the pair (1, 1) has the same rate
    none = D == 0
    D = np.where(none, 1, D)
    F = np.where(none, 1, F)
    Lm, Lp = contract.penalty, contract.bonus
    aL, aU = contract.penalty_threshold, contract.bonus_threshold
    if contract.scheme == LUMP_SUM:
        band = fill_band(contract, D, F)
        values = {-1: Lm, 0: Fraction(0), 1: -Lp}
        if exact:
            out = np.empty(D.shape, dtype=object)
            for b, g in values.items():
                out[band == b] = Fraction(g)
            return out
        return np.select([band == -1, band == 1], [float(Lm), float(-Lp)], 0.0)
    # linear: L- (pD - qF)^+ / (qD) - L+ (q'F - p'D)^+ / (q'D)
    top = int(D.max(initial=0))
    qF, pD = _compare(aL, D, F, top)
    short = np.maximum(pD - qF, 0)
    qF2, pD2 = _compare(aU, D, F, top)
    over = np.maximum(qF2 - pD2, 0)
    if exact:
        out = np.empty(D.shape, dtype=object)
        flat = out.reshape(-1)
        for k, (s, o, d) in enumerate(zip(np.ravel(short).tolist(), np.ravel(over).tolist(),
                                          D.ravel().tolist())):
            flat[k] = Lm * Fraction(s, aL.denominator * d) - Lp * Fraction(o, aU.denominator * d)
        return out
    Df = D.astype(np.float64)
    return (float(Lm) * np.asarray(short, dtype=np.float64) / (aL.denominator * Df)
            - float(Lp) * np.asarray(over, dtype=np.float64) / (aU.denominator * Df))


@dataclass(frozen=True)
class FillSupport:
    """The demand range of a fill-rate state space (docs/model.md section 14).

    Attributes
    ----------
    period_max : int
        :math:`d_{\\max}`: the largest demand of one period kept.
    total_max : int
        :math:`D_{\\max}`: the largest total demand kept.
    truncated_mass : float or Fraction
        The probability of the paths dropped (0 without a cut): the same for every policy.
    """

    period_max: int
    total_max: int
    truncated_mass: object

    def total_cap(self, periods: int) -> int:
        """The largest total demand after ``periods`` periods."""
        return min(self.total_max, periods * self.period_max)


def fill_support(demand, review_period: int, *, exact: bool = False) -> FillSupport:
    r"""The demands and totals kept for a fill-rate contract over T periods.

    Finite support 0..u: everything, :math:`d_{\max} = u`, :math:`D_{\max} = T u`. Infinite
    support (float mode only): the smallest :math:`d_{\max}` with
    :math:`T P(d > d_{\max}) \le 5 \cdot 10^{-13}` and the smallest :math:`D_{\max}` with
    :math:`P(\sum_t \min(d_t, d_{\max}) > D_{\max}) \le 5 \cdot 10^{-13}` (the truncated
    demands' convolution); ``truncated_mass`` is :math:`1 - P(\text{every } d_t \le d_{\max},
    D_T \le D_{\max})`.

    Raises
    ------
    DemandError
        Continuous demand, or exact mode with infinite support.

    Examples
    --------
    >>> from slamarkov import DiscreteUniform, Poisson
    >>> fill_support(DiscreteUniform(0, 2), 3, exact=True)
    FillSupport(period_max=2, total_max=6, truncated_mass=Fraction(0, 1))
    >>> s = fill_support(Poisson(5), 30)
    >>> s.period_max, s.total_max, 0 < s.truncated_mass <= 1e-12
    (30, 245, True)
    """
    T = int(review_period)
    if not demand.discrete:
        raise DemandError(f"demand: a fill-rate contract needs discrete demand, got "
                          f"{demand.describe()}")
    if math.isfinite(demand.upper):
        u = int(demand.upper)
        return FillSupport(u, T * u, Fraction(0) if exact else 0.0)
    if exact:
        raise DemandError(f"demand: exact mode needs finite support for a fill-rate contract "
                          f"(total demand is unbounded), got {demand.describe()}")
    half = TRUNCATION_BUDGET / 2
    top = max(int(demand.quantile(0.5)) + 1, 8)
    while True:
        F, _ = demand.table(top)
        tail = 1.0 - F
        ok = np.flatnonzero(T * tail <= half)
        if ok.size:
            dmax = int(ok[0])
            break
        top *= 2
    pmf = np.diff(np.concatenate(([0.0], F[: dmax + 1])))
    dist = np.array([1.0])
    for _ in range(T):
        dist = np.convolve(dist, pmf)
    dist = np.clip(dist, 0.0, None)
    above = np.cumsum(dist[::-1])[::-1]  # above[n] = P(D_T >= n, all d_t <= dmax)
    cap = int(np.flatnonzero(np.r_[above[1:], 0.0] <= half)[0])
    per = float(tail[dmax])
    dropped_period = -math.expm1(T * math.log1p(-per)) if per < 1 else 1.0
    dropped_total = float(above[cap + 1]) if cap + 1 < above.size else 0.0
    return FillSupport(dmax, cap, dropped_period + dropped_total)
