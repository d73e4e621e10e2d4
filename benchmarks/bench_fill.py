"""Fill-rate contracts (docs/model.md section 14) at T = 30, Poisson(5), stock 0..40, discard.

Prints, each measured in this process:

* both policies and both exact FR distributions (``solve_both``) against one float64 numpy
  pass over (transient states x 41) entries (target: within 60 times);
* the dynamic solve (with its FR distribution) against a vectorised baseline that evaluates every
  (state, y, d) triple: per layer, the value of every order y in every state (D, F), each with
  its own sum over the demands d kept, and the argmin over y (target: at least 20 times faster);
* the mean and variance of the cost by part (``cost_components``, a sweep point's cost SD) by
  :class:`~slamarkov.chain.kernels.FillKernel` against the reference kernel (the ratio new /
  reference);
* then, in a fresh process, T = 90 of the study's grid (lump-sum, h = 1): the size check's state
  count, the time of ``solve_both`` and the peak resident memory.

Usage: ``python benchmarks/bench_fill.py [T]``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import best_of, inplace_pass_seconds  # noqa: E402

from slamarkov import Contract, Poisson, Problem, solve_both, solve_dynamic  # noqa: E402
from slamarkov.chain.fill import triangle_pairs  # noqa: E402
from slamarkov.chain.kernels import Kernel  # noqa: E402
from slamarkov.chain.space import StateSpace  # noqa: E402
from slamarkov.chain.tables import DemandTables  # noqa: E402

K = 40


def baseline_dynamic(problem, K, chunk=4096):
    """Backward induction over (i, D, F) evaluating every (state, y, d) triple, vectorised over
    a chunk of states by all orders by all demands."""
    T = problem.review_period
    space = StateSpace.for_problem(problem)
    score = space.score
    pmf = score.pmf(False)
    d = np.arange(pmf.shape[0])
    y = np.arange(K + 1)
    tables = DemandTables(problem.demand, K)
    h = float(problem.holding_cost)
    period = h * tables.H
    Dn, Fn = triangle_pairs(score.cap(T + 1))
    V = score.settlement(problem.contract)
    for i in range(T, 0, -1):
        D, F = triangle_pairs(score.cap(i))
        cap = score.cap(i + 1)
        out = np.empty(D.shape[0])
        for lo in range(0, D.shape[0], chunk):
            Ds, Fs = D[lo : lo + chunk, None, None], F[lo : lo + chunk, None, None]
            D2 = Ds + d[None, None, :]
            F2 = Fs + np.minimum(d[None, None, :], y[None, :, None])
            keep = D2 <= cap
            idx = np.where(keep, D2 * (D2 + 1) // 2 + F2, 0)
            W = (np.where(keep, V[idx], 0.0) * pmf[None, None, :]).sum(axis=2) + period[None, :]
            out[lo : lo + chunk] = W.min(axis=1)
        V = out
    return V[0]


T90 = textwrap.dedent("""
    import resource, time
    from slamarkov import Contract, Poisson, Problem, solve_both
    from slamarkov.solve.fill import fill_state_count
    p = Problem(Contract.study(90, measure="fill-rate"), Poisson(5), 1)
    n = fill_state_count(p)
    t = time.perf_counter(); both = solve_both(p, max_stock=40); t = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"T = 90: {n:,} transient states; solve_both {t:.1f} s; peak memory {peak:.2f} GiB; "
          f"dynamic {both.dynamic.cost_per_period:.6f}/period, static S = {both.static.base_stock} "
          f"{both.static.cost_per_period:.6f}/period; truncated_mass "
          f"{both.dynamic.truncated_mass:.2e}")
""")


def main():
    T = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    problem = Problem(Contract.study(T, measure="fill-rate"), Poisson(5), 1)
    space = StateSpace.for_problem(problem)
    states = space.n_transient
    unit = inplace_pass_seconds(states * (K + 1))
    t_both, both = best_of(lambda: solve_both(problem, max_stock=K), repeat=3)
    print(f"T = {T}, Poisson(5), stock 0..{K}, discard: {states:,} transient states (D <= "
          f"{space.score.cap(T + 1)}, d <= {space.score.support.period_max}), truncated_mass "
          f"{both.dynamic.truncated_mass:.2e}")
    print(f"one float64 pass over {states:,} x {K + 1} entries: {unit * 1e3:.1f} ms")
    print(f"solve_both (both policies, both FR distributions): {t_both:.2f} s = "
          f"{t_both / unit:.1f} passes (target <= 60)")
    t_dyn, dyn = best_of(lambda: solve_dynamic(problem, max_stock=K), repeat=3)
    t_base, v_base = best_of(lambda: baseline_dynamic(problem, K), repeat=1)
    assert abs(v_base - dyn.value_start) <= 1e-9 * max(1.0, abs(v_base)), (v_base, dyn.value_start)
    print(f"dynamic solve {t_dyn:.2f} s; every-(state, y, d) baseline {t_base:.2f} s (same value "
          f"{v_base:.9f}): {t_base / t_dyn:.1f} times faster (target >= 20)")
    print(f"dynamic {both.dynamic.cost_per_period:.6f}/period, mean FR "
          f"{float(both.dynamic.fill_rate.mean):.6f}; static S = {both.static.base_stock} "
          f"{both.static.cost_per_period:.6f}/period, mean FR "
          f"{float(both.static.fill_rate.mean):.6f}")
    # the cost's mean and variance by part (a sweep point's cost SD): FillKernel's pass against
    # the reference kernel's transitions, from the start of the review period
    chain = both.dynamic.chain
    start = chain.start((1, 0, 0))
    t_fast, fast = best_of(lambda: chain.kernel.cost_components(start), repeat=3)
    t_ref, ref = best_of(lambda: Kernel(chain.policy).cost_components(start), repeat=1)
    for part, (m1, m2) in ref.items():
        assert abs(fast[part][0] - m1) <= 1e-12 * max(1.0, abs(m1)), part
        assert abs(fast[part][1] - m2) <= 1e-12 * max(1.0, abs(m2)), part
    print(f"cost_components (dynamic, every part): {t_fast:.2f} s; reference kernel "
          f"{t_ref:.2f} s: new / reference = {t_fast / t_ref:.3f} ({t_ref / t_fast:.1f} times "
          f"faster)")
    if len(sys.argv) <= 2 or sys.argv[2] != "--no-t90":
        subprocess.run([sys.executable, "-c", T90], check=True)


if __name__ == "__main__":
    main()
