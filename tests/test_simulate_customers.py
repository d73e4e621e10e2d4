"""Simulation and validation of policies for several customers (docs/model.md sections 7 and 15):
a correct simulator is consistent with the exact joint distribution; one that serves the
customers in the wrong order is caught."""

from __future__ import annotations

import numpy as np
import pytest

from slamarkov.errors import SimulationError
from slamarkov.simulation.customers import simulate_customers, validate_customers
from slamarkov.solve.customers import solve_customers_dynamic, solve_customers_static
from slamarkov.study.customers import customers_problem

RUNS = 20_000


@pytest.fixture(scope="module")
def problem():
    return customers_problem("mixed", 10, 1)


@pytest.fixture(scope="module")
def solutions(problem):
    return {"dynamic": solve_customers_dynamic(problem),
            "priority": solve_customers_static(problem, "priority"),
            "smallest-first": solve_customers_static(problem, "smallest-first")}


@pytest.mark.parametrize("policy", ["dynamic", "priority", "smallest-first"])
def test_correct_simulator_is_consistent(solutions, policy):
    sol = solutions[policy]
    runs = simulate_customers(sol, RUNS, seed=7)
    report = validate_customers(sol, runs.ready_counts)
    assert report.consistent, report.tests
    # the simulated means agree with the exact ones within 5 standard errors
    for j, rr in enumerate(sol.ready_rates):
        se = rr.sd / np.sqrt(RUNS)
        assert abs(runs.ready_counts[:, j].mean() / 10 - rr.mean) < 5 * se
        assert abs(runs.sacrificed[:, j].mean() - sol.sacrificed[j]) < 5 * max(
            runs.sacrificed[:, j].std(), 1e-9) / np.sqrt(RUNS) + 1e-12
    assert abs(runs.cost.mean() - sol.value_start) < 5 * runs.cost.std() / np.sqrt(RUNS)


def test_wrong_order_is_caught_static(solutions):
    sol = solutions["priority"]

    def reversed_priority(i, counts, y, d):  # the customers in reverse file order
        from slamarkov.chain.customers import rule_served
        a = rule_served(d[:, ::-1], y, "priority")
        return ((a & 1) << 1) | (a >> 1 & 1)

    runs = simulate_customers(sol, RUNS, seed=7, serve=reversed_priority)
    assert not validate_customers(sol, runs.ready_counts).consistent


def test_wrong_order_is_caught_dynamic(solutions):
    sol = solutions["dynamic"]

    def swapped(i, counts, y, d):  # when one of two fits alone, serve the other one
        from slamarkov.chain.customers import ReadyCounts
        score = ReadyCounts(10, "ab")
        idx = score.index(i, counts)
        fits = np.stack([d[:, 0] <= y, d[:, 1] <= y, d.sum(axis=1) <= y], axis=1)
        fam = 1 | (fits[:, 0] << 1) | (fits[:, 1] << 2) | (fits[:, 2] << 3)
        f = np.searchsorted(sol.families, fam)
        a = sol.allocation[i - 1][f, idx, 0].astype(np.int64)
        one = fits[:, 0] & fits[:, 1] & ~fits[:, 2]
        return np.where(one, 3 - a, a)

    runs = simulate_customers(sol, RUNS, seed=7, serve=swapped)
    assert not validate_customers(sol, runs.ready_counts).consistent


def test_bad_input(solutions):
    sol = solutions["dynamic"]
    with pytest.raises(SimulationError, match="^runs:"):
        simulate_customers(sol, 0)
    with pytest.raises(SimulationError, match="^ready counts:"):
        validate_customers(sol, np.zeros((5, 3), dtype=int))
    with pytest.raises(SimulationError, match="^ready counts:"):
        validate_customers(sol, np.full((5, 2), 11))
