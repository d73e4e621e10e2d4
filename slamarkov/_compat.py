"""The module paths of slamarkov 0.1, kept importable after the regroup into folders.

slamarkov's modules moved into folders that show the flow of the package (``model/``,
``chain/``, ``solve/``, ``analysis/``, ...; the README's architecture section has the map). A
module that no longer exists under its old name (``slamarkov.contract``, ``slamarkov.policy``,
``slamarkov.graph``, ...) is served from here, as QuantEcon serves its moved modules: the old path
is a light module in ``sys.modules`` whose names resolve, on use, to their new home, with a
:class:`DeprecationWarning` that names it::

    >>> import warnings
    >>> from slamarkov import _compat
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     from slamarkov.contract import Contract
    >>> Contract.__module__, caught[0].category.__name__
    ('slamarkov.model.contract', 'DeprecationWarning')

Nothing in the package imports an old path, and the new homes are found by name
(:func:`importlib.import_module`), so no layer of the package depends on this module's targets.
"""

from __future__ import annotations

import importlib
import sys
import types
import warnings

__all__ = ["MOVED", "LIFTED", "install", "lifted"]

#: old module -> the modules that now hold its names, searched in order
MOVED = {
    "slamarkov.contract": ("slamarkov.model.contract",),
    "slamarkov.demand": ("slamarkov.model.demand",),
    "slamarkov.problem": ("slamarkov.model.problem",),
    "slamarkov.config": ("slamarkov.model.config",),
    "slamarkov.space": ("slamarkov.chain.space", "slamarkov.chain.kernels"),
    "slamarkov.policy": ("slamarkov.chain.policy",),
    "slamarkov.distribution": ("slamarkov.chain.distribution",),
    "slamarkov.carry": ("slamarkov.solve.carry", "slamarkov.chain.kernels", "slamarkov.chain.policy",
                        "slamarkov.core.binomial"),
    "slamarkov.gaming": ("slamarkov.analysis.gaming",),
    "slamarkov.monitor": ("slamarkov.analysis.monitor", "slamarkov.model.contract"),
    "slamarkov.graph": ("slamarkov.analysis.graph", "slamarkov.analysis.inspect",
                        "slamarkov.chain.classes", "slamarkov.io.graphs"),
    "slamarkov.simulate": ("slamarkov.simulation.simulate", "slamarkov.simulation.runs"),
    "slamarkov.validate": ("slamarkov.simulation.validate",),
    "slamarkov.grid": ("slamarkov.sweep.grid",),
    "slamarkov.design": ("slamarkov.sweep.design", "slamarkov.plot.figure"),
    "slamarkov.html_report": ("slamarkov.report.html",),
    "slamarkov.plot_graph": ("slamarkov.plot.policy",),
}

#: names of 0.1 that live on under another name: (old module, old name) -> "module.new name"
RENAMED = {
    ("slamarkov.space", "demand_kernel"): "slamarkov.chain.tables.toeplitz",
}


def _demand_tables(problem, K, exact):
    """0.1's ``slamarkov.carry.demand_tables``: (F, H, pmf, Toeplitz matrix, E[d]) on 0..K,
    now :class:`slamarkov.chain.tables.DemandTables`."""
    tables = importlib.import_module("slamarkov.chain.tables").DemandTables(
        problem.demand, K, exact=exact)
    return tables.F, tables.H, tables.pmf, tables.toeplitz, tables.mean


#: functions of 0.1 whose result is now an object: (old module, old name) -> an adapter
ADAPTED = {
    ("slamarkov.carry", "demand_tables"): _demand_tables,
}

#: names a package of today held as a module of 0.1 whose home is now in a higher layer
LIFTED = {
    "slamarkov.plot": ("slamarkov.study.figures",),
}


def _find(old: str, name: str, targets: tuple):
    if name.startswith("__"):
        raise AttributeError(name)
    if (old, name) in RENAMED:
        module, _, new = RENAMED[old, name].rpartition(".")
        warnings.warn(f"{old}.{name} has moved to {module}.{new}; import it from there (the old "
                      "path is kept for one release)", DeprecationWarning, stacklevel=3)
        return getattr(importlib.import_module(module), new)
    if (old, name) in ADAPTED:
        warnings.warn(f"{old}.{name} has moved to slamarkov.chain.tables.DemandTables; build one "
                      "(the old function is kept for one release)", DeprecationWarning,
                      stacklevel=3)
        return ADAPTED[old, name]
    for target in targets:
        module = importlib.import_module(target)
        if hasattr(module, name):
            warnings.warn(
                f"{old}.{name} has moved to {target}.{name}; import it from there (the old path "
                "is kept for one release)", DeprecationWarning, stacklevel=3)
            return getattr(module, name)
    raise AttributeError(f"module {old!r} has no attribute {name!r}")


def _names(targets: tuple) -> list:
    out = set()
    for target in targets:
        module = importlib.import_module(target)
        out.update(getattr(module, "__all__", None)
                   or (n for n in vars(module) if not n.startswith("_")))
    return sorted(out)


class _MovedModule(types.ModuleType):
    """An old module path: every attribute comes from the new homes, with a warning."""

    def __init__(self, name: str, targets: tuple):
        super().__init__(name, f"Moved: {name} now lives in {', '.join(targets)}.")
        self.__targets = targets

    def __getattr__(self, name):
        return _find(self.__name__, name, self.__targets)

    def __dir__(self):
        return _names(self.__targets)


def lifted(package: str, name: str):
    """A name of ``package`` that moved to a higher layer (module ``__getattr__`` of the
    package), with a :class:`DeprecationWarning`."""
    return _find(package, name, LIFTED[package])


def install() -> None:
    """Put every old module path into ``sys.modules`` (cheap: nothing is imported until a name
    is used)."""
    for old, targets in MOVED.items():
        sys.modules.setdefault(old, _MovedModule(old, targets))
