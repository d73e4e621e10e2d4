r"""Two customers, one and two periods: the closed form of the pooled dynamic policy (docs/model.md
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

**T = 2.** The same argument holds at every stage with the continuation values
:math:`W_{ab} = V_{i+1}(v + (a, b))` in place of the settlements: for
:math:`W_{11} \le W_{10}, W_{01} \le W_{00}` (values fall as counts rise),

.. math::

    C_i(y) = h E(y - D)^+ + W_{11} P(d_1 + d_2 \le y) + W_{10} P(d_1 \le y < d_2)
      + W_{01} P(d_2 \le y < d_1) + \min(W_{10}, W_{01}) P(\text{each alone, not both})
      + W_{00} P(d_1 > y, d_2 > y),

checked symbolically against the recursion (both orders of :math:`W_{10}, W_{01}`), and applied
twice (stage 2 from the settlements, stage 1 from stage 2's values) it gives the exact solver's
value and orders at T = 2.

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


# ---------------------------------------------------------------------------------------------
# T = 2: the same closed form at every stage, with the continuation values in place of G
# ---------------------------------------------------------------------------------------------
W = {ab: sp.Symbol(f"W{ab[0]}{ab[1]}") for ab in itertools.product(range(2), repeat=2)}


def stage_recursion(y, probs=p, w=W, hh=h, rank=None):
    """One stage from (v_1, v_2) with continuation values w[a, b] after serving a, b: every
    demand vector, its best feasible set (least value, then most customers, then file order),
    ranked by the stand-in order ``rank`` of the four values."""
    rank = rank or {(1, 1): 0, (1, 0): 1, (0, 1): 2, (0, 0): 3}
    total = 0
    for d in itertools.product(range(3), repeat=2):
        prob = probs[0][d[0]] * probs[1][d[1]]
        fit = [A for r in (2, 1, 0) for A in itertools.combinations(range(2), r)
               if sum(d[j] for j in A) <= y]
        served = [tuple(int(j in A) for j in range(2)) for A in fit]
        best = min(range(len(fit)), key=lambda n: (rank[served[n]], n))
        total += prob * (hh * max(y - sum(d), 0) + w[served[best]])
    return total


def stage_closed_form(y, probs=p, w=W, hh=h, first=(1, 0)):
    """h E(y - D)^+ + W11 P(both fit) + W10 P(only 1 fits) + W01 P(only 2 fits)
    + W_first P(each fits alone, not both) + W00 P(neither fits), for W11 <= W10, W01 <= W00."""
    P = lambda cond: sum(probs[0][a] * probs[1][b]  # noqa: E731
                         for a in range(3) for b in range(3) if cond(a, b))
    leftover = sum(probs[0][a] * probs[1][b] * max(y - a - b, 0)
                   for a in range(3) for b in range(3))
    return (hh * leftover + w[1, 1] * P(lambda a, b: a + b <= y)
            + w[1, 0] * P(lambda a, b: a <= y < b) + w[0, 1] * P(lambda a, b: b <= y < a)
            + w[first] * P(lambda a, b: a <= y and b <= y and a + b > y)
            + w[0, 0] * P(lambda a, b: a > y and b > y))


def test_stage_recursion_equals_closed_form_symbolically():
    total = {p[j][2]: 1 - p[j][0] - p[j][1] for j in range(2)}
    for rank, first in (({(1, 1): 0, (1, 0): 1, (0, 1): 2, (0, 0): 3}, (1, 0)),
                        ({(1, 1): 0, (0, 1): 1, (1, 0): 2, (0, 0): 3}, (0, 1))):
        for y in range(5):
            lhs = stage_recursion(y, rank=rank).subs(total)
            rhs = stage_closed_form(y, first=first).subs(total)
            assert sp.expand(lhs - rhs) == 0, (y, first)


def test_solver_equals_closed_form_at_t2():
    for amounts, weights, hh in INSTANCES:
        customers = []
        for j, ((pen, bon), w) in enumerate(zip(amounts, weights)):
            contract = Contract(review_period=2, penalty_threshold=Fraction(1, 2),
                                bonus_threshold=1, penalty=pen, bonus=bon)
            customers.append(Customer(f"c{j}", contract,
                                      Empirical([Fraction(x, sum(w)) for x in w])))
        sol = solve_customers_dynamic(CustomersProblem(customers, hh), exact=True)
        probs = [[Fraction(x, sum(w)) for x in w] for w in weights]
        G = [c.contract.settlement(exact=True) for c in customers]

        def best(w):
            # the closed form, minimised over y (smallest y on ties); the tie between serving
            # customer 1 or 2 alone goes to customer 1 unless 2's value is strictly lower
            first = (0, 1) if w[0, 1] < w[1, 0] else (1, 0)
            costs = [stage_closed_form(y, probs, w, hh, first) for y in range(5)]
            return min(costs), costs.index(min(costs))

        V2 = {}
        for v in itertools.product(range(2), repeat=2):
            w = {(a, b): G[0][v[0] + a] + G[1][v[1] + b]
                 for a, b in itertools.product(range(2), repeat=2)}
            V2[v], y2 = best(w)
            assert sol.order(2, v) == y2, v
        w1 = {(a, b): V2[a, b] for a, b in itertools.product(range(2), repeat=2)}
        V1, y1 = best(w1)
        assert sol.value_start == V1
        assert sol.order(1, (0, 0)) == y1
