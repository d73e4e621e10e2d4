r"""Monte Carlo simulation of a stocking policy over review periods (docs/model.md section 7).

Each run is one review period of :math:`T` inventory periods. At the start of period :math:`i`
a run with :math:`v` ready periods so far stocks :math:`S_i(v)` (the policy's table), demand
:math:`d_i` is drawn, the period is ready when :math:`d_i \le S_i(v)`, and the leftover
:math:`(S_i(v) - d_i)^+` costs :math:`h` per unit (leftover stock is discarded, docs/model.md
section 1). At the end the run pays the settlement :math:`G(v_T)` of the contract. Per run the
simulator records

* the ready count :math:`v_T` and the ready rate :math:`v_T / T`,
* the holding cost :math:`h \sum_i (S_i - d_i)^+`, the settlement :math:`G(v_T)`, and their sum,
  the total cost,
* optionally the stock of every period.

The work is vectorised over runs and loops over the :math:`T` periods; the demand of period
:math:`i` for all runs is one call of ``demand.sample(rng, runs)``, so a seed fixes every number
to the bit.

The number of runs the source study used, 18,445, is the Dvoretzky-Kiefer-Wolfowitz sample size
:math:`n = \lceil \ln(2/\delta) / (2\varepsilon^2) \rceil` for :math:`\varepsilon = 0.01`,
:math:`\delta = 0.05` (:func:`dkw_sample_size`): with that many runs the empirical CDF of the ready
rate lies within 0.01 of the true CDF everywhere with probability at least 95%.

Runs files are CSV with the header ``run,ready_count,ready_rate,holding_cost,settlement,total_cost``
(:meth:`SimulationResult.to_csv`, :func:`read_runs`). A simulation's file starts with one comment
line ``# slamarkov simulate: {...}``, a JSON object recording the problem (contract, demand,
holding cost), the policy and the seed the runs came from (:func:`provenance`), so that a
validation against another contract or policy can say so (:func:`provenance_mismatch`).
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import NamedTuple

import numpy as np

from ..io.atomic import atomic_write
from ..core.numbers import to_fraction, to_int
from ..core.progress import progress as _progress_bar
from ..model.contract import Contract
from ..errors import SimulationError
from ..chain.policy import Policy

__all__ = [
    "simulate",
    "SimulationResult",
    "Estimate",
    "read_runs",
    "provenance",
    "provenance_mismatch",
    "PROVENANCE_PREFIX",
    "dkw_sample_size",
    "dkw_epsilon",
    "STUDY_RUNS",
    "RUNS_COLUMNS",
]

#: the source study's number of runs, the DKW sample size for eps = 0.01, delta = 0.05
STUDY_RUNS = 18_445

#: the header of a runs file
RUNS_COLUMNS = ("run", "ready_count", "ready_rate", "holding_cost", "settlement", "total_cost")

#: cost columns of a runs file, each optional when reading
COST_COLUMNS = ("holding_cost", "settlement", "total_cost", "purchase_cost")

#: show a progress bar (on a terminal) when a simulation draws at least this many demands
PROGRESS_DRAWS = 5_000_000


def dkw_sample_size(eps=0.01, delta=0.05) -> int:
    r"""The number of runs that puts the empirical CDF within ``eps`` of the true CDF with
    probability at least ``1 - delta`` (the Dvoretzky-Kiefer-Wolfowitz inequality, Massart's
    constant).

    .. math:: n = \left\lceil \frac{\ln(2/\delta)}{2\varepsilon^2} \right\rceil

    ``eps`` and ``delta`` are read as exact rationals (``0.01`` is 1/100) and the logarithm is
    taken to 50 significant digits, so the ceiling is exact: :math:`\ln(2/\delta)` is irrational
    for every rational :math:`\delta \ne 2`, so the quotient is never within rounding of an
    integer at that precision.

    Parameters
    ----------
    eps : number, default 0.01
        Half-width of the band, 0 < eps < 1.
    delta : number, default 0.05
        Probability that the band fails, 0 < delta < 1.

    Returns
    -------
    int

    Raises
    ------
    SimulationError
        On eps or delta outside (0, 1).

    Examples
    --------
    >>> dkw_sample_size(0.01, 0.05)
    18445
    >>> dkw_sample_size("0.05", "0.01")
    1060
    """
    e = to_fraction(eps, "eps", SimulationError)
    d = to_fraction(delta, "delta", SimulationError)
    if not 0 < e < 1:
        raise SimulationError(f"eps: must lie in (0, 1), got {float(e):g}")
    if not 0 < d < 1:
        raise SimulationError(f"delta: must lie in (0, 1), got {float(d):g}")
    with localcontext() as ctx:
        ctx.prec = 50
        q = Fraction(2) / d
        log = (Decimal(q.numerator) / Decimal(q.denominator)).ln()
        x = log / (2 * Decimal(e.numerator) ** 2 / Decimal(e.denominator) ** 2)
        return int(x.to_integral_value(rounding="ROUND_CEILING"))


def dkw_epsilon(runs: int, delta) -> float:
    r"""The DKW band half-width :math:`\sqrt{\ln(2/\delta) / (2n)}` for ``runs`` = n.

    Examples
    --------
    >>> round(dkw_epsilon(18445, 0.05), 6)
    0.01
    """
    n = to_int(runs, "runs", SimulationError)
    if n < 1:
        raise SimulationError(f"runs: must be >= 1, got {n}")
    d = float(delta)
    if not 0 < d < 1:
        raise SimulationError(f"delta: must lie in (0, 1), got {d:g}")
    return math.sqrt(math.log(2 / d) / (2 * n))


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
        present, ``mean_holding_cost``, ``mean_settlement`` and ``mean_cost`` (total cost per
        review period). Standard errors are the plug-in ones: :math:`s/\sqrt n` for means,
        :math:`\sqrt{\hat p(1-\hat p)/n}` for probabilities, and the delta-method
        :math:`\sqrt{(m_4 - s^4)/(4 s^2 n)}` for the SD.

        Examples
        --------
        >>> from slamarkov import Contract
        >>> r = SimulationResult(Contract(2, 0.5, 1, penalty=10), np.array([0, 1, 2, 1]))
        >>> s = r.summary()
        >>> s["mean"].value, s["p_penalty"].value, round(s["p_penalty"].se, 6)
        (0.5, 0.25, 0.216506)
        """
        n = self.runs
        if n == 0:
            raise SimulationError("runs: no runs to summarise")
        rate = self.ready_rate
        out = {"runs": n, "mean": _mean_estimate(rate)}
        sd = float(rate.std())
        m4 = float(np.mean((rate - rate.mean()) ** 4))
        se_sd = math.sqrt(max(m4 - sd**4, 0.0) / (4 * sd * sd * n)) if sd > 0 else 0.0
        out["sd"] = Estimate(sd, se_sd)
        band = self.contract.band(self.ready_count)
        out["p_penalty"] = _prob_estimate(np.count_nonzero(band < 0), n)
        out["p_bonus"] = _prob_estimate(np.count_nonzero(band > 0), n)
        for key, arr in (("mean_holding_cost", self.holding_cost),
                         ("mean_settlement", self.settlement),
                         ("mean_cost", self.total_cost)):
            if arr is not None:
                out[key] = _mean_estimate(arr)
        return out

    def summary_dict(self) -> dict:
        """:meth:`summary` as plain JSON-friendly numbers: ``{key: {"value", "se"}}``.

        Examples
        --------
        >>> from slamarkov import Contract
        >>> r = SimulationResult(Contract(1, 1, 1, penalty=10), np.array([1, 1]))
        >>> r.summary_dict()["p_bonus"]
        {'value': 1.0, 'se': 0.0}
        """
        out = {}
        for key, val in self.summary().items():
            out[key] = val if key == "runs" else {"value": val.value, "se": val.se}
        return out

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


def _mean_estimate(x) -> Estimate:
    n = x.shape[0]
    sd = float(x.std(ddof=1)) if n > 1 else 0.0
    return Estimate(float(x.mean()), sd / math.sqrt(n))


def _prob_estimate(k, n) -> Estimate:
    p = int(k) / n
    return Estimate(p, math.sqrt(p * (1 - p) / n))


def _resolve_seed(seed):
    """A Generator and the integer seed that reproduces it (None when the caller passed one in)."""
    if isinstance(seed, np.random.Generator):
        return seed, None
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % 2**63)
    elif isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise SimulationError(f"seed: must be a non-negative integer, got {seed!r}")
    elif seed < 0:
        raise SimulationError(f"seed: must be a non-negative integer, got {seed}")
    return np.random.default_rng(int(seed)), int(seed)


def simulate(policy: Policy, runs: int, seed=None, *, record_stock: bool = False,
             progress: bool | None = None) -> SimulationResult:
    r"""Simulate ``runs`` review periods of a policy (docs/model.md section 7).

    At period :math:`i` each run in state :math:`v` stocks :math:`S_i(v)`; period :math:`i`'s
    demands for every run are one call of ``policy.problem.demand.sample(rng, runs)``. A run
    is ready in a period when :math:`d \le S` and leaves :math:`(S - d)^+` units, each costing
    :math:`h`. The settlement :math:`G(v_T)` comes from
    :meth:`Contract.settlement <slamarkov.Contract.settlement>`.

    Parameters
    ----------
    policy : Policy
        Any stock table: a solver's dynamic or static policy, or a user's.
    runs : int
        n >= 1, the number of review periods simulated (the study used :data:`STUDY_RUNS`).
    seed : int or numpy.random.Generator, optional
        A non-negative integer reproduces the runs to the bit; a Generator is used as is. By
        default a fresh seed is drawn and stored in the result's ``seed``.
    record_stock : bool, default False
        Keep the ``runs x T`` table of stocks.
    progress : bool, optional
        Draw a progress bar on standard error. By default only for long simulations (at least
        five million demand draws) and only when standard error is a terminal.

    Returns
    -------
    SimulationResult

    Raises
    ------
    SimulationError
        On a non-positive number of runs, a bad seed, or a policy that is not a Policy.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
    >>> sol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40)
    >>> res = simulate(sol.policy, 2000, seed=1)
    >>> res.ready_count.shape, res.seed
    ((2000,), 1)
    >>> s = res.summary()
    >>> abs(s["mean"].value - sol.ready_rate.mean) < 4 * s["mean"].se
    True
    >>> bool(np.array_equal(res.total_cost, simulate(sol.policy, 2000, seed=1).total_cost))
    True
    """
    if not isinstance(policy, Policy):
        raise SimulationError("policy: must be a slamarkov.Policy (e.g. solve_dynamic(...).policy)")
    n = to_int(runs, "runs", SimulationError)
    if n < 1:
        raise SimulationError(f"runs: must be >= 1, got {n}")
    from ..core.limits import check_runs

    check_runs(n, policy.review_period, record_stock=record_stock)
    rng, seed_used = _resolve_seed(seed)
    problem = policy.problem
    contract = problem.contract
    demand = problem.demand
    T = contract.review_period
    discrete = demand.discrete

    v = np.zeros(n, dtype=np.int64)
    # integer leftovers add up exactly; h is applied once at the end
    leftover = np.zeros(n, dtype=np.int64 if discrete else np.float64)
    carry = policy.carries
    priced = bool(problem.purchase_cost or problem.salvage_value)
    # stock on hand x (docs/model.md section 11) and the units bought, c (y - x)^+ + c (d - y)^+
    on_hand = np.full(n, problem.initial_stock, dtype=np.int64 if discrete else np.float64)
    bought = np.zeros(n, dtype=on_hand.dtype) if priced else None
    stock_table = None
    if record_stock:
        dt = policy.stock.dtype if policy.stock.dtype != object else np.float64
        stock_table = np.empty((n, T), dtype=dt)
    if progress is None:
        show = None if n * T >= PROGRESS_DRAWS else False
    else:
        show = bool(progress)
    periods = _progress_bar(range(1, T + 1), total=T, label=f"simulate {n} runs", enabled=show)
    for i in periods:
        if carry:
            layer = policy.layer(i)
            S = layer[v, on_hand if i > 1 else 0]
        else:
            row = policy.stage(i)
            S = row.take(v)
        if S.dtype == object:
            S = S.astype(np.float64)
        if stock_table is not None:
            stock_table[:, i - 1] = S
        d = demand.sample(rng, n)
        if discrete:
            left = S.astype(np.int64) - d
        else:
            left = S - d
        ready = left >= 0
        kept = np.where(ready, left, 0)
        leftover += kept
        if bought is not None:
            bought += np.maximum(S - on_hand, 0) + np.maximum(-left, 0)
        if carry:
            on_hand = kept
        elif i == 1:
            on_hand = np.zeros_like(on_hand)
        v += ready
    holding = leftover * float(problem.holding_cost)
    settlement = contract.settlement().take(v)
    purchase = None
    if bought is not None:
        purchase = bought * float(problem.purchase_cost)
        if carry:
            purchase = purchase - on_hand * float(problem.salvage_value)
    total = holding + settlement if purchase is None else holding + purchase + settlement
    return SimulationResult(
        contract=contract,
        ready_count=v,
        holding_cost=holding,
        settlement=settlement,
        total_cost=total,
        stock=stock_table,
        seed=seed_used,
        purchase_cost=purchase,
        policy_kind=policy.kind,
        provenance=provenance(problem, policy.kind, seed_used, n),
    )


# -- runs files -------------------------------------------------------------------------------

#: the first line of a simulation's runs file, followed by the JSON of :func:`provenance`
PROVENANCE_PREFIX = "# slamarkov simulate: "


def provenance(problem, policy_kind, seed, runs) -> dict:
    """What a simulation's runs were made from: the problem, the policy, the seed, the size.

    Amounts are exact fractions as strings, so that two files compare exactly.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem
    >>> p = provenance(Problem(Contract(10, 0.8, 0.9, penalty=50), Poisson(5), 0.5), "dynamic", 1, 100)
    >>> p["policy"], p["seed"], p["contract"]["penalty"], p["holding_cost"], p["demand"]
    ('dynamic', 1, '50', '1/2', 'Poisson(5)')
    """
    c = problem.contract
    return {
        "policy": policy_kind,
        "seed": seed,
        "runs": int(runs),
        "contract": {
            "review_period": c.review_period,
            "penalty_threshold": str(c.penalty_threshold),
            "bonus_threshold": str(c.bonus_threshold),
            "scheme": c.scheme,
            "penalty": str(c.penalty),
            "bonus": str(c.bonus),
        },
        "demand": problem.demand.describe(),
        "holding_cost": str(problem.holding_cost),
        "purchase_cost": str(problem.purchase_cost),
        "salvage_value": str(problem.salvage_value),
        "leftover": problem.leftover,
        "initial_stock": str(problem.initial_stock),
    }


def provenance_mismatch(runs: SimulationResult, problem, policy_kind) -> str | None:
    """Why runs cannot be expected to match a problem's policy, or None when they were made for it.

    Compares the runs' :attr:`~SimulationResult.provenance` (None: nothing to compare) with
    ``problem`` and ``policy_kind``; returns one sentence naming what differs.

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
    made = runs.provenance
    if not made:
        return None
    here = provenance(problem, policy_kind, None, runs.runs)
    diffs = []
    if made.get("policy") != policy_kind:
        diffs.append(f"with the {made.get('policy')} policy, not the {policy_kind} policy tested "
                     "here")
    fields = [(f"contract.{k}", v, made.get("contract", {}).get(k))
              for k, v in here["contract"].items()]
    fields += [(name, here[key], made.get(key)) for name, key in (
        ("demand", "demand"), ("costs.holding", "holding_cost"), ("costs.purchase", "purchase_cost"),
        ("costs.salvage", "salvage_value"), ("inventory.leftover", "leftover"),
        ("inventory.initial_stock", "initial_stock"))]
    other = [f"{name} {theirs} (here {ours})" for name, ours, theirs in fields if theirs != ours]
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
    for made, chunk in _stream_runs(path, contract):
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


def _stream_runs(path, contract: Contract, chunk_rows: int = CHUNK_ROWS):
    """Read a runs file in chunks of rows, checking each as :func:`read_runs` describes.

    Yields ``(provenance, chunk)`` where ``chunk`` maps each column read (``ready_count_int``,
    the checked ready counts, and the cost columns present) to a float64 array of at most
    ``chunk_rows`` rows. Only the columns tested are converted; memory is one chunk.
    """
    where = str(path)
    try:
        fh = open(path, newline="", encoding="utf-8")
    except FileNotFoundError:
        raise SimulationError(f"{where}: no such file") from None
    except OSError as exc:
        raise SimulationError(f"{where}: cannot be read ({exc})") from None
    try:
        with fh:
            yield from _stream_open(fh, where, contract, chunk_rows)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
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
            made = _read_provenance(line[len(PROVENANCE_PREFIX):].rstrip("\r\n"), where, skip)
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


def _read_provenance(text, where, line) -> dict:
    try:
        made = json.loads(text)
    except ValueError:
        made = None
    if not isinstance(made, dict):
        raise SimulationError(f"{where}: line {line}: {PROVENANCE_PREFIX.strip()} must be followed "
                              "by a JSON object")
    return made
