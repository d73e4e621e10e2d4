"""The ``solve`` report of a contract file with several customers (docs/model.md section 15):
the JSON document the CLI prints and a short readable text."""

from __future__ import annotations

import numpy as np

from ..model.config import Config
from ..solve.customers import CustomersSolution, solve_customers_both
from .fields import contract_terms, cost_fields, json_number

__all__ = ["customers_solve_report", "customers_solve_text"]


def _policy(sol: CustomersSolution, summary_only: bool) -> dict:
    out = {"cost_per_period": json_number(sol.cost_per_period)}
    if sol.kind == "static":
        out["rule"] = sol.rule
        out["base_stock"] = int(sol.base_stock)
    out["customers"] = [
        {"name": name, "ready_rate": rr.to_dict(), "sacrificed_periods": float(sac)}
        for name, rr, sac in zip(sol.problem.names, sol.ready_rates, sol.sacrificed)
    ]
    if not summary_only:
        out["joint_pmf"] = np.asarray(sol.joint_pmf, dtype=np.float64).tolist()
    return out


def customers_solve_report(config: Config, summary_only: bool = False) -> dict:
    """Solve the dynamic policy and the static policy of the file's rule, and return the
    ``solve`` JSON document of several customers.

    Keys: ``customers`` (each one's contract and demand, file order), ``allocation``, the costs,
    ``inventory``, ``max_stock``; ``dynamic`` with ``cost_per_period`` and ``customers``, a list
    in file order of {``name``, ``ready_rate`` = {``mean``, ``sd``, ``p_penalty``, ``p_bonus``,
    ``pmf``}, ``sacrificed_periods``}, and ``joint_pmf`` (shape (T+1,)*k, nested lists; left
    out with ``summary_only``); ``static`` the same plus ``rule`` and ``base_stock``.
    ``dynamic.stock`` (unless ``summary_only``) lists, for each period i, the order-up-to level
    of each state as nested lists over v_1, ..., v_k (and, with carry, the stock on hand).

    Examples
    --------
    >>> from slamarkov.model.config import config_from_dict
    >>> cfg = config_from_dict({
    ...     "contract": {"review_period": 2}, "costs": {"holding": 1},
    ...     "customer": [{"name": n, "penalty_threshold": 0.5, "bonus_threshold": 1,
    ...                   "penalty": 10, "bonus": 6,
    ...                   "demand": {"kind": "discrete-uniform", "low": 0, "high": 2}}
    ...                  for n in ("north", "south")]})
    >>> rep = customers_solve_report(cfg)
    >>> [c["name"] for c in rep["dynamic"]["customers"]], rep["static"]["rule"]
    (['north', 'south'], 'priority')
    >>> len(rep["dynamic"]["joint_pmf"]), len(rep["dynamic"]["joint_pmf"][0])
    (3, 3)
    """
    dyn, sta = solve_customers_both(config.problem, **config.solver_options())
    p = config.problem
    out = {
        "review_period": p.review_period,
        "customers": [
            {"name": c.name, **contract_terms(c.contract),
             "penalty_count": c.contract.penalty_count, "bonus_count": c.contract.bonus_count,
             "demand": c.demand.describe()}
            for c in p.customers
        ],
        "allocation": {"rule": p.allocation},
        **cost_fields(p),
        "max_stock": int(dyn.max_stock),
        "dynamic": _policy(dyn, summary_only),
        "static": _policy(sta, summary_only),
    }
    if not summary_only:
        k = p.k
        stock = []
        for i, orders in enumerate(dyn.orders, start=1):
            shape = (i,) * k + ((orders.shape[1],) if p.carries else ())
            stock.append(np.asarray(orders, dtype=np.int64).reshape(shape).tolist())
        out["dynamic"]["stock"] = stock
    return out


def customers_solve_text(config: Config, report: dict) -> str:
    """A short readable report of :func:`customers_solve_report`'s document."""
    p = config.problem
    lines = [f"{p.k} customers sharing one stock, review period T = {p.review_period}, "
             f"holding cost h = {float(p.holding_cost):g}, "
             + ("stock carries over" if p.carries else "leftover stock discarded")]
    for c in p.customers:
        lines.append(f"  {c.name}: {c.contract.describe()}; demand {c.demand.describe()}")
    d, s = report["dynamic"], report["static"]
    lines += ["", f"{'':28}{'dynamic':>12}{'static':>12}",
              f"{'cost per period':28}{d['cost_per_period']:12.6f}{s['cost_per_period']:12.6f}"]
    for cd, cs in zip(d["customers"], s["customers"]):
        for label, key in (("ready rate mean (%)", "mean"), ("P(penalty) (%)", "p_penalty"),
                           ("P(bonus) (%)", "p_bonus")):
            lines.append(f"{cd['name'] + ' ' + label:28}{100 * cd['ready_rate'][key]:12.4f}"
                         f"{100 * cs['ready_rate'][key]:12.4f}")
        lines.append(f"{cd['name'] + ' sacrificed periods':28}{cd['sacrificed_periods']:12.4f}"
                     f"{cs['sacrificed_periods']:12.4f}")
    lines.append(f"static rule {s['rule']!r}, base stock S* = {s['base_stock']}; orders searched "
                 f"in 0..{report['max_stock']}")
    lines.append(f"saving of the dynamic policy per period: "
                 f"{s['cost_per_period'] - d['cost_per_period']:.6f}")
    lines.append("(a customer is sacrificed in a period when its demand fit alone but another "
                 "customer was served instead; rates and probabilities in percent)")
    return "\n".join(lines)
