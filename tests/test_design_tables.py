"""Issue 24, item 8: ``design`` on a table that is not a sweep table is one line naming the missing
column or the wrong shape (exit 2, nothing written); a table with missing values (NaN) written as
JSON is valid JSON (``null``), and an infinite value is refused rather than written as
``Infinity``."""

from __future__ import annotations

import json

import pytest

from slamarkov.cli import main

HEADER = "review_period,policy,cost_per_period,ready_mean,p_penalty,settlement_per_period\n"
ROWS = "4,dynamic,1.5,0.9,0.1,-0.2\n6,dynamic,1.25,0.95,0.05,-0.3\n4,static,2.0,0.8,0.2,0.1\n"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def strict_json(text):
    def refuse(name):
        raise ValueError(f"{name} in JSON")
    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("name,content,message", [
    ("t.json", "5", "t.json: not a sweep table (JSON must be a list of records {column: value}, "
     "got numbers)"),
    ("t.json", "null", "t.json: not a sweep table (JSON must be a list of records {column: "
     "value}, got null)"),
    ("t.json", "\"text\"", "got texts)"),
    ("t.json", "{\"policy\": \"dynamic\"}", "got objects)"),
    ("t.json", "[[1, 2], [3, 4]]", "got a list of lists)"),
    ("t.json", "[{\"policy\": \"dynamic\"}, 3]", "got a list of numbers)"),
    ("t.json", "[" * 100000 + "]" * 100000, "t.json: not a sweep table (nested too deeply)"),
    ("t.json", "[]", "t.json: not a sweep table: no column 'policy'"),
    ("t.json", "[{\"a\": 1}]", "t.json: not a sweep table: no column 'policy' (a sweep's table "
     "has the swept keys, then policy, settlement_per_period, ready_mean and the other results)"),
    ("t.csv", "a,b\n1,2\n", "t.csv: not a sweep table: no column 'policy'"),
    ("t.csv", HEADER.replace(",settlement_per_period", "") + "4,dynamic,1.5,0.9,0.1\n",
     "t.csv: not a sweep table: no column 'settlement_per_period'"),
    ("t.csv", HEADER.replace(",ready_mean", "") + "4,dynamic,1.5,0.1,-0.2\n",
     "t.csv: not a sweep table: no column 'ready_mean'"),
    ("t.csv", HEADER + "4,dynamic,1.5,high,0.1,-0.2\n",
     "t.csv: not a sweep table: column 'ready_mean' holds 'high', not a number"),
    ("t.json", "[{\"policy\": \"dynamic\", \"settlement_per_period\": true, \"ready_mean\": 1}]",
     "t.json: not a sweep table: column 'settlement_per_period' holds 'True', not a number"),
    ("t.csv", HEADER, "t.csv: not a sweep table: it holds no rows"),
    ("t.csv", "", "t.csv: not a sweep table (No columns to parse from file)"),
    ("t.json", "[{\"policy\": \"dynamic\", \"settlement_per_period\": 1}]",
     "t.json: not a sweep table: no column 'ready_mean'"),
])
def test_not_a_sweep_table(tmp_path, capsys, monkeypatch, name, content, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_text(content)
    code, out, err = run(capsys, "design", name, "--minimize", "cost_per_period",
                         "--out", "best.json")
    assert code == 2 and out == ""
    assert err.startswith("slamarkov design: error: ") and err.count("\n") == 1, err
    assert message in err, err
    assert not (tmp_path / "best.json").exists()


def test_nan_is_null_in_json(tmp_path, capsys):
    table = tmp_path / "t.csv"
    table.write_text(HEADER + ROWS.replace("0.1,-0.2", ",-0.2"))  # a missing p_penalty
    out = tmp_path / "best.json"
    code, _, err = run(capsys, "design", table, "--minimize", "cost_per_period", "--out", out)
    assert code == 0, err
    records = strict_json(out.read_text())
    assert [r["p_penalty"] for r in records] == [0.05, None]


def test_nan_rows_fail_a_where(tmp_path, capsys):
    table = tmp_path / "t.csv"
    table.write_text(HEADER + ROWS.replace("0.1,-0.2", ",-0.2"))
    out = tmp_path / "best.json"
    code, _, err = run(capsys, "design", table, "--minimize", "cost_per_period", "--where",
                       "p_penalty <= 1", "--out", out)
    assert code == 0, err
    assert [r["review_period"] for r in strict_json(out.read_text())] == [6]


def test_infinity_is_refused_in_json(tmp_path, capsys):
    table = tmp_path / "t.csv"
    table.write_text(HEADER + ROWS.replace("1.25", "inf"))
    out = tmp_path / "best.json"
    code, _, err = run(capsys, "design", table, "--minimize", "ready_mean", "--out", out)
    assert code == 2
    assert err == (f"slamarkov design: error: {out}: column 'cost_per_period' holds inf, which "
                   "JSON cannot hold; write .csv or .parquet\n")
    assert not out.exists()
    csv_out = tmp_path / "best.csv"
    code, _, err = run(capsys, "design", table, "--minimize", "ready_mean", "--out", csv_out)
    assert code == 0, err and "inf" in csv_out.read_text()
