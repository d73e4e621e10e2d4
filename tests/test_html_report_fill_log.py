"""``slamarkov report FILE --log LOG`` on a fill-rate contract (docs/model.md sections 13 and
14): the page carries the monitor's section, its numbers are fill_monitor's, and a bad log is
refused in one line with exit code 2 before anything is written."""

from __future__ import annotations

import html
import re
from fractions import Fraction

import pytest

pytest.importorskip("jinja2")
pytest.importorskip("matplotlib")

from slamarkov import Contract, DiscreteUniform, Problem  # noqa: E402
from slamarkov.analysis.fill_monitor import fill_monitor  # noqa: E402
from slamarkov.cli import main  # noqa: E402
from slamarkov.report.fill_html import render_fill_report  # noqa: E402

PROBLEM = Problem(Contract(3, Fraction(4, 5), Fraction(9, 10), penalty=12, bonus=5,
                           measure="fill-rate"), DiscreteUniform(0, 2), 1)

CONTRACT = """
[contract]
review_period = 3
penalty_threshold = 0.8
bonus_threshold = 0.9
penalty = 12
bonus = 5
measure = "fill-rate"
[costs]
holding = 1
[demand]
kind = "discrete-uniform"
low = 0
high = 2
[solver]
max_stock = 3
exact = true
"""


def visible(page):
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def pct(x):
    return f"{100 * float(x):.4g}%"


def num(x):
    return "–" if x is None else f"{float(x):.6g}"


@pytest.mark.parametrize("rows, state", [("1,2,1\n", (2, 2, 1)), ("1,0,0\n2,2,2\n", (3, 2, 2)),
                                         ("1,2,1\n2,1,1\n3,2,2\n", (4, 5, 4))])
def test_the_page_has_the_monitors_numbers(tmp_path, rows, state):
    log = tmp_path / "log.csv"
    log.write_text("period,demand,filled\n" + rows)
    page = render_fill_report(PROBLEM, log, max_stock=3, exact=True)
    text = visible(page)
    res = fill_monitor(PROBLEM, log, max_stock=3, exact=True)
    assert res.state == state
    i, D, F = state
    assert "Where the running review period stands" in text
    assert f"{i - 1} of 3 periods logged, {F} of {D} units demanded filled on time" in text
    d, s = res.dynamic, res.static
    for label, key, fmt in (("P(penalty)", "p_penalty", pct), ("P(neither)", "p_neutral", pct),
                            ("P(bonus)", "p_bonus", pct),
                            ("mean fill rate at the end", "mean_fill_rate", pct),
                            ("expected settlement", "expected_settlement", num),
                            ("order up to now", "stock_now", num)):
        assert f"{label} {fmt(d[key])} {fmt(s[key])}" in text, label
    if i <= 3:
        assert f"state (i, D, F) = ({i}, {D}, {F})" in text
    else:
        assert "The review period is over." in text and "order up to now – –" in text
    assert page.count('src="data:image/png;base64,') == 2  # and the distributions from here


def test_without_a_log_no_section():
    assert "Where the running review period stands" not in visible(
        render_fill_report(PROBLEM, max_stock=3, exact=True))


def test_the_carry_state_names_the_stock_on_hand(tmp_path):
    prob = Problem(PROBLEM.contract, DiscreteUniform(0, 2), 1, leftover="carry")
    log = tmp_path / "log.csv"
    log.write_text("period,demand,filled,stock_on_hand\n1,1,1,1\n")
    text = visible(render_fill_report(prob, log, max_stock=3, exact=True))
    res = fill_monitor(prob, log, max_stock=3, exact=True)
    assert res.state == (2, 1, 1, 1)
    assert "with 1 unit on hand (state (i, D, F, x) = (2, 1, 1, 1))" in text
    assert f"order up to now {res.dynamic['stock_now']} {res.static['stock_now']}" in text


def test_cli_writes_the_section(tmp_path, capsys):
    cfg = tmp_path / "fill.toml"
    cfg.write_text(CONTRACT)
    log = tmp_path / "log.csv"
    log.write_text("period,demand,filled\n1,2,1\n")
    out = tmp_path / "r.html"
    assert main(["report", str(cfg), "--out", str(out), "--log", str(log)]) == 0
    assert visible(out.read_text()) == visible(render_fill_report(PROBLEM, log, max_stock=3,
                                                                  exact=True))


@pytest.mark.parametrize("text, message", [
    ("period,demand,filled\n1,2,3\n", "filled must not exceed demand, got filled 3 > demand 2"),
    ("period,demand,filled\n1,-1,0\n", "demand must be a non-negative integer (units)"),
    ("period,demand\n1,2\n", "missing column 'filled'"),
    ("period,demand,filled\n1,2,1\n2,2,2\n3,2,2\n4,1,1\n", "longer than the review period"),
    ("period,demand,filled\n1,9,0\n", "demand 9 is above the largest demand"),
    ("period,demand,filled,stock_on_hand\n1,2,2,0\n", "discards leftover stock"),
    ("CARRY period,demand,filled\n1,2,2\n", "stock_on_hand"),
    ("CARRY period,demand,filled,stock_on_hand\n1,1,1,7\n", "stock_on_hand 7 is above the stock range 0..3"),
])
def test_cli_bad_log_is_one_line(tmp_path, capsys, text, message):
    cfg = tmp_path / "fill.toml"
    if text.startswith("CARRY "):
        text = text[len("CARRY "):]
        cfg.write_text(CONTRACT.replace("[demand]", '[inventory]\nleftover = "carry"\n[demand]'))
    else:
        cfg.write_text(CONTRACT)
    log = tmp_path / "log.csv"
    log.write_text(text)
    out = tmp_path / "r.html"
    code = main(["report", str(cfg), "--out", str(out), "--log", str(log)])
    std, err = capsys.readouterr()
    assert code == 2 and std == "" and err.count("\n") == 1 and message in err
    assert not out.exists()
