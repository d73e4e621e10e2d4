"""``slamarkov plot FILE``: draw a policy's chain or its stock table as a PNG."""

from __future__ import annotations

from ..errors import ChainError
from ..model.contract import FILL_RATE, MEASURES
from ..solve.both import POLICIES
from ._common import add_problem_arguments, config_from_args, out_format, wrote


def register(sub):
    p = sub.add_parser(
        "plot", help="draw a policy's Markov chain or its stock table (PNG)",
        description="Draw the policy of a contract file: --kind chain is the absorbing chain in "
        "the layered layout (stage x ready count, nodes coloured by stock, edges as wide as "
        "their probability; T up to 40), --kind policy the heat map of the stock table "
        "(any T). With stock carried over (--leftover carry) both draw one slice of the states "
        "(i, v, x): those with stock on hand --stock-on-hand X (default 0). On a fill-rate "
        "contract (states (i, D, F[, x])) --kind policy draws up to 6 evenly spaced periods, "
        "each a heat map of the order-up-to level with the units demanded so far D across and "
        "filled so far F up, over the states reached with probability above 1e-9, with the "
        "threshold lines F = aL D and F = aU D; --kind chain is refused (export the chain with "
        "slamarkov graph). Needs matplotlib (pip install 'slamarkov[plot]').")
    add_problem_arguments(p)
    p.add_argument("--kind", choices=("chain", "policy"), required=True)
    p.add_argument("--policy", choices=POLICIES, default="dynamic",
                   help="which optimal policy (default: dynamic)")
    p.add_argument("--out", required=True, metavar="PNG", help="the PNG file to write (suffix .png)")
    p.add_argument("--stock-on-hand", type=int, default=None, metavar="X",
                   help="with stock carried over: draw the states with X units on hand "
                   "(default 0)")
    p.set_defaults(handler=run, _parser=p)


def run(args) -> int:
    out_format(args.out, None, ("png",), "png")
    from ..plot.figure import require_matplotlib
    from ..plot.policy import FILL_CHAIN_REFUSAL, draw_chain, draw_policy_heatmap

    require_matplotlib()  # a missing extra is refused before the solve
    from ..solve.both import solve_policy

    cfg = config_from_args(args, MEASURES)
    if args.kind == "chain" and cfg.problem.contract.measure == FILL_RATE:
        raise ChainError(FILL_CHAIN_REFUSAL)  # before the solve
    policy = solve_policy(cfg.problem, args.policy, **cfg.solver_options()).policy
    draw = draw_chain if args.kind == "chain" else draw_policy_heatmap
    draw(policy, args.out, stock_on_hand=args.stock_on_hand)
    wrote(args.out)
    return 0
