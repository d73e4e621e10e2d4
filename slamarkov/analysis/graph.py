r"""A policy's absorbing chain as a networkx graph: build, inspect, export (docs/model.md section 6).

The chain of a policy is a layered DAG. Its nodes are the transient states :math:`(i, v)`,
:math:`i = 1..T`, :math:`v = 0..i-1`, and the absorbing states :math:`(T+1, v)`,
:math:`v = 0..T`: :math:`T(T+1)/2 + T + 1` nodes. Each transient state has two out-edges, to
:math:`(i+1, v+1)` with probability :math:`p_i(v) = F(S_i(v))` (a *success*: the period is ready)
and to :math:`(i+1, v)` with probability :math:`1 - p_i(v)`: :math:`T(T+1)` edges. Both edges are
kept even when one has probability 0, so the graph always has the chain's shape; the
``probability`` attribute says which transitions can happen.

:func:`policy_graph` builds the :class:`networkx.DiGraph` in one vectorised pass over the states.
The inspection queries (:func:`unreachable_states`, :func:`give_up_states`,
:func:`coasting_states`, :func:`decision_boundary`, :func:`most_probable_paths`,
:func:`band_flow`, gathered by :func:`inspect_policy`) work on the policy's stock table directly,
stage by stage, so they cost :math:`O(T^2)` and never a loop over states in Python.

Zero-stock states are classified by :func:`state_roles`, with these definitions. From
:math:`(i, v)` the reachable final ready counts are :math:`v .. v + r`, :math:`r = T - i + 1`,
whatever the policy does. With :math:`n_L = \lceil T\alpha_L \rceil` and
:math:`n_U = \lceil T\alpha_U \rceil` (:attr:`Contract.penalty_count`, :attr:`bonus_count`),
a state with zero stock is, checking in this order:

* **give-up, penalty-certain**: :math:`v + r < n_L` and :math:`L^- > 0`: the penalty band is the
  only reachable band, the supplier cannot avoid the penalty and stops stocking;
* **coasting, bonus-secured**: :math:`v \ge n_U`: the bonus is already earned;
* **coasting, nothing-at-stake**: :math:`G(v) = G(v + r)`: every reachable final count gives the
  same settlement (G is non-increasing in v), e.g. for lump-sum :math:`v \ge n_L` and
  :math:`v + r < n_U`;
* **give-up, penalty-avoidable**: :math:`v < n_L \le v + r` and :math:`L^- > 0`: the penalty can
  still be avoided but the policy stops trying (the dynamic policy does this when the penalty is
  nearly certain, or avoiding it costs more than it saves);
* **give-up, bonus-reachable**: otherwise: the penalty is not (or no longer) what is at stake, a
  better settlement through the bonus is still reachable, and the policy stocks nothing.

States with positive stock have role ``stocking`` and reason ``""``.

**Stock that carries over** (docs/model.md section 11). When the policy carries stock over, the
transient nodes are the states :math:`(i, v, x)` of :class:`~slamarkov.chain.space.StateSpace`, x the
stock on hand (the initial stock at i = 1, 0..K after), and the absorbing ones are still
:math:`(T+1, v)`. From :math:`(i, v, x)` with order-up-to level :math:`y = y_i(v, x)` the edges
are the short period, to :math:`(i+1, v, 0)` with probability :math:`1 - F(y)`, and one ready
edge to :math:`(i+1, v+1, y-d)` with probability :math:`P(d)` for each :math:`d = 0..y` (after
period T the ready edges merge into one, to :math:`(T+1, v+1)` with probability :math:`F(y)`).
As in the study's chain every such edge is kept even where the demand gives it probability 0,
so a node has :math:`y + 2` out-edges (2 after period T). A state *adds no stock* when
:math:`y = x` (the policy never orders below what it holds); that replaces "zero stock" in the
give-up and coasting definitions above, whose conditions on :math:`(i, v)` are unchanged (with
:math:`x = 0` it is the study's definition). :func:`decision_boundary` compares ready counts
within each slice of equal stock on hand; the drawings of :mod:`slamarkov.plot.policy` show one
such slice. Every function takes the start as :math:`(i, v, x)`, or :math:`(1, 0)` meaning the
initial stock.

Exports (:func:`write_graph`, :func:`read_graph`) are GraphML, GEXF, node-link JSON and Graphviz
DOT. In every export a node's id is the string ``"i,v"`` (e.g. ``"3,2"``), or ``"i,v,x"`` for
a transient state with stock carried over; :func:`read_graph`
turns it back into the tuple ``(3, 2)`` and restores the attribute types, so a round trip gives
the same nodes, edges and attributes. Graph-level attributes survive GraphML, JSON and DOT; GEXF
has no place for them beyond the graph's name. DOT is written by pydot and read through
:mod:`networkx.nx_pydot` (the ``graph`` extra: ``pip install 'slamarkov[graph]'``, imported only
when a DOT file is written or read); the file declares the attribute types in a graph attribute
``attribute_types`` and lays stages out in ranks (``rank="same"``), so Graphviz's ``dot`` draws
the layered chain. pydot's parser is slow (seconds for a few hundred states): for large chains that
are to be read back, GraphML or JSON are the quick formats.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..io.atomic import atomic_write
from ..chain.triangle import n_transient, offset, stage_of
from ..chain.absorbing import AbsorbingChain
from ..errors import ChainError, GraphDependencyError, SlamarkovError
from ..chain.policy import Policy, as_policy

__all__ = [
    "GRAPH_FORMATS",
    "GraphFormatError",
    "BandPath",
    "PolicyInspection",
    "policy_graph",
    "state_roles",
    "reachable",
    "unreachable_states",
    "give_up_states",
    "coasting_states",
    "decision_boundary",
    "most_probable_paths",
    "band_flow",
    "inspect_policy",
    "graph_to_string",
    "graph_from_string",
    "write_graph",
    "read_graph",
    "node_id",
    "parse_node_id",
]

#: export formats, and the file suffixes that imply them
GRAPH_FORMATS = ("graphml", "gexf", "json", "dot")
_SUFFIXES = {".graphml": "graphml", ".gexf": "gexf", ".json": "json", ".dot": "dot", ".gv": "dot"}

BANDS = ("penalty", "neutral", "bonus")
_BAND_NAME = np.array(BANDS)  # index band code + 1


class GraphFormatError(SlamarkovError):
    """A graph file that cannot be read back, or an unknown export format."""


def _check_size(pol: Policy, kind: str) -> None:
    """Refuse, before building anything, a graph or report that cannot fit in memory."""
    from ..core.limits import PER_STATE, check_bytes

    n = pol.stock.shape[0]
    units = n
    if pol.carries and kind == "graph":  # y + 2 out-edges per state, not 2
        units = n + int(np.asarray(pol.stock, dtype=np.int64).sum() // 2)
    check_bytes(units * PER_STATE[kind], "contract.review_period",
                f"the {kind} of T = {pol.review_period} ({n:,} states) would")


def _floats(a) -> np.ndarray:
    return np.asarray(a, dtype=object).astype(np.float64) if np.asarray(a).dtype == object \
        else np.asarray(a, dtype=np.float64)


def _stock_list(policy: Policy) -> list:
    s = policy.stock
    if policy.problem.demand.discrete:
        return s.astype(np.int64).tolist()
    return _floats(s).tolist()


def _transient_grid(T: int):
    i, v = stage_of(np.arange(n_transient(T)))
    return i, v


# -- state roles ------------------------------------------------------------------------------
def state_roles(policy) -> dict:
    """Classify every transient state as stocking, give-up or coasting (definitions above).

    Parameters
    ----------
    policy : Policy or AbsorbingChain

    Returns
    -------
    dict of ndarray
        Flat in state order (docs/model.md section 6): ``stage``, ``ready_count``, ``stock``,
        ``role`` ("stocking", "give-up", "coasting") and ``reason`` ("" for stocking states;
        "penalty-certain", "penalty-avoidable", "bonus-reachable" for give-up;
        "bonus-secured", "nothing-at-stake" for coasting). With stock carried over also
        ``stock_on_hand`` (x, after ``ready_count``), ``stock`` is the order-up-to level
        :math:`y_i(v, x)` and a state gives up or coasts when it adds no stock, y = x
        (docs/model.md section 11).

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
    >>> pol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40).policy
    >>> roles = state_roles(pol)
    >>> o = 45  # stage 10 starts at flat index 9 * 10 / 2
    >>> roles["stock"][o:].tolist()
    [0, 0, 0, 0, 0, 0, 0, 10, 10, 0]
    >>> roles["reason"][o:].tolist()[5:]
    ['penalty-certain', 'penalty-certain', '', '', 'bonus-secured']
    """
    pol = as_policy(policy)
    c = pol.problem.contract
    T = pol.review_period
    if pol.carries:
        # (i, v, x): "stocking nothing" becomes "adding no stock", y <= x (docs/model.md
        # section 11); the conditions on (i, v) are unchanged
        i, v, x = pol.space.coordinates()
        zero = np.asarray(pol.stock) <= x
    else:
        i, v = _transient_grid(T)
        zero = np.asarray(pol.stock == 0, dtype=bool)
    top = v + (T - i + 1)  # the highest reachable final count
    low_band, high_band = c.band(v), c.band(top)
    G = c.settlement(exact=True)
    drops = np.concatenate(([0], np.cumsum([G[k] != G[k + 1] for k in range(T)]))).astype(np.int64)
    at_stake = drops[top] > drops[v]
    has_penalty = c.penalty > 0
    certain = (high_band == -1) & has_penalty
    conditions = [
        ~zero,
        certain,
        low_band == 1,
        ~at_stake,
        (low_band == -1) & has_penalty,
    ]
    role = np.select(conditions, ["stocking", "give-up", "coasting", "coasting", "give-up"],
                     "give-up")
    reason = np.select(conditions, ["", "penalty-certain", "bonus-secured", "nothing-at-stake",
                                    "penalty-avoidable"], "bonus-reachable")
    stock = np.asarray(_stock_list(pol))
    if pol.carries:
        return {"stage": i, "ready_count": v, "stock_on_hand": x, "stock": stock, "role": role,
                "reason": reason}
    return {"stage": i, "ready_count": v, "stock": stock, "role": role, "reason": reason}


def _states(mask, i, v, x=None) -> list:
    if x is None:
        return list(zip(i[mask].tolist(), v[mask].tolist()))
    return list(zip(i[mask].tolist(), v[mask].tolist(), x[mask].tolist()))


def _role_states(roles, mask) -> list:
    return _states(mask, roles["stage"], roles["ready_count"], roles.get("stock_on_hand"))


def give_up_states(policy, reason: str | None = None) -> list:
    """Transient states where the policy gives up: zero stock while the penalty is certain, or
    while a better settlement is still reachable (see the module's definitions).

    Parameters
    ----------
    policy : Policy or AbsorbingChain
    reason : {"penalty-certain", "penalty-avoidable", "bonus-reachable"}, optional
        Only the states given up for this reason.

    Returns
    -------
    list of (int, int)
        States (i, v) in state order; (i, v, x) when stock carries over (a state gives up
        when it adds no stock, y = x).

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
    >>> pol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40).policy
    >>> give_up_states(pol)[:4]
    [(4, 0), (5, 0), (5, 1), (6, 0)]
    >>> len(give_up_states(pol)), give_up_states(pol, "penalty-avoidable")
    (28, [])
    """
    return _by_role(policy, "give-up", reason,
                    ("penalty-certain", "penalty-avoidable", "bonus-reachable"))


def coasting_states(policy, reason: str | None = None) -> list:
    """Transient states where the policy coasts: zero stock because the bonus is secured or
    nothing is at stake (see the module's definitions).

    Parameters
    ----------
    policy : Policy or AbsorbingChain
    reason : {"bonus-secured", "nothing-at-stake"}, optional

    Returns
    -------
    list of (int, int)
        States (i, v) in state order; (i, v, x) when stock carries over.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
    >>> pol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40).policy
    >>> coasting_states(pol)
    [(10, 9)]
    """
    return _by_role(policy, "coasting", reason, ("bonus-secured", "nothing-at-stake"))


def _by_role(policy, role, reason, allowed):
    if reason is not None and reason not in allowed:
        raise SlamarkovError(f"reason: must be one of {', '.join(allowed)}, got {reason!r}")
    r = state_roles(policy)
    mask = r["role"] == role
    if reason is not None:
        mask &= r["reason"] == reason
    return _role_states(r, mask)


# -- reachability -----------------------------------------------------------------------------
def _start(pol: Policy, start):
    if pol.carries:
        return _start_carry(pol, start)
    T = pol.review_period
    try:
        i0, v0 = (int(x) for x in start)
    except (TypeError, ValueError):
        raise SlamarkovError(f"start: must be a state (i, v), got {start!r}") from None
    if not (1 <= i0 <= T and 0 <= v0 < i0):
        raise SlamarkovError(
            f"start: ({i0}, {v0}) is not a transient state (1 <= i <= {T}, 0 <= v < i)")
    return i0, v0


def _start_carry(pol: Policy, start) -> tuple:
    """A transient start state (i, v, x); (i, v) is accepted at i = 1 (the initial stock)."""
    from ..chain.stock import start_state

    try:
        i0, v0, x0 = start_state(pol, start)
    except ChainError as exc:  # name the argument, and the rule
        text = str(exc)
        if not text.startswith("start:"):
            text = "start: " + text.removeprefix("state: ")
        raise ChainError(text) from None
    if i0 == pol.review_period + 1:
        raise ChainError(f"start: ({i0}, {v0}) is not a transient state ({pol.space.rule()})")
    return i0, v0, int(x0)


def _levels_pos(space, i: int, x) -> int:
    return int(np.flatnonzero(space.stock_levels(i) == x)[0])


def _support(pol: Policy):
    """Which transitions can happen: ``short[y]`` (1 - F(y) > 0), ``ready[y]`` (F(y) > 0) and
    ``kernel[y, x']`` (P(d = y - x') > 0), decided on the exact tables when exact."""
    F = pol._table()
    return (np.asarray(F < 1, dtype=bool), np.asarray(F > 0, dtype=bool),
            np.asarray(pol.kernel() > 0, dtype=bool))


def _reachable_carry(pol: Policy, start) -> np.ndarray:
    space = pol.space
    T = space.T
    i0, v0, x0 = start
    t = space.n_transient
    out = np.zeros(t + T + 1, dtype=bool)
    short, ready, kern = _support(pol)
    cur = np.zeros((1, space.width(i0)), dtype=bool)
    cur[0, _levels_pos(space, i0, x0)] = True
    lo = v0
    for i in range(i0, T + 1):
        n = cur.shape[0]
        space.layer(out[:t], i)[lo: lo + n] = cur
        Y = np.asarray(pol.layer(i)[lo: lo + n], dtype=np.int64)
        w_next = space.width(i + 1) if i < T else 1
        nxt = np.zeros((n + 1, w_next), dtype=bool)
        nxt[:n, 0] = (cur & short[Y]).any(axis=1)  # a short period: (v, 0)
        if i < T:  # a ready one: (v + 1, y - d) for each d <= y the demand can take
            nxt[1:] |= (cur[:, :, None] & kern[Y]).any(axis=1)
        else:
            nxt[1:, 0] |= (cur & ready[Y]).any(axis=1)
        cur = nxt
    out[t + lo: t + lo + cur.shape[0]] = cur[:, 0]
    return out


def reachable(policy, start=(1, 0)) -> np.ndarray:
    """Which states can be visited from ``start`` under the policy: a flat boolean mask over
    the transient states followed by the T + 1 absorbing states (canonical order).

    Computed on the support of the transitions (which have positive probability), stage by
    stage, so it is exact: a state whose reach probability underflows to 0.0 in floating point
    is still reachable.

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
    if pol.carries:
        return _reachable_carry(pol, _start(pol, start))
    T = pol.review_period
    i0, v0 = _start(pol, start)
    t = n_transient(T)
    out = np.zeros(t + T + 1, dtype=bool)
    cur = np.ones(1, dtype=bool)
    lo = v0
    for i in range(i0, T + 1):
        n = cur.shape[0]
        out[offset(i) + lo: offset(i) + lo + n] = cur
        p = _floats(pol.stage_success(i)[lo: lo + n])
        nxt = np.zeros(n + 1, dtype=bool)
        nxt[:n] |= cur & (p < 1)
        nxt[1:] |= cur & (p > 0)
        cur = nxt
    out[t + lo: t + lo + cur.shape[0]] = cur
    return out


def _all_states(T):
    i, v = _transient_grid(T)
    return (np.concatenate((i, np.full(T + 1, T + 1))),
            np.concatenate((v, np.arange(T + 1))))


def unreachable_states(policy, start=(1, 0)) -> list:
    """States (transient or absorbing) that the policy visits with probability 0 from ``start``.

    States of stages before the start's, and ready counts the start cannot lead to, count as
    unreachable too. See :func:`reachable` for how zero is decided.

    Returns
    -------
    list of (int, int)

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform, Problem, Policy
    >>> prob = Problem(Contract(2, 0.5, 1, penalty=10), DiscreteUniform(1, 3), 1)
    >>> unreachable_states(Policy(prob, [[0], [3, 3]]))
    [(2, 1), (3, 0), (3, 2)]

    With stock carried over transient states are (i, v, x), absorbing ones still (T + 1, v).
    """
    pol = as_policy(policy)
    mask = ~reachable(pol, start)
    if pol.carries:
        T = pol.review_period
        i, v, x = pol.space.coordinates()
        t = i.shape[0]
        return (_states(mask[:t], i, v, x)
                + _states(mask[t:], np.full(T + 1, T + 1), np.arange(T + 1)))
    i, v = _all_states(pol.review_period)
    return _states(mask, i, v)


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

    >>> from slamarkov import DiscreteUniform
    >>> carry = Problem(Contract(2, 0.5, 1, penalty=10), DiscreteUniform(1, 3), 1,
    ...                 leftover="carry")
    >>> pol = Policy(carry, [[[1]], [[1, 1, 2, 3], [0, 1, 2, 3]]])
    >>> decision_boundary(pol)[2], decision_boundary(pol, stock_on_hand=0)[2]
    ([(1, 0, 1, 0)], [(1, 1, 0)])
    """
    pol = as_policy(policy)
    T = pol.review_period
    if pol.carries:
        return _boundary_carry(pol, stock_on_hand)
    if stock_on_hand is not None and stock_on_hand != 0:
        raise SlamarkovError(
            f"stock_on_hand: stock does not carry over, so it is always 0; got {stock_on_hand!r}")
    stock = np.asarray(_stock_list(pol), dtype=object if not pol.problem.demand.discrete
                       else np.int64)
    i, v = _transient_grid(T)
    change = np.zeros(stock.shape[0], dtype=bool)
    change[1:] = stock[1:] != stock[:-1]
    change &= v > 0
    k = np.flatnonzero(change)
    out = {s: [] for s in range(1, T + 1)}
    before, after = stock[k - 1].tolist(), stock[k].tolist()
    for s, vv, b, a in zip(i[k].tolist(), v[k].tolist(), before, after):
        out[s].append((vv, b, a))
    return out


def _boundary_carry(pol: Policy, stock_on_hand):
    space = pol.space
    x_only = None if stock_on_hand is None else pol.space.stock_slice(stock_on_hand)
    out = {s: [] for s in range(1, space.T + 1)}
    for i in range(2, space.T + 1):
        Y = np.asarray(pol.layer(i), dtype=np.int64)
        levels = space.stock_levels(i)
        if x_only is not None:
            Y = Y[:, levels == x_only]
            levels = levels[levels == x_only]
        vv, cc = np.nonzero(Y[1:] != Y[:-1])
        before, after = Y[vv, cc].tolist(), Y[vv + 1, cc].tolist()
        if x_only is None:
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
    path : list of (int, int)
        The states from the start to the absorbing state (T + 1, v).
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

    The chain is a layered DAG, so the best path into every state is found stage by stage in
    log space; ties go to the failure edge (the path that stays at the lower ready count).

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
    ready period may leave any stock y - d on hand, and the pass keeps the best path into
    every (v, x) (ties go to the short period, then to the smallest stock on hand before):

    >>> from slamarkov import DiscreteUniform
    >>> carry = Problem(Contract(2, 0.5, 1, penalty=10), DiscreteUniform(0, 2), 1,
    ...                 leftover="carry")
    >>> best = most_probable_paths(Policy(carry, [[[2]], [[0, 1, 2], [0, 1, 2]]]))["bonus"]
    >>> best.path, best.probability  # P(d = 0) * P(d <= 2) = 1/3
    ([(1, 0, 0), (2, 1, 2), (3, 2)], 0.3333333333333333)
    """
    pol = as_policy(policy)
    if pol.carries:
        return _paths_carry(pol, _start(pol, start))
    T = pol.review_period
    c = pol.problem.contract
    i0, v0 = _start(pol, start)
    with np.errstate(divide="ignore"):
        score = np.zeros(1)
        came_up = []  # per stage i+1: True where the best path arrived by a success edge
        for i in range(i0, T + 1):
            n = score.shape[0]
            p = _floats(pol.stage_success(i)[v0: v0 + n])
            stay = score + np.log1p(-p)
            move = score + np.log(p)
            nxt = np.full(n + 1, -np.inf)
            nxt[:n] = stay
            up = np.zeros(n + 1, dtype=bool)
            better = move > nxt[1:]
            up[1:] = better
            nxt[1:] = np.where(better, move, nxt[1:])
            came_up.append(up)
            score = nxt
    counts = np.arange(v0, v0 + score.shape[0])
    bands = c.band(counts)
    out = {}
    for code, name in zip((-1, 0, 1), BANDS):
        sel = np.flatnonzero((bands == code) & np.isfinite(score))
        if sel.size == 0:
            out[name] = None
            continue
        j = int(sel[np.argmax(score[sel])])
        logp = float(score[j])
        path = [(T + 1, v0 + j)]
        for step in range(len(came_up) - 1, -1, -1):
            if came_up[step][j]:
                j -= 1
            path.append((i0 + step, v0 + j))
        path.reverse()
        out[name] = BandPath(name, math.exp(logp), logp, path)
    return out


def _paths_carry(pol: Policy, start) -> dict:
    """The Viterbi pass over the layers of (v, x) states (docs/model.md section 11)."""
    space = pol.space
    T = space.T
    c = pol.problem.contract
    i0, v0, x0 = start
    F = _floats(pol._table())
    with np.errstate(divide="ignore"):
        log_short, log_ready = np.log1p(-F), np.log(F)
        log_kernel = np.log(_floats(pol.kernel()))
    score = np.full((1, space.width(i0)), -np.inf)
    score[0, _levels_pos(space, i0, x0)] = 0.0
    back = []  # per layer i0..T: (came_up, from_column) of the next layer's states
    for i in range(i0, T + 1):
        n, w = score.shape
        Y = np.asarray(pol.layer(i)[v0: v0 + n], dtype=np.int64)
        stay = score + log_short[Y]  # to (v, 0)
        if i < T:  # to (v + 1, x') for every x'
            cand = score[:, :, None] + log_kernel[Y]  # (n, w, K + 1)
        else:  # to the absorbing (v + 1), whatever is left on hand
            cand = (score + log_ready[Y])[:, :, None]
        ready_col = np.argmax(cand, axis=1)  # the first best: the smallest stock before
        ready = np.take_along_axis(cand, ready_col[:, None, :], axis=1)[:, 0, :]
        stay_col = np.argmax(stay, axis=1)
        nxt = np.full((n + 1, cand.shape[2]), -np.inf)
        col = np.zeros(nxt.shape, dtype=np.int64)
        nxt[:n, 0] = stay[np.arange(n), stay_col]
        col[:n, 0] = stay_col
        better = ready > nxt[1:]  # ties go to the short period
        nxt[1:] = np.where(better, ready, nxt[1:])
        col[1:] = np.where(better, ready_col, col[1:])
        up = np.zeros(nxt.shape, dtype=bool)
        up[1:] = better
        back.append((up, col))
        score = nxt
    final = score[:, 0]
    bands = c.band(np.arange(v0, v0 + final.shape[0]))
    out = {}
    for code, name in zip((-1, 0, 1), BANDS):
        sel = np.flatnonzero((bands == code) & np.isfinite(final))
        if sel.size == 0:
            out[name] = None
            continue
        j = int(sel[np.argmax(final[sel])])
        logp = float(final[j])
        path = [(T + 1, v0 + j)]
        k = 0
        for step in range(len(back) - 1, -1, -1):
            up, col = back[step]
            j, k = j - int(up[j, k]), int(col[j, k])
            i = i0 + step
            path.append((i, v0 + j, int(space.stock_levels(i)[k])))
        path.reverse()
        out[name] = BandPath(name, math.exp(logp), logp, path)
    return out


# -- probability flow into the bands ----------------------------------------------------------
def band_flow(policy, start=(1, 0)) -> dict:
    r"""When the probability commits to each band: per stage, the probability of having
    reached a state whose final band is already certain.

    A state (i, v) is *committed* to a band when every reachable final count v .. v + r
    (:math:`r = T - i + 1`) lies in it; once committed, every later state is too. For stages
    i = i0 .. T + 1, ``committed[band][k]`` is the probability of being committed to the band at
    the start of stage i and ``flow[band][k]`` its increase over the stage before (the
    probability that enters the band's committed region at stage i). At stage T + 1 every state
    is absorbing, so the last ``committed`` entries are the absorption probabilities of the
    bands (the chain's B row summed by band).

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
    T = pol.review_period
    c = pol.problem.contract
    start = _start(pol, start)
    i0, v0 = start[:2]
    stages = np.arange(i0, T + 2)
    committed = {b: np.zeros(stages.shape[0]) for b in BANDS}
    if pol.carries:  # the band depends on (i, v) only: sum each layer's mass over x
        from ..chain.stock import forward_pmf

        masses = []
        F = _floats(pol._table())
        final = forward_pmf(pol.space, pol.stock, F, _floats(pol.kernel()), start=start,
                            on_layer=lambda i, lo, mass: masses.append(mass.sum(axis=1)))
        masses.append(final[v0: v0 + T - i0 + 2])
    P = np.ones(1)
    for k, i in enumerate(stages):
        if pol.carries:
            P = masses[k]
        n = P.shape[0]
        v = np.arange(v0, v0 + n)
        lo, hi = c.band(v), c.band(v + (T - i + 1))
        for code, name in zip((-1, 0, 1), BANDS):
            committed[name][k] = P[(lo == code) & (hi == code)].sum()
        if i == T + 1 or pol.carries:
            continue
        p = _floats(pol.stage_success(i)[v0: v0 + n])
        moved = P * p
        nxt = np.zeros(n + 1)
        nxt[:n] = P - moved
        nxt[1:] += moved
        P = nxt
    flow = {b: np.diff(committed[b], prepend=0.0) for b in BANDS}
    return {"stage": stages, "committed": committed, "flow": flow}


# -- the graph --------------------------------------------------------------------------------
_TRANSIENT_ATTRS = ("stage", "ready_count", "stock", "success", "kind", "role", "reason",
                    "reach", "visits")
_ABSORBING_ATTRS = ("stage", "ready_count", "kind", "band", "settlement", "reach")


def policy_graph(policy, start=(1, 0)) -> nx.DiGraph:
    """The policy's absorbing chain as a :class:`networkx.DiGraph` (docs/model.md section 6).

    Parameters
    ----------
    policy : Policy or AbsorbingChain
        Any stock table. An exact policy gives float attributes (the exact values rounded).
    start : (int, int) or (int, int, int), default (1, 0)
        The state the reach probabilities and expected visits are counted from.

    Returns
    -------
    networkx.DiGraph
        Nodes are tuples ``(i, v)``. Transient nodes carry ``stage``, ``ready_count``,
        ``stock`` (S_i(v)), ``success`` (F(S_i(v))), ``kind="transient"``, ``role`` and
        ``reason`` (:func:`state_roles`), ``reach`` (probability of ever visiting it from
        ``start``, the row of N) and ``visits`` (expected visits, equal to ``reach`` since
        the chain never revisits a state). Absorbing nodes carry ``stage`` (T + 1),
        ``ready_count``, ``kind="absorbing"``, ``band`` ("penalty", "neutral", "bonus"),
        ``settlement`` (G(v)) and ``reach`` (the row of B). Edges carry ``probability`` and
        ``success`` (True for the move to v + 1). Graph attributes: ``review_period``,
        ``penalty_count``, ``bonus_count``, ``scheme``, ``policy`` (the policy's kind),
        ``demand``, ``holding_cost``, ``start_state`` ("i,v"; not ``start``, which Graphviz
        reserves).

        With stock carried over (docs/model.md section 11) transient nodes are ``(i, v, x)``
        and carry ``stock_on_hand`` (x) besides; ``stock`` is the order-up-to level
        :math:`y_i(v, x)`; the edges are those of the module's description, built from the
        chain's transition arrays in one pass; the graph also records ``leftover``
        ("carry"), ``max_stock``, ``initial_stock``, ``purchase_cost`` and ``salvage_value``,
        and ``start_state`` is "i,v,x".

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
    >>> pol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40).policy
    >>> G = policy_graph(pol)
    >>> G.number_of_nodes(), G.number_of_edges()  # 55 + 11 nodes, two edges per transient state
    (66, 110)
    >>> G.nodes[(10, 9)]["stock"], G.nodes[(10, 9)]["role"]
    (0, 'coasting')
    >>> G.nodes[(11, 9)]["band"], round(G.nodes[(11, 9)]["reach"], 4)
    ('bonus', 0.9599)
    >>> round(G.edges[(1, 0), (2, 1)]["probability"], 4), G.edges[(1, 0), (2, 1)]["success"]
    (0.9319, True)

    With stock carried over, T = 2 and demand uniform on 0..2, ordering up to 2 at the start:

    >>> from slamarkov import DiscreteUniform, Policy
    >>> carry = Problem(Contract(2, 0.5, 1, penalty=10), DiscreteUniform(0, 2), 1,
    ...                 leftover="carry")
    >>> G = policy_graph(Policy(carry, [[[2]], [[0, 1, 2], [0, 1, 2]]]))
    >>> sorted(G.successors((1, 0, 0)))  # short, or ready with 0, 1 or 2 units left
    [(2, 0, 0), (2, 1, 0), (2, 1, 1), (2, 1, 2)]
    >>> G.nodes[(2, 1, 2)]["role"], round(G.nodes[(2, 1, 2)]["reach"], 4)
    ('coasting', 0.3333)
    """
    pol = as_policy(policy)
    _check_size(pol, "graph")
    if pol.carries:
        return _graph_carry(pol, _start(pol, start))
    chain = AbsorbingChain(pol)
    c = pol.problem.contract
    T = pol.review_period
    i0, v0 = _start(pol, start)
    roles = state_roles(pol)
    i, v = roles["stage"], roles["ready_count"]
    p = _floats(pol.success())
    reach = _floats(chain.visits((i0, v0))).tolist()
    absorb = _floats(chain.absorption((i0, v0)))
    i_l, v_l = i.tolist(), v.tolist()
    keys = list(zip(i_l, v_l))
    columns = (i_l, v_l, roles["stock"].tolist(), p.tolist(), ["transient"] * len(keys),
               roles["role"].tolist(), roles["reason"].tolist(), reach, reach)
    transient = [dict(zip(_TRANSIENT_ATTRS, row)) for row in zip(*columns)]
    va = np.arange(T + 1)
    akeys = [(T + 1, x) for x in va.tolist()]
    acolumns = ([T + 1] * (T + 1), va.tolist(), ["absorbing"] * (T + 1),
                _BAND_NAME[c.band(va) + 1].tolist(), c.settlement().tolist(), absorb.tolist())
    absorbing = [dict(zip(_ABSORBING_ATTRS, row)) for row in zip(*acolumns)]

    import networkx as nx  # imported here: `import slamarkov` stays light

    G = nx.DiGraph(
        name=f"slamarkov {pol.kind} policy chain, T={T}",
        review_period=T, penalty_count=c.penalty_count, bonus_count=c.bonus_count,
        scheme=c.scheme, policy=pol.kind, demand=pol.problem.demand.describe(),
        holding_cost=float(pol.problem.holding_cost), start_state=f"{i0},{v0}",
    )
    G.add_nodes_from(zip(keys, transient))
    G.add_nodes_from(zip(akeys, absorbing))
    i_next = (i + 1).tolist()
    stay_t = list(zip(i_next, v_l))
    move_t = list(zip(i_next, (v + 1).tolist()))
    G.add_edges_from(zip(keys, stay_t, [{"probability": q, "success": False}
                                        for q in (1 - p).tolist()]))
    G.add_edges_from(zip(keys, move_t, [{"probability": q, "success": True}
                                        for q in p.tolist()]))
    return G


_CARRY_ATTRS = ("stage", "ready_count", "stock_on_hand", "stock", "success", "kind", "role",
                "reason", "reach", "visits")


def _graph_carry(pol: Policy, start) -> nx.DiGraph:
    """:func:`policy_graph` over the states (i, v, x) (docs/model.md section 11)."""
    import networkx as nx  # imported here: `import slamarkov` stays light

    from ..chain.stock import transition_arrays

    chain = AbsorbingChain(pol)
    space = pol.space
    c = pol.problem.contract
    T = pol.review_period
    roles = state_roles(pol)
    i, v, x = roles["stage"], roles["ready_count"], roles["stock_on_hand"]
    t = i.shape[0]
    p = _floats(pol.success())
    reach = _floats(chain.visits(start)).tolist()
    absorb = _floats(chain.absorption(start))
    keys = np.empty(t + T + 1, dtype=object)  # node keys by flat index, absorbing ones after
    keys[:t] = list(zip(i.tolist(), v.tolist(), x.tolist()))
    keys[t:] = [(T + 1, w) for w in range(T + 1)]
    columns = (i.tolist(), v.tolist(), x.tolist(), roles["stock"].tolist(), p.tolist(),
               ["transient"] * t, roles["role"].tolist(), roles["reason"].tolist(), reach, reach)
    transient = [dict(zip(_CARRY_ATTRS, row)) for row in zip(*columns)]
    va = np.arange(T + 1)
    acolumns = ([T + 1] * (T + 1), va.tolist(), ["absorbing"] * (T + 1),
                _BAND_NAME[c.band(va) + 1].tolist(), c.settlement().tolist(), absorb.tolist())
    absorbing = [dict(zip(_ABSORBING_ATTRS, row)) for row in zip(*acolumns)]
    G = nx.DiGraph(
        name=f"slamarkov {pol.kind} policy chain, T={T}, stock carried over",
        review_period=T, penalty_count=c.penalty_count, bonus_count=c.bonus_count,
        scheme=c.scheme, policy=pol.kind, demand=pol.problem.demand.describe(),
        holding_cost=float(pol.problem.holding_cost), leftover="carry",
        max_stock=space.max_stock, initial_stock=int(space.initial_stock),
        purchase_cost=float(pol.problem.purchase_cost),
        salvage_value=float(pol.problem.salvage_value), start_state=node_id(start),
    )
    G.add_nodes_from(zip(keys[:t].tolist(), transient))
    G.add_nodes_from(zip(keys[t:].tolist(), absorbing))
    # every transition the order allows: the short period to (i+1, v, 0) and a ready one to
    # (i+1, v+1, y-d) for each d = 0..y (to (T+1, v+1) after period T), kept even where the
    # demand gives it probability 0, as the study's chain keeps both of its edges
    qr, qc, qv, rr, rc, rv = transition_arrays(pol)
    rows = np.concatenate((qr, rr))
    cols = np.concatenate((qc, t + rc))
    prob = _floats(np.concatenate((np.asarray(qv, dtype=object), np.asarray(rv, dtype=object)))
                   if pol.exact else np.concatenate((qv, rv)))
    success = np.concatenate((v[qc] > v[qr], rc > v[rr]))
    G.add_edges_from(zip(keys[rows].tolist(), keys[cols].tolist(),
                         [{"probability": q, "success": b}
                          for q, b in zip(prob.tolist(), success.tolist())]))
    return G


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
        reason -> list of states (only reasons that occur).
    coasting : dict
        reason -> list of states.
    boundary : dict
        stage -> list of (v, stock below, stock at v), from :func:`decision_boundary`.
    paths : dict
        band -> :class:`BandPath` or None.
    flow : dict
        From :func:`band_flow`.
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

    def to_dict(self) -> dict:
        """A JSON-friendly document (states as [i, v] lists).

        Examples
        --------
        >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
        >>> pol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40).policy
        >>> doc = inspect_policy(pol).to_dict()
        >>> doc["coasting"], doc["paths"]["bonus"]["final_count"]
        ({'bonus-secured': [[10, 9]]}, 9)
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
            "boundary": {str(i): [list(x) for x in b] for i, b in self.boundary.items() if b},
            "paths": {
                band: None if bp is None else {
                    "probability": bp.probability, "log_probability": bp.log_probability,
                    "final_count": bp.final_count, "path": states(bp.path)}
                for band, bp in self.paths.items()
            },
            "flow": {
                "stage": self.flow["stage"].tolist(),
                "committed": {b: a.tolist() for b, a in self.flow["committed"].items()},
                "flow": {b: a.tolist() for b, a in self.flow["flow"].items()},
            },
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
        none = "adds no stock, y = x" if carry else "zero stock"
        n_un = len(self.unreachable)
        lines.append(f"Unreachable states (probability 0): {n_un}")
        if n_un:
            lines.append(f"  stage {_ranges(self.unreachable)}")
        for title, groups in ((f"Give-up states ({none}, penalty certain or a better "
                               "settlement given up)", self.give_up),
                              (f"Coasting states ({none}, bonus secured or nothing at "
                               "stake)", self.coasting)):
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
        lines.append("Most probable path into each band:")
        for band, bp in self.paths.items():
            if bp is None:
                lines.append(f"  {band}: unreachable")
                continue
            lines.append(f"  {band}: ends at v = {bp.final_count}, probability "
                         f"{100 * bp.probability:.6g}% (natural log of the probability "
                         f"{bp.log_probability:.4f}); ready in periods "
                         f"{_ready_periods(bp.path)}")
        lines.append("Probability committed to each band by stage, in percent (flow in that "
                     "stage):")
        lines.append("  stage   penalty (%)           neutral (%)           bonus (%)")
        f = self.flow
        for k, i in enumerate(f["stage"].tolist()):
            cells = "  ".join(f"{100 * f['committed'][b][k]:8.4f} "
                              f"(+{100 * max(f['flow'][b][k], 0.0):.4f})".ljust(20)
                              for b in BANDS).rstrip()
            lines.append(f"  {i:>5}   {cells}")
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


def inspect_policy(policy, start=(1, 0)) -> PolicyInspection:
    """All the inspection queries of a policy at once.

    Parameters
    ----------
    policy : Policy or AbsorbingChain
    start : (int, int) or (int, int, int), default (1, 0)

    Returns
    -------
    PolicyInspection
        With :meth:`~PolicyInspection.to_text` and :meth:`~PolicyInspection.to_dict`.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
    >>> pol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40).policy
    >>> rep = inspect_policy(pol)
    >>> sorted(rep.give_up), rep.coasting, rep.unreachable
    (['penalty-certain'], {'bonus-secured': [(10, 9)]}, [])
    """
    pol = as_policy(policy)
    _check_size(pol, "inspect")
    start = _start(pol, start)
    roles = state_roles(pol)
    groups = {}
    for role, reasons in (("give-up", ("penalty-certain", "penalty-avoidable", "bonus-reachable")),
                          ("coasting", ("bonus-secured", "nothing-at-stake"))):
        groups[role] = {}
        for reason in reasons:
            xs = _role_states(roles, (roles["role"] == role) & (roles["reason"] == reason))
            if xs:
                groups[role][reason] = xs
    return PolicyInspection(
        review_period=pol.review_period, policy=pol.kind, start=start,
        unreachable=unreachable_states(pol, start), give_up=groups["give-up"],
        coasting=groups["coasting"], boundary=decision_boundary(pol),
        paths=most_probable_paths(pol, start), flow=band_flow(pol, start),
    )


# -- export and import ------------------------------------------------------------------------
def node_id(state) -> str:
    """The export id of a state: ``(3, 2)`` -> ``"3,2"``; with stock on hand
    ``(3, 2, 4)`` -> ``"3,2,4"``.

    Examples
    --------
    >>> node_id((3, 2)), node_id((3, 2, 4))
    ('3,2', '3,2,4')
    """
    return ",".join(str(k) for k in state)


_ID = re.compile(r"^\s*(\d+)\s*,\s*(\d+)\s*(?:,\s*(\d+)\s*)?$")


def parse_node_id(text: str) -> tuple:
    """The state of an export id: ``"3,2"`` -> ``(3, 2)``, ``"3,2,4"`` -> ``(3, 2, 4)``
    (stage, ready count and, with stock carried over, stock on hand).

    Raises
    ------
    GraphFormatError
        When the id is not two or three non-negative integers separated by commas.

    Examples
    --------
    >>> parse_node_id("3,2"), parse_node_id("3,2,4")
    ((3, 2), (3, 2, 4))
    """
    m = _ID.match(str(text))
    if not m:
        raise GraphFormatError(
            f"node id: expected 'i,v' or 'i,v,x' (e.g. '3,2' or '3,2,4'), got {text!r}")
    if m.group(3) is None:
        return int(m.group(1)), int(m.group(2))
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def _check_format(fmt) -> str:
    if fmt not in GRAPH_FORMATS:
        raise GraphFormatError(f"format: must be one of {', '.join(GRAPH_FORMATS)}, got {fmt!r}")
    return fmt


def _format_of(path, fmt) -> str:
    if fmt is not None:
        return _check_format(fmt)
    suffix = Path(path).suffix.lower()
    if suffix not in _SUFFIXES:
        raise GraphFormatError(
            f"format: cannot tell from the suffix {suffix or '(none)'!r} of {path}; give one of "
            f"{', '.join(GRAPH_FORMATS)}"
        )
    return _SUFFIXES[suffix]


def _relabelled(G: nx.DiGraph) -> nx.DiGraph:
    import networkx as nx

    return nx.relabel_nodes(G, {n: node_id(n) for n in G.nodes}, copy=True)


_BOOL_KEY = re.compile(r'<key id="([^"]+)" for="(?:node|edge|graph)" attr\.name="[^"]*" '
                       r'attr\.type="boolean"')


def graph_to_string(G: nx.DiGraph, fmt: str) -> str:
    """Serialise a policy graph (tuple node keys) as GraphML, GEXF, node-link JSON or DOT.

    Node ids become ``"i,v"`` strings in every format.

    Parameters
    ----------
    G : networkx.DiGraph
        From :func:`policy_graph`, or any DiGraph whose nodes are (i, v) tuples and whose
        attributes are str, int, float or bool.
    fmt : {"graphml", "gexf", "json", "dot"}

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph(review_period=1)
    >>> G.add_edge((1, 0), (2, 1), probability=0.5, success=True)
    >>> print(graph_to_string(G, "json"))  # doctest: +ELLIPSIS
    {"directed": true, ..."edges": [{"probability": 0.5, "success": true, "source": "1,0", ...
    """
    import networkx as nx

    fmt = _check_format(fmt)
    H = _relabelled(G)
    if fmt == "graphml":
        text = "\n".join(nx.generate_graphml(H)) + "\n"
        # GraphML booleans are "true"/"false"; networkx writes Python's "True"/"False"
        for key in _BOOL_KEY.findall(text):
            text = re.sub(rf'(<data key="{re.escape(key)}">)(True|False)(</data>)',
                          lambda m: m.group(1) + m.group(2).lower() + m.group(3), text)
        return text
    if fmt == "gexf":
        return "\n".join(nx.generate_gexf(H)) + "\n"
    if fmt == "json":
        return json.dumps(nx.node_link_data(H, edges="edges"), allow_nan=False)
    return _to_dot(H)


def graph_from_string(text: str, fmt: str) -> nx.DiGraph:
    """Read a graph written by :func:`graph_to_string` back, with (i, v) tuple nodes.

    Raises
    ------
    GraphFormatError
        On text that is not a valid file of the format, or node ids that are not "i,v".

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph(review_period=1)
    >>> G.add_edge((1, 0), (2, 1), probability=0.5, success=True)
    >>> H = graph_from_string(graph_to_string(G, "dot"), "dot")
    >>> list(H.edges(data=True)), H.graph
    ([((1, 0), (2, 1), {'probability': 0.5, 'success': True})], {'review_period': 1})
    """
    import networkx as nx

    fmt = _check_format(fmt)
    try:
        if fmt == "graphml":
            H = nx.parse_graphml(text)
        elif fmt == "gexf":
            H = nx.read_gexf(io.BytesIO(text.encode("utf-8")))
        elif fmt == "json":
            H = nx.node_link_graph(json.loads(text), directed=True, edges="edges")
        else:
            H = _from_dot(text)
    except (GraphFormatError, GraphDependencyError):
        raise
    except Exception as exc:  # networkx and the XML/JSON parsers raise many kinds
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise GraphFormatError(f"{fmt}: cannot read the graph ({first})") from None
    for key in ("node_default", "edge_default", "mode"):
        H.graph.pop(key, None)
    if fmt == "gexf":
        for n, d in H.nodes(data=True):
            if d.get("label") == n:
                del d["label"]
        for _, _, d in H.edges(data=True):
            d.pop("id", None)
    if fmt == "dot":
        for key in _DOT_LAYOUT:
            H.graph.pop(key, None)
    out = nx.DiGraph()
    out.graph.update(H.graph)
    out.add_nodes_from((parse_node_id(n), d) for n, d in H.nodes(data=True))
    out.add_edges_from((parse_node_id(a), parse_node_id(b), d) for a, b, d in H.edges(data=True))
    return out


def write_graph(G: nx.DiGraph, path, fmt: str | None = None) -> str:
    """Write a policy graph to ``path`` atomically; the format defaults to the suffix
    (.graphml, .gexf, .json, .dot or .gv).

    Returns
    -------
    str
        The format written.

    Raises
    ------
    GraphFormatError
        On an unknown format or suffix.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_edge((1, 0), (2, 0), probability=1.0, success=False)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     fmt = write_graph(G, pathlib.Path(d) / "chain.gexf")
    ...     H = read_graph(pathlib.Path(d) / "chain.gexf")
    >>> fmt, list(H.edges(data=True))
    ('gexf', [((1, 0), (2, 0), {'probability': 1.0, 'success': False})])
    """
    fmt = _format_of(path, fmt)
    atomic_write(path, graph_to_string(G, fmt))
    return fmt


def read_graph(path, fmt: str | None = None) -> nx.DiGraph:
    """Read a graph file written by :func:`write_graph` (format from the suffix by default).

    Raises
    ------
    GraphFormatError
        On a missing or unreadable file, an unknown format, or malformed content.

    Examples
    --------
    >>> read_graph("missing.graphml")
    Traceback (most recent call last):
    ...
    slamarkov.analysis.graph.GraphFormatError: missing.graphml: no such file
    """
    fmt = _format_of(path, fmt)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GraphFormatError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GraphFormatError(f"{path}: cannot be read ({exc})") from None
    return graph_from_string(text, fmt)


# -- Graphviz DOT, through pydot and networkx.nx_pydot ---------------------------------------
#: graph attributes the DOT writer adds for Graphviz, dropped again on reading
_DOT_LAYOUT = ("rankdir", "attribute_types")
_TYPE_NAMES = {bool: "bool", int: "int", float: "float", str: "str"}
_DOT_COMMENT = ("// Graphviz DOT written by slamarkov: a policy's absorbing chain; node ids are "
                "\"i,v\" (stage i, ready count v)")
_DOT_COMMENT_CARRY = ("// Graphviz DOT written by slamarkov: a policy's absorbing chain; node ids "
                      "are \"i,v,x\" (stage i, ready count v, stock on hand x; absorbing: \"i,v\")")


def _pydot():
    """pydot, imported on first use (the ``graph`` extra)."""
    try:
        import pydot
    except ImportError:
        raise GraphDependencyError(
            "dot: Graphviz DOT files need pydot; install it with pip install 'slamarkov[graph]' "
            "(GraphML, GEXF and JSON need nothing more)") from None
    return pydot


def _dot_text(value) -> str:
    """An attribute value as DOT text: floats round-trip (repr), booleans are true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _type_of(value) -> str:
    for t, name in _TYPE_NAMES.items():  # bool before int: True is an int too
        if isinstance(value, t):
            return name
    raise GraphFormatError(
        f"dot: attribute value {value!r} of type {type(value).__name__} is not str, int, float "
        "or bool"
    )


def _attr_types(G) -> str:
    types: dict[tuple, str] = {}
    for scope, items in (("graph", [G.graph]), ("node", (d for _, d in G.nodes(data=True))),
                         ("edge", (d for *_, d in G.edges(data=True)))):
        for d in items:
            for k, x in d.items():
                types.setdefault((scope, k), _type_of(x))
    return ";".join(f"{s}:{k}={t}" for (s, k), t in types.items())


def _dot_attrs(d: dict) -> dict:
    return {str(k): _dot_text(x) for k, x in d.items()}


def _to_dot(H: nx.DiGraph) -> str:
    """DOT text of a graph with "i,v" (or "i,v,x") node ids, written by pydot: the attribute
    types go into the graph attribute ``attribute_types`` and each stage is one rank, so
    Graphviz's ``dot`` draws the layered chain."""
    types = _attr_types(H)  # refuses values DOT cannot carry before pydot is needed
    pydot = _pydot()
    name = H.graph.get("name")
    P = pydot.Dot(graph_name=_dot_text(name) if name is not None else "", graph_type="digraph")
    gattrs = {k: x for k, x in H.graph.items() if k != "name"}
    gattrs["rankdir"] = "LR"
    gattrs["attribute_types"] = types
    for k, x in _dot_attrs(gattrs).items():
        P.set(k, x)
    stages: dict = {}
    for n, d in H.nodes(data=True):
        stages.setdefault(d.get("stage"), []).append(n)
    if None not in stages:  # lay each stage out in one rank, as the study draws the chain
        for nodes in stages.values():
            rank = pydot.Subgraph(rank="same")
            for n in nodes:
                rank.add_node(pydot.Node(str(n)))
            P.add_subgraph(rank)
    for n, d in H.nodes(data=True):
        P.add_node(pydot.Node(str(n), **_dot_attrs(d)))
    for a, b, d in H.edges(data=True):
        P.add_edge(pydot.Edge(str(a), str(b), **_dot_attrs(d)))
    carry = any(str(n).count(",") == 2 for n in H)
    return (_DOT_COMMENT_CARRY if carry else _DOT_COMMENT) + "\n" + P.to_string()


def _unquote(value):
    """A DOT id as text: pydot keeps the quotes and escapes of quoted ids."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace("\\\n", "").replace('\\"', '"')
    return value


def _parse_dot(text: str):
    """The one digraph in ``text``, parsed by pydot (its parse errors become one line)."""
    pydot = _pydot()
    said = io.StringIO()
    try:
        with contextlib.redirect_stdout(said):  # pydot prints its parse errors
            graphs = pydot.graph_from_dot_data(text)
    except Exception as exc:  # pyparsing raises several kinds
        graphs, said = None, io.StringIO(str(exc))
    if not graphs:
        lines = [x.strip() for x in said.getvalue().splitlines() if x.strip()]
        why = next((x for x in lines if x.startswith("Expected")), lines[-1] if lines else "")
        raise GraphFormatError(f"dot: cannot read the graph ({why or 'not DOT'})")
    if len(graphs) != 1:
        raise GraphFormatError(f"dot: expected one graph, got {len(graphs)}")
    P = graphs[0]
    if P.get_type() != "digraph":
        raise GraphFormatError(f"dot: expected 'digraph', got {P.get_type()!r}")
    return P


def _add_subgraphs(G: nx.DiGraph, P) -> None:
    """Nodes and edges stated inside subgraphs (nx_pydot.from_pydot reads the top level only)."""
    for sub in P.get_subgraph_list():
        for node in sub.get_node_list():
            n = _unquote(node.get_name())
            if n not in ("node", "graph", "edge"):
                G.add_node(n, **node.get_attributes())
        for edge in sub.get_edge_list():
            a, b = edge.get_source(), edge.get_destination()
            if not (isinstance(a, str) and isinstance(b, str)):
                raise GraphFormatError("dot: subgraphs as edge ends are not supported")
            G.add_edge(_unquote(a), _unquote(b), **edge.get_attributes())
        _add_subgraphs(G, sub)


def _convert(value: str, typ: str):
    if typ == "int":
        return int(value)
    if typ == "float":
        return float(value)
    if typ == "bool":
        if value not in ("true", "false"):
            raise GraphFormatError(f"dot: expected true or false, got {value!r}")
        return value == "true"
    return value


def _from_dot(text: str) -> nx.DiGraph:
    import networkx as nx

    P = _parse_dot(text)
    M = nx.nx_pydot.from_pydot(P)
    G = nx.DiGraph()
    G.add_nodes_from(M.nodes(data=True))
    G.add_edges_from(M.edges(data=True))
    _add_subgraphs(G, P)
    G = nx.relabel_nodes(G, {n: _unquote(n) for n in G.nodes}, copy=True)
    if M.graph.get("name"):
        G.graph["name"] = _unquote(f'"{M.graph["name"]}"')
    for defaults in P.get_graph_defaults() or []:  # graph [k=v] statements
        G.graph.update(defaults)
    G.graph.update(M.graph.get("graph", {}))
    for d in [G.graph, *(d for _, d in G.nodes(data=True)), *(d for *_, d in G.edges(data=True))]:
        for k in d:
            d[k] = _unquote(d[k])
    decl = G.graph.get("attribute_types", "")
    types = {}
    for item in filter(None, decl.split(";")):
        scope_key, _, typ = item.rpartition("=")
        scope, _, key = scope_key.partition(":")
        if typ not in ("int", "float", "bool", "str") or scope not in ("graph", "node", "edge"):
            raise GraphFormatError(f"dot: attribute_types: cannot read {item!r}")
        types[(scope, key)] = typ
    try:
        for k in list(G.graph):
            G.graph[k] = _convert(G.graph[k], types.get(("graph", k), "str"))
        for _, d in G.nodes(data=True):
            for k in d:
                d[k] = _convert(d[k], types.get(("node", k), "str"))
        for *_, d in G.edges(data=True):
            for k in d:
                d[k] = _convert(d[k], types.get(("edge", k), "str"))
    except ValueError as exc:
        raise GraphFormatError(f"dot: attribute value does not match its declared type ({exc})") \
            from None
    return G
