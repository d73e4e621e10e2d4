"""Issue 14: no input may crash, hang or exhaust the machine.

Each reported failure is pinned here as the real command in a subprocess: a one-line error and
exit code 2 where the input is unusable, correct output where it is usable.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest
from test_cli_solve import EXAMPLE, assert_one_line_error, run_cli

from slamarkov import Contract, Poisson, Problem
from slamarkov.chain.distribution import ReadyRateDistribution
from slamarkov.core.numbers import clip_probability, to_fraction, to_int
from slamarkov.errors import ContractError


class TestNumbers:
    @pytest.mark.parametrize("text", ["1e400", "-1e400", "1e16", "1e99999999", "10000000000000001"])
    def test_too_large_is_refused_by_magnitude(self, text):
        with pytest.raises(ContractError, match=r"^contract\.penalty: must be at most 1e15"):
            to_fraction(text, "contract.penalty", ContractError)

    @pytest.mark.parametrize("value", ["1e-400", "1e-99999999", "1/" + "7" * 61,
                                       Fraction(1, 10**70)])
    def test_too_many_digits_is_refused(self, value):
        with pytest.raises(ContractError, match=r"^ratio: must have at most 60 digits"):
            to_fraction(value, "ratio", ContractError)

    @pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, "inf", "-Infinity", "nan"])
    def test_non_finite_is_refused(self, value):
        with pytest.raises(ContractError, match="must be (finite|a number)"):
            to_fraction(value, "contract.bonus", ContractError)

    def test_huge_ints_are_refused_without_arithmetic(self):
        with pytest.raises(ContractError, match="at most 1e15"):
            to_int(2**63 - 1, "solver.max_stock", ContractError)
        with pytest.raises(ContractError, match="at most 1e15"):
            to_int(10**4000, "solver.max_stock", ContractError)

    def test_ordinary_numbers_are_exact(self):
        assert to_fraction("0.7", "x", ContractError) == Fraction(7, 10)
        assert to_fraction(1e-20, "x", ContractError) == Fraction(1, 10**20)
        assert to_fraction("1e15", "x", ContractError) == 10**15
        assert to_int("1e9", "x", ContractError) == 10**9


class TestProbabilities:
    def test_clip_only_rounding(self):
        assert clip_probability(1 + 2e-16) == 1.0
        assert clip_probability(-1e-17) == 0.0
        with pytest.raises(ArithmeticError):
            clip_probability(1 + 1e-9)
        with pytest.raises(ArithmeticError):
            clip_probability(float("nan"))

    def test_whole_pmf_band_is_one_not_more(self):
        # both thresholds 0: the bonus band is the whole pmf, whose float entries sum above 1
        c = Contract(10, 0, 0, penalty=50, bonus=30)
        pmf = np.full(11, 0.1)
        pmf[0] = 0.0
        pmf[1] += 2e-16
        assert pmf.sum() > 1.0
        dist = ReadyRateDistribution(c, pmf)
        assert dist.p_bonus == 1.0 and dist.p_penalty == 0.0
        assert 0.0 <= dist.mean <= 1.0

    @pytest.mark.parametrize("args", [
        ("--penalty-threshold", "0", "--bonus-threshold", "0"),
        ("--review-period", "3000"),
    ])
    def test_reported_probabilities_lie_in_unit_interval(self, args):
        code, out, err = run_cli("solve", EXAMPLE, "--format", "json", "--summary-only", *args)
        assert code == 0, err
        doc = json.loads(out)
        for policy in ("dynamic", "static"):
            rr = doc[policy]["ready_rate"]
            for key in ("mean", "p_penalty", "p_bonus"):
                assert 0.0 <= rr[key] <= 1.0, (policy, key, rr[key])


OVERFLOWS = [
    (("solve", EXAMPLE, "--penalty", "1e400"), "penalty"),
    (("solve", EXAMPLE, "--bonus", "1e400"), "bonus"),
    (("solve", EXAMPLE, "--holding", "1e400"), "holding"),
    (("solve", EXAMPLE, "--holding", "1e308"), "holding"),
    (("solve", EXAMPLE, "--demand", "poisson:1e400"), "mean"),
    (("solve", EXAMPLE, "--demand", "uniform:0,1e400"), "high"),
    (("solve", EXAMPLE, "--demand", "normal:1e300,1"), "mean"),
    (("solve", EXAMPLE, "--penalty", "1e99999999"), "penalty"),
    (("solve", EXAMPLE, "--max-stock", "9223372036854775807"), "max"),
    (("reproduce", "saving", "--ratios", "1e-400"), "--ratios"),
    (("reproduce", "published", "--runs", "1e400"), "--runs"),
    (("reproduce", "cost", "--review-periods", "1e400"), "--review-periods"),
]


@pytest.mark.parametrize("args,field", OVERFLOWS, ids=[" ".join(map(str, a[1:])) for a, _ in OVERFLOWS])
def test_unrepresentable_numbers_are_one_line(args, field):
    assert_one_line_error(*run_cli(*args), field)


@pytest.mark.parametrize("nest", ["[" * 600 + "]" * 600, "{a=" * 600 + "1" + "}" * 600])
def test_deeply_nested_toml_is_one_line(tmp_path, nest):
    path = tmp_path / "deep.toml"
    path.write_text(f"[contract]\nreview_period = {nest}\n")
    assert_one_line_error(*run_cli("solve", path), "deep.toml", "nested")


# -- sizes are checked before anything is allocated -------------------------------------------

def _toml_with_review_period(tmp_path, text):
    path = tmp_path / "c.toml"
    path.write_text(EXAMPLE.read_text().replace("review_period = 10", f"review_period = {text}"))
    return path


TOO_BIG = [
    (("solve", EXAMPLE, "--review-period", "65535"), "review_period"),
    (("solve", EXAMPLE, "--review-period", "1000000"), "review_period"),
    (("solve", EXAMPLE, "--max-stock", "1000000000000"), "max_stock"),
    (("solve", EXAMPLE, "--demand", "poisson:1e15"), "demand"),
    (("solve", EXAMPLE, "--demand", "discrete-uniform:0,1e12"), "demand"),
    (("simulate", EXAMPLE, "--runs", "1000000000", "--out", "{tmp}/r.csv"), "runs"),
    (("reproduce", "ready-rate", "--review-periods", "10", "--simulate", "1000000000"), "simulate"),
    (("reproduce", "cost", "--review-periods", "1e15"), "review_period"),
    (("chain", EXAMPLE, "--review-period", "20000", "--out", "{tmp}/chain"), "review_period"),
    (("graph", EXAMPLE, "--review-period", "5000", "--format", "json"), "review_period"),
    (("solve", EXAMPLE, "--review-period", "200", "--max-gib", "0.0001"), "review_period"),
    # h = 0 with bounded demand is valid, so the size check must refuse it; with unbounded demand
    # h = 0 is refused first (the largest settlement drop needs no table of T + 1 rationals)
    (("solve", EXAMPLE, "--holding", "0", "--demand", "discrete-uniform:0,9", "--review-period",
      "1000000000"), "review_period"),
]


@pytest.mark.parametrize("args,field", TOO_BIG, ids=[" ".join(map(str, a[1:])) for a, _ in TOO_BIG])
def test_too_large_requests_are_refused_with_estimate_and_limit(tmp_path, args, field):
    args = [str(a).replace("{tmp}", str(tmp_path)) for a in args]
    code, out, err = run_cli(*args)
    assert_one_line_error(code, out, err, field, "GiB", "--max-gib")
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.mark.parametrize("text", ["1e9", "1000000000", '"1e12"', "1e15"])
def test_huge_review_period_in_any_spelling(tmp_path, text):
    code, out, err = run_cli("solve", _toml_with_review_period(tmp_path, text))
    assert_one_line_error(code, out, err, "review_period", "states", "GiB")


@pytest.mark.parametrize("value", ["inf", "0", "1e400"])
def test_max_gib_is_validated_on_every_command(value):
    for args in (("solve", EXAMPLE), ("chain", EXAMPLE, "--from", "1,0"),
                 ("reproduce", "published")):
        code, out, err = run_cli(*args, "--max-gib", value)
        assert_one_line_error(code, out, err, "--max-gib")


def test_exact_continuous_uniform_is_refused_before_it_explodes():
    code, out, err = run_cli("chain", EXAMPLE, "--demand", "uniform:0,10", "--exact",
                             "--review-period", "21", "--from", "1,0")
    assert_one_line_error(code, out, err, "review_period", "exact", "bits")


def test_exact_continuous_uniform_short_period_still_works():
    code, out, err = run_cli("chain", EXAMPLE, "--demand", "uniform:0,10", "--exact",
                             "--review-period", "6", "--from", "1,0")
    assert code == 0, err
    assert "P(penalty)" in out


def test_api_memory_limit():
    from slamarkov import SizeError, memory_limit, solve_dynamic

    problem = Problem(Contract.study(300), Poisson(5), 1)
    with memory_limit(gib="0.0001"):
        with pytest.raises(SizeError, match=r"^contract\.review_period: T = 300 gives 45,150 states"):
            solve_dynamic(problem)
    assert solve_dynamic(Problem(Contract.study(30), Poisson(5), 1)).policy is not None


def test_carry_over_states_are_one_more_factor():
    from slamarkov import SizeError, memory_limit
    from slamarkov.solve.limits import check_solve

    discard = Problem(Contract.study(400), Poisson(5), 1)
    carry = Problem(Contract.study(400), Poisson(5), 1, purchase_cost=1, leftover="carry")
    with memory_limit(gib="0.02"):
        check_solve(discard)  # 80,200 states fit in 20 MiB, 12 times as many do not
        with pytest.raises(SizeError, match=r"T = 400 x \d+ stock levels gives [\d,]+ states"):
            check_solve(carry)


# -- chain --out writes a set of files as a set -----------------------------------------------

def _consistent_chain_folder(out):
    """The folder's Q, R and states.csv belong to one run: their sizes agree."""
    from scipy import sparse

    names = sorted(p.name for p in out.iterdir())
    assert not [n for n in names if n.startswith(".")], names
    Q = sparse.load_npz(out / "Q.npz")
    R = sparse.load_npz(out / "R.npz")
    rows = (out / "states.csv").read_text().splitlines()[1:]
    t = Q.shape[0]
    assert R.shape[0] == t
    assert len(rows) == t + R.shape[1]  # transient and absorbing states
    return t


def _no_partial(folder):
    left = [p.name for p in folder.iterdir() if ".partial-" in p.name]
    assert left == [], left


def test_two_runs_with_different_options_never_mix(tmp_path):
    out = tmp_path / "chain"
    for T, t in (("10", 55), ("12", 78), ("10", 55)):
        code, _, err = run_cli("chain", EXAMPLE, "--review-period", T, "--out", out)
        assert code == 0, err
        assert _consistent_chain_folder(out) == t
    _no_partial(tmp_path)


def test_concurrent_runs_leave_one_whole_set(tmp_path):
    import subprocess
    import sys

    from test_cli_solve import ROOT

    out = tmp_path / "chain"
    procs = [subprocess.Popen([sys.executable, "-m", "slamarkov.cli", "chain", str(EXAMPLE),
                               "--review-period", T, "--out", str(out)], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for T in ("30", "40")]
    codes = [p.wait() for p in procs]
    assert 0 in codes and set(codes) <= {0, 2}  # a loser may be refused, never half-written
    assert _consistent_chain_folder(out) in (465, 820)
    _no_partial(tmp_path)


def test_a_folder_with_other_files_is_not_replaced(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    code, out_, err = run_cli("chain", EXAMPLE, "--out", out)
    assert_one_line_error(code, out_, err, "thesis.tex")
    assert (out / "thesis.tex").read_text() == "precious"
    _no_partial(tmp_path)


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGKILL"])
def test_a_killed_run_leaves_no_output_and_no_hidden_files(tmp_path, sig):
    import signal
    import subprocess
    import sys
    import time

    from test_cli_solve import ROOT

    out = tmp_path / "chain"
    run_cli("chain", EXAMPLE, "--review-period", "10", "--out", out)  # an old, whole set
    proc = subprocess.Popen([sys.executable, "-m", "slamarkov.cli", "chain", str(EXAMPLE),
                             "--review-period", "1500", "--out", str(out)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while proc.poll() is None and not any(".partial-" in p.name for p in tmp_path.iterdir()):
        time.sleep(0.05)
    proc.send_signal(getattr(signal, sig))
    proc.wait()
    if sig == "SIGTERM":
        _no_partial(tmp_path)  # cleaned up on the way out
    # the old set is intact, whole; a later run clears what a SIGKILL left behind
    assert _consistent_chain_folder(out) in (55, 1125750)
    code, _, err = run_cli("chain", EXAMPLE, "--review-period", "12", "--out", out)
    assert code == 0, err
    assert _consistent_chain_folder(out) == 78
    _no_partial(tmp_path)


# -- validate streams the runs file ------------------------------------------------------------

def test_streamed_summary_equals_in_memory_validation(tmp_path):
    from slamarkov import solve_dynamic
    from slamarkov.simulation.runs import read_runs
    from slamarkov.simulation.simulate import simulate
    from slamarkov.simulation.validate import summarise_runs, validate, validate_summary

    sol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40)
    path = tmp_path / "runs.csv"
    simulate(sol.policy, 3000, seed=5).to_csv(path)
    whole = validate(sol, read_runs(path, sol.problem.contract))
    for chunk in (1, 7, 1000, 10**6):
        s = summarise_runs(path, sol.problem.contract, chunk_rows=chunk)
        rep = validate_summary(sol, s)
        assert rep.runs == whole.runs == 3000
        for a, b in zip(rep.checks, whole.checks):
            assert a.name == b.name and a.reject == b.reject
            assert a.statistic == pytest.approx(b.statistic, rel=1e-9, abs=1e-12)


def test_bad_row_in_a_late_chunk_names_its_line(tmp_path):
    from slamarkov.simulation.validate import summarise_runs

    path = tmp_path / "runs.csv"
    path.write_text("# a comment\nready_count,total_cost\n" + "3,1\n" * 10 + "3,x\n")
    with pytest.raises(Exception, match=r"line 13, column total_cost: 'x' is not a number"):
        summarise_runs(path, Contract.study(10), chunk_rows=4)
