"""``slamarkov solve FILE``: both optimal policies and their ready-rate distributions."""

from __future__ import annotations

from ..model.contract import MEASURES
from ..model.customers import CustomersProblem
from ..report.customers import customers_solve_report, customers_solve_text
from ..report.solve import solve_report, solve_text
from ._common import (
    add_out_argument,
    add_problem_arguments,
    config_from_args,
    emit,
    json_text,
    out_format,
)

FORMATS = ("text", "json")


def register(sub):
    p = sub.add_parser("solve", help="optimal dynamic and static policies of a contract file",
                       description="Solve a contract file: the dynamic (strategic) and static "
                       "policies, their costs per period and exact ready-rate distributions.")
    add_problem_arguments(p)
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="text (default) or json; --out's suffix picks it too")
    p.add_argument("--summary-only", action="store_true",
                   help="leave out the stock table (JSON) / the table (text)")
    add_out_argument(p, FORMATS)
    p.set_defaults(handler=run)


def run(args) -> int:
    fmt = out_format(args.out, args.format, FORMATS, "text")  # a bad suffix fails before solving
    cfg = config_from_args(args, MEASURES, customers=True)
    if isinstance(cfg.problem, CustomersProblem):  # several customers (docs/model.md section 15)
        report = customers_solve_report(cfg, summary_only=args.summary_only)
        text = customers_solve_text
    else:
        report = solve_report(cfg, summary_only=args.summary_only)
        text = solve_text
    if fmt == "json":
        emit(json_text(report), args.out)
    else:
        emit(text(cfg, report), args.out)
    return 0
