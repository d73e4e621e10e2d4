"""The HTML report of a contract file with several customers sharing one stock (docs/model.md
section 15): each customer's terms, both policies' costs, ready rates, band probabilities and
sacrificed periods, each customer's ready-rate distributions and, with a log, where the running
review period stands. One self-contained page (figures embedded); jinja2 and matplotlib (the
``report`` extra) are imported inside the functions."""

from __future__ import annotations

from pathlib import Path

from ..io.atomic import atomic_write
from ..model.customers import CustomersProblem
from .customers import customers_solve_report
from .html import contract_terms, figure_data_uri, report_environment

__all__ = ["render_customers_report", "write_customers_report"]


def render_customers_report(config, log=None) -> str:
    """Render the report of a multi-customer :class:`~slamarkov.model.config.Config`; ``log``
    (a path) adds the monitor's section (:mod:`slamarkov.analysis.customers_monitor`).

    Examples
    --------
    >>> from slamarkov.model.config import config_from_dict
    >>> cfg = config_from_dict({
    ...     "contract": {"review_period": 4}, "costs": {"holding": 1},
    ...     "customer": [{"name": n, "penalty_threshold": 0.5, "bonus_threshold": 1,
    ...                   "penalty": 10, "bonus": 6, "demand": {"kind": "poisson", "mean": 3}}
    ...                  for n in ("north", "south")]})
    >>> html = render_customers_report(cfg)
    >>> html.startswith("<!DOCTYPE html>"), html.count("<img"), "north: sacrificed" in html
    (True, 2, True)
    """
    from ..analysis.customers_monitor import monitor_customers, read_customers_log
    from ..plot.distributions import policies_ready_rate_figure
    from ..solve.customers import solve_customers_dynamic, solve_customers_static

    problem: CustomersProblem = config.problem
    env = report_environment()  # fail early, before solving, when jinja2 is missing
    period_log = read_customers_log(log, problem) if log is not None else None
    report = customers_solve_report(config, summary_only=True)
    opts = config.solver_options()
    dyn = solve_customers_dynamic(problem, **opts)
    sta = solve_customers_static(problem, **opts)
    figures = []
    for name, a, b in zip(problem.names, dyn.ready_rates, sta.ready_rates):
        figures.append(figure_data_uri(policies_ready_rate_figure(
            a, b, title=f"{name}: ready rate at the end of a review period")))
    status = None
    if period_log is not None:
        m = monitor_customers(problem, period_log, **opts)
        doc = m.to_dict()
        status = {"text": m.to_text().splitlines()[0], "dynamic": doc["dynamic"],
                  "static": doc["static"]}
    from .._version import __version__

    return env.get_template("customers_report.html.j2").render(
        title=f"SLA report: {problem.k} customers sharing one stock",
        k=problem.k, holding=f"{float(problem.holding_cost):g}", carries=problem.carries,
        customers=[{"name": c.name, "demand": c.demand.describe(),
                    "terms": contract_terms(c.contract)} for c in problem.customers],
        names=problem.names, dynamic=report["dynamic"], static=report["static"],
        base_stock=report["static"]["base_stock"], rule=report["static"]["rule"],
        saving=report["static"]["cost_per_period"] - report["dynamic"]["cost_per_period"],
        figures=figures, status=status, version=__version__)


def write_customers_report(path, config, log=None) -> Path:
    """Render (:func:`render_customers_report`) and write atomically; returns the path."""
    atomic_write(path, render_customers_report(config, log))
    return Path(path)
