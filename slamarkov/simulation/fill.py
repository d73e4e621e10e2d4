r"""Simulating a fill-rate policy and testing the simulation against the exact distribution
(docs/model.md sections 7 and 14).

Each run is one review period: in period i a run in state (D, F[, x]) orders up to the policy's
y, demand d is drawn, :math:`\min(d, y)` units are filled, and the run moves to
(D + d, F + min(d, y)[, (y - d)^+]). Per run the simulator records ``demand_total`` D,
``filled_total`` F and ``fill_rate`` F / D (1 when D = 0). Vectorised over runs, looped over
periods.

:func:`validate_fill` compares the simulated fill rates with the exact distribution by the
Dvoretzky-Kiefer-Wolfowitz bound on the largest gap between the empirical and the exact CDF,
:math:`P(\sup |F_n - F| > \varepsilon) \le 2 e^{-2 n \varepsilon^2}`: it holds for any
distribution (for a discrete one it is conservative), so a correct simulator passes at least at
the nominal rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import SimulationError

__all__ = ["simulate_fill", "FillRuns", "validate_fill", "FillValidation", "read_fill_runs"]


@dataclass(frozen=True)
class FillRuns:
    """Simulated review periods of a fill-rate policy: per run the units demanded, the units
    filled and the fill rate."""

    demand_total: np.ndarray
    filled_total: np.ndarray

    @property
    def fill_rate(self) -> np.ndarray:
        """F / D per run (1 when D = 0)."""
        D = self.demand_total
        return np.where(D == 0, 1.0, self.filled_total / np.maximum(D, 1))


def simulate_fill(policy, runs: int, seed: int = 0) -> FillRuns:
    """Simulate ``runs`` review periods of a fill-rate policy from the start of the review period.

    Raises
    ------
    SimulationError
        On a policy of a ready-rate contract, or a run whose total demand leaves the range the
        policy's states hold (probability below the float-mode cut, 1e-12).

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform, Policy, Problem
    >>> prob = Problem(Contract(3, 0.8, 1, measure="fill-rate"), DiscreteUniform(0, 2), 1)
    >>> r = simulate_fill(Policy.constant(prob, 2), 1000, seed=1)
    >>> bool((r.filled_total == r.demand_total).all()), r.fill_rate.shape
    (True, (1000,))
    """
    if not getattr(policy, "fills", False):
        raise SimulationError("policy: simulate_fill needs the policy of a fill-rate contract")
    runs = int(runs)
    if runs < 1:
        raise SimulationError(f"runs: must be >= 1, got {runs}")
    space = policy.space
    score = space.score
    demand = policy.problem.demand
    rng = np.random.default_rng(seed)
    index = np.zeros(runs, dtype=np.int64)
    x = np.full(runs, int(space.initial_stock), dtype=np.int64)
    D = np.zeros(runs, dtype=np.int64)
    F = np.zeros(runs, dtype=np.int64)
    for i in range(1, space.T + 1):
        layer = np.asarray(policy.layer(i), dtype=np.int64)
        y = layer[index, space.columns(i, x)]
        d = np.asarray(demand.sample(rng, runs), dtype=np.int64)
        try:
            index = score.step(i, index, y, d)
        except ValueError as exc:
            raise SimulationError(str(exc)) from None
        f = np.minimum(d, y)
        D += d
        F += f
        x = space.stock_after(y, d)
    return FillRuns(D, F)


@dataclass(frozen=True)
class FillValidation:
    """The largest gap between the empirical and the exact CDF of FR, its DKW p-value, and
    whether the simulation passes at the level."""

    statistic: float
    p_value: float
    runs: int
    passed: bool


def validate_fill(distribution, simulated, level: float = 0.01) -> FillValidation:
    r"""Test simulated fill rates against an exact :class:`FillRateDistribution`.

    The statistic is :math:`\sup_v |F_n(v) - F(v)|` (both CDFs are steps, so it is taken at
    the values of FR and just below them; simulated rates fall on the exact values exactly), and
    the p-value :math:`\min(1, 2 e^{-2 n s^2})`.

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform, Policy, Problem
    >>> prob = Problem(Contract(3, 0.8, 1, measure="fill-rate"), DiscreteUniform(0, 3), 1)
    >>> pol = Policy.constant(prob, 2)
    >>> validate_fill(pol.fill_rate(), simulate_fill(pol, 20000, seed=3)).passed
    True
    """
    if not 0 < level < 1:
        raise SimulationError(f"level: must lie in (0, 1), got {level}")
    D = np.asarray(simulated.demand_total, dtype=np.int64)
    F = np.asarray(simulated.filled_total, dtype=np.int64)
    n = D.shape[0]
    # F/D and a/b equal as rationals round to the same double (one correctly rounded division
    # of exact integers), and distinct rates with these denominators are far apart in double:
    # sorting and searching in double places every simulated rate exactly
    rate = np.where(D == 0, 1.0, F / np.maximum(D, 1))
    rate.sort()
    values = distribution.numerators / distribution.denominators
    at_or_below = np.searchsorted(rate, values, side="right") / n  # F_n at each value
    below = np.searchsorted(rate, values, side="left") / n  # F_n just below it
    cdf = np.cumsum(np.asarray(distribution.pmf, dtype=np.float64))
    left = np.r_[0.0, cdf[:-1]]
    # both CDFs are step functions: the sup of the gap is at a value or just below one
    stat = float(max(np.abs(at_or_below - cdf).max(initial=0.0),
                     np.abs(below - left).max(initial=0.0),
                     1.0 - (at_or_below[-1] if at_or_below.size else 0.0)))
    p = min(1.0, 2 * math.exp(-2 * n * stat * stat))
    return FillValidation(stat, p, n, p >= level)


def read_fill_runs(path) -> FillRuns:
    """Read a fill-rate runs file (``simulate`` on a fill-rate contract): a header naming
    ``demand_total`` and ``filled_total`` (other columns ignored), one run a line.

    Raises
    ------
    SimulationError
        One line naming the file, the line and the rule: a missing column, a value that is not a
        non-negative integer, filled above demand, or no runs.

    Examples
    --------
    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "runs.csv")
    ...     with open(p, "w") as f:
    ...         _ = f.write("run,demand_total,filled_total,fill_rate\\n1,4,3,0.75\\n")
    ...     read_fill_runs(p).fill_rate.tolist()
    [0.75]
    """
    from ..io.files import read_text

    lines = read_text(path, "a runs file", SimulationError).splitlines()
    rows = [(k, line) for k, line in enumerate(lines, start=1) if line.strip()
            and not line.startswith("#")]
    if not rows:
        raise SimulationError(f"{path}: empty; the first line must be a header with "
                              "demand_total,filled_total")
    header = [x.strip() for x in rows[0][1].split(",")]
    for name in ("demand_total", "filled_total"):
        if name not in header:
            raise SimulationError(f"{path} line {rows[0][0]}: missing column {name!r} (a "
                                  "fill-rate runs file)")
    a, b = header.index("demand_total"), header.index("filled_total")
    D, F = [], []
    for k, line in rows[1:]:
        cells = [x.strip() for x in line.split(",")]
        if len(cells) != len(header):
            raise SimulationError(f"{path} line {k}: expected {len(header)} fields, got "
                                  f"{len(cells)}")
        for name, text in (("demand_total", cells[a]), ("filled_total", cells[b])):
            if not text.isdigit():
                raise SimulationError(f"{path} line {k}: {name} must be a non-negative integer "
                                      f"(units), got {text!r}")
        d, f = int(cells[a]), int(cells[b])
        if f > d:
            raise SimulationError(f"{path} line {k}: filled_total must not exceed demand_total, "
                                  f"got {f} > {d}")
        D.append(d)
        F.append(f)
    if not D:
        raise SimulationError(f"{path}: no runs")
    return FillRuns(np.array(D, dtype=np.int64), np.array(F, dtype=np.int64))
