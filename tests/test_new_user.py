"""What a new user trips over (issue 23): messages that say what to type instead.

Each test runs the command line in this process, as tests/test_cli_voice.py does.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from slamarkov.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = str(ROOT / "examples" / "contract.toml")


def slamarkov(*args):
    """(exit code, stdout, stderr) of ``slamarkov ARGS...`` run in this process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def one_line_error(result, *parts):
    code, out, err = result
    assert code == 2 and out == "", result
    assert err.count("\n") == 1, err
    for part in parts:
        assert part in err, (part, err)
    return err


class TestMessages:
    def test_a_threshold_typed_in_percent_says_how_to_write_it(self):
        one_line_error(slamarkov("solve", EXAMPLE, "--bonus-threshold", 95),
                       "contract.bonus_threshold: must lie in [0, 1], got 95",
                       "(write 0.95 for 95%)")

    def test_a_threshold_above_100_gets_no_percent_hint(self):
        err = one_line_error(slamarkov("solve", EXAMPLE, "--bonus-threshold", 950),
                             "must lie in [0, 1], got 950")
        assert "write" not in err

    def test_unknown_key_suggests_the_close_one(self, tmp_path):
        text = Path(EXAMPLE).read_text().replace("holding =", "holdng =")
        (tmp_path / "c.toml").write_text(text)
        one_line_error(slamarkov("solve", tmp_path / "c.toml"),
                       "costs.holdng: unknown key; did you mean 'holding'?")

    def test_unknown_section_suggests_the_close_one(self, tmp_path):
        text = Path(EXAMPLE).read_text().replace("[costs]", "[cost]")
        (tmp_path / "c.toml").write_text(text)
        one_line_error(slamarkov("solve", tmp_path / "c.toml"),
                       "cost: unknown section", "did you mean 'costs'?")

    def test_a_far_key_gets_no_guess(self, tmp_path):
        text = Path(EXAMPLE).read_text().replace("[costs]", "[costs]\ncolour = 1")
        (tmp_path / "c.toml").write_text(text)
        err = one_line_error(slamarkov("solve", tmp_path / "c.toml"), "costs.colour: unknown key")
        assert "did you mean" not in err

    @pytest.mark.parametrize("spec", ["poisson=12", "poisson 12", "normal=15,5"])
    def test_demand_without_colon_points_to_the_syntax(self, spec):
        one_line_error(slamarkov("solve", EXAMPLE, "--demand", spec),
                       "demand.kind", "the syntax is KIND:PARAMS, e.g. poisson:5")

    def test_misspelt_demand_kind_suggests(self):
        one_line_error(slamarkov("solve", EXAMPLE, "--demand", "poison:5"),
                       "did you mean 'poisson'?")

    def test_exact_names_the_flag(self):
        err = one_line_error(slamarkov("solve", EXAMPLE, "--exact"),
                             "slamarkov solve: error: --exact: demand Poisson(5) has no rational",
                             "leave out --exact")
        assert "exact=False" not in err

    def test_exact_from_the_file_names_the_key(self, tmp_path):
        text = Path(EXAMPLE).read_text().replace("[solver]", "[solver]\nexact = true")
        assert "exact = true" in text
        (tmp_path / "c.toml").write_text(text)
        err = one_line_error(slamarkov("chain", tmp_path / "c.toml", "--from", "1,0"),
                             "solver.exact: demand Poisson(5)", "set solver.exact = false")
        assert "exact=False" not in err


ROUNDING_GRID = """\
[contract]
review_period = 30
penalty_threshold = [0.5, 0.91, 0.92, 0.93]
bonus_threshold = 0.98
scheme = "lump-sum"
penalty = 100
bonus = [40, 60]
[costs]
holding = [0.5, 1]
[demand]
kind = "poisson"
mean = 5
[solver]
max_stock = 30
"""


@pytest.fixture(scope="module")
def table():
    import tomllib

    from slamarkov.sweep import sweep

    return sweep(tomllib.loads(ROUNDING_GRID), workers=1, progress=False)


class TestThresholdRounding:
    """With T = 30, 0.91, 0.92 and 0.93 all mean 28 ready periods (issue 23, item 3)."""

    def test_sweep_has_the_counts(self, table):
        counts = table.groupby("penalty_threshold")["penalty_count"].unique()
        assert {k: v.tolist() for k, v in counts.items()} == {
            0.5: [15], 0.91: [28], 0.92: [28], 0.93: [28]}
        assert (table["bonus_count"] == 30).all()  # a 0.98 bonus at T = 30 needs 30 of 30

    def test_rows_of_one_contract_are_identical(self, table):
        same = table[table["penalty_threshold"] > 0.9].drop(columns="penalty_threshold")
        assert len(same.drop_duplicates()) == len(same) // 3

    def test_collapse_keeps_the_first_of_each_contract(self, table):
        from slamarkov.sweep.design import collapse_contracts

        out = collapse_contracts(table)
        assert out.attrs["collapsed"] == len(table) // 2
        assert sorted(out["penalty_threshold"].unique()) == [0.5, 0.91]

    def test_collapse_keeps_linear_contracts(self, table):
        from slamarkov.sweep.design import collapse_contracts

        lin = ROUNDING_GRID.replace('"lump-sum"', '"linear"')
        import tomllib

        from slamarkov.sweep import sweep

        t = sweep(tomllib.loads(lin.replace("holding = [0.5, 1]", "holding = 1")
                            .replace("bonus = [40, 60]", "bonus = 40")), workers=1, progress=False)
        # the linear settlement uses the threshold itself: four different contracts
        assert collapse_contracts(t).attrs["collapsed"] == 0

    def test_design_says_so_groups_by_assumption_and_caps_lists(self, table, tmp_path):
        from slamarkov.io.tables import write_table

        path = tmp_path / "t.csv"
        write_table(table, path)
        code, out, err = slamarkov("design", path, "--minimize", "buyer_payment_per_period",
                                   "--top", 1)
        assert code == 0, err
        assert "8 of them are the same contract as a row listed" in out
        assert "assuming holding = 0.5: best 1 of 4 contracts" in out
        assert "assuming holding = 1: best 1 of 4 contracts" in out
        assert "the first 1):" in out
        # every list holds one row: a header line and one row each
        blocks = [b for b in out.split("\n\n") if "contracts" in b]
        assert len(blocks) == 4
        assert all(len(b.strip().splitlines()) == 3 for b in blocks), out
        assert "ready_mean (%)" in out and "e-" not in out


class TestProgress:
    """chain --out and report draw a step bar with --progress and nothing when piped."""

    @pytest.mark.parametrize("command, label", [
        (["chain", EXAMPLE, "--out", "{tmp}/ch"], "chain:"),
        (["report", EXAMPLE, "--out", "{tmp}/r.html"], "report:"),
    ])
    def test_bar_with_progress_and_none_when_piped(self, command, label, tmp_path):
        argv = [a.replace("{tmp}", str(tmp_path)) for a in command]
        code, out, err = slamarkov(*argv, "--progress")
        assert code == 0 and label in err and "100%" not in out, err
        code, out, err = slamarkov(*argv)  # standard error is not a terminal here
        assert code == 0 and err == "", err
        assert out.startswith("wrote ")
