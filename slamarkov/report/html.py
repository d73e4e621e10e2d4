"""A contract's report as one self-contained HTML page, and where a running review period stands.

:func:`render_report` solves both policies of a problem and renders the page from the Jinja2
template ``templates/report.html.j2`` shipped with the package: the terms in words, both
policies' costs and ready-rate summaries, their ready-rate distributions side by side
(:func:`slamarkov.plot.policies_ready_rate_figure`), the dynamic policy's stock table as a heat map
(:func:`slamarkov.plot.policy.draw_policy_heatmap`), the gaming indicators of both policies
(:mod:`slamarkov.analysis.gaming`, docs/model.md section 12) and, given a log of the periods so far, the
monitor's result (docs/model.md section 13) with the distributions from the current state.
Figures are PNGs embedded as base64 data URIs and the style sheet is inline, so the page needs no
network access. :func:`write_report` writes it atomically.

Jinja2 and matplotlib (the ``report`` extra) are imported inside the functions.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from fractions import Fraction

from ..errors import ReportDependencyError
from ..io.atomic import atomic_write
from ..model.contract import LUMP_SUM, Contract
from ..model.problem import Problem

__all__ = ["render_report", "write_report", "contract_terms", "figure_data_uri",
           "report_environment"]

#: resolution of the embedded figures (dots per inch)
FIGURE_DPI = 100


def _fmt(x) -> str:
    x = Fraction(x) if not isinstance(x, float) else x
    if isinstance(x, Fraction) and x.denominator == 1:
        return str(x.numerator)
    return format(float(x), ".6g")


def _pct(x) -> str:
    return _fmt(Fraction(x) * 100 if not isinstance(x, float) else 100 * x) + "%"


def contract_terms(contract: Contract) -> list[str]:
    """The contract in words: one sentence per term (docs/model.md section 2).

    Examples
    --------
    >>> for s in contract_terms(Contract(10, 0.8, 0.9, penalty=50, bonus=30)):
    ...     print(s)
    The review period is 10 inventory periods; a period is ready when its demand is met in full, and the ready rate is the share of ready periods.
    Penalty: the supplier pays 50 when the ready rate is below 80%, that is when fewer than 8 of the 10 periods are ready.
    Bonus: the supplier receives 30 when the ready rate is at least 90%, that is when 9 or more of the 10 periods are ready.
    """
    T = contract.review_period
    aL, aU = contract.penalty_threshold, contract.bonus_threshold
    nL, nU = contract.penalty_count, contract.bonus_count
    out = [f"The review period is {T} inventory periods; a period is ready when its demand is met "
           "in full, and the ready rate is the share of ready periods."]
    if contract.penalty == 0:
        out.append("Penalty: none.")
    elif nL == 0:
        out.append(f"Penalty: {_fmt(contract.penalty)} below a ready rate of {_pct(aL)}, which "
                   "cannot happen.")
    elif contract.scheme == LUMP_SUM:
        out.append(f"Penalty: the supplier pays {_fmt(contract.penalty)} when the ready rate is "
                   f"below {_pct(aL)}, that is when fewer than {nL} of the {T} periods are ready.")
    else:
        worst = contract.penalty * (aL - Fraction(nL - 1, T))
        out.append(f"Penalty: the supplier pays {_fmt(contract.penalty)} times the shortfall of the "
                   f"ready rate below {_pct(aL)} (fewer than {nL} of the {T} periods ready); "
                   f"for example {_fmt(worst)} at {_pct(Fraction(nL - 1, T))}.")
    if contract.bonus == 0:
        out.append("Bonus: none.")
    elif contract.scheme == LUMP_SUM:
        out.append(f"Bonus: the supplier receives {_fmt(contract.bonus)} when the ready rate is at "
                   f"least {_pct(aU)}, that is when {nU} or more of the {T} periods are ready.")
    else:
        best = contract.bonus * (1 - aU)
        out.append(f"Bonus: the supplier receives {_fmt(contract.bonus)} times the excess of the "
                   f"ready rate above {_pct(aU)}; for example {_fmt(best)} at 100%.")
    return out


def _png(fig) -> str:
    """A figure as a base64 PNG data URI."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=FIGURE_DPI)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


@dataclass(frozen=True)
class _PolicyView:
    """One policy's numbers for the template (floats)."""

    cost_per_period: float
    holding_per_period: float
    purchase_per_period: float | None
    settlement_per_period: float
    mean: float
    sd: float
    p_penalty: float
    p_neutral: float
    p_bonus: float


def _policy_view(solution) -> _PolicyView:
    T = solution.problem.review_period
    parts = solution.chain.cost_decomposition()
    dist = solution.ready_rate
    purchase = parts.get("purchase")  # purchases less salvage, when they are modelled
    return _PolicyView(float(solution.cost_per_period), float(parts["holding"]) / T,
                       None if purchase is None else float(purchase) / T,
                       float(parts["settlement"]) / T, float(dist.mean), dist.sd,
                       float(dist.p_penalty), float(dist.p_neutral), float(dist.p_bonus))


def _environment():
    try:
        import jinja2
    except ImportError:
        raise ReportDependencyError(
            "jinja2: not installed; reports need it: pip install 'slamarkov[report]'") from None
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("slamarkov", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda x, digits=4: f"{100 * float(x):.{digits}g}%"
    env.filters["num"] = lambda x, digits=6: "–" if x is None else f"{float(x):.{digits}g}"
    return env


def render_report(problem: Problem, log=None, *, max_stock=None, exact: bool = False,
                  title: str | None = None, progress=None) -> str:
    """Render the HTML report of a contract, optionally with where a running review period
    stands.

    Parameters
    ----------
    problem : Problem
    log : path, PeriodLog or sequence of 0/1, optional
        The periods observed so far in the current review period (see
        :func:`slamarkov.analysis.monitor.parse_log`); adds the monitor section.
    max_stock, exact
        Solver settings, as for :func:`~slamarkov.solve.solve_dynamic`.
    title : str, optional
        Default "SLA report: " and the contract in one line.
    progress : bool, optional
        A bar over the steps (solve, figures, gaming indicators) on standard error: None (the
        default) when it is a terminal, True always, False never.

    Returns
    -------
    str
        One self-contained HTML document (figures embedded; no network access needed).

    Raises
    ------
    MonitorError
        On an invalid log.
    ReportDependencyError, PlotDependencyError
        When jinja2 or matplotlib is not installed (``pip install 'slamarkov[report]'``).

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem
    >>> html = render_report(Problem(Contract.study(10), Poisson(5), 0.5), [1, 1, 0])
    >>> html.startswith("<!DOCTYPE html>"), "http://" in html, html.count("<img")
    (True, False, 3)
    """
    from ..analysis.gaming import gaming_indicators, ready_rate_gap
    from ..analysis.monitor import as_log, monitor
    from ..plot.distributions import policies_ready_rate_figure
    from ..plot.policy import draw_policy_heatmap
    from ..solve.both import solve_both

    from ..core.progress import progress as progress_bar
    from ..plot.figure import require_matplotlib

    env = _environment()  # fail early, before solving, when jinja2 is missing
    require_matplotlib()  # and when matplotlib is
    period_log = as_log(log, problem) if log is not None else None
    bar = progress_bar(total=3, label="report", unit="step", enabled=progress)
    bar.set_postfix_str("solve")
    dyn, sta = solve_both(problem, max_stock=max_stock, exact=exact)
    bar.update(1)
    bar.set_postfix_str("figures")
    contract = problem.contract
    T = problem.review_period

    figures = {"ready_rate": _png(policies_ready_rate_figure(
        dyn.ready_rate, sta.ready_rate,
        title="Ready rate at the end of a review period, from its start"))}
    # the heat map draws S_i(v); a carry-over table has a third coordinate, the stock on hand,
    # and is drawn in one slice (as `plot --stock-on-hand`): the running period's, else x = 0
    heat_slice = 0 if problem.carries else None
    status = result = None
    if period_log is not None:
        result = monitor(problem, period_log, dynamic=dyn.policy, static=sta.policy)
        if problem.carries and result.state.period <= T:
            heat_slice = result.state.stock_on_hand
    heat = draw_policy_heatmap(dyn.policy, stock_on_hand=heat_slice)
    if result is not None:
        state = result.state
        if state.period <= T and heat is not None:
            ax = heat.axes[0]
            ax.plot([state.period], [state.ready_count], marker="*", markersize=16,
                    color="white", markeredgecolor="black", linestyle="none",
                    label=f"now: period {state.period}, {state.ready_count} ready so far")
            ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
        start = state.chain_state
        figures["from_here"] = _png(policies_ready_rate_figure(
            dyn.chain.ready_rate(start),
            sta.chain.ready_rate(start),
            title=f"Ready rate at the end of this review period, from period {state.period} "
                  f"with {state.ready_count} ready so far"))
        status = {
            "result": result,
            "logged": state.period - 1,
            "left": T - state.period + 1,
            "source": None if period_log.source in ("log", "<log>") else period_log.source,
        }
    if heat is not None:
        figures["heatmap"] = _png(heat)

    bar.update(1)
    bar.set_postfix_str("gaming indicators")
    gaming = {
        "dynamic": gaming_indicators(dyn, sta),
        "static": gaming_indicators(sta, sta),
        "ready_gap": float(ready_rate_gap(dyn, sta)),
        "bonus_count": contract.bonus_count,
        "penalty_count": contract.penalty_count,
    }

    bar.update(1)
    bar.close()
    demand = problem.demand
    template = env.get_template("report.html.j2")
    return template.render(
        title=title or f"SLA report: {contract.describe()}",
        contract=contract,
        terms=contract_terms(contract),
        demand=demand.describe(),
        holding=_fmt(problem.holding_cost),
        carries=problem.carries,
        heat_slice=heat_slice,
        purchase=_fmt(problem.purchase_cost) if problem.purchase_cost else None,
        salvage=_fmt(problem.salvage_value) if problem.salvage_value else None,
        discrete=demand.discrete,
        dynamic=_policy_view(dyn),
        static=_policy_view(sta),
        base_stock=_fmt(sta.base_stock),
        dynamic_stock_range=(_fmt(dyn.policy.stock.min()), _fmt(dyn.policy.stock.max())),
        max_stock=_fmt(dyn.max_stock),
        exact=exact,
        figures=figures,
        status=status,
        gaming=gaming,
        version=_version(),
    )


def _version():
    from .._version import __version__

    return __version__


def write_report(path, problem: Problem, log=None, **options):
    """Render the report (:func:`render_report`) and write it to ``path`` atomically.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile, os
    >>> from slamarkov import Contract, Poisson, Problem
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_report(os.path.join(d, "report.html"), Problem(Contract.study(5), Poisson(5), 1))
    ...     p.read_text().count("data:image/png;base64,")
    2
    """
    from pathlib import Path

    html = render_report(problem, log, **options)
    atomic_write(path, html)
    return Path(path)


#: the page's figure encoding and template environment, shared with the report of several
#: customers (:mod:`slamarkov.report.customers_html`)
figure_data_uri = _png
report_environment = _environment
