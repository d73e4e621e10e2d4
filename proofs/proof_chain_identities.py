r"""Identities of the absorbing chain of a policy, symbolically for T = 1..4.

**What this proves.** Give every transient state (i, v) its own symbolic success probability
:math:`p_{i,v}` (any policy gives some). Build Q and R as in docs/model.md section 6 and invert
:math:`I - Q` symbolically. Then, identically in the :math:`p_{i,v}`:

1. every row of :math:`B = N R` sums to 1;
2. :math:`N = (I - Q)^{-1}` equals the sum over paths: :math:`N_{s s'}` is the sum, over the
   ways of going from s to s' one stage at a time, of the products of the step probabilities
   (and also the finite sum :math:`\sum_{k<T} Q^k`, Q being nilpotent);
3. with a constant :math:`p`, the row (1, 0) of B is the Binomial(T, p) pmf;
4. the expected number of transient visits from (1, 0), the row sum of N, is T.

sympy.stats' own DiscreteMarkovChain, given the canonical P of a rational policy, gives the same
fundamental and absorption matrices (an independent implementation).

**Which solver it checks.** :class:`slamarkov.chain.AbsorbingChain`: ``dense_canonical``,
``Q``/``R`` (sparse, float), ``fundamental_matrix``, ``absorption_matrix``, ``matrices``,
``visits`` and ``absorption`` from every start state, and ``cost_decomposition`` against
:func:`slamarkov.solve_dynamic`'s :math:`V_1(0)`, by substituting an exact policy's
:math:`F(S_i(v))` into the symbolic matrices and comparing with ``==`` (floats to 1e-12).
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import sympy as sp
from sympy.stats import DiscreteMarkovChain

from slamarkov import LINEAR, LUMP_SUM, Contract, DiscreteUniform, Empirical, Policy, Problem, solve_dynamic
from slamarkov.chain import AbsorbingChain

# ---------------------------------------------------------------------------------------------
# 1. The symbolic chain
# ---------------------------------------------------------------------------------------------


def transient_states(T):
    return [(i, v) for i in range(1, T + 1) for v in range(i)]


def p_symbols(T):
    return {(i, v): sp.Symbol(f"p_{i}_{v}", positive=True) for i, v in transient_states(T)}


def canonical(T, p):
    """Q (t x t) and R (t x (T+1)) of docs/model.md section 6 for success probabilities p[(i, v)]."""
    states = transient_states(T)
    idx = {s: k for k, s in enumerate(states)}
    t = len(states)
    Q, R = sp.zeros(t, t), sp.zeros(t, T + 1)
    for (i, v), k in idx.items():
        if i < T:
            Q[k, idx[i + 1, v]] = 1 - p[i, v]
            Q[k, idx[i + 1, v + 1]] = p[i, v]
        else:
            R[k, v] = 1 - p[i, v]
            R[k, v + 1] = p[i, v]
    return Q, R


def fundamental(Q):
    # I - Q is unit upper triangular (every step goes one stage forward): LU needs no pivoting
    t = Q.shape[0]
    return (sp.eye(t) - Q).inv(method="LU")


def path_sum(T, p, start, end):
    """Sum over step sequences from start to end (end transient or absorbing) of the products."""
    (i0, v0), (i1, v1) = start, end
    steps = i1 - i0
    total = sp.Integer(0)
    for moves in itertools.product((0, 1), repeat=steps):
        if v0 + sum(moves) != v1:
            continue
        prob, v = sp.Integer(1), v0
        for i, m in zip(range(i0, i1), moves):
            prob *= p[i, v] if m else 1 - p[i, v]
            v += m
        total += prob
    return total


SYMBOLIC = {}
for _T in range(1, 5):
    _p = p_symbols(_T)
    _Q, _R = canonical(_T, _p)
    _N = fundamental(_Q)
    SYMBOLIC[_T] = {"p": _p, "Q": _Q, "R": _R, "N": _N, "B": _N * _R}


def check_rows_of_B_sum_to_one(T):
    B = SYMBOLIC[T]["B"]
    for r in range(B.shape[0]):
        assert sp.expand(sum(B.row(r))) == 1, f"T={T}: row {r} of B"


def check_N_is_the_path_sum(T):
    d = SYMBOLIC[T]
    states = transient_states(T)
    N, B, Q, p = d["N"], d["B"], d["Q"], d["p"]
    power_sum = sum((Q**k for k in range(T)), sp.zeros(*Q.shape))
    assert Q**T == sp.zeros(*Q.shape), "Q is nilpotent of order T"
    for (r, s), (c, s2) in itertools.product(enumerate(states), repeat=2):
        want = path_sum(T, p, s, s2) if s2[0] >= s[0] else 0
        assert sp.expand(N[r, c] - want) == 0, f"T={T}: N[{s}, {s2}]"
        assert sp.expand(power_sum[r, c] - want) == 0, f"T={T}: (sum Q^k)[{s}, {s2}]"
    for (r, s), v in itertools.product(enumerate(states), range(T + 1)):
        assert sp.expand(B[r, v] - path_sum(T, p, s, (T + 1, v))) == 0, f"T={T}: B[{s}, {v}]"


def check_constant_p_is_binomial(T):
    d = SYMBOLIC[T]
    q = sp.Symbol("q", positive=True)
    row = d["B"].row(0).xreplace({sym: q for sym in d["p"].values()})
    for v in range(T + 1):
        assert sp.expand(row[v] - sp.binomial(T, v) * q**v * (1 - q) ** (T - v)) == 0, (T, v)


def check_visits_from_start(T):
    N = SYMBOLIC[T]["N"]
    assert sp.expand(sum(N.row(0))) == T
    # stage by stage: the reach probabilities of each stage add to 1
    states = transient_states(T)
    for i in range(1, T + 1):
        cols = [k for k, s in enumerate(states) if s[0] == i]
        assert sp.expand(sum(N[0, k] for k in cols)) == 1, (T, i)


# ---------------------------------------------------------------------------------------------
# 2. The package's chain, against the symbolic matrices at an exact policy
# ---------------------------------------------------------------------------------------------


def _fr(x):
    return Fraction(int(sp.numer(x)), int(sp.denom(x)))


def _matrix(M):
    return [[_fr(x) for x in M.row(r)] for r in range(M.shape[0])]


def policies(T):
    """Exact policies: the dynamic optimum for two contracts, a static one and a ragged table."""
    demand = DiscreteUniform(0, 5)
    emp = Empirical(["1/6", "1/3", "1/4", "1/4"])
    out = []
    for scheme, dem in ((LUMP_SUM, demand), (LINEAR, emp)):
        c = Contract(T, "1/2", "3/4", scheme, penalty=20, bonus=9)
        out.append(solve_dynamic(Problem(c, dem, "1/2"), exact=True))
    prob = Problem(Contract(T, "1/2", "3/4", penalty=20, bonus=9), demand, 1)
    out.append(Policy.constant(prob, 3, exact=True))
    ragged = [(i * 7 + v * 3) % 6 for i, v in transient_states(T)]
    out.append(Policy(prob, np.array(ragged), exact=True))
    return out


def check_package_chain(T):
    d = SYMBOLIC[T]
    states = transient_states(T)
    for item in policies(T):
        policy = getattr(item, "policy", item)
        success = policy.success()
        sub = {d["p"][s]: sp.Rational(success[k].numerator, success[k].denominator)
               for k, s in enumerate(states)}
        Q, R, N, B = (d[name].xreplace(sub) for name in ("Q", "R", "N", "B"))
        chain = AbsorbingChain(policy)
        t = len(states)
        P = chain.dense_canonical()
        assert P[:t, :t].tolist() == _matrix(Q), f"T={T}: Q"
        assert P[:t, t:].tolist() == _matrix(R), f"T={T}: R"
        Nc, Bc = chain.matrices(dense=True)
        assert Nc.tolist() == _matrix(N), f"T={T}: N"
        assert Bc.tolist() == _matrix(B), f"T={T}: B"
        assert chain.fundamental_matrix(dense=True).tolist() == _matrix(N)
        assert chain.absorption_matrix().tolist() == _matrix(B)
        for k, s in enumerate(states):
            assert chain.visits(s).tolist() == _matrix(N)[k], f"T={T}: N row {s}"
            assert chain.absorption(s).tolist() == _matrix(B)[k], f"T={T}: B row {s}"
        # the float chain (sparse Q, R) to 1e-12
        fpol = Policy(policy.problem, policy.stock, exact=False)
        fchain = AbsorbingChain(fpol)
        Qf = np.array(_matrix(Q), dtype=float)
        Rf = np.array(_matrix(R), dtype=float)
        assert np.abs(fchain.Q.toarray() - Qf).max(initial=0) <= 1e-12
        assert np.abs(fchain.R.toarray() - Rf).max(initial=0) <= 1e-12
        assert np.abs(fchain.fundamental_matrix(dense=True) - np.array(_matrix(N), dtype=float)).max() <= 1e-12
        assert np.abs(fchain.absorption_matrix() - np.array(_matrix(B), dtype=float)).max() <= 1e-12
        # docs/model.md section 6: sum_s N[(1,0), s] h H(S_s) + sum_v B[(1,0), v] G(v) = V_1(0)
        if hasattr(item, "value_start"):
            hH = np.concatenate([policy.stage_holding(i) for i in range(1, T + 1)])
            G = policy.problem.contract.settlement(exact=True)
            total = sum(_fr(N[0, k]) * hH[k] for k in range(t)) + sum(_fr(B[0, v]) * G[v] for v in range(T + 1))
            assert total == item.value_start, f"T={T}: cost identity"
            assert chain.cost_decomposition()["total"] == item.value_start


def check_sympy_stats_agrees(T=3):
    """sympy.stats.DiscreteMarkovChain on the package's canonical P gives the same N and B."""
    policy = policies(T)[3]  # the ragged table
    P = AbsorbingChain(policy).dense_canonical()
    Ps = sp.Matrix([[sp.Rational(x.numerator, x.denominator) for x in row] for row in P])
    X = DiscreteMarkovChain("X", list(range(P.shape[0])), Ps)
    N, B = AbsorbingChain(policy).matrices(dense=True)
    t = N.shape[0]
    # sympy reorders the states: recurrent (absorbing) ones first, then the transient ones
    order = [int(s) for s in X.decompose()[0]]
    absorbing, transient = order[: T + 1], order[T + 1 :]
    assert sorted(transient) == list(range(t)) and sorted(absorbing) == list(range(t, t + T + 1))
    Ns, Bs = _matrix(X.fundamental_matrix()), _matrix(X.absorbing_probabilities())
    for r, s in enumerate(transient):
        for c, s2 in enumerate(transient):
            assert Ns[r][c] == N[s, s2], f"N[{s}, {s2}]"
        for c, s2 in enumerate(absorbing):
            assert Bs[r][c] == B[s, s2 - t], f"B[{s}, {s2 - t}]"


def test_rows_of_B_sum_to_one():
    for T in SYMBOLIC:
        check_rows_of_B_sum_to_one(T)


def test_N_is_the_sum_over_paths():
    for T in SYMBOLIC:
        check_N_is_the_path_sum(T)


def test_constant_success_gives_binomial():
    for T in SYMBOLIC:
        check_constant_p_is_binomial(T)


def test_expected_visits_from_start_is_T():
    for T in SYMBOLIC:
        check_visits_from_start(T)


def test_package_chain_equals_symbolic_chain():
    for T in SYMBOLIC:
        check_package_chain(T)


def test_sympy_stats_markov_chain_agrees():
    check_sympy_stats_agrees()
