"""Mid-period questions, answered exactly from the policy's absorbing Markov chain
===============================================================================

Six periods into a ten-period review with four of them ready, under the optimal dynamic policy
of the study's lump-sum contract (h = 0.5): how likely is the bonus now, what is still to come,
and what will the rest of the review period cost?

Run it as a script::

    python examples/mid_period.py
"""

import math

from slamarkov import Contract, Poisson, Problem, solve_dynamic
from slamarkov.chain import AbsorbingChain

problem = Problem(Contract.study(10, "lump-sum"), Poisson(5), holding_cost=0.5)
policy = solve_dynamic(problem).policy
chain = AbsorbingChain(policy)

start = (7, 4)  # at the start of period 7, with 4 of the first 6 periods ready
print(f"state (i, v) = {start}: period {start[0]} starts, {start[1]} ready periods so far")
print(f"stock the policy holds now: S_7(4) = {policy.stock_at(*start)}")

bands = chain.band_probabilities(start)
print("\nfinal band, from here:      " + "   ".join(
    f"{band} {100 * p:.2f}%" for band, p in bands.items()))
print("            from the start: " + "   ".join(
    f"{band} {100 * p:.2f}%" for band, p in chain.band_probabilities().items()))

rest = chain.remaining_ready(start)
print(f"\nready periods still to come: mean {rest['mean']:.3f}, SD {math.sqrt(rest['variance']):.3f}"
      f" (of {problem.review_period - start[0] + 1} periods)")

zero = chain.expected_visits(lambda i, v, s: s == 0, start)
print(f"expected periods with zero stock (the policy gives up or coasts): {zero:.3f}")

mean, var = chain.cost_moments(start)
print(f"cost of the rest of the review period: mean {mean:.3f}, SD {math.sqrt(var):.3f}")

dist = chain.ready_rate(start)
print("\nP(final ready count = v) from here:")
for v, p in enumerate(dist.pmf):
    if p > 5e-5:
        print(f"  v = {v:2d}  {p:.4f}")

# %%
# The final ready count from (7, 4) beside the one from the start (the ``plot`` extra).
from slamarkov.plot import DYNAMIC_COLOUR, STATIC_COLOUR, axes_grid
from slamarkov.plot.distributions import ready_rate_panel

figure, axes = axes_grid(1, 1, 6.4, 3.6)
ready_rate_panel(axes[0, 0], problem.contract,
                 [("from the start", STATIC_COLOUR, chain.ready_rate().pmf),
                  (f"from {start}", DYNAMIC_COLOUR, dist.pmf)])
axes[0, 0].set_xlabel("ready rate at the end of the review period (%)")
axes[0, 0].set_ylabel("probability")
axes[0, 0].legend(fontsize="small")
