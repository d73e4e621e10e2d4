"""Grid files: a contract file in which any value may be a list or a range, swept as a product.

A grid file has the sections and keys of a contract file (:mod:`slamarkov.model.config`); any key the
contract loader accepts may instead hold

* a list of values, ``review_period = [10, 20, 30]`` (for a key whose value is itself a list,
  ``demand.pmf``, a list of lists), or
* a range table ``{start = 10, stop = 90, step = 10}``: start, start + step, ... up to and
  including stop when a step lands on it (exact decimal arithmetic: ``0.5`` to ``2`` by ``0.5``
  gives four values).

The grid is the cartesian product of the swept keys, in the order they appear in the file (the
first is the slowest). A file with several customers (docs/model.md section 15) may also sweep
the keys of its ``[[customer]]`` tables (not their ``name``) and of their ``[customer.demand]``
tables: they come after the other swept keys, in column ``<key>_<name>``, and the table's result columns are ``policy``,
``cost_per_period`` and, per customer, ``ready_mean_<name>``, ``p_penalty_<name>``,
``p_bonus_<name>``, ``sacrificed_<name>`` and ``settlement_per_period_<name>``. Every grid point is expanded into a plain contract-file mapping and checked
by :func:`slamarkov.model.config.config_from_dict`, the loader of contract files, before any work
starts; the first bad point raises one line naming the key and the point. No set of keys is
hard-coded here: a key the loader learns is a key a grid can sweep.

Example::

    [contract]
    review_period = {start = 10, stop = 90, step = 10}
    penalty_threshold = 0.8
    bonus_threshold = 0.9
    scheme = ["lump-sum", "linear"]
    penalty_per_period = 5
    bonus_per_period = 3
    [costs]
    holding = [0.5, 1, 1.5, 2]
    [demand]
    kind = "poisson"
    mean = 5
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import numbers
from dataclasses import dataclass, field
from pathlib import Path

from ..chain.classes import (
    FILL_STRATEGIC_INDICATORS,
    GAMING_INDICATORS,
    OUTCOME_INDICATORS,
    STRATEGIC_INDICATORS,
)
from ..core.numbers import to_fraction
from ..errors import ConfigError, SlamarkovError
from ..model.config import LIST_KEYS, config_from_dict, read_toml
from ..model.customers import CustomersProblem
from ..model.config import is_customers_file

__all__ = ["Grid", "load_grid", "grid_from_dict", "DEFAULT_MAX_POINTS", "RESULT_COLUMNS",
           "CUSTOMER_RESULT_METRICS", "customer_result_columns", "RATE_RESULT_COLUMNS",
           "READY_ONLY_COLUMNS", "FILL_ONLY_COLUMNS"]

#: grids with more points are refused unless max_points is raised
DEFAULT_MAX_POINTS = 100_000

#: the columns a sweep adds after the swept keys (names a key column must not take)
RESULT_COLUMNS = (
    "policy",
    "penalty_count",
    "bonus_count",
    "cost_per_period",
    "cost_sd",
    "ready_mean",
    "ready_sd",
    "p_penalty",
    "p_bonus",
    "settlement_per_period",
    *GAMING_INDICATORS,  # docs/model.md section 12, in the order of their one home
    "ready_gap",
)

#: the columns of a grid with fill-rate points (docs/model.md section 14: sweeps): the row's
#: ``measure``, then the summaries of its rate (the ready rate or the fill rate, as ``measure``
#: says); the give-up and coasting periods on both; the strategic indicators in periods only on
#: ready-rate rows, in units only on fill-rate rows (empty, NaN, on the others); no ready-period
#: counts
READY_ONLY_COLUMNS = tuple(k for k in STRATEGIC_INDICATORS if "bunching" not in k)
FILL_ONLY_COLUMNS = tuple(k for k in FILL_STRATEGIC_INDICATORS if "bunching" not in k)
RATE_RESULT_COLUMNS = (
    "policy",
    "measure",
    "cost_per_period",
    "cost_sd",
    "rate_mean",
    "rate_sd",
    "p_penalty",
    "p_bonus",
    "settlement_per_period",
    *OUTCOME_INDICATORS,
    *READY_ONLY_COLUMNS,
    *FILL_ONLY_COLUMNS,
    "bunching_excess_bonus",
    "bunching_excess_penalty",
    "rate_gap",
)

_RANGE_KEYS = ("start", "stop", "step")

#: grids up to this size keep their checked contracts for a sweep run in the same process
KEEP_CONFIGS = 20_000


@dataclass(frozen=True)
class Grid:
    """An expanded grid of contracts (see the module docstring for the file format).

    Attributes
    ----------
    base : dict
        The grid file's mapping, with every swept value still in place.
    axes : tuple of (str, tuple)
        The swept keys (``"section.key"``) and their values, in file order.
    columns : tuple of str
        The table column of each axis: the key's name, or ``section.key`` where two swept keys
        share a name (or a name clashes with a result column).
    source : str

    Examples
    --------
    >>> g = grid_from_dict({
    ...     "contract": {"review_period": {"start": 10, "stop": 30, "step": 10},
    ...                  "penalty_threshold": 0.8, "bonus_threshold": 0.9,
    ...                  "penalty_per_period": 5, "bonus_per_period": 3},
    ...     "costs": {"holding": [0.5, 1]}, "demand": {"kind": "poisson", "mean": 5}})
    >>> len(g), g.columns
    (6, ('review_period', 'holding'))
    >>> g.labels(1), g.point(1)["costs"]["holding"], g.point(1)["contract"]["review_period"]
    ((10, 1), 1, 10)
    """

    base: dict
    axes: tuple
    columns: tuple
    source: str = "<dict>"
    _configs: dict = field(default_factory=dict, repr=False, compare=False)
    #: the columns a sweep adds after the swept keys (several customers: per customer)
    result_columns: tuple = RESULT_COLUMNS

    def __len__(self) -> int:
        return math.prod(len(values) for _, values in self.axes)

    def indices(self, k: int) -> tuple:
        """The value index on each axis of point k (the first axis is the slowest)."""
        out = []
        for _, values in reversed(self.axes):
            k, j = divmod(k, len(values))
            out.append(j)
        return tuple(reversed(out))

    def labels(self, k: int) -> tuple:
        """The swept values of point k, one per column (lists as JSON text)."""
        return tuple(
            json.dumps(values[j]) if isinstance(values[j], list) else values[j]
            for (_, values), j in zip(self.axes, self.indices(k))
        )

    def describe(self, k: int) -> str:
        """``review_period=10, holding=0.5`` for point k."""
        return ", ".join(f"{c}={v}" for c, v in zip(self.columns, self.labels(k))) or "no sweep"

    def config(self, k: int):
        """Point k's checked :class:`~slamarkov.model.config.Config` (built again if not kept)."""
        cfg = self._configs.get(k)
        return cfg if cfg is not None else config_from_dict(self.point(k), self.source)

    def point(self, k: int) -> dict:
        """The plain contract-file mapping of point k."""
        if not 0 <= k < len(self):
            raise ConfigError(f"grid point: must lie in 0..{len(self) - 1}, got {k}")
        data = copy.deepcopy(self.base)
        for (key, values), j in zip(self.axes, self.indices(k)):
            section, _, name = key.partition(".")
            if section == "customer":  # customer.<name>.<key>: inside that [[customer]] table
                who, _, name = name.partition(".")
                table = next(t for t in data["customer"] if t.get("name") == who)
                if name.startswith("demand."):  # inside its [customer.demand]
                    table, name = table["demand"], name[len("demand."):]
                table[name] = copy.deepcopy(values[j])
                continue
            data[section][name] = copy.deepcopy(values[j])
        return data

    def points(self):
        """Every point's mapping, in order."""
        return (self.point(k) for k in range(len(self)))

    def fingerprint(self) -> str:
        """A hash of the grid: the same grid gives the same text (resume checks it)."""
        text = json.dumps([self.base, [[k, list(v)] for k, v in self.axes]], sort_keys=True,
                          default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def validate(self):
        """Check every point as a contract file; raise on the first bad one.

        Every point is also checked against the memory limit (``--max-gib``).

        Raises
        ------
        ConfigError
            ``SOURCE: grid point K of N (key=value, ...): section.key: rule``.
        """
        from ..solve.customers import check_customers_size, customers_stock_range
        from ..solve.limits import check_solve

        demands: dict = {}  # one demand object per distinct [demand] table
        for k in range(len(self)):
            try:
                cfg = config_from_dict(self.point(k), self.source, demand_cache=demands)
                # a point too large for the memory limit is refused now, not mid-sweep
                if isinstance(cfg.problem, CustomersProblem):
                    check_customers_size(cfg.problem, customers_stock_range(
                        cfg.problem, cfg.max_stock), exact=cfg.exact)
                else:
                    check_solve(cfg.problem, cfg.max_stock, exact=cfg.exact)
                if len(self) <= KEEP_CONFIGS:
                    self._configs[k] = cfg  # a sweep in this process solves these as they are
            except SlamarkovError as exc:
                raise ConfigError(
                    f"{self.source}: grid point {k + 1} of {len(self)} ({self.describe(k)}): {exc}"
                ) from None


def _is_number(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _expand_range(key: str, table: dict, max_points: int) -> tuple:
    if set(table) != set(_RANGE_KEYS):
        raise ConfigError(
            f"{key}: a range table takes exactly start, stop and step, got {', '.join(table) or 'nothing'}"
        )
    for name in _RANGE_KEYS:
        if not _is_number(table[name]):
            raise ConfigError(f"{key}: range {name} must be a number, got {table[name]!r}")
    start, stop, step = (to_fraction(table[n], f"{key}.{n}", ConfigError) for n in _RANGE_KEYS)
    if step == 0:
        raise ConfigError(f"{key}: range step must not be 0")
    if (stop - start) * step < 0:
        raise ConfigError(
            f"{key}: range step {table['step']} moves away from stop {table['stop']} "
            f"(start {table['start']}); give the step the sign of stop - start"
        )
    count = math.floor((stop - start) / step) + 1
    if count > max_points:
        raise ConfigError(f"{key}: the range has {count} values, above the limit of {max_points} "
                          "grid points; raise it with --max-points")
    integral = all(isinstance(table[n], numbers.Integral) for n in _RANGE_KEYS)
    values = (start + k * step for k in range(count))
    return tuple(int(x) if integral else float(x) for x in values)


def _uniform(values: tuple) -> tuple:
    """Numbers stay numbers; a mix of numbers and text becomes text (one type per column)."""
    if all(_is_number(v) or isinstance(v, (str, list, bool)) for v in values) and len(
        {("num" if _is_number(v) else type(v).__name__) for v in values}
    ) <= 1:
        return values
    return tuple(v if isinstance(v, str) else str(v) for v in values)


#: a sweep's result columns per customer, after ``policy`` and ``cost_per_period``
CUSTOMER_RESULT_METRICS = ("ready_mean", "p_penalty", "p_bonus", "sacrificed",
                           "settlement_per_period")


def customer_result_columns(names) -> tuple:
    """The result columns of a sweep of several customers named ``names`` (in file order).

    Examples
    --------
    >>> customer_result_columns(["north"])[:4]
    ('policy', 'cost_per_period', 'ready_mean_north', 'p_penalty_north')
    """
    return ("policy", "cost_per_period") + tuple(
        f"{m}_{n}" for n in names for m in CUSTOMER_RESULT_METRICS)


def _table_axes(prefix: str, section: str, table: dict, max_points: int) -> list:
    """The swept keys of one table: ``(prefix + name, values)`` for each list (not the key's
    own list value, :data:`~slamarkov.model.config.LIST_KEYS` of ``section``) or range."""
    axes = []
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            values = _expand_range(key, value, max_points)
        elif isinstance(value, list):
            if f"{section}.{name}" in LIST_KEYS and not any(isinstance(x, list) for x in value):
                continue  # the key's own list value, not a sweep
            values = tuple(value)
            if not values:
                raise ConfigError(f"{key}: an empty list gives no grid point")
        else:
            continue
        axes.append((key, _uniform(values)))
    return axes


def _column_name(key: str) -> str:
    """An axis' column: the key's name; ``<key>_<customer>`` inside a [[customer]] table."""
    section, _, name = key.partition(".")
    if section == "customer":  # customer.<name>.<key> or customer.<name>.demand.<key>
        who, _, name = name.partition(".")
        return f"{name.rpartition('.')[2]}_{who}"
    return name


def _customer_axes(base: dict, max_points: int):
    """The swept keys inside the [[customer]] tables (``customer.<name>.<key>``) and the result
    columns of several customers (docs/model.md section 15)."""
    customers = base.get("customer")
    if not isinstance(customers, list) or not all(isinstance(t, dict) for t in customers):
        return [], RESULT_COLUMNS  # the loader names the problem on the first point
    axes, names = [], []
    for table in customers:
        name = table.get("name")
        if not isinstance(name, str):
            return [], RESULT_COLUMNS  # the loader refuses it
        names.append(name)
        prefix = f"customer.{name}."
        for key, value in table.items():  # in the table's order, [customer.demand] in its place
            if key == "demand":  # its keys as the one-customer [demand]'s
                if isinstance(value, dict):
                    axes += _table_axes(f"{prefix}demand.", "demand", value, max_points)
            elif key != "name":
                axes += _table_axes(prefix, "customer", {key: value}, max_points)
    return axes, customer_result_columns(names)


def grid_from_dict(data: dict, source: str = "<dict>", *, max_points: int = DEFAULT_MAX_POINTS,
                   validate: bool = True) -> Grid:
    """Expand a grid mapping (a parsed grid file) and check every point.

    Parameters
    ----------
    data : dict
        A contract-file mapping in which values may be lists or range tables.
    source : str
        Named in error messages (the file's path).
    max_points : int, default 100,000
        Refuse larger grids (the message gives the count).
    validate : bool, default True
        Check every point with the contract-file loader.

    Returns
    -------
    Grid

    Raises
    ------
    ConfigError
        On an empty list, a bad range, a grid above ``max_points`` or a bad point, in one line
        naming the key (and the point).

    Examples
    --------
    >>> base = {"contract": {"review_period": 10, "penalty_threshold": 0.8,
    ...                      "bonus_threshold": 0.9, "penalty": [0, 50]},
    ...         "costs": {"holding": 0.5}, "demand": {"kind": "poisson", "mean": 5}}
    >>> len(grid_from_dict(base))
    2
    >>> base["contract"]["penalty"] = []
    >>> grid_from_dict(base)
    Traceback (most recent call last):
    ...
    slamarkov.errors.ConfigError: contract.penalty: an empty list gives no grid point
    """
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: must be a TOML table")
    if isinstance(max_points, bool) or not isinstance(max_points, numbers.Integral) or max_points < 1:
        raise ConfigError(f"--max-points: must be an integer >= 1, got {max_points!r}")
    base = copy.deepcopy(data)
    axes = []
    for section, table in base.items():
        if not isinstance(table, dict):
            continue  # the loader names the problem on the first point
        axes += _table_axes(f"{section}.", section, table, max_points)
    result_columns = RESULT_COLUMNS
    if is_customers_file(base):  # several customers (docs/model.md section 15)
        customer_axes, result_columns = _customer_axes(base, max_points)
        axes += customer_axes
    elif _has_fill_rate(base, axes):
        result_columns = RATE_RESULT_COLUMNS
    n = math.prod(len(v) for _, v in axes)
    if n > max_points:
        raise ConfigError(
            f"{source}: the grid has {n} points, above the limit of {max_points}; "
            "raise it with --max-points"
        )
    names = [_column_name(key) for key, _ in axes]
    columns = tuple(
        key if names.count(name) > 1 or name in result_columns else name
        for (key, _), name in zip(axes, names)
    )
    grid = Grid(base, tuple(axes), columns, source, result_columns=result_columns)
    if validate:
        grid.validate()
    return grid


def _has_fill_rate(base, axes) -> bool:
    """Whether some point of the grid measures the fill rate (``contract.measure``, fixed or
    swept)."""
    table = base.get("contract")
    values = dict(axes).get("contract.measure")
    if values is None:
        values = (table.get("measure"),) if isinstance(table, dict) else ()
    return "fill-rate" in values


def load_grid(path, *, max_points: int = DEFAULT_MAX_POINTS, validate: bool = True) -> Grid:
    """Read a grid file (TOML) and check every point (see :func:`grid_from_dict`).

    Raises
    ------
    ConfigError
        On a missing, unreadable or malformed file, or any of :func:`grid_from_dict`'s errors.

    Examples
    --------
    >>> import importlib.resources
    >>> g = load_grid(importlib.resources.files("slamarkov") / "data" / "study_grid_linear.toml")
    >>> len(g), g.columns
    (36, ('review_period', 'holding'))
    """
    p = Path(path)
    data = read_toml(p, "a grid file")
    return grid_from_dict(data, str(p), max_points=max_points, validate=validate)

