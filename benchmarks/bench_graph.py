"""Benchmark: building the networkx graph of the dynamic policy's chain at T = 200.

Issue 5's target: graph construction at T = 200 (20,100 transient states, 20,301 nodes,
40,200 edges) in under 2 seconds. The policy is solved first and not timed; the figure is the
best of five builds, printed with its ratio to the target (below 1 meets it).

Run: ``python benchmarks/bench_graph.py [T]``
"""

from __future__ import annotations

import sys

from _common import best_of
from slamarkov import Contract, Poisson, Problem, solve_dynamic
from slamarkov.analysis.inspect import inspect_policy
from slamarkov.analysis.graph import policy_graph

TARGET_SECONDS = 2.0


def main(T: int = 200) -> None:
    policy = solve_dynamic(Problem(Contract.study(T), Poisson(5), 0.5), max_stock=40).policy
    seconds, G = best_of(lambda: policy_graph(policy), repeat=5)
    n_transient = T * (T + 1) // 2
    print(f"policy_graph at T = {T}: {n_transient:,} transient states, "
          f"{G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges")
    print(f"  best of 5: {seconds:.3f} s; ratio to the {TARGET_SECONDS:g} s target: "
          f"{seconds / TARGET_SECONDS:.3f}")
    inspect_seconds, _ = best_of(lambda: inspect_policy(policy), repeat=5)
    print(f"inspect_policy at T = {T}: best of 5: {inspect_seconds:.3f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
