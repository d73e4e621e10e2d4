"""Time ``slamarkov validate`` on a runs file of 10 million rows against the 10 s target of
issue 23 (0.1 streamed 2 million rows in 4.4 s: about 22 s for 10 million).

Writes the runs of a 1-million-run simulation of the README's contract (examples/contract.toml)
ten times over (the header and provenance line once), then runs ``slamarkov validate`` on it as a
user does (a fresh interpreter) and prints its wall and CPU time beside, measured in this
process, the summary of the same file by the Python csv reader (the fallback when pyarrow is
not installed) on its first million rows, scaled to the whole file; and the time to read the
file's bytes once. Both readers give the same summary to the bit (tests/test_runs_engines.py).

    python benchmarks/bench_validate.py [--rows 10000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 10.0
ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT / "examples" / "contract.toml"
BLOCK = 1_000_000


def write_runs(folder: Path, rows: int) -> Path:
    """A runs file of ``rows`` rows: a simulation of BLOCK runs, repeated."""
    one = folder / "one.csv"
    subprocess.run([sys.executable, "-m", "slamarkov", "simulate", str(CONTRACT), "--runs",
                    str(min(rows, BLOCK)), "--seed", "1", "--out", str(one), "--no-progress"],
                   check=True, stdout=subprocess.DEVNULL)
    lines = one.read_text().splitlines(keepends=True)
    head, body = lines[:2], lines[2:]
    path = folder / "runs.csv"
    with path.open("w") as fh:
        fh.writelines(head)
        left = rows
        for _ in itertools.count():
            if left <= 0:
                break
            fh.writelines(body[:left])
            left -= len(body)
    return path


def run_cli(path: Path) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    code = subprocess.run([sys.executable, "-m", "slamarkov", "validate", str(CONTRACT),
                           "--runs", str(path)], stdout=subprocess.DEVNULL).returncode
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if code not in (0, 1):
        raise SystemExit(f"validate failed with exit code {code}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=10_000_000)
    p.add_argument("--repeat", type=int, default=3, help="runs; the best is reported")
    args = p.parse_args(argv)
    from slamarkov.model.config import load_config
    from slamarkov.simulation.validate import summarise_runs

    contract = load_config(CONTRACT).problem.contract
    with tempfile.TemporaryDirectory() as d:
        path = write_runs(Path(d), args.rows)
        size = path.stat().st_size
        runs = [run_cli(path) for _ in range(max(args.repeat, 1))]
        wall, cpu = min(runs)
        t0 = time.perf_counter()
        with path.open("rb") as fh:
            while fh.read(1 << 24):
                pass
        read_bytes = time.perf_counter() - t0
        sample = Path(d) / "first.csv"
        with path.open() as src, sample.open("w") as dst:
            dst.writelines(itertools.islice(src, 2 + min(BLOCK, args.rows)))
        t0 = time.perf_counter()
        summarise_runs(sample, contract, engine="python")
        python_engine = (time.perf_counter() - t0) * args.rows / min(BLOCK, args.rows)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"slamarkov validate, {args.rows:,} rows ({size / 2**20:.0f} MiB)")
    print(f"  best of {len(runs)}: {wall:.2f} s wall ({wall / TARGET_SECONDS:.2f} of the "
          f"{TARGET_SECONDS:g} s target), {cpu:.2f} s CPU, {os.cpu_count()} CPUs, load average "
          f"{load:.2f}")
    print(f"  the Python csv reader (no pyarrow): {python_engine:.2f} s for as many rows "
          f"(from its first {min(BLOCK, args.rows):,}), {python_engine / wall:.1f} x the command")
    print(f"  reading the file's bytes once: {read_bytes:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
