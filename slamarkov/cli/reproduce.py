"""``slamarkov reproduce``: the source study's tables and figures, exactly (docs/model.md section 8).

A thin layer over :mod:`slamarkov.study` and :mod:`slamarkov.plot`::

    slamarkov reproduce ready-rate --scheme lump-sum [--costs] [--simulate N --seed S]
    slamarkov reproduce saving --scheme linear
    slamarkov reproduce stock --scheme lump-sum --holding 1
    slamarkov reproduce cost --scheme lump-sum
    slamarkov reproduce published
    slamarkov reproduce fill-rate --scheme lump-sum
    slamarkov reproduce customers --format markdown
    slamarkov reproduce all --out DIR
"""

from __future__ import annotations

import argparse

from ..core.numbers import to_fraction, to_int
from ..errors import ConfigError, SlamarkovError
from ..io.tables import FORMATS, render_table
from ..model.config import parse_demand_spec
from ..model.contract import SCHEMES
from ..model.demand import make_demand
from ..study.customers import customers_table
from ..study.experiment import STOCK_REVIEW_PERIODS, Study
from ..study.reproduce import reproduce_all
from ..study.tables import (
    carry_over_table,
    cost_table,
    published_comparison_table,
    ready_rate_table,
    saving_table,
    stock_table,
)
from ._common import (
    add_progress_arguments,
    add_workers_arguments,
    emit,
    out_format,
    progress_option,
    workers_option,
    wrote,
)

__all__ = ["register"]


def _list_of(convert, rule, check):
    def parse(text):
        items = [x.strip() for x in text.split(",")]
        if not items or any(not x for x in items):
            raise argparse.ArgumentTypeError(f"must be a comma-separated list, got {text!r}")
        out = []
        for x in items:
            try:
                y = convert(x, "value", ConfigError)
            except ConfigError as exc:
                raise argparse.ArgumentTypeError(str(exc).removeprefix("value: ")) from None
            if not check(y):
                raise argparse.ArgumentTypeError(f"must be {rule}, got {x!r}")
            out.append(y)
        return tuple(out)

    return parse


def _one(convert, rule, check):
    def parse(text):
        try:
            y = convert(text, "value", ConfigError)
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(str(exc).removeprefix("value: ")) from None
        if not check(y):
            raise argparse.ArgumentTypeError(f"must be {rule}, got {text!r}")
        return y

    return parse


_positive_list = _list_of(to_fraction, "> 0", lambda x: x > 0)
_period_list = _list_of(to_int, "integers >= 1", lambda t: t >= 1)
_amount = _one(to_fraction, ">= 0", lambda x: x >= 0)
_threshold = _one(to_fraction, "in [0, 1]", lambda x: 0 <= x <= 1)
_count = _one(to_int, "an integer >= 0", lambda n: n >= 0)
_runs = _one(to_int, "an integer >= 2", lambda n: n >= 2)


def _add_study_arguments(p, *, scheme_default="lump-sum", holding_help=None):
    g = p.add_argument_group("the experiment (default: the source study's)")
    g.add_argument("--scheme", choices=SCHEMES, default=scheme_default,
                   help="incentive scheme" + (f" (default {scheme_default})" if scheme_default
                                              else " (default: both)"))
    g.add_argument("--demand", default=None, metavar="KIND:PARAMS",
                   help="per-period demand (default poisson:5), e.g. normal:15,5")
    g.add_argument("--penalty-per-period", dest="penalty", type=_amount, default=None,
                   metavar="X", help="penalty per period, L- = X*T (default lump-sum 5, "
                   "linear 25)")
    g.add_argument("--bonus-per-period", dest="bonus", type=_amount, default=None, metavar="X",
                   help="bonus per period, L+ = X*T (default lump-sum 3, linear 15; "
                        "0: penalty-only)")
    # --penalty and --bonus mean an amount per review period in every command; the study's
    # grid over T scales its amounts with T, so here they take only 0 (none), the same amount
    # in both units
    g.add_argument("--penalty", dest="penalty_whole", type=_amount, default=None, metavar="X",
                   help="penalty per review period, as in every command: only 0 (no penalty) "
                   "here, since the study's amounts are per period (--penalty-per-period)")
    g.add_argument("--bonus", dest="bonus_whole", type=_amount, default=None, metavar="X",
                   help="bonus per review period, as in every command: only 0 (penalty-only) "
                   "here, since the study's amounts are per period (--bonus-per-period)")
    g.add_argument("--penalty-threshold", type=_threshold, default="0.8", metavar="A",
                   help="alpha_L (default 0.8)")
    g.add_argument("--bonus-threshold", type=_threshold, default="0.9", metavar="A",
                   help="alpha_U (default 0.9)")
    g.add_argument("--holding", type=_positive_list, default=None, metavar="H[,H...]",
                   help=holding_help or "holding costs h (default 0.5,1,1.5,2)")
    g.add_argument("--review-periods", type=_period_list, default=None, metavar="T[,T...]",
                   help="review periods T (default 10,20,...,90)")
    g.add_argument("--max-stock", type=_count, default=None, metavar="N",
                   help="top of the stock range (default 40 for poisson:5, otherwise the "
                        "provable bound)")


def _add_output_arguments(p, *, simulate=True, progress=True):
    p.add_argument("--format", choices=tuple(FORMATS), default=None,
                   help="csv (default), markdown or json; --out's suffix picks it too. CSV and "
                   "JSON give rates and probabilities as fractions, markdown in percent")
    p.add_argument("--out", default=None, metavar="FILE",
                   help="write to FILE instead of stdout; the suffix (.csv .md .json) picks the "
                   "format")
    if simulate:
        _add_simulate_arguments(p)
    if progress:
        add_progress_arguments(p)


def _add_simulate_arguments(p):
    g = p.add_argument_group("simulation beside the exact values")
    g.add_argument("--simulate", type=_runs, default=None, metavar="N",
                   help="also simulate N review periods per policy and cell (the study: 18445)")
    g.add_argument("--seed", type=_count, default=None, metavar="S",
                   help="seed of the simulation (default 0)")


def register(sub):
    p = sub.add_parser(
        "reproduce", help="the source study's tables and figures, computed exactly",
        description="Reproduce the source study (docs/model.md section 8): Poisson(5) demand, "
        "thresholds 0.8 and 0.9, T = 10..90, h in {0.5, 1, 1.5, 2}, computed exactly; "
        "--simulate adds simulated estimates with standard errors. The study's penalty and "
        "bonus are per period (--penalty-per-period, --bonus-per-period: L = X*T); --penalty "
        "and --bonus mean per review period, as in every command. Rates and probabilities are "
        "fractions in CSV and JSON (0.896) and percent in markdown (89.6).")
    what = p.add_subparsers(dest="table", metavar="TABLE", parser_class=type(p))
    what.required = True

    q = what.add_parser("ready-rate", help="ready-rate mean, SD, P(penalty), P(bonus)",
                        description="Per (h, T): mean and SD of the ready rate, P(penalty) and "
                        "P(bonus) of the dynamic and static policies (fractions in CSV and JSON, "
                        "percent in markdown).")
    _add_study_arguments(q)
    q.add_argument("--costs", action="store_true",
                   help="append the static S* and both expected costs per period")
    _add_output_arguments(q)
    q.set_defaults(handler=_run_ready_rate)

    q = what.add_parser("cost", help="expected cost per period and its SD, both policies",
                        description="Per (h, T): expected cost per period of both policies and "
                        "the SD of one review period's cost per period (exact).")
    _add_study_arguments(q)
    _add_output_arguments(q)
    q.set_defaults(handler=_run_cost)

    q = what.add_parser("saving", help="cost saving of the dynamic policy per ratio, h, T",
                        description="The static minus the dynamic expected cost per period, "
                        "with the bonus per period = penalty per period / ratio.")
    _add_study_arguments(q)
    q.add_argument("--ratios", type=_positive_list, default=None, metavar="R[,R...]",
                   help="penalty / bonus ratios (default 1.2,1.3,1.4)")
    _add_output_arguments(q)
    q.set_defaults(handler=_run_saving)

    q = what.add_parser("stock", help="quartiles of the dynamic stock per period (exact)",
                        description="Per T and period i: quartiles of the dynamic stock S_i over "
                        "the chain's distribution of states at stage i (no simulation).")
    _add_study_arguments(q, holding_help="the holding cost h (default 1)")
    q.set_defaults(review_periods=None)
    _add_output_arguments(q, simulate=False)
    q.set_defaults(handler=_run_stock)

    q = what.add_parser("published", help="the study's simulated rows against the exact values",
                        description="The study's published (simulated) ready-rate rows beside "
                        "the exact values, in standard errors of a simulation of the study's "
                        "size (published, exact, se: fractions in CSV and JSON, percent in "
                        "markdown).")
    q.add_argument("--runs", type=_runs, default=18_445, metavar="N",
                   help="simulation size for the standard errors (default 18445, the study's)")
    _add_output_arguments(q, simulate=False, progress=False)
    q.set_defaults(handler=_run_published)

    q = what.add_parser("carry-over", help="stock discarded vs carried over, side by side",
                        description="Per (h, T): ready-rate mean, SD, P(penalty), P(bonus) "
                        "(fractions in CSV and JSON, percent in markdown) and cost per period of both policies when leftover stock is discarded "
                        "(the study) and when it carries over (docs/model.md section 11).")
    _add_study_arguments(q)
    q.add_argument("--purchase", type=_one(to_fraction, "a number >= 0", lambda x: x >= 0),
                   default=0, metavar="C", help="purchase price c per unit (default 0)")
    q.add_argument("--salvage", type=_one(to_fraction, "a number >= 0", lambda x: x >= 0),
                   default=0, metavar="S", help="salvage value s of the final stock (carry; "
                   "default 0; at most the purchase price)")
    q.add_argument("--initial-stock", type=_one(to_int, "an integer >= 0", lambda x: x >= 0),
                   default=0, metavar="X", help="stock on hand at period 1 (default 0)")
    q.add_argument("--figure", metavar="PNG", default=None,
                   help="also draw the comparison (needs matplotlib)")
    _add_output_arguments(q, simulate=False)
    q.set_defaults(handler=_run_carry_over)

    q = what.add_parser("fill-rate", help="the grid with the fill rate as the measure",
                        description="Per (h, T): both policies' mean and SD of the fill rate, "
                        "P(penalty), P(bonus), cost per period and the saving of the dynamic "
                        "policy, beside the same for the ready rate of the same contracts "
                        "(docs/model.md section 14).")
    _add_study_arguments(q)
    _add_output_arguments(q, simulate=False)
    q.set_defaults(handler=_run_fill_rate)
    q = what.add_parser("customers", help="two retailers sharing one stock: whom it serves",
                        description="Two retailers sharing one stock (docs/model.md section 15): "
                        "Poisson(5) each, the study's amounts per period, pairs 'equal' (0.8/0.9 "
                        "both) and 'mixed' (0.8/0.9 and 0.9/0.95); per (pair, h, T) the dynamic "
                        "policy against both static rules and two separate stocks: costs per "
                        "period, each retailer's mean ready rate, P(penalty), P(bonus) and "
                        "expected sacrificed periods (fractions in CSV and JSON, percent in "
                        "markdown).")
    q.add_argument("--scheme", choices=SCHEMES, default="lump-sum", help="incentive scheme")
    q.add_argument("--holding", type=_positive_list, default=(0.5, 1, 1.5, 2), metavar="H[,H...]",
                   help="holding costs (default 0.5,1,1.5,2)")
    q.add_argument("--review-periods", type=_period_list, default=(10, 20, 30),
                   metavar="T[,T...]", help="review periods (default 10,20,30)")
    q.add_argument("--pair", choices=("equal", "mixed", "both"), default="both",
                   help="the pair of contracts (default both)")
    _add_output_arguments(q, simulate=False)
    q.set_defaults(handler=_run_customers)

    q = what.add_parser("all", help="every table and figure into a folder",
                        description="Write every table (both schemes, the penalty-only and "
                        "normal(15, 5) variants, the published comparison) and the figures.")
    _add_study_arguments(q, scheme_default=None)
    q.add_argument("--format", choices=tuple(FORMATS), default="csv", help="table format")
    q.add_argument("--out", required=True, metavar="DIR", help="output folder (created)")
    q.add_argument("--no-figures", action="store_true", help="tables only (no matplotlib)")
    q.add_argument("--no-variants", action="store_true",
                   help="leave out the penalty-only and normal(15, 5) variants")
    _add_simulate_arguments(q)
    g = q.add_argument_group("execution")
    add_workers_arguments(g, jobs_alias=True, default="one per core on Linux, otherwise 1")
    add_progress_arguments(g)
    q.set_defaults(handler=_run_all)


def _amounts(args) -> None:
    """Fold --penalty/--bonus (per review period; only 0 here) into the per-period amounts."""
    for name in ("penalty", "bonus"):
        whole = getattr(args, f"{name}_whole", None)
        if whole is None:
            continue
        if getattr(args, name) is not None:
            raise ConfigError(f"--{name}-per-period: give --{name} (per review period) or "
                              f"--{name}-per-period (per period, L = X*T), not both")
        if whole != 0:
            raise ConfigError(f"--{name}: is an amount per review period, and the study's "
                              f"grid over T takes amounts per period: give --{name}-per-period "
                              f"{whole} for L = {whole}*T")
        setattr(args, name, whole)
        setattr(args, f"{name}_whole", None)


def _study(args, scheme=None) -> Study:
    if args.table != "all":  # a suffix that cannot be written fails before the work
        out_format(args.out, args.format, tuple(FORMATS), "csv")
    _amounts(args)
    fields = {
        "scheme": scheme or args.scheme or "lump-sum",
        "penalty": args.penalty,
        "bonus": args.bonus,
        "penalty_threshold": args.penalty_threshold,
        "bonus_threshold": args.bonus_threshold,
        "max_stock": args.max_stock,
    }
    if getattr(args, "ratios", None) is not None:
        fields["ratios"] = args.ratios
    if args.demand is not None:
        try:
            fields["demand"] = make_demand(**parse_demand_spec(args.demand))
        except SlamarkovError as exc:
            raise ConfigError(f"--demand: {exc}") from None
    if args.holding is not None:
        fields["holding_costs"] = args.holding
    if args.review_periods is not None:
        fields["review_periods"] = args.review_periods
    if args.penalty_threshold > args.bonus_threshold:
        raise ConfigError("--penalty-threshold: must not exceed --bonus-threshold")
    return Study(**fields)


def _emit(table, args):
    emit(render_table(table, out_format(args.out, args.format, tuple(FORMATS), "csv")), args.out)
    return 0


def _run_ready_rate(args):
    table = ready_rate_table(_study(args), costs=args.costs, simulate=args.simulate,
                             seed=args.seed, progress=progress_option(args))
    return _emit(table, args)


def _run_cost(args):
    table = cost_table(_study(args), simulate=args.simulate, seed=args.seed,
                       progress=progress_option(args))
    return _emit(table, args)


def _run_saving(args):
    table = saving_table(_study(args), simulate=args.simulate, seed=args.seed,
                         progress=progress_option(args))
    return _emit(table, args)


def _run_stock(args):
    holding = args.holding or (1,)
    if len(holding) != 1:
        raise ConfigError("--holding: the stock table takes one holding cost, e.g. --holding 1")
    args.holding = None
    Ts = args.review_periods or STOCK_REVIEW_PERIODS
    table = stock_table(_study(args), holding_cost=holding[0], review_periods=Ts,
                        progress=progress_option(args))
    return _emit(table, args)


def _run_carry_over(args):
    if args.figure is not None:
        from ..io.atomic import check_output
        from ..plot.figure import check_figure_path

        check_output(args.figure)  # a folder, a socket, a name too long: before the work
        check_figure_path(args.figure)  # a bad suffix, no matplotlib: before the work too
    table = carry_over_table(_study(args), purchase=args.purchase, salvage=args.salvage,
                             initial_stock=args.initial_stock,
                             progress=progress_option(args))
    if args.figure is not None:
        from ..plot.figure import save_figure
        from ..study.figures import carry_over_figure

        save_figure(carry_over_figure(table), args.figure)
    code = _emit(table, args)
    if args.figure is not None:
        wrote(args.figure)
    return code


def _run_customers(args):
    fmt = out_format(args.out, args.format, tuple(FORMATS), "csv")  # before the work
    pairs = ("equal", "mixed") if args.pair == "both" else (args.pair,)
    table = customers_table(pairs=pairs, holding_costs=args.holding,
                            review_periods=args.review_periods, scheme=args.scheme,
                            progress=progress_option(args))
    emit(render_table(table, fmt), args.out)
    return 0


def _run_fill_rate(args):
    from ..study.fill import fill_rate_table

    return _emit(fill_rate_table(_study(args), progress=progress_option(args)), args)


def _run_published(args):
    return _emit(published_comparison_table(args.runs), args)


def _run_all(args):
    schemes = (args.scheme,) if args.scheme else SCHEMES
    workers, scheduler = workers_option(args)
    paths = reproduce_all(args.out, schemes=schemes, format=args.format,
                          figures=not args.no_figures, variants=not args.no_variants,
                          simulate=args.simulate, seed=args.seed, study=_study(args, schemes[0]),
                          workers=workers, scheduler=scheduler,
                          progress=progress_option(args))
    wrote(f"{args.out} ({len(paths)} files)")
    return 0
