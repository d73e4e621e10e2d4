"""Monitoring a running review period of a fill-rate contract (docs/model.md sections 13 and 14).

The log has one row per period observed, ``period,demand,filled`` (units; with stock carried over
also ``stock_on_hand``), read and checked by the monitor's reader (filled never above demand,
whole units). Its state is (i, D, F[, x]): the next period, the units demanded and filled so far
and the stock on hand. From there each optimal policy's fill-rate distribution gives the bands'
probabilities, the expected settlement and the expected fill rate, and the policy gives the order
of the period to come.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..chain.classes import OPEN
from ..chain.fill_classes import fill_outcome_ends
from ..chain.policy import Policy
from ..errors import ChainError, MonitorError
from ..model.contract import BANDS
from ..model.problem import Problem
from ..solve.both import solve_policy
from .monitor import as_log

__all__ = ["fill_monitor", "FillMonitorResult", "fill_monitor_text", "fill_decided_band"]


@dataclass(frozen=True)
class FillMonitorResult:
    """The state of a running fill-rate review period and both policies' outlook from it.

    Attributes
    ----------
    state : tuple
        (i, D, F) or (i, D, F, x).
    decided : {"penalty", "neutral", "bonus"} or None
        The band the review period ends in whatever happens (:func:`fill_decided_band`).
    dynamic, static : dict
        ``p_penalty``, ``p_neutral``, ``p_bonus``, ``expected_settlement``,
        ``mean_fill_rate`` and ``stock_now`` (None at the end of the review period).
    distributions : dict
        ``{"dynamic": FillRateDistribution, "static": ...}``: each policy's distribution of the
        final FR from the state (the report draws them; not in :meth:`to_dict`).
    """

    state: tuple
    decided: str | None
    dynamic: dict
    static: dict
    distributions: dict | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        """The JSON document (probabilities and amounts as floats)."""
        names = ("period", "demand_total", "filled_total", "stock_on_hand")

        def clean(d):
            return {k: (None if v is None else float(v) if k != "stock_now" else int(v))
                    for k, v in d.items()}

        return {"measure": "fill-rate", "state": dict(zip(names, self.state)),
                "decided": self.decided,
                "dynamic": clean(self.dynamic), "static": clean(self.static)}


def fill_decided_band(problem: Problem, state) -> str | None:
    """The band a fill-rate review period ends in whatever happens from ``state`` (i, D, F[, x]),
    or None: the committed band of docs/model.md section 14, whatever the remaining demands (over
    the demand's own support) and fills.

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform, Poisson, Problem
    >>> c = Contract(3, "0.5", "0.75", penalty=4, bonus=2, measure="fill-rate")
    >>> prob = Problem(c, DiscreteUniform(0, 2), 1)
    >>> [fill_decided_band(prob, s) for s in ((3, 4, 0), (3, 4, 4), (4, 4, 3))]
    ['penalty', None, 'bonus']
    >>> fill_decided_band(Problem(c, Poisson(2), 1), (3, 4, 0)) is None  # demand unbounded
    True
    """
    i, D, F = (int(t) for t in state[:3])
    low, high = fill_outcome_ends(problem.contract, problem.demand.upper, [i], [D], [F],
                                  amounts=False)
    return None if low[0] != high[0] or low[0] == OPEN else BANDS[int(low[0]) + 1]


def _outlook(policy: Policy, state: tuple):
    space = policy.space
    try:
        pos = space.start(state, field="log")
    except ChainError as exc:
        raise MonitorError(f"{exc} (the logged units leave the states the policy holds)") \
            from None
    dist = policy.fill_rate(state)
    stock = None if pos.i > space.T else int(policy.stock[space.flat(pos)])
    return {"p_penalty": dist.p_penalty, "p_neutral": dist.p_neutral, "p_bonus": dist.p_bonus,
            "expected_settlement": dist.expected_settlement(), "mean_fill_rate": dist.mean,
            "stock_now": stock}, dist


def fill_monitor(problem: Problem, log, *, max_stock=None, exact: bool = False,
                 dynamic: Policy | None = None, static: Policy | None = None
                 ) -> FillMonitorResult:
    """Where a running fill-rate review period stands (module docstring).

    Parameters
    ----------
    problem : Problem
        A fill-rate contract's problem.
    log : path or PeriodLog
        The periods observed so far (``period,demand,filled[,stock_on_hand]``).

    Raises
    ------
    MonitorError
        On an invalid log, or totals outside the states the policies hold.

    Examples
    --------
    >>> import os, tempfile
    >>> from slamarkov import Contract, DiscreteUniform, Problem
    >>> prob = Problem(Contract(3, "0.8", "0.9", penalty=12, measure="fill-rate"),
    ...                DiscreteUniform(0, 2), 1)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = os.path.join(d, "log.csv")
    ...     with open(path, "w") as f:
    ...         _ = f.write("period,demand,filled\\n1,2,1\\n")
    ...     res = fill_monitor(prob, path, max_stock=3, exact=True)
    >>> res.state, str(res.dynamic["p_penalty"]), res.dynamic["stock_now"]
    ((2, 2, 1), '2/3', 2)
    """
    if dynamic is None:
        dynamic = solve_policy(problem, "dynamic", max_stock=max_stock, exact=exact).policy
    if static is None:
        static = solve_policy(problem, "static", max_stock=max_stock, exact=exact).policy
    # a path is read, a PeriodLog (read before solving) checked again: the stock on hand against
    # the policies' stock range
    top = dynamic.space.max_stock if dynamic.carries else None
    log = as_log(log, problem, max_stock=top)
    D, F = log.score.logged(log.ready)
    state = (log.n_periods + 1, D, F)
    if log.stock_on_hand is not None:
        state += (log.stock_on_hand[-1] if log.stock_on_hand else log.initial_stock,)
    (dyn, dyn_dist), (sta, sta_dist) = _outlook(dynamic, state), _outlook(static, state)
    return FillMonitorResult(state, fill_decided_band(problem, state), dyn, sta,
                             {"dynamic": dyn_dist, "static": sta_dist})


def fill_monitor_text(result: FillMonitorResult, problem: Problem) -> str:
    """A short readable report of :func:`fill_monitor`'s result."""
    T = problem.review_period
    i, D, F = result.state[:3]
    rate = "no units demanded yet" if D == 0 else f"fill rate so far {100 * F / D:.4f}%"
    lines = [problem.contract.describe(),
             f"state (i, D, F) = ({i}, {D}, {F}): "
             + (f"next period {i} of {T}" if i <= T else f"review period over (T = {T})")
             + f", {F} of {D} units demanded filled on time ({rate})",
             "outcome: " + ("undecided" if result.decided is None else
                            f"decided: {result.decided}" + (" (whatever happens)" if i <= T
                                                            else "")), "",
             f"{'from here':28}{'dynamic':>14}{'static':>14}"]
    d, s = result.dynamic, result.static
    for label, key in (("P(penalty)", "p_penalty"), ("P(neutral)", "p_neutral"),
                       ("P(bonus)", "p_bonus"), ("mean fill rate at the end", "mean_fill_rate")):
        lines.append(f"{label:28}{100 * float(d[key]):13.4f}%{100 * float(s[key]):13.4f}%")
    lines.append(f"{'expected settlement':28}{float(d['expected_settlement']):14.6g}"
                 f"{float(s['expected_settlement']):14.6g}")

    def stock(x):
        return "-" if x is None else f"{int(x)}"

    lines.append(f"{'stock to order now':28}{stock(d['stock_now']):>14}{stock(s['stock_now']):>14}")
    lines.append("(settlement: what the supplier pays at the end; a bonus counts negative)")
    return "\n".join(lines)
