"""Helpers shared by the benchmark scripts: best-of-n timing and the reference in-place pass."""

from __future__ import annotations

import time

import numpy as np


def best_of(fn, repeat=3):
    """Smallest wall time of ``repeat`` calls of ``fn`` (seconds) and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def inplace_pass_seconds(n_values, repeat=5):
    """Time of one in-place numpy pass ``np.add(x, 1.0, out=x)`` over ``n_values`` float64 values
    (the array is touched once first, so page faults are not timed)."""
    x = np.zeros(n_values)
    np.add(x, 1.0, out=x)
    t, _ = best_of(lambda: np.add(x, 1.0, out=x), repeat)
    return t


def cpu_best_of(fn, repeat=3):
    """Smallest CPU time (``time.process_time``) of ``repeat`` calls of ``fn`` (seconds): on a
    shared machine it drifts less than wall time."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best
