r"""The service-level agreement: review period, exact thresholds, incentive scheme, settlement.

Implements docs/model.md section 2. Over a performance review period of :math:`T` inventory periods
the supplier's ready count is :math:`v \in \{0, \dots, T\}` and its ready rate
:math:`\alpha = v / T`. With penalty threshold :math:`\alpha_L` and bonus threshold
:math:`\alpha_U` (:math:`0 \le \alpha_L \le \alpha_U \le 1`) the settlement paid by the
supplier at the end of the review period is

.. math::

    G(v) = \begin{cases}
        L^- \, 1[v < T\alpha_L] - L^+ \, 1[v \ge T\alpha_U] & \text{lump-sum} \\
        L^- \max(\alpha_L - v/T, 0) - L^+ \max(v/T - \alpha_U, 0) & \text{linear}
    \end{cases}

Thresholds and amounts are held as exact rationals, so the comparisons are exact: a user's
``0.7`` is 7/10, and at :math:`T = 10` seven ready periods avoid the penalty.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..core.numbers import to_fraction, to_int
from ..errors import ContractError

__all__ = ["Contract", "SCHEMES", "LUMP_SUM", "LINEAR", "BANDS", "MEASURES", "READY_RATE",
           "FILL_RATE", "max_fill_drop"]

LUMP_SUM = "lump-sum"
LINEAR = "linear"
SCHEMES = (LUMP_SUM, LINEAR)
READY_RATE = "ready-rate"
FILL_RATE = "fill-rate"
#: what a contract measures (docs/model.md sections 2 and 14): periods ready, or units filled
MEASURES = (READY_RATE, FILL_RATE)
#: the bands of the final ready count, by the codes of :meth:`Contract.band` (-1, 0, +1)
BANDS = ("penalty", "neutral", "bonus")


@dataclass(frozen=True)
class Contract:
    r"""An SLA on the ready rate over one performance review period (docs/model.md section 2).

    Parameters
    ----------
    review_period : int
        :math:`T`, the number of inventory periods in one review period, :math:`T \ge 1`.
    penalty_threshold : number or str
        :math:`\alpha_L`; a penalty is due when the ready rate is strictly below it.
    bonus_threshold : number or str
        :math:`\alpha_U \ge \alpha_L`; a bonus is earned when the ready rate reaches it.
    scheme : {"lump-sum", "linear"}
        Lump-sum amounts, or amounts in proportion to the gap to the threshold.
    penalty : number, default 0
        :math:`L^- \ge 0`, per review period (0: a bonus-only contract).
    bonus : number, default 0
        :math:`L^+ \ge 0`, per review period (0: a penalty-only contract).
    measure : {"ready-rate", "fill-rate"}, default "ready-rate"
        The rate the thresholds apply to: the share of ready periods, or the share of demanded
        units filled on time (docs/model.md section 14).

    Raises
    ------
    ContractError
        On a field outside its range, naming the field and the rule.

    Examples
    --------
    >>> c = Contract(10, 0.7, 0.9, "lump-sum", penalty=50, bonus=30)
    >>> c.penalty_threshold
    Fraction(7, 10)
    >>> c.penalty_count, c.bonus_count
    (7, 9)
    >>> c.settlement().tolist()
    [50.0, 50.0, 50.0, 50.0, 50.0, 50.0, 50.0, 0.0, 0.0, -30.0, -30.0]
    """

    review_period: int
    penalty_threshold: Fraction
    bonus_threshold: Fraction
    scheme: str = LUMP_SUM
    penalty: Fraction = Fraction(0)
    bonus: Fraction = Fraction(0)
    measure: str = READY_RATE

    def __post_init__(self):
        T = to_int(self.review_period, "contract.review_period", ContractError)
        if T < 1:
            raise ContractError(f"contract.review_period: must be a positive integer, got {T}")
        aL = to_fraction(self.penalty_threshold, "contract.penalty_threshold", ContractError)
        aU = to_fraction(self.bonus_threshold, "contract.bonus_threshold", ContractError)
        for name, a in (("penalty_threshold", aL), ("bonus_threshold", aU)):
            if not 0 <= a <= 1:
                hint = f" (write {float(a) / 100:g} for {float(a):g}%)" if 1 < a <= 100 else ""
                raise ContractError(
                    f"contract.{name}: must lie in [0, 1], got {float(a):g}{hint}")
        if aL > aU:
            raise ContractError(
                "contract.penalty_threshold: must not exceed contract.bonus_threshold "
                f"({float(aL):g} > {float(aU):g})"
            )
        if self.scheme not in SCHEMES:
            raise ContractError(_scheme_rule(self.scheme))
        if not isinstance(self.measure, str) or self.measure not in MEASURES:
            raise ContractError(f"contract.measure: must be one of {', '.join(MEASURES)}, got "
                                f"{self.measure!r}")
        Lm = to_fraction(self.penalty, "contract.penalty", ContractError)
        Lp = to_fraction(self.bonus, "contract.bonus", ContractError)
        for name, amount in (("penalty", Lm), ("bonus", Lp)):
            if amount < 0:
                raise ContractError(f"contract.{name}: must be >= 0, got {float(amount):g}")
        for name, value in (
            ("review_period", T),
            ("penalty_threshold", aL),
            ("bonus_threshold", aU),
            ("penalty", Lm),
            ("bonus", Lp),
        ):
            object.__setattr__(self, name, value)

    @classmethod
    def study(cls, review_period, scheme=LUMP_SUM, *, penalty_threshold="0.8",
              bonus_threshold="0.9", ratio=None, measure=READY_RATE):
        """The source study's contract at review period ``T`` (docs/model.md section 2 and 8).

        Lump-sum: L- = 5T, L+ = 3T; linear: L- = 25T, L+ = 15T. With ``ratio`` (the cost-saving
        experiment) the bonus is the penalty divided by ``ratio`` instead.

        Examples
        --------
        >>> c = Contract.study(10, "linear")
        >>> int(c.penalty), int(c.bonus)
        (250, 150)
        >>> Contract.study(10, ratio="1.25").bonus
        Fraction(40, 1)
        """
        T = to_int(review_period, "contract.review_period", ContractError)
        if T >= 1:  # the amounts grow with T: refuse a T that cannot be solved before them
            from ..core.limits import check_states

            check_states(T)
        if scheme not in SCHEMES:
            raise ContractError(_scheme_rule(scheme))
        per_period = {LUMP_SUM: (5, 3), LINEAR: (25, 15)}[scheme]
        penalty = Fraction(per_period[0] * T)
        if ratio is None:
            bonus = Fraction(per_period[1] * T)
        else:
            r = to_fraction(ratio, "ratio", ContractError)
            if r <= 0:
                raise ContractError(f"ratio: must be > 0, got {float(r):g}")
            bonus = penalty / r
        return cls(T, penalty_threshold, bonus_threshold, scheme, penalty, bonus, measure)

    @property
    def penalty_count(self) -> int:
        r"""The fewest ready periods that avoid the penalty, :math:`\lceil T\alpha_L \rceil`."""
        return math.ceil(self.review_period * self.penalty_threshold)

    @property
    def bonus_count(self) -> int:
        r"""The fewest ready periods that earn the bonus, :math:`\lceil T\alpha_U \rceil`."""
        return math.ceil(self.review_period * self.bonus_threshold)

    def band(self, ready_count):
        """Band of final ready counts: -1 penalty, 0 neutral, +1 bonus (vectorised).

        Examples
        --------
        >>> Contract(10, 0.8, 0.9).band([7, 8, 9]).tolist()
        [-1, 0, 1]
        """
        v = np.asarray(ready_count)
        return np.where(v < self.penalty_count, -1, np.where(v >= self.bonus_count, 1, 0)).astype(
            np.int8
        )

    def _g_exact(self, v: int) -> Fraction:
        if self.scheme == LUMP_SUM:
            return Fraction(self.penalty * (v < self.penalty_count)
                            - self.bonus * (v >= self.bonus_count))
        T, aL, aU = self.review_period, self.penalty_threshold, self.bonus_threshold
        return Fraction(self.penalty * max(aL - Fraction(v, T), 0)
                        - self.bonus * max(Fraction(v, T) - aU, 0))

    @functools.cached_property
    def _settlement_exact(self) -> tuple:
        T = self.review_period
        from ..core.limits import FRACTION_BYTES, check_bytes

        check_bytes((T + 1) * FRACTION_BYTES, "contract.review_period",
                    f"the settlement of T = {T} periods would")
        return tuple(self._g_exact(v) for v in range(T + 1))

    @functools.cached_property
    def _settlement_float(self) -> np.ndarray:
        """G(v) in float64, each the correctly rounded exact value, without T + 1 Fractions: a
        float solve at T = 10,000 should not spend its time in rational arithmetic."""
        T = self.review_period
        v = np.arange(T + 1, dtype=np.int64)
        if self.scheme == LUMP_SUM:
            pen, bon = v < self.penalty_count, v >= self.bonus_count
            val = {(a, b): float(self.penalty * a - self.bonus * b) for a in (0, 1) for b in (0, 1)}
            return np.where(pen, np.where(bon, val[1, 1], val[1, 0]),
                            np.where(bon, val[0, 1], val[0, 0]))
        # G(v) = N(v) / D in integers; with N and D below 2**53 both are exact doubles and one
        # IEEE division rounds the exact quotient correctly, as float(Fraction) does
        aL, aU = Fraction(self.penalty_threshold), Fraction(self.bonus_threshold)
        P, B = Fraction(self.penalty), Fraction(self.bonus)
        d1, d2 = P.denominator * aL.denominator * T, B.denominator * aU.denominator * T
        D = d1 * d2 // math.gcd(d1, d2)
        c1, c2 = D // d1 * P.numerator, D // d2 * B.numerator
        top = c1 * (aL.numerator * T) + c2 * (aU.denominator * T)
        if max(top, D) >= 2**53:
            return np.array([float(x) for x in self._settlement_exact], dtype=np.float64)
        N = (c1 * np.maximum(aL.numerator * T - v * aL.denominator, 0)
             - c2 * np.maximum(v * aU.denominator - aU.numerator * T, 0))
        return N.astype(np.float64) / float(D)

    def settlement(self, exact: bool = False) -> np.ndarray:
        """The settlement :math:`G(v)` for v = 0..T (positive: the supplier pays).

        Parameters
        ----------
        exact : bool, default False
            Return an object array of :class:`~fractions.Fraction` instead of float64.

        Examples
        --------
        >>> c = Contract(10, 0.8, 0.9, "linear", penalty=250, bonus=150)
        >>> c.settlement(exact=True)[[6, 8, 10]].tolist()
        [Fraction(50, 1), Fraction(0, 1), Fraction(-15, 1)]
        """
        # computed once per contract (a frozen object); callers get a fresh array
        if exact:
            return np.array(self._settlement_exact, dtype=object)
        return self._settlement_float.copy()

    def max_settlement_drop(self) -> Fraction:
        r"""The largest gain from one more ready period, :math:`\max_v G(v) - G(v+1)`.

        It bounds the decision value :math:`\Delta_i(v)` in every state (docs/model.md section 4),
        which in turn bounds the stock that can be optimal.

        Examples
        --------
        >>> Contract(10, 0.8, 0.9, penalty=50, bonus=30).max_settlement_drop()
        Fraction(50, 1)
        """
        if self.measure == FILL_RATE:  # one more filled unit (docs/model.md section 14)
            return max_fill_drop(self)
        return self._max_settlement_drop

    @functools.cached_property
    def _max_settlement_drop(self) -> Fraction:
        # computed once per contract (a frozen object): every solve reads it for the stock bound
        T = self.review_period
        if T <= 16:
            g = self._settlement_exact
            return max([a - b for a, b in zip(g, g[1:])] + [Fraction(0)])
        # G(v) - G(v + 1) is constant away from the thresholds (L-/T, L+/T or 0 for the linear
        # scheme, 0 for lump-sum): the steps at both ends and around each threshold cover it
        marks = (self.penalty_count, self.bonus_count,
                 math.floor(self.penalty_threshold * T), math.ceil(self.bonus_threshold * T))
        steps = {0, T - 1} | {m + k for m in marks for k in (-2, -1, 0, 1)}
        return max([self._g_exact(v) - self._g_exact(v + 1) for v in steps if 0 <= v < T]
                   + [Fraction(0)])

    def describe(self) -> str:
        """A one-line human description.

        Examples
        --------
        >>> print(Contract(10, 0.8, 0.9, penalty=50, bonus=30).describe())
        lump-sum SLA over T=10 periods: penalty 50 if ready rate < 80%, bonus 30 if >= 90%

        Thresholds print in percent, as every text report's rates do (README, "Units").
        """
        aL, aU = _percent(self.penalty_threshold), _percent(self.bonus_threshold)
        rate = "fill rate" if self.measure == FILL_RATE else "ready rate"
        if self.scheme == LUMP_SUM:
            terms = f"penalty {_fmt(self.penalty)} if {rate} < {aL}, bonus {_fmt(self.bonus)} if >= {aU}"
        else:
            terms = (f"penalty {_fmt(self.penalty)} x shortfall below {aL}, "
                     f"bonus {_fmt(self.bonus)} x excess above {aU}")
        T = self.review_period
        if self.measure == FILL_RATE:
            terms = f"{terms} (fill rate: units filled / units demanded)"
        return f"{self.scheme} SLA over T={T} period{'s' if T != 1 else ''}: {terms}"


def _scheme_rule(scheme) -> str:
    """The one-line error for an unknown scheme, with the closest name when there is one."""
    import difflib

    close = difflib.get_close_matches(str(scheme), SCHEMES, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"contract.scheme: must be one of {', '.join(SCHEMES)}, got {scheme!r}{hint}"


def _percent(x: Fraction) -> str:
    return f"{float(100 * x):g}%"


def _fmt(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f"{float(x):g}"


def max_fill_drop(contract: Contract) -> Fraction:
    r"""The largest fall of the settlement from one more filled unit,
    :math:`\bar\Delta_F = \max_{F < D} G(F, D) - G(F + 1, D)` (docs/model.md section 14).

    Lump-sum: :math:`L^- 1[\alpha_L > 0] + L^+ 1[\alpha_U > 0]`, attained at D = 1, F = 0. Linear:
    one unit moves FR by 1/D, so the fall is at most :math:`L^- \min(1/D, \alpha_L) + L^+
    \min(1/D, 1 - \alpha_U)`, largest at D = 1: :math:`L^- \alpha_L + L^+ (1 - \alpha_U)`.

    Examples
    --------
    >>> max_fill_drop(Contract(5, 0.8, 0.9, "linear", penalty=100, bonus=50, measure="fill-rate"))
    Fraction(85, 1)
    """
    aL, aU = contract.penalty_threshold, contract.bonus_threshold
    if contract.scheme == LUMP_SUM:
        return Fraction(contract.penalty * (aL > 0) + contract.bonus * (aU > 0))
    return Fraction(contract.penalty * aL + contract.bonus * (1 - aU))
