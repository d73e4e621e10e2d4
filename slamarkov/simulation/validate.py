r"""Validation of simulated runs against the exact chain of a policy (docs/model.md sections 6 and 7).

The exact chain gives the distribution of the ready count :math:`v_T` (row (1, 0) of the
absorption matrix) and, by one forward pass over the stages, the mean and variance of the costs.
A set of n runs, from :func:`~slamarkov.simulation.simulate.simulate` or from a runs file a user brings,
is tested against them with these checks:

``dkw_band``
    The largest gap :math:`D = \max_v |\hat F_n(v) - F(v)|` between the empirical and the exact
    CDF of the ready count (the ready rate's CDF, rescaled). The Dvoretzky-Kiefer-Wolfowitz
    inequality (Massart's constant) gives the conservative p-value
    :math:`\min(1, 2 e^{-2 n D^2})`, valid for discrete distributions too.
``chi_square``
    Pearson's goodness-of-fit test on the ready-count pmf. Adjacent ready counts are pooled,
    from v = 0 upwards, until each cell expects at least 5 runs; the degrees of freedom are the
    cells less one. A run at a ready count the chain cannot reach (exact probability 0)
    rejects outright (statistic infinite, p-value 0).
``mean``
    The z-score of the mean ready rate, :math:`z = (\bar\alpha - E\alpha)/(\sigma/\sqrt n)`
    with the exact :math:`\sigma`.
``p_penalty``, ``p_bonus``
    Exact two-sided binomial tests of the share of runs with a penalty (bonus) against the exact
    probability; the z-score :math:`(\hat p - p)/\sqrt{p(1-p)/n}` says by how much.
``mean_holding_cost``, ``mean_settlement``, ``mean_cost``
    When the runs carry these columns: z-scores of the mean per review period against the
    exact mean, with the exact standard deviation.

A check whose exact standard error is zero (a constant) rejects exactly when the runs differ
from the constant, with p-value 0 or 1. The checks are combined into one verdict with the
**Bonferroni** correction: with k checks, each rejects at level :math:`\alpha/k`, so the chance
that a correct simulator is called inconsistent is at most :math:`\alpha` (up to the normal
approximation of the z-tests and the chi-square approximation, both accurate at the study's
n = 18,445).

One concern, one module, although a long one: the judge of simulated runs, from the exact
yardstick through the checks to the report of the verdict, for runs in memory and runs streamed
from a file alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..chain.absorbing import AbsorbingChain
from ..chain.policy import Policy
from ..errors import SimulationError
from ..model.contract import Contract
from ..solve.results import DynamicSolution, StaticSolution
from .checks import (
    MIN_EXPECTED,  # noqa: F401  (re-exported: a public name of slamarkov.validate since 0.1)
    Moments,
    binomial_check,
    check_alpha,
    dkw_p_value,
    pooled_chi_square,
    z_check,
)
from .checks import z_text as _z
from .runs import CHUNK_ROWS, SimulationResult, stream_runs

__all__ = ["validate", "validate_runs", "exact_reference", "ExactReference", "ValidationReport",
           "Check", "summarise_runs", "validate_summary", "RunsSummary", "Moments",
           "exact_cost_moments", "cost_checks"]

# -- the exact side -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ExactReference:
    r"""Exact summaries of a policy's review period, the yardstick for simulated runs.

    Attributes
    ----------
    contract : Contract
    pmf : ndarray
        P(v_T = v), v = 0..T (float64).
    mean, sd, p_penalty, p_bonus : float
        Of the ready rate :math:`v_T / T`.
    mean_holding_cost, sd_holding_cost : float
        Of the holding cost per review period, :math:`h \sum_i (S_i - d_i)^+` (an ``sd`` of None,
        in a reference built by hand, makes the check use the runs' own SD).
    mean_settlement, sd_settlement : float
        Of :math:`G(v_T)`.
    mean_cost, sd_cost : float
        Of the total cost per review period; ``mean_cost`` is :math:`V_1(0)` for the dynamic
        policy.
    policy_kind : str
    mean_purchase_cost, sd_purchase_cost : float or None
        Of the purchases less the salvage value of the stock left (docs/model.md section 11);
        None when the model has neither a purchase cost nor a salvage value.
    """

    contract: Contract
    pmf: np.ndarray = field(repr=False)
    mean: float
    sd: float
    p_penalty: float
    p_bonus: float
    mean_holding_cost: float
    sd_holding_cost: float | None
    mean_settlement: float
    sd_settlement: float
    mean_cost: float
    sd_cost: float | None
    policy_kind: str = "user"
    mean_purchase_cost: float | None = None
    sd_purchase_cost: float | None = None

    def to_dict(self) -> dict:
        """The summaries as plain numbers (the pmf as a list).

        Examples
        --------
        >>> from slamarkov import Contract, DiscreteUniform, Policy, Problem
        >>> prob = Problem(Contract(1, 1, 1, penalty=4), DiscreteUniform(0, 1), 2)
        >>> d = exact_reference(Policy.constant(prob, 1)).to_dict()
        >>> d["pmf"], d["mean_holding_cost"], d["sd_holding_cost"], d["mean_cost"]
        ([0.0, 1.0], 1.0, 1.0, 1.0)
        """
        out = {k: getattr(self, k) for k in (
            "mean", "sd", "p_penalty", "p_bonus", "mean_holding_cost", "sd_holding_cost",
            "mean_settlement", "sd_settlement", "mean_cost", "sd_cost")}
        out["pmf"] = self.pmf.tolist()
        return out


def exact_cost_moments(policy: Policy) -> dict:
    """Means and SDs of the holding cost, the settlement, the total cost and (when modelled)
    the purchases less salvage, exactly (:meth:`AbsorbingChain.cost_components`), for a policy
    of either measure.

    Returns
    -------
    dict
        ``{"holding": (mean, sd), "settlement": ..., "total": ...[, "purchase": ...]}``, floats.

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform, Policy, Problem
    >>> prob = Problem(Contract(1, 1, 1, penalty=4), DiscreteUniform(0, 1), 2)
    >>> exact_cost_moments(Policy.constant(prob, 1))["holding"]
    (1.0, 1.0)
    """
    parts = AbsorbingChain(policy).cost_components()
    return {name: (float(mean), math.sqrt(float(var))) for name, (mean, var) in parts.items()}


def exact_reference(source) -> ExactReference:
    r"""The exact summaries that simulated runs of a policy must agree with.

    The ready-count pmf is :meth:`Policy.ready_count` (row (1, 0) of the absorption matrix).
    The cost moments come from one forward pass over the stages (docs/model.md section 6: the
    expected cost is :math:`\sum_s N[(1,0), s]\, h H(S_s) + \sum_v B[(1,0), v] G(v)`); the
    expected total cost of a solver's policy is the solver's own value (:math:`V_1(0)` for the
    dynamic policy, :math:`C(S^*)` for the static one).

    Parameters
    ----------
    source : Policy, DynamicSolution, StaticSolution or ExactReference

    Returns
    -------
    ExactReference

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
    >>> sol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40)
    >>> ref = exact_reference(sol)
    >>> round(ref.mean_cost / 10, 6), round(100 * ref.p_bonus, 4)
    (-1.20155, 96.2415)
    >>> abs(exact_reference(sol.policy).mean_cost - ref.mean_cost) < 1e-9
    True
    """
    if isinstance(source, ExactReference):
        return source
    if getattr(getattr(source, "policy", source), "fills", False):
        raise SimulationError("source: the policy of a fill-rate contract: its reference is "
                              "slamarkov.simulation.fill.fill_reference")
    if isinstance(source, (DynamicSolution, StaticSolution)):
        policy, dist = source.policy, source.ready_rate
        T = source.problem.review_period
        solved_cost = (float(source.value_start) if isinstance(source, DynamicSolution)
                       else float(source.cost_per_period) * T)
        kind = "dynamic" if isinstance(source, DynamicSolution) else "static"
    elif isinstance(source, Policy):
        policy, dist, solved_cost, kind = source, source.ready_count(), None, source.kind
    else:
        raise SimulationError("source: must be a Policy, a DynamicSolution or a StaticSolution")
    moments = exact_cost_moments(policy)
    (mean_h, sd_h), (mean_g, sd_g), (mean_c, sd_c) = (
        moments["holding"], moments["settlement"], moments["total"])
    mean_p, sd_p = moments.get("purchase", (None, None))
    return ExactReference(
        contract=policy.problem.contract,
        pmf=np.asarray(dist.pmf, dtype=np.float64),
        mean=float(dist.mean),
        sd=float(dist.sd),
        p_penalty=float(dist.p_penalty),
        p_bonus=float(dist.p_bonus),
        mean_holding_cost=mean_h,
        sd_holding_cost=sd_h,
        mean_settlement=mean_g,
        sd_settlement=sd_g,
        mean_cost=solved_cost if solved_cost is not None else mean_c,
        sd_cost=sd_c,
        policy_kind=kind,
        mean_purchase_cost=mean_p,
        sd_purchase_cost=sd_p,
    )


# -- the report ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Check:
    """One statistic of a validation.

    Attributes
    ----------
    name : str
        ``dkw_band``, ``chi_square``, ``mean``, ``p_penalty``, ``p_bonus``,
        ``mean_holding_cost``, ``mean_settlement`` or ``mean_cost``.
    description : str
    simulated, exact : float or None
        The simulated and exact values of the summary (None for the distribution tests).
    statistic : float
        D for the DKW band, chi-square for the pmf, z (in standard errors) otherwise.
    p_value : float
    reject : bool
        ``p_value`` below the Bonferroni level of the report.
    detail : str
        One line: by how much the runs disagree, and where.
    """

    name: str
    description: str
    simulated: float | None
    exact: float | None
    statistic: float
    p_value: float
    reject: bool
    detail: str

    def to_dict(self) -> dict:
        """The check as plain JSON-friendly values (infinities as strings).

        Examples
        --------
        >>> Check("mean", "mean ready rate", 0.7, 0.5, float("inf"), 0.0, True, "").to_dict()["statistic"]
        'inf'
        """
        def num(x):
            if x is None or math.isfinite(x):
                return x
            return "inf" if x > 0 else "-inf"
        return {"name": self.name, "description": self.description,
                "simulated": num(self.simulated), "exact": num(self.exact),
                "statistic": num(self.statistic), "p_value": self.p_value,
                "reject": self.reject, "detail": self.detail}


@dataclass(frozen=True)
class ValidationReport:
    """The verdict on a set of runs and the statistics behind it.

    Attributes
    ----------
    runs : int
    alpha : float
        The family-wise significance level.
    level : float
        ``alpha / len(checks)``: each check rejects when its p-value is below it (Bonferroni).
    checks : tuple of Check
    review_period : int
    policy_kind : str
    measure : str
        ``"ready-rate"`` or ``"fill-rate"``: the rate the checks test.

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform, Policy, Problem
    >>> pol = Policy.constant(Problem(Contract(2, 0.5, 1, penalty=10), DiscreteUniform(0, 1), 1), 0)
    >>> rep = validate_runs(pol, [2] * 100)
    >>> rep.consistent, rep.to_dict()["rejected"][:2], len(rep.checks)
    (False, ['chi_square', 'p_bonus'], 5)
    >>> print(rep.to_text().splitlines()[-1])
      p_penalty: simulated 0% vs exact 25% (0 of 100 runs): z = -5.77
    """

    runs: int
    alpha: float
    level: float
    checks: tuple
    review_period: int
    policy_kind: str = "user"
    measure: str = "ready-rate"

    @classmethod
    def combine(cls, raw, alpha: float, *, runs: int, review_period: int,
                policy_kind: str = "user", measure: str = "ready-rate") -> "ValidationReport":
        """One verdict from check tuples (:mod:`slamarkov.simulation.checks`) by the
        **Bonferroni** rule: with k checks each rejects when its p-value is below ``alpha / k``.

        Examples
        --------
        >>> rep = ValidationReport.combine([("mean", "mean", 0.5, 0.5, 0.0, 1.0, ""),
        ...                                 ("p_bonus", "P(bonus)", 0.0, 0.5, -3.0, 0.004, "")],
        ...                                0.01, runs=10, review_period=2)
        >>> rep.level, rep.rejected
        (0.005, ('p_bonus',))
        """
        level = alpha / len(raw)
        checks = tuple(Check(name, desc, sim, ex, stat, p, p < level, detail)
                       for name, desc, sim, ex, stat, p, detail in raw)
        return cls(runs=runs, alpha=alpha, level=level, checks=checks,
                   review_period=review_period, policy_kind=policy_kind, measure=measure)

    @property
    def consistent(self) -> bool:
        """True when no check rejects."""
        return not any(c.reject for c in self.checks)

    @property
    def rejected(self) -> tuple:
        """Names of the checks that reject, worst (smallest p-value) first."""
        bad = sorted((c for c in self.checks if c.reject), key=lambda c: c.p_value)
        return tuple(c.name for c in bad)

    def check(self, name: str) -> Check:
        """The check called ``name``."""
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_dict(self) -> dict:
        """The report as a JSON document (a fill-rate report starts with ``"measure":
        "fill-rate"``; a ready-rate report has no ``measure`` key, as before)."""
        head = {} if self.measure == "ready-rate" else {"measure": self.measure}
        return {
            **head,
            "consistent": self.consistent,
            "rejected": list(self.rejected),
            "runs": self.runs,
            "review_period": self.review_period,
            "policy": self.policy_kind,
            "alpha": self.alpha,
            "level": self.level,
            "correction": "bonferroni",
            "checks": [c.to_dict() for c in self.checks],
        }

    def to_text(self) -> str:
        """A readable table of the checks and the verdict, naming what disagrees."""
        lines = [
            f"{self.runs} runs against the exact chain of the {self.policy_kind} policy "
            f"(T = {self.review_period})"
            + ("" if self.measure == "ready-rate" else f", measure {self.measure} (F/D in units)"),
            f"alpha = {self.alpha:g}, Bonferroni over {len(self.checks)} checks: each rejects "
            f"when p < {self.level:.3g}",
            "",
            "rates and probabilities in percent (%); costs per review period, a negative cost "
            "is a net gain",
            "",
            f"{'check':<21}{'simulated':>12}{'exact':>12}{'statistic':>16}{'p-value':>11}  verdict",
        ]
        for c in self.checks:
            if c.name in _PERCENT_CHECKS:
                label = f"{c.name} (%)"
                sim = "" if c.simulated is None else f"{100 * c.simulated:12.4f}"
                ex = "" if c.exact is None else f"{100 * c.exact:12.4f}"
            else:
                label = c.name
                sim = "" if c.simulated is None else f"{c.simulated:12.6g}"
                ex = "" if c.exact is None else f"{c.exact:12.6g}"
            if c.name == "dkw_band":
                stat = f"D = {c.statistic:.4g}"
            elif c.name == "chi_square":
                stat = f"X2 = {c.statistic:.4g}"
            else:
                stat = f"z = {_z(c.statistic)}"
            lines.append(f"{label:<21}{sim:>12}{ex:>12}{stat:>16}{c.p_value:11.3g}  "
                         f"{'REJECT' if c.reject else 'ok'}")
        lines.append("")
        if self.consistent:
            lines.append("verdict: consistent with the exact chain")
        else:
            lines.append(f"verdict: INCONSISTENT with the exact chain ({', '.join(self.rejected)})")
            for name in self.rejected:
                lines.append(f"  {name}: {self.check(name).detail}")
        return "\n".join(lines)

    def __str__(self):
        return self.to_text()


# -- the checks ---------------------------------------------------------------------------------

def _dkw(counts, ref, n):
    ecdf = np.cumsum(counts) / n
    cdf = np.minimum(np.cumsum(ref.pmf), 1.0)
    gap = np.abs(ecdf - cdf)
    v = int(np.argmax(gap))
    D = float(gap[v])
    p = dkw_p_value(n, D)
    detail = (f"largest CDF gap {D:.4g} at ready count {v} (empirical CDF {100 * ecdf[v]:.2f}%, "
              f"exact {100 * cdf[v]:.2f}%)")
    return ("dkw_band", "DKW band on the empirical CDF of the ready rate", None, None, D, p, detail)


def _chi_square(counts, ref, n):
    desc = "chi-square goodness of fit of the ready-count pmf"
    test = pooled_chi_square(counts, ref.pmf)
    if test.impossible.size:
        where = test.impossible
        k = int(counts[where].sum())
        detail = (f"{k} run(s) at ready count(s) the chain cannot reach "
                  f"({', '.join(map(str, where[:5].tolist()))}{', ...' if len(where) > 5 else ''})")
        return ("chi_square", desc, None, None, math.inf, 0.0, detail)
    if test.worst is None:
        return ("chi_square", desc, None, None, 0.0, 1.0,
                "one cell after pooling: the pmf has nothing to test at this number of runs")
    lo, hi, obs, exp = test.cells[test.worst]
    span = f"ready count {lo}" if lo == hi else f"ready counts {lo}..{hi}"
    detail = (f"X2 = {test.statistic:.4g} on {test.df} df; largest part at {span}: observed "
              f"{obs}, expected {exp:.1f}")
    return ("chi_square", desc, None, None, test.statistic, test.p_value, detail)


#: checks whose values are rates or probabilities: shown in percent in the text report
_PERCENT_CHECKS = ("mean", "p_penalty", "p_bonus")


def _column(values, name, n):
    if values is None:
        return None
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (n,):
        raise SimulationError(f"{name}: must have one entry per run ({n}), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise SimulationError(f"{name}: must be finite")
    return arr


def validate_runs(source, ready_count, *, holding_cost=None, settlement=None, total_cost=None,
                  purchase_cost=None, alpha=0.01) -> ValidationReport:
    r"""Test simulated runs against the exact chain of a policy and give one verdict.

    The checks (module docstring) are the DKW band, the chi-square test of the ready-count pmf,
    the z-score of the mean ready rate, binomial tests of P(penalty) and P(bonus), and, for each
    cost column given, the z-score of its mean. They are combined with the **Bonferroni**
    correction: with k checks each rejects at level ``alpha / k``, and the runs are called
    inconsistent when any check rejects, so a correct simulator is rejected with probability at
    most ``alpha`` (asymptotically, for the z and chi-square checks).

    Parameters
    ----------
    source : Policy, DynamicSolution, StaticSolution or ExactReference
        The policy whose exact chain is the yardstick.
    ready_count : array_like of int
        :math:`v_T` per run, each in 0..T.
    holding_cost, settlement, total_cost, purchase_cost : array_like, optional
        Per-run costs of the review period; each given column is tested (``purchase_cost``, the
        purchases less the salvage value, only when the model has them: with neither a purchase
        cost nor a salvage value there is nothing to test it against).
    alpha : float, default 0.01
        Family-wise significance level, 0 < alpha < 1.

    Returns
    -------
    ValidationReport

    Raises
    ------
    SimulationError
        On no runs, ready counts outside 0..T or not integers, cost columns of the wrong
        length or not finite, or alpha outside (0, 1).

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform, Policy, Problem
    >>> prob = Problem(Contract(2, 0.5, 1, penalty=10), DiscreteUniform(0, 1), 1)
    >>> pol = Policy.constant(prob, 0)          # ready with probability 1/2 each period
    >>> rep = validate_runs(pol, [0] * 25 + [1] * 50 + [2] * 25)
    >>> rep.consistent, rep.check("chi_square").statistic, rep.check("mean").statistic
    (True, 0.0, 0.0)
    >>> validate_runs(pol, [0] * 30 + [1] * 45 + [2] * 25).consistent
    True
    >>> rep = validate_runs(pol, [0] * 10 + [1] * 40 + [2] * 50)
    >>> rep.consistent, sorted(rep.rejected)
    (False, ['chi_square', 'dkw_band', 'mean', 'p_bonus', 'p_penalty'])
    """
    a = check_alpha(alpha)
    ref = exact_reference(source)
    T = ref.contract.review_period
    v = np.asarray(ready_count)
    if v.ndim != 1 or v.shape[0] == 0:
        raise SimulationError("ready_count: must be a non-empty list of ready counts, one per run")
    if v.dtype.kind not in "iu":
        vf = np.asarray(v, dtype=np.float64)
        if not np.all(np.isfinite(vf)) or np.any(vf != np.floor(vf)):
            raise SimulationError("ready_count: must be integers")
        v = vf.astype(np.int64)
    if v.min() < 0 or v.max() > T:
        bad = int(v[(v < 0) | (v > T)][0])
        raise SimulationError(f"ready_count: {bad} is outside 0..T = 0..{T}")
    n = int(v.shape[0])
    columns = {"mean_holding_cost": _column(holding_cost, "holding_cost", n),
               "mean_settlement": _column(settlement, "settlement", n),
               "mean_cost": _column(total_cost, "total_cost", n),
               "mean_purchase_cost": _column(purchase_cost, "purchase_cost", n)}
    counts = np.bincount(v, minlength=T + 1)
    moments = {name: Moments.of(col) for name, col in columns.items() if col is not None}
    return _verdict(ref, counts, moments, a)


def _ready_moments(counts, T) -> Moments:
    """Moments of the ready rate v/T from the counts of each v (no per-run array)."""
    n = int(counts.sum())
    rates = np.arange(T + 1) / T
    mean = float((counts * rates).sum() / n)
    return Moments(n, mean, float((counts * (rates - mean) ** 2).sum()))


def cost_checks(reference: ExactReference, moments: dict, n: int) -> list:
    """The z-score checks of the cost columns a set of runs carries (``mean_holding_cost``,
    ``mean_purchase_cost``, ``mean_settlement``, ``mean_cost``) against an exact reference; one
    home for both measures (a fill-rate reference carries the same cost moments).

    Parameters
    ----------
    reference : ExactReference
    moments : dict
        Check name -> :class:`Moments` of the column it tests (absent: not tested).
    n : int
        The number of runs.

    Returns
    -------
    list of check tuples (:mod:`slamarkov.simulation.checks`), in the order the parts add up.

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform, Policy, Problem
    >>> ref = exact_reference(Policy.constant(
    ...     Problem(Contract(1, 1, 1, penalty=4), DiscreteUniform(0, 1), 2), 1))
    >>> [c[0] for c in cost_checks(ref, {"mean_cost": Moments.of([0.0, 2.0])}, 2)]
    ['mean_cost']
    """
    ref = reference
    costs = {
        "mean_holding_cost": (moments.get("mean_holding_cost"), ref.mean_holding_cost,
                              ref.sd_holding_cost, "mean holding cost per review period"),
        "mean_settlement": (moments.get("mean_settlement"), ref.mean_settlement,
                            ref.sd_settlement, "mean settlement per review period"),
        "mean_cost": (moments.get("mean_cost"), ref.mean_cost, ref.sd_cost,
                      "mean total cost per review period"),
    }
    if moments.get("mean_purchase_cost") is not None and ref.mean_purchase_cost is not None:
        # listed before the settlement, so that the parts read in order add up to the total
        costs = {"mean_holding_cost": costs["mean_holding_cost"],
                 "mean_purchase_cost": (moments["mean_purchase_cost"], ref.mean_purchase_cost,
                                        ref.sd_purchase_cost,
                                        "mean purchases less salvage per review period"),
                 "mean_settlement": costs["mean_settlement"], "mean_cost": costs["mean_cost"]}
    return [z_check(name, desc, col, exact, sd, n)
            for name, (col, exact, sd, desc) in costs.items() if col is not None]


def _verdict(ref, counts, moments, a) -> ValidationReport:
    """The checks on the ready-count histogram ``counts`` and the cost columns' moments."""
    T = ref.contract.review_period
    n = int(counts.sum())
    c = ref.contract
    raw = [
        _dkw(counts, ref, n),
        _chi_square(counts, ref, n),
        z_check("mean", "mean ready rate", _ready_moments(counts, T), ref.mean, ref.sd, n),
    ]
    if c.penalty_count > 0:  # otherwise no run can be penalised: nothing to test
        raw.append(binomial_check("p_penalty", "P(ready rate < penalty threshold)",
                                  int(counts[: c.penalty_count].sum()), ref.p_penalty, n))
    if c.bonus_count <= T:
        raw.append(binomial_check("p_bonus", "P(ready rate >= bonus threshold)",
                                  int(counts[c.bonus_count:].sum()), ref.p_bonus, n))
    raw += cost_checks(ref, moments, n)
    return ValidationReport.combine(raw, a, runs=n, review_period=T, policy_kind=ref.policy_kind)


def validate(source, runs: SimulationResult, *, alpha=0.01) -> ValidationReport:
    """Test a :class:`~slamarkov.simulation.simulate.SimulationResult` (simulated or read from a runs file)
    against the exact chain of ``source``; see :func:`validate_runs`. Runs of a fill-rate policy
    (:class:`~slamarkov.simulation.fill.FillRuns`) are refused, naming
    :func:`~slamarkov.simulation.fill.validate_fill_runs`.

    Raises
    ------
    SimulationError
        When the runs belong to a contract with another review period, or as
        :func:`validate_runs`.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_static
    >>> from slamarkov.simulation.simulate import simulate
    >>> sol = solve_static(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40)
    >>> rep = validate(sol, simulate(sol.policy, 5000, seed=3))
    >>> rep.consistent, len(rep.checks)
    (True, 8)
    """
    if hasattr(runs, "filled_total"):  # fill.py builds on this module: no import of it here
        raise SimulationError("runs: of a fill-rate policy (units demanded and filled); "
                              "validate them with slamarkov.simulation.fill.validate_fill_runs")
    if not isinstance(runs, SimulationResult):
        raise SimulationError("runs: must be a SimulationResult (from simulate or read_runs)")
    ref = exact_reference(source)
    if runs.review_period != ref.contract.review_period:
        raise SimulationError(
            f"runs: simulated with T = {runs.review_period}, the policy has "
            f"T = {ref.contract.review_period}")
    return validate_runs(ref, runs.ready_count, holding_cost=runs.holding_cost,
                         settlement=runs.settlement, total_cost=runs.total_cost,
                         purchase_cost=runs.purchase_cost, alpha=alpha)


#: the runs file's cost columns and the checks that test them
_FILE_COLUMNS = {"holding_cost": "mean_holding_cost", "settlement": "mean_settlement",
                 "purchase_cost": "mean_purchase_cost",
                 "total_cost": "mean_cost"}


class RunsSummary:
    """What validation needs of a runs file, read in one streaming pass: the ready-count
    histogram (T + 1 numbers) and the moments of each cost column; memory proportional to T,
    not to the number of runs.

    Attributes
    ----------
    contract : Contract
    counts : ndarray
        Runs per final ready count v = 0..T.
    moments : dict
        Check name -> :class:`Moments` of the cost column it tests.
    provenance : dict or None
        The file's ``# slamarkov simulate:`` record.
    """

    def __init__(self, contract, counts, moments, provenance=None):
        self.contract, self.counts, self.moments = contract, counts, moments
        self.provenance = provenance

    @property
    def runs(self) -> int:
        return int(self.counts.sum())

    @property
    def review_period(self) -> int:
        return self.contract.review_period


def summarise_runs(path, contract, *, chunk_rows=None, engine="auto") -> RunsSummary:
    """Read a runs file in chunks into a :class:`RunsSummary`, with the rules of
    :func:`~slamarkov.simulation.runs.read_runs` (one line naming the line, column and rule).

    Only the columns tested are converted (``ready_count``/``ready_rate`` and the cost columns);
    a chunk of rows at a time is held in memory. ``engine`` picks the reader
    (:func:`~slamarkov.simulation.runs.stream_runs`: pyarrow's when installed, else Python's
    csv; the same summary to the bit).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from slamarkov import Contract
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d) / "runs.csv"
    ...     _ = p.write_text("run,ready_count,total_cost\\n1,1,3\\n2,2,5\\n")
    ...     s = summarise_runs(p, Contract(2, 0.5, 1))
    >>> s.counts.tolist(), s.runs, s.moments["mean_cost"].mean
    ([0, 1, 1], 2, 4.0)
    """

    T = contract.review_period
    counts = np.zeros(T + 1, dtype=np.int64)
    moments = {}
    made = None
    for made, chunk in stream_runs(path, contract, chunk_rows or CHUNK_ROWS, engine=engine):
        counts += np.bincount(chunk["ready_count_int"], minlength=T + 1)
        for col, check in _FILE_COLUMNS.items():
            if col in chunk:
                moments.setdefault(check, Moments()).add(chunk[col])
    return RunsSummary(contract, counts, moments, made)


def validate_summary(source, summary: RunsSummary, *, alpha=0.01) -> ValidationReport:
    """Test a :class:`RunsSummary` (a runs file read by :func:`summarise_runs`) against the exact
    chain of ``source``; the same checks as :func:`validate_runs`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from slamarkov import Contract, DiscreteUniform, Policy, Problem
    >>> prob = Problem(Contract(2, 0.5, 1, penalty=10), DiscreteUniform(0, 1), 1)
    >>> pol = Policy.constant(prob, 0)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d) / "runs.csv"
    ...     _ = p.write_text("ready_count\\n" + "0\\n" * 25 + "1\\n" * 50 + "2\\n" * 25)
    ...     rep = validate_summary(pol, summarise_runs(p, prob.contract))
    >>> rep.consistent, rep.runs
    (True, 100)
    """
    a = check_alpha(alpha)
    ref = exact_reference(source)
    if summary.review_period != ref.contract.review_period:
        raise SimulationError(
            f"runs: simulated with T = {summary.review_period}, the policy has "
            f"T = {ref.contract.review_period}")
    return _verdict(ref, summary.counts, summary.moments, a)

