"""Tests of slamarkov.io: one helper reads a user's file (every failure one line naming the file,
in the caller's error class and noun), one module writes and reads tables, and the executor
runs tasks the same wherever they run."""

from __future__ import annotations

import json
import os
import sys
from fractions import Fraction

import numpy as np
import pytest

from slamarkov.core.executor import Executor, process_context
from slamarkov.errors import ConfigError, MonitorError, SimulationError, SweepError
from slamarkov.io.files import open_text, read_bytes, read_text
from slamarkov.io.tables import (
    FORMATS,
    SUFFIX_FORMATS,
    TABLE_FORMATS,
    make_table,
    plain_number,
    read_table,
    save_table,
    write_table,
)


class TestReadingAUsersFile:
    @pytest.mark.parametrize("error", [ConfigError, MonitorError, SimulationError])
    def test_missing(self, tmp_path, error):
        with pytest.raises(error, match=r"nope\.csv: no such file$"):
            read_text(tmp_path / "nope.csv", "a log file", error)

    def test_a_folder_names_what_the_file_should_be(self, tmp_path):
        with pytest.raises(ConfigError, match=r": is a folder, not a grid file$"):
            read_text(tmp_path, "a grid file", ConfigError)
        with pytest.raises(ConfigError, match=r": is a folder, not a sweep table$"):
            read_bytes(tmp_path, "a sweep table", ConfigError)

    def test_not_utf8(self, tmp_path):
        p = tmp_path / "x.csv"
        p.write_bytes(b"period,ready\n\xff\xfe\n")
        with pytest.raises(MonitorError, match=r"x\.csv: not UTF-8 text$"):
            read_text(p, "a log file", MonitorError)

    def test_not_utf8_while_streaming(self, tmp_path):
        p = tmp_path / "runs.csv"
        p.write_bytes(b"ready_count\n" + b"1\n" * 100_000 + b"\xff\n")
        with pytest.raises(SimulationError, match=r"runs\.csv: not UTF-8 text$"):
            with open_text(p, "a runs file", SimulationError) as fh:
                while fh.read(4096):
                    pass

    @pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0,
                        reason="root reads any file")
    def test_unreadable(self, tmp_path):
        p = tmp_path / "x.toml"
        p.write_text("a = 1\n")
        p.chmod(0)
        with pytest.raises(ConfigError, match=r"x\.toml: cannot be read \(Permission denied\)$"):
            read_text(p, "a contract file", ConfigError)

    def test_named_as_given(self, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        with pytest.raises(ConfigError, match=r"^\./nope\.toml: no such file$"):
            read_text("./nope.toml", "a contract file", ConfigError)

    def test_text_and_newlines(self, tmp_path):
        p = tmp_path / "x.txt"
        p.write_bytes("\ufeffa\r\nb\n".encode())
        assert read_text(p, "a log file", encoding="utf-8-sig") == "a\nb\n"
        assert read_text(p, "a log file", newline="") == "\ufeffa\r\nb\n"

    def test_every_reader_uses_it(self, tmp_path):
        from slamarkov import Contract, Poisson, Problem
        from slamarkov.analysis.monitor import read_log
        from slamarkov.model.config import load_config
        from slamarkov.simulation.runs import read_runs
        from slamarkov.sweep.grid import load_grid

        cases = [
            (lambda: load_config(tmp_path), ConfigError, "a contract file"),
            (lambda: load_grid(tmp_path), ConfigError, "a grid file"),
            (lambda: read_log(tmp_path, Problem(Contract.study(10), Poisson(5), 1)),
             MonitorError, "a log file"),
            (lambda: read_runs(tmp_path, Contract.study(10)), SimulationError, "a runs file"),
        ]
        for call, error, what in cases:
            with pytest.raises(error, match=f": is a folder, not {what}$"):
                call()
        (tmp_path / "t.csv").mkdir()
        with pytest.raises(ConfigError, match=r"t\.csv: is a folder, not a sweep table$"):
            read_table(tmp_path / "t.csv")


class TestTables:
    def test_one_suffix_map(self):
        assert FORMATS == {"csv": ".csv", "markdown": ".md", "json": ".json"}
        assert TABLE_FORMATS == (".csv", ".parquet", ".json")
        assert all(SUFFIX_FORMATS[s] == f for f, s in FORMATS.items())

    def test_plain_number(self):
        out = [plain_number(x) for x in (Fraction(1, 4), Fraction(6, 3), np.float64(0.5),
                                         np.int32(3), np.bool_(True), "a", None)]
        assert out == [0.25, 2, 0.5, 3, True, "a", None]
        assert [type(x) for x in out[:5]] == [float, int, float, int, bool]

    def test_save_table_suffix_in_any_case(self, tmp_path):
        t = make_table("demo", ["T"], [{"T": 10}])
        assert save_table(t, tmp_path / "t.MD").read_text() == "| T |\n|---:|\n| 10 |\n"
        assert save_table(t, tmp_path / "t.txt").read_text() == "T\n10\n"  # unknown: CSV

    def test_sweep_json_numbers(self, tmp_path):
        import pandas as pd

        out = tmp_path / "t.json"
        write_table(pd.DataFrame({"k": np.array([1, 2], dtype=np.int64), "x": [0.1, 1 / 3]}),
                    out)
        assert json.loads(out.read_text()) == [{"k": 1, "x": 0.1}, {"k": 2, "x": 1 / 3}]
        assert read_table(out)["x"].tolist() == [0.1, 1 / 3]


def _square(x):
    return x * x


def _fail(x):
    if x == 3:
        raise ConfigError("boom: task 3")
    return x


class TestExecutor:
    @pytest.mark.parametrize("workers", [1, 2])
    def test_every_task_runs_once(self, workers):
        with Executor(workers=workers) as ex:
            assert sorted(ex.run(_square, range(6))) == [0, 1, 4, 9, 16, 25]

    def test_runs_here(self):
        assert Executor(workers=1).runs_here(10)
        assert Executor(workers=2).runs_here(1)
        assert not Executor(workers=2).runs_here(2)

    @pytest.mark.parametrize("workers", [1, 2])
    def test_an_error_reaches_the_caller(self, workers):
        with pytest.raises(ConfigError, match="boom"):
            list(Executor(workers=workers).run(_fail, range(6)))

    @pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
    def test_bad_workers_in_the_callers_class(self, bad):
        with pytest.raises(SweepError, match="--workers: must be an integer >= 1"):
            Executor(workers=bad)
        with pytest.raises(ConfigError, match="--workers: must be an integer >= 1"):
            Executor(workers=bad, error=ConfigError)

    def test_fork_on_linux(self):
        ctx = process_context()
        assert (ctx is not None and ctx.get_start_method() == "fork") == \
            sys.platform.startswith("linux")

    def test_dask(self):
        distributed = pytest.importorskip("distributed")
        with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster:
            with Executor(scheduler=cluster.scheduler_address, error=ConfigError) as ex:
                assert not ex.runs_here(1)
                assert sorted(ex.run(_square, range(4))) == [0, 1, 4, 9]

    def test_unreachable_scheduler(self):
        pytest.importorskip("distributed")
        # nothing listens on port 1: refused at once, not after dask's retries until timeout
        with pytest.raises(ConfigError, match=r"--scheduler: cannot reach tcp://127.0.0.1:1 "
                                              r"\(connection refused"):
            Executor(scheduler="tcp://127.0.0.1:1", error=ConfigError)
