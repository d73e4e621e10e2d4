"""``slamarkov validate FILE --runs runs.csv``: are simulated runs consistent with the exact chain?

Exit code 0 when they are, 1 when some statistic rejects them, 2 on bad input.
"""

from __future__ import annotations

from ..errors import ConfigError
from ..model.contract import FILL_RATE, MEASURES
from ..model.customers import CustomersProblem
from ..simulation.runs import provenance_mismatch
from ..simulation.validate import summarise_runs, validate_summary
from ..solve.both import POLICIES, solve_policy
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
        "validate", help="test simulated runs against the exact chain (exit 0 consistent, "
        "1 inconsistent, 2 bad input)",
        description="Test a runs file (CSV with a header; only ready_count or ready_rate is "
        "required, cost columns are tested when present) against the exact distribution of the "
        "contract file's optimal policy (warns when a simulate file's '# slamarkov simulate:' line says the runs were made for another contract or policy): DKW band, chi-square on the ready-count pmf, z-scores of "
        "the mean, P(penalty), P(bonus) and the mean costs, with a Bonferroni correction. Exit "
        "code 0: consistent; 1: inconsistent; 2: bad input. A fill-rate contract's runs file "
        "has demand_total,filled_total (and the cost columns; simulate writes them): the same "
        "checks on the fill rate F/D (DKW band, chi-square on the exact FR pmf, z-scores of the "
        "mean FR and the costs, P(penalty), P(bonus), Bonferroni).")
    add_problem_arguments(p)
    p.add_argument("--runs", required=True, metavar="PATH", help="the runs file (CSV)")
    p.add_argument("--policy", choices=POLICIES, default="dynamic",
                   help="the policy the runs simulate (default: dynamic)")
    p.add_argument("--alpha", type=float, default=0.01, metavar="A",
                   help="family-wise significance level (default: 0.01)")
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="text (default) or json; --out's suffix picks it too")
    add_out_argument(p, FORMATS)
    p.set_defaults(handler=run)


def _run_fill(args, cfg, fmt) -> int:
    """A fill-rate contract: the ready rate's checks on the fill rate (DKW band, chi-square on
    the FR pmf, z-scores of the mean FR and the costs, binomial tests of P(penalty) and
    P(bonus), Bonferroni; docs/model.md sections 7 and 14)."""
    from ..simulation.fill import read_fill_runs, validate_fill_runs

    if not 0 < args.alpha < 1:  # before reading and solving
        raise ConfigError(f"--alpha: must lie in (0, 1), got {args.alpha}")
    runs = read_fill_runs(args.runs)
    why = provenance_mismatch(runs, cfg.problem, args.policy)
    if why is not None:
        warn(f"{args.runs}: {why}, so the verdict compares them with a chain they were not "
             "simulated from")
    sol = solve_policy(cfg.problem, args.policy, **cfg.solver_options())
    return _emit(validate_fill_runs(sol, runs, alpha=args.alpha), args, fmt)


def _emit(report, args, fmt) -> int:
    """The verdict as JSON or text; exit code 0 consistent, 1 inconsistent."""
    if fmt == "json":
        emit(json_text(report.to_dict()), args.out)
    else:
        emit(report.to_text(), args.out)
    return 0 if report.consistent else 1


def run(args) -> int:
    fmt = out_format(args.out, args.format, FORMATS, "text")
    cfg = config_from_args(args, MEASURES, customers=True)
    if isinstance(cfg.problem, CustomersProblem):
        return _run_customers(args, cfg, fmt)
    if cfg.problem.contract.measure == FILL_RATE:
        return _run_fill(args, cfg, fmt)
    runs = summarise_runs(args.runs, cfg.problem.contract)  # streamed: memory ~ T, not runs
    why = provenance_mismatch(runs, cfg.problem, args.policy)
    if why is not None:
        warn(f"{args.runs}: {why}, so the verdict compares them with a chain they were not "
             "simulated from")
    report = validate_summary(solve_policy(cfg.problem, args.policy, **cfg.solver_options()), runs, alpha=args.alpha)
    return _emit(report, args, fmt)


def _run_customers(args, cfg, fmt) -> int:
    """Several customers (docs/model.md section 15): each ``ready_count_<name>`` marginal and
    the joint distribution against the exact chain."""
    from ..simulation.customers import read_customer_runs, validate_customers
    from ..solve.customers import solve_customers_dynamic, solve_customers_static

    counts, made = read_customer_runs(args.runs, cfg.problem.names, with_provenance=True)
    why = provenance_mismatch(made, cfg.problem, args.policy)
    if why is not None:
        warn(f"{args.runs}: {why}, so the verdict compares them with a chain they were not "
             "simulated from")
    opts = cfg.solver_options()
    sol = (solve_customers_dynamic(cfg.problem, **opts) if args.policy == "dynamic"
           else solve_customers_static(cfg.problem, **opts))
    report = validate_customers(sol, counts, alpha=args.alpha)
    if fmt == "json":
        emit(json_text(report.to_dict()), args.out)
    else:
        lines = [f"{len(counts)} runs against the exact {sol.kind} policy, alpha = {args.alpha} "
                 f"(Bonferroni over {len(report.tests)} tests)"]
        for name, t in report.tests.items():
            lines.append(f"  {name:28} chi2 = {t['statistic']:.3f}, df = {t['df']}, "
                         f"p = {t['p_value']:.4g}")
        lines.append("verdict: " + ("consistent" if report.consistent else "inconsistent"))
        emit("\n".join(lines), args.out)
    return 0 if report.consistent else 1
