r"""Several customers sharing one stock: the model objects (docs/model.md section 15).

A :class:`Customer` is a name, a ready-rate contract and a demand; a :class:`CustomersProblem` is
the customers (in priority order, the order of the contract file) on one review period, the
supplier's costs and inventory rule, and the static policy's allocation rule. Data only: the
solvers are in :mod:`slamarkov.solve.customers`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..errors import ConfigError, ContractError, DemandError
from .contract import Contract
from .demand import Demand
from .problem import DISCARD, Problem

__all__ = ["Customer", "CustomersProblem", "ALLOCATION_RULES", "PRIORITY", "SMALLEST_FIRST",
           "check_customer_name", "total_demand_pmf", "demand_pmf"]

PRIORITY = "priority"
SMALLEST_FIRST = "smallest-first"
#: the static policy's allocation rules (docs/model.md section 15)
ALLOCATION_RULES = (PRIORITY, SMALLEST_FIRST)

# a name becomes a column name (ready_count_<name>, ready_<name>): letters, digits, _ and -
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")


def check_customer_name(name, field: str = "customer.name") -> str:
    """A customer's name, checked: it becomes part of column names, so it must start with a
    letter and hold only letters, digits, ``_`` and ``-`` (at most 40 characters).

    Raises
    ------
    ConfigError
        Naming the field and the rule.

    Examples
    --------
    >>> check_customer_name("north")
    'north'
    >>> check_customer_name("a b")
    Traceback (most recent call last):
    ...
    slamarkov.errors.ConfigError: customer.name: must start with a letter and hold only letters, digits, '_' and '-' (at most 40 characters; it names columns), got 'a b'
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(
            f"{field}: must start with a letter and hold only letters, digits, '_' and '-' (at "
            f"most 40 characters; it names columns), got {name!r}"
        )
    return name


@dataclass(frozen=True)
class Customer:
    """One customer of the pooled stock: a name, its contract and its demand.

    Examples
    --------
    >>> from slamarkov import Poisson
    >>> Customer("north", Contract.study(10), Poisson(5)).contract.penalty_count
    8
    """

    name: str
    contract: Contract
    demand: Demand

    def __post_init__(self):
        check_customer_name(self.name)
        if not isinstance(self.contract, Contract):
            raise ContractError(f"customer {self.name!r}: contract must be a slamarkov.Contract")
        if not isinstance(self.demand, Demand):
            raise DemandError(f"customer {self.name!r}: demand must be a slamarkov demand "
                              "(e.g. Poisson(5))")


@dataclass(frozen=True)
class CustomersProblem:
    r"""A supplier's pooled stocking problem with several customers (docs/model.md section 15).

    Parameters
    ----------
    customers : sequence of Customer
        In priority order (the contract file's order); at least one, distinct names, one review
        period, discrete demands.
    holding_cost, purchase_cost, salvage_value, leftover, initial_stock
        As for :class:`~slamarkov.model.problem.Problem` (h, c, s, the stock rule, :math:`x_1`),
        applying to the pool.
    allocation : {"priority", "smallest-first"}, default "priority"
        The static policy's allocation rule.

    Examples
    --------
    >>> from slamarkov import Poisson
    >>> p = CustomersProblem([Customer("a", Contract.study(10), Poisson(5)),
    ...                       Customer("b", Contract.study(10), Poisson(5))], 0.5)
    >>> p.k, p.names, p.review_period, p.holding_cost
    (2, ('a', 'b'), 10, Fraction(1, 2))
    """

    customers: tuple
    holding_cost: Fraction
    purchase_cost: Fraction = Fraction(0)
    salvage_value: Fraction = Fraction(0)
    leftover: str = DISCARD
    initial_stock: object = 0
    allocation: str = PRIORITY

    def __post_init__(self):
        customers = tuple(self.customers)
        if not customers:
            raise ConfigError("customer: at least one [[customer]] table is required")
        for c in customers:
            if not isinstance(c, Customer):
                raise ConfigError("customer: each customer must be a slamarkov Customer")
        names = [c.name for c in customers]
        for j, name in enumerate(names):
            if name in names[:j]:
                raise ConfigError(f"customer.name: must be unique, {name!r} is given twice")
        T = customers[0].contract.review_period
        for c in customers[1:]:
            if c.contract.review_period != T:
                raise ContractError(
                    f"contract.review_period: one review period for all customers, got {T} and "
                    f"{c.contract.review_period} (customer {c.name!r})")
        for c in customers:
            if not c.demand.discrete:
                raise DemandError(
                    f"customer.demand: customer {c.name!r} needs discrete demand (the pooled "
                    f"stock is solved on integer stock), got {c.demand.describe()}")
        if self.allocation not in ALLOCATION_RULES:
            raise ConfigError(
                f"allocation.rule: must be one of {', '.join(map(repr, ALLOCATION_RULES))}, got "
                f"{self.allocation!r}")
        # the costs and the stock rule are checked as for one customer
        one = Problem(customers[0].contract, customers[0].demand, self.holding_cost,
                      purchase_cost=self.purchase_cost, salvage_value=self.salvage_value,
                      leftover=self.leftover, initial_stock=self.initial_stock)
        object.__setattr__(self, "customers", customers)
        object.__setattr__(self, "holding_cost", one.holding_cost)
        object.__setattr__(self, "purchase_cost", one.purchase_cost)
        object.__setattr__(self, "salvage_value", one.salvage_value)
        object.__setattr__(self, "initial_stock", one.initial_stock)

    @property
    def k(self) -> int:
        """The number of customers."""
        return len(self.customers)

    @property
    def names(self) -> tuple:
        """The customers' names, in priority order."""
        return tuple(c.name for c in self.customers)

    @property
    def review_period(self) -> int:
        """T, the customers' common review period."""
        return self.customers[0].contract.review_period

    @property
    def carries(self) -> bool:
        """True when leftover stock is carried into the next period."""
        return self.leftover != DISCARD

    @property
    def rational(self) -> bool:
        """True when every customer's demand has rational probabilities (exact mode)."""
        return all(c.demand.rational for c in self.customers)

    def customer_problem(self, j: int) -> Problem:
        """Customer j alone with its own stock: the single-customer :class:`Problem` with the
        pool's costs and inventory rule (two separate stocks are k of these).

        Examples
        --------
        >>> from slamarkov import Poisson
        >>> p = CustomersProblem([Customer("a", Contract.study(10), Poisson(5))], 0.5)
        >>> p.customer_problem(0).demand.describe() == Poisson(5).describe()
        True
        """
        c = self.customers[j]
        return Problem(c.contract, c.demand, self.holding_cost, purchase_cost=self.purchase_cost,
                       salvage_value=self.salvage_value, leftover=self.leftover,
                       initial_stock=self.initial_stock)

    def max_settlement_drop(self) -> Fraction:
        r""":math:`\bar\Delta = \sum_j \bar\Delta_j`, what serving more customers is worth at
        most (docs/model.md section 15)."""
        return sum((c.contract.max_settlement_drop() for c in self.customers), Fraction(0))

    def stock_bound(self) -> int:
        r"""The critical fractile of the total demand D (docs/model.md section 15): the smallest
        y with :math:`h F_D(y) \ge \bar\Delta (1 - F_D(y))`, computed exactly for rational
        demands, else in float with the guard of section 4.

        Examples
        --------
        >>> from slamarkov import Poisson
        >>> p = CustomersProblem([Customer("a", Contract.study(10), Poisson(5))], 0.5)
        >>> p.stock_bound() == p.customer_problem(0).stock_bound()
        True
        """
        if self.k == 1:
            return int(self.customer_problem(0).stock_bound())
        drop = self.max_settlement_drop()
        if drop == 0:
            return 0
        h = self.holding_cost
        if h == 0:
            if any(math.isinf(c.demand.upper) for c in self.customers):
                return math.inf
            return int(sum(int(c.demand.upper) for c in self.customers))
        exact = self.rational
        y = 0
        pmf_D = None
        while True:
            top = 2 * y + 16
            pmf_D = total_demand_pmf(self, top, exact=exact)
            F = pmf_D.cumsum()
            ok = [h * F[t] >= drop * (1 - F[t]) if exact
                  else float(h) * F[t] >= float(drop) * (1 - F[t]) for t in range(top + 1)]
            if any(ok):
                return int(ok.index(True))
            y = top


def total_demand_pmf(problem: CustomersProblem, top: int, exact: bool = False):
    """P(D = t), t = 0..top, for the total demand D of the customers (a convolution).

    Examples
    --------
    >>> from slamarkov import DiscreteUniform
    >>> p = CustomersProblem([Customer(n, Contract.study(2), DiscreteUniform(0, 1))
    ...                       for n in "ab"], 1)
    >>> [str(x) for x in total_demand_pmf(p, 3, exact=True)]
    ['1/4', '1/2', '1/4', '0']
    """
    out = None
    for c in problem.customers:
        pmf = demand_pmf(c.demand, top, exact)
        if out is None:
            out = pmf
        else:
            new = out * pmf[0]
            for t in range(1, top + 1):
                new[t:] += out[: top + 1 - t] * pmf[t]
            out = new
    return out


def demand_pmf(demand: Demand, top: int, exact: bool = False) -> np.ndarray:
    """P(d = t), t = 0..top (Fractions in exact mode).

    Examples
    --------
    >>> from slamarkov import DiscreteUniform
    >>> [str(x) for x in demand_pmf(DiscreteUniform(0, 1), 2, exact=True)]
    ['1/2', '1/2', '0']
    """
    F, _ = demand.table(int(top), exact=exact)
    F = np.asarray(F, dtype=object if exact else np.float64)
    out = F.copy()
    out[1:] = F[1:] - F[:-1]
    return out
