"""``slamarkov solve FILE``: both optimal policies and their ready-rate distributions."""

from __future__ import annotations

import json

from ..report import solve_report, solve_text
from ._common import add_problem_arguments, config_from_args, emit


def register(sub):
    p = sub.add_parser("solve", help="optimal dynamic and static policies of a contract file",
                       description="Solve a contract file: the dynamic (strategic) and static "
                       "policies, their costs per period and exact ready-rate distributions.")
    add_problem_arguments(p)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--summary-only", action="store_true",
                   help="leave out the stock table (JSON) / the table (text)")
    p.add_argument("--out", default=None, metavar="PATH", help="write to PATH instead of stdout")
    p.set_defaults(handler=run)


def run(args) -> int:
    cfg = config_from_args(args)
    report = solve_report(cfg, summary_only=args.summary_only)
    if args.format == "json":
        emit(json.dumps(report, indent=2, allow_nan=False), args.out)
    else:
        emit(solve_text(cfg, report), args.out)
    return 0
