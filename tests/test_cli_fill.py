"""The command line on fill-rate contracts (docs/model.md section 14): ``--measure``, the
``solve --format json`` keys the issue names, ``chain --from I,D,F`` and one-line errors."""

from __future__ import annotations

import itertools
import json
from fractions import Fraction

import pytest

from slamarkov import Contract, DiscreteUniform, Poisson, Problem, solve_dynamic, solve_static
from slamarkov.cli import main

FILL = """
[contract]
review_period = 3
penalty_threshold = 0.8
bonus_threshold = 0.9
penalty = 12
bonus = 5
measure = "fill-rate"
[costs]
holding = 1
[demand]
kind = "discrete-uniform"
low = 0
high = 2
[solver]
max_stock = 3
"""


@pytest.fixture
def contract(tmp_path):
    path = tmp_path / "fill.toml"
    path.write_text(FILL)
    return path


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_solve_json_keys_and_values(capsys, contract):
    code, out, err = run(capsys, "solve", contract, "--format", "json", "--exact")
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert doc["measure"] == "fill-rate"
    assert doc["truncated_mass"] == "0"
    for kind in ("dynamic", "static"):
        assert set(doc[kind]["fill_rate"]) == {"mean", "sd", "p_penalty", "p_bonus", "values",
                                               "pmf"}
        assert "cost_per_period" in doc[kind]
    problem = Problem(Contract(3, "0.8", "0.9", penalty=12, bonus=5, measure="fill-rate"),
                      DiscreteUniform(0, 2), 1)
    dyn = solve_dynamic(problem, max_stock=3, exact=True)
    sta = solve_static(problem, max_stock=3, exact=True)
    assert doc["static"]["base_stock"] == sta.base_stock
    assert doc["dynamic"]["cost_per_period"] == float(dyn.cost_per_period)
    fr = doc["dynamic"]["fill_rate"]
    assert [Fraction(v) for v in fr["values"]] == list(dyn.fill_rate.values)
    assert [Fraction(p) for p in fr["pmf"]] == list(dyn.fill_rate.pmf)
    assert sum(Fraction(p) for p in fr["pmf"]) == 1
    assert Fraction(fr["p_penalty"]) == dyn.fill_rate.p_penalty
    # the order of every state, period by period, pairs (D, F) by D then F
    assert [y for row in doc["dynamic"]["stock"] for y in row] == dyn.policy.stock.tolist()


def test_measure_flag_switches_the_model(capsys, contract):
    code, out, _ = run(capsys, "solve", contract, "--format", "json", "--measure", "ready-rate")
    assert code == 0 and "measure" not in json.loads(out)  # the ready-rate document, unchanged
    assert "ready_rate" in json.loads(out)["dynamic"]
    code, out, _ = run(capsys, "solve", contract, "--format", "json", "--summary-only",
                       "--demand", "poisson:2", "--max-stock", "12")
    doc = json.loads(out)
    assert 0 < doc["truncated_mass"] <= 1e-12
    assert abs(sum(doc["static"]["fill_rate"]["pmf"]) - (1 - doc["truncated_mass"])) < 1e-14


def test_chain_from_a_mid_period_state(capsys, contract):
    code, out, err = run(capsys, "chain", contract, "--from", "2,2,1", "--exact")
    assert code == 0 and err == ""
    assert out.startswith("from state (i=2, D=2, F=1): period 2 of 3")


@pytest.mark.parametrize("args, message", [
    (["solve", "{f}", "--measure", "fill"], "contract.measure: must be one of ready-rate, "
                                            "fill-rate, got 'fill'"),
    (["solve", "{f}", "--demand", "uniform:0,4"], "contract.measure: 'fill-rate' needs discrete "
                                                  "demand"),
    (["chain", "{f}", "--from", "2,2"], "--from: must be I,D,F or I,D,F,X (integers)"),
    (["chain", "{f}", "--from", "2,1,2"], "--from: state (2, 1, 2) is not in the chain"),
])
def test_bad_input_is_one_line(capsys, contract, args, message):
    code, out, err = run(capsys, *[a.format(f=contract) for a in args])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err


def test_sweep_measures_both(capsys, tmp_path):
    grid = tmp_path / "grid.toml"
    grid.write_text('[contract]\nreview_period = [3]\npenalty_threshold = [0.8]\n'
                    'bonus_threshold = [0.9]\npenalty = [10]\nmeasure = ["ready-rate", '
                    '"fill-rate"]\n[costs]\nholding = [1]\n[demand]\nkind = "poisson"\nmean = 2\n')
    code, out, err = run(capsys, "sweep", grid, "--out", tmp_path / "out.csv", "--workers", "1")
    assert code == 0, err
    lines = (tmp_path / "out.csv").read_text().splitlines()
    assert lines[0].split(",")[4:8] == ["contract.measure", "holding", "policy", "measure"]
    assert [line.split(",")[7] for line in lines[1:]] == ["ready-rate"] * 2 + ["fill-rate"] * 2


def test_chain_files_of_a_fill_rate_contract(capsys, contract, tmp_path):
    import numpy as np
    from scipy import sparse

    out = tmp_path / "chain"
    code, _, err = run(capsys, "chain", contract, "--out", out)
    assert code == 0
    lines = (out / "states.csv").read_text().splitlines()
    assert lines[0] == "index,stage,demand_total,filled_total,stock,kind,stock_on_hand"
    B = sparse.load_npz(out / "B.npz").toarray()
    Q = sparse.load_npz(out / "Q.npz").toarray()
    R = sparse.load_npz(out / "R.npz").toarray()
    N = sparse.load_npz(out / "N.npz").toarray()
    t = Q.shape[0]
    assert len(lines) == 1 + t + B.shape[1]
    assert np.allclose(B.sum(axis=1), 1.0, atol=1e-12)
    # the layered identities: N = I + Q N and B = N R (no inversion in the product)
    assert np.allclose(N, np.eye(t) + Q @ N, atol=1e-12)
    assert np.allclose(B, N @ R, atol=1e-12)


def test_simulate_records_units(capsys, tmp_path):
    cfg = tmp_path / "p.toml"
    cfg.write_text(FILL.replace('kind = "discrete-uniform"\nlow = 0\nhigh = 2',
                                'kind = "poisson"\nmean = 3').replace("max_stock = 3",
                                                                       "max_stock = 12"))
    code, out, _ = run(capsys, "simulate", cfg, "--runs", "50", "--seed", "1")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("# slamarkov simulate: ")  # the provenance, as the ready rate's
    rows = [r.split(",") for r in lines[1:]]
    assert rows[0] == ["run", "demand_total", "filled_total", "fill_rate", "holding_cost",
                       "settlement", "total_cost"]
    for r in rows[1:]:
        D, F, fr = int(r[1]), int(r[2]), float(r[3])
        assert 0 <= F <= D and fr == (1.0 if D == 0 else F / D)
        assert float(r[6]) == float(r[4]) + float(r[5])
    code, out, _ = run(capsys, "simulate", cfg, "--runs", "20000", "--seed", "2", "--out",
                       tmp_path / "runs.csv", "--format", "json")
    doc, _ = json.JSONDecoder().raw_decode(out)  # then the line naming the file written
    # the summary is the ready rate's, on the runs written: each number from the file itself
    from slamarkov.simulation.fill import read_fill_runs

    runs = read_fill_runs(tmp_path / "runs.csv")
    sim = doc["simulated"]
    assert sim["runs"] == 20000 and doc["dkw"]["passed"] in (True, False)
    assert sim["mean"]["value"] == pytest.approx(runs.fill_rate.mean(), rel=1e-12)
    assert sim["mean_cost"]["value"] == pytest.approx(runs.total_cost.mean(), rel=1e-12)
    pp = (runs.filled_total * 5 < runs.demand_total * 4).mean()  # FR < 0.8, exactly
    assert sim["p_penalty"]["value"] == pp
    solved = json.loads(main_json(capsys, "solve", cfg))
    assert doc["exact"]["mean"] == pytest.approx(float(solved["dynamic"]["fill_rate"]["mean"]),
                                                 rel=1e-12)
    assert doc["exact"]["mean_cost"] == pytest.approx(
        3 * solved["dynamic"]["cost_per_period"], rel=1e-12)


def main_json(capsys, *args):
    code, out, err = run(capsys, *args, "--format", "json")
    assert code == 0, err
    return out


def test_monitor_reads_units(capsys, contract, tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("period,demand,filled\n1,2,1\n")
    code, out, err = run(capsys, "monitor", contract, "--log", log, "--format", "json",
                         "--exact")
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert doc["state"] == {"period": 2, "demand_total": 2, "filled_total": 1}
    problem = Problem(Contract(3, "0.8", "0.9", penalty=12, bonus=5, measure="fill-rate"),
                      DiscreteUniform(0, 2), 1)
    pol = solve_dynamic(problem, max_stock=3, exact=True).policy
    dist = pol.fill_rate((2, 2, 1))
    assert doc["dynamic"]["p_penalty"] == float(dist.p_penalty)
    assert doc["dynamic"]["stock_now"] == int(pol.stock[pol.space.index(2, 2, 1)])
    assert doc["decided"] is None  # from (2, 2, 1) the rate can still end in any band


def test_monitor_says_when_the_band_is_decided(capsys, contract, tmp_path):
    # nothing filled of 4 units, one period of at most 2 left: at best 2/6 < 0.8, a penalty
    log = tmp_path / "log.csv"
    log.write_text("period,demand,filled\n1,2,0\n2,2,0\n")
    code, out, err = run(capsys, "monitor", contract, "--log", log, "--format", "json",
                         "--exact")
    doc = json.loads(out)
    assert code == 0 and doc["decided"] == "penalty"
    assert doc["dynamic"]["p_penalty"] == doc["static"]["p_penalty"] == 1.0
    code, out, err = run(capsys, "monitor", contract, "--log", log, "--exact")
    assert "outcome: decided: penalty (whatever happens)" in out


@pytest.mark.parametrize("text, message", [
    ("period,demand,filled\n1,2,3\n", "filled must not exceed demand, got filled 3 > demand 2"),
    ("period,demand,filled\n1,-1,0\n", "demand must be a non-negative integer (units)"),
    ("period,demand,filled\n1,1.5,1\n", "demand must be a non-negative integer (units)"),
    ("period,demand,filled\n1,2,\u00b2\n", "filled must be a non-negative integer (units)"),
    ("period,demand,filled\n1,\u0661,1\n", "demand must be a non-negative integer (units)"),
    ("period,demand\n1,2\n", "missing column 'filled' (the header is period,demand,filled)"),
    ("period,ready\n1,1\n", "unknown column 'ready'"),
    ("period,demand,filled\n1,2,1\n2,2,2\n3,2,2\n4,1,1\n", "longer than the review period"),
])
def test_monitor_refuses_bad_logs(capsys, contract, tmp_path, text, message):
    log = tmp_path / "log.csv"
    log.write_text(text)
    code, out, err = run(capsys, "monitor", contract, "--log", log)
    assert code == 2 and out == "" and err.count("\n") == 1 and message in err


def test_validate_a_simulated_runs_file(capsys, tmp_path):
    cfg = tmp_path / "p.toml"
    cfg.write_text(FILL.replace('kind = "discrete-uniform"\nlow = 0\nhigh = 2',
                                'kind = "poisson"\nmean = 3').replace("max_stock = 3",
                                                                       "max_stock = 12"))
    runs = tmp_path / "runs.csv"
    assert run(capsys, "simulate", cfg, "--runs", "5000", "--seed", "4", "--out", runs)[0] == 0
    code, out, _ = run(capsys, "validate", cfg, "--runs", runs, "--format", "json")
    assert code == 0 and json.loads(out)["consistent"] is True
    # runs of another contract (h = 3 stocks less) are rejected
    code, out, _ = run(capsys, "validate", cfg, "--runs", runs, "--holding", "3",
                       "--format", "json")
    assert code == 1 and json.loads(out)["consistent"] is False
    bad = tmp_path / "bad.csv"
    bad.write_text("run,demand_total,filled_total\n1,2,3\n")
    code, out, err = run(capsys, "validate", cfg, "--runs", bad)
    assert code == 2 and err.count("\n") == 1 and "filled_total must not exceed" in err


def test_solve_reports_the_ready_rate_beside_the_fill_rate(capsys, contract):
    # the static policy with discard orders up to S* every period: v ~ Binomial(T, P(d <= S*))
    import math

    code, out, err = run(capsys, "solve", contract, "--format", "json", "--exact")
    assert code == 0, err
    doc = json.loads(out)
    problem = Problem(Contract(3, "0.8", "0.9", penalty=12, bonus=5, measure="fill-rate"),
                      DiscreteUniform(0, 2), 1)
    S = solve_static(problem, max_stock=3, exact=True).base_stock
    assert doc["static"]["base_stock"] == S
    p = Fraction(min(S, 2) + 1, 3)
    assert doc["static"]["ready_rate"]["mean"] == str(p)
    assert doc["static"]["ready_rate"]["sd"] == pytest.approx(math.sqrt(p * (1 - p) / 3),
                                                              rel=1e-12)
    # the dynamic policy's, by brute force over the demand paths
    pol = solve_dynamic(problem, max_stock=3, exact=True).policy
    total, square = Fraction(0), Fraction(0)
    for path in itertools.product(range(3), repeat=3):
        D = F = v = 0
        for i, d in enumerate(path, start=1):
            y = int(pol.stock[pol.space.index(i, D, F)])
            v += d <= y
            D, F = D + d, F + min(d, y)
        total += Fraction(v, 3) / 27
        square += Fraction(v, 3) ** 2 / 27
    assert doc["dynamic"]["ready_rate"]["mean"] == str(total)
    assert doc["dynamic"]["ready_rate"]["sd"] == pytest.approx(
        math.sqrt(square - total ** 2), rel=1e-12)


@pytest.mark.parametrize("measure", ["fill-rate", "ready-rate"])
def test_chain_from_as_json(capsys, contract, measure):
    # one customer's --from summaries as JSON: the chain's own numbers, both measures
    start = (2, 2, 1) if measure == "fill-rate" else (2, 1)
    code, out, err = run(capsys, "chain", contract, "--measure", measure, "--exact", "--from",
                         ",".join(map(str, start)), "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    problem = Problem(Contract(3, "0.8", "0.9", penalty=12, bonus=5, measure=measure),
                      DiscreteUniform(0, 2), 1)
    chain = solve_dynamic(problem, max_stock=3, exact=True).chain
    assert doc["state"] == list(start) and doc["measure"] == measure
    dist = chain.fill_rate(start) if measure == "fill-rate" else chain.ready_rate(start)
    rate = doc["fill_rate" if measure == "fill-rate" else "ready_rate"]
    # as the distribution writes itself (a fill rate's exact values as fraction strings)
    assert Fraction(str(rate["p_penalty"])) == (dist.p_penalty if measure == "fill-rate"
                                                else Fraction(float(dist.p_penalty)))
    assert float(Fraction(str(rate["mean"]))) == float(dist.mean)
    assert sum(doc["bands"].values()) == pytest.approx(1, abs=1e-15)
    ready = chain.remaining_ready(start)
    assert doc["still_to_come"]["ready_periods"]["mean"] == float(ready["mean"])
    if measure == "fill-rate":
        assert doc["still_to_come"]["filled_units"]["variance"] == float(
            chain.remaining_filled(start)["variance"])
    mean, var = chain.cost_moments(start)
    assert doc["cost"]["mean"] == float(mean) and doc["cost"]["sd"] == pytest.approx(
        float(var) ** 0.5, rel=1e-15)
    assert set(doc["cost_parts"]) == {"holding", "settlement", "total"}  # no price: no purchase


def test_chain_json_needs_from(capsys, contract, tmp_path):
    code, out, err = run(capsys, "chain", contract, "--out", tmp_path / "m", "--format", "json")
    assert code == 2 and err.count("\n") == 1 and "--format: json is the format of the --from" \
        in err


def test_size_checks_count_the_fill_rate_states(capsys, tmp_path, monkeypatch):
    # check_solve counts (i, D, F[, x]) on a fill-rate problem: chain --out, graph --inspect and
    # a sweep's up-front check refuse what cannot fit before any solve
    from slamarkov import memory_limit
    from slamarkov.errors import SizeError
    from slamarkov.solve.fill import fill_state_count
    from slamarkov.solve.limits import check_solve

    problem = Problem(Contract.study(30, measure="fill-rate"), Poisson(5), 1)
    n = fill_state_count(problem)
    assert n == 731_430
    with memory_limit(n * 64 - 1), pytest.raises(SizeError, match=r"^contract\.review_period: "
                                                 r"T = 30 \(fill rate\) gives 731,430 states"):
        check_solve(problem, 40, per_state=64)
    with memory_limit(2**34):
        check_solve(problem, 40, per_state=64)  # fits
    import slamarkov.solve.both as both

    def no_solve(*args, **kwargs):
        raise AssertionError("solved before the size check")

    monkeypatch.setattr(both, "solve_policy", no_solve)
    for args in (["chain", "--out", str(tmp_path / "m")], ["graph", "--inspect"]):
        code = main([args[0], "examples/contract.toml", *args[1:], "--measure", "fill-rate",
                     "--review-period", "30", "--max-gib", "0.2"])
        err = capsys.readouterr()[1]
        assert code == 2 and "T = 30 (fill rate) gives 731,430 states" in err, err
