"""Figures of a policy: its chain, its stock table and its ready-rate distribution
=================================================================================

The optimal dynamic policy of the source study's lump-sum contract (Poisson(5) demand,
holding cost 1), drawn three ways with the ``plot`` extra (matplotlib): the absorbing chain in
its layered layout, the stock table :math:`S_i(v)` as a heat map, and the exact ready-rate
distributions of the dynamic and static policies. The figures are matplotlib ``Figure``
objects; ``save_figure(fig, "name.png")`` (or ``fig.savefig``) keeps one.

Run it as a script::

    python examples/plot_policy.py
"""

from slamarkov import Contract, Poisson, Problem, solve_dynamic
from slamarkov.study.figures import ready_rate_figure
from slamarkov.plot.policy import draw_chain, draw_policy_heatmap
from slamarkov.study import Study

problem = Problem(Contract.study(10, "lump-sum"), Poisson(5), holding_cost=1)
policy = solve_dynamic(problem).policy

# %%
# The chain: stage i left to right, ready count v bottom to top, each state's stock inside it.
chain_figure = draw_chain(policy)
print(f"chain of T = {policy.review_period}: {policy.review_period * (policy.review_period + 1) // 2} "
      f"transient states drawn")

# %%
# The stock table of a longer review period as a heat map.
long_policy = solve_dynamic(problem.with_contract(Contract.study(60, "lump-sum"))).policy
heatmap_figure = draw_policy_heatmap(long_policy)
print(f"heat map: stock S_i(v) for T = {long_policy.review_period}, "
      f"largest stock {int(long_policy.stock.max())}")

# %%
# The exact ready-rate distributions of both policies, with the thresholds.
study = Study("lump-sum", holding_costs=(1,), review_periods=(10, 30))
distribution_figure = ready_rate_figure(study, holding_costs=(1,), review_periods=(10, 30))
print(f"ready-rate distributions: {len(distribution_figure.axes)} panels (h = 1, T = 10 and 30)")
