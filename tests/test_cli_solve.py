"""Tests of ``slamarkov solve``: output, overrides, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from slamarkov import Contract, Poisson, Problem, solve_dynamic, solve_static
from slamarkov.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "contract.toml"

BASE = EXAMPLE.read_text()

READY_KEYS = {"mean", "sd", "p_penalty", "p_bonus", "pmf"}


def run_cli(*args):
    """Run the real command in a subprocess (python -m slamarkov.cli): (exit code, stdout, stderr)."""
    proc = subprocess.run([sys.executable, "-m", "slamarkov.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


def solve_json(capsys, *args):
    code = main(["solve", str(EXAMPLE), "--format", "json", *map(str, args)])
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    return json.loads(out)


def assert_one_line_error(code, out, err, *fields):
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("slamarkov")
    assert "error:" in lines[0]
    for f in fields:
        assert f in lines[0], (f, lines[0])


def write(tmp_path, text, name="c.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def replace(old, new):
    assert old in BASE, old
    return BASE.replace(old, new, 1)


class TestSubprocess:
    """A few runs of the real process (slow to start: each imports scipy); the rest use main(argv)."""

    def test_console_script_text(self):
        exe = Path(sys.executable).with_name("slamarkov")
        if not exe.exists():
            pytest.skip("no slamarkov console script beside this python")
        proc = subprocess.run([str(exe), "solve", "examples/contract.toml"], capture_output=True,
                              text=True, cwd=ROOT, timeout=300)
        assert proc.returncode == 0 and proc.stderr == ""
        assert "-1.201550" in proc.stdout and "-0.872010" in proc.stdout
        assert "i=10   0 0 0 0 0 0 0 10 10 0" in proc.stdout

    def test_missing_file(self, tmp_path):
        code, out, err = run_cli("solve", tmp_path / "nope.toml")
        assert_one_line_error(code, out, err, "nope.toml", "no such file")

    def test_nan_literal(self, tmp_path):
        p = write(tmp_path, replace("bonus = 30", "bonus = nan"))
        code, out, err = run_cli("solve", p)
        assert_one_line_error(code, out, err, "contract.bonus", "finite")


class TestBadInput:
    """Every bad input: one line on stderr naming the field, exit code 2, nothing on stdout."""

    @pytest.mark.parametrize("old, new, fields", [
        ("[costs]", "[cost]", ["cost", "unknown section"]),
        ("bonus = 30", "bonus = 30\ncolour = \"red\"", ["contract.colour", "unknown key"]),
        ("review_period = 10\n", "", ["contract.review_period", "required"]),
        ("holding = 0.5", "", ["costs.holding", "required"]),
        ('kind = "poisson"', "", ["demand.kind", "required"]),
        ("penalty = 50 ", "penalty = inf ", ["contract.penalty", "finite"]),
        ("holding = 0.5", "holding = -inf", ["costs.holding", "finite"]),
        ("mean = 5 ", "mean = nan ", ["demand.mean", "finite"]),
        ('scheme = "lump-sum"', 'scheme = "stepwise"', ["contract.scheme", "stepwise"]),
        ('kind = "poisson"', 'kind = "gamma"', ["demand.kind", "gamma"]),
        ("mean = 5 ", "mean = -5 ", ["demand.mean", "> 0"]),
        ('kind = "poisson"         # poisson | normal | discrete-uniform | uniform | empirical\nmean = 5',
         'kind = "normal"\nmean = 15\nsd = 0', ["demand.sd", "> 0"]),
        ('kind = "poisson"         # poisson | normal | discrete-uniform | uniform | empirical\nmean = 5',
         'kind = "normal"\nmean = 15', ["demand.sd", "required"]),
        ('kind = "poisson"         # poisson | normal | discrete-uniform | uniform | empirical\nmean = 5',
         'kind = "uniform"\nlow = 10\nhigh = 5', ["demand.high"]),
        ('kind = "poisson"         # poisson | normal | discrete-uniform | uniform | empirical\nmean = 5',
         'kind = "empirical"\npmf = [0.5, -0.2, 0.7]', ["demand.pmf[1]", ">= 0"]),
        ('kind = "poisson"         # poisson | normal | discrete-uniform | uniform | empirical\nmean = 5',
         'kind = "empirical"\npmf = [0.5, 0.4]', ["demand.pmf", "sum to 1"]),
        ("max_stock = 40", "max_stock = 5", ["solver.max_stock", "max_stock >= 10"]),
        ("max_stock = 40", "max_stock = -3", ["solver.max_stock", ">= 0"]),
        ("holding = 0.5", "holding = -0.5", ["costs.holding", ">= 0"]),
        ("review_period = 10", "review_period = 0", ["contract.review_period", "positive"]),
        ("penalty_threshold = 0.8", "penalty_threshold = 0.95", ["contract.penalty_threshold"]),
        ("bonus_threshold = 0.9", "bonus_threshold = 1.5", ["contract.bonus_threshold", "[0, 1]"]),
        ("penalty = 50 ", "penalty = -50 ", ["contract.penalty", ">= 0"]),
        ("penalty = 50 ", "penalty = true ", ["contract.penalty", "boolean"]),
        ("max_stock = 40", "max_stock = 40\nexact = true", ["exact", "Poisson"]),
    ])
    def test_file_errors(self, tmp_path, capsys, old, new, fields):
        p = write(tmp_path, replace(old, new))
        code = main(["solve", str(p)])
        out, err = capsys.readouterr()
        assert_one_line_error(code, out, err, *fields)

    def test_missing_file(self, tmp_path, capsys):
        code = main(["solve", str(tmp_path / "absent.toml")])
        assert_one_line_error(code, *capsys.readouterr(), "absent.toml", "no such file")

    def test_directory(self, tmp_path, capsys):
        code = main(["solve", str(tmp_path)])
        assert_one_line_error(code, *capsys.readouterr(), "directory")

    def test_malformed(self, tmp_path, capsys):
        p = write(tmp_path, replace("penalty = 50", "penalty = 50 50"))
        code = main(["solve", str(p)])
        assert_one_line_error(code, *capsys.readouterr(), "malformed TOML")

    @pytest.mark.parametrize("flags, fields", [
        (["--max-stock", "5"], ["solver.max_stock", "max_stock >= 10"]),
        (["--holding", "-1"], ["costs.holding", ">= 0"]),
        (["--holding", "nan"], ["costs.holding"]),
        (["--review-period", "0"], ["contract.review_period"]),
        (["--penalty-threshold", "1.2"], ["contract.penalty_threshold"]),
        (["--bonus", "-3"], ["contract.bonus", ">= 0"]),
        (["--penalty", "inf"], ["contract.penalty"]),
        (["--scheme", "step"], ["contract.scheme", "step"]),
        (["--demand", "gamma:1,2"], ["demand.kind", "gamma"]),
        (["--demand", "normal:15"], ["demand", "normal"]),
        (["--demand", "normal:15,-5"], ["demand.sd", "> 0"]),
        (["--demand", "poisson:0"], ["demand.mean", "> 0"]),
        (["--demand", "empirical:0.5,0.6"], ["demand.pmf", "sum to 1"]),
        (["--demand", "empirical:0.5,-0.5,1"], ["demand.pmf[1]", ">= 0"]),
        (["--demand", "discrete-uniform:5,2"], ["demand.high"]),
        (["--exact"], ["exact", "rational"]),
    ])
    def test_flag_errors(self, capsys, flags, fields):
        code = main(["solve", str(EXAMPLE), *flags])
        assert_one_line_error(code, *capsys.readouterr(), *fields)

    @pytest.mark.parametrize("argv", [
        ["solve", str(EXAMPLE), "--review-period", "ten"],
        ["solve", str(EXAMPLE), "--format", "xml"],
        ["solve"],
        ["solve", str(EXAMPLE), "--unknown-flag"],
    ])
    def test_usage_errors(self, capsys, argv):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
        out, err = capsys.readouterr()
        assert out == "" and "Traceback" not in err and len(err.splitlines()) == 1

    def test_out_is_a_directory(self, tmp_path, capsys):
        code = main(["solve", str(EXAMPLE), "--out", str(tmp_path)])
        assert_one_line_error(code, *capsys.readouterr(), str(tmp_path))

    def test_out_under_a_file(self, tmp_path, capsys):
        blocker = tmp_path / "file"
        blocker.write_text("x")
        code = main(["solve", str(EXAMPLE), "--out", str(blocker / "report.txt")])
        assert_one_line_error(code, *capsys.readouterr(), "report.txt")


class TestJson:
    def test_keys(self, capsys):
        rep = solve_json(capsys)
        assert {"dynamic", "static"} <= set(rep)
        assert set(rep["dynamic"]) == {"cost_per_period", "ready_rate", "stock"}
        assert set(rep["static"]) == {"cost_per_period", "base_stock", "ready_rate"}
        for policy in ("dynamic", "static"):
            assert set(rep[policy]["ready_rate"]) == READY_KEYS

    def test_values_are_fractions_and_match_api(self, capsys):
        rep = solve_json(capsys)
        problem = Problem(Contract.study(10), Poisson(5), 0.5)
        for name, sol in (("dynamic", solve_dynamic(problem, max_stock=40)),
                          ("static", solve_static(problem, max_stock=40))):
            r = rep[name]["ready_rate"]
            assert rep[name]["cost_per_period"] == pytest.approx(sol.cost_per_period, rel=1e-12)
            assert r["mean"] == pytest.approx(sol.ready_rate.mean, rel=1e-12)
            assert r["sd"] == pytest.approx(sol.ready_rate.sd, rel=1e-12)
            assert r["p_penalty"] == pytest.approx(sol.ready_rate.p_penalty, rel=1e-12)
            assert r["p_bonus"] == pytest.approx(sol.ready_rate.p_bonus, rel=1e-12)
            assert r["pmf"] == pytest.approx(sol.ready_rate.pmf.tolist(), rel=1e-12, abs=1e-16)
            assert len(r["pmf"]) == 11 and sum(r["pmf"]) == pytest.approx(1, abs=1e-12)
            # fractions, not percent
            assert 0 <= r["mean"] <= 1 and 0 <= r["p_bonus"] <= 1
        assert rep["dynamic"]["ready_rate"]["mean"] == pytest.approx(0.896123, abs=5e-7)
        assert rep["static"]["base_stock"] == 8
        assert rep["static"]["cost_per_period"] == pytest.approx(-0.872010, abs=5e-7)

    def test_stock_table(self, capsys):
        rep = solve_json(capsys)
        stock = rep["dynamic"]["stock"]
        assert [len(row) for row in stock] == list(range(1, 11))
        assert stock[-1] == [0, 0, 0, 0, 0, 0, 0, 10, 10, 0]
        assert stock[0] == [8]
        assert all(isinstance(x, int) for row in stock for x in row)

    def test_summary_only(self, capsys):
        rep = solve_json(capsys, "--summary-only")
        assert "stock" not in rep["dynamic"]
        assert set(rep["dynamic"]) == {"cost_per_period", "ready_rate"}
        assert "base_stock" in rep["static"]
        assert set(rep["dynamic"]["ready_rate"]) == READY_KEYS

    def test_summary_only_text(self, capsys):
        assert main(["solve", str(EXAMPLE), "--summary-only"]) == 0
        out = capsys.readouterr().out
        assert "cost per period" in out and "i=1" not in out

    def test_exact_mode_json(self, capsys, tmp_path):
        p = write(tmp_path, replace('kind = "poisson"         # poisson | normal | discrete-uniform | '
                                    'uniform | empirical\nmean = 5',
                                    'kind = "discrete-uniform"\nlow = 0\nhigh = 9'))
        assert main(["solve", str(p), "--format", "json", "--exact"]) == 0
        rep = json.loads(capsys.readouterr().out)
        assert isinstance(rep["dynamic"]["cost_per_period"], float)
        assert sum(rep["dynamic"]["ready_rate"]["pmf"]) == pytest.approx(1, abs=1e-12)


class TestOverrides:
    def test_review_period(self, capsys):
        rep = solve_json(capsys, "--review-period", "20")
        assert len(rep["dynamic"]["stock"]) == 20
        assert len(rep["dynamic"]["ready_rate"]["pmf"]) == 21
        assert rep["contract"]["review_period"] == 20

    def test_demand_normal(self, capsys):
        rep = solve_json(capsys, "--demand", "normal:15,5")
        assert rep["demand"] == "DiscretisedNormal(15, 5)"
        from slamarkov import DiscretisedNormal

        sol = solve_dynamic(Problem(Contract.study(10), DiscretisedNormal(15, 5), 0.5), max_stock=40)
        assert rep["dynamic"]["cost_per_period"] == pytest.approx(sol.cost_per_period, rel=1e-12)

    def test_bonus_zero(self, capsys):
        rep = solve_json(capsys, "--bonus", "0")
        sol = solve_dynamic(Problem(Contract(10, 0.8, 0.9, penalty=50), Poisson(5), 0.5), max_stock=40)
        assert rep["contract"]["bonus"] == 0
        assert rep["dynamic"]["cost_per_period"] == pytest.approx(sol.cost_per_period, rel=1e-12)
        assert rep["dynamic"]["stock"] == sol.policy.to_lists()

    def test_several(self, capsys):
        rep = solve_json(capsys, "--scheme", "linear", "--penalty", "250", "--bonus", "150",
                         "--holding", "2", "--review-period", "30", "--penalty-threshold", "0.8",
                         "--bonus-threshold", "0.9", "--max-stock", "40", "--summary-only")
        sol = solve_dynamic(Problem(Contract(30, 0.8, 0.9, "linear", 250, 150), Poisson(5), 2), max_stock=40)
        assert rep["dynamic"]["cost_per_period"] == pytest.approx(sol.cost_per_period, rel=1e-12)
        assert rep["holding_cost"] == 2.0 and rep["contract"]["scheme"] == "linear"

    def test_max_stock_flag(self, capsys):
        rep = solve_json(capsys, "--max-stock", "12", "--summary-only")
        assert rep["max_stock"] == 12

    def test_empirical_and_uniform_specs(self, capsys):
        rep = solve_json(capsys, "--demand", "empirical:0.2,0.5,0.3", "--summary-only")
        assert rep["static"]["base_stock"] in (0, 1, 2)
        rep = solve_json(capsys, "--demand", "uniform:0,10", "--summary-only")
        assert 0 <= rep["static"]["base_stock"] <= 10

    def test_file_unchanged(self, capsys):
        before = EXAMPLE.read_bytes()
        solve_json(capsys, "--review-period", "20")
        assert EXAMPLE.read_bytes() == before


class TestOut:
    def test_writes_file(self, tmp_path, capsys):
        target = tmp_path / "deep" / "er" / "report.json"
        assert main(["solve", str(EXAMPLE), "--format", "json", "--out", str(target)]) == 0
        out, err = capsys.readouterr()
        assert out == f"wrote {target}\n" and err == ""
        from_file = json.loads(target.read_text())
        assert from_file == solve_json(capsys)
        # nothing left beside it: the temporary file was renamed into place
        assert sorted(os.listdir(target.parent)) == ["report.json"]

    def test_text_to_file(self, tmp_path, capsys):
        target = tmp_path / "report.txt"
        assert main(["solve", str(EXAMPLE), "--out", str(target)]) == 0
        assert "-1.201550" in target.read_text() and target.read_text().endswith("\n")

    def test_replaces_existing(self, tmp_path, capsys):
        target = tmp_path / "report.json"
        target.write_text("old")
        assert main(["solve", str(EXAMPLE), "--format", "json", "--summary-only", "--out", str(target)]) == 0
        assert json.loads(target.read_text())["static"]["base_stock"] == 8

    def test_error_leaves_existing_file(self, tmp_path, capsys):
        target = tmp_path / "report.json"
        target.write_text("old")
        code = main(["solve", str(EXAMPLE), "--max-stock", "5", "--out", str(target)])
        assert code == 2 and target.read_text() == "old"
        assert sorted(os.listdir(tmp_path)) == ["report.json"]

    def test_atomic_on_failed_write(self, tmp_path, capsys, monkeypatch):
        # a failure while the file is being written leaves the old file whole and no temporary file
        import slamarkov.io.atomic as io_mod

        target = tmp_path / "report.json"
        target.write_text("old")

        def failing_replace(src, dst):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(io_mod.os, "replace", failing_replace)
        code = main(["solve", str(EXAMPLE), "--format", "json", "--out", str(target)])
        assert_one_line_error(code, *capsys.readouterr(), "No space left on device")
        assert target.read_text() == "old"
        assert sorted(os.listdir(tmp_path)) == ["report.json"]
