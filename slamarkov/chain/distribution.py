r"""The distribution of the ready count :math:`v_T` and the ready rate :math:`\alpha = v_T / T`."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..core.numbers import clip_probability
from ..model.contract import Contract

__all__ = ["ReadyRateDistribution"]


class ReadyRateDistribution:
    r"""The exact distribution of the ready count at the end of a review period.

    Parameters
    ----------
    contract : Contract
        Gives T and the thresholds that define the penalty and bonus bands.
    pmf : array_like
        P(v_T = v) for v = 0..T (float64, or Fractions in exact mode).

    Examples
    --------
    >>> from slamarkov import Contract
    >>> from scipy import stats
    >>> c = Contract(10, 0.8, 0.9, penalty=50, bonus=30)
    >>> dist = ReadyRateDistribution(c, stats.binom.pmf(range(11), 10, 0.9))
    >>> round(dist.mean, 6), round(dist.p_penalty, 6), round(dist.p_bonus, 6)
    (0.9, 0.070191, 0.736099)
    """

    def __init__(self, contract: Contract, pmf):
        self.contract = contract
        arr = np.asarray(pmf)
        self.exact = arr.dtype == object
        # a float entry of a pushed-forward pmf can round to 1.0000000000000002 (or -1e-17):
        # clipped back into [0, 1]; anything further out is an error, not rounding
        self.pmf = arr if self.exact else clip_probability(arr.astype(np.float64), "pmf")
        if self.pmf.shape != (contract.review_period + 1,):
            raise ValueError(
                f"pmf: must have T + 1 = {contract.review_period + 1} entries, got {self.pmf.shape}"
            )

    def _out(self, x):
        return x if self.exact else float(x)

    def _band(self, lo, hi, what):
        """P(lo <= v_T < hi): an exactly rounded sum, clipped into [0, 1] where rounding of the
        pmf's entries (which may sum to 1 + 1e-16) pushed it out."""
        part = self.pmf[lo:hi]
        if self.exact:
            return part.sum() if part.size else Fraction(0)
        return clip_probability(math.fsum(part.tolist()), what)

    @property
    def review_period(self) -> int:
        return self.contract.review_period

    @property
    def rates(self) -> np.ndarray:
        """The ready rates v/T, v = 0..T."""
        T = self.review_period
        if self.exact:
            return np.array([Fraction(v, T) for v in range(T + 1)], dtype=object)
        return np.arange(T + 1) / T

    @property
    def mean(self):
        """Expected ready rate."""
        if self.exact:
            return (self.pmf * self.rates).sum()
        return clip_probability(math.fsum((self.pmf * self.rates).tolist()), "mean ready rate")

    @property
    def variance(self):
        """Variance of the ready rate."""
        m = self.mean
        return self._out((self.pmf * (self.rates - m) ** 2).sum())

    @property
    def sd(self) -> float:
        """Standard deviation of the ready rate (a float, also in exact mode)."""
        return float(np.sqrt(float(max(self.variance, 0))))

    @property
    def p_penalty(self):
        r"""P(alpha < alpha_L)."""
        return self._band(0, self.contract.penalty_count, "P(penalty)")

    @property
    def p_bonus(self):
        r"""P(alpha >= alpha_U)."""
        return self._band(self.contract.bonus_count, None, "P(bonus)")

    @property
    def p_neutral(self):
        """P(alpha_L <= alpha < alpha_U)."""
        return self._band(self.contract.penalty_count, self.contract.bonus_count, "P(neutral)")

    def cdf(self):
        """P(v_T <= v) for v = 0..T."""
        cdf = np.cumsum(self.pmf)
        return cdf if self.exact else clip_probability(cdf, "cdf of the ready count")

    def expected_settlement(self):
        """E[G(v_T)] under the contract."""
        return self._out((self.pmf * self.contract.settlement(exact=self.exact)).sum())

    def to_dict(self, pmf: bool = True) -> dict:
        """Summaries as fractions (not percent): mean, sd, p_penalty, p_bonus and the pmf."""
        out = {
            "mean": float(self.mean),
            "sd": self.sd,
            "p_penalty": float(self.p_penalty),
            "p_bonus": float(self.p_bonus),
        }
        if pmf:
            out["pmf"] = [float(x) for x in self.pmf] if self.exact else self.pmf.tolist()
        return out

    def __repr__(self):
        return (
            f"ReadyRateDistribution(T={self.review_period}, mean={float(self.mean):.6g}, "
            f"sd={self.sd:.6g}, p_penalty={float(self.p_penalty):.6g}, "
            f"p_bonus={float(self.p_bonus):.6g})"
        )
