"""Start-up (issue 12): ``import slamarkov`` and ``slamarkov --help`` load no heavy library.

A behaviour, not a timing: each runs in a fresh interpreter, which then reports the heavy modules
present in ``sys.modules``. The commands that need one import it in the function that uses it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ["scipy.stats", "scipy.optimize", "sympy", "networkx", "matplotlib", "pandas", "dask", "jinja2"]

REPORT = f"import json, sys; print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"

SCRIPTS = {
    "import slamarkov": "import slamarkov\n",
    "slamarkov --help": (
        "from slamarkov.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
    ),
    "slamarkov solve --help": (
        "from slamarkov.cli import main\n"
        "try:\n    main(['solve', '--help'])\nexcept SystemExit:\n    pass\n"
    ),
}


@pytest.mark.parametrize("what", sorted(SCRIPTS))
def test_no_heavy_import(what):
    proc = subprocess.run([sys.executable, "-c", SCRIPTS[what] + REPORT], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    assert loaded == [], f"{what} imported {loaded}"


def test_the_check_can_fail():
    """The same probe sees a heavy module when one is imported."""
    proc = subprocess.run([sys.executable, "-c", "import slamarkov, scipy.stats\n" + REPORT],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert "scipy.stats" in json.loads(proc.stdout.strip().splitlines()[-1])
