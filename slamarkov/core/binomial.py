r"""Binomial and Poisson pmfs in float64 to full relative accuracy, without importing scipy.

The static policy's ready count is Binomial(T, F(S)) (docs/model.md section 5). ``scipy.stats``
costs more to import than a typical solve takes, so the pmf is computed here by Loader's
saddle-point form (C. Loader, "Fast and accurate computation of binomial probabilities", 2000;
the algorithm behind R's ``dbinom``):

.. math::

    P(X = x) = \sqrt{\frac{n}{2 \pi x (n - x)}}
    \exp\bigl(\delta(n) - \delta(x) - \delta(n - x) - D(x, np) - D(n - x, nq)\bigr),

with :math:`\delta(m) = \ln m! - \ln(\sqrt{2\pi m}\,(m/e)^m)` the Stirling error and
:math:`D(x, \mu) = x \ln(x/\mu) + \mu - x` the deviance, computed by its series where
:math:`x \approx \mu`. No large terms cancel, so the relative error stays near 1e-14 for any n
(a few ulps for small n; tested against 40-digit references to 1e-12).
The Poisson pmf (the study's demand) is the same form's limit (Loader's ``dpois``):

.. math:: P(d = x) = \frac{\exp(-\delta(x) - D(x, \lambda))}{\sqrt{2 \pi x}}, \quad x \ge 1,
   \qquad P(d = 0) = e^{-\lambda}.

Importing ``scipy.special`` alone costs more than a typical solve, so neither is taken from it.
"""

from __future__ import annotations

import math
import threading

import numpy as np

__all__ = ["binomial_pmf", "binomial_rows", "poisson_pmf"]

_LOG_2PI = math.log(2 * math.pi)
# delta(m), m = 0..15, to 25 digits (computed once with 40-digit arithmetic; delta(0) is unused)
_DELTA_SMALL = np.array([
    0.0,
    0.08106146679532725821967026, 0.04134069595540929409382208, 0.02767792568499833914878929,
    0.02079067210376509311152277, 0.01664469118982119216319487, 0.01387612882307074799874573,
    0.01189670994589177009505572, 0.01041126526197209649747857, 0.009255462182712732917728637,
    0.008330563433362871256469319, 0.007573675487951840794972024, 0.006942840107209529865664153,
    0.006408994188004207068439631, 0.005951370112758847735624416, 0.00555473355196280137103869,
])


def _stirling_error(m):
    m = np.asarray(m, dtype=np.float64)
    out = np.empty_like(m)
    small = m <= 15
    out[small] = _DELTA_SMALL[m[small].astype(np.int64)]
    big = m[~small]
    mm = big * big
    out[~small] = (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - 1 / (1188 * mm)) / mm) / mm) / mm) / big
    return out


def _deviance(x, mu):
    """x ln(x / mu) + mu - x, accurate when x is close to mu (x >= 0, mu > 0)."""
    x, mu = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(mu, dtype=np.float64))
    out = np.empty(x.shape)
    near = np.abs(x - mu) < 0.1 * (x + mu)
    far = ~near
    xf, mf = x[far], mu[far]
    # x / mu overflows to inf for a subnormal mu: D is then inf and the pmf term exactly 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out[far] = np.where(xf > 0, xf * np.log(xf / mf), 0.0) + mf - xf
    xn, mn = x[near], mu[near]
    v = (xn - mn) / (xn + mn)
    s = (xn - mn) * v
    term = 2 * xn * v
    v2 = v * v
    for j in range(1, 40):  # |v| < 0.1/1.1: each term is below 1/100 of the last
        term = term * v2
        s1 = s + term / (2 * j + 1)
        if np.array_equal(s1, s):
            break
        s = s1
    out[near] = s
    return out


#: n KL(x/n || p) beyond which the pmf is exactly 0.0 in float64: the exponent of the form above
#: is at most -n KL + delta(n) <= -n KL + 0.084 (the square-root factor is at most 1), and
#: exp of anything below about -745.2 rounds to zero
_UNDERFLOW = 760.0


def _scaled_kl(x: float, n: float, mu: float, nu: float) -> float:
    """n KL(x/n || p) = D(x, np) + D(n - x, nq), mu = np and nu = nq both > 0, in scalar floats
    (only compared with :data:`_UNDERFLOW`, far from 0, so its cancellation near x = mu does not
    matter; logs of each side, so that no ratio overflows)."""
    def dev(a, m):
        return (a * (math.log(a) - math.log(m)) if a > 0 else 0.0) + m - a
    return dev(x, mu) + dev(n - x, nu)


def _support(n: int, p: float, q: float) -> tuple[int, int]:
    """The range [a, b] of x in 1..n-1 outside which Binomial(n, p) (q = 1 - p > 0, as the
    caller rounded it) has a float pmf of exactly 0 (by :data:`_UNDERFLOW`; n KL is convex in x
    with its minimum at np), found by bisection."""
    mu, nu, nf = n * p, n * q, float(n)
    centre = min(max(int(mu), 1), n - 1)
    # smallest x in [1, centre] with n KL(x) < cut (n KL decreases on [0, mu])
    a, b = 1, centre
    while a < b:
        m = (a + b) // 2
        if _scaled_kl(m, nf, mu, nu) >= _UNDERFLOW:
            a = m + 1
        else:
            b = m
    lo = a
    # largest x in [centre, n - 1] with n KL(x) < cut (n KL increases on [mu, n])
    a, b = centre, n - 1
    while a < b:
        m = (a + b + 1) // 2
        if _scaled_kl(m, nf, mu, nu) >= _UNDERFLOW:
            b = m - 1
        else:
            a = m
    return lo, a


def binomial_pmf(n: int, p, *, exact: bool = False) -> np.ndarray:
    """P(X = x), x = 0..n, for X ~ Binomial(n, p); ``p`` a float or an array of floats (one row
    per p). With ``exact``, ``p`` is one rational (a :class:`~fractions.Fraction`) and the pmf an
    object array of Fractions, :math:`\\binom{n}{x} p^x (1 - p)^{n - x}` exactly.

    Examples
    --------
    >>> import numpy as np
    >>> np.round(binomial_pmf(4, 0.5), 15).tolist()
    [0.0625, 0.25, 0.375, 0.25, 0.0625]
    >>> binomial_pmf(2, [0.0, 1.0]).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    >>> from fractions import Fraction
    >>> [str(x) for x in binomial_pmf(2, Fraction(1, 3), exact=True)]
    ['4/9', '4/9', '1/9']
    """
    if exact:
        q = 1 - p
        return np.array([math.comb(n, x) * p**x * q ** (n - x) for x in range(n + 1)],
                        dtype=object)
    p_arr = np.asarray(p, dtype=np.float64)
    P = p_arr.reshape(-1, 1)
    Q = 1.0 - P
    x = np.arange(n + 1, dtype=np.float64)[None, :]
    nf = float(n)
    out = np.zeros((P.shape[0], n + 1))
    inner = (P > 0) & (Q > 0)
    rows = inner[:, 0]
    if rows.any():
        Pi, Qi = P[rows], Q[rows]
        res = np.zeros((Pi.shape[0], n + 1))
        if n >= 2:
            # only where some row's pmf does not underflow to 0.0 (the same values, less work)
            spans = [_support(n, float(pi), float(qi)) for pi, qi in zip(Pi[:, 0], Qi[:, 0])]
            a, b = min(s[0] for s in spans), max(s[1] for s in spans)
            mid = x[:, a : b + 1]
            lc = (_stirling_error(nf) - _stirling_error(mid) - _stirling_error(nf - mid)
                  - _deviance(mid, nf * Pi) - _deviance(nf - mid, nf * Qi))
            lf = _LOG_2PI + np.log(mid) + np.log1p(-mid / nf)
            res[:, a : b + 1] = np.exp(lc - 0.5 * lf)
        # the end points: (1 - p)^n and p^n, through the deviance where p or 1 - p is small
        res[:, :1] = np.exp(np.where(Pi < 0.1, -_deviance(nf, nf * Qi) - nf * Pi, nf * np.log(Qi)))
        if n >= 1:
            res[:, n:] = np.exp(np.where(Qi < 0.1, -_deviance(nf, nf * Pi) - nf * Qi, nf * np.log(Pi)))
        out[rows] = res
    out[(P[:, 0] <= 0), 0] = 1.0
    out[(Q[:, 0] <= 0) & (P[:, 0] > 0), n] = 1.0
    return out[0] if p_arr.ndim == 0 else out


#: the tables :func:`binomial_rows` keeps, (n, the p's bytes) -> read-only array, oldest first
_ROWS: dict = {}
_ROWS_LOCK = threading.Lock()
#: the most memory the kept tables take in all, and so the largest table kept
ROWS_CACHE_BYTES = 32 * 2**20


def binomial_rows(n: int, ps):
    """The pmf of Binomial(n, p) for each p of ``ps``, one row per p, each row exactly
    :func:`binomial_pmf` ``(n, p)``; kept for the next call with the same n and p's.

    The static policy's costs (docs/model.md section 5) need a Binomial(T, F(S)) row per
    candidate stock S, and the rows depend on T and the demand only, not on the holding cost or
    the contract's amounts: the study's grid (four holding costs, three ratios, the penalty-only
    variant) asks for the same rows twenty times per T. Tables up to
    :data:`ROWS_CACHE_BYTES` are kept (the oldest dropped first beyond it); a larger one is
    returned as a generator of rows, computed one at a time (the memory of one row).

    Parameters
    ----------
    n : int
    ps : array_like of float

    Returns
    -------
    numpy.ndarray or generator
        A read-only (len(ps), n + 1) array, or for a table above the cache's size its rows one
        by one.

    Examples
    --------
    >>> rows = binomial_rows(2, [0.5, 1.0])
    >>> np.round(rows, 15).tolist(), binomial_rows(2, [0.5, 1.0]) is rows
    ([[0.25, 0.5, 0.25], [0.0, 0.0, 1.0]], True)
    >>> bool((rows[0] == binomial_pmf(2, 0.5)).all())
    True
    """
    ps = np.ascontiguousarray(ps, dtype=np.float64).reshape(-1)
    n = int(n)
    if ps.size * (n + 1) * 8 > ROWS_CACHE_BYTES:
        return (binomial_pmf(n, float(p)) for p in ps)
    key = (n, ps.tobytes())
    with _ROWS_LOCK:
        rows = _ROWS.get(key)
    if rows is not None:
        return rows
    # row by row, as a single p is computed (the same floats as binomial_pmf(n, p))
    rows = np.empty((ps.size, n + 1))
    for k, p in enumerate(ps):
        rows[k] = binomial_pmf(n, float(p))
    rows.setflags(write=False)
    with _ROWS_LOCK:
        used = sum(r.nbytes for r in _ROWS.values())
        while _ROWS and used + rows.nbytes > ROWS_CACHE_BYTES:
            used -= _ROWS.pop(next(iter(_ROWS))).nbytes
        _ROWS[key] = rows
    return rows


def poisson_pmf(top: int, lam: float) -> np.ndarray:
    r"""P(d = x), x = 0..top, for d ~ Poisson(lam), by Loader's saddle-point form (module
    docstring): a few ulps of relative error where the pmf is not tiny, for any mean.

    Examples
    --------
    >>> import numpy as np
    >>> p = poisson_pmf(3, 2.0)
    >>> np.allclose(p, [np.exp(-2), 2 * np.exp(-2), 2 * np.exp(-2), 4 / 3 * np.exp(-2)],
    ...             rtol=1e-15, atol=0)
    True
    """
    lam = float(lam)
    out = np.empty(top + 1)
    out[0] = math.exp(-lam)
    if top >= 1:
        x = np.arange(1, top + 1, dtype=np.float64)
        with np.errstate(under="ignore"):
            out[1:] = np.exp(-_stirling_error(x) - _deviance(x, lam) - 0.5 * (_LOG_2PI + np.log(x)))
    return out
