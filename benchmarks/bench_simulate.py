"""Time the source study's full simulation grid against the issue's 60-second budget.

Grid (docs/model.md section 8): schemes lump-sum and linear (Contract.study), h in {0.5, 1, 1.5, 2},
T in {10, 20, ..., 90}, Poisson(5) demand, stock in 0..40, both policies, 18,445 runs each:
144 simulations. Solving the policies is timed separately from simulating them.

    python benchmarks/bench_simulate.py [--runs N] [--seed S]
"""

from __future__ import annotations

import argparse
import time

from slamarkov import Contract, Poisson, Problem, solve_dynamic, solve_static
from slamarkov.simulation.simulate import STUDY_RUNS, simulate

BUDGET = 60.0
SCHEMES = ("lump-sum", "linear")
HOLDING = (0.5, 1, 1.5, 2)
PERIODS = tuple(range(10, 100, 10))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=STUDY_RUNS)
    ap.add_argument("--seed", type=int, default=20240)
    args = ap.parse_args(argv)

    demand = Poisson(5)
    t0 = time.perf_counter()
    policies = []
    for scheme in SCHEMES:
        for h in HOLDING:
            for T in PERIODS:
                problem = Problem(Contract.study(T, scheme), demand, h)
                policies.append(solve_dynamic(problem, max_stock=40).policy)
                policies.append(solve_static(problem, max_stock=40).policy)
    t_solve = time.perf_counter() - t0

    t1 = time.perf_counter()
    draws = 0
    for k, policy in enumerate(policies):
        result = simulate(policy, args.runs, seed=args.seed + k, progress=False)
        draws += result.runs * policy.review_period
    t_sim = time.perf_counter() - t1
    total = t_solve + t_sim
    print(f"study grid: {len(policies)} simulations x {args.runs} runs, {draws:,} demand draws")
    print(f"solve    {t_solve:8.2f} s")
    print(f"simulate {t_sim:8.2f} s  ({1e9 * t_sim / draws:.1f} ns per period-run)")
    print(f"total    {total:8.2f} s  = {total / BUDGET:.3f} x the {BUDGET:.0f} s budget")


if __name__ == "__main__":
    main()
