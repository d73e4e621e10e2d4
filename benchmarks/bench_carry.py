"""Stock that carries over at T = 365 (a daily review over a year), Poisson(5), stock 0..40.

Prints, each measured in this process:

* both policies and the exact ready-count distribution, against one float64 matrix product of
  shape (T(T+1)/2, 41) @ (41, 41) (target: within 20 times);
* the same dynamic solve against a vectorised baseline that evaluates every (x, y) pair in every
  state: per period, the objective of every order y from every stock on hand x, each with its
  own expectation over the demand, and an argmin over y >= x (target: at least 20 times faster;
  also printed: the baseline sharing each expectation over x, which only the argmin separates
  from the solver);
* the start row of B from (1, 0, 0) against the solve (target: within 3 times).

Usage: ``python benchmarks/bench_carry.py [T]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import best_of  # noqa: E402

from slamarkov import AbsorbingChain, Contract, Poisson, Problem, solve_dynamic, solve_static  # noqa: E402
from slamarkov.chain.tables import DemandTables  # noqa: E402

K = 40


def baseline_dynamic(problem, K, per_pair_expectation=False):
    """Backward induction evaluating every (x, y) pair in every state, vectorised per period.

    With ``per_pair_expectation`` the expectation over the demand is taken again for every
    (x, y) pair (the literal every-pair evaluation); otherwise once per (v, y) and shared by the
    x's (a baseline that already knows the expectation does not depend on x)."""
    T = problem.review_period
    tables = DemandTables(problem.demand, K)
    F, H, pmf, mean = tables.F, tables.H, tables.pmf, tables.mean
    h, c, s = (float(problem.holding_cost), float(problem.purchase_cost),
               float(problem.salvage_value))
    G = problem.contract.settlement()
    x = np.arange(K + 1)
    y = np.arange(K + 1)
    d = np.arange(K + 1)
    left = y[:, None] - d[None, :]  # (y, d): stock left after demand d
    ready = left >= 0
    V = G[:, None] - s * x[None, :]
    for i in range(T, 0, -1):
        xs = x if i > 1 else x[:1] * 0 + int(problem.initial_stock)
        nxt = V[1 : i + 1][:, np.clip(left, 0, K)]  # (v, y, d): V(v+1, y - d)
        # every (v, x, y): its own expectation over the demand
        masked = np.where(ready[None], nxt, 0.0)
        if per_pair_expectation:
            ev = np.stack([np.einsum("vyd,d->vy", masked, pmf) for _ in xs], axis=1)
        else:
            ev = np.broadcast_to(np.einsum("vyd,d->vy", masked, pmf)[:, None, :],
                                 (i, xs.shape[0], K + 1))
        ev = ev + ((1 - F)[None, :] * V[:i, :1])[:, None, :]
        cost = (c * mean + (c + h) * H)[None, None, :] - c * xs[None, :, None] + ev
        cost = np.where(y[None, None, :] >= xs[None, :, None], cost, np.inf)
        V = cost.min(axis=2)
    return V[0, 0]


def main(T=365):
    problem = Problem(Contract.study(T), Poisson(5), "1/2", purchase_cost=1, salvage_value="1/2",
                      leftover="carry")
    n = T * (T + 1) // 2
    A = np.random.default_rng(0).random((n, K + 1))
    M = np.random.default_rng(1).random((K + 1, K + 1))
    t_mm, _ = best_of(lambda: A @ M, 5)

    def both():
        dyn = solve_dynamic(problem, max_stock=K)
        sta = solve_static(problem, max_stock=K)
        return dyn, sta

    t_solve, (dyn, sta) = best_of(both, 3)
    t_dyn, _ = best_of(lambda: solve_dynamic(problem, max_stock=K), 3)
    t_base, base_value = best_of(lambda: baseline_dynamic(problem, K), 1)
    assert abs(base_value - dyn.value_start) < 1e-6 * max(1.0, abs(base_value))
    t_pair, pair_value = best_of(lambda: baseline_dynamic(problem, K, True), 1)
    assert abs(pair_value - dyn.value_start) < 1e-6 * max(1.0, abs(pair_value))
    chain = AbsorbingChain(dyn.policy)
    t_row, row = best_of(lambda: chain.absorption((1, 0, 0)), 3)
    assert np.allclose(row, dyn.ready_rate.pmf, atol=1e-12)
    states = dyn.policy.space.n_transient
    print(f"T = {T}, Poisson(5), stock 0..{K}, carry-over: {states:,} transient states")
    print(f"matrix product ({n:,} x {K + 1}) @ ({K + 1} x {K + 1}): {t_mm:.4f} s")
    print(f"both policies + exact distribution: {t_solve:.3f} s = {t_solve / t_mm:.1f} x the "
          f"product (target <= 20)")
    print(f"dynamic solve {t_dyn:.3f} s; every-(x, y) baseline, an expectation per (x, y) "
          f"pair: {t_pair:.3f} s, {t_pair / t_dyn:.1f} x faster (target >= 20)")
    print(f"  (the same baseline sharing each expectation over x: {t_base:.3f} s, "
          f"{t_base / t_dyn:.1f} x)")
    print(f"start row of B from (1, 0, 0): {t_row:.4f} s = {t_row / t_solve:.2f} x the solve "
          f"(target <= 3)")
    print(f"dynamic cost per period {dyn.cost_per_period:.6f}, static (S* = {sta.base_stock}) "
          f"{sta.cost_per_period:.6f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 365)
