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

# %%
# The simulated ready rates beside the exact distribution (the ``plot`` extra).
import numpy as np

from slamarkov.plot import DYNAMIC_COLOUR, STATIC_COLOUR, axes_grid
from slamarkov.plot.distributions import ready_rate_panel

T = solution.problem.review_period
simulated = np.bincount(runs.ready_count, minlength=T + 1) / runs.runs
figure, axes = axes_grid(1, 1, 6.4, 3.6)
ready_rate_panel(axes[0, 0], solution.problem.contract,
                 [("exact", DYNAMIC_COLOUR, exact.pmf),
                  (f"{runs.runs} simulated runs", STATIC_COLOUR, simulated)])
axes[0, 0].set_xlabel("ready rate at the end of the review period (%)")
axes[0, 0].set_ylabel("probability")
axes[0, 0].legend(fontsize="small")
