"""The model object: a contract, a demand and a holding cost. Data only; solvers take it."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from fractions import Fraction

from ..core.numbers import first_at_least, to_fraction, to_int
from ..errors import ContractError, CostError, DemandError, InventoryError
from .contract import FILL_RATE, Contract
from .demand import Demand

__all__ = ["Problem", "LEFTOVER_MODES", "DISCARD", "CARRY"]

DISCARD = "discard"
CARRY = "carry"
#: what happens to stock left at the end of a period (docs/model.md section 11)
LEFTOVER_MODES = (DISCARD, CARRY)


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
    purchase_cost : number, default 0
        :math:`c \ge 0`, paid per unit ordered (including each backordered unit, once).
    salvage_value : number, default 0
        :math:`s \ge 0`, what each unit on hand at the end of period T is worth (``carry``
        only; with ``discard`` nothing is left to salvage). With ``carry``, :math:`s \le c`.
    leftover : {"discard", "carry"}, default "discard"
        ``"discard"``: stock left at the end of a period is thrown away (the study's model);
        ``"carry"``: it is carried into the next period, and the supplier cannot order below
        what it holds.
    initial_stock : int, default 0
        :math:`x_1`, the stock on hand at the start of period 1.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson
    >>> p = Problem(Contract.study(10), Poisson(5), 0.5)
    >>> p.holding_cost
    Fraction(1, 2)
    >>> Problem(Contract.study(10), Poisson(5), 0.5, purchase_cost=1, leftover="carry").carries
    True
    """

    contract: Contract
    demand: Demand
    holding_cost: Fraction
    purchase_cost: Fraction = Fraction(0)
    salvage_value: Fraction = Fraction(0)
    leftover: str = DISCARD
    initial_stock: object = 0

    def __post_init__(self):
        if not isinstance(self.contract, Contract):
            raise ContractError("contract: must be a slamarkov.Contract")
        if not isinstance(self.demand, Demand):
            raise DemandError("demand: must be a slamarkov demand (e.g. Poisson(5))")
        if self.contract.measure == FILL_RATE and not self.demand.discrete:
            raise DemandError(
                "contract.measure: 'fill-rate' needs discrete demand (units filled and demanded "
                f"are counted in whole units), got {self.demand.describe()}")
        h = to_fraction(self.holding_cost, "costs.holding", CostError)
        if h < 0:
            raise CostError(f"costs.holding: must be >= 0, got {float(h):g}")
        if h == 0 and math.isinf(self.demand.upper) and self.contract.max_settlement_drop() > 0:
            raise CostError(
                "costs.holding: must be > 0 when demand is unbounded (with h = 0 no finite stock "
                "is optimal)"
            )
        object.__setattr__(self, "holding_cost", h)
        c = to_fraction(self.purchase_cost, "costs.purchase", CostError)
        if c < 0:
            raise CostError(f"costs.purchase: must be >= 0, got {float(c):g}")
        s = to_fraction(self.salvage_value, "costs.salvage", CostError)
        if s < 0:
            raise CostError(f"costs.salvage: must be >= 0, got {float(s):g}")
        if self.leftover not in LEFTOVER_MODES:
            raise InventoryError(
                f"inventory.leftover: must be one of {', '.join(map(repr, LEFTOVER_MODES))}, "
                f"got {self.leftover!r}"
            )
        if self.leftover == CARRY and s > c:
            raise CostError(
                f"costs.salvage: must be <= costs.purchase ({float(c):g}) when stock carries over "
                f"(the supplier would buy stock to sell it back), got {float(s):g}"
            )
        if self.leftover == CARRY and not self.demand.discrete:
            raise InventoryError(
                "inventory.leftover: 'carry' needs discrete demand (the carry-over model is "
                f"solved on integer stock), got {self.demand.describe()}"
            )
        x0 = self.initial_stock
        if self.demand.discrete:
            x0 = to_int(x0, "inventory.initial_stock", InventoryError)
        else:
            x0 = to_fraction(x0, "inventory.initial_stock", InventoryError)
        if x0 < 0:
            raise InventoryError(f"inventory.initial_stock: must be >= 0, got {x0}")
        if x0 and not self.demand.discrete:
            raise InventoryError(
                "inventory.initial_stock: must be 0 for continuous demand (an initial stock is "
                "solved on integer stock only)"
            )
        object.__setattr__(self, "purchase_cost", c)
        object.__setattr__(self, "salvage_value", s)
        object.__setattr__(self, "initial_stock", x0)

    @property
    def carries(self) -> bool:
        """True when leftover stock is carried into the next period."""
        return self.leftover == CARRY

    @property
    def review_period(self) -> int:
        """T, the contract's review period."""
        return self.contract.review_period

    def with_contract(self, contract: Contract) -> "Problem":
        """The same demand, costs and inventory rule under another contract."""
        return dataclasses.replace(self, contract=contract)

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
        # a frozen problem: computed once (each solve and its size check ask for it)
        bound = self.__dict__.get("_stock_bound")
        if bound is None:
            bound = self._compute_stock_bound()
            object.__setattr__(self, "_stock_bound", bound)
        return bound

    def _compute_stock_bound(self):
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
            # guard against float rounding of q: the bound needs h F(S) >= drop (1 - F(S));
            # searched by doubling steps (F may be flat in float64 over a long run of S)
            hf, df, start = float(h), float(drop), S

            def holds(k):  # only upward from the quantile, as the condition is checked
                F = self.demand.cdf(k)
                return k >= start and hf * F >= df * (1 - F)

            S = first_at_least(holds, S)
        return S
