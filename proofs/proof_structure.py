r"""Structure of the dynamic programme: monotone stock, non-negative decision values, static <= dynamic.

**What this proves** (docs/model.md sections 4 and 5).

1. The per-state objective :math:`\varphi(S, \Delta) = h H(S) - \Delta F(S)` has decreasing
   differences in :math:`(S, \Delta)`: for :math:`S' > S`, :math:`\Delta' > \Delta`,
   :math:`\varphi(S', \Delta') - \varphi(S, \Delta') - \varphi(S', \Delta) + \varphi(S, \Delta)
   = -(\Delta' - \Delta)(F(S') - F(S)) \le 0`. Hence the smallest minimiser
   :math:`S^*(\Delta)` is non-decreasing in :math:`\Delta` (Topkis; argument below).
2. :math:`\Delta_i(v) \ge 0` in every state whenever the settlement G is non-increasing in v,
   which it is for both schemes and all thresholds (by backward induction: the recursion maps
   a non-increasing :math:`V_{i+1}` to a non-increasing :math:`V_i`).
3. The static policy is a feasible dynamic policy: the constant table :math:`S_i(v) = S`
   evaluated by the recursion costs exactly
   :math:`C(S) = T h H(S) + \sum_v \binom{T}{v} F^v (1-F)^{T-v} G(v)`, so
   :math:`V_1(0) \le \min_S C(S)`.

**Which solver it checks.** :func:`slamarkov.solve_dynamic` (stocks non-decreasing in the
decision value across all states, :math:`\Delta \ge 0`, :math:`V_i` non-increasing in v,
:func:`slamarkov.lower_envelope` argmin = enumeration, ties included) and
:func:`slamarkov.solve_static` (its cost table, its Binomial ready-rate, the chain of its constant
policy, and dynamic <= static), exactly (``==``) with rational demand, and to 1e-9 for the study's
Poisson(5) case.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import sympy as sp

from slamarkov import (
    LINEAR, LUMP_SUM, Contract, DiscreteUniform, Empirical, Poisson, Policy, Problem,
    lower_envelope, solve_dynamic, solve_static,
)
from slamarkov.chain import AbsorbingChain

# ---------------------------------------------------------------------------------------------
# 1. Decreasing differences, hence a monotone argmin
# ---------------------------------------------------------------------------------------------
h = sp.Symbol("h", nonnegative=True)
D1, D2 = sp.symbols("Delta Delta'", real=True)
F1, F2, H1, H2 = sp.symbols("F F' H H'", nonnegative=True)  # at S and S' > S


def phi(H, F, D):
    return h * H - D * F


cross = phi(H2, F2, D2) - phi(H1, F1, D2) - phi(H2, F2, D1) + phi(H1, F1, D1)
assert sp.factor(cross) == sp.factor(-(D2 - D1) * (F2 - F1))
# F is a CDF, so F' >= F; with Delta' > Delta the cross difference is <= 0.
#
# Monotone argmin. Let S = S*(Delta) and S' = S*(Delta') be the smallest minimisers, Delta' >
# Delta, and suppose S' < S. As S is the smallest minimiser at Delta, phi(S', Delta) > phi(S,
# Delta); as S' minimises at Delta', phi(S', Delta') <= phi(S, Delta'). Subtracting,
# phi(S, Delta') - phi(S', Delta') - phi(S, Delta) + phi(S', Delta) > 0, a positive cross
# difference for the pair S > S', contradicting the identity above. So S' >= S.

# ---------------------------------------------------------------------------------------------
# 2. Delta_i(v) >= 0 when G is non-increasing
# ---------------------------------------------------------------------------------------------
F, E = sp.symbols("F E", nonnegative=True)
W0, W1, W2 = sp.symbols("W_0 W_1 W_2", real=True)  # V_{i+1}(v), V_{i+1}(v+1), V_{i+1}(v+2)


def bracket(Wv, Wv1):
    """The recursion's bracket for a fixed S: E + F V_{i+1}(v+1) + (1 - F) V_{i+1}(v)."""
    return E + F * Wv1 + (1 - F) * Wv


step = bracket(W0, W1) - bracket(W1, W2)
assert sp.expand(step - (F * (W1 - W2) + (1 - F) * (W0 - W1))) == 0
# For every S the bracket at v minus the bracket at v+1 is a convex combination of the two
# differences of V_{i+1}; both are >= 0 when V_{i+1} is non-increasing, so the bracket at v is
# >= the bracket at v+1 for every S, and so are their minima: V_i is non-increasing, and
# Delta_{i-1}(v) = V_i(v) - V_i(v+1) >= 0. The induction starts at V_{T+1} = G:
Tsym = sp.Symbol("T", positive=True, integer=True)
v = sp.Symbol("v", nonnegative=True, integer=True)
aL, aU, Lm, Lp = sp.symbols("alpha_L alpha_U L_minus L_plus", nonnegative=True)
linear_pen = sp.Max(aL - v / Tsym, 0)
linear_bon = sp.Max(v / Tsym - aU, 0)
# max(x - v/T, 0) is non-increasing in v: its drop from v to v+1 is max(0, min(1/T, x - v/T)) >= 0
drop_pen = sp.simplify(linear_pen - linear_pen.subs(v, v + 1))
drop_bon = sp.simplify(linear_bon.subs(v, v + 1) - linear_bon)


def check_settlement_non_increasing():
    """G(v) - G(v+1) >= 0 for both schemes, from the package and from the formulas above."""
    for Tn, (al, au), scheme in itertools.product(
        (1, 2, 3, 5, 10), (("0", "0"), ("1/2", "3/4"), ("4/5", "9/10"), ("1", "1"), ("1/3", "1/3")),
        (LUMP_SUM, LINEAR),
    ):
        c = Contract(Tn, al, au, scheme, penalty=7, bonus=3)
        G = c.settlement(exact=True)
        assert all(G[k] >= G[k + 1] for k in range(Tn)), (Tn, al, au, scheme)
        if scheme == LINEAR:
            for k in range(Tn):
                sub = {Tsym: Tn, v: k, aL: sp.Rational(c.penalty_threshold), aU: sp.Rational(c.bonus_threshold)}
                assert drop_pen.xreplace(sub) >= 0 and drop_bon.xreplace(sub) >= 0


# ---------------------------------------------------------------------------------------------
# 3. A constant policy evaluated by the recursion costs C(S)
# ---------------------------------------------------------------------------------------------


def constant_policy_cost(T):
    """W_1(0) by backward recursion with the same E = h H(S) and F = F(S) in every state."""
    G = sp.symbols(f"G_0:{T + 1}")
    W = list(G)
    for i in range(T, 0, -1):
        W = [bracket(W[u], W[u + 1]) for u in range(i)]
    return W[0], G


def check_static_cost_formula():
    for T in range(1, 6):
        W, G = constant_policy_cost(T)
        C = T * E + sum(sp.binomial(T, u) * F**u * (1 - F) ** (T - u) * G[u] for u in range(T + 1))
        assert sp.expand(W - C) == 0, T
    # and V_i <= W_i state by state: V_i(v) is the minimum over S of the bracket whose
    # W_i(v) is one value, with V_{i+1} <= W_{i+1} by induction (V_{T+1} = W_{T+1} = G).


# ---------------------------------------------------------------------------------------------
# Checks against the solvers
# ---------------------------------------------------------------------------------------------
DEMANDS = [DiscreteUniform(0, 6), DiscreteUniform(3, 7), Empirical(["1/10", "1/5", "0", "2/5", "3/10"])]
CONTRACTS = [
    (6, "1/2", "5/6", LUMP_SUM, 30, 18),
    (6, "1/2", "5/6", LINEAR, 90, 60),
    (9, "2/3", "8/9", LUMP_SUM, 45, 27),
    (9, "4/5", "9/10", LINEAR, 225, 135),
    (4, "1/4", "1/4", LUMP_SUM, 10, 0),
]
HOLDING = ["1/2", "2"]


def problems():
    for demand, (T, al, au, scheme, pen, bon), hc in itertools.product(DEMANDS, CONTRACTS, HOLDING):
        yield Problem(Contract(T, al, au, scheme, penalty=pen, bonus=bon), demand, hc)


def check_monotone_stock(sol):
    """Across all states, the stock is a non-decreasing function of Delta."""
    d = np.asarray(sol.deltas)
    s = np.asarray(sol.policy.stock).astype(np.int64)
    order = sorted(range(len(d)), key=lambda k: (d[k], s[k]))
    for k0, k1 in zip(order, order[1:]):
        assert s[k1] >= s[k0], f"stock {s[k0]} at Delta {d[k0]} but {s[k1]} at Delta {d[k1]}"
        if d[k1] == d[k0]:
            assert s[k1] == s[k0], f"two stocks at Delta {d[k0]}"


def check_envelope_is_argmin(demand, hc, top):
    """lower_envelope + searchsorted(left) is the smallest argmin, at hull slopes (ties) too."""
    F, H = demand.table(top, exact=True)
    cost = H * hc
    vertex, slopes = lower_envelope(F, cost)
    grid = set(slopes.tolist()) | {Fraction(-1), Fraction(0)}
    grid |= {x + Fraction(1, 7) for x in slopes.tolist()} | {x - Fraction(1, 7) for x in slopes.tolist()}
    for D in sorted(grid):
        obj = [cost[s] - D * F[s] for s in range(top + 1)]
        best = min(range(top + 1), key=lambda s: (obj[s], s))
        got = int(vertex[np.searchsorted(slopes, D, side="left")])
        assert got == best, f"{demand.describe()} h={hc} Delta={D}: envelope {got}, argmin {best}"


def check_dynamic_structure(prob):
    sol = solve_dynamic(prob, exact=True)
    assert all(d >= 0 for d in sol.deltas), "a negative decision value"
    T = prob.review_period
    for i in range(1, T + 2):
        Vi = [sol.value(i, u) for u in range(i if i <= T else T + 1)]
        assert all(Vi[u] >= Vi[u + 1] for u in range(len(Vi) - 1)), f"V_{i} increases"
    check_monotone_stock(sol)
    return sol


def check_static_is_feasible(prob, dyn):
    """Static cost table = C(S) computed here; its policy's chain cost = C(S*); dynamic <= static."""
    st = solve_static(prob, exact=True)
    T = prob.review_period
    top = len(st.costs) - 1
    F, H = prob.demand.table(top, exact=True)
    G = prob.contract.settlement(exact=True)
    h = prob.holding_cost
    for s in range(top + 1):
        C = T * h * H[s] + sum(math.comb(T, u) * F[s] ** u * (1 - F[s]) ** (T - u) * G[u] for u in range(T + 1))
        assert st.costs[s] == C / T, f"C({s})"
    best = min(range(top + 1), key=lambda s: (st.costs[s], s))
    assert st.base_stock == best
    chain = AbsorbingChain(Policy.constant(prob, best, exact=True))
    assert chain.cost_decomposition()["total"] == T * st.cost_per_period
    binom = [math.comb(T, u) * F[best] ** u * (1 - F[best]) ** (T - u) for u in range(T + 1)]
    assert chain.absorption().tolist() == binom
    assert st.ready_rate.pmf.tolist() == binom
    assert dyn.value_start <= T * st.cost_per_period, "dynamic costs more than static"


def test_decreasing_differences_on_demand_tables():
    """The identity, evaluated on the package's exact F, H: every cross difference is <= 0."""
    for demand in DEMANDS:
        Ft, Ht = demand.table(8, exact=True)
        for s1, s2 in itertools.combinations(range(9), 2):
            for d1, d2 in ((Fraction(-1), Fraction(1, 2)), (Fraction(1, 3), Fraction(5))):
                sub = {h: sp.Rational(3, 2), H1: sp.Rational(Ht[s1]), H2: sp.Rational(Ht[s2]),
                       F1: sp.Rational(Ft[s1]), F2: sp.Rational(Ft[s2]), D1: sp.Rational(d1),
                       D2: sp.Rational(d2)}
                value = cross.xreplace(sub)
                assert value <= 0 and value == -(sub[D2] - sub[D1]) * (sub[F2] - sub[F1])


def test_settlement_non_increasing():
    check_settlement_non_increasing()


def test_constant_policy_costs_C_of_S():
    check_static_cost_formula()


def test_lower_envelope_is_smallest_argmin():
    for demand, hc in itertools.product(DEMANDS, (Fraction(1, 2), Fraction(2), Fraction(1))):
        check_envelope_is_argmin(demand, hc, 9)


def test_dynamic_structure_and_static_feasibility():
    for prob in problems():
        dyn = check_dynamic_structure(prob)
        check_static_is_feasible(prob, dyn)


def test_study_case_float():
    """The study's Poisson(5) case in float: monotone stock, Delta >= 0, dynamic <= static."""
    for scheme, h_cost in ((LUMP_SUM, 0.5), (LINEAR, 2)):
        prob = Problem(Contract.study(10, scheme), Poisson(5), h_cost)
        dyn = solve_dynamic(prob, max_stock=40)
        st = solve_static(prob, max_stock=40)
        assert np.all(dyn.deltas >= -1e-9)
        check_monotone_stock(dyn)
        assert dyn.cost_per_period <= st.cost_per_period + 1e-9
        chain = AbsorbingChain(st.policy)
        assert abs(chain.cost_decomposition()["total"] / 10 - st.cost_per_period) <= 1e-9
