"""Every script in examples/ runs as it is, from any folder, and prints what it promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

#: script -> strings its output must contain
EXPECTED = {
    "optimal_policy.py": ["expected cost per period: dynamic -1.2015, static (S* = 8) -0.8720",
                          "i = 10:  0  0  0  0  0  0  0 10 10  0", "P(bonus)"],
    "lump_sum_vs_linear.py": ["lump-sum    10  dynamic       0.3450", "linear      90  dynamic"],
    "mid_period.py": ["S_7(4) = 10", "ready periods still to come", "cost of the rest"],
    "policy_graph.py": ["66 states, 110 transitions", "GraphML round trip: 66 nodes, 110 edges"],
    "validate_simulation.py": ["18445 simulated review periods", "verdict: consistent"],
    "plot_policy.py": ["chain of T = 10: 55 transient states drawn",
                       "heat map: stock S_i(v) for T = 60",
                       "ready-rate distributions: 2 panels"],
    "reproduce_study.py": ["| 0.5 | 10 | 89.6123 | 2.4573 | 0.1328 | 96.2415 |",
                           "published (simulated) numbers lie within"],
}


def test_every_example_is_listed():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs(name, tmp_path):
    proc = subprocess.run([sys.executable, str(EXAMPLES / name)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    for text in EXPECTED[name]:
        assert text in proc.stdout, text
    assert not any(tmp_path.iterdir())  # examples leave no files behind
