"""Reports of a solved contract, as the JSON the CLI prints and as short readable text."""

from __future__ import annotations

from ..model.config import Config
from ..model.contract import FILL_RATE
from ..solve.both import solve_both
from .fields import contract_terms, cost_fields, json_number
from .fill import fill_solve_report, fill_solve_text

__all__ = ["solve_report", "solve_text"]


def solve_report(config: Config, summary_only: bool = False) -> dict:
    """Solve both policies of a contract file and return the ``solve`` JSON document.

    Keys: ``dynamic`` and ``static``, each with ``cost_per_period`` and ``ready_rate``
    {``mean``, ``sd``, ``p_penalty``, ``p_bonus``, ``pmf``} as fractions (not percent);
    ``dynamic.stock`` is the list over i = 1..T of lists over v = 0..i-1 (left out with
    ``summary_only``), and with stock carried over each entry is a list over the stock on hand
    x (docs/model.md section 11); ``static.base_stock`` is S*. A fill-rate contract gets the
    document of :func:`~slamarkov.report.fill.fill_solve_report`.

    Examples
    --------
    >>> import importlib.resources
    >>> from slamarkov.model.config import load_config
    >>> cfg = load_config(importlib.resources.files("slamarkov") / "data" / "example.toml")
    >>> rep = solve_report(cfg, summary_only=True)
    >>> round(rep["dynamic"]["cost_per_period"], 6), rep["static"]["base_stock"]
    (-1.20155, 8)
    """
    if config.problem.contract.measure == FILL_RATE:  # docs/model.md section 14
        return fill_solve_report(config, summary_only)
    dyn, sta = solve_both(config.problem, **config.solver_options())
    problem = config.problem
    c = problem.contract
    out = {
        "contract": {
            "review_period": c.review_period,
            **contract_terms(c),
            "penalty_count": c.penalty_count,
            "bonus_count": c.bonus_count,
        },
        **cost_fields(problem),
        "demand": problem.demand.describe(),
        "max_stock": json_number(dyn.max_stock),
        "dynamic": {
            "cost_per_period": json_number(dyn.cost_per_period),
            "ready_rate": dyn.ready_rate.to_dict(),
        },
        "static": {
            "cost_per_period": json_number(sta.cost_per_period),
            "base_stock": json_number(sta.base_stock),
            "ready_rate": sta.ready_rate.to_dict(),
        },
    }
    if not summary_only:
        out["dynamic"]["stock"] = [[json_number(x) for x in row] for row in dyn.policy.to_lists()]
    return out


def solve_text(config: Config, report: dict) -> str:
    """A short readable report of :func:`solve_report`'s document."""
    if report.get("measure") == FILL_RATE:
        return fill_solve_text(config, report)
    problem = config.problem
    costs = f"holding cost h = {float(problem.holding_cost):g}"
    if problem.purchase_cost or problem.salvage_value:
        costs += (f", purchase cost c = {float(problem.purchase_cost):g}, salvage value "
                  f"s = {float(problem.salvage_value):g}")
    inventory = ("stock carries over" if problem.carries else "leftover stock discarded")
    if problem.initial_stock:
        inventory += f", initial stock {problem.initial_stock:g}"
    c = problem.contract
    lines = [
        c.describe(),
        f"ready periods of {c.review_period}: penalty_count {c.penalty_count} (the fewest that "
        f"avoid the penalty), bonus_count {c.bonus_count} "
        + ("(the fewest that earn the bonus)" if c.scheme == "lump-sum" else
           "(the fewest at or above the bonus threshold; the bonus grows with each ready "
           "period beyond it)"),
        f"demand {problem.demand.describe()}, {costs}, stock searched in "
        f"0..{report['max_stock']:g}",
        inventory,
        "",
        f"{'':24}{'dynamic':>12}{'static':>12}",
    ]
    d, s = report["dynamic"], report["static"]
    rows = [
        ("cost per period", d["cost_per_period"], s["cost_per_period"], "{:12.6f}"),
        ("ready rate mean (%)", 100 * d["ready_rate"]["mean"], 100 * s["ready_rate"]["mean"], "{:12.4f}"),
        ("ready rate SD (%)", 100 * d["ready_rate"]["sd"], 100 * s["ready_rate"]["sd"], "{:12.4f}"),
        ("P(penalty) (%)", 100 * d["ready_rate"]["p_penalty"], 100 * s["ready_rate"]["p_penalty"], "{:12.4f}"),
        ("P(bonus) (%)", 100 * d["ready_rate"]["p_bonus"], 100 * s["ready_rate"]["p_bonus"], "{:12.4f}"),
    ]
    for label, a, b, fmt in rows:
        lines.append(f"{label:24}{fmt.format(a)}{fmt.format(b)}")
    lines.append(f"{'base stock S*':24}{'':>12}{s['base_stock']:>12g}")
    saving = s["cost_per_period"] - d["cost_per_period"]
    lines.append(f"saving of the dynamic policy per period: {saving:.6f}")
    lines.append("(costs are expected holding cost plus settlement, per period; rates and "
                 "probabilities in percent)")
    if min(d["cost_per_period"], s["cost_per_period"]) < 0:
        lines.append("a negative cost is a net gain: the expected bonus exceeds the holding cost")
    if "stock" in d:
        T = problem.review_period
        lines.append("")
        if problem.carries:
            lines.append("dynamic order-up-to level y_i(v, x) with no stock on hand, x = 0 (period 1: the "
                         "initial stock; rows: period i; columns: v; the JSON report has every x)")
        else:
            lines.append("dynamic stock S_i(v) (rows: period i; columns: ready periods so far v)")
        shown = range(1, T + 1) if T <= 20 else list(range(1, 6)) + list(range(T - 4, T + 1))
        for i in shown:
            if T > 20 and i == T - 4:
                lines.append("  ...")
            cells = d["stock"][i - 1]
            if problem.carries:  # period 1 holds only the initial stock
                cells = [r[0] for r in cells]
            row = " ".join(f"{x:g}" for x in cells)
            lines.append(f"  i={i:<4} {row}")
    return "\n".join(lines)
