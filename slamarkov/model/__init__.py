"""The model: a contract, a demand, costs and the inventory rule (a :class:`Problem`), and the
contract files that describe them (docs/model.md sections 1-3 and 11). Data only: nothing here
solves anything."""

from .contract import BANDS, LINEAR, LUMP_SUM, SCHEMES, Contract
from .demand import (
    DEMAND_KINDS,
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
from .problem import CARRY, DISCARD, LEFTOVER_MODES, Problem

__all__ = ["Contract", "LUMP_SUM", "LINEAR", "SCHEMES", "BANDS", "Demand", "DiscreteDemand", "Poisson",
           "DiscretisedNormal", "DiscreteUniform", "Empirical", "ContinuousUniform",
           "ScipyDemand", "make_demand", "DEMAND_KINDS", "Problem", "LEFTOVER_MODES", "DISCARD",
           "CARRY"]
