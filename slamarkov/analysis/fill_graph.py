r"""A fill-rate policy's absorbing chain as a networkx graph (docs/model.md section 14).

The transient nodes are the states :math:`(i, D, F)` of :class:`~slamarkov.chain.space.StateSpace`
(period i, units demanded D and filled F in periods 1..i-1), or :math:`(i, D, F, x)` with stock
carried over (x the stock on hand); the absorbing nodes are the final scores :math:`(T+1, D, F)`.
As in the ready-rate graph (:mod:`slamarkov.analysis.graph`) **every** state of the space is a
node, reachable or not (the ``reach`` attribute says which are visited), and every transition
the order allows is an edge, also one the demand gives probability 0, so the graph has the
chain's shape: from a state with order-up-to level y one edge per demand :math:`d = 0..d_{\max}`
with :math:`D + d` kept, to :math:`(i+1, D + d, F + \min(d, y)[, (y - d)^+])` with probability
P(d); after period T to the final score :math:`(T+1, D + d, F + \min(d, y))`. Distinct demands
lead to distinct states, so no two transitions share an edge. With demand of infinite support
the float-mode cut of section 14 drops the demands above :math:`d_{\max}` and the totals above
:math:`D_{\max}`: the out-probabilities of a state sum to less than 1 by the demands the cut drops
from it (much at the edge of the kept totals, which the chain reaches with probability below
:math:`10^{-12}`), these deficits weighted by the states' reach add up to the graph's
``truncated_mass``; with finite support every state's out-probabilities sum to 1.

The number of nodes and edges follows from the sizes alone (:func:`fill_graph_size`), so
:func:`check_fill_graph` refuses a graph that cannot fit (``--max-gib``) or would take too long
(``--max-work``) before anything is solved.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..chain.absorbing import AbsorbingChain
from ..chain.classes import state_roles
from ..chain.space import StateSpace
from ..core.limits import check_bytes, check_work, format_count
from ..io.graphs import node_id
from ..model.contract import BANDS
from ..model.fill import fill_band
from ..solve.options import stock_range

__all__ = ["fill_policy_graph", "fill_graph_size", "check_fill_graph", "GRAPH_EDGE_COST"]

#: measured peak bytes and operations per edge of a graph, by export format (None: the networkx
#: graph alone), T = 3, 4, Poisson(5): building the graph costs about 4 us and 650 bytes an
#: edge, node-link JSON 10 us and 1.4 kB with its text, GraphML and GEXF about 52 us and 5 kB,
#: DOT 50 us and 2.7 kB (``OPS_PER_SECOND`` operations a second); a node, with twice the
#: attributes, counts as two edges
GRAPH_EDGE_COST = {None: (700, 5_000), "json": (1_500, 12_000), "graphml": (5_000, 55_000),
                   "gexf": (5_500, 55_000), "dot": (3_000, 55_000)}

_TRANSIENT_ATTRS = ("stage", "demand_total", "filled_total", "stock", "kind", "role", "decided",
                    "reach", "visits")
_CARRY_ATTRS = ("stage", "demand_total", "filled_total", "stock_on_hand", "stock", "kind",
                "role", "decided", "reach", "visits")
_ABSORBING_ATTRS = ("stage", "demand_total", "filled_total", "kind", "band", "fill_rate",
                    "settlement", "reach")
_BAND_NAME = np.array(BANDS)  # index: band code + 1


def _width(problem, max_stock) -> int:
    """Stock levels of the layers after period 1: K + 1 with carry, else 1."""
    if not problem.carries:
        return 1
    top, _ = stock_range(problem, max_stock)
    return max(int(top), int(problem.initial_stock)) + 1


def fill_graph_size(problem, max_stock=None) -> tuple[int, int]:
    """The number of nodes and edges of a fill-rate policy's graph, from the sizes alone (no
    policy needed: every state has one edge per demand kept, whatever it orders).

    Parameters
    ----------
    problem : Problem
        A fill-rate problem.
    max_stock : int, optional
        The top of the stock range (with stock carried over; the solver's bound by default).

    Returns
    -------
    (int, int)
        Nodes (transient and absorbing states) and edges.

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform, Problem
    >>> prob = Problem(Contract(2, 0.5, 1, measure="fill-rate"), DiscreteUniform(0, 2), 1)
    >>> fill_graph_size(prob)  # 1 + 6 transient states, 15 final (D <= 4); 3 edges each
    (22, 21)
    """
    return _space_size(StateSpace.for_problem(problem, _width(problem, max_stock) - 1))


def _space_size(space) -> tuple[int, int]:
    score = space.score
    dmax = score.support.period_max
    edges = 0
    for i in range(1, space.T + 1):  # loop over stages, vectorised over the layer's D
        D = np.arange(score.cap(i) + 1)
        out = np.minimum(dmax, score.cap(i + 1) - D) + 1  # demands d with D + d kept
        edges += int(((D + 1) * out).sum()) * space.width(i)
    return space.n_transient + space.n_final, edges


def check_fill_graph(problem, max_stock=None, fmt=None) -> None:
    """Refuse, before solving, the graph of a fill-rate problem that cannot fit in memory
    (``--max-gib``) or would take too long to build and write (``--max-work``).

    A lower bound on the states from the mean demand is checked first (counting the states
    exactly needs the cut of the totals, itself a convolution over T periods), then the exact
    counts of :func:`fill_graph_size` at the costs of :data:`GRAPH_EDGE_COST`.

    Parameters
    ----------
    problem : Problem
        A fill-rate problem.
    max_stock : int, optional
        As for :func:`fill_graph_size`.
    fmt : {None, "graphml", "gexf", "json", "dot"}
        The export format (None: the networkx graph alone).

    Raises
    ------
    SizeError
        One line naming ``contract.review_period``, the size and the limit.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, memory_limit
    >>> prob = Problem(Contract.study(10, measure="fill-rate"), Poisson(5), 0.5)
    >>> check_fill_graph(prob, fmt="graphml")
    Traceback (most recent call last):
    slamarkov.errors.SizeError: contract.review_period: the fill-rate graph of T = 10 (48,117 nodes, 1,000,446 edges) as graphml needs about 6.03e+10 operations (about 60 s on one core), above the work limit of 2e+10 operations (--max-work)
    """
    edge_bytes, edge_ops = GRAPH_EDGE_COST[fmt]
    T = problem.review_period
    w = _width(problem, max_stock)
    mean = max(int(problem.demand.mean), 0)
    low = np.arange(T, dtype=np.float64) * mean + 1  # the D of layer i reach (i - 1) E[d]
    low_states = float((low * (low + 1) / 2).sum()) * w
    as_fmt = f" as {fmt}" if fmt else ""
    what = f"the fill-rate graph of T = {T} (at least {format_count(int(low_states))} nodes){as_fmt}"
    check_bytes(low_states * 2 * edge_bytes, "contract.review_period", what + " would")
    check_work(low_states * 2 * edge_ops, "contract.review_period", what)
    _check_counts(T, *fill_graph_size(problem, max_stock), fmt)


def _check_counts(T, nodes, edges, fmt) -> None:
    edge_bytes, edge_ops = GRAPH_EDGE_COST[fmt]
    what = (f"the fill-rate graph of T = {T} ({format_count(nodes)} nodes, "
            f"{format_count(edges)} edges){f' as {fmt}' if fmt else ''}")
    units = 2 * nodes + edges
    check_bytes(units * edge_bytes, "contract.review_period", what + " would")
    check_work(units * edge_ops, "contract.review_period", what)


def _floats(values) -> list:
    return np.asarray(values, dtype=np.float64).tolist()


def fill_policy_graph(policy, start=(1, 0)):
    """A fill-rate policy's absorbing chain as a :class:`networkx.DiGraph` (module docstring).

    Parameters
    ----------
    policy : Policy or AbsorbingChain
        A stock table of a fill-rate problem. An exact policy gives float attributes (the exact
        values rounded).
    start : tuple, default (1, 0)
        The state the reach probabilities are counted from: (i, D, F), or (i, D, F, x) with
        stock carried over; (1, 0) is the start of the review period.

    Returns
    -------
    networkx.DiGraph
        Nodes are tuples ``(i, D, F)``, or ``(i, D, F, x)`` for a transient state with stock
        carried over. Transient nodes carry ``stage``, ``demand_total`` (D), ``filled_total``
        (F), ``stock_on_hand`` (x, with carry), ``stock`` (the order-up-to level),
        ``kind="transient"``, ``role`` ("trying", "give-up", "coasting") and ``decided``
        ("open", "penalty-certain", "neutral-decided", "bonus-secured"), the classes in units
        (:func:`~slamarkov.chain.classes.state_roles`), ``reach`` (the probability of ever visiting it from ``start``)
        and ``visits`` (expected visits, equal to ``reach``: the chain never revisits a state).
        Absorbing nodes carry ``stage`` (T + 1), ``demand_total``, ``filled_total``,
        ``kind="absorbing"``, ``band`` ("penalty", "neutral", "bonus": F/D against the
        thresholds, compared exactly), ``fill_rate`` (F/D, 1 when D = 0), ``settlement``
        (G(F, D)) and ``reach``. Edges carry ``probability`` (P(d)), ``demand`` (d),
        ``filled`` (min(d, y)) and ``success`` (True when the period's demand is filled in
        full, d <= y). Graph attributes: ``measure`` ("fill-rate"), ``review_period``,
        ``penalty_threshold`` and ``bonus_threshold`` (exact fractions as text), ``scheme``,
        ``policy``, ``demand``, ``holding_cost``, ``truncated_mass``, ``start_state``; with
        carry also ``leftover``, ``max_stock``, ``initial_stock``, ``purchase_cost`` and
        ``salvage_value``.

    Raises
    ------
    SizeError
        When the graph cannot fit in memory or would take too long to build
        (:func:`check_fill_graph`).

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform, Policy, Problem
    >>> prob = Problem(Contract(2, 0.5, 1, measure="fill-rate"), DiscreteUniform(0, 2), 1)
    >>> G = fill_policy_graph(Policy.constant(prob, 1, exact=True))
    >>> G.number_of_nodes(), G.number_of_edges()
    (22, 21)
    >>> sorted(G.successors((1, 0, 0)))  # demand 0, 1 or 2 with one unit on the shelf
    [(2, 0, 0), (2, 1, 1), (2, 2, 1)]
    >>> G.edges[(1, 0, 0), (2, 2, 1)]
    {'probability': 0.3333333333333333, 'demand': 2, 'filled': 1, 'success': False}
    >>> {k: G.nodes[(3, 4, 2)][k] for k in ("band", "fill_rate", "reach")}
    {'band': 'neutral', 'fill_rate': 0.5, 'reach': 0.1111111111111111}
    >>> G.nodes[(2, 2, 1)]["role"], G.nodes[(2, 2, 1)]["decided"]
    ('trying', 'neutral-decided')
    """
    import networkx as nx  # imported here: `import slamarkov` stays light

    chain = policy if isinstance(policy, AbsorbingChain) else AbsorbingChain(policy)
    pol = chain.policy
    space, kernel, score = pol.space, chain.kernel, pol.space.score
    problem, c = pol.problem, pol.problem.contract
    T, t = pol.review_period, space.n_transient
    _check_counts(T, *_space_size(space), None)
    if tuple(start) == (1, 0):
        start = (1, 0, 0, space.initial_stock) if space.carry else (1, 0, 0)
    pos = space.start(start, absorbing=False)
    start_state = space.key(pos)
    reach = _floats(chain.visits(start_state))
    absorb = _floats(chain.absorption(start_state))
    # coordinates of every node by flat index, the absorbing ones after the transient ones
    i, D, F, x = space.coordinates()
    final = score.values(T + 1)
    Dall = np.concatenate((D, final[:, 0]))
    Fall = np.concatenate((F, final[:, 1]))
    stage = np.concatenate((i, np.full(final.shape[0], T + 1)))
    keys = np.empty(t + final.shape[0], dtype=object)
    keys[:] = list(zip(stage.tolist(), Dall.tolist(), Fall.tolist()))
    head = (i.tolist(), D.tolist(), F.tolist())
    names = _TRANSIENT_ATTRS
    if space.carry:
        keys[:t] = list(zip(i.tolist(), D.tolist(), F.tolist(), x.tolist()))
        head += (x.tolist(),)
        names = _CARRY_ATTRS
    roles = state_roles(pol)  # the classes in units (docs/model.md section 14), one home
    columns = head + (pol.stock_values(), ["transient"] * t, roles["role"].tolist(),
                      roles["decided"].tolist(), reach, reach)
    transient = [dict(zip(names, row)) for row in zip(*columns)]
    Df, Ff = final[:, 0], final[:, 1]
    fr = np.where(Df == 0, 1.0, Ff / np.maximum(Df, 1))
    n_final = final.shape[0]
    acolumns = ([T + 1] * n_final, Df.tolist(), Ff.tolist(), ["absorbing"] * n_final,
                _BAND_NAME[fill_band(c, Df, Ff) + 1].tolist(), fr.tolist(),
                _floats(score.settlement(c)), absorb)
    absorbing = [dict(zip(_ABSORBING_ATTRS, row)) for row in zip(*acolumns)]
    mass = score.support.truncated_mass
    attrs = dict(measure=c.measure, review_period=T,
                 penalty_threshold=str(Fraction(c.penalty_threshold)),
                 bonus_threshold=str(Fraction(c.bonus_threshold)), scheme=c.scheme,
                 policy=pol.kind, demand=problem.demand.describe(),
                 holding_cost=float(problem.holding_cost), truncated_mass=float(mass))
    name = f"slamarkov {pol.kind} policy chain, T={T}, fill rate"
    if space.carry:
        name += ", stock carried over"
        attrs.update(leftover="carry", max_stock=space.max_stock,
                     initial_stock=int(space.initial_stock),
                     purchase_cost=float(problem.purchase_cost),
                     salvage_value=float(problem.salvage_value))
    G = nx.DiGraph(name=name, **attrs, start_state=node_id(start_state))
    G.add_nodes_from(zip(keys[:t].tolist(), transient))
    G.add_nodes_from(zip(keys[t:].tolist(), absorbing))
    for layer in range(1, T + 1):  # loop over stages, vectorised over the layer's transitions
        tr = kernel.transitions(layer)
        src = space.offset(layer) + tr.rows
        dst = (space.offset(layer + 1) + tr.cols) if layer < T else (t + tr.cols)
        demand = (Dall[dst] - Dall[src]).tolist()
        filled = (Fall[dst] - Fall[src]).tolist()
        G.add_edges_from(zip(keys[src].tolist(), keys[dst].tolist(),
                             [{"probability": q, "demand": d, "filled": f, "success": b}
                              for q, d, f, b in zip(_floats(tr.p), demand, filled,
                                                    tr.ready.tolist())]))
    return G
