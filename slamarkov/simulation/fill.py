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

:func:`validate_fill_runs` is the full validation, the checks of the ready rate's
(:mod:`slamarkov.simulation.validate`, docs/model.md section 7) on the fill rate:

``dkw_band``
    The DKW test above.
``chi_square``
    Pearson's test of the runs per exact value of FR (a fraction F/D in lowest terms) against
    the exact pmf, adjacent values pooled upwards until each cell expects at least 5 runs
    (:func:`~slamarkov.simulation.checks.pooled_chi_square`); a run at a value the chain gives
    probability 0 (or, in float mode, one beyond the cut of the totals) rejects outright.
``mean``
    The z-score of the mean FR against the exact mean and SD.
``p_penalty``, ``p_bonus``
    Exact two-sided binomial tests of the shares of runs with FR < alpha_L (when alpha_L > 0)
    and FR >= alpha_U, each run's band decided exactly on its integers (F, D).
``mean_holding_cost``, ``mean_purchase_cost``, ``mean_settlement``, ``mean_cost``
    When the runs carry them (``simulate`` writes them): z-scores against the chain's exact
    means and SDs (:meth:`~slamarkov.chain.absorbing.AbsorbingChain.cost_components`).

The k checks are combined by the Bonferroni rule (each rejects at alpha / k), so a correct
simulator is called inconsistent with probability at most alpha, up to the normal and
chi-square approximations.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np

from ..core.numbers import whole_number
from ..errors import SimulationError
from ..model.fill import fill_band, fill_settlement
from .checks import (
    Moments,
    binomial_check,
    check_alpha,
    dkw_p_value,
    pooled_chi_square,
    z_check,
)
from .runs import PROVENANCE_PREFIX, estimates_dict, provenance, rate_summary, read_provenance
from .validate import ExactReference, ValidationReport, cost_checks, exact_cost_moments

__all__ = ["simulate_fill", "FillRuns", "validate_fill", "FillValidation", "read_fill_runs",
           "fill_reference", "validate_fill_runs", "FILL_RUNS_COLUMNS"]

#: the columns of a fill-rate runs file, in order (``purchase_cost`` only when stock has a price)
FILL_RUNS_COLUMNS = ("run", "demand_total", "filled_total", "fill_rate", "holding_cost",
                     "purchase_cost", "settlement", "total_cost")

#: the runs' cost columns and the checks that test them
_COST_CHECKS = {"holding_cost": "mean_holding_cost", "purchase_cost": "mean_purchase_cost",
                "settlement": "mean_settlement", "total_cost": "mean_cost"}


@dataclass(frozen=True)
class FillRuns:
    """Simulated review periods of a fill-rate policy: per run the units demanded, the units
    filled and the fill rate, and (from :func:`simulate_fill`, or a runs file that has them) the
    costs of the review period.

    Attributes
    ----------
    demand_total, filled_total : ndarray of int64
        D and F per run.
    holding_cost, purchase_cost, settlement, total_cost : ndarray of float64 or None
        Per run, as the ready rate's runs (:class:`~slamarkov.simulation.runs.SimulationResult`);
        ``purchase_cost`` only when stock has a price.
    seed : int or None
    provenance : dict or None
        The ``# slamarkov simulate:`` record of the problem, policy and seed
        (:func:`~slamarkov.simulation.runs.provenance`).

    Examples
    --------
    >>> r = FillRuns(np.array([4, 0]), np.array([3, 0]))
    >>> r.runs, r.fill_rate.tolist()
    (2, [0.75, 1.0])
    """

    demand_total: np.ndarray
    filled_total: np.ndarray
    holding_cost: np.ndarray | None = None
    purchase_cost: np.ndarray | None = None
    settlement: np.ndarray | None = None
    total_cost: np.ndarray | None = None
    seed: int | None = None
    provenance: dict | None = field(default=None, repr=False, compare=False)

    @property
    def runs(self) -> int:
        """The number of runs n."""
        return int(np.asarray(self.demand_total).shape[0])

    @property
    def fill_rate(self) -> np.ndarray:
        """F / D per run (1 when D = 0)."""
        D = self.demand_total
        return np.where(D == 0, 1.0, self.filled_total / np.maximum(D, 1))

    def summary(self, contract) -> dict:
        """Simulated summaries as the ready rate's runs give them
        (:func:`~slamarkov.simulation.runs.rate_summary`): the mean and SD of the fill rate,
        P(penalty) and P(bonus) (F/D against the contract's thresholds, compared exactly) and
        the mean of each cost column present.

        Examples
        --------
        >>> from slamarkov import Contract
        >>> r = FillRuns(np.array([4, 2]), np.array([3, 2]))
        >>> s = r.summary(Contract(2, 0.8, 1, penalty=1, measure="fill-rate"))
        >>> s["mean"].value, s["p_penalty"].value, s["p_bonus"].value
        (0.875, 0.5, 0.5)
        """
        return rate_summary(self.fill_rate, fill_band(contract, self.demand_total,
                                                      self.filled_total), {
            "mean_holding_cost": self.holding_cost, "mean_purchase_cost": self.purchase_cost,
            "mean_settlement": self.settlement, "mean_cost": self.total_cost})

    def summary_dict(self, contract) -> dict:
        """:meth:`summary` as plain numbers, ``{key: {"value", "se"}}``."""
        return estimates_dict(self.summary(contract))

    def csv_text(self) -> str:
        """The runs file: the provenance line (when known), then
        ``run,demand_total,filled_total,fill_rate`` and the cost columns recorded; floats in
        their shortest round-trip form.

        Examples
        --------
        >>> print(FillRuns(np.array([4]), np.array([3]), np.array([1.5]), None,
        ...                np.array([2.0]), np.array([3.5])).csv_text(), end="")
        run,demand_total,filled_total,fill_rate,holding_cost,settlement,total_cost
        1,4,3,0.75,1.5,2.0,3.5
        """
        cols = {"run": np.arange(1, self.runs + 1), "demand_total": self.demand_total,
                "filled_total": self.filled_total, "fill_rate": self.fill_rate}
        for name in FILL_RUNS_COLUMNS[4:]:
            if getattr(self, name) is not None:
                cols[name] = getattr(self, name)
        head = ""
        if self.provenance is not None:
            head = f"{PROVENANCE_PREFIX}{json.dumps(self.provenance, separators=(',', ':'))}\n"
        rows = zip(*(c.tolist() for c in cols.values()))
        return (head + ",".join(cols) + "\n"
                + "".join(",".join(map(repr, row)) + "\n" for row in rows))


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
    problem = policy.problem
    demand = problem.demand
    rng = np.random.default_rng(seed)
    index = np.zeros(runs, dtype=np.int64)
    x = np.full(runs, int(space.initial_stock), dtype=np.int64)
    D = np.zeros(runs, dtype=np.int64)
    F = np.zeros(runs, dtype=np.int64)
    # integer units add up exactly; the prices are applied once at the end (as simulate does)
    leftover = np.zeros(runs, dtype=np.int64)
    priced = bool(problem.purchase_cost or problem.salvage_value)
    bought = np.zeros(runs, dtype=np.int64)
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
        leftover += np.maximum(y - d, 0)
        # docs/model.md section 11: c (y - x)^+ bought now and c (d - y)^+ backordered
        bought += np.maximum(y - x, 0) + np.maximum(d - y, 0)
        x = space.stock_after(y, d)
    holding = leftover * float(problem.holding_cost)
    settlement = np.asarray(fill_settlement(problem.contract, D, F), dtype=np.float64)
    purchase = None
    if priced:  # the stock left after period T is sold back (none is left when thrown away)
        purchase = bought * float(problem.purchase_cost) - x * float(problem.salvage_value)
    total = holding + settlement if purchase is None else holding + purchase + settlement
    return FillRuns(D, F, holding, purchase, settlement, total, seed=int(seed),
                    provenance=provenance(problem, policy.kind, int(seed), runs))


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
    stat, _ = _cdf_gap(distribution, D, F)
    p = dkw_p_value(n, stat)
    return FillValidation(stat, p, n, p >= level)


def _cdf_gap(distribution, D, F):
    """The largest gap between the runs' empirical CDF of FR and the exact CDF, and the value of
    FR where it is (a fraction string; None when it is above every value)."""
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
    at = np.abs(at_or_below - cdf)
    just = np.abs(below - left)
    top = 1.0 - (at_or_below[-1] if at_or_below.size else 0.0)
    stat = float(max(at.max(initial=0.0), just.max(initial=0.0), top))
    where = None
    for gaps, label in ((at, "at"), (just, "just below")):
        if gaps.size and float(gaps.max()) == stat:
            k = int(np.argmax(gaps))
            where = f"{label} fill rate {_fraction(distribution, k)}"
            break
    return stat, where


def _fraction(distribution, k) -> str:
    a, b = int(distribution.numerators[k]), int(distribution.denominators[k])
    return str(a) if b == 1 else f"{a}/{b}"


def _value_index(distribution, D, F) -> np.ndarray:
    """Each run's position among the distribution's values of FR (F/D in lowest terms; D = 0 is
    FR = 1), or -1 when its value is not one of them; exact, on integers."""
    none = D == 0
    g = np.gcd(F, D)
    g[none] = 1
    num = np.where(none, 1, F // g)
    den = np.where(none, 1, D // g)
    nums = np.asarray(distribution.numerators, dtype=np.int64)
    dens = np.asarray(distribution.denominators, dtype=np.int64)
    top = int(max(den.max(initial=1), dens.max(initial=1))) + 1
    keys = nums * top + dens
    order = np.argsort(keys)
    sorted_keys = keys[order]
    want = num * top + den
    if not sorted_keys.size:
        return np.full(D.shape, -1, dtype=np.int64)
    pos = np.minimum(np.searchsorted(sorted_keys, want), sorted_keys.size - 1)
    return np.where(sorted_keys[pos] == want, order[pos], -1)


def fill_reference(source) -> ExactReference:
    r"""The exact summaries that simulated runs of a fill-rate policy must agree with: the FR
    distribution's pmf (over its values, in increasing order), mean, SD, P(penalty), P(bonus),
    and the chain's cost moments (docs/model.md sections 6 and 14).

    Parameters
    ----------
    source : Policy, FillDynamicSolution or FillStaticSolution
        Of a fill-rate contract. A solution's expected cost is the solver's own value.

    Raises
    ------
    SimulationError
        On anything else.

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform, Policy, Problem
    >>> prob = Problem(Contract(1, 0.5, 1, penalty=4, measure="fill-rate"),
    ...                DiscreteUniform(0, 2), 1)
    >>> ref = fill_reference(Policy.constant(prob, 1))
    >>> [round(p, 12) for p in ref.pmf.tolist()], round(ref.mean, 12), round(ref.mean_holding_cost, 12)
    ([0.333333333333, 0.666666666667], 0.833333333333, 0.333333333333)
    """
    return _exact(source)[0]


def _exact(source):
    """:func:`fill_reference` and the FR distribution it summarises."""
    policy = getattr(source, "policy", source)
    if not getattr(policy, "fills", False) or not hasattr(policy, "fill_rate"):
        raise SimulationError("source: must be the policy (or the solution) of a fill-rate "
                              "contract")
    if policy is source:
        dist, solved, kind = policy.fill_rate(), None, policy.kind
    else:
        dist = source.fill_rate
        T = source.problem.review_period
        solved = (float(source.value_start) if hasattr(source, "value_start")
                  else float(source.cost_per_period) * T)
        kind = policy.kind
    moments = exact_cost_moments(policy)
    mean_p, sd_p = moments.get("purchase", (None, None))
    return ExactReference(
        contract=policy.problem.contract,
        pmf=np.asarray([float(p) for p in dist.pmf], dtype=np.float64),
        mean=float(dist.mean), sd=float(dist.sd),
        p_penalty=float(dist.p_penalty), p_bonus=float(dist.p_bonus),
        mean_holding_cost=moments["holding"][0], sd_holding_cost=moments["holding"][1],
        mean_settlement=moments["settlement"][0], sd_settlement=moments["settlement"][1],
        mean_cost=solved if solved is not None else moments["total"][0],
        sd_cost=moments["total"][1], policy_kind=kind,
        mean_purchase_cost=mean_p, sd_purchase_cost=sd_p), dist


def validate_fill_runs(source, runs: FillRuns, *, alpha=0.01) -> ValidationReport:
    """Test simulated runs of a fill-rate policy against its exact chain and give one verdict
    (the checks of the module docstring, Bonferroni over them).

    Parameters
    ----------
    source : Policy, FillDynamicSolution or FillStaticSolution
    runs : FillRuns
        From :func:`simulate_fill` or :func:`read_fill_runs`; cost columns present are tested.
    alpha : float, default 0.01
        Family-wise significance level, 0 < alpha < 1.

    Returns
    -------
    ValidationReport
        With ``measure = "fill-rate"``.

    Raises
    ------
    SimulationError
        On alpha outside (0, 1), no runs, filled above demand, or a bad source.

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform, Policy, Problem
    >>> prob = Problem(Contract(2, 0.5, 1, penalty=4, measure="fill-rate"),
    ...                DiscreteUniform(0, 2), 1)
    >>> pol = Policy.constant(prob, 1)
    >>> rep = validate_fill_runs(pol, simulate_fill(pol, 2000, seed=1))
    >>> rep.consistent, [c.name for c in rep.checks][:5]
    (True, ['dkw_band', 'chi_square', 'mean', 'p_penalty', 'p_bonus'])
    >>> wrong = FillRuns(np.full(2000, 2), np.full(2000, 1))      # FR = 1/2 every run
    >>> sorted(validate_fill_runs(pol, wrong).rejected)
    ['chi_square', 'dkw_band', 'mean', 'p_bonus']
    """
    a = check_alpha(alpha)
    ref, dist = _exact(source)
    D = np.asarray(runs.demand_total, dtype=np.int64)
    F = np.asarray(runs.filled_total, dtype=np.int64)
    n = int(D.shape[0])
    if n == 0:
        raise SimulationError("runs: no runs to validate")
    if D.shape != F.shape or (F > D).any() or (F < 0).any():
        raise SimulationError("runs: filled_total must lie in 0..demand_total in every run")
    c = ref.contract
    stat, where = _cdf_gap(dist, D, F)
    raw = [("dkw_band", "DKW band on the empirical CDF of the fill rate", None, None, stat,
            dkw_p_value(n, stat), f"largest CDF gap {stat:.4g}"
            + (f" {where}" if where else " above every value of FR"))]
    raw.append(_chi_square(dist, ref, D, F, n))
    raw.append(z_check("mean", "mean fill rate", Moments.of(runs.fill_rate), ref.mean, ref.sd,
                       n))
    band = fill_band(c, D, F)
    if c.penalty_threshold > 0:  # otherwise no run can be penalised: nothing to test
        raw.append(binomial_check("p_penalty", "P(fill rate < penalty threshold)",
                                  int(np.count_nonzero(band < 0)), ref.p_penalty, n))
    if c.bonus_threshold <= 1:
        raw.append(binomial_check("p_bonus", "P(fill rate >= bonus threshold)",
                                  int(np.count_nonzero(band > 0)), ref.p_bonus, n))
    moments = {check: Moments.of(getattr(runs, col)) for col, check in _COST_CHECKS.items()
               if getattr(runs, col) is not None}
    raw += cost_checks(ref, moments, n)
    return ValidationReport.combine(raw, a, runs=n, review_period=c.review_period,
                                    policy_kind=ref.policy_kind, measure="fill-rate")


def _chi_square(dist, ref, D, F, n):
    desc = "chi-square goodness of fit of the fill-rate pmf"
    idx = _value_index(dist, D, F)
    outside = idx < 0
    if outside.any():
        k = int(outside.sum())
        r = int(np.flatnonzero(outside)[0])
        detail = (f"{k} run(s) at fill rates the chain gives probability 0 (e.g. F/D = "
                  f"{int(F[r])}/{int(D[r])})")
        return ("chi_square", desc, None, None, math.inf, 0.0, detail)
    counts = np.bincount(idx, minlength=ref.pmf.shape[0])
    test = pooled_chi_square(counts, ref.pmf)
    if test.impossible.size:
        k = int(counts[test.impossible].sum())
        return ("chi_square", desc, None, None, math.inf, 0.0,
                f"{k} run(s) at fill rates the chain gives probability 0 (e.g. "
                f"{_fraction(dist, int(test.impossible[0]))})")
    if test.worst is None:
        return ("chi_square", desc, None, None, 0.0, 1.0,
                "one cell after pooling: the pmf has nothing to test at this number of runs")
    lo, hi, obs, exp = test.cells[test.worst]
    span = (f"fill rate {_fraction(dist, lo)}" if lo == hi
            else f"fill rates {_fraction(dist, lo)}..{_fraction(dist, hi)}")
    detail = (f"X2 = {test.statistic:.4g} on {test.df} df; largest part at {span}: observed "
              f"{obs}, expected {exp:.1f}")
    return ("chi_square", desc, None, None, test.statistic, test.p_value, detail)


def read_fill_runs(path) -> FillRuns:
    """Read a fill-rate runs file (``simulate`` on a fill-rate contract): an optional first line
    ``# slamarkov simulate: {...}`` (the provenance), a header naming ``demand_total`` and
    ``filled_total`` and, when present, the cost columns ``holding_cost``, ``purchase_cost``,
    ``settlement``, ``total_cost`` (other columns ignored), one run a line.

    Raises
    ------
    SimulationError
        One line naming the file, the line and the rule: a missing column, a value that is not a
        non-negative integer, filled above demand, a cost that is not a finite number, or no
        runs.

    Examples
    --------
    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "runs.csv")
    ...     with open(p, "w") as f:
    ...         _ = f.write("run,demand_total,filled_total,fill_rate,total_cost\\n1,4,3,0.75,2.5\\n")
    ...     r = read_fill_runs(p)
    >>> r.fill_rate.tolist(), r.total_cost.tolist(), r.holding_cost
    ([0.75], [2.5], None)
    """
    from ..io.files import read_text

    lines = read_text(path, "a runs file", SimulationError).splitlines()
    made = None
    for k, line in enumerate(lines, start=1):
        if not line.startswith("#"):
            break
        if line.startswith(PROVENANCE_PREFIX):
            made = read_provenance(line[len(PROVENANCE_PREFIX):].strip(), str(path), k)
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
    costs = {name: header.index(name) for name in _COST_CHECKS if name in header}
    D, F = [], []
    values = {name: [] for name in costs}
    for k, line in rows[1:]:
        cells = [x.strip() for x in line.split(",")]
        if len(cells) != len(header):
            raise SimulationError(f"{path} line {k}: expected {len(header)} fields, got "
                                  f"{len(cells)}")
        d, f = whole_number(cells[a]), whole_number(cells[b])
        for name, text, units in (("demand_total", cells[a], d), ("filled_total", cells[b], f)):
            if units is None:
                raise SimulationError(f"{path} line {k}: {name} must be a non-negative integer "
                                      f"(units), got {text!r}")
        if f > d:
            raise SimulationError(f"{path} line {k}: filled_total must not exceed demand_total, "
                                  f"got {f} > {d}")
        D.append(d)
        F.append(f)
        for name, j in costs.items():
            try:
                x = float(cells[j])
            except ValueError:
                x = math.nan
            if not math.isfinite(x):
                raise SimulationError(f"{path} line {k}: {name} must be a finite number, got "
                                      f"{cells[j]!r}")
            values[name].append(x)
    if not D:
        raise SimulationError(f"{path}: no runs")
    cols = {name: np.array(v, dtype=np.float64) for name, v in values.items()}
    return FillRuns(np.array(D, dtype=np.int64), np.array(F, dtype=np.int64),
                    cols.get("holding_cost"), cols.get("purchase_cost"), cols.get("settlement"),
                    cols.get("total_cost"), seed=(made or {}).get("seed"), provenance=made)
