"""The source study's tables from Python: exact values, and how the published ones compare
=======================================================================================

Each table is a pandas DataFrame (its name, title and parameters in ``.attrs``) holding rates
and probabilities as fractions (0.896, not 89.6), as CSV and JSON do; the markdown rendering is a
text report and prints them in percent. ``render_table`` prints a table as the command line does: ``slamarkov reproduce ready-rate --scheme
lump-sum``.

Run it as a script::

    python examples/reproduce_study.py
"""

from slamarkov.study import (
    Study,
    published_comparison_table,
    ready_rate_table,
    render_table,
    saving_table,
)

study = Study("lump-sum", holding_costs=(0.5,), review_periods=(10, 30, 60, 90))
print("Ready rate (%), lump-sum, h = 0.5 (exact)\n")
print(render_table(ready_rate_table(study, costs=True), "markdown"))

print("\nCost saving per period of the dynamic policy, h = 0.5\n")
print(render_table(saving_table(study), "markdown"))

comparison = published_comparison_table()
worst = comparison.loc[comparison["z"].abs().idxmax()]
print(f"\nThe study's {len(comparison)} published (simulated) numbers lie within "
      f"{abs(worst['z']):.2f} standard errors of the exact values;")
print(f"the farthest: {worst['scheme']}, h = {worst['h']}, T = {worst['T']}, {worst['column']}: "
      f"published {100 * worst['published']:.2f}%, exact {100 * worst['exact']:.4f}% "
      f"(the tables hold fractions; markdown prints them in percent)")

# %%
# The study's figure of the saving (the ``plot`` extra; ``slamarkov reproduce all`` writes it
# for both schemes): the dynamic policy's saving per period against T, one line per ratio.
from slamarkov.study.figures import saving_figure

figure = saving_figure(Study("lump-sum", holding_costs=(0.5, 2), review_periods=(10, 30, 60, 90)))
