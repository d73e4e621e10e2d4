r"""The source study's experiments, computed exactly (docs/model.md sections 8 and 9).

The study ran Poisson(5) demand, thresholds :math:`\alpha_L = 0.8` and :math:`\alpha_U = 0.9`,
review periods :math:`T \in \{10, 20, \dots, 90\}`, holding costs :math:`h \in \{0.5, 1, 1.5, 2\}`
and stock in 0..40, under lump-sum (:math:`L^- = 5T`, :math:`L^+ = 3T`) and linear
(:math:`L^- = 25T`, :math:`L^+ = 15T`) terms, and estimated its tables by simulating 18,445 review
periods per cell. Here every number is computed exactly from the policy's absorbing chain; a
simulated estimate with its standard error can be put beside each exact value.

A :class:`Study` holds one experiment's settings (scheme, demand, amounts per period, the grid)
and caches every solve, so the tables share their work. The tables:

* :func:`ready_rate_table` -- per (h, T), mean and SD of the ready rate, P(penalty) and P(bonus)
  of the dynamic and static policies (fractions; the markdown rendering shows them in percent);
  optionally the static S* and both costs.
* :func:`cost_table` -- per (h, T), both expected costs per period and the SD of the cost per
  period of one review period (exact, from :meth:`AbsorbingChain.cost_moments`).
* :func:`saving_table` -- per (ratio, h, T), the static minus the dynamic expected cost per
  period, with the bonus per period set to the penalty per period divided by the ratio.
* :func:`stock_table` -- per (T, period i), the quartiles of the dynamic stock :math:`S_i` over
  the chain's distribution of states at stage i.
* :func:`published_comparison_table` -- the study's simulated rows (docs/model.md section 9) beside
  the exact values, in standard errors of a simulation of the study's size.

:func:`reproduce_all` writes every table and figure to a folder. Each table is a pandas DataFrame
(as the sweeps' are) whose ``attrs`` hold its ``name``, ``title``, ``parameters``, per-column
``digits`` and ``percent_columns``. Rates and probabilities are fractions (0.896, not 89.6) in the
DataFrames and in CSV and JSON; the markdown rendering, a text report, prints the columns named in
``attrs["percent_columns"]`` in percent. :func:`render_table` prints it as CSV, markdown or JSON
(:func:`table_to_csv`, :func:`table_to_markdown`, :func:`table_to_json`) and :func:`save_table`
writes it to a file.
"""

from __future__ import annotations

import csv
import io
import json
import math
import zlib
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..chain.triangle import propagate
from ..core.numbers import to_fraction, to_int
from ..errors import ConfigError, ContractError, CostError, DemandError, SimulationError
from ..io.atomic import atomic_write
from ..model.contract import LINEAR, LUMP_SUM, SCHEMES, Contract
from ..model.demand import Demand, Poisson
from ..model.problem import Problem
from ..simulation.runs import mean_estimate
from ..solve.both import Solutions, solve_both

__all__ = [
    "Study",
    "StudyCell",
    "make_table",
    "render_table",
    "save_table",
    "table_to_csv",
    "table_to_markdown",
    "table_to_json",
    "FORMATS",
    "STUDY_RUNS",
    "STUDY_AMOUNTS",
    "STUDY_MAX_STOCK",
    "REVIEW_PERIODS",
    "HOLDING_COSTS",
    "RATIOS",
    "STOCK_REVIEW_PERIODS",
    "READY_RATE_COLUMNS",
    "PUBLISHED_READY_RATE",
    "ready_rate_table",
    "cost_table",
    "saving_table",
    "stock_table",
    "published_comparison_table",
    "carry_over_table",
    "expected_standard_errors",
    "weighted_quantiles",
    "stage_stock_distribution",
    "reproduce_all",
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
#: table formats and their file suffixes
FORMATS = {"csv": ".csv", "markdown": ".md", "json": ".json"}

_METRICS = ("mean", "sd", "p_penalty", "p_bonus")
_POLICIES = (("dyn", "dynamic"), ("static", "static"))
#: the ready-rate table's columns, in the order the study reports them
READY_RATE_COLUMNS = ("h", "T") + tuple(
    f"{short}_{m}" for short, _ in _POLICIES for m in _METRICS
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


# --------------------------------------------------------------------------------------------
# tables


def _num(x):
    """A table cell as a JSON/CSV-friendly Python number."""
    if isinstance(x, Fraction):
        return int(x) if x.denominator == 1 else float(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return float(x)
    return x


def _fmt_csv(x) -> str:
    if x is None:
        return ""
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        if not math.isfinite(x):
            return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
        return format(x, ".12g")
    return str(x)


def _dtype(values):
    """A column's dtype: int64, float64 or bool when every value has that type, else object
    (e.g. holding costs 0.5 and 1: each is kept as given, so 1 prints as ``1``, not ``1.0``)."""
    kinds = {type(v) for v in values}
    return {frozenset({int}): "int64", frozenset({float}): "float64",
            frozenset({bool}): "bool"}.get(frozenset(kinds), object)


def make_table(name, columns, rows, *, title="", parameters=None, digits=None,
               percent_columns=None):
    """A study table: a pandas DataFrame with its name, title, parameters, digits and percent
    columns in ``attrs``.

    Parameters
    ----------
    name : str
        A short identifier, e.g. ``"ready-rate-lump-sum"``; also the stem of the file
        :func:`reproduce_all` writes (``attrs["name"]``).
    columns : sequence of str
        Column names, in order.
    rows : iterable of dict
        One mapping per row, column name to value (int, float, Fraction or str). Fractions become
        ints when whole and floats otherwise.
    title : str, optional
        A one-line description (JSON output and figure titles; ``attrs["title"]``).
    parameters : dict, optional
        The settings that produced the table, for the JSON output (``attrs["parameters"]``).
    digits : dict, optional
        Column name to a format spec for :func:`table_to_markdown` (e.g. ``".2f"``); floats
        without one print with ``"g"`` (``attrs["digits"]``).
    percent_columns : sequence of str, optional
        The columns holding rates or probabilities, as fractions; :func:`table_to_markdown`
        prints them in percent (``attrs["percent_columns"]``). When there are any, the JSON
        output's parameters say ``"units"``: rates and probabilities are fractions.

    Returns
    -------
    pandas.DataFrame
        Columns of one type are int64, float64 or bool; a column mixing ints and floats (or
        holding text) has dtype object and keeps each value as given.

    Examples
    --------
    >>> t = make_table("demo", ["h", "T", "x"], [{"h": 0.5, "T": 10, "x": 1 / 3}],
    ...                digits={"x": ".3f"})
    >>> t.attrs["name"], t["T"].dtype.name, round(float(t.loc[0, "x"]), 4)
    ('demo', 'int64', 0.3333)
    """
    import pandas as pd

    rows = list(rows)
    data = {}
    for c in columns:
        values = [_num(r.get(c)) for r in rows]
        data[c] = pd.Series(values, dtype=_dtype(values))
    df = pd.DataFrame(data, columns=list(columns))
    df.attrs.update(name=name, title=title, parameters=dict(parameters or {}),
                    digits=dict(digits or {}), percent_columns=list(percent_columns or ()))
    return df


def _cells(df):
    """The rows of ``df`` as tuples of Python values (ints stay ints, floats floats)."""
    return zip(*(df[c].tolist() for c in df.columns)) if len(df.columns) else iter(())


def table_to_csv(df) -> str:
    """Comma-separated values with a header row; floats to 12 significant digits.

    Examples
    --------
    >>> t = make_table("demo", ["h", "T", "x"], [{"h": 0.5, "T": 10, "x": 1 / 3}])
    >>> print(table_to_csv(t), end="")
    h,T,x
    0.5,10,0.333333333333
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(df.columns)
    w.writerows([_fmt_csv(x) for x in row] for row in _cells(df))
    return buf.getvalue()


def _fmt_markdown(x, spec) -> str:
    if x is None:
        return ""
    if isinstance(x, float):
        return format(x, spec or "g")
    return str(x)


def table_to_markdown(df) -> str:
    """A GitHub-flavoured markdown table, numbers right-aligned, floats rounded per column
    (``df.attrs["digits"]``); the columns in ``df.attrs["percent_columns"]`` (fractions) print
    in percent, as a text report's rates do.

    Examples
    --------
    >>> t = make_table("demo", ["h", "T", "x", "p"],
    ...                [{"h": 0.5, "T": 10, "x": 1 / 3, "p": 0.25}],
    ...                digits={"x": ".3f", "p": ".2f"}, percent_columns=["p"])
    >>> print(table_to_markdown(t))
    | h | T | x | p |
    |---:|---:|---:|---:|
    | 0.5 | 10 | 0.333 | 25.00 |
    """
    columns = [str(c) for c in df.columns]
    digits = df.attrs.get("digits") or {}
    specs = [digits.get(c) for c in columns]
    pct = set(df.attrs.get("percent_columns") or ())
    scale = [c in pct for c in columns]
    lines = ["| " + " | ".join(columns) + " |",
             "|" + "|".join("---:" for _ in columns) + "|"]
    for row in _cells(df):
        lines.append("| " + " | ".join(
            _fmt_markdown(100 * x if p and isinstance(x, float) else x, s)
            for x, s, p in zip(row, specs, scale)) + " |")
    return "\n".join(lines)


def table_to_json(df) -> str:
    """A JSON document: name, title, parameters (from ``df.attrs``), columns and the rows as
    objects; a float that is not finite becomes null. Rates and probabilities stay fractions;
    when the table has any (``df.attrs["percent_columns"]``), the parameters end with
    ``"units"`` saying so.

    Examples
    --------
    >>> t = make_table("demo", ["T", "x"], [{"T": 10, "x": float("inf")}])
    >>> import json; json.loads(table_to_json(t))["rows"]
    [{'T': 10, 'x': None}]
    """
    columns = [str(c) for c in df.columns]
    rows = [{c: (None if isinstance(x, float) and not math.isfinite(x) else x)
             for c, x in zip(columns, row)} for row in _cells(df)]
    params = dict(df.attrs.get("parameters") or {})
    pct = [c for c in columns if c in set(df.attrs.get("percent_columns") or ())]
    if pct:
        params["units"] = ("rates and probabilities as fractions (0.9, not 90): "
                           + ", ".join(pct))
    doc = {"name": df.attrs.get("name", ""), "title": df.attrs.get("title", ""),
           "parameters": params, "columns": columns, "rows": rows}
    return json.dumps(doc, indent=2, allow_nan=False)


def render_table(df, format="csv") -> str:
    """A study table as ``"csv"``, ``"markdown"`` or ``"json"`` text.

    Raises
    ------
    ConfigError
        On another format.

    Examples
    --------
    >>> t = make_table("demo", ["T"], [{"T": 10}])
    >>> render_table(t, "markdown").splitlines()[-1]
    '| 10 |'
    """
    if format not in FORMATS:
        raise ConfigError(f"--format: must be one of {', '.join(FORMATS)}, got {format!r}")
    return {"csv": table_to_csv, "markdown": table_to_markdown, "json": table_to_json}[format](df)


def save_table(df, path, format=None) -> Path:
    """Write a study table to ``path`` atomically; the format defaults from the suffix
    (``.csv``, ``.md``, ``.json``; otherwise CSV).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = save_table(make_table("demo", ["T"], [{"T": 10}]), pathlib.Path(d) / "t.md")
    ...     p.read_text()
    '| T |\\n|---:|\\n| 10 |\\n'
    """
    path = Path(path)
    if format is None:
        by_suffix = {s: f for f, s in FORMATS.items()}
        format = by_suffix.get(path.suffix, "csv")
    text = render_table(df, format)
    atomic_write(path, text if text.endswith("\n") else text + "\n")
    return path


# --------------------------------------------------------------------------------------------
# the experiment


#: the two solved policies of one cell of the grid (see :meth:`Study.solve`)
StudyCell = Solutions


def _tuple_of(values, field_, convert, rule, check):
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
    'lump-sum SLA over T=30 periods: penalty 150 if ready rate < 0.8, bonus 90 if >= 0.9'
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
        object.__setattr__(self, "holding_costs", _tuple_of(
            self.holding_costs, "holding_costs", to_fraction, "> 0", lambda h: h > 0))
        object.__setattr__(self, "review_periods", _tuple_of(
            self.review_periods, "review_periods", to_int, "an integer >= 1", lambda t: t >= 1))
        object.__setattr__(self, "ratios", _tuple_of(
            self.ratios, "ratios", to_fraction, "> 0", lambda r: r > 0))
        if self.max_stock is not None:
            m = to_int(self.max_stock, "max_stock", ConfigError)
            if m < 0:
                raise ConfigError(f"max_stock: must be >= 0, got {m}")
            object.__setattr__(self, "max_stock", m)

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
            "penalty_per_period": _num(self.penalty_per_period),
            "bonus_per_period": _num(self.bonus_per_period),
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

    def solve(self, holding_cost, review_period, ratio=None) -> StudyCell:
        """Both optimal policies of one cell, solved once and cached.

        Returns
        -------
        StudyCell
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


def _iterate(items, progress, label):
    items = list(items)
    if progress is None:
        return items
    return progress(items, total=len(items), label=label)


# --------------------------------------------------------------------------------------------
# simulation helpers


def _cell_seed(seed, *parts) -> int:
    """A seed for one cell, stable under changes of the grid: (seed, cell key) hashed."""
    key = zlib.crc32("|".join(str(p) for p in parts).encode())
    return int(np.random.SeedSequence([int(seed), key]).generate_state(1)[0])


def _check_runs(simulate, seed):
    if simulate is None:
        return None
    runs = to_int(simulate, "--simulate", SimulationError)
    if runs < 2:
        raise SimulationError(f"--simulate: must be an integer >= 2 (runs), got {simulate!r}")
    from ..core.limits import check_runs

    check_runs(runs, 1, field="--simulate")  # before any cell is solved; simulate() checks each
    if seed is not None:
        s = to_int(seed, "--seed", SimulationError)
        if s < 0:
            raise SimulationError(f"--seed: must be an integer >= 0, got {seed!r}")
    return runs


def _simulate(policy, runs, seed):
    from ..simulation.simulate import (
        simulate,  # numpy's random Generator only when simulating
    )

    return simulate(policy, runs, seed=seed)


def _simulated_summaries(result, contract):
    """Simulated mean, SD, P(penalty), P(bonus) of the ready rate and their SEs (fractions), by
    the one convention for simulated summaries (:mod:`slamarkov.simulation.runs`)."""
    summary = result.summary()
    return {m: tuple(summary[m]) for m in _METRICS}


def expected_standard_errors(distribution, runs=STUDY_RUNS) -> dict:
    """Standard errors of a simulation's ready-rate summaries, from the exact distribution.

    For ``runs`` independent review periods: the mean's SE is sd / sqrt(n), a probability's is
    sqrt(p (1 - p) / n) and the SD's is the delta-method sqrt((m4 - m2^2) / n) / (2 sd), with
    the central moments m2, m4 of the exact ready-rate distribution.

    Parameters
    ----------
    distribution : ReadyRateDistribution
    runs : int, default 18,445 (the study's)

    Returns
    -------
    dict
        ``mean``, ``sd``, ``p_penalty``, ``p_bonus`` (fractions, not percent).

    Examples
    --------
    >>> cell = Study("lump-sum").solve(0.5, 10)
    >>> se = expected_standard_errors(cell.static.ready_rate)
    >>> round(100 * se["mean"], 4), round(100 * se["p_bonus"], 4)
    (0.0587, 0.2593)
    """
    n = to_int(runs, "runs", SimulationError)
    if n < 1:
        raise SimulationError(f"runs: must be >= 1, got {runs!r}")
    T = distribution.review_period
    pmf = np.asarray(distribution.pmf, dtype=np.float64)
    x = np.arange(T + 1) / T
    m = float(pmf @ x)
    m2 = float(pmf @ (x - m) ** 2)
    m4 = float(pmf @ (x - m) ** 4)
    sd = math.sqrt(max(m2, 0.0))
    out = {
        "mean": sd / math.sqrt(n),
        "sd": math.sqrt(max(m4 - m2 * m2, 0.0) / n) / (2 * sd) if sd > 0 else 0.0,
    }
    for name in ("p_penalty", "p_bonus"):
        p = float(getattr(distribution, name))
        out[name] = math.sqrt(max(p * (1 - p), 0.0) / n)
    return out


# --------------------------------------------------------------------------------------------
# the tables


def _pct_digits(columns):
    return {c: ".4f" for c in columns if c not in ("h", "T", "ratio", "static_S", "period")}


def ready_rate_table(study: Study, *, costs=False, simulate=None, seed=None,
                     progress=None):
    r"""Ready-rate summaries of both policies per (h, T), as fractions (docs/model.md section 8).

    Columns ``h,T,dyn_mean,dyn_sd,dyn_p_penalty,dyn_p_bonus,static_mean,static_sd,
    static_p_penalty,static_p_bonus``: mean and SD of the ready rate, P(ready rate <
    :math:`\alpha_L`) and P(ready rate :math:`\ge \alpha_U`), exact. Rates and probabilities
    are fractions (0.896, not 89.6); :func:`table_to_markdown` prints them in percent
    (``attrs["percent_columns"]``).

    Parameters
    ----------
    study : Study
    costs : bool, default False
        Append ``static_S`` (S*), ``dyn_cost`` and ``static_cost`` (expected cost per period).
    simulate : int, optional
        Simulate this many review periods per policy and cell; after each exact column ``X``
        come ``X_sim`` (the estimate) and ``X_se`` (its standard error), also fractions.
    seed : int, optional
        Seed of the simulation; each cell's seed derives from it and the cell.
    progress : callable, optional
        ``progress(iterable, total, label)`` wrapping the loop over cells (a progress bar).

    Returns
    -------
    pandas.DataFrame
        One row per cell; ``attrs`` holds ``name``, ``title``, ``parameters``, ``digits`` and
        ``percent_columns``.

    Examples
    --------
    >>> t = ready_rate_table(Study("lump-sum", holding_costs=(0.5,), review_periods=(10,)))
    >>> ",".join(t.columns)
    'h,T,dyn_mean,dyn_sd,dyn_p_penalty,dyn_p_bonus,static_mean,static_sd,static_p_penalty,static_p_bonus'
    >>> round(float(t.loc[0, "dyn_mean"]), 6), round(float(t.loc[0, "dyn_p_bonus"]), 6)
    (0.896123, 0.962415)
    """
    runs = _check_runs(simulate, seed)
    columns = ["h", "T"]
    for short, _ in _POLICIES:
        for m in _METRICS:
            columns.append(f"{short}_{m}")
            if runs:
                columns += [f"{short}_{m}_sim", f"{short}_{m}_se"]
    if costs:
        columns += ["static_S", "dyn_cost", "static_cost"]
    cells = [(h, T) for h in study.holding_costs for T in study.review_periods]
    rows = []
    for h, T in _iterate(cells, progress, f"ready-rate {study.scheme}"):
        cell = study.solve(h, T)
        row = {"h": h, "T": T}
        for short, name in _POLICIES:
            sol = getattr(cell, name)
            dist = sol.ready_rate
            sim = None
            if runs:
                res = _simulate(sol.policy, runs,
                                _cell_seed(seed or 0, study.scheme, h, T, name))
                sim = _simulated_summaries(res, cell.problem.contract)
            for m in _METRICS:
                row[f"{short}_{m}"] = float(getattr(dist, m))
                if sim:
                    row[f"{short}_{m}_sim"] = sim[m][0]
                    row[f"{short}_{m}_se"] = sim[m][1]
        if costs:
            row["static_S"] = cell.static.base_stock
            row["dyn_cost"] = float(cell.dynamic.cost_per_period)
            row["static_cost"] = float(cell.static.cost_per_period)
        rows.append(row)
    digits = _pct_digits(columns)
    digits.update({"dyn_cost": ".6f", "static_cost": ".6f"})
    pct = [c for c in columns if c.startswith(("dyn_", "static_")) and "cost" not in c
           and c != "static_S"]
    params = study.parameters()
    if runs:
        params.update(simulate=runs, seed=seed)
    return make_table(f"ready-rate-{study.scheme}", columns, rows,
                 title=f"Ready rate of the dynamic and static policies, {study.label}",
                 parameters=params, digits=digits, percent_columns=pct)


def cost_table(study: Study, *, simulate=None, seed=None, progress=None):
    r"""Expected cost per period of both policies per (h, T), with the SD of the per-run cost.

    Columns ``h,T,static_S,dyn_cost,dyn_cost_sd,static_cost,static_cost_sd``. ``*_cost`` is
    the expected cost per period (:math:`V_1(0)/T` and :math:`C(S^*)/T`); ``*_cost_sd`` the
    standard deviation of one review period's total cost divided by T, exact from the chain.
    With ``simulate``, ``*_cost_sim`` and ``*_cost_se`` follow each cost column.

    Examples
    --------
    >>> t = cost_table(Study("lump-sum", holding_costs=(0.5,), review_periods=(10,)))
    >>> r = t.iloc[0]
    >>> int(r["static_S"]), round(float(r["dyn_cost"]), 6), round(float(r["static_cost"]), 6)
    (8, -1.20155, -0.87201)
    """
    runs = _check_runs(simulate, seed)
    columns = ["h", "T", "static_S"]
    for short, _ in _POLICIES:
        columns += [f"{short}_cost", f"{short}_cost_sd"]
        if runs:
            columns += [f"{short}_cost_sim", f"{short}_cost_se"]
    cells = [(h, T) for h in study.holding_costs for T in study.review_periods]
    rows = []
    for h, T in _iterate(cells, progress, f"cost {study.scheme}"):
        cell = study.solve(h, T)
        moments = study.cost_moments(h, T)
        row = {"h": h, "T": T, "static_S": cell.static.base_stock}
        for short, name in _POLICIES:
            row[f"{short}_cost"], row[f"{short}_cost_sd"] = moments[name]
            if runs:
                res = _simulate(getattr(cell, name).policy, runs,
                                _cell_seed(seed or 0, study.scheme, h, T, name))
                est = mean_estimate(np.asarray(res.total_cost, dtype=np.float64) / T)
                row[f"{short}_cost_sim"], row[f"{short}_cost_se"] = est
        rows.append(row)
    digits = {c: ".6f" for c in columns if "cost" in c}
    params = study.parameters()
    if runs:
        params.update(simulate=runs, seed=seed)
    return make_table(f"cost-{study.scheme}", columns, rows,
                 title=f"Expected cost per period (SD of the cost per period of one review "
                       f"period), {study.label}",
                 parameters=params, digits=digits)


def saving_table(study: Study, *, simulate=None, seed=None, progress=None):
    r"""The dynamic policy's cost saving per (ratio, h, T) (docs/model.md section 8).

    The penalty per period is the study's (lump-sum 5, linear 25, or ``study.penalty``) and the
    bonus per period is the penalty divided by the ratio. The saving is the static minus the
    dynamic expected cost per period, an absolute amount; it is never negative.

    Parameters
    ----------
    study : Study
        Its ``bonus`` must be left at the default: the ratio sets it.
    simulate, seed, progress
        As in :func:`ready_rate_table`; adds ``saving_sim`` and ``saving_se``. Both policies are
        simulated with the same seed, hence the same demands, and the SE is that of the mean
        per-run difference (common random numbers).

    Raises
    ------
    ConfigError
        When ``study.bonus`` was set.

    Examples
    --------
    >>> t = saving_table(Study("lump-sum", holding_costs=(1,), review_periods=(10,)))
    >>> ",".join(t.columns), len(t)
    ('ratio,h,T,saving', 3)
    >>> bool((t["saving"] >= 0).all())
    True
    """
    if study.bonus is not None:
        raise ConfigError("--bonus-per-period: the saving table sets the bonus per period to "
                          "penalty / ratio; leave --bonus-per-period out")
    runs = _check_runs(simulate, seed)
    columns = ["ratio", "h", "T", "saving"] + (["saving_sim", "saving_se"] if runs else [])
    cells = [(r, h, T) for r in study.ratios for h in study.holding_costs
             for T in study.review_periods]
    rows = []
    for r, h, T in _iterate(cells, progress, f"saving {study.scheme}"):
        cell = study.solve(h, T, r)
        row = {"ratio": r, "h": h, "T": T,
               "saving": float(cell.static.cost_per_period) - float(cell.dynamic.cost_per_period)}
        if runs:
            # one seed for both policies: the simulator draws each period's demands the same way
            # for any policy, so the two see the same demands (common random numbers) and the
            # per-run differences give the SE
            cell_seed = _cell_seed(seed or 0, study.scheme, r, h, T)
            per = [np.asarray(_simulate(getattr(cell, name).policy, runs, cell_seed).total_cost,
                              dtype=np.float64) / T for name in ("static", "dynamic")]
            row["saving_sim"], row["saving_se"] = mean_estimate(per[0] - per[1])
        rows.append(row)
    params = study.parameters()
    params.pop("bonus_per_period")
    params["bonus_per_period"] = "penalty_per_period / ratio"
    if runs:
        params.update(simulate=runs, seed=seed)
    return make_table(f"saving-{study.scheme}", columns, rows,
                 title=f"Cost saving per period of the dynamic policy (static - dynamic), "
                       f"bonus = penalty / ratio, {study.scheme}, {study.demand.describe()}",
                 parameters=params,
                 digits={"saving": ".6f", "saving_sim": ".6f", "saving_se": ".6f"})


#: the metrics of the carry-over table, per policy and leftover rule
CARRY_METRICS = ("mean", "sd", "p_penalty", "p_bonus", "cost")
LEFTOVERS = ("discard", "carry")


def carry_over_table(study: Study, *, purchase=0, salvage=0, initial_stock=0,
                     progress=None):
    r"""Discard against carry over the study's grid: what changes when stock is kept
    (docs/model.md section 11).

    For each (h, T) of the study, both leftover rules and both policies: the mean and SD of the
    ready rate, P(penalty) and P(bonus) as fractions (:func:`table_to_markdown` prints them in
    percent, ``attrs["percent_columns"]``), and the expected cost per period. Columns
    ``h,T`` then ``<policy>_<metric>_<leftover>`` for policy ``dyn`` and ``static``, metric
    ``mean, sd, p_penalty, p_bonus, cost`` and leftover ``discard, carry`` (the two rules side
    by side). With the defaults (no purchase price, no salvage, no initial stock) the discard
    columns are the study's model.

    Parameters
    ----------
    study : Study
    purchase, salvage : number, default 0
        The purchase price c per unit and the salvage value s of the final stock (carry only).
    initial_stock : int, default 0
    progress : callable, optional

    Returns
    -------
    pandas.DataFrame
        One row per cell; ``attrs`` holds ``name``, ``title``, ``parameters`` and ``digits``.

    Examples
    --------
    >>> t = carry_over_table(Study("lump-sum", holding_costs=(0.5,), review_periods=(10,)))
    >>> r = t.iloc[0]
    >>> round(float(r["dyn_mean_discard"]), 6), bool(r["dyn_cost_carry"] <= r["static_cost_carry"])
    (0.896123, True)
    """
    from ..model.problem import Problem

    columns = ["h", "T"]
    for short, _ in _POLICIES:
        for m in CARRY_METRICS:
            columns += [f"{short}_{m}_{rule}" for rule in LEFTOVERS]
    cells = [(h, T) for h in study.holding_costs for T in study.review_periods]
    rows = []
    for h, T in _iterate(cells, progress, f"carry-over {study.scheme}"):
        row = {"h": h, "T": T}
        for rule in LEFTOVERS:
            problem = Problem(study.contract(T), study.demand, h, purchase_cost=purchase,
                              salvage_value=salvage if rule == "carry" else 0, leftover=rule,
                              initial_stock=initial_stock)
            opts = {"max_stock": study.stock_range_top}
            sols = solve_both(problem, **opts)
            for short, name in _POLICIES:
                sol = sols[name]
                dist = sol.ready_rate
                for m in CARRY_METRICS[:-1]:
                    row[f"{short}_{m}_{rule}"] = float(getattr(dist, m))
                row[f"{short}_cost_{rule}"] = float(sol.cost_per_period)
        rows.append(row)
    digits = _pct_digits(columns)
    digits.update({c: ".6f" for c in columns if "_cost_" in c})
    pct = [c for c in columns if c not in ("h", "T") and "_cost_" not in c]
    params = study.parameters()
    params.update(purchase=_num(Fraction(purchase)) if purchase else 0,
                  salvage=_num(Fraction(salvage)) if salvage else 0,
                  initial_stock=initial_stock)
    return make_table(f"carry-over-{study.scheme}", columns, rows,
                 title=f"Stock discarded vs carried over: ready rate and cost per period, "
                       f"{study.label}",
                 parameters=params, digits=digits, percent_columns=pct)


def weighted_quantiles(values, weights, probs=(0.25, 0.5, 0.75)):
    """Quantiles of a discrete distribution: for each p, the smallest value with CDF >= p.

    A tolerance of 1e-12 on the CDF keeps float rounding from moving a quantile that sits
    exactly on a jump (e.g. two equally likely values and p = 0.5).

    Parameters
    ----------
    values : array_like
        The support (any order, repeats allowed).
    weights : array_like
        Their probabilities (normalised here).
    probs : sequence of float

    Examples
    --------
    >>> weighted_quantiles([3, 1, 2], [0.25, 0.5, 0.25]).tolist()
    [1, 1, 2]
    """
    v = np.asarray(values)
    w = np.asarray(weights, dtype=np.float64)
    order = np.argsort(v, kind="stable")
    v, w = v[order], w[order]
    cdf = np.cumsum(w) / w.sum()
    idx = np.searchsorted(cdf, np.asarray(probs, dtype=np.float64) - 1e-12, side="left")
    return v[np.minimum(idx, len(v) - 1)]


def stage_stock_distribution(policy):
    """The distribution of the stock :math:`S_i` at each stage i under ``policy``, exactly.

    Parameters
    ----------
    policy : Policy

    Returns
    -------
    list of (stocks, probabilities)
        For i = 1..T, the stocks :math:`S_i(v)` of the states reachable at stage i and the
        probability of reaching each.

    Examples
    --------
    >>> cell = Study("lump-sum").solve(1, 10)
    >>> stocks, probs = stage_stock_distribution(cell.dynamic.policy)[1]
    >>> stocks.tolist(), round(float(probs.sum()), 12)
    ([9, 8], 1.0)
    """
    out = []

    def keep(i, lo, reach):
        s = policy.stage(i)[lo : lo + reach.shape[0]]
        out.append((np.array(s), np.array(reach, dtype=np.float64)))

    propagate(policy.stage_success, policy.review_period, on_stage=keep)
    return out



def stock_table(study: Study, *, holding_cost=1, review_periods=STOCK_REVIEW_PERIODS,
                progress=None):
    r"""The distribution of the dynamic stock per period: quartiles of :math:`S_i` (exact).

    At each stage i the chain is in state (i, v) with its reach probability (propagated forward
    from (1, 0), no simulation); :math:`S_i = S_i(v)` is then a discrete random variable, and
    its lower quartile, median and upper quartile are tabulated.

    Columns ``T,period,q1,median,q3,static_S``; ``static_S`` is the static policy's S* for
    reference.

    Parameters
    ----------
    study : Study
    holding_cost : number, default 1
    review_periods : sequence of int, default (10, 30, 60, 90)
    progress : callable, optional

    Examples
    --------
    >>> t = stock_table(Study("lump-sum"), review_periods=(10,))
    >>> t[["period", "q1", "median", "q3"]].tail(2).values.tolist()
    [[9, 6, 9, 9], [10, 0, 9, 9]]
    """
    h = to_fraction(holding_cost, "--holding", CostError)
    if h <= 0:
        raise CostError(f"--holding: must be > 0, got {float(h):g}")
    Ts = _tuple_of(review_periods, "review_periods", to_int, "an integer >= 1", lambda t: t >= 1)
    rows = []
    for T in _iterate(Ts, progress, f"stock {study.scheme}"):
        cell = study.solve(h, T)
        for i, (stocks, probs) in enumerate(stage_stock_distribution(cell.dynamic.policy), 1):
            q1, med, q3 = weighted_quantiles(stocks, probs)
            rows.append({"T": T, "period": i, "q1": int(q1), "median": int(med), "q3": int(q3),
                         "static_S": cell.static.base_stock})
    params = study.parameters()
    params["holding_cost"] = _num(h)
    return make_table(f"stock-{study.scheme}", ["T", "period", "q1", "median", "q3", "static_S"],
                 rows,
                 title=f"Dynamic stock per period: quartiles of S_i over the states reached, "
                       f"h = {float(h):g}, {study.label}",
                 parameters=params)


def published_comparison_table(runs=STUDY_RUNS):
    """The study's simulated ready-rate rows (docs/model.md section 9) beside the exact values.

    For each published number: the exact value, the standard error a simulation of ``runs``
    review periods has (:func:`expected_standard_errors`), and ``z``, the published minus the
    exact value in standard errors (the published values are rounded to 0.01, so a value within
    0.005 counts as z = 0).

    Columns ``scheme,h,T,column,published,exact,se,z``; ``published``, ``exact`` and ``se`` are
    fractions (:func:`table_to_markdown` prints them in percent, ``attrs["percent_columns"]``),
    ``z`` is a number of standard errors.

    Examples
    --------
    >>> t = published_comparison_table()
    >>> len(t), bool(t["z"].abs().max() < 4)
    (64, True)
    """
    rows = []
    studies = {}
    for (scheme, h, T), published in PUBLISHED_READY_RATE.items():
        study = studies.setdefault(scheme, Study(scheme))
        cell = study.solve(h, T)
        values = iter(published)
        for short, name in _POLICIES:
            dist = getattr(cell, name).ready_rate
            se = expected_standard_errors(dist, runs)
            for m in _METRICS:
                pub = next(values)
                exact = 100 * float(getattr(dist, m))
                s = 100 * se[m]
                gap = max(abs(pub - exact) - 0.005, 0.0)
                z = math.copysign(gap / s, pub - exact) if s > 0 else (0.0 if gap == 0 else math.inf)
                rows.append({"scheme": scheme, "h": h, "T": T, "column": f"{short}_{m}",
                             "published": pub / 100, "exact": float(getattr(dist, m)),
                             "se": se[m], "z": z})
    return make_table("published-comparison",
                 ["scheme", "h", "T", "column", "published", "exact", "se", "z"], rows,
                 title=f"The study's simulated ready rates against the exact values, in "
                       f"standard errors of {runs} runs (beyond the rounding to 0.01 percent)",
                 parameters={"runs": runs},
                 digits={"published": ".2f", "exact": ".4f", "se": ".4f", "z": ".2f"},
                 percent_columns=["published", "exact", "se"])


# --------------------------------------------------------------------------------------------
# everything at once


def _variant_studies(study):
    """The variants the study also ran (docs/model.md section 8), by the sub-folder reproduce_all
    writes them to: penalty-only terms, and normal(15, 5) demand (stock range: the bound)."""
    from ..model.demand import DiscretisedNormal

    return {
        "penalty-only": study.variant(bonus=0),
        "normal-15-5": study.variant(demand=DiscretisedNormal(15, 5), max_stock=None),
    }


def reproduce_all(out_dir, *, schemes=SCHEMES, format="csv", figures=True, variants=True,
                  simulate=None, seed=None, study=None, jobs=None, progress=None) -> list:
    """Write every table of the study, and its figures, to ``out_dir``.

    For each scheme: ``ready-rate-<scheme>``, ``cost-<scheme>``, ``saving-<scheme>`` and
    ``stock-<scheme>`` tables; with ``figures`` the PNGs ``cost-vs-T-<scheme>``,
    ``ready-rate-<scheme>``, ``saving-<scheme>`` and ``stock-<scheme>``. Then
    ``published-comparison``, and with ``variants`` the ready-rate (with costs) and stock tables
    of the penalty-only variant (``penalty-only/``) and of normal(15, 5) demand
    (``normal-15-5/``, with its saving table too).

    Parameters
    ----------
    out_dir : str or Path
        Created if missing; files in it are replaced atomically.
    schemes : sequence of str, default both
    format : {"csv", "markdown", "json"}
    figures : bool, default True
        Needs matplotlib (the ``plot`` extra).
    variants : bool, default True
    simulate, seed : optional
        Add simulated columns to the ready-rate, cost and saving tables (slow).
    study : Study, optional
        The base settings (grid, amounts, demand) for every scheme; default the study's.
    jobs : int, optional
        Worker processes. By default one per CPU, up to the number of task groups (each
        scheme, each scheme's variants), on Linux (forked workers); elsewhere 1 (serial).
    progress : callable, optional
        ``progress(iterable, total, label)``, advanced as each file is written.

    Returns
    -------
    list of Path
        The files written.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     paths = reproduce_all(d, schemes=["lump-sum"], figures=False, variants=False,
    ...                           study=Study(holding_costs=(1,), review_periods=(10, 30)))
    ...     sorted(p.name for p in paths)
    ['cost-lump-sum.csv', 'published-comparison.csv', 'ready-rate-lump-sum.csv', 'saving-lump-sum.csv', 'stock-lump-sum.csv']
    """
    if format not in FORMATS:
        raise ConfigError(f"--format: must be one of {', '.join(FORMATS)}, got {format!r}")
    _check_runs(simulate, seed)
    for s in schemes:
        if s not in SCHEMES:
            raise ContractError(f"scheme: must be one of {', '.join(SCHEMES)}, got {s!r}")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out: {out} exists and is not a folder")
    if figures:
        from ..plot.figure import require_matplotlib
        from . import figures as plot

        require_matplotlib()
    base = study if study is not None else Study()
    suffix = FORMATS[format]
    sim = {"simulate": simulate, "seed": seed}
    stock_Ts = tuple(T for T in STOCK_REVIEW_PERIODS if T in base.review_periods) \
        or base.review_periods

    # Tasks come in groups that share solves (one study each); groups run in parallel.
    groups = []
    for scheme in schemes:
        # the default amounts follow the scheme unless the caller set them
        st = base.variant(scheme=scheme) if scheme != base.scheme else base
        bonus_free = st.bonus is None  # the saving table sets the bonus by ratio
        tasks = [
            _table_task(out / f"ready-rate-{scheme}{suffix}", format,
                        lambda st=st: ready_rate_table(st, **sim)),
            _table_task(out / f"cost-{scheme}{suffix}", format,
                        lambda st=st: cost_table(st, **sim)),
        ]
        if bonus_free:
            tasks.append(_table_task(out / f"saving-{scheme}{suffix}", format,
                                     lambda st=st: saving_table(st, **sim)))
        tasks.append(_table_task(out / f"stock-{scheme}{suffix}", format,
                                 lambda st=st: stock_table(st, review_periods=stock_Ts)))
        if figures:
            tasks += [
                _figure_task(out / f"cost-vs-T-{scheme}.png", lambda st=st: plot.cost_figure(st)),
                _figure_task(out / f"ready-rate-{scheme}.png",
                             lambda st=st: plot.ready_rate_figure(st, review_periods=stock_Ts)),
            ]
            if bonus_free:
                tasks.append(_figure_task(out / f"saving-{scheme}.png",
                                          lambda st=st: plot.saving_figure(st)))
            tasks.append(_figure_task(out / f"stock-{scheme}.png",
                                      lambda st=st: plot.stock_figure(st, review_periods=stock_Ts)))
        groups.append(tasks)
    if variants:
        for scheme in schemes:
            st = base.variant(scheme=scheme) if scheme != base.scheme else base
            tasks = []
            for name, vst in _variant_studies(st).items():
                sub = out / name
                tasks.append(_table_task(sub / f"ready-rate-{scheme}{suffix}", format,
                                         lambda v=vst: ready_rate_table(v, costs=True, **sim)))
                if vst.bonus is None:
                    tasks.append(_table_task(sub / f"saving-{scheme}{suffix}", format,
                                             lambda v=vst: saving_table(v, **sim)))
                tasks.append(_table_task(sub / f"stock-{scheme}{suffix}", format,
                                         lambda v=vst: stock_table(v, review_periods=stock_Ts)))
            groups.append(tasks)
    groups.append([_table_task(out / f"published-comparison{suffix}", format,
                               published_comparison_table)])
    order = {path: k for k, path in enumerate(p for g in groups for p, _ in g)}
    written = _run_groups(groups, jobs, progress)
    return sorted(written, key=order.__getitem__)


def _table_task(path, format, make):
    return path, lambda: save_table(make(), path, format)


def _figure_task(path, make):
    def run():
        from ..plot.figure import save_figure

        save_figure(make(), path)

    return path, run


#: the task groups of a parallel reproduce_all, inherited by the forked workers
_GROUPS: list = []
_EVENTS = None


def _run_group(k):
    done = []
    for path, run in _GROUPS[k]:
        try:
            run()
        except BaseException:
            _EVENTS.put(None)  # wake the parent; the pool re-raises the exception
            raise
        _EVENTS.put(str(path))
        done.append(str(path))
    return done


def _fork_context():
    import multiprocessing
    import sys

    if not sys.platform.startswith("linux"):
        return None  # fork is unsafe on macOS and missing on Windows: run serially
    return multiprocessing.get_context("fork")


def _run_groups(groups, jobs, progress):
    """Run the task groups, in ``jobs`` forked worker processes when more than one."""
    import os

    total = sum(len(g) for g in groups)
    ctx = _fork_context()
    if jobs is None:
        jobs = min(os.cpu_count() or 1, len(groups)) if ctx is not None else 1
    jobs = to_int(jobs, "jobs", ConfigError)
    if jobs < 1:
        raise ConfigError(f"--jobs: must be an integer >= 1, got {jobs}")
    if jobs == 1 or ctx is None or len(groups) < 2:
        tasks = [t for g in groups for t in g]
        written = []
        for path, run in _iterate(tasks, progress, "reproduce"):
            run()
            written.append(path)
        return written

    import queue
    from concurrent.futures import ProcessPoolExecutor, wait

    global _GROUPS, _EVENTS
    # the largest groups first, so that the small ones fill in at the end
    _GROUPS = sorted(groups, key=len, reverse=True)
    _EVENTS = ctx.Queue()
    try:
        with ProcessPoolExecutor(min(jobs, len(groups)), mp_context=ctx) as pool:
            futures = [pool.submit(_run_group, k) for k in range(len(_GROUPS))]

            def events():
                # a worker that dies (killed, out of memory) sends nothing more: stop when every
                # group is done, and let its future raise BrokenProcessPool below
                done = 0
                while done < total:
                    try:
                        msg = _EVENTS.get(timeout=0.1)
                    except queue.Empty:
                        if all(f.done() for f in futures):
                            return
                        continue
                    if msg is None:
                        return
                    done += 1
                    yield Path(msg)

            for _ in (events() if progress is None
                      else progress(events(), total=total, label="reproduce")):
                pass
            wait(futures)
            # the files written come from the workers' results: an event still in the queue's
            # pipe when the last future completes must not drop its file from the list
            written = [Path(p) for f in futures for p in f.result()]  # re-raises an exception
    finally:
        _GROUPS, _EVENTS = [], None
    return written
