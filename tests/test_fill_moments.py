"""The every-start moments, N and B of a fill-rate chain against brute force over every demand
path (docs/model.md section 14).

The brute force here shares nothing with the chain: from a state (i, D, F, x) it walks every
demand path of the periods still to come with Fractions, reads each period's order from the
policy's table (``policy.stock`` at the state's coordinates), and records what the path does:
the states it visits, its ready periods (d <= y), the units it fills and demands, its costs
and its final (D, F). For T <= 4 and small finite supports the exact chain must equal it, from
every transient state, for both leftover rules, both schemes, the optimal and random policies.
"""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slamarkov import Contract, DiscreteUniform, Empirical, Policy, Problem
from slamarkov.chain.absorbing import AbsorbingChain
from slamarkov.solve.fill import solve_fill_dynamic, solve_fill_static
from test_cli_fill import FILL as FILL_TOML  # the CLI tests' contract file


def settle(contract, F, D):
    fr = Fraction(1) if D == 0 else Fraction(F, D)
    aL, aU = contract.penalty_threshold, contract.bonus_threshold
    if contract.scheme == "lump-sum":
        return contract.penalty * (fr < aL) - contract.bonus * (fr >= aU)
    return contract.penalty * max(aL - fr, 0) - contract.bonus * max(fr - aU, 0)


class Paths:
    """Every demand path from each transient state of a policy's chain, walked once."""

    def __init__(self, policy):
        self.policy = policy
        self.p = p = policy.problem
        self.T = p.review_period
        self.carry = p.carries
        u = int(p.demand.upper)
        Fc, _ = p.demand.table(u, exact=True)
        self.pmf = [Fc[0]] + [Fc[k] - Fc[k - 1] for k in range(1, u + 1)]
        i, D, F, x = policy.space.coordinates()
        self.keys = list(zip(i.tolist(), D.tolist(), F.tolist(), x.tolist()))
        self.order = {k: int(y) for k, y in zip(self.keys, np.asarray(policy.stock).tolist())}
        self.flat = {k: n for n, k in enumerate(self.keys)}

    def walk(self, state):
        """(probability, record) of every path from ``state`` = (i, D, F, x)."""
        i0, D0, F0, x0 = state
        p = self.p
        support = [d for d, pd in enumerate(self.pmf) if pd]
        for path in itertools.product(support, repeat=self.T - i0 + 1):
            prob = Fraction(1)
            D, F, x = D0, F0, x0
            rec = dict(visits=[], ready=0, filled=0, demanded=0, holding=Fraction(0),
                       purchase=Fraction(0))
            for i, d in enumerate(path, start=i0):
                key = (i, D, F, x)
                y = self.order[key]
                rec["visits"].append(self.flat[key])
                prob *= self.pmf[d]
                rec["ready"] += d <= y
                rec["filled"] += min(d, y)
                rec["demanded"] += d
                rec["holding"] += p.holding_cost * max(y - d, 0)
                rec["purchase"] += p.purchase_cost * (max(y - x, 0) + max(d - y, 0))
                D, F = D + d, F + min(d, y)
                x = max(y - d, 0) if self.carry else 0
            if self.carry:
                rec["purchase"] -= p.salvage_value * x
            rec["settlement"] = settle(p.contract, F, D)
            rec["total"] = rec["holding"] + rec["purchase"] + rec["settlement"]
            rec["final"] = D * (D + 1) // 2 + F
            yield prob, rec

    def moments(self, state, value):
        """(mean, variance) of ``value(record)`` over the paths from ``state``."""
        m1 = m2 = Fraction(0)
        for prob, rec in self.walk(state):
            v = value(rec)
            m1 += prob * v
            m2 += prob * v * v
        return m1, m2 - m1 * m1


CASES = [
    # (T, demand, leftover, scheme, thresholds, amounts, h, c, s, x0, K)
    (3, DiscreteUniform(0, 2), "discard", "lump-sum", ("0.6", "0.9"), (10, 3), 1, 0, 0, 0, 2),
    (3, Empirical(["1/4", "1/2", "1/4"]), "discard", "linear", ("0.7", "0.9"), (30, 20), "1/2",
     1, 0, 1, 2),
    (4, DiscreteUniform(0, 1), "discard", "lump-sum", ("0.75", "0.75"), (9, 4), "1/2", 0, 0, 0,
     1),
    (3, DiscreteUniform(0, 2), "carry", "lump-sum", ("0.8", "1"), (10, 3), 1, 1, "1/2", 1, 2),
    (3, Empirical(["1/3", "1/6", "1/2"]), "carry", "linear", ("0.6", "0.9"), (25, 15), "1/2",
     "1/2", "1/4", 0, 2),
]
IDS = [f"T{c[0]}-{c[2]}-{c[3]}" for c in CASES]


def problem_of(case):
    T, demand, leftover, scheme, (aL, aU), (Lm, Lp), h, c, s, x0, K = case
    contract = Contract(T, aL, aU, scheme, penalty=Lm, bonus=Lp, measure="fill-rate")
    return Problem(contract, demand, h, purchase_cost=c, salvage_value=s, leftover=leftover,
                   initial_stock=x0), K


def random_policy(problem, K, seed, exact=True):
    """Orders drawn at random in every state (y >= x with carry)."""
    from slamarkov.chain.space import StateSpace

    space = StateSpace.for_problem(problem, K)
    x = space.coordinates()[-1]
    rng = random.Random(seed)
    lo = x if problem.carries else np.zeros_like(x)
    stock = np.array([rng.randint(int(a), K) for a in lo.tolist()], dtype=np.int64)
    return Policy(problem, stock, exact=exact, max_stock=K if problem.carries else None)


def policies(case):
    problem, K = problem_of(case)
    dyn = solve_fill_dynamic(problem, max_stock=K, exact=True).policy
    sta = solve_fill_static(problem, max_stock=K, exact=True).policy
    return [dyn, sta, random_policy(problem, K, 7)]


@pytest.fixture(scope="module", params=range(len(CASES)), ids=IDS)
def chains(request):
    return [(AbsorbingChain(p), Paths(p)) for p in policies(CASES[request.param])]


def states_of(chain):
    """Every transient state as (i, D, F, x) and as the chain's start tuple."""
    i, D, F, x = chain.space.coordinates()
    for k, s in enumerate(zip(i.tolist(), D.tolist(), F.tolist(), x.tolist())):
        yield k, s, (s if chain.space.carry else s[:3])


def test_visit_moments_every_state(chains):
    for chain, paths in chains:
        m = chain.visit_moments()
        for k, s, _ in states_of(chain):
            assert (m["mean"][k], m["variance"][k]) == paths.moments(s, lambda r: len(r["visits"]))


def test_visit_moments_callable_sees_demanded_filled_and_order(chains):
    seen = []

    def short_or_empty(i, D, F, stock):
        seen.append((D.shape == F.shape == stock.shape, bool((F <= D).all())))
        return (F < D) | (stock == 0)

    for chain, paths in chains:
        m = chain.visit_moments(short_or_empty)
        idx = {k: s for k, s, _ in states_of(chain)}

        def count(rec):
            return sum(1 for k in rec["visits"] if idx[k][2] < idx[k][1]
                       or paths.order[idx[k]] == 0)

        for k, s, _ in states_of(chain):
            assert (m["mean"][k], m["variance"][k]) == paths.moments(s, count)
    assert set(seen) == {(True, True)}


def test_visit_moments_callable_with_stock_on_hand(chains):
    for chain, paths in chains:
        if not chain.space.carry:
            continue
        m = chain.visit_moments(lambda i, D, F, stock, x: (x > 0) & (stock > x))
        idx = {k: s for k, s, _ in states_of(chain)}

        def count(rec):
            return sum(1 for k in rec["visits"]
                       if idx[k][3] > 0 and paths.order[idx[k]] > idx[k][3])

        for k, s, _ in states_of(chain):
            assert (m["mean"][k], m["variance"][k]) == paths.moments(s, count)


def test_expected_visits_callable_matches_visit_moments(chains):
    for chain, _ in chains:
        m = chain.visit_moments(lambda i, D, F, stock: F == D)
        for k, _, start in states_of(chain):
            assert chain.expected_visits(lambda i, D, F, stock: F == D, start) == m["mean"][k]


def test_callable_of_the_wrong_shape_is_refused():
    from slamarkov.errors import ChainError

    chain = AbsorbingChain(policies(CASES[0])[0])
    with pytest.raises(ChainError, match=r"states: .*\(i, D, F, stock\)"):
        chain.visit_moments(lambda i, v, s: s == 0)


def test_remaining_ready_moments_count_periods_with_d_at_most_y(chains):
    for chain, paths in chains:
        m = chain.remaining_ready_moments()
        for k, s, _ in states_of(chain):
            assert (m["mean"][k], m["variance"][k]) == paths.moments(s, lambda r: r["ready"])


def test_cost_components_every_state(chains):
    for chain, paths in chains:
        for k, s, start in states_of(chain):
            parts = chain.cost_components(start)
            p = chain.policy.problem
            priced = chain.policy.carries or p.purchase_cost or p.salvage_value \
                or p.initial_stock  # as the ready count's kernels give the parts
            assert sorted(parts) == ["holding"] + ["purchase"] * bool(priced) + ["settlement",
                                                                                 "total"]
            for part, got in parts.items():
                assert got == paths.moments(s, lambda r: r[part]), (part, s)
        start = next(states_of(chain))[2]
        assert chain.cost_moments(start) == paths.moments(next(states_of(chain))[1],
                                                          lambda r: r["total"])


def test_rows_of_N_and_B(chains):
    for chain, paths in chains:
        N, B = chain.matrices(dense=True)
        for k, s, _ in states_of(chain):
            reach = np.full(chain.n_transient, Fraction(0), dtype=object)
            final = np.full(chain.n_absorbing, Fraction(0), dtype=object)
            for prob, rec in paths.walk(s):
                reach[rec["visits"]] += prob  # a path visits a state at most once
                final[rec["final"]] += prob
            assert N[k].tolist() == reach.tolist()
            assert B[k].tolist() == final.tolist()
            assert chain.visits(chain.state(k)).tolist() == reach.tolist()


def test_remaining_filled_and_demanded_every_state(chains):
    for chain, paths in chains:
        filled, demanded = chain.remaining_filled_moments(), chain.remaining_demanded_moments()
        for k, s, start in states_of(chain):
            want_f = paths.moments(s, lambda r: r["filled"])
            want_d = paths.moments(s, lambda r: r["demanded"])
            assert (filled["mean"][k], filled["variance"][k]) == want_f
            assert (demanded["mean"][k], demanded["variance"][k]) == want_d
            one_f, one_d = chain.remaining_filled(start), chain.remaining_demanded(start)
            assert (one_f["mean"], one_f["variance"]) == want_f
            assert (one_d["mean"], one_d["variance"]) == want_d
            ready = chain.remaining_ready(start)
            assert (ready["mean"], ready["variance"]) == paths.moments(s, lambda r: r["ready"])


def test_remaining_units_at_the_end_are_zero():
    chain = AbsorbingChain(policies(CASES[0])[0])
    end = (chain.T + 1, 4, 3)
    assert chain.remaining_filled(end) == {"mean": 0, "variance": 0}
    assert chain.remaining_demanded(end) == {"mean": 0, "variance": 0}
    assert chain.remaining_ready(end) == {"mean": 0, "variance": 0}


def test_remaining_units_refused_on_a_ready_rate_chain():
    from slamarkov.errors import ChainError

    prob = Problem(Contract(2, "0.5", 1), DiscreteUniform(0, 2), 1)
    chain = AbsorbingChain(Policy.constant(prob, 1))
    for call in (chain.remaining_filled, chain.remaining_demanded, chain.remaining_filled_moments,
                 chain.remaining_demanded_moments):
        with pytest.raises(ChainError, match="counts periods, not units"):
            call()


# -- the fast fill-rate kernel against the reference, on random problems -------------------------

def random_problems(n, seed):
    """(policy, exact) for random small fill-rate problems: finite support in both modes, and
    Poisson in float mode (where the cut drops transitions near the top of D)."""
    from slamarkov import Poisson

    rng = random.Random(seed)
    for k in range(n):
        T = rng.randint(1, 4)
        leftover = rng.choice(["discard", "carry"])
        scheme = rng.choice(["lump-sum", "linear"])
        if k % 3 == 2:
            demand, exact = Poisson(rng.choice([1, 2])), False
        else:
            u = rng.randint(1, 3)
            weights = [rng.randint(0 if j else 1, 4) for j in range(u + 1)]
            demand = Empirical([str(Fraction(w, sum(weights))) for w in weights])
            exact = rng.random() < 0.5
        contract = Contract(T, "0.5", "0.8", scheme, penalty=rng.randint(1, 9),
                            bonus=rng.randint(0, 5), measure="fill-rate")
        c = rng.choice([0, 1])
        problem = Problem(contract, demand, rng.choice([1, "1/2"]), purchase_cost=c,
                          salvage_value=rng.choice([0, c]), leftover=leftover,
                          initial_stock=rng.randint(0, 2))
        K = rng.randint(2, 4)
        yield random_policy(problem, K, rng.randint(0, 10**6), exact), exact


def close(a, b, exact):
    a, b = np.asarray(a), np.asarray(b)
    if exact:
        return a.shape == b.shape and a.tolist() == b.tolist()
    return a.shape == b.shape and np.allclose(a.astype(float), b.astype(float), rtol=0,
                                              atol=1e-12)


def test_fill_kernel_equals_the_reference_on_random_problems():
    from slamarkov.chain.kernels import FillKernel, Kernel, kernel_for

    for policy, exact in random_problems(36, 5):
        fast, ref = kernel_for(policy), Kernel(policy)
        assert isinstance(fast, FillKernel)
        space = policy.space
        rng = np.random.default_rng(3)
        nxt = rng.random((space.n_final, space.final_width, 2))
        if exact:
            nxt = np.vectorize(lambda v: Fraction(round(v * 16), 16), otypes=[object])(nxt)
        for i in range(space.T, 0, -1):
            assert close(fast.backward(i, nxt), ref.backward(i, nxt), exact)
            nxt = ref.backward(i, nxt)
        assert all(close(a, b, exact) for a, b in zip(fast.ready_moments(), ref.ready_moments()))
        starts = [space.start(tuple(int(c[k]) for c in space.coordinates())[:-1]
                              + ((int(space.coordinates()[-1][k]),) if space.carry else ()))
                  for k in sorted({0, space.n_transient // 2, space.n_transient - 1})]
        for pos in starts:
            layers_fast, layers_ref = [], []
            pmf_fast = fast.forward(pos, on_layer=lambda i, lo, m: layers_fast.append(m.copy()))
            pmf_ref = ref.forward(pos, on_layer=lambda i, lo, m: layers_ref.append(m.copy()))
            assert close(pmf_fast, pmf_ref, exact)
            assert all(close(a, b, exact) for a, b in zip(layers_fast, layers_ref))
            got, want = fast.cost_components(pos), ref.cost_components(pos)
            assert list(got) == list(want)
            for part in want:
                for a, b in zip(got[part], want[part]):
                    if exact:
                        assert a == b, part
                    else:  # the same sums in another order: equal to rounding
                        assert abs(a - b) <= 1e-12 * max(1.0, abs(b)), part
        if space.n_transient <= 120:  # the reference's dense N of Fractions is slow
            assert close(fast.absorption_matrix(1 << 30), ref.absorption_matrix(1 << 30), exact)
            assert close(fast.fundamental(True, 1 << 30), ref.fundamental(True, 1 << 30), exact)


# -- the ready rate and the bands on a fill-rate chain -------------------------------------------

def test_ready_rate_refused_on_a_fill_rate_chain_in_one_line():
    from slamarkov.errors import ChainError

    chain = AbsorbingChain(policies(CASES[0])[0])
    with pytest.raises(ChainError, match=r"^ready_rate: a fill-rate chain .*fill_rate\(start\)") \
            as err:
        chain.ready_rate()
    assert "\n" not in str(err.value)


def test_band_probabilities_are_the_fill_rate_bands(chains):
    for chain, paths in chains:
        for k, s, start in states_of(chain):
            want = {"penalty": Fraction(0), "neutral": Fraction(0), "bonus": Fraction(0)}
            c = chain.contract
            for prob, rec in paths.walk(s):
                D = int(np.floor((np.sqrt(8 * rec["final"] + 1) - 1) / 2))
                F = rec["final"] - D * (D + 1) // 2
                fr = Fraction(1) if D == 0 else Fraction(F, D)
                band = ("penalty" if fr < c.penalty_threshold else
                        "bonus" if fr >= c.bonus_threshold else "neutral")
                want[band] += prob
            assert chain.band_probabilities(start) == want
            dist = chain.fill_rate(start)
            assert want == {"penalty": dist.p_penalty, "neutral": dist.p_neutral,
                            "bonus": dist.p_bonus}
        assert chain.band_probabilities() == chain.band_probabilities(next(states_of(chain))[2])


def test_band_probabilities_float_with_the_cut():
    from slamarkov import Poisson, solve_dynamic

    sol = solve_dynamic(Problem(Contract.study(6, measure="fill-rate"), Poisson(5), 1),
                        max_stock=20)
    bands = sol.chain.band_probabilities()
    # the solver's forward pass and the chain's sum in different orders: equal to rounding
    assert abs(bands["penalty"] - sol.fill_rate.p_penalty) < 1e-14
    assert abs(bands["bonus"] - sol.fill_rate.p_bonus) < 1e-14
    assert abs(sum(bands.values()) - (1 - sol.truncated_mass)) < 1e-12


# -- chain --from I,D,F[,X] -----------------------------------------------------------------------

@pytest.mark.parametrize("leftover, start", [("discard", "2,2,1"), ("carry", "3,2,1,1"),
                                             ("discard", "4,3,2")])
def test_chain_from_prints_the_units_the_ready_periods_and_the_idle_periods(
        capsys, tmp_path, leftover, start):
    from slamarkov.cli import main
    from slamarkov.solve import solve_dynamic

    path = tmp_path / "fill.toml"
    path.write_text(FILL_TOML)
    assert main(["chain", str(path), "--from", start, "--exact", "--leftover", leftover]) == 0
    out = capsys.readouterr().out.splitlines()
    problem = Problem(Contract(3, "0.8", "0.9", penalty=12, bonus=5, measure="fill-rate"),
                      DiscreteUniform(0, 2), 1, leftover=leftover)
    chain = solve_dynamic(problem, max_stock=3, exact=True).chain
    state = tuple(int(v) for v in start.split(","))
    paths = Paths(chain.policy)
    if state[0] <= 3:
        s = state if len(state) == 4 else state + (0,)
        filled = paths.moments(s, lambda r: r["filled"])
        demanded = paths.moments(s, lambda r: r["demanded"])[0]
        ready = paths.moments(s, lambda r: r["ready"])
        zero = paths.moments(s, lambda r: sum(
            1 for k in r["visits"] if paths.order[paths.keys[k]] <= paths.keys[k][3]
            and (leftover == "carry" or paths.order[paths.keys[k]] == 0)))[0]
    else:
        filled, demanded, ready, zero = (0, 0), 0, (0, 0), 0

    def show(x, unit):
        x = Fraction(x)
        exact = f" (exact {x})" if x.denominator != 1 else ""
        return f"{float(x):.6g} {unit}{exact}"

    assert out[3] == (f"  units still to be filled: mean {show(filled[0], 'units')}, variance "
                      f"{show(filled[1], 'units^2')} (of mean {show(demanded, 'units')} still to "
                      "be demanded)")
    assert out[4] == (f"  ready periods still to come: mean {show(ready[0], 'periods')}, "
                      f"variance {show(ready[1], 'periods^2')}")
    assert out[5] == f"  expected periods still to spend stocking nothing: {show(zero, 'periods')}"
    assert out[6].startswith("  expected cost to the end of the review period: holding ")
    assert out[7].startswith("  probability of the demand paths cut (float mode): ")


# -- invariants on random problems (hypothesis) ---------------------------------------------------

@st.composite
def fill_policies(draw):
    """A random exact fill-rate problem (finite support: no cut) and a random policy on it."""
    T = draw(st.integers(1, 3))
    weights = draw(st.lists(st.integers(0, 4), min_size=2, max_size=3).filter(sum))
    demand = Empirical([str(Fraction(w, sum(weights))) for w in weights])
    scheme = draw(st.sampled_from(["lump-sum", "linear"]))
    contract = Contract(T, "0.5", "0.75", scheme, penalty=draw(st.integers(0, 9)),
                        bonus=draw(st.integers(0, 9)), measure="fill-rate")
    leftover = draw(st.sampled_from(["discard", "carry"]))
    problem = Problem(contract, demand, 1, leftover=leftover,
                      initial_stock=draw(st.integers(0, 2)))
    return random_policy(problem, draw(st.integers(2, 3)), draw(st.integers(0, 10**6)))


@settings(max_examples=40, deadline=None)
@given(fill_policies())
def test_units_invariants(policy):
    chain = AbsorbingChain(policy)
    i = chain.space.coordinates()[0]
    left = chain.T - i + 1  # periods still to come
    Fc, _ = policy.problem.demand.table(len(policy.space.score.pmf(True)) - 1, exact=True)
    pmf = [Fc[0]] + [Fc[k] - Fc[k - 1] for k in range(1, len(Fc))]
    mu = sum(d * p for d, p in enumerate(pmf))
    var = sum(d * d * p for d, p in enumerate(pmf)) - mu * mu
    demanded = chain.remaining_demanded_moments()
    filled = chain.remaining_filled_moments()
    ready = chain.remaining_ready_moments()
    visits = chain.visit_moments()
    # the demand does not depend on the policy: T - i + 1 independent periods
    assert demanded["mean"].tolist() == (left * mu).tolist()
    assert demanded["variance"].tolist() == (left * var).tolist()
    assert visits["mean"].tolist() == left.tolist() and not any(visits["variance"])
    assert all(0 <= f <= d for f, d in zip(filled["mean"], demanded["mean"]))
    assert all(0 <= r <= n for r, n in zip(ready["mean"], left))
    assert all(v >= 0 for m in (filled, ready) for v in m["variance"])
    bands = chain.band_probabilities()
    assert sum(bands.values()) == 1
