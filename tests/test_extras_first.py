"""A command refuses a missing extra before it does the work (issue 23, item 6).

matplotlib, pydot and jinja2 are hidden (an import of them fails) and the solver is replaced by
one that fails the test: the refusal must come first, in one line, exit code 2.
"""

from __future__ import annotations

import builtins
import contextlib
import io
from pathlib import Path

import pytest

from slamarkov.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = str(ROOT / "examples" / "contract.toml")


@pytest.fixture
def without(monkeypatch):
    """Hide the named top-level packages, and make any solve fail the test."""
    import slamarkov.solve.both as both
    from slamarkov.cli import build_parser

    build_parser()  # every command module imported first: none binds the patched solver

    def hide(*names):
        real = builtins.__import__

        def fake(name, *args, **kwargs):
            if name.split(".")[0] in names:
                raise ImportError(f"No module named {name!r}")
            return real(name, *args, **kwargs)

        monkeypatch.setattr(builtins, "__import__", fake)

        def no_solve(*args, **kwargs):
            raise AssertionError("solved before refusing the missing extra")

        monkeypatch.setattr(both, "solve_both", no_solve)
        monkeypatch.setattr(both, "solve_policy", no_solve)

    return hide


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("argv, missing, says", [
    (["plot", EXAMPLE, "--kind", "policy", "--out", "{tmp}/p.png"], "matplotlib", "matplotlib"),
    (["graph", EXAMPLE, "--out", "{tmp}/c.dot"], "pydot", "pydot"),
    (["report", EXAMPLE, "--out", "{tmp}/r.html"], "jinja2", "jinja2"),
    (["report", EXAMPLE, "--out", "{tmp}/r.html"], "matplotlib", "matplotlib"),
    (["reproduce", "carry-over", "--scheme", "lump-sum", "--review-periods", "10",
      "--holding", "1", "--figure", "{tmp}/c.png"], "matplotlib", "matplotlib"),
])
def test_missing_extra_refused_before_the_work(argv, missing, says, without, tmp_path,
                                               monkeypatch):
    import slamarkov.cli.reproduce as cli_reproduce

    def no_table(*args, **kwargs):
        raise AssertionError("computed the table before refusing the missing extra")

    monkeypatch.setattr(cli_reproduce, "carry_over_table", no_table)
    without(missing)
    code, out, err = run(*[a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert code == 2 and out == "" and err.count("\n") == 1, (code, out, err)
    assert says in err
