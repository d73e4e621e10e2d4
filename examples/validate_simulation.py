"""Validate a simulation against the exact chain, as the source study could not
============================================================================

The study simulated 18,445 review periods (the DKW sample size for a CDF band of 0.01 at 95%).
Here the same number of runs of the optimal dynamic policy is tested against its exact
ready-rate distribution and costs.

Run it as a script::

    python examples/validate_simulation.py
"""

from slamarkov import Contract, Poisson, Problem, solve_dynamic
from slamarkov.simulation.simulate import STUDY_RUNS, simulate
from slamarkov.simulation.validate import validate

solution = solve_dynamic(Problem(Contract.study(30, "linear"), Poisson(5), holding_cost=1))
runs = simulate(solution.policy, STUDY_RUNS, seed=2024)

print(f"{runs.runs} simulated review periods of T = 30, linear terms, h = 1\n")
exact = solution.ready_rate
print(f"ready rate mean: simulated {100 * runs.ready_rate.mean():.3f}%, "
      f"exact {100 * exact.mean:.3f}%")
print(f"cost per period: simulated {runs.total_cost.mean() / 30:.4f}, "
      f"exact {solution.cost_per_period:.4f}\n")

report = validate(solution, runs)
print(report.to_text())
