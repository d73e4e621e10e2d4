"""What the solvers return (docs/model.md sections 4 and 5): the optimal policy with its value,
its exact ready-rate distribution and, built on first use and kept, its absorbing chain
(``solution.chain``, as QuantEcon's ``DPSolveResult.mc``)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from ..chain.absorbing import AbsorbingChain
from ..chain.distribution import ReadyRateDistribution
from ..chain.policy import Policy
from ..chain.triangle import offset
from ..errors import SolverError
from ..model.problem import Problem

__all__ = ["DynamicSolution", "StaticSolution"]


@dataclass(frozen=True)
class DynamicSolution:
    r"""The result of :func:`solve_dynamic`.

    Attributes
    ----------
    problem : Problem
    policy : Policy
        The optimal stock table :math:`S_i(v)`.
    value_start : float or Fraction
        :math:`V_1(0)`, the expected cost of the review period.
    cost_per_period : float or Fraction
        :math:`V_1(0) / T`.
    ready_rate : ReadyRateDistribution
        The exact distribution of the ready count from (1, 0).
    chain : AbsorbingChain
        The policy's chain, built on first use and kept.
    max_stock : int or float
        The top of the stock range searched.
    values, deltas : ndarray or None
        :math:`V_i(v)` and :math:`\Delta_i(v)` flat in state order, when kept.
    terminal : ndarray
        :math:`V_{T+1}(v) = G(v)`, v = 0..T.
    """

    problem: Problem
    policy: Policy
    value_start: object
    cost_per_period: object
    ready_rate: ReadyRateDistribution
    max_stock: object
    terminal: np.ndarray
    values: np.ndarray | None = field(default=None, repr=False)
    deltas: np.ndarray | None = field(default=None, repr=False)

    def value(self, i: int, v: int, x=None):
        """:math:`V_i(v)`, or :math:`V_i(v, x)` with carry-over (i = T + 1 gives the
        settlement G(v), less the salvage s x with carry-over)."""
        T = self.problem.review_period
        if i == T + 1 and 0 <= v <= T:
            if self.policy.carries:
                return self.terminal[v] - self.problem.salvage_value * (x or 0)
            return self.terminal[v]
        self.policy.stock_at(i, v, x)  # validates the state
        if self.values is None:
            raise SolverError("values: not kept; solve with keep_values=True")
        if self.policy.carries:
            return self.values[self.policy.space.index(i, v, x)]
        return self.values[offset(i) + v]

    def delta(self, i: int, v: int):
        r""":math:`\Delta_i(v) = V_{i+1}(v) - V_{i+1}(v+1)`."""
        self.policy.stock_at(i, v)
        if self.deltas is None:
            raise SolverError("deltas: not kept; solve with keep_values=True")
        return self.deltas[offset(i) + v]

    @functools.cached_property
    def chain(self) -> AbsorbingChain:
        """The policy's absorbing chain (docs/model.md section 6), built on first use and kept:
        every question asked of this solution's chain (rows of B, costs, gaming indicators)
        shares it."""
        return AbsorbingChain(self.policy)


@dataclass(frozen=True)
class StaticSolution:
    """The result of :func:`solve_static`.

    Attributes
    ----------
    problem : Problem
    base_stock : int or float
        S*, the smallest minimiser of the expected cost.
    cost_per_period : float or Fraction
        C(S*) / T.
    costs : ndarray
        C(S) / T for every candidate stock (discrete demand; None otherwise).
    ready_rate : ReadyRateDistribution
        Binomial(T, F(S*)).
    policy : Policy
        The constant stock table S_i(v) = S*.
    chain : AbsorbingChain
        The policy's chain, built on first use and kept.
    max_stock : int or float
    """

    problem: Problem
    base_stock: object
    cost_per_period: object
    costs: np.ndarray | None
    ready_rate: ReadyRateDistribution
    policy: Policy
    max_stock: object

    @functools.cached_property
    def chain(self) -> AbsorbingChain:
        """The policy's absorbing chain (docs/model.md section 6), built on first use and kept:
        every question asked of this solution's chain (rows of B, costs, gaming indicators)
        shares it."""
        return AbsorbingChain(self.policy)
