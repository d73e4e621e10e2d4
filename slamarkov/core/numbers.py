"""Conversion of user-typed numbers to exact rationals, with one-line errors naming the field.

Every amount, rate, parameter and count a user gives passes through :func:`to_fraction` or
:func:`to_int`, which make it *finite and representable where it is used*:

* its magnitude is at most :data:`MAX_MAGNITUDE` (1e15), so that it converts to a float64 without
  overflow and products with a review period or a stock range stay finite (a holding cost of
  1e308 times T would be ``inf``, and ``inf - inf`` a NaN in a report);
* its numerator and denominator have at most :data:`MAX_DIGITS` digits, so that exact rational
  arithmetic on it stays fast (``1e-400`` is refused, ``1e-20`` is accepted);
* text is checked *before* it is parsed: ``Fraction("1e99999999")`` would compute a
  hundred-million-digit integer.
"""

from __future__ import annotations

import math
import numbers
import re
from decimal import Decimal
from fractions import Fraction

import numpy as np

__all__ = ["to_fraction", "to_int", "whole_number", "clip_probability", "rounding_resolution", "MAX_MAGNITUDE",
           "MAX_DIGITS", "first_at_least", "SEARCH_TOP"]

#: the largest magnitude of any number a user gives (amounts, rates, parameters, counts)
MAX_MAGNITUDE = 10**15
#: the most digits the numerator or the denominator of a user's number may have
MAX_DIGITS = 60
_MAX_BOUND = 10**MAX_DIGITS
# the longest text read as a number; anything longer cannot meet the two rules above
_MAX_TEXT = 4 * MAX_DIGITS
_EXPONENT = re.compile(r"[eE]\s*([+-]?\d+)\s*$")


def _bounded(x: Fraction, value, field: str, error) -> Fraction:
    if abs(x) > MAX_MAGNITUDE:
        raise error(f"{field}: must be at most 1e15 in magnitude, got {_show(value)}")
    if x.denominator >= _MAX_BOUND or abs(x.numerator) >= _MAX_BOUND:
        raise _too_many_digits(value, field, error)
    return x


def _too_many_digits(value, field, error):
    return error(f"{field}: must have at most {MAX_DIGITS} digits in its numerator and "
                 f"denominator (0, or at least 1e-{MAX_DIGITS} in magnitude), got {_show(value)}")


def _show(value) -> str:
    text = repr(value) if not isinstance(value, str) else repr(value.strip())
    return text if len(text) <= 40 else text[:37] + "..."


def to_fraction(value, field: str, error: type[Exception]) -> Fraction:
    """Return ``value`` as an exact :class:`~fractions.Fraction`, finite and representable.

    A float is read through its shortest decimal representation, so the ``0.7`` a user typed
    is 7/10, not the binary double nearest to it. Strings such as ``"0.7"`` or ``"7/10"`` are
    accepted. Booleans, NaN, infinities, magnitudes above 1e15 and numbers whose numerator or
    denominator has more than 60 digits are refused with ``error`` naming ``field``.

    Examples
    --------
    >>> to_fraction("0.7", "contract.bonus_threshold", ValueError)
    Fraction(7, 10)
    >>> to_fraction("1e400", "contract.penalty", ValueError)
    Traceback (most recent call last):
    ValueError: contract.penalty: must be at most 1e15 in magnitude, got '1e400'
    """
    if isinstance(value, bool):
        raise error(f"{field}: must be a number, got a boolean")
    if isinstance(value, Fraction):
        return _bounded(value, value, field, error)
    if isinstance(value, numbers.Integral):
        n = int(value)
        if n.bit_length() > 64:  # cheap before any comparison with a huge int
            raise error(f"{field}: must be at most 1e15 in magnitude, got an integer of "
                        f"{n.bit_length()} bits")
        return _bounded(Fraction(n), value, field, error)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise error(f"{field}: must be finite, got {value!r}")
        # before Fraction() builds 10**exponent
        if value.adjusted() > 2 * MAX_DIGITS:
            raise error(f"{field}: must be at most 1e15 in magnitude, got {_show(str(value))}")
        if value.adjusted() < -2 * MAX_DIGITS:
            raise _too_many_digits(str(value), field, error)
        return _bounded(Fraction(value), value, field, error)
    if isinstance(value, (float, numbers.Real)):
        try:
            f = float(value)
        except (OverflowError, ValueError):
            raise error(f"{field}: must be finite, got {_show(value)}") from None
        if not math.isfinite(f):
            raise error(f"{field}: must be finite, got {value!r}")
        return _bounded(Fraction(repr(f)), value, field, error)
    if isinstance(value, str):
        text = value.strip()
        if len(text) > _MAX_TEXT:
            raise error(f"{field}: must be a number of at most {_MAX_TEXT} characters, got "
                        f"{_show(value)}")
        m = _EXPONENT.search(text)
        if m and int(m.group(1)) > 2 * MAX_DIGITS:
            raise error(f"{field}: must be at most 1e15 in magnitude, got {_show(value)}")
        if m and int(m.group(1)) < -2 * MAX_DIGITS:
            raise _too_many_digits(value, field, error)
        try:
            out = Fraction(text)
        except (ValueError, ZeroDivisionError):
            raise error(f"{field}: must be a number, got {value!r}") from None
        return _bounded(out, value, field, error)
    raise error(f"{field}: must be a number, got {type(value).__name__}")


def to_int(value, field: str, error: type[Exception]) -> int:
    """Return ``value`` as an int; an integral float (``10.0``) is accepted, ``10.5`` is not.

    The same rules as :func:`to_fraction` apply (at most 1e15 in magnitude).

    Examples
    --------
    >>> to_int("1e3", "runs", ValueError)
    1000
    """
    if isinstance(value, bool):
        raise error(f"{field}: must be an integer, got a boolean")
    frac = to_fraction(value, field, error)
    if frac.denominator != 1:
        raise error(f"{field}: must be an integer, got {value!r}")
    return int(frac)


#: the most that float rounding may push a computed probability outside [0, 1]
ROUNDING_SLACK = 1e-12


def whole_number(text) -> int | None:
    """A non-negative whole number typed as text (a count in a log or a runs file), or None.

    Only ASCII digits, at most 16 of them and at most :data:`MAX_MAGNITUDE`: ``"²"`` and
    ``"١"`` are digits to :meth:`str.isdigit` but not counts here, and a thousand-digit string
    is refused before Python converts it. The caller names the field in its error.

    Examples
    --------
    >>> whole_number(" 42 "), whole_number("4.0"), whole_number("-1"), whole_number("²")
    (42, None, None, None)
    >>> whole_number("9" * 400) is None
    True
    """
    text = str(text).strip()
    if not (0 < len(text) <= 16 and text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= MAX_MAGNITUDE else None


def clip_probability(p, what: str = "probability"):
    """Clip a computed float probability into [0, 1] where rounding pushed it out.

    A sum of a pmf's entries can come out as 1.0000000000000002; that is rounding, and it is
    clipped. An excess above :data:`ROUNDING_SLACK` is not rounding but a bug, and raises
    :class:`ArithmeticError` rather than being hidden. Arrays are clipped entry by entry.

    Examples
    --------
    >>> clip_probability(1.0000000000000002)
    1.0
    >>> clip_probability(1.1, "P(bonus)")
    Traceback (most recent call last):
    ArithmeticError: P(bonus): 1.1 is not a probability (outside [0, 1] by more than rounding)
    """
    import numpy as np

    arr = np.asarray(p, dtype=np.float64)
    if arr.size and not (np.all(arr >= -ROUNDING_SLACK) and np.all(arr <= 1 + ROUNDING_SLACK)):
        bad = arr[(arr < -ROUNDING_SLACK) | ~(arr <= 1 + ROUNDING_SLACK)].flat[0]
        raise ArithmeticError(
            f"{what}: {float(bad)!r} is not a probability (outside [0, 1] by more than rounding)")
    out = np.clip(arr, 0.0, 1.0)
    return float(out) if out.ndim == 0 else out


def rounding_resolution(values, stages: int) -> float:
    """The rounding resolution of float values computed by ``stages`` backward steps of a dynamic
    program: a few units in the last place of the largest magnitude per step. Values that are
    equal in exact arithmetic differ by no more once computed in float, so the solvers count
    values this close as ties (docs/model.md sections 4 and 11).

    Examples
    --------
    >>> rounding_resolution([2.75, -4.0], 1) == 8 * 2.0**-52 * 4.0
    True
    """
    top = float(np.max(np.abs(np.asarray(values, dtype=np.float64)), initial=1.0))
    return 8.0 * stages * float(np.finfo(np.float64).eps) * top


#: :func:`first_at_least` searches below this; beyond it the answer is infinite (no stock
#: range could reach it)
SEARCH_TOP = 2**62


def first_at_least(reached, guess: int):
    """The smallest integer k >= 0 with ``reached(k)`` (monotone in k), searched from ``guess``
    by doubling steps and bisection: ``O(log |k - guess|)`` calls; ``math.inf`` when not reached
    below :data:`SEARCH_TOP`. What a quantile or a stock bound corrects its float guess with,
    never one unit at a time (a guess far off, or a cdf flat in float64 over a long run of k,
    would take about k steps and hang).

    Examples
    --------
    >>> first_at_least(lambda k: k * k >= 10**12, 0), first_at_least(lambda k: k >= 7, 10**9)
    (1000000, 7)
    """
    if reached(guess):
        hi, step = guess, 1  # reached at hi: find the last k below it not reached
        while True:
            lo = hi - step
            if lo < 0:
                lo = -1
                break
            if not reached(lo):
                break
            hi, step = lo, step * 2
    else:
        lo, step = guess, 1  # not reached at lo
        while True:
            hi = lo + step
            if hi > SEARCH_TOP:
                if not reached(SEARCH_TOP):
                    return math.inf
                hi = SEARCH_TOP
                break
            if reached(hi):
                break
            lo, step = hi, step * 2
    while hi - lo > 1:  # not reached at lo (or lo = -1), reached at hi
        mid = (lo + hi) // 2
        if reached(mid):
            hi = mid
        else:
            lo = mid
    return hi
