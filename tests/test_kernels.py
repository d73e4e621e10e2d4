"""The kernels of the chain (slamarkov.chain.kernels): every fast path gives the reference's
numbers.

:class:`Kernel` answers every pass from the score's transitions alone (the path a new score
takes); :class:`ReadyCountKernel` and :class:`TriangleKernel` are the ready count's fast paths.
On random problems (both stock rules, purchase prices, salvage values, initial stocks, random
policies) every pass agrees: exactly in exact arithmetic, to 1e-12 in float64.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slamarkov import Contract, DiscreteUniform, Empirical, Policy, Problem
from slamarkov.chain.absorbing import AbsorbingChain
from slamarkov.chain.kernels import Kernel, ReadyCountKernel, TriangleKernel, kernel_for
from slamarkov.chain.space import Position, StateSpace
from slamarkov.errors import ChainError


@st.composite
def problems(draw):
    T = draw(st.integers(1, 4))
    carry = draw(st.booleans())
    if draw(st.booleans()):
        demand = DiscreteUniform(0, draw(st.integers(1, 3)))
    else:
        weights = draw(st.lists(st.integers(0, 4), min_size=2, max_size=4).filter(sum))
        demand = Empirical([Fraction(w, sum(weights)) for w in weights])
    aL = Fraction(draw(st.integers(0, 4)), 4)
    aU = aL + Fraction(draw(st.integers(0, 4 - int(aL * 4))), 4)
    contract = Contract(T, aL, aU, draw(st.sampled_from(["lump-sum", "linear"])),
                        penalty=draw(st.integers(0, 9)), bonus=draw(st.integers(0, 9)))
    c = draw(st.integers(0, 2))
    problem = Problem(contract, demand, Fraction(draw(st.integers(1, 4)), 2), purchase_cost=c,
                      salvage_value=draw(st.integers(0, c)) if carry else 0,
                      leftover="carry" if carry else "discard",
                      initial_stock=draw(st.integers(0, 2)))
    K = draw(st.integers(max(2, problem.initial_stock), 4))
    exact = draw(st.booleans())
    seed = draw(st.integers(0, 2**31))
    return problem, K, exact, seed


def random_policy(problem, K, exact, seed) -> Policy:
    """A random table of orders y >= x on the stock range 0..K."""
    rng = np.random.default_rng(seed)
    base = Policy.base_stock(problem, 0, max_stock=K, exact=exact) if problem.carries else \
        Policy.constant(problem, 0, exact=exact)
    space = base.space
    table = np.empty(space.n_transient, dtype=np.int64)
    for i in range(1, space.T + 1):
        x = space.stock_levels(i)
        lo = x if problem.carries else np.zeros_like(x)
        layer = space.layer(table, i)
        layer[...] = rng.integers(lo[None, :], K + 1, size=layer.shape)
    return Policy(problem, table, exact=exact, max_stock=K if problem.carries else None)


def fast_kernels(policy):
    out = [ReadyCountKernel(policy)]
    if policy.space.trivial:
        out.append(TriangleKernel(policy))
    return out


def same(a, b, exact):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape
    if exact:
        assert a.tolist() == b.tolist()
    else:
        assert np.allclose(a.astype(np.float64), b.astype(np.float64), rtol=1e-12, atol=1e-12)


def starts(space):
    """Every transient state as a Position."""
    for i in range(1, space.T + 1):
        for s in range(space.size(i)):
            for col in range(space.width(i)):
                yield Position(i, s, col)


@settings(max_examples=60, deadline=None)
@given(problems())
def test_forward_rows_agree(case):
    policy = random_policy(*case)
    ref = Kernel(policy)
    for fast in fast_kernels(policy):
        for pos in starts(policy.space):
            seen_ref, seen_fast = {}, {}

            def keep(store):
                def on_layer(i, lo, mass):
                    full = np.zeros((policy.space.size(i), policy.space.width(i)), dtype=object)
                    full[...] = 0
                    full[lo : lo + mass.shape[0]] = mass
                    store[i] = full
                return on_layer

            same(ref.forward(pos, keep(seen_ref)), fast.forward(pos, keep(seen_fast)), case[2])
            assert seen_ref.keys() == seen_fast.keys()
            for i in seen_ref:
                same(seen_ref[i], seen_fast[i], case[2])


@settings(max_examples=60, deadline=None)
@given(problems())
def test_backward_passes_agree(case):
    problem, K, exact, _ = case
    policy = random_policy(*case)
    ref = Kernel(policy)
    for fast in fast_kernels(policy):
        same(ref.absorption_matrix(1 << 30), fast.absorption_matrix(1 << 30), exact)
        same(ref.fundamental(True, 1 << 30), fast.fundamental(True, 1 << 30), exact)
        for flags in ({}, {"holding": False}, {"purchase": False, "settlement": False}):
            a, b = ref.reward_moments(**flags), fast.reward_moments(**flags)
            for i in range(1, problem.review_period + 1):
                same(a[i][0], b[i][0], exact)
                same(a[i][1], b[i][1], exact)
        same(np.array(ref.ready_moments()), np.array(fast.ready_moments()), exact)
        mask = np.arange(policy.space.n_transient) % 3 == 0

        def reward(i, mask=mask):
            r = policy.space.layer(mask, i)
            return r.astype(object) * Fraction(1) if exact else r.astype(np.float64)

        same(np.array(ref.state_moments(reward)), np.array(fast.state_moments(reward)), exact)


@settings(max_examples=40, deadline=None)
@given(problems())
def test_costs_and_transitions_agree(case):
    problem, K, exact, _ = case
    policy = random_policy(*case)
    ref = Kernel(policy)
    for fast in fast_kernels(policy):
        for pos in starts(policy.space):
            a, b = ref.cost_components(pos), fast.cost_components(pos)
            assert a.keys() >= b.keys()
            for k in b:
                same(np.array(a[k]), np.array(b[k]), exact)
        for x, y in zip(ref.transition_arrays(), fast.transition_arrays()):
            same(x, y, exact)


@settings(max_examples=40, deadline=None)
@given(problems())
def test_transitions_leave_every_state_with_probability_one(case):
    policy = random_policy(*case)
    k = kernel_for(policy)
    for i in range(1, policy.space.T + 1):
        for final_stock in (False, True):
            t = k.transitions(i, final_stock=final_stock, costs=True)
            total = np.zeros(policy.space.size(i) * policy.space.width(i), dtype=object)
            np.add.at(total, t.rows, t.p)
            same(total, np.ones(total.shape), case[2])
            # a transition carries a leftover or a shortfall, never both
            assert not np.any((np.asarray(t.holding) != 0) & (np.asarray(t.short) != 0))


def test_kernel_for_picks_the_fastest():
    prob = Problem(Contract.study(3), DiscreteUniform(0, 5), 1)
    assert type(kernel_for(Policy.constant(prob, 3))) is TriangleKernel
    carry = Problem(Contract.study(3), DiscreteUniform(0, 5), 1, leftover="carry")
    assert type(kernel_for(Policy.base_stock(carry, 3, max_stock=5))) is ReadyCountKernel


def test_the_chain_asks_its_kernel():
    prob = Problem(Contract.study(3), DiscreteUniform(0, 5), 1, leftover="carry")
    chain = AbsorbingChain(Policy.base_stock(prob, 3, max_stock=5, exact=True))
    reference = Kernel(chain.policy)
    assert chain.absorption((2, 1, 4)).tolist() == \
        reference.forward(chain.space.start((2, 1, 4))).tolist()


@pytest.mark.parametrize("exact", [False, True])
def test_the_comparison_can_fail(exact):
    with pytest.raises(AssertionError):
        same(np.array([Fraction(1, 3)]), np.array([Fraction(1, 3) + Fraction(1, 10**20)]),
             True)
    with pytest.raises(AssertionError):
        same(np.array([0.5]), np.array([0.5 + 1e-9]), False)


@settings(max_examples=40, deadline=None)
@given(problems())
def test_incoming_agrees(case):
    """Into each state of the next layer, the same transitions in the same (tie-rule) order;
    a fast kernel may lay its empty slots out differently."""
    problem, K, exact, _ = case
    policy = random_policy(*case)
    ref = Kernel(policy)

    def listed(inc):
        out = []
        for j in range(inc.rows.shape[1]):
            filled = [s for s in range(inc.rows.shape[0]) if inc.p[s, j] != 0]
            out.append([(int(inc.rows[s, j]), inc.p[s, j], inc.logp[s, j]) for s in filled])
        return out

    for fast in fast_kernels(policy):
        for i in range(1, problem.review_period + 1):
            a, b = listed(ref.incoming(i)), listed(fast.incoming(i))
            assert [[r for r, _, _ in t] for t in a] == [[r for r, _, _ in t] for t in b]
            for ta, tb in zip(a, b):
                if ta:
                    same(np.array([p for _, p, _ in ta]), np.array([p for _, p, _ in tb]), exact)
                    np.testing.assert_array_equal([lp for *_, lp in ta], [lp for *_, lp in tb])


@settings(max_examples=30, deadline=None)
@given(problems())
def test_keys_at_names_states_as_keys_does(case):
    space = random_policy(*case).space
    for i in range(1, space.T + 1):
        at = np.arange(space.size(i) * space.width(i))
        assert space.keys_at(space.offset(i) + at) == space.keys(i, at)


@pytest.mark.parametrize("index, message", [
    ([6], "index: must be in 0..5 (the transient states), got 6"),
    ([0, -1], "index: must be in 0..5 (the transient states), got -1"),
    ([1.5], "index: must be integers (flat transient state indices), got float64 values"),
    ([True], "index: must be integers (flat transient state indices), got bool values"),
])
def test_keys_at_refuses_what_is_not_a_state(index, message):
    with pytest.raises(ChainError) as err:
        StateSpace(3).keys_at(index)
    assert str(err.value) == message
    assert StateSpace(3).keys_at([]) == []
