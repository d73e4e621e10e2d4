"""Tests of slamarkov.solve: the dynamic DP (docs/model.md section 4) and the static policy (section 5).

Order: the exact reference values of docs/model.md section 9, the study's simulated rows (within
sampling error), then invariants and independent brute-force checks on random problems.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from slamarkov import (
    LINEAR,
    LUMP_SUM,
    SCHEMES,
    ContinuousUniform,
    Contract,
    DiscreteUniform,
    DiscretisedNormal,
    DynamicSolution,
    Empirical,
    Poisson,
    PolicyError,
    Problem,
    SolverError,
    StaticSolution,
    lower_envelope,
    solve_dynamic,
    solve_static,
)

# ---------------------------------------------------------------------------------------------
# independent helpers: nothing here calls the package's F, H, G or DP
# ---------------------------------------------------------------------------------------------


def settlement_of(contract):
    """G(v), v = 0..T, from docs/model.md section 2, in Fractions."""
    T, aL, aU = contract.review_period, contract.penalty_threshold, contract.bonus_threshold
    Lm, Lp = contract.penalty, contract.bonus
    out = []
    for v in range(T + 1):
        if contract.scheme == LUMP_SUM:
            g = (Lm if v < T * aL else 0) - (Lp if v >= T * aU else 0)
        else:
            g = Lm * max(aL - Fraction(v, T), 0) - Lp * max(Fraction(v, T) - aU, 0)
        out.append(Fraction(g))
    return out


def tables_from_pmf(pmf, smax):
    """F(S) = sum_{k<=S} p_k and H(S) = sum_{k<=S} (S - k) p_k, S = 0..smax, by direct summation."""
    pmf = list(pmf) + [0] * max(0, smax + 1 - len(pmf))
    F = [sum(pmf[: S + 1]) for S in range(smax + 1)]
    H = [sum((S - k) * pmf[k] for k in range(S + 1)) for S in range(smax + 1)]
    return F, H


def reference_pmf(demand, smax):
    """The demand's pmf on 0..smax from its parameters (Fractions when rational), not from F."""
    if isinstance(demand, Poisson):
        return list(stats.poisson.pmf(np.arange(smax + 1), float(demand.lam)))
    if isinstance(demand, DiscretisedNormal):
        mu, sigma = float(demand.mu), float(demand.sigma)
        edges = stats.norm.cdf((np.arange(1, smax + 2) - mu) / sigma)
        return list(np.diff(np.concatenate(([0.0], edges))))
    if isinstance(demand, DiscreteUniform):
        n = demand.high - demand.low + 1
        return [Fraction(1, n) if demand.low <= k <= demand.high else Fraction(0) for k in range(smax + 1)]
    if isinstance(demand, Empirical):
        return list(demand.pmf_exact)
    raise AssertionError(demand)


def brute_dp(problem, smax, exact):
    """Backward induction evaluating every S in 0..smax in every state, in the form
    V_i(v) = min_S { h H(S) + F(S) V_{i+1}(v+1) + (1 - F(S)) V_{i+1}(v) }, smallest S on ties.

    Returns (stocks, values, objectives) as dicts over states (i, v); objectives[(i, v)] is the list
    of the bracket over S.
    """
    T = problem.review_period
    F, H = tables_from_pmf(reference_pmf(problem.demand, smax), smax)
    G = settlement_of(problem.contract)
    h = problem.holding_cost
    if not exact:
        F, H, G, h = [float(x) for x in F], [float(x) for x in H], [float(x) for x in G], float(h)
    nxt = G
    stocks, values, objectives = {}, {}, {}
    for i in range(T, 0, -1):
        cur = []
        for v in range(i):
            obj = [h * H[S] + F[S] * nxt[v + 1] + (1 - F[S]) * nxt[v] for S in range(smax + 1)]
            best = min(range(smax + 1), key=lambda S: (obj[S], S))
            stocks[(i, v)], values[(i, v)], objectives[(i, v)] = best, obj[best], obj
            cur.append(obj[best])
        nxt = cur
    return stocks, values, objectives


def enumerate_paths(policy, F_of):
    """Every ready/short sequence of a review period: yields (probability, states, final count)."""
    T = policy.review_period
    for xs in itertools.product((0, 1), repeat=T):
        prob, v, states = 1, 0, []
        for i, x in enumerate(xs, start=1):
            S = policy.stock_at(i, v)
            states.append((i, v, S))
            q = F_of(S)
            prob = prob * (q if x else 1 - q)
            v += x
        yield prob, states, v


# ---------------------------------------------------------------------------------------------
# random problems for the property tests
# ---------------------------------------------------------------------------------------------


@st.composite
def contracts(draw, max_T=12):
    T = draw(st.integers(1, max_T))
    den = draw(st.integers(1, 20))
    a, b = sorted(draw(st.lists(st.integers(0, den), min_size=2, max_size=2)))
    scheme = draw(st.sampled_from(SCHEMES))
    scale = 1 if scheme == LUMP_SUM else 5  # linear amounts multiply a gap of at most 1
    Lm = draw(st.integers(0, 10 * scale)) * T
    Lp = draw(st.integers(0, 10 * scale)) * T
    return Contract(T, Fraction(a, den), Fraction(b, den), scheme, Lm, Lp)


@st.composite
def rational_demands(draw):
    if draw(st.booleans()):
        low = draw(st.integers(0, 4))
        return DiscreteUniform(low, low + draw(st.integers(0, 6)))
    weights = draw(st.lists(st.integers(0, 5), min_size=1, max_size=7).filter(lambda w: sum(w) > 0))
    total = sum(weights)
    return Empirical([Fraction(w, total) for w in weights])


@st.composite
def problems(draw, max_T=12, kinds=("poisson", "rational")):
    contract = draw(contracts(max_T))
    kind = draw(st.sampled_from(kinds))
    if kind == "poisson":
        demand = Poisson(draw(st.fractions(Fraction(1, 2), 8, max_denominator=4)))
        h = draw(st.fractions(Fraction(1, 10), 3, max_denominator=10))
    else:
        demand = draw(rational_demands())
        h = draw(st.fractions(0, 3, max_denominator=10))
    return Problem(contract, demand, h)


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def study_problem(scheme, h, T):
    return Problem(Contract.study(T, scheme), Poisson(5), h)


# ---------------------------------------------------------------------------------------------
# docs/model.md section 9: exact reference values
# ---------------------------------------------------------------------------------------------

EXACT_ROWS = [
    # scheme, h, T, dyn cost, dyn mean %, dyn SD %, dyn P(pen) %, dyn P(bon) %, static S*, static cost
    (LUMP_SUM, 0.5, 10, -1.201550, 89.6123, 2.4573, 0.1328, 96.2415, 8, -0.872010),
    (LUMP_SUM, 1, 30, 0.158242, 89.6130, 1.9160, 0.0154, 95.3702, 8, 0.572049),
    (LINEAR, 0.5, 10, 0.797917, 90.2491, 10.2135, 1.9147, 53.1807, 8, 0.894775),
    (LINEAR, 2, 90, 3.681887, 79.3909, 1.1327, 31.9589, 0.0000, 6, 4.049519),
]


class TestReferenceValues:
    """docs/model.md section 9, exact table; the page prints 6 decimals (cost) or 4 (percent), so the
    comparison is to half a unit in the last printed place (at most 5e-7 for the costs)."""

    @pytest.mark.parametrize("row", EXACT_ROWS, ids=lambda r: f"{r[0]}-h{r[1]}-T{r[2]}")
    def test_row(self, row):
        scheme, h, T, dcost, dmean, dsd, dpen, dbon, S_star, scost = row
        problem = study_problem(scheme, h, T)
        dyn = solve_dynamic(problem, max_stock=40)
        sta = solve_static(problem, max_stock=40)
        r = dyn.ready_rate
        assert dyn.cost_per_period == pytest.approx(dcost, abs=5e-7)
        assert 100 * r.mean == pytest.approx(dmean, abs=5e-5)
        assert 100 * r.sd == pytest.approx(dsd, abs=5e-5)
        assert 100 * r.p_penalty == pytest.approx(dpen, abs=5e-5)
        assert 100 * r.p_bonus == pytest.approx(dbon, abs=5e-5)
        assert sta.base_stock == S_star
        assert sta.cost_per_period == pytest.approx(scost, abs=5e-7)
        assert dyn.value_start == pytest.approx(T * dyn.cost_per_period, rel=1e-14)

    def test_lump_sum_last_stage_case_table(self):
        # docs/model.md section 10 at T = 10, alpha_L = 0.8, alpha_U = 0.9: v <= 6 penalty certain -> 0;
        # v = 7, 8 one more ready period avoids the penalty / earns the bonus -> newsvendor stock;
        # v = 9 bonus secured -> 0
        dyn = solve_dynamic(study_problem(LUMP_SUM, 0.5, 10), max_stock=40)
        assert dyn.policy.stage(10).tolist() == [0] * 7 + [10, 10, 0]
        F = stats.poisson.cdf(np.arange(41), 5)
        H = np.array([sum((S - k) * stats.poisson.pmf(k, 5) for k in range(S + 1)) for S in range(41)])
        for v, L in ((7, 50), (8, 30)):  # lump-sum at stake: L- at v = 7, L+ at v = 8
            assert dyn.policy.stock_at(10, v) == int(np.argmin(0.5 * H - L * F))

    def test_zero_stock_when_nothing_at_stake(self):
        p = Problem(Contract(10, 0.8, 0.9), Poisson(5), 0.5)  # no amounts
        dyn, sta = solve_dynamic(p), solve_static(p)
        assert set(dyn.policy.stock.tolist()) == {0}
        assert sta.base_stock == 0 and dyn.cost_per_period == 0 and sta.cost_per_period == 0


# ---------------------------------------------------------------------------------------------
# docs/model.md section 9: the study's simulated rows, within sampling error
# ---------------------------------------------------------------------------------------------

N_STUDY = 18_445

STUDY_ROWS = [
    # scheme, h, T, dyn (mean, SD, P(pen), P(bon)), static (mean, SD, P(pen), P(bon)), percent
    (LUMP_SUM, 0.5, 10, (89.59, 2.55, 0.13, 96.10), (93.15, 8.01, 2.67, 85.23)),
    (LUMP_SUM, 0.5, 20, (89.70, 1.78, 0.01, 96.59), (93.14, 5.67, 1.07, 84.49)),
    (LUMP_SUM, 0.5, 30, (89.91, 0.98, 0.00, 98.83), (93.19, 4.60, 0.36, 85.61)),
    (LUMP_SUM, 0.5, 60, (89.99, 0.43, 0.00, 99.70), (93.22, 3.24, 0.01, 89.06)),
    (LUMP_SUM, 0.5, 90, (89.99, 0.35, 0.00, 99.67), (93.21, 2.69, 0.01, 91.18)),
    (LINEAR, 1, 10, (84.50, 9.86, 8.18, 28.09), (86.71, 10.77, 13.88, 60.79)),
    (LINEAR, 1, 30, (80.18, 3.18, 9.36, 3.20), (86.67, 6.22, 9.44, 41.80)),
    (LINEAR, 1, 90, (79.86, 0.48, 10.27, 0.00), (86.66, 3.63, 2.80, 22.66)),
]


def standard_errors(dist, n):
    """Standard errors of the n-run estimates of (mean, SD, P(pen), P(bon)), from the exact pmf.

    mean: sd / sqrt(n); probabilities: sqrt(p (1 - p) / n); SD: the delta method on the sample
    variance, Var(s^2) ~ (mu_4 - sigma^4) / n, so se(s) ~ sqrt(mu_4 - sigma^4) / (2 sigma sqrt(n)),
    with the fourth central moment mu_4 of the exact distribution (no normality assumed).
    """
    m, var = dist.mean, dist.variance
    sd = math.sqrt(var)
    mu4 = float((dist.pmf * (dist.rates - m) ** 4).sum())
    se_sd = math.sqrt(max(mu4 - var**2, 0.0)) / (2 * sd * math.sqrt(n)) if sd > 0 else 0.0
    p, b = dist.p_penalty, dist.p_bonus
    return (sd / math.sqrt(n), se_sd, math.sqrt(p * (1 - p) / n), math.sqrt(b * (1 - b) / n))


class TestStudySimulatedRows:
    """The study's simulated percentages agree with the exact distributions within 4 standard errors,
    plus half a unit of the printed precision (0.005 percentage points) for rounding."""

    @pytest.mark.parametrize("row", STUDY_ROWS, ids=lambda r: f"{r[0]}-h{r[1]}-T{r[2]}")
    def test_row(self, row):
        scheme, h, T, dyn_row, sta_row = row
        problem = study_problem(scheme, h, T)
        for sol, printed in ((solve_dynamic(problem, max_stock=40), dyn_row),
                             (solve_static(problem, max_stock=40), sta_row)):
            r = sol.ready_rate
            exact = (r.mean, r.sd, r.p_penalty, r.p_bonus)
            for name, x, se, study in zip(("mean", "sd", "p_penalty", "p_bonus"), exact,
                                          standard_errors(r, N_STUDY), printed):
                tol = 4 * se + 0.005 / 100
                assert abs(study / 100 - x) <= tol, (name, study, 100 * x, 100 * tol)


# ---------------------------------------------------------------------------------------------
# invariants
# ---------------------------------------------------------------------------------------------


class TestDynamicBeatsStatic:
    @pytest.mark.parametrize("row", EXACT_ROWS, ids=lambda r: f"{r[0]}-h{r[1]}-T{r[2]}")
    def test_study(self, row):
        problem = study_problem(*row[:3])
        assert solve_dynamic(problem).cost_per_period <= solve_static(problem).cost_per_period

    @SETTINGS
    @given(problems())
    def test_random(self, problem):
        dyn, sta = solve_dynamic(problem), solve_static(problem)
        assert dyn.cost_per_period <= sta.cost_per_period + 1e-9 * (1 + abs(sta.cost_per_period))

    @SETTINGS
    @given(problems(kinds=("rational",)))
    def test_random_exact(self, problem):
        dyn, sta = solve_dynamic(problem, exact=True), solve_static(problem, exact=True)
        assert dyn.cost_per_period <= sta.cost_per_period
        assert isinstance(dyn.cost_per_period, Fraction) and isinstance(sta.cost_per_period, Fraction)


class TestSinglePeriod:
    @pytest.mark.parametrize("scheme", SCHEMES)
    @pytest.mark.parametrize("demand", [Poisson(5), DiscretisedNormal(15, 5), DiscreteUniform(0, 9)],
                             ids=repr)
    def test_t1_dynamic_equals_static(self, scheme, demand):
        p = Problem(Contract(1, 1, 1, scheme, penalty=20, bonus=10), demand, 1)
        dyn, sta = solve_dynamic(p), solve_static(p)
        assert dyn.policy.to_lists() == [[sta.base_stock]]
        assert dyn.cost_per_period == pytest.approx(sta.cost_per_period, rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(dyn.ready_rate.pmf, sta.ready_rate.pmf, rtol=1e-12, atol=1e-15)

    @SETTINGS
    @given(problems(max_T=1))
    def test_t1_random(self, problem):
        dyn, sta = solve_dynamic(problem), solve_static(problem)
        S = dyn.policy.stock_at(1, 0)
        # the same stock, or a float near-tie of the static cost at both stocks
        assert S == sta.base_stock or sta.costs[S] == pytest.approx(sta.cost_per_period, abs=1e-12)
        assert dyn.cost_per_period == pytest.approx(sta.cost_per_period, rel=1e-12, abs=1e-12)

    @SETTINGS
    @given(problems(max_T=1, kinds=("rational",)))
    def test_t1_random_exact(self, problem):
        dyn, sta = solve_dynamic(problem, exact=True), solve_static(problem, exact=True)
        assert dyn.policy.stock_at(1, 0) == sta.base_stock
        assert dyn.cost_per_period == sta.cost_per_period


def assert_monotone_in_delta(sol):
    d = np.asarray(sol.deltas, dtype=np.float64)
    s = np.asarray(sol.policy.stock, dtype=np.float64)
    order = np.lexsort((s, d))  # by delta, then stock (equal deltas give equal stocks anyway)
    assert np.all(np.diff(s[order]) >= 0)
    # equal deltas, equal stocks
    for value in np.unique(d):
        assert len(set(s[d == value].tolist())) == 1


class TestMonotoneInDelta:
    @pytest.mark.parametrize("row", EXACT_ROWS, ids=lambda r: f"{r[0]}-h{r[1]}-T{r[2]}")
    def test_study(self, row):
        assert_monotone_in_delta(solve_dynamic(study_problem(*row[:3]), max_stock=40))

    def test_normal(self):
        p = Problem(Contract.study(20, LINEAR), DiscretisedNormal(15, 5), 1)
        assert_monotone_in_delta(solve_dynamic(p))

    @SETTINGS
    @given(problems())
    def test_random(self, problem):
        assert_monotone_in_delta(solve_dynamic(problem))

    def test_deltas_nonnegative_and_bounded(self):
        # 0 <= Delta <= max_v G(v) - G(v+1): the bound behind stock_bound (docs/model.md section 4)
        for row in EXACT_ROWS:
            p = study_problem(*row[:3])
            d = solve_dynamic(p).deltas
            assert d.min() >= -1e-9 and d.max() <= float(p.contract.max_settlement_drop()) + 1e-9


class TestBruteForce:
    """An independent straightforward DP: every S in every state, in the V-form of the recursion."""

    def _check_float(self, problem, smax):
        sol = solve_dynamic(problem)
        stocks, values, objectives = brute_dp(problem, smax, exact=False)
        for (i, v), S in stocks.items():
            assert sol.value(i, v) == pytest.approx(values[(i, v)], rel=1e-9, abs=1e-9)
            mine = sol.policy.stock_at(i, v)
            obj = objectives[(i, v)]
            # the same stock, or (float near-tie only) one whose bracket equals the minimum
            assert mine == S or abs(obj[mine] - obj[S]) <= 1e-9 * (1 + abs(obj[S])), (i, v, mine, S)

    @pytest.mark.parametrize("row", EXACT_ROWS[:3], ids=lambda r: f"{r[0]}-h{r[1]}-T{r[2]}")
    def test_study(self, row):
        problem = study_problem(*row[:3])
        self._check_float(problem, 40)

    def test_normal(self):
        self._check_float(Problem(Contract.study(8, LINEAR), DiscretisedNormal(15, 5), 1), 45)

    @SETTINGS
    @given(problems(kinds=("poisson",)))
    def test_random_poisson(self, problem):
        # beyond stock_bound: checks the bound too (no larger S may do strictly better)
        self._check_float(problem, int(problem.stock_bound()) + 6)

    @SETTINGS
    @given(problems(kinds=("rational",)))
    def test_random_exact(self, problem):
        sol = solve_dynamic(problem, exact=True)
        stocks, values, _ = brute_dp(problem, int(problem.demand.upper) + 2, exact=True)
        for (i, v), S in stocks.items():
            assert sol.policy.stock_at(i, v) == S, (i, v)
            assert sol.value(i, v) == values[(i, v)]
        assert sol.value_start == values[(1, 0)]


class TestExactMode:
    @SETTINGS
    @given(problems(kinds=("rational",)))
    def test_exact_equals_float(self, problem):
        ex, fl = solve_dynamic(problem, exact=True), solve_dynamic(problem)
        assert isinstance(ex.value_start, Fraction)
        assert sum(ex.ready_rate.pmf) == 1
        assert float(ex.value_start) == pytest.approx(fl.value_start, rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(np.asarray(ex.values, float), fl.values, rtol=1e-12, atol=1e-12)
        # stocks agree except on exact ties, which float rounding may break either way (e.g.
        # F = 1/3, 2/3 are not binary fractions); the costs still agree, the ready-rate pmf may not
        h = problem.holding_cost
        F, H = problem.demand.table(int(problem.demand.upper) + 2, exact=True)
        same = True
        for k, (a, b) in enumerate(zip(ex.policy.stock.tolist(), fl.policy.stock.tolist())):
            if a != b:
                same = False
                delta = ex.deltas[k]
                assert h * H[a] - delta * F[a] == h * H[b] - delta * F[b] and a < b
        if same:
            np.testing.assert_allclose(np.asarray(ex.ready_rate.pmf, float), fl.ready_rate.pmf,
                                       rtol=1e-12, atol=1e-12)

        se, sf = solve_static(problem, exact=True), solve_static(problem)
        assert sum(se.ready_rate.pmf) == 1
        assert float(se.cost_per_period) == pytest.approx(sf.cost_per_period, rel=1e-12, abs=1e-12)
        # the float static solver decides near-ties exactly for rational demand: same S*
        assert se.base_stock == sf.base_stock
        np.testing.assert_allclose(np.asarray(se.ready_rate.pmf, float), sf.ready_rate.pmf,
                                   rtol=1e-12, atol=1e-12)

    def test_float_tie_rounding_example(self):
        # the case hypothesis found: G(v) = -v, so Delta = 1 everywhere, and with F = 1/3, 2/3, 1,
        # H = 0, 1/3, 1 the stocks 0 and 1 tie exactly. Exact mode picks 0 in every state.
        p = Problem(Contract(3, 0, 0, LINEAR, 0, 3), DiscreteUniform(0, 2), 1)
        ex, fl = solve_dynamic(p, exact=True), solve_dynamic(p)
        assert set(ex.policy.stock.tolist()) == {0}
        assert ex.ready_rate.pmf.tolist() == [Fraction(8, 27), Fraction(12, 27), Fraction(6, 27),
                                              Fraction(1, 27)]
        assert set(fl.policy.stock.tolist()) <= {0, 1}
        assert float(ex.value_start) == pytest.approx(fl.value_start, abs=1e-12)

    def test_study_like_exact(self):
        p = Problem(Contract.study(10), DiscreteUniform(0, 9), Fraction(1, 2))
        ex, fl = solve_dynamic(p, exact=True), solve_dynamic(p)
        assert ex.policy.to_lists() == fl.policy.to_lists()
        assert float(ex.cost_per_period) == pytest.approx(fl.cost_per_period, abs=1e-12)
        assert sum(ex.ready_rate.pmf) == 1
        assert all(isinstance(x, (Fraction, int)) for x in ex.ready_rate.pmf)

    @pytest.mark.parametrize("demand", [Poisson(5), DiscretisedNormal(15, 5)], ids=repr)
    def test_irrational_demand_refused(self, demand):
        p = Problem(Contract.study(10), demand, 1)
        with pytest.raises(SolverError, match="^exact: "):
            solve_dynamic(p, exact=True)
        with pytest.raises(SolverError, match="^exact: "):
            solve_static(p, exact=True)


class TestTies:
    """Ties go to the smallest stock (docs/model.md section 4), constructed exactly.

    DiscreteUniform(0, 3): F = 1/4, 1/2, 3/4, 1 and H = 0, 1/4, 3/4, 3/2 at S = 0..3. With T = 1,
    alpha_L = alpha_U = 1 and h = 1, Delta = L- + L+ and the bracket h H(S) - Delta F(S) is
    -Delta/4, 1/4 - Delta/2, 3/4 - 3 Delta/4, 3/2 - Delta: S = 0, 1 tie at Delta = 1, S = 1, 2 at 2.
    """

    CASES = [(Fraction(1), 0), (Fraction(101, 100), 1), (Fraction(2), 1), (Fraction(201, 100), 2),
             (Fraction(3), 2), (Fraction(301, 100), 3), (Fraction(99, 100), 0), (Fraction(0), 0)]

    @pytest.mark.parametrize("exact", [True, False])
    @pytest.mark.parametrize("penalty, stock", CASES)
    def test_uniform_dynamic(self, exact, penalty, stock):
        p = Problem(Contract(1, 1, 1, penalty=penalty), DiscreteUniform(0, 3), 1)
        assert solve_dynamic(p, exact=exact).policy.stock_at(1, 0) == stock

    @pytest.mark.parametrize("penalty, stock", CASES)
    def test_uniform_static_exact(self, penalty, stock):
        p = Problem(Contract(1, 1, 1, penalty=penalty), DiscreteUniform(0, 3), 1)
        sta = solve_static(p, exact=True)
        assert sta.base_stock == stock
        # with T = 1 the static and dynamic problems are the same
        assert sta.cost_per_period == solve_dynamic(p, exact=True).cost_per_period

    @pytest.mark.parametrize("penalty, stock", CASES)
    def test_uniform_static_float(self, penalty, stock):
        p = Problem(Contract(1, 1, 1, penalty=penalty), DiscreteUniform(0, 3), 1)
        assert solve_static(p).base_stock == stock

    @pytest.mark.parametrize("exact", [True, False])
    @pytest.mark.parametrize("penalty, stock", [
        (Fraction(1), 0), (Fraction(99, 100), 0), (Fraction(101, 100), 2)])
    def test_collinear_points(self, exact, penalty, stock):
        # pmf 1/4, 1/4, 1/2: the points (F, H) of S = 0, 1, 2 are collinear with slope 1, so at
        # Delta = h = 1 all three tie (bracket -1/4) and S = 1 is never the smallest minimiser
        p = Problem(Contract(1, 1, 1, penalty=penalty), Empirical(["1/4", "1/4", "1/2"]), 1)
        assert solve_dynamic(p, exact=exact).policy.stock_at(1, 0) == stock
        assert solve_static(p, exact=exact).base_stock == stock

    @pytest.mark.parametrize("initial_stock", [0, 1])
    def test_float_delta_rounded_above_a_slope_still_ties(self, initial_stock):
        # Found by the carry-over brute force: T = 2, linear, uniform {0, 1, 2}, h + c = 11/4.
        # Delta_1(0) = 11/4 exactly, the first hull slope, but float computes it as
        # 2.7500000000000004; within the rounding resolution it is the tie and goes to S = 0.
        c = Contract(2, Fraction(1, 4), Fraction(3, 4), scheme="linear", penalty=16, bonus=6)
        p = Problem(c, DiscreteUniform(0, 2), Fraction(3, 4), purchase_cost=2,
                    initial_stock=initial_stock)
        exact = solve_dynamic(p, exact=True, keep_values=True)
        assert exact.deltas[0] == Fraction(11, 4)
        fl = solve_dynamic(p)
        assert fl.policy.to_lists() == exact.policy.to_lists()
        assert abs(fl.value_start - float(exact.value_start)) < 1e-12

    def test_tie_value(self):
        p = Problem(Contract(1, 1, 1, penalty=1), Empirical(["1/4", "1/4", "1/2"]), 1)
        sol = solve_dynamic(p, exact=True)
        assert sol.value_start == Fraction(1) - Fraction(1, 4)  # V_2(0) + min bracket

    def test_zero_stock_below_support(self):
        # F = H = 0 for S < 2: every S in 0..2 ties when Delta = 0 (nothing at stake)
        p = Problem(Contract(3, 0, 1, bonus=0), DiscreteUniform(2, 5), 1)
        assert set(solve_dynamic(p, exact=True).policy.stock.tolist()) == {0}


class TestStockBound:
    @pytest.mark.parametrize("row", EXACT_ROWS, ids=lambda r: f"{r[0]}-h{r[1]}-T{r[2]}")
    def test_bound_vs_40(self, row):
        problem = study_problem(*row[:3])
        bound = problem.stock_bound()
        assert isinstance(bound, int) and bound <= 40
        a, b = solve_dynamic(problem, max_stock=bound), solve_dynamic(problem, max_stock=40)
        assert a.policy.to_lists() == b.policy.to_lists()
        assert np.array_equal(a.values, b.values) and np.array_equal(a.ready_rate.pmf, b.ready_rate.pmf)
        assert a.value_start == b.value_start
        c = solve_dynamic(problem)  # default: the bound
        assert c.policy.to_lists() == b.policy.to_lists() and c.value_start == b.value_start
        sa, sb = solve_static(problem, max_stock=bound), solve_static(problem, max_stock=40)
        assert sa.base_stock == sb.base_stock and sa.cost_per_period == sb.cost_per_period
        assert np.array_equal(sa.ready_rate.pmf, sb.ready_rate.pmf)

    def test_reference_bound(self):
        assert study_problem(LUMP_SUM, 0.5, 10).stock_bound() == 11

    def test_bound_is_critical_fractile(self):
        # Delta_bar = 50, h = 0.5: smallest S with F(S) >= 50 / 50.5
        S = study_problem(LUMP_SUM, 0.5, 10).stock_bound()
        q = 50 / 50.5
        assert stats.poisson.cdf(S, 5) >= q > stats.poisson.cdf(S - 1, 5)

    @SETTINGS
    @given(problems(kinds=("poisson",)))
    def test_random_bound_vs_larger(self, problem):
        bound = problem.stock_bound()
        a, b = solve_dynamic(problem, max_stock=bound), solve_dynamic(problem, max_stock=bound + 15)
        assert a.policy.to_lists() == b.policy.to_lists()
        assert a.value_start == pytest.approx(b.value_start, rel=1e-12, abs=1e-12)
        assert solve_static(problem, max_stock=bound).base_stock == solve_static(
            problem, max_stock=bound + 15).base_stock

    def test_cut_off_dynamic(self):
        p = study_problem(LUMP_SUM, 0.5, 10)
        with pytest.raises(SolverError, match=r"^solver\.max_stock: 5 .*max_stock >= 10$"):
            solve_dynamic(p, max_stock=5)

    def test_cut_off_static(self):
        p = study_problem(LUMP_SUM, 0.5, 10)
        with pytest.raises(SolverError, match=r"^solver\.max_stock: 7 .*max_stock >= 8$"):
            solve_static(p, max_stock=7)

    def test_exact_needed_is_enough(self):
        p = study_problem(LUMP_SUM, 0.5, 10)
        assert solve_dynamic(p, max_stock=10).policy.to_lists() == solve_dynamic(p).policy.to_lists()
        assert solve_static(p, max_stock=8).base_stock == 8

    @pytest.mark.parametrize("max_stock", [-1, 2.5, 5.0, "10", True, float("nan")])
    def test_invalid_max_stock(self, max_stock):
        p = study_problem(LUMP_SUM, 0.5, 10)
        with pytest.raises(SolverError, match=r"^solver\.max_stock: "):
            solve_dynamic(p, max_stock=max_stock)
        with pytest.raises(SolverError, match=r"^solver\.max_stock: "):
            solve_static(p, max_stock=max_stock)

    def test_reported_max_stock(self):
        p = study_problem(LUMP_SUM, 0.5, 10)
        assert solve_dynamic(p, max_stock=40).max_stock == 40
        assert solve_dynamic(p).max_stock == 11
        assert solve_static(p).max_stock == 11

    @pytest.mark.parametrize("a, b, h, L", [(0, 1, 1, 5), (0, 10, 1, 30), (2, 3, 0.5, 50), (0, 10, 2, 1)])
    def test_continuous_bound_covers_optimum(self, a, b, h, L):
        # the bound must hold "for either policy" also for real stock: the dynamic optimum in the
        # state with the largest Delta is min(a + Delta_bar / h, b)
        p = Problem(Contract(1, 1, 1, penalty=L), ContinuousUniform(a, b), h)
        bound = p.stock_bound()
        assert solve_dynamic(p).policy.stock.max() <= bound + 1e-12
        assert solve_static(p).base_stock <= bound + 1e-9


class TestProbabilities:
    @pytest.mark.parametrize("row", EXACT_ROWS, ids=lambda r: f"{r[0]}-h{r[1]}-T{r[2]}")
    def test_sum_to_one(self, row):
        p = study_problem(*row[:3])
        for sol in (solve_dynamic(p), solve_static(p)):
            pmf = sol.ready_rate.pmf
            assert abs(pmf.sum() - 1) <= 1e-12 and pmf.min() >= 0
            r = sol.ready_rate
            assert abs(r.p_penalty + r.p_neutral + r.p_bonus - 1) <= 1e-12

    @SETTINGS
    @given(problems())
    def test_random_sum_to_one(self, problem):
        for sol in (solve_dynamic(problem), solve_static(problem)):
            assert abs(sol.ready_rate.pmf.sum() - 1) <= 1e-12 and sol.ready_rate.pmf.min() >= 0


class TestReadyCountEnumeration:
    """policy.ready_count() equals the brute-force sum over all 2^T ready/short sequences."""

    @pytest.mark.parametrize("scheme", SCHEMES)
    def test_poisson(self, scheme):
        p = Problem(Contract.study(8, scheme), Poisson(5), 0.5)
        pol = solve_dynamic(p).policy
        pmf = np.zeros(9)
        for prob, _, v in enumerate_paths(pol, lambda S: stats.poisson.cdf(S, 5)):
            pmf[v] += prob
        np.testing.assert_allclose(pol.ready_count().pmf, pmf, rtol=1e-12, atol=1e-15)

    @settings(max_examples=25, deadline=None)
    @given(problems(max_T=7, kinds=("rational",)))
    def test_random_exact(self, problem):
        pol = solve_dynamic(problem, exact=True).policy
        F, _ = tables_from_pmf(reference_pmf(problem.demand, 40), 40)
        T = problem.review_period
        pmf = [Fraction(0)] * (T + 1)
        for prob, _, v in enumerate_paths(pol, lambda S: F[S]):
            pmf[v] += prob
        assert pol.ready_count().pmf.tolist() == pmf


class TestCostIdentity:
    """Expected holding cost + expected settlement = V_1(0) (docs/model.md section 6), the holding part
    summed over all 2^T sequences."""

    def _holding_and_settlement(self, sol, F, H):
        p = sol.problem
        hold = settle = 0
        G = settlement_of(p.contract)
        for prob, states, v in enumerate_paths(sol.policy, lambda S: F[S]):
            hold += prob * sum(p.holding_cost * H[S] for _, _, S in states)
            settle += prob * G[v]
        return hold, settle

    @pytest.mark.parametrize("scheme", SCHEMES)
    def test_poisson(self, scheme):
        p = Problem(Contract.study(8, scheme), Poisson(5), 1)
        sol = solve_dynamic(p)
        pmf = stats.poisson.pmf(np.arange(41), 5)
        F, H = tables_from_pmf(list(pmf), 40)
        hold, settle = self._holding_and_settlement(sol, F, H)
        assert float(hold + settle) == pytest.approx(sol.value_start, rel=1e-10, abs=1e-10)
        assert float(settle) == pytest.approx(sol.ready_rate.expected_settlement(), rel=1e-10, abs=1e-10)

    @settings(max_examples=25, deadline=None)
    @given(problems(max_T=7, kinds=("rational",)))
    def test_random_exact(self, problem):
        sol = solve_dynamic(problem, exact=True)
        F, H = tables_from_pmf(reference_pmf(problem.demand, 40), 40)
        hold, settle = self._holding_and_settlement(sol, F, H)
        assert hold + settle == sol.value_start
        assert settle == sol.ready_rate.expected_settlement()

    def test_static_cost_is_binomial_expectation(self):
        p = study_problem(LINEAR, 0.5, 10)
        sta = solve_static(p)
        F, H = tables_from_pmf(list(stats.poisson.pmf(np.arange(41), 5)), 40)
        G = [float(g) for g in settlement_of(p.contract)]
        for S in range(len(sta.costs)):
            C = 10 * 0.5 * H[S] + sum(stats.binom.pmf(v, 10, F[S]) * G[v] for v in range(11))
            assert sta.costs[S] == pytest.approx(C / 10, rel=1e-10, abs=1e-12)
        assert sta.base_stock == int(np.argmin(sta.costs))


class TestStatic:
    @pytest.mark.parametrize("row", EXACT_ROWS, ids=lambda r: f"{r[0]}-h{r[1]}-T{r[2]}")
    def test_pmf_is_binomial(self, row):
        p = study_problem(*row[:3])
        sta = solve_static(p)
        T = p.review_period
        q = stats.poisson.cdf(sta.base_stock, 5)
        np.testing.assert_allclose(sta.ready_rate.pmf, stats.binom.pmf(np.arange(T + 1), T, q),
                                   rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(sta.policy.ready_count().pmf, sta.ready_rate.pmf, rtol=1e-9, atol=1e-14)
        assert sta.policy.kind == "static" and set(sta.policy.stock.tolist()) == {sta.base_stock}

    def test_exact_pmf_is_binomial(self):
        p = Problem(Contract.study(6), DiscreteUniform(0, 9), 1)
        sta = solve_static(p, exact=True)
        q = Fraction(sta.base_stock + 1, 10)
        assert sta.ready_rate.pmf.tolist() == [math.comb(6, v) * q**v * (1 - q) ** (6 - v) for v in range(7)]
        assert sta.policy.ready_count().pmf.tolist() == sta.ready_rate.pmf.tolist()

    @SETTINGS
    @given(problems(kinds=("rational",)))
    def test_random_exact_brute_force(self, problem):
        sta = solve_static(problem, exact=True)
        T, h = problem.review_period, problem.holding_cost
        top = len(sta.costs) - 1
        F, H = tables_from_pmf(reference_pmf(problem.demand, top), top)
        G = settlement_of(problem.contract)
        C = [T * h * H[S] + sum(math.comb(T, v) * F[S] ** v * (1 - F[S]) ** (T - v) * G[v]
                                for v in range(T + 1)) for S in range(top + 1)]
        assert sta.costs.tolist() == [c / T for c in C]
        assert sta.base_stock == min(range(top + 1), key=lambda S: (C[S], S))
        assert sta.cost_per_period == C[sta.base_stock] / T


class TestContinuousUniform:
    @pytest.mark.parametrize("scheme", SCHEMES)
    @pytest.mark.parametrize("a, b, h", [(0, 10, 1), (2, 6, 0.5), (0, 1, 2)])
    def test_policy_matches_best_stock(self, scheme, a, b, h):
        d = ContinuousUniform(a, b)
        p = Problem(Contract.study(6, scheme), d, h)
        sol = solve_dynamic(p)
        np.testing.assert_array_equal(sol.policy.stock, d.best_stock(sol.deltas, h))
        # and the best stock really is optimal in each state: no grid point does better
        grid = np.linspace(0, b, 4001)
        Fg, Hg = d.cdf(grid), d.expected_leftover(grid)
        for k, (S, delta) in enumerate(zip(sol.policy.stock, sol.deltas)):
            mine = h * d.expected_leftover(S) - delta * d.cdf(S)
            assert mine <= (h * Hg - delta * Fg).min() + 1e-12

    def test_values_closed_form(self):
        # V_i(v) = V_{i+1}(v) + min_S {...}; the min is -Delta^2 / (2 h (b - a)) when a + Delta/h <= b,
        # h (b - a)/2 - Delta when capped at b, and 0 when Delta <= 0
        a, b, h = Fraction(0), Fraction(10), Fraction(1)
        p = Problem(Contract.study(5, LINEAR), ContinuousUniform(a, b), h)
        sol = solve_dynamic(p, exact=True)
        V = settlement_of(p.contract)
        for i in range(5, 0, -1):
            cur = []
            for v in range(i):
                delta = V[v] - V[v + 1]
                if delta <= 0:
                    m = 0
                elif a + delta / h <= b:
                    m = -delta**2 / (2 * h * (b - a))
                else:
                    m = h * (b - a) / 2 - delta
                cur.append(V[v] + m)
                assert sol.value(i, v) == cur[-1]
            V = cur
        assert sum(sol.ready_rate.pmf) == 1

    def test_exact_equals_float(self):
        p = Problem(Contract.study(6, LINEAR), ContinuousUniform(1, 9), Fraction(1, 2))
        ex, fl = solve_dynamic(p, exact=True), solve_dynamic(p)
        np.testing.assert_allclose(np.asarray(ex.policy.stock, float), fl.policy.stock, rtol=1e-12)
        assert float(ex.value_start) == pytest.approx(fl.value_start, rel=1e-12)
        np.testing.assert_allclose(np.asarray(ex.ready_rate.pmf, float), fl.ready_rate.pmf, atol=1e-12)

    @pytest.mark.parametrize("scheme", SCHEMES)
    def test_static_vs_grid(self, scheme):
        a, b, h, T = 0.0, 10.0, 1.0, 6
        d = ContinuousUniform(a, b)
        p = Problem(Contract.study(T, scheme), d, h)
        sta = solve_static(p)
        G = np.array([float(g) for g in settlement_of(p.contract)])
        grid = np.linspace(0, b, 20001)
        C = T * h * d.expected_leftover(grid) + stats.binom.pmf(
            np.arange(T + 1)[None, :], T, d.cdf(grid)[:, None]) @ G
        assert sta.cost_per_period <= C.min() / T + 1e-12
        assert sta.cost_per_period == pytest.approx(C.min() / T, abs=1e-6)
        assert abs(sta.base_stock - grid[np.argmin(C)]) <= 0.01
        assert sta.costs is None
        assert solve_dynamic(p).cost_per_period <= sta.cost_per_period + 1e-12

    def test_static_exact_refused(self):
        p = Problem(Contract.study(3), ContinuousUniform(0, 10), 1)
        with pytest.raises(SolverError, match="^exact: "):
            solve_static(p, exact=True)


class TestDynamicSolution:
    def _sol(self, **kw):
        return solve_dynamic(study_problem(LUMP_SUM, 0.5, 10), **kw)

    def test_types(self):
        sol = self._sol()
        assert isinstance(sol, DynamicSolution) and isinstance(solve_static(sol.problem), StaticSolution)
        assert isinstance(sol.value_start, float) and isinstance(sol.cost_per_period, float)
        assert sol.policy.kind == "dynamic"

    def test_value_and_delta(self):
        sol = self._sol()
        T = 10
        G = sol.terminal
        assert [sol.value(T + 1, v) for v in range(T + 1)] == G.tolist()
        assert G.tolist() == [float(g) for g in settlement_of(sol.problem.contract)]
        assert sol.value(1, 0) == sol.value_start
        F, H = sol.problem.demand.table(40)
        for i in range(1, T + 1):
            for v in range(i):
                d = sol.delta(i, v)
                assert d == sol.value(i + 1, v) - sol.value(i + 1, v + 1)
                S = sol.policy.stock_at(i, v)
                assert sol.value(i, v) == pytest.approx(
                    sol.value(i + 1, v) + 0.5 * H[S] - d * F[S], rel=1e-12, abs=1e-12)

    def test_values_not_kept(self):
        sol = self._sol(keep_values=False)
        assert sol.values is None and sol.deltas is None
        with pytest.raises(SolverError, match="^values: "):
            sol.value(3, 1)
        with pytest.raises(SolverError, match="^deltas: "):
            sol.delta(3, 1)
        assert sol.value(11, 4) == sol.terminal[4]  # terminal values are always there
        kept = self._sol()
        assert sol.value_start == kept.value_start and sol.policy.to_lists() == kept.policy.to_lists()

    @pytest.mark.parametrize("i, v", [(0, 0), (3, 3), (3, -1), (12, 0), (11, 11)])
    def test_state_outside(self, i, v):
        with pytest.raises(PolicyError):
            self._sol().value(i, v)


class TestLowerEnvelope:
    def test_docstring_example(self):
        vertex, slopes = lower_envelope(np.array([0.2, 0.5, 0.8, 0.8, 1.0]),
                                        np.array([0.0, 0.2, 0.8, 1.0, 1.8]))
        assert vertex.tolist() == [0, 1, 2, 4]
        np.testing.assert_allclose(slopes, [2 / 3, 2.0, 5.0])

    def test_single_point(self):
        vertex, slopes = lower_envelope(np.array([0.3]), np.array([0.0]))
        assert vertex.tolist() == [0] and len(slopes) == 0

    @settings(max_examples=60, deadline=None)
    @given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 6)), min_size=1, max_size=9),
           st.lists(st.fractions(-1, 12, max_denominator=6), min_size=1, max_size=8))
    def test_smallest_argmin(self, steps, deltas):
        # F non-decreasing in S, cost convex non-decreasing (as h H is): cumulative sums
        F, cost, f, c, slope = [], [], Fraction(0), Fraction(0), Fraction(0)
        for df, dc in steps:
            f += Fraction(df, 10)
            slope += Fraction(dc, 10)
            c += slope * Fraction(df, 10)
            F.append(f)
            cost.append(c)
        F, cost = np.array(F, dtype=object), np.array(cost, dtype=object)
        vertex, slopes = lower_envelope(F, cost)
        assert all(slopes[k] < slopes[k + 1] for k in range(len(slopes) - 1))
        for delta in deltas:
            k = np.searchsorted(slopes, delta, side="left")
            brute = min(range(len(F)), key=lambda S: (cost[S] - delta * F[S], S))
            assert vertex[k] == brute
