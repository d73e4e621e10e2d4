"""Time ``slamarkov reproduce all`` (exact, no simulation) against the 3 s target of issue 23.

Runs the command as a user does (a fresh interpreter: imports, every table of both schemes and
the variants, the eight figures) and prints the wall time, its ratio to the target, the CPU time
of the run and the load average (other work on the machine slows the wall time, not the CPU
time). Beside it, the sum of its solves: every distinct contract of the study's grid (both
schemes; the holding costs x review periods, the saving table's ratios, the penalty-only and
normal(15, 5) variants) solved once, one after the other, in a fresh interpreter: the floor of
a run that solves each contract once (issue 7's target was 10 s; the run took 5 s in 0.1, most
of it the static policy's binomial rows computed again for every holding cost and ratio).

    python benchmarks/bench_reproduce.py [--repeat 3] [--workers N] [--no-figures]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

TARGET_SECONDS = 3.0


def run_once(extra) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, the child and its workers) of one run."""
    with tempfile.TemporaryDirectory() as out:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "slamarkov.cli", "reproduce", "all", "--out", out,
                        *extra], check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        n = len([f for _, _, fs in os.walk(out) for f in fs])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, n


#: solves every distinct contract of the grid once, as reproduce all's tables ask for them
SOLVES = """
import time
from slamarkov.model.demand import DiscretisedNormal
from slamarkov.study import Study
t0 = time.perf_counter(); c0 = time.process_time(); n = 0
for scheme in ("lump-sum", "linear"):
    base = Study(scheme)
    for st in (base, base.variant(bonus=0), base.variant(demand=DiscretisedNormal(15, 5))):
        ratios = (None,) + (st.ratios if st.bonus is None else ())
        for r in ratios:
            for h in st.holding_costs:
                for T in st.review_periods:
                    st.solve(h, T, r); n += 1
print(n, time.perf_counter() - t0, time.process_time() - c0)
"""


def solves_once() -> tuple[int, float, float]:
    """Contracts, wall and CPU seconds of solving each contract of the grid once."""
    out = subprocess.run([sys.executable, "-c", SOLVES], check=True, capture_output=True,
                         text=True).stdout.split()
    return int(out[0]), float(out[1]), float(out[2])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=3, help="runs; the best is reported")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: auto)")
    p.add_argument("--no-figures", action="store_true")
    args = p.parse_args(argv)
    extra = (["--workers", str(args.workers)] if args.workers else []) + \
        (["--no-figures"] if args.no_figures else [])
    runs = [run_once(extra) for _ in range(max(args.repeat, 1))]
    wall, cpu, files = min(runs)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"slamarkov reproduce all {' '.join(extra)}".rstrip())
    print(f"  {files} files, best of {len(runs)}: {wall:.2f} s wall "
          f"({wall / TARGET_SECONDS:.2f} of the {TARGET_SECONDS:g} s target), "
          f"{cpu:.2f} s CPU, {os.cpu_count()} CPUs, load average {load:.2f}")
    print("  all runs (wall s): " + ", ".join(f"{w:.2f}" for w, _, _ in runs))
    n, solve_wall, solve_cpu = min(solves_once() for _ in range(max(args.repeat, 1)))
    print(f"  the sum of its solves: {n} distinct contracts solved once each in {solve_wall:.2f} s "
          f"wall ({solve_cpu:.2f} s CPU), {solve_wall / wall:.2f} of the run's wall time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
