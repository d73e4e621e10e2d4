"""``slamarkov report FILE --out report.html``: a contract's report as one self-contained page."""

from __future__ import annotations

from ..analysis.monitor import read_log
from ..model.contract import FILL_RATE
from ..model.customers import CustomersProblem
from ._common import (
    add_problem_arguments,
    add_progress_arguments,
    config_from_args,
    out_format,
    wrote,
)


def register(sub):
    p = sub.add_parser(
        "report", help="a contract's report as one self-contained HTML page",
        description="Write one self-contained HTML file (figures embedded, no network access "
        "needed to view it): the terms in words, both policies' costs and ready-rate "
        "distributions, the dynamic policy's stock table as a heat map, the gaming indicators "
        "and, with --log, where "
        "the running review period stands (as 'slamarkov monitor' computes it). Needs jinja2 "
        "and matplotlib (pip install 'slamarkov[report]'). A fill-rate contract: its fill-rate "
        "distributions, the policies in brief and the gaming indicators in units; with --log "
        "(period,demand,filled[,stock_on_hand]) where the running review period stands.")
    add_problem_arguments(p)
    p.add_argument("--out", required=True, metavar="HTML",
                   help="the HTML file to write (suffix .html)")
    p.add_argument("--log", default=None, metavar="LOG.csv",
                   help="the periods so far in the running review period: period,ready[,demand] "
                   "(a fill-rate contract: period,demand,filled)")
    add_progress_arguments(p)
    p.set_defaults(handler=run)


def run(args) -> int:
    out_format(args.out, None, ("html",), "html")  # a bad suffix fails before solving
    from ..report.html import write_report

    cfg = config_from_args(args, ("ready-rate", FILL_RATE), customers=True)
    if getattr(getattr(cfg.problem, "contract", None), "measure", None) == FILL_RATE:
        # docs/model.md section 14: the fill rate's distributions and indicators in units, and
        # with --log the monitor's section (a log of period,demand,filled[,stock_on_hand])
        from ..report.fill_html import write_fill_report

        log = read_log(args.log, cfg.problem) if args.log is not None else None  # before solving
        wrote(write_fill_report(args.out, cfg.problem, log, **cfg.solver_options()))
        return 0
    if isinstance(cfg.problem, CustomersProblem):  # docs/model.md section 15
        from ..report.customers_html import write_customers_report

        wrote(write_customers_report(args.out, cfg, args.log))
        return 0
    log = read_log(args.log, cfg.problem) if args.log is not None else None
    wrote(write_report(args.out, cfg.problem, log, progress=args.progress,
                       **cfg.solver_options()))
    return 0
