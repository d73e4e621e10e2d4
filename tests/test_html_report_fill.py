"""The HTML report of a fill-rate contract (docs/model.md section 14): its numbers are the
solver's, it is self-contained, and ``slamarkov report`` writes it."""

from __future__ import annotations

import html
import re
from fractions import Fraction

import pytest

pytest.importorskip("jinja2")
pytest.importorskip("matplotlib")

from slamarkov import Contract, DiscreteUniform, Problem  # noqa: E402
from slamarkov.analysis.fill_gaming import fill_gaming_indicators  # noqa: E402
from slamarkov.cli import main  # noqa: E402
from slamarkov.report.fill_html import fill_contract_terms, render_fill_report  # noqa: E402
from slamarkov.solve import solve_both  # noqa: E402

PROBLEM = Problem(Contract(2, Fraction(1, 2), Fraction(3, 4), penalty=1, bonus=4,
                           measure="fill-rate"), DiscreteUniform(0, 2), Fraction(1, 2))


def visible(page):
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def pct(x):
    return f"{100 * float(x):.4g}%"


@pytest.fixture(scope="module")
def page():
    return render_fill_report(PROBLEM, exact=True)


def test_the_numbers_are_the_solvers(page):
    text = visible(page)
    dyn, sta = solve_both(PROBLEM, exact=True)
    assert (f"mean fill rate {pct(dyn.fill_rate.mean)} {pct(sta.fill_rate.mean)}") in text
    assert (f"P(penalty) {pct(dyn.fill_rate.p_penalty)} {pct(sta.fill_rate.p_penalty)}") in text
    assert (f"P(bonus) {pct(dyn.fill_rate.p_bonus)} {pct(sta.fill_rate.p_bonus)}") in text
    assert f"orders up to {sta.base_stock} units every period" in text
    ind = fill_gaming_indicators(dyn, sta)
    assert ind["withheld_filled_units"] == Fraction(1, 9)  # the case of tests/test_sweep_fill.py
    assert f"{float(ind['withheld_filled_units']):.6g} 0 " in text
    assert "the lowest fill rate earning the bonus (75%)" in text
    assert "ready rate" not in text  # the page speaks of the measure the contract uses


def test_the_page_is_self_contained(page):
    assert page.startswith("<!DOCTYPE html>") and "http://" not in page
    assert page.count('src="data:image/png;base64,') == 1
    for sentence in fill_contract_terms(PROBLEM.contract):
        assert html.escape(sentence, quote=False) in page or sentence in visible(page)


def test_cli_report_on_a_fill_rate_contract(tmp_path, capsys):
    contract = tmp_path / "fill.toml"
    contract.write_text('[contract]\nreview_period = 2\npenalty_threshold = 0.5\n'
                        'bonus_threshold = 0.75\npenalty = 1\nbonus = 4\nmeasure = "fill-rate"\n'
                        '[costs]\nholding = 0.5\n[demand]\nkind = "discrete-uniform"\nlow = 0\n'
                        'high = 2\n[solver]\nexact = true\n')
    out = tmp_path / "r.html"
    assert main(["report", str(contract), "--out", str(out)]) == 0
    assert visible(out.read_text()) == visible(render_fill_report(PROBLEM, exact=True))
    # --log adds the monitor's section (tests/test_html_report_fill_log.py)


def test_the_classes_in_units_are_shown(page):
    """give-up and coasting periods and the split by decided states (docs/model.md section 14)."""
    text = visible(page)
    dyn, sta = solve_both(PROBLEM, exact=True)
    ind = fill_gaming_indicators(dyn, sta)
    assert ind["coasting_periods"] == Fraction(1, 3)  # after demand 2 filled, it orders up to 1
    assert "coasting on the bonus (expected fill ratio below the bonus threshold while the " \
           "bonus is likely) 0.333333 0 " in text
    assert "still open 0.111111 0 of which once it was decided 0 0 " in text
