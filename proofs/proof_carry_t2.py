r"""Stock that carries over, review period T = 2, demand uniform on {0, 1, 2}: the optimal policy
and the ready-count pmf derived with sympy from the model's definition (docs/model.md section 11),
and two structural facts about the carry-over model.

**The model, as used here.** In state (i, v, x) the supplier orders up to y (y >= x with carry,
any y >= 0 with discard) and pays c (y - x)^+; demand D makes the period ready iff D <= y, costs
c (D - y)^+ + h (y - D)^+ and leaves (y - D)^+ (carry) or 0 (discard); after period T the stock
on hand is worth s per unit (carry only) and the settlement G(v) is paid. Every expectation below
is sympy.stats' own ``E``/``P`` of the expression in D, never the package's F or H tables; the
minimum over y is taken by enumerating y (and x), ties to the smallest y.

**What this proves.**

1. The last stage in closed form (symbolic in h, c, s, G(v), G(v+1)): the objective of ordering
   up to y from x is :math:`-c x + c E[D] + G(v) + (c + h - s) H(y) - \Delta F(y)` with
   :math:`\Delta = G(v) - G(v+1)`; it is convex in y (its second difference is
   :math:`(c + h - s) P(D = y) + \Delta (P(D = y) - P(D = y + 1)) \ge 0` for s <= c and
   :math:`\Delta \ge 0`), so the optimal order from x is max(x, y*), y* the unconstrained
   smallest minimiser.
2. The whole T = 2 policy, every state's value and the ready-count pmf, on a grid of exact
   rational contracts (both schemes, several thresholds and amounts), costs (h, c, s <= c) and
   initial stocks, derived here and compared with ``==`` to :func:`slamarkov.solve_dynamic` in
   exact mode (and its ready-count pmf).
3. (a) Carry with c = s = 0 never costs less than discard, state by state:
   :math:`V^D_i(v) \le V^C_i(v, x)` for every x. Reason (proved symbolically at T = 2 below): with
   c = s = 0 the one-period objective from (v, x) is the same function of y under both rules
   except for the continuation; at the last stage the continuations coincide (both G), so carry
   minimises the same function over the smaller set y >= x. At period 1 the carry objective minus
   the discard objective is a combination, with non-negative coefficients P(D = d), of the
   differences :math:`V^C_2(v', x') - V^D_2(v')`, each >= 0 by the last stage; so each carry
   objective value dominates the discard one at the same y and the min over y >= x is at least
   the min over y >= 0. The solver agrees on a grid.
   (b) Discard with purchase price c is the study's model with holding cost h + c plus the
   constant c E[D] per period: symbolically in c, h and the settlement at T = 2 (from x = 0), and
   through the solver at larger T.
"""

from __future__ import annotations

import functools
import itertools
from fractions import Fraction

import sympy as sp
from sympy.stats import E, P
from sympy.stats import DiscreteUniform as SymUniform

from slamarkov import (
    LINEAR,
    LUMP_SUM,
    Contract,
    DiscreteUniform,
    Empirical,
    Poisson,
    Problem,
    solve_dynamic,
    solve_static,
)

T = 2
N = 2  # demand uniform on {0, ..., N}
K = N + 1  # stock range 0..K: includes one level above the support
D = SymUniform("D", list(range(N + 1)))
SUPPORT = list(range(N + 1))
PD = {d: P(sp.Eq(D, d)) for d in SUPPORT}
MEAN = E(D)

h, c, s = sp.symbols("h c s", nonnegative=True)
G_lo, G_hi = sp.symbols("G_v G_v1", real=True)  # G(v), G(v + 1)
Delta = G_lo - G_hi
ZERO_COST = {c: 0, s: 0}


def F(y):
    return P(D <= y)


def H(y):
    return E(sp.Max(y - D, 0))


# ---------------------------------------------------------------------------------------------
# 1. the one-period objective from the model's definition, with a symbolic continuation
# ---------------------------------------------------------------------------------------------


def stage_objective(x, y, ready_value, not_ready_value, *, carry=True):
    r"""c (y - x)^+ + E[c (D - y)^+ + h (y - D)^+ + continuation]; ``ready_value(d)`` is the
    value of the next state after a ready period with demand d, ``not_ready_value`` after a
    period that is not ready."""
    cont = sp.Piecewise(*[(ready_value(d), sp.Eq(D, d)) for d in SUPPORT if d <= y],
                        (not_ready_value, True))
    return sp.expand(c * sp.Max(y - x, 0)
                     + E(c * sp.Max(D - y, 0) + h * sp.Max(y - D, 0) + cont))


# The last stage with carry: the continuation is G(v+1) - s (y - d) when ready, G(v) otherwise.
LAST = {(x, y): stage_objective(x, y, lambda d, y=y: G_hi - s * (y - d), G_lo)
        for x in range(K + 1) for y in range(x, K + 1)}


def test_last_stage_closed_form():
    """W_T(v, x, y) = -c x + c E[D] + G(v) + (c + h - s) H(y) - Delta F(y), symbolically."""
    for (x, y), w in LAST.items():
        closed = -c * x + c * MEAN + G_lo + (c + h - s) * H(y) - Delta * F(y)
        assert sp.simplify(w - closed) == 0, (x, y)


def test_last_stage_convex_so_constrained_argmin_is_max():
    r"""The second difference in y of W_T is
    :math:`(c + h - s) P(D = y) + \Delta (P(D = y) - P(D = y + 1))`: on the support of the
    uniform the second term vanishes except at y = N, where it is :math:`\Delta / (N + 1)`;
    beyond the support W_T is linear in y (slope c + h - s). With s <= c and
    :math:`\Delta \ge 0` (G is non-increasing in both schemes) W_T is convex in y, and a convex
    sequence's smallest minimiser over y >= x is max(x, y*), y* its smallest minimiser over
    y >= 0 (y* is feasible when x <= y*; past y* the sequence does not decrease)."""
    pd = lambda y: PD.get(y, 0)  # noqa: E731
    for y in range(1, K):
        second = LAST[0, y + 1] - 2 * LAST[0, y] + LAST[0, y - 1]
        expect = (c + h - s) * pd(y) + Delta * (pd(y) - pd(y + 1))
        assert sp.simplify(second - expect) == 0, y
        # non-negative: a sum of non-negative terms when c >= s and Delta >= 0
        gap = sp.Symbol("gap", nonnegative=True)  # c - s
        dl = sp.Symbol("dl", nonnegative=True)  # Delta
        assert sp.expand(expect.subs(G_lo, G_hi + dl).subs(c, s + gap)).is_nonnegative
    # beyond the support: linear with slope c + h - s
    for y in range(N + 1, K):
        assert sp.simplify(LAST[0, y + 1] - LAST[0, y] - (c + h - s)) == 0


# ---------------------------------------------------------------------------------------------
# 2. the whole T = 2 policy by enumeration, derived here, against the solver
# ---------------------------------------------------------------------------------------------

# period 1 with a symbolic continuation V2[v, x]
V2 = {(v, x): sp.Symbol(f"V2_{v}_{x}") for v in range(2) for x in range(K + 1)}
FIRST = {(x0, y): stage_objective(x0, y, lambda d, y=y: V2[1, y - d], V2[0, 0])
         for x0 in range(K + 1) for y in range(x0, K + 1)}


def settlement_of(contract):
    """G(v), v = 0..T, from the contract's definition (sympy Rationals)."""
    n, aL, aU = contract.review_period, contract.penalty_threshold, contract.bonus_threshold
    Lm, Lp = contract.penalty, contract.bonus
    out = []
    for v in range(n + 1):
        if contract.scheme == LUMP_SUM:
            g = (Lm if v < n * aL else 0) - (Lp if v >= n * aU else 0)
        else:
            g = Lm * max(aL - Fraction(v, n), 0) - Lp * max(Fraction(v, n) - aU, 0)
        out.append(sp.Rational(g.numerator, g.denominator) if isinstance(g, Fraction)
                   else sp.Rational(g))
    return out


def rat(q):
    q = Fraction(q)
    return sp.Rational(q.numerator, q.denominator)


def argmin(values):
    """(min, smallest argmin) of a dict y -> value, ties to the smallest y."""
    best = None
    for y in sorted(values):
        if best is None or values[y] < best[0]:
            best = (values[y], y)
    return best


@functools.lru_cache(maxsize=None)
def derive(contract, hh, cc, ss, x0):
    """The optimal carry-over policy at T = 2: ({(i, v, x): (value, order)}, pmf)."""
    G = settlement_of(contract)
    sub = {h: rat(hh), c: rat(cc), s: rat(ss)}
    table = {}
    for v in range(2):
        for x in range(K + 1):
            w = {y: LAST[x, y].subs({**sub, G_lo: G[v], G_hi: G[v + 1]})
                 for y in range(x, K + 1)}
            table[2, v, x] = argmin(w)
    cont = {V2[k]: table[2, k[0], k[1]][0] for k in V2}
    w1 = {y: FIRST[x0, y].subs({**sub, **cont}) for y in range(x0, K + 1)}
    table[1, 0, x0] = argmin(w1)
    # the ready-count pmf under the derived policy, by the law of total probability over D1
    y1 = table[1, 0, x0][1]
    ready2 = {x: F(table[2, 1, x][1]) for x in range(K + 1)}
    p2 = sum(PD[d] * ready2[y1 - d] for d in SUPPORT if d <= y1)
    p0 = (1 - F(y1)) * (1 - F(table[2, 0, 0][1]))
    pmf = [sp.nsimplify(p0), sp.nsimplify(1 - p0 - p2), sp.nsimplify(p2)]
    return table, pmf


def contracts():
    yield Contract(T, "1/2", "1", LUMP_SUM, penalty=20, bonus=12)
    yield Contract(T, "1/2", "1", LINEAR, penalty=50, bonus=30)
    yield Contract(T, "1", "1", LUMP_SUM, penalty=3, bonus=0)
    yield Contract(T, "0", "1/2", LINEAR, penalty=0, bonus=7)
    yield Contract(T, "1/2", "1/2", LUMP_SUM, penalty=9, bonus=2)


COSTS = [("1", "0", "0"), ("1/2", "1", "0"), ("1", "1", "1"), ("1/4", "2", "1"), ("2", "1/2", "1/4")]


def test_t2_policy_values_and_pmf_equal_the_solver():
    demand = DiscreteUniform(0, N)
    checked = 0
    for con, (hh, cc, ss), x0 in itertools.product(contracts(), COSTS, (0, 3)):
        prob = Problem(con, demand, hh, purchase_cost=cc, salvage_value=ss, leftover="carry",
                       initial_stock=x0)
        sol = solve_dynamic(prob, max_stock=K, exact=True, keep_values=True)
        assert sol.policy.space.max_stock == K
        table, pmf = derive(con, hh, cc, ss, x0)
        for (i, v, x), (value, y) in table.items():
            assert sol.policy.stock_at(i, v, x) == y, (con.describe(), hh, cc, ss, (i, v, x))
            assert rat(sol.value(i, v, x)) == value, (con.describe(), hh, cc, ss, (i, v, x))
        assert rat(sol.value_start) == table[1, 0, x0][0]
        assert [rat(p) for p in sol.ready_rate.pmf] == pmf
        assert sum(pmf) == 1
        checked += 1
    assert checked == 50


def test_t2_last_stage_rule_max_of_x_and_unconstrained():
    r"""The last-stage order in closed form: the first difference of W_T in y is
    :math:`(c + h - s) F(y - 1) - \Delta P(D = y)` = ((c + h - s) y - Delta) / (N + 1) on
    1..N, so with k = c + h - s > 0 the smallest unconstrained minimiser is
    y* = 0 if Delta <= 0, else min(N, ceil(Delta / k) - 1), and the order from x is max(x, y*).
    The derived tables on the grid follow it exactly."""
    for y in range(1, N + 1):
        first = LAST[0, y] - LAST[0, y - 1]
        assert sp.simplify(first - ((c + h - s) * F(y - 1) - Delta * PD[y])) == 0
        assert sp.simplify(first - ((c + h - s) * y - Delta) / (N + 1)) == 0
    for con, (hh, cc, ss) in itertools.product(contracts(), COSTS):
        table, _ = derive(con, hh, cc, ss, 0)
        G = settlement_of(con)
        k = rat(hh) + rat(cc) - rat(ss)
        assert k > 0
        for v in range(2):
            dv = G[v] - G[v + 1]
            ystar = 0 if dv <= 0 else min(N, sp.ceiling(dv / k) - 1)
            assert table[2, v, 0][1] == ystar
            assert [table[2, v, x][1] for x in range(K + 1)] == \
                [max(x, ystar) for x in range(K + 1)]


# ---------------------------------------------------------------------------------------------
# 3(a). carry with c = s = 0 never costs less than discard
# ---------------------------------------------------------------------------------------------


def test_carry_dominates_discard_symbolically_at_t2():
    """The argument of the module docstring, checked term by term with symbolic h and G."""
    # last stage: with c = s = 0 the carry objective from x at y is the discard objective at y
    for (x, y), w in LAST.items():
        discard = stage_objective(0, y, lambda d: G_hi, G_lo, carry=False)
        assert sp.simplify(w.subs(ZERO_COST) - discard.subs(ZERO_COST)) == 0
    # period 1: carry objective minus discard objective at the same y is a non-negative
    # combination of gaps g_{v, x} = V^C_2(v, x) - V^D_2(v) >= 0
    VD = {v: sp.Symbol(f"VD2_{v}") for v in range(2)}
    gap = {(v, x): sp.Symbol(f"g_{v}_{x}", nonnegative=True) for v in range(2)
           for x in range(K + 1)}
    for x0 in range(K + 1):
        for y in range(x0, K + 1):
            carry = FIRST[x0, y].subs(ZERO_COST).subs(
                {V2[k]: VD[k[0]] + gap[k] for k in V2})
            discard = stage_objective(x0, y, lambda d: VD[1], VD[0], carry=False).subs(ZERO_COST)
            diff = sp.expand(carry - discard)
            poly = sp.Poly(diff, *gap.values())
            assert poly.total_degree() <= 1
            coeffs = poly.as_dict()
            assert all(sum(m) == 1 for m in coeffs), diff  # no constant term, no h, no G left
            assert all(sp.Rational(q) >= 0 for q in coeffs.values()), diff


def test_carry_dominates_discard_on_the_solver():
    """V^D_i(v) <= V^C_i(v, x) state by state (c = s = 0), exact, T = 2 and 3."""
    for n_T, con_scheme, demand, hh, x0 in itertools.product(
            (2, 3), (LUMP_SUM, LINEAR), (DiscreteUniform(0, 2), Empirical(["1/5", "1/2", "3/10"])),
            ("1/4", "1", "3"), (0, 2)):
        con = Contract(n_T, "1/2", "1", con_scheme, penalty=10 * n_T, bonus=6 * n_T)
        carry = solve_dynamic(Problem(con, demand, hh, leftover="carry", initial_stock=x0),
                              max_stock=3, exact=True, keep_values=True)
        disc = solve_dynamic(Problem(con, demand, hh, leftover="discard", initial_stock=x0),
                             max_stock=3, exact=True, keep_values=True)
        assert disc.value_start <= carry.value_start
        space = carry.policy.space
        for k in range(space.n_transient):
            i, v, x = space.state(k)
            assert disc.value(i, v, x if i == 1 else 0) <= carry.value(i, v, x)


# ---------------------------------------------------------------------------------------------
# 3(b). discard with purchase price c = the study's model with h + c, plus c E[D] a period
# ---------------------------------------------------------------------------------------------


def test_discard_purchase_price_is_holding_cost_symbolically_at_t2():
    G0, G1, G2 = sp.symbols("G0 G1 G2", real=True)
    G = [G0, G1, G2]
    study = {}  # the study's model: c = 0, holding cost h + c
    priced = {}  # discard with purchase price c
    for v in range(2):
        for y in range(K + 1):
            priced[v, y] = stage_objective(0, y, lambda d, v=v: G[v + 1], G[v], carry=False)
            study[v, y] = stage_objective(0, y, lambda d, v=v: G[v + 1], G[v],
                                          carry=False).subs(c, 0).subs(h, h + c)
            assert sp.simplify(priced[v, y] - study[v, y] - c * MEAN) == 0, (v, y)
    # the objectives differ by the same constant at every y: same argmin, values shifted by
    # c E[D]; period 1 (from x = 0) then differs by 2 c E[D] at every y
    W2p, W2s = sp.symbols("W2p_0 W2p_1"), sp.symbols("W2s_0 W2s_1")
    for y in range(K + 1):
        p1 = stage_objective(0, y, lambda d: W2p[1], W2p[0], carry=False)
        s1 = stage_objective(0, y, lambda d: W2s[1], W2s[0], carry=False).subs(c, 0).subs(h, h + c)
        shift = {W2p[v]: W2s[v] + c * MEAN for v in range(2)}
        assert sp.simplify(p1.subs(shift) - s1 - 2 * c * MEAN) == 0, y


def test_discard_purchase_price_is_holding_cost_on_the_solver():
    """At T = 10 exact (empirical demand) and T = 30 float (Poisson): same policy, same pmf,
    values shifted by c (T - i + 1) E[D]; the static policy too."""
    demand = Empirical(["1/10", "1/5", "3/10", "1/5", "1/10", "1/10"])
    mean = sum(k * Fraction(p) for k, p in enumerate(["1/10", "1/5", "3/10", "1/5", "1/10", "1/10"]))
    for scheme in (LUMP_SUM, LINEAR):
        con = Contract.study(10, scheme)
        cc, hh = Fraction(3, 4), Fraction(1, 2)
        a = solve_dynamic(Problem(con, demand, hh, purchase_cost=cc), max_stock=6, exact=True,
                          keep_values=True)
        b = solve_dynamic(Problem(con, demand, hh + cc), max_stock=6, exact=True, keep_values=True)
        assert a.value_start == b.value_start + 10 * cc * mean
        assert a.policy.to_lists() == b.policy.to_lists()
        assert list(a.ready_rate.pmf) == list(b.ready_rate.pmf)
        for i in range(1, 11):
            for v in range(i):
                assert a.value(i, v) == b.value(i, v) + (11 - i) * cc * mean
        sa = solve_static(Problem(con, demand, hh, purchase_cost=cc), max_stock=6, exact=True)
        sb = solve_static(Problem(con, demand, hh + cc), max_stock=6, exact=True)
        assert sa.base_stock == sb.base_stock
        assert sa.cost_per_period == sb.cost_per_period + cc * mean
        assert list(sa.ready_rate.pmf) == list(sb.ready_rate.pmf)
    con = Contract.study(30)
    a = solve_dynamic(Problem(con, Poisson(5), 0.5, purchase_cost=0.25), max_stock=40)
    b = solve_dynamic(Problem(con, Poisson(5), 0.75), max_stock=40)
    assert abs(a.cost_per_period - (b.cost_per_period + 0.25 * 5)) <= 1e-9
    assert a.policy.to_lists() == b.policy.to_lists()
