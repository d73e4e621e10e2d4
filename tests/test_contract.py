"""Tests of slamarkov.model.contract (docs/model.md section 2): exact thresholds, settlement, validation."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slamarkov import LINEAR, LUMP_SUM, SCHEMES, Contract, ContractError, SlamarkovError


def brute_settlement(T, aL, aU, scheme, Lm, Lp):
    """G(v) straight from docs/model.md section 2, in Fractions, without using the package."""
    out = []
    for v in range(T + 1):
        if scheme == LUMP_SUM:
            g = (Lm if v < T * aL else 0) - (Lp if v >= T * aU else 0)
        else:
            g = Lm * max(aL - Fraction(v, T), 0) - Lp * max(Fraction(v, T) - aU, 0)
        out.append(Fraction(g))
    return out


class TestThresholds:
    def test_user_float_is_exact_decimal(self):
        c = Contract(10, 0.7, 0.9)
        assert c.penalty_threshold == Fraction(7, 10)
        assert c.bonus_threshold == Fraction(9, 10)

    def test_t10_threshold_07_needs_7_not_8(self):
        # 10 * 0.7 in binary floating point is 7.000000000000001; the exact rule needs 7
        c = Contract(10, 0.7, 0.9, penalty=1)
        assert c.penalty_count == 7
        assert c.band([6, 7]).tolist() == [-1, 0]
        G = c.settlement()
        assert G[6] == 1.0 and G[7] == 0.0

    def test_t15_alpha_09_needs_14(self):
        c = Contract(15, 0.9, 0.9, penalty=1, bonus=1)
        assert c.penalty_count == 14
        assert c.bonus_count == 14
        assert c.band([13, 14]).tolist() == [-1, 1]

    @pytest.mark.parametrize(
        "T, a, count",
        [(10, 0.8, 8), (10, 0.9, 9), (20, 0.8, 16), (3, "1/3", 1), (3, "2/3", 2), (7, 0.5, 4),
         (10, 0, 0), (10, 1, 10), (30, 0.9, 27), (90, 0.8, 72), (9, 0.1, 1)],
    )
    def test_counts_are_ceilings(self, T, a, count):
        c = Contract(T, a, a)
        assert c.penalty_count == count == c.bonus_count

    @pytest.mark.parametrize("text", ["7/10", "0.7", Decimal("0.7"), Fraction(7, 10)])
    def test_threshold_representations_agree(self, text):
        assert Contract(10, text, 0.9).penalty_threshold == Fraction(7, 10)

    @settings(max_examples=60, deadline=None)
    @given(T=st.integers(1, 60), num=st.integers(0, 100))
    def test_count_is_smallest_v_reaching_threshold(self, T, num):
        a = Fraction(num, 100)
        c = Contract(T, a, a)
        needed = min(v for v in range(T + 1) if Fraction(v, T) >= a)
        assert c.penalty_count == needed == c.bonus_count


class TestSettlement:
    def test_lump_sum_by_hand(self):
        c = Contract(10, 0.8, 0.9, LUMP_SUM, penalty=50, bonus=30)
        assert c.settlement().tolist() == [50.0] * 8 + [0.0] + [-30.0] * 2

    def test_linear_by_hand_study(self):
        # docs/model.md section 2: a linear shortfall of 0.1 at T = 10 costs 25 * 10 * 0.1 = 25
        c = Contract.study(10, LINEAR)
        G = c.settlement(exact=True)
        assert G[7] == 25
        assert G[6] == 50
        assert G[0] == 200  # 250 * 0.8
        assert G[8] == 0 and G[9] == 0
        assert G[10] == -15  # 150 * (1 - 0.9)

    def test_linear_fractional_gap(self):
        c = Contract(3, "1/2", "1/2", LINEAR, penalty=6, bonus=12)
        # v/T = 0, 1/3, 2/3, 1; gaps below 1/2: 1/2, 1/6; above: 1/6, 1/2
        assert c.settlement(exact=True).tolist() == [3, 1, -2, -6]

    def test_exact_is_fractions_float_is_float64(self):
        c = Contract(3, "1/3", "2/3", LINEAR, penalty=1, bonus=1)
        ex = c.settlement(exact=True)
        assert ex.dtype == object and all(isinstance(x, Fraction) for x in ex)
        fl = c.settlement()
        assert fl.dtype == np.float64
        assert fl.tolist() == [float(x) for x in ex]

    def test_penalty_only(self):
        c = Contract(10, 0.8, 0.9, LUMP_SUM, penalty=50)
        assert c.bonus == 0
        G = c.settlement()
        assert G.tolist() == [50.0] * 8 + [0.0] * 3
        c = Contract(10, 0.8, 0.9, LINEAR, penalty=250)
        assert (c.settlement() >= 0).all() and c.settlement()[10] == 0

    def test_bonus_only(self):
        c = Contract(10, 0.8, 0.9, LUMP_SUM, bonus=30)
        assert c.penalty == 0
        assert c.settlement().tolist() == [0.0] * 9 + [-30.0] * 2
        c = Contract(10, 0.8, 0.9, LINEAR, bonus=150)
        G = c.settlement(exact=True)
        assert G[:10].tolist() == [0] * 10 and G[10] == -15

    def test_default_amounts_zero(self):
        c = Contract(5, 0.4, 0.6)
        assert c.scheme == LUMP_SUM
        assert c.settlement().tolist() == [0.0] * 6
        assert c.max_settlement_drop() == 0

    def test_t1(self):
        c = Contract(1, 1, 1, penalty=5, bonus=3)
        assert c.settlement().tolist() == [5.0, -3.0]
        c = Contract(1, 0, 0, penalty=5, bonus=3)  # bonus always, penalty never
        assert c.settlement().tolist() == [-3.0, -3.0]

    @settings(max_examples=80, deadline=None)
    @given(
        T=st.integers(1, 40),
        a=st.integers(0, 40),
        b=st.integers(0, 40),
        scheme=st.sampled_from(SCHEMES),
        Lm=st.fractions(0, 500, max_denominator=8),
        Lp=st.fractions(0, 500, max_denominator=8),
    )
    def test_matches_brute_force(self, T, a, b, scheme, Lm, Lp):
        aL, aU = sorted((Fraction(a, 40), Fraction(b, 40)))
        c = Contract(T, aL, aU, scheme, Lm, Lp)
        expect = brute_settlement(T, aL, aU, scheme, Lm, Lp)
        assert c.settlement(exact=True).tolist() == expect
        np.testing.assert_allclose(c.settlement(), [float(x) for x in expect], rtol=1e-15, atol=0)
        # G is non-increasing in v: one more ready period never costs more
        assert all(expect[v] >= expect[v + 1] for v in range(T))


class TestMaxSettlementDrop:
    def test_lump_sum(self):
        assert Contract(10, 0.8, 0.9, penalty=50, bonus=30).max_settlement_drop() == 50
        # both thresholds crossed by one period (aL = aU): the drop is L- + L+
        assert Contract(10, 0.8, 0.8, penalty=50, bonus=30).max_settlement_drop() == 80

    def test_linear(self):
        c = Contract.study(10, LINEAR)
        assert c.max_settlement_drop() == 25  # 250 / 10 > 150 / 10

    def test_bonus_heavier(self):
        assert Contract(10, 0.8, 0.9, LINEAR, penalty=10, bonus=70).max_settlement_drop() == 7

    def test_zero_when_nothing_at_stake(self):
        assert Contract(10, 0, 1).max_settlement_drop() == 0
        # bonus-only with aU = 0: the bonus is paid whatever happens
        assert Contract(10, 0, 0, bonus=5).max_settlement_drop() == 0

    @settings(max_examples=50, deadline=None)
    @given(T=st.integers(1, 30), a=st.integers(0, 30), b=st.integers(0, 30),
           scheme=st.sampled_from(SCHEMES), Lm=st.integers(0, 100), Lp=st.integers(0, 100))
    def test_is_max_of_differences(self, T, a, b, scheme, Lm, Lp):
        aL, aU = sorted((Fraction(a, 30), Fraction(b, 30)))
        c = Contract(T, aL, aU, scheme, Lm, Lp)
        g = brute_settlement(T, aL, aU, scheme, Lm, Lp)
        expect = max([g[v] - g[v + 1] for v in range(T)] + [Fraction(0)])
        assert c.max_settlement_drop() == expect
        assert isinstance(c.max_settlement_drop(), Fraction)


class TestBand:
    def test_vectorised(self):
        c = Contract(10, 0.8, 0.9)
        out = c.band(np.arange(11))
        assert out.tolist() == [-1] * 8 + [0] + [1] * 2
        assert out.dtype == np.int8

    def test_scalar(self):
        assert int(Contract(10, 0.8, 0.9).band(8)) == 0

    def test_equal_thresholds_no_neutral(self):
        assert Contract(10, 0.8, 0.8).band([7, 8]).tolist() == [-1, 1]


class TestStudy:
    @pytest.mark.parametrize("T", [1, 10, 30, 90])
    def test_lump_sum_amounts(self, T):
        c = Contract.study(T)
        assert c.scheme == LUMP_SUM
        assert (c.penalty, c.bonus) == (5 * T, 3 * T)
        assert (c.penalty_threshold, c.bonus_threshold) == (Fraction(4, 5), Fraction(9, 10))
        assert c.review_period == T

    @pytest.mark.parametrize("T", [1, 10, 30, 90])
    def test_linear_amounts(self, T):
        c = Contract.study(T, LINEAR)
        assert (c.penalty, c.bonus) == (25 * T, 15 * T)

    @pytest.mark.parametrize("ratio, bonus", [("1.2", Fraction(125, 3)), ("1.25", 40), (2, 25)])
    def test_ratio(self, ratio, bonus):
        c = Contract.study(10, ratio=ratio)
        assert c.penalty == 50 and c.bonus == bonus
        c = Contract.study(10, LINEAR, ratio=ratio)
        assert c.penalty == 250 and c.bonus == 5 * bonus

    def test_threshold_override(self):
        c = Contract.study(10, penalty_threshold="0.5", bonus_threshold="0.6")
        assert (c.penalty_count, c.bonus_count) == (5, 6)

    @pytest.mark.parametrize(
        "kwargs, field",
        [({"review_period": 0}, "contract.review_period"),
         ({"review_period": True}, "contract.review_period"),
         ({"review_period": 2.5}, "contract.review_period"),
         ({"review_period": 10, "scheme": "step"}, "contract.scheme"),
         ({"review_period": 10, "ratio": 0}, "ratio"),
         ({"review_period": 10, "ratio": -1.2}, "ratio"),
         ({"review_period": 10, "ratio": float("nan")}, "ratio")],
    )
    def test_errors(self, kwargs, field):
        with pytest.raises(ContractError, match=f"^{field}:"):
            Contract.study(**kwargs)


class TestValidation:
    """Every invalid field raises ContractError whose message starts with the field's name."""

    base = dict(review_period=10, penalty_threshold=0.8, bonus_threshold=0.9, scheme=LUMP_SUM,
                penalty=50, bonus=30)

    @pytest.mark.parametrize(
        "field, value, rule",
        [
            ("review_period", 0, "positive integer"),
            ("review_period", -3, "positive integer"),
            ("review_period", 2.5, "integer"),
            ("review_period", "ten", "number"),
            ("review_period", None, "number"),
            ("review_period", True, "boolean"),
            ("review_period", float("nan"), "finite"),
            ("review_period", float("inf"), "finite"),
            ("penalty_threshold", -0.1, r"\[0, 1\]"),
            ("penalty_threshold", 1.1, r"\[0, 1\]"),
            ("penalty_threshold", float("nan"), "finite"),
            ("penalty_threshold", float("-inf"), "finite"),
            ("penalty_threshold", "nan", "number"),
            ("penalty_threshold", False, "boolean"),
            ("penalty_threshold", "abc", "number"),
            ("bonus_threshold", 1.5, r"\[0, 1\]"),
            ("bonus_threshold", -1, r"\[0, 1\]"),
            ("bonus_threshold", float("inf"), "finite"),
            ("bonus_threshold", True, "boolean"),
            ("scheme", "step", "one of"),
            ("scheme", "Linear", "one of"),
            ("scheme", None, "one of"),
            ("penalty", -1, ">= 0"),
            ("penalty", float("nan"), "finite"),
            ("penalty", float("inf"), "finite"),
            ("penalty", True, "boolean"),
            ("penalty", "1/0", "number"),
            ("bonus", -0.5, ">= 0"),
            ("bonus", float("inf"), "finite"),
            ("bonus", Decimal("NaN"), "finite"),
            ("bonus", [1], "number"),
        ],
    )
    def test_field_error(self, field, value, rule):
        kwargs = dict(self.base, **{field: value})
        with pytest.raises(ContractError, match=f"^contract\\.{field}: .*{rule}"):
            Contract(**kwargs)

    def test_penalty_above_bonus_threshold(self):
        with pytest.raises(ContractError, match=r"^contract\.penalty_threshold: .*bonus_threshold"):
            Contract(10, 0.9, 0.8)

    def test_error_family(self):
        with pytest.raises(SlamarkovError):
            Contract(0, 0.8, 0.9)
        assert issubclass(ContractError, ValueError)

    def test_one_line_messages(self):
        with pytest.raises(ContractError) as info:
            Contract(10, 0.9, 0.8)
        assert "\n" not in str(info.value)

    def test_boundary_values_accepted(self):
        c = Contract(1, 0, 1, LINEAR, 0, 0)
        assert (c.penalty_threshold, c.bonus_threshold) == (0, 1)
        c = Contract(10, 0.5, 0.5)
        assert c.penalty_threshold == c.bonus_threshold

    def test_integral_float_review_period(self):
        assert Contract(10.0, 0.8, 0.9).review_period == 10
        assert type(Contract(np.int64(10), 0.8, 0.9).review_period) is int

    def test_frozen_and_hashable(self):
        c = Contract(10, 0.8, 0.9)
        with pytest.raises(AttributeError):
            c.review_period = 5
        assert c == Contract(10, "4/5", "9/10")
        assert hash(c) == hash(Contract(10, "4/5", "9/10"))


class TestDescribe:
    def test_lump_sum(self):
        assert Contract(10, 0.8, 0.9, penalty=50, bonus=30).describe() == (
            "lump-sum SLA over T=10 periods: penalty 50 if ready rate < 80%, bonus 30 if >= 90%")

    def test_linear(self):
        text = Contract.study(10, LINEAR).describe()
        assert text.startswith("linear SLA over T=10 periods") and "250" in text and "150" in text


def test_scheme_constants():
    assert SCHEMES == (LUMP_SUM, LINEAR) == ("lump-sum", "linear")


class TestFloatSettlement:
    """The float settlement is built without T + 1 Fractions (issue 12) and equals, value by value,
    the correctly rounded exact settlement; the largest drop needs no full exact table."""

    @settings(max_examples=150, deadline=None)
    @given(
        st.integers(1, 400),
        st.fractions(0, 1, max_denominator=40),
        st.fractions(0, 1, max_denominator=40),
        st.sampled_from(SCHEMES),
        st.fractions(0, 500, max_denominator=7),
        st.fractions(0, 500, max_denominator=7),
    )
    def test_equals_rounded_exact(self, T, a, b, scheme, penalty, bonus):
        aL, aU = min(a, b), max(a, b)
        c = Contract(T, aL, aU, scheme, penalty=penalty, bonus=bonus)
        exact = [Fraction(x) for x in c.settlement(exact=True)]
        assert c.settlement().tolist() == [float(x) for x in exact]
        assert c.max_settlement_drop() == max([x - y for x, y in zip(exact, exact[1:])] + [Fraction(0)])

    def test_huge_denominators_fall_back_exactly(self):
        c = Contract(50, Fraction(1, 2**31 - 1), Fraction(2, 3), LINEAR,
                     penalty=Fraction(10**12, 2**30 + 3), bonus=Fraction(7, 10**9 + 7))
        assert c.settlement().tolist() == [float(x) for x in c.settlement(exact=True)]

    def test_float_call_builds_no_fractions(self):
        c = Contract(10_000, "0.8", "0.9", LINEAR, penalty=50_000, bonus=30_000)
        G = c.settlement()
        assert "_settlement_exact" not in c.__dict__  # the exact tuple was never built
        assert c.max_settlement_drop() == 5
        assert "_settlement_exact" not in c.__dict__
        G[0] = 123.0  # callers get their own array
        assert c.settlement()[0] == 40_000.0
