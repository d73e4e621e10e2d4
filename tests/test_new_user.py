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
