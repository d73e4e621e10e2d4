"""The ``simulate`` and ``validate`` subcommands: files, exit codes 0/1/2, one-line errors."""

from __future__ import annotations

import importlib.resources
import json
import subprocess
import sys

import numpy as np
import pytest

from slamarkov.cli import main
from slamarkov.simulation.runs import RUNS_COLUMNS

EXAMPLE = str(importlib.resources.files("slamarkov") / "data" / "example.toml")  # T = 10


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def runs_file(tmp_path, capsys):
    path = tmp_path / "runs.csv"
    code, _, _ = run_cli(capsys, "simulate", EXAMPLE, "--runs", 3000, "--seed", 5, "--out", path)
    assert code == 0
    return path


class TestSimulateCommand:
    def test_writes_runs_and_a_summary(self, tmp_path, capsys):
        path = tmp_path / "sub" / "runs.csv"
        code, out, err = run_cli(capsys, "simulate", EXAMPLE, "--runs", 500, "--seed", 1,
                                 "--out", path)
        assert code == 0 and err == ""
        made, *lines = path.read_text().splitlines()
        assert made.startswith("# slamarkov simulate: {")
        made = json.loads(made.split(": ", 1)[1])
        assert (made["policy"], made["seed"], made["runs"]) == ("dynamic", 1, 500)
        assert made["contract"]["penalty"] == "50" and made["demand"] == "Poisson(5)"
        assert lines[0] == ",".join(RUNS_COLUMNS) and len(lines) == 501
        assert lines[1].startswith("1,") and lines[-1].startswith("500,")
        assert "500 runs of the dynamic policy, seed 1" in out
        # rates in percent, labelled; the exact mean 89.6123% (docs/model.md section 9)
        assert "mean ready rate (%)" in out and "89.6123" in out
        assert out.splitlines()[-1] == f"wrote {path}"

    def test_same_seed_same_file(self, tmp_path, capsys):
        a, b = tmp_path / "a.csv", tmp_path / "b.csv"
        for p in (a, b):
            run_cli(capsys, "simulate", EXAMPLE, "--runs", 300, "--seed", 9, "--out", p)
        assert a.read_bytes() == b.read_bytes()
        run_cli(capsys, "simulate", EXAMPLE, "--runs", 300, "--seed", 10, "--out", b)
        assert a.read_bytes() != b.read_bytes()

    def test_stdout_and_a_reported_fresh_seed(self, capsys):
        code, out, err = run_cli(capsys, "simulate", EXAMPLE, "--runs", 20)
        assert code == 0
        assert err.startswith("slamarkov simulate: note: seed ")
        seed = int(err.split("seed ")[1].split()[0])
        made, *lines = out.splitlines()
        assert json.loads(made.split(": ", 1)[1])["seed"] == seed
        assert lines[0] == ",".join(RUNS_COLUMNS) and len(lines) == 21
        _, again, err2 = run_cli(capsys, "simulate", EXAMPLE, "--runs", 20, "--seed", seed)
        assert again == out and err2 == ""

    def test_static_policy_and_stock_columns(self, capsys):
        code, out, _ = run_cli(capsys, "simulate", EXAMPLE, "--runs", 5, "--seed", 0,
                               "--policy", "static", "--record-stock")
        assert code == 0
        _, header, *rows = out.splitlines()
        assert header.endswith(",".join(f"stock_{i}" for i in range(1, 11)))
        assert all(r.split(",")[6:] == ["8"] * 10 for r in rows)  # S* = 8, docs/model.md section 9

    def test_json_summary(self, tmp_path, capsys):
        code, out, _ = run_cli(capsys, "simulate", EXAMPLE, "--runs", 200, "--seed", 3,
                               "--out", tmp_path / "r.csv", "--format", "json")
        *summary, last = out.splitlines()
        assert last == f"wrote {tmp_path / 'r.csv'}"
        doc = json.loads("\n".join(summary))
        assert code == 0 and doc["runs"] == 200 and doc["seed"] == 3
        assert set(doc["simulated"]["mean"]) == {"value", "se"}
        assert doc["exact"]["mean"] == pytest.approx(0.896123, abs=1e-6)

    def test_overrides_apply(self, capsys):
        code, out, _ = run_cli(capsys, "simulate", EXAMPLE, "--runs", 50, "--seed", 3,
                               "--review-period", 4, "--scheme", "linear")
        counts = np.array([int(r.split(",")[1]) for r in out.splitlines()[2:]])
        assert code == 0 and counts.max() <= 4

    def test_progress_bar_on_request(self, capsys):
        _, _, err = run_cli(capsys, "simulate", EXAMPLE, "--runs", 10, "--seed", 0, "--progress")
        assert "simulate 10 runs: " in err
        _, _, err = run_cli(capsys, "simulate", EXAMPLE, "--runs", 10, "--seed", 0)
        assert err == ""  # standard error is not a terminal here

    @pytest.mark.parametrize("args, pattern", [
        (["--runs", 0], "runs: must be >= 1"),
        (["--seed", -4], "seed: must be a non-negative integer"),
    ])
    def test_bad_settings_exit_2(self, capsys, args, pattern):
        code, _, err = run_cli(capsys, "simulate", EXAMPLE, *args)
        assert code == 2 and pattern in err and err.count("\n") == 1


class TestValidateCommand:
    def test_consistent_runs_exit_0(self, runs_file, capsys):
        code, out, err = run_cli(capsys, "validate", EXAMPLE, "--runs", runs_file)
        assert code == 0 and err == ""
        assert "verdict: consistent with the exact chain" in out
        assert "Bonferroni over 8 checks" in out

    def test_static_runs(self, tmp_path, capsys):
        path = tmp_path / "static.csv"
        run_cli(capsys, "simulate", EXAMPLE, "--policy", "static", "--runs", 3000, "--seed", 2,
                "--out", path)
        code, _, err = run_cli(capsys, "validate", EXAMPLE, "--runs", path, "--policy", "static")
        assert code == 0 and err == ""
        # static runs are not the dynamic policy's: exit 1, the report says what disagrees and
        # the warning says why (the file records the policy it was simulated with)
        code, out, err = run_cli(capsys, "validate", EXAMPLE, "--runs", path)
        assert code == 1 and "INCONSISTENT" in out and "mean: simulated" in out
        assert err == (f"slamarkov validate: warning: {path}: the runs were simulated with the "
                       "static policy, not the dynamic policy tested here, so the verdict compares "
                       "them with a chain they were not simulated from\n")

    def test_runs_of_another_contract_warn(self, runs_file, capsys):
        code, _, err = run_cli(capsys, "validate", EXAMPLE, "--runs", runs_file, "--holding", 1)
        assert code in (0, 1) and len(err.splitlines()) == 1
        assert err.startswith("slamarkov validate: warning: ")
        assert "simulated for another problem: costs.holding 1/2 (here 1)" in err
        # per-period amounts that come to the same contract do not warn
        code, _, err = run_cli(capsys, "validate", EXAMPLE, "--runs", runs_file,
                               "--penalty-per-period", 5, "--bonus-per-period", 3)
        assert code == 0 and err == ""

    def test_json_report_to_a_file(self, runs_file, tmp_path, capsys):
        out_path = tmp_path / "report.json"
        code, out, _ = run_cli(capsys, "validate", EXAMPLE, "--runs", runs_file, "--format",
                               "json", "--alpha", 0.05, "--out", out_path)
        doc = json.loads(out_path.read_text())
        assert code == 0 and out == f"wrote {out_path}\n"
        assert doc["consistent"] is True and doc["alpha"] == 0.05 and doc["runs"] == 3000
        assert doc["level"] == pytest.approx(0.05 / 8)

    def test_a_users_file_with_ready_rates_only(self, tmp_path, capsys):
        rng = np.random.default_rng(0)
        # Binomial(10, 0.93) is the static policy (S* = 8, F(8) = 0.932): not the dynamic one
        rates = rng.binomial(10, 0.9319064, size=2000) / 10
        path = tmp_path / "mine.csv"
        path.write_text("ready_rate\n" + "\n".join(map(str, rates)) + "\n")
        code, out, _ = run_cli(capsys, "validate", EXAMPLE, "--runs", path, "--policy", "static")
        assert code == 0 and "Bonferroni over 5 checks" in out
        code, _, _ = run_cli(capsys, "validate", EXAMPLE, "--runs", path)
        assert code == 1

    def test_inconsistent_runs_exit_1_and_name_the_statistic(self, tmp_path, capsys):
        path = tmp_path / "bad.csv"
        # the settlement of the wrong contract: no bonus ever paid
        body = "\n".join(f"{r},9,0.9,16.8,0.0,16.8" for r in range(1, 201))
        path.write_text(",".join(RUNS_COLUMNS) + "\n" + body + "\n")
        code, out, _ = run_cli(capsys, "validate", EXAMPLE, "--runs", path)
        assert code == 1
        assert "mean_settlement: simulated 0 vs exact -28.806" in out

    @pytest.mark.parametrize("text, pattern", [
        ("", "empty file"),
        ("run,ready_count\n", "no runs"),
        ("run,cost\n1,2\n", "missing column ready_count (or ready_rate)"),
        ("ready_count\n8\nseven\n", "line 3, column ready_count: 'seven' is not a number"),
        ("ready_count\n8\n11\n", "line 3, column ready_count: 11 is outside 0..T = 0..10"),
        ("ready_count,total_cost\n8,x\n", "line 2, column total_cost: 'x' is not a number"),
    ])
    def test_bad_runs_file_exit_2(self, tmp_path, capsys, text, pattern):
        path = tmp_path / "runs.csv"
        path.write_text(text)
        code, out, err = run_cli(capsys, "validate", EXAMPLE, "--runs", path)
        assert code == 2 and out == ""
        assert err.startswith("slamarkov validate: error: ") and pattern in err
        assert err.count("\n") == 1

    def test_other_bad_input_exit_2(self, runs_file, tmp_path, capsys):
        code, _, err = run_cli(capsys, "validate", EXAMPLE, "--runs", tmp_path / "none.csv")
        assert code == 2 and "no such file" in err
        code, _, err = run_cli(capsys, "validate", EXAMPLE, "--runs", runs_file, "--alpha", 1.5)
        assert code == 2 and "alpha: must lie in (0, 1)" in err
        # a T = 10 runs file read under T = 5
        code, _, err = run_cli(capsys, "validate", EXAMPLE, "--runs", runs_file,
                               "--review-period", 5)
        assert code == 2 and "is outside 0..T = 0..5" in err
        with pytest.raises(SystemExit) as exc:
            main(["validate", EXAMPLE, "--runs", str(runs_file), "--alpha", "lots"])
        assert exc.value.code == 2
        with pytest.raises(SystemExit) as exc:
            main(["validate", EXAMPLE])  # --runs is required
        assert exc.value.code == 2


def test_exit_code_reaches_the_shell(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("ready_count\n" + "0\n" * 50)
    proc = subprocess.run([sys.executable, "-m", "slamarkov.cli", "validate", EXAMPLE, "--runs",
                           str(path)], capture_output=True, text=True)
    assert proc.returncode == 1 and "INCONSISTENT" in proc.stdout
