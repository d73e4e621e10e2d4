"""Graph views of carry-over policies: nodes (i, v, x) (docs/model.md section 11)."""

from __future__ import annotations

import math
from fractions import Fraction

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slamarkov import (
    Contract,
    DiscreteUniform,
    Poisson,
    Policy,
    Problem,
    SlamarkovError,
    solve_dynamic,
)
from slamarkov.analysis.graph import policy_graph
from slamarkov.analysis.inspect import (
    band_flow,
    coasting_states,
    decision_boundary,
    give_up_states,
    inspect_policy,
    most_probable_paths,
    reachable,
    unreachable_states,
)
from slamarkov.chain import AbsorbingChain
from slamarkov.chain.classes import state_roles
from slamarkov.cli import main
from slamarkov.io.graphs import (
    GRAPH_FORMATS,
    GraphFormatError,
    graph_from_string,
    graph_to_string,
    node_id,
    parse_node_id,
    read_graph,
    write_graph,
)
from slamarkov.model.config import load_config
from slamarkov.solve import solve_static

BANDS = ("penalty", "neutral", "bonus")


# -- fixtures -------------------------------------------------------------------------------------
def toy_problem():
    """T = 2, demand uniform on 0..2, lump-sum penalty 10 below one ready period, no bonus."""
    return Problem(Contract(2, 0.5, 1, penalty=10), DiscreteUniform(0, 2), 1, leftover="carry")


@pytest.fixture(scope="module")
def toy():
    """Order up to 2 at the start, then add nothing (y = x) in period 2: worked by hand."""
    return Policy(toy_problem(), [[[2]], [[0, 1, 2], [0, 1, 2]]], exact=True)


@pytest.fixture(scope="module")
def tiny3():
    """The exact dynamic policy of a T = 3 carry-over problem (discrete uniform demand)."""
    prob = Problem(Contract(3, 0.5, 0.9, penalty=10, bonus=5), DiscreteUniform(0, 2), 1,
                   leftover="carry")
    return solve_dynamic(prob, exact=True).policy


@pytest.fixture(scope="module")
def study10():
    """The study's lump-sum contract at T = 10, Poisson(5), h = 0.5, with stock carried over."""
    prob = Problem(Contract.study(10), Poisson(5), 0.5, leftover="carry")
    return solve_dynamic(prob, max_stock=15).policy


def states_of(pol):
    i, v, x = pol.space.coordinates()
    return list(zip(i.tolist(), v.tolist(), x.tolist()))


def key_of(chain, k):
    """The graph node of a canonical index of the chain."""
    s = chain.state(k)
    return tuple(int(a) for a in s)


@st.composite
def carry_policies(draw):
    """Random carry-over stock tables (y >= x) on small problems, exact."""
    T = draw(st.integers(1, 4))
    K = draw(st.integers(0, 3))
    lo = draw(st.integers(0, 2))
    hi = draw(st.integers(lo, lo + 3))
    x1 = draw(st.integers(0, K))
    pen = draw(st.sampled_from([0, 10]))
    a_l = draw(st.sampled_from([0.0, 0.5, 0.75]))
    a_u = draw(st.sampled_from([a_l, 0.9, 1.0]))
    prob = Problem(Contract(T, a_l, max(a_u, a_l), penalty=pen, bonus=3), DiscreteUniform(lo, hi),
                   1, leftover="carry", initial_stock=x1)
    seed = draw(st.integers(0, 2**32 - 1))
    from slamarkov.chain.space import StateSpace

    space = StateSpace(T, carry=True, max_stock=K, initial_stock=x1)
    _, _, x = space.coordinates()
    rng = np.random.default_rng(seed)
    y = np.minimum(x + rng.integers(0, K + 1, size=x.shape) * rng.integers(0, 2, size=x.shape), K)
    return Policy(prob, y, exact=True, max_stock=K)


# -- the graph ----------------------------------------------------------------------------------
class TestPolicyGraph:
    def test_toy_by_hand(self, toy):
        G = policy_graph(toy)
        third = 1 / 3
        assert set(G.successors((1, 0, 0))) == {(2, 0, 0), (2, 1, 0), (2, 1, 1), (2, 1, 2)}
        assert G.edges[(1, 0, 0), (2, 0, 0)] == {"probability": 0.0, "success": False}
        for x in range(3):
            e = G.edges[(1, 0, 0), (2, 1, x)]
            assert e["success"] and e["probability"] == float(Fraction(1, 3))
            # period 2 adds nothing: ready iff d <= x, F(x) = (x + 1) / 3
            for v in range(2):
                assert G.edges[(2, v, x), (3, v + 1)]["probability"] == float(Fraction(x + 1, 3))
                assert G.edges[(2, v, x), (3, v)]["probability"] == float(Fraction(2 - x, 3))
            assert G.nodes[(2, 1, x)]["reach"] == pytest.approx(third, abs=1e-15)
            assert G.nodes[(2, 0, x)]["reach"] == 0.0
            assert G.nodes[(2, 1, x)]["stock_on_hand"] == x and G.nodes[(2, 1, x)]["stock"] == x
        assert G.nodes[(1, 0, 0)] == {
            "stage": 1, "ready_count": 0, "stock_on_hand": 0, "stock": 2, "success": 1.0,
            "kind": "transient", "role": "trying", "decided": "open", "reach": 1.0,
            "visits": 1.0}
        assert [G.nodes[(3, v)]["reach"] for v in range(3)] == [0.0, float(Fraction(1, 3)),
                                                                 float(Fraction(2, 3))]
        assert G.number_of_nodes() == 7 + 3
        assert G.number_of_edges() == 4 + 6 * 2
        assert G.graph["start_state"] == "1,0,0" and G.graph["leftover"] == "carry"
        assert G.graph["max_stock"] == 2 and G.graph["initial_stock"] == 0

    @pytest.mark.parametrize("which", ["toy", "tiny3"])
    def test_edges_are_the_dense_P(self, which, request):
        pol = request.getfixturevalue(which)
        chain = AbsorbingChain(pol)
        P = chain.dense_canonical()
        G = policy_graph(pol)
        t = chain.n_transient
        n = chain.n_states
        assert G.number_of_nodes() == n
        index = {key_of(chain, k): k for k in range(n)}
        assert set(index) == set(G.nodes)
        for a, b, d in G.edges(data=True):
            assert d["probability"] == float(P[index[a], index[b]])
            assert d["success"] == (b[1] == a[1] + 1)
        # every transition with positive probability is an edge
        rows, cols = np.nonzero(np.asarray(P[:t] != 0, dtype=bool))
        for r, c in zip(rows.tolist(), cols.tolist()):
            assert G.has_edge(key_of(chain, r), key_of(chain, c))
        # absorbing states have no out-edges
        assert all(G.out_degree((chain.T + 1, v)) == 0 for v in range(chain.T + 1))

    def test_tiny3_exact_values(self, tiny3):
        assert tiny3.to_lists() == [[[2]], [[2, 2, 2], [2, 2, 2]], [[0, 1, 2], [2, 2, 2],
                                                                    [2, 2, 2]]]
        G = policy_graph(tiny3)
        chain = AbsorbingChain(tiny3)
        B = chain.absorption()
        assert [G.nodes[(4, v)]["reach"] for v in range(4)] == [float(q) for q in B]
        N = chain.visits((1, 0))
        for k, s in enumerate(states_of(tiny3)):
            assert G.nodes[s]["reach"] == float(N[k]) == G.nodes[s]["visits"]
        # (2, 1, x') after a ready first period: P(d = 2 - x') = 1/3 each
        assert [G.edges[(1, 0, 0), (2, 1, x)]["probability"] for x in range(3)] == [1 / 3] * 3

    def test_out_probabilities_sum_to_one(self, study10):
        G = policy_graph(study10)
        for n, d in G.nodes(data=True):
            if d["kind"] == "transient":
                total = math.fsum(e["probability"] for *_, e in G.out_edges(n, data=True))
                assert abs(total - 1) <= 1e-12
                assert G.out_degree(n) == (d["stock"] + 2 if d["stage"] < 10 else 2)

    def test_reach_equals_chain_rows(self, study10):
        G = policy_graph(study10, start=(3, 1, 4))
        chain = AbsorbingChain(study10)
        N = chain.visits((3, 1, 4))
        B = chain.absorption((3, 1, 4))
        for k, s in enumerate(states_of(study10)):
            assert G.nodes[s]["reach"] == N[k]
        assert [G.nodes[(11, v)]["reach"] for v in range(11)] == B.tolist()
        assert G.graph["start_state"] == "3,1,4"

    def test_initial_stock(self):
        prob = Problem(Contract(2, 0.5, 1, penalty=10), DiscreteUniform(0, 2), 1,
                       leftover="carry", initial_stock=2)
        pol = Policy(prob, [[[2]], [[0, 1, 2], [0, 1, 2]]])
        G = policy_graph(pol)
        assert (1, 0, 2) in G and (1, 0, 0) not in G
        # holds 2 and adds none: F(2) = 1, holding stock is trying (docs/model.md section 12)
        assert (G.nodes[(1, 0, 2)]["role"], G.nodes[(1, 0, 2)]["decided"]) == ("trying", "open")
        assert G.graph["start_state"] == "1,0,2" and G.graph["initial_stock"] == 2

    @pytest.mark.parametrize("start", [(2, 1), (3, 0), (2, 1, 9), (2, 2, 0), "ab", None])
    def test_rejects_bad_start(self, toy, start):
        with pytest.raises(SlamarkovError, match="start"):
            policy_graph(toy, start=start)

    @given(carry_policies())
    @settings(max_examples=40, deadline=None)
    def test_invariants_random(self, pol):
        G = policy_graph(pol)
        chain = AbsorbingChain(pol)
        P = chain.dense_canonical()
        n = chain.n_states
        index = {key_of(chain, k): k for k in range(n)}
        assert set(G.nodes) == set(index)
        for node, d in G.nodes(data=True):
            if d["kind"] != "transient":
                continue
            out = G.out_edges(node, data=True)
            # exactly: the out-probabilities are the row of P, which sums to 1
            assert sum(P[index[node], index[b]] for _, b, _ in out) == 1
            assert math.fsum(e["probability"] for *_, e in out) == pytest.approx(1, abs=1e-12)
        for a, b, e in G.edges(data=True):
            assert e["probability"] == float(P[index[a], index[b]])


# -- roles ----------------------------------------------------------------------------------------
class TestStateRoles:
    def test_toy_by_hand(self, toy):
        r = state_roles(toy)
        assert list(r) == ["stage", "ready_count", "stock_on_hand", "stock", "role", "decided"]
        # (2, 0, x) adds nothing: with x = 0, F(0) = 1/3 < 1/2 and P(penalty) = 2/3 (give-up);
        # holding x = 1 or 2 keeps F(x) >= 1/2: trying; no bonus, so v = 1 is decided, neutral
        assert r["role"].tolist() == ["trying", "give-up"] + ["trying"] * 5
        assert r["decided"].tolist() == ["open"] * 4 + ["neutral-decided"] * 3
        assert give_up_states(toy) == [(2, 0, 0)]
        assert coasting_states(toy) == []

    def test_tiny3_against_enumeration(self, tiny3):
        assert _roles(tiny3) == classify_carry_by_hand(tiny3)
        assert give_up_states(tiny3, "penalty-certain") == [(3, 0, 0)]

    @given(carry_policies())
    @settings(max_examples=25, deadline=None)
    def test_random_against_enumeration(self, pol):
        if pol.problem.demand.discrete and np.isfinite(pol.problem.demand.upper):
            assert _roles(pol) == classify_carry_by_hand(pol)

    def test_study_agrees_with_the_chain_sets(self, study10):
        """Where the outcome is certain the chance of it is 1: the roles follow F(y) alone."""
        chain = AbsorbingChain(study10)
        c = study10.problem.contract
        F = np.asarray(study10.success())
        r = state_roles(study10)
        certain, secured = chain.penalty_certain(), chain.bonus_secured()
        assert np.array_equal(r["role"][certain] == "give-up",
                              F[certain] < float(c.penalty_threshold))
        assert np.array_equal(r["role"][secured] == "coasting",
                              F[secured] < float(c.bonus_threshold))
        assert coasting_states(study10, "bonus-secured") == [(10, 9, x) for x in range(16)
                                                             if F[chain.index(10, 9, x)] < 0.9]
        assert len(give_up_states(study10, "penalty-certain")) > 0


def _roles(pol):
    r = state_roles(pol)
    return {(i, v, x): (role, d) for i, v, x, role, d in zip(
        r["stage"].tolist(), r["ready_count"].tolist(), r["stock_on_hand"].tolist(),
        r["role"].tolist(), r["decided"].tolist()) if role != "trying"}


def classify_carry_by_hand(pol):
    """{(i, v, x): (role, decided)} of the give-up and coasting states, from every demand path
    (docs/model.md section 12), by loops; exact for an exact policy."""
    c, d = pol.problem.contract, pol.problem.demand
    T = c.review_period
    pmf = {k: (Fraction(1, d.high - d.low + 1) if pol.exact else 1 / (d.high - d.low + 1))
           for k in range(d.low, d.high + 1)}

    def outcome(n):
        if n < c.penalty_count and c.penalty > 0:
            return -1
        return 1 if (n >= c.bonus_count and c.bonus > 0) else 0

    def final(i, v, x):
        if i > T:
            return {v: 1}
        y, out = pol.stock_at(i, v, x), {}
        for dem, p in pmf.items():
            ready = dem <= y
            for n, q in final(i + 1, v + ready, y - dem if ready else 0).items():
                out[n] = out.get(n, 0) + p * q
        return out

    names = {-1: "penalty-certain", 0: "neutral-decided", 1: "bonus-secured"}
    out = {}
    for i, v, x in states_of(pol):
        y = pol.stock_at(i, v, x)
        F = sum(p for dem, p in pmf.items() if dem <= y)
        dist = final(i, v, x)
        pen = sum(q for n, q in dist.items() if outcome(n) == -1)
        bon = sum(q for n, q in dist.items() if outcome(n) == 1)
        ends = {outcome(n) for n in range(v, min(v + T - i + 1, T) + 1)}
        decided = names[ends.pop()] if len(ends) == 1 else "open"
        if F < c.penalty_threshold and pen > Fraction(1, 2):
            out[(i, v, x)] = ("give-up", decided)
        elif F < c.bonus_threshold and bon > Fraction(1, 2):
            out[(i, v, x)] = ("coasting", decided)
    return out


# -- reachability ---------------------------------------------------------------------------------
class TestReachable:
    def test_toy(self, toy):
        assert reachable(toy).astype(int).tolist() == [1, 0, 0, 0, 1, 1, 1, 0, 1, 1]
        assert unreachable_states(toy) == [(2, 0, 0), (2, 0, 1), (2, 0, 2), (3, 0)]

    @pytest.mark.parametrize("start", [(1, 0), (1, 0, 0), (2, 1, 1), (3, 2, 0)])
    def test_equals_positive_rows_exact(self, tiny3, start):
        chain = AbsorbingChain(tiny3)
        want = np.concatenate((np.asarray(chain.visits(start) != 0, dtype=bool),
                               np.asarray(chain.absorption(start) != 0, dtype=bool)))
        assert np.array_equal(reachable(tiny3, start), want)

    @given(carry_policies())
    @settings(max_examples=40, deadline=None)
    def test_equals_positive_rows_random(self, pol):
        chain = AbsorbingChain(pol)
        want = np.concatenate((np.asarray(chain.visits((1, 0)) != 0, dtype=bool),
                               np.asarray(chain.absorption((1, 0)) != 0, dtype=bool)))
        got = reachable(pol)
        assert np.array_equal(got, want)
        G = policy_graph(pol)
        unreachable = set(unreachable_states(pol))
        assert unreachable == {n for n, d in G.nodes(data=True) if d["reach"] == 0}

    def test_underflow_is_still_reachable(self):
        prob = Problem(Contract(200, 0.5, 1, penalty=10), Poisson(30), 1, leftover="carry")
        pol = Policy.base_stock(prob, 2, max_stock=3)
        mask = reachable(pol)
        k = pol.space.index(200, 199, 0)
        assert mask[k]  # every period ready: P(d <= 2)^199, far below the smallest float
        assert AbsorbingChain(pol).visits()[k] == 0.0


# -- decision boundary, paths, flow -------------------------------------------------------------
class TestDecisionBoundary:
    def test_toy(self):
        pol = Policy(toy_problem(), [[[1]], [[1, 1, 2], [0, 1, 2]]])
        assert decision_boundary(pol) == {1: [], 2: [(1, 0, 1, 0)]}
        assert decision_boundary(pol, stock_on_hand=0) == {1: [], 2: [(1, 1, 0)]}
        assert decision_boundary(pol, stock_on_hand=1) == {1: [], 2: []}

    def test_matches_the_table(self, study10):
        got = decision_boundary(study10)
        for i in range(1, 11):
            Y = study10.layer(i)
            levels = study10.space.stock_levels(i)
            want = [(v, int(levels[c]), int(Y[v - 1, c]), int(Y[v, c]))
                    for v in range(1, i) for c in range(Y.shape[1]) if Y[v, c] != Y[v - 1, c]]
            assert got[i] == want
            for x in (0, 7):
                assert decision_boundary(study10, stock_on_hand=x)[i] == [
                    (v, a, z) for v, xx, a, z in want if xx == x]
        assert any(got.values())

    @pytest.mark.parametrize("bad", [-1, 16, 1.5, True, "0"])
    def test_bad_slice(self, study10, bad):
        with pytest.raises(SlamarkovError, match="stock_on_hand: must be an integer in 0..15"):
            decision_boundary(study10, stock_on_hand=bad)


def brute_paths(pol, start):
    """The best path into each band by enumerating every path of the graph."""
    G = policy_graph(pol, start=start)
    T = pol.review_period
    c = pol.problem.contract
    best = {}
    for v in range(T + 1):
        for path in nx.all_simple_paths(G, start, (T + 1, v)):
            p = math.prod(G.edges[a, b]["probability"] for a, b in zip(path, path[1:]))
            band = BANDS[int(c.band(np.array([v]))[0]) + 1]
            if p > 0 and (band not in best or p > best[band][0]):
                best[band] = (p, path)
    return best


class TestMostProbablePaths:
    def test_toy(self, toy):
        best = most_probable_paths(toy)
        assert best["penalty"] is None  # (3, 0) is unreachable
        assert best["neutral"].path == [(1, 0, 0), (2, 1, 0), (3, 1)]
        assert best["neutral"].probability == pytest.approx(2 / 9, rel=1e-15)
        assert best["bonus"].path == [(1, 0, 0), (2, 1, 2), (3, 2)]
        assert best["bonus"].final_count == 2

    @pytest.mark.parametrize("start", [(1, 0, 0), (2, 0, 0), (2, 1, 2)])
    def test_matches_brute_force(self, tiny3, start):
        got = most_probable_paths(tiny3, start)
        want = brute_paths(tiny3, start)
        for band in BANDS:
            if band not in want:
                assert got[band] is None
                continue
            p, _ = want[band]
            assert got[band].probability == pytest.approx(p, rel=1e-12)
            path = got[band].path
            assert path[0] == start and path[-1][0] == 4
            q = math.prod(policy_graph(tiny3, start=start).edges[a, b]["probability"]
                          for a, b in zip(path, path[1:]))
            assert q == pytest.approx(p, rel=1e-12)

    @given(carry_policies())
    @settings(max_examples=25, deadline=None)
    def test_matches_brute_force_random(self, pol):
        start = (1, 0, int(pol.space.initial_stock))
        got = most_probable_paths(pol, start)
        want = brute_paths(pol, start)
        for band in BANDS:
            if band not in want:
                assert got[band] is None
            else:
                assert got[band].probability == pytest.approx(want[band][0], rel=1e-12)


class TestBandFlow:
    def test_toy(self, toy):
        f = band_flow(toy)
        assert f["stage"].tolist() == [1, 2, 3]
        assert f["committed"]["penalty"].tolist() == [0.0, 0.0, 0.0]
        assert f["committed"]["neutral"][-1] == pytest.approx(1 / 3, abs=1e-15)
        assert f["committed"]["bonus"][-1] == pytest.approx(2 / 3, abs=1e-15)

    def test_final_equals_band_probabilities(self, study10):
        f = band_flow(study10, start=(2, 1, 3))
        probs = AbsorbingChain(study10).band_probabilities((2, 1, 3))
        for band in BANDS:
            assert f["committed"][band][-1] == pytest.approx(float(probs[band]), abs=1e-12)
            assert np.all(np.diff(f["committed"][band]) >= -1e-15)


# -- inspection ---------------------------------------------------------------------------------
class TestInspectPolicy:
    def test_toy_text_and_dict(self, toy):
        rep = inspect_policy(toy)
        assert rep.start == (1, 0, 0)
        text = rep.to_text().splitlines()
        assert text[0] == ("Inspection of the user policy, T = 2, from state (1, 0, 0) (stage, "
                           "ready count, stock on hand)")
        assert "  stage 2: v 0 (x 0-2); 3: v 0" in text
        assert "  open (1): stage 2: v 0 (x 0)" in text
        assert text[text.index("Decision boundary (ready counts v where y_i(v, x) != "
                               "y_i(v-1, x), for each stock on hand x):") + 1].startswith("  none")
        doc = rep.to_dict()
        assert doc["start"] == [1, 0, 0]
        assert doc["unreachable"] == [[2, 0, 0], [2, 0, 1], [2, 0, 2], [3, 0]]
        assert doc["paths"]["bonus"]["path"] == [[1, 0, 0], [2, 1, 2], [3, 2]]

    def test_study_boundary_text(self, study10):
        text = inspect_policy(study10).to_text()
        b = decision_boundary(study10)[10]
        v, x, a, z = b[0]
        assert f"  stage 10: v={v} at x " in text and f"(x={x}: {a}->{z})" in text
        assert "Give-up states (ready chance below the penalty threshold" in text
        assert "Withholding states (ready chance below the static supplier's, S* = " in text


# -- export ---------------------------------------------------------------------------------------
class TestExport:
    @pytest.mark.parametrize("fmt", GRAPH_FORMATS)
    def test_round_trip(self, tmp_path, tiny3, fmt):
        G = policy_graph(tiny3)
        path = tmp_path / f"chain.{fmt}"
        assert write_graph(G, path) == fmt
        H = read_graph(path)
        assert dict(H.nodes(data=True)) == dict(G.nodes(data=True))
        assert nx.utils.edges_equal(H.edges(data=True), G.edges(data=True))
        if fmt != "gexf":  # GEXF keeps only the graph's name
            assert H.graph == G.graph
        assert any(len(n) == 3 for n in H) and any(len(n) == 2 for n in H)

    def test_ids_in_files(self, tiny3):
        G = policy_graph(tiny3)
        for fmt in GRAPH_FORMATS:
            text = graph_to_string(G, fmt)
            assert '"1,0,0"' in text and '"4,3"' in text
            assert graph_from_string(text, fmt).has_edge((1, 0, 0), (2, 1, 2))

    def test_node_ids(self):
        assert node_id((3, 2, 4)) == "3,2,4" and parse_node_id(" 3, 2 ,4 ") == (3, 2, 4)
        assert parse_node_id("3,2") == (3, 2)
        for bad in ("3,2,4,1,0", "3,-2,1", "3,2,", "a,b,c"):  # 4 parts: i,D,F,x
            with pytest.raises(GraphFormatError, match="expected 'i,v' or 'i,v,x'"):
                parse_node_id(bad)


# -- drawings -------------------------------------------------------------------------------------
class TestDrawings:
    def test_chain_slice(self, tmp_path, study10):
        pytest.importorskip("matplotlib")
        from slamarkov.plot.policy import draw_chain

        fig = draw_chain(study10, tmp_path / "c.png", stock_on_hand=3)
        ax = fig.axes[0]
        assert ax.get_title().splitlines()[0] == (
            "Dynamic policy, T = 10: the absorbing chain at stock on hand x = 3 (period 1: x = 0)")
        assert fig.axes[1].get_ylabel() == "order-up-to level y_i(v, 3)"
        nodes = ax.collections[1]  # after the edges
        colours = np.asarray(nodes.get_array(), dtype=float)
        want = [float(study10.stock_at(1, 0, 0))] + [
            float(study10.stock_at(i, v, 3)) for i in range(2, 11) for v in range(i)]
        assert colours.tolist() == want
        assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"

    def test_heatmap_slice(self, study10):
        pytest.importorskip("matplotlib")
        from slamarkov.plot.policy import draw_policy_heatmap

        fig = draw_policy_heatmap(study10, stock_on_hand=5)
        ax = fig.axes[0]
        assert ax.get_title().splitlines()[0] == (
            "Dynamic policy, T = 10: order-up-to table y_i(v, x) at stock on hand x = 5 "
            "(period 1: x = 0)")
        grid = ax.images[0].get_array()
        for i in range(1, 11):
            for v in range(10):
                if v >= i:
                    assert grid.mask[v, i - 1]
                else:
                    x = 0 if i == 1 else 5
                    assert grid[v, i - 1] == study10.stock_at(i, v, x)

    def test_default_slice_is_zero(self, study10):
        pytest.importorskip("matplotlib")
        from slamarkov.plot.policy import draw_policy_heatmap

        title = draw_policy_heatmap(study10).axes[0].get_title().splitlines()[0]
        assert title.endswith("y_i(v, x) at stock on hand x = 0")

    def test_bad_slice(self, study10):
        pytest.importorskip("matplotlib")
        from slamarkov.plot.policy import draw_chain, draw_policy_heatmap

        for draw in (draw_chain, draw_policy_heatmap):
            with pytest.raises(SlamarkovError, match="stock_on_hand: must be an integer"):
                draw(study10, stock_on_hand=16)
        study = solve_dynamic(Problem(Contract.study(4), Poisson(5), 0.5), max_stock=20).policy
        with pytest.raises(SlamarkovError, match="stock_on_hand: stock does not carry over"):
            draw_chain(study, stock_on_hand=1)


# -- the command line, as a user types it -------------------------------------------------------
CARRY_TOML = """\
[contract]
review_period = 6
penalty_threshold = 0.8
bonus_threshold = 0.9
penalty = 50
bonus = 30

[costs]
holding = 0.5
purchase = 1
salvage = 0.5

[inventory]
leftover = "carry"
initial_stock = 2

[demand]
kind = "poisson"
mean = 5

[solver]
max_stock = 15
"""


@pytest.fixture()
def carry_file(tmp_path):
    path = tmp_path / "carry.toml"
    path.write_text(CARRY_TOML, encoding="utf-8")
    return str(path)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


class TestCommandLine:
    @pytest.mark.parametrize("fmt", GRAPH_FORMATS)
    def test_graph_file(self, capsys, tmp_path, carry_file, fmt):
        out_path = tmp_path / f"chain.{fmt}"
        if fmt == "dot":  # pydot's parser reads a T = 6 chain in 10 s: the same file at T = 3
            small = tmp_path / "carry3.toml"
            small.write_text(CARRY_TOML.replace("review_period = 6", "review_period = 3"))
            carry_file = str(small)
        code, out, err = run(capsys, "graph", carry_file, "--out", str(out_path))
        assert code == 0 and err == ""
        cfg = load_config(carry_file)
        G = policy_graph(solve_dynamic(cfg.problem, **cfg.solver_options()).policy)
        H = read_graph(out_path)
        assert dict(H.nodes(data=True)) == dict(G.nodes(data=True))
        assert nx.utils.edges_equal(H.edges(data=True), G.edges(data=True))
        assert (1, 0, 2) in H and G.graph["start_state"] == "1,0,2"

    def test_graph_stdout_static(self, capsys, carry_file):
        code, out, _ = run(capsys, "graph", carry_file, "--policy", "static", "--format", "json")
        assert code == 0
        H = graph_from_string(out, "json")
        cfg = load_config(carry_file)
        pol = solve_static(cfg.problem, **cfg.solver_options()).policy
        assert H.graph["policy"] == "static" and set(H) == set(policy_graph(pol))

    def test_inspect_text(self, capsys, carry_file):
        code, out, err = run(capsys, "graph", carry_file, "--inspect")
        assert code == 0 and err == ""
        lines = out.splitlines()
        assert lines[0] == ("Inspection of the dynamic policy, T = 6, from state (1, 0, 2) "
                            "(stage, ready count, stock on hand)")
        assert any(x.startswith("Give-up states (ready chance below the penalty threshold")
                   for x in lines)

    def test_inspect_json_with_override(self, capsys):
        import importlib.resources
        import json

        example = str(importlib.resources.files("slamarkov") / "data" / "example.toml")
        code, out, _ = run(capsys, "graph", example, "--leftover", "carry", "--max-stock", "15",
                           "--review-period", "5", "--inspect", "--json")
        assert code == 0
        doc = json.loads(out)
        assert doc["start"] == [1, 0, 0] and doc["review_period"] == 5
        assert all(len(s) in (2, 3) for s in doc["unreachable"])

    @pytest.mark.parametrize("kind", ["chain", "policy"])
    def test_plot(self, capsys, tmp_path, carry_file, kind):
        pytest.importorskip("matplotlib")
        png = tmp_path / f"{kind}.png"
        code, out, err = run(capsys, "plot", carry_file, "--kind", kind, "--stock-on-hand", "4",
                             "--out", str(png))
        assert (code, err) == (0, "")
        assert png.read_bytes()[:4] == b"\x89PNG"

    def test_plot_bad_slice(self, capsys, tmp_path, carry_file):
        pytest.importorskip("matplotlib")
        png = tmp_path / "c.png"
        code, out, err = run(capsys, "plot", carry_file, "--kind", "chain", "--stock-on-hand",
                             "16", "--out", str(png))
        assert code == 2 and not png.exists()
        assert err.strip() == ("slamarkov plot: error: stock_on_hand: must be an integer in "
                               "0..15 (the stock range), got 16")
