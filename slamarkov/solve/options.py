"""The solvers' options, checked once for both (docs/model.md sections 4, 5 and 11): the top of
the stock range searched (the user's ``max_stock`` or the provable bound of
:meth:`~slamarkov.model.problem.Problem.stock_bound`) and exact arithmetic."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..errors import SolverError
from ..model.problem import Problem

__all__ = ["stock_range", "check_max_stock", "validate_max_stock", "check_exact"]


def stock_range(problem: Problem, max_stock):
    """Candidate range top: the larger of the user's max_stock and the provable bound."""
    x0 = problem.initial_stock
    if max_stock is not None and x0 > max_stock:
        raise SolverError(
            f"solver.max_stock: must be >= inventory.initial_stock = {x0} (the stock on hand "
            f"must lie in the stock range), got {max_stock}"
        )
    bound = problem.stock_bound()
    if math.isinf(bound):
        if max_stock is None:
            raise SolverError("solver.max_stock: required, no finite bound follows from this demand")
        return max_stock, bound
    if max_stock is None:
        return bound, bound
    return max(max_stock, bound), bound


def check_max_stock(max_stock, needed, where):
    if max_stock is not None and needed > max_stock:
        raise SolverError(
            f"solver.max_stock: {max_stock} cuts off the optimum ({where} a stock of {needed} "
            f"lowers the cost); use max_stock >= {needed}"
        )


def validate_max_stock(problem, max_stock):
    if max_stock is None:
        return None
    if isinstance(max_stock, bool) or not isinstance(max_stock, (int, np.integer)):
        if problem.demand.discrete or not isinstance(max_stock, (float, Fraction)):
            raise SolverError(f"solver.max_stock: must be a non-negative integer, got {max_stock!r}")
    if max_stock < 0 or (isinstance(max_stock, float) and not math.isfinite(max_stock)):
        raise SolverError(f"solver.max_stock: must be a non-negative integer, got {max_stock!r}")
    return max_stock


def check_exact(problem, exact):
    if exact and not problem.demand.rational:
        raise SolverError(
            f"exact: demand {problem.demand.describe()} has no rational probabilities; "
            "use discrete-uniform, uniform or empirical demand, or exact=False"
        )
