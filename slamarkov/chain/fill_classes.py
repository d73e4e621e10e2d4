r"""The units of a fill-rate contract's state classes (docs/model.md section 14: "State classes
and outcome indicators in units"): what :mod:`slamarkov.chain.classes`, the one home of every
class and indicator, reads on a fill-rate chain.

* **The reachable outcomes** (:func:`fill_outcome_ends`): from (i, D, F) with
  :math:`r = T - i + 1` periods left the final fill rate is :math:`(F + f')/(D + d')` with
  :math:`d'` in the support of the r-fold demand sum and :math:`0 \le f' \le d'`. The lowest and
  the highest reachable rate both sit at the largest :math:`d'` (the intervals
  :math:`[F/(D + d'), (F + d')/(D + d')]` grow with :math:`d'`), and the outcome is monotone in
  the rate, so the outcome is decided iff the two ends give the same one. With unbounded demand
  the ends are the limits 0 and 1: 0 has the outcome of every small rate (the bands are closed
  on the left), 1 is reached iff F = D, else the outcome is that of the rates just below 1.
* **The period's fill ratio** (:func:`fill_ratio`): :math:`e(y)/E[d]` with
  :math:`e(y) = E[\min(d, y)]`, the long-run fill rate of ordering up to y every period (1 when
  :math:`E[d] = 0`), the unit counterpart of the ready chance F(y).
* **The value classes** (:func:`lowest_fill_class`, :func:`fill_value_mass`): the lowest value
  F/D at or above a threshold and the probability of one value, for the bunching excesses.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..model.fill import fill_band

__all__ = ["fill_outcome_ends", "expected_filled", "fill_ratio", "lowest_fill_class",
           "fill_value_mass"]


def _kept(contract, band, amounts: bool) -> np.ndarray:
    """The band, or with ``amounts`` the outcome: a band whose amount is zero is no outcome."""
    band = np.asarray(band, dtype=np.int8)
    if not amounts:
        return band
    keep = np.array([contract.penalty > 0, True, contract.bonus > 0])
    return np.where(keep[band + 1], band, 0).astype(np.int8)


def fill_outcome_ends(contract, upper, i, D, F, *, amounts: bool = True) -> tuple:
    r"""The outcomes (-1 penalty, 0 neither, +1 bonus) of the lowest and of the highest final
    fill rate reachable from the states (i, D, F), whatever the demands and the fills
    (docs/model.md section 14); vectorised, i = T + 1 is the end.

    Parameters
    ----------
    contract : Contract
    upper : int or float
        The top of the demand's support (``math.inf`` when unbounded): the model's, not the
        float mode's cut.
    i, D, F : array_like of int
        Periods, units demanded and units filled before period i.
    amounts : bool, default True
        A band whose amount is zero is no outcome; without, the bands themselves (the committed
        band).

    Returns
    -------
    (ndarray, ndarray)
        int8 codes; the state is decided iff they are equal (the outcome is monotone in the
        rate).

    Examples
    --------
    >>> from slamarkov import Contract
    >>> c = Contract(3, 0.5, 0.75, penalty=4, bonus=2, measure="fill-rate")
    >>> [a.tolist() for a in fill_outcome_ends(c, 2, [3, 3, 3], [4, 4, 0], [0, 4, 0])]
    [[-1, 0, -1], [-1, 1, 1]]
    >>> [a.tolist() for a in fill_outcome_ends(c, math.inf, [4, 2, 2], [4, 4, 4], [1, 4, 3])]
    [[-1, -1, -1], [-1, 1, 1]]

    With one period left and demand 0..2, (4, 0) ends below 1/3: penalty-certain; (4, 4) can
    end anywhere in [2/3, 1]; unbounded demand can take any rate not yet at 1 near 0 and
    near 1.
    """
    T = contract.review_period
    i = np.asarray(i, dtype=np.int64)
    D = np.asarray(D, dtype=np.int64)
    F = np.asarray(F, dtype=np.int64)
    r = T - i + 1
    if math.isfinite(upper):
        top = r * int(upper)  # the largest remaining demand: both ends sit there
        low = fill_band(contract, D + top, F)
        high = fill_band(contract, D + top, F + top)
        return _kept(contract, low, amounts), _kept(contract, high, amounts)
    now = fill_band(contract, D, F)  # at the end (r = 0) the rate is F/D
    at = fill_band(contract, [1, 1], [0, 1])  # the bands of FR = 0 and FR = 1
    # just below 1: a penalty iff alpha_L = 1, a bonus iff alpha_U < 1
    below = -1 if contract.penalty_threshold == 1 else (1 if contract.bonus_threshold < 1 else 0)
    low = np.where(r > 0, at[0], now)
    high = np.where(r > 0, np.where(F == D, at[1], below), now)
    return _kept(contract, low, amounts), _kept(contract, high, amounts)


def expected_filled(demand, top: int, exact: bool = False) -> np.ndarray:
    r""":math:`e(y) = E[\min(d, y)] = y - H(y)` for y = 0..top, the expected units a period
    ordered up to y fills (the model's demand, no cut; Fractions with ``exact``).

    Examples
    --------
    >>> from slamarkov import DiscreteUniform
    >>> [str(e) for e in expected_filled(DiscreteUniform(0, 2), 3, exact=True)]
    ['0', '2/3', '1', '1']
    """
    _, H = demand.table(int(top), exact=exact)
    y = np.arange(int(top) + 1)
    return (y.astype(object) if exact else y) - H


def fill_ratio(demand, stock, exact: bool = False) -> np.ndarray:
    r"""The period's expected fill ratio :math:`e(y)/E[d]` at the order-up-to levels ``stock``
    (1 when :math:`E[d] = 0`: nothing to fill; docs/model.md section 14).

    Examples
    --------
    >>> from slamarkov import DiscreteUniform, Empirical
    >>> [str(x) for x in fill_ratio(DiscreteUniform(0, 2), [0, 1, 2], exact=True)]
    ['0', '2/3', '1']
    >>> fill_ratio(Empirical([1]), [0, 3]).tolist()
    [1.0, 1.0]
    """
    y = np.asarray(stock, dtype=np.int64)
    mean = demand.mean_value(exact=exact)
    if mean == 0:
        out = np.empty(y.shape, dtype=object if exact else np.float64)
        out[...] = Fraction(1) if exact else 1.0
        return out
    e = expected_filled(demand, int(y.max(initial=0)), exact=exact)
    return e.take(y) / mean


def lowest_fill_class(top: int, threshold) -> Fraction:
    r"""The smallest fill rate F/D (1 when D = 0) of the pairs :math:`0 \le F \le D \le` ``top``
    at or above ``threshold``, compared exactly.

    Examples
    --------
    >>> str(lowest_fill_class(4, Fraction(7, 10))), str(lowest_fill_class(3, 1))
    ('3/4', '1')
    """
    a = Fraction(threshold)
    best = Fraction(1)
    for D in range(1, int(top) + 1):
        F = -(-a.numerator * D // a.denominator)  # ceil(a D)
        if F <= D:
            best = min(best, Fraction(F, D))
    return best


def fill_value_mass(D, F, mass, value: Fraction, exact: bool):
    """P(F/D = value) of final pairs (D, F) with probabilities ``mass`` (D = 0 counts as 1).

    Examples
    --------
    >>> fill_value_mass([0, 2, 4], [0, 1, 2], [0.25, 0.25, 0.5], Fraction(1, 2), False)
    0.75
    """
    D, F, mass = np.asarray(D), np.asarray(F), np.asarray(mass)
    hit = np.where(D == 0, value == 1, F * value.denominator == D * value.numerator)
    total = mass[hit].sum() if hit.any() else (Fraction(0) if exact else 0.0)
    return total if exact else float(total)
