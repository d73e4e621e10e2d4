"""Sweep benchmark: the study grid against solving its contracts one by one, the local executor's
per-point overhead, two local workers against one, and a Dask LocalCluster against local processes.

Run: ``python benchmarks/bench_sweep.py`` (``--quick`` for a smaller large grid). Every figure is a
ratio of times measured in this run, on this machine (targets in brackets).
"""

from __future__ import annotations

import argparse
import importlib.resources
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import best_of  # noqa: E402

from slamarkov import (  # noqa: E402
    Contract, Poisson, Problem, solve_both, solve_dynamic, solve_static)
from slamarkov.analysis.gaming import gaming_indicators  # noqa: E402
from slamarkov.sweep.grid import grid_from_dict, load_grid # noqa: E402
from slamarkov.study import HOLDING_COSTS, REVIEW_PERIODS, STUDY_MAX_STOCK  # noqa: E402
from slamarkov.sweep import solve_point, sweep  # noqa: E402


def study_grids():
    root = importlib.resources.files("slamarkov") / "data"
    return [root / "study_grid_lump_sum.toml", root / "study_grid_linear.toml"]


def one_by_one():
    demand = Poisson(5)
    for scheme in ("lump-sum", "linear"):
        for T in REVIEW_PERIODS:
            for h in HOLDING_COSTS:
                prob = Problem(Contract.study(T, scheme), demand, h)
                solve_dynamic(prob, max_stock=STUDY_MAX_STOCK)
                solve_static(prob, max_stock=STUDY_MAX_STOCK)


def study_sweep(workers):
    # from the grid files: load, check every point, solve, chain, gaming, the table
    return [sweep(load_grid(p), workers=workers, progress=False) for p in study_grids()]


def large_grid(quick):
    return {
        "contract": {"review_period": {"start": 5, "stop": 365, "step": 15 if not quick else 45},
                     "penalty_threshold": [0.6, 0.65, 0.7, 0.75, 0.8], "bonus_threshold": 0.9,
                     "scheme": ["lump-sum", "linear"], "penalty_per_period": 5,
                     "bonus_per_period": [3, 5]},
        "costs": {"holding": [0.5, 1, 1.5, 2]},
        "demand": {"kind": "poisson", "mean": 5},
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="a smaller large grid")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f})")

    # 1. the study grid vs its contracts solved one by one
    t_base, _ = best_of(one_by_one, args.repeat)
    t_sweep, tables = best_of(lambda: study_sweep(1), args.repeat)
    n = sum(len(t) for t in tables) // 2
    print(f"study grid, {n} contracts x 2 policies with gaming indicators: sweep {t_sweep:.3f} s "
          f"(1 process) vs one by one {t_base:.3f} s: ratio {t_sweep / t_base:.2f} [< 2]")
    t_sweep2, _ = best_of(lambda: study_sweep(2), args.repeat)
    print(f"  same on 2 local workers: {t_sweep2:.3f} s (ratio to one by one "
          f"{t_sweep2 / t_base:.2f})")

    # 1b. the gaming indicators' share of a point (one backward and one forward pass per policy,
    # against the static solution), on the study grid's contracts solved once
    configs = [g.config(k) for g in map(load_grid, study_grids()) for k in range(len(g))]
    solved = [solve_both(c.problem, **c.solver_options()) for c in configs]
    t_ind, _ = best_of(lambda: [gaming_indicators(s, both) for both in solved for s in both],
                       args.repeat)
    t_pts, _ = best_of(lambda: [solve_point(c) for c in configs], args.repeat)
    n = len(configs)
    print(f"gaming indicators, both policies: {1e3 * t_ind / n:.2f} ms/point [< 5], "
          f"{t_ind / t_pts:.2f} of solve_point's {1e3 * t_pts / n:.2f} ms/point")

    # 2. per-point overhead of the local executor, on tiny contracts (T = 2)
    tiny = grid_from_dict({
        "contract": {"review_period": 2, "penalty_threshold": 0.5, "bonus_threshold": 1,
                     "penalty": {"start": 1, "stop": 500, "step": 1}, "bonus": [1, 2]},
        "costs": {"holding": 1}, "demand": {"kind": "poisson", "mean": 2}})
    points = list(tiny.points())
    t_loop, _ = best_of(lambda: [solve_point(p) for p in points], args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        partial = Path(tmp) / "p"
        t_w1, _ = best_of(lambda: sweep(tiny, workers=1, partial=partial, progress=False),
                          args.repeat)
        t_w2, _ = best_of(lambda: sweep(tiny, workers=2, partial=partial, progress=False),
                          args.repeat)
    n = len(tiny)
    print(f"per-point overhead, {n} tiny points (solve_point alone {1e3 * t_loop / n:.2f} ms/point): "
          f"1 worker {1e3 * (t_w1 - t_loop) / n:.3f} ms [< 5]; 2 worker processes "
          f"{1e3 * (t_w2 - t_loop / 2) / n:.3f} ms over an ideal split [< 5]")

    # 3. a large grid at T up to 365: 2 local workers vs 1
    big = grid_from_dict(large_grid(args.quick))
    T_max = max(p["contract"]["review_period"] for p in big.points())
    t1 = time.perf_counter()
    ref = sweep(big, workers=1, progress=False)
    t_big1 = time.perf_counter() - t1
    t1 = time.perf_counter()
    two = sweep(big, workers=2, progress=False)
    t_big2 = time.perf_counter() - t1
    assert two.equals(ref)
    print(f"{len(big)}-point grid, T up to {T_max}: 1 worker {t_big1:.1f} s, 2 workers "
          f"{t_big2:.1f} s: speed-up {t_big1 / t_big2:.2f} [>= 1.6] (identical tables)")

    # 4. the same grid on a Dask LocalCluster with 2 workers vs the local executor
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        print("dask.distributed not installed: LocalCluster comparison skipped")
        return
    import dask

    # workers as the README advises: without the nanny's MALLOC_TRIM_THRESHOLD_=65536, which
    # turns every large temporary array into a fresh mmap (a point takes ~35% longer)
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                         dashboard_address=None) as cluster, Client(cluster) as client:
        client.submit(solve_point, big.point(0)).result()  # workers warm (imports)
        t1 = time.perf_counter()
        dk = sweep(big, scheduler=client, progress=False)
        t_dask = time.perf_counter() - t1
    assert dk.equals(ref)
    print(f"Dask LocalCluster, 2 workers: {t_dask:.1f} s vs local executor {t_big2:.1f} s: "
          f"ratio {t_dask / t_big2:.2f} [<= 1.3] (identical tables)")


if __name__ == "__main__":
    main()
