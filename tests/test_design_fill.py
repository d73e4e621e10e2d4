"""``design`` on the tables of grids with fill-rate points (docs/model.md section 14: sweeps)."""

from __future__ import annotations

import pytest

from slamarkov.cli import main
from slamarkov.errors import SweepError
from slamarkov.sweep import sweep
from slamarkov.sweep.design import check_table, collapse_contracts, design, result_columns
from slamarkov.sweep.grid import RATE_RESULT_COLUMNS

GRID = ('[contract]\nreview_period = 3\npenalty_threshold = [0.8, 0.81]\nbonus_threshold = 0.9\n'
        'penalty = 10\nbonus = 4\nmeasure = ["ready-rate", "fill-rate"]\n[costs]\n'
        'holding = 1\n[demand]\nkind = "poisson"\nmean = 2\n[solver]\nmax_stock = 15\n')


@pytest.fixture(scope="module")
def table():
    import tomllib

    return sweep(tomllib.loads(GRID), workers=1)


def test_design_over_the_new_columns(table):
    assert result_columns(table.columns) == RATE_RESULT_COLUMNS
    best = design(table, "withheld_filled_units", "measure == 'fill-rate' and rate_mean >= 0.85",
                  policy=None)
    assert set(best["measure"]) == {"fill-rate"} and len(best) == 4
    assert best["withheld_filled_units"].is_monotonic_increasing
    assert (best["rate_mean"] >= 0.85).all()
    assert best.iloc[0]["policy"] == "static"  # it withholds nothing, exactly


def test_no_rate_row_is_collapsed(table):
    # 0.8 and 0.81 round to the same ready-period count with T = 3, but a fill rate compares
    # with the thresholds themselves: no row of a table with a measure column is dropped
    out = collapse_contracts(table)
    assert len(out) == len(table) and out.attrs["collapsed"] == 0


def test_a_rate_table_without_its_rate_is_refused(table):
    with pytest.raises(SweepError, match="no column 'rate_mean'"):
        check_table(table.drop(columns=["rate_mean"]).assign(ready_mean=0.5).drop(
            columns=["ready_mean"]), "t.csv")


def test_cli_design_lists_each_measure_apart(capsys, tmp_path):
    grid = tmp_path / "grid.toml"
    grid.write_text(GRID)
    code = main(["design", str(grid), "--minimize", "cost_per_period", "--where",
                 "rate_mean >= 0.7", "--workers", "1", "--table", str(tmp_path / "t.csv")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "measure = fill-rate: Pareto front" in out and "measure = ready-rate: Pareto front" in out
    # the table it wrote reads back for design
    code = main(["design", str(tmp_path / "t.csv"), "--minimize", "withheld_filled_units",
                 "--where", "measure == 'fill-rate'"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "measure = ready-rate" not in out
