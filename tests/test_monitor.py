"""Tests of the monitor: results equal the chain's row queries from the log's state, for every
band a log can end in; the log rules; the ``monitor`` command's JSON, alert and errors."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slamarkov import (
    AbsorbingChain,
    Contract,
    DiscreteUniform,
    Poisson,
    Problem,
    solve_dynamic,
    solve_static,
)
from slamarkov.analysis.monitor import (
    MonitorResult,
    MonitorState,
    PeriodLog,
    decided_band,
    monitor,
    parse_log,
    read_log,
)
from slamarkov.cli import main
from slamarkov.errors import MonitorError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "contract.toml"  # the study's lump-sum contract, T = 10, Poisson(5)

STATE_KEYS = {"period", "ready_count"}  # and stock_on_hand with carry-over
CARRY_STATE_KEYS = STATE_KEYS | {"stock_on_hand"}
POLICY_KEYS = {"p_penalty", "p_neutral", "p_bonus", "expected_settlement", "stock_now",
               "needed_for_no_penalty", "needed_for_bonus"}


@pytest.fixture(scope="module")
def study():
    """T = 10, penalty below 8 ready periods, bonus from 9; both policies solved once."""
    prob = Problem(Contract.study(10), Poisson(5), 0.5)
    return prob, solve_dynamic(prob, max_stock=40).policy, solve_static(prob, max_stock=40).policy


# logs that end in every band: (ready values, the state, the decided band)
LOGS = {
    "empty": ([], (1, 0), None),
    "undecided": ([1, 1, 0, 1, 1, 1], (7, 5), None),
    "penalty-certain": ([0, 1, 0, 0], (5, 1), "penalty"),  # 1 + 6 left < 8
    "bonus-secured": ([1] * 9, (10, 9), "bonus"),
    "bonus-out-of-reach": ([1, 0, 1, 1, 1, 0, 1, 1, 1], (10, 7), None),  # 8 reachable, 9 not
    "end-neutral": ([1] * 8 + [0, 0], (11, 8), "neutral"),
    "end-penalty": ([0] * 10, (11, 0), "penalty"),
    "end-bonus": ([1] * 10, (11, 10), "bonus"),
}


def assert_matches_chain(out, policy, state, exact=False):
    """The monitor's outlook equals the chain's row queries from the same state."""
    chain = AbsorbingChain(policy)
    bands = chain.band_probabilities(state)
    settle = chain.cost_components(state)["settlement"][0]
    if exact:
        assert (out.p_penalty, out.p_neutral, out.p_bonus) == (
            bands["penalty"], bands["neutral"], bands["bonus"])
        assert out.expected_settlement == settle
        assert all(isinstance(x, Fraction) for x in (out.p_penalty, out.expected_settlement))
    else:
        assert out.p_penalty == bands["penalty"]
        assert out.p_neutral == bands["neutral"]
        assert out.p_bonus == bands["bonus"]
        assert out.expected_settlement == pytest.approx(settle, abs=1e-12, rel=1e-12)
    assert abs(float(out.p_penalty + out.p_neutral + out.p_bonus) - 1) <= 1e-12
    i, v = state
    if i <= policy.review_period:
        assert out.stock_now == policy.stock_at(i, v)
    else:
        assert out.stock_now is None


class TestMonitorEqualsChain:
    @pytest.mark.parametrize("name", list(LOGS))
    def test_every_band(self, study, name):
        prob, dyn, sta = study
        ready, state, decided = LOGS[name]
        res = monitor(prob, ready, dynamic=dyn, static=sta)
        assert res.state == MonitorState(*state)
        assert res.decided == decided
        assert_matches_chain(res.dynamic, dyn, state)
        assert_matches_chain(res.static, sta, state)

    def test_exact_values_in_each_band(self, study):
        prob, dyn, sta = study
        pc = monitor(prob, LOGS["penalty-certain"][0], dynamic=dyn, static=sta)
        assert (pc.dynamic.p_penalty, pc.dynamic.p_bonus) == (pytest.approx(1, abs=1e-12), 0.0)
        assert pc.dynamic.expected_settlement == pytest.approx(50, abs=1e-9)
        assert (pc.dynamic.needed_for_no_penalty, pc.dynamic.needed_for_bonus) == (None, None)
        bs = monitor(prob, LOGS["bonus-secured"][0], dynamic=dyn, static=sta)
        assert (bs.dynamic.p_bonus, bs.dynamic.p_penalty) == (pytest.approx(1, abs=1e-12), 0.0)
        assert bs.dynamic.expected_settlement == pytest.approx(-30, abs=1e-9)
        assert (bs.dynamic.needed_for_no_penalty, bs.dynamic.needed_for_bonus) == (0, 0)
        # a secured bonus: the dynamic policy stops stocking, the static one does not
        assert bs.dynamic.stock_now == 0 and bs.static.stock_now == 8
        und = monitor(prob, LOGS["undecided"][0], dynamic=dyn, static=sta)
        assert (und.dynamic.needed_for_no_penalty, und.dynamic.needed_for_bonus) == (3, 4)
        nc = monitor(prob, LOGS["bonus-out-of-reach"][0], dynamic=dyn, static=sta)
        assert (nc.dynamic.needed_for_no_penalty, nc.dynamic.needed_for_bonus) == (1, None)
        assert nc.dynamic.p_bonus == 0.0

    def test_end_state(self, study):
        prob, dyn, sta = study
        res = monitor(prob, LOGS["end-neutral"][0], dynamic=dyn, static=sta)
        for out in (res.dynamic, res.static):
            assert (out.p_penalty, out.p_neutral, out.p_bonus) == (0.0, 1.0, 0.0)
            assert out.expected_settlement == 0.0 and out.stock_now is None
            assert (out.needed_for_no_penalty, out.needed_for_bonus) == (0, None)

    def test_empty_log_is_the_start(self, study):
        prob, dyn, sta = study
        res = monitor(prob, [], dynamic=dyn, static=sta)
        sol = solve_dynamic(prob, max_stock=40)
        assert res.dynamic.p_penalty == pytest.approx(float(sol.ready_rate.p_penalty), abs=1e-15)
        assert res.dynamic.stock_now == dyn.stock_at(1, 0)

    def test_solves_when_not_given(self, study):
        prob, dyn, sta = study
        assert monitor(prob, [1, 0, 1], max_stock=40) == monitor(prob, [1, 0, 1], dynamic=dyn,
                                                                    static=sta)

    @pytest.mark.parametrize("name", ["empty", "undecided", "penalty-certain", "end-bonus"])
    def test_exact_mode(self, name):
        # rational demand, exact arithmetic: results are Fractions and equal the chain exactly
        prob = Problem(Contract(10, "0.7", "0.9", "linear", penalty=20, bonus=10),
                       DiscreteUniform(0, 6), 1)
        dyn = solve_dynamic(prob, exact=True).policy
        sta = solve_static(prob, exact=True).policy
        ready, state, _ = LOGS[name]
        res = monitor(prob, ready, dynamic=dyn, static=sta)
        assert_matches_chain(res.dynamic, dyn, state, exact=True)
        assert_matches_chain(res.static, sta, state, exact=True)
        assert res.dynamic.p_penalty + res.dynamic.p_neutral + res.dynamic.p_bonus == 1


@st.composite
def problems_and_logs(draw):
    T = draw(st.integers(1, 12))
    k_l = draw(st.integers(0, 10))
    k_u = draw(st.integers(k_l, 10))
    a_l, a_u = Fraction(k_l, 10), Fraction(k_u, 10)
    scheme = draw(st.sampled_from(["lump-sum", "linear"]))
    c = Contract(T, a_l, a_u, scheme, penalty=draw(st.integers(0, 60)),
                 bonus=draw(st.integers(0, 40)))
    prob = Problem(c, Poisson(draw(st.sampled_from([2, 5, 8]))), draw(st.sampled_from([0.5, 1, 2])))
    ready = draw(st.lists(st.integers(0, 1), max_size=T))
    return prob, ready


class TestProperties:
    @given(problems_and_logs())
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    def test_random_logs(self, case):
        prob, ready = case
        res = monitor(prob, ready, max_stock=30)
        T = prob.review_period
        state = (len(ready) + 1, sum(ready))
        assert res.state.chain_state == state
        dyn = solve_dynamic(prob, max_stock=30).policy
        sta = solve_static(prob, max_stock=30).policy
        for out, pol in ((res.dynamic, dyn), (res.static, sta)):
            assert_matches_chain(out, pol, state)
            # a band out of reach has probability exactly zero; a secured one leaves none
            if out.needed_for_bonus is None:
                assert out.p_bonus == 0
            if out.needed_for_no_penalty == 0:
                assert out.p_penalty == 0
            if out.needed_for_no_penalty is None:
                assert out.p_neutral == 0 and out.p_bonus == 0
            if out.needed_for_bonus == 0:
                assert out.p_penalty == 0 and out.p_neutral == 0
            left = T - len(ready)
            for need in (out.needed_for_no_penalty, out.needed_for_bonus):
                assert need is None or 0 <= need <= left
        if res.decided is not None:
            p = getattr(res.dynamic, f"p_{res.decided}")
            assert p == pytest.approx(1, abs=1e-12)
        assert decided_band(prob, res.state) == res.decided


class TestLogRules:
    @pytest.fixture
    def prob(self, study):
        return study[0]

    @pytest.mark.parametrize("text, where, rule", [
        ("period,ready\n1,1\n3,1\n", "line 3", "period must be 2 here"),
        ("period,ready\n1,1\n2,0\n2,1\n", "line 4", "period 2 is repeated"),
        ("period,ready\n2,1\n", "line 2", "period must be 1 here"),
        ("period,ready\n1,2\n", "line 2 (period 1)", "ready must be 0 or 1, got '2'"),
        ("period,ready\n1,yes\n", "line 2 (period 1)", "ready must be 0 or 1"),
        ("period,ready\n1,\n", "line 2 (period 1)", "ready must be 0 or 1"),
        ("period,ready\nx,1\n", "line 2", "period must be an integer"),
        ("period,ready\n1,1,4\n", "line 2", "expected 2 fields"),
        ("period,ready,demand\n1,1,-1\n", "line 2 (period 1)", "demand must be >= 0"),
        ("period,ready,demand\n1,1,2.5\n", "line 2 (period 1)", "demand must be an integer"),
        ("period,ready,demand\n1,1,abc\n", "line 2 (period 1)", "demand must be a number"),
        ("period,ready,demand\n1,1,3\n2,0,0\n", "line 3 (period 2)", "ready is 0 but demand is 0"),
        ("period,ready,stock_on_hand\n1,1,3\n", "line 1", "stock_on_hand needs stock carried over"),
        ("period,ready,weather\n", "line 1", "unknown column 'weather'"),
        ("period\n1\n", "line 1", "missing column 'ready'"),
        ("period,ready,ready\n", "line 1", "appears twice"),
        ("", "", "empty; the first line must be the header"),
    ])
    def test_bad_rows(self, prob, text, where, rule):
        with pytest.raises(MonitorError) as exc:
            parse_log(text, prob, "log.csv")
        msg = str(exc.value)
        assert "\n" not in msg
        assert msg.startswith(f"log.csv {where}".rstrip()) and rule in msg, msg

    def test_longer_than_review_period(self, prob):
        text = "period,ready\n" + "".join(f"{k},1\n" for k in range(1, 12))
        with pytest.raises(MonitorError, match=r"log.csv line 12 \(period 11\): the log is longer "
                                               r"than the review period \(T = 10"):
            parse_log(text, prob, "log.csv")

    def test_demand_above_support(self):
        prob = Problem(Contract(5, "0.6", "0.8", penalty=5), DiscreteUniform(0, 6), 1)
        with pytest.raises(MonitorError, match=r"line 2 \(period 1\): demand 7 is above"):
            parse_log("period,ready,demand\n1,0,7\n", prob, "log.csv")

    def test_good_logs(self, prob):
        log = parse_log("\ufeffperiod , ready,demand\n1,1,4\n\n2,0,9\n3,1,\n", prob)
        assert log == PeriodLog((1, 0, 1), (4, 9, None), "<log>")
        assert parse_log("period,ready\n", prob).state == MonitorState(1, 0)
        assert parse_log("ready,period\n1,1\n0,2\n", prob).state == MonitorState(3, 1)

    def test_sequence_and_path(self, prob, tmp_path):
        path = tmp_path / "log.csv"
        path.write_text("period,ready\n1,1\n2,0\n")
        assert read_log(path, prob).state == MonitorState(3, 1)
        with pytest.raises(MonitorError, match="log line 2 .*ready must be 0 or 1"):
            monitor(prob, [1, 2])
        with pytest.raises(MonitorError, match="no such file"):
            read_log(tmp_path / "missing.csv", prob)
        with pytest.raises(MonitorError, match="longer than the review period"):
            monitor(prob, [1] * 11)


# -- the command line ---------------------------------------------------------------------------
def write_log(tmp_path, text, name="log.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def assert_one_line_error(code, out, err, *parts):
    assert code == 2, (code, err)
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("slamarkov") and "error:" in lines[0]
    for part in parts:
        assert part in lines[0], (part, lines[0])


class TestCli:
    def test_json_keys_exactly(self, tmp_path, capsys, study):
        log = write_log(tmp_path, "period,ready\n1,1\n2,1\n3,0\n4,1\n5,1\n6,1\n")
        code = main(["monitor", str(EXAMPLE), "--log", str(log), "--format", "json"])
        out, err = capsys.readouterr()
        assert code == 0 and err == ""
        doc = json.loads(out)
        assert set(doc) == {"state", "decided", "dynamic", "static"}
        assert set(doc["state"]) == STATE_KEYS
        assert set(doc["dynamic"]) == POLICY_KEYS and set(doc["static"]) == POLICY_KEYS
        assert doc["state"] == {"period": 7, "ready_count": 5}
        assert doc["decided"] is None
        prob, dyn, sta = study
        assert doc == monitor(prob, [1, 1, 0, 1, 1, 1], dynamic=dyn, static=sta).to_dict()

    def test_json_end_state(self, tmp_path, capsys):
        log = write_log(tmp_path, "period,ready\n" + "".join(f"{k},1\n" for k in range(1, 11)))
        assert main(["monitor", str(EXAMPLE), "--log", str(log), "--format", "json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert doc["state"] == {"period": 11, "ready_count": 10}
        assert doc["decided"] == "bonus"
        assert doc["dynamic"]["stock_now"] is None and doc["dynamic"]["p_bonus"] == 1.0
        assert doc["dynamic"]["needed_for_bonus"] == 0

    def test_text(self, tmp_path, capsys):
        log = write_log(tmp_path, "period,ready\n1,0\n2,0\n3,0\n")
        assert main(["monitor", str(EXAMPLE), "--log", str(log)]) == 0
        out = capsys.readouterr().out
        assert "state (i, v) = (4, 0)" in out
        assert "outcome: decided: penalty" in out
        assert "impossible (the penalty is certain)" in out

    def test_alert(self, tmp_path, capsys, study):
        prob, dyn, sta = study
        log = write_log(tmp_path, "period,ready\n1,1\n2,0\n3,0\n")
        p = monitor(prob, [1, 0, 0], dynamic=dyn, static=sta).dynamic.p_penalty
        assert 0 < p < 1
        args = ["monitor", str(EXAMPLE), "--log", str(log), "--format", "json", "--alert"]
        assert main(args + [f"{p * 0.99!r}"]) == 1
        out, err = capsys.readouterr()
        assert json.loads(out)["dynamic"]["p_penalty"] == p  # the result is still printed
        assert err.startswith("slamarkov monitor: warning: alert: P(penalty) from period 4")
        assert len(err.splitlines()) == 1
        assert main(args + [f"{p!r}"]) == 0  # exceeds, strictly
        assert main(args + ["1"]) == 0
        capsys.readouterr()

    @pytest.mark.parametrize("value", ["1.5", "-0.1", "abc", "nan"])
    def test_alert_level_checked(self, tmp_path, capsys, value):
        log = write_log(tmp_path, "period,ready\n")
        code = main(["monitor", str(EXAMPLE), "--log", str(log), f"--alert={value}"])
        out, err = capsys.readouterr()
        assert_one_line_error(code, out, err, "--alert: must be a probability in [0, 1]")

    @pytest.mark.parametrize("text, parts", [
        ("period,ready\n" + "".join(f"{k},1\n" for k in range(1, 12)),
         ["line 12 (period 11)", "longer than the review period"]),
        ("period,ready\n1,1\n3,1\n", ["line 3", "period must be 2 here"]),
        ("period,ready\n1,1\n1,1\n", ["line 3", "period 1 is repeated"]),
        ("period,ready\n1,1\n2,5\n", ["line 3 (period 2)", "ready must be 0 or 1"]),
        ("period,ready,stock_on_hand\n1,1,0\n", ["stock_on_hand", "leftover = \"carry\""]),
    ])
    def test_bad_log_exit_2(self, tmp_path, capsys, text, parts):
        log = write_log(tmp_path, text)
        code = main(["monitor", str(EXAMPLE), "--log", str(log)])
        out, err = capsys.readouterr()
        assert_one_line_error(code, out, err, str(log), *parts)

    def test_missing_log_file(self, tmp_path, capsys):
        code = main(["monitor", str(EXAMPLE), "--log", str(tmp_path / "nope.csv")])
        out, err = capsys.readouterr()
        assert_one_line_error(code, out, err, "no such file")

    def test_real_process(self, tmp_path):
        log = write_log(tmp_path, "period,ready\n1,1\n2,7\n")
        proc = subprocess.run([sys.executable, "-m", "slamarkov.cli", "monitor", str(EXAMPLE),
                               "--log", str(log)], capture_output=True, text=True, cwd=ROOT)
        assert_one_line_error(proc.returncode, proc.stdout, proc.stderr, "ready must be 0 or 1")


class TestCostModels:
    def test_purchase_cost(self):
        # a purchase cost without carry-over keeps the state (i, v): still the chain's rows
        prob = Problem(Contract.study(8), Poisson(5), 0.5, purchase_cost=1)
        dyn = solve_dynamic(prob).policy
        sta = solve_static(prob).policy
        for ready in ([], [1, 0, 1], [0, 0, 0, 0], [1] * 8):
            res = monitor(prob, ready, dynamic=dyn, static=sta)
            state = res.state.chain_state
            for out, pol in ((res.dynamic, dyn), (res.static, sta)):
                bands = AbsorbingChain(pol).band_probabilities(state)
                assert (out.p_penalty, out.p_neutral, out.p_bonus) == (
                    bands["penalty"], bands["neutral"], bands["bonus"])


class TestCarryOver:
    """With stock carried over the state is (i, v, x): x is the last logged stock_on_hand."""

    @pytest.fixture(scope="class")
    @classmethod
    def setup(cls):
        prob = Problem(Contract(6, "0.5", "5/6", penalty=30, bonus=18), DiscreteUniform(0, 4),
                       "1/2", purchase_cost=1, salvage_value="1/2", leftover="carry",
                       initial_stock=2)
        dyn = solve_dynamic(prob, exact=True).policy
        sta = solve_static(prob, exact=True).policy
        return prob, dyn, sta

    # logs ending undecided, with the penalty certain, with the bonus secured; and the start
    @pytest.mark.parametrize("rows, state, band", [
        ([], (1, 0, 2), None),
        ([(1, 3), (0, 0)], (3, 1, 0), None),
        ([(0, 0), (0, 0), (0, 0), (0, 0)], (5, 0, 0), "penalty"),
        ([(1, 1), (1, 0), (1, 2), (1, 1), (1, 0)], (6, 5, 0), "bonus"),
        ([(1, 1)] * 6, (7, 6, 1), "bonus"),
    ])
    def test_results_equal_the_chains_rows(self, setup, rows, state, band):
        prob, dyn, sta = setup
        res = monitor(prob, rows, dynamic=dyn, static=sta)
        assert res.state.chain_state == state and res.decided == band
        assert res.state.to_dict()["stock_on_hand"] == state[2]
        for out, pol in ((res.dynamic, dyn), (res.static, sta)):
            dist = AbsorbingChain(pol).ready_rate(state)
            assert (out.p_penalty, out.p_neutral, out.p_bonus) == (
                dist.p_penalty, dist.p_neutral, dist.p_bonus)
            assert out.expected_settlement == dist.expected_settlement()
            if state[0] <= 6:
                assert out.stock_now == pol.stock_at(*state)
            else:
                assert out.stock_now is None

    def test_log_file_and_json(self, setup, tmp_path):
        prob, dyn, sta = setup
        log = write_log(tmp_path, "period,ready,demand,stock_on_hand\n1,1,1,3\n2,0,4,0\n")
        res = monitor(prob, read_log(log, prob), dynamic=dyn, static=sta)
        assert res.to_dict()["state"] == {"period": 3, "ready_count": 1, "stock_on_hand": 0}

    @pytest.mark.parametrize("text, parts", [
        ("period,ready\n1,1\n", ["missing column 'stock_on_hand'"]),
        ("period,ready,stock_on_hand\n1,0,2\n", ["line 2", "period 1", "short period"]),
        ("period,ready,stock_on_hand\n1,1,-1\n", ["line 2", "stock_on_hand must be an integer"]),
        ("period,ready,stock_on_hand\n1,1,x\n", ["line 2", "stock_on_hand must be an integer"]),
        ("period,ready,demand,stock_on_hand\n1,1,0,1\n", ["line 2", "below the 2 units"]),
        ("period,ready,stock_on_hand\n1,1,99\n", ["period 1", "above the stock range"]),
    ])
    def test_bad_stock_on_hand(self, setup, tmp_path, capsys, text, parts):
        prob, dyn, sta = setup
        with pytest.raises(MonitorError) as info:
            monitor(prob, read_log(write_log(tmp_path, text), prob), dynamic=dyn, static=sta)
        for part in parts:
            assert part in str(info.value)
        contract = tmp_path / "carry.toml"
        contract.write_text(EXAMPLE.read_text() + '\n[inventory]\nleftover = "carry"\n')
        code = main(["monitor", str(contract), "--log", str(write_log(tmp_path, text)),
                     "--purchase", "1", "--initial-stock", "2"])
        out, err = capsys.readouterr()
        assert_one_line_error(code, out, err, parts[-1])


def test_result_fields_are_the_json_keys():
    from dataclasses import fields

    from slamarkov.analysis.monitor import PolicyOutlook

    assert {f.name for f in fields(MonitorResult)} == {"state", "decided", "dynamic", "static"}
    assert {f.name for f in fields(PolicyOutlook)} == POLICY_KEYS
    assert {f.name for f in fields(MonitorState)} == CARRY_STATE_KEYS
