"""Tests of slamarkov.chain (docs/model.md section 6): the absorbing chain of a policy.

Order: exact reference values (a chain worked by hand, docs/model.md section 9, sympy's
DiscreteMarkovChain as an independent exact peer), then invariants against dense numpy and
brute-force computations, then property tests on random small problems.

The references here never go through the chain's own kernels: F and H are recomputed from the
demand's definition (``ref_F``, ``ref_H``), the canonical P is rebuilt state by state
(``reference_canonical``), a policy is evaluated by its own backward recursion
(``evaluate_policy``), and the cost distribution is enumerated over every demand sequence
(``brute_cost``).
"""

from __future__ import annotations

import csv
import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse, stats
from sympy.stats import DiscreteMarkovChain

from slamarkov import (
    LINEAR,
    LUMP_SUM,
    SCHEMES,
    ChainError,
    ChainSizeError,
    ContinuousUniform,
    Contract,
    DiscreteUniform,
    Empirical,
    Poisson,
    Policy,
    Problem,
    SlamarkovError,
    solve_dynamic,
    solve_static,
)
from slamarkov.chain import AbsorbingChain

# ---------------------------------------------------------------------------------------------
# independent references
# ---------------------------------------------------------------------------------------------


def ref_F(demand, S, exact=False):
    """F(S) = P(d <= S) from the demand's definition, not from the package's tables."""
    S = int(S)
    if isinstance(demand, DiscreteUniform):
        x = Fraction(min(max(S - demand.low + 1, 0), demand.n), demand.n)
    elif isinstance(demand, Empirical):
        x = sum(demand.pmf_exact[: S + 1], Fraction(0))
    elif isinstance(demand, Poisson):
        assert not exact
        return float(stats.poisson.cdf(S, float(demand.lam)))
    else:  # pragma: no cover - the tests use only the three above
        raise AssertionError(demand)
    return x if exact else float(x)


def ref_H(demand, S, exact=False):
    """H(S) = sum_{k<S} F(k) (docs/model.md section 3)."""
    zero = Fraction(0) if exact else 0.0
    return sum((ref_F(demand, k, exact) for k in range(int(S))), zero)


def ref_G(contract, v):
    """G(v) straight from docs/model.md section 2, exact."""
    T, aL, aU = contract.review_period, contract.penalty_threshold, contract.bonus_threshold
    if contract.scheme == LUMP_SUM:
        return Fraction(contract.penalty * (v < T * aL) - contract.bonus * (v >= T * aU))
    return (contract.penalty * max(aL - Fraction(v, T), 0)
            - contract.bonus * max(Fraction(v, T) - aU, 0))


def all_states(T):
    """Every state (i, v) in canonical order: transient by i then v, then absorbing."""
    out = [(i, v) for i in range(1, T + 1) for v in range(i)]
    return out + [(T + 1, v) for v in range(T + 1)]


def reference_canonical(policy, exact=False):
    """The canonical P rebuilt state by state (a Python loop; small T only)."""
    T = policy.review_period
    states = all_states(T)
    where = {s: k for k, s in enumerate(states)}
    n = len(states)
    zero, one = (Fraction(0), Fraction(1)) if exact else (0.0, 1.0)
    P = [[zero] * n for _ in range(n)]
    demand = policy.problem.demand
    for (i, v), k in where.items():
        if i == T + 1:
            P[k][k] = one
            continue
        p = ref_F(demand, policy.stock_at(i, v), exact)
        P[k][where[(i + 1, v)]] += one - p
        P[k][where[(i + 1, v + 1)]] += p
    return P if exact else np.array(P)


def dense_reference(chain):
    """N = inv(I - Q) and B = N R by numpy.linalg.inv on the chain's own dense Q (issue 3)."""
    Q, R = chain.Q.toarray(), chain.R.toarray()
    N = np.linalg.inv(np.eye(Q.shape[0]) - Q)
    return N, N @ R


def evaluate_policy(policy, exact=False):
    """W_i(v) = h H(S) + F W_{i+1}(v+1) + (1 - F) W_{i+1}(v), W_{T+1} = G: the expected cost of
    any stock table from every state, by its own backward recursion (a dict over states)."""
    T = policy.review_period
    prob = policy.problem
    h = prob.holding_cost if exact else float(prob.holding_cost)
    conv = (lambda x: x) if exact else float
    W = {(T + 1, v): conv(ref_G(prob.contract, v)) for v in range(T + 1)}
    for i in range(T, 0, -1):
        for v in range(i):
            S = policy.stock_at(i, v)
            p = ref_F(prob.demand, S, exact)
            W[(i, v)] = h * ref_H(prob.demand, S, exact) + p * W[(i + 1, v + 1)] + (1 - p) * W[(i + 1, v)]
    return W


def demand_support(demand):
    """(value, probability) pairs of a finite rational demand."""
    if isinstance(demand, DiscreteUniform):
        return [(d, Fraction(1, demand.n)) for d in range(demand.low, demand.high + 1)]
    return [(d, p) for d, p in enumerate(demand.pmf_exact) if p]


def brute_cost(policy, start=(1, 0)):
    """Exact mean and variance of the cost of the rest of the review period, by enumerating every
    demand sequence of the remaining periods (docs/model.md section 1: cost h (S - d)^+ per period,
    then G(v_T))."""
    prob = policy.problem
    T, h = prob.review_period, prob.holding_cost
    i0, v0 = start
    support = demand_support(prob.demand)
    m1 = m2 = Fraction(0)
    total = Fraction(0)
    for seq in itertools.product(support, repeat=T - i0 + 1):
        v, cost, w = v0, Fraction(0), Fraction(1)
        for i, (d, p) in zip(range(i0, T + 1), seq):
            S = policy.stock_at(i, v)
            cost += h * max(S - d, 0)
            v += d <= S
            w *= p
        cost += ref_G(prob.contract, v)
        total += w
        m1 += w * cost
        m2 += w * cost * cost
    assert total == 1
    return m1, m2 - m1 * m1


def simulate_costs(policy, n, seed):
    """Seeded Monte Carlo of the total cost of a review period (vectorised over runs)."""
    prob = policy.problem
    T, h = prob.review_period, float(prob.holding_cost)
    rng = np.random.default_rng(seed)
    d = prob.demand.sample(rng, (n, T)).astype(np.float64)
    G = np.array([float(ref_G(prob.contract, v)) for v in range(T + 1)])
    v = np.zeros(n, dtype=np.int64)
    cost = np.zeros(n)
    for i in range(1, T + 1):
        S = np.asarray(policy.stage(i), dtype=np.float64)[v]
        cost += h * np.maximum(S - d[:, i - 1], 0)
        v += d[:, i - 1] <= S
    return cost + G[v]


def lump(T, aL="1/2", aU="3/4", penalty=10, bonus=6):
    return Contract(T, aL, aU, LUMP_SUM, penalty=penalty, bonus=bonus)


def linear(T, aL="1/2", aU="3/4", penalty=40, bonus=20):
    return Contract(T, aL, aU, LINEAR, penalty=penalty, bonus=bonus)


def exact_dynamic(T, scheme=LUMP_SUM, demand=None, h="1/2"):
    contract = lump(T) if scheme == LUMP_SUM else linear(T)
    prob = Problem(contract, demand or DiscreteUniform(0, 4), h)
    return solve_dynamic(prob, exact=True, keep_values=True)


def float_cases():
    """Small float chains: dynamic and static, both schemes, Poisson and rational demand."""
    out = []
    for T in (1, 2, 5, 7):
        for contract in (Contract.study(T), Contract.study(T, LINEAR)):
            prob = Problem(contract, Poisson(5), "1/2")
            out.append(pytest.param(solve_dynamic(prob, keep_values=True).policy,
                                    id=f"dyn-{contract.scheme}-poisson-T{T}"))
            out.append(pytest.param(solve_static(prob).policy,
                                    id=f"static-{contract.scheme}-poisson-T{T}"))
    prob = Problem(lump(6), Empirical(["1/10", "2/10", "3/10", "0", "4/10"]), "1/3")
    out.append(pytest.param(solve_dynamic(prob).policy, id="dyn-lump-empirical-T6"))
    prob = Problem(linear(5), DiscreteUniform(1, 3), 1)
    out.append(pytest.param(Policy(prob, np.arange(15) % 5), id="user-linear-unif13-T5"))
    return out


FLOAT_CASES = float_cases()

# ---------------------------------------------------------------------------------------------
# exact reference values
# ---------------------------------------------------------------------------------------------


class TestHandWorkedChain:
    """T = 2, demand uniform on {0..3} (F(S) = (S+1)/4), stock table [[1], [0, 2]], h = 1/2,
    lump-sum penalty 10 below 1/2, bonus 6 at 1. Worked by hand:
    N = I + Q (Q^2 = 0), B = N R, holding 5/16, settlement 3/2."""

    @pytest.fixture
    def chain(self):
        prob = Problem(Contract(2, "1/2", 1, LUMP_SUM, penalty=10, bonus=6), DiscreteUniform(0, 3), "1/2")
        return AbsorbingChain(Policy(prob, [[1], [0, 2]], exact=True))

    def test_fundamental_matrix(self, chain):
        F = Fraction
        assert chain.fundamental_matrix(dense=True).tolist() == [[1, F(1, 2), F(1, 2)], [0, 1, 0], [0, 0, 1]]

    def test_absorption_matrix(self, chain):
        F = Fraction
        assert chain.absorption_matrix().tolist() == [
            [F(3, 8), F(1, 4), F(3, 8)],
            [F(3, 4), F(1, 4), 0],
            [0, F(1, 4), F(3, 4)],
        ]

    def test_canonical_form(self, chain):
        F = Fraction
        assert chain.dense_canonical().tolist() == [
            [0, F(1, 2), F(1, 2), 0, 0, 0],
            [0, 0, 0, F(3, 4), F(1, 4), 0],
            [0, 0, 0, 0, F(1, 4), F(3, 4)],
            [0, 0, 0, 1, 0, 0],
            [0, 0, 0, 0, 1, 0],
            [0, 0, 0, 0, 0, 1],
        ]

    def test_cost_decomposition(self, chain):
        assert chain.cost_decomposition() == {
            "holding": Fraction(5, 16), "settlement": Fraction(3, 2), "total": Fraction(29, 16)
        }

    def test_cost_moments(self, chain):
        # outcomes (d1, d2) uniform on 16 pairs; costs by hand from h (S - d)^+ and G
        costs = []
        for d1 in range(4):
            c1 = Fraction(1, 2) * max(1 - d1, 0)
            ready1 = d1 <= 1
            S2 = 2 if ready1 else 0
            for d2 in range(4):
                v = ready1 + (d2 <= S2)
                costs.append(c1 + Fraction(1, 2) * max(S2 - d2, 0) + {0: 10, 1: 0, 2: -6}[v])
        mean = sum(costs) / 16
        var = sum((c - mean) ** 2 for c in costs) / 16
        assert mean == Fraction(29, 16)
        assert chain.cost_moments() == (mean, var)

    def test_remaining_ready_and_bands(self, chain):
        assert chain.remaining_ready() == {"mean": 1, "variance": Fraction(3, 4)}
        assert chain.band_probabilities() == {
            "penalty": Fraction(3, 8), "neutral": Fraction(1, 4), "bonus": Fraction(3, 8)
        }

    def test_visit_variance(self, chain):
        assert chain.visit_variance().tolist() == [0, Fraction(1, 4), Fraction(1, 4)]


class TestStudyReferenceValues:
    """docs/model.md section 9, exact table: the chain's ready-rate row from (1, 0) and the cost
    identity reproduce the dynamic policy's numbers."""

    @pytest.mark.parametrize(
        "scheme, h, T, cost, mean, sd, pen, bon",
        [
            (LUMP_SUM, 0.5, 10, -1.201550, 89.6123, 2.4573, 0.1328, 96.2415),
            (LUMP_SUM, 1, 30, 0.158242, 89.6130, 1.9160, 0.0154, 95.3702),
            (LINEAR, 0.5, 10, 0.797917, 90.2491, 10.2135, 1.9147, 53.1807),
            (LINEAR, 2, 90, 3.681887, 79.3909, 1.1327, 31.9589, 0.0000),
        ],
    )
    def test_dynamic_row(self, scheme, h, T, cost, mean, sd, pen, bon):
        sol = solve_dynamic(Problem(Contract.study(T, scheme), Poisson(5), h), max_stock=40)
        chain = AbsorbingChain(sol.policy)
        dist = chain.ready_rate()
        assert 100 * dist.mean == pytest.approx(mean, abs=5e-5)
        assert 100 * dist.sd == pytest.approx(sd, abs=5e-5)
        assert 100 * dist.p_penalty == pytest.approx(pen, abs=5e-5)
        assert 100 * dist.p_bonus == pytest.approx(bon, abs=5e-5)
        assert chain.cost_decomposition()["total"] / T == pytest.approx(cost, abs=5e-7)
        assert chain.cost_moments()[0] / T == pytest.approx(cost, abs=5e-7)

    def test_docstring_mid_state(self):
        sol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40)
        chain = AbsorbingChain(sol.policy)
        assert round(chain.ready_rate(start=(6, 4)).p_bonus, 4) == 0.9334


class TestSympyPeer:
    """sympy.stats.DiscreteMarkovChain on the same rational P gives the same N and B exactly.

    sympy's decompose() lists recurrent states first and then transient ones, in an order of its
    own; its fundamental matrix and absorbing probabilities are indexed by that order, so our
    matrices are permuted into it before comparing."""

    @staticmethod
    def peer(chain):
        P = chain.dense_canonical()
        n = chain.n_states
        M = sympy.Matrix(n, n, lambda a, b: sympy.Rational(Fraction(P[a, b]).numerator,
                                                           Fraction(P[a, b]).denominator))
        X = DiscreteMarkovChain("X", list(range(n)), M)
        states, A, _, _ = X.decompose()
        r = A.shape[0]
        rec = [int(s) for s in states[:r]]
        tra = [int(s) for s in states[r:]]
        return X, A, rec, tra

    @pytest.mark.parametrize(
        "sol",
        [
            pytest.param(exact_dynamic(1), id="dyn-lump-unif04-T1"),
            pytest.param(exact_dynamic(4), id="dyn-lump-unif04-T4"),
            pytest.param(exact_dynamic(5, LINEAR), id="dyn-linear-unif04-T5"),
            pytest.param(exact_dynamic(5, LUMP_SUM, Empirical(["1/6", "1/3", "0", "1/2"]), "1/4"),
                         id="dyn-lump-empirical-T5"),
            pytest.param(solve_static(Problem(linear(4), DiscreteUniform(1, 5), "1/3"), exact=True),
                         id="static-linear-unif15-T4"),
        ],
    )
    def test_fundamental_and_absorbing_matrices(self, sol):
        chain = AbsorbingChain(sol.policy)
        X, A, rec, tra = self.peer(chain)
        t = chain.n_transient
        # sympy finds exactly our absorbing states (T+1, v) and our transient states
        assert sorted(rec) == list(range(t, chain.n_states))
        assert sorted(tra) == list(range(t))
        assert A == sympy.eye(len(rec))
        assert bool(X.is_absorbing_chain())
        N, B = chain.matrices(dense=True)
        N_ours = sympy.Matrix(t, t, lambda a, b: sympy.Rational(Fraction(N[tra[a], tra[b]]).numerator,
                                                                Fraction(N[tra[a], tra[b]]).denominator))
        B_ours = sympy.Matrix(t, len(rec),
                              lambda a, c: sympy.Rational(Fraction(B[tra[a], rec[c] - t]).numerator,
                                                          Fraction(B[tra[a], rec[c] - t]).denominator))
        assert X.fundamental_matrix() == N_ours
        assert X.absorbing_probabilities() == B_ours


# ---------------------------------------------------------------------------------------------
# invariants against dense and brute-force computations
# ---------------------------------------------------------------------------------------------


def exact_solve_B(policy):
    """B = (I - Q)^-1 R by exact back substitution on the independently rebuilt canonical P
    (I - Q is upper triangular in state order): B[s] = R[s] + sum_{s' > s} Q[s, s'] B[s']."""
    P = reference_canonical(policy, exact=True)
    T = policy.review_period
    t = T * (T + 1) // 2
    B = [None] * t
    for s in range(t - 1, -1, -1):
        row = list(P[s][t:])
        for s2 in range(s + 1, t):
            if P[s][s2]:
                row = [a + P[s][s2] * b for a, b in zip(row, B[s2])]
        B[s] = row
    return B


class TestBackwardAbsorption:
    """B by the backward recursion over the layers (issue 12) against the forward rows and a
    dense solve, in float and exactly."""

    @pytest.mark.parametrize("policy", FLOAT_CASES)
    def test_float_equals_forward_rows_and_dense_solve(self, policy):
        chain = AbsorbingChain(policy)
        T, t = policy.review_period, chain.n_transient
        B = chain.absorption_matrix()
        assert B.shape == (t, T + 1) and B.dtype == np.float64
        forward = np.array([chain.absorption(s) for s in all_states(T)[:t]])
        np.testing.assert_allclose(B, forward, rtol=0, atol=1e-14)
        Q, R = chain.Q.toarray(), chain.R.toarray()
        np.testing.assert_allclose(B, np.linalg.solve(np.eye(t) - Q, R), rtol=0, atol=1e-14)

    @pytest.mark.parametrize(
        "policy",
        [
            pytest.param(exact_dynamic(5).policy, id="dyn-lump-unif04-T5"),
            pytest.param(exact_dynamic(6, LINEAR).policy, id="dyn-linear-unif04-T6"),
            pytest.param(exact_dynamic(5, LUMP_SUM, Empirical(["1/6", "1/3", "0", "1/2"]), "1/4").policy,
                         id="dyn-lump-empirical-T5"),
            pytest.param(Policy(Problem(linear(4), DiscreteUniform(1, 3), 1), np.arange(10) % 4, exact=True),
                         id="user-linear-unif13-T4"),
        ],
    )
    def test_exact_equals_forward_rows_and_exact_solve(self, policy):
        chain = AbsorbingChain(policy)
        T, t = policy.review_period, chain.n_transient
        B = chain.absorption_matrix()
        assert all(type(x) is Fraction for x in B.ravel())
        assert B.tolist() == [chain.absorption(s).tolist() for s in all_states(T)[:t]]
        assert B.tolist() == exact_solve_B(policy)



class TestSparseFundamental:
    """N as a scipy.sparse CSR matrix built from the layers (issue 12)."""

    @pytest.mark.parametrize("policy", FLOAT_CASES)
    def test_sparse_N_equals_dense_inverse(self, policy):
        chain = AbsorbingChain(policy)
        T, t = policy.review_period, chain.n_transient
        N = chain.fundamental_matrix()
        assert isinstance(N, sparse.csr_matrix) and N.shape == (t, t)
        assert N.has_sorted_indices
        N_ref = np.linalg.inv(np.eye(t) - chain.Q.toarray())
        np.testing.assert_allclose(N.toarray(), N_ref, rtol=0, atol=1e-14)
        np.testing.assert_array_equal(N.toarray(), chain.fundamental_matrix(dense=True))
        # only reachable pairs are stored: (i, v) reaches (j, w) iff j >= i and v <= w <= v + j - i
        states = all_states(T)[:t]
        rows, cols = N.nonzero()
        for a, b in zip(rows, cols):
            (i, v), (j, w) = states[a], states[b]
            assert j >= i and v <= w <= v + j - i
        assert np.all(N.data != 0)
        assert N.nnz <= sum(i * (T - i + 1) * (T - i + 2) // 2 for i in range(1, T + 1))
        Ns, B = chain.matrices()
        assert (Ns != N).nnz == 0
        np.testing.assert_array_equal(B, chain.absorption_matrix())

    def test_sparse_N_rows_are_the_forward_rows(self):
        pol = solve_dynamic(Problem(Contract.study(12), Poisson(5), "1/2")).policy
        chain = AbsorbingChain(pol)
        N = chain.fundamental_matrix()
        for k, s in enumerate(all_states(12)[: chain.n_transient]):
            np.testing.assert_allclose(N[k].toarray().ravel(), chain.visits(s), rtol=0, atol=1e-14)

    def test_exact_mode_needs_dense(self):
        chain = AbsorbingChain(exact_dynamic(3).policy)
        with pytest.raises(ChainError, match="dense=True in exact mode"):
            chain.fundamental_matrix()
        with pytest.raises(ChainError, match="dense=True in exact mode"):
            chain.matrices()
        N = chain.fundamental_matrix(dense=True)
        assert all(type(x) is Fraction for x in N.ravel())


def path_moments(policy, start, count):
    """Exact mean and variance of sum(count(i, v, ready) over the remaining periods), by
    enumerating every ready/short sequence from ``start`` (small T only)."""
    T = policy.review_period
    i0, v0 = start
    m1 = m2 = Fraction(0)
    for seq in itertools.product((False, True), repeat=T - i0 + 1):
        w, v, x = Fraction(1), v0, 0
        for i, ready in zip(range(i0, T + 1), seq):
            p = ref_F(policy.problem.demand, policy.stock_at(i, v), exact=True)
            w *= p if ready else 1 - p
            x += count(i, v, ready)
            v += ready
        m1 += w * x
        m2 += w * x * x
    return m1, m2 - m1 * m1


class TestEveryStartAtOnce:
    """Expected visits, their variances and the ready periods to come from every start state by
    backward recursions (issue 12 item 3), against the single-start queries and enumeration."""

    def zero_stock(self, i, v, s):
        return s == 0

    @pytest.mark.parametrize(
        "policy",
        [
            pytest.param(exact_dynamic(5).policy, id="dyn-lump-unif04-T5"),
            pytest.param(exact_dynamic(5, LINEAR).policy, id="dyn-linear-unif04-T5"),
            pytest.param(Policy(Problem(linear(4), DiscreteUniform(1, 3), 1), np.arange(10) % 4, exact=True),
                         id="user-linear-unif13-T4"),
        ],
    )
    def test_exact_against_single_starts_and_enumeration(self, policy):
        chain = AbsorbingChain(policy)
        T, t = policy.review_period, chain.n_transient
        visits = chain.visit_moments(self.zero_stock)
        every = chain.visit_moments()
        ready = chain.remaining_ready_moments()
        for k, (i, v) in enumerate(all_states(T)[:t]):
            assert visits["mean"][k] == chain.expected_visits(self.zero_stock, (i, v))
            zero = path_moments(policy, (i, v), lambda a, b, r: int(policy.stock_at(a, b) == 0))
            assert (visits["mean"][k], visits["variance"][k]) == zero
            assert (every["mean"][k], every["variance"][k]) == (T - i + 1, 0)
            rem = chain.remaining_ready((i, v))
            assert (ready["mean"][k], ready["variance"][k]) == (rem["mean"], rem["variance"])
            assert (ready["mean"][k], ready["variance"][k]) == path_moments(policy, (i, v),
                                                                            lambda a, b, r: int(r))
        assert all(type(x) is Fraction for x in ready["variance"])

    @pytest.mark.parametrize("policy", FLOAT_CASES)
    def test_float_against_single_starts_and_N(self, policy):
        chain = AbsorbingChain(policy)
        T, t = policy.review_period, chain.n_transient
        mask = chain.zero_stock()
        visits = chain.visit_moments(mask)
        N = chain.fundamental_matrix(dense=True)
        np.testing.assert_allclose(visits["mean"], N @ mask, rtol=0, atol=1e-13)
        np.testing.assert_allclose(chain.visit_moments()["mean"], N.sum(axis=1), rtol=0, atol=1e-13)
        ready = chain.remaining_ready_moments()
        for k, s in enumerate(all_states(T)[:t]):
            rem = chain.remaining_ready(s)
            assert ready["mean"][k] == pytest.approx(rem["mean"], abs=1e-12)
            assert ready["variance"][k] == pytest.approx(rem["variance"], abs=1e-12)
        N2 = chain.visit_variance_matrix()
        np.testing.assert_allclose(N2.toarray(), N - N * N, rtol=0, atol=1e-15)
        np.testing.assert_allclose(chain.visit_variance_matrix(dense=True), N - N * N, rtol=0, atol=0)
        for k, s in enumerate(all_states(T)[:t]):
            np.testing.assert_allclose(N2[k].toarray().ravel(), chain.visit_variance(s), rtol=0, atol=1e-14)


class TestDenseAgreement:
    @pytest.mark.parametrize("policy", FLOAT_CASES)
    def test_N_and_B_match_numpy_inverse(self, policy):
        chain = AbsorbingChain(policy)
        N_ref, B_ref = dense_reference(chain)
        N, B = chain.matrices(dense=True)
        np.testing.assert_allclose(N, N_ref, rtol=0, atol=1e-12)
        np.testing.assert_allclose(B, B_ref, rtol=0, atol=1e-12)
        np.testing.assert_allclose(chain.fundamental_matrix(dense=True), N, rtol=0, atol=0)
        np.testing.assert_allclose(chain.absorption_matrix(), B, rtol=0, atol=0)

    @pytest.mark.parametrize("policy", FLOAT_CASES)
    def test_rows_of_B_sum_to_one_and_N_diagonal_is_one(self, policy):
        N, B = AbsorbingChain(policy).matrices(dense=True)
        np.testing.assert_allclose(B.sum(axis=1), 1.0, rtol=0, atol=1e-12)
        assert np.all(B >= 0)
        # a layered DAG visits each state at most once: N_dg = I
        assert np.all(np.diag(N) == 1.0)
        # one transient visit per remaining stage: row sums of N are T - i + 1
        T = policy.review_period
        i = np.array([s[0] for s in all_states(T)[: N.shape[0]]])
        np.testing.assert_allclose(N.sum(axis=1), T - i + 1, rtol=0, atol=1e-12)

    @pytest.mark.parametrize("policy", FLOAT_CASES)
    def test_canonical_form_matches_independent_build(self, policy):
        chain = AbsorbingChain(policy)
        t, n_a = chain.n_transient, chain.n_absorbing
        P_ref = reference_canonical(policy)
        np.testing.assert_allclose(chain.dense_canonical(), P_ref, rtol=0, atol=1e-15)
        P = chain.P.toarray()
        np.testing.assert_allclose(P, P_ref, rtol=0, atol=1e-15)
        np.testing.assert_array_equal(P[:t, :t], chain.Q.toarray())
        np.testing.assert_array_equal(P[:t, t:], chain.R.toarray())
        assert not P[t:, :t].any()
        np.testing.assert_array_equal(P[t:, t:], np.eye(n_a))

    @pytest.mark.parametrize("policy", FLOAT_CASES)
    def test_Q_R_shapes_nnz_and_row_sums(self, policy):
        chain = AbsorbingChain(policy)
        T, t = policy.review_period, chain.n_transient
        assert (chain.n_transient, chain.n_absorbing, chain.n_states) == (T * (T + 1) // 2, T + 1,
                                                                          T * (T + 1) // 2 + T + 1)
        assert chain.Q.shape == (t, t) and chain.R.shape == (t, T + 1)
        p = np.array([ref_F(policy.problem.demand, policy.stock_at(i, v)) for i, v in all_states(T)[:t]])
        stage = np.array([i for i, _ in all_states(T)[:t]])
        inner = stage < T
        nnz = (p > 0).astype(int) + (p < 1).astype(int)
        assert chain.Q.nnz == nnz[inner].sum()
        assert chain.R.nnz == nnz[~inner].sum()
        rows = np.asarray(chain.Q.sum(axis=1)).ravel() + np.asarray(chain.R.sum(axis=1)).ravel()
        np.testing.assert_allclose(rows, 1.0, rtol=0, atol=1e-15)
        # R is zero outside the last stage, Q zero on it
        assert not chain.R.toarray()[inner].any()
        assert not chain.Q.toarray()[~inner].any()

    def test_nnz_drops_certain_transitions(self):
        # uniform on {1, 2}: F(0) = 0, F(2) = 1, so stock 0 and stock 2 each have one transition
        prob = Problem(lump(3), DiscreteUniform(1, 2), 1)
        chain = AbsorbingChain(Policy(prob, [[0], [2, 1], [0, 1, 2]]))
        assert chain.Q.nnz == 1 + 1 + 2
        assert chain.R.nnz == 1 + 2 + 1

    @pytest.mark.parametrize("policy", FLOAT_CASES)
    def test_absorption_from_every_state_is_P_to_the_T(self, policy):
        # every path is absorbed after at most T steps, so rows of P^T on the absorbing columns
        # are B for transient starts and the identity for absorbing starts
        chain = AbsorbingChain(policy)
        T, t = policy.review_period, chain.n_transient
        PT = np.linalg.matrix_power(reference_canonical(policy), T)
        for k, s in enumerate(all_states(T)):
            np.testing.assert_allclose(chain.absorption(s), PT[k, t:], rtol=0, atol=1e-12)

    @pytest.mark.parametrize("policy", FLOAT_CASES)
    def test_row_queries_equal_dense_rows(self, policy):
        chain = AbsorbingChain(policy)
        T, t = policy.review_period, chain.n_transient
        N, B = dense_reference(chain)
        for s in all_states(T):
            k = chain.index(*s)
            if k < t:
                np.testing.assert_allclose(chain.visits(s), N[k], rtol=0, atol=1e-12)
                np.testing.assert_allclose(chain.absorption(s), B[k], rtol=0, atol=1e-12)
                np.testing.assert_allclose(chain.ready_rate(s).pmf, B[k], rtol=0, atol=1e-12)
            else:
                v = s[1]
                assert not chain.visits(s).any()
                np.testing.assert_array_equal(chain.absorption(s), np.eye(T + 1)[v])
                dist = chain.ready_rate(s)
                assert dist.mean == pytest.approx(v / T, abs=1e-15) and dist.variance == 0

    def test_default_start_is_1_0(self):
        chain = AbsorbingChain(FLOAT_CASES[4].values[0])
        np.testing.assert_array_equal(chain.visits(), chain.visits((1, 0)))
        np.testing.assert_array_equal(chain.absorption(), chain.absorption((1, 0)))


class TestStaticBinomial:
    @pytest.mark.parametrize("T", [1, 4, 10])
    @pytest.mark.parametrize("scheme", SCHEMES)
    def test_static_start_row_is_binomial(self, T, scheme):
        sol = solve_static(Problem(Contract.study(T, scheme), Poisson(5), 1), max_stock=40)
        chain = AbsorbingChain(sol.policy)
        q = stats.poisson.cdf(sol.base_stock, 5)
        binom = stats.binom.pmf(np.arange(T + 1), T, q)
        np.testing.assert_allclose(chain.absorption(), binom, rtol=0, atol=1e-12)
        np.testing.assert_allclose(chain.absorption_matrix()[0], binom, rtol=0, atol=1e-12)
        # from (i, v) the remaining T - i + 1 periods are Binomial, shifted by v
        for i, v in all_states(T)[: chain.n_transient]:
            shifted = np.zeros(T + 1)
            shifted[v : v + T - i + 2] = stats.binom.pmf(np.arange(T - i + 2), T - i + 1, q)
            np.testing.assert_allclose(chain.absorption((i, v)), shifted, rtol=0, atol=1e-12)
        assert chain.cost_moments()[0] == pytest.approx(T * sol.cost_per_period, rel=1e-12, abs=1e-12)

    def test_static_exact_binomial(self):
        T, S = 6, 2
        prob = Problem(lump(T), DiscreteUniform(0, 4), "1/2")
        chain = AbsorbingChain(Policy.constant(prob, S, exact=True))
        q = Fraction(S + 1, 5)
        assert chain.absorption().tolist() == [math.comb(T, v) * q**v * (1 - q) ** (T - v)
                                               for v in range(T + 1)]


class TestDynamicForward:
    @pytest.mark.parametrize("T", [1, 3, 10])
    @pytest.mark.parametrize("scheme", SCHEMES)
    def test_start_row_is_solver_forward_propagation(self, T, scheme):
        sol = solve_dynamic(Problem(Contract.study(T, scheme), Poisson(5), 0.5), max_stock=40)
        chain = AbsorbingChain(sol.policy)
        np.testing.assert_allclose(chain.absorption(), sol.ready_rate.pmf, rtol=0, atol=1e-12)
        np.testing.assert_allclose(chain.absorption_matrix()[0], sol.ready_rate.pmf, rtol=0, atol=1e-12)
        for s in all_states(T):
            np.testing.assert_allclose(chain.absorption(s), sol.policy.ready_count(s).pmf,
                                       rtol=0, atol=1e-12)

    def test_exact_start_row_equals_solver(self):
        sol = exact_dynamic(6, LINEAR)
        chain = AbsorbingChain(sol.policy)
        assert chain.absorption().tolist() == sol.ready_rate.pmf.tolist()
        assert chain.absorption_matrix()[0].tolist() == sol.ready_rate.pmf.tolist()


class TestForwardKernelPaths:
    """propagate gathers a discrete policy's success probabilities from its lookup table; any
    other source gives them stage by stage. Both paths give the same numbers, bit for bit."""

    @pytest.mark.parametrize("policy", FLOAT_CASES)
    def test_lookup_equals_stage_callable(self, policy):
        from slamarkov.chain.triangle import propagate

        T = policy.review_period
        for i0, v0 in all_states(T):
            a = propagate(policy, T, i0, v0, exact=policy.exact)
            b = propagate(policy.stage_success, T, i0, v0, exact=policy.exact)
            assert a.tolist() == b.tolist()

    def test_exact_lookup_equals_stage_callable(self):
        from slamarkov.chain.triangle import propagate

        policy = exact_dynamic(6, LINEAR).policy
        a = propagate(policy, 6, exact=True)
        b = propagate(policy.stage_success, 6, exact=True)
        assert all(type(x) is Fraction for x in a) and a.tolist() == b.tolist()
        assert sum(a) == 1

    def test_window_trims_exact_zeros(self):
        # F(S) = 1 in every state: all mass moves up, the window stays one state wide
        from slamarkov.chain.triangle import propagate

        prob = Problem(lump(7), DiscreteUniform(0, 2), 1)
        widths = []
        pmf = propagate(Policy.constant(prob, 2), 7, on_stage=lambda i, lo, P: widths.append(
            (lo, P.shape[0])))
        assert pmf.tolist() == [0.0] * 7 + [1.0]
        assert widths == [(v, 1) for v in range(7)]


class TestCostIdentity:
    """sum_s N[(1,0), s] h H(S_s) + sum_v B[(1,0), v] G(v) = V_1(0) (docs/model.md section 6)."""

    @pytest.mark.parametrize("T", [1, 2, 6, 12])
    @pytest.mark.parametrize("scheme", SCHEMES)
    @pytest.mark.parametrize("h", [0.5, 2])
    def test_identity_float(self, T, scheme, h):
        prob = Problem(Contract.study(T, scheme), Poisson(5), h)
        sol = solve_dynamic(prob, keep_values=True)
        chain = AbsorbingChain(sol.policy)
        N, B = chain.matrices(dense=True)
        stock = [sol.policy.stock_at(i, v) for i, v in all_states(T)[: chain.n_transient]]
        hH = h * np.array([ref_H(prob.demand, S) for S in stock])
        G = np.array([float(ref_G(prob.contract, v)) for v in range(T + 1)])
        for k, (i, v) in enumerate(all_states(T)[: chain.n_transient]):
            V = sol.value(i, v)
            assert N[k] @ hH + B[k] @ G == pytest.approx(V, abs=1e-9)
            parts = chain.cost_decomposition((i, v))
            assert parts["holding"] == pytest.approx(N[k] @ hH, abs=1e-9)
            assert parts["settlement"] == pytest.approx(B[k] @ G, abs=1e-9)
            assert parts["total"] == pytest.approx(V, abs=1e-9)
            assert chain.cost_moments((i, v))[0] == pytest.approx(V, abs=1e-9)
        assert chain.cost_decomposition()["total"] == pytest.approx(sol.value_start, abs=1e-9)
        for v in range(T + 1):
            assert chain.cost_decomposition((T + 1, v))["total"] == G[v]
            assert chain.cost_moments((T + 1, v)) == (G[v], 0.0)

    @pytest.mark.parametrize("scheme", SCHEMES)
    def test_identity_exact(self, scheme):
        sol = exact_dynamic(6, scheme, Empirical(["1/8", "3/8", "1/4", "1/4"]), "2/3")
        chain = AbsorbingChain(sol.policy)
        prob = sol.problem
        N, B = chain.matrices(dense=True)
        states = all_states(6)[: chain.n_transient]
        hH = [prob.holding_cost * ref_H(prob.demand, sol.policy.stock_at(i, v), True) for i, v in states]
        G = [ref_G(prob.contract, v) for v in range(7)]
        for k, (i, v) in enumerate(states):
            V = sol.value(i, v)
            hold = sum((N[k, j] * hH[j] for j in range(len(states))), Fraction(0))
            settle = sum((B[k, w] * G[w] for w in range(7)), Fraction(0))
            assert hold + settle == V
            assert chain.cost_decomposition((i, v)) == {"holding": hold, "settlement": settle, "total": V}
            assert chain.cost_moments((i, v))[0] == V

    def test_user_policy_matches_policy_evaluation(self):
        prob = Problem(linear(6), Poisson(3), 1)
        policy = Policy(prob, (np.arange(21) * 7) % 9)
        chain = AbsorbingChain(policy)
        W = evaluate_policy(policy)
        for s in all_states(6):
            assert chain.cost_decomposition(s)["total"] == pytest.approx(W[s], abs=1e-9)
            assert chain.cost_moments(s)[0] == pytest.approx(W[s], abs=1e-9)


class TestCostMoments:
    @pytest.mark.parametrize(
        "sol",
        [
            pytest.param(exact_dynamic(4), id="dyn-lump-unif04-T4"),
            pytest.param(exact_dynamic(4, LINEAR, DiscreteUniform(1, 4), "1/3"), id="dyn-linear-unif14-T4"),
            pytest.param(exact_dynamic(3, LUMP_SUM, Empirical(["1/5", "0", "3/5", "1/5"]), 2),
                         id="dyn-lump-empirical-T3"),
            pytest.param(solve_static(Problem(lump(4), DiscreteUniform(0, 3), "3/4"), exact=True),
                         id="static-lump-unif03-T4"),
        ],
    )
    def test_exact_against_enumeration(self, sol):
        chain = AbsorbingChain(sol.policy)
        T = sol.problem.review_period
        for s in all_states(T):
            assert chain.cost_moments(s) == brute_cost(sol.policy, s), s

    def test_user_policy_against_enumeration(self):
        prob = Problem(linear(4, "1/4", "1/2"), DiscreteUniform(0, 3), "1/2")
        policy = Policy(prob, [[3], [0, 2], [1, 4, 0], [2, 2, 3, 1]], exact=True)
        chain = AbsorbingChain(policy)
        assert chain.cost_moments() == brute_cost(policy)
        assert chain.cost_moments((3, 1)) == brute_cost(policy, (3, 1))

    def test_float_equals_exact(self):
        sol = exact_dynamic(5, LINEAR)
        exact = AbsorbingChain(sol.policy).cost_moments()
        flt = AbsorbingChain(Policy(sol.problem, sol.policy.stock)).cost_moments()
        assert flt == pytest.approx(tuple(float(x) for x in exact), rel=1e-12)

    @pytest.mark.parametrize(
        "prob",
        [
            pytest.param(Problem(Contract.study(10), Poisson(5), 0.5), id="poisson-lump-T10"),
            pytest.param(Problem(Contract.study(8, LINEAR), Poisson(5), 1), id="poisson-linear-T8"),
            pytest.param(Problem(linear(6), ContinuousUniform(0, 4), "1/2"), id="uniform-linear-T6"),
        ],
    )
    def test_monte_carlo(self, prob):
        sol = solve_dynamic(prob)
        mean, var = AbsorbingChain(sol.policy).cost_moments()
        assert mean == pytest.approx(sol.value_start, abs=1e-9)
        n = 40_000
        costs = simulate_costs(sol.policy, n, seed=20240531)
        assert abs(costs.mean() - mean) < 4 * math.sqrt(var / n)
        dev = costs - costs.mean()
        mu4 = np.mean(dev**4)
        se_var = math.sqrt(max(mu4 - var**2, 0) / n)
        assert abs(costs.var(ddof=1) - var) < 4 * se_var


class TestVisits:
    @pytest.mark.parametrize("policy", FLOAT_CASES)
    def test_visit_variance(self, policy):
        chain = AbsorbingChain(policy)
        N, _ = dense_reference(chain)
        t = chain.n_transient
        N2 = N @ (2 * np.diag(np.diag(N)) - np.eye(t)) - N * N
        for k, s in enumerate(all_states(policy.review_period)[:t]):
            vv = chain.visit_variance(s)
            np.testing.assert_allclose(vv, N[k] - N[k] ** 2, rtol=0, atol=1e-12)
            np.testing.assert_allclose(vv, N2[k], rtol=0, atol=1e-12)
            assert np.all(vv >= 0) and np.all(vv <= 0.25)

    def test_visit_variance_exact(self):
        chain = AbsorbingChain(exact_dynamic(5).policy)
        N, _ = chain.matrices(dense=True)
        for k, s in enumerate(all_states(5)[: chain.n_transient]):
            assert chain.visit_variance(s).tolist() == [x - x * x for x in N[k]]

    @pytest.mark.parametrize("policy", FLOAT_CASES)
    def test_expected_visits_mask_and_callable(self, policy):
        chain = AbsorbingChain(policy)
        T, t = policy.review_period, chain.n_transient
        N, _ = dense_reference(chain)
        states = all_states(T)[:t]
        stock = np.array([policy.stock_at(i, v) for i, v in states])
        stage = np.array([i for i, _ in states])
        rng = np.random.default_rng(7)
        for k, s in enumerate(states):
            assert chain.expected_visits(np.ones(t, bool), s) == pytest.approx(T - s[0] + 1, abs=1e-12)
            assert chain.expected_visits(np.zeros(t, bool), s) == 0
            mask = rng.random(t) < 0.5
            assert chain.expected_visits(mask, s) == pytest.approx(N[k][mask].sum(), abs=1e-12)
            median = np.median(stock)
            by_mask = chain.expected_visits(stock <= median, s)
            by_call = chain.expected_visits(lambda i, v, S: S <= median, s)
            assert by_call == pytest.approx(by_mask, abs=1e-15)
            assert by_call == pytest.approx(N[k][stock <= median].sum(), abs=1e-12)
            odd = chain.expected_visits(lambda i, v, S: (i + v) % 2 == 1, s)
            assert odd == pytest.approx(N[k][(stage + np.array([v for _, v in states])) % 2 == 1].sum(),
                                        abs=1e-12)

    def test_expected_visits_from_absorbing_state_is_zero(self):
        chain = AbsorbingChain(FLOAT_CASES[4].values[0])
        T = chain.T
        assert chain.expected_visits(np.ones(chain.n_transient, bool), (T + 1, 0)) == 0

    def test_named_state_sets(self):
        sol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40)
        chain = AbsorbingChain(sol.policy)
        states = all_states(10)[: chain.n_transient]
        c = sol.problem.contract
        pen = np.array([v + (10 - i + 1) < c.penalty_count for i, v in states])
        bon = np.array([v >= c.bonus_count for i, v in states])
        np.testing.assert_array_equal(chain.penalty_certain(), pen)
        np.testing.assert_array_equal(chain.bonus_secured(), bon)
        np.testing.assert_array_equal(chain.zero_stock(), np.array([sol.policy.stock_at(*s) == 0 for s in states]))
        # from a penalty-certain state the penalty is certain; from a secured one the bonus is
        for k, s in enumerate(states):
            if pen[k]:
                assert chain.band_probabilities(s)["penalty"] == pytest.approx(1, abs=1e-15)
            if bon[k]:
                assert chain.band_probabilities(s)["bonus"] == pytest.approx(1, abs=1e-15)


class TestRemainingReadyAndBands:
    @pytest.mark.parametrize("policy", FLOAT_CASES)
    def test_remaining_ready_from_B_and_from_N(self, policy):
        chain = AbsorbingChain(policy)
        T = policy.review_period
        N, B = dense_reference(chain)
        p = np.array([ref_F(policy.problem.demand, policy.stock_at(i, v))
                      for i, v in all_states(T)[: chain.n_transient]])
        for k, (i, v) in enumerate(all_states(T)[: chain.n_transient]):
            rr = chain.remaining_ready((i, v))
            w = np.arange(T + 1) - v
            mean = B[k] @ w
            assert rr["mean"] == pytest.approx(mean, abs=1e-12)
            # expected ready periods to come = sum of visit probabilities times F
            assert rr["mean"] == pytest.approx(N[k] @ p, abs=1e-12)
            assert rr["variance"] == pytest.approx(B[k] @ (w - mean) ** 2, abs=1e-12)
        for v in range(T + 1):
            assert chain.remaining_ready((T + 1, v)) == {"mean": 0.0, "variance": 0.0}

    @pytest.mark.parametrize("policy", FLOAT_CASES)
    def test_band_probabilities(self, policy):
        chain = AbsorbingChain(policy)
        c = policy.problem.contract
        T = c.review_period
        v = np.arange(T + 1)
        pen_band = np.array([x < T * c.penalty_threshold for x in v])
        bon_band = np.array([x >= T * c.bonus_threshold for x in v])
        for s in all_states(T):
            bands = chain.band_probabilities(s)
            pmf = chain.absorption(s)
            assert sum(bands.values()) == pytest.approx(1, abs=1e-12)
            assert bands["penalty"] == pytest.approx(pmf[pen_band].sum(), abs=1e-15)
            assert bands["bonus"] == pytest.approx(pmf[bon_band].sum(), abs=1e-15)

    def test_exact_bands_sum_to_one(self):
        chain = AbsorbingChain(exact_dynamic(5, LINEAR).policy)
        for s in all_states(5)[: chain.n_transient]:
            assert sum(chain.band_probabilities(s).values()) == 1


class TestExactMode:
    def test_matrices_are_fractions_with_rows_summing_to_one(self):
        chain = AbsorbingChain(exact_dynamic(5).policy)
        N, B = chain.matrices(dense=True)
        assert N.dtype == object and B.dtype == object
        assert all(type(x) is Fraction for x in N.ravel())
        assert all(type(x) is Fraction for x in B.ravel())
        assert all(sum(row) == 1 for row in B)
        P = chain.dense_canonical()
        assert all(type(x) is Fraction for x in P.ravel())
        assert all(sum(row) == 1 for row in P)

    def test_row_queries_are_fractions(self):
        chain = AbsorbingChain(exact_dynamic(4).policy)
        rows = [chain.visits((2, 1)), chain.absorption((2, 1)), chain.absorption((5, 2))]
        assert all(type(x) is Fraction for row in rows for x in row)

    def test_exact_rows_are_exact_and_sum_to_one(self):
        sol = exact_dynamic(5, LINEAR, Empirical(["1/3", "1/6", "1/2"]), "1/5")
        chain = AbsorbingChain(sol.policy)
        N, B = chain.matrices(dense=True)
        for k, s in enumerate(all_states(5)):
            b = chain.absorption(s)
            assert all(isinstance(x, (int, Fraction)) for x in b)
            assert sum(b) == 1
            if k < chain.n_transient:
                assert b.tolist() == B[k].tolist()
                assert chain.visits(s).tolist() == N[k].tolist()

    def test_exact_agrees_with_float(self):
        sol = exact_dynamic(6, LINEAR)
        ex = AbsorbingChain(sol.policy)
        fl = AbsorbingChain(Policy(sol.problem, sol.policy.stock))
        for a, b in zip(ex.matrices(dense=True), fl.matrices(dense=True)):
            np.testing.assert_allclose(a.astype(float), b, rtol=0, atol=1e-14)

    def test_exact_canonical_matches_independent_build(self):
        sol = exact_dynamic(4, LINEAR, Empirical(["1/7", "2/7", "4/7"]))
        P = AbsorbingChain(sol.policy).dense_canonical()
        assert P.tolist() == reference_canonical(sol.policy, exact=True)

    def test_sparse_matrices_refused_in_exact_mode(self):
        chain = AbsorbingChain(exact_dynamic(3).policy)
        for name in ("Q", "R", "P"):
            with pytest.raises(ChainError, match="exact"):
                getattr(chain, name)


class TestStates:
    @pytest.mark.parametrize("T", [1, 2, 5, 13])
    def test_index_state_round_trip(self, T):
        chain = AbsorbingChain(Policy.constant(Problem(Contract.study(T), Poisson(5), 1), 5))
        states = all_states(T)
        assert [chain.state(k) for k in range(chain.n_states)] == states
        assert [chain.index(i, v) for i, v in states] == list(range(chain.n_states))
        assert chain.index(T + 1, 0) == chain.n_transient

    def test_states_table(self):
        T = 6
        sol = solve_dynamic(Problem(Contract.study(T), Poisson(5), 0.5))
        chain = AbsorbingChain(sol.policy)
        tab = chain.states()
        assert set(tab) == {"index", "stage", "ready_count", "stock_on_hand", "stock", "kind"}
        n, t = chain.n_states, chain.n_transient
        assert all(len(col) == n for col in tab.values())
        np.testing.assert_array_equal(tab["index"], np.arange(n))
        assert list(zip(tab["stage"].tolist(), tab["ready_count"].tolist())) == all_states(T)
        assert (tab["kind"] == "transient").sum() == t == T * (T + 1) // 2
        assert (tab["kind"] == "absorbing").sum() == T + 1
        assert np.all(tab["kind"][:t] == "transient") and np.all(tab["kind"][t:] == "absorbing")
        np.testing.assert_array_equal(tab["stock"][:t], [sol.policy.stock_at(*s) for s in all_states(T)[:t]])
        assert np.all(np.isnan(tab["stock"][t:]))

    def test_write_states_csv_discrete(self, tmp_path):
        T = 5
        sol = solve_dynamic(Problem(Contract.study(T, LINEAR), Poisson(5), 1))
        chain = AbsorbingChain(sol.policy)
        path = tmp_path / "states.csv"
        chain.write_states_csv(path)
        text = path.read_text(encoding="utf-8")
        assert text.endswith("\n")
        rows = list(csv.reader(text.splitlines()))
        assert rows[0] == ["index", "stage", "ready_count", "stock", "kind", "stock_on_hand"]
        body = rows[1:]
        assert len(body) == chain.n_states
        t = chain.n_transient
        for k, (row, (i, v)) in enumerate(zip(body, all_states(T))):
            assert row[:3] == [str(k), str(i), str(v)]
            if k < t:
                assert row[3:] == [str(sol.policy.stock_at(i, v)), "transient", "0"]
            else:
                assert row[3:] == ["", "absorbing", ""]
        assert sum(r[4] == "transient" for r in body) == t
        assert sum(r[4] == "absorbing" for r in body) == T + 1
        assert [f.name for f in tmp_path.iterdir()] == ["states.csv"]  # no temporary left behind

    def test_write_states_csv_continuous_round_trips_floats(self, tmp_path):
        sol = solve_dynamic(Problem(linear(3, "1/2", "2/3", 10, 6), ContinuousUniform(0, 4), "1/2"))
        chain = AbsorbingChain(sol.policy)
        path = tmp_path / "states.csv"
        chain.write_states_csv(path)
        body = list(csv.reader(path.read_text().splitlines()))[1:]
        stocks = [float(r[3]) for r in body[: chain.n_transient]]
        assert stocks == sol.policy.stock.tolist()  # %.17g round-trips float64
        assert [r[3] for r in body[chain.n_transient :]] == [""] * 4

    def test_repr(self):
        chain = AbsorbingChain(Policy.constant(Problem(Contract.study(3), Poisson(5), 1), 6))
        assert repr(chain) == "AbsorbingChain(T=3, transient=6, absorbing=4, policy='static')"


# ---------------------------------------------------------------------------------------------
# memory guard and bad input
# ---------------------------------------------------------------------------------------------


class TestMemoryGuard:
    T = 200

    @pytest.fixture(scope="class")
    @classmethod
    def big(cls):
        prob = Problem(Contract.study(cls.T), Poisson(5), 1)
        return AbsorbingChain(Policy.constant(prob, 6), max_bytes=1 << 20)

    def test_B_alone_needs_no_N(self, big):
        t = big.n_transient
        need = t * (self.T + 1) * 8  # B only: the backward recursion never holds N
        with pytest.raises(ChainSizeError, match=f"a dense B for T = 200 needs {need / 2**30:.3g} GiB"):
            big.absorption_matrix()
        AbsorbingChain(big.policy, max_bytes=need).absorption_matrix()
        with pytest.raises(ChainSizeError):
            AbsorbingChain(big.policy, max_bytes=need - 1).absorption_matrix()

    @pytest.mark.parametrize("method", ["fundamental_matrix", "matrices"])
    def test_dense_N_and_B_refused_with_needed_size(self, big, method):
        t = big.n_transient
        need = t * t * 8 + (t * (self.T + 1) * 8 if method == "matrices" else 0)
        with pytest.raises(ChainSizeError) as info:
            getattr(big, method)(dense=True)
        assert isinstance(info.value, ChainError)
        assert isinstance(info.value, MemoryError)
        assert isinstance(info.value, SlamarkovError)
        msg = str(info.value)
        assert f"{need / 2**30:.3g} GiB" in msg and "dense N" in msg
        assert "T = 200" in msg and "max_bytes" in msg

    def test_sparse_N_guard_counts_its_non_zeros(self, big):
        T, t = self.T, big.n_transient
        nnz = sum(i * (T - i + 1) * (T - i + 2) // 2 for i in range(1, T + 1))  # reachable pairs
        need = nnz * 12 + (t + 1) * 4  # float64 values, int32 column indices and row pointers
        with pytest.raises(ChainSizeError) as info:
            big.fundamental_matrix()
        assert f"{nnz:,} non-zeros" in str(info.value)
        assert f"{need / 2**30:.3g} GiB" in str(info.value)
        N = AbsorbingChain(big.policy, max_bytes=need).fundamental_matrix()
        assert N.data.nbytes + N.indices.nbytes + N.indptr.nbytes <= need
        with pytest.raises(ChainSizeError):
            AbsorbingChain(big.policy, max_bytes=need - 1).fundamental_matrix()

    def test_dense_canonical_refused(self, big):
        n = big.n_states
        with pytest.raises(ChainSizeError, match=f"{n * n * 8 / 2**30:.3g} GiB"):
            big.dense_canonical()

    def test_row_queries_still_work(self, big):
        T = self.T
        q = stats.poisson.cdf(6, 5)
        np.testing.assert_allclose(big.absorption(), stats.binom.pmf(np.arange(T + 1), T, q),
                                   rtol=0, atol=1e-12)
        row = big.visits((3, 1))
        assert row.shape == (big.n_transient,)
        assert row.sum() == pytest.approx(T - 2, abs=1e-9)
        assert big.ready_rate().mean == pytest.approx(q, abs=1e-12)
        assert big.expected_visits(np.ones(big.n_transient, bool)) == pytest.approx(T, abs=1e-9)
        mean, var = big.cost_moments()
        assert mean == pytest.approx(big.cost_decomposition()["total"], rel=1e-12)
        assert big.Q.shape == (big.n_transient, big.n_transient)  # sparse needs no guard

    def test_guard_boundary_is_exact(self):
        T = 3
        t = 6
        need = (t * t + t * (T + 1)) * 8
        pol = Policy.constant(Problem(Contract.study(T), Poisson(5), 1), 6)
        AbsorbingChain(pol, max_bytes=need).matrices(dense=True)
        with pytest.raises(ChainSizeError):
            AbsorbingChain(pol, max_bytes=need - 1).matrices(dense=True)


class TestBadInput:
    @pytest.fixture
    def chain(self):
        return AbsorbingChain(Policy.constant(Problem(Contract.study(3), Poisson(5), 1), 6))

    @pytest.mark.parametrize(
        "start", [(0, 0), (1, 1), (2, 2), (3, -1), (4, 4), (5, 0), (-1, 0), (1.0, 0), (2, 0.5)]
    )
    @pytest.mark.parametrize(
        "method", ["visits", "absorption", "ready_rate", "band_probabilities", "visit_variance",
                   "remaining_ready", "cost_decomposition", "cost_moments"],
    )
    def test_start_outside_chain(self, chain, method, start):
        with pytest.raises(ChainError, match="state"):
            getattr(chain, method)(start)

    @pytest.mark.parametrize("start", [3, None, (1,), (1, 0, 0)])
    def test_start_not_a_pair(self, chain, start):
        with pytest.raises(ChainError, match="start"):
            chain.absorption(start)

    def test_start_of_strings(self, chain):
        with pytest.raises(ChainError, match="state"):
            chain.absorption("ab")  # unpacks to ("a", "b"): a pair, but not of integers

    def test_expected_visits_bad_start(self, chain):
        with pytest.raises(ChainError):
            chain.expected_visits(np.ones(6, bool), start=(4, 4))

    @pytest.mark.parametrize("mask", [np.ones(5, bool), np.ones(7, bool), np.ones((2, 3), bool), []])
    def test_mask_wrong_shape(self, chain, mask):
        with pytest.raises(ChainError, match="t = 6"):
            chain.expected_visits(mask)

    @pytest.mark.parametrize("i, v", [(0, 0), (1, 1), (5, 0), (4, 4), (2, -1)])
    def test_index_outside_chain(self, chain, i, v):
        with pytest.raises(ChainError):
            chain.index(i, v)

    @pytest.mark.parametrize("k", [-1, 10, 100])
    def test_state_index_out_of_range(self, chain, k):
        with pytest.raises(ChainError, match="0..9"):
            chain.state(k)

    def test_not_a_policy(self):
        with pytest.raises(ChainError, match="policy"):
            AbsorbingChain([[1], [1, 1]])


# ---------------------------------------------------------------------------------------------
# property tests on random small problems
# ---------------------------------------------------------------------------------------------


@st.composite
def problems(draw, rational=False, max_T=8, max_support=7):
    T = draw(st.integers(1, max_T))
    scheme = draw(st.sampled_from(SCHEMES))
    den = draw(st.integers(1, 12))
    a = draw(st.integers(0, den))
    b = draw(st.integers(a, den))
    contract = Contract(T, Fraction(a, den), Fraction(b, den), scheme,
                        penalty=draw(st.integers(0, 60)), bonus=draw(st.integers(0, 40)))
    kinds = ["discrete-uniform", "empirical"] + ([] if rational else ["poisson"])
    kind = draw(st.sampled_from(kinds))
    if kind == "poisson":
        demand = Poisson(Fraction(draw(st.integers(1, 16)), 2))
        h = Fraction(draw(st.integers(1, 8)), draw(st.integers(1, 4)))
    else:
        if kind == "discrete-uniform":
            low = draw(st.integers(0, 3))
            demand = DiscreteUniform(low, low + draw(st.integers(0, max_support - 1)))
        else:
            w = draw(st.lists(st.integers(0, 6), min_size=1, max_size=max_support)
                     .filter(lambda w: sum(w) > 0))
            demand = Empirical([Fraction(x, sum(w)) for x in w])
        h = Fraction(draw(st.integers(0, 8)), draw(st.integers(1, 4)))
    return Problem(contract, demand, h)


@st.composite
def policies(draw, rational=False, exact=False, max_T=8, max_support=7):
    """A dynamic, static or random user policy for a random problem."""
    prob = draw(problems(rational=rational or exact, max_T=max_T, max_support=max_support))
    kind = draw(st.sampled_from(["dynamic", "static", "user"]))
    if kind == "dynamic":
        return solve_dynamic(prob, exact=exact, keep_values=True).policy
    if kind == "static":
        return solve_static(prob, exact=exact).policy
    T = prob.review_period
    stock = draw(st.lists(st.integers(0, 9), min_size=T * (T + 1) // 2, max_size=T * (T + 1) // 2))
    return Policy(prob, np.array(stock), exact=exact)


PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class TestProperties:
    @PROPERTY
    @given(policies(exact=True, max_T=6))
    def test_backward_B_exact_equals_exact_solve(self, policy):
        chain = AbsorbingChain(policy)
        t = chain.n_transient
        B = chain.absorption_matrix()
        assert B.tolist() == exact_solve_B(policy)
        assert all(sum(row) == 1 for row in B)
        np.testing.assert_allclose(AbsorbingChain(Policy(policy.problem, policy.stock)).absorption_matrix(),
                                   B.astype(float), rtol=0, atol=1e-14)
        assert B.shape == (t, policy.review_period + 1)

    @PROPERTY
    @given(policies())
    def test_float_invariants(self, policy):
        chain = AbsorbingChain(policy)
        T, t = policy.review_period, chain.n_transient
        N_ref, B_ref = dense_reference(chain)
        N, B = chain.matrices(dense=True)
        np.testing.assert_allclose(chain.dense_canonical(), reference_canonical(policy), rtol=0, atol=1e-15)
        np.testing.assert_allclose(N, N_ref, rtol=0, atol=1e-11)
        np.testing.assert_allclose(B, B_ref, rtol=0, atol=1e-11)
        np.testing.assert_allclose(B.sum(axis=1), 1, rtol=0, atol=1e-12)
        assert np.all(np.diag(N) == 1)
        rows = np.asarray(chain.Q.sum(axis=1)).ravel() + np.asarray(chain.R.sum(axis=1)).ravel()
        np.testing.assert_allclose(rows, 1, rtol=0, atol=1e-15)
        W = evaluate_policy(policy)
        p = chain.policy.success()
        for k, s in enumerate(all_states(T)):
            b = chain.absorption(s)
            np.testing.assert_allclose(b, policy.ready_count(s).pmf, rtol=0, atol=1e-12)
            assert sum(chain.band_probabilities(s).values()) == pytest.approx(1, abs=1e-12)
            assert chain.cost_decomposition(s)["total"] == pytest.approx(W[s], abs=1e-8)
            mean, var = chain.cost_moments(s)
            assert mean == pytest.approx(W[s], abs=1e-8) and var >= 0
            if k < t:
                row = chain.visits(s)
                np.testing.assert_allclose(row, N[k], rtol=0, atol=1e-12)
                np.testing.assert_allclose(b, B[k], rtol=0, atol=1e-12)
                np.testing.assert_allclose(chain.visit_variance(s), N[k] - N[k] ** 2, rtol=0, atol=1e-12)
                assert chain.expected_visits(np.ones(t, bool), s) == pytest.approx(T - s[0] + 1, abs=1e-12)
                assert chain.remaining_ready(s)["mean"] == pytest.approx(N[k] @ p, abs=1e-12)
            else:
                assert not chain.visits(s).any()
                assert b.tolist() == np.eye(T + 1)[s[1]].tolist()
        if policy.kind == "static":
            q = ref_F(policy.problem.demand, policy.stock_at(1, 0))
            np.testing.assert_allclose(B[0], stats.binom.pmf(np.arange(T + 1), T, q), rtol=0, atol=1e-12)

    @PROPERTY
    @given(policies(exact=True, max_T=6))
    def test_exact_invariants(self, policy):
        chain = AbsorbingChain(policy)
        T, t = policy.review_period, chain.n_transient
        N, B = chain.matrices(dense=True)
        assert chain.dense_canonical().tolist() == reference_canonical(policy, exact=True)
        assert all(type(x) is Fraction for x in N.ravel())
        assert all(sum(row) == 1 for row in B)
        W = evaluate_policy(policy, exact=True)
        for k, s in enumerate(all_states(T)):
            b = chain.absorption(s)
            assert sum(b) == 1
            assert chain.cost_decomposition(s)["total"] == W[s]
            assert chain.cost_moments(s)[0] == W[s]
            if k < t:
                assert b.tolist() == B[k].tolist()
                assert chain.visits(s).tolist() == N[k].tolist()
        flt = AbsorbingChain(Policy(policy.problem, policy.stock))
        for a, f in zip((N, B), flt.matrices(dense=True)):
            np.testing.assert_allclose(a.astype(float), f, rtol=0, atol=1e-12)

    @settings(max_examples=15, deadline=None)
    @given(policies(exact=True, max_T=4))
    def test_sympy_peer(self, policy):
        chain = AbsorbingChain(policy)
        X, A, rec, tra = TestSympyPeer.peer(chain)
        t = chain.n_transient
        assert sorted(rec) == list(range(t, chain.n_states))
        N, B = chain.matrices(dense=True)
        Ns, Bs = X.fundamental_matrix(), X.absorbing_probabilities()
        for a in range(t):
            for c in range(t):
                assert Ns[a, c] == sympy.Rational(Fraction(N[tra[a], tra[c]]).numerator,
                                                  Fraction(N[tra[a], tra[c]]).denominator)
            for c in range(len(rec)):
                x = Fraction(B[tra[a], rec[c] - t])
                assert Bs[a, c] == sympy.Rational(x.numerator, x.denominator)

    @settings(max_examples=25, deadline=None)
    @given(policies(exact=True, max_T=4, max_support=4))
    def test_cost_variance_by_enumeration(self, policy):
        chain = AbsorbingChain(policy)
        assert chain.cost_moments() == brute_cost(policy)
        T = policy.review_period
        mid = (T // 2 + 1, T // 4)
        assert chain.cost_moments(mid) == brute_cost(policy, mid)
