"""Optimal policies (docs/model.md sections 4, 5 and 11): the strategic supplier's dynamic
program and the non-strategic supplier's base-stock level."""

from .dynamic import (
    KEEP_VALUES_UP_TO,
    DynamicSolution,
    StaticSolution,
    lower_envelope,
    solve_dynamic,
    solve_static,
)

__all__ = ["solve_dynamic", "solve_static", "DynamicSolution", "StaticSolution",
           "lower_envelope", "KEEP_VALUES_UP_TO"]
