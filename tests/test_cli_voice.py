"""One voice on the command line, tried as a user types the commands (issue 13).

Each test runs the real command in a subprocess (``python -m slamarkov.cli ...``) and checks what
a user sees: one meaning per flag name, one unit convention, one ``--out`` rule, one error
prefix, runs files that say where they came from.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slamarkov.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = "examples/contract.toml"  # T = 10, lump-sum, penalty 50, bonus 30, Poisson(5), h = 0.5


def slamarkov_process(*args):
    """Run ``slamarkov ARGS...`` in a fresh Python, as a shell would: (exit code, stdout, stderr)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "slamarkov.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    return proc.returncode, proc.stdout, proc.stderr


def slamarkov(*args):
    """Run ``slamarkov ARGS...`` in this process (the same parser and handlers, without the
    interpreter start-up): (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as exc:
                code = exc.code
    finally:
        os.chdir(cwd)
    return code, out.getvalue(), err.getvalue()


def assert_one_line_error(result, command, *fragments):
    code, out, err = result
    assert code == 2 and out == "", result
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert err.startswith(f"{command}: error: "), err
    for f in fragments:
        assert f in err, (f, err)


# -- one meaning per flag name ---------------------------------------------------------------

class TestPerPeriodAmounts:
    def test_solve_per_period_is_per_review_period_times_T(self):
        # penalty 5 and bonus 3 per period over T = 10 are the file's 50 and 30
        code, by_period, _ = slamarkov("solve", EXAMPLE, "--penalty-per-period", 5,
                                       "--bonus-per-period", 3, "--format", "json")
        assert code == 0
        _, by_file, _ = slamarkov("solve", EXAMPLE, "--format", "json")
        assert json.loads(by_period) == json.loads(by_file)
        # with --review-period the per-period amount scales with the new T
        _, doc, _ = slamarkov("solve", EXAMPLE, "--review-period", 20, "--penalty-per-period", 5,
                              "--format", "json", "--summary-only")
        assert json.loads(doc)["contract"]["penalty"] == 100.0

    @pytest.mark.parametrize("command", [
        ["solve"], ["chain", "--from", "1,0"], ["simulate", "--runs", 10], ["graph", "--inspect"],
        ["plot", "--kind", "policy", "--out", "p.png"], ["validate", "--runs", "r.csv"]])
    def test_both_forms_refused_everywhere(self, command):
        name, *rest = command
        result = slamarkov(name, EXAMPLE, *rest, "--penalty", 50, "--penalty-per-period", 5)
        assert_one_line_error(result, f"slamarkov {name}", "--penalty-per-period",
                              "--penalty (per review period)", "not both")

    def test_bonus_both_forms_refused(self):
        assert_one_line_error(
            slamarkov("solve", EXAMPLE, "--bonus", 30, "--bonus-per-period", 3),
            "slamarkov solve", "--bonus-per-period", "not both")

    def test_negative_per_period_amount(self):
        assert_one_line_error(slamarkov("solve", EXAMPLE, "--penalty-per-period", -1),
                              "slamarkov solve", "--penalty-per-period: must be >= 0")

    def test_reproduce_takes_per_period_amounts(self):
        code, out, _ = slamarkov("reproduce", "ready-rate", "--holding", 1, "--review-periods", 10,
                                 "--penalty-per-period", 5, "--bonus-per-period", 0,
                                 "--format", "json")
        assert code == 0
        params = json.loads(out)["parameters"]
        assert params["penalty_per_period"] == 5 and params["bonus_per_period"] == 0

    def test_reproduce_penalty_is_per_review_period_too(self):
        # --penalty means per review period in every command; the study's grid over T takes
        # amounts per period, so reproduce refuses a non-zero --penalty and says what to give
        result = slamarkov_process("reproduce", "ready-rate", "--penalty", 5)
        assert_one_line_error(result, "slamarkov reproduce ready-rate",
                              "--penalty: is an amount per review period",
                              "--penalty-per-period 5")
        # zero is the same amount in both units: the penalty-only variant still reads naturally
        code, out, _ = slamarkov("reproduce", "ready-rate", "--bonus", 0, "--holding", 1,
                                 "--review-periods", 10, "--format", "json")
        assert code == 0 and json.loads(out)["parameters"]["bonus_per_period"] == 0
        assert_one_line_error(
            slamarkov("reproduce", "cost", "--bonus", 0, "--bonus-per-period", 3),
            "slamarkov reproduce cost", "not both")

    def test_help_says_which_unit(self):
        _, solve_help, _ = slamarkov("solve", "--help")
        assert "per review period" in solve_help and "--penalty-per-period" in solve_help
        _, rep_help, _ = slamarkov("reproduce", "ready-rate", "--help")
        assert "--penalty-per-period" in rep_help
        assert re.search(r"--penalty X\s+penalty per review period, as in every command", rep_help)


# -- units ----------------------------------------------------------------------------------

def _percent(text, label):
    m = re.search(re.escape(label) + r"\s+(-?[0-9.]+)%", text)
    assert m, (label, text)
    return m.group(1)


class TestUnits:
    def test_chain_from_the_start_agrees_with_solve(self):
        _, solve, _ = slamarkov("solve", EXAMPLE, "--summary-only")
        _, chain, _ = slamarkov("chain", EXAMPLE, "--from", "1,0")
        rows = {line.split("  ")[0]: line.split()[-2] for line in solve.splitlines()
                if "(%)" in line}
        # solve: "ready rate mean (%)   89.6123   93.1906" -> the dynamic column
        dyn = {k.strip(): v for k, v in rows.items()}
        assert dyn["ready rate mean (%)"] == _percent(chain, "mean") == "89.6123"
        assert dyn["ready rate SD (%)"] == _percent(chain, "SD") == "2.4573"
        assert dyn["P(penalty) (%)"] == _percent(chain, "P(penalty)") == "0.1328"
        assert dyn["P(bonus) (%)"] == _percent(chain, "P(bonus)") == "96.2415"
        assert "cost per period: -1.20155 (as solve reports it)" in chain
        assert "-1.201550" in solve

    def test_graph_inspection_in_percent_too(self):
        _, out, _ = slamarkov("graph", EXAMPLE, "--inspect")
        assert "  stage   penalty (%)" in out
        # the last stage's committed probabilities are solve's P(penalty), P(bonus)
        last = out.splitlines()[-1].split()
        assert last[0] == "11" and last[1] == "0.1328" and last[5] == "96.2415"
        assert "bonus: ends at v = 9, probability 37.2411%" in out

    def test_every_number_has_its_unit(self):
        _, chain, _ = slamarkov("chain", EXAMPLE, "--from", "6,4")
        assert "ready periods still to come: mean " in chain and " periods, variance " in chain
        assert "periods^2" in chain
        assert re.search(r"P\(neutral\) [0-9.]+%", chain)

    def test_simulate_summary_in_percent(self, tmp_path):
        code, out, _ = slamarkov("simulate", EXAMPLE, "--runs", 500, "--seed", 1,
                                 "--out", tmp_path / "r.csv")
        assert code == 0
        assert re.search(r"mean ready rate \(%\)\s+[0-9.]+\s+[0-9.]+\s+89\.6123", out)
        assert "P(bonus) (%)" in out

    def test_json_keeps_fractions(self):
        _, out, _ = slamarkov("solve", EXAMPLE, "--format", "json", "--summary-only")
        assert json.loads(out)["dynamic"]["ready_rate"]["mean"] == pytest.approx(0.896123,
                                                                                 abs=1e-6)

    def test_negative_cost_is_explained(self):
        _, solve, _ = slamarkov("solve", EXAMPLE, "--summary-only")
        assert ("a negative cost is a net gain: the expected bonus exceeds the holding cost"
                in solve)
        _, chain, _ = slamarkov("chain", EXAMPLE, "--from", "1,0")
        assert "a negative cost is a net gain" in chain
        # no bonus, no gain: nothing to explain
        _, solve, _ = slamarkov("solve", EXAMPLE, "--summary-only", "--bonus", 0)
        assert "net gain" not in solve
        assert "net gain" in (ROOT / "README.md").read_text()


# -- --out -----------------------------------------------------------------------------------

class TestOut:
    def test_solve_format_from_suffix(self, tmp_path):
        code, out, err = slamarkov_process("solve", EXAMPLE, "--out", tmp_path / "x.json")
        assert (code, out, err) == (0, f"wrote {tmp_path / 'x.json'}\n", "")
        assert json.loads((tmp_path / "x.json").read_text())["static"]["base_stock"] == 8
        code, out, _ = slamarkov("solve", EXAMPLE, "--out", tmp_path / "x.txt")
        assert out == f"wrote {tmp_path / 'x.txt'}\n"
        assert (tmp_path / "x.txt").read_text().startswith("lump-sum SLA over T=10 periods")

    @pytest.mark.parametrize("command, name", [
        (["solve"], "x.pdf"), (["validate", "--runs", "r.csv"], "x.csv"),
        (["graph", "--inspect"], "x.graphml"), (["plot", "--kind", "policy"], "x.svg"),
        (["simulate", "--runs", 10], "x.json"),
        (["chain", "--from", "1,0"], None)])
    def test_refuses_a_suffix_it_cannot_write(self, tmp_path, command, name):
        name = name or "x.json"
        cmd, *rest = command
        if cmd == "chain":  # chain --out is a folder of .npz files
            (tmp_path / name).write_text("")
            result = slamarkov(cmd, EXAMPLE, *rest, "--out", tmp_path / name)
            assert_one_line_error(result, "slamarkov chain", "is not a folder")
            return
        result = slamarkov(cmd, EXAMPLE, *rest, "--out", tmp_path / name)
        assert_one_line_error(result, f"slamarkov {cmd}",
                              f"--out: cannot write {Path(name).suffix} files here")
        assert not (tmp_path / name).exists()

    def test_format_contradicting_the_suffix(self, tmp_path):
        assert_one_line_error(
            slamarkov("solve", EXAMPLE, "--format", "text", "--out", tmp_path / "x.json"),
            "slamarkov solve", "the suffix .json means json, but --format is text")

    def test_every_writer_says_wrote(self, tmp_path):
        runs = tmp_path / "runs.csv"
        code, out, _ = slamarkov("simulate", EXAMPLE, "--runs", 300, "--seed", 2, "--out", runs)
        assert code == 0 and out.splitlines()[-1] == f"wrote {runs}"
        for args, path in [
            (["validate", EXAMPLE, "--runs", runs], tmp_path / "v.json"),
            (["graph", EXAMPLE], tmp_path / "g.dot"),
            (["graph", EXAMPLE, "--inspect"], tmp_path / "i.txt"),
            (["plot", EXAMPLE, "--kind", "policy"], tmp_path / "p.png"),
            (["chain", EXAMPLE], tmp_path / "chain"),
            (["reproduce", "saving", "--holding", 1, "--review-periods", 10], tmp_path / "s.md"),
        ]:
            code, out, _ = slamarkov(*args, "--out", path)
            assert code == 0 and out == f"wrote {path}\n", (args, out)
            assert path.exists()
        assert json.loads((tmp_path / "v.json").read_text())["consistent"] is True
        assert (tmp_path / "s.md").read_text().startswith("| ratio |")
        assert (tmp_path / "chain" / "Q.npz").exists()


# -- runs files know where they came from -----------------------------------------------------

class TestRunsProvenance:
    def test_readme_validate_examples(self, tmp_path):
        # the README's examples: dynamic runs validated as dynamic, static runs as static
        code, _, _ = slamarkov("simulate", EXAMPLE, "--runs", 3000, "--seed", 1,
                               "--out", tmp_path / "runs.csv")
        assert code == 0
        code, out, err = slamarkov("validate", EXAMPLE, "--runs", tmp_path / "runs.csv")
        assert (code, err) == (0, "") and "verdict: consistent" in out
        slamarkov("simulate", EXAMPLE, "--policy", "static", "--runs", 3000, "--seed", 2,
                  "--out", tmp_path / "static.csv")
        code, out, err = slamarkov("validate", EXAMPLE, "--runs", tmp_path / "static.csv",
                                   "--policy", "static")
        assert (code, err) == (0, "") and "verdict: consistent" in out

    def test_other_policy_warns_why(self, tmp_path):
        slamarkov("simulate", EXAMPLE, "--runs", 3000, "--seed", 1, "--out", tmp_path / "runs.csv")
        code, out, err = slamarkov_process("validate", EXAMPLE, "--runs", tmp_path / "runs.csv",
                                           "--policy", "static")
        assert code == 1 and "INCONSISTENT" in out
        assert len(err.splitlines()) == 1
        assert err.startswith("slamarkov validate: warning: ")
        assert "simulated with the dynamic policy, not the static policy tested here" in err

    def test_other_contract_warns_why(self, tmp_path):
        slamarkov("simulate", EXAMPLE, "--runs", 200, "--seed", 1, "--out", tmp_path / "runs.csv")
        _, _, err = slamarkov("validate", EXAMPLE, "--runs", tmp_path / "runs.csv",
                              "--scheme", "linear", "--penalty", 250, "--bonus", 150)
        assert len(err.splitlines()) == 1
        assert ("simulated for another problem: contract.scheme lump-sum (here linear), "
                "contract.penalty 50 (here 250), contract.bonus 30 (here 150)") in err

    def test_stdout_runs_carry_it_too(self, tmp_path):
        code, out, _ = slamarkov("simulate", EXAMPLE, "--runs", 5, "--seed", 7)
        first = out.splitlines()[0]
        assert first.startswith("# slamarkov simulate: ")
        made = json.loads(first.split(": ", 1)[1])
        assert (made["policy"], made["seed"], made["runs"]) == ("dynamic", 7, 5)
        (tmp_path / "piped.csv").write_text(out)
        code, _, err = slamarkov("validate", EXAMPLE, "--runs", tmp_path / "piped.csv")
        assert code == 0 and err == ""


# -- small ones -------------------------------------------------------------------------------

class TestSmallOnes:
    def test_from_the_end_of_the_review_period(self):
        code, out, _ = slamarkov("chain", EXAMPLE, "--from", "11,4")
        assert code == 0
        assert out.splitlines()[0] == ("from state (i=11, v=4): the end of the review period "
                                       "(all 10 periods done), 4 ready periods")
        assert "period 11 of 10" not in out
        assert "mean 40.0000%, SD 0.0000%" in out and "P(penalty) 100.0000%" in out
        assert_one_line_error(slamarkov("chain", EXAMPLE, "--from", "12,4"), "slamarkov chain",
                              "(12, 4) is not in the chain")

    def test_no_negative_zero_z(self, tmp_path):
        # every run ready: the static policy's P(penalty) z-score is exactly 0 with sign -0.0
        from slamarkov.simulation.validate import _z

        assert _z(-0.0) == "+0" and _z(0.0) == "+0" and _z(-1.25) == "-1.25"
        runs = tmp_path / "r.csv"
        runs.write_text("ready_count\n" + "10\n" * 50)
        _, out, _ = slamarkov("validate", EXAMPLE, "--runs", runs, "--policy", "static")
        assert not re.search(r"z = -0(\s|$)", out)

    def test_one_period_grammar(self):
        _, out, _ = slamarkov("solve", EXAMPLE, "--review-period", 1, "--summary-only")
        assert out.startswith("lump-sum SLA over T=1 period:")

    def test_bare_command_prints_usage(self):
        code, out, err = slamarkov_process()
        assert code == 2 and out == ""
        usage, error = err.splitlines()
        assert usage.startswith("usage: slamarkov ")
        assert error == "slamarkov: error: give a COMMAND (see slamarkov --help)"
        code, _, err = slamarkov("reproduce")
        assert code == 2 and err.splitlines()[0].startswith("usage: slamarkov reproduce")

    @pytest.mark.parametrize("args, prefix", [
        (["solve", EXAMPLE, "--review-period", 0], "slamarkov solve"),
        (["solve", "missing.toml"], "slamarkov solve"),
        (["solve", EXAMPLE, "--format", "xml"], "slamarkov solve"),
        (["chain", EXAMPLE], "slamarkov chain"),
        (["reproduce", "ready-rate", "--holding", -1], "slamarkov reproduce ready-rate"),
        (["nope"], "slamarkov"),
    ])
    def test_one_error_prefix(self, args, prefix):
        assert_one_line_error(slamarkov(*args), prefix)

    def test_scheme_suggestion(self):
        assert_one_line_error(slamarkov_process("solve", EXAMPLE, "--scheme", "lumpsum"),
                              "slamarkov solve", "did you mean 'lump-sum'?")
        assert_one_line_error(slamarkov("reproduce", "cost", "--scheme", "lumpsum"),
                              "slamarkov reproduce cost", "did you mean 'lump-sum'?")
        result = slamarkov("solve", EXAMPLE, "--scheme", "stepwise")
        assert_one_line_error(result, "slamarkov solve", "got 'stepwise'")
        assert "did you mean" not in result[2]


class TestJsonLayout:
    """Every command's JSON goes through cli._common.json_text: indented objects, lists of numbers
    on one line, and the same document as json.dumps."""

    scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                        st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=5))
    docs = st.recursive(scalars, lambda kids: st.one_of(
        st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=4), kids, max_size=4)),
        max_leaves=20)

    @settings(max_examples=200, deadline=None)
    @given(docs)
    def test_same_document_as_json_dumps(self, doc):
        from slamarkov.cli._common import json_text

        assert json.loads(json_text(doc)) == json.loads(json.dumps(doc))

    def test_numbers_on_one_line_and_nan_refused(self):
        from slamarkov.cli._common import json_text

        text = json_text({"pmf": [0.1] * 1000, "rows": [[1, 2], [3]]})
        assert len(text.splitlines()) == 7
        with pytest.raises(ValueError):
            json_text({"x": [float("nan")]})

    def test_solve_prints_the_pmf_on_one_line(self, capsys):
        assert main(["solve", str(ROOT / EXAMPLE), "--format", "json", "--summary-only"]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert sum('"pmf": [' in line for line in lines) == 2
