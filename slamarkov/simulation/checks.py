r"""The statistics that judge simulated runs against an exact distribution (docs/model.md section
7), one home for every measure: the ready rate (:mod:`slamarkov.simulation.validate`) and the fill
rate (:mod:`slamarkov.simulation.fill`) build their checks from these.

:func:`pooled_chi_square`
    Pearson's goodness-of-fit test of counts against an exact pmf, adjacent cells pooled from
    the first upwards until each expects at least :data:`MIN_EXPECTED` runs; a run where the pmf
    is 0 rejects outright.
:func:`dkw_p_value`
    The Dvoretzky-Kiefer-Wolfowitz p-value :math:`\min(1, 2e^{-2nD^2})` of a largest CDF gap D.
:func:`z_check`, :func:`binomial_check`
    The z-score of a sample mean against an exact mean and SD, and the exact two-sided binomial
    test of a share of runs against an exact probability.

A check is the tuple ``(name, description, simulated, exact, statistic, p_value, detail)`` that
:meth:`~slamarkov.simulation.validate.ValidationReport.combine` turns into one verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import SimulationError

__all__ = ["MIN_EXPECTED", "PooledChiSquare", "pooled_chi_square", "dkw_p_value", "Moments",
           "z_check", "binomial_check", "z_text", "check_alpha"]

#: pool cells until each cell of the chi-square test expects at least this many runs
MIN_EXPECTED = 5.0


@dataclass(frozen=True)
class PooledChiSquare:
    """Pearson's test after pooling (:func:`pooled_chi_square`).

    Attributes
    ----------
    statistic, p_value : float
        X2 and its upper tail on ``df`` degrees of freedom; ``inf`` and 0 when runs fall where
        the pmf is 0; 0 and 1 when one cell is left after pooling (nothing to test).
    df : int
        Cells less one.
    cells : tuple of (lo, hi, observed, expected)
        The pooled cells: pmf positions lo..hi, the runs counted and expected there.
    worst : int or None
        The cell with the largest part of X2.
    impossible : ndarray of int
        Positions where the pmf is 0 and runs were counted (empty when none).
    """

    statistic: float
    p_value: float
    df: int
    cells: tuple
    worst: int | None
    impossible: np.ndarray


def pooled_chi_square(counts, pmf, min_expected: float = MIN_EXPECTED) -> PooledChiSquare:
    """Pearson's chi-square test of ``counts`` against ``n * pmf``, cells pooled upwards.

    Adjacent positions are pooled from the first upwards until a cell expects at least
    ``min_expected`` runs; what is left at the top joins the last cell. A run at a position of
    probability 0 rejects outright (statistic infinite, p-value 0).

    Examples
    --------
    >>> t = pooled_chi_square([1, 7, 12], [0.05, 0.45, 0.5])
    >>> t.cells, t.statistic, t.df
    (((0, 1, 8, 10.0), (2, 2, 12, 10.0)), 0.8, 1)
    >>> pooled_chi_square([1, 1], [1.0, 0.0]).p_value
    0.0
    """
    counts, pmf, impossible = _arrays(counts, pmf)
    if impossible.size:
        return PooledChiSquare(math.inf, 0.0, 0, (), None, impossible)
    n = int(counts.sum())
    expected = n * pmf
    cells, lo, acc_e, acc_o = [], 0, 0.0, 0
    for v in range(len(pmf)):
        acc_e += expected[v]
        acc_o += int(counts[v])
        if acc_e >= min_expected:
            cells.append([lo, v, acc_o, acc_e])
            lo, acc_e, acc_o = v + 1, 0.0, 0
    if acc_e > 0 or acc_o > 0:
        if cells:
            cells[-1][1] = len(pmf) - 1
            cells[-1][2] += acc_o
            cells[-1][3] += acc_e
        else:
            cells.append([0, len(pmf) - 1, acc_o, acc_e])
    cells = tuple((int(a), int(b), int(o), float(e)) for a, b, o, e in cells)
    return _pearson(np.array([c[2] for c in cells], dtype=np.float64),
                    np.array([c[3] for c in cells], dtype=np.float64), cells, impossible)


def sparse_chi_square(counts, pmf, min_expected: float = MIN_EXPECTED) -> PooledChiSquare:
    """Pearson's chi-square test of ``counts`` against ``n * pmf`` over cells with no order (a
    joint pmf, flattened): each position expecting at least ``min_expected`` runs is a cell, the
    others are pooled into one, folded into the largest cell when it expects fewer. A run at a
    position of probability 0 rejects outright. ``cells`` is empty (the pooled cell is not a
    range of positions).

    Examples
    --------
    >>> t = sparse_chi_square([13, 0, 7, 0], [0.5, 0.05, 0.45, 0.0])  # cells 11 and 9 expected
    >>> round(t.statistic, 4), t.df
    (0.8081, 1)
    >>> sparse_chi_square([13, 0, 6, 1], [0.5, 0.05, 0.45, 0.0]).p_value
    0.0
    """
    counts, pmf, impossible = _arrays(counts, pmf)
    if impossible.size:
        return PooledChiSquare(math.inf, 0.0, 0, (), None, impossible)
    n = int(counts.sum())
    obs, exp = counts.astype(np.float64), n * pmf
    big = exp >= min_expected
    o = np.concatenate((obs[big], [obs[~big].sum()]))
    e = np.concatenate((exp[big], [exp[~big].sum()]))
    if e[-1] < min_expected and len(e) > 1:  # too little left over: fold it into the largest
        top = int(np.argmax(e[:-1]))
        o[top] += o[-1]
        e[top] += e[-1]
        o, e = o[:-1], e[:-1]
    keep = e > 0
    return _pearson(o[keep], e[keep], (), impossible)


def _arrays(counts, pmf) -> tuple:
    """The counts and the pmf as arrays, and the positions where runs fell at probability 0."""
    counts = np.asarray(counts)
    pmf = np.asarray(pmf, dtype=np.float64)
    return counts, pmf, np.flatnonzero((pmf <= 0) & (counts > 0))


def _pearson(obs, exp, cells, impossible) -> PooledChiSquare:
    """Pearson's statistic and its upper tail over the cells formed (nothing to test below two
    cells: statistic 0, p-value 1)."""
    if len(obs) < 2:
        return PooledChiSquare(0.0, 1.0, 0, cells, None, impossible)
    parts = (obs - exp) ** 2 / exp
    stat, df = float(parts.sum()), len(obs) - 1
    from scipy import stats  # imported here: `import slamarkov` stays light

    return PooledChiSquare(stat, float(stats.chi2.sf(stat, df)), df, cells,
                           int(np.argmax(parts)), impossible)


def dkw_p_value(n: int, gap: float) -> float:
    r"""The conservative p-value :math:`\min(1, 2 e^{-2 n D^2})` of a largest gap D between an
    empirical CDF of n runs and the exact CDF (Massart's constant; valid for discrete
    distributions too).

    Examples
    --------
    >>> dkw_p_value(18445, 0.01) < 0.05
    True
    """
    return min(1.0, 2.0 * math.exp(-2.0 * n * gap * gap))


class Moments:
    """Count, mean and sum of squared deviations of a column, merged chunk by chunk (Chan et
    al.'s pairwise update), so that a column of any length is summarised in O(1) memory.

    Examples
    --------
    >>> m = Moments.of([1.0, 2.0])
    >>> m.add([3.0])
    >>> m.n, m.mean, m.sd
    (3, 2.0, 1.0)
    """

    __slots__ = ("n", "mean", "m2")

    def __init__(self, n=0, mean=0.0, m2=0.0):
        self.n, self.mean, self.m2 = n, mean, m2

    @classmethod
    def of(cls, x) -> "Moments":
        x = np.asarray(x, dtype=np.float64)
        if x.size == 0:
            return cls()
        m = float(x.mean())
        return cls(int(x.size), m, float(((x - m) ** 2).sum()))

    def add(self, x) -> None:
        other = Moments.of(x)
        n = self.n + other.n
        if other.n == 0:
            return
        delta = other.mean - self.mean
        self.m2 += other.m2 + delta * delta * self.n * other.n / n
        self.mean += delta * other.n / n
        self.n = n

    @property
    def sd(self) -> float:
        """The sample SD (ddof = 1)."""
        return math.sqrt(max(self.m2, 0.0) / (self.n - 1)) if self.n > 1 else 0.0


def z_check(name, desc, sample, exact, sd_exact, n, unit=""):
    r"""The z-score :math:`(\bar x - \mu)/(\sigma/\sqrt n)` of a sample mean against the exact
    mean and SD, two-sided normal p-value; with an exact standard error of 0 the check rejects
    exactly when the sample differs from the constant. ``name == "mean"`` (a rate) speaks in
    percent. Returns the check tuple (module docstring).

    Examples
    --------
    >>> z_check("mean_cost", "mean cost", [1.0, 3.0], 2.0, 1.0, 2)[4:6]
    (0.0, 1.0)
    """
    mom = sample if isinstance(sample, Moments) else Moments.of(sample)
    sim = mom.mean
    if sd_exact is None:  # no exact second moment: the plug-in SD
        sd_exact = mom.sd
    se = sd_exact / math.sqrt(n)
    tol = 1e-9 * (1 + abs(exact))
    diff = sim - exact
    if se <= tol:
        same = abs(diff) <= tol
        z = 0.0 if same else math.copysign(math.inf, diff)
        p = 1.0 if same else 0.0
    else:
        z = diff / se
        from scipy import stats

        p = float(2 * stats.norm.sf(abs(z)))
    if name == "mean":  # a rate: in percent, as every text report gives rates
        detail = (f"simulated {100 * sim:.4f}% vs exact {100 * float(exact):.4f}%: off by "
                  f"{100 * diff:+.4f} percentage points, z = {z_text(z)}")
    else:
        detail = (f"simulated {sim:.6g} vs exact {exact:.6g}{unit} per review period: off by "
                  f"{diff:+.4g}, z = {z_text(z)}")
    return (name, desc, sim, float(exact), z, p, detail)


def binomial_check(name, desc, k, exact, n):
    """The exact two-sided binomial test of k of n runs against the probability ``exact``
    (its z-score says by how much); a probability of 0 or 1 rejects exactly when the runs
    differ from it. Returns the check tuple (module docstring).

    Examples
    --------
    >>> binomial_check("p_bonus", "P(bonus)", 0, 0.0, 10)[4:6]
    (0.0, 1.0)
    """
    sim = k / n
    p0 = min(max(exact, 0.0), 1.0)
    if p0 <= 0 or p0 >= 1:
        same = (k == 0) if p0 <= 0 else (k == n)
        z = 0.0 if same else math.copysign(math.inf, sim - p0)
        p = 1.0 if same else 0.0
    else:
        z = (sim - p0) / math.sqrt(p0 * (1 - p0) / n)
        from scipy import stats

        p = float(stats.binomtest(int(k), n, p0).pvalue)
    detail = (f"simulated {100 * sim:.4g}% vs exact {100 * p0:.4g}% ({k} of {n} runs): "
              f"z = {z_text(z)}")
    return (name, desc, sim, p0, z, p, detail)


def z_text(z) -> str:
    """A z-score with its sign, never "-0".

    Examples
    --------
    >>> z_text(-0.0), z_text(-1.25)
    ('+0', '-1.25')
    """
    text = f"{z + 0.0:+.3g}"
    return "+0" if text == "-0" else text


def check_alpha(alpha) -> float:
    """``alpha`` as a float in (0, 1).

    Raises
    ------
    SimulationError
        Naming ``alpha`` and the rule.

    Examples
    --------
    >>> check_alpha("0.05")
    0.05
    """
    try:
        a = float(alpha)
    except (TypeError, ValueError):
        raise SimulationError(f"alpha: must be a number in (0, 1), got {alpha!r}") from None
    if not 0 < a < 1:
        raise SimulationError(f"alpha: must lie in (0, 1), got {alpha!r}")
    return a
