"""Stock that carries over (docs/model.md section 11): model, state space, chain, simulation,
validation and the command line. The brute-force dynamic program and the symbolic checks live in
tests/test_carry_bruteforce.py and proofs/proof_carry_*.py."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from slamarkov import (
    AbsorbingChain,
    ContinuousUniform,
    Contract,
    CostError,
    DiscreteUniform,
    InventoryError,
    Poisson,
    Policy,
    PolicyError,
    Problem,
    SolverError,
    solve_dynamic,
    solve_static,
)
from slamarkov.chain.space import StateSpace
from slamarkov.errors import ChainError
from slamarkov.simulation.simulate import simulate
from slamarkov.simulation.validate import validate

ROOT = Path(__file__).resolve().parents[1]


def carry_problem(T=5, demand=None, h=Fraction(1, 2), c=1, s=Fraction(1, 2), x0=1, scheme="lump-sum"):
    contract = Contract(T, Fraction(3, 5), Fraction(4, 5), scheme=scheme, penalty=10 * T, bonus=6 * T)
    return Problem(contract, demand or DiscreteUniform(0, 4), h, purchase_cost=c, salvage_value=s,
                   leftover="carry", initial_stock=x0)


def run_cli(*args, cwd=ROOT):
    proc = subprocess.run([sys.executable, "-m", "slamarkov.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=600)
    return proc.returncode, proc.stdout, proc.stderr


class TestStateSpace:
    def test_discard_space_is_the_study_triangle(self):
        sp = StateSpace(6)
        assert sp.n_transient == 21 and sp.trivial
        i, v, x = sp.coordinates()
        assert i.tolist()[:4] == [1, 2, 2, 3] and v.tolist()[:4] == [0, 0, 1, 0]
        assert not x.any()

    def test_carry_space_sizes_and_round_trip(self):
        sp = StateSpace(4, carry=True, max_stock=3, initial_stock=2)
        # period 1 holds the initial stock only; periods 2..T all of 0..K
        assert sp.n_transient == 1 + 4 * (2 + 3 + 4)
        for k in range(sp.n_transient):
            assert sp.index(*sp.state(k)) == k
        assert sp.state(0) == (1, 0, 2)
        with pytest.raises(ChainError, match="not in the chain"):
            sp.index(1, 0, 0)
        with pytest.raises(ChainError, match="not in the chain"):
            sp.index(3, 1, 4)


class TestModel:
    def test_defaults_are_the_study(self):
        p = Problem(Contract.study(10), Poisson(5), 0.5)
        assert (p.leftover, p.initial_stock, p.purchase_cost, p.salvage_value) == ("discard", 0, 0, 0)
        assert not p.carries

    def test_study_reference_values_unchanged(self):
        p = Problem(Contract.study(10), Poisson(5), 0.5)
        dyn, sta = solve_dynamic(p, max_stock=40), solve_static(p, max_stock=40)
        assert round(dyn.cost_per_period, 6) == -1.20155
        assert round(100 * dyn.ready_rate.mean, 4) == 89.6123
        assert sta.base_stock == 8 and round(sta.cost_per_period, 6) == -0.87201

    @pytest.mark.parametrize("kwargs, error, field", [
        (dict(leftover="keep"), InventoryError, "inventory.leftover"),
        (dict(initial_stock=-1), InventoryError, "inventory.initial_stock"),
        (dict(initial_stock=1.5), InventoryError, "inventory.initial_stock"),
        (dict(purchase_cost=-1), CostError, "costs.purchase"),
        (dict(salvage_value=-1), CostError, "costs.salvage"),
        (dict(leftover="carry", purchase_cost=1, salvage_value=2), CostError, "costs.salvage"),
    ])
    def test_bad_inventory_fields(self, kwargs, error, field):
        with pytest.raises(error, match=field):
            Problem(Contract.study(5), Poisson(5), 1, **kwargs)

    def test_carry_needs_discrete_demand(self):
        with pytest.raises(InventoryError, match="inventory.leftover.*discrete"):
            Problem(Contract.study(5), ContinuousUniform(0, 10), 1, leftover="carry")

    def test_initial_stock_above_the_stock_range(self):
        p = carry_problem(x0=6)
        with pytest.raises(SolverError, match="initial_stock"):
            solve_dynamic(p, max_stock=5)

    def test_discard_with_purchase_price_is_h_plus_c(self):
        # docs/model.md section 11: discard with c is the study's model with h + c, plus c E[d]
        base = Problem(Contract.study(8), DiscreteUniform(0, 9), Fraction(3, 2))
        priced = dataclasses.replace(base, holding_cost=Fraction(1, 2), purchase_cost=1)
        a, b = solve_dynamic(base, exact=True), solve_dynamic(priced, exact=True)
        assert np.array_equal(a.policy.stock, b.policy.stock)
        assert b.value_start == a.value_start + 8 * Fraction(9, 2)
        sa, sb = solve_static(base, exact=True), solve_static(priced, exact=True)
        assert sa.base_stock == sb.base_stock
        assert sb.cost_per_period == sa.cost_per_period + Fraction(9, 2)


class TestSolver:
    def test_orders_never_below_stock_on_hand(self):
        sol = solve_dynamic(carry_problem(T=6), exact=True)
        _, _, x = sol.policy.space.coordinates()
        assert np.all(sol.policy.stock >= x)

    def test_dynamic_never_worse_than_static(self):
        for c, s in [(0, 0), (1, 0), (1, 1), (2, Fraction(1, 2))]:
            p = carry_problem(T=6, c=c, s=s)
            assert solve_dynamic(p, exact=True).value_start <= \
                solve_static(p, exact=True).cost_per_period * 6

    def test_exact_pmf_sums_to_one(self):
        sol = solve_dynamic(carry_problem(T=6), exact=True)
        assert sum(sol.ready_rate.pmf) == 1
        assert all(isinstance(x, Fraction) for x in sol.ready_rate.pmf)

    def test_float_matches_exact(self):
        p = carry_problem(T=7)
        e, f = solve_dynamic(p, exact=True), solve_dynamic(p)
        assert abs(float(e.value_start) - f.value_start) < 1e-12
        assert np.allclose(np.asarray(e.ready_rate.pmf, dtype=float), f.ready_rate.pmf, atol=1e-14)

    def test_carry_with_c_equal_s_makes_purchases_constant(self):
        # the units bought add up to demand + final stock - initial stock
        p = carry_problem(T=5, c=1, s=1, x0=2)
        for sol in (solve_dynamic(p, exact=True), solve_static(p, exact=True)):
            parts = AbsorbingChain(sol.policy).cost_components()
            mean, var = parts["purchase"]
            # c (sum of demands - x1), whatever the policy: E[d] = 2, Var(d) = 2 for U{0..4}
            assert mean == 5 * 2 - 2
            assert var == 5 * 2

    def test_value_accessor(self):
        sol = solve_dynamic(carry_problem(T=4), exact=True, keep_values=True)
        assert sol.value(1, 0, 1) == sol.value_start
        assert sol.value(5, 2, 3) == sol.terminal[2] - Fraction(1, 2) * 3
        with pytest.raises(PolicyError):
            sol.value(2, 0, 99)

    def test_static_below_initial_stock_is_evaluated_on_the_chain(self):
        p = carry_problem(T=4, x0=4)
        sta = solve_static(p, exact=True)
        for S in range(0, 4):
            pol = Policy.base_stock(p, S, max_stock=sta.policy.space.max_stock, exact=True)
            cost = AbsorbingChain(pol).cost_components()["total"][0]
            assert cost == sta.costs[S] * 4


class TestChain:
    @pytest.fixture(scope="class")
    @classmethod
    def sol(cls):
        return solve_dynamic(carry_problem(T=5), exact=True)

    def test_start_row_is_the_solvers_distribution(self, sol):
        ch = AbsorbingChain(sol.policy)
        assert list(ch.absorption()) == list(sol.ready_rate.pmf)
        B = ch.absorption_matrix()
        assert all(sum(row) == 1 for row in B)
        assert list(B[0]) == list(sol.ready_rate.pmf)

    def test_cost_identity(self, sol):
        parts = AbsorbingChain(sol.policy).cost_decomposition()
        assert parts["total"] == sol.value_start
        assert parts["holding"] + parts["purchase"] + parts["settlement"] == parts["total"]

    def test_matrices_against_dense_inverse(self):
        sol = solve_dynamic(carry_problem(T=4))
        ch = AbsorbingChain(sol.policy)
        Q, R = ch.Q.toarray(), ch.R.toarray()
        N = np.linalg.inv(np.eye(Q.shape[0]) - Q)
        assert np.allclose(ch.fundamental_matrix(dense=True), N, atol=1e-12)
        assert np.allclose(ch.absorption_matrix(), N @ R, atol=1e-12)
        assert np.allclose(np.hstack([Q, R]).sum(axis=1), 1, atol=1e-12)

    def test_row_queries_from_a_mid_period_state(self, sol):
        ch = AbsorbingChain(sol.policy)
        start = (3, 1, 2)
        k = ch.index(*start)
        B = ch.absorption_matrix()
        assert list(ch.absorption(start)) == list(B[k])
        N = ch.fundamental_matrix(dense=True)
        assert list(ch.visits(start)) == list(N[k])
        mask = ch.zero_stock()
        assert ch.expected_visits(mask, start) == sum(N[k][mask])
        with pytest.raises(ChainError, match="stock on hand"):
            ch.absorption((3, 1))

    def test_states_table_has_stock_on_hand(self, sol, tmp_path):
        ch = AbsorbingChain(sol.policy)
        ch.write_states_csv(tmp_path / "states.csv")
        lines = (tmp_path / "states.csv").read_text().splitlines()
        assert lines[0] == "index,stage,ready_count,stock,kind,stock_on_hand"
        assert lines[1].split(",")[-1] == "1"  # the initial stock
        assert len(lines) == 1 + ch.n_transient + ch.n_absorbing


class TestSimulation:
    def test_carry_runs_pass_validation_and_discarded_runs_fail(self):
        p = carry_problem(T=6, demand=Poisson(2), c=1, s=Fraction(1, 2), x0=2)
        sol = solve_dynamic(p)
        assert validate(sol, simulate(sol.policy, 20000, seed=11)).consistent
        # the same orders with the leftover thrown away
        thrown = Policy(dataclasses.replace(p, leftover="discard", salvage_value=0),
                        [np.asarray(row)[:, 0].tolist() for row in sol.policy.to_lists()])
        assert not validate(sol, simulate(thrown, 20000, seed=11)).consistent

    def test_simulated_purchases_match_the_chain(self):
        p = carry_problem(T=5, demand=Poisson(2))
        sol = solve_dynamic(p)
        res = simulate(sol.policy, 40000, seed=3)
        mean, var = AbsorbingChain(sol.policy).cost_components()["purchase"]
        assert abs(res.purchase_cost.mean() - mean) < 5 * np.sqrt(var / 40000)


class TestCommandLine:
    @pytest.fixture(scope="class")
    @classmethod
    def contract_file(cls, tmp_path_factory):
        path = tmp_path_factory.mktemp("carry") / "carry.toml"
        path.write_text(
            "[contract]\nreview_period = 6\npenalty_threshold = 0.6\nbonus_threshold = 0.8\n"
            "penalty = 60\nbonus = 36\n[costs]\nholding = 0.5\npurchase = 1\nsalvage = 0.5\n"
            "[inventory]\nleftover = \"carry\"\ninitial_stock = 1\n"
            "[demand]\nkind = \"discrete-uniform\"\nlow = 0\nhigh = 4\n")
        return path

    def test_solve_json_keeps_its_keys_and_nests_stock_over_x(self, contract_file):
        code, out, err = run_cli("solve", contract_file, "--format", "json")
        assert code == 0, err
        doc = json.loads(out)
        for policy in ("dynamic", "static"):
            assert {"mean", "sd", "p_penalty", "p_bonus", "pmf"} <= set(doc[policy]["ready_rate"])
            assert "cost_per_period" in doc[policy]
        assert "base_stock" in doc["static"]
        stock = doc["dynamic"]["stock"]
        assert len(stock) == 6 and len(stock[0]) == 1 and len(stock[0][0]) == 1
        assert len(stock[1]) == 2 and len(stock[1][0]) == doc["max_stock"] + 1

    def test_overrides_reach_the_model(self, contract_file):
        code, out, _ = run_cli("solve", contract_file, "--format", "json", "--summary-only",
                               "--leftover", "discard", "--purchase", "0", "--salvage", "0",
                               "--initial-stock", "0")
        assert code == 0
        assert json.loads(out)["inventory"] == {"leftover": "discard", "initial_stock": 0}

    @pytest.mark.parametrize("flags, field", [
        (("--leftover", "keep"), "inventory.leftover"),
        (("--initial-stock", "-1"), "inventory.initial_stock"),
        (("--initial-stock", "1.5"), "inventory.initial_stock"),
        (("--initial-stock", "9", "--max-stock", "5"), "initial_stock"),
        (("--purchase", "-1"), "costs.purchase"),
        (("--salvage", "-1"), "costs.salvage"),
        (("--salvage", "2"), "costs.salvage"),
        (("--demand", "uniform:0,4"), "inventory.leftover"),
    ])
    def test_bad_input_is_one_line_exit_2(self, contract_file, flags, field):
        code, out, err = run_cli("solve", contract_file, *flags)
        assert code == 2 and out == ""
        assert len(err.strip().splitlines()) == 1 and field in err

    def test_chain_from_a_carry_state(self, contract_file, tmp_path):
        code, out, err = run_cli("chain", contract_file, "--from", "3,1,2", "--out", tmp_path / "c")
        assert code == 0, err
        assert "x=2" in out and "purchases less salvage" in out
        header = (tmp_path / "c" / "states.csv").read_text().splitlines()[0]
        assert header.endswith(",stock_on_hand")

    def test_reproduce_carry_over(self):
        code, out, err = run_cli("reproduce", "carry-over", "--scheme", "lump-sum",
                                 "--holding", "0.5", "--review-periods", "10")
        assert code == 0, err
        header, row = out.strip().splitlines()
        cols = dict(zip(header.split(","), row.split(",")))
        assert round(float(cols["dyn_mean_discard"]), 6) == 0.896123  # CSV keeps fractions
        assert float(cols["dyn_cost_carry"]) >= float(cols["dyn_cost_discard"])  # c = s = 0


class TestEveryStartMoments:
    """visit_moments and remaining_ready_moments on states (i, v, x) equal the one-start queries
    and the moments of the visit count computed from N (each state is visited at most once)."""

    @pytest.fixture(scope="class")
    @classmethod
    def chain(cls):
        return AbsorbingChain(solve_dynamic(carry_problem(T=5, x0=1), exact=True).policy)

    def test_against_one_start_queries(self, chain):
        mask = chain.zero_stock()
        vm = chain.visit_moments(mask)
        rr = chain.remaining_ready_moments()
        for k in range(chain.n_transient):
            state = chain.state(k)
            assert vm["mean"][k] == chain.expected_visits(mask, state)
            rem = chain.remaining_ready(state)
            assert (rr["mean"][k], rr["variance"][k]) == (rem["mean"], rem["variance"])

    def test_visit_count_variance_from_N(self, chain):
        N = chain.fundamental_matrix(dense=True)
        mask = chain.zero_stock() | (np.arange(chain.n_transient) % 3 == 0)
        A = np.flatnonzero(mask)
        vm = chain.visit_moments(mask)
        for s0 in range(0, chain.n_transient, 7):
            m = sum(N[s0, a] for a in A)
            second = m + 2 * sum(N[s0, a] * N[a, b] for a in A for b in A if a < b)
            assert vm["mean"][s0] == m and vm["variance"][s0] == second - m * m

    def test_every_state_counts_the_periods_left(self, chain):
        allv = chain.visit_moments()
        i, _, _ = chain.space.coordinates()
        assert list(allv["mean"]) == list(6 - i) and not any(allv["variance"])
        calls = chain.visit_moments(lambda i, v, y, x: y == x)
        assert list(calls["mean"]) == list(chain.visit_moments(chain.zero_stock())["mean"])


def test_float_static_with_stock_decides_exact_ties_exactly():
    # S = 0 and S = 1 cost exactly 2 (docs/model.md section 11); the smallest wins in float too
    prob = Problem(Contract(2, Fraction(1, 2), 1, penalty=4), DiscreteUniform(0, 1), 1,
                   purchase_cost=1, salvage_value=1, leftover="carry")
    assert solve_static(prob, exact=True).base_stock == 0
    assert solve_static(prob).base_stock == 0
