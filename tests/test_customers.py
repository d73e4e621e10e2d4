"""Several customers sharing one stock (docs/model.md section 15): k = 1 is the single-customer
model exactly, float agrees with exact, invariants, property tests, bad input."""

from __future__ import annotations

import itertools
from fractions import Fraction as Fr

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slamarkov import Contract, DiscreteUniform, Empirical, Poisson, Problem, solve_dynamic
from slamarkov import solve_static
from slamarkov.errors import ConfigError, SizeError, SolverError
from slamarkov.model.config import config_from_dict
from slamarkov.model.customers import Customer, CustomersProblem
from slamarkov.solve.customers import (
    check_customers_size,
    solve_customers_dynamic,
    solve_customers_static,
)


def _one(problem: Problem) -> CustomersProblem:
    return CustomersProblem([Customer("only", problem.contract, problem.demand)],
                            problem.holding_cost, purchase_cost=problem.purchase_cost,
                            salvage_value=problem.salvage_value, leftover=problem.leftover,
                            initial_stock=problem.initial_stock)


SINGLE = [
    (Problem(Contract.study(4), DiscreteUniform(0, 4), Fr(1, 2)), True),
    (Problem(Contract.study(5, "linear"), Empirical([Fr(1, 4), Fr(1, 2), Fr(1, 4)]), 1,
             purchase_cost=Fr(1, 2), initial_stock=1), True),
    (Problem(Contract.study(4), DiscreteUniform(0, 3), Fr(1, 2), purchase_cost=1,
             salvage_value=Fr(1, 2), leftover="carry", initial_stock=2), True),
    (Problem(Contract.study(10), Poisson(5), Fr(1, 2)), False),
    (Problem(Contract.study(8, "linear"), Poisson(5), 1, purchase_cost=Fr(1, 2),
             leftover="carry"), False),
]


class TestOneCustomer:
    """k = 1 equals today's model: values, orders, pmf, static S* (both leftover rules)."""

    @pytest.mark.parametrize("problem, exact", SINGLE)
    def test_dynamic(self, problem, exact):
        ref = solve_dynamic(problem, exact=exact)
        sol = solve_customers_dynamic(_one(problem), exact=exact)
        K = sol.max_stock
        if exact:
            assert sol.value_start == ref.value_start
            assert list(sol.ready_rates[0].pmf) == list(ref.ready_rate.pmf)
        else:
            assert sol.value_start == pytest.approx(ref.value_start, rel=1e-12, abs=1e-12)
            np.testing.assert_allclose(sol.ready_rates[0].pmf, ref.ready_rate.pmf, atol=1e-13)
        for i in range(1, problem.review_period + 1):
            for v in range(i):
                xs = ([problem.initial_stock] if i == 1 else
                      range(min(K, ref.policy.layer(i).shape[1] - 1) + 1) if problem.carries
                      else [None])
                for x in xs:
                    assert sol.order(i, (v,), x) == ref.policy.stock_at(i, v, x), (i, v, x)
        assert sol.sacrificed.tolist() == [0]

    @pytest.mark.parametrize("problem, exact", SINGLE)
    def test_static(self, problem, exact):
        ref = solve_static(problem, exact=exact)
        sol = solve_customers_static(_one(problem), exact=exact)
        assert sol.base_stock == ref.base_stock
        if exact:
            assert sol.cost_per_period == ref.cost_per_period
            assert list(sol.ready_rates[0].pmf) == list(ref.ready_rate.pmf)
        else:
            assert sol.cost_per_period == pytest.approx(ref.cost_per_period, rel=1e-12)
            np.testing.assert_allclose(sol.ready_rates[0].pmf, ref.ready_rate.pmf, atol=1e-13)


def _two(T=4, leftover="discard", scheme2="linear", lo2="0.9", hi2="0.95"):
    return CustomersProblem([
        Customer("a", Contract.study(T), DiscreteUniform(0, 3)),
        Customer("b", Contract.study(T, scheme2, penalty_threshold=lo2, bonus_threshold=hi2),
                 Empirical([Fr(1, 4), Fr(1, 4), Fr(1, 4), Fr(1, 8), Fr(1, 8)])),
    ], Fr(1, 2), leftover=leftover, purchase_cost=Fr(1, 4) if leftover == "carry" else 0)


class TestFloatAgreesWithExact:
    @pytest.mark.parametrize("leftover", ["discard", "carry"])
    def test_two_customers(self, leftover):
        p = _two(leftover=leftover)
        ex, fl = solve_customers_dynamic(p, exact=True), solve_customers_dynamic(p)
        assert fl.value_start == pytest.approx(float(ex.value_start), rel=1e-12)
        for a, b in zip(ex.orders, fl.orders):
            assert np.array_equal(a, b)
        for a, b in zip(ex.allocation, fl.allocation):
            assert np.array_equal(a, b)
        np.testing.assert_allclose(fl.joint_pmf, ex.joint_pmf.astype(float), atol=1e-14)
        for rule in ("priority", "smallest-first"):
            se, sf = (solve_customers_static(p, rule, exact=e) for e in (True, False))
            assert se.base_stock == sf.base_stock
            assert sf.value_start == pytest.approx(float(se.value_start), rel=1e-12)

    def test_symmetric_customers_keep_the_tie_rule_in_float(self):
        # equal customers: serving a or b is worth exactly the same at (v, v); the first wins
        p = CustomersProblem([Customer(n, Contract.study(6), Poisson(5)) for n in "ab"], 1)
        sol = solve_customers_dynamic(p)
        ex = solve_customers_dynamic(CustomersProblem(
            [Customer(n, Contract.study(6), DiscreteUniform(0, 10)) for n in "ab"], 1))
        for s in (sol, ex):
            y = s.order(3, (1, 1))
            a_fits_b_fits = [(d1, d2) for d1 in range(y + 1) for d2 in range(y + 1)
                             if d1 + d2 > y]
            for d in a_fits_b_fits:
                assert s.serve(3, (1, 1), y, d) == (0,)


class TestInvariants:
    @pytest.mark.parametrize("leftover", ["discard", "carry"])
    def test_dynamic_beats_each_rule_and_pmfs_sum_to_one(self, leftover):
        p = _two(T=5, leftover=leftover)
        dyn = solve_customers_dynamic(p, exact=True)
        assert dyn.joint_pmf.sum() == 1
        for rule in ("priority", "smallest-first"):
            sta = solve_customers_static(p, rule, exact=True)
            assert dyn.value_start <= sta.value_start
            assert sta.joint_pmf.sum() == 1
            assert all(s >= 0 for s in sta.sacrificed)

    def test_priority_never_sacrifices_the_first_customer(self):
        p = _two(T=4)
        p = CustomersProblem(p.customers, 3)  # dear stock: S* leaves the pool short
        sta = solve_customers_static(p, "priority", exact=True)
        assert sta.base_stock < 7
        assert sta.sacrificed[0] == 0 and sta.sacrificed[1] > 0


@settings(max_examples=12, deadline=None)
@given(T=st.integers(1, 3), k=st.integers(1, 3), h=st.sampled_from([Fr(1, 4), Fr(1), Fr(2)]),
       leftover=st.sampled_from(["discard", "carry"]),
       pmfs=st.lists(st.lists(st.integers(0, 4), min_size=1, max_size=3)
                     .filter(lambda w: sum(w) > 0), min_size=3, max_size=3),
       lows=st.lists(st.sampled_from(["0", "0.5", "0.8", "1"]), min_size=3, max_size=3))
def test_properties(T, k, h, leftover, pmfs, lows):
    customers = [Customer(f"c{j}", Contract.study(T, penalty_threshold=lows[j],
                                                  bonus_threshold="1"),
                          Empirical([Fr(w, sum(pmfs[j])) for w in pmfs[j]])) for j in range(k)]
    p = CustomersProblem(customers, h, leftover=leftover)
    dyn = solve_customers_dynamic(p, exact=True)
    assert dyn.joint_pmf.sum() == 1
    assert dyn.joint_pmf.shape == (T + 1,) * k
    for rule in ("priority", "smallest-first"):
        sta = solve_customers_static(p, rule, exact=True)
        assert dyn.value_start <= sta.value_start
        assert sta.joint_pmf.sum() == 1
    # orders never exceed the pooled bound and the values are consistent with the forward pass
    assert all(int(o.max()) <= dyn.max_stock for o in dyn.orders)
    # one customer alone is served whenever it fits: nobody is sacrificed
    if k == 1:
        assert dyn.sacrificed.tolist() == [0]


class TestBadInput:
    def base(self):
        return {"contract": {"review_period": 3}, "costs": {"holding": 1},
                "customer": [{"name": n, "penalty_threshold": 0.8, "bonus_threshold": 0.9,
                              "penalty": 5, "bonus": 3, "demand": {"kind": "poisson", "mean": 5}}
                             for n in ("a", "b")]}

    @pytest.mark.parametrize("change, message", [
        (lambda d: d.update(customer=[]), "customer: at least one"),
        (lambda d: d["customer"][1].update(name="a"), "customer.name: must be unique"),
        (lambda d: d["customer"][1].update(name="x,y"), "customer.name: must start"),
        (lambda d: d["customer"][1].update(name=""), "customer.name: must start"),
        (lambda d: d["customer"][1].pop("demand"), "customer.demand: required"),
        (lambda d: d.update(allocation={"rule": "random"}), "allocation.rule: must be one of"),
        (lambda d: d.update(demand={"kind": "poisson", "mean": 5}), "demand: a [demand] table"),
        (lambda d: d.update(customer={"name": "a"}), "customer: must be [[customer]] tables"),
        (lambda d: d["contract"].update(penalty=3), "contract.penalty: with [[customer]]"),
        (lambda d: d["customer"][0].update(penalty_threshold=2),
         "customer.penalty_threshold: must lie"),
        (lambda d: d["customer"][0]["demand"].update(mean=-1), "customer.demand.mean"),
    ])
    def test_config(self, change, message):
        data = self.base()
        change(data)
        with pytest.raises(ConfigError if "must lie" not in message and "mean" not in message
                           else Exception) as info:
            config_from_dict(data)
        assert str(info.value).startswith(message)
        assert "\n" not in str(info.value)

    def test_size_check_before_allocating(self):
        p = CustomersProblem([Customer(f"c{j}", Contract.study(60), Poisson(5))
                              for j in range(5)], 0.5)
        with pytest.raises(SizeError, match=r"^customer: k = 5 customers at T = 60"):
            check_customers_size(p, 40)
        with pytest.raises(SizeError, match=r"^customer:"):
            solve_customers_dynamic(p)

    def test_exact_needs_rational_demand(self):
        p = CustomersProblem([Customer(n, Contract.study(3), Poisson(5)) for n in "ab"], 1)
        with pytest.raises(SolverError, match="^exact: customer 'a'"):
            solve_customers_dynamic(p, exact=True)

    def test_single_customer_files_unchanged(self):
        data = {"contract": {"review_period": 3, "penalty_threshold": 0.8,
                             "bonus_threshold": 0.9}, "costs": {"holding": 1},
                "demand": {"kind": "poisson", "mean": 5}}
        assert isinstance(config_from_dict(data).problem, Problem)


def test_joint_pmf_marginals_match_state_grid():
    p = _two(T=3)
    sol = solve_customers_dynamic(p, exact=True)
    for j, rr in enumerate(sol.ready_rates):
        other = 1 - j
        assert list(rr.pmf) == list(sol.joint_pmf.sum(axis=other))
    assert sum(sol.joint_pmf[w] for w in itertools.product(range(4), repeat=2)) == 1


def test_same_solver_entry_points():
    p = _two(T=3)
    assert solve_dynamic(p, exact=True).value_start == solve_customers_dynamic(
        p, exact=True).value_start
    assert solve_static(p, exact=True).base_stock == solve_customers_static(
        p, exact=True).base_stock


class TestStateChecks:
    """``order`` and ``serve`` name the field and the rule of a state outside the chain."""

    @pytest.fixture(scope="class")
    def sol(self):
        from slamarkov import DiscreteUniform

        p = CustomersProblem([Customer(n, Contract.study(2), DiscreteUniform(0, 2))
                              for n in "ab"], 2)
        return solve_customers_dynamic(p, exact=True)

    @pytest.mark.parametrize("args, match", [
        ((3, (0, 0), 3, (2, 2)), r"^state: period must lie in 1\.\.2, got 3$"),
        ((1, (1, 0), 3, (2, 2)), r"^state: ready counts \(1, 0\) are not a state of period 1"),
        ((1, (0,), 3, (2, 2)), r"^state: ready counts \(0,\) are not a state of period 1 \(2 "),
        ((1, (0, 0), -1, (2, 2)), r"^order: must be an integer in 0\.\.\d+"),
        ((1, (0, 0), 99, (2, 2)), r"^order: must be an integer in 0\.\.\d+"),
        ((1, (0, 0), 3, (2,)), r"^demands: must be 2 non-negative integers"),
        ((1, (0, 0), 3, (2, -1)), r"^demands: must be 2 non-negative integers"),
        ((1, (0, 0), 3, "ab"), r"^demands: must be 2 non-negative integers"),
    ])
    def test_serve_refuses(self, sol, args, match):
        from slamarkov.errors import ChainError

        with pytest.raises(ChainError, match=match):
            sol.serve(*args)

    def test_order_refuses_the_end_and_a_wrong_state(self, sol):
        from slamarkov.errors import ChainError

        with pytest.raises(ChainError, match=r"^state: period must lie in 1\.\.2"):
            sol.order(3, (1, 1))
        with pytest.raises(ChainError, match=r"^state: ready counts \(2, 0\)"):
            sol.order(2, (2, 0))
        assert sol.order(2, (1, 0)) == sol.order(2, [1, 0])
