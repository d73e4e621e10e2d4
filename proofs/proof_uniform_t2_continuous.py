r"""Continuous uniform demand, review period T = 2: the dynamic policy in closed form.

**What this proves.** For demand uniform on :math:`[a, b]` and T = 2, under both incentive
schemes and any thresholds, the recursion of docs/model.md section 4 has the closed-form solution

* per state, the stock :math:`S^*(\Delta) = 0` for :math:`\Delta \le 0`, :math:`a + \Delta/h`
  for :math:`0 < \Delta < h(b-a)` and :math:`b` above (the first-order condition, clipped to the
  support), with ready probability :math:`F^*(\Delta)` and per-state gain :math:`m(\Delta)`;
* the values :math:`V_2(0), V_2(1), V_1(0)` and the exact pmf of the ready count
  :math:`P(v_2 = 0), P(v_2 = 1), P(v_2 = 2)`, as sympy Piecewise expressions in
  :math:`a, b, h, L^-, L^+` (and the thresholds, through the settlement :math:`G`).

**Which solver it checks.** :func:`slamarkov.solve_dynamic` (continuous branch, exact and float),
:meth:`slamarkov.ContinuousUniform.best_stock`, :class:`slamarkov.chain.AbsorbingChain`
(absorption row, summaries, cost decomposition) and
:class:`slamarkov.ReadyRateDistribution`, on a grid of parameters that visits every branch of
every Piecewise in every state (no incentive at stake, interior, clipped at the top). Exact mode
is compared with ``==``; float mode to 1e-9.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import sympy as sp

from slamarkov import LINEAR, LUMP_SUM, Contract, ContinuousUniform, Problem, solve_dynamic
from slamarkov.chain import AbsorbingChain

# ---------------------------------------------------------------------------------------------
# 1. The per-state problem  min_S  h H(S) - Delta F(S)
# ---------------------------------------------------------------------------------------------
# On [a, b]:  F(S) = (S - a)/w,  H(S) = (S - a)^2 / (2w),  w = b - a.
# Below a both vanish; above b, F = 1 and H(S) = S - (a + b)/2.

S, Delta = sp.symbols("S Delta", real=True)
a = sp.Symbol("a", nonnegative=True)
b = sp.Symbol("b", positive=True)
h = sp.Symbol("h", positive=True)
Lm = sp.Symbol("L_minus", nonnegative=True)
Lp = sp.Symbol("L_plus", nonnegative=True)
aL, aU = sp.symbols("alpha_L alpha_U", nonnegative=True)
w = b - a

F_in = (S - a) / w
H_in = (S - a) ** 2 / (2 * w)
phi_in = h * H_in - Delta * F_in  # the objective on [a, b]
phi_above = h * (S - (a + b) / 2) - Delta  # the objective above b

# First-order condition on [a, b]: one root, and the objective is convex there.
(S_foc,) = sp.solve(sp.diff(phi_in, S), S)
assert sp.simplify(S_foc - (a + Delta / h)) == 0
assert sp.simplify(sp.diff(phi_in, S, 2) - h / w) == 0  # > 0: a minimum

# Global optimality, by completing the square: phi_in(S) - phi_in(S_foc) = h/(2w) (S - S_foc)^2.
m_interior = sp.simplify(phi_in.subs(S, S_foc))
assert sp.simplify(m_interior + Delta**2 / (2 * h * w)) == 0
assert sp.cancel(phi_in - m_interior - h / (2 * w) * (S - S_foc) ** 2) == 0
# Clipped: when Delta >= h w the slope on [a, b], (h (S - a) - Delta)/w, is <= 0, so S = b;
# above b the objective grows at rate h > 0.
m_top = sp.simplify(phi_in.subs(S, b))
assert sp.simplify(m_top - (h * w / 2 - Delta)) == 0
assert sp.simplify(phi_above.subs(S, b) - m_top) == 0  # continuous at b
assert sp.diff(phi_above, S) == h
# No incentive (Delta <= 0): every term of the objective is >= 0 = its value at S = 0, so the
# smallest minimiser is zero stock (the study's convention, docs/model.md section 4).

interior = Delta < h * w  # used after the Delta <= 0 branch has been ruled out


def stock(D):
    """S*(D): the smallest minimiser of h H(S) - D F(S)."""
    return sp.Piecewise((0, D <= 0), (a + D / h, D < h * w), (b, True))


def ready(D):
    """F(S*(D)), the ready probability in a state with decision value D."""
    return sp.Piecewise((0, D <= 0), (D / (h * w), D < h * w), (1, True))


def gain(D):
    """m(D) = min_S h H(S) - D F(S), so that V_i(v) = V_{i+1}(v) + m(Delta_i(v))."""
    return sp.Piecewise((0, D <= 0), (-(D**2) / (2 * h * w), D < h * w), (h * w / 2 - D, True))


def branch(D, hw):
    """Which branch of the three Piecewise above a number D falls in."""
    return "zero" if D <= 0 else ("interior" if D < hw else "top")


# ---------------------------------------------------------------------------------------------
# 2. The settlement G(v), v = 0, 1, 2 (docs/model.md section 2), independent of the package
# ---------------------------------------------------------------------------------------------
# Thresholds are compared exactly: penalty iff v < T alpha_L, bonus iff v >= T alpha_U.
T = 2


def settlement(scheme, v):
    if scheme == LUMP_SUM:
        return Lm * sp.Piecewise((1, v < T * aL), (0, True)) - Lp * sp.Piecewise(
            (1, v >= T * aU), (0, True)
        )
    return Lm * sp.Max(aL - sp.Rational(v, T), 0) - Lp * sp.Max(sp.Rational(v, T) - aU, 0)


G = {scheme: [settlement(scheme, v) for v in range(T + 1)] for scheme in (LUMP_SUM, LINEAR)}

# ---------------------------------------------------------------------------------------------
# 3. Backward induction in closed form
# ---------------------------------------------------------------------------------------------
# In terms of the settlement values G0, G1, G2 (any scheme, any thresholds):
#   Delta_2(v) = G_v - G_{v+1},  V_2(v) = G_v + m(Delta_2(v)),
#   Delta_1(0) = V_2(0) - V_2(1), V_1(0) = V_2(0) + m(Delta_1(0)).
# V_2 is a Piecewise in (a, b, h, G); V_1(0) is a Piecewise in Delta_1(0), itself a Piecewise:
# we keep Delta_1(0) as a named symbol rather than folding the nest into one (large) Piecewise.
G0, G1, G2, D1 = sp.symbols("G_0 G_1 G_2 Delta_1", real=True)

D20 = G0 - G1
D21 = G1 - G2
V20 = G0 + gain(D20)
V21 = G1 + gain(D21)
D10 = V20 - V21  # the definition of the symbol D1
V10 = V20 + gain(D1)

STOCK = {(2, 0): stock(D20), (2, 1): stock(D21), (1, 0): stock(D1)}
p10, p20, p21 = ready(D1), ready(D20), ready(D21)

# ---------------------------------------------------------------------------------------------
# 4. The exact distribution of the ready count v_2 (paths of the chain of docs/model.md section 6)
# ---------------------------------------------------------------------------------------------
PMF = [
    (1 - p10) * (1 - p20),  # short, short
    (1 - p10) * p20 + p10 * (1 - p21),  # one ready period, either order
    p10 * p21,  # ready, ready
]
# The three add to one whatever the branch (expanded with the F's as free symbols):
_q = sp.symbols("q0:3")
assert sp.expand(sum(PMF).xreplace({p10: _q[0], p20: _q[1], p21: _q[2]}) - 1) == 0


def closed_form(scheme, lo, hi, hc, penalty, bonus, alpha_L, alpha_U):
    """Evaluate the closed form at exact rational parameters: stocks, values, deltas, pmf."""
    params = {
        a: sp.Rational(lo),
        b: sp.Rational(hi),
        h: sp.Rational(hc),
        Lm: sp.Rational(penalty),
        Lp: sp.Rational(bonus),
        aL: sp.Rational(alpha_L),
        aU: sp.Rational(alpha_U),
    }
    g = {sym: G[scheme][v].xreplace(params) for v, sym in enumerate((G0, G1, G2))}
    stage2 = {**params, **g}
    d1 = D10.xreplace(stage2)
    full = {**stage2, D1: d1}
    out = {
        "G": [g[G0], g[G1], g[G2]],
        "stock": {s: e.xreplace(full) for s, e in STOCK.items()},
        "delta": {(2, 0): D20.xreplace(full), (2, 1): D21.xreplace(full), (1, 0): d1},
        "value": {(2, 0): V20.xreplace(full), (2, 1): V21.xreplace(full), (1, 0): V10.xreplace(full)},
        "pmf": [e.xreplace(full) for e in PMF],
    }
    hw = params[h] * (params[b] - params[a])
    out["branch"] = {s: branch(d, hw) for s, d in out["delta"].items()}
    return out


def flat_value_start(scheme, alpha_L, alpha_U):
    """V_1(0) folded into one Piecewise in a, b, h, L-, L+ for given thresholds (for reading)."""
    g = {sym: G[scheme][v].xreplace({aL: alpha_L, aU: alpha_U}) for v, sym in enumerate((G0, G1, G2))}
    d1 = sp.piecewise_fold(D10.xreplace(g))
    return sp.piecewise_fold(V20.xreplace(g) + gain(D1).xreplace({D1: d1}))


# ---------------------------------------------------------------------------------------------
# 5. The parameter grid: it must visit every branch of every Piecewise in every state
# ---------------------------------------------------------------------------------------------
THRESHOLDS = [  # (alpha_L, alpha_U): every lump-sum band pattern (ceil 2aL, ceil 2aU) at T = 2
    ("0", "0"), ("0", "1/2"), ("0", "1"), ("1/2", "1/2"), ("3/10", "7/10"), ("1/2", "1"),
    ("4/5", "9/10"), ("1", "1"),
]
SUPPORTS = [("0", "4"), ("2", "7")]
HOLDING = ["1/2", "2"]
AMOUNTS = [("0", "0"), ("3", "0"), ("0", "2"), ("3", "2"), ("40", "25")]


def grid(scheme):
    for (lo, hi), hc, (pen, bon), (al, au) in itertools.product(SUPPORTS, HOLDING, AMOUNTS, THRESHOLDS):
        yield (scheme, Fraction(lo), Fraction(hi), Fraction(hc), Fraction(pen), Fraction(bon),
               Fraction(al), Fraction(au))


def _eq(label, got, want):
    assert got == want, f"{label}: solver gives {got!r}, the closed form {want!r}"


def _close(label, got, want, tol=1e-9):
    assert abs(float(got) - float(want)) <= tol, f"{label}: solver gives {got!r}, the closed form {want}"


def check_point(point, float_mode=True):
    """Compare the closed form with the solver, the chain and the summaries at one point."""
    scheme, lo, hi, hc, pen, bon, al, au = point
    where = f"{scheme} a={lo} b={hi} h={hc} L-={pen} L+={bon} aL={al} aU={au}"
    cf = closed_form(*point)
    prob = Problem(Contract(2, al, au, scheme, penalty=pen, bonus=bon), ContinuousUniform(lo, hi), hc)
    contract = prob.contract
    want_pmf = [Fraction(str(x)) for x in cf["pmf"]]
    want_G = [Fraction(str(x)) for x in cf["G"]]
    _eq(f"G, {where}", contract.settlement(exact=True).tolist(), want_G)

    sol = solve_dynamic(prob, exact=True)
    for (i, v), s in cf["stock"].items():
        _eq(f"S_{i}({v}), {where}", sol.policy.stock_at(i, v), Fraction(str(s)))
        _eq(f"Delta_{i}({v}), {where}", sol.delta(i, v), Fraction(str(cf["delta"][i, v])))
        _eq(f"V_{i}({v}), {where}", sol.value(i, v), Fraction(str(cf["value"][i, v])))
    _eq(f"V_1(0), {where}", sol.value_start, Fraction(str(cf["value"][1, 0])))
    _eq(f"ready pmf, {where}", sol.ready_rate.pmf.tolist(), want_pmf)

    chain = AbsorbingChain(sol.policy)
    _eq(f"chain B row (1,0), {where}", chain.absorption().tolist(), want_pmf)
    _eq(f"chain N, B: B row (1,0), {where}", chain.absorption_matrix()[0].tolist(), want_pmf)
    dist = chain.ready_rate()
    mean = (want_pmf[1] + 2 * want_pmf[2]) / 2
    var = sum(p * (Fraction(v, 2) - mean) ** 2 for v, p in enumerate(want_pmf))
    p_pen = sum(p for v, p in enumerate(want_pmf) if v < 2 * al)
    p_bon = sum(p for v, p in enumerate(want_pmf) if v >= 2 * au)
    _eq(f"mean, {where}", dist.mean, mean)
    _eq(f"variance, {where}", dist.variance, var)
    _eq(f"P(penalty), {where}", dist.p_penalty, p_pen)
    _eq(f"P(bonus), {where}", dist.p_bonus, p_bon)
    _eq(f"cost decomposition, {where}", chain.cost_decomposition()["total"],
        Fraction(str(cf["value"][1, 0])))

    if float_mode:
        fl = solve_dynamic(prob)
        for (i, v), s in cf["stock"].items():
            _close(f"float S_{i}({v}), {where}", fl.policy.stock_at(i, v), s)
            _close(f"float V_{i}({v}), {where}", fl.value(i, v), cf["value"][i, v])
        _close(f"float V_1(0), {where}", fl.value_start, cf["value"][1, 0])
        fchain = AbsorbingChain(fl.policy)
        B = fchain.absorption_matrix()[0]
        fdist = fl.ready_rate
        for v in range(3):
            _close(f"float pmf[{v}], {where}", fdist.pmf[v], want_pmf[v])
            _close(f"float chain B[(1,0), {v}], {where}", B[v], want_pmf[v])
        _close(f"float mean, {where}", fdist.mean, mean)
        _close(f"float P(penalty), {where}", fdist.p_penalty, p_pen)
        _close(f"float P(bonus), {where}", fdist.p_bonus, p_bon)
    return cf["branch"]


def check_scheme(scheme, float_mode=True):
    """Run the whole grid of one scheme; return the branches visited per state."""
    seen = {s: set() for s in ((1, 0), (2, 0), (2, 1))}
    for point in grid(scheme):
        for state, br in check_point(point, float_mode).items():
            seen[state].add(br)
    return seen


# ---------------------------------------------------------------------------------------------
# 6. The checks pytest runs
# ---------------------------------------------------------------------------------------------


def check_best_stock():
    """ContinuousUniform.best_stock is S*(Delta), exactly, in every branch (incl. Delta = 0)."""
    d = ContinuousUniform(Fraction(2), Fraction(7))
    hc = Fraction(1, 2)
    deltas = [Fraction(-3), Fraction(0), Fraction(1, 3), Fraction(5, 2), Fraction(9, 4), Fraction(40)]
    got = d.best_stock(np.array(deltas, dtype=object), hc, exact=True).tolist()
    want = [Fraction(str(stock(sp.Rational(x)).xreplace({a: 2, b: 7, h: sp.Rational(1, 2)})))
            for x in deltas]
    _eq("best_stock", got, want)


def test_per_state_minimiser_is_the_solvers():
    check_best_stock()


def test_lump_sum_closed_form_matches_solver_chain_and_summaries():
    seen = check_scheme(LUMP_SUM)
    for state, branches in seen.items():
        assert branches == {"zero", "interior", "top"}, f"grid misses a branch in state {state}"


def test_linear_closed_form_matches_solver_chain_and_summaries():
    seen = check_scheme(LINEAR)
    for state, branches in seen.items():
        assert branches == {"zero", "interior", "top"}, f"grid misses a branch in state {state}"


def test_flat_piecewise_agrees_with_the_nested_form():
    """Folding V_1(0) into one Piecewise (study-like thresholds 0.8, 0.9) changes nothing."""
    flat = flat_value_start(LUMP_SUM, sp.Rational(4, 5), sp.Rational(9, 10))
    assert isinstance(flat, sp.Piecewise)
    for lo, hi, hc, pen, bon in [(0, 4, 1, 3, 2), (2, 7, 2, 40, 25), (0, 4, 2, 0, 2), (2, 7, 1, 6, 0)]:
        nested = closed_form(LUMP_SUM, lo, hi, hc, pen, bon, sp.Rational(4, 5), sp.Rational(9, 10))
        vals = {a: lo, b: hi, h: hc, Lm: pen, Lp: bon}
        assert flat.xreplace(vals) == nested["value"][1, 0]
