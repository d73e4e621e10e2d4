r"""The runs of a simulation: one review period per run, its summaries with their standard errors,
and the runs file that carries them (docs/model.md section 7).

A runs file is CSV with the header ``run,ready_count,ready_rate,holding_cost,settlement,total_cost``
(:meth:`SimulationResult.to_csv`, :func:`read_runs`). A simulation's file starts with one comment
line ``# slamarkov simulate: {...}``, a JSON object recording the problem (contract, demand,
holding cost), the policy and the seed the runs came from (:func:`provenance`), so that a
validation against another contract or policy can say so (:func:`provenance_mismatch`). A file
is read in chunks of rows (:func:`stream_runs`), so that its size does not bound the memory, by
pyarrow's CSV reader when it is installed and by Python's csv module otherwise.

The module is over 700 lines but one concern, the runs of a simulation and their file: the two
readers share the file's rules (:func:`_check_chunk`) and must give the same chunks to the bit,
so they live beside the summaries they feed.

**One convention for simulated summaries** (docs/model.md section 7): a mean is estimated by the
sample mean with standard error :math:`s/\sqrt n`, :math:`s` the sample SD with :math:`n - 1`; a
probability by the share :math:`\hat p` with SE :math:`\sqrt{\hat p(1-\hat p)/n}`; an SD by the
sample SD :math:`s` (with :math:`n - 1`) with the delta-method SE
:math:`\sqrt{(m_4 - m_2^2)/n} / (2\sqrt{m_2})`, :math:`m_2, m_4` the central moments of the runs
(:func:`mean_estimate`, :func:`proportion_estimate`, :func:`sd_estimate`).
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from ..errors import SimulationError
from ..io.atomic import atomic_write
from ..io.files import open_text
from ..model.contract import READY_RATE, Contract

__all__ = [
    "SimulationResult",
    "Estimate",
    "mean_estimate",
    "proportion_estimate",
    "sd_estimate",
    "read_runs",
    "stream_runs",
    "provenance",
    "provenance_mismatch",
    "read_provenance",
    "PROVENANCE_PREFIX",
    "rate_summary",
    "estimates_dict",
    "RUNS_COLUMNS",
    "COST_COLUMNS",
    "CHUNK_ROWS",
]


#: the header of a runs file
RUNS_COLUMNS = ("run", "ready_count", "ready_rate", "holding_cost", "settlement", "total_cost")


#: cost columns of a runs file, each optional when reading
COST_COLUMNS = ("holding_cost", "settlement", "total_cost", "purchase_cost")


class Estimate(NamedTuple):
    """A simulated summary and its standard error."""

    value: float
    se: float


@dataclass(frozen=True)
class SimulationResult:
    """The runs of a simulation (or of a runs file), one entry per review period simulated.

    Attributes
    ----------
    contract : Contract
        Gives T, the penalty and bonus bands and the settlement.
    ready_count : ndarray of int64
        :math:`v_T` per run.
    holding_cost, settlement, total_cost : ndarray of float64 or None
        Per run; None when a runs file left the column out.
    stock : ndarray or None
        ``runs x T`` stocks, when recorded.
    seed : int or None
        The seed that reproduces the runs (None when unknown).
    policy_kind : str or None
        "dynamic", "static" or "user" (None for a runs file).
    purchase_cost : ndarray or None
        Per run, the purchases :math:`c` per unit bought less the salvage value of the stock
        left after period T (docs/model.md section 11); None when the problem has neither a
        purchase cost nor a salvage value. ``total_cost`` includes it.
    provenance : dict or None
        Where the runs came from (:func:`provenance`); read back from a runs file's
        ``# slamarkov simulate:`` line, None when the file has none.

    Examples
    --------
    >>> from slamarkov import Contract
    >>> r = SimulationResult(Contract(2, 0.5, 1, penalty=10), np.array([0, 1, 2, 1]))
    >>> r.runs, r.ready_rate.tolist()
    (4, [0.0, 0.5, 1.0, 0.5])
    """

    contract: Contract
    ready_count: np.ndarray
    holding_cost: np.ndarray | None = None
    settlement: np.ndarray | None = None
    total_cost: np.ndarray | None = None
    stock: np.ndarray | None = field(default=None, repr=False)
    seed: int | None = None
    policy_kind: str | None = None
    purchase_cost: np.ndarray | None = None
    provenance: dict | None = field(default=None, repr=False, compare=False)

    @property
    def runs(self) -> int:
        """The number of runs n."""
        return int(self.ready_count.shape[0])

    @property
    def review_period(self) -> int:
        """T."""
        return self.contract.review_period

    @property
    def ready_rate(self) -> np.ndarray:
        """The ready rate :math:`v_T / T` per run."""
        return self.ready_count / self.contract.review_period

    def summary(self) -> dict:
        r"""Simulated summaries, each an :class:`Estimate` (value, standard error).

        Keys: ``mean`` and ``sd`` of the ready rate, ``p_penalty`` (ready rate below
        :math:`\alpha_L`), ``p_bonus`` (at least :math:`\alpha_U`), and, when the columns are
        present, ``mean_holding_cost``, ``mean_purchase_cost`` (purchases less salvage, when
        stock has a price), ``mean_settlement`` and ``mean_cost`` (total cost per review
        period, their sum). The SD is the sample SD (with n - 1); the standard errors follow the
        module's one convention (:func:`mean_estimate`, :func:`proportion_estimate`,
        :func:`sd_estimate`).

        Examples
        --------
        >>> from slamarkov import Contract
        >>> r = SimulationResult(Contract(2, 0.5, 1, penalty=10), np.array([0, 1, 2, 1]))
        >>> s = r.summary()
        >>> s["mean"].value, s["p_penalty"].value, round(s["p_penalty"].se, 6)
        (0.5, 0.25, 0.216506)
        """
        return rate_summary(self.ready_rate, self.contract.band(self.ready_count), {
            "mean_holding_cost": self.holding_cost, "mean_purchase_cost": self.purchase_cost,
            "mean_settlement": self.settlement, "mean_cost": self.total_cost})

    def summary_dict(self) -> dict:
        """:meth:`summary` as plain JSON-friendly numbers: ``{key: {"value", "se"}}``.

        Examples
        --------
        >>> from slamarkov import Contract
        >>> r = SimulationResult(Contract(1, 1, 1, penalty=10), np.array([1, 1]))
        >>> r.summary_dict()["p_bonus"]
        {'value': 1.0, 'se': 0.0}
        """
        return estimates_dict(self.summary())

    def columns(self) -> dict:
        """The runs-file columns present, name -> array (``ready_rate`` is derived).

        Examples
        --------
        >>> from slamarkov import Contract
        >>> list(SimulationResult(Contract(1, 1, 1), np.array([1])).columns())
        ['run', 'ready_count', 'ready_rate']
        """
        cols = {
            "run": np.arange(1, self.runs + 1),
            "ready_count": self.ready_count,
            "ready_rate": self.ready_rate,
        }
        for key in COST_COLUMNS:
            arr = getattr(self, key)
            if arr is not None:
                cols[key] = arr
        return cols

    def csv_text(self, stock: bool = False) -> str:
        """The runs as CSV text (header ``run,ready_count,ready_rate,holding_cost,...``).

        Floats are written in their shortest round-trip form, so reading the file back gives
        the same numbers to the bit.

        Parameters
        ----------
        stock : bool, default False
            Append the columns ``stock_1 .. stock_T`` (the stock must have been recorded).

        Examples
        --------
        >>> from slamarkov import Contract
        >>> r = SimulationResult(Contract(2, 0.5, 1, penalty=10), np.array([0, 2]),
        ...                      np.array([0.0, 1.5]), np.array([10.0, 0.0]), np.array([10.0, 1.5]))
        >>> print(r.csv_text(), end="")
        run,ready_count,ready_rate,holding_cost,settlement,total_cost
        1,0,0.0,0.0,10.0,10.0
        2,2,1.0,1.5,0.0,1.5
        """
        cols = self.columns()
        names = list(cols)
        values = [cols[k].tolist() for k in names]
        if stock:
            if self.stock is None:
                raise SimulationError("stock: not recorded; simulate with record_stock=True")
            names += [f"stock_{i}" for i in range(1, self.review_period + 1)]
            values += [col.tolist() for col in self.stock.T]
        buf = io.StringIO()
        if self.provenance is not None:
            buf.write(f"{PROVENANCE_PREFIX}{json.dumps(self.provenance, separators=(',', ':'))}\n")
        buf.write(",".join(names) + "\n")
        buf.writelines(",".join(map(repr, row)) + "\n" for row in zip(*values))
        return buf.getvalue()

    def to_csv(self, path, stock: bool = False) -> None:
        """Write the runs to ``path`` atomically (see :meth:`csv_text`).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from slamarkov import Contract
        >>> r = SimulationResult(Contract(2, 0.5, 1, penalty=10), np.array([0, 2]))
        >>> with tempfile.TemporaryDirectory() as d:
        ...     p = pathlib.Path(d) / "runs.csv"
        ...     r.to_csv(p)
        ...     read_runs(p, r.contract).ready_count.tolist()
        [0, 2]
        """
        atomic_write(path, self.csv_text(stock=stock))


def mean_estimate(x) -> Estimate:
    r"""The sample mean of ``x`` and its standard error :math:`s/\sqrt n` (``s`` with n - 1).

    Examples
    --------
    >>> mean_estimate(np.array([1.0, 2.0, 3.0, 4.0]))
    Estimate(value=2.5, se=0.6454972243679028)
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    sd = float(x.std(ddof=1)) if n > 1 else 0.0
    return Estimate(float(x.mean()), sd / math.sqrt(n))


def proportion_estimate(k, n) -> Estimate:
    r"""The share :math:`\hat p = k/n` and its standard error :math:`\sqrt{\hat p(1-\hat p)/n}`.

    Examples
    --------
    >>> proportion_estimate(1, 4)
    Estimate(value=0.25, se=0.21650635094610965)
    """
    p = int(k) / n
    return Estimate(p, math.sqrt(p * (1 - p) / n))


def sd_estimate(x) -> Estimate:
    r"""The sample SD :math:`s` of ``x`` (with n - 1) and its delta-method standard error
    :math:`\sqrt{(m_4 - m_2^2)/n} / (2\sqrt{m_2})`, :math:`m_2, m_4` the central moments of ``x``
    (docs/model.md section 7).

    Examples
    --------
    >>> est = sd_estimate(np.array([0.0, 0.0, 1.0, 1.0]))
    >>> round(est.value, 6), est.se
    (0.57735, 0.0)
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    d = x - x.mean()
    m2 = float((d * d).mean())
    m4 = float((d**4).mean())
    sd = math.sqrt(m2 * n / (n - 1)) if n > 1 else 0.0
    se = math.sqrt(max(m4 - m2 * m2, 0.0) / n) / (2 * math.sqrt(m2)) if m2 > 0 else 0.0
    return Estimate(sd, se)


def rate_summary(rate, band, costs: dict) -> dict:
    r"""Simulated summaries of runs of either measure, each an :class:`Estimate` (value,
    standard error): ``runs``, ``mean`` and ``sd`` of the rate, ``p_penalty`` (band -1) and
    ``p_bonus`` (band +1), and the mean of each cost column given (``costs``: key -> array or
    None). The SD is the sample SD (with n - 1); the standard errors follow the module's one
    convention (:func:`mean_estimate`, :func:`proportion_estimate`, :func:`sd_estimate`).

    Examples
    --------
    >>> s = rate_summary(np.array([0.5, 1.0]), np.array([0, 1]), {"mean_cost": np.array([2.0, 4.0])})
    >>> s["runs"], s["p_bonus"].value, s["mean_cost"].value
    (2, 0.5, 3.0)
    """
    rate = np.asarray(rate, dtype=np.float64)
    n = rate.shape[0]
    if n == 0:
        raise SimulationError("runs: no runs to summarise")
    band = np.asarray(band)
    out = {"runs": n, "mean": mean_estimate(rate), "sd": sd_estimate(rate),
           "p_penalty": proportion_estimate(np.count_nonzero(band < 0), n),
           "p_bonus": proportion_estimate(np.count_nonzero(band > 0), n)}
    for key, arr in costs.items():
        if arr is not None:
            out[key] = mean_estimate(arr)
    return out


def estimates_dict(summary: dict) -> dict:
    """A :func:`rate_summary` as plain JSON-friendly numbers: ``{key: {"value", "se"}}``.

    Examples
    --------
    >>> estimates_dict(rate_summary(np.array([1.0, 1.0]), np.array([1, 1]), {}))["p_bonus"]
    {'value': 1.0, 'se': 0.0}
    """
    return {key: val if key == "runs" else {"value": val.value, "se": val.se}
            for key, val in summary.items()}


#: the first line of a simulation's runs file, followed by the JSON of :func:`provenance`
PROVENANCE_PREFIX = "# slamarkov simulate: "


def _contract_fields(c) -> dict:
    """A contract's terms in a provenance: exact fractions as strings."""
    return {
        "review_period": c.review_period,
        "penalty_threshold": str(c.penalty_threshold),
        "bonus_threshold": str(c.bonus_threshold),
        "scheme": c.scheme,
        "penalty": str(c.penalty),
        "bonus": str(c.bonus),
        # a fill-rate contract says so (a ready-rate file keeps its earlier line, byte for byte)
        **({"measure": c.measure} if c.measure != READY_RATE else {}),
    }


def provenance(problem, policy_kind, seed, runs) -> dict:
    """What a simulation's runs were made from: the problem, the policy, the seed, the size.

    Amounts are exact fractions as strings, so that two files compare exactly. A problem with
    several customers (docs/model.md section 15) gives each customer's name, terms and demand
    under ``"customers"`` and the allocation rule of the static policy under ``"allocation"``.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem
    >>> p = provenance(Problem(Contract(10, 0.8, 0.9, penalty=50), Poisson(5), 0.5), "dynamic", 1, 100)
    >>> p["policy"], p["seed"], p["contract"]["penalty"], p["holding_cost"], p["demand"]
    ('dynamic', 1, '50', '1/2', 'Poisson(5)')
    >>> from slamarkov.model.customers import Customer, CustomersProblem
    >>> two = CustomersProblem([Customer(n, Contract.study(4), Poisson(2)) for n in "ab"], 1)
    >>> q = provenance(two, "static", 7, 10)
    >>> [c["name"] for c in q["customers"]], q["customers"][1]["penalty"], q["allocation"]
    (['a', 'b'], '20', 'priority')
    """
    from ..model.customers import CustomersProblem

    head = {"policy": policy_kind, "seed": seed, "runs": int(runs)}
    if isinstance(problem, CustomersProblem):
        head["customers"] = [{"name": cu.name, **_contract_fields(cu.contract),
                              "demand": cu.demand.describe()} for cu in problem.customers]
        head["allocation"] = problem.allocation
    else:
        head["contract"] = _contract_fields(problem.contract)
        head["demand"] = problem.demand.describe()
    return {
        **head,
        "holding_cost": str(problem.holding_cost),
        "purchase_cost": str(problem.purchase_cost),
        "salvage_value": str(problem.salvage_value),
        "leftover": problem.leftover,
        "initial_stock": str(problem.initial_stock),
    }


def _provenance_fields(made: dict) -> dict:
    """A provenance's problem as ``{name: value}``, each name as a contract file spells it."""
    out = {}
    contract = made.get("contract")
    for k, v in (contract.items() if isinstance(contract, dict) else ()):
        out[f"contract.{k}"] = v
    customers = made.get("customers")
    for cu in (customers if isinstance(customers, list) else ()):
        if isinstance(cu, dict):
            out.update({f"customer.{cu.get('name')}.{k}": v for k, v in cu.items() if k != "name"})
    for name, key in (("demand", "demand"), ("allocation.rule", "allocation"),
                      ("costs.holding", "holding_cost"), ("costs.purchase", "purchase_cost"),
                      ("costs.salvage", "salvage_value"), ("inventory.leftover", "leftover"),
                      ("inventory.initial_stock", "initial_stock")):
        if key in made:
            out[name] = made[key]
    return out


def provenance_mismatch(runs, problem, policy_kind) -> str | None:
    """Why runs cannot be expected to match a problem's policy, or None when they were made for it.

    Compares the runs' :attr:`~SimulationResult.provenance` (or a provenance mapping itself;
    None: nothing to compare) with ``problem`` and ``policy_kind``; returns one sentence naming
    what differs.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem
    >>> pb = Problem(Contract(10, 0.8, 0.9, penalty=50), Poisson(5), 0.5)
    >>> r = SimulationResult(pb.contract, np.array([9]), provenance=provenance(pb, "dynamic", 1, 1))
    >>> provenance_mismatch(r, pb, "dynamic") is None
    True
    >>> print(provenance_mismatch(r, pb, "static"))
    the runs were simulated with the dynamic policy, not the static policy tested here
    """
    made = runs if runs is None or isinstance(runs, dict) else runs.provenance
    if not made:
        return None
    here = provenance(problem, policy_kind, None, 0)
    diffs = []
    if made.get("policy") != policy_kind:
        diffs.append(f"with the {made.get('policy')} policy, not the {policy_kind} policy tested "
                     "here")
    theirs = _provenance_fields(made)
    ours = _provenance_fields(here)
    if "customers" in here and [c.get("name") for c in made.get("customers") or []
                                if isinstance(c, dict)] != [c["name"] for c in here["customers"]]:
        names = [c.get("name") for c in made.get("customers") or [] if isinstance(c, dict)]
        diffs.append(f"for the customers {', '.join(map(str, names)) or 'of one contract'} "
                     f"(here {', '.join(c['name'] for c in here['customers'])})")
    else:
        other = [f"{name} {theirs.get(name)} (here {v})" for name, v in ours.items()
                 if theirs.get(name) != v]
        if other:
            diffs.append("for another problem: " + ", ".join(other))
    if not diffs:
        return None
    return "the runs were simulated " + "; and ".join(diffs)


def _parse_float(text, line, column, where):
    try:
        x = float(text)
    except ValueError:
        raise SimulationError(f"{where}: line {line}, column {column}: {text.strip()!r} is not a "
                              "number") from None
    if not math.isfinite(x):
        raise SimulationError(f"{where}: line {line}, column {column}: must be finite, got "
                              f"{text.strip()!r}")
    return x


def read_runs(path, contract: Contract) -> SimulationResult:
    """Read a runs file (CSV with a header) for validation against a contract's exact chain.

    Only ``ready_count`` or ``ready_rate`` is required; ``holding_cost``, ``settlement`` and
    ``total_cost`` are read when present and other columns (``run``, ``stock_1``, ...) are
    ignored. A ready count must be an integer in 0..T; a ready rate must be a multiple of 1/T
    in [0, 1] (to within 1e-9); when both are given they must agree. Leading lines starting
    with ``#`` are comments; a ``# slamarkov simulate: {...}`` line gives the result's
    :attr:`~SimulationResult.provenance`.

    Parameters
    ----------
    path : str or path-like
    contract : Contract
        Gives T.

    Returns
    -------
    SimulationResult
        With ``seed`` and ``policy_kind`` None.

    Raises
    ------
    SimulationError
        One line naming the file, the line and column, and the rule: an unreadable or empty
        file, a missing column, a non-numeric value, a ready count outside 0..T, a row with the
        wrong number of fields.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from slamarkov import Contract
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d) / "runs.csv"
    ...     _ = p.write_text("ready_rate\\n0.5\\n1\\n")
    ...     read_runs(p, Contract(2, 0.5, 1)).ready_count.tolist()
    [1, 2]
    """
    chunks, made = [], None
    for made, chunk in stream_runs(path, contract):
        chunks.append(chunk)
    cols = {c: np.concatenate([ch[c] for ch in chunks]) for c in chunks[0]}
    return SimulationResult(
        contract=contract,
        ready_count=cols.pop("ready_count_int"),
        holding_cost=cols.get("holding_cost"),
        settlement=cols.get("settlement"),
        purchase_cost=cols.get("purchase_cost"),
        total_cost=cols.get("total_cost"),
        provenance=made,
    )


#: rows of a runs file parsed at a time when streaming (memory: a few MB per chunk)
CHUNK_ROWS = 1 << 16


#: the readers of :func:`stream_runs`
ENGINES = ("auto", "pyarrow", "python")


def stream_runs(path, contract: Contract, chunk_rows: int = CHUNK_ROWS, *, engine: str = "auto"):
    """Read a runs file in chunks of rows, checking each as :func:`read_runs` describes.

    Yields ``(provenance, chunk)`` where ``chunk`` maps each column read (``ready_count_int``,
    the checked ready counts, and the cost columns present) to a float64 array of
    ``chunk_rows`` rows (the last chunk fewer). Only the columns tested are converted; memory
    is one chunk.

    Two readers give the same chunks, bit for bit: pyarrow's streaming CSV reader (the
    ``parquet`` extra; about ten times faster) and Python's :mod:`csv` module. ``engine="auto"``
    (the default) takes pyarrow when it is installed. pyarrow reads only a well-formed file;
    anything it refuses or a chunk that breaks a rule hands the file to the Python reader from
    the first chunk not yet yielded, so a bad file gets the same one-line error naming its line
    and column either way.

    Parameters
    ----------
    path : str or path-like
    contract : Contract
    chunk_rows : int
    engine : {"auto", "pyarrow", "python"}
        ``"pyarrow"`` without pyarrow installed raises SimulationError.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from slamarkov import Contract
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d) / "runs.csv"
    ...     _ = p.write_text("run,ready_count\\n1,2\\n2,1\\n3,2\\n")
    ...     got = {e: [c["ready_count_int"].tolist() for _, c in
    ...                stream_runs(p, Contract(2, 0.5, 1), 2, engine=e)]
    ...            for e in ("python", "pyarrow")}
    >>> got
    {'python': [[2, 1], [2]], 'pyarrow': [[2, 1], [2]]}
    """
    if engine not in ENGINES:
        raise SimulationError(f"engine: must be one of {', '.join(ENGINES)}, got {engine!r}")
    if engine != "python":
        try:
            import pyarrow.csv  # noqa: F401  (the parquet extra)
        except ImportError:
            if engine == "pyarrow":
                raise SimulationError("engine: pyarrow is not installed; pip install "
                                      "'slamarkov[parquet]'") from None
            engine = "python"
    if engine == "python":
        yield from _stream_python(path, contract, chunk_rows)
        return
    done = 0
    try:
        for item in _stream_arrow(path, contract, chunk_rows):
            yield item
            done += 1
        return
    except _ArrowFallback:
        pass
    # the Python reader from the first chunk not yet yielded: chunks end at the same rows
    for k, item in enumerate(_stream_python(path, contract, chunk_rows)):
        if k >= done:
            yield item


def _stream_python(path, contract: Contract, chunk_rows: int):
    """:func:`stream_runs` by Python's csv module: the rules, with the line of each failure."""
    where = str(path)
    try:
        with open_text(path, "a runs file", SimulationError, newline="") as fh:
            yield from _stream_open(fh, where, contract, chunk_rows)
    except csv.Error as exc:
        raise SimulationError(f"{where}: cannot be read ({exc})") from None


def _stream_open(fh, where, contract, chunk_rows):
    # leading comment lines: the provenance line, or any other "#" line (skipped)
    made, skip = None, 0
    while True:
        pos = fh.tell()
        line = fh.readline()
        if not line.startswith("#"):
            fh.seek(pos)
            break
        skip += 1
        if line.startswith(PROVENANCE_PREFIX):
            made = read_provenance(line[len(PROVENANCE_PREFIX):].rstrip("\r\n"), where, skip)
    reader = csv.reader(fh)
    header = None
    for row in reader:
        if any(cell.strip() for cell in row):
            header = [h.strip() for h in row]
            break
        if row:  # a line of blanks before the header
            raise SimulationError(f"{where}: line {skip + reader.line_num}: expected the header "
                                  "line")
    if header is None:
        raise SimulationError(f"{where}: empty file (expected a header line and one row per run)")
    header_line = skip + reader.line_num
    seen = set()
    for name in header:
        if name in seen:
            raise SimulationError(f"{where}: line {header_line}: duplicate column {name!r}")
        seen.add(name)
    if "ready_count" not in seen and "ready_rate" not in seen:
        raise SimulationError(f"{where}: missing column ready_count (or ready_rate) in the header "
                              f"line {','.join(header)!r}")
    T = contract.review_period
    width = len(header)
    index = {name: k for k, name in enumerate(header)}
    wanted = [c for c in ("ready_count", "ready_rate", *COST_COLUMNS) if c in index]
    picks = [index[c] for c in wanted]
    cells = [[] for _ in wanted]
    lines = []
    blank = None  # a blank line is allowed only at the end
    total = 0

    def flush():
        data = {}
        for c, col in zip(wanted, cells):
            try:
                data[c] = np.array(col, dtype=np.float64)
            except ValueError:
                data[c] = np.array([_parse_float(x, ln, c, where) for x, ln in zip(col, lines)])
            bad = ~np.isfinite(data[c])
            if bad.any():
                r = int(np.flatnonzero(bad)[0])
                _parse_float(col[r], lines[r], c, where)  # raises with the line and the rule
        chunk = _check_chunk(data, np.array(lines), T, where)
        for col in cells:
            col.clear()
        lines.clear()
        return chunk

    for row in reader:
        line = skip + reader.line_num
        if not any(cell.strip() for cell in row):
            blank = blank or (line, len(row))
            continue
        if blank is not None:
            raise SimulationError(f"{where}: line {blank[0]}: {blank[1]} fields, the header has "
                                  f"{width}")
        if len(row) != width:
            raise SimulationError(f"{where}: line {line}: {len(row)} fields, the header has {width}")
        for col, k in zip(cells, picks):
            col.append(row[k])
        lines.append(line)
        if len(lines) >= chunk_rows:
            total += len(lines)
            yield made, flush()
    if lines:
        total += len(lines)
        yield made, flush()
    if total == 0:
        raise SimulationError(f"{where}: no runs (only a header line)")


def _check_chunk(data, lines, T, where) -> dict:
    """The rules of a runs file on one chunk of rows; adds the checked ``ready_count_int``."""
    def bad_row(mask):
        return int(np.flatnonzero(mask)[0])

    count = None
    if "ready_count" in data:
        x = data["ready_count"]
        frac = x != np.floor(x)
        if frac.any():
            r = bad_row(frac)
            raise SimulationError(f"{where}: line {lines[r]}, column ready_count: must be an "
                                  f"integer, got {x[r]:g}")
        out = (x < 0) | (x > T)
        if out.any():
            r = bad_row(out)
            raise SimulationError(f"{where}: line {lines[r]}, column ready_count: {x[r]:g} is "
                                  f"outside 0..T = 0..{T}")
        count = x.astype(np.int64)
    if "ready_rate" in data:
        y = data["ready_rate"]
        out = (y < -1e-9) | (y > 1 + 1e-9)
        if out.any():
            r = bad_row(out)
            raise SimulationError(f"{where}: line {lines[r]}, column ready_rate: {y[r]:g} is "
                                  "outside [0, 1]")
        scaled = y * T
        near = np.rint(scaled)
        off = np.abs(scaled - near) > 1e-9 * max(T, 1)
        if off.any():
            r = bad_row(off)
            raise SimulationError(f"{where}: line {lines[r]}, column ready_rate: {y[r]:g} is not "
                                  f"a multiple of 1/T = 1/{T}")
        from_rate = near.astype(np.int64)
        if count is None:
            count = from_rate
        else:
            clash = from_rate != count
            if clash.any():
                r = bad_row(clash)
                raise SimulationError(f"{where}: line {lines[r]}: ready_rate {y[r]:g} disagrees "
                                      f"with ready_count {count[r]} / T = {count[r] / T:g}")
    out = {c: v for c, v in data.items() if c not in ("ready_count", "ready_rate")}
    out["ready_count_int"] = count
    return out


def read_provenance(text, where, line) -> dict:
    """The JSON object after a runs file's ``# slamarkov simulate:`` prefix (``text``, the rest
    of line ``line`` of ``where``); one home for every runs file that carries the line.

    Raises
    ------
    SimulationError
        When it is not a JSON object, naming the file and the line.

    Examples
    --------
    >>> read_provenance('{"seed":1}', "runs.csv", 1)
    {'seed': 1}
    """
    try:
        made = json.loads(text)
    except ValueError:
        made = None
    if not isinstance(made, dict):
        raise SimulationError(f"{where}: line {line}: {PROVENANCE_PREFIX.strip()} must be followed "
                              "by a JSON object")
    return made


#: the bytes pyarrow parses at a time (a block is parsed on its own thread): larger blocks are
#: no faster and hold more memory
ARROW_BLOCK_BYTES = 1 << 20


class _ArrowFallback(Exception):
    """pyarrow's reader cannot (or should not) read this file: the Python reader takes over."""


def _arrow_preamble(path):
    """The provenance, the header and the byte offset of the first row, read as the Python reader
    reads them; :class:`_ArrowFallback` when the file starts with anything but comment lines
    and a header line."""
    try:
        with open(path, "rb") as fh:
            made, offset, skip = None, 0, 0
            while True:
                raw = fh.readline()
                line = raw.decode("utf-8")
                if not line.startswith("#"):
                    break
                skip += 1
                offset += len(raw)
                if line.startswith(PROVENANCE_PREFIX):
                    made = read_provenance(line[len(PROVENANCE_PREFIX):].rstrip("\r\n"),
                                            str(path), skip)
    except (OSError, UnicodeDecodeError, SimulationError):
        raise _ArrowFallback from None
    if not raw.endswith(b"\n") or '"' in line:
        raise _ArrowFallback  # no row after the header, or a quoted header: the Python reader
    header = [h.strip() for h in next(csv.reader([line]))]
    if not any(header) or len(set(header)) != len(header) or not (
            {"ready_count", "ready_rate"} & set(header)):
        raise _ArrowFallback
    return made, header, offset + len(raw)


def _stream_arrow(path, contract: Contract, chunk_rows: int):
    """:func:`stream_runs` by pyarrow's streaming CSV reader, re-cut into chunks of
    ``chunk_rows`` rows (the Python reader's, so that sums over chunks agree to the bit);
    raises :class:`_ArrowFallback` on anything it does not read as the Python reader would."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    made, header, offset = _arrow_preamble(path)
    T = contract.review_period
    wanted = [c for c in ("ready_count", "ready_rate", *COST_COLUMNS) if c in header]
    names = [f"c{k}" for k in range(len(header))]  # the header's own names may repeat blanks
    picked = {names[header.index(c)]: c for c in wanted}
    try:
        fh = pa.OSFile(str(path), "rb")  # arrow's own file: no Python file object in its threads
    except (OSError, pa.ArrowException):
        raise _ArrowFallback from None
    with fh:
        fh.seek(offset)
        try:
            reader = pacsv.open_csv(
                fh,
                read_options=pacsv.ReadOptions(column_names=names, block_size=ARROW_BLOCK_BYTES),
                parse_options=pacsv.ParseOptions(newlines_in_values=False,
                                                 ignore_empty_lines=False),
                # every column is converted: the unread ones as strings, so that a byte that is
                # not UTF-8 anywhere in a row hands the file to the Python reader (check_utf8),
                # which refuses it as it refuses any text that is not UTF-8
                convert_options=pacsv.ConvertOptions(
                    include_columns=names,
                    column_types={n: pa.float64() if n in picked else pa.string()
                                  for n in names},
                    check_utf8=True, null_values=[], strings_can_be_null=False,
                    quoted_strings_can_be_null=False))
        except (pa.ArrowException, ValueError):
            raise _ArrowFallback from None
        pending = {c: [] for c in wanted}
        held = 0
        total = 0
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            except (pa.ArrowException, ValueError):
                raise _ArrowFallback from None
            for name, c in picked.items():
                col = batch.column(name)
                if col.null_count:
                    raise _ArrowFallback
                pending[c].append(col.to_numpy(zero_copy_only=False))
            held += batch.num_rows
            if held < chunk_rows:
                continue
            data = {c: np.concatenate(parts) for c, parts in pending.items()}
            start = 0
            while held - start >= chunk_rows:
                stop = start + chunk_rows
                yield made, _arrow_chunk({c: v[start:stop] for c, v in data.items()}, T)
                start = stop
            total += start
            held -= start
            pending = {c: [v[start:]] for c, v in data.items()}
        if held:
            total += held
            yield made, _arrow_chunk({c: np.concatenate(p) for c, p in pending.items()}, T)
        if total == 0:
            raise _ArrowFallback


def _arrow_chunk(data, T):
    """:func:`_check_chunk` on a chunk pyarrow read; a rule broken (or a value not finite) hands
    the file to the Python reader, whose message names the line."""
    data = {c: np.ascontiguousarray(v, dtype=np.float64) for c, v in data.items()}
    if not all(np.isfinite(v).all() for v in data.values()):
        raise _ArrowFallback
    try:
        return _check_chunk(data, range(len(data[next(iter(data))])), T, "")
    except SimulationError:
        raise _ArrowFallback from None
