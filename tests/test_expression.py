"""Issue 24, item 1: a condition a user types (``design --where``) is parsed against a whitelist and
never run as code. Its value equals Python's on every row of random tables for random expressions
of the grammar; everything outside the grammar is refused in one line naming the offending part;
the command line refuses the issue's attacks with exit code 2 and runs nothing."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slamarkov.cli import main
from slamarkov.core.expression import MAX_DEPTH, MAX_LENGTH, parse_condition
from slamarkov.errors import ExpressionError, SlamarkovError
from slamarkov.sweep import sweep, write_table

COLUMNS = ["a", "b", "c"]


def _row_value(text, row):
    """Python's own value of a (test-generated, whitelisted) expression on one row."""
    return eval(text, {"__builtins__": {}}, dict(row))  # the test's own text


@st.composite
def numeric(draw, depth=0):
    if depth >= 3 or draw(st.booleans()):
        if draw(st.booleans()):
            return draw(st.sampled_from(COLUMNS))
        return repr(draw(st.sampled_from([0.5, 1, 2, 3, 0.25, 10, 1.5])))
    kind = draw(st.sampled_from(["+", "-", "*", "/", "**", "neg"]))
    if kind == "neg":
        return f"-({draw(numeric(depth + 1))})"
    if kind == "**":
        return f"({draw(numeric(depth + 1))}) ** {draw(st.integers(-2, 3))}"
    if kind == "/":  # divide by a column (never zero in the tables) or a non-zero number
        return f"({draw(numeric(depth + 1))}) / {draw(st.sampled_from(COLUMNS + ['2', '0.5']))}"
    return f"({draw(numeric(depth + 1))}) {kind} ({draw(numeric(depth + 1))})"


@st.composite
def conditions(draw, depth=0):
    if depth >= 2 or draw(st.booleans()):
        parts = [draw(numeric()) for _ in range(draw(st.integers(2, 3)))]
        ops = [draw(st.sampled_from(["<", "<=", ">", ">=", "==", "!="])) for _ in parts[1:]]
        text = parts[0]
        for op, part in zip(ops, parts[1:]):
            text += f" {op} {part}"
        return text
    kind = draw(st.sampled_from(["and", "or", "not"]))
    if kind == "not":
        return f"not ({draw(conditions(depth + 1))})"
    return f"({draw(conditions(depth + 1))}) {kind} ({draw(conditions(depth + 1))})"


tables = st.lists(st.tuples(*[st.sampled_from([0.5, 1.0, 2.0, 3.0, 0.25, 4.0])] * 3),
                  min_size=1, max_size=8)


class TestValue:
    @settings(max_examples=150, deadline=None, derandomize=True)
    @given(text=conditions(), rows=tables)
    def test_equals_python_on_every_row(self, text, rows):
        table = pd.DataFrame(rows, columns=COLUMNS)
        got = parse_condition(text, COLUMNS).evaluate(table)
        want = [bool(_row_value(text, r)) for r in table.to_dict("records")]
        assert got.tolist() == want, text

    def test_chains_text_dotted_and_backquoted_columns(self):
        t = pd.DataFrame({"x": [1.0, 2.0, 3.0], "policy": ["dynamic", "static", "dynamic"],
                          "contract.bonus": [1, 2, 3], "a b": [3, 2, 1]})
        cols = list(t.columns)

        def rows(text):
            return np.flatnonzero(parse_condition(text, cols).evaluate(t)).tolist()

        assert rows("1 < x <= 2.5") == [1]
        assert rows("policy == 'dynamic' and not x > 2") == [0]
        assert rows("policy != \"dynamic\"") == [1]
        assert rows("contract.bonus >= 2") == [1, 2]
        assert rows("`contract.bonus` * `a b` == 4") == [1]
        assert rows("x ** -1 < 0.6") == [1, 2]
        assert rows("-x > -2") == [0]

    def test_nan_compares_false(self):
        t = pd.DataFrame({"x": [float("nan"), 1.0]})
        assert parse_condition("x >= 0 or x < 0", ["x"]).evaluate(t).tolist() == [False, True]
        assert parse_condition("not x > 0", ["x"]).evaluate(t).tolist() == [True, False]

    def test_overflow_is_inf_not_a_hang(self):
        t = pd.DataFrame({"x": [1e15]})
        assert parse_condition("(x ** 64) ** 64 > 1e15", ["x"]).evaluate(t).tolist() == [True]

    def test_empty_table(self):
        t = pd.DataFrame({"x": pd.Series([], dtype=float)})
        assert parse_condition("x > 1", ["x"]).evaluate(t).tolist() == []


REFUSED = [
    # (expression, start of the message after "--where: ")
    ("ready_mean > 0 and @pd.io.common.os.system('id > PWNED') == 0",
     "not a valid expression at character 20 (invalid syntax): \"@pd.io"),
    ("@pd.read_csv('/etc/passwd')", "not a valid expression at character 1"),
    ("ready_mean > 0 and __import__('os').system('id') == 0",
     "a call is not allowed: \"__import__('os').system('id')\""),
    ("10 ** 10 ** 10 > 1", "an exponent must be a number in [-64, 64]: '10 ** 10'"),
    ("ready_mean ** ready_mean > 0", "an exponent must be a number in [-64, 64]: 'ready_mean'"),
    ("2 ** 65 > ready_mean", "an exponent must be a number in [-64, 64]: '65'"),
    ("ready_mean.__class__ == 1", "attribute access is not allowed: 'ready_mean.__class__'"),
    ("(1).real > 0", "attribute access is not allowed: '(1).real'"),
    ("os.system > 0", "unknown column 'os.system'"),
    ("ready_mean[0] > 0", "a subscript is not allowed: 'ready_mean[0]'"),
    ("(lambda: 1)() > 0", "a call is not allowed"),
    ("[1][0] > 0", "a subscript is not allowed"),
    ("ready_mean > 0 if 1 else 0", "'if ... else' is not allowed"),
    ("(x := 1) > 0", "':=' is not allowed"),
    ("ready_mean > 1e999", "a number must be finite and at most 1e15 in magnitude: '1e999'"),
    ("ready_mean > 1e16", "a number must be finite and at most 1e15 in magnitude"),
    ("ready_mean > True", "only numbers, columns and quoted text"),
    ("ready_mean < 'x'", "text is allowed only as an operand of == or !=: \"'x'\""),
    ("ready_mean > 0 & p_bonus > 0", "'&' (write 'and') is not allowed"),
    ("ready_mean in (1, 2)", "'in' is not allowed"),
    ("ready_mean // 2 > 0", "'//' is not allowed"),
    ("ready_mean", "'ready_mean' is not a condition"),
    ("ready_mean + 1", "'ready_mean + 1' is not a condition"),
    ("ready_mean > 0 or p_bonus", "column 'p_bonus' of 'and', 'or' or 'not' is not a condition"),
    ("policy > 1", "text is compared with a number by order"),
    ("colour == 1", "unknown column 'colour' (columns: ready_mean, p_bonus, policy)"),
    ("", "empty"),
    ("f'{ready_mean}' == 'x'", "an f-string is not allowed"),
    ("ready_mean > 0\nimport os", "not a valid expression"),
    ("not " * (MAX_DEPTH + 1) + "ready_mean > 0", f"nested deeper than {MAX_DEPTH}"),
    ("(" * 300 + "1" + ")" * 300 + " > ready_mean", "not a valid expression"),
    ("1" * 5000 + " > ready_mean", f"longer than {MAX_LENGTH} characters (5013)"),
    ("1" * 1980 + " > ready_mean", "a number must be finite and at most 1e15"),
]


class TestRefused:
    @pytest.mark.parametrize("text,message", REFUSED)
    def test_one_line_naming_the_part(self, text, message):
        t = pd.DataFrame({"ready_mean": [0.5], "p_bonus": [0.1], "policy": ["dynamic"]})
        with pytest.raises(ExpressionError) as info:
            parse_condition(text, list(t.columns)).evaluate(t)
        got = str(info.value)
        assert got.startswith("--where: " + message), got
        assert "\n" not in got and len(got) < 400

    def test_not_text(self):
        with pytest.raises(ExpressionError, match="must be text"):
            parse_condition(b"x > 1", ["x"])

    def test_is_a_value_error(self):
        assert issubclass(ExpressionError, SlamarkovError)
        assert issubclass(ExpressionError, ValueError)


@pytest.fixture(scope="module")
def sweep_table(tmp_path_factory):
    grid = {"contract": {"review_period": [4, 6], "penalty_threshold": 0.5,
                         "bonus_threshold": 0.9, "penalty_per_period": 2, "bonus_per_period": 1},
            "costs": {"holding": 1}, "demand": {"kind": "poisson", "mean": 3}}
    path = tmp_path_factory.mktemp("design") / "table.csv"
    write_table(sweep(grid, workers=1), path)
    return path


class TestCli:
    """``slamarkov design TABLE --where EXPR``: the issue's attacks exit 2, run nothing, read
    nothing, and return at once."""

    @pytest.mark.parametrize("where,message", [
        ("ready_mean > 0 and @pd.io.common.os.system('touch PWNED') == 0",
         "--where: not a valid expression at character 20"),
        ("ready_mean > 0 and pd.io.common.os.system('touch PWNED') == 0",
         "--where: a call is not allowed: \"pd.io.common.os.system('touch PWNED')\""),
        ("@pd.read_csv('/etc/passwd') == 1", "--where: not a valid expression at character 1"),
        ("10 ** 10 ** 10 > 1", "--where: an exponent must be a number in [-64, 64]: '10 ** 10'"),
    ])
    def test_attacks_refused(self, sweep_table, tmp_path, monkeypatch, capsys, where, message):
        monkeypatch.chdir(tmp_path)
        code = main(["design", str(sweep_table), "--minimize", "cost_per_period",
                     "--where", where, "--out", str(tmp_path / "best.csv")])
        err = capsys.readouterr().err
        assert code == 2
        assert err == f"slamarkov design: error: {message}\n" or (
            err.startswith(f"slamarkov design: error: {message}") and err.count("\n") == 1), err
        assert "root:" not in err
        assert sorted(p.name for p in tmp_path.iterdir()) == []  # no PWNED, no output

    def test_dotted_and_text_conditions_work(self, sweep_table, tmp_path, capsys):
        out = tmp_path / "best.csv"
        code = main(["design", str(sweep_table), "--minimize", "cost_per_period", "--where",
                     "review_period == 6 and policy == 'dynamic' and 0 <= ready_mean <= 1",
                     "--out", str(out)])
        assert code == 0, capsys.readouterr().err
        best = pd.read_csv(out)
        assert best.review_period.tolist() == [6] and best.policy.tolist() == ["dynamic"]
        assert math.isfinite(best.cost_per_period[0])
