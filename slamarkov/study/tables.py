r"""The study's tables (docs/model.md sections 8, 9 and 11), computed exactly.

Each takes a :class:`~slamarkov.study.experiment.Study` (whose cache the tables share) and returns
a pandas DataFrame (:func:`~slamarkov.io.tables.make_table`) whose ``attrs`` hold its ``name``,
``title``, ``parameters``, per-column ``digits`` and ``percent_columns``:

* :func:`ready_rate_table` -- per (h, T), mean and SD of the ready rate, P(penalty) and P(bonus)
  of the dynamic and static policies (fractions; the markdown rendering shows them in percent);
  optionally the static S* and both costs.
* :func:`cost_table` -- per (h, T), both expected costs per period and the SD of the cost per
  period of one review period (exact, from :meth:`AbsorbingChain.cost_moments`).
* :func:`saving_table` -- per (ratio, h, T), the static minus the dynamic expected cost per
  period, with the bonus per period set to the penalty per period divided by the ratio.
* :func:`stock_table` -- per (T, period i), the quartiles of the dynamic stock :math:`S_i` over
  the chain's distribution of states at stage i.
* :func:`carry_over_table` -- stock discarded against carried over, side by side.
* :func:`published_comparison_table` -- the study's simulated rows (docs/model.md section 9) beside
  the exact values, in standard errors of a simulation of the study's size.

Rates and probabilities are fractions (0.896, not 89.6) in the DataFrames and in CSV and JSON;
the markdown rendering (:func:`~slamarkov.io.tables.render_table`), a text report, prints the
columns named in ``attrs["percent_columns"]`` in percent. The loops over cells take
``progress``: None (a bar on standard error when it is a terminal), True or False.
"""

from __future__ import annotations

import math
import zlib
from fractions import Fraction

import numpy as np

from ..chain.triangle import propagate
from ..core.numbers import to_fraction, to_int
from ..core.progress import track
from ..errors import ConfigError, CostError, SimulationError
from ..io.tables import make_table, plain_number
from ..model.problem import Problem
from ..simulation.runs import mean_estimate
from ..solve.both import solve_both
from .experiment import (
    POLICY_PREFIXES,
    PUBLISHED_READY_RATE,
    RATE_METRICS,
    STOCK_REVIEW_PERIODS,
    STUDY_RUNS,
    Study,
    tuple_of,
)

__all__ = [
    "ready_rate_table",
    "cost_table",
    "saving_table",
    "stock_table",
    "published_comparison_table",
    "carry_over_table",
    "expected_standard_errors",
    "weighted_quantiles",
    "stage_stock_distribution",
    "check_simulation",
    "CARRY_METRICS",
    "LEFTOVERS",
]


# --------------------------------------------------------------------------------------------
# simulation helpers


def _cell_seed(seed, *parts) -> int:
    """A seed for one cell, stable under changes of the grid: (seed, cell key) hashed."""
    key = zlib.crc32("|".join(str(p) for p in parts).encode())
    return int(np.random.SeedSequence([int(seed), key]).generate_state(1)[0])


def check_simulation(simulate, seed):
    """The number of runs of a table's simulated columns, checked with its seed before any
    cell is solved (None: no simulation).

    Raises
    ------
    SimulationError
        On ``simulate`` below 2 or above the memory limit, or a negative ``seed``.

    Examples
    --------
    >>> check_simulation(None, None), check_simulation("100", 1)
    (None, 100)
    """
    if simulate is None:
        return None
    runs = to_int(simulate, "--simulate", SimulationError)
    if runs < 2:
        raise SimulationError(f"--simulate: must be an integer >= 2 (runs), got {simulate!r}")
    from ..core.limits import check_runs

    check_runs(runs, 1, field="--simulate")  # before any cell is solved; simulate() checks each
    if seed is not None:
        s = to_int(seed, "--seed", SimulationError)
        if s < 0:
            raise SimulationError(f"--seed: must be an integer >= 0, got {seed!r}")
    return runs


def _simulate(policy, runs, seed):
    from ..simulation.simulate import (
        simulate,  # numpy's random Generator only when simulating
    )

    return simulate(policy, runs, seed=seed)


def _simulated_summaries(result, contract):
    """Simulated mean, SD, P(penalty), P(bonus) of the ready rate and their SEs (fractions), by
    the one convention for simulated summaries (:mod:`slamarkov.simulation.runs`)."""
    summary = result.summary()
    return {m: tuple(summary[m]) for m in RATE_METRICS}


def expected_standard_errors(distribution, runs=STUDY_RUNS) -> dict:
    """Standard errors of a simulation's ready-rate summaries, from the exact distribution.

    For ``runs`` independent review periods: the mean's SE is sd / sqrt(n), a probability's is
    sqrt(p (1 - p) / n) and the SD's is the delta-method sqrt((m4 - m2^2) / n) / (2 sd), with
    the central moments m2, m4 of the exact ready-rate distribution.

    Parameters
    ----------
    distribution : ReadyRateDistribution
    runs : int, default 18,445 (the study's)

    Returns
    -------
    dict
        ``mean``, ``sd``, ``p_penalty``, ``p_bonus`` (fractions, not percent).

    Examples
    --------
    >>> cell = Study("lump-sum").solve(0.5, 10)
    >>> se = expected_standard_errors(cell.static.ready_rate)
    >>> round(100 * se["mean"], 4), round(100 * se["p_bonus"], 4)
    (0.0587, 0.2593)
    """
    n = to_int(runs, "runs", SimulationError)
    if n < 1:
        raise SimulationError(f"runs: must be >= 1, got {runs!r}")
    T = distribution.review_period
    pmf = np.asarray(distribution.pmf, dtype=np.float64)
    x = np.arange(T + 1) / T
    m = float(pmf @ x)
    m2 = float(pmf @ (x - m) ** 2)
    m4 = float(pmf @ (x - m) ** 4)
    sd = math.sqrt(max(m2, 0.0))
    out = {
        "mean": sd / math.sqrt(n),
        "sd": math.sqrt(max(m4 - m2 * m2, 0.0) / n) / (2 * sd) if sd > 0 else 0.0,
    }
    for name in ("p_penalty", "p_bonus"):
        p = float(getattr(distribution, name))
        out[name] = math.sqrt(max(p * (1 - p), 0.0) / n)
    return out


# --------------------------------------------------------------------------------------------
# the tables


def _pct_digits(columns):
    return {c: ".4f" for c in columns if c not in ("h", "T", "ratio", "static_S", "period")}


def ready_rate_table(study: Study, *, costs=False, simulate=None, seed=None,
                     progress=None):
    r"""Ready-rate summaries of both policies per (h, T), as fractions (docs/model.md section 8).

    Columns ``h,T,dyn_mean,dyn_sd,dyn_p_penalty,dyn_p_bonus,static_mean,static_sd,
    static_p_penalty,static_p_bonus``: mean and SD of the ready rate, P(ready rate <
    :math:`\alpha_L`) and P(ready rate :math:`\ge \alpha_U`), exact. Rates and probabilities
    are fractions (0.896, not 89.6); :func:`table_to_markdown` prints them in percent
    (``attrs["percent_columns"]``).

    Parameters
    ----------
    study : Study
    costs : bool, default False
        Append ``static_S`` (S*), ``dyn_cost`` and ``static_cost`` (expected cost per period).
    simulate : int, optional
        Simulate this many review periods per policy and cell; after each exact column ``X``
        come ``X_sim`` (the estimate) and ``X_se`` (its standard error), also fractions.
    seed : int, optional
        Seed of the simulation; each cell's seed derives from it and the cell.
    progress : bool, optional
        A progress bar over the cells on standard error: None (default) only when it is a
        terminal, True always, False never (:func:`slamarkov.core.progress.progress`). A
        callable ``progress(iterable, total=, label=)``, the 0.1 convention, still works and
        warns (DeprecationWarning).

    Returns
    -------
    pandas.DataFrame
        One row per cell; ``attrs`` holds ``name``, ``title``, ``parameters``, ``digits`` and
        ``percent_columns``.

    Examples
    --------
    >>> t = ready_rate_table(Study("lump-sum", holding_costs=(0.5,), review_periods=(10,)))
    >>> ",".join(t.columns)
    'h,T,dyn_mean,dyn_sd,dyn_p_penalty,dyn_p_bonus,static_mean,static_sd,static_p_penalty,static_p_bonus'
    >>> round(float(t.loc[0, "dyn_mean"]), 6), round(float(t.loc[0, "dyn_p_bonus"]), 6)
    (0.896123, 0.962415)
    """
    runs = check_simulation(simulate, seed)
    columns = ["h", "T"]
    for short, _ in POLICY_PREFIXES:
        for m in RATE_METRICS:
            columns.append(f"{short}_{m}")
            if runs:
                columns += [f"{short}_{m}_sim", f"{short}_{m}_se"]
    if costs:
        columns += ["static_S", "dyn_cost", "static_cost"]
    cells = [(h, T) for h in study.holding_costs for T in study.review_periods]
    rows = []
    for h, T in track(cells, progress, label=f"ready-rate {study.scheme}"):
        cell = study.solve(h, T)
        row = {"h": h, "T": T}
        for short, name in POLICY_PREFIXES:
            sol = getattr(cell, name)
            dist = sol.ready_rate
            sim = None
            if runs:
                res = _simulate(sol.policy, runs,
                                _cell_seed(seed or 0, study.scheme, h, T, name))
                sim = _simulated_summaries(res, cell.problem.contract)
            for m in RATE_METRICS:
                row[f"{short}_{m}"] = float(getattr(dist, m))
                if sim:
                    row[f"{short}_{m}_sim"] = sim[m][0]
                    row[f"{short}_{m}_se"] = sim[m][1]
        if costs:
            row["static_S"] = cell.static.base_stock
            row["dyn_cost"] = float(cell.dynamic.cost_per_period)
            row["static_cost"] = float(cell.static.cost_per_period)
        rows.append(row)
    digits = _pct_digits(columns)
    digits.update({"dyn_cost": ".6f", "static_cost": ".6f"})
    pct = [c for c in columns if c.startswith(("dyn_", "static_")) and "cost" not in c
           and c != "static_S"]
    params = study.parameters()
    if runs:
        params.update(simulate=runs, seed=seed)
    return make_table(f"ready-rate-{study.scheme}", columns, rows,
                 title=f"Ready rate of the dynamic and static policies, {study.label}",
                 parameters=params, digits=digits, percent_columns=pct)


def cost_table(study: Study, *, simulate=None, seed=None, progress=None):
    r"""Expected cost per period of both policies per (h, T), with the SD of the per-run cost.

    Columns ``h,T,static_S,dyn_cost,dyn_cost_sd,static_cost,static_cost_sd``. ``*_cost`` is
    the expected cost per period (:math:`V_1(0)/T` and :math:`C(S^*)/T`); ``*_cost_sd`` the
    standard deviation of one review period's total cost divided by T, exact from the chain.
    With ``simulate``, ``*_cost_sim`` and ``*_cost_se`` follow each cost column.

    Examples
    --------
    >>> t = cost_table(Study("lump-sum", holding_costs=(0.5,), review_periods=(10,)))
    >>> r = t.iloc[0]
    >>> int(r["static_S"]), round(float(r["dyn_cost"]), 6), round(float(r["static_cost"]), 6)
    (8, -1.20155, -0.87201)
    """
    runs = check_simulation(simulate, seed)
    columns = ["h", "T", "static_S"]
    for short, _ in POLICY_PREFIXES:
        columns += [f"{short}_cost", f"{short}_cost_sd"]
        if runs:
            columns += [f"{short}_cost_sim", f"{short}_cost_se"]
    cells = [(h, T) for h in study.holding_costs for T in study.review_periods]
    rows = []
    for h, T in track(cells, progress, label=f"cost {study.scheme}"):
        cell = study.solve(h, T)
        moments = study.cost_moments(h, T)
        row = {"h": h, "T": T, "static_S": cell.static.base_stock}
        for short, name in POLICY_PREFIXES:
            row[f"{short}_cost"], row[f"{short}_cost_sd"] = moments[name]
            if runs:
                res = _simulate(getattr(cell, name).policy, runs,
                                _cell_seed(seed or 0, study.scheme, h, T, name))
                est = mean_estimate(np.asarray(res.total_cost, dtype=np.float64) / T)
                row[f"{short}_cost_sim"], row[f"{short}_cost_se"] = est
        rows.append(row)
    digits = {c: ".6f" for c in columns if "cost" in c}
    params = study.parameters()
    if runs:
        params.update(simulate=runs, seed=seed)
    return make_table(f"cost-{study.scheme}", columns, rows,
                 title=f"Expected cost per period (SD of the cost per period of one review "
                       f"period), {study.label}",
                 parameters=params, digits=digits)


def saving_table(study: Study, *, simulate=None, seed=None, progress=None):
    r"""The dynamic policy's cost saving per (ratio, h, T) (docs/model.md section 8).

    The penalty per period is the study's (lump-sum 5, linear 25, or ``study.penalty``) and the
    bonus per period is the penalty divided by the ratio. The saving is the static minus the
    dynamic expected cost per period, an absolute amount; it is never negative.

    Parameters
    ----------
    study : Study
        Its ``bonus`` must be left at the default: the ratio sets it.
    simulate, seed, progress
        As in :func:`ready_rate_table`; adds ``saving_sim`` and ``saving_se``. Both policies are
        simulated with the same seed, hence the same demands, and the SE is that of the mean
        per-run difference (common random numbers).

    Raises
    ------
    ConfigError
        When ``study.bonus`` was set.

    Examples
    --------
    >>> t = saving_table(Study("lump-sum", holding_costs=(1,), review_periods=(10,)))
    >>> ",".join(t.columns), len(t)
    ('ratio,h,T,saving', 3)
    >>> bool((t["saving"] >= 0).all())
    True
    """
    if study.bonus is not None:
        raise ConfigError("--bonus-per-period: the saving table sets the bonus per period to "
                          "penalty / ratio; leave --bonus-per-period out")
    runs = check_simulation(simulate, seed)
    columns = ["ratio", "h", "T", "saving"] + (["saving_sim", "saving_se"] if runs else [])
    cells = [(r, h, T) for r in study.ratios for h in study.holding_costs
             for T in study.review_periods]
    rows = []
    for r, h, T in track(cells, progress, label=f"saving {study.scheme}"):
        cell = study.solve(h, T, r)
        row = {"ratio": r, "h": h, "T": T,
               "saving": float(cell.static.cost_per_period) - float(cell.dynamic.cost_per_period)}
        if runs:
            # one seed for both policies: the simulator draws each period's demands the same way
            # for any policy, so the two see the same demands (common random numbers) and the
            # per-run differences give the SE
            cell_seed = _cell_seed(seed or 0, study.scheme, r, h, T)
            per = [np.asarray(_simulate(getattr(cell, name).policy, runs, cell_seed).total_cost,
                              dtype=np.float64) / T for name in ("static", "dynamic")]
            row["saving_sim"], row["saving_se"] = mean_estimate(per[0] - per[1])
        rows.append(row)
    params = study.parameters()
    params.pop("bonus_per_period")
    params["bonus_per_period"] = "penalty_per_period / ratio"
    if runs:
        params.update(simulate=runs, seed=seed)
    return make_table(f"saving-{study.scheme}", columns, rows,
                 title=f"Cost saving per period of the dynamic policy (static - dynamic), "
                       f"bonus = penalty / ratio, {study.scheme}, {study.demand.describe()}",
                 parameters=params,
                 digits={"saving": ".6f", "saving_sim": ".6f", "saving_se": ".6f"})


#: the metrics of the carry-over table, per policy and leftover rule
CARRY_METRICS = ("mean", "sd", "p_penalty", "p_bonus", "cost")
LEFTOVERS = ("discard", "carry")


def carry_over_table(study: Study, *, purchase=0, salvage=0, initial_stock=0,
                     progress=None):
    r"""Discard against carry over the study's grid: what changes when stock is kept
    (docs/model.md section 11).

    For each (h, T) of the study, both leftover rules and both policies: the mean and SD of the
    ready rate, P(penalty) and P(bonus) as fractions (:func:`table_to_markdown` prints them in
    percent, ``attrs["percent_columns"]``), and the expected cost per period. Columns
    ``h,T`` then ``<policy>_<metric>_<leftover>`` for policy ``dyn`` and ``static``, metric
    ``mean, sd, p_penalty, p_bonus, cost`` and leftover ``discard, carry`` (the two rules side
    by side). With the defaults (no purchase price, no salvage, no initial stock) the discard
    columns are the study's model.

    Parameters
    ----------
    study : Study
    purchase, salvage : number, default 0
        The purchase price c per unit and the salvage value s of the final stock (carry only).
    initial_stock : int, default 0
    progress : bool, optional
        As in :func:`ready_rate_table`.

    Returns
    -------
    pandas.DataFrame
        One row per cell; ``attrs`` holds ``name``, ``title``, ``parameters`` and ``digits``.

    Examples
    --------
    >>> t = carry_over_table(Study("lump-sum", holding_costs=(0.5,), review_periods=(10,)))
    >>> r = t.iloc[0]
    >>> round(float(r["dyn_mean_discard"]), 6), bool(r["dyn_cost_carry"] <= r["static_cost_carry"])
    (0.896123, True)
    """
    columns = ["h", "T"]
    for short, _ in POLICY_PREFIXES:
        for m in CARRY_METRICS:
            columns += [f"{short}_{m}_{rule}" for rule in LEFTOVERS]
    cells = [(h, T) for h in study.holding_costs for T in study.review_periods]
    rows = []
    for h, T in track(cells, progress, label=f"carry-over {study.scheme}"):
        row = {"h": h, "T": T}
        for rule in LEFTOVERS:
            problem = Problem(study.contract(T), study.demand, h, purchase_cost=purchase,
                              salvage_value=salvage if rule == "carry" else 0, leftover=rule,
                              initial_stock=initial_stock)
            opts = {"max_stock": study.stock_range_top}
            sols = solve_both(problem, **opts)
            for short, name in POLICY_PREFIXES:
                sol = sols[name]
                dist = sol.ready_rate
                for m in CARRY_METRICS[:-1]:
                    row[f"{short}_{m}_{rule}"] = float(getattr(dist, m))
                row[f"{short}_cost_{rule}"] = float(sol.cost_per_period)
        rows.append(row)
    digits = _pct_digits(columns)
    digits.update({c: ".6f" for c in columns if "_cost_" in c})
    pct = [c for c in columns if c not in ("h", "T") and "_cost_" not in c]
    params = study.parameters()
    params.update(purchase=plain_number(Fraction(purchase)) if purchase else 0,
                  salvage=plain_number(Fraction(salvage)) if salvage else 0,
                  initial_stock=initial_stock)
    return make_table(f"carry-over-{study.scheme}", columns, rows,
                 title=f"Stock discarded vs carried over: ready rate and cost per period, "
                       f"{study.label}",
                 parameters=params, digits=digits, percent_columns=pct)


def weighted_quantiles(values, weights, probs=(0.25, 0.5, 0.75)):
    """Quantiles of a discrete distribution: for each p, the smallest value with CDF >= p.

    A tolerance of 1e-12 on the CDF keeps float rounding from moving a quantile that sits
    exactly on a jump (e.g. two equally likely values and p = 0.5).

    Parameters
    ----------
    values : array_like
        The support (any order, repeats allowed).
    weights : array_like
        Their probabilities (normalised here).
    probs : sequence of float

    Examples
    --------
    >>> weighted_quantiles([3, 1, 2], [0.25, 0.5, 0.25]).tolist()
    [1, 1, 2]
    """
    v = np.asarray(values)
    w = np.asarray(weights, dtype=np.float64)
    order = np.argsort(v, kind="stable")
    v, w = v[order], w[order]
    cdf = np.cumsum(w) / w.sum()
    idx = np.searchsorted(cdf, np.asarray(probs, dtype=np.float64) - 1e-12, side="left")
    return v[np.minimum(idx, len(v) - 1)]


def stage_stock_distribution(policy):
    """The distribution of the stock :math:`S_i` at each stage i under ``policy``, exactly.

    Parameters
    ----------
    policy : Policy

    Returns
    -------
    list of (stocks, probabilities)
        For i = 1..T, the stocks :math:`S_i(v)` of the states reachable at stage i and the
        probability of reaching each.

    Examples
    --------
    >>> cell = Study("lump-sum").solve(1, 10)
    >>> stocks, probs = stage_stock_distribution(cell.dynamic.policy)[1]
    >>> stocks.tolist(), round(float(probs.sum()), 12)
    ([9, 8], 1.0)
    """
    out = []

    def keep(i, lo, reach):
        s = policy.stage(i)[lo : lo + reach.shape[0]]
        out.append((np.array(s), np.array(reach, dtype=np.float64)))

    propagate(policy.stage_success, policy.review_period, on_stage=keep)
    return out



def stock_table(study: Study, *, holding_cost=1, review_periods=STOCK_REVIEW_PERIODS,
                progress=None):
    r"""The distribution of the dynamic stock per period: quartiles of :math:`S_i` (exact).

    At each stage i the chain is in state (i, v) with its reach probability (propagated forward
    from (1, 0), no simulation); :math:`S_i = S_i(v)` is then a discrete random variable, and
    its lower quartile, median and upper quartile are tabulated.

    Columns ``T,period,q1,median,q3,static_S``; ``static_S`` is the static policy's S* for
    reference.

    Parameters
    ----------
    study : Study
    holding_cost : number, default 1
    review_periods : sequence of int, default (10, 30, 60, 90)
    progress : bool, optional
        As in :func:`ready_rate_table`.

    Examples
    --------
    >>> t = stock_table(Study("lump-sum"), review_periods=(10,))
    >>> t[["period", "q1", "median", "q3"]].tail(2).values.tolist()
    [[9, 6, 9, 9], [10, 0, 9, 9]]
    """
    h = to_fraction(holding_cost, "--holding", CostError)
    if h <= 0:
        raise CostError(f"--holding: must be > 0, got {float(h):g}")
    Ts = tuple_of(review_periods, "review_periods", to_int, "an integer >= 1", lambda t: t >= 1)
    rows = []
    for T in track(Ts, progress, label=f"stock {study.scheme}"):
        cell = study.solve(h, T)
        for i, (stocks, probs) in enumerate(stage_stock_distribution(cell.dynamic.policy), 1):
            q1, med, q3 = weighted_quantiles(stocks, probs)
            rows.append({"T": T, "period": i, "q1": int(q1), "median": int(med), "q3": int(q3),
                         "static_S": cell.static.base_stock})
    params = study.parameters()
    params["holding_cost"] = plain_number(h)
    return make_table(f"stock-{study.scheme}", ["T", "period", "q1", "median", "q3", "static_S"],
                 rows,
                 title=f"Dynamic stock per period: quartiles of S_i over the states reached, "
                       f"h = {float(h):g}, {study.label}",
                 parameters=params)


def published_comparison_table(runs=STUDY_RUNS):
    """The study's simulated ready-rate rows (docs/model.md section 9) beside the exact values.

    For each published number: the exact value, the standard error a simulation of ``runs``
    review periods has (:func:`expected_standard_errors`), and ``z``, the published minus the
    exact value in standard errors (the published values are rounded to 0.01, so a value within
    0.005 counts as z = 0).

    Columns ``scheme,h,T,column,published,exact,se,z``; ``published``, ``exact`` and ``se`` are
    fractions (:func:`table_to_markdown` prints them in percent, ``attrs["percent_columns"]``),
    ``z`` is a number of standard errors.

    Examples
    --------
    >>> t = published_comparison_table()
    >>> len(t), bool(t["z"].abs().max() < 4)
    (64, True)
    """
    rows = []
    studies = {}
    for (scheme, h, T), published in PUBLISHED_READY_RATE.items():
        study = studies.setdefault(scheme, Study(scheme))
        cell = study.solve(h, T)
        values = iter(published)
        for short, name in POLICY_PREFIXES:
            dist = getattr(cell, name).ready_rate
            se = expected_standard_errors(dist, runs)
            for m in RATE_METRICS:
                pub = next(values)
                exact = 100 * float(getattr(dist, m))
                s = 100 * se[m]
                gap = max(abs(pub - exact) - 0.005, 0.0)
                z = math.copysign(gap / s, pub - exact) if s > 0 else (0.0 if gap == 0 else math.inf)
                rows.append({"scheme": scheme, "h": h, "T": T, "column": f"{short}_{m}",
                             "published": pub / 100, "exact": float(getattr(dist, m)),
                             "se": se[m], "z": z})
    return make_table("published-comparison",
                 ["scheme", "h", "T", "column", "published", "exact", "se", "z"], rows,
                 title=f"The study's simulated ready rates against the exact values, in "
                       f"standard errors of {runs} runs (beyond the rounding to 0.01 percent)",
                 parameters={"runs": runs},
                 digits={"published": ".2f", "exact": ".4f", "se": ".4f", "z": ".2f"},
                 percent_columns=["published", "exact", "se"])
