r"""A policy's absorbing chain as a networkx graph (docs/model.md sections 6 and 11).

The chain of a policy is a layered DAG. Its nodes are the transient states :math:`(i, v)`,
:math:`i = 1..T`, :math:`v = 0..i-1`, and the absorbing states :math:`(T+1, v)`,
:math:`v = 0..T`: :math:`T(T+1)/2 + T + 1` nodes. Each transient state has two out-edges, to
:math:`(i+1, v+1)` with probability :math:`p_i(v) = F(S_i(v))` (a *success*: the period is ready)
and to :math:`(i+1, v)` with probability :math:`1 - p_i(v)`: :math:`T(T+1)` edges. Both edges are
kept even when one has probability 0, so the graph always has the chain's shape; the
``probability`` attribute says which transitions can happen.

:func:`policy_graph` builds the :class:`networkx.DiGraph` in one vectorised pass over the states
and the chain's transitions (:meth:`Kernel.transitions <slamarkov.chain.kernels.Kernel.transitions>`);
each state's short-period edge comes first, then its ready ones. The roles of its states (give-up,
coasting) are those of :mod:`slamarkov.chain.classes`; the inspection report is
:mod:`slamarkov.analysis.inspect` and the files :mod:`slamarkov.io.graphs`.

**Stock that carries over** (docs/model.md section 11). When the policy carries stock over, the
transient nodes are the states :math:`(i, v, x)` of :class:`~slamarkov.chain.space.StateSpace`, x the
stock on hand (the initial stock at i = 1, 0..K after), and the absorbing ones are still
:math:`(T+1, v)`. From :math:`(i, v, x)` with order-up-to level :math:`y = y_i(v, x)` the edges
are the short period, to :math:`(i+1, v, 0)` with probability :math:`1 - F(y)`, and one ready
edge to :math:`(i+1, v+1, y-d)` with probability :math:`P(d)` for each :math:`d = 0..y` (after
period T the ready edges merge into one, to :math:`(T+1, v+1)` with probability :math:`F(y)`).
As in the study's chain every such edge is kept even where the demand gives it probability 0,
so a node has :math:`y + 2` out-edges (2 after period T). The give-up and coasting roles read
the ready chance F(y) of the order-up-to level, whatever the stock on hand (docs/model.md
section 12): holding stock that keeps F(y) high is trying. :func:`decision_boundary` compares ready counts
within each slice of equal stock on hand; the drawings of :mod:`slamarkov.plot.policy` show one
such slice. Every function takes the start as :math:`(i, v, x)`, or :math:`(1, 0)` meaning the
initial stock.
"""

from __future__ import annotations

import numpy as np

from ..chain.absorbing import AbsorbingChain
from ..chain.classes import state_roles
from ..chain.policy import as_policy
from ..io.graphs import node_id
from ..model.contract import BANDS
from .fill_graph import fill_policy_graph
from .inspect import check_size, transient_start

__all__ = ["policy_graph"]

#: the node attributes, in the order they are written
_TRANSIENT_ATTRS = ("stage", "ready_count", "stock", "success", "kind", "role", "decided",
                    "reach", "visits")
_CARRY_ATTRS = ("stage", "ready_count", "stock_on_hand", "stock", "success", "kind", "role",
                "decided", "reach", "visits")
_ABSORBING_ATTRS = ("stage", "ready_count", "kind", "band", "settlement", "reach")
_BAND_NAME = np.array(BANDS)  # index: band code + 1


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
        ``decided`` (:func:`~slamarkov.chain.classes.state_roles`), ``reach`` (probability of ever visiting it from
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

        On a fill-rate contract (docs/model.md section 14) the graph is that of
        :func:`~slamarkov.analysis.fill_graph.fill_policy_graph`: nodes ``(i, D, F[, x])``.

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
    >>> node = G.nodes[(2, 1, 2)]
    >>> node["role"], node["decided"], round(node["reach"], 4)
    ('trying', 'neutral-decided', 0.3333)
    """
    import networkx as nx  # imported here: `import slamarkov` stays light

    pol = as_policy(policy)
    if pol.fills:  # states (i, D, F[, x]): docs/model.md section 14
        return fill_policy_graph(policy, start)
    check_size(pol, "graph")
    pos = transient_start(pol, start)
    chain = AbsorbingChain(pol)
    space, kernel = pol.space, chain.kernel
    c = pol.problem.contract
    T = pol.review_period
    roles = state_roles(pol)
    i, v = roles["stage"], roles["ready_count"]
    t = i.shape[0]
    start_state = space.key(pos)
    reach = np.asarray(chain.visits(start_state), dtype=np.float64).tolist()
    absorb = np.asarray(chain.absorption(start_state), dtype=np.float64)
    keys = np.empty(t + T + 1, dtype=object)  # node keys by flat index, absorbing ones after
    if space.carry:
        x = roles["stock_on_hand"]
        keys[:t] = list(zip(i.tolist(), v.tolist(), x.tolist()))
        names = _CARRY_ATTRS
        head = (i.tolist(), v.tolist(), x.tolist())
    else:
        keys[:t] = list(zip(i.tolist(), v.tolist()))
        names = _TRANSIENT_ATTRS
        head = (i.tolist(), v.tolist())
    keys[t:] = [(T + 1, w) for w in range(T + 1)]
    p = np.asarray(pol.success(), dtype=np.float64)
    columns = head + (roles["stock"].tolist(), p.tolist(), ["transient"] * t,
                      roles["role"].tolist(), roles["decided"].tolist(), reach, reach)
    transient = [dict(zip(names, row)) for row in zip(*columns)]
    va = np.arange(T + 1)
    acolumns = ([T + 1] * (T + 1), va.tolist(), ["absorbing"] * (T + 1),
                _BAND_NAME[c.band(va) + 1].tolist(), c.settlement().tolist(), absorb.tolist())
    absorbing = [dict(zip(_ABSORBING_ATTRS, row)) for row in zip(*acolumns)]
    attrs = dict(review_period=T, penalty_count=c.penalty_count, bonus_count=c.bonus_count,
                 scheme=c.scheme, policy=pol.kind, demand=pol.problem.demand.describe(),
                 holding_cost=float(pol.problem.holding_cost))
    name = f"slamarkov {pol.kind} policy chain, T={T}"
    if space.carry:
        name += ", stock carried over"
        attrs.update(leftover="carry", max_stock=space.max_stock,
                     initial_stock=int(space.initial_stock),
                     purchase_cost=float(pol.problem.purchase_cost),
                     salvage_value=float(pol.problem.salvage_value))
    G = nx.DiGraph(name=name, **attrs, start_state=node_id(start_state))
    G.add_nodes_from(zip(keys[:t].tolist(), transient))
    G.add_nodes_from(zip(keys[t:].tolist(), absorbing))
    # every transition the order allows, kept even where the demand gives it probability 0, so
    # that the graph has the chain's shape: the short period first, then the ready ones
    for layer in range(1, T + 1):
        tr = kernel.transitions(layer)
        src = space.offset(layer) + tr.rows
        dst = (space.offset(layer + 1) + tr.cols) if layer < T else (t + tr.cols)
        prob = np.asarray(tr.p, dtype=np.float64).tolist()
        G.add_edges_from(zip(keys[src].tolist(), keys[dst].tolist(),
                             [{"probability": q, "success": b}
                              for q, b in zip(prob, tr.ready.tolist())]))
    return G
