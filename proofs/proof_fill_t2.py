r"""A fill-rate contract over T = 2 periods with demand uniform on {0, 1, 2}: policy, value and FR
pmf in closed form (docs/model.md section 14).

**What this proves.** With discard, holding cost h > 0, a lump-sum contract with penalty
:math:`L^-` below :math:`\alpha_L` and bonus :math:`L^+` from :math:`\alpha_U` (thresholds given as
numbers; the amounts and h symbols), the period-2 objective of order y in state (D, F) is

.. math:: W_2(D, F, y) = h H(y) + \tfrac13 \sum_{d=0}^{2} G\big((F + \min(d, y)) / (D + d)\big),

with H(0) = 0, H(1) = 1/3, H(2) = 1 (orders above 2 fill nothing more and cost more). The optimal
order is the smallest y attaining the minimum; V_2 is the minimum (a sympy Min of three linear
forms in h, L^-, L^+), and period 1 is the same minimisation over
:math:`h H(y) + \frac13 \sum_d V_2(d, \min(d, y))`.
The FR pmf of the optimal policy follows path by path (nine demand paths of probability 1/9). The
settlement G is computed here from sympy Rationals (FR < alpha_L as a rational comparison), not by
slamarkov.

**Which solver it checks.** :func:`slamarkov.solve_dynamic` on a fill-rate Problem in exact mode
(every state's order, V_1, the FR pmf), on a grid of (h, L^-, L^+) that meets every branch,
ties included.
"""

from __future__ import annotations

import itertools

import sympy as sp

from slamarkov import Contract, DiscreteUniform, Problem, solve_dynamic

h, Lm, Lp = sp.symbols("h L_minus L_plus", nonnegative=True)
P = sp.Rational(1, 3)
H = {0: sp.Integer(0), 1: sp.Rational(1, 3), 2: sp.Integer(1)}
THRESHOLDS = [(sp.Rational(4, 5), sp.Integer(1)), (sp.Rational(1, 2), sp.Rational(3, 4))]


def G(F, D, aL, aU):
    """The lump-sum settlement of FR = F / D (1 when D = 0), as a sympy expression."""
    fr = sp.Integer(1) if D == 0 else sp.Rational(F, D)
    return Lm * (1 if fr < aL else 0) - Lp * (1 if fr >= aU else 0)


def closed_form(aL, aU):
    """The objectives in closed form: W_2(D, F, y) (linear in h, L^-, L^+), V_2 = their Min, and
    W_1(y) = h H(y) + 1/3 sum_d V_2(d, min(d, y)) (Min expressions)."""
    W2 = {}
    for D in range(5):
        for F in range(D + 1):
            W2[D, F] = [h * H[y] + P * sum(G(F + min(d, y), D + d, aL, aU) for d in range(3))
                        for y in range(3)]
    V2 = {k: sp.Min(*w) for k, w in W2.items()}
    W1 = [h * H[y] + P * sum(V2[d, min(d, y)] for d in range(3)) for y in range(3)]
    return W2, W1


def smallest_argmin(W, point):
    """The smallest y attaining the minimum of the closed forms W at a point (exact Rationals)."""
    vals = [sp.nsimplify(w.subs(point)) for w in W]
    best = min(vals)
    return vals.index(best), best


def fr_pmf(order1, order2):
    """The FR pmf of the policy, over the nine demand paths of probability 1/9."""
    pmf = {}
    for d1, d2 in itertools.product(range(3), repeat=2):
        D1, F1 = d1, min(d1, order1)
        D, F = D1 + d2, F1 + min(d2, order2[D1, F1])
        fr = sp.Integer(1) if D == 0 else sp.Rational(F, D)
        pmf[fr] = pmf.get(fr, 0) + sp.Rational(1, 9)
    return pmf


GRID = [sp.Rational(k, 6) for k in (1, 3, 6, 9, 15)]


def test_t2_uniform_fill_rate_closed_form():
    seen1, seen2 = set(), set()
    for aL, aU in THRESHOLDS:
        W2, W1 = closed_form(aL, aU)
        for hv, lm, lp in itertools.product(GRID, [sp.Integer(0), sp.Integer(1), sp.Integer(3)],
                                            [sp.Integer(0), sp.Integer(2)]):
            point = {h: hv, Lm: lm, Lp: lp}
            order2 = {k: smallest_argmin(w, point)[0] for k, w in W2.items()}
            order1, value1 = smallest_argmin(W1, point)
            seen1.add(order1)
            seen2.update(order2.values())
            contract = Contract(2, str(aL), str(aU), penalty=str(lm), bonus=str(lp),
                                measure="fill-rate")
            problem = Problem(contract, DiscreteUniform(0, 2), str(hv))
            sol = solve_dynamic(problem, max_stock=2, exact=True)
            assert sp.Rational(str(sol.value_start)) == value1
            assert int(sol.policy.stock[0]) == order1
            space = sol.policy.space
            for (D, F), y in order2.items():
                if D <= space.score.cap(2):
                    assert int(sol.policy.stock[space.index(2, D, F)]) == y, (D, F, point)
            got = {sp.Rational(str(v)): sp.Rational(str(p))
                   for v, p in zip(sol.fill_rate.values, sol.fill_rate.pmf)}
            assert got == fr_pmf(order1, order2), (aL, aU, point)
    # the grid meets every order in period 2 and more than one in period 1
    assert seen2 == {0, 1, 2} and len(seen1) >= 2, (seen1, seen2)
