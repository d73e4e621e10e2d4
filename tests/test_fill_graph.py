"""The graph of a fill-rate policy's chain (slamarkov.analysis.fill_graph; docs/model.md section 14):
nodes and edges against the chain's P (Q and R) on small exact problems, the outcome bands by
exact comparison, the four file formats, the size check and ``slamarkov graph`` on fill-rate
contracts."""

from __future__ import annotations

import json

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from contracts import study_contract, write_contract
from hypothesis import given, settings
from hypothesis import strategies as st

from slamarkov import (
    Contract,
    DiscreteUniform,
    Empirical,
    Poisson,
    Policy,
    Problem,
    memory_limit,
    solve_dynamic,
    solve_static,
)
from slamarkov.analysis.fill_graph import (
    check_fill_graph,
    fill_graph_size,
    fill_policy_graph,
)
from slamarkov.analysis.graph import policy_graph
from slamarkov.chain import AbsorbingChain
from slamarkov.chain.classes import state_roles
from slamarkov.chain.space import StateSpace
from slamarkov.cli import main
from slamarkov.core.limits import work_limit
from slamarkov.errors import SizeError
from slamarkov.io.graphs import (
    GRAPH_FORMATS,
    graph_from_string,
    graph_to_string,
    read_graph,
)


def fill_problem(T=3, demand=None, leftover="discard", scheme="lump-sum", x0=0, c=0, s=0):
    contract = Contract(T, Fraction(2, 3), Fraction(5, 6), scheme, penalty=12, bonus=5,
                        measure="fill-rate")
    return Problem(contract, demand or DiscreteUniform(0, 2), 1, leftover=leftover,
                   initial_stock=x0, purchase_cost=c, salvage_value=s)


CASES = {
    "discard": dict(),
    "carry": dict(leftover="carry", c=1, s=Fraction(1, 2)),
    "carry-x0": dict(leftover="carry", x0=2, c=1),
    "linear": dict(scheme="linear"),
    "zero-demand-impossible": dict(demand=DiscreteUniform(1, 2)),
    "empirical": dict(demand=Empirical([Fraction(1, 2), 0, Fraction(1, 2)])),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def exact_policy(request):
    """A small exact dynamic policy (T = 3), one per case."""
    problem = fill_problem(**CASES[request.param])
    return solve_dynamic(problem, max_stock=3, exact=True).policy


def dense_P(policy):
    return AbsorbingChain(policy).dense_canonical()


class TestShapeAgainstTheChain:
    def test_nodes_are_the_chains_states(self, exact_policy):
        G = fill_policy_graph(exact_policy)
        chain = AbsorbingChain(exact_policy)
        states = [chain.state(k) for k in range(chain.n_transient)]
        finals = [(4, int(D), int(F)) for D, F in exact_policy.space.score.values(4)]
        assert sorted(G.nodes) == sorted(states + finals)
        assert G.number_of_nodes() == chain.n_states
        assert (G.number_of_nodes(), G.number_of_edges()) == fill_graph_size(
            exact_policy.problem, 3)

    def test_edges_are_the_transitions_of_P(self, exact_policy):
        """Every edge's probability is the entry of the exact canonical P; every non-zero entry
        of P between distinct states is an edge (edges of probability 0 are the demands the pmf
        rules out)."""
        G = fill_policy_graph(exact_policy)
        chain = AbsorbingChain(exact_policy)
        P = dense_P(exact_policy)
        t = chain.n_transient
        index = {chain.state(k): k for k in range(t)}
        index.update({(4, int(D), int(F)): t + k
                      for k, (D, F) in enumerate(exact_policy.space.score.values(4))})
        pmf = exact_policy.space.score.pmf(True)
        for a, b, d in G.edges(data=True):
            exact = P[index[a], index[b]]
            assert d["probability"] == float(exact)
            assert exact == pmf[d["demand"]]  # P(d) exactly
        nonzero = {(r, c) for r, c in zip(*np.nonzero(P != 0)) if r != c}
        edges = {(index[a], index[b]) for a, b, d in G.edges(data=True) if d["probability"]}
        assert edges == nonzero

    def test_out_probabilities_sum_to_one(self, exact_policy):
        G = fill_policy_graph(exact_policy)
        P = dense_P(exact_policy)
        assert all(sum(row) == 1 for row in P)  # the exact chain
        for n, kind in G.nodes(data="kind"):
            out = [d["probability"] for *_, d in G.out_edges(n, data=True)]
            if kind == "transient":
                assert math.fsum(out) == pytest.approx(1, abs=1e-15)
            else:
                assert out == []

    def test_one_edge_per_demand(self, exact_policy):
        """From (i, D, F[, x]) with order y, demand d leads to (i + 1, D + d, F + min(d, y)[,
        (y - d)^+]) (docs/model.md section 14)."""
        G = fill_policy_graph(exact_policy)
        carry = exact_policy.carries
        dmax = exact_policy.space.score.support.period_max
        for n, node in G.nodes(data=True):
            if node["kind"] != "transient":
                continue
            y = node["stock"]
            i, D, F = n[:3]
            want = set()
            for d in range(dmax + 1):
                nxt = (i + 1, D + d, F + min(d, y))
                if carry and i < 3:
                    nxt += (max(y - d, 0),)
                want.add(nxt)
            assert set(G.successors(n)) == want
            for m in G.successors(n):
                e = G.edges[n, m]
                assert e["demand"] == m[1] - D and e["filled"] == min(e["demand"], y)
                assert e["success"] == (e["demand"] <= y)

    def test_attributes(self, exact_policy):
        G = fill_policy_graph(exact_policy)
        chain = AbsorbingChain(exact_policy)
        space = exact_policy.space
        reach = chain.visits((1, 0))
        c = exact_policy.problem.contract
        for k in range(chain.n_transient):
            node = G.nodes[chain.state(k)]
            assert node["stock"] == int(exact_policy.stock[k])
            assert node["reach"] == node["visits"] == float(reach[k])
            if space.carry:
                assert node["stock_on_hand"] == chain.state(k)[-1]
        # the classes in units, from their one home, and the chain's named sets agree
        roles = state_roles(exact_policy)
        nodes = [G.nodes[chain.state(k)] for k in range(chain.n_transient)]
        assert [n["role"] for n in nodes] == roles["role"].tolist()
        assert [n["decided"] for n in nodes] == roles["decided"].tolist()
        certain = chain.penalty_certain()
        for k, n in enumerate(nodes):
            if n["decided"] == "penalty-certain":
                assert certain[k]
        dist = chain.fill_rate()
        final = {}
        for n, node in G.nodes(data=True):
            if node["kind"] != "absorbing":
                continue
            D, F = node["demand_total"], node["filled_total"]
            fr = Fraction(F, D) if D else Fraction(1)
            band = ("penalty" if fr < c.penalty_threshold else
                    "bonus" if fr >= c.bonus_threshold else "neutral")
            assert node["band"] == band and node["fill_rate"] == float(fr)
            final[fr] = final.get(fr, 0) + node["reach"]
        # the absorbing reach, grouped by F/D, is the exact FR pmf
        assert list(dist.values) == sorted(v for v in final if final[v])
        for v, p in zip(dist.values, dist.pmf):
            assert final[v] == pytest.approx(float(p), abs=1e-15)
        assert G.graph["measure"] == "fill-rate" and G.graph["penalty_threshold"] == "2/3"
        assert G.graph["truncated_mass"] == 0.0

    def test_reach_from_a_mid_period_state(self):
        problem = fill_problem()
        pol = solve_static(problem, max_stock=3, exact=True).policy
        G = fill_policy_graph(pol, start=(2, 2, 1))
        assert G.graph["start_state"] == "2,2,1"
        assert G.nodes[(2, 2, 1)]["reach"] == 1.0 and G.nodes[(2, 0, 0)]["reach"] == 0.0
        want = AbsorbingChain(pol).fill_rate((2, 2, 1))
        got = {}
        for _, node in G.nodes(data=True):
            if node["kind"] == "absorbing" and node["reach"]:
                got[node["fill_rate"]] = got.get(node["fill_rate"], 0) + node["reach"]
        assert sorted(got) == [float(v) for v in want.values]

    def test_policy_graph_dispatches(self):
        pol = solve_static(fill_problem(), max_stock=3).policy
        assert sorted(policy_graph(pol).nodes) == sorted(fill_policy_graph(pol).nodes)


def test_brute_force_paths():
    """Enumerate every demand path of T = 3 under the exact dynamic policy: the reach of each
    final node is the total probability of the paths that end there."""
    problem = fill_problem()
    pol = solve_dynamic(problem, max_stock=3, exact=True).policy
    G = fill_policy_graph(pol)
    pmf = {0: Fraction(1, 3), 1: Fraction(1, 3), 2: Fraction(1, 3)}
    ends: dict = {}
    for path in itertools.product(range(3), repeat=3):
        D = F = 0
        p = Fraction(1)
        for i, d in enumerate(path, start=1):
            y = G.nodes[(i, D, F)]["stock"]
            D, F, p = D + d, F + min(d, y), p * pmf[d]
        ends[(4, D, F)] = ends.get((4, D, F), 0) + p
    for n, node in G.nodes(data=True):
        if node["kind"] == "absorbing":
            assert node["reach"] == float(ends.get(n, 0))


def test_poisson_cut_is_recorded():
    problem = Problem(Contract.study(3, measure="fill-rate"), Poisson(2), 0.5)
    G = fill_policy_graph(solve_dynamic(problem, max_stock=12).policy)
    mass = G.graph["truncated_mass"]
    assert 0 < mass <= 1e-12
    lost = []  # the probability each state sends into the cut, weighted by its reach
    for n, node in G.nodes(data=True):
        if node["kind"] == "transient":
            out = math.fsum(d["probability"] for *_, d in G.out_edges(n, data=True))
            assert out <= 1 + 1e-15
            lost.append(node["reach"] * (1 - out))
    assert math.fsum(lost) == pytest.approx(mass, rel=1e-3)
    absorbed = math.fsum(d["reach"] for _, d in G.nodes(data=True) if d["kind"] == "absorbing")
    assert absorbed == pytest.approx(1 - mass, abs=1e-14)


class TestFiles:
    @pytest.mark.parametrize("fmt", GRAPH_FORMATS)
    @pytest.mark.parametrize("case", ["discard", "carry"])
    def test_round_trip(self, fmt, case):
        problem = fill_problem(T=2, **CASES[case])
        G = fill_policy_graph(solve_dynamic(problem, max_stock=3).policy)
        H = graph_from_string(graph_to_string(G, fmt), fmt)
        assert dict(H.nodes(data=True)) == dict(G.nodes(data=True))
        assert {(a, b): d for a, b, d in H.edges(data=True)} == \
            {(a, b): d for a, b, d in G.edges(data=True)}
        if fmt != "gexf":  # GEXF keeps only the graph's name
            assert H.graph == G.graph

    def test_dot_says_what_the_ids_are(self):
        G = fill_policy_graph(solve_dynamic(fill_problem(T=2), max_stock=3).policy)
        assert graph_to_string(G, "dot").startswith(
            '// Graphviz DOT written by slamarkov: a fill-rate policy\'s absorbing chain; '
            'node ids are "i,D,F"')


class TestSizeCheck:
    def test_counts_without_solving(self):
        problem = Problem(Contract.study(10, measure="fill-rate"), Poisson(5), 0.5)
        nodes, edges = fill_graph_size(problem)
        assert nodes == 42122 + 5995  # the states of StateSpace.for_problem and the final scores
        assert edges == 1_000_446  # the README's "a million edges"

    def test_refused_in_one_line(self):
        problem = fill_problem(T=3)
        with memory_limit(2**16), pytest.raises(SizeError, match=r"^contract\.review_period: "
                                                "the fill-rate graph of T = 3 .*--max-gib"):
            check_fill_graph(problem)
        with work_limit(10**5), pytest.raises(SizeError, match="--max-work"):
            fill_policy_graph(Policy.constant(problem, 1))

    def test_lower_bound_first(self):
        """A huge T is refused on the mean demand before the cut of the totals is computed."""
        problem = Problem(Contract.study(5_000, measure="fill-rate"), Poisson(5), 0.5)
        with pytest.raises(SizeError, match=r"at least [\d,.e+]+ nodes"):
            check_fill_graph(problem, fmt="json")


# -- the command line ---------------------------------------------------------------------------
@pytest.fixture
def contract(tmp_path):
    """A fill-rate contract file (the measure given on the command line): T = 3, demand
    uniform on 0..2, h = 1."""
    return write_contract(tmp_path, "fill.toml", study_contract(
        3, costs="holding = 1\n", demand='kind = "discrete-uniform"\nlow = 0\nhigh = 2\n',
        tail="[solver]\nmax_stock = 3\n"))


def run(capsys, command, *args):
    code = main([command, *(str(a) for a in args), "--measure", "fill-rate"])
    out, err = capsys.readouterr()
    return code, out, err


class TestCommandLine:
    @pytest.mark.parametrize("fmt", GRAPH_FORMATS)
    def test_export(self, capsys, contract, tmp_path, fmt):
        out = tmp_path / f"chain.{fmt}"
        code, _, err = run(capsys, "graph", contract, "--out", out, "--exact", "--policy",
                           "static")
        assert code == 0, err
        G = read_graph(out)
        problem = fill_problem(T=3)
        assert (G.number_of_nodes(), G.number_of_edges()) == fill_graph_size(problem)
        assert G.nodes[(1, 0, 0)]["stock"] == solve_static(
            Problem(Contract(3, Fraction(4, 5), Fraction(9, 10), penalty=50, bonus=30,
                             measure="fill-rate"), DiscreteUniform(0, 2), 1),
            max_stock=3, exact=True).base_stock

    def test_stdout_and_carry(self, capsys, contract):
        code, out, err = run(capsys, "graph", contract, "--format", "json", "--leftover",
                             "carry")
        assert code == 0, err
        G = graph_from_string(out, "json")
        assert (2, 1, 1, 0) in G and G.graph["leftover"] == "carry"

    def test_inspect_and_export_of_one_contract(self, capsys, contract):
        # --inspect reports in units (tests/test_fill_inspect.py), export draws the same states
        code, out, err = run(capsys, "graph", contract, "--inspect", "--json")
        assert code == 0, err
        doc = json.loads(out)
        code, out, err = run(capsys, "graph", contract, "--format", "json")
        assert code == 0, err
        G = graph_from_string(out, "json")
        reached = [n for n, a in G.nodes(data=True)
                   if a["kind"] == "transient" and a["reach"] > 0]
        assert doc["measure"] == "fill-rate" and doc["reachable"] == len(reached)

    def test_too_large_refused_before_work(self, capsys, contract, tmp_path, monkeypatch):
        def no_solve(*args, **kwargs):
            raise AssertionError("solved before the size check")

        monkeypatch.setattr("slamarkov.solve.both.solve_policy", no_solve)
        out = tmp_path / "big.graphml"
        code, _, err = run(capsys, "graph", contract, "--out", out, "--max-work", "1e5")
        assert code == 2 and err.count("\n") == 1 and "--max-work" in err
        assert not out.exists()
        code, _, err = run(capsys, "graph", contract, "--format", "json", "--max-gib", "1e-6")
        assert code == 2 and err.count("\n") == 1 and "the fill-rate graph of T = 3" in err


@settings(max_examples=25, deadline=None)
@given(T=st.integers(1, 3), high=st.integers(1, 3), carry=st.booleans(),
       aL=st.fractions(0, 1, max_denominator=6), gap=st.fractions(0, 1, max_denominator=6),
       data=st.data())
def test_any_policy_graph_is_its_chain(T, high, carry, aL, gap, data):
    """Any exact table on a random small fill-rate problem: every edge is an entry of P, each
    state's out-probabilities sum to 1, and the reach of every layer (and of the final nodes)
    sums to 1."""
    aU = min(aL + gap, Fraction(1))
    problem = Problem(Contract(T, aL, aU, penalty=3, bonus=1, measure="fill-rate"),
                      DiscreteUniform(0, high), 1, leftover="carry" if carry else "discard")
    K = 3
    space = StateSpace.for_problem(problem, K)
    levels = space.coordinates()[-1]
    stock = [data.draw(st.integers(int(x), K)) for x in levels.tolist()]
    pol = Policy(problem, np.array(stock), exact=True, max_stock=K if carry else None)
    G = fill_policy_graph(pol)
    P = dense_P(pol)
    chain = AbsorbingChain(pol)
    index = {chain.state(k): k for k in range(chain.n_transient)}
    index.update({(T + 1, int(D), int(F)): chain.n_transient + k
                  for k, (D, F) in enumerate(space.score.values(T + 1))})
    assert set(index) == set(G.nodes)
    for n in G.nodes:
        out = list(G.out_edges(n, data="probability"))
        if n[0] <= T:
            assert sum(P[index[n], index[m]] for _, m, _ in out) == 1
            assert all(q == float(P[index[n], index[m]]) for _, m, q in out)
    for i in range(1, T + 2):
        total = math.fsum(r for n, r in G.nodes(data="reach") if n[0] == i)
        assert total == pytest.approx(1, abs=1e-14)
