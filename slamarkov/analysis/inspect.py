r"""Inspection of a policy's chain (docs/model.md sections 6 and 12): which states it can reach,
where it gives up or coasts, where its decision changes, the most probable path into each band and
when the probability commits to a band.

The queries work on the policy's stock table and the chain's kernels stage by stage, so they
cost about the size of the chain and never a loop over states in Python; :func:`inspect_policy`
gathers them into the report ``slamarkov graph --inspect`` prints.

One concern, though above 700 lines: the questions one asks of a solved policy's chain, each a
pass over the same layers with the same start state and the same report; the most probable
paths carry their own score type (exact, or float with a rounding bound) for the tie rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ..chain.classes import DECIDED, layer_bands, state_classes
from ..chain.kernels import kernel_for
from ..chain.policy import as_policy
from ..chain.space import Position
from ..core.limits import PER_STATE, check_bytes
from ..errors import SlamarkovError
from ..model.contract import BANDS
from .gaming import reference_base_stock

__all__ = [
    "BandPath",
    "PolicyInspection",
    "reachable",
    "unreachable_states",
    "give_up_states",
    "coasting_states",
    "decision_boundary",
    "most_probable_paths",
    "band_flow",
    "flow_document",
    "flow_lines",
    "inspect_policy",
    "check_size",
    "transient_start",
]


def check_size(pol, kind: str) -> None:
    """Refuse, before building anything, a graph (``kind="graph"``) or an inspection report
    (``"inspect"``) of a policy that cannot fit in memory (``--max-gib``).

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, Policy, memory_limit
    >>> pol = Policy.constant(Problem(Contract.study(3), Poisson(5), 1), 6)
    >>> with memory_limit(2**20):
    ...     check_size(pol, "graph")
    >>> with memory_limit(10_000):
    ...     check_size(pol, "graph")
    Traceback (most recent call last):
    slamarkov.errors.SizeError: contract.review_period: the graph of T = 3 (6 states) would need about 2.79e-05 GiB, above the memory limit of 9.31e-06 GiB (--max-gib)
    """
    n = pol.stock.shape[0]
    units = n
    if pol.carries and kind == "graph":  # y + 2 out-edges per state, not 2
        units = n + int(np.asarray(pol.stock, dtype=np.int64).sum() // 2)
    check_bytes(units * PER_STATE[kind], "contract.review_period",
                f"the {kind} of T = {pol.review_period} ({n:,} states) would")


def _states(space, mask) -> list:
    """The transient states of a flat mask, in state order: (i, v), or (i, v, x)."""
    return space.keys_at(np.flatnonzero(mask))


def _by_role(policy, role, decided):
    if decided is not None and decided not in DECIDED:
        raise SlamarkovError(f"decided: must be one of {', '.join(DECIDED)}, got {decided!r}")
    pol = as_policy(policy)
    r = state_classes(pol)
    mask = r["role"] == role
    if decided is not None:
        mask &= r["decided"] == decided
    return _states(pol.space, mask)


def give_up_states(policy, decided: str | None = None) -> list:
    """Transient states where the policy gives up (:mod:`slamarkov.chain.classes`, docs/model.md
    section 12): its ready chance is below the penalty threshold while the penalty is the likely
    outcome from the state under the policy.

    Parameters
    ----------
    policy : Policy or AbsorbingChain
    decided : {"open", "penalty-certain", "neutral-decided", "bonus-secured"}, optional
        Only the states whose outcome is so (:func:`~slamarkov.chain.classes.decided_outcome`).

    Returns
    -------
    list of (int, int)
        States (i, v) in state order; (i, v, x) when stock carries over.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
    >>> pol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40).policy
    >>> give_up_states(pol)[:4]
    [(4, 0), (5, 0), (5, 1), (6, 0)]
    >>> len(give_up_states(pol)), give_up_states(pol, "open")
    (28, [])
    """
    return _by_role(policy, "give-up", decided)


def coasting_states(policy, decided: str | None = None) -> list:
    """Transient states where the policy coasts (:mod:`slamarkov.chain.classes`): its ready
    chance is below the bonus threshold while the bonus is the likely outcome.

    Parameters
    ----------
    policy : Policy or AbsorbingChain
    decided : {"open", "penalty-certain", "neutral-decided", "bonus-secured"}, optional

    Returns
    -------
    list of (int, int)
        States (i, v) in state order; (i, v, x) when stock carries over.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
    >>> pol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40).policy
    >>> coasting_states(pol, "bonus-secured")
    [(10, 9)]
    """
    return _by_role(policy, "coasting", decided)


# -- reachability -----------------------------------------------------------------------------
def transient_start(pol, start) -> Position:
    """A transient start state of a policy's chain, checked: (i, v), or (i, v, x) with stock
    carried over ((i, v) at i = 1 means the initial stock).

    Raises
    ------
    ChainError
        ``start: ...`` naming the rule.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, Policy
    >>> transient_start(Policy.constant(Problem(Contract.study(3), Poisson(5), 1), 6), (2, 1))
    Position(i=2, score=1, column=0)
    """
    space = pol.space
    pos = space.start(start, absorbing=False)
    return pos


def reachable(policy, start=(1, 0)) -> np.ndarray:
    """Which states can be visited from ``start`` under the policy: a flat boolean mask over
    the transient states followed by the T + 1 absorbing states (canonical order).

    Computed on the support of the transitions (which have positive probability, decided on the
    exact tables when the policy is exact), layer by layer, so it is exact: a state whose reach
    probability underflows to 0.0 in floating point is still reachable.

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform, Problem, Policy
    >>> prob = Problem(Contract(2, 0.5, 1, penalty=10), DiscreteUniform(1, 3), 1)
    >>> reachable(Policy(prob, [[0], [3, 3]])).astype(int).tolist()  # F(0) = 0, F(3) = 1
    [1, 1, 0, 0, 1, 0]

    With stock carried over the transient states are (i, v, x) in the chain's order
    (:class:`~slamarkov.chain.space.StateSpace`) and ``start`` may be (i, v, x):

    >>> carry = Problem(Contract(2, 0.5, 1, penalty=10), DiscreteUniform(1, 3), 1,
    ...                 leftover="carry")
    >>> pol = Policy(carry, [[[1]], [[1, 1, 2, 3], [1, 1, 2, 3]]])  # d >= 1 leaves x' = 0
    >>> reachable(pol).astype(int).tolist()
    [1, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1]
    """
    pol = as_policy(policy)
    pos = transient_start(pol, start)
    space, kernel = pol.space, kernel_for(pol)
    t = space.n_transient
    out = np.zeros(t + space.n_final, dtype=bool)
    cur = np.zeros((space.size(pos.i), space.width(pos.i)), dtype=bool)
    cur[pos.score, pos.column] = True
    for i in range(pos.i, space.T + 1):
        space.layer(out[:t], i)[...] = cur
        tr = kernel.transitions(i)
        n, w = kernel.next_shape(i, final_stock=False)
        nxt = np.zeros(n * w, dtype=bool)
        nxt[tr.cols[cur.ravel()[tr.rows] & (tr.p > 0)]] = True
        cur = nxt.reshape(n, w)
    out[t:] = cur[:, 0]
    return out


def unreachable_states(policy, start=(1, 0)) -> list:
    """States (transient or absorbing) that the policy visits with probability 0 from ``start``.

    States of stages before the start's, and ready counts the start cannot lead to, count as
    unreachable too. See :func:`reachable` for how zero is decided.

    Returns
    -------
    list of (int, int)
        In state order; with stock carried over transient states are (i, v, x), absorbing ones
        still (T + 1, v).

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform, Problem, Policy
    >>> prob = Problem(Contract(2, 0.5, 1, penalty=10), DiscreteUniform(1, 3), 1)
    >>> unreachable_states(Policy(prob, [[0], [3, 3]]))
    [(2, 1), (3, 0), (3, 2)]
    """
    pol = as_policy(policy)
    space = pol.space
    mask = ~reachable(pol, start)
    t = space.n_transient
    T = space.T
    return _states(space, mask[:t]) + [(T + 1, int(v)) for v in np.flatnonzero(mask[t:])]


# -- decision boundary ------------------------------------------------------------------------
def decision_boundary(policy, stock_on_hand=None) -> dict:
    """Per stage, the ready counts where the stock changes: S_i(v) != S_i(v - 1).

    With stock carried over the boundary is taken within each slice of equal stock on hand:
    the states (i, v, x) where y_i(v, x) != y_i(v - 1, x) (docs/model.md section 11).

    Parameters
    ----------
    policy : Policy or AbsorbingChain
    stock_on_hand : int, optional
        Carry-over only: the boundary of the one slice x = ``stock_on_hand`` (period 1 holds
        only the initial stock and has no boundary). Without carry-over only 0 (or None).

    Returns
    -------
    dict
        ``{i: [(v, S_i(v - 1), S_i(v)), ...]}`` for every stage i = 1..T (an empty list where
        the stage's stock is constant). With stock carried over, ``{i: [(v, x, y_i(v - 1, x),
        y_i(v, x)), ...]}`` in state order, or the triples ``(v, y_i(v - 1, x), y_i(v, x))``
        of one slice when ``stock_on_hand`` is given.

    Raises
    ------
    SlamarkovError
        When ``stock_on_hand`` is not a stock level of the chain.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
    >>> pol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40).policy
    >>> pol.stage(10).tolist()
    [0, 0, 0, 0, 0, 0, 0, 10, 10, 0]
    >>> decision_boundary(pol)[10]
    [(7, 0, 10), (9, 10, 0)]
    >>> decision_boundary(pol)[1]
    []

    With stock carried over:

    >>> from slamarkov import DiscreteUniform, Policy
    >>> carry = Problem(Contract(2, 0.5, 1, penalty=10), DiscreteUniform(1, 3), 1,
    ...                 leftover="carry")
    >>> pol = Policy(carry, [[[1]], [[1, 1, 2, 3], [0, 1, 2, 3]]])
    >>> decision_boundary(pol)[2], decision_boundary(pol, stock_on_hand=0)[2]
    ([(1, 0, 1, 0)], [(1, 1, 0)])
    """
    pol = as_policy(policy)
    space = pol.space
    if not space.carry and stock_on_hand is not None and stock_on_hand != 0:
        raise SlamarkovError(
            f"stock_on_hand: stock does not carry over, so it is always 0; got {stock_on_hand!r}")
    x_only = None if stock_on_hand is None or not space.carry else \
        space.stock_slice(stock_on_hand)
    values = np.asarray(pol.stock_values(), dtype=np.int64 if pol.problem.demand.discrete
                        else object)
    out = {s: [] for s in range(1, space.T + 1)}
    for i in range(2, space.T + 1):  # period 1 holds one state
        Y = space.layer(values, i)
        levels = space.stock_levels(i)
        if x_only is not None:
            Y = Y[:, levels == x_only]
            levels = levels[levels == x_only]
        vv, cc = np.nonzero(Y[1:] != Y[:-1])
        before, after = Y[vv, cc].tolist(), Y[vv + 1, cc].tolist()
        if space.carry and x_only is None:
            out[i] = list(zip((vv + 1).tolist(), levels[cc].tolist(), before, after))
        else:
            out[i] = list(zip((vv + 1).tolist(), before, after))
    return out


# -- most probable paths ----------------------------------------------------------------------
@dataclass(frozen=True)
class BandPath:
    """The most probable path from the start state into one absorbing band.

    Attributes
    ----------
    band : str
        "penalty", "neutral" or "bonus".
    probability : float
        The path's probability (may underflow to 0.0 for long paths; see ``log_probability``).
    log_probability : float
        Natural logarithm of the path's probability.
    path : list of tuple
        The states from the start to the absorbing state (T + 1, v): (i, v), or (i, v, x) with
        stock carried over.
    """

    band: str
    probability: float
    log_probability: float
    path: list

    @property
    def final_count(self) -> int:
        """The final ready count v of the absorbing state the path ends in."""
        return self.path[-1][1]


def most_probable_paths(policy, start=(1, 0)) -> dict:
    """The most probable path from ``start`` into each absorbing band (a Viterbi pass).

    The chain is a layered DAG, so the best path into every state is found layer by layer over
    the chain's transitions (docs/model.md section 6, "Most probable paths"). Ties go to the
    short period (the path that stays at the lower ready count), then to the smallest stock on
    hand before; between absorbing states of one band, to the smallest final ready count. An
    exact policy compares exact path probabilities, so every tie is decided exactly; a float
    policy compares log probabilities, and two paths whose scores differ by less than their
    rounding bound count as tied (as a Poisson(4) demand of 3 and one of 4 are equally likely).

    Parameters
    ----------
    policy : Policy or AbsorbingChain
    start : (int, int) or (int, int, int), default (1, 0)

    Returns
    -------
    dict
        ``{"penalty": BandPath or None, "neutral": ..., "bonus": ...}``; None when no absorbing
        state of the band is reachable (or the band is empty, e.g. alpha_L = 0).

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
    >>> pol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40).policy
    >>> best = most_probable_paths(pol)["bonus"]
    >>> best.final_count, round(best.probability, 4), best.path[:3]
    (9, 0.3724, [(1, 0), (2, 1), (3, 2)])

    With stock carried over the path runs through states (i, v, x) and ends at (T + 1, v); a
    ready period may leave any stock y - d on hand:

    >>> from slamarkov import DiscreteUniform, Policy
    >>> carry = Problem(Contract(2, 0.5, 1, penalty=10), DiscreteUniform(0, 2), 1,
    ...                 leftover="carry")
    >>> best = most_probable_paths(Policy(carry, [[[2]], [[0, 1, 2], [0, 1, 2]]]))["bonus"]
    >>> best.path, best.probability  # P(d = 0) * P(d <= 2) = 1/3
    ([(1, 0, 0), (2, 1, 2), (3, 2)], 0.3333333333333333)
    """
    pol = as_policy(policy)
    pos = transient_start(pol, start)
    space, kernel = pol.space, kernel_for(pol)
    T = space.T
    scores = _PathScores(pol.exact, space.size(pos.i) * space.width(pos.i))
    scores.value[pos.score * space.width(pos.i) + pos.column] = 1 if pol.exact else 0.0
    back = []  # per layer: the source (position in the layer) of each target's best path
    for i in range(pos.i, T + 1):
        inc = kernel.incoming(i)  # by target, slots in the tie rule's order
        cand = scores.extend(inc.rows, inc.p, inc.logp)
        k = cand.first_tied_with_best()
        cols = np.arange(k.shape[0])
        back.append(inc.rows[k, cols])
        scores = cand.pick(k, cols)
    bands = layer_bands(space, pol.problem.contract, T + 1)  # the final scores' bands
    reachable = scores.reachable()
    ends = {}  # band -> its most probable absorbing state
    for code, name in zip((-1, 0, 1), BANDS):
        sel = np.flatnonzero((bands == code) & reachable)
        if sel.size:
            ends[name] = int(sel[scores.column(sel).first_tied_with_best()[0]])
    # back through the layers for every band at once: one lookup of state names per layer
    j = np.array(list(ends.values()), dtype=np.int64)
    paths = [[space.key(Position(T + 1, int(e), 0))] for e in j]  # (T + 1, *final score)
    for step in range(len(back) - 1, -1, -1):
        j = back[step][j]
        for path, key in zip(paths, space.keys(pos.i + step, j)):
            path.append(key)
    out = dict.fromkeys(BANDS)
    for (name, e), path in zip(ends.items(), paths):
        path.reverse()
        out[name] = BandPath(name, *scores.probability(e), path)
    return out


#: the absolute accuracy of a float transition probability, in units of machine epsilon: F is
#: good to 1e-15 (tests/test_demand_accuracy.py), so F(y), 1 - F(y) and P(d) = F(d) - F(d - 1)
#: are good to 2.2e-15 < 16 eps (docs/model.md section 6, "Most probable paths")
_PROBABILITY_ULPS = 16


class _PathScores:
    """The scores of the best paths into states, or of the candidate paths into them (slots by
    target, shape (m, n)), compared by the tie rule.

    Exact: the path probabilities themselves (Fractions; 0 = unreachable), compared exactly.
    Float: log probabilities (-inf = unreachable) with a bound on each one's rounding error;
    two scores closer than the sum of their bounds are tied (docs/model.md section 6).
    """

    def __init__(self, exact: bool, n_or_value, error=None):
        self.exact = exact
        if isinstance(n_or_value, int):
            n = n_or_value
            value = np.zeros(n, dtype=object) if exact else np.full(n, -np.inf)
            error = None if exact else np.zeros(n)
        else:
            value = n_or_value
        self.value, self.error = value, error

    def extend(self, rows, p, logp) -> "_PathScores":
        """The scores of the paths through the transitions rows -> (p, log p), slot by slot."""
        if self.exact:
            return _PathScores(True, self.value[rows] * p)
        value = self.value[rows] + logp
        with np.errstate(divide="ignore", invalid="ignore"):
            # log p carries p's absolute error over p, then the rounding of the log and the sum
            step = np.finfo(float).eps * (_PROBABILITY_ULPS / p + 2 * np.abs(value))
        return _PathScores(False, value, self.error[rows] + step)

    def first_tied_with_best(self) -> np.ndarray:
        """Per target (column), the first slot tied with the best (slot 0 if none is reachable)."""
        value = self.value
        if self.exact:
            return np.argmax(value == value.max(axis=0), axis=0)
        cols = np.arange(value.shape[1])
        top = np.argmax(value, axis=0)
        # within the sum of the two rounding bounds of the best
        floor = (value[top, cols] - self.error[top, cols]) - self.error
        return np.argmax((value >= floor) & np.isfinite(value), axis=0)

    def pick(self, k, cols) -> "_PathScores":
        """The scores at slots ``k`` of the targets ``cols``: the best path into each target."""
        return _PathScores(self.exact, self.value[k, cols],
                           None if self.exact else self.error[k, cols])

    def column(self, idx) -> "_PathScores":
        """The scores at ``idx`` as the slots of one target (a band's absorbing states)."""
        return _PathScores(self.exact, self.value[idx][:, None],
                           None if self.exact else self.error[idx][:, None])

    def reachable(self) -> np.ndarray:
        if self.exact:
            return np.array([v > 0 for v in self.value], dtype=bool)
        return np.isfinite(self.value)

    def probability(self, j: int):
        """The probability and natural log of the probability of the best path into j."""
        v = self.value[j]
        if self.exact:
            v = Fraction(v)
            return float(v), math.log(v.numerator) - math.log(v.denominator)
        return math.exp(v), float(v)


# -- probability flow into the bands ----------------------------------------------------------
def band_flow(policy, start=(1, 0)) -> dict:
    r"""When the probability commits to each band: per stage, the probability of having
    reached a state whose final band is already certain.

    A state (i, v) is *committed* to a band when every reachable final count v .. v + r
    (:math:`r = T - i + 1`) lies in it (:func:`~slamarkov.chain.classes.committed_band`); once
    committed, every later state is too. For stages i = i0 .. T + 1, ``committed[band][k]`` is
    the probability of being committed to the band at the start of stage i and
    ``flow[band][k]`` its increase over the stage before (the probability that enters the band's
    committed region at stage i). At stage T + 1 every state is absorbing, so the last
    ``committed`` entries are the absorption probabilities of the bands (the chain's B row
    summed by band).

    Returns
    -------
    dict
        ``stage`` (ndarray i0..T+1), ``committed`` and ``flow`` (dicts band -> ndarray).

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
    >>> pol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40).policy
    >>> f = band_flow(pol)
    >>> [round(float(f["committed"][b][-1]), 4) for b in ("penalty", "neutral", "bonus")]
    [0.0013, 0.0363, 0.9624]
    >>> np.round(f["flow"]["bonus"], 4).tolist()[-3:]  # bonus secured at stage 10, or after it
    [0.0, 0.3749, 0.5875]
    """
    pol = as_policy(policy)
    pos = transient_start(pol, start)
    c = pol.problem.contract
    T = pol.review_period
    stages = np.arange(pos.i, T + 2)
    committed = {b: np.zeros(stages.shape[0]) for b in BANDS}
    layers = []  # the probability of each ready count (summed over the stock on hand)

    def keep(i, lo, mass):
        layers.append((lo, np.asarray(mass.sum(axis=1), dtype=np.float64)))

    final = kernel_for(pol).forward(pos, on_layer=keep)
    layers.append((0, np.asarray(final, dtype=np.float64)))
    for k, (i, (lo, P)) in enumerate(zip(stages.tolist(), layers)):
        band = layer_bands(pol.space, c, i, lo, lo + P.shape[0])
        for code, name in zip((-1, 0, 1), BANDS):
            committed[name][k] = P[band == code].sum()
    flow = {b: np.diff(committed[b], prepend=0.0) for b in BANDS}
    return {"stage": stages, "committed": committed, "flow": flow}


def flow_document(flow) -> dict:
    """:func:`band_flow`'s result as JSON-friendly lists (the reports' ``flow``)."""
    return {"stage": flow["stage"].tolist(),
            "committed": {b: a.tolist() for b, a in flow["committed"].items()},
            "flow": {b: a.tolist() for b, a in flow["flow"].items()}}


def flow_lines(flow) -> list:
    """:func:`band_flow`'s result as the reports' table: per stage, the probability committed
    to each band in percent and its increase in that stage."""
    lines = ["Probability committed to each band by stage, in percent (flow in that stage):",
             "  stage   penalty (%)           neutral (%)           bonus (%)"]
    for k, i in enumerate(flow["stage"].tolist()):
        cells = "  ".join(f"{100 * flow['committed'][b][k]:8.4f} "
                          f"(+{100 * max(flow['flow'][b][k], 0.0):.4f})".ljust(20)
                          for b in BANDS).rstrip()
        lines.append(f"  {i:>5}   {cells}")
    return lines


# -- inspection report ------------------------------------------------------------------------
def _runs(values) -> str:
    """'0-2,5' for the sorted integers 0, 1, 2, 5."""
    runs, a, b = [], values[0], values[0]
    for x in values[1:]:
        if x == b + 1:
            b = x
            continue
        runs.append((a, b))
        a = b = x
    runs.append((a, b))
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def _ranges(states) -> str:
    """'stage 4: v 0; stage 5: v 0-1' for a list of states in state order; states (i, v, x)
    give 'stage 4: v 0 (x 0-3); 5: v 0-1 (x 0-40)' (ready counts with the same stock levels
    run together)."""
    by_stage: dict[int, list] = {}
    for s in states:
        by_stage.setdefault(s[0], []).append(s[1:])
    parts = []
    for i, rest in by_stage.items():
        if len(rest[0]) == 1:
            parts.append(f"{i}: v {_runs([r[0] for r in rest])}")
            continue
        by_v: dict[int, list[int]] = {}
        for v, x in rest:
            by_v.setdefault(v, []).append(x)
        groups: list = []  # [v values, x runs]
        for v, xs in by_v.items():
            xr = _runs(xs)
            if groups and groups[-1][1] == xr and groups[-1][0][-1] == v - 1:
                groups[-1][0].append(v)
            else:
                groups.append([[v], xr])
        parts.append(f"{i}: " + ", ".join(f"v {_runs(vs)} (x {xr})" for vs, xr in groups))
    return "; ".join(parts)


def _boundary_lines(boundary) -> list:
    """The decision boundary of a carry-over policy, one line per stage: the ready counts v,
    the stock levels x where the order changes there, and the change at the first of them."""
    lines = []
    for i, b in boundary.items():
        by_v: dict[int, list] = {}
        for v, x, a, z in b:
            by_v.setdefault(v, []).append((x, a, z))
        cells = [f"v={v} at x {_runs([e[0] for e in xs])} (x={xs[0][0]}: {xs[0][1]}->{xs[0][2]})"
                 for v, xs in by_v.items()]
        lines.append(f"  stage {i}: " + ", ".join(cells))
    return lines


@dataclass
class PolicyInspection:
    """The inspection report of a policy (:func:`inspect_policy`).

    Attributes
    ----------
    review_period : int
    policy : str
        The policy's kind ("dynamic", "static", "user").
    start : (int, int) or (int, int, int)
    unreachable : list of (int, int)
    give_up : dict
        decided outcome ("open", "penalty-certain", ...) -> list of states (only those that
        occur).
    coasting : dict
        decided outcome -> list of states.
    boundary : dict
        stage -> list of (v, stock below, stock at v), from :func:`decision_boundary`.
    paths : dict
        band -> :class:`BandPath` or None.
    flow : dict
        From :func:`band_flow`.
    withholding, adding : dict
        decided outcome -> the states whose ready chance is below (above) the non-strategic
        reference's, :math:`F(y) < F(\\max(S^*, x))` (empty without a reference).
    base_stock : number or None
        :math:`S^*`, the reference's base-stock level.
    """

    review_period: int
    policy: str
    start: tuple
    unreachable: list
    give_up: dict
    coasting: dict
    boundary: dict
    paths: dict
    flow: dict = field(repr=False)
    withholding: dict = field(default_factory=dict)
    adding: dict = field(default_factory=dict)
    base_stock: object = None

    def to_dict(self) -> dict:
        """A JSON-friendly document (states as [i, v] lists).

        Examples
        --------
        >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
        >>> pol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40).policy
        >>> doc = inspect_policy(pol).to_dict()
        >>> doc["coasting"], doc["paths"]["bonus"]["final_count"]
        ({'open': [[7, 6], [8, 7], [9, 8]], 'bonus-secured': [[10, 9]]}, 9)
        """
        def states(xs):
            return [list(s) for s in xs]

        return {
            "review_period": self.review_period,
            "policy": self.policy,
            "start": list(self.start),
            "unreachable": states(self.unreachable),
            "give_up": {k: states(x) for k, x in self.give_up.items()},
            "coasting": {k: states(x) for k, x in self.coasting.items()},
            "base_stock": self.base_stock,
            "withholding": {k: states(x) for k, x in self.withholding.items()},
            "adding": {k: states(x) for k, x in self.adding.items()},
            "boundary": {str(i): [list(x) for x in b] for i, b in self.boundary.items() if b},
            "paths": {
                band: None if bp is None else {
                    "probability": bp.probability, "log_probability": bp.log_probability,
                    "final_count": bp.final_count, "path": states(bp.path)}
                for band, bp in self.paths.items()
            },
            "flow": flow_document(self.flow),
        }

    def to_text(self) -> str:
        """The readable report the command line prints.

        Examples
        --------
        >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
        >>> pol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40).policy
        >>> print(inspect_policy(pol).to_text().splitlines()[0])
        Inspection of the dynamic policy, T = 10, from state (1, 0)
        """
        T = self.review_period
        carry = len(self.start) == 3
        lines = [f"Inspection of the {self.policy} policy, T = {T}, from state "
                 f"({', '.join(map(str, self.start))})"
                 + (" (stage, ready count, stock on hand)" if carry else ""), ""]
        ref = "y_ref = max(S*, x)" if carry else "y_ref = S*"
        n_un = len(self.unreachable)
        lines.append(f"Unreachable states (probability 0): {n_un}")
        if n_un:
            lines.append(f"  stage {_ranges(self.unreachable)}")
        titles = [("Give-up states (ready chance below the penalty threshold while the penalty "
                   "is likely)", self.give_up),
                  ("Coasting states (ready chance below the bonus threshold while the bonus is "
                   "likely)", self.coasting)]
        if self.base_stock is not None:
            titles += [(f"Withholding states (ready chance below the static supplier's, S* = "
                        f"{self.base_stock}, {ref})", self.withholding),
                       ("Adding states (ready chance above the static supplier's)", self.adding)]
        for title, groups in titles:
            total = sum(len(x) for x in groups.values())
            lines.append(f"{title}: {total}")
            for reason, xs in groups.items():
                lines.append(f"  {reason} ({len(xs)}): stage {_ranges(xs)}")
        changed = {i: b for i, b in self.boundary.items() if b}
        if carry:
            lines.append("Decision boundary (ready counts v where y_i(v, x) != y_i(v-1, x), "
                         "for each stock on hand x):")
            if not changed:
                lines.append("  none: the order-up-to level is constant in v at every stage "
                             "and stock on hand")
            lines.extend(_boundary_lines(changed))
        else:
            lines.append("Decision boundary (ready counts v where S_i(v) != S_i(v-1)):")
            if not changed:
                lines.append("  none: the stock is constant within every stage")
        for i, b in ({} if carry else changed).items():
            lines.append(f"  stage {i}: " + ", ".join(f"v={v} ({a}->{z})" for v, a, z in b))
        if carry:  # what is shown: one path of (i, v, x), a sliver of its band
            lines.append("Most probable path into each band (one path of states (i, v, x): "
                         "the stock on hand splits a band's probability over many paths, so "
                         "each is small beside the band's own):")
        else:
            lines.append("Most probable path into each band:")
        total = {b: float(self.flow["committed"][b][-1]) for b in BANDS}
        for band, bp in self.paths.items():
            if bp is None:
                lines.append(f"  {band}: unreachable")
                continue
            whole = f"; P({band}) {100 * total[band]:.4f}%" if carry else ""
            lines.append(f"  {band}: ends at v = {bp.final_count}, probability "
                         f"{100 * bp.probability:.6g}% (natural log of the probability "
                         f"{bp.log_probability:.4f}{whole}); ready in periods "
                         f"{_ready_periods(bp.path)}")
        lines.extend(flow_lines(self.flow))
        return "\n".join(lines)


def _ready_periods(path) -> str:
    ready = [a[0] for a, b in zip(path, path[1:]) if b[1] == a[1] + 1]
    short = [a[0] for a, b in zip(path, path[1:]) if b[1] == a[1]]
    if not short:
        return "all"
    if not ready:
        return "none"
    return "all but " + ",".join(map(str, short)) if len(short) <= len(ready) else \
        ",".join(map(str, ready))


def inspect_policy(policy, start=(1, 0), reference=None) -> PolicyInspection:
    """All the inspection queries of a policy at once.

    Parameters
    ----------
    policy : Policy or AbsorbingChain
    start : (int, int) or (int, int, int), default (1, 0)
    reference : StaticSolution, Solutions or number, optional
        The non-strategic reference of the withholding and adding states
        (:func:`~slamarkov.analysis.gaming.reference_base_stock`; solved when not given).

    Returns
    -------
    PolicyInspection
        With :meth:`~PolicyInspection.to_text` and :meth:`~PolicyInspection.to_dict`.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
    >>> pol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40).policy
    >>> rep = inspect_policy(pol)
    >>> sorted(rep.give_up), rep.coasting["bonus-secured"], rep.unreachable
    (['penalty-certain'], [(10, 9)], [])
    >>> rep.base_stock, len(rep.withholding["penalty-certain"])
    (8, 28)
    """
    pol = as_policy(policy)
    check_size(pol, "inspect")
    pos = transient_start(pol, start)
    space = pol.space
    start = space.key(pos)
    S = reference_base_stock(policy, reference)[0]
    cls = state_classes(pol, S)
    masks = {"give-up": cls["role"] == "give-up", "coasting": cls["role"] == "coasting",
             "withholding": (cls["withheld"] > 0).astype(bool),
             "adding": (cls["added"] > 0).astype(bool)}
    groups = {}
    for name, mask in masks.items():
        groups[name] = {}
        for label in DECIDED[-1:] + DECIDED[:-1]:  # open first
            xs = _states(space, mask & (cls["decided"] == label))
            if xs:
                groups[name][label] = xs
    return PolicyInspection(
        review_period=pol.review_period, policy=pol.kind, start=start,
        unreachable=unreachable_states(pol, start), give_up=groups["give-up"],
        coasting=groups["coasting"], boundary=decision_boundary(pol),
        paths=most_probable_paths(pol, start), flow=band_flow(pol, start),
        withholding=groups["withholding"], adding=groups["adding"], base_stock=S,
    )
