"""The model object: a contract, a demand and a holding cost. Data only; solvers take it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from ._numbers import to_fraction
from .contract import Contract
from .demand import Demand
from .errors import ContractError, CostError, DemandError

__all__ = ["Problem"]


@dataclass(frozen=True)
class Problem:
    r"""A supplier's stocking problem under an SLA (docs/model.md sections 1-3).

    Parameters
    ----------
    contract : Contract
        The SLA: T, thresholds, scheme and amounts.
    demand : Demand
        Per-period i.i.d. demand.
    holding_cost : number
        :math:`h \ge 0`, the cost of each unit left over at the end of a period.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson
    >>> p = Problem(Contract.study(10), Poisson(5), 0.5)
    >>> p.holding_cost
    Fraction(1, 2)
    """

    contract: Contract
    demand: Demand
    holding_cost: Fraction

    def __post_init__(self):
        if not isinstance(self.contract, Contract):
            raise ContractError("contract: must be a slamarkov.Contract")
        if not isinstance(self.demand, Demand):
            raise DemandError("demand: must be a slamarkov demand (e.g. Poisson(5))")
        h = to_fraction(self.holding_cost, "costs.holding", CostError)
        if h < 0:
            raise CostError(f"costs.holding: must be >= 0, got {float(h):g}")
        if h == 0 and math.isinf(self.demand.upper) and self.contract.max_settlement_drop() > 0:
            raise CostError(
                "costs.holding: must be > 0 when demand is unbounded (with h = 0 no finite stock "
                "is optimal)"
            )
        object.__setattr__(self, "holding_cost", h)

    @property
    def review_period(self) -> int:
        """T, the contract's review period."""
        return self.contract.review_period

    def with_contract(self, contract: Contract) -> "Problem":
        """The same demand and holding cost under another contract."""
        return Problem(contract, self.demand, self.holding_cost)

    def stock_bound(self):
        r"""A stock above which no stock can be optimal, for either policy (docs/model.md section 4).

        With :math:`\bar\Delta = \max_v G(v) - G(v+1)` the largest value of one more ready
        period, every decision value satisfies :math:`0 \le \Delta \le \bar\Delta`. Raising the
        stock from S to S' > S costs at least :math:`h F(S)(S' - S)` and gains at most
        :math:`\bar\Delta (1 - F(S))`, so no S' beyond the critical fractile
        :math:`S^\dagger = \min\{S: F(S) \ge \bar\Delta / (h + \bar\Delta)\}` improves on it. The
        same bound holds for the static policy, whose expected settlement changes by at most
        :math:`T \bar\Delta` per unit of F while its holding cost grows by :math:`T h F(S)`.

        Examples
        --------
        >>> from slamarkov import Contract, Poisson
        >>> Problem(Contract.study(10), Poisson(5), 0.5).stock_bound()
        11
        """
        drop = self.contract.max_settlement_drop()
        if drop == 0:
            return 0 if self.demand.discrete else 0.0
        h = self.holding_cost
        if h == 0:
            return self.demand.upper if not self.demand.discrete else int(self.demand.upper)
        if not self.demand.discrete:
            # real stock: the critical-fractile step above needs S' - S >= 1. The argmin of
            # h H(S) - Delta F(S) is non-decreasing in Delta, so the best stock at Delta_bar bounds
            # every state's; for uniform demand the static cost also rises past a + Delta_bar / h.
            return float(self.demand.best_stock(float(drop), float(h)))
        q = drop / (h + drop)
        S = self.demand.quantile(float(q))
        if self.demand.discrete and not math.isinf(S):
            # guard against float rounding of q: the bound needs h F(S) >= drop (1 - F(S))
            while float(h) * self.demand.cdf(S) < float(drop) * (1 - self.demand.cdf(S)):
                S += 1
        return S
