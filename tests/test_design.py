"""Tests of slamarkov.sweep.design and ``slamarkov design``: the optimum equals a brute-force search
over the table, the Pareto front equals its definition, infeasible and bad queries are refused."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slamarkov import SweepError
from slamarkov.cli import main
from slamarkov.errors import ExpressionError
from slamarkov.sweep import read_table, sweep, write_table
from slamarkov.sweep.design import (
    INFEASIBLE_EXIT,
    PAYMENT,
    check_query,
    design,
    pareto_figure,
    pareto_front,
)

GRID = {
    "contract": {"review_period": [6, 12], "penalty_threshold": [0.6, 0.8],
                 "bonus_threshold": 0.9, "penalty_per_period": [2, 5], "bonus_per_period": [1, 3]},
    "costs": {"holding": [0.5, 1]},
    "demand": {"kind": "poisson", "mean": 5},
}
WHERE = "p_penalty <= 0.2 and ready_mean >= 0.8"


@pytest.fixture(scope="module")
def table():
    return sweep(GRID, workers=1)


def brute_best(table, column, policy, ok):
    best = None
    for _, row in table.iterrows():
        if row.policy != policy or not ok(row):
            continue
        value = -row.settlement_per_period if column == PAYMENT else row[column]
        if best is None or value < best[0]:
            best = (value, row)
    return best


class TestDesign:
    @pytest.mark.parametrize("column", [PAYMENT, "cost_per_period", "p_penalty"])
    @pytest.mark.parametrize("policy", ["dynamic", "static"])
    def test_optimum_is_the_brute_force_optimum(self, table, column, policy):
        out = design(table, column, WHERE, policy)
        best = brute_best(table, column, policy,
                          lambda r: r.p_penalty <= 0.2 and r.ready_mean >= 0.8)
        assert best is not None and len(out) > 0
        assert out.iloc[0][column] == best[0]
        assert (out[column].diff().dropna() >= 0).all()
        assert (out.policy == policy).all()
        assert len(out) == sum((table.policy == policy) & (table.p_penalty <= 0.2)
                               & (table.ready_mean >= 0.8))

    def test_infeasible_is_empty(self, table):
        assert design(table, "cost_per_period", "ready_mean > 1").empty

    def test_unknown_columns_and_bad_expressions(self, table):
        with pytest.raises(ExpressionError, match=r"^--where: unknown column 'colour'"):
            design(table, "cost_per_period", "colour == 1")
        with pytest.raises(SweepError, match=r"^--minimize: unknown column 'cost'"):
            design(table, "cost", None)
        with pytest.raises(ExpressionError, match=r"^--where: not a valid expression"):
            check_query(table.columns, "ready_mean >= ")
        with pytest.raises(SweepError, match="--policy"):
            design(table, "cost_per_period", None, policy="greedy")

    def test_payment_usable_in_where(self, table):
        out = design(table, "ready_mean", f"{PAYMENT} <= 1", None)
        assert (out[PAYMENT] <= 1).all() and set(out.policy) <= {"dynamic", "static"}


class TestPareto:
    @settings(max_examples=60, deadline=None)
    @given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=25))
    def test_front_matches_definition(self, pts):
        t = pd.DataFrame({"settlement_per_period": [-float(p) for p, _ in pts],
                          "ready_mean": [s / 6 for _, s in pts]})
        front = pareto_front(t)
        pay, svc = np.array([p for p, _ in pts], float), np.array([s / 6 for _, s in pts])
        expected = []
        for k in range(len(pts)):
            dominated = any(
                (pay[j] <= pay[k] and svc[j] >= svc[k] and (pay[j] < pay[k] or svc[j] > svc[k]))
                or (pay[j] == pay[k] and svc[j] == svc[k] and j < k)
                for j in range(len(pts)))
            if not dominated:
                expected.append(k)
        assert sorted(front.index.tolist()) == expected
        assert front[PAYMENT].is_monotonic_increasing and front.ready_mean.is_monotonic_increasing

    def test_figure(self, table):
        pytest.importorskip("matplotlib")
        fig = pareto_figure(design(table, PAYMENT, None))
        ax = fig.axes[0]
        assert ax.get_ylabel() == "expected ready rate" and len(ax.collections) == 2


class TestCli:
    def test_design_from_grid_and_from_table(self, table, tmp_path, capsys):
        from test_sweep import write_grid

        grid = write_grid(tmp_path / "grid.toml", GRID)
        out, full, fig = tmp_path / "best.json", tmp_path / "all.csv", tmp_path / "front.png"
        argv = ["design", str(grid), "--minimize", PAYMENT, "--where", WHERE, "--workers", "1",
                "--out", str(out), "--table", str(full), "--top", "3"]
        if "matplotlib" in sys.modules or _has_matplotlib():
            argv += ["--figure", str(fig)]
        assert main(argv) == 0
        text = capsys.readouterr().out
        assert "best 3 of " in text and "by buyer_payment_per_period" in text
        assert "Pareto front" in text
        best = read_table(out)
        assert best.iloc[0][PAYMENT] == design(table, PAYMENT, WHERE).iloc[0][PAYMENT]
        assert read_table(full).equals(read_table(_written(table, tmp_path)))
        if "--figure" in argv:
            assert fig.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        # the same answer from the sweep's table, without solving again
        assert main(["design", str(full), "--minimize", PAYMENT, "--where", WHERE,
                     "--top", "3"]) == 0
        again = capsys.readouterr().out
        assert again == text.split("wrote ")[0]
        assert text.endswith(f"wrote {full}\nwrote {out}\n" + (f"wrote {fig}\n" if "--figure" in argv else ""))

    def test_infeasible(self, table, tmp_path, capsys):
        path = _written(table, tmp_path)
        out = tmp_path / "best.csv"
        code = main(["design", str(path), "--minimize", "cost_per_period", "--where",
                     "ready_mean > 1", "--out", str(out)])
        captured = capsys.readouterr()
        assert code == INFEASIBLE_EXIT == 3
        assert captured.err.startswith(
            "slamarkov design: note: no grid point satisfies --where 'ready_mean > 1'")
        assert captured.err.count("\n") == 1 and not out.exists()

    def test_unknown_column_refused_before_any_work(self, tmp_path, capsys, monkeypatch):
        from test_sweep import write_grid

        mod = sys.modules["slamarkov.sweep"]
        monkeypatch.setattr(mod, "sweep", lambda *a, **k: pytest.fail("the sweep ran"))
        grid = write_grid(tmp_path / "grid.toml", GRID)
        code = main(["design", str(grid), "--minimize", "cost_per_period", "--where",
                     "colour > 1", "--out", str(tmp_path / "b.csv")])
        err = capsys.readouterr().err
        assert code == 2 and err.startswith("slamarkov design: error: --where: unknown column 'colour'")
        assert err.count("\n") == 1 and not (tmp_path / "b.csv").exists()


def _has_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _written(table, tmp_path):
    path = tmp_path / "sweep.csv"
    write_table(table, path)
    return path
