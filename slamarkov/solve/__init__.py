"""Optimal policies (docs/model.md sections 4, 5 and 11): the strategic supplier's dynamic
program and the non-strategic supplier's base-stock level, alone or both at once."""

from .both import POLICIES, Solutions, solve_both, solve_policy
from .dynamic import KEEP_VALUES_UP_TO, lower_envelope, solve_dynamic
from .results import DynamicSolution, StaticSolution
from .static import solve_static

__all__ = ["solve_dynamic", "solve_static", "solve_both", "solve_policy", "Solutions",
           "DynamicSolution", "StaticSolution", "lower_envelope", "KEEP_VALUES_UP_TO", "POLICIES"]
