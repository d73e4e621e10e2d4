"""``slamarkov solve`` on a contract file with several customers (docs/model.md section 15): the
JSON keys the issue names, and one-line errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from slamarkov.cli import main
from slamarkov.model.config import load_config
from slamarkov.solve.customers import solve_customers_dynamic, solve_customers_static

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "customers.toml"
BASE = EXAMPLE.read_text()
READY_KEYS = {"mean", "sd", "p_penalty", "p_bonus", "pmf"}


def write(tmp_path, text):
    path = tmp_path / "c.toml"
    path.write_text(text)
    return path


def test_json_keys_and_values(capsys, tmp_path):
    path = write(tmp_path, BASE.replace("review_period = 10", "review_period = 4"))
    assert main(["solve", str(path), "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    rep = json.loads(out)
    problem = load_config(path).problem
    dyn, sta = solve_customers_dynamic(problem), solve_customers_static(problem)
    for key, sol in (("dynamic", dyn), ("static", sta)):
        doc = rep[key]
        assert doc["cost_per_period"] == pytest.approx(sol.cost_per_period, rel=1e-12)
        assert [c["name"] for c in doc["customers"]] == ["north", "south"]
        for c, rr, sac in zip(doc["customers"], sol.ready_rates, sol.sacrificed):
            assert set(c["ready_rate"]) == READY_KEYS
            assert c["ready_rate"]["mean"] == pytest.approx(rr.mean, rel=1e-12)
            assert c["sacrificed_periods"] == pytest.approx(sac, rel=1e-12)
        joint = np.array(doc["joint_pmf"])
        assert joint.shape == (5, 5)
        assert joint.sum() == pytest.approx(1, abs=1e-12)
    assert rep["static"]["rule"] == "priority"
    assert rep["static"]["base_stock"] == sta.base_stock
    assert len(rep["dynamic"]["stock"]) == 4 and np.array(rep["dynamic"]["stock"][3]).shape == (4, 4)


def test_summary_only_leaves_out_the_joint_pmf(capsys, tmp_path):
    path = write(tmp_path, BASE.replace("review_period = 10", "review_period = 3")
                 .replace('rule = "priority"', 'rule = "smallest-first"'))
    assert main(["solve", str(path), "--format", "json", "--summary-only"]) == 0
    rep = json.loads(capsys.readouterr()[0])
    assert "joint_pmf" not in rep["dynamic"] and "joint_pmf" not in rep["static"]
    assert "stock" not in rep["dynamic"]
    assert rep["static"]["rule"] == "smallest-first"


def test_text(capsys):
    assert main(["solve", str(EXAMPLE)]) == 0
    out = capsys.readouterr()[0]
    assert "north sacrificed periods" in out and "saving of the dynamic policy" in out


CUSTOMER_B = BASE[BASE.index("[[customer]]", BASE.index("[[customer]]") + 1):BASE.index("[costs]")]


@pytest.mark.parametrize("edit, field", [
    (lambda t: t.replace('name = "south"', 'name = "north"'), "customer.name"),
    (lambda t: t.replace('name = "south"', 'name = "so uth"'), "customer.name"),
    (lambda t: t.replace('rule = "priority"', 'rule = "fair"'), "allocation.rule"),
    (lambda t: t + '\n[demand]\nkind = "poisson"\nmean = 5\n', "demand"),
    (lambda t: t.replace(CUSTOMER_B, CUSTOMER_B[:CUSTOMER_B.index("[customer.demand]")]),
     "customer.demand"),
    (lambda t: t.replace('review_period = 10', 'review_period = 10\nscheme = "linear"'),
     "contract.scheme"),
    (lambda t: t.replace("review_period = 10", "review_period = 200") + "".join(
        CUSTOMER_B.replace('"south"', f'"c{j}"') for j in range(3)), "customer"),
])
def test_bad_files(capsys, tmp_path, edit, field):
    path = write(tmp_path, edit(BASE))
    code = main(["solve", str(path), "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"slamarkov solve: error: {field}"), err


def test_no_customers(capsys, tmp_path):
    path = write(tmp_path, "customer = []\n[contract]\nreview_period = 3\n[costs]\nholding = 1\n")
    assert main(["solve", str(path)]) == 2
    assert "customer: at least one" in capsys.readouterr()[1]


@pytest.mark.parametrize("command", [["plot", "--kind", "policy", "--out", "x.png"],
                                     ["plot", "--kind", "chain", "--out", "x.png"]])
def test_other_commands_refuse_in_one_line(capsys, command):
    code = main([command[0], str(EXAMPLE), *command[1:]])
    out, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1 and "customer:" in err


def test_reproduce_customers(capsys):
    code = main(["reproduce", "customers", "--pair", "mixed", "--holding", "1",
                 "--review-periods", "10", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0
    rows = json.loads(out)["rows"]
    assert len(rows) == 1
    row = rows[0]
    assert row["dyn_cost"] <= min(row["priority_cost"], row["smallest_cost"])
    assert row["pooling"] == pytest.approx(row["separate_cost"] - row["dyn_cost"])
    # the priority rule never sacrifices retailer a, the first in the file
    assert row["priority_sacrificed_a"] == 0


def test_simulate_then_validate(capsys, tmp_path):
    runs = tmp_path / "runs.csv"
    assert main(["simulate", str(EXAMPLE), "--runs", "4000", "--seed", "5", "--out",
                 str(runs)]) == 0
    made, header = runs.read_text().splitlines()[:2]
    assert header == ("run,ready_count_north,ready_count_south,sacrificed_north,"
                      "sacrificed_south,cost")
    # the provenance line: what the runs were made from, each customer's terms exactly
    prov = json.loads(made.removeprefix("# slamarkov simulate: "))
    assert (prov["policy"], prov["seed"], prov["runs"]) == ("dynamic", 5, 4000)
    assert [c["name"] for c in prov["customers"]] == ["north", "south"]
    assert prov["customers"][0]["penalty_threshold"] == "4/5"
    capsys.readouterr()
    assert main(["validate", str(EXAMPLE), "--runs", str(runs), "--format", "json"]) == 0
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert err == ""  # made for this problem and policy: no warning
    assert doc["consistent"] and set(doc["tests"]) == {"ready_count_north", "ready_count_south",
                                                       "joint"}
    # the dynamic policy's runs are not the static policy's: the file says so, and the test too
    assert main(["validate", str(EXAMPLE), "--runs", str(runs), "--policy", "static"]) == 1
    err = capsys.readouterr()[1]
    assert err.count("\n") == 1 and "simulated with the dynamic policy, not the static" in err
    # runs of another problem: the field that differs is named
    assert main(["validate", str(EXAMPLE), "--runs", str(runs), "--holding", "2"]) in (0, 1)
    err = capsys.readouterr()[1]
    assert "for another problem: costs.holding 1/2 (here 2)" in err


def test_a_bad_runs_line_is_named_by_its_line_in_the_file(capsys, tmp_path):
    runs = tmp_path / "runs.csv"
    runs.write_text('# slamarkov simulate: {"policy":"dynamic"}\n'
                    "run,ready_count_north,ready_count_south\n1,3,2\n\n2,x,1\n")
    assert main(["validate", str(EXAMPLE), "--runs", str(runs)]) == 2
    assert "runs.csv: line 5: the ready counts must be integers" in capsys.readouterr()[1]
    runs.write_text("# slamarkov simulate: [1]\nrun,ready_count_north,ready_count_south\n1,3,2\n")
    assert main(["validate", str(EXAMPLE), "--runs", str(runs)]) == 2
    assert "line 1: # slamarkov simulate: must be followed by a JSON object" in \
        capsys.readouterr()[1]


def test_validate_missing_column(capsys, tmp_path):
    runs = tmp_path / "runs.csv"
    runs.write_text("run,ready_count_north\n1,3\n")
    assert main(["validate", str(EXAMPLE), "--runs", str(runs)]) == 2
    err = capsys.readouterr()[1]
    assert err.count("\n") == 1 and "column ready_count_south missing" in err


def test_chain_from_a_state(capsys):
    assert main(["chain", str(EXAMPLE), "--from", "1,0,0"]) == 0
    out = capsys.readouterr()[0]
    problem = load_config(EXAMPLE).problem
    dyn = solve_customers_dynamic(problem)
    assert f"{100 * dyn.ready_rates[0].mean:.4f}%" in out
    assert f"{dyn.value_start:.6g}" in out
    assert main(["chain", str(EXAMPLE), "--from", "11,7,9", "--policy", "static"]) == 0
    assert "the end of the review period" in capsys.readouterr()[0]


@pytest.mark.parametrize("start", ["8,7,8", "8,7", "8,a,1", "12,0,0", "3,1,1,4"])
def test_chain_from_bad_state(capsys, start):
    assert main(["chain", str(EXAMPLE), "--from", start]) == 2
    err = capsys.readouterr()[1]
    assert err.count("\n") == 1 and "--from:" in err


def test_chain_out_refused(capsys, tmp_path):
    assert main(["chain", str(EXAMPLE), "--out", str(tmp_path / "d")]) == 2
    err = capsys.readouterr()[1]
    assert err.count("\n") == 1 and "--out:" in err and not (tmp_path / "d").exists()


def test_monitor(capsys, tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("period,ready_north,ready_south\n1,1,1\n2,0,1\n3,1,0\n")
    assert main(["monitor", str(EXAMPLE), "--log", str(log), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr()[0])
    assert doc["state"] == {"period": 4, "ready_counts": {"north": 2, "south": 2}}
    from slamarkov.solve.customers import outlook_from
    problem = load_config(EXAMPLE).problem
    ref = outlook_from(solve_customers_dynamic(problem), 4, (2, 2))
    for c, rr in zip(doc["dynamic"]["customers"], ref.ready_rates):
        assert c["p_penalty"] == pytest.approx(float(rr.p_penalty), abs=1e-15)
        assert c["p_neutral"] + c["p_penalty"] + c["p_bonus"] == pytest.approx(1, abs=1e-12)
    assert doc["dynamic"]["cost_to_end"] == pytest.approx(ref.cost, rel=1e-12)
    # south misses its penalty threshold with probability 0.86%: an alert at 0.1%
    assert main(["monitor", str(EXAMPLE), "--log", str(log), "--alert", "0.001"]) == 1


@pytest.mark.parametrize("text, message", [
    ("period,ready_north\n1,1\n", "missing column 'ready_south'"),
    ("period,ready_north,ready_south\n1,1,2\n", "ready_south must be 0 or 1"),
    ("period,ready_north,ready_south\n2,1,1\n", "period must be 1"),
    ("period,ready_north,ready_south,x\n1,1,1\n", "unknown column 'x'"),
])
def test_monitor_bad_log(capsys, tmp_path, text, message):
    log = tmp_path / "log.csv"
    log.write_text(text)
    assert main(["monitor", str(EXAMPLE), "--log", str(log)]) == 2
    err = capsys.readouterr()[1]
    assert err.count("\n") == 1 and message in err


def test_graph_inspect(capsys):
    assert main(["graph", str(EXAMPLE), "--inspect", "--json"]) == 0
    doc = json.loads(capsys.readouterr()[0])
    problem = load_config(EXAMPLE).problem
    dyn = solve_customers_dynamic(problem)
    states = doc["states"]
    assert len(states) == sum(i * i for i in range(1, 11))
    assert sum(s["probability"] for s in states if s["period"] == 5) == pytest.approx(1)
    first = states[0]
    assert first["order"] == dyn.order(1, (0, 0))
    # the state's choice is the allocation's when each fits alone but not both
    y = first["order"]
    served = dyn.serve(1, (0, 0), y, (y, 1))
    assert first["sacrificed_first"] == problem.names[1 - served[0]]
    # the expected periods spent in states sacrificing someone first add up to T when the
    # choice is possible in every state reached
    assert sum(doc["sacrificed_first_probability"].values()) <= 10 + 1e-9


def test_graph_export_refused(capsys):
    assert main(["graph", str(EXAMPLE), "--format", "json"]) == 2
    assert "--format:" in capsys.readouterr()[1]


def test_report(capsys, tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("period,ready_north,ready_south\n1,1,1\n")
    out = tmp_path / "r.html"
    assert main(["report", str(EXAMPLE), "--out", str(out), "--log", str(log)]) == 0
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>") and html.count("<img") == 2
    assert "north: sacrificed periods" in html and "Where the review period stands" in html
    assert "period 2 of 10; ready periods so far: north 1, south 1" in html


def test_simulate_summary_json(capsys, tmp_path):
    runs = tmp_path / "runs.csv"
    assert main(["simulate", str(EXAMPLE), "--runs", "3000", "--seed", "2", "--out", str(runs),
                 "--format", "json"]) == 0
    out = capsys.readouterr()[0]
    *body, last = out.strip().splitlines()
    assert last == f"wrote {runs}"
    doc = json.loads("\n".join(body))
    assert doc["runs"] == 3000 and doc["policy"] == "dynamic"
    for key in ("ready_rate_north", "ready_rate_south", "sacrificed_north", "sacrificed_south",
                "cost"):
        row = doc[key]
        assert abs(row["simulated"] - row["exact"]) < 5 * row["se"] + 1e-12, key


GRID = BASE.replace("review_period = 10", "review_period = [4, 6]").replace(
    'penalty_threshold = 0.9\n', 'penalty_threshold = [0.8, 0.9]\n').replace(
    "holding = 0.5", "holding = [0.5, 1]").replace('rule = "priority"',
                                                 'rule = ["priority", "smallest-first"]')


def test_sweep(capsys, tmp_path):
    grid = tmp_path / "grid.toml"
    grid.write_text(GRID)
    out = tmp_path / "sweep.csv"
    assert main(["sweep", str(grid), "--out", str(out), "--workers", "1"]) == 0
    import pandas as pd

    from slamarkov.model.config import config_from_dict
    from slamarkov.sweep.grid import load_grid

    table = pd.read_csv(out)
    assert list(table.columns[:4]) == ["review_period", "holding", "rule",
                                       "penalty_threshold_south"]
    assert list(table.columns[4:7]) == ["policy", "cost_per_period", "ready_mean_north"]
    assert len(table) == 2 * 16
    g = load_grid(grid)
    for k in (0, 7, 13):
        problem = config_from_dict(g.point(k)).problem
        dyn, sta = solve_customers_dynamic(problem), solve_customers_static(problem)
        rows = table.iloc[2 * k: 2 * k + 2]
        assert rows["cost_per_period"].tolist() == pytest.approx(
            [dyn.cost_per_period, sta.cost_per_period], rel=1e-12)
        assert rows["sacrificed_south"].tolist() == pytest.approx(
            [float(dyn.sacrificed[1]), float(sta.sacrificed[1])], rel=1e-12, abs=1e-15)


def test_design_on_several_customers(capsys, tmp_path):
    # design takes a grid of several customers and its sweep table (tests/test_design_customers.py)
    grid = tmp_path / "grid.toml"
    grid.write_text(GRID)
    assert main(["design", str(grid), "--minimize", "cost_per_period", "--workers", "1",
                 "--no-progress"]) == 0
    text = capsys.readouterr()[0]
    out = tmp_path / "sweep.csv"
    assert main(["sweep", str(grid), "--out", str(out), "--workers", "1"]) == 0
    capsys.readouterr()
    assert main(["design", str(out), "--minimize", "cost_per_period"]) == 0
    assert capsys.readouterr()[0] == text
    assert text.startswith("16 of 16 rows satisfy the constraints (policy dynamic)")


def test_sweep_varies_a_customer_demand(capsys, tmp_path):
    # [customer.demand] keys are swept as the one-customer [demand]'s: column mean_<name>
    import pandas as pd

    from slamarkov.model.config import config_from_dict
    from slamarkov.solve.customers import solve_customers_dynamic
    from slamarkov.sweep.grid import load_grid

    grid = tmp_path / "grid.toml"
    text = BASE.replace("review_period = 10", "review_period = 3")
    grid.write_text(text.replace("mean = 5", "mean = [4, 5]", 1))
    g = load_grid(grid)
    assert g.columns == ("mean_north",)
    assert [p["customer"][0]["demand"]["mean"] for p in g.points()] == [4, 5]
    assert g.point(0)["customer"][1]["demand"]["mean"] == 5  # south's own demand untouched
    out = tmp_path / "s.csv"
    assert main(["sweep", str(grid), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    table = pd.read_csv(out)
    dyn = table[table["policy"] == "dynamic"]
    assert dyn["mean_north"].tolist() == [4, 5]
    for mean, cost in zip((4, 5), dyn["cost_per_period"]):
        one = config_from_dict(tomllib_loads(text.replace("mean = 5", f"mean = {mean}", 1)))
        assert cost == pytest.approx(float(solve_customers_dynamic(
            one.problem, **one.solver_options()).cost_per_period), rel=1e-12)
    # an empty list is refused naming the key
    grid.write_text(text.replace("mean = 5", "mean = []", 1))
    assert main(["sweep", str(grid), "--out", str(out)]) == 2
    assert "customer.north.demand.mean: an empty list gives no grid point" in \
        capsys.readouterr()[1]


def tomllib_loads(text):
    import tomllib

    return tomllib.loads(text)
