r"""The source study's experiment: its settings and constants (docs/model.md sections 8 and 9).

The study ran Poisson(5) demand, thresholds :math:`\alpha_L = 0.8` and :math:`\alpha_U = 0.9`,
review periods :math:`T \in \{10, 20, \dots, 90\}`, holding costs :math:`h \in \{0.5, 1, 1.5, 2\}`
and stock in 0..40, under lump-sum (:math:`L^- = 5T`, :math:`L^+ = 3T`) and linear
(:math:`L^- = 25T`, :math:`L^+ = 15T`) terms, and estimated its tables by simulating 18,445 review
periods per cell. Here every number is computed exactly from the policy's absorbing chain; a
simulated estimate with its standard error can be put beside each exact value.

A :class:`Study` holds one experiment's settings (scheme, demand, amounts per period, the grid)
and caches every solve, so the tables share their work. The tables are built in
:mod:`slamarkov.study.tables`, the figures drawn in :mod:`slamarkov.study.figures`, and
:func:`~slamarkov.study.reproduce.reproduce_all` writes them all to a folder.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

from ..core.numbers import to_fraction, to_int
from ..errors import ConfigError, ContractError, CostError, DemandError
from ..io.tables import plain_number
from ..model.contract import LINEAR, LUMP_SUM, SCHEMES, Contract
from ..model.demand import Demand, Poisson
from ..model.problem import Problem
from ..solve.both import Solutions, solve_both

__all__ = [
    "Study",
    "tuple_of",
    "STUDY_RUNS",
    "STUDY_AMOUNTS",
    "STUDY_MAX_STOCK",
    "REVIEW_PERIODS",
    "HOLDING_COSTS",
    "RATIOS",
    "STOCK_REVIEW_PERIODS",
    "RATE_METRICS",
    "POLICY_PREFIXES",
    "READY_RATE_COLUMNS",
    "PUBLISHED_READY_RATE",
]

#: the study's simulation size: the DKW sample size for eps = 0.01, delta = 0.05 (docs/model.md section 7)
STUDY_RUNS = 18_445
#: penalty and bonus per period of the study's contracts, L- = amount * T (docs/model.md section 2)
STUDY_AMOUNTS = {LUMP_SUM: (5, 3), LINEAR: (25, 15)}
#: the study's stock range 0..40 for Poisson(5) demand
STUDY_MAX_STOCK = 40
REVIEW_PERIODS = tuple(range(10, 100, 10))
HOLDING_COSTS = (Fraction(1, 2), Fraction(1), Fraction(3, 2), Fraction(2))
RATIOS = (Fraction(6, 5), Fraction(13, 10), Fraction(7, 5))
#: the review periods of the stock-distribution table
STOCK_REVIEW_PERIODS = (10, 30, 60, 90)
#: the ready-rate summaries the tables report for each policy, in order
RATE_METRICS = ("mean", "sd", "p_penalty", "p_bonus")
#: each policy's column prefix and its name in a cell's :class:`~slamarkov.solve.Solutions`
POLICY_PREFIXES = (("dyn", "dynamic"), ("static", "static"))
#: the ready-rate table's columns, in the order the study reports them
READY_RATE_COLUMNS = ("h", "T") + tuple(
    f"{short}_{m}" for short, _ in POLICY_PREFIXES for m in RATE_METRICS
)

#: The study's simulated ready-rate rows (docs/model.md section 9), in percent, keyed by
#: (scheme, h, T); values in the order of READY_RATE_COLUMNS[2:].
PUBLISHED_READY_RATE = {
    (LUMP_SUM, Fraction(1, 2), 10): (89.59, 2.55, 0.13, 96.10, 93.15, 8.01, 2.67, 85.23),
    (LUMP_SUM, Fraction(1, 2), 20): (89.70, 1.78, 0.01, 96.59, 93.14, 5.67, 1.07, 84.49),
    (LUMP_SUM, Fraction(1, 2), 30): (89.91, 0.98, 0.00, 98.83, 93.19, 4.60, 0.36, 85.61),
    (LUMP_SUM, Fraction(1, 2), 60): (89.99, 0.43, 0.00, 99.70, 93.22, 3.24, 0.01, 89.06),
    (LUMP_SUM, Fraction(1, 2), 90): (89.99, 0.35, 0.00, 99.67, 93.21, 2.69, 0.01, 91.18),
    (LINEAR, Fraction(1), 10): (84.50, 9.86, 8.18, 28.09, 86.71, 10.77, 13.88, 60.79),
    (LINEAR, Fraction(1), 30): (80.18, 3.18, 9.36, 3.20, 86.67, 6.22, 9.44, 41.80),
    (LINEAR, Fraction(1), 90): (79.86, 0.48, 10.27, 0.00, 86.66, 3.63, 2.80, 22.66),
}


#: the two solved policies of one cell of the grid (see :meth:`Study.solve`)
#: 0.1's name for the two solved policies of one cell (:meth:`Study.solve`), kept importable
StudyCell = Solutions


def tuple_of(values, field_, convert, rule, check) -> tuple:
    """A non-empty tuple of checked values (the study's grids), each failure one
    :class:`ConfigError` naming the entry.

    Parameters
    ----------
    values : iterable
    field_ : str
        The field's name, e.g. ``"review_periods"``.
    convert : callable
        ``convert(x, name, error)``, e.g. :func:`~slamarkov.core.numbers.to_int`.
    rule : str
        What each value must be, for the message.
    check : callable
        True for a value that follows the rule.

    Examples
    --------
    >>> tuple_of(["10", 30], "review_periods", to_int, "an integer >= 1", lambda t: t >= 1)
    (10, 30)
    >>> tuple_of([0], "review_periods", to_int, "an integer >= 1", lambda t: t >= 1)
    Traceback (most recent call last):
    ...
    slamarkov.errors.ConfigError: review_periods[0]: must be an integer >= 1, got 0
    """
    try:
        items = tuple(values)
    except TypeError:
        raise ConfigError(f"{field_}: must be a list") from None
    if not items:
        raise ConfigError(f"{field_}: must not be empty")
    out = []
    for k, x in enumerate(items):
        y = convert(x, f"{field_}[{k}]", ConfigError)
        if not check(y):
            raise ConfigError(f"{field_}[{k}]: must be {rule}, got {x!r}")
        out.append(y)
    return tuple(out)


@dataclass(frozen=True)
class Study:
    r"""One of the source study's experiments: scheme, demand, amounts and grid (docs/model.md section 8).

    Parameters
    ----------
    scheme : {"lump-sum", "linear"}
    demand : Demand, default Poisson(5)
        Per-period demand; the study's supplement used ``DiscretisedNormal(15, 5)``.
    penalty, bonus : number, optional
        Amounts **per period** (None: the study's for the scheme): the contract at review period T has :math:`L^- =` ``penalty`` T
        and :math:`L^+ =` ``bonus`` T. Default the study's (lump-sum 5 and 3, linear 25 and 15);
        ``bonus=0`` is the penalty-only variant.
    penalty_threshold, bonus_threshold : number or str, default "0.8", "0.9"
        :math:`\alpha_L` and :math:`\alpha_U`, exact rationals.
    holding_costs : sequence of numbers, default (0.5, 1, 1.5, 2)
    review_periods : sequence of int, default 10, 20, ..., 90
    ratios : sequence of numbers, default (1.2, 1.3, 1.4)
        Penalty-to-bonus ratios of the saving table.
    max_stock : int, optional
        Top of the stock range. Default 40 (the study's) for Poisson(5) demand, otherwise the
        provable bound of :meth:`Problem.stock_bound`. No optimum is ever cut off: the solvers
        search at least up to that bound.

    Raises
    ------
    ConfigError, ContractError, DemandError, CostError
        On a field outside its range, naming it.

    Examples
    --------
    >>> s = Study("lump-sum", review_periods=(10,), holding_costs=(0.5,))
    >>> cell = s.solve(0.5, 10)
    >>> round(cell.dynamic.cost_per_period, 6), cell.static.base_stock
    (-1.20155, 8)
    >>> s.contract(30).describe()
    'lump-sum SLA over T=30 periods: penalty 150 if ready rate < 80%, bonus 90 if >= 90%'
    """

    scheme: str = LUMP_SUM
    demand: Demand = field(default_factory=lambda: Poisson(5))
    penalty: Fraction | None = None
    bonus: Fraction | None = None
    penalty_threshold: Fraction = Fraction(4, 5)
    bonus_threshold: Fraction = Fraction(9, 10)
    holding_costs: tuple = HOLDING_COSTS
    review_periods: tuple = REVIEW_PERIODS
    ratios: tuple = RATIOS
    max_stock: int | None = None
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self):
        if self.scheme not in SCHEMES:
            raise ContractError(f"scheme: must be one of {', '.join(SCHEMES)}, got {self.scheme!r}")
        if not isinstance(self.demand, Demand):
            raise DemandError("demand: must be a slamarkov demand (e.g. Poisson(5))")
        for name in ("penalty", "bonus"):
            raw = getattr(self, name)
            if raw is not None:
                x = to_fraction(raw, name, ContractError)
                if x < 0:
                    raise ContractError(f"{name}: must be >= 0 per period, got {float(x):g}")
                object.__setattr__(self, name, x)
        for name in ("penalty_threshold", "bonus_threshold"):
            object.__setattr__(self, name, to_fraction(getattr(self, name), name, ContractError))
        Contract(1, self.penalty_threshold, self.bonus_threshold)  # validates the thresholds
        object.__setattr__(self, "holding_costs", tuple_of(
            self.holding_costs, "holding_costs", to_fraction, "> 0", lambda h: h > 0))
        object.__setattr__(self, "review_periods", tuple_of(
            self.review_periods, "review_periods", to_int, "an integer >= 1", lambda t: t >= 1))
        object.__setattr__(self, "ratios", tuple_of(
            self.ratios, "ratios", to_fraction, "> 0", lambda r: r > 0))
        if self.max_stock is not None:
            m = to_int(self.max_stock, "max_stock", ConfigError)
            if m < 0:
                raise ConfigError(f"max_stock: must be >= 0, got {m}")
            object.__setattr__(self, "max_stock", m)

    def __getstate__(self):
        # a copy sent to another process (reproduce_all's workers) starts with an empty cache:
        # solving there again is cheaper than sending every solution and its chain
        state = dict(self.__dict__)
        state["_cache"] = {}
        return state

    # -- settings ------------------------------------------------------------------------------
    @property
    def penalty_per_period(self) -> Fraction:
        """The penalty per period: ``penalty``, or the study's for the scheme (5 or 25)."""
        return Fraction(STUDY_AMOUNTS[self.scheme][0]) if self.penalty is None else self.penalty

    @property
    def bonus_per_period(self) -> Fraction:
        """The bonus per period: ``bonus``, or the study's for the scheme (3 or 15)."""
        return Fraction(STUDY_AMOUNTS[self.scheme][1]) if self.bonus is None else self.bonus

    @property
    def stock_range_top(self):
        """The max_stock passed to the solvers (None: the provable bound)."""
        if self.max_stock is not None:
            return self.max_stock
        if isinstance(self.demand, Poisson) and self.demand.lam == 5:
            return STUDY_MAX_STOCK
        return None

    @property
    def label(self) -> str:
        """A short description, e.g. ``lump-sum, Poisson(5)`` or ``linear penalty-only, ...``."""
        kind = self.scheme + (" penalty-only" if self.bonus_per_period == 0 else "")
        return f"{kind}, {self.demand.describe()}"

    def parameters(self) -> dict:
        """The settings as a JSON-friendly mapping (carried into each table)."""
        return {
            "scheme": self.scheme,
            "demand": self.demand.describe(),
            "penalty_per_period": plain_number(self.penalty_per_period),
            "bonus_per_period": plain_number(self.bonus_per_period),
            "penalty_threshold": str(self.penalty_threshold),
            "bonus_threshold": str(self.bonus_threshold),
            "max_stock": self.stock_range_top,
        }

    def contract(self, review_period, ratio=None) -> Contract:
        """The contract at review period T; with ``ratio`` the bonus is penalty / ratio.

        Examples
        --------
        >>> c = Study("linear").contract(10, ratio="1.25")
        >>> int(c.penalty), int(c.bonus)
        (250, 200)
        """
        T = to_int(review_period, "review_period", ContractError)
        if T >= 1:  # the amounts grow with T: a T that cannot be solved is refused first
            from ..core.limits import check_states

            check_states(T)
        penalty = self.penalty_per_period * T
        if ratio is None:
            bonus = self.bonus_per_period * T
        else:
            r = to_fraction(ratio, "ratio", ContractError)
            if r <= 0:
                raise ContractError(f"ratio: must be > 0, got {float(r):g}")
            bonus = penalty / r
        return Contract(T, self.penalty_threshold, self.bonus_threshold, self.scheme,
                        penalty, bonus)

    def problem(self, holding_cost, review_period, ratio=None) -> Problem:
        """The problem of one cell of the grid."""
        return Problem(self.contract(review_period, ratio), self.demand, holding_cost)

    def solve(self, holding_cost, review_period, ratio=None) -> Solutions:
        """Both optimal policies of one cell, solved once and cached.

        Returns
        -------
        Solutions
            ``problem``, ``dynamic`` (:class:`DynamicSolution`) and ``static``
            (:class:`StaticSolution`).
        """
        h = to_fraction(holding_cost, "holding_cost", CostError)
        T = to_int(review_period, "review_period", ContractError)
        r = None if ratio is None else to_fraction(ratio, "ratio", ContractError)
        key = (h, T, r)
        cell = self._cache.get(key)
        if cell is None:
            problem = self.problem(h, T, r)
            top = self.stock_range_top
            cell = solve_both(problem, max_stock=top)
            self._cache[key] = cell
        return cell

    def cost_moments(self, holding_cost, review_period, ratio=None):
        """Exact mean and SD of the cost per period of one review period, for both policies.

        The first two moments of the total cost (holding plus settlement), propagated stage by
        stage over the chain by :meth:`AbsorbingChain.cost_moments`, divided by T.

        Returns
        -------
        dict
            ``{"dynamic": (mean, sd), "static": (mean, sd)}``, per period (the review period's
            total cost divided by T).

        Examples
        --------
        >>> m = Study("lump-sum").cost_moments(0.5, 10)
        >>> round(m["dynamic"][0], 6), m["dynamic"][1] < m["static"][1]
        (-1.20155, True)
        """
        h = to_fraction(holding_cost, "holding_cost", CostError)
        T = to_int(review_period, "review_period", ContractError)
        key = ("moments", h, T, None if ratio is None else to_fraction(ratio, "ratio", ContractError))
        out = self._cache.get(key)
        if out is None:
            cell = self.solve(h, T, ratio)
            out = {}
            for name, sol in (("dynamic", cell.dynamic), ("static", cell.static)):
                mean, var = sol.chain.cost_moments()
                out[name] = (mean / T, math.sqrt(max(var, 0.0)) / T)
            self._cache[key] = out
        return out

    def variant(self, **changes) -> "Study":
        """A copy with some settings changed (a new, empty cache).

        Examples
        --------
        >>> Study("linear").variant(bonus=0).label
        'linear penalty-only, Poisson(5)'
        """
        fields = dict(scheme=self.scheme, demand=self.demand, penalty=self.penalty,
                      bonus=self.bonus, penalty_threshold=self.penalty_threshold,
                      bonus_threshold=self.bonus_threshold, holding_costs=self.holding_costs,
                      review_periods=self.review_periods, ratios=self.ratios,
                      max_stock=self.max_stock)
        fields.update(changes)
        return Study(**fields)


#: names this module held before the study was split by concern, and their homes now; they stay
#: importable from here (looked up on use: the tables import this module)
MOVED_NAMES = {
    "slamarkov.io.tables": ("FORMATS", "make_table", "render_table", "save_table",
                            "table_to_csv", "table_to_markdown", "table_to_json"),
    "slamarkov.study.tables": ("ready_rate_table", "cost_table", "saving_table", "stock_table",
                               "published_comparison_table", "carry_over_table",
                               "expected_standard_errors", "weighted_quantiles",
                               "stage_stock_distribution", "CARRY_METRICS", "LEFTOVERS"),
    "slamarkov.study.reproduce": ("reproduce_all",),
}


def __getattr__(name):
    import importlib

    for module, names in MOVED_NAMES.items():
        if name in names:
            return getattr(importlib.import_module(module), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
