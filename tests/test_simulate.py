"""Tests of slamarkov.simulation.simulate: DKW sample size, the Monte Carlo simulator, runs files, progress.

Order: exact reference values first, then invariants, then property tests on random problems.
"""

from __future__ import annotations

import io
import json
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from slamarkov import (
    SCHEMES,
    ContinuousUniform,
    Contract,
    DiscreteUniform,
    Empirical,
    Poisson,
    Policy,
    Problem,
    SimulationError,
    solve_dynamic,
    solve_static,
)
from slamarkov.chain.triangle import n_transient
from slamarkov.core.progress import is_terminal, progress
from slamarkov.simulation.runs import (
    PROVENANCE_PREFIX,
    RUNS_COLUMNS,
    provenance_mismatch,
    read_runs,
)
from slamarkov.simulation.simulate import (
    STUDY_RUNS,
    SimulationResult,
    dkw_epsilon,
    dkw_sample_size,
    provenance,
    simulate,
)
from slamarkov.simulation.validate import exact_reference

#: one d = 1 every period: every outcome is certain
ALWAYS_ONE = Empirical(["0", "1"])


def study(T=10, scheme="lump-sum", h=0.5):
    return Problem(Contract.study(T, scheme), Poisson(5), h)


# -- DKW sample size --------------------------------------------------------------------------

class TestDkwSampleSize:
    def test_study_value(self):
        assert dkw_sample_size(0.01, 0.05) == 18445 == STUDY_RUNS
        assert dkw_sample_size() == 18445

    def test_other_reference_values(self):
        # ceil(ln(200) / 0.005) = ceil(1059.66) and ceil(ln(20) / 0.02) = ceil(149.79)
        assert dkw_sample_size("0.05", "0.01") == 1060
        assert dkw_sample_size(0.1, 0.1) == 150
        assert dkw_sample_size(Fraction(1, 100), Fraction(1, 20)) == 18445

    @pytest.mark.parametrize("eps", [0.5, 0.1, 0.03, 0.01, 0.002])
    @pytest.mark.parametrize("delta", [0.5, 0.1, 0.05, 0.01, 0.001])
    def test_is_the_smallest_n_meeting_the_bound(self, eps, delta):
        n = dkw_sample_size(eps, delta)
        assert 2 * math.exp(-2 * n * eps * eps) <= delta * (1 + 1e-12)
        assert 2 * math.exp(-2 * (n - 1) * eps * eps) > delta * (1 - 1e-12)

    def test_epsilon_inverts_it(self):
        n = dkw_sample_size(0.01, 0.05)
        assert dkw_epsilon(n, 0.05) <= 0.01 < dkw_epsilon(n - 1, 0.05)

    @pytest.mark.parametrize("eps, delta", [(0, 0.05), (1, 0.05), (0.01, 0), (0.01, 1),
                                            (-0.1, 0.5), ("x", 0.05)])
    def test_refuses_out_of_range(self, eps, delta):
        with pytest.raises(SimulationError, match="eps|delta"):
            dkw_sample_size(eps, delta)

    def test_epsilon_refuses_bad_input(self):
        with pytest.raises(SimulationError, match="runs"):
            dkw_epsilon(0, 0.05)
        with pytest.raises(SimulationError, match="delta"):
            dkw_epsilon(10, 1.5)


# -- exact reference values -------------------------------------------------------------------

class TestSimulateCertainOutcomes:
    """Demand is 1 every period, so every run is the same and known exactly."""

    contract = Contract(3, "2/3", 1, "lump-sum", penalty=10, bonus=4)

    def problem(self, h="0.5"):
        return Problem(self.contract, ALWAYS_ONE, h)

    @pytest.mark.parametrize("stock, count, holding, settle", [
        (0, 0, 0.0, 10.0),   # never ready: penalty
        (1, 3, 0.0, -4.0),   # always ready, nothing left: bonus
        (3, 3, 3.0, -4.0),   # two units left each period at h = 1/2
    ])
    def test_constant_policy(self, stock, count, holding, settle):
        res = simulate(Policy.constant(self.problem(), stock), 7, seed=0)
        assert res.ready_count.tolist() == [count] * 7
        assert res.holding_cost.tolist() == [holding] * 7
        assert res.settlement.tolist() == [settle] * 7
        assert res.total_cost.tolist() == [holding + settle] * 7

    def test_user_table_follows_the_state(self):
        # S_1(0)=1: ready, v=1; S_2(1)=2: ready, one left; S_3(2)=3: ready, two left
        pol = Policy(self.problem(), [[1], [0, 2], [1, 0, 3]])
        res = simulate(pol, 4, seed=5, record_stock=True)
        assert res.stock.tolist() == [[1, 2, 3]] * 4
        assert res.ready_count.tolist() == [3] * 4
        assert res.holding_cost.tolist() == [1.5] * 4

    def test_user_table_after_a_shortage(self):
        # S_1(0)=0: short, v=0; S_2(0)=1: ready, v=1; S_3(1)=0: short -> v_T = 1, a penalty
        pol = Policy(self.problem(), [[0], [1, 9], [9, 0, 9]])
        res = simulate(pol, 3, seed=5, record_stock=True)
        assert res.stock.tolist() == [[0, 1, 0]] * 3
        assert res.ready_count.tolist() == [1] * 3
        assert res.settlement.tolist() == [10.0] * 3

    def test_continuous_demand_takes_real_stock(self):
        prob = Problem(Contract(2, 0.5, 1, penalty=10, bonus=2), ContinuousUniform(0, 1), 2)
        full = simulate(Policy.constant(prob, 1.0), 500, seed=1)
        assert full.ready_count.tolist() == [2] * 500
        # leftover 1 - d per period, mean 1/2, so holding 2 * 2 * 1/2 = 2 on average
        assert abs(full.holding_cost.mean() - 2.0) < 4 * full.holding_cost.std() / math.sqrt(500)
        none = simulate(Policy.constant(prob, 0.0), 50, seed=1)
        assert none.ready_count.tolist() == [0] * 50  # P(d <= 0) = 0


class TestSummary:
    def test_values_and_standard_errors(self):
        c = Contract(4, 0.5, 0.75, penalty=8, bonus=2)
        res = SimulationResult(c, np.array([0, 1, 2, 3, 4, 4]), np.arange(6.0), None,
                               np.arange(6.0) * 2)
        s = res.summary()
        rate = np.array([0, 1, 2, 3, 4, 4]) / 4
        assert s["runs"] == 6
        assert s["mean"] == (pytest.approx(rate.mean()), pytest.approx(rate.std(ddof=1) / math.sqrt(6)))
        assert s["p_penalty"].value == pytest.approx(2 / 6)
        assert s["p_penalty"].se == pytest.approx(math.sqrt(2 / 6 * 4 / 6 / 6))
        assert s["p_bonus"].value == pytest.approx(3 / 6)
        assert s["mean_holding_cost"].value == pytest.approx(2.5)
        assert "mean_settlement" not in s
        assert s["mean_cost"].value == pytest.approx(5.0)
        # one convention for simulated summaries (docs/model.md section 7): the sample SD with
        # n - 1, and the delta-method SE from the central moments
        assert s["sd"].value == pytest.approx(rate.std(ddof=1))
        m2, m4 = rate.var(), np.mean((rate - rate.mean()) ** 4)
        assert s["sd"].se == pytest.approx(math.sqrt((m4 - m2 * m2) / 6) / (2 * math.sqrt(m2)))

    def test_summary_dict_is_plain(self):
        res = simulate(Policy.constant(study(), 8), 50, seed=2)
        d = res.summary_dict()
        assert d["runs"] == 50 and set(d["mean"]) == {"value", "se"}
        assert all(type(v["value"]) is float for k, v in d.items() if k != "runs")


# -- invariants -------------------------------------------------------------------------------

def reference_simulation(policy, runs, seed):
    """The same draws as simulate(), followed run by run in plain Python."""
    rng = np.random.default_rng(seed)
    T = policy.review_period
    demand = policy.problem.demand
    draws = [demand.sample(rng, runs) for _ in range(T)]
    G = policy.problem.contract.settlement()
    h = float(policy.problem.holding_cost)
    counts, holding, stock = [], [], []
    for r in range(runs):
        v, left, row = 0, 0, []
        for i in range(1, T + 1):
            S = policy.stock_at(i, v)
            d = draws[i - 1][r]
            row.append(S)
            if d <= S:
                left += S - d
                v += 1
        counts.append(v)
        holding.append(left * h)
        stock.append(row)
    return np.array(counts), np.array(holding), G[counts], np.array(stock)


class TestInvariants:
    @pytest.mark.parametrize("scheme", SCHEMES)
    def test_matches_a_run_by_run_loop(self, scheme):
        sol = solve_dynamic(study(12, scheme, 1), max_stock=40)
        res = simulate(sol.policy, 300, seed=11, record_stock=True)
        counts, holding, settle, stock = reference_simulation(sol.policy, 300, 11)
        np.testing.assert_array_equal(res.ready_count, counts)
        np.testing.assert_array_equal(res.holding_cost, holding)
        np.testing.assert_array_equal(res.settlement, settle)
        np.testing.assert_array_equal(res.stock, stock)

    def test_columns_hang_together(self):
        sol = solve_dynamic(study(20, "linear", 1.5), max_stock=40)
        res = simulate(sol.policy, 2000, seed=3)
        T = 20
        assert res.ready_count.dtype == np.int64
        assert res.ready_count.min() >= 0 and res.ready_count.max() <= T
        np.testing.assert_array_equal(res.ready_rate, res.ready_count / T)
        np.testing.assert_array_equal(res.settlement, sol.problem.contract.settlement()[res.ready_count])
        np.testing.assert_array_equal(res.total_cost, res.holding_cost + res.settlement)
        assert res.holding_cost.min() >= 0
        assert res.policy_kind == "dynamic" and res.seed == 3 and res.stock is None

    def test_zero_stock_costs_nothing_to_hold(self):
        res = simulate(Policy.constant(study(), 0), 1000, seed=4)
        assert not res.holding_cost.any()
        # ready only when demand is 0, probability e^-5 per period
        assert res.ready_count.max() <= 2

    def test_recorded_stock_is_in_the_table(self):
        sol = solve_dynamic(study(10), max_stock=40)
        res = simulate(sol.policy, 500, seed=8, record_stock=True)
        assert res.stock.shape == (500, 10)
        assert (res.stock[:, 0] == sol.policy.stock_at(1, 0)).all()
        for i in range(1, 11):
            assert set(res.stock[:, i - 1].tolist()) <= set(sol.policy.stage(i).tolist())


class TestReproducibility:
    def test_same_seed_same_bits(self):
        pol = solve_dynamic(study(30, "linear", 1), max_stock=40).policy
        a, b = simulate(pol, 1000, seed=42), simulate(pol, 1000, seed=42)
        for name in ("ready_count", "holding_cost", "settlement", "total_cost"):
            assert getattr(a, name).tobytes() == getattr(b, name).tobytes()

    def test_other_seed_other_runs(self):
        pol = solve_dynamic(study(30, "linear", 1), max_stock=40).policy
        a, b = simulate(pol, 1000, seed=1), simulate(pol, 1000, seed=2)
        assert not np.array_equal(a.total_cost, b.total_cost)

    def test_recording_or_progress_does_not_change_the_draws(self):
        pol = solve_dynamic(study(), max_stock=40).policy
        a = simulate(pol, 800, seed=9)
        b = simulate(pol, 800, seed=9, record_stock=True, progress=False)
        np.testing.assert_array_equal(a.total_cost, b.total_cost)

    def test_generator_is_used_as_is(self):
        pol = Policy.constant(study(), 7)
        a = simulate(pol, 100, seed=np.random.default_rng(6))
        assert a.seed is None
        np.testing.assert_array_equal(a.ready_count, simulate(pol, 100, seed=6).ready_count)

    def test_fresh_seed_is_reported_and_reproduces(self):
        pol = Policy.constant(study(), 7)
        a = simulate(pol, 200)
        assert isinstance(a.seed, int) and a.seed >= 0
        np.testing.assert_array_equal(a.total_cost, simulate(pol, 200, seed=a.seed).total_cost)


class TestSimulateErrors:
    @pytest.mark.parametrize("runs", [0, -3, 2.5, "many"])
    def test_bad_runs(self, runs):
        with pytest.raises(SimulationError, match="runs"):
            simulate(Policy.constant(study(), 7), runs, seed=0)

    @pytest.mark.parametrize("seed", [-1, 1.5, "s", True])
    def test_bad_seed(self, seed):
        with pytest.raises(SimulationError, match="seed"):
            simulate(Policy.constant(study(), 7), 10, seed=seed)

    def test_not_a_policy(self):
        with pytest.raises(SimulationError, match="policy"):
            simulate(solve_static(study(), max_stock=40), 10, seed=0)

    def test_stock_column_needs_recording(self):
        res = simulate(Policy.constant(study(), 7), 10, seed=0)
        with pytest.raises(SimulationError, match="record_stock"):
            res.csv_text(stock=True)


# -- runs files -------------------------------------------------------------------------------

class TestRunsFile:
    def test_round_trip_to_the_bit(self, tmp_path):
        sol = solve_dynamic(study(10, "linear", 1.5), max_stock=40)
        res = simulate(sol.policy, 1000, seed=12)
        path = tmp_path / "out" / "runs.csv"
        res.to_csv(path)
        first, header = path.read_text().splitlines()[:2]
        assert header == ",".join(RUNS_COLUMNS)
        # the first line records what the runs came from, and the reader gives it back
        assert first.startswith(PROVENANCE_PREFIX)
        made = json.loads(first[len(PROVENANCE_PREFIX):])
        assert made == provenance(sol.problem, "dynamic", 12, 1000)
        assert made["contract"]["scheme"] == "linear" and made["holding_cost"] == "3/2"
        back = read_runs(path, sol.problem.contract)
        assert back.provenance == made
        for name in ("ready_count", "holding_cost", "settlement", "total_cost"):
            assert getattr(back, name).tobytes() == getattr(res, name).tobytes()
        assert [p.name for p in tmp_path.joinpath("out").iterdir()] == ["runs.csv"]

    def test_comment_lines_and_line_numbers(self, tmp_path):
        # other "#" lines at the top are skipped; errors count the file's own lines
        path = tmp_path / "runs.csv"
        path.write_text("# made by hand\nready_count\n3\nx\n")
        with pytest.raises(SimulationError, match=r"line 4, column ready_count: 'x' is not a number"):
            read_runs(path, Contract(3, "2/3", 1))
        path.write_text("# made by hand\nready_count\n3\n")
        back = read_runs(path, Contract(3, "2/3", 1))
        assert back.ready_count.tolist() == [3] and back.provenance is None

    def test_bad_provenance_line(self, tmp_path):
        path = tmp_path / "runs.csv"
        path.write_text(PROVENANCE_PREFIX + "{not json\nready_count\n3\n")
        with pytest.raises(SimulationError, match="line 1: # slamarkov simulate: must be followed"):
            read_runs(path, Contract(3, "2/3", 1))

    def test_provenance_mismatch_names_what_differs(self):
        sol = solve_dynamic(study(10, "linear", 1.5), max_stock=40)
        res = simulate(sol.policy, 10, seed=1)
        assert provenance_mismatch(res, sol.problem, "dynamic") is None
        assert provenance_mismatch(res, sol.problem, "static") == (
            "the runs were simulated with the dynamic policy, not the static policy tested here")
        other = study(10, "lump-sum", 1)
        why = provenance_mismatch(res, other, "dynamic")
        assert why.startswith("the runs were simulated for another problem: ")
        assert "contract.scheme linear (here lump-sum)" in why and "costs.holding 3/2 (here 1)" in why
        # a file without the line: nothing to compare
        assert provenance_mismatch(SimulationResult(res.contract, res.ready_count), other,
                                   "static") is None

    def test_stock_columns(self, tmp_path):
        pol = Policy(Problem(Contract(3, "2/3", 1, penalty=10), ALWAYS_ONE, 1),
                     [[1], [0, 2], [1, 0, 3]])
        res = simulate(pol, 2, seed=0, record_stock=True)
        lines = res.csv_text(stock=True).splitlines()[1:]  # after the provenance line
        assert lines[0].endswith("total_cost,stock_1,stock_2,stock_3")
        assert lines[1] == "1,3,1.0,3.0,0.0,3.0,1,2,3"
        res.to_csv(tmp_path / "r.csv", stock=True)
        assert read_runs(tmp_path / "r.csv", pol.problem.contract).ready_count.tolist() == [3, 3]

    def test_minimal_files(self, tmp_path):
        c = Contract(4, 0.5, 0.75)
        p = tmp_path / "a.csv"
        p.write_text("ready_count\n0\n4\n2.0\n\n")
        r = read_runs(p, c)
        assert r.ready_count.tolist() == [0, 4, 2]
        assert r.holding_cost is None and r.settlement is None and r.total_cost is None
        p.write_text("ready_rate,note,total_cost\n0.25,x,1.5\n1,y,-2\n")
        r = read_runs(p, c)
        assert r.ready_count.tolist() == [1, 4] and r.total_cost.tolist() == [1.5, -2.0]
        p.write_text("ready_count,ready_rate\n3,0.75\n")
        assert read_runs(p, c).ready_count.tolist() == [3]

    @pytest.mark.parametrize("text, pattern", [
        ("", r"empty file"),
        ("\n\n", r"empty file"),
        ("run,ready_count\n", r"no runs"),
        ("run,total_cost\n1,2\n", r"missing column ready_count \(or ready_rate\)"),
        ("ready_count\nabc\n", r"line 2, column ready_count: 'abc' is not a number"),
        ("ready_count\n1\n11\n", r"line 3, column ready_count: 11 is outside 0\.\.T = 0\.\.10"),
        ("ready_count\n-1\n", r"line 2, column ready_count: -1 is outside"),
        ("ready_count\n2.5\n", r"line 2, column ready_count: must be an integer"),
        ("ready_count\nnan\n", r"line 2, column ready_count: must be finite"),
        ("ready_rate\n0.55\n", r"line 2, column ready_rate: 0\.55 is not a multiple of 1/T = 1/10"),
        ("ready_rate\n1.5\n", r"line 2, column ready_rate: 1\.5 is outside \[0, 1\]"),
        ("ready_count,ready_rate\n3,0.4\n", r"line 2: ready_rate 0\.4 disagrees with ready_count 3"),
        ("ready_count,holding_cost\n3,inf\n", r"line 2, column holding_cost: must be finite"),
        ("ready_count,settlement\n3,\n", r"line 2, column settlement: '' is not a number"),
        ("ready_count,x\n3\n", r"line 2: 1 fields, the header has 2"),
        ("ready_count,ready_count\n3,3\n", r"duplicate column 'ready_count'"),
    ])
    def test_bad_files(self, tmp_path, text, pattern):
        p = tmp_path / "runs.csv"
        p.write_text(text)
        with pytest.raises(SimulationError, match=pattern) as err:
            read_runs(p, Contract.study(10))
        assert "\n" not in str(err.value)
        assert str(p) in str(err.value)

    def test_missing_file(self, tmp_path):
        with pytest.raises(SimulationError, match="no such file"):
            read_runs(tmp_path / "nope.csv", Contract.study(10))


# -- progress bar -----------------------------------------------------------------------------

class _Terminal(io.StringIO):
    def isatty(self):
        return True


class TestProgress:
    def test_silent_when_not_a_terminal(self):
        buf = io.StringIO()
        assert list(progress(range(3), label="x", stream=buf)) == [0, 1, 2]
        assert buf.getvalue() == ""

    def test_drawn_on_a_terminal(self):
        buf = _Terminal()
        assert is_terminal(buf)
        assert list(progress(range(5), label="sim", stream=buf, min_interval=0)) == list(range(5))
        out = buf.getvalue()
        assert "sim: 100%" in out and "5/5" in out and "1/5" in out
        assert out.endswith("\r") and "\n" not in out  # tqdm's bar, removed when it closes

    def test_forced_off(self):
        buf = _Terminal()
        list(progress(range(5), stream=buf, enabled=False))
        assert buf.getvalue() == ""

    def test_unknown_total(self):
        buf = io.StringIO()
        list(progress(iter(range(3)), label="n", enabled=True, stream=buf, min_interval=0))
        assert "n: 3it" in buf.getvalue()

    def test_broken_stream_is_not_a_terminal(self):
        class Closed:
            def isatty(self):
                raise ValueError("closed")
        assert not is_terminal(Closed()) and not is_terminal(object())

    def test_simulate_draws_on_request_only(self, capsys):
        pol = Policy.constant(study(), 7)
        simulate(pol, 10, seed=0, progress=True)
        assert "simulate 10 runs: " in capsys.readouterr().err
        simulate(pol, 10, seed=0, progress=False)
        simulate(pol, 10, seed=0)  # short, and stderr is not a terminal under pytest
        assert capsys.readouterr().err == ""


# -- property tests: simulation agrees with the exact chain -----------------------------------

@st.composite
def problems(draw):
    T = draw(st.integers(1, 12))
    lo = draw(st.integers(0, 10))
    hi = draw(st.integers(lo, 10))
    scheme = draw(st.sampled_from(SCHEMES))
    contract = Contract(T, Fraction(lo, 10), Fraction(hi, 10), scheme,
                        draw(st.integers(0, 60)), draw(st.integers(0, 60)))
    kind = draw(st.sampled_from(["poisson", "uniform", "empirical"]))
    if kind == "poisson":
        demand = Poisson(Fraction(draw(st.integers(1, 16)), 2))
    elif kind == "uniform":
        a = draw(st.integers(0, 5))
        demand = DiscreteUniform(a, draw(st.integers(a, 9)))
    else:
        w = draw(st.lists(st.integers(0, 5), min_size=1, max_size=6).filter(any))
        demand = Empirical([Fraction(x, sum(w)) for x in w])
    return Problem(contract, demand, Fraction(draw(st.integers(1, 20)), 10))


@st.composite
def policies(draw):
    problem = draw(problems())
    kind = draw(st.sampled_from(["dynamic", "static", "user"]))
    if kind == "dynamic":
        return solve_dynamic(problem).policy
    if kind == "static":
        return solve_static(problem).policy
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    T = problem.review_period
    return Policy(problem, rng.integers(0, 11, size=n_transient(T)))


#: two-sided p-value of a 4-standard-error deviation
FOUR_SE = 2 * stats.norm.sf(4)


def within_4_se(simulated, exact, sd, n):
    se = sd / math.sqrt(n)
    if se <= 1e-12 * (1 + abs(exact)):
        return abs(simulated - exact) <= 1e-9 * (1 + abs(exact))
    return abs(simulated - exact) <= 4 * se


def binomial_within(k, n, p):
    """k of n is no further from p than a 4-SE deviation (exact binomial test for rare events)."""
    if p <= 1e-15:
        return k == 0
    if p >= 1 - 1e-15:
        return k == n
    return stats.binomtest(k, n, p).pvalue >= FOUR_SE


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(policy=policies(), seed=st.integers(0, 2**32 - 1))
def test_summaries_agree_with_the_exact_chain(policy, seed):
    n = 3000
    res = simulate(policy, n, seed=seed)
    exact = policy.ready_count()
    s = res.summary()
    assert within_4_se(s["mean"].value, float(exact.mean), exact.sd, n)
    c = policy.problem.contract
    k_pen = int(np.count_nonzero(res.ready_count < c.penalty_count))
    k_bon = int(np.count_nonzero(res.ready_count >= c.bonus_count))
    assert binomial_within(k_pen, n, float(exact.p_penalty))
    assert binomial_within(k_bon, n, float(exact.p_bonus))
    ref = exact_reference(policy)
    assert within_4_se(s["mean_cost"].value, ref.mean_cost, ref.sd_cost, n)
    assert within_4_se(s["mean_holding_cost"].value, ref.mean_holding_cost, ref.sd_holding_cost, n)
    assert within_4_se(s["mean_settlement"].value, float(exact.expected_settlement()),
                       ref.sd_settlement, n)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(problem=problems(), seed=st.integers(0, 2**32 - 1))
def test_dynamic_cost_agrees_with_the_value_function(problem, seed):
    """Independent of the forward pass: V_1(0) from backward induction is the mean total cost."""
    sol = solve_dynamic(problem)
    n = 3000
    res = simulate(sol.policy, n, seed=seed)
    sd = float(res.total_cost.std(ddof=1))
    assert abs(res.total_cost.mean() - float(sol.value_start)) <= 4 * sd / math.sqrt(n) + 1e-9


def test_static_ready_count_is_binomial():
    sol = solve_static(study(20, "linear", 1), max_stock=40)
    res = simulate(sol.policy, 20000, seed=21)
    q = float(Poisson(5).cdf(sol.base_stock))
    counts = np.bincount(res.ready_count, minlength=21)
    expected = 20000 * stats.binom.pmf(np.arange(21), 20, q)
    keep = expected >= 5
    pooled_obs = np.append(counts[keep], counts[~keep].sum())
    pooled_exp = np.append(expected[keep], expected[~keep].sum())
    assert stats.chisquare(pooled_obs, pooled_exp).pvalue > 1e-4
