"""Issue 24, item 6: ``sweep --resume`` trusts nothing in its partial file.

Each broken partial file of the issue (a header that is a list, a record without ``rows`` or
``point``, a non-integer point, invalid UTF-8, deeply nested JSON, rows of the wrong length,
``"rows": "abc"``, NaN, a probability of 7) and a value changed within its range is refused in one
line naming the file, the line and the rule, exit code 2, no table written; an intact partial
file resumes to the table a fresh sweep writes, byte for byte.
"""

from __future__ import annotations

import json

import pytest

from slamarkov.cli import main
from slamarkov.errors import ConfigError
from slamarkov.sweep import sweep
from slamarkov.sweep.grid import RESULT_COLUMNS, grid_from_dict
from slamarkov.sweep.runner import _read_partial

GRID = """
[contract]
review_period = [4, 6, 8]
penalty_threshold = 0.5
bonus_threshold = 0.9
penalty_per_period = 2
bonus_per_period = 1
[costs]
holding = 1
[demand]
kind = "poisson"
mean = 3
"""


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """(folder, grid file, the fresh table's bytes, the lines of a complete partial file)"""
    folder = tmp_path_factory.mktemp("resume")
    grid = folder / "grid.toml"
    grid.write_text(GRID)
    out = folder / "t.csv"
    assert main(["sweep", str(grid), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    partial = folder / "full.partial"
    sweep(str(grid), workers=1, partial=partial, batch_size=1)
    return folder, grid, out.read_bytes(), partial.read_text().splitlines()


def resume(tmp_path, grid, lines, capsys, raw=None):
    out = tmp_path / "t.csv"
    partial = tmp_path / "t.csv.partial"
    if raw is not None:
        partial.write_bytes(raw)
    else:
        partial.write_text("\n".join(lines) + "\n")
    code = main(["sweep", str(grid), "--out", str(out), "--resume", "--workers", "1",
                 "--no-progress"])
    captured = capsys.readouterr()
    return code, captured.err, out


def record(lines, n):
    return json.loads(lines[n])


def edit(lines, n, change):
    rec = record(lines, n)
    change(rec)
    return lines[:n] + [json.dumps(rec)] + lines[n + 1:]


def set_value(column, value):
    """Set the dynamic row's value of a result column (by name: columns may be added)."""
    def change(rec):
        rec["rows"][0][RESULT_COLUMNS.index(column)] = value
    return change


#: where the dynamic row's cost_per_period sits in a record's row
COST = RESULT_COLUMNS.index("cost_per_period")


CASES = [
    ("header is a list", lambda L: ["[1, 2]"] + L[1:], "line 1: not the header of a sweep's "
     "partial file"),
    ("header of format 1", lambda L: [L[0].replace('"slamarkov_sweep": 2', '"slamarkov_sweep": 1')]
     + L[1:], "line 1: a partial file of format 1, this slamarkov reads format 2"),
    ("record without rows", lambda L: edit(L, 1, lambda r: r.pop("rows")),
     "line 2: a record is {\"point\": K, \"rows\": [...], \"check\": ...}, got ['check', 'point']"),
    ("record without point", lambda L: edit(L, 2, lambda r: r.pop("point")),
     "line 3: a record is"),
    ("record is a list", lambda L: L[:1] + ["[0, 1]"] + L[2:], "line 2: a record is"),
    ("point 1.5", lambda L: edit(L, 1, lambda r: r.update(point=1.5)),
     "line 2: point must be an integer in [0, 2], got 1.5"),
    ("point \"0\"", lambda L: edit(L, 1, lambda r: r.update(point="0")),
     "line 2: point must be an integer in [0, 2], got '0'"),
    ("point true", lambda L: edit(L, 1, lambda r: r.update(point=True)),
     "line 2: point must be an integer in [0, 2], got True"),
    ("point outside", lambda L: edit(L, 1, lambda r: r.update(point=3)),
     "line 2: point must be an integer in [0, 2], got 3"),
    ("point twice", lambda L: L + [L[1]], "line 5: point 0 appears twice"),
    ("rows abc", lambda L: edit(L, 1, lambda r: r.update(rows="abc")),
     "line 2: point 0: rows must be a list of 2 rows"),
    ("one row", lambda L: edit(L, 1, lambda r: r["rows"].pop()),
     "line 2: point 0: rows must be a list of 2 rows"),
    ("short row", lambda L: edit(L, 1, lambda r: r["rows"][0].pop()),
     "line 2: point 0: a row must hold"),
    ("long row", lambda L: edit(L, 1, lambda r: r["rows"][1].append(1.0)),
     "line 2: point 0: a row must hold"),
    ("policies swapped", lambda L: edit(L, 1, lambda r: r["rows"].reverse()),
     "line 2: point 0: the rows must be dynamic, static in order"),
    ("NaN", lambda L: L[:1] + [L[1].replace(json.dumps(record(L, 1)["rows"][0][COST]), "NaN", 1)]
     + L[2:], "line 2: not a sweep record (NaN is not a number a sweep writes)"),
    ("Infinity", lambda L: L[:1] + [L[1].replace(json.dumps(record(L, 1)["rows"][0][COST]),
                                                  "-Infinity", 1)] + L[2:],
     "line 2: not a sweep record (-Infinity is not a number a sweep writes)"),
    ("probability 7", lambda L: edit(L, 1, set_value("ready_mean", 7.0)),
     "line 2: point 0: ready_mean is a probability, got 7.0"),
    ("text value", lambda L: edit(L, 1, set_value("cost_sd", "abc")),
     "line 2: point 0: cost_sd must be a finite number, got 'abc'"),
    ("integer value", lambda L: edit(L, 1, set_value("cost_per_period", 1)),
     "line 2: point 0: cost_per_period must be a finite number, got 1"),
    ("negative SD", lambda L: edit(L, 1, set_value("cost_sd", -0.5)),
     "line 2: point 0: cost_sd cannot be negative, got -0.5"),
    ("count as a float", lambda L: edit(L, 1, set_value("penalty_count", 5.0)),
     "line 2: point 0: penalty_count must be a count of periods, got 5.0"),
    ("value changed in range", lambda L: edit(L, 1, set_value("cost_per_period", 0.125)),
     "line 2: point 0: its values do not match their check (the file was changed)"),
    ("deep nesting", lambda L: L[:1] + ["[" * 100000 + "]" * 100000] + L[2:],
     "line 2: not a sweep record (nested too deeply)"),
    ("huge integer", lambda L: edit(L, 1, lambda r: r.update(point=10 ** 100)),
     "line 2: point must be an integer in [0, 2], got 1000000000"),
    ("torn middle line", lambda L: L[:1] + [L[1][:20]] + L[2:],
     "line 2: not a sweep record (JSON)"),
]


class TestRefused:
    @pytest.mark.parametrize("name,mutate,message", CASES, ids=[c[0] for c in CASES])
    def test_one_line(self, fresh, tmp_path, capsys, name, mutate, message):
        _, grid, _, lines = fresh
        code, err, out = resume(tmp_path, grid, mutate(list(lines)), capsys)
        assert code == 2
        partial = tmp_path / "t.csv.partial"
        assert err.startswith(f"slamarkov sweep: error: {partial} {message}"), err
        assert err.endswith("; delete it or run without --resume\n") and err.count("\n") == 1
        assert not out.exists()

    def test_invalid_utf8(self, fresh, tmp_path, capsys):
        _, grid, _, lines = fresh
        raw = ("\n".join(lines[:2]) + "\n").encode() + b'{"point": \xff\xfe}\n'
        code, err, out = resume(tmp_path, grid, None, capsys, raw=raw)
        assert code == 2
        assert err == f"slamarkov sweep: error: {tmp_path / 't.csv.partial'}: not UTF-8 text\n"
        assert not out.exists()

    def test_another_grid(self, fresh, tmp_path):
        _, _, _, lines = fresh
        path = tmp_path / "p"
        path.write_text("\n".join(lines) + "\n")
        other = grid_from_dict({"contract": {"review_period": [4, 5], "penalty_threshold": 0.5,
                                             "bonus_threshold": 0.9, "penalty_per_period": 2,
                                             "bonus_per_period": 1},
                                "costs": {"holding": 1}, "demand": {"kind": "poisson",
                                                                    "mean": 3}})
        with pytest.raises(ConfigError, match="holds a sweep of another grid"):
            _read_partial(path, other)


class TestResumed:
    @pytest.mark.parametrize("keep", [0, 1, 2, 3])
    def test_intact_prefix_gives_the_fresh_table(self, fresh, tmp_path, capsys, keep):
        _, grid, table, lines = fresh
        code, err, out = resume(tmp_path, grid, lines[:1 + keep], capsys)
        assert code == 0, err
        assert out.read_bytes() == table

    def test_torn_last_line_is_dropped(self, fresh, tmp_path, capsys):
        _, grid, table, lines = fresh
        code, err, out = resume(tmp_path, grid, lines[:2] + [lines[2][:30]], capsys)
        assert code == 0, err
        assert out.read_bytes() == table

    def test_empty_partial_is_a_fresh_start(self, fresh, tmp_path, capsys):
        _, grid, table, _ = fresh
        code, err, out = resume(tmp_path, grid, None, capsys, raw=b"")
        assert code == 0, err
        assert out.read_bytes() == table
