"""``slamarkov chain FILE``: a policy's absorbing chain, written to files or queried from a state."""

from __future__ import annotations

import math
from fractions import Fraction

from ..chain.absorbing import AbsorbingChain
from ..chain.policy import Policy
from ..core.limits import PER_STATE
from ..core.limits import max_bytes as memory_guard
from ..errors import ChainError, ChainSizeError
from ..model.contract import FILL_RATE, MEASURES, READY_RATE
from ..model.customers import CustomersProblem
from ..solve.both import POLICIES, solve_policy
from ..solve.limits import check_solve
from ._common import (
    add_problem_arguments,
    add_progress_arguments,
    config_from_args,
    emit,
    json_text,
    note,
    percent,
    wrote,
)


def register(sub):
    p = sub.add_parser(
        "chain", help="absorbing Markov chain of a policy: Q, R, N, B and state queries",
        description="Build the absorbing chain of the dynamic or static policy. --out DIR writes "
        "Q.npz, R.npz, N.npz and B.npz (scipy.sparse save_npz, uncompressed unless --compress; "
        "N and B only where they fit the memory guard) and states.csv; --from I,V prints the "
        "summaries from state (I, V).")
    add_problem_arguments(p)
    p.add_argument("--policy", choices=POLICIES, default="dynamic")
    p.add_argument("--out", metavar="DIR", default=None, help="folder for the matrices")
    p.add_argument("--from", dest="start", metavar="I,V[,X]", default=None,
                   help="print summaries from state (I, V): period I (1..T) with V ready periods "
                   "so far (0..I-1), and X units on hand when stock carries over; I = T+1 is the "
                   "end of the review period (V in 0..T); a fill-rate contract: I,D,F[,X], D "
                   "units demanded and F filled so far")
    p.add_argument("--compress", action="store_true",
                   help="zip-compress the .npz files (smaller, several times slower to write; "
                   "default: uncompressed)")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="the --from summaries as text (default) or JSON")
    add_progress_arguments(p, default="on a terminal, while --out writes its files")
    p.set_defaults(handler=run)


def _parse_start(text, fills=False):
    parts = text.split(",")
    shape = "I,D,F or I,D,F,X" if fills else "I,V or I,V,X"
    try:
        if len(parts) not in ((3, 4) if fills else (2, 3)):
            raise ValueError
        return tuple(int(x) for x in parts)
    except ValueError:
        raise ChainError(f"--from: must be {shape} (integers), got {text!r}") from None


def fill_summary_text(chain: AbsorbingChain, start) -> str:
    """The text report from a state (i, D, F[, x]) of a fill-rate contract (docs/model.md
    section 14): the fill rate at the end, its bands, the units still to be filled and demanded,
    the ready periods still to come, the periods still to spend stocking nothing and the expected
    cost to the end."""
    i, D, F = start[:3]
    T = chain.T
    dist = chain.fill_rate(start)
    cost = chain.cost_decomposition(start)
    filled, demanded = chain.remaining_filled(start), chain.remaining_demanded(start)
    ready = chain.remaining_ready(start)
    zero = chain.expected_visits(chain.zero_stock(), start) if i <= T else 0
    on_hand = f", x={start[3]}" if len(start) == 4 else ""
    state = f"(i={i}, D={D}, F={F}{on_hand})"
    if i <= T:
        where = (f"from state {state}: period {i} of {T}, {D} units demanded and {F} filled so "
                 "far")
    else:
        where = f"from state {state}: the end of the review period, {D} demanded, {F} filled"
    total = cost["total"]
    purchase = (f" + purchases less salvage {_fmt(cost['purchase'])}" if "purchase" in cost
                else "")
    lines = [
        where,
        f"  fill rate at the end: mean {percent(dist.mean)}, SD {100 * dist.sd:.4f}%, median "
        f"{percent(dist.quantile(Fraction(1, 2)))}",
        f"  P(penalty) {percent(dist.p_penalty)}, P(neutral) {percent(dist.p_neutral)}, "
        f"P(bonus) {percent(dist.p_bonus)}",
        f"  units still to be filled: mean {_fmt(filled['mean'], 'units')}, variance "
        f"{_fmt(filled['variance'], 'units^2')} (of mean {_fmt(demanded['mean'], 'units')} "
        "still to be demanded)",
        f"  ready periods still to come: mean {_fmt(ready['mean'], 'periods')}, variance "
        f"{_fmt(ready['variance'], 'periods^2')}",
        f"  expected periods still to spend stocking nothing: {_fmt(zero, 'periods')}",
        f"  expected cost to the end of the review period: holding {_fmt(cost['holding'])}"
        f"{purchase} + settlement {_fmt(cost['settlement'])} = {_fmt(total)}",
        f"  probability of the demand paths cut (float mode): {float(dist.truncated_mass):.3g}",
    ]
    return "\n".join(lines)


def summary_doc(chain: AbsorbingChain, start) -> dict:
    """The ``chain --from --format json`` document of one customer: the state, the measure, the
    rate at the end (``ready_rate`` or ``fill_rate``: mean, sd, p_penalty, p_bonus, as fractions),
    the bands' probabilities, the counts still to come (mean, variance: ready periods, and on a
    fill-rate contract units filled and demanded), the expected periods still to spend stocking
    nothing, and the cost to the end with its parts (mean, variance, sd); the same numbers as the
    text report, as floats.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
    >>> ch = AbsorbingChain(solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5),
    ...                                   max_stock=40).policy)
    >>> doc = summary_doc(ch, (6, 4))
    >>> doc["state"], doc["measure"], round(doc["ready_rate"]["p_penalty"], 4)
    ([6, 4], 'ready-rate', 0.0018)
    """
    fills = chain.policy.fills
    i = start[0]
    dist = chain.fill_rate(start) if fills else chain.ready_rate(start)
    bands = chain.band_probabilities(start)
    counts = {"ready_periods": chain.remaining_ready(start)}
    if fills:
        counts["filled_units"] = chain.remaining_filled(start)
        counts["demanded_units"] = chain.remaining_demanded(start)
    zero = chain.expected_visits(chain.zero_stock(), start) if i <= chain.T else 0
    parts = chain.cost_components(start)
    doc = {
        "state": [int(t) for t in start],
        "policy": chain.policy.kind,
        "measure": FILL_RATE if fills else READY_RATE,
        "fill_rate" if fills else "ready_rate": dist.to_dict(pmf=False),
        "bands": {k: float(v) for k, v in bands.items()},
        "still_to_come": {k: {"mean": float(m["mean"]), "variance": float(m["variance"])}
                          for k, m in counts.items()},
        "zero_stock_periods": float(zero),
        "cost": {"mean": float(parts["total"][0]),
                 "sd": math.sqrt(max(float(parts["total"][1]), 0.0))},
        "cost_parts": {k: {"mean": float(mu), "variance": float(var),
                           "sd": math.sqrt(max(float(var), 0.0))}
                       for k, (mu, var) in parts.items()},
    }
    if fills:
        doc["truncated_mass"] = float(dist.truncated_mass)
    return doc


def _fmt(x, unit=""):
    """A number with its unit; an exact fraction keeps its exact value beside the decimal."""
    unit = f" {unit}" if unit else ""
    if hasattr(x, "denominator") and x.denominator != 1:
        if x.denominator.bit_length() > 200:  # too long to read: its size instead
            return f"{float(x):.6g}{unit} (exact, a rational of {x.denominator.bit_length():,} bits)"
        return f"{float(x):.6g}{unit} (exact {x})"
    return f"{float(x):.6g}{unit}"


def _periods(n) -> str:
    return f"{n} ready period{'s' if n != 1 else ''}"


def summary_text(chain: AbsorbingChain, start) -> str:
    """The text report of the summaries from a start state.

    Rates and probabilities are in percent, as in ``solve``'s report (from state (1, 0) the two
    agree); counts are in periods and costs in money over the rest of the review period.
    """
    i, v = start[:2]
    T = chain.T
    dist = chain.ready_rate(start)
    rem = chain.remaining_ready(start)
    cost = chain.cost_decomposition(start)
    bands = chain.band_probabilities(start)
    zero = chain.expected_visits(chain.zero_stock(), start) if i <= T else 0
    on_hand = f", {start[2]} units on hand" if len(start) == 3 else ""
    state = f"(i={i}, v={v}{f', x={start[2]}' if len(start) == 3 else ''})"
    if i <= T:
        where = f"from state {state}: period {i} of {T}, {_periods(v)} so far{on_hand}"
    else:
        where = (f"from state {state}: the end of the review period (all {T} periods done), "
                 f"{_periods(v)}{on_hand}")
    total = cost["total"]
    purchase = (f" + purchases less salvage {_fmt(cost['purchase'])}" if "purchase" in cost
                else "")
    lines = [
        where,
        f"  ready rate at the end: mean {percent(dist.mean)}, SD {100 * dist.sd:.4f}%",
        f"  P(penalty) {percent(bands['penalty'])}, P(neutral) {percent(bands['neutral'])}, "
        f"P(bonus) {percent(bands['bonus'])}",
        f"  ready periods still to come: mean {_fmt(rem['mean'], 'periods')}, variance "
        f"{_fmt(rem['variance'], 'periods^2')}",
        f"  expected periods still to spend stocking nothing: {_fmt(zero, 'periods')}",
        f"  expected cost to the end of the review period: holding {_fmt(cost['holding'])}"
        f"{purchase} + settlement {_fmt(cost['settlement'])} = {_fmt(total)}",
    ]
    if i == 1 and v == 0:
        lines.append(f"  cost per period: {_fmt(total / T)} (as solve reports it)")
    if total < 0:
        lines.append("  a negative cost is a net gain: the expected bonus exceeds the costs")
    return "\n".join(lines)


#: the files ``chain --out`` writes; a folder holding only these may be replaced
CHAIN_FILES = ("Q.npz", "R.npz", "N.npz", "B.npz", "states.csv")


def write_chain(chain: AbsorbingChain, out, compress: bool = False, step=None) -> list[str]:
    """Write Q.npz, R.npz, N.npz, B.npz (where they fit) and states.csv into ``out``; returns
    the names written. The .npz files are uncompressed unless ``compress``. ``step(name)``, when
    given, is called before each file (a progress bar's step).

    The files are written as a set: into a temporary folder beside ``out`` that then replaces
    ``out`` whole (:func:`~slamarkov.io.atomic.atomic_dir`), so ``out`` never holds a half-written set
    or files of two runs.
    """
    from scipy import sparse

    from ..io.atomic import atomic_dir

    written = []
    with atomic_dir(out, owned=CHAIN_FILES) as tmp:

        def save(name, matrix, announce=True):
            if step is not None and announce:
                step(name)
            sparse.save_npz(tmp / name, sparse.csr_matrix(matrix), compressed=compress)
            written.append(name)

        save("Q.npz", chain.Q)
        save("R.npz", chain.R)
        if step is not None:
            step("N.npz, B.npz")  # computing N and B is most of the time on a large chain
        try:
            N, B = chain.matrices()
        except ChainSizeError as exc:
            note(f"N.npz and B.npz not written: {exc}")
        else:
            save("N.npz", N, announce=False)
            save("B.npz", B, announce=False)
        if step is not None:
            step("states.csv")
        chain.write_states_csv(tmp / "states.csv")
        written.append("states.csv")
    return written


def _run_customers(args, cfg) -> int:
    """``--from I,V1,..,Vk[,X]`` on a file with several customers (docs/model.md section 15)."""
    from ..solve.customer_moments import customers_cost_components
    from ..solve.customers import outlook_from, solve_customers_dynamic, solve_customers_static

    p = cfg.problem
    if args.out is not None:
        raise ChainError("--out: the matrix files are written for one customer only; with "
                         "several customers use --from I,V1,..,Vk[,X]")
    parts = args.start.split(",")
    try:
        values = [int(x) for x in parts]
    except ValueError:
        values = None
    if values is None or len(values) not in (p.k + 1, p.k + 2):
        raise ChainError(f"--from: must be I,V1,..,V{p.k} or I,V1,..,V{p.k},X (integers, one "
                         f"ready count per customer), got {args.start!r}")
    opts = cfg.solver_options()
    sol = (solve_customers_dynamic(p, **opts) if args.policy == "dynamic"
           else solve_customers_static(p, **opts))
    i, counts = values[0], values[1 : p.k + 1]
    x = values[p.k + 1] if len(values) == p.k + 2 else None
    try:
        out = outlook_from(sol, i, counts, x)
    except ChainError as exc:
        raise ChainError(f"--from: {exc}") from None
    parts = customers_cost_components(sol, i, counts, x)
    sd = {name: math.sqrt(float(var)) for name, (_, var) in parts.items()}
    if getattr(args, "format", "text") == "json":
        emit(json_text(_customers_doc(sol, out, parts, sd)))
        return 0
    when = (f"period {i} of {p.review_period}" if i <= p.review_period
            else "the end of the review period")
    lines = [f"from state {out.state} of the {sol.kind} policy ({when}; ready periods so far: "
             + ", ".join(f"{n} {v}" for n, v in zip(p.names, counts)) + ")"]
    for name, rr, sac in zip(p.names, out.ready_rates, out.sacrificed):
        lines.append(f"  {name}: ready rate at the end mean {percent(rr.mean)}, SD "
                     f"{100 * rr.sd:.4f}%, P(penalty) {percent(rr.p_penalty)}, P(bonus) "
                     f"{percent(rr.p_bonus)}; sacrificed periods still to come "
                     f"{_fmt(sac, 'periods')}")
    lines.append(f"  expected cost to the end of the review period: {_fmt(out.cost)}")
    lines.append(f"  cost to the end of the review period: SD {sd['total']:.6g} (holding SD "
                 f"{sd['holding']:.6g}" + (f", purchases less salvage SD {sd['purchase']:.6g}"
                                           if "purchase" in sd else "")
                 + "".join(f", {n}'s settlement SD {sd['settlement_' + n]:.6g}" for n in p.names)
                 + ")")
    emit("\n".join(lines))
    return 0


def _customers_doc(sol, out, parts, sd) -> dict:
    """The ``chain --from --format json`` document for several customers: the state, each
    customer's outlook, and the cost to the end with its parts (mean, variance, sd)."""
    p = sol.problem
    return {
        "state": [int(t) for t in out.state],
        "policy": sol.kind,
        "customers": [{"name": n, "ready_rate": rr.to_dict(pmf=False),
                       "sacrificed": float(sac)}
                      for n, rr, sac in zip(p.names, out.ready_rates, out.sacrificed)],
        "cost": {"mean": float(out.cost), "sd": sd["total"]},
        "cost_parts": {name: {"mean": float(mu), "variance": float(var), "sd": sd[name]}
                       for name, (mu, var) in parts.items()},
    }


def run(args) -> int:
    if args.out is None and args.start is None:
        raise ChainError("chain: give --out DIR, --from I,V, or both")
    cfg = config_from_args(args, MEASURES, customers=True)
    if isinstance(cfg.problem, CustomersProblem):
        return _run_customers(args, cfg)
    if getattr(args, "format", "text") != "text" and args.start is None:
        raise ChainError("--format: json is the format of the --from summaries; give --from")
    fills = cfg.problem.contract.measure == FILL_RATE
    start = _parse_start(args.start, fills) if args.start is not None else None
    if args.out is not None:  # refuse before solving what cannot be written
        from ..io.atomic import check_output

        check_output(args.out, folder=True)  # a file, a device, a name too long
        check_solve(cfg.problem, cfg.max_stock, exact=cfg.exact, per_state=PER_STATE["chain"],
                    what="for the chain files")
    from ..core.progress import progress

    # one bar over the steps that take seconds on a large chain: the solve and each file
    bar = progress(total=5 if args.out is not None else 1, label="chain", unit="step",
                   enabled=args.progress)
    with bar:
        bar.set_postfix_str("solve")
        policy = solve_policy(cfg.problem, args.policy, **cfg.solver_options()).policy
        bar.update(1)
        max_bytes = memory_guard()  # --max-gib also guards the dense N and B
        chain = AbsorbingChain(policy, max_bytes=max_bytes)
        if start is not None:
            chain.start(start, field="--from")  # the state named before any work
        if args.out is not None:
            float_chain = chain
            if policy.exact:  # matrices are float files
                float_chain = AbsorbingChain(
                    Policy(policy.problem, policy.stock, kind=policy.kind,
                           max_stock=policy.space.max_stock if policy.carries else None),
                    max_bytes=max_bytes)
            names = iter(range(4))

            def step(name):
                if next(names):
                    bar.update(1)
                bar.set_postfix_str(name)

            write_chain(float_chain, args.out, compress=args.compress, step=step)
            bar.update(bar.total - bar.n)
    if args.out is not None:
        wrote(args.out)
    if start is not None:
        if getattr(args, "format", "text") == "json":
            emit(json_text(summary_doc(chain, start)))
        else:
            emit(fill_summary_text(chain, start) if fills else summary_text(chain, start))
    return 0
