r"""Two customers, one period: the closed form of the pooled dynamic policy (docs/model.md
section 15).

**What this proves.** At T = 1 the state is (1, 0, 0) and the settlement of customer j depends
on whether it is served: :math:`G_j(0)` or :math:`G_j(1) = G_j(0) - \Delta_j`,
:math:`\Delta_j \ge 0`. For an order y the supplier serves both when :math:`d_1 + d_2 \le y`,
only the one that fits when the other's demand exceeds y, and, when each fits alone but not
together, the one with the larger :math:`\Delta_j` (customer 1 on a tie). So

.. math::

    C(y) = h E(y - D)^+ + G_1(0) + G_2(0)
      - \Delta_1 \big[P(d_1 + d_2 \le y) + P(d_1 \le y < d_2)\big]
      - \Delta_2 \big[P(d_1 + d_2 \le y) + P(d_2 \le y < d_1)\big]
      - \max(\Delta_1, \Delta_2)\, P(d_1 \le y,\ d_2 \le y,\ d_1 + d_2 > y),

and :math:`V_1 = \min_y C(y)`, the smallest minimiser on ties. sympy checks, with symbolic
probabilities of demand on {0, 1, 2} and symbolic :math:`\Delta_1 \ge \Delta_2`, that the
recursion's sum over the families of feasible sets (enumerated cell by cell, as the model words
it) equals the closed form for every y = 0..4.

**Which solver it checks.** :func:`slamarkov.solve.customers.solve_customers_dynamic` in exact
mode: its value and order equal the closed form minimised over y, on rational instances with
:math:`\Delta_1 > \Delta_2`, :math:`\Delta_1 = \Delta_2` and :math:`\Delta_1 < \Delta_2`, and
its allocation serves the customer the closed form names.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import sympy as sp

from slamarkov import Contract, Empirical
from slamarkov.model.customers import Customer, CustomersProblem
from slamarkov.solve.customers import solve_customers_dynamic

p = [[sp.Symbol(f"p{j}{t}", nonnegative=True) for t in range(3)] for j in range(2)]
G0 = sp.symbols("G1_0 G2_0")
D1, D2 = sp.symbols("Delta_1 Delta_2", nonnegative=True)
h = sp.Symbol("h", nonnegative=True)


def recursion(y, delta=(D1, D2), probs=p, g0=G0, hh=h):
    """The model's words: every demand vector, its best feasible set (most value, then most
    customers, then file order), the holding cost of the leftover."""
    total = 0
    for d in itertools.product(range(3), repeat=2):
        prob = probs[0][d[0]] * probs[1][d[1]]
        fit = [A for r in (2, 1, 0) for A in itertools.combinations(range(2), r)
               if sum(d[j] for j in A) <= y]
        # rank the sets by their gain with delta_1 >= delta_2 >= 0 (stand-ins 2 and 1 order
        # every set as the symbols do; a tie in the symbols goes to customer 1 either way)
        gain = [sum((2, 1)[j] for j in A) for A in fit]
        best = fit[max(range(len(fit)), key=lambda n: (gain[n], -n))]
        value = g0[0] + g0[1] - sum(delta[j] for j in best)
        total += prob * (hh * max(y - sum(d), 0) + value)
    return total


def closed_form(y, delta=(D1, D2), probs=p, g0=G0, hh=h, bigger=None):
    P = lambda cond: sum(probs[0][a] * probs[1][b]  # noqa: E731
                         for a in range(3) for b in range(3) if cond(a, b))
    both = P(lambda a, b: a + b <= y)
    only1 = P(lambda a, b: a <= y < b)
    only2 = P(lambda a, b: b <= y < a)
    either = P(lambda a, b: a <= y and b <= y and a + b > y)
    leftover = sum(probs[0][a] * probs[1][b] * max(y - a - b, 0)
                   for a in range(3) for b in range(3))
    top = delta[0] if bigger is None else bigger
    return (hh * leftover + g0[0] + g0[1] - delta[0] * (both + only1)
            - delta[1] * (both + only2) - top * either)


def test_recursion_equals_closed_form_symbolically():
    # Delta_1 >= Delta_2: write Delta_1 = Delta_2 + e, e >= 0
    e = sp.Symbol("e", nonnegative=True)
    for y in range(5):
        # probabilities sum to 1 for each customer
        total = {p[j][2]: 1 - p[j][0] - p[j][1] for j in range(2)}
        lhs = recursion(y).subs(D1, D2 + e).subs(total)
        rhs = closed_form(y).subs(D1, D2 + e).subs(total)
        assert sp.expand(lhs - rhs) == 0, y


INSTANCES = [
    # (thresholds and amounts of the two customers: (penalty, bonus) at T = 1), pmfs, h
    (((10, 6), (4, 2)), ((1, 2, 1), (1, 1, 2)), Fraction(1, 2)),
    (((5, 5), (5, 5)), ((1, 1, 1), (2, 1, 1)), Fraction(1)),
    (((3, 1), (9, 6)), ((1, 3, 1), (1, 1, 1)), Fraction(1, 4)),
    (((3, 1), (9, 6)), ((1, 3, 1), (1, 1, 1)), Fraction(3)),
]


def test_solver_equals_closed_form():
    for amounts, weights, hh in INSTANCES:
        customers = []
        for j, ((pen, bon), w) in enumerate(zip(amounts, weights)):
            contract = Contract(review_period=1, penalty_threshold=1, bonus_threshold=1,
                                penalty=pen, bonus=bon)
            customers.append(Customer(f"c{j}", contract,
                                      Empirical([Fraction(x, sum(w)) for x in w])))
        problem = CustomersProblem(customers, hh)
        sol = solve_customers_dynamic(problem, exact=True)
        probs = [[Fraction(x, sum(w)) for x in w] for w in weights]
        G = [c.contract.settlement(exact=True) for c in customers]
        delta = (G[0][0] - G[0][1], G[1][0] - G[1][1])
        costs = [closed_form(y, delta, probs, (G[0][0], G[1][0]), hh, max(delta))
                 for y in range(5)]
        best = min(costs)
        y = costs.index(best)
        assert sol.value_start == best
        assert sol.order(1, (0, 0)) == y
        if y >= 2:  # each fits alone, not together: demands (y - 1, 2) when y < 4
            first = 0 if delta[0] >= delta[1] else 1
            assert sol.serve(1, (0, 0), y, (2, y - 1)) == (first,)
