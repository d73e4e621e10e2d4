"""slamarkov: optimal stocking under ready-rate SLAs, analysed exactly as absorbing Markov chains.

The flow of the package, one folder a step (README, "Architecture")::

    model/  Contract + Demand + costs -> Problem
    solve/  solve_dynamic / solve_static / solve_both -> Policy (a table over chain/'s states)
    chain/  StateSpace, kernels -> AbsorbingChain (Q, R, N, B), ReadyRateDistribution
    analysis/, simulation/ -> plot/ -> study/, sweep/, report/ -> cli/

The mathematics is in the project's model page, docs/model.md; each docstring cites its section.
"""

import sys

from . import _compat
from ._version import __version__
from .analysis.gaming import (
    coasting_states,
    gaming_indicators,
    give_up_states,
    ready_rate_gap,
)
from .analysis.monitor import MonitorResult, monitor
from .chain.absorbing import AbsorbingChain
from .chain.distribution import ReadyRateDistribution
from .chain.fill import FillRateDistribution
from .chain.policy import Policy
from .core.limits import memory_limit
from .errors import (
    ChainError,
    ChainSizeError,
    ConfigError,
    ContractError,
    CostError,
    DemandError,
    InventoryError,
    MonitorError,
    OutputError,
    PolicyError,
    SimulationError,
    SizeError,
    SlamarkovError,
    SolverError,
    SweepError,
)
from .model.contract import LINEAR, LUMP_SUM, SCHEMES, Contract
from .model.demand import (
    ContinuousUniform,
    Demand,
    DiscreteDemand,
    DiscreteUniform,
    DiscretisedNormal,
    Empirical,
    Poisson,
    ScipyDemand,
    make_demand,
)
from .model.problem import CARRY, DISCARD, LEFTOVER_MODES, Problem
from .solve import (
    DynamicSolution,
    Solutions,
    StaticSolution,
    lower_envelope,
    solve_both,
    solve_dynamic,
    solve_static,
)
from .sweep.grid import Grid, grid_from_dict, load_grid

_compat.install()  # the module paths of 0.1 (slamarkov.contract, ...) stay importable


def __getattr__(name):
    # ``import slamarkov.contract`` then ``slamarkov.contract``: an old module path
    if f"{__name__}.{name}" in _compat.MOVED:
        return sys.modules[f"{__name__}.{name}"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Contract",
    "LUMP_SUM",
    "LINEAR",
    "SCHEMES",
    "Demand",
    "DiscreteDemand",
    "Poisson",
    "DiscretisedNormal",
    "DiscreteUniform",
    "Empirical",
    "ContinuousUniform",
    "ScipyDemand",
    "make_demand",
    "Problem",
    "LEFTOVER_MODES",
    "DISCARD",
    "CARRY",
    "Policy",
    "AbsorbingChain",
    "ReadyRateDistribution",
    "FillRateDistribution",
    "solve_dynamic",
    "solve_static",
    "solve_both",
    "Solutions",
    "DynamicSolution",
    "StaticSolution",
    "lower_envelope",
    "gaming_indicators",
    "give_up_states",
    "coasting_states",
    "ready_rate_gap",
    "Grid",
    "load_grid",
    "grid_from_dict",
    "SlamarkovError",
    "ContractError",
    "DemandError",
    "CostError",
    "InventoryError",
    "SolverError",
    "ConfigError",
    "PolicyError",
    "ChainError",
    "ChainSizeError",
    "SizeError",
    "memory_limit",
    "SimulationError",
    "OutputError",
    "MonitorError",
    "monitor",
    "MonitorResult",
    "SweepError",
    "__version__",
]
