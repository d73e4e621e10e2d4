"""Contract design: the best contracts of a sweep under constraints, and the Pareto front.

Implements docs/model.md section 12. The constraints are a condition over the sweep's columns
(``"p_penalty <= 0.05 and ready_mean >= 0.9"``; :func:`slamarkov.core.expression.parse_condition`
parses it, nothing is run as code), plus
``buyer_payment_per_period``, the buyer's expected payment per period (minus the supplier's
expected settlement: a bonus paid minus a penalty received). The Pareto front keeps the contracts
for which no other contract buys at least the same expected ready rate for a lower payment, or a
higher ready rate for no more. pandas is imported when a function runs; the figure needs
matplotlib (the ``plot`` extra).

A sweep of several customers sharing one stock (docs/model.md section 15) has no single ready
rate: its table holds, per customer ``<name>``, ``settlement_per_period_<name>`` and the other
:data:`~slamarkov.sweep.grid.CUSTOMER_RESULT_METRICS`. Design adds ``buyer_payment_per_period_<name>``
(minus that settlement) and ``buyer_payment_per_period``, the buyers' total, and its Pareto front
weighs the supplier's ``cost_per_period`` against that total, both lower being better: the
contracts for which no other contract costs the supplier no more and the buyers less, or the
supplier less and the buyers no more.
"""

from __future__ import annotations

from ..core.expression import parse_condition
from ..errors import SweepError
from ..model.config import SCHEMA
from ..plot.figure import new_figure
from ..solve.both import POLICIES
from .grid import CUSTOMER_RESULT_METRICS, customer_result_columns

__all__ = ["design", "pareto_front", "pareto_figure", "check_query", "check_table",
           "with_payment", "collapse_contracts", "assumption_columns", "PAYMENT", "SERVICE",
           "INFEASIBLE_EXIT", "customer_names", "result_columns", "derived_columns", "SUPPLIER_COST",
           "RATE_SERVICE", "is_rate_table"]

#: the buyer's expected payment per period (a derived column)
PAYMENT = "buyer_payment_per_period"
#: the service the buyer pays for
SERVICE = "ready_mean"
#: exit code of ``slamarkov design`` when no grid point satisfies the constraints
INFEASIBLE_EXIT = 3


#: the supplier's expected cost per period (the other axis of several customers' front)
SUPPLIER_COST = "cost_per_period"
#: the columns design reads from every sweep table, and whether they hold numbers
NEEDED = {"policy": False, "settlement_per_period": True, SERVICE: True}
#: the service of a table with fill-rate rows (each row's rate, as its ``measure`` column says)
RATE_SERVICE = "rate_mean"
#: the columns design reads from such a table
RATE_NEEDED = {"policy": False, "measure": False, "settlement_per_period": True,
               RATE_SERVICE: True}
#: the prefix of several customers' settlement columns (``settlement_per_period_<name>``)
_SETTLEMENT = "settlement_per_period_"


def customer_names(columns) -> list:
    """The customers of a sweep table of several customers, in column order; [] for one
    customer's (a table with ``settlement_per_period``).

    Examples
    --------
    >>> customer_names(["policy", "cost_per_period", "settlement_per_period_north",
    ...                 "settlement_per_period_south"])
    ['north', 'south']
    >>> customer_names(["policy", "settlement_per_period"])
    []
    """
    columns = [str(c) for c in columns]
    if "settlement_per_period" in columns:
        return []
    return [c[len(_SETTLEMENT):] for c in columns if c.startswith(_SETTLEMENT)
            and len(c) > len(_SETTLEMENT)]


def is_rate_table(columns) -> bool:
    """Whether a sweep table is one of a grid with fill-rate points (docs/model.md section 14:
    sweeps): a ``measure`` column and no ``ready_mean`` (a ready-rate grid that sweeps
    ``measure`` over ready-rate alone keeps its table, whose key column may be ``measure``);
    its service is then ``rate_mean``.

    Examples
    --------
    >>> is_rate_table(["policy", "measure", "rate_mean"])
    True
    >>> is_rate_table(["measure", "policy", "ready_mean"])
    False
    """
    columns = [str(c) for c in columns]
    return "measure" in columns and SERVICE not in columns


def result_columns(columns) -> tuple:
    """The result columns of a sweep table with these columns (the others are swept keys).

    Examples
    --------
    >>> result_columns(["holding", "policy", "settlement_per_period"])[:3]
    ('policy', 'penalty_count', 'bonus_count')
    >>> result_columns(["holding", "policy", "cost_per_period", "settlement_per_period_a"])[:3]
    ('policy', 'cost_per_period', 'ready_mean_a')
    """
    from .grid import RATE_RESULT_COLUMNS, RESULT_COLUMNS

    if is_rate_table(columns):
        return RATE_RESULT_COLUMNS
    names = customer_names(columns)
    return customer_result_columns(names) if names else RESULT_COLUMNS


def derived_columns(columns) -> list:
    """The columns :func:`with_payment` adds to a table with these columns: the buyer's payment;
    of several customers, the buyers' total then each buyer's.

    Examples
    --------
    >>> derived_columns(["policy", "settlement_per_period"])
    ['buyer_payment_per_period']
    >>> derived_columns(["cost_per_period", "settlement_per_period_a", "settlement_per_period_b"])
    ['buyer_payment_per_period', 'buyer_payment_per_period_a', 'buyer_payment_per_period_b']
    """
    return [PAYMENT] + [f"{PAYMENT}_{n}" for n in customer_names(columns)]


def _needed(columns) -> dict:
    """The columns design reads from a table with these columns, and whether they hold numbers."""
    names = customer_names(columns)
    if not names:
        return RATE_NEEDED if is_rate_table(columns) else NEEDED
    return {c: c != "policy" for c in customer_result_columns(names)}


def check_table(table, source="the table") -> None:
    """Refuse a table that is not a sweep's, in one line naming the missing column or the shape.

    Parameters
    ----------
    table : pandas.DataFrame
    source : str
        The file it was read from, for the message.

    Raises
    ------
    SweepError
        ``FILE: not a sweep table: no column 'policy' (...)``, ``... column 'ready_mean' holds
        'high', not a number``, ``... it holds no rows``.

    Examples
    --------
    >>> import pandas as pd
    >>> check_table(pd.DataFrame({"policy": ["dynamic"], "ready_mean": [0.9]}), "t.csv")
    Traceback (most recent call last):
    ...
    slamarkov.errors.SweepError: t.csv: not a sweep table: no column 'settlement_per_period' (a sweep's table has the swept keys, then policy, settlement_per_period, ready_mean and the other results)
    """
    import pandas as pd

    if not isinstance(table, pd.DataFrame):
        raise SweepError(f"{source}: not a sweep table (a {type(table).__name__})")
    names = [str(c) for c in table.columns]
    if len(set(names)) != len(names):
        twice = sorted({c for c in names if names.count(c) > 1})
        raise SweepError(f"{source}: not a sweep table: column {twice[0]!r} appears twice")
    needed = _needed(names)
    for column in needed:
        if column not in table.columns:
            if needed is not NEEDED and needed is not RATE_NEEDED:
                raise SweepError(f"{source}: not a sweep table: no column {column!r} (a sweep "
                                 "of several customers has the swept keys, then policy, "
                                 "cost_per_period and per customer "
                                 f"{', '.join(m + '_<name>' for m in CUSTOMER_RESULT_METRICS)})")
            if any(c.startswith("ready_mean_") for c in names) and "cost_per_period" in names:
                raise SweepError(f"{source}: not a sweep table: no column {column!r} nor "
                                 "settlement_per_period_<name> (a sweep of several customers "
                                 "written before those columns: sweep the grid again)")
            raise SweepError(f"{source}: not a sweep table: no column {column!r} (a sweep's "
                             f"table has the swept keys, then {', '.join(needed)} and the "
                             "other results)")
    if table.empty:
        raise SweepError(f"{source}: not a sweep table: it holds no rows")
    for column in (c for c, numeric in needed.items() if numeric):
        values = table[column]
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            bad = next((v for v in values if isinstance(v, (bool, str)) or not isinstance(
                v, (int, float))), values.iloc[0])
            raise SweepError(f"{source}: not a sweep table: column {column!r} holds "
                             f"{str(bad)[:40]!r}, not a number")


#: the contract's terms among a grid's keys (a column is a key, or ``section.key``)
CONTRACT_KEYS = frozenset(SCHEMA["contract"][0] + SCHEMA["contract"][1])
#: the keys that only say where a ready count falls: penalty_count and bonus_count carry them
_THRESHOLDS = ("penalty_threshold", "bonus_threshold")


def _key(column: str) -> tuple:
    section, _, name = column.rpartition(".")
    return section, name


def _is_term(column: str, customers) -> bool:
    section, name = _key(column)
    if section in ("", "contract") and name in CONTRACT_KEYS:
        return True
    if section.startswith("customer.") and name in CONTRACT_KEYS:  # customer.<name>.<key>
        return True
    # several customers: ``<key>_<name>`` is the key of that customer's [[customer]] table
    return section == "" and any(name.endswith(f"_{n}") and name[:-len(n) - 1] in CONTRACT_KEYS
                                 for n in customers)


def assumption_columns(columns, key_columns) -> list:
    """The swept keys that are not contract terms: costs, demand, inventory, solver, the
    allocation rule of several customers.

    A buyer chooses the contract; these are what the comparison assumes of the supplier and
    its demand, so :func:`design`'s listings are grouped by them. A customer's term of a sweep
    of several customers is ``<key>_<name>``.

    Examples
    --------
    >>> assumption_columns(["review_period", "holding", "policy"], ["review_period", "holding"])
    ['holding']
    >>> assumption_columns(["penalty_threshold_a", "rule", "settlement_per_period_a"],
    ...                    ["penalty_threshold_a", "rule"])
    ['rule']
    """
    customers = customer_names(columns)
    return [c for c in key_columns if c in columns and not _is_term(c, customers)]


def collapse_contracts(table):
    """The rows left when rows that are the same contract as an earlier row are dropped.

    Thresholds act through the ready-period counts they round to (docs/model.md section 2):
    with T = 30, 0.91, 0.92 and 0.93 all mean 28 ready periods. Two rows are the same contract
    when they agree on every column but the thresholds: the counts ``penalty_count`` and
    ``bonus_count``, the amounts, the other terms and every result (a linear contract's
    settlement depends on the thresholds themselves, so its rows differ in the results and are
    kept). The first row in the table's order stays; ``attrs["collapsed"]`` counts the rows
    dropped. A table with a ``measure`` column (:func:`is_rate_table`) has no counts: a fill
    rate is compared with the thresholds themselves, so none of its rows is dropped.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"penalty_threshold": [0.91, 0.92, 0.94], "penalty_count": [28, 28, 29],
    ...                   "bonus_count": [30, 30, 30], "ready_mean": [0.9, 0.9, 0.95]})
    >>> out = collapse_contracts(t)
    >>> out["penalty_threshold"].tolist(), out.attrs["collapsed"]
    ([0.91, 0.94], 1)
    """
    if is_rate_table(table.columns):
        out = table.copy()
        out.attrs["collapsed"] = 0
        return out
    same = [c for c in table.columns if _key(c)[1] not in _THRESHOLDS]
    keep = ~table.duplicated(subset=same, keep="first") if same else table.index == table.index
    out = table[keep].copy()
    out.attrs["collapsed"] = int(len(table) - len(out))
    return out


def with_payment(table):
    """The table with ``buyer_payment_per_period = -settlement_per_period`` added (a copy).

    Of several customers: ``buyer_payment_per_period_<name> = -settlement_per_period_<name>``
    for each, and ``buyer_payment_per_period``, their sum in the table's customer order.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"settlement_per_period_a": [1.5], "settlement_per_period_b": [-2.0]})
    >>> with_payment(t).iloc[0].tolist()
    [1.5, -2.0, 0.5, -1.5, 2.0]
    """
    out = table.copy()
    names = customer_names(table.columns)
    if not names:
        out[PAYMENT] = -out["settlement_per_period"]
        return out
    total = 0
    for n in names:
        out[f"{PAYMENT}_{n}"] = -out[_SETTLEMENT + n]
        total = total + out[f"{PAYMENT}_{n}"]
    out.insert(len(table.columns), PAYMENT, total)
    return out


def check_query(columns, where=None, minimize=None) -> None:
    """Refuse, before any work, a query or a column the table will not have.

    Parameters
    ----------
    columns : sequence of str
        The table's columns (a sweep's: the grid's columns and the result columns).
    where : str, optional
        A condition (:func:`~slamarkov.core.expression.parse_condition`).
    minimize : str, optional

    Raises
    ------
    ExpressionError
        ``--where: unknown column 'x'``, ``--where: a call is not allowed: ...``, ...
    SweepError
        ``--minimize: unknown column``.

    Examples
    --------
    >>> check_query(["ready_mean"], "ready_mean >= 0.9 and p_bonus > 0")
    Traceback (most recent call last):
    ...
    slamarkov.errors.ExpressionError: --where: unknown column 'p_bonus' (columns: ready_mean, buyer_payment_per_period)
    """
    cols = list(dict.fromkeys(str(c) for c in list(columns) + derived_columns(columns)))
    if minimize is not None and minimize not in cols:
        raise SweepError(f"--minimize: unknown column {minimize!r} (columns: {', '.join(cols)})")
    if where is not None:
        parse_condition(where, cols)


def design(table, minimize, where=None, policy="dynamic", top=None):
    """The contracts of a sweep that satisfy ``where``, best first by ``minimize``.

    Parameters
    ----------
    table : pandas.DataFrame
        A sweep's table (:func:`slamarkov.sweep.sweep`).
    minimize : str
        The column to minimise (e.g. ``buyer_payment_per_period``, ``cost_per_period``).
    where : str, optional
        A condition over the columns (:func:`~slamarkov.core.expression.parse_condition`).
    policy : {"dynamic", "static", None}, default "dynamic"
        Keep that policy's rows (None: both).
    top : int, optional
        Keep the first ``top`` rows.

    Returns
    -------
    pandas.DataFrame
        The feasible rows with ``buyer_payment_per_period``, sorted by ``minimize`` (ties in
        grid order); empty when none is feasible.

    Raises
    ------
    SweepError, ExpressionError
        On an unknown column or a condition outside the grammar.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"holding": [1, 2, 3], "policy": ["dynamic"] * 3,
    ...                   "settlement_per_period": [-1.0, -2.0, -0.5],
    ...                   "ready_mean": [0.9, 0.95, 0.8], "p_penalty": [0.01, 0.02, 0.2]})
    >>> design(t, "buyer_payment_per_period", "p_penalty <= 0.05")["holding"].tolist()
    [1, 2]
    """
    check_table(table)
    cols = list(table.columns)
    check_query(cols, where, minimize)
    t = with_payment(table)
    if policy is not None:
        if policy not in POLICIES:
            raise SweepError(f"--policy: must be dynamic or static, got {policy!r}")
        t = t[t["policy"] == policy]
    if where is not None:
        t = t[parse_condition(where, list(t.columns)).evaluate(t)]
    t = t.sort_values(minimize, kind="stable")
    return t if top is None else t.head(top)


def pareto_front(table, payment=PAYMENT, service=SERVICE, higher=True):
    """The rows no other row beats on both the buyer's payment (lower) and the service (higher).

    Parameters
    ----------
    table : pandas.DataFrame
        Rows of one policy (the sweep's table, after :func:`design`'s filter for instance).
    payment, service : str
        The columns to minimise and to maximise. ``buyer_payment_per_period`` is derived from
        ``settlement_per_period`` when missing.
    higher : bool, default True
        False: ``service`` is minimised too (several customers: the supplier's
        ``cost_per_period``); the front is then by increasing payment and decreasing service.

    Returns
    -------
    pandas.DataFrame
        The front, by increasing payment (and increasing service). Of rows equal on both, the
        first in grid order is kept.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"k": [0, 1, 2, 3], "settlement_per_period": [-1.0, -2.0, -0.5, -1.0],
    ...                   "ready_mean": [0.9, 0.95, 0.8, 0.85]})
    >>> pareto_front(t)["k"].tolist()
    [2, 0, 1]
    >>> cost = t.assign(cost=[0.0, 1.0, 2.0, 3.0])  # payment and cost both lower
    >>> pareto_front(cost, service="cost", higher=False)["k"].tolist()
    [2, 0]
    """
    t = table if payment in table.columns else with_payment(table)
    # by payment, then the best service first: a row is on the front when its service beats
    # every cheaper (or equally cheap, earlier) row's
    order = t.sort_values([payment, service], ascending=[True, not higher], kind="stable")
    if not higher:
        best = order[service].cummin().shift(fill_value=float("inf"))
        return order[order[service] < best]
    best = order[service].cummax().shift(fill_value=float("-inf"))
    return order[order[service] > best]


def pareto_figure(table, front=None, *, payment=PAYMENT, service=SERVICE, title=None,
                  by=(), top=None, higher=True):
    """A scatter of the buyer's payment against the service, with the Pareto front drawn.

    The front's points are numbered 1, 2, ... by increasing payment, as ``slamarkov design``
    lists them (the first ``top`` when given). ``by``, columns of assumptions (e.g. the holding
    cost, :func:`assumption_columns`), draws one front for each of their combinations, each
    named in the legend; ``front`` is then ignored. ``higher=False`` minimises ``service`` too
    (:func:`pareto_front`).

    Returns a :class:`matplotlib.figure.Figure` on the Agg canvas (no pyplot state).

    Raises
    ------
    PlotDependencyError
        When matplotlib is not installed.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"settlement_per_period": [-1.0, -2.0], "ready_mean": [0.9, 0.95]})
    >>> fig = pareto_figure(t)
    >>> fig.axes[0].get_xlabel(), [a.get_text() for a in fig.axes[0].texts]
    ('buyer payment per period', ['1', '2'])
    """
    t = table if payment in table.columns else with_payment(table)
    by = [c for c in by if c in t.columns]
    if by:
        fronts = [(", ".join(f"{c} = {v:g}" if isinstance(v, float) else f"{c} = {v}"
                             for c, v in zip(by, key if isinstance(key, tuple) else (key,))),
                   pareto_front(group, payment, service, higher))
                  for key, group in t.groupby(by if len(by) > 1 else by[0])]
    else:
        fronts = [("", pareto_front(t, payment, service, higher) if front is None else front)]
    fig = new_figure(6.4, 4.4)
    ax = fig.add_subplot()
    ax.scatter(t[payment], t[service], s=12, color="0.6", label="grid points")
    for k, (name, f) in enumerate(fronts):
        color = f"C{k % 10}"
        ax.step(f[payment], f[service], where="post", color=color, lw=1.5)
        ax.scatter(f[payment], f[service], s=24, color=color,
                   label=f"Pareto front, {name}" if name else "Pareto front")
        shown = f if top is None else f.head(top)
        for n, (x, y) in enumerate(zip(shown[payment], shown[service]), start=1):
            ax.annotate(str(n), (x, y), textcoords="offset points", xytext=(3, 3),
                        fontsize=7, color=color)
    ax.set_xlabel("buyers' total payment per period" if payment == PAYMENT and not higher
                  else payment.replace("_", " "))
    ax.set_ylabel("expected ready rate" if service == SERVICE else service.replace("_", " "))
    if title:
        ax.set_title(title)
    ax.legend(loc="lower right" if higher else "upper right")
    fig.tight_layout()
    return fig
