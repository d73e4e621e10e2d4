"""The two readers of a runs file (pyarrow's streaming CSV reader and Python's csv module) give
the same chunks to the bit, and a bad file the same one-line error (issue 23, item 9).

pyarrow reads only what it reads as the Python reader does; anything else hands the file to the
Python reader from the first chunk not yet yielded. The block size is made tiny here so that
chunks straddle pyarrow's blocks and a failure comes after chunks were yielded.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("pyarrow")

from slamarkov import Contract, Poisson, Problem, solve_dynamic  # noqa: E402
from slamarkov.errors import SimulationError  # noqa: E402
from slamarkov.simulation import runs as runs_module  # noqa: E402
from slamarkov.simulation.runs import stream_runs  # noqa: E402
from slamarkov.simulation.simulate import simulate  # noqa: E402
from slamarkov.simulation.validate import summarise_runs  # noqa: E402

C10 = Contract.study(10)


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    monkeypatch.setattr(runs_module, "ARROW_BLOCK_BYTES", 256)


def chunks(path, engine, rows=7, contract=C10):
    return [(made, chunk) for made, chunk in stream_runs(path, contract, rows, engine=engine)]


def same(path, rows=7, contract=C10):
    """Both readers' chunks, checked equal to the bit; returns them."""
    a, b = chunks(path, "python", rows, contract), chunks(path, "pyarrow", rows, contract)
    assert len(a) == len(b)
    for (ma, ca), (mb, cb) in zip(a, b):
        assert ma == mb
        assert list(ca) == list(cb)
        for k in ca:
            assert ca[k].dtype == cb[k].dtype and ca[k].shape == cb[k].shape
            assert ca[k].tobytes() == cb[k].tobytes(), k
    return a


def error(path, engine, rows=7):
    with pytest.raises(SimulationError) as exc:
        chunks(path, engine, rows)
    return str(exc.value)


def test_a_simulation_file_reads_the_same(tmp_path):
    sol = solve_dynamic(Problem(C10, Poisson(5), 0.5), max_stock=40)
    path = tmp_path / "runs.csv"
    simulate(sol.policy, 500, seed=3).to_csv(path)
    got = same(path)
    assert sum(len(c["ready_count_int"]) for _, c in got) == 500
    assert got[0][0]["policy"] == "dynamic"  # the provenance line
    for rows in (1, 64, 10**6):
        same(path, rows)
    # and pyarrow read it all itself, across its blocks
    assert path.stat().st_size > 40 * runs_module.ARROW_BLOCK_BYTES
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(runs_module, "_stream_python", None)
        assert len(chunks(path, "pyarrow")) == len(got)
    sa = summarise_runs(path, C10, chunk_rows=7, engine="python")
    sb = summarise_runs(path, C10, chunk_rows=7, engine="pyarrow")
    assert sa.counts.tolist() == sb.counts.tolist()
    for k, m in sa.moments.items():
        assert (m.n, m.mean, m.m2) == (sb.moments[k].n, sb.moments[k].mean, sb.moments[k].m2)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=1,
                max_size=40),
       st.sampled_from(["{!r}", "{:.25e}", "{:.3f}", "{:.17g}"]))
def test_any_float_text_parses_to_the_same_bits(tmp_path_factory, xs, fmt):
    path = tmp_path_factory.mktemp("f") / "runs.csv"
    rows = "".join(f"{k % 11},{fmt.format(x)}\n" for k, x in enumerate(xs))
    path.write_text("ready_count,total_cost\n" + rows)
    same(path, 3)


@pytest.mark.parametrize("text", [
    "ready_rate\n0.5\n1\n0.3\n",                       # ready_rate only
    "ready_count,ready_rate\n5,0.5\n10,1.0\n",        # both, agreeing
    "run,ready_count,total_cost\r\n1,4,2.5\r\n2,5,-1e3\r\n",  # CRLF
    "# a comment\n# another\nready_count\n3\n4\n",    # comments
    'ready_count,total_cost\n"3","1.5"\n4,2\n',       # quoted values
    "ready_count,total_cost\n3,1\n4,2\n\n\n",          # blank lines at the end
    "ready_count,total_cost\n3,1\n4,2\n , \n",         # a line of blanks at the end
    "ready_count,total_cost\n 3, 1.5\n4 ,2\n",         # spaces around numbers
    "ready_count,x,total_cost\n3,a,1\n4,b,2\n" * 1,    # a column not read
    "ready_count,total_cost\n3,1_000\n4,2\n",          # Python's float reads 1_000
    "ready_count\n3\n4",                               # no final newline
])
def test_odd_but_valid_files_read_the_same(tmp_path, text):
    path = tmp_path / "runs.csv"
    path.write_text(text, newline="")
    for rows in (1, 2, 100):
        same(path, rows)


@pytest.mark.parametrize("text", [
    "ready_count,total_cost\n3,1\n4,x\n",              # not a number
    "ready_count,total_cost\n3,1\n\n4,2\n",            # a blank line inside
    "ready_count,total_cost\n3,1\n4\n",                # too few fields
    "ready_count,total_cost\n3,1\n4,2,5\n",            # too many
    "ready_count,total_cost\n3,1\n11,2\n",             # outside 0..T
    "ready_count,total_cost\n3,1\n4.5,2\n",            # not an integer
    "ready_count,total_cost\n3,nan\n",                 # not finite
    "ready_count,total_cost\n3,inf\n",
    "ready_count,total_cost\n3,\n",                    # empty
    "ready_count,total_cost\n3,NA\n",
    "ready_rate\n0.55\n",                              # not a multiple of 1/T
    "ready_count,ready_rate\n5,0.6\n",                 # disagree
    "ready_count,total_cost\n",                        # no runs
    "total_cost\n1\n",                                 # no ready column
    "ready_count,ready_count\n1,1\n",                  # duplicate column
    "",                                                # empty file
    "# slamarkov simulate: [1]\nready_count\n1\n",     # a provenance that is not an object
])
def test_bad_files_get_the_same_error(tmp_path, text):
    path = tmp_path / "runs.csv"
    path.write_text(text, newline="")
    assert error(path, "pyarrow") == error(path, "python")


def test_a_bad_row_after_chunks_were_yielded(tmp_path):
    path = tmp_path / "runs.csv"
    path.write_text("ready_count,total_cost\n" + "3,1.25\n" * 200 + "3,x\n")
    assert "line 202, column total_cost: 'x' is not a number" in error(path, "pyarrow")
    # nothing pyarrow yielded is yielded again by the Python reader
    seen = []
    with pytest.raises(SimulationError):
        for _, c in stream_runs(path, C10, 7, engine="pyarrow"):
            seen.append(len(c["ready_count_int"]))
    assert sum(seen) == 196 and set(seen) == {7}


def test_pyarrow_refuses_what_python_reads_after_chunks_were_yielded(tmp_path):
    # spaces around a late number: pyarrow refuses, Python's float reads it
    path = tmp_path / "runs.csv"
    path.write_text("ready_count,total_cost\n" + "3,1.25\n" * 200 + "4, 2\n" + "5,1\n" * 20)
    got = same(path)
    assert sum(len(c["ready_count_int"]) for _, c in got) == 221


@pytest.mark.parametrize("late", [False, True])
def test_text_that_is_not_utf8_in_a_column_not_read(tmp_path, late):
    # pyarrow converts only the columns it is asked for; the unread ones are converted as
    # strings too, so that bytes that are not UTF-8 anywhere get Python's refusal
    path = tmp_path / "runs.csv"
    rows = b"3,1.25,ok\n" * (200 if late else 1)
    path.write_bytes(b"ready_count,total_cost,note\n" + rows + b"4,2,\xff\xfe\n")
    assert "not UTF-8" in error(path, "python")
    assert error(path, "pyarrow") == error(path, "python")


def test_engine_is_checked(tmp_path, monkeypatch):
    path = tmp_path / "runs.csv"
    path.write_text("ready_count\n1\n")
    with pytest.raises(SimulationError, match="engine: must be one of auto, pyarrow, python"):
        chunks(path, "polars")
    import builtins

    real = builtins.__import__

    def no_pyarrow(name, *args, **kwargs):
        if name.startswith("pyarrow"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    assert np.array_equal(chunks(path, "auto")[0][1]["ready_count_int"], [1])
    with pytest.raises(SimulationError, match="pyarrow is not installed"):
        chunks(path, "pyarrow")
