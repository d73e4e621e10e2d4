"""The shape of the package (issue 19): each layer imports only the layers below it, and no
module imports another module's private names.

The layers are the import-linter contract in pyproject.toml (``[tool.importlinter]``), checked
here through import-linter's own API and by ``lint-imports`` in CI; the private names are checked
by parsing every module of the package.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "slamarkov"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _target(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _is_module(dotted: str) -> bool:
    path = PACKAGE.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def private_imports(text: str, name: str, is_package: bool, where: str) -> list[str]:
    """``from x import _y`` in the module ``name`` (source ``text``) where x is another module
    of the package. A dunder such as ``__version__`` is public, and a private *module* (x._y a
    module of its own) is not a private name."""
    found = []
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.ImportFrom):
            continue
        target = _target(name, is_package, node)
        if not target.startswith("slamarkov") or target == name:
            continue
        for alias in node.names:
            private = alias.name.startswith("_") and not alias.name.startswith("__")
            if private and not _is_module(f"{target}.{alias.name}"):
                found.append(f"{where}:{node.lineno}: {alias.name} from {target}")
    return found


def test_no_module_imports_a_private_name_of_another():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        found += private_imports(path.read_text(encoding="utf-8"), _module_name(path),
                                 path.name == "__init__.py", str(path.relative_to(ROOT)))
    assert found == []


def test_the_private_name_check_can_fail():
    text = ("from .policy import _compact\nfrom ..core import numbers\n"
            "from .._version import __version__\nfrom . import _compat_free\n")
    found = private_imports(text, "slamarkov.chain.space", False, "space.py")
    assert found == ["space.py:1: _compact from slamarkov.chain.policy",
                     "space.py:4: _compat_free from slamarkov.chain"]
    # a private module is not a private name
    assert private_imports("from . import _version\n", "slamarkov", True, "x") == []


def test_every_folder_is_a_layer_of_the_contract():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = config["tool"]["importlinter"]["contracts"]
    named = {part.strip() for layer in contract["layers"] for part in layer.split("|")}
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert folders <= named, folders - named


def test_the_layers_contract_is_kept():
    pytest.importorskip("importlinter")
    import subprocess
    import sys

    # the command CI runs, in a fresh interpreter (import-linter configures itself there)
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    proc = subprocess.run([sys.executable, "-c", code, "--no-cache"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


def test_the_maps_show_every_folder():
    """The README's architecture block and docs/architecture.md name every folder."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("## Architecture"):readme.index("## Changelog")]
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for folder in (p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()):
        assert f"  {folder}/" in block, folder
        assert f"| `{folder}/` |" in page, folder


def test_a_long_module_says_why_it_is_one_concern():
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > 700:
            doc = ast.get_docstring(ast.parse(text)) or ""
            assert "one concern" in " ".join(doc.split()).lower(), path


def module_imports() -> dict:
    """Module -> the package's modules it imports, at the top or inside a function (a lazy
    import is still a dependency). Packages' ``__init__`` modules (faces that hand names on)
    and the 0.1 path shim ``_compat`` are left out: an edge runs to the module that defines."""
    faces = {"slamarkov._compat"}
    edges = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path)
        is_package = path.name == "__init__.py"
        if is_package or name in faces:
            continue
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = _target(name, False, node)
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.add(sub if _is_module(sub) else base)
            elif isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
        edges[name] = {t for t in targets if t.startswith("slamarkov") and t != name
                       and _is_module(t) and not (PACKAGE.parent.joinpath(*t.split("."))
                                                  / "__init__.py").exists()}
    return edges


def test_no_module_imports_one_that_imports_it_back():
    # a circle, even through a lazy import inside a function, means two modules are one concern
    # split in two or a concept with two homes
    import networkx as nx

    graph = nx.DiGraph([(a, b) for a, targets in module_imports().items() for b in targets])
    circles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert circles == []


def test_the_circle_test_sees_lazy_imports():
    edges = module_imports()
    # `chain` imports the customers' solver inside a function: that edge must be seen
    assert "slamarkov.solve.customers" in edges["slamarkov.cli.chain"]
    assert "slamarkov.chain.score" in edges["slamarkov.chain.space"]
