"""``slamarkov monitor FILE --log LOG.csv``: where a running review period stands."""

from __future__ import annotations

import math

from ..analysis.customers_monitor import monitor_customers, read_customers_log
from ..analysis.monitor import monitor, monitor_text, read_log
from ..errors import MonitorError
from ..model.contract import FILL_RATE, MEASURES
from ..model.customers import CustomersProblem
from ._common import (
    add_out_argument,
    add_problem_arguments,
    config_from_args,
    emit,
    json_text,
    out_format,
    warn,
)

FORMATS = ("text", "json")


def register(sub):
    p = sub.add_parser(
        "monitor", help="where a running review period stands, from its log of periods",
        description="Read the log of the periods observed so far in the current review period "
        "(CSV with header period,ready[,demand]; ready is 0 or 1; with stock carried over also "
        "stock_on_hand, the stock left at the end of each period) and print, under the optimal "
        "dynamic and static policies, P(penalty), P(neutral), P(bonus) and the expected "
        "settlement from here, the stock to order now, and how many of the remaining periods "
        "must be ready to avoid the penalty and to earn the bonus. --alert P exits 1 when the "
        "dynamic policy's P(penalty) from here exceeds P (0 otherwise). A fill-rate contract's "
        "log is period,demand,filled[,stock_on_hand] (units).")
    add_problem_arguments(p)
    p.add_argument("--log", required=True, metavar="LOG.csv",
                   help="the periods so far: period,ready[,demand][,stock_on_hand] (a header "
                   "alone: none yet)")
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="text (default) or json; --out's suffix picks it too")
    add_out_argument(p, FORMATS)
    p.add_argument("--alert", metavar="P", default=None,
                   help="exit 1 when P(penalty) from here under the dynamic policy exceeds P "
                   "(a probability in [0, 1])")
    p.set_defaults(handler=run)


def _alert_level(text):
    try:
        p = float(text)
    except ValueError:
        p = math.nan
    if not 0 <= p <= 1:
        raise MonitorError(f"--alert: must be a probability in [0, 1], got {text!r}")
    return p


def run(args) -> int:
    level = _alert_level(args.alert) if args.alert is not None else None
    fmt = out_format(args.out, args.format, FORMATS, "text")
    cfg = config_from_args(args, MEASURES, customers=True)
    if isinstance(cfg.problem, CustomersProblem):  # docs/model.md section 15
        m = monitor_customers(cfg.problem, read_customers_log(args.log, cfg.problem),
                              **cfg.solver_options())
        emit(json_text(m.to_dict()) if fmt == "json" else m.to_text(), args.out)
        worst = max(c["p_penalty"] for c in m.to_dict()["dynamic"]["customers"])
        if level is not None and worst > level:
            warn(f"alert: a customer's P(penalty) from period {m.log.periods + 1} under the "
                 f"dynamic policy is {100 * worst:.4f}%, above --alert {level:g}")
            return 1
        return 0
    if cfg.problem.contract.measure == FILL_RATE:  # docs/model.md section 14
        from ..analysis.fill_monitor import fill_monitor, fill_monitor_text

        result = fill_monitor(cfg.problem, args.log, **cfg.solver_options())
        if fmt == "json":
            emit(json_text(result.to_dict()), args.out)
        else:
            emit(fill_monitor_text(result, cfg.problem), args.out)
        p = float(result.dynamic["p_penalty"])
        if level is not None and p > level:
            warn(f"alert: P(penalty) from period {result.state[0]} under the dynamic policy is "
                 f"{100 * p:.4f}%, above --alert {level:g}")
            return 1
        return 0
    log = read_log(args.log, cfg.problem)
    result = monitor(cfg.problem, log, **cfg.solver_options())
    if fmt == "json":
        emit(json_text(result.to_dict()), args.out)
    else:
        emit(monitor_text(result, cfg.problem), args.out)
    if level is not None and float(result.dynamic.p_penalty) > level:
        warn(f"alert: P(penalty) from period {result.state.period} under the dynamic policy is "
             f"{100 * float(result.dynamic.p_penalty):.4f}%, above --alert {level:g} "
             f"({100 * level:g}%)")
        return 1
    return 0
