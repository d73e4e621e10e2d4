"""``slamarkov design GRID --minimize COLUMN --where EXPR``: the best contracts of a grid."""

from __future__ import annotations

from pathlib import Path

from ..errors import OutputError
from .sweep import add_executor_arguments, executor_options

__all__ = ["register"]

#: columns shown in the text tables, after the swept keys
SHOWN = ("policy", "penalty_count", "bonus_count", "buyer_payment_per_period", "cost_per_period",
         "ready_mean", "p_penalty", "p_bonus", "give_up_periods", "coasting_periods",
         "withheld_ready_periods", "bunching_excess_bonus")
#: fractions in the table that the text prints in percent (README, "Units")
PERCENT = ("ready_mean", "ready_sd", "p_penalty", "p_bonus", "bunching_excess_bonus",
           "bunching_excess_penalty", "ready_gap")
#: several customers (docs/model.md section 15): the columns shown, and those per customer
CUSTOMERS_SHOWN = ("policy", "cost_per_period", "buyer_payment_per_period")
CUSTOMER_SHOWN = ("buyer_payment_per_period", "ready_mean", "p_penalty", "p_bonus", "sacrificed")
CUSTOMER_PERCENT = ("ready_mean", "p_penalty", "p_bonus")
#: a table with fill-rate rows (docs/model.md section 14: sweeps): each row's measure and rate
RATE_SHOWN = ("policy", "measure", "buyer_payment_per_period", "cost_per_period", "rate_mean",
              "p_penalty", "p_bonus", "give_up_periods", "coasting_periods",
              "withheld_ready_periods", "withheld_filled_units", "bunching_excess_bonus")
RATE_PERCENT = ("rate_mean", "rate_sd", "p_penalty", "p_bonus", "bunching_excess_bonus",
                "bunching_excess_penalty", "rate_gap")


def _shown(names, rates=False) -> tuple:
    """The columns shown after the swept keys, and those printed in percent."""
    if rates:
        return RATE_SHOWN, RATE_PERCENT
    if not names:
        return SHOWN, PERCENT
    return (CUSTOMERS_SHOWN + tuple(f"{m}_{n}" for n in names for m in CUSTOMER_SHOWN),
            tuple(f"{m}_{n}" for n in names for m in CUSTOMER_PERCENT))


def register(sub):
    from ..sweep.design import INFEASIBLE_EXIT

    p = sub.add_parser(
        "design", help="best contracts of a grid under constraints, and the Pareto front",
        description="Sweep a grid file (or read a sweep's table) and list the contracts that "
        "satisfy --where (a condition over the table's columns, e.g. \"p_penalty <= 0.05 and "
        "ready_mean >= 0.9\": columns, numbers, + - * / **, comparisons, and/or/not; nothing "
        "else is accepted and nothing is run as code), smallest --minimize first, then the Pareto front of the buyer's "
        "expected payment per period (buyer_payment_per_period) against the expected ready rate "
        "among them. Several customers sharing one stock ([[customer]] tables): the table has "
        "per customer ready_mean_<name>, p_penalty_<name>, p_bonus_<name>, sacrificed_<name>, "
        "settlement_per_period_<name> and buyer_payment_per_period_<name>; "
        "buyer_payment_per_period is the buyers' total and the front weighs it against the "
        "supplier's cost_per_period, both lower being better. Exit codes: 0 found, 2 bad input "
        "(nothing written), "
        f"{INFEASIBLE_EXIT} no grid point satisfies the constraints.",
    )
    p.add_argument("grid", metavar="GRID",
                   help="grid file (TOML), or a table written by 'slamarkov sweep' "
                   "(.csv, .parquet, .json)")
    p.add_argument("--minimize", required=True, metavar="COLUMN",
                   help="column to minimise, e.g. buyer_payment_per_period or cost_per_period")
    p.add_argument("--where", default=None, metavar="EXPR",
                   help="constraints: columns, numbers, + - * / ** (exponent a number up to 64), "
                   "< <= > >= == != (chains too), and, or, not, parentheses; text in quotes "
                   "with == or != (policy == 'static'); `a name` for a column that is not a name")
    p.add_argument("--policy", choices=("dynamic", "static", "both"), default="dynamic",
                   help="the supplier to design for (default dynamic: a strategic supplier)")
    p.add_argument("--top", type=int, default=10, metavar="N",
                   help="contracts in each list printed and numbered in the figure (10)")
    p.add_argument("--out", default=None, metavar="FILE",
                   help="write every feasible row, best first (.csv, .parquet, .json)")
    p.add_argument("--table", default=None, metavar="FILE",
                   help="also write the whole sweep (.csv, .parquet, .json)")
    p.add_argument("--figure", default=None, metavar="FILE",
                   help="draw the Pareto front (.png, .svg, .pdf; needs matplotlib)")
    add_executor_arguments(p)
    p.set_defaults(handler=run)


def _text(t, key_columns, number=False, shown=SHOWN, percent=PERCENT) -> str:
    """The rows as a text table: rates and probabilities in percent (their names end in
    ``(%)``), money and periods with 4 decimals, never in e-notation."""
    cols = [c for c in list(key_columns) + list(shown) if c in t.columns]
    shown = t[cols].copy()
    for c in cols:
        if c in percent:
            shown[c] = (100 * shown[c]).map(lambda x: f"{x:.4f}")
        elif shown[c].dtype.kind == "f" and c not in key_columns:
            shown[c] = shown[c].map(lambda x: f"{x:.4f}")
    shown.columns = [f"{c} (%)" if c in percent else c for c in cols]
    if number:
        shown.insert(0, "#", range(1, len(shown) + 1))
    return shown.to_string(index=False)


def _named(values, columns) -> str:
    return ", ".join(f"{c} = {v:g}" if isinstance(v, float) else f"{c} = {v}"
                     for c, v in zip(columns, values))


def run(args) -> int:
    import sys

    from ..io.atomic import check_output
    from ..io.tables import TABLE_FORMATS, check_table_path, read_table, write_table
    from ..plot.figure import check_figure_path, save_figure
    from ..sweep.design import (
        INFEASIBLE_EXIT,
        RATE_SERVICE,
        SUPPLIER_COST,
        assumption_columns,
        check_query,
        check_table,
        collapse_contracts,
        customer_names,
        design,
        is_rate_table,
        pareto_figure,
        pareto_front,
        result_columns,
    )
    from ..sweep.grid import load_grid
    from ..sweep.runner import sweep
    from ._common import note, wrote

    for path in (args.out, args.table):
        if path is not None:
            check_table_path(path)
            check_output(path)
    if args.figure is not None:
        check_output(args.figure)
        check_figure_path(args.figure)
    if args.top < 1:
        raise OutputError(f"--top: must be an integer >= 1, got {args.top}")
    options = executor_options(args)
    written = []
    policy = None if args.policy == "both" else args.policy
    if Path(args.grid).suffix.lower() in TABLE_FORMATS:
        table = read_table(args.grid)
        check_table(table, args.grid)
        results = result_columns(table.columns)
        keys = [c for c in table.columns if c not in results]
        check_query(table.columns, args.where, args.minimize)
    else:
        grid = load_grid(args.grid, max_points=args.max_points)
        keys = list(grid.columns)
        check_query(keys + list(grid.result_columns), args.where, args.minimize)  # before any work
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
    if args.out is not None:
        write_table(best, args.out)
        written.append(args.out)
    listed = collapse_contracts(best)
    assumed = assumption_columns(listed.columns, keys)
    names = customer_names(table.columns)
    # several customers: the buyers' total payment against the supplier's cost, both lower
    axes = {"service": SUPPLIER_COST, "higher": False} if names else {}
    rates = is_rate_table(table.columns)
    if rates:
        # each measure its own front: a ready rate is not weighed against a fill rate
        axes = {"service": RATE_SERVICE}
        if listed["measure"].nunique() > 1:
            assumed = [*assumed, "measure"]
    shown, percent = _shown(names, rates)
    if args.figure is not None:
        save_figure(pareto_figure(listed, title=f"{args.policy} supplier", by=assumed,
                                  top=args.top, **axes), args.figure)
        written.append(args.figure)
    where = f" with {args.where}" if args.where else ""
    lines = [f"{len(best)} of {n_rows} rows satisfy the constraints{where} (policy "
             f"{args.policy})"]
    n_same = listed.attrs["collapsed"]
    if n_same:
        verb = "is" if n_same == 1 else "are"
        lines.append(
            f"{n_same} of them {verb} the same contract as a row listed (thresholds that round "
            "to the same ready-period counts, penalty_count and bonus_count, with the same "
            f"amounts and results) and {verb} not listed again")
    lines.append("rates and probabilities in percent; payments and costs per period (a "
                 "negative cost is a net gain)")
    terms = [k for k in keys if k not in assumed]
    groups = (listed.groupby(assumed if len(assumed) > 1 else assumed[0])
              if assumed else [((), listed)])
    for values, group in groups:
        values = values if isinstance(values, tuple) else (values,)
        front = pareto_front(group, **axes)
        head = f"assuming {_named(values, assumed)}: " if assumed else ""
        lines += [
            "",
            f"{head}best {min(args.top, len(group))} of {len(group)} contracts by "
            f"{args.minimize}:",
            _text(group.head(args.top), terms, shown=shown, percent=percent),
            "",
            f"{head}Pareto front, "
            + ("the buyers' total payment per period against the supplier's cost per period "
               if names else "buyer payment per period against the expected rate of the "
               "measure " if rates
               else "buyer payment per period against expected ready rate ")
            + f"({len(front)} contracts" + (f", the first {args.top}" if len(front) > args.top
                                            else "") + "):",
            _text(front.head(args.top), terms, number=True, shown=shown, percent=percent),
        ]
    sys.stdout.write("\n".join(lines) + "\n")
    for path in written:
        wrote(path)
    return 0
