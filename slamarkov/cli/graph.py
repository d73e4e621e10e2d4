"""``slamarkov graph FILE``: a policy's chain as a graph file, or its inspection report."""

from __future__ import annotations

from ..analysis.graph import policy_graph
from ..analysis.inspect import inspect_policy
from ..errors import ChainError, ConfigError
from ..io.graphs import GRAPH_FORMATS, graph_to_string, require_format
from ..model.customers import CustomersProblem
from ..model.contract import FILL_RATE, MEASURES
from ..solve.both import POLICIES
from ._common import (
    add_problem_arguments,
    config_from_args,
    emit,
    json_text,
    out_format,
)


def register(sub):
    p = sub.add_parser(
        "graph", help="export a policy's Markov chain as a graph, or inspect it",
        description="Build the absorbing Markov chain of a contract file's policy as a graph and "
        "export it (GraphML, GEXF, node-link JSON, Graphviz DOT; node ids are \"i,v\", or "
        "\"i,v,x\" with x the stock on hand when stock carries over; on a fill-rate contract "
        "\"i,D,F\" or \"i,D,F,x\", D and F the units demanded and filled so far, every state of "
        "the chain with one edge per demand; a graph too large for --max-gib or --max-work is "
        "refused before solving), or print "
        "the inspection report: unreachable states, give-up and coasting states, the states "
        "withholding or adding service against the static supplier, the decision "
        "boundary, the most probable path into each band and the probability committed to each "
        "band by stage.")
    add_problem_arguments(p)
    p.add_argument("--policy", choices=POLICIES, default="dynamic",
                   help="which optimal policy (default: dynamic)")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--format", choices=GRAPH_FORMATS, default=None,
                      help="export format (default: from the suffix of --out)")
    what.add_argument("--inspect", action="store_true", help="print the inspection report")
    p.add_argument("--json", action="store_true", help="with --inspect: the report as JSON")
    p.add_argument("--out", default=None, metavar="PATH",
                   help="write to PATH instead of stdout; the suffix picks the format (export: "
                   ".graphml .gexf .json .dot .gv; --inspect: .txt .json)")
    p.set_defaults(handler=run, _parser=p)


def run(args) -> int:
    parser = args._parser
    if args.json and not args.inspect:
        parser.error("--json: only with --inspect")
    if args.inspect:
        fmt = out_format(args.out, "json" if args.json else None, ("text", "json"), "text")
    else:
        if args.format is None and args.out is None:
            parser.error("give --format graphml|gexf|json|dot (or --out PATH with one of the "
                         "suffixes .graphml .gexf .json .dot), or --inspect")
        fmt = out_format(args.out, args.format, GRAPH_FORMATS, None)
        if fmt is None:
            parser.error(f"--out: no suffix to tell the format by; give --format "
                         f"{'|'.join(GRAPH_FORMATS)}")
        require_format(fmt)  # a missing extra is refused before the work
    cfg = config_from_args(args, MEASURES, customers=True)
    measure = getattr(getattr(cfg.problem, "contract", None), "measure", "ready-rate")
    if measure == FILL_RATE and not args.inspect:  # docs/model.md section 14
        from ..analysis.fill_graph import check_fill_graph

        check_fill_graph(cfg.problem, cfg.max_stock, fmt)  # before solving what cannot be drawn
    if isinstance(cfg.problem, CustomersProblem):  # docs/model.md section 15
        if not args.inspect:
            raise ChainError("--format: graphs are drawn for one customer only; with several "
                             "customers use --inspect")
        from ..analysis.customers_inspect import inspect_customers
        from ..solve.customers import solve_customers_dynamic

        if args.policy != "dynamic":
            raise ChainError("--policy: whom a state sacrifices first is a question for the "
                             "dynamic policy (a static rule fixes it)")
        report = inspect_customers(solve_customers_dynamic(cfg.problem,
                                                           **cfg.solver_options()))
        emit(json_text(report.to_dict()) if fmt == "json" else report.to_text(), args.out)
        return 0
    from ..core.limits import PER_STATE
    from ..solve.limits import check_solve

    kind = "inspect" if args.inspect else "graph"
    if measure != FILL_RATE or args.inspect:  # a fill-rate export was checked above
        # on the states of the measure: (i, v[, x]), or (i, D, F[, x]) of a fill-rate contract
        check_solve(cfg.problem, cfg.max_stock, exact=cfg.exact, per_state=PER_STATE[kind],
                    what=f"for the {kind}")  # before solving
    from ..solve.both import solve_policy

    solution = solve_policy(cfg.problem, args.policy, **cfg.solver_options())
    policy = solution.policy
    if args.inspect:
        # the withholding states are measured against the static solution of the same options
        reference = solution if args.policy == "static" else solve_policy(
            cfg.problem, "static", **cfg.solver_options())
        if cfg.problem.contract.measure == "fill-rate":
            from ..analysis.fill_inspect import inspect_fill_policy

            report = inspect_fill_policy(policy, reference=reference)
        else:
            report = inspect_policy(policy, reference=reference)
        text = (json_text(report.to_dict()) if fmt == "json"
                else report.to_text())
        emit(text, args.out)
        return 0
    emit(graph_to_string(policy_graph(policy), fmt), args.out)
    return 0
