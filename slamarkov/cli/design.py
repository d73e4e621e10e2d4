"""``slamarkov design GRID --minimize COLUMN --where EXPR``: the best contracts of a grid."""

from __future__ import annotations

from pathlib import Path

from ..errors import OutputError
from .sweep import add_executor_arguments, executor_options

__all__ = ["register"]

#: columns shown in the text tables, after the swept keys
SHOWN = ("policy", "buyer_payment_per_period", "cost_per_period", "ready_mean", "p_penalty",
         "p_bonus", "give_up_periods", "coasting_periods", "withheld_ready_periods",
         "bunching_excess_bonus")


def register(sub):
    from ..sweep.design import INFEASIBLE_EXIT

    p = sub.add_parser(
        "design", help="best contracts of a grid under constraints, and the Pareto front",
        description="Sweep a grid file (or read a sweep's table) and list the contracts that "
        "satisfy --where (a pandas query over the table's columns, e.g. \"p_penalty <= 0.05 and "
        "ready_mean >= 0.9\"), smallest --minimize first, then the Pareto front of the buyer's "
        "expected payment per period (buyer_payment_per_period) against the expected ready rate "
        "among them. Exit codes: 0 found, 2 bad input (nothing written), "
        f"{INFEASIBLE_EXIT} no grid point satisfies the constraints.",
    )
    p.add_argument("grid", metavar="GRID",
                   help="grid file (TOML), or a table written by 'slamarkov sweep' "
                   "(.csv, .parquet, .json)")
    p.add_argument("--minimize", required=True, metavar="COLUMN",
                   help="column to minimise, e.g. buyer_payment_per_period or cost_per_period")
    p.add_argument("--where", default=None, metavar="EXPR", help="constraints (pandas query)")
    p.add_argument("--policy", choices=("dynamic", "static", "both"), default="dynamic",
                   help="the supplier to design for (default dynamic: a strategic supplier)")
    p.add_argument("--top", type=int, default=10, metavar="N", help="contracts to list (10)")
    p.add_argument("--out", default=None, metavar="FILE",
                   help="write every feasible row, best first (.csv, .parquet, .json)")
    p.add_argument("--table", default=None, metavar="FILE",
                   help="also write the whole sweep (.csv, .parquet, .json)")
    p.add_argument("--figure", default=None, metavar="FILE",
                   help="draw the Pareto front (.png, .svg, .pdf; needs matplotlib)")
    add_executor_arguments(p)
    p.set_defaults(handler=run)


def _text(t, key_columns) -> str:
    cols = [c for c in list(key_columns) + list(SHOWN) if c in t.columns]
    return t[cols].to_string(index=False, float_format=lambda x: f"{x:.6g}")


def run(args) -> int:
    import sys

    from ..io.tables import TABLE_FORMATS, check_table_path, read_table, write_table
    from ..plot.figure import FIGURE_SUFFIXES, require_matplotlib, save_figure
    from ..sweep.design import (
        INFEASIBLE_EXIT,
        check_query,
        design,
        pareto_figure,
        pareto_front,
    )
    from ..sweep.grid import RESULT_COLUMNS, load_grid
    from ..sweep.runner import sweep
    from ._common import note, wrote

    for path in (args.out, args.table):
        if path is not None:
            check_table_path(path)
    if args.figure is not None:
        if Path(args.figure).suffix.lower() not in FIGURE_SUFFIXES:
            raise OutputError(f"{args.figure}: a figure is {', '.join(FIGURE_SUFFIXES)}")
        require_matplotlib()
    if args.top < 1:
        raise OutputError(f"--top: must be an integer >= 1, got {args.top}")
    options = executor_options(args)
    written = []
    policy = None if args.policy == "both" else args.policy
    if Path(args.grid).suffix.lower() in TABLE_FORMATS:
        table = read_table(args.grid)
        keys = [c for c in table.columns if c not in RESULT_COLUMNS]
        check_query(table.columns, args.where, args.minimize)
    else:
        grid = load_grid(args.grid, max_points=args.max_points)
        keys = list(grid.columns)
        check_query(keys + list(RESULT_COLUMNS), args.where, args.minimize)  # before any work
        table = sweep(grid, **options)
        if args.table is not None:
            write_table(table, args.table)
            written.append(args.table)
    best = design(table, args.minimize, args.where, policy)
    n_rows = int((table["policy"] == policy).sum()) if policy else len(table)
    if best.empty:
        note(f"no grid point satisfies --where {args.where!r} ({n_rows} rows, policy "
             f"{args.policy}); nothing written")
        return INFEASIBLE_EXIT
    front = pareto_front(best)
    if args.out is not None:
        write_table(best, args.out)
        written.append(args.out)
    if args.figure is not None:
        save_figure(pareto_figure(best, front, title=f"{args.policy} supplier"), args.figure)
        written.append(args.figure)
    where = f" with {args.where}" if args.where else ""
    lines = [
        f"{len(best)} of {n_rows} rows satisfy the constraints{where} (policy {args.policy}); "
        f"best {min(args.top, len(best))} by {args.minimize}:",
        _text(best.head(args.top), keys),
        "",
        f"Pareto front, buyer payment per period against expected ready rate "
        f"({len(front)} contracts):",
        _text(front, keys),
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    for path in written:
        wrote(path)
    return 0
