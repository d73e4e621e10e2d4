"""The source study's tables from Python: exact values, and how the published ones compare
=======================================================================================

The command line does the same: ``slamarkov reproduce ready-rate --scheme lump-sum``.

Run it as a script::

    python examples/reproduce_study.py
"""

from slamarkov.study import Study, published_comparison_table, ready_rate_table, saving_table

study = Study("lump-sum", holding_costs=(0.5,), review_periods=(10, 30, 60, 90))
print("Ready rate (%), lump-sum, h = 0.5 (exact)\n")
print(ready_rate_table(study, costs=True).to_markdown())

print("\nCost saving per period of the dynamic policy, h = 0.5\n")
print(saving_table(study).to_markdown())

comparison = published_comparison_table()
worst = max(comparison, key=lambda r: abs(r["z"]))
print(f"\nThe study's {len(comparison)} published (simulated) numbers lie within "
      f"{abs(worst['z']):.2f} standard errors of the exact values;")
print(f"the farthest: {worst['scheme']}, h = {worst['h']}, T = {worst['T']}, {worst['column']}: "
      f"published {worst['published']:.2f}, exact {worst['exact']:.4f}")
