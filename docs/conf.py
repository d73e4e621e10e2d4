"""Sphinx configuration of slamarkov's documentation site.

Build (from the repository root, with the ``docs`` extra installed)::

    sphinx-build -W --keep-going -b html docs docs/_build/html

The API reference is generated from the public names (``__all__``) of the package and of its
public modules (see :func:`write_api_pages`); the examples/ scripts are run and rendered as a
gallery by sphinx-gallery; the model page docs/model.md is read by myst-parser.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))  # gallery_figures, the scraper of slamarkov's figures
os.environ.setdefault("MPLBACKEND", "Agg")

import slamarkov  # noqa: E402

project = "slamarkov"
author = "The slamarkov developers"
copyright = "2026, The slamarkov developers"
release = slamarkov.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # MathJax served from the site itself, not a CDN: the site works offline (the docs extra)
    "sphinx-mathjax-offline",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "figures", "conf.py", "gallery_figures.py", "**/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.json", "auto_examples/*.md5",
                    "auto_examples/*.codeobj.json"]
templates_path = ["_templates"]

# -- MyST: the model page (math, stable heading anchors "#4-the-dynamic-policy") ------------------
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 2

# -- autodoc / autosummary / numpydoc --------------------------------------------------------------
autosummary_generate = ["api.rst"]  # written by setup() below, before autosummary reads it
autosummary_imported_members = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()

# No intersphinx: the site must build offline (CI), and a failed inventory fetch is a warning.

# -- sphinx-gallery: the examples/ scripts, run, with their output and figures ---------------------


sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r".*\.py$",  # run every example: each takes about a second
    "image_scrapers": ("matplotlib", "gallery_figures"),  # docs/gallery_figures.py
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "within_subsection_order": "FileNameSortKey",
    "plot_gallery": "True",
    # no execution-times page: sphinx-gallery builds it with scripts from a CDN (offline site)
    "write_computation_times": False,
}

# -- HTML ------------------------------------------------------------------------------------------
html_theme = "alabaster"
html_title = f"slamarkov {release}"
html_static_path = ["_static"]
#: code blocks scroll instead of running past the page (docs/_static/custom.css)
html_css_files = ["custom.css"]
html_theme_options = {
    "description": "Optimal stocking under ready-rate SLAs, analysed exactly as absorbing "
                   "Markov chains",
    "fixed_sidebar": True,
}

# -- the API pages, generated from __all__ ---------------------------------------------------------

#: the order of the folders on the API page: the package's flow, from the model to the reports
#: (README, "Architecture"); then the helpers below every layer. The command line is left out.
FLOW = ["model", "chain", "solve", "analysis", "simulation", "plot", "study", "sweep", "report",
        "io", "core", "errors"]


def api_modules() -> list[str]:
    """Every public module of the package with an ``__all__``, folder by folder in the order of
    :data:`FLOW` (a folder's own ``__init__`` first, then its modules alphabetically); no
    private module (leading underscore) and not the command line."""
    import pkgutil

    out = []
    for top in FLOW:
        name = f"slamarkov.{top}"
        module = importlib.import_module(name)
        found = [name] if getattr(module, "__all__", None) else []
        if hasattr(module, "__path__"):
            subs = sorted(m.name for m in pkgutil.iter_modules(module.__path__)
                          if not m.name.startswith("_"))
            found += [f"{name}.{m}" for m in subs
                      if getattr(importlib.import_module(f"{name}.{m}"), "__all__", None)]
        out += found
    return out


def _kind(obj) -> str:
    if inspect.isclass(obj) and issubclass(obj, BaseException):
        return "Exceptions"
    if inspect.isclass(obj):
        return "Classes"
    if callable(obj):
        return "Functions"
    return "Constants"


def _section(module_name: str, names, documented) -> list[str]:
    module = importlib.import_module(module_name)
    groups: dict[str, list[str]] = {}
    constants = []
    for name in names:
        if name.startswith("__"):
            continue
        obj = getattr(module, name)
        kind = _kind(obj)
        if kind == "Constants":
            constants.append(name)
            continue
        home = getattr(obj, "__module__", module_name)
        if (home, name) in documented:  # one page per object: the first list that names it
            continue
        if module_name == "slamarkov" and f"slamarkov.{name}" in sys.modules:
            # shadows a submodule (slamarkov.monitor the function and the module): autosummary
            # would document the module; its own module's section lists it instead
            continue
        documented.add((home, name))
        groups.setdefault(kind, []).append(name)
    lines = []
    for kind in ("Classes", "Functions", "Exceptions"):
        if kind not in groups:
            continue
        lines += [kind, "~" * len(kind), "", f".. currentmodule:: {module_name}", "",
                  ".. autosummary::", "   :toctree: generated", "   :nosignatures:", ""]
        lines += [f"   {n}" for n in sorted(groups[kind], key=str.lower)] + [""]
    if constants:
        lines += ["Constants", "~~~~~~~~~", ""]
        for n in constants:
            lines += [f".. autodata:: {module_name}.{n}", "   :no-value:", ""]
    return lines


def api_page_text() -> str:
    """docs/api.rst, from ``slamarkov.__all__`` and the public modules' ``__all__``."""
    documented: set[tuple[str, str]] = set()
    lines = [
        ".. This page is generated by docs/conf.py from __all__: do not edit.",
        "",
        "API reference",
        "=============",
        "",
        "Everything ``import slamarkov`` exports, then the public modules of the analysis layer.",
        "Each entry is the function's or class's own docstring, with its runnable example and",
        "the section of :doc:`model` it implements.",
        "",
        "slamarkov",
        "---------",
        "",
        ".. automodule:: slamarkov",
        "   :no-members:",
        "",
    ]
    lines += _section("slamarkov", slamarkov.__all__, documented)
    for name in api_modules():
        module = importlib.import_module(name)
        lines += [name, "-" * len(name), "", f".. automodule:: {name}", "   :no-members:", ""]
        lines += _section(name, module.__all__, documented)
    return "\n".join(lines) + "\n"


def write_api_pages() -> Path:
    """Write docs/api.rst (only when it changes, so Sphinx does not rebuild it needlessly)."""
    text = api_page_text()
    path = HERE / "api.rst"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


def setup(app):
    # before autosummary (priority 500) looks for the pages to generate
    app.connect("builder-inited", lambda app: write_api_pages(), priority=100)
