"""Tests of slamarkov.analysis.graph (the policy's chain as a networkx graph) and slamarkov.plot.policy."""

from __future__ import annotations

import itertools
import json
import math
import sys
from fractions import Fraction

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slamarkov import (
    ChainError,
    ContinuousUniform,
    Contract,
    DiscreteUniform,
    Poisson,
    Policy,
    Problem,
    SlamarkovError,
    solve_dynamic,
    solve_static,
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
from slamarkov.errors import GraphDependencyError
from slamarkov.io.graphs import (
    GRAPH_FORMATS,
    GraphFormatError,
    graph_from_string,
    graph_to_string,
    parse_node_id,
    read_graph,
    write_graph,
)


# -- fixtures -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def study10():
    """The source study's lump-sum contract at T = 10, Poisson(5), h = 0.5 (dynamic policy)."""
    return solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40).policy


@pytest.fixture(scope="module")
def rich10():
    """A lump-sum contract at T = 10 whose dynamic policy shows every give-up and coasting
    reason: alpha_L = 0.5, alpha_U = 0.9, L- = 20, L+ = 10, h = 2, Poisson(5)."""
    c = Contract(10, "0.5", "0.9", "lump-sum", penalty=20, bonus=10)
    return solve_dynamic(Problem(c, Poisson(5), 2)).policy


def tiny_exact():
    """T = 2, demand uniform on {0..3}: F(0) = 1/4, F(1) = 1/2, F(3) = 1."""
    prob = Problem(Contract(2, "0.5", "1", penalty=10, bonus=4), DiscreteUniform(0, 3), 1)
    return Policy(prob, [[1], [0, 3]], exact=True)


def small_problems():
    """Random small problems with their dynamic policy."""
    return st.builds(
        _solved,
        T=st.integers(1, 7),
        aL=st.fractions(0, 1, max_denominator=10),
        gap=st.fractions(0, 1, max_denominator=10),
        scheme=st.sampled_from(["lump-sum", "linear"]),
        penalty=st.integers(0, 60),
        bonus=st.integers(0, 40),
        h=st.sampled_from(["0.5", "1", "2", "5"]),
        mean=st.sampled_from([1, 3, 5]),
    )


def _solved(T, aL, gap, scheme, penalty, bonus, h, mean):
    aU = min(aL + gap, Fraction(1))
    c = Contract(T, aL, aU, scheme, penalty=penalty, bonus=bonus)
    return solve_dynamic(Problem(c, Poisson(mean), h)).policy


# -- an independent classifier, written from the definitions (docs/model.md section 12) ----------
def classify_by_hand(policy):
    """{(i, v): (role, decided)} for the give-up and coasting states: every sequence of ready
    and short periods from each state enumerated, by loops over the stock table."""
    c = policy.problem.contract
    T = c.review_period
    lo_need = T * c.penalty_threshold  # penalty iff final count < T alpha_L
    hi_need = T * c.bonus_threshold  # bonus iff final count >= T alpha_U

    def outcome(f):
        return -1 if (f < lo_need and c.penalty > 0) else (1 if (f >= hi_need and c.bonus > 0)
                                                          else 0)

    def chances(i, v):
        pen = bon = 0.0
        for seq in itertools.product((0, 1), repeat=T - i + 1):
            p, w = 1.0, v
            for k, ready in enumerate(seq):
                q = float(policy.stage_success(i + k)[w])
                p *= q if ready else 1 - q
                w += ready
            pen += p * (outcome(w) == -1)
            bon += p * (outcome(w) == 1)
        return pen, bon

    names = {-1: "penalty-certain", 0: "neutral-decided", 1: "bonus-secured"}
    out = {}
    for i in range(1, T + 1):
        for v in range(i):
            F = float(policy.stage_success(i)[v])
            pen, bon = chances(i, v)
            ends = {outcome(f) for f in range(v, v + (T - i + 1) + 1)}
            decided = names[ends.pop()] if len(ends) == 1 else "open"
            if F < c.penalty_threshold and pen > 0.5:
                out[(i, v)] = ("give-up", decided)
            elif F < c.bonus_threshold and bon > 0.5:
                out[(i, v)] = ("coasting", decided)
    return out


def roles_as_dict(policy):
    r = state_roles(policy)
    return {
        (i, v): (role, decided)
        for i, v, role, decided in zip(r["stage"].tolist(), r["ready_count"].tolist(),
                                       r["role"].tolist(), r["decided"].tolist())
        if role != "trying"
    }


class TestPolicyGraph:
    def test_exact_values_tiny(self):
        G = policy_graph(tiny_exact())
        assert set(G.nodes) == {(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)}
        assert G.nodes[(1, 0)] == {
            "stage": 1, "ready_count": 0, "stock": 1, "success": 0.5, "kind": "transient",
            "role": "trying", "decided": "open", "reach": 1.0, "visits": 1.0,
        }
        # (2, 0): F(0) = 1/4 < alpha_L = 1/2 and P(penalty) = 3/4: the supplier gives up while
        # the penalty (final count 0) can still be avoided
        assert G.nodes[(2, 0)]["stock"] == 0 and G.nodes[(2, 0)]["success"] == 0.25
        assert G.nodes[(2, 0)]["role"] == "give-up"
        assert G.nodes[(2, 0)]["decided"] == "open"
        assert G.nodes[(2, 1)]["reach"] == 0.5 and G.nodes[(2, 1)]["success"] == 1.0
        # absorption: v=0: 1/2 * 3/4, v=1: 1/2 * 1/4 + 1/2 * 0, v=2: 1/2 * 1
        assert [G.nodes[(3, v)]["reach"] for v in range(3)] == [0.375, 0.125, 0.5]
        assert [G.nodes[(3, v)]["band"] for v in range(3)] == ["penalty", "neutral", "bonus"]
        assert [G.nodes[(3, v)]["settlement"] for v in range(3)] == [10.0, 0.0, -4.0]
        assert "stock" not in G.nodes[(3, 0)] and "visits" not in G.nodes[(3, 0)]
        assert G.edges[(2, 1), (3, 1)] == {"probability": 0.0, "success": False}
        assert G.edges[(2, 1), (3, 2)] == {"probability": 1.0, "success": True}
        assert G.graph["review_period"] == 2 and G.graph["penalty_count"] == 1
        assert G.graph["bonus_count"] == 2 and G.graph["start_state"] == "1,0"

    @pytest.mark.parametrize("T", [1, 2, 5, 10, 23])
    def test_node_and_edge_counts(self, T):
        pol = solve_dynamic(Problem(Contract.study(T), Poisson(5), 1)).policy
        G = policy_graph(pol)
        assert G.number_of_nodes() == T * (T + 1) // 2 + T + 1
        assert G.number_of_edges() == T * (T + 1)
        kinds = nx.get_node_attributes(G, "kind")
        assert sum(k == "absorbing" for k in kinds.values()) == T + 1

    def test_study_values(self, study10):
        G = policy_graph(study10)
        assert G.nodes[(10, 9)]["stock"] == 0 and G.nodes[(10, 9)]["role"] == "coasting"
        assert G.nodes[(4, 0)]["decided"] == "penalty-certain"
        assert G.nodes[(4, 0)]["role"] == "give-up"
        assert G.nodes[(11, 9)]["band"] == "bonus"
        assert G.nodes[(11, 9)]["reach"] == pytest.approx(0.959888256, abs=1e-9)
        assert G.graph["policy"] == "dynamic" and G.graph["scheme"] == "lump-sum"

    def test_out_probabilities_sum_to_one(self, study10):
        G = policy_graph(study10)
        for n, d in G.nodes(data=True):
            out = [e["probability"] for *_, e in G.out_edges(n, data=True)]
            if d["kind"] == "transient":
                assert len(out) == 2 and math.fsum(out) == pytest.approx(1.0, abs=1e-15)
            else:
                assert out == []

    def test_reach_equals_chain_rows(self, study10):
        G = policy_graph(study10)
        chain = AbsorbingChain(study10)
        N, B = chain.matrices(dense=True)
        T = study10.review_period
        absorbing = [G.nodes[(T + 1, v)]["reach"] for v in range(T + 1)]
        np.testing.assert_allclose(absorbing, B[0], rtol=0, atol=1e-15)
        np.testing.assert_allclose(absorbing, chain.absorption(), rtol=0, atol=0)
        states = chain.states()
        transient = [G.nodes[(i, v)]["reach"] for i, v in
                     zip(states["stage"][:chain.n_transient].tolist(),
                         states["ready_count"][:chain.n_transient].tolist())]
        np.testing.assert_allclose(transient, N[0], rtol=0, atol=1e-15)

    def test_attributes_match_policy_and_contract(self, rich10):
        G = policy_graph(rich10)
        c = rich10.problem.contract
        for (i, v), d in G.nodes(data=True):
            assert (d["stage"], d["ready_count"]) == (i, v)
            if d["kind"] == "transient":
                assert d["stock"] == rich10.stock_at(i, v)
                assert d["success"] == rich10.problem.demand.cdf(d["stock"])
                assert d["visits"] == d["reach"]
            else:
                assert d["band"] == {-1: "penalty", 0: "neutral", 1: "bonus"}[int(c.band(v))]
        for a, b, e in G.edges(data=True):
            assert b[0] == a[0] + 1 and b[1] - a[1] == int(e["success"])

    def test_start_state(self, study10):
        G = policy_graph(study10, start=(6, 4))
        assert G.nodes[(6, 4)]["reach"] == 1.0 and G.nodes[(5, 4)]["reach"] == 0.0
        assert G.nodes[(6, 3)]["reach"] == 0.0
        B = AbsorbingChain(study10).absorption((6, 4))
        assert [G.nodes[(11, v)]["reach"] for v in range(11)] == B.tolist()

    def test_continuous_demand_stock_is_float(self):
        prob = Problem(Contract(3, "0.5", "1", penalty=10), ContinuousUniform(0, 10), 1)
        G = policy_graph(solve_dynamic(prob).policy)
        stocks = [d["stock"] for _, d in G.nodes(data=True) if d["kind"] == "transient"]
        assert all(isinstance(s, float) for s in stocks) and max(stocks) > 0

    def test_accepts_a_chain(self, study10):
        assert nx.utils.graphs_equal(policy_graph(AbsorbingChain(study10)), policy_graph(study10))

    @pytest.mark.parametrize("bad", ["policy", None, 3])
    def test_rejects_non_policy(self, bad):
        with pytest.raises(SlamarkovError, match="policy: must be"):
            policy_graph(bad)

    @pytest.mark.parametrize("start", [(0, 0), (3, 3), (11, 0), "x", (1,)])
    def test_rejects_bad_start(self, study10, start):
        with pytest.raises(SlamarkovError, match="start:"):
            policy_graph(study10, start=start)

    @settings(max_examples=25, deadline=None)
    @given(small_problems())
    def test_invariants_random(self, policy):
        G = policy_graph(policy)
        T = policy.review_period
        assert G.number_of_nodes() == T * (T + 1) // 2 + T + 1
        assert nx.is_directed_acyclic_graph(G)
        for n, d in G.nodes(data=True):
            if d["kind"] == "transient":
                assert math.fsum(e["probability"] for *_, e in G.out_edges(n, data=True)) == \
                    pytest.approx(1.0, abs=1e-12)
        # probability is conserved stage by stage
        for i in range(1, T + 2):
            assert math.fsum(G.nodes[(i, v)]["reach"] for v in range(i)) == \
                pytest.approx(1.0, abs=1e-12)


# -- roles: give-up and coasting ------------------------------------------------------------------ 
class TestStateRoles:
    def test_study_give_up_and_coasting_exact(self, study10):
        expected_give_up = [(i, v) for i in range(4, 11) for v in range(0, i - 3)]
        assert give_up_states(study10) == expected_give_up
        assert give_up_states(study10, "penalty-certain") == expected_give_up
        # coasting: F(y) below 0.9 while the bonus is likely, on the path to it too
        assert coasting_states(study10) == [(7, 6), (8, 7), (9, 8), (10, 9)]
        assert coasting_states(study10, "bonus-secured") == [(10, 9)]

    def test_study_against_the_hand_classifier(self, study10):
        assert roles_as_dict(study10) == classify_by_hand(study10)

    def test_rich_contract(self, rich10):
        # (6, 0): five more periods, three ready ones needed: the supplier stops while the
        # penalty can still (barely) be avoided, and is counted from there
        assert (6, 0) in give_up_states(rich10, "open")
        p = AbsorbingChain(rich10).band_probabilities(start=(6, 0))
        assert 0 < 1 - p["penalty"] < 0.05
        assert roles_as_dict(rich10) == classify_by_hand(rich10)

    def test_no_amounts_no_roles(self):
        c = Contract(6, "0.5", "1", "lump-sum", penalty=0, bonus=0)
        pol = Policy.constant(Problem(c, Poisson(5), 1), 0)
        assert give_up_states(pol) == [] and coasting_states(pol) == []
        assert set(state_roles(pol)["decided"].tolist()) == {"neutral-decided"}

    def test_holding_stock_is_trying(self):
        # a high stock whatever v: never give-up, never coasting (F(y) >= alpha_U)
        pol = Policy.constant(Problem(Contract.study(6), Poisson(5), 1), 12)
        assert set(state_roles(pol)["role"].tolist()) == {"trying"}

    def test_bad_decided(self, study10):
        with pytest.raises(SlamarkovError, match="decided: must be one of"):
            give_up_states(study10, "penalty-avoidable")

    @settings(max_examples=40, deadline=None)
    @given(small_problems())
    def test_matches_hand_classifier_random(self, policy):
        assert roles_as_dict(policy) == classify_by_hand(policy)


# -- reachability ---------------------------------------------------------------------------------
class TestReachable:
    def test_exact_support(self):
        prob = Problem(Contract(2, 0.5, 1, penalty=10), DiscreteUniform(1, 3), 1)
        pol = Policy(prob, [[0], [3, 3]])  # F(0) = 0, F(3) = 1
        assert reachable(pol).tolist() == [True, True, False, False, True, False]
        assert unreachable_states(pol) == [(2, 1), (3, 0), (3, 2)]

    def test_poisson_reaches_everything(self, study10):
        assert unreachable_states(study10) == []

    def test_underflow_is_still_reachable(self):
        # F(0) = e^-50 per period: (21, 20) has probability 1e-434, 0.0 in float64
        pol = Policy.constant(Problem(Contract(20, 0.5, 1, penalty=1), Poisson(50), 1), 0)
        assert AbsorbingChain(pol).absorption()[20] == 0.0
        assert unreachable_states(pol) == []

    def test_start_state(self, study10):
        un = set(unreachable_states(study10, start=(9, 8)))
        assert (9, 7) in un and (10, 7) in un and (1, 0) in un
        assert (10, 8) not in un and (11, 10) not in un

    def test_zero_reach_in_graph_iff_unreachable(self):
        prob = Problem(Contract(4, 0.5, 1, penalty=10), DiscreteUniform(1, 3), 1)
        pol = Policy(prob, [[0], [3, 3], [0, 3, 3], [3, 0, 0, 3]], exact=True)
        G = policy_graph(pol)
        zero = {n for n, d in G.nodes(data=True) if d["reach"] == 0}
        assert zero == set(unreachable_states(pol))


# -- decision boundary ----------------------------------------------------------------------------
class TestDecisionBoundary:
    def test_study_exact(self, study10):
        b = decision_boundary(study10)
        assert b[1] == []
        assert b[2] == [(1, 10, 8)]
        assert b[4] == [(1, 0, 10), (3, 10, 8)]
        assert b[10] == [(7, 0, 10), (9, 10, 0)]
        assert sorted(b) == list(range(1, 11))

    def test_static_policy_has_none(self):
        sol = solve_static(Problem(Contract.study(8), Poisson(5), 1))
        assert all(x == [] for x in decision_boundary(sol.policy).values())

    @settings(max_examples=30, deadline=None)
    @given(small_problems())
    def test_rebuilds_the_table(self, policy):
        b = decision_boundary(policy)
        for i, row in enumerate(policy.to_lists(), start=1):
            rebuilt, changes = [], dict((v, (x, y)) for v, x, y in b[i])
            for v, s in enumerate(row):
                if v in changes:
                    assert changes[v][0] == rebuilt[-1]
                    rebuilt.append(changes[v][1])
                else:
                    rebuilt.append(rebuilt[-1] if rebuilt else row[0])
            assert rebuilt == row


# -- most probable paths --------------------------------------------------------------------------
def brute_force_paths(policy):
    """Best path probability into each band by enumerating all 2^T outcome sequences."""
    T = policy.review_period
    c = policy.problem.contract
    best = {}
    for outcome in itertools.product((0, 1), repeat=T):
        v, prob = 0, 1.0
        for i, x in enumerate(outcome, start=1):
            p = float(policy.stage_success(i)[v])
            prob *= p if x else 1 - p
            v += x
        band = ("penalty", "neutral", "bonus")[int(c.band(v)) + 1]
        if prob > 0 and prob > best.get(band, 0.0):
            best[band] = prob
    return best


class TestMostProbablePaths:
    def test_study_exact(self, study10):
        paths = most_probable_paths(study10)
        bonus = paths["bonus"]
        # ready in every period up to v = 9, then zero stock in period 10 (bonus secured)
        assert bonus.path == [(i, i - 1) for i in range(1, 11)] + [(11, 9)]
        F = Poisson(5).cdf
        expected = F(8) * F(8) ** 2 * F(8) * F(8) * F(8) * F(7) * F(7) * F(6) * (1 - F(0))
        assert bonus.probability == pytest.approx(expected, rel=1e-12)
        assert paths["penalty"].final_count == 6 and paths["neutral"].final_count == 8

    def test_empty_band_is_none(self):
        c = Contract(4, 0, "0.5", penalty=0, bonus=5)  # alpha_L = 0: no penalty band
        pol = solve_dynamic(Problem(c, Poisson(5), 1)).policy
        assert most_probable_paths(pol)["penalty"] is None

    def test_unreachable_band_is_none(self):
        prob = Problem(Contract(2, 0.5, 1, penalty=10), DiscreteUniform(1, 3), 1)
        pol = Policy(prob, [[3], [3, 3]])  # always ready: only the bonus is reachable
        paths = most_probable_paths(pol)
        assert paths["penalty"] is None and paths["neutral"] is None
        assert paths["bonus"].probability == 1.0 and paths["bonus"].log_probability == 0.0

    def test_long_path_log_probability(self):
        pol = Policy.constant(Problem(Contract(200, 0.5, 1, penalty=1), Poisson(50), 1), 0)
        bonus = most_probable_paths(pol)["bonus"]
        assert bonus.probability == 0.0  # underflow, but the logarithm is exact
        assert bonus.log_probability == pytest.approx(200 * -50.0, rel=1e-12)

    @settings(max_examples=30, deadline=None)
    @given(small_problems())
    def test_matches_brute_force(self, policy):
        paths = most_probable_paths(policy)
        brute = brute_force_paths(policy)
        for band, bp in paths.items():
            if band not in brute:
                assert bp is None
                continue
            assert bp.probability == pytest.approx(brute[band], rel=1e-9)
            prob = 1.0
            for (i, v), (j, w) in zip(bp.path, bp.path[1:]):
                assert j == i + 1 and w - v in (0, 1)
                p = float(policy.stage_success(i)[v])
                prob *= p if w > v else 1 - p
            assert prob == pytest.approx(bp.probability, rel=1e-9)
            assert bp.path[0] == (1, 0) and bp.path[-1][0] == policy.review_period + 1


# -- band flow ------------------------------------------------------------------------------------
class TestBandFlow:
    def test_study_exact(self, study10):
        f = band_flow(study10)
        assert f["stage"].tolist() == list(range(1, 12))
        # the bonus commits at stage 10 (v = 9 reached) or at the end
        assert f["committed"]["bonus"][:9].tolist() == [0.0] * 9
        reach = AbsorbingChain(study10).visits()
        assert f["flow"]["bonus"][9] == pytest.approx(reach[45 + 9], abs=1e-15)
        # the penalty commits first at stage 4, in state (4, 0)
        assert f["committed"]["penalty"][3] == pytest.approx(reach[6], abs=1e-15)
        assert f["committed"]["penalty"][2] == 0.0

    def test_final_equals_band_probabilities(self, rich10):
        f = band_flow(rich10)
        p = AbsorbingChain(rich10).band_probabilities()
        for band in ("penalty", "neutral", "bonus"):
            assert f["committed"][band][-1] == pytest.approx(p[band], abs=1e-14)
            assert f["flow"][band].sum() == pytest.approx(p[band], abs=1e-14)

    @settings(max_examples=30, deadline=None)
    @given(small_problems())
    def test_monotone_random(self, policy):
        f = band_flow(policy)
        total = sum(f["committed"][b] for b in ("penalty", "neutral", "bonus"))
        assert np.all(total <= 1 + 1e-12) and total[-1] == pytest.approx(1.0, abs=1e-12)
        for b in ("penalty", "neutral", "bonus"):
            assert np.all(f["flow"][b] >= -1e-12)


# -- the inspection report ------------------------------------------------------------------------
class TestInspectPolicy:
    def test_text(self, rich10):
        text = inspect_policy(rich10).to_text()
        assert "Give-up states (ready chance below the penalty threshold while the penalty is " \
            "likely)" in text
        assert "Withholding states (ready chance below the static supplier's, S* = " in text
        assert "stage 10: v=4 (0->7), v=5 (7->0), v=8 (0->6), v=9 (6->0)" in text
        assert "Unreachable states (probability 0): 0" in text

    def test_dict_is_json(self, study10):
        doc = inspect_policy(study10).to_dict()
        back = json.loads(json.dumps(doc, allow_nan=False))
        assert back["give_up"]["penalty-certain"][0] == [4, 0]
        assert back["coasting"] == {"open": [[7, 6], [8, 7], [9, 8]], "bonus-secured": [[10, 9]]}
        assert back["base_stock"] == 8 and back["adding"]["open"][0] == [2, 0]
        assert back["paths"]["bonus"]["path"][-1] == [11, 9]
        assert back["flow"]["committed"]["bonus"][-1] == pytest.approx(0.9624145, abs=1e-6)

    def test_static(self):
        sol = solve_static(Problem(Contract.study(10), Poisson(5), 0.5))
        rep = inspect_policy(sol.policy, reference=sol)
        assert rep.policy == "static" and rep.give_up == {} and rep.coasting == {}
        assert rep.withholding == {} and rep.adding == {}


# -- exports --------------------------------------------------------------------------------------
def same_graph(G, H, graph_attrs=True):
    assert set(G.nodes) == set(H.nodes)
    assert set(G.edges) == set(H.edges)
    for n, d in G.nodes(data=True):
        assert H.nodes[n] == d, n
        assert all(type(H.nodes[n][k]) is type(x) for k, x in d.items())
    for a, b, d in G.edges(data=True):
        assert H.edges[a, b] == d
        assert all(type(H.edges[a, b][k]) is type(x) for k, x in d.items())
    if graph_attrs:
        assert H.graph == G.graph
    else:
        assert H.graph.get("name") == G.graph.get("name")


def export_policies():
    cont = Problem(Contract(4, "0.5", "0.75", "linear", penalty=40, bonus=8),
                   ContinuousUniform(0, 10), 1)
    return {
        "study": solve_dynamic(Problem(Contract.study(6), Poisson(5), 0.5)).policy,
        "static": solve_static(Problem(Contract.study(5, "linear"), Poisson(5), 1)).policy,
        "continuous": solve_dynamic(cont).policy,
        "tiny-exact": tiny_exact(),
    }


class TestExport:
    @pytest.mark.parametrize("fmt", GRAPH_FORMATS)
    @pytest.mark.parametrize("name", ["study", "static", "continuous", "tiny-exact"])
    def test_round_trip_file(self, tmp_path, fmt, name):
        G = policy_graph(export_policies()[name])
        path = tmp_path / f"chain.{fmt}"
        assert write_graph(G, path) == fmt
        H = read_graph(path)
        same_graph(G, H, graph_attrs=fmt != "gexf")

    @pytest.mark.parametrize("fmt", GRAPH_FORMATS)
    def test_round_trip_string_with_odd_strings(self, fmt):
        G = nx.DiGraph(name='a "quoted" name', note="x -> y; {z}")
        G.add_node((1, 0), label_text="semi;colon, comma", value=-0.0, big=1e300, n=-3)
        G.add_edge((1, 0), (2, 1), probability=5e-324, success=True)
        G.add_edge((1, 0), (2, 0), probability=1.0, success=False)
        H = graph_from_string(graph_to_string(G, fmt), fmt)
        same_graph(G, H, graph_attrs=fmt != "gexf")

    def test_graphml_readable_by_networkx(self, tmp_path, study10):
        G = policy_graph(study10)
        write_graph(G, tmp_path / "c.graphml")
        text = (tmp_path / "c.graphml").read_text()
        assert ">true<" in text and ">True<" not in text  # GraphML's boolean literals
        H = nx.read_graphml(tmp_path / "c.graphml")
        assert H.number_of_nodes() == 66 and H.nodes["10,9"]["role"] == "coasting"
        assert H.edges["1,0", "2,1"]["success"] is True

    def test_gexf_and_json_readable_by_networkx(self, tmp_path, study10):
        G = policy_graph(study10)
        write_graph(G, tmp_path / "c.gexf")
        write_graph(G, tmp_path / "c.json")
        assert nx.read_gexf(tmp_path / "c.gexf").number_of_edges() == 110
        data = json.loads((tmp_path / "c.json").read_text())
        H = nx.node_link_graph(data, edges="edges")
        assert H.nodes["11,9"]["band"] == "bonus"

    def test_dot_shape(self, study10):
        text = graph_to_string(policy_graph(study10), "dot")
        lines = text.splitlines()
        assert lines[0].startswith("// Graphviz DOT written by slamarkov")
        assert lines[1] == 'digraph "slamarkov dynamic policy chain, T=10" {'
        assert "rankdir=LR;" in lines
        # each stage is one rank
        assert 'subgraph {\nrank=same;\n"2,0";\n"2,1";\n}' in text
        # F(8) for Poisson(5) = 0.93190636527815144..., correctly rounded (scipy's pdtr gives
        # ...516, two ulps off)
        assert '"1,0" -> "2,1" [probability=0.9319063652781514, success=true];' in lines
        assert text.rstrip().endswith("}")

    def test_dot_readable_by_networkx_and_pydot(self, tmp_path, study10):
        # the file is plain DOT: networkx's own pydot reader takes it
        G = policy_graph(study10)
        write_graph(G, tmp_path / "c.dot")
        H = nx.nx_pydot.read_dot(tmp_path / "c.dot")
        assert H.number_of_nodes() == 66 and H.number_of_edges() == 110

    def test_dot_parser_reads_other_writers_dot(self):
        text = """/* written elsewhere */
        strict digraph {
# a preprocessor-style line (only at the start of a line)
          node [shape=circle]; rankdir=LR
          "1,0" -> "2,0" -> "3,1" [weight=2, label="a" + "b"];
          subgraph cluster_a { "2,1"; }
          "1,0" [color=red]
        }"""
        H = graph_from_string(text, "dot")
        assert set(H.edges) == {((1, 0), (2, 0)), ((2, 0), (3, 1))}
        assert H.edges[(2, 0), (3, 1)] == {"weight": "2", "label": "ab"}
        assert H.nodes[(1, 0)] == {"color": "red"} and (2, 1) in H
        assert H.graph == {}  # rankdir is a layout attribute, dropped

    def test_dot_without_pydot(self, monkeypatch, study10):
        # pydot is the graph extra: without it DOT is one clear error, other formats still work
        monkeypatch.setitem(sys.modules, "pydot", None)
        G = policy_graph(study10)
        with pytest.raises(GraphDependencyError, match=r"pip install 'slamarkov\[graph\]'"):
            graph_to_string(G, "dot")
        with pytest.raises(GraphDependencyError, match="need pydot"):
            graph_from_string("digraph {}", "dot")
        assert graph_from_string(graph_to_string(G, "graphml"), "graphml").number_of_nodes() == 66

    @pytest.mark.parametrize("text, message", [
        ("graph { a -- b }", "expected 'digraph'"),
        ('digraph { "1,0" -> "2,0" ', "cannot read the graph .Expected .*found end of text"),
        ('digraph { "1,0":p -> "2,0" }', "node id: expected 'i,v'"),
        ('digraph { "1,0" [a=1 }', "cannot read the graph"),
        ('digraph { graph [attribute_types="node:a=complex"]; }', "attribute_types"),
        ('digraph { graph [attribute_types="node:a=int"]; "1,0" [a="x"]; }', "declared type"),
        ('digraph { attribute_types="node:a=bool"; "1,0" [a="x"]; }', "expected true or false"),
        ('digraph { <b>html</b> }', "node id"),
        ("digraph { a } digraph { b }", "expected one graph, got 2"),
        ("", "cannot read the graph"),
    ])
    def test_dot_errors(self, text, message):
        with pytest.raises(GraphFormatError, match=message):
            graph_from_string(text, "dot")

    @pytest.mark.parametrize("fmt, text", [
        ("graphml", "<graphml><graph"), ("gexf", "not xml"), ("json", "{not json"),
        ("json", '{"directed": true, "multigraph": false, "graph": {}, "nodes": [{"id": "a"}], '
                 '"edges": []}'),
    ])
    def test_malformed_files(self, fmt, text):
        with pytest.raises(GraphFormatError, match=f"^({fmt}: cannot read|node id)"):
            graph_from_string(text, fmt)

    def test_format_errors(self, tmp_path, study10):
        G = policy_graph(study10)
        with pytest.raises(GraphFormatError, match="format: cannot tell from the suffix '.txt'"):
            write_graph(G, tmp_path / "c.txt")
        with pytest.raises(GraphFormatError, match="format: must be one of"):
            graph_to_string(G, "svg")
        with pytest.raises(GraphFormatError, match="no such file"):
            read_graph(tmp_path / "missing.dot")
        assert write_graph(G, tmp_path / "c.txt", "dot") == "dot"
        assert read_graph(tmp_path / "c.txt", "dot").number_of_nodes() == 66

    def test_failed_write_leaves_the_old_file(self, tmp_path):
        path = tmp_path / "c.dot"
        path.write_text("old")
        G = nx.DiGraph()
        G.add_node((1, 0), bad=[1, 2])  # a list is not a DOT attribute value
        with pytest.raises(GraphFormatError, match="is not str, int, float or bool"):
            write_graph(G, path)
        assert path.read_text() == "old" and len(list(tmp_path.iterdir())) == 1

    @pytest.mark.parametrize("text", ["3", "3,", "a,b", "(3, 2)", "-1,0"])
    def test_parse_node_id_errors(self, text):
        with pytest.raises(GraphFormatError, match="node id"):
            parse_node_id(text)


# -- drawings -------------------------------------------------------------------------------------
class TestDrawings:
    def test_chain_png(self, tmp_path, study10):
        from slamarkov.plot.policy import draw_chain

        fig = draw_chain(study10, tmp_path / "chain.png")
        data = (tmp_path / "chain.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
        ax, cbar = fig.axes
        assert ax.get_title().startswith("Dynamic policy, T = 10: the absorbing chain")
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert "give-up (F(y) < aL, penalty likely)" in labels and "absorbing: bonus" in labels
        assert cbar.get_ylabel() == "stock S_i(v)"
        # one line segment per positive-probability transition (Poisson: all of them)
        assert len(ax.collections[0].get_segments()) == 110

    def test_chain_refuses_large_T(self):
        from slamarkov.plot.policy import draw_chain

        pol = Policy.constant(Problem(Contract.study(41), Poisson(5), 1), 5)
        with pytest.raises(ChainError, match="legible up to T = 40, got T = 41"):
            draw_chain(pol)

    def test_heatmap_values(self, tmp_path, rich10):
        from slamarkov.plot.policy import draw_policy_heatmap

        fig = draw_policy_heatmap(rich10, tmp_path / "heat.png")
        assert (tmp_path / "heat.png").read_bytes()[:4] == b"\x89PNG"
        grid = fig.axes[0].images[0].get_array()
        for i, row in enumerate(rich10.to_lists(), start=1):
            assert grid[: i, i - 1].tolist() == row  # column i-1 is stage i, rows are v
            assert grid.mask[i:, i - 1].all()

    def test_heatmap_penalty_certain_boundary_is_the_chains(self, rich10):
        # the red boundary sits above the highest penalty-certain ready count of each stage,
        # as AbsorbingChain.penalty_certain (chain.classes) says, not by a formula of its own
        from slamarkov.plot.policy import draw_policy_heatmap

        ax = draw_policy_heatmap(rich10).axes[0]
        line = next(ln for ln in ax.get_lines() if ln.get_label() == "penalty certain below")
        xs, ys = line.get_data()
        ch = AbsorbingChain(rich10)
        certain = ch.penalty_certain()
        for i, y in zip(xs, ys):
            top = max((v for v in range(i) if certain[ch.index(i, v)]), default=-1)
            assert y == top + 0.5, i

    def test_heatmap_samples_large_T(self):
        from slamarkov.plot.policy import draw_policy_heatmap

        pol = solve_dynamic(Problem(Contract.study(60), Poisson(5), 1)).policy
        fig = draw_policy_heatmap(pol, max_cells=20)
        ax = fig.axes[0]
        assert "sampled on 20 x 20 states" in ax.get_title()
        assert ax.images[0].get_array().shape == (20, 20)

    def test_missing_matplotlib(self, monkeypatch, study10):
        from slamarkov.plot.policy import PlotDependencyError, draw_policy_heatmap

        for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
            monkeypatch.setitem(sys.modules, name, None)
        monkeypatch.setitem(sys.modules, "matplotlib", None)
        with pytest.raises(PlotDependencyError, match=r"pip install 'slamarkov\[plot\]'"):
            draw_policy_heatmap(study10)

