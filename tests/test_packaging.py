"""The package as a user meets it: ``python -m slamarkov``, the licence, ``py.typed``."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import slamarkov

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(slamarkov.__file__).resolve().parent


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def run_module(*args, cwd):
    # the package as this test imports it, from any folder
    env = dict(os.environ, PYTHONPATH=str(PACKAGE.parent))
    return subprocess.run([sys.executable, "-m", "slamarkov", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


class TestRunAsModule:
    def test_version(self, tmp_path):
        proc = run_module("--version", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == f"slamarkov {slamarkov.__version__}"

    def test_a_command_runs_as_the_script_does(self, tmp_path):
        proc = run_module("solve", str(ROOT / "examples" / "contract.toml"), "--summary-only",
                          cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert "-1.2015" in proc.stdout  # V_1(0)/T of docs/model.md section 9, first exact row

    def test_errors_are_one_line_and_exit_code_2(self, tmp_path):
        proc = run_module("solve", str(ROOT / "examples" / "contract.toml"),
                          "--review-period", "0", cwd=tmp_path)
        assert proc.returncode == 2
        assert "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
        assert "review_period" in proc.stderr

    def test_the_module_delegates_to_the_cli(self):
        text = (PACKAGE / "__main__.py").read_text(encoding="utf-8")
        assert "from .cli import main" in text


class TestLicence:
    def test_licence_file_matches_pyproject(self):
        project = pyproject()["project"]
        assert project["license"] == "MIT"  # an SPDX expression (PEP 639)
        assert project["license-files"] == ["LICENSE"]
        text = (ROOT / "LICENSE").read_text(encoding="utf-8")
        assert text.splitlines()[0] == "MIT License"
        assert "Permission is hereby granted, free of charge" in text
        assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text


class TestTyped:
    def test_py_typed_ships_with_the_package(self):
        assert (PACKAGE / "py.typed").is_file()
        data = pyproject()["tool"]["setuptools"]["package-data"]["slamarkov"]
        assert "py.typed" in data

    def test_every_package_data_pattern_matches_a_file(self):
        for pattern in pyproject()["tool"]["setuptools"]["package-data"]["slamarkov"]:
            assert list(PACKAGE.glob(pattern)), pattern


def _floors() -> dict[str, str]:
    """name -> declared minimum, over the dependencies and the extras other than test and docs."""
    import re

    project = pyproject()["project"]
    specs = list(project["dependencies"])
    for extra, items in project.get("optional-dependencies", {}).items():
        if extra not in ("test", "docs"):
            specs += items
    floors: dict[str, str] = {}
    for spec in specs:
        m = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*>=\s*([0-9][0-9A-Za-z.]*)\s*(?:,.*)?",
                         spec)
        assert m, f"{spec!r}: every runtime dependency declares a minimum with >="
        name = m.group(1).lower().replace("_", "-")
        assert floors.get(name, m.group(2)) == m.group(2), f"{name}: two different minimums"
        floors[name] = m.group(2)
    return floors


def _release(version: str) -> tuple:
    parts = [int(p) for p in version.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


class TestMinimumVersions:
    def test_the_ci_constraints_pin_every_declared_minimum(self):
        pins = {}
        for line in (ROOT / ".ci" / "min-versions.txt").read_text(encoding="utf-8").splitlines():
            line = line.split("#")[0].strip()
            if line:
                name, _, version = line.partition("==")
                pins[name.strip().lower().replace("_", "-")] = version.strip()
        floors = _floors()
        assert set(pins) == set(floors)
        for name, floor in floors.items():
            assert _release(pins[name]) == _release(floor), name
