"""slamarkov: optimal stocking under ready-rate SLAs, analysed exactly as absorbing Markov chains.

The flow of the package::

    Contract + Demand + holding cost -> Problem -> solve_dynamic / solve_static -> Policy
        -> ReadyRateDistribution, AbsorbingChain (Q, R, N, B) -> graph, simulation, study tables

The mathematics is in the project's model page, docs/model.md; each docstring cites its section.
"""

from .chain import AbsorbingChain
from .contract import LINEAR, LUMP_SUM, SCHEMES, Contract
from .demand import (
    ContinuousUniform,
    Demand,
    DiscreteDemand,
    DiscretisedNormal,
    DiscreteUniform,
    Empirical,
    Poisson,
    ScipyDemand,
    make_demand,
)
from .distribution import ReadyRateDistribution
from .gaming import coasting_states, gaming_indicators, give_up_states, ready_rate_gap
from .errors import (
    ChainError,
    ChainSizeError,
    ConfigError,
    ContractError,
    CostError,
    InventoryError,
    DemandError,
    MonitorError,
    OutputError,
    PolicyError,
    SimulationError,
    SizeError,
    SlamarkovError,
    SolverError,
    SweepError,
)
from ._limits import memory_limit
from .grid import Grid, grid_from_dict, load_grid
from .monitor import MonitorResult, monitor
from .policy import Policy
from .problem import CARRY, DISCARD, LEFTOVER_MODES, Problem
from .solve import DynamicSolution, StaticSolution, lower_envelope, solve_dynamic, solve_static

__version__ = "0.1.0"

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
    "solve_dynamic",
    "solve_static",
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
