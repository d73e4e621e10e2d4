"""A contract's optimal policy and the exact distribution of its ready rate
========================================================================

The source study's lump-sum contract at T = 10: Poisson(5) demand, holding cost 0.5, a penalty
of 50 below a ready rate of 80% and a bonus of 30 from 90%.

Run it as a script::

    python examples/optimal_policy.py
"""

from slamarkov import Contract, Poisson, Problem, solve_dynamic, solve_static

contract = Contract(10, "0.8", "0.9", "lump-sum", penalty=50, bonus=30)
problem = Problem(contract, Poisson(5), holding_cost=0.5)
dynamic = solve_dynamic(problem)  # stock adjusted each period to the record so far
static = solve_static(problem)  # one base-stock level S* for every period

print(contract.describe())
print(f"expected cost per period: dynamic {dynamic.cost_per_period:.4f}, "
      f"static (S* = {static.base_stock}) {static.cost_per_period:.4f}")

print("\nOptimal stock S_i(v): period i, after v ready periods")
for i, row in enumerate(dynamic.policy.to_lists(), start=1):
    print(f"  i = {i:2d}: " + " ".join(f"{s:2d}" for s in row))

print("\nReady rate               dynamic   static")
for label, name in (("mean", "mean"), ("SD", "sd"), ("P(penalty)", "p_penalty"),
                    ("P(bonus)", "p_bonus")):
    d, s = getattr(dynamic.ready_rate, name), getattr(static.ready_rate, name)
    print(f"  {label:22}{100 * d:8.2f}%{100 * s:8.2f}%")

print("\nP(ready rate = v/T), dynamic policy ('#' = 2%)")
for v, p in enumerate(dynamic.ready_rate.pmf):
    band = "penalty" if v < contract.penalty_count else (
        "bonus" if v >= contract.bonus_count else "")
    print(f"  {100 * v / 10:5.0f}% {p:7.4f} {'#' * round(50 * p):<50} {band}")

# %%
# The same two distributions drawn (the ``plot`` extra, matplotlib): the bars left of the red
# line pay the penalty, those right of the green line earn the bonus.
from slamarkov.plot.distributions import policies_ready_rate_figure

figure = policies_ready_rate_figure(dynamic.ready_rate, static.ready_rate,
                                    title=contract.describe())
