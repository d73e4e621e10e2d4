"""``slamarkov simulate FILE``: Monte Carlo runs of a contract file's optimal policy, as CSV."""

from __future__ import annotations

import sys

from ..errors import ConfigError
from ..io.atomic import atomic_write
from ..model.contract import FILL_RATE, MEASURES
from ..model.customers import CustomersProblem
from ..simulation.simulate import STUDY_RUNS, simulate
from ..simulation.validate import exact_reference
from ..solve.both import POLICIES, solve_policy
from ._common import (
    add_problem_arguments,
    add_progress_arguments,
    config_from_args,
    emit,
    json_text,
    note,
    out_format,
    wrote,
)


def register(sub):
    p = sub.add_parser(
        "simulate", help="simulate review periods of the optimal policy, one CSV row per run",
        description="Simulate review periods of a contract file's optimal policy. Writes one CSV "
        "row per run: run,ready_count,ready_rate,holding_cost,settlement,total_cost, after one "
        "comment line '# slamarkov simulate: {...}' recording the contract, policy and seed "
        "(validate reads it). With --out, the runs go to the file and a summary (simulated "
        "against exact) to standard output. A fill-rate contract: "
        "run,demand_total,filled_total,fill_rate,holding_cost,settlement,total_cost (and "
        "purchase_cost when stock has a price), after the same comment line.")
    add_problem_arguments(p)
    p.add_argument("--policy", choices=POLICIES, default="dynamic",
                   help="which optimal policy to simulate (default: dynamic)")
    p.add_argument("--runs", type=int, default=STUDY_RUNS, metavar="N",
                   help=f"number of review periods simulated (default: {STUDY_RUNS}, the DKW "
                   "sample size for eps = 0.01, delta = 0.05)")
    p.add_argument("--seed", type=int, default=None, metavar="S",
                   help="seed of the random numbers; the same seed gives the same runs to the bit "
                   "(default: a fresh seed, reported)")
    p.add_argument("--record-stock", action="store_true",
                   help="append the columns stock_1..stock_T (the stock of every period)")
    p.add_argument("--out", default=None, metavar="PATH",
                   help="write the runs to PATH (.csv, atomically) instead of standard output")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="format of the summary printed with --out")
    add_progress_arguments(p, default="on a terminal, for long simulations")
    p.set_defaults(handler=run)


def _summary_text(s: dict, head: str, ref, rate: str = "ready rate") -> str:
    """The simulated summaries ``s`` (:func:`~slamarkov.simulation.runs.rate_summary`) beside
    the exact ones ``ref``, under the line ``head``."""
    rates = [(f"mean {rate}", "mean", ref.mean), (f"SD of {rate}", "sd", ref.sd),
             ("P(penalty)", "p_penalty", ref.p_penalty), ("P(bonus)", "p_bonus", ref.p_bonus)]
    costs = [("mean holding cost", "mean_holding_cost", ref.mean_holding_cost),
             ("mean settlement", "mean_settlement", ref.mean_settlement),
             ("mean total cost", "mean_cost", ref.mean_cost)]
    if "mean_purchase_cost" in s:  # the parts add up to the total: the exact one by identity
        costs.insert(1, ("mean purchases", "mean_purchase_cost",
                         ref.mean_cost - ref.mean_holding_cost - ref.mean_settlement))
    lines = [head, f"{'':24}{'simulated':>12}{'std err':>12}{'exact':>12}"]
    for label, key, exact in rates:
        est = s[key]
        lines.append(f"{label + ' (%)':24}{100 * est.value:12.4f}{100 * est.se:12.4f}"
                     f"{100 * exact:12.4f}")
    for label, key, exact in costs:
        est = s[key]
        lines.append(f"{label:24}{est.value:12.6g}{est.se:12.3g}{exact:12.6g}")
    lines.append("(rates and probabilities in percent; costs per review period, a negative cost "
                 "is a net gain" + ("; purchases less the salvage value of the stock left"
                                    if "mean_purchase_cost" in s else "") + ")")
    return "\n".join(lines)


def _run_fill(args, cfg, sol) -> int:
    """A fill-rate contract (docs/model.md section 14): the provenance line, then one row per
    run, run,demand_total,filled_total,fill_rate and the costs (holding_cost[,purchase_cost],
    settlement,total_cost); with --out, the simulated fill rate against the
    exact distribution (the DKW test of :func:`~slamarkov.simulation.fill.validate_fill`)."""
    import numpy as np

    from ..simulation.fill import fill_reference, simulate_fill, validate_fill

    if args.record_stock:
        raise ConfigError("--record-stock: not recorded for a fill-rate contract")
    seed = args.seed if args.seed is not None else int(np.random.SeedSequence().entropy % 2**63)
    runs = simulate_fill(sol.policy, args.runs, seed)
    text = runs.csv_text()  # the provenance line, the units and the costs of each run
    if args.out is None:
        if args.seed is None:
            note(f"seed {seed} (pass --seed {seed} to reproduce)")
        sys.stdout.write(text)
        return 0
    atomic_write(args.out, text)
    test = validate_fill(sol.fill_rate, runs)
    ref = fill_reference(sol)
    contract = cfg.problem.contract
    if args.format == "json":
        exact = ref.to_dict()
        exact.pop("pmf")
        emit(json_text({"runs": args.runs, "seed": seed, "policy": args.policy,
                        "out": str(args.out), "simulated": runs.summary_dict(contract),
                        "exact": exact, "dkw": {"statistic": test.statistic,
                                                "p_value": test.p_value, "passed": test.passed}}))
    else:
        emit(_summary_text(runs.summary(contract), f"{args.runs} runs of the {args.policy} "
                           f"policy, seed {seed}", ref, rate="fill rate")
             + f"\nlargest gap between the simulated and the exact CDF of the fill rate "
             f"{test.statistic:.4g}, DKW p-value {test.p_value:.4g}")
    wrote(args.out)
    return 0


def _run_customers(args, cfg) -> int:
    """Several customers (docs/model.md section 15): one CSV row per run with
    ``ready_count_<name>``, ``sacrificed_<name>`` and ``cost``."""
    from ..simulation.customers import simulate_customers
    from ..solve.customers import solve_customers_dynamic, solve_customers_static

    opts = cfg.solver_options()
    sol = (solve_customers_dynamic(cfg.problem, **opts) if args.policy == "dynamic"
           else solve_customers_static(cfg.problem, **opts))
    result = simulate_customers(sol, args.runs, args.seed)
    if args.out is None:
        if args.seed is None:
            note(f"seed {result.seed} (pass --seed {result.seed} to reproduce)")
        emit(result.csv_text())
        return 0
    atomic_write(args.out, result.csv_text())
    summary = result.summary(sol)
    if args.format == "json":
        emit(json_text({"runs": result.runs, "seed": result.seed, "policy": sol.kind,
                        "out": str(args.out), **summary}))
    else:
        lines = [f"{result.runs} runs of the {sol.kind} policy, seed {result.seed}",
                 f"{'':32}{'simulated':>12}{'std err':>12}{'exact':>12}"]
        for key, row in summary.items():
            lines.append(f"{key:32}{row['simulated']:12.6g}{row['se']:12.3g}"
                         f"{row['exact']:12.6g}")
        lines.append("(ready rates as fractions; sacrificed periods and cost per review period)")
        emit("\n".join(lines))
    wrote(args.out)
    return 0


def run(args) -> int:
    if args.out is not None:
        out_format(args.out, None, ("csv",), "csv")
    cfg = config_from_args(args, MEASURES, customers=True)
    from ..core.limits import check_runs

    if isinstance(cfg.problem, CustomersProblem):
        check_runs(args.runs, cfg.problem.review_period)
        if args.record_stock:
            raise ConfigError("--record-stock: not available with several customers")
        return _run_customers(args, cfg)

    check_runs(args.runs, cfg.problem.review_period, record_stock=args.record_stock)
    sol = solve_policy(cfg.problem, args.policy, **cfg.solver_options())
    if cfg.problem.contract.measure == FILL_RATE:
        return _run_fill(args, cfg, sol)
    result = simulate(sol.policy, args.runs, args.seed, record_stock=args.record_stock,
                      progress=args.progress)
    if args.out is None:
        if args.seed is None:
            note(f"seed {result.seed} (pass --seed {result.seed} to reproduce)")
        sys.stdout.write(result.csv_text(stock=args.record_stock))
        return 0
    result.to_csv(args.out, stock=args.record_stock)
    ref = exact_reference(sol)
    if args.format == "json":
        doc = {"runs": result.runs, "seed": result.seed, "policy": result.policy_kind,
               "out": str(args.out), "simulated": result.summary_dict(), "exact": ref.to_dict()}
        doc["exact"].pop("pmf")
        emit(json_text(doc))
    else:
        emit(_summary_text(result.summary(), f"{result.runs} runs of the "
                           f"{result.policy_kind} policy, seed {result.seed}", ref))
    wrote(args.out)
    return 0
