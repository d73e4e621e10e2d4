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

from slamarkov import Contract, Poisson, Problem
from slamarkov._numbers import clip_probability, to_fraction, to_int
from slamarkov.distribution import ReadyRateDistribution
from slamarkov.errors import ContractError

from test_cli_solve import EXAMPLE, assert_one_line_error, run_cli


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
