"""The documentation site works offline and shows the whole product (issue 23, item 7); the HTML
report states its definitions itself.

Checks on the sources (CI builds the site itself, ``sphinx-build -W``): MathJax comes from the
site, not a CDN, and no page is generated with scripts from elsewhere; code blocks scroll; every
gallery example draws a figure (its own thumbnail); the pages on carry-over, sweeps and design,
monitoring and the report are in the table of contents; docs/installation.md names every
runtime dependency and every extra of pyproject.toml; the report cites nothing a recipient
cannot open.
"""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"


def load_conf():
    spec = importlib.util.spec_from_file_location("slamarkov_docs_conf_site", DOCS / "conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _name(spec: str) -> str:
    return re.match(r"\s*([A-Za-z0-9_.\-]+)", spec).group(1).lower()


class TestOffline:
    def test_mathjax_is_served_by_the_site(self):
        conf = load_conf()
        assert "sphinx-mathjax-offline" in conf.extensions
        assert "sphinx.ext.mathjax" in conf.extensions
        assert not getattr(conf, "mathjax_path", "").startswith("http")
        docs_extra = [_name(s) for s in pyproject()["project"]["optional-dependencies"]["docs"]]
        assert "sphinx-mathjax-offline" in docs_extra

    def test_no_execution_times_page_with_cdn_scripts(self):
        # sphinx-gallery's computation-times page loads jQuery and DataTables from CDNs
        assert load_conf().sphinx_gallery_conf["write_computation_times"] is False

    def test_no_intersphinx(self):
        assert "sphinx.ext.intersphinx" not in load_conf().extensions

    def test_code_blocks_scroll(self):
        conf = load_conf()
        assert "custom.css" in conf.html_css_files and "_static" in conf.html_static_path
        css = (DOCS / "_static" / "custom.css").read_text(encoding="utf-8")
        assert re.search(r"pre\s*\{[^}]*overflow-x:\s*auto", css)


class TestGallery:
    @pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.py")))
    def test_every_example_draws_a_figure(self, name):
        # the scraper (docs/gallery_figures.py) keeps every Figure bound to a name; an example
        # without one would get sphinx-gallery's placeholder thumbnail
        text = (EXAMPLES / name).read_text(encoding="utf-8")
        assert re.search(r"^(\w*figure\w*)(, \w+)? = ", text, re.M) or \
            "sphinx_gallery_thumbnail_path" in text, name


class TestPages:
    PAGES = ("carry-over", "sweeps-and-design", "monitoring", "report")

    def test_pages_exist_and_are_in_the_toc(self):
        index = (DOCS / "index.rst").read_text(encoding="utf-8")
        toc = index.split(".. toctree::", 1)[1]
        for page in self.PAGES:
            assert (DOCS / f"{page}.md").is_file(), page
            assert re.search(rf"^\s+{re.escape(page)}\s*$", toc, re.M), page

    @pytest.mark.parametrize("page", PAGES)
    def test_every_command_shown_is_a_slamarkov_command(self, page):
        import slamarkov.cli

        commands = set(slamarkov.cli.build_parser()._subparsers._group_actions[0].choices)
        text = (DOCS / f"{page}.md").read_text(encoding="utf-8")
        shown = re.findall(r"^slamarkov (\S+)", text, re.M)
        assert shown, page
        assert set(shown) <= commands, set(shown) - commands


class TestInstallationPage:
    def test_lists_every_runtime_dependency_and_extra(self):
        text = (DOCS / "installation.md").read_text(encoding="utf-8")
        project = pyproject()["project"]
        for spec in project["dependencies"]:
            assert f"`{_name(spec)}`" in text, spec
        for extra, specs in project["optional-dependencies"].items():
            assert f"`{extra}`" in text, extra
            for spec in specs:
                assert f"`{_name(spec)}`" in text, (extra, spec)

    def test_names_nothing_that_is_not_a_dependency(self):
        # the page once said that import slamarkov needs sympy: it does not
        text = (DOCS / "installation.md").read_text(encoding="utf-8")
        section = text.split("## Dependencies", 1)[1].split("\n## ", 1)[0]
        runtime = section.split("### Extras", 1)[0]
        named = set(re.findall(r"`([a-z0-9][a-z0-9_.\-]*)`", runtime))
        declared = {_name(s) for s in pyproject()["project"]["dependencies"]}
        assert named == declared


def test_the_report_states_its_definitions():
    pytest.importorskip("jinja2")
    pytest.importorskip("matplotlib")
    from slamarkov import Contract, Poisson, Problem
    from slamarkov.report.html import render_report

    page = render_report(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40)
    assert "model.md" not in page and "docs/" not in page
    assert 'id="definitions"' in page
    for term in ("ready rate", "settlement", "Dynamic and static", "Giving up", "exact"):
        assert term in page, term
