"""``slamarkov chain FILE``: a policy's absorbing chain, written to files or queried from a state."""

from __future__ import annotations

import sys

from scipy import sparse

from .._io import atomic_path
from ..chain import AbsorbingChain
from ..errors import ChainError, ChainSizeError
from ..policy import Policy
from ..solve import solve_dynamic, solve_static
from ._common import add_problem_arguments, config_from_args, emit


def register(sub):
    p = sub.add_parser(
        "chain", help="absorbing Markov chain of a policy: Q, R, N, B and state queries",
        description="Build the absorbing chain of the dynamic or static policy. --out DIR writes "
        "Q.npz, R.npz, N.npz and B.npz (scipy.sparse save_npz, uncompressed unless --compress; "
        "N and B only where they fit the memory guard) and states.csv; --from I,V prints the "
        "summaries from state (I, V).")
    add_problem_arguments(p)
    p.add_argument("--policy", choices=("dynamic", "static"), default="dynamic")
    p.add_argument("--out", metavar="DIR", default=None, help="folder for the matrices")
    p.add_argument("--from", dest="start", metavar="I,V[,X]", default=None,
                   help="print summaries from state (I, V): period I with V ready periods so far "
                   "(and X units on hand when stock carries over)")
    p.add_argument("--max-gib", type=float, default=1.0, metavar="G",
                   help="memory guard for N (sparse: its non-zeros) and dense B, in GiB "
                   "(default 1)")
    p.add_argument("--compress", action="store_true",
                   help="zip-compress the .npz files (smaller, several times slower to write; "
                   "default: uncompressed)")
    p.set_defaults(handler=run)


def _parse_start(text):
    parts = text.split(",")
    try:
        if len(parts) not in (2, 3):
            raise ValueError
        return tuple(int(x) for x in parts)
    except ValueError:
        raise ChainError(f"--from: must be I,V or I,V,X (integers), got {text!r}") from None


def policy_of(cfg, which):
    """Solve the contract file's dynamic or static policy."""
    opts = cfg.solver_options()
    if which == "dynamic":
        return solve_dynamic(cfg.problem, **opts).policy
    return solve_static(cfg.problem, **opts).policy


def _fmt(x):
    return f"{float(x):.6g}" if not hasattr(x, "denominator") or x.denominator == 1 else f"{x} (~{float(x):.6g})"


def summary_text(chain: AbsorbingChain, start) -> str:
    """The text report of the summaries from a start state."""
    i, v = start[:2]
    T = chain.T
    dist = chain.ready_rate(start)
    rem = chain.remaining_ready(start)
    cost = chain.cost_decomposition(start)
    bands = chain.band_probabilities(start)
    zero = chain.expected_visits(chain.zero_stock(), start) if i <= T else 0
    where = f"from state (i={i}, v={v}): period {i} of {T} with {v} ready periods so far"
    if len(start) == 3:
        where = (f"from state (i={i}, v={v}, x={start[2]}): period {i} of {T} with {v} ready "
                 f"periods so far and {start[2]} units on hand")
    lines = [
        where,
        f"  ready rate at the end: mean {100 * float(dist.mean):.4f}%, SD {100 * dist.sd:.4f}%",
        f"  P(penalty) {_fmt(bands['penalty'])}, P(neutral) {_fmt(bands['neutral'])}, "
        f"P(bonus) {_fmt(bands['bonus'])}",
        f"  ready periods still to come: mean {_fmt(rem['mean'])}, variance {_fmt(rem['variance'])}",
        f"  expected periods still to spend stocking nothing: {_fmt(zero)}",
        f"  expected cost to the end: holding {_fmt(cost['holding'])} + settlement "
        f"{_fmt(cost['settlement'])} = {_fmt(cost['total'])}",
    ]
    if "purchase" in cost:
        lines[-1] = (f"  expected cost to the end: holding {_fmt(cost['holding'])} + purchases "
                     f"less salvage {_fmt(cost['purchase'])} + settlement "
                     f"{_fmt(cost['settlement'])} = {_fmt(cost['total'])}")
    return "\n".join(lines)


def write_chain(chain: AbsorbingChain, out, compress: bool = False) -> list[str]:
    """Write Q.npz, R.npz, N.npz, B.npz (where they fit) and states.csv into ``out``; returns
    the names written. The .npz files are uncompressed unless ``compress``."""
    from pathlib import Path

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ChainError(f"--out: {out} exists and is not a folder")
    written = []

    def save(name, matrix):
        with atomic_path(out / name) as tmp:
            sparse.save_npz(tmp, sparse.csr_matrix(matrix), compressed=compress)
        written.append(name)

    save("Q.npz", chain.Q)
    save("R.npz", chain.R)
    try:
        N, B = chain.matrices()
    except ChainSizeError as exc:
        print(f"slamarkov: note: N.npz and B.npz not written: {exc}", file=sys.stderr)
    else:
        save("N.npz", N)
        save("B.npz", B)
    chain.write_states_csv(out / "states.csv")
    written.append("states.csv")
    return written


def run(args) -> int:
    if args.out is None and args.start is None:
        raise ChainError("chain: give --out DIR, --from I,V, or both")
    if not args.max_gib > 0:
        raise ChainError(f"--max-gib: must be > 0, got {args.max_gib}")
    start = _parse_start(args.start) if args.start is not None else None
    cfg = config_from_args(args)
    policy = policy_of(cfg, args.policy)
    max_bytes = int(args.max_gib * 2**30)
    chain = AbsorbingChain(policy, max_bytes=max_bytes)
    if start is not None:
        if policy.carries or len(start) == 3:
            from .._chain_stock import start_state

            start_state(policy, start)
        else:
            chain._check_state(*start)
    if args.out is not None:
        float_chain = chain
        if policy.exact:  # matrices are float files
            float_chain = AbsorbingChain(
                Policy(policy.problem, policy.stock, kind=policy.kind,
                       max_stock=policy.space.max_stock if policy.carries else None),
                max_bytes=max_bytes)
        names = write_chain(float_chain, args.out, compress=args.compress)
        print(f"wrote {', '.join(names)} to {args.out}", file=sys.stderr)
    if start is not None:
        emit(summary_text(chain, start))
    return 0
