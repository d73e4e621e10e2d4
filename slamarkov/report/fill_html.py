"""The HTML report of a fill-rate contract (docs/model.md section 14): the terms in words, both
policies' costs and fill-rate distributions (a figure of both), the policies in brief and the
gaming indicators in units; given a log of the running review period
(``period,demand,filled[,stock_on_hand]``), the monitor's section (docs/model.md section 13):
its state (i, D, F[, x]), and from there each policy's P(penalty), P(bonus), mean fill rate at
the end, expected settlement and the order to place now, as
:func:`~slamarkov.analysis.fill_monitor.fill_monitor` computes them, with a figure of the final
fill rate's distributions from the state. One self-contained page (figures embedded); jinja2 and
matplotlib (the ``report`` extra) are imported inside the functions."""

from __future__ import annotations

from pathlib import Path

from ..io.atomic import atomic_write
from ..model.contract import LUMP_SUM
from ..model.problem import Problem
from .html import figure_data_uri, report_environment

__all__ = ["fill_contract_terms", "render_fill_report", "write_fill_report"]


def _pct(x) -> str:
    return f"{100 * float(x):g}%"


def fill_contract_terms(contract) -> list[str]:
    """A fill-rate contract in words: one sentence per term (docs/model.md section 14).

    Examples
    --------
    >>> from slamarkov import Contract
    >>> for s in fill_contract_terms(Contract(10, 0.8, 0.9, penalty=50, bonus=30,
    ...                                       measure="fill-rate")):
    ...     print(s)
    The review period is 10 inventory periods; the fill rate is the units delivered from stock on time over the units demanded in it (100% when nothing is demanded).
    Penalty: the supplier pays 50 when the fill rate is below 80%.
    Bonus: the supplier receives 30 when the fill rate is at least 90%.
    """
    T = contract.review_period
    out = [f"The review period is {T} inventory periods; the fill rate is the units delivered "
           "from stock on time over the units demanded in it (100% when nothing is demanded)."]
    aL, aU = contract.penalty_threshold, contract.bonus_threshold
    Lm, Lp = f"{float(contract.penalty):g}", f"{float(contract.bonus):g}"
    if contract.penalty == 0:
        out.append("Penalty: none.")
    elif contract.scheme == LUMP_SUM:
        out.append(f"Penalty: the supplier pays {Lm} when the fill rate is below {_pct(aL)}.")
    else:
        out.append(f"Penalty: the supplier pays {Lm} times the shortfall of the fill rate below "
                   f"{_pct(aL)}.")
    if contract.bonus == 0:
        out.append("Bonus: none.")
    elif contract.scheme == LUMP_SUM:
        out.append(f"Bonus: the supplier receives {Lp} when the fill rate is at least {_pct(aU)}.")
    else:
        out.append(f"Bonus: the supplier receives {Lp} times the excess of the fill rate above "
                   f"{_pct(aU)}.")
    return out


def _view(solution) -> dict:
    T = solution.problem.review_period
    dist = solution.fill_rate
    return {"cost_per_period": float(solution.cost_per_period), "mean": float(dist.mean),
            "sd": float(dist.sd), "p_penalty": float(dist.p_penalty),
            "p_neutral": float(dist.p_neutral), "p_bonus": float(dist.p_bonus),
            "settlement_per_period": float(dist.expected_settlement()) / T}


def _figure(dyn, sta, contract,
            title="Fill rate at the end of a review period, from its start"):
    """The two fill-rate distributions as step functions P(FR <= r), the thresholds dashed."""
    import numpy as np

    from ..plot.figure import new_figure

    fig = new_figure(6.4, 3.8)
    ax = fig.add_subplot()
    for name, dist, color in (("dynamic", dyn, "C0"), ("static", sta, "C1")):
        x = np.asarray([float(v) for v in dist.values])
        cdf = np.cumsum(np.asarray([float(p) for p in dist.pmf]))
        ax.step(np.r_[0.0, x, 1.0], np.r_[0.0, cdf, cdf[-1] if cdf.size else 0.0],
                where="post", color=color, label=f"{name}: mean {100 * float(dist.mean):.2f}%")
    for a in (contract.penalty_threshold, contract.bonus_threshold):
        ax.axvline(float(a), color="0.4", linestyle="--", linewidth=1)
    ax.set_xlabel("fill rate at the end of the review period")
    ax.set_ylabel("P(fill rate <= r)")
    ax.set_title(title)
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def render_fill_report(problem: Problem, log=None, *, max_stock=None,
                       exact: bool = False) -> str:
    """Render the report of a fill-rate contract (module docstring).

    Parameters
    ----------
    problem : Problem
        A fill-rate contract's problem.
    log : path or PeriodLog, optional
        The periods observed so far (``period,demand,filled[,stock_on_hand]``); adds the
        monitor's section. Read and checked before solving.
    max_stock, exact
        Solver settings, as for :func:`~slamarkov.solve.solve_dynamic`.

    Raises
    ------
    MonitorError
        On an invalid log, or logged totals outside the states the policies hold.

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform
    >>> prob = Problem(Contract(3, 0.8, 0.9, penalty=4, bonus=2, measure="fill-rate"),
    ...                DiscreteUniform(0, 2), 0.5)
    >>> html = render_fill_report(prob, exact=True)
    >>> html.startswith("<!DOCTYPE html>"), html.count("<img"), "mean fill rate" in html
    (True, 1, True)
    """
    from .._version import __version__
    from ..analysis.fill_gaming import fill_gaming_indicators, lowest_fill_class
    from ..analysis.fill_monitor import fill_monitor
    from ..analysis.monitor import as_log
    from ..plot.figure import require_matplotlib
    from ..solve.both import solve_both

    env = report_environment()  # fail early, before solving, when jinja2 is missing
    require_matplotlib()
    period_log = as_log(log, problem) if log is not None else None  # and on a bad log
    dyn, sta = solve_both(problem, max_stock=max_stock, exact=exact)
    contract = problem.contract
    status = None
    if period_log is not None:
        result = fill_monitor(problem, period_log, dynamic=dyn.policy, static=sta.policy)
        i, D, F = result.state[:3]
        T = problem.review_period
        status = {
            "result": result, "period": i, "demand": D, "filled": F,
            "stock_on_hand": result.state[3] if len(result.state) > 3 else None,
            "logged": i - 1, "left": T - i + 1, "review_period": T,
            "source": None if period_log.source in ("log", "<log>") else period_log.source,
            "figure": figure_data_uri(_figure(
                result.distributions["dynamic"], result.distributions["static"], contract,
                title=f"Fill rate at the end of this review period, from period {i} "
                      f"with {F} of {D} units filled")),
        }
    cap = dyn.policy.space.score.cap(problem.review_period + 1)
    gaming = {
        "dynamic": {k: float(v) for k, v in fill_gaming_indicators(dyn, sta).items()},
        "static": {k: float(v) for k, v in fill_gaming_indicators(sta, sta).items()},
        "rate_gap": float(sta.fill_rate.mean - dyn.fill_rate.mean),
        "phi_bonus": _pct(lowest_fill_class(cap, contract.bonus_threshold)),
        "phi_penalty": _pct(lowest_fill_class(cap, contract.penalty_threshold)),
    }
    stock = dyn.policy.stock
    return env.get_template("fill_report.html.j2").render(
        title=f"SLA report: {contract.describe()}",
        terms=fill_contract_terms(contract), demand=problem.demand.describe(),
        holding=f"{float(problem.holding_cost):g}", carries=problem.carries,
        dynamic=_view(dyn), static=_view(sta), base_stock=sta.base_stock,
        dynamic_stock_range=(int(stock.min()), int(stock.max())), max_stock=dyn.max_stock,
        truncated_mass=float(dyn.truncated_mass),
        figure=figure_data_uri(_figure(dyn.fill_rate, sta.fill_rate, contract)),
        gaming=gaming, status=status, version=__version__)


def write_fill_report(path, problem: Problem, log=None, **options) -> Path:
    """Render (:func:`render_fill_report`) and write atomically; returns the path."""
    atomic_write(path, render_fill_report(problem, log, **options))
    return Path(path)
