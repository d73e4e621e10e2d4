"""The tie rule of the most probable paths, against an oracle that enumerates every path.

Uniform demand makes ties the rule rather than the exception (every demand in its support is
equally likely), so these problems check which of several equally probable paths
``most_probable_paths`` returns, for exact policies (decided exactly) and for the same orders in
float (decided within the rounding bound, docs/model.md section 6). The oracle knows nothing of
the chain's code: it walks the stock table with the demand's exact probabilities.

The rule: the most probable path into the band; among equals the smallest final ready count;
then, read from the end backwards, at each step the short period before the ready one, then the
smallest source state (v, x).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from slamarkov import Contract, DiscreteUniform, Poisson, Policy, Problem
from slamarkov.analysis.inspect import most_probable_paths
from slamarkov.chain.space import StateSpace
from slamarkov.model.contract import BANDS


def oracle(pol, lo: int, hi: int, start) -> dict:
    """{band: path} by enumerating every path from ``start`` with exact probabilities."""
    c = pol.problem.contract
    T, carry = c.review_period, pol.carries
    p = Fraction(1, hi - lo + 1)

    def pmf(d):
        return p if lo <= d <= hi else Fraction(0)

    def cdf(y):
        return sum((pmf(d) for d in range(0, y + 1)), Fraction(0))

    def moves(state):
        """(next state, probability, tie key of the step) from a transient state."""
        i, v = state[0], state[1]
        x = state[2] if carry else 0
        y = int(pol.stock_at(i, v, x) if carry else pol.stock_at(i, v))
        short_next = (i + 1, v) if (i == T or not carry) else (i + 1, v, 0)
        yield short_next, 1 - cdf(y), (0, v, x)
        if carry and i < T:
            for d in range(y + 1):
                yield (i + 1, v + 1, y - d), pmf(d), (1, v, x)
        else:
            yield (i + 1, v + 1), cdf(y), (1, v, x)

    paths = []  # (probability, states, step keys)

    def walk(state, prob, states, keys):
        if state[0] == T + 1:
            paths.append((prob, states, keys))
            return
        for nxt, q, key in moves(state):
            if q > 0:
                walk(nxt, prob * q, states + [nxt], keys + [key])

    walk(tuple(start), Fraction(1), [tuple(start)], [])
    out = {}
    for code, band in zip((-1, 0, 1), BANDS):
        mine = [t for t in paths if int(c.band(np.array([t[1][-1][1]]))[0]) == code]
        if not mine:
            continue
        top = max(t[0] for t in mine)
        tied = [t for t in mine if t[0] == top]
        final = min(t[1][-1][1] for t in tied)
        tied = [t for t in tied if t[1][-1][1] == final]
        out[band] = min(tied, key=lambda t: t[2][::-1])[1]
    return out


@st.composite
def uniform_policies(draw):
    """Random stock tables on small problems with uniform demand, either stock rule."""
    T = draw(st.integers(1, 4))
    K = draw(st.integers(0, 3))
    lo = draw(st.integers(0, 2))
    hi = draw(st.integers(lo, lo + 2))
    carry = draw(st.booleans())
    x1 = draw(st.integers(0, K)) if carry else 0
    a_l = draw(st.sampled_from([0.0, 0.5, 0.75]))
    a_u = draw(st.sampled_from([a_l, 0.9, 1.0]))
    prob = Problem(Contract(T, a_l, max(a_u, a_l), penalty=10, bonus=3), DiscreteUniform(lo, hi),
                   1, leftover="carry" if carry else "discard", initial_stock=x1)
    space = StateSpace(T, carry=carry, max_stock=K, initial_stock=x1)
    x = space.coordinates()[2]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    y = np.minimum(x + rng.integers(0, K + 1, size=x.shape), K)
    return prob, y, K, lo, hi


@given(uniform_policies(), st.booleans())
@settings(max_examples=150, deadline=None)
def test_tie_rule_matches_the_oracle(case, exact):
    prob, y, K, lo, hi = case
    pol = Policy(prob, y, exact=exact, max_stock=K)
    key = (1, 0, int(prob.initial_stock)) if pol.carries else (1, 0)
    got = most_probable_paths(pol, key)
    want = oracle(pol, lo, hi, key)
    for band in BANDS:
        if band not in want:
            assert got[band] is None
        else:
            assert [tuple(s) for s in got[band].path] == want[band], band


def test_poisson_equal_neighbours_tie():
    """Poisson(4): P(3) = P(4), so a path with demands 3, 3 ties one with 4, 4 exactly; the float
    pass must see the tie whatever the last bits of the two log sums."""
    prob = Problem(Contract(2, 0.5, 1, penalty=10), Poisson(4), 1, leftover="carry",
                   initial_stock=1)
    space = StateSpace(2, carry=True, max_stock=8, initial_stock=1)
    y = np.maximum(space.coordinates()[2], 7)
    pol = Policy(prob, y, max_stock=8)
    bonus = most_probable_paths(pol, (1, 0, 1))["bonus"]
    # from (1, 0, 1) order up to 7: demand 3 leaves 4, demand 4 leaves 3 (equally likely); the
    # last period is ready from either; the tie goes to the smaller stock on hand before
    assert bonus.path == [(1, 0, 1), (2, 1, 3), (3, 2)]
