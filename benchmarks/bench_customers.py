"""Several customers sharing one stock (docs/model.md section 15): Poisson(5) per customer, the
study's lump-sum amounts, h = 0.5, leftover discarded; k = 2 at T = 90 and k = 3 at T = 30.

Prints, each measured in this process (numpy on one thread), the time of

* the dynamic policy (order and allocation in every state, with its joint distribution),
* each static rule's best base stock (with its joint distribution),
* the exact joint distribution of the final ready counts alone (one forward pass),

as a ratio against one float64 numpy pass over (transient states x (K + 1) x 2^k) entries
(target: each within 60 times), and the largest review periods the size check lets through on
this machine.

Usage: ``python benchmarks/bench_customers.py``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import best_of, inplace_pass_seconds  # noqa: E402

from slamarkov import Contract, Poisson  # noqa: E402
from slamarkov.core.limits import max_bytes  # noqa: E402
from slamarkov.errors import SizeError  # noqa: E402
from slamarkov.model.customers import Customer, CustomersProblem  # noqa: E402
from slamarkov.solve.customers import (  # noqa: E402
    check_customers_size,
    customers_stock_range,
    policy_outcomes,
    solve_customers_dynamic,
    solve_customers_static,
)


def problem(k, T, leftover="discard"):
    return CustomersProblem([Customer(f"c{j}", Contract.study(T), Poisson(5)) for j in range(k)],
                            0.5, leftover=leftover)


def largest_T(k, leftover):
    """The largest T (up to 4000) the size check accepts for k customers."""
    lo, hi = 1, 4000
    while lo < hi:
        mid = (lo + hi + 1) // 2
        p = problem(k, mid, leftover)
        try:
            check_customers_size(p, customers_stock_range(p))
            lo = mid
        except SizeError:
            hi = mid - 1
    return lo


def main():
    for k, T in ((2, 90), (3, 30)):
        p = problem(k, T)
        K = customers_stock_range(p)
        states = check_customers_size(p, K)
        base = inplace_pass_seconds(states * (K + 1) * 2**k)
        t_dyn, dyn = best_of(lambda: solve_customers_dynamic(p), 3)
        print(f"k = {k}, T = {T}: {states:,} transient states, orders 0..{K}; baseline pass over "
              f"{states * (K + 1) * 2**k:,} entries {1e3 * base:.2f} ms")
        print(f"  dynamic policy with its joint pmf  {t_dyn:8.3f} s  ratio {t_dyn / base:6.1f}")
        for rule in ("priority", "smallest-first"):
            t_sta, sta = best_of(lambda r=rule: solve_customers_static(p, r), 3)
            print(f"  static {rule:15} S* = {sta.base_stock:3} {t_sta:8.3f} s  ratio "
                  f"{t_sta / base:6.1f}")
        t_joint, _ = best_of(lambda: policy_outcomes(dyn), 3)
        print(f"  joint pmf of the dynamic policy    {t_joint:8.3f} s  ratio {t_joint / base:6.1f}")
        print(f"  cost per period: dynamic {dyn.cost_per_period:.6f}, static (priority) "
              f"{solve_customers_static(p).cost_per_period:.6f}")
    print(f"sizes the size check lets through (memory limit {max_bytes() / 2**30:.1f} GiB), "
          "Poisson(5), h = 0.5:")
    for k in (2, 3, 4):
        print(f"  k = {k}: T <= {largest_T(k, 'discard')} (discard), "
              f"T <= {largest_T(k, 'carry')} (carry)")


if __name__ == "__main__":
    main()
