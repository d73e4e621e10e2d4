"""``slamarkov design`` on a grid of several customers sharing one stock (docs/model.md section
15) and on its sweep table: the per-customer settlement column against the solver, --minimize,
--where and --top against a brute-force filter of the table, the Pareto front of the buyers'
total payment against the supplier's cost against its definition, resume, and one-line refusals."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from slamarkov.cli import main
from slamarkov.model.config import config_from_dict
from slamarkov.solve.customers import solve_customers_dynamic, solve_customers_static
from slamarkov.sweep import sweep
from slamarkov.sweep.design import PAYMENT, design, pareto_front, with_payment
from slamarkov.sweep.grid import load_grid

ROOT = Path(__file__).resolve().parents[1]
BASE = (ROOT / "examples" / "customers.toml").read_text()
# 8 points, T = 3 or 4: fast
GRID = BASE.replace("review_period = 10", "review_period = [3, 4]").replace(
    "penalty_threshold = 0.9\n", "penalty_threshold = [0.6, 0.9]\n").replace(
    "holding = 0.5", "holding = [0.5, 2]")
NAMES = ("north", "south")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("customers")
    grid = d / "grid.toml"
    grid.write_text(GRID)
    table = d / "sweep.csv"
    assert main(["sweep", str(grid), "--out", str(table), "--workers", "1", "--no-progress"]) == 0
    return grid, table


def test_settlement_columns_are_the_solvers(files):
    grid, path = files
    table = pd.read_csv(path)
    g = load_grid(grid)
    assert len(table) == 2 * len(g) == 16
    for k in range(len(g)):
        problem = config_from_dict(g.point(k)).problem
        T = problem.review_period
        for row, sol in zip(table.iloc[2 * k: 2 * k + 2].itertuples(),
                            (solve_customers_dynamic(problem), solve_customers_static(problem))):
            for j, (name, cu) in enumerate(zip(NAMES, problem.customers)):
                # brute force: the marginal of the joint pmf against the contract's settlement
                marginal = np.asarray(sol.joint_pmf, dtype=float).sum(axis=1 - j)
                expected = float((marginal * cu.contract.settlement()).sum()) / T
                assert getattr(row, f"settlement_per_period_{name}") == pytest.approx(
                    expected, rel=1e-12, abs=1e-15)


def test_settlement_exact_mode():
    import tomllib

    from slamarkov.sweep.runner import solve_point

    data = tomllib.loads(BASE.replace("review_period = 10", "review_period = 3").replace(
        'kind = "poisson"\nmean = 5', 'kind = "discrete-uniform"\nlow = 0\nhigh = 4'))
    data["solver"] = {"exact": True}
    rows = solve_point(data)
    problem = config_from_dict(data).problem
    sol = solve_customers_dynamic(problem, exact=True)
    for j, cu in enumerate(problem.customers):
        joint = sol.joint_pmf
        marginal = [sum(joint[a][b] for a in range(len(joint)) for b in range(len(joint[0]))
                        if (a, b)[j] == v) for v in range(4)]
        G = cu.contract.settlement(exact=True)
        exact = sum(Fraction(m) * Fraction(g) for m, g in zip(marginal, G)) / 3
        assert rows[0][2 + 5 * j + 4] == float(exact)


def _brute(table, where, minimize, policy="dynamic"):
    t = with_payment(table)
    t = t[(t["policy"] == policy) & where(t)]
    return t.sort_values(minimize, kind="stable")


@pytest.mark.parametrize("minimize", ["cost_per_period", PAYMENT, f"{PAYMENT}_north",
                                      "sacrificed_south"])
def test_minimize_and_where_are_the_brute_force(files, minimize):
    table = pd.read_csv(files[1])
    got = design(table, minimize, "p_penalty_south <= 0.5 and ready_mean_north >= 0.9")
    want = _brute(table, lambda t: (t["p_penalty_south"] <= 0.5) & (t["ready_mean_north"] >= 0.9),
                  minimize)
    assert got.index.tolist() == want.index.tolist() and len(got) > 0
    assert got[minimize].is_monotonic_increasing
    total = sum(-table.loc[got.index, f"settlement_per_period_{n}"] for n in NAMES)
    assert got[PAYMENT].tolist() == pytest.approx(total.tolist(), rel=1e-12)


def test_front_is_the_non_dominated_rows(files):
    table = with_payment(pd.read_csv(files[1]))
    t = table[table["policy"] == "static"]
    front = pareto_front(t, service="cost_per_period", higher=False)
    pts = list(zip(t[PAYMENT], t["cost_per_period"]))
    dominated = {i for i, (p, c) in zip(t.index, pts)
                 if any((q <= p and d <= c) and (q < p or d < c) for q, d in pts)}
    assert set(front.index) == set(t.index) - dominated
    assert front[PAYMENT].is_monotonic_increasing


def test_cli_grid_and_table_agree(files, tmp_path, capsys):
    grid, table = files
    args = ["--minimize", f"{PAYMENT}_south", "--where", "p_bonus_north > 0.5", "--top", "2"]
    out1, out2 = tmp_path / "a.csv", tmp_path / "b.json"
    assert main(["design", str(grid), *args, "--out", str(out1), "--workers", "1",
                 "--no-progress"]) == 0
    text1 = capsys.readouterr()[0]
    assert main(["design", str(table), *args, "--out", str(out2)]) == 0
    text2 = capsys.readouterr()[0]
    assert text1.replace(str(out1), "X") == text2.replace(str(out2), "X")
    assert "the buyers' total payment per period against the supplier's cost per period" in text1
    # grouped by the assumption (holding), not by the customer's threshold (a contract term)
    assert text1.count("assuming holding = ") == 4
    assert "ready_mean_south (%)" in text1
    best = pd.read_csv(out1)
    want = _brute(pd.read_csv(table), lambda t: t["p_bonus_north"] > 0.5, f"{PAYMENT}_south")
    assert best[f"{PAYMENT}_south"].tolist() == pytest.approx(
        want[f"{PAYMENT}_south"].tolist(), rel=1e-15)
    assert json.loads(out2.read_text())[0][PAYMENT] == pytest.approx(best[PAYMENT][0], rel=1e-15)
    # --top 2: two rows per list
    first = text1.split("\n\n")[1].splitlines()
    assert len(first) == 1 + 1 + 2


def test_figure(files, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    fig = tmp_path / "f.png"
    assert main(["design", str(files[1]), "--minimize", "cost_per_period", "--figure",
                 str(fig)]) == 0
    assert fig.read_bytes()[:4] == b"\x89PNG"
    from slamarkov.sweep.design import pareto_figure

    f = pareto_figure(with_payment(pd.read_csv(files[1])), service="cost_per_period",
                      higher=False)
    assert (f.axes[0].get_xlabel(), f.axes[0].get_ylabel()) == (
        "buyers' total payment per period", "cost per period")


def test_infeasible(files, capsys):
    assert main(["design", str(files[1]), "--minimize", "cost_per_period", "--where",
                 "ready_mean_north > 1"]) == 3


@pytest.mark.parametrize("args, message", [
    (["--minimize", "ready_mean"], "--minimize: unknown column 'ready_mean'"),
    (["--minimize", "cost_per_period", "--where", "p_penalty < 0.1"],
     "--where: unknown column 'p_penalty'"),
    (["--minimize", "cost_per_period", "--where", "__import__('os')"], "--where:"),
    (["--minimize", "cost_per_period", "--top", "0"], "--top:"),
])
def test_bad_input_one_line(files, capsys, args, message):
    for source in files:
        assert main(["design", str(source), *args, "--workers", "1"]) == 2
        err = capsys.readouterr()[1]
        assert err.count("\n") == 1 and message in err, err


def test_old_table_without_settlement_refused(files, tmp_path, capsys):
    table = pd.read_csv(files[1])
    old = tmp_path / "old.csv"
    table.drop(columns=[f"settlement_per_period_{n}" for n in NAMES]).to_csv(old, index=False)
    assert main(["design", str(old), "--minimize", "cost_per_period"]) == 2
    err = capsys.readouterr()[1]
    assert err.count("\n") == 1 and "sweep the grid again" in err
    half = tmp_path / "half.csv"
    table.drop(columns=["p_bonus_south"]).to_csv(half, index=False)
    assert main(["design", str(half), "--minimize", "cost_per_period"]) == 2
    err = capsys.readouterr()[1]
    assert err.count("\n") == 1 and "no column 'p_bonus_south'" in err


def test_resume_checks_customer_records(files, tmp_path):
    from slamarkov.errors import ConfigError

    grid = load_grid(files[0])
    partial = tmp_path / "p.partial"
    table = sweep(grid, workers=1, partial=partial)
    assert sweep(grid, workers=1, partial=partial, resume=True).equals(table)
    lines = partial.read_text().splitlines()
    rec = json.loads(lines[1])
    rec["rows"][0][3] = 1.5  # p_penalty_north
    partial.write_text("\n".join([lines[0], json.dumps(rec)]) + "\n")
    with pytest.raises(ConfigError, match="p_penalty_north is a probability"):
        sweep(grid, workers=1, partial=partial, resume=True)
