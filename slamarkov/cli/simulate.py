"""``slamarkov simulate FILE``: Monte Carlo runs of a contract file's optimal policy, as CSV."""

from __future__ import annotations

import sys

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
        "against exact) to standard output.")
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


def _summary_text(result, ref) -> str:
    s = result.summary()
    rates = [("mean ready rate", "mean", ref.mean), ("SD of ready rate", "sd", ref.sd),
             ("P(penalty)", "p_penalty", ref.p_penalty), ("P(bonus)", "p_bonus", ref.p_bonus)]
    costs = [("mean holding cost", "mean_holding_cost", ref.mean_holding_cost),
             ("mean settlement", "mean_settlement", ref.mean_settlement),
             ("mean total cost", "mean_cost", ref.mean_cost)]
    if "mean_purchase_cost" in s:  # the parts add up to the total: the exact one by identity
        costs.insert(1, ("mean purchases", "mean_purchase_cost",
                         ref.mean_cost - ref.mean_holding_cost - ref.mean_settlement))
    lines = [f"{result.runs} runs of the {result.policy_kind} policy, seed {result.seed}",
             f"{'':24}{'simulated':>12}{'std err':>12}{'exact':>12}"]
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


def run(args) -> int:
    if args.out is not None:
        out_format(args.out, None, ("csv",), "csv")
    cfg = config_from_args(args)
    from ..core.limits import check_runs

    check_runs(args.runs, cfg.problem.review_period, record_stock=args.record_stock)
    sol = solve_policy(cfg.problem, args.policy, **cfg.solver_options())
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
        emit(_summary_text(result, ref))
    wrote(args.out)
    return 0
