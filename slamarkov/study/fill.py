"""The study's grid with the fill rate as the measure, beside the ready rate of the same contracts
(docs/model.md sections 8 and 14): what changes when a contract counts units instead of periods.
"""

from __future__ import annotations

import dataclasses

from ..core.progress import track
from ..io.tables import make_table
from ..model.contract import FILL_RATE, READY_RATE
from ..model.problem import Problem
from ..solve.both import solve_both
from .experiment import POLICY_PREFIXES, Study

__all__ = ["fill_rate_table", "FILL_METRICS"]

#: per policy and measure: the rate's mean, SD, P(penalty), P(bonus) and the cost per period
FILL_METRICS = ("mean", "sd", "p_penalty", "p_bonus", "cost")
MEASURE_SUFFIX = ((FILL_RATE, "fill"), (READY_RATE, "ready"))


def fill_rate_table(study: Study, *, progress=None):
    r"""Fill rate against ready rate on the study's grid (docs/model.md section 14).

    For each (h, T) of the study and both measures (the same thresholds and amounts, applied to
    the fill rate or to the ready rate): both policies' mean and SD of the rate, P(penalty),
    P(bonus) and expected cost per period, and the saving of the dynamic policy. Columns ``h,T``
    then ``<policy>_<metric>_<measure>`` (policy ``dyn``, ``static``; measure ``fill``,
    ``ready``), ``static_S_<measure>``, ``saving_<measure>`` and ``truncated_mass`` (the float-mode
    cut of the fill-rate solve).

    Examples
    --------
    >>> t = fill_rate_table(Study("lump-sum", holding_costs=(0.5,), review_periods=(10,)))
    >>> r = t.iloc[0]
    >>> round(float(r["dyn_mean_ready"]), 6), round(float(r["dyn_mean_fill"]), 6)
    (0.896123, 0.949496)
    """
    columns = ["h", "T"]
    for _, suffix in MEASURE_SUFFIX:
        for short, _ in POLICY_PREFIXES:
            columns += [f"{short}_{m}_{suffix}" for m in FILL_METRICS]
        columns += [f"static_S_{suffix}", f"saving_{suffix}"]
    columns.append("truncated_mass")
    cells = [(h, T) for h in study.holding_costs for T in study.review_periods]
    rows = []
    for h, T in track(cells, progress, label=f"fill-rate {study.scheme}"):
        row = {"h": h, "T": T}
        for measure, suffix in MEASURE_SUFFIX:
            contract = dataclasses.replace(study.contract(T), measure=measure)
            sols = solve_both(Problem(contract, study.demand, h), max_stock=study.stock_range_top)
            for short, name in POLICY_PREFIXES:
                sol = sols[name]
                dist = sol.fill_rate if measure == FILL_RATE else sol.ready_rate
                for m in FILL_METRICS[:-1]:
                    row[f"{short}_{m}_{suffix}"] = float(getattr(dist, m))
                row[f"{short}_cost_{suffix}"] = float(sol.cost_per_period)
            row[f"static_S_{suffix}"] = sols.static.base_stock
            row[f"saving_{suffix}"] = float(sols.static.cost_per_period
                                            - sols.dynamic.cost_per_period)
            if measure == FILL_RATE:
                row["truncated_mass"] = float(sols.dynamic.truncated_mass)
        rows.append(row)
    money = {c for c in columns if "_cost_" in c or c.startswith("saving_")}
    digits = {c: ".6f" for c in money}
    pct = [c for c in columns if c not in money and c not in ("h", "T", "truncated_mass")
           and not c.startswith("static_S")]
    digits.update({c: ".4f" for c in pct})
    digits["truncated_mass"] = ".3g"
    return make_table(f"fill-rate-{study.scheme}", columns, rows,
                      title=f"Fill rate against ready rate: both policies, {study.label}",
                      parameters=study.parameters(), digits=digits, percent_columns=pct)
