"""The model page docs/model.md and the citations of it.

Every docstring, comment, help text and README line that cites "docs/model.md section N" must
name a section that exists as a heading ``## N. Title`` of the page, and nothing in the
repository may point to a model document outside it.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "docs" / "model.md"
SCANNED = ("slamarkov", "tests", "proofs", "benchmarks", "examples", "docs", ".ci")
SUFFIXES = {".py", ".md", ".rst", ".toml", ".txt", ".cfg", ""}

#: "docs/model.md section 4", "docs/model.md sections 4 and 5", "sections 1-3", "2, 6 and 8"
CITATION = re.compile(
    r"docs/model\.md\s+sections?\s+(\d+(?:\s*(?:,|and|-|\u2013|to)\s*\d+)*)", re.IGNORECASE
)


def model_sections() -> dict[int, str]:
    """Section number -> title, from the ``## N. Title`` headings of docs/model.md."""
    found = re.findall(r"^## (\d+)\. (.+)$", MODEL.read_text(encoding="utf-8"), re.MULTILINE)
    numbers = [int(n) for n, _ in found]
    assert numbers == sorted(set(numbers)), f"section numbers not increasing and unique: {numbers}"
    return {int(n): title for n, title in found}


def cited_sections(text: str) -> set[int]:
    """Section numbers a text cites (ranges expanded; line breaks inside a citation allowed)."""
    out: set[int] = set()
    for m in CITATION.finditer(" ".join(text.split())):
        spec = m.group(1)
        for a, b in re.findall(r"(\d+)\s*(?:-|\u2013|to)\s*(\d+)", spec):
            out.update(range(int(a), int(b) + 1))
        out.update(int(n) for n in re.findall(r"\d+", spec))
    return out


def repository_files():
    yield ROOT / "README.md"
    yield ROOT / "pyproject.toml"
    for top in SCANNED:
        base = ROOT / top
        if not base.exists():
            continue
        for path in base.rglob("*"):
            if "_build" in path.parts or "__pycache__" in path.parts or not path.is_file():
                continue
            if path.suffix in SUFFIXES and path not in (MODEL, Path(__file__).resolve()):
                yield path


def help_texts(parser: argparse.ArgumentParser):
    """The --help text of a parser and of every subcommand under it, recursively."""
    yield parser.prog, parser.format_help()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from help_texts(sub)


class TestModelPage:
    def test_the_first_ten_sections_keep_their_numbers(self):
        # citations map one to one onto these: renumbering would silently change their meaning
        sections = model_sections()
        assert set(range(1, 11)) <= set(sections)
        assert "dynamic policy" in sections[4].lower()
        assert "static policy" in sections[5].lower()
        assert "chain" in sections[6].lower()

    def test_citation_parser(self):
        text = "as in docs/model.md sections 1-3 and\n 6, and (docs/model.md section 9)"
        assert cited_sections(text) == {1, 2, 3, 6, 9}
        assert cited_sections("docs/model.md section 12") == {12}


class TestCitations:
    def test_every_cited_section_exists(self):
        sections = model_sections()
        missing = {}
        n_citations = 0
        for path in repository_files():
            cited = cited_sections(path.read_text(encoding="utf-8", errors="replace"))
            n_citations += len(cited)
            bad = sorted(cited - set(sections))
            if bad:
                missing[str(path.relative_to(ROOT))] = bad
        assert not missing, f"cited sections missing from docs/model.md: {missing}"
        assert n_citations > 40  # the scan found the docstrings' citations at all

    def test_every_help_text_citation_exists(self):
        from slamarkov.cli import build_parser

        sections = model_sections()
        texts = dict(help_texts(build_parser()))
        assert any(cited_sections(t) for t in texts.values())  # reproduce --help cites one
        for prog, text in texts.items():
            assert cited_sections(text) <= set(sections), prog

    @pytest.mark.parametrize("outside", ["MODEL" + ".md", "../" + "shared", "/work/" + "shared"])
    def test_nothing_points_outside_the_repository(self, outside):
        hits = [str(p.relative_to(ROOT)) for p in repository_files()
                if outside in p.read_text(encoding="utf-8", errors="replace")]
        assert not hits, f"{outside!r} cited in {hits}"
