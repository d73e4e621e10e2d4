"""Conversion of user-typed numbers to exact rationals, with one-line errors naming the field."""

from __future__ import annotations

import math
import numbers
from decimal import Decimal
from fractions import Fraction

__all__ = ["to_fraction", "to_int"]


def to_fraction(value, field: str, error: type[Exception]) -> Fraction:
    """Return ``value`` as an exact :class:`~fractions.Fraction`.

    A float is read through its shortest decimal representation, so the ``0.7`` a user typed
    is 7/10, not the binary double nearest to it. Strings such as ``"0.7"`` or ``"7/10"`` are
    accepted. Booleans, NaN and infinities are refused with ``error`` naming ``field``.
    """
    if isinstance(value, bool):
        raise error(f"{field}: must be a number, got a boolean")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, numbers.Integral):
        return Fraction(int(value))
    if isinstance(value, (float, numbers.Real)) and not isinstance(value, Decimal):
        f = float(value)
        if not math.isfinite(f):
            raise error(f"{field}: must be finite, got {value!r}")
        return Fraction(repr(f))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise error(f"{field}: must be finite, got {value!r}")
        return Fraction(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            out = Fraction(text)
        except (ValueError, ZeroDivisionError):
            raise error(f"{field}: must be a number, got {value!r}") from None
        return out
    raise error(f"{field}: must be a number, got {type(value).__name__}")


def to_int(value, field: str, error: type[Exception]) -> int:
    """Return ``value`` as an int; an integral float (``10.0``) is accepted, ``10.5`` is not."""
    if isinstance(value, bool):
        raise error(f"{field}: must be an integer, got a boolean")
    if isinstance(value, numbers.Integral):
        return int(value)
    frac = to_fraction(value, field, error)
    if frac.denominator != 1:
        raise error(f"{field}: must be an integer, got {value!r}")
    return int(frac)
