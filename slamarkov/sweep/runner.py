"""Contract sweeps: every point of a grid solved once, on local processes or a Dask cluster.

Each grid point (:mod:`slamarkov.sweep.grid`) is solved once for each policy (dynamic and static), and
every column of its two rows comes from that one solution and its chain
(:class:`~slamarkov.chain.AbsorbingChain`): the cost per period and its SD
(:meth:`~slamarkov.chain.AbsorbingChain.cost_components`), the ready-rate summaries, the expected
settlement and the gaming indicators (:mod:`slamarkov.analysis.gaming`, docs/model.md section 12).

Points run in batches (a few dozen points per task, interleaved so that long and short contracts
mix) on the package's one executor (:class:`slamarkov.core.executor.Executor`): the calling
process (``workers=1``), local worker processes (the default: one per core), or a running Dask
distributed scheduler (``scheduler="tcp://host:port"``, the optional ``distributed`` extra), whose
workers must have slamarkov installed.

Every executor runs the same function on the same point, and rows are put back in grid order,
so the table is the same, bit for bit, whatever runs it. Results are appended to a partial file
as they arrive; a sweep started again with ``resume=True`` skips the points already there, after
checking every record against the grid and the table's columns (a file it cannot trust is refused
in one line: the table is always the one a fresh sweep writes). The
table is a :class:`pandas.DataFrame` (pandas is imported when a sweep runs, not with the package).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from ..analysis.fill_gaming import FILL_GAMING_INDICATORS, fill_gaming_indicators
from ..analysis.gaming import GAMING_INDICATORS, gaming_indicators, ready_rate_gap
from ..core.executor import Executor, connect  # noqa: F401 (connect: re-exported)
from ..core.progress import progress as progress_bar
from ..errors import ConfigError, OutputError, SweepError
from ..io.atomic import atomic_path
from ..io.files import read_text

# the sweeps' table files live in slamarkov.io.tables; re-exported from their 0.1 home
from ..io.tables import TABLE_FORMATS, check_table_path, read_table, write_table  # noqa: F401
from ..model.config import Config, config_from_dict
from ..model.contract import FILL_RATE
from ..model.customers import CustomersProblem
from ..solve.both import POLICIES, solve_both
from ..solve.customers import solve_customers_both
from .grid import (
    CUSTOMER_RESULT_METRICS,
    DEFAULT_MAX_POINTS,
    FILL_ONLY_COLUMNS,
    RATE_RESULT_COLUMNS,
    READY_ONLY_COLUMNS,
    RESULT_COLUMNS,
    Grid,
    grid_from_dict,
    load_grid,
)

__all__ = [
    "sweep",
    "solve_point",
    "write_table",
    "read_table",
    "TABLE_FORMATS",
    "RESULT_COLUMNS",
    "RATE_RESULT_COLUMNS",
    "POLICIES",
    "rate_rows",
]

#: most points in one task (fewer when there are few points per worker)
MAX_BATCH = 32

_PARTIAL_VERSION = 2  # 2: each record carries a check of its values


#: demands built in this process, shared by the points that use the same [demand] table
_DEMANDS: dict = {}


def solve_point(data) -> list:
    """The two result rows (dynamic, static) of one contract-file mapping.

    Each row holds the values of :data:`RESULT_COLUMNS` in order, as Python floats (and the
    policy's name and the contract's ready-period counts ``penalty_count`` and ``bonus_count``,
    integers: thresholds that round to the same counts are the same lump-sum contract). The
    problem is solved once per policy; the cost's SD and the expected settlement come from that
    policy's chain, the gaming indicators from one backward and one forward pass against the
    static solution (the non-strategic reference).

    Parameters
    ----------
    data : dict or Config
        A contract-file mapping (one grid point, :meth:`Grid.point`), or its checked
        :class:`~slamarkov.model.config.Config`.

    Returns
    -------
    list of tuple

    Examples
    --------
    >>> rows = solve_point({
    ...     "contract": {"review_period": 10, "penalty_threshold": 0.8, "bonus_threshold": 0.9,
    ...                  "penalty_per_period": 5, "bonus_per_period": 3},
    ...     "costs": {"holding": 0.5}, "demand": {"kind": "poisson", "mean": 5},
    ...     "solver": {"max_stock": 40}})
    >>> [(r[0], r[1], r[2], round(r[3], 6), round(r[5], 6)) for r in rows]
    [('dynamic', 8, 9, -1.20155, 0.896123), ('static', 8, 9, -0.87201, 0.931906)]
    """
    if isinstance(data, Config):
        cfg = data
    else:
        if len(_DEMANDS) > 64:
            _DEMANDS.clear()
        cfg = config_from_dict(data, demand_cache=_DEMANDS)
    problem, options = cfg.problem, cfg.solver_options()
    if isinstance(problem, CustomersProblem):  # docs/model.md section 15
        return _customer_rows(problem, options)
    if problem.contract.measure == FILL_RATE:  # docs/model.md section 14: sweeps
        return _fill_rows(problem, options)
    T, contract = problem.review_period, problem.contract
    solutions = solve_both(problem, **options)
    gap = float(ready_rate_gap(*solutions))
    rows = []
    for name, sol in zip(POLICIES, solutions):
        summary = _summary(sol, sol.ready_rate, T)
        gaming = gaming_indicators(sol, solutions)
        rows.append((
            name,
            contract.penalty_count,
            contract.bonus_count,
            *summary,
            *(float(gaming[k]) for k in GAMING_INDICATORS),
            gap,
        ))
    return rows


def _summary(sol, rate, T) -> tuple:
    """cost_per_period, cost_sd, then the rate's mean, SD, P(penalty), P(bonus) and the
    expected settlement per period, as floats (the columns the two measures share)."""
    _, variance = sol.chain.cost_components()["total"]
    return (float(sol.cost_per_period), math.sqrt(float(variance)) / T, float(rate.mean),
            float(rate.sd), float(rate.p_penalty), float(rate.p_bonus),
            float(rate.expected_settlement()) / T)


def _fill_rows(problem, options) -> list:
    """The two result rows of a fill-rate contract, in :data:`RATE_RESULT_COLUMNS` (the
    indicators in ready periods empty, NaN): the fill rate's summaries, the cost's SD from the
    policy's chain, the give-up and coasting periods and the strategic indicators in units
    against the static solution
    (:func:`~slamarkov.analysis.fill_gaming.fill_gaming_indicators`)."""
    T = problem.review_period
    solutions = solve_both(problem, **options)
    gap = float(solutions.static.fill_rate.mean - solutions.dynamic.fill_rate.mean)
    rows = []
    for name, sol in zip(POLICIES, solutions):
        summary = _summary(sol, sol.fill_rate, T)
        gaming = fill_gaming_indicators(sol, solutions.static)
        values = {**dict.fromkeys(READY_ONLY_COLUMNS, math.nan),
                  **{k: float(gaming[k]) for k in FILL_GAMING_INDICATORS}}
        rows.append((
            name,
            FILL_RATE,
            *summary,
            *(values[k] for k in RATE_RESULT_COLUMNS[len(summary) + 2 : -1]),
            gap,
        ))
    return rows


def rate_rows(rows) -> list:
    """Rows of :func:`solve_point` in the columns of a grid with fill-rate points
    (:data:`RATE_RESULT_COLUMNS`): a ready-rate point's rows gain ``measure`` = ready-rate, its
    ready rate's summaries become the rate's, its indicators in units are empty (NaN) and its
    ready-period counts go; a fill-rate point's rows are already so.

    Examples
    --------
    >>> row = ("static", 8, 9, *range(len(RESULT_COLUMNS) - 3))
    >>> out = rate_rows([row])[0]
    >>> out[:3], len(out) == len(RATE_RESULT_COLUMNS)
    (('static', 'ready-rate', 0), True)
    """
    out = []
    for row in rows:
        if len(row) == len(RATE_RESULT_COLUMNS):
            out.append(tuple(row))
            continue
        ready = dict(zip(RESULT_COLUMNS, row))
        ready.update(measure="ready-rate", rate_mean=ready["ready_mean"],
                     rate_sd=ready["ready_sd"], rate_gap=ready["ready_gap"],
                     **dict.fromkeys(FILL_ONLY_COLUMNS, math.nan))
        out.append(tuple(ready[c] for c in RATE_RESULT_COLUMNS))
    return out


def _customer_rows(problem, options) -> list:
    """The two result rows of several customers: policy, cost per period, then per customer
    the mean ready rate, P(penalty), P(bonus), the expected sacrificed periods and the expected
    settlement per period E[G_j(v_T)] / T (:data:`~slamarkov.sweep.grid.CUSTOMER_RESULT_METRICS`;
    exact in exact mode until the one rounding to a float)."""
    rows = []
    T = problem.review_period
    for sol in solve_customers_both(problem, **options):
        row = [sol.kind, float(sol.cost_per_period)]
        for rr, sac in zip(sol.ready_rates, sol.sacrificed):
            row += [float(rr.mean), float(rr.p_penalty), float(rr.p_bonus), float(sac),
                    float(rr.expected_settlement() / T)]
        rows.append(tuple(row))
    return rows


def _run_batch(batch):
    """Worker task: ``[(k, mapping), ...] -> [(k, rows), ...]``."""
    return [(k, solve_point(data)) for k, data in batch]


# -- partial results ------------------------------------------------------------------------
#: result columns whose values are probabilities (a record outside [0, 1] is not a sweep's)
_PROBABILITIES = {"ready_mean", "rate_mean", "p_penalty", "p_bonus"}
#: result columns that cannot be negative (the gaming indicators but the bunching excesses,
#: differences of two probabilities)
_NON_NEGATIVE = {"cost_sd", "ready_sd", "rate_sd", "sacrificed", *FILL_ONLY_COLUMNS,
                 *(k for k in GAMING_INDICATORS if "bunching" not in k)}
#: result columns that are the contract's ready-period counts (integers, not floats)
_COUNTS = {"penalty_count", "bonus_count"}
#: of a grid with fill-rate points, the columns empty (NaN, null in a record) on each measure's rows
_EMPTY = {"ready-rate": set(FILL_ONLY_COLUMNS), FILL_RATE: set(READY_ONLY_COLUMNS)}


def _metric(column: str, columns) -> str:
    """The quantity a result column holds: its name; of several customers' ``<metric>_<name>``,
    the metric."""
    if columns is RESULT_COLUMNS or column in RESULT_COLUMNS or column in RATE_RESULT_COLUMNS:
        return column
    return next((m for m in CUSTOMER_RESULT_METRICS if column.startswith(f"{m}_")), column)


def _no_constant(name):
    raise ValueError(f"{name} is not a number a sweep writes")


def _check_value(fingerprint: str, k, rows) -> str:
    """The check a record carries: a hash of the grid and the record's values, so that a value
    changed in the file (a flipped bit, an edit) is noticed, not written into a table."""
    import hashlib

    text = json.dumps([fingerprint, k, rows])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _record_line(fingerprint: str, k, rows) -> str:
    """One finished point as a line of the partial file (json writes floats by repr: they read
    back bit for bit)."""
    rows = [[None if isinstance(x, float) and math.isnan(x) else x for x in r] for r in rows]
    return json.dumps({"point": k, "rows": rows,
                       "check": _check_value(fingerprint, k, rows)}) + "\n"


def _check_record(rec, grid: Grid, fingerprint: str) -> int:
    """The point of one partial-file record, after checking it is one a sweep of ``grid`` writes:
    ``{"point": K, "rows": [[policy, value, ...] per policy], "check": HASH}`` with K in the
    grid, the policies in order, one value per result column, each a finite float in its
    column's range (the counts ``penalty_count`` and ``bonus_count`` integers), and the check of
    these values."""
    if not isinstance(rec, dict) or set(rec) != {"point", "rows", "check"}:
        keys = sorted(rec) if isinstance(rec, dict) else type(rec).__name__
        raise ValueError(f"a record is {{\"point\": K, \"rows\": [...], \"check\": ...}}, "
                         f"got {str(keys):.80}")
    k = rec["point"]
    if type(k) is not int or not 0 <= k < len(grid):
        raise ValueError(f"point must be an integer in [0, {len(grid) - 1}], got {k!r:.40}")
    rows = rec["rows"]
    if not isinstance(rows, list) or len(rows) != len(POLICIES):
        raise ValueError(f"point {k}: rows must be a list of {len(POLICIES)} rows")
    columns = grid.result_columns
    for policy, row in zip(POLICIES, rows):
        if not isinstance(row, list) or len(row) != len(columns):
            raise ValueError(f"point {k}: a row must hold {len(columns)} values "
                             f"({', '.join(columns)})")
        if row[0] != policy:
            raise ValueError(f"point {k}: the rows must be {', '.join(POLICIES)} in order")
        empty = set()
        if columns is RATE_RESULT_COLUMNS:
            if row[1] not in _EMPTY:
                raise ValueError(f"point {k}: measure must be one of {', '.join(_EMPTY)}, "
                                 f"got {row[1]!r:.40}")
            empty = _EMPTY[row[1]]
        for column, x in zip(columns[1:], row[1:]):
            if column == "measure":
                continue
            if column in empty or x is None:
                if not (column in empty and x is None):
                    raise ValueError(f"point {k}: {column} must be "
                                     f"{'empty' if column in empty else 'a number'} on a "
                                     f"{row[1]} row, got {x!r:.40}")
                continue
            if column in _COUNTS:
                if type(x) is not int or not 0 <= x <= 10**15:
                    raise ValueError(f"point {k}: {column} must be a count of periods, "
                                     f"got {x!r:.40}")
                continue
            if type(x) is not float or not math.isfinite(x):
                raise ValueError(f"point {k}: {column} must be a finite number, got {x!r:.40}")
            metric = _metric(column, columns)
            if metric in _PROBABILITIES and not 0.0 <= x <= 1.0:
                raise ValueError(f"point {k}: {column} is a probability, got {x!r}")
            if metric in _NON_NEGATIVE and x < 0:
                raise ValueError(f"point {k}: {column} cannot be negative, got {x!r}")
    if rec["check"] != _check_value(fingerprint, k, rows):
        raise ValueError(f"point {k}: its values do not match their check (the file was changed)")
    return k


def _read_partial(path: Path, grid: Grid) -> dict:
    """Finished points of an earlier run of the same grid (a torn last line is dropped).

    Every record is checked against the grid and the table's columns (:func:`_check_record`):
    the table built from them is one a fresh sweep writes, or the file is refused in one line
    (``PATH line N: rule; delete it or run without --resume``).
    """
    from .._version import __version__

    if not path.exists():
        return {}
    lines = read_text(path, "a sweep's partial file", ConfigError).splitlines()
    fingerprint = grid.fingerprint()
    done: dict = {}
    for n, line in enumerate(lines):
        try:
            try:
                rec = json.loads(line, parse_constant=_no_constant)
            except json.JSONDecodeError:
                if n == len(lines) - 1 and n > 0:
                    break  # interrupted while writing its last line
                raise ValueError("not a sweep record (JSON)") from None
            except RecursionError:
                raise ValueError("not a sweep record (nested too deeply)") from None
            except ValueError as exc:  # NaN, Infinity, a number with thousands of digits
                reason = str(exc) if "a sweep writes" in str(exc) else "a number too long"
                raise ValueError(f"not a sweep record ({reason})") from None
            if n == 0:
                if not isinstance(rec, dict) or "slamarkov_sweep" not in rec or "grid" not in rec:
                    raise ValueError("not the header of a sweep's partial file")
                if rec["slamarkov_sweep"] != _PARTIAL_VERSION:
                    raise ValueError(f"a partial file of format {rec['slamarkov_sweep']!s:.20}, "
                                     f"this slamarkov reads format {_PARTIAL_VERSION}")
                if rec.get("grid") != fingerprint or rec.get("points") != len(grid):
                    raise ConfigError(f"{path}: holds a sweep of another grid; delete it or run "
                                      "without --resume")
                if rec.get("version") != __version__:
                    raise ValueError(f"written by slamarkov {rec.get('version')!s:.20}, this is "
                                     f"{__version__}")
                continue
            k = _check_record(rec, grid, fingerprint)
            if k in done:
                raise ValueError(f"point {k} appears twice")
            done[k] = [tuple(math.nan if x is None else x for x in r) for r in rec["rows"]]
        except ValueError as exc:
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(f"{path} line {n + 1}: {exc}; delete it or run without "
                              "--resume") from None
    return done


class _Partial:
    """The partial file: a header, then one JSON line per finished point, flushed as it comes."""

    def __init__(self, path, grid: Grid, done: dict):
        from .._version import __version__

        self.path = Path(path)
        self.fingerprint = grid.fingerprint()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # rewrite what is kept (drops a torn last line), then append
            with atomic_path(self.path) as tmp:
                with open(tmp, "w", encoding="utf-8") as fh:
                    fh.write(json.dumps({"slamarkov_sweep": _PARTIAL_VERSION, "version": __version__,
                                         "grid": grid.fingerprint(), "points": len(grid)}) + "\n")
                    for k in sorted(done):
                        fh.write(_record_line(self.fingerprint, k, done[k]))
            self.fh = open(self.path, "a", encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot be written ({exc.strerror or exc})") from None

    def add(self, results):
        for k, rows in results:
            self.fh.write(_record_line(self.fingerprint, k, rows))
        self.fh.flush()

    def close(self):
        self.fh.close()


# -- batches --------------------------------------------------------------------------------
def _batches(todo: list, n_workers: int, batch_size):
    if batch_size is None:
        batch_size = max(1, min(MAX_BATCH, math.ceil(len(todo) / (4 * max(n_workers, 1)))))
    n = math.ceil(len(todo) / batch_size) if todo else 0
    # interleave: batch j holds points j, j + n, j + 2n, ... so long and short contracts mix
    return [todo[j::n] for j in range(n)]


# -- the table ------------------------------------------------------------------------------
def _table(grid: Grid, done: dict):
    import pandas as pd

    records = [grid.labels(k) + row for k in range(len(grid)) for row in done[k]]
    return pd.DataFrame.from_records(records,
                                     columns=list(grid.columns) + list(grid.result_columns))


def sweep(grid, *, workers=None, scheduler=None, partial=None, resume: bool = False,
          progress=None, batch_size=None, max_points: int = DEFAULT_MAX_POINTS):
    """Solve every point of a grid, both policies; return the table (docs/model.md section 12).

    Parameters
    ----------
    grid : Grid, dict or path
        An expanded grid, a grid mapping or a grid file.
    workers : int, optional
        Local worker processes (default: one per core; 1 runs in this process).
    scheduler : str or distributed.Client, optional
        Run on this Dask scheduler (``tcp://host:port``) instead of local processes.
    partial : path, optional
        Append each finished point to this file (JSON lines) as it arrives.
    resume : bool, default False
        Skip the points already in ``partial`` (from an interrupted run of the same grid).
    progress : bool, optional
        Show a tqdm bar on standard error (default: only when it is a terminal).
    batch_size : int, optional
        Points per task (default: up to 32, about four tasks per worker).
    max_points : int, default 100,000
        Refuse larger grids (when ``grid`` is a mapping or a path).

    Returns
    -------
    pandas.DataFrame
        One row per grid point and policy: the swept keys (``Grid.columns``) then
        :data:`RESULT_COLUMNS`, in grid order, dynamic before static.

    Raises
    ------
    ConfigError
        On a bad grid (before any work) or a partial file of another grid.
    SweepError
        On a bad ``workers`` or an unreachable scheduler (before any work).

    Examples
    --------
    >>> table = sweep({
    ...     "contract": {"review_period": [10, 20], "penalty_threshold": 0.8,
    ...                  "bonus_threshold": 0.9, "penalty_per_period": 5, "bonus_per_period": 3},
    ...     "costs": {"holding": 0.5}, "demand": {"kind": "poisson", "mean": 5}}, workers=1)
    >>> table[["review_period", "policy", "cost_per_period"]].round(4).values.tolist()
    [[10, 'dynamic', -1.2015], [10, 'static', -0.872], [20, 'dynamic', -1.3079], [20, 'static', -0.9358]]
    """
    if not isinstance(grid, Grid):
        if isinstance(grid, dict):
            grid = grid_from_dict(grid, max_points=max_points)
        else:
            grid = load_grid(grid, max_points=max_points)
    # the executor checks workers and reaches the scheduler before any work
    with Executor(workers, scheduler, error=SweepError) as executor:
        done = _read_partial(Path(partial), grid) if (partial is not None and resume) else {}
        writer = _Partial(partial, grid, done) if partial is not None else None
        todo = [k for k in range(len(grid)) if k not in done]
        batches = _batches(todo, executor.workers, batch_size)
        # in this process the checked contracts are used as they are; other processes and
        # Dask workers get the plain mappings (small, and only slamarkov needed to read them)
        here = executor.runs_here(len(batches))
        tasks = [[(k, grid.config(k) if here else grid.point(k)) for k in batch]
                 for batch in batches]
        bar = progress_bar(total=len(grid), initial=len(done), unit="point", label="sweep",
                           enabled=progress)
        try:
            for result in executor.run(_run_batch, tasks):
                if grid.result_columns is RATE_RESULT_COLUMNS:
                    result = [(k, rate_rows(rows)) for k, rows in result]
                for k, rows in result:
                    done[k] = rows
                if writer is not None:
                    writer.add(result)
                bar.update(len(result))
        finally:
            bar.close()
            if writer is not None:
                writer.close()
    return _table(grid, done)
