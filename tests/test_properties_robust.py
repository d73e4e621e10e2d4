"""Issue 14, property tests: random contracts, demands and command lines never crash, hang or
give an impossible answer.

Contracts and demands: probabilities lie in [0, 1], pmfs sum to 1 within 1e-12, and the dynamic
policy never costs more than the static one. Command lines (valid and invalid values mixed): the
exit code is 0, 1 or 2, exit code 2 comes with exactly one line on standard error, and a chain
folder is either absent or one whole set of files. Budgets are small (tens of examples) and there
is no deadline: the machine is shared and slow.
"""

from __future__ import annotations

import contextlib
import io
import math
from fractions import Fraction

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_cli_solve import EXAMPLE

from slamarkov import (
    Contract,
    DiscreteUniform,
    DiscretisedNormal,
    Empirical,
    Poisson,
    Problem,
    solve_dynamic,
    solve_static,
)
from slamarkov.cli import main

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

rationals = st.fractions(min_value=0, max_value=1, max_denominator=20)


@st.composite
def contracts(draw):
    T = draw(st.integers(1, 25))
    a, b = sorted((draw(rationals), draw(rationals)))
    return Contract(T, a, b, draw(st.sampled_from(["lump-sum", "linear"])),
                    penalty=draw(st.integers(0, 2000)), bonus=draw(st.integers(0, 2000)))


demands = st.one_of(
    st.builds(Poisson, st.fractions(Fraction(1, 10), 30, max_denominator=10)),
    st.builds(lambda lo, w: DiscreteUniform(lo, lo + w), st.integers(0, 15), st.integers(0, 20)),
    st.builds(DiscretisedNormal, st.integers(0, 30), st.integers(1, 8)),
    st.lists(st.integers(0, 9), min_size=1, max_size=12).filter(sum).map(
        lambda w: Empirical([Fraction(x, sum(w)) for x in w])),
)


def _assert_distribution(dist, what):
    pmf = np.asarray(dist.pmf, dtype=np.float64)
    assert np.all(pmf >= 0) and np.all(pmf <= 1), what
    assert abs(math.fsum(pmf) - 1) <= 1e-12, (what, math.fsum(pmf))
    for name in ("mean", "p_penalty", "p_bonus", "p_neutral"):
        p = float(getattr(dist, name))
        assert 0.0 <= p <= 1.0, (what, name, p)
    assert abs(dist.p_penalty + dist.p_neutral + dist.p_bonus - 1) <= 1e-12


@SETTINGS
@given(contract=contracts(), demand=demands,
       holding=st.fractions(Fraction(1, 20), 50, max_denominator=20))
def test_random_problems_give_probabilities_and_dynamic_le_static(contract, demand, holding):
    problem = Problem(contract, demand, holding)
    dyn = solve_dynamic(problem)
    sta = solve_static(problem)
    _assert_distribution(dyn.ready_rate, "dynamic")
    _assert_distribution(sta.ready_rate, "static")
    scale = 1 + abs(sta.cost_per_period)
    assert dyn.cost_per_period <= sta.cost_per_period + 1e-9 * scale


# -- command lines ---------------------------------------------------------------------------

NUMBERS = ["0", "1", "0.5", "10", "-1", "1e400", "1e-400", "nan", "inf", "abc", "1e99999999",
           "9223372036854775807", "1/3", "65535", "1e9"]
FLAGS = {
    "--review-period": ["1", "2", "10", "30", "0", "-3", "1e9", "65535", "2.5", "x", "1e400"],
    "--penalty-threshold": NUMBERS + ["0.8", "1.5"],
    "--bonus-threshold": NUMBERS + ["0.9"],
    "--penalty": NUMBERS,
    "--bonus": NUMBERS,
    "--holding": NUMBERS,
    "--max-stock": ["0", "3", "40", "-1", "1e12", "9223372036854775807", "abc"],
    "--demand": ["poisson:5", "poisson:1e15", "poisson:0", "normal:15,5", "normal:1e300,1",
                 "uniform:0,10", "uniform:0,1e400", "discrete-uniform:0,9",
                 "discrete-uniform:0,1e12", "empirical:0.2,0.5,0.3", "empirical:0.5,0.6",
                 "poisson", "nonsense:1"],
    "--max-gib": ["1", "0.001", "0", "inf", "nan", "-2"],
}
COMMANDS = ["solve", "chain", "simulate", "graph", "validate"]


def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse usage errors
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


@st.composite
def command_lines(draw):
    command = draw(st.sampled_from(COMMANDS))
    flags = draw(st.lists(st.sampled_from(sorted(FLAGS)), max_size=4, unique=True))
    argv = [command, str(EXAMPLE)]
    for flag in flags:
        argv += [flag, draw(st.sampled_from(FLAGS[flag]))]
    if "--max-gib" not in flags:
        argv += ["--max-gib", "1"]  # every request is held to 1 GiB
    return argv


@SETTINGS
@given(argv=command_lines())
def test_random_command_lines_exit_cleanly(tmp_path_factory, argv):
    tmp = tmp_path_factory.mktemp("cli")
    command = argv[0]
    if command == "chain":
        argv = argv + ["--out", str(tmp / "chain")]
    elif command == "simulate":
        argv = argv + ["--runs", "200", "--seed", "1", "--out", str(tmp / "runs.csv")]
    elif command == "graph":
        argv = argv + ["--out", str(tmp / "g.json")]
    elif command == "validate":
        runs = tmp / "runs.csv"
        runs.write_text("ready_count\n" + "9\n8\n10\n" * 20)
        argv = argv + ["--runs", str(runs)]
    code, out, err = _run(argv)
    assert code in (0, 1, 2), (argv, code, err)
    if code == 2:
        assert len(err.splitlines()) == 1, (argv, err)
        assert "Traceback" not in err
    # no output folder is left mixed or half-written, and nothing hidden is left behind
    assert not [p.name for p in tmp.iterdir() if p.name.startswith(".")], argv
    if command == "chain" and (tmp / "chain").exists():
        from test_robust import _consistent_chain_folder

        assert code == 0
        _consistent_chain_folder(tmp / "chain")
    assert "NaN" not in out and "Infinity" not in out, argv
