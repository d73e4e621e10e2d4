"""The documentation site's sources: the API page covers ``__all__``, the tutorial runs.

CI builds the site itself with warnings as errors (``sphinx-build -W``, see .ci/run); these
checks run without Sphinx.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
from pathlib import Path

import pytest

import slamarkov

DOCS = Path(__file__).resolve().parent.parent / "docs"


def load_conf():
    spec = importlib.util.spec_from_file_location("slamarkov_docs_conf", DOCS / "conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # no side effects: the API page is written by setup()
    return module


def python_blocks(page: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(encoding="utf-8"), re.S)


#: a trailing comment is an expected output when it looks like one (a number, list or bool)
EXPECTED = re.compile(r"^\s*print\(.*\)\s+#\s*(-?\d[^a-zA-Z]*|\[.*\]|True|False)\s*$")


class TestApiPage:
    def test_every_public_name_is_documented(self):
        conf = load_conf()
        text = conf.api_page_text()
        for name in slamarkov.__all__:
            if name.startswith("__"):
                continue
            assert re.search(rf"^   {re.escape(name)}$|slamarkov\.{re.escape(name)}$", text,
                             re.M), name

    def test_every_public_module_has_a_section(self):
        conf = load_conf()
        text = conf.api_page_text()
        modules = conf.api_modules()
        assert {"slamarkov.solve", "slamarkov.chain", "slamarkov.study"} <= set(modules)
        for name in modules:
            assert f".. automodule:: {name}\n" in text, name
            for public in importlib.import_module(name).__all__:
                assert public in text, (name, public)


class TestPagesRun:
    @pytest.mark.parametrize("page", ["tutorial.md", "installation.md"])
    def test_code_blocks_run_and_print_what_they_say(self, page):
        namespace: dict = {}
        for block in python_blocks(page):
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(block, page, "exec"), namespace)
            printed = [line.strip() for line in out.getvalue().splitlines()]
            expected = [m.group(1).strip() for line in block.splitlines()
                        if (m := EXPECTED.match(line))]
            for text in expected:
                assert text in printed, (page, text, printed)

    def test_the_tutorial_checks_something(self):
        n = sum(bool(EXPECTED.match(line)) for b in python_blocks("tutorial.md")
                for line in b.splitlines())
        assert n >= 8
