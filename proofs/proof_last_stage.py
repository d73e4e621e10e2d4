r"""The last stage: the general recursion at i = T reduces to the source study's case tables.

**What this proves.** At the last period the recursion of docs/model.md section 4 reads

.. math:: V_T(v) = \min_S \{ E(S) + F(S)\, G(v+1) + (1 - F(S))\, G(v) \}, \qquad E = h H(S).

The settlement of the two possible final counts v and v+1 depends only on four facts:
:math:`[v < T\alpha_L]`, :math:`[v+1 < T\alpha_L]`, :math:`[v \ge T\alpha_U]`,
:math:`[v+1 \ge T\alpha_U]`. Of their 16 combinations exactly six are consistent
(:math:`\alpha_L \le \alpha_U`), and they are, one to one, the six rows of each printed table of
docs/model.md section 10. State by state the recursion's expression equals the printed one (lump-sum
and linear). Rows printed without "min" are exactly those where the coefficient of F vanishes
(:math:`\Delta_T(v) = 0`: nothing at stake), so zero stock is optimal and the value is as printed.
One printed entry differs from the recursion: the argmin expression of the linear
:math:`v \ge T\alpha_U` row, :math:`E - L^+(T\alpha_L - v - F)/T`. The recursion gives
:math:`E - L^+(v + F - T\alpha_U)/T` (the printed value column and footnote): the slip has the
wrong threshold and the wrong sign on F, and minimising it would always stock zero, while the
recursion stocks for the extra bonus :math:`L^+ F / T`.

**Which solver it checks.** :func:`slamarkov.solve_dynamic` in exact mode (last-stage stocks
and values, ``==``), against the printed rows minimised by enumeration, for T = 1..6, 10, 15 and
thresholds on and off the integer grid (``0.7`` at T = 10 needs 7 ready periods; ``0.9`` at
T = 15 needs 14), and :class:`slamarkov.Contract`'s exact threshold rule.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import sympy as sp

from slamarkov import LINEAR, LUMP_SUM, Contract, Empirical, Problem, solve_dynamic

# ---------------------------------------------------------------------------------------------
# 1. The recursion at i = T as a function of four threshold facts
# ---------------------------------------------------------------------------------------------
T = sp.Symbol("T", positive=True, integer=True)
v = sp.Symbol("v", nonnegative=True, integer=True)
aL, aU = sp.symbols("alpha_L alpha_U", nonnegative=True)
Lm, Lp = sp.symbols("L_minus L_plus", nonnegative=True)
E, F = sp.symbols("E F", nonnegative=True)  # E = h H(S) >= 0, F = F(S) in [0, 1]

FACTS = ("pen_v", "pen_v1", "bon_v", "bon_v1")  # v<TaL, v+1<TaL, v>=TaU, v+1>=TaU


def settlement(scheme, count, pen, bon):
    """G(count) given whether count is in the penalty band (pen) and the bonus band (bon)."""
    if scheme == LUMP_SUM:
        return Lm * int(pen) - Lp * int(bon)
    # linear: max(aL - count/T, 0) is (T aL - count)/T in the penalty band and 0 outside
    # (it is 0 at count = T aL too); likewise for the bonus.
    return Lm * (T * aL - count) / T * int(pen) - Lp * (count - T * aU) / T * int(bon)


def recursion(scheme, pen_v, pen_v1, bon_v, bon_v1):
    """The bracket of the recursion at i = T: E + F G(v+1) + (1 - F) G(v)."""
    return E + F * settlement(scheme, v + 1, pen_v1, bon_v1) + (1 - F) * settlement(scheme, v, pen_v, bon_v)


def consistent(pen_v, pen_v1, bon_v, bon_v1):
    """Combinations possible for integers v < v+1 and T aL <= T aU."""
    return (
        (not pen_v1 or pen_v)  # v+1 < TaL implies v < TaL
        and (not bon_v or bon_v1)  # v >= TaU implies v+1 >= TaU
        and not (pen_v and bon_v)  # v < TaL <= TaU <= v is impossible
        and not (pen_v1 and bon_v1)
    )


COMBOS = [c for c in itertools.product((False, True), repeat=4) if consistent(*c)]
assert len(COMBOS) == 6

# ---------------------------------------------------------------------------------------------
# 2. The printed tables (docs/model.md section 10): row condition, expression, "min" or zero stock
# ---------------------------------------------------------------------------------------------
ROW_CONDITIONS = {
    "nothing at stake": lambda p, p1, b, b1: not p and not b1,
    "penalty certain": lambda p, p1, b, b1: p1,
    "bonus secured": lambda p, p1, b, b1: b,
    "chance to avoid the penalty": lambda p, p1, b, b1: p and not p1 and not b1,
    "chance to earn the bonus": lambda p, p1, b, b1: not p and not b and b1,
    "both at once": lambda p, p1, b, b1: p and b1,
}
PRINTED = {
    LUMP_SUM: {
        "nothing at stake": (sp.Integer(0), False),
        "penalty certain": (Lm, False),
        "bonus secured": (-Lp, False),
        "chance to avoid the penalty": (E + Lm * (1 - F), True),
        "chance to earn the bonus": (E - Lp * F, True),
        "both at once": (E + Lm * (1 - F) - Lp * F, True),
    },
    LINEAR: {
        "nothing at stake": (sp.Integer(0), False),
        "penalty certain": (E + Lm * (T * aL - v - F) / T, True),
        "bonus secured": (E - Lp * (v + F - T * aU) / T, True),
        "chance to avoid the penalty": (E + Lm * (1 - F) * (T * aL - v) / T, True),
        "chance to earn the bonus": (E - Lp * F * (v + 1 - T * aU) / T, True),
        "both at once": (E + Lm * (1 - F) * (T * aL - v) / T - Lp * F * (v + 1 - T * aU) / T, True),
    },
}
#: the printed argmin expression of the linear "bonus secured" row (the slip)
PRINTED_SLIP = E - Lp * (T * aL - v - F) / T


def row_of(combo):
    rows = [name for name, cond in ROW_CONDITIONS.items() if cond(*combo)]
    assert len(rows) == 1, f"threshold facts {combo} match rows {rows}"
    return rows[0]


def check_tables_partition():
    """Every consistent combination falls in exactly one printed row, and every row is used."""
    used = [row_of(c) for c in COMBOS]
    assert sorted(used) == sorted(ROW_CONDITIONS), used


def check_reduction(scheme):
    """Row by row, the recursion's expression reduces to the printed one."""
    for combo in COMBOS:
        name = row_of(combo)
        printed, is_min = PRINTED[scheme][name]
        rec = recursion(scheme, *combo)
        delta = -sp.expand(rec).coeff(F)  # Delta_T(v) = G(v) - G(v+1)
        if is_min:
            assert sp.simplify(rec - printed) == 0, f"{scheme}, {name}: {rec} != {printed}"
            assert delta != 0, f"{scheme}, {name}: printed as a trade-off but nothing is at stake"
        else:
            # no F in the bracket: the minimum is at S = 0, where E = h H(0) = 0
            assert delta == 0, f"{scheme}, {name}: printed with zero stock but Delta = {delta}"
            assert sp.simplify(rec.subs(E, 0) - printed) == 0, f"{scheme}, {name}"


def check_slip():
    """The printed argmin expression of the linear bonus-secured row is not the recursion."""
    combo = next(c for c in COMBOS if row_of(c) == "bonus secured")
    rec = sp.expand(recursion(LINEAR, *combo))
    assert sp.simplify(rec - PRINTED[LINEAR]["bonus secured"][0]) == 0
    assert sp.simplify(rec - PRINTED_SLIP) != 0
    # recursion: F carries -L+/T (one more ready period earns L+/T more bonus): stock for it.
    # slip: F carries +L+/T, so minimising it would stock zero.
    assert rec.coeff(F) == -Lp / T
    assert sp.expand(PRINTED_SLIP).coeff(F) == Lp / T


# ---------------------------------------------------------------------------------------------
# 3. The solver's last stage, against the printed rows minimised by enumeration
# ---------------------------------------------------------------------------------------------
DEMAND_PMF = ["1/10", "1/5", "3/10", "1/4", "3/20"]  # demand on 0..4, exact
REVIEW_PERIODS = [1, 2, 3, 4, 5, 6, 10, 15]
THRESHOLDS = [("0", "0"), ("1/2", "1/2"), ("7/10", "9/10"), ("4/5", "9/10"), ("9/10", "9/10"),
              ("1/3", "2/3"), ("0", "1"), ("1", "1"), ("1/4", "3/4")]
AMOUNTS = [("12", "7"), ("5", "9")]
HOLDING = ["1", "1/3"]


def facts(Tn, vn, al, au):
    """The four facts with the thresholds compared exactly (docs/model.md section 2)."""
    return (vn < Tn * al, vn + 1 < Tn * al, vn >= Tn * au, vn + 1 >= Tn * au)


def check_solver_last_stage(schemes=(LUMP_SUM, LINEAR)):
    """Solve exactly and compare the last stage with the printed rows; return the rows used."""
    demand = Empirical(DEMAND_PMF)
    Ft, Ht = demand.table(4, exact=True)
    seen = {s: set() for s in schemes}
    for scheme, Tn, (al, au), (pen, bon), hc in itertools.product(
        schemes, REVIEW_PERIODS, THRESHOLDS, AMOUNTS, HOLDING
    ):
        al, au, pen, bon, hc = map(Fraction, (al, au, pen, bon, hc))
        contract = Contract(Tn, al, au, scheme, penalty=pen, bonus=bon)
        sol = solve_dynamic(Problem(contract, demand, hc), exact=True)
        for vn in range(Tn):
            combo = facts(Tn, vn, al, au)
            name = row_of(combo)
            seen[scheme].add(name)
            expr, is_min = PRINTED[scheme][name]
            sub = {T: Tn, v: vn, aL: sp.Rational(al), aU: sp.Rational(au),
                   Lm: sp.Rational(pen), Lp: sp.Rational(bon)}
            expr = expr.xreplace(sub)
            if is_min:
                cost = [Fraction(str(expr.xreplace({E: sp.Rational(hc * Ht[s]), F: sp.Rational(Ft[s])})))
                        for s in range(5)]
                best = min(range(5), key=lambda s: (cost[s], s))
                want_S, want_V = best, cost[best]
            else:
                want_S, want_V = 0, Fraction(str(expr))
            where = f"{scheme} T={Tn} aL={al} aU={au} L-={pen} L+={bon} h={hc} v={vn} ({name})"
            got_S, got_V = sol.policy.stock_at(Tn, vn), sol.value(Tn, vn)
            assert got_S == want_S, f"S_T(v), {where}: solver {got_S}, table {want_S}"
            assert got_V == want_V, f"V_T(v), {where}: solver {got_V}, table {want_V}"
    return seen


def check_threshold_rule():
    """Contract's counts agree with v < T aL and v >= T aU held exactly (incl. 0.7, 0.9)."""
    cases = [(10, "0.7", "0.9", 7, 9), (15, "0.9", "0.9", 14, 14), (10, "0.8", "0.9", 8, 9),
             (3, "1/3", "2/3", 1, 2), (7, "0", "1", 0, 7)]
    for Tn, al, au, need_L, need_U in cases:
        c = Contract(Tn, al, au)
        assert (c.penalty_count, c.bonus_count) == (need_L, need_U), (Tn, al, au)
        for vn in range(Tn + 1):
            p, _, b, _ = facts(Tn, vn, c.penalty_threshold, c.bonus_threshold)
            assert c.band(vn) == (-1 if p else (1 if b else 0)), (Tn, al, au, vn)


def test_rows_partition_the_consistent_cases():
    check_tables_partition()


def test_lump_sum_recursion_reduces_to_printed_table():
    check_reduction(LUMP_SUM)


def test_linear_recursion_reduces_to_printed_table():
    check_reduction(LINEAR)


def test_linear_bonus_secured_row_printed_argmin_is_a_slip():
    check_slip()


def test_threshold_rule_is_exact():
    check_threshold_rule()


def test_solver_last_stage_matches_printed_tables():
    seen = check_solver_last_stage()
    for scheme, rows in seen.items():
        assert rows == set(ROW_CONDITIONS), f"{scheme}: grid misses {set(ROW_CONDITIONS) - rows}"
