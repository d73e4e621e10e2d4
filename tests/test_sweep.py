"""Tests of slamarkov.sweep and ``slamarkov sweep``: rows, executors, resume, bad input.

Order: rows against single solves (exact agreement: the same computation), invariants (dynamic
never worse than static), then the executors (one process, two local processes, a Dask
LocalCluster, a real scheduler and worker started here) giving the same table bit for bit, the
resume of an interrupted sweep, and the one-line refusals that happen before any work.
"""

from __future__ import annotations

import copy
import json
import math
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from slamarkov import (
    AbsorbingChain,
    ConfigError,
    SweepError,
    solve_dynamic,
    solve_static,
)
from slamarkov.analysis.gaming import GAMING_INDICATORS, STRATEGIC_INDICATORS, gaming_indicators
from slamarkov.cli import main
from slamarkov.model.config import config_from_dict
from slamarkov.sweep import read_table, sweep, write_table
from slamarkov.sweep.grid import RESULT_COLUMNS, grid_from_dict

ROOT = Path(__file__).resolve().parents[1]

GRID = {
    "contract": {"review_period": [4, 9, 15], "penalty_threshold": [0.6, 0.8],
                 "bonus_threshold": 0.9, "scheme": ["lump-sum", "linear"],
                 "penalty_per_period": 5, "bonus_per_period": 3},
    "costs": {"holding": {"start": 0.5, "stop": 1.5, "step": 0.5}},
    "demand": {"kind": "poisson", "mean": 5},
}


def _toml(value):
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def write_grid(path, data):
    lines = []
    for section, table in data.items():
        lines.append(f"[{section}]")
        lines += [f"{k} = {_toml(v)}" for k, v in table.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def table():
    return sweep(GRID, workers=1)


def env_with_package():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


class TestRows:
    def test_shape_and_columns(self, table):
        grid = grid_from_dict(GRID)
        assert list(table.columns) == [
            "review_period", "penalty_threshold", "scheme", "holding", *RESULT_COLUMNS]
        assert RESULT_COLUMNS[:10] == ("policy", "penalty_count", "bonus_count",
                                       "cost_per_period", "cost_sd", "ready_mean",
                                       "ready_sd", "p_penalty", "p_bonus", "settlement_per_period")
        assert len(table) == 2 * len(grid) == 72
        assert table["policy"].tolist() == ["dynamic", "static"] * len(grid)

    def test_rows_agree_with_single_solves(self, table):
        grid = grid_from_dict(GRID)
        rng = random.Random(11)
        for k in rng.sample(range(len(grid)), 8):
            cfg = config_from_dict(grid.point(k))
            T = cfg.problem.review_period
            sols = (solve_dynamic(cfg.problem, **cfg.solver_options()),
                    solve_static(cfg.problem, **cfg.solver_options()))
            rows = table.iloc[2 * k : 2 * k + 2]
            assert tuple(rows.iloc[0, :4]) == grid.labels(k)
            for (_, row), sol in zip(rows.iterrows(), sols):
                chain = AbsorbingChain(sol.policy)
                mean, var = chain.cost_moments()
                assert row.cost_per_period == sol.cost_per_period
                assert row.cost_per_period == pytest.approx(mean / T, abs=1e-12)
                assert row.cost_sd == pytest.approx(math.sqrt(var) / T, rel=1e-12)
                rate = sol.ready_rate
                assert (row.ready_mean, row.ready_sd, row.p_penalty, row.p_bonus) == (
                    rate.mean, rate.sd, rate.p_penalty, rate.p_bonus)
                assert row.settlement_per_period == pytest.approx(
                    chain.cost_components()["settlement"][0] / T, abs=1e-12)
                g = gaming_indicators(sol.policy, sols[1])
                assert tuple(row[k] for k in GAMING_INDICATORS) == tuple(
                    g[k] for k in GAMING_INDICATORS)
                if sol is sols[1]:  # the non-strategic reference scores exactly 0
                    assert all(row[k] == 0 for k in STRATEGIC_INDICATORS)
                assert row.ready_gap == sols[1].ready_rate.mean - sols[0].ready_rate.mean

    def test_dynamic_never_worse_than_static(self, table):
        dyn = table[table.policy == "dynamic"].reset_index(drop=True)
        sta = table[table.policy == "static"].reset_index(drop=True)
        assert (dyn.cost_per_period <= sta.cost_per_period + 1e-12).all()
        assert (dyn.ready_gap == sta.ready_gap).all()
        assert np.allclose(dyn.ready_gap, sta.ready_mean - dyn.ready_mean, atol=1e-15)

    def test_probabilities_and_periods_in_range(self, table):
        for col in ("ready_mean", "p_penalty", "p_bonus"):
            assert table[col].between(0, 1 + 1e-12).all()
        for col in ("bunching_excess_bonus", "bunching_excess_penalty"):
            assert table[col].between(-1 - 1e-12, 1 + 1e-12).all()
        assert (table.give_up_periods + table.coasting_periods
                <= table.review_period + 1e-9).all()
        for part in ("withheld", "added"):
            whole = table[f"{part}_ready_periods"]
            assert whole.between(0, table.review_period + 1e-9).all()
            assert np.allclose(whole, table[f"{part}_ready_periods_open"]
                               + table[f"{part}_ready_periods_decided"], rtol=0, atol=1e-12)
        assert (table.cost_sd >= 0).all()

    def test_single_contract(self):
        data = copy.deepcopy(GRID)
        data["contract"].update(review_period=10, penalty_threshold=0.8, scheme="lump-sum")
        data["costs"]["holding"] = 0.5
        data["solver"] = {"max_stock": 40}
        out = sweep(data, workers=1)
        assert list(out.columns) == list(RESULT_COLUMNS)
        assert out.cost_per_period.round(5).tolist() == [-1.20155, -0.87201]

    def test_exact_mode_point(self):
        data = {"contract": {"review_period": 6, "penalty_threshold": 0.5, "bonus_threshold": 1,
                             "penalty": 10, "bonus": 4},
                "costs": {"holding": 0.5}, "demand": {"kind": "discrete-uniform", "low": 0, "high": 6},
                "solver": {"exact": [False, True]}}
        out = sweep(data, workers=1)
        fl, ex = out.iloc[0:2, 1:], out.iloc[2:4, 1:]
        # exact rows hold floats like the float rows (a Fraction would make its column object);
        # the counts are integers (a row read across columns mixes the two on older pandas)
        results = [c for c in out.columns if c not in ("exact", "policy", "penalty_count",
                                                       "bonus_count")]
        assert all(out[c].dtype == np.float64 for c in results), out.dtypes
        assert out["penalty_count"].dtype.kind == "i" and out["bonus_count"].dtype.kind == "i"
        assert np.allclose(fl.iloc[:, 1:].to_numpy(float), ex.iloc[:, 1:].to_numpy(float),
                           atol=1e-12)


class TestCarryOver:
    def test_carry_over_keys_sweep_like_any_other(self):
        # keys of the carry-over model (docs/model.md section 11) are swept with no grid code
        data = copy.deepcopy(GRID)
        data["contract"].update(review_period=[4, 7], penalty_threshold=0.6, scheme="lump-sum")
        data["costs"] = {"holding": 0.5, "purchase": [0, 1], "salvage": 0}
        data["inventory"] = {"leftover": ["discard", "carry"], "initial_stock": [0, 2]}
        out = sweep(data, workers=1)
        assert list(out.columns[:4]) == ["review_period", "purchase", "leftover", "initial_stock"]
        grid = grid_from_dict(data)
        for k in range(len(grid)):
            cfg = config_from_dict(grid.point(k))
            T = cfg.problem.review_period
            for (_, row), solve in zip(out.iloc[2 * k : 2 * k + 2].iterrows(),
                                       (solve_dynamic, solve_static)):
                sol = solve(cfg.problem, **cfg.solver_options())
                assert row.cost_per_period == sol.cost_per_period
                _, var = AbsorbingChain(sol.policy).cost_moments()
                assert row.cost_sd == pytest.approx(math.sqrt(var) / T, rel=1e-9, abs=1e-12)
                assert row.ready_mean == sol.ready_rate.mean
        dyn, sta = out[out.policy == "dynamic"], out[out.policy == "static"]
        assert (dyn.cost_per_period.to_numpy() <= sta.cost_per_period.to_numpy() + 1e-12).all()


class TestExecutors:
    def test_two_local_workers_same_table(self, table):
        two = sweep(GRID, workers=2, batch_size=3)
        pd.testing.assert_frame_equal(two, table, check_exact=True)
        assert two.equals(table)

    def test_batch_size_does_not_matter(self, table):
        assert sweep(GRID, workers=1, batch_size=1).equals(table)

    def test_dask_local_cluster_same_table(self, table):
        distributed = pytest.importorskip("distributed")
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster:
            with distributed.Client(cluster) as client:
                out = sweep(GRID, scheduler=client)
            # an address works as well as a client
            out2 = sweep(GRID, scheduler=cluster.scheduler_address, batch_size=5)
        assert out.equals(table) and out2.equals(table)

    def test_real_scheduler_and_worker_through_the_cli(self, table, tmp_path):
        pytest.importorskip("distributed")
        sched_file = tmp_path / "scheduler.json"
        env = env_with_package()
        dask = [sys.executable, "-m", "dask"]
        procs = []
        try:
            procs.append(subprocess.Popen(
                dask + ["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                        "--scheduler-file", str(sched_file)],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path))
            for _ in range(600):  # up to a minute for the scheduler to write its address
                if sched_file.exists() and sched_file.stat().st_size:
                    try:
                        address = json.loads(sched_file.read_text())["address"]
                        break
                    except (ValueError, KeyError):
                        pass
                time.sleep(0.1)
            else:
                pytest.fail("dask scheduler did not start")
            assert address.startswith("tcp://127.0.0.1:")
            procs.append(subprocess.Popen(
                dask + ["worker", address, "--nworkers", "1", "--nthreads", "1",
                        "--no-dashboard", "--local-directory", str(tmp_path / "w")],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path))
            from distributed import Client

            with Client(address, timeout=60) as client:
                client.wait_for_workers(1, timeout=120)
            grid = write_grid(tmp_path / "grid.toml", GRID)
            out = tmp_path / "t.csv"
            assert main([ "sweep", str(grid), "--out", str(out), "--scheduler", address,
                         "--no-progress"]) == 0
            assert read_table(out).equals(read_table(_local_csv(table, tmp_path)))
        finally:
            for p in reversed(procs):
                p.terminate()
            for p in reversed(procs):
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()

    def test_bad_workers(self):
        with pytest.raises(SweepError, match="--workers: must be an integer >= 1"):
            sweep(GRID, workers=0)

    def test_quiet_is_a_deprecated_alias_of_no_progress(self, tmp_path, capsys):
        grid = write_grid(tmp_path / "grid.toml", GRID)
        out = tmp_path / "t.csv"
        assert main(["sweep", str(grid), "--out", str(out), "--workers", "1", "--quiet"]) == 0
        assert capsys.readouterr().err == ("slamarkov sweep: warning: --quiet is deprecated; "
                                           "use --no-progress\n")

    def test_progress_forced_on(self, tmp_path, capsys):
        grid = write_grid(tmp_path / "grid.toml", GRID)
        out = tmp_path / "t.csv"
        assert main(["sweep", str(grid), "--out", str(out), "--workers", "1",
                     "--progress"]) == 0
        assert "sweep: " in capsys.readouterr().err


def _local_csv(table, tmp_path):
    path = tmp_path / "local.csv"
    write_table(table, path)
    return path


class TestFilesAndResume:
    @pytest.mark.parametrize("suffix", [".csv", ".json", ".parquet"])
    def test_round_trip_bit_for_bit(self, table, tmp_path, suffix):
        if suffix == ".parquet":
            pytest.importorskip("pyarrow")
        path = tmp_path / f"t{suffix}"
        write_table(table, path)
        back = read_table(path)
        assert list(back.columns) == list(table.columns)
        for col in table.columns:
            assert back[col].tolist() == table[col].tolist(), col

    def test_interrupted_sweep_resumes(self, table, tmp_path, monkeypatch):
        import slamarkov.sweep.runner as mod

        partial = tmp_path / "t.csv.partial"
        real = mod.solve_point
        calls = []

        def failing(data):
            if len(calls) == 7:
                raise KeyboardInterrupt
            calls.append(1)
            return real(data)

        monkeypatch.setattr(mod, "solve_point", failing)
        with pytest.raises(KeyboardInterrupt):
            sweep(GRID, workers=1, partial=partial, batch_size=1)
        lines = partial.read_text().splitlines()
        assert len(lines) == 1 + 7  # header + the finished points
        # a torn last line (killed while writing) is dropped on resume
        partial.write_text("\n".join(lines) + "\n" + lines[-1][:10])
        calls.clear()
        monkeypatch.setattr(mod, "solve_point", lambda data: (calls.append(1), real(data))[1])
        out = sweep(GRID, workers=1, partial=partial, resume=True)
        assert len(calls) == 36 - 7
        assert out.equals(table)
        # without resume the partial file is started afresh
        calls.clear()
        sweep(GRID, workers=1, partial=partial)
        assert len(calls) == 36

    def test_resume_refuses_another_grid(self, tmp_path):
        partial = tmp_path / "p"
        small = copy.deepcopy(GRID)
        small["contract"]["review_period"] = 4
        sweep(small, workers=1, partial=partial)
        with pytest.raises(ConfigError, match="holds a sweep of another grid"):
            sweep(GRID, workers=1, partial=partial, resume=True)

    def test_cli_killed_sweep_resumes(self, table, tmp_path):
        grid = write_grid(tmp_path / "grid.toml", GRID)
        out = tmp_path / "t.json"
        partial = tmp_path / "t.json.partial"
        cmd = [sys.executable, "-m", "slamarkov.cli", "sweep", str(grid), "--out", str(out),
               "--workers", "1", "--batch-size", "1", "--no-progress"]
        proc = subprocess.Popen(cmd, env=env_with_package(), stderr=subprocess.PIPE)
        try:
            for _ in range(3000):  # wait (up to 5 min) for a few finished points
                if partial.exists() and len(partial.read_text().splitlines()) >= 4:
                    break
                if proc.poll() is not None:
                    break
                time.sleep(0.01)
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait()
        if proc.returncode == 0:
            pytest.skip("the sweep finished before it could be interrupted")
        assert not out.exists()
        done = len(partial.read_text().splitlines()) - 1
        assert 3 <= done < 36
        assert main(["sweep", str(grid), "--out", str(out), "--resume", "--no-progress"]) == 0
        assert not partial.exists()
        assert read_table(out).equals(read_table(_local_csv(table, tmp_path).with_suffix(".csv")))


class TestCliRefusals:
    def run(self, capsys, *argv):
        code = main(list(argv))
        err = capsys.readouterr().err
        return code, err

    @pytest.fixture
    def grid_file(self, tmp_path):
        return write_grid(tmp_path / "grid.toml", GRID)

    def assert_nothing_written(self, tmp_path, names=("t.csv", "t.csv.partial")):
        for n in names:
            assert not (tmp_path / n).exists()

    @pytest.mark.parametrize("change, match", [
        (("contract", "review_period", []), "contract.review_period: an empty list"),
        (("costs", "holding", {"start": 1, "stop": 2, "step": 0}), "range step must not be 0"),
        (("costs", "holding", {"start": 1, "stop": 2, "step": -1}), "moves away from stop"),
        (("contract", "bonus_threshold", [0.9, 0.5]),
         r"grid point 7 of 72 \(review_period=4, penalty_threshold=0.6, bonus_threshold=0.5, "
         r".*\): contract.penalty_threshold: must not exceed"),
    ])
    def test_bad_grid_values(self, capsys, tmp_path, change, match):
        import re

        data = copy.deepcopy(GRID)
        data[change[0]][change[1]] = change[2]
        grid = write_grid(tmp_path / "grid.toml", data)
        code, err = self.run(capsys, "sweep", str(grid), "--out", str(tmp_path / "t.csv"))
        assert code == 2 and err.count("\n") == 1 and re.search(match, err), err
        self.assert_nothing_written(tmp_path)

    def test_grid_above_the_limit(self, capsys, tmp_path, grid_file):
        code, err = self.run(capsys, "sweep", str(grid_file), "--out", str(tmp_path / "t.csv"),
                             "--max-points", "10")
        assert code == 2 and "the grid has 36 points, above the limit of 10" in err
        assert "--max-points" in err and err.count("\n") == 1
        self.assert_nothing_written(tmp_path)

    def test_point_above_the_memory_limit(self, capsys, tmp_path):
        data = copy.deepcopy(GRID)
        data["contract"]["review_period"] = [10, 10**6]
        grid = write_grid(tmp_path / "grid.toml", data)
        code, err = self.run(capsys, "sweep", str(grid), "--out", str(tmp_path / "t.csv"),
                             "--max-gib", "1")
        assert code == 2 and err.count("\n") == 1
        assert "grid point 13 of 24 (review_period=1000000," in err and "--max-gib" in err
        self.assert_nothing_written(tmp_path)

    def test_unknown_suffix(self, capsys, tmp_path, grid_file):
        code, err = self.run(capsys, "sweep", str(grid_file), "--out", str(tmp_path / "t.xlsx"))
        assert code == 2 and "unknown table format '.xlsx'" in err and err.count("\n") == 1
        assert not (tmp_path / "t.xlsx").exists()

    def test_unreachable_scheduler(self, capsys, tmp_path, grid_file):
        pytest.importorskip("distributed")
        code, err = self.run(capsys, "sweep", str(grid_file), "--out", str(tmp_path / "t.csv"),
                             "--scheduler", "tcp://127.0.0.1:1")
        assert code == 2 and "--scheduler: cannot reach tcp://127.0.0.1:1" in err
        assert err.count("\n") == 1
        self.assert_nothing_written(tmp_path)

    def test_scheduler_and_workers_exclusive(self, capsys, tmp_path, grid_file):
        code, err = self.run(capsys, "sweep", str(grid_file), "--out", str(tmp_path / "t.csv"),
                             "--scheduler", "tcp://127.0.0.1:1", "--workers", "2")
        assert code == 2 and "not both" in err
        self.assert_nothing_written(tmp_path)

    def test_workers_flag_checked(self, capsys, tmp_path, grid_file):
        with pytest.raises(SystemExit) as info:
            main(["sweep", str(grid_file), "--out", str(tmp_path / "t.csv"), "--workers", "0"])
        assert info.value.code == 2
        self.assert_nothing_written(tmp_path)

    def test_csv_written_and_partial_removed(self, capsys, tmp_path, grid_file, table):
        out = tmp_path / "t.csv"
        code = main(["sweep", str(grid_file), "--out", str(out), "--workers", "2"])
        captured = capsys.readouterr()
        assert code == 0 and captured.err == ""  # no bar when standard error is not a terminal
        assert captured.out == f"wrote {out}\n"
        assert read_table(out).equals(read_table(_local_csv(table, tmp_path)))
        assert not (tmp_path / "t.csv.partial").exists()
