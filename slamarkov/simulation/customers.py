r"""Simulating and validating a policy for several customers sharing one stock (docs/model.md
sections 7 and 15).

:func:`simulate_customers` runs review periods of a solved policy, vectorised over the runs: in
each period every run orders up to its state's level, draws every customer's demand and serves
the set the policy (or the static rule) names, and records each customer's ready count
(``ready_count_<name>``), its sacrificed periods and the run's cost.

:func:`validate_customers` tests the runs' ready counts against the policy's exact joint
distribution: Pearson's chi-square on each customer's marginal (cells pooled upwards from 0
until each expects at least 5 runs, as in section 7) and on the joint distribution (cells
expecting at least 5 runs kept, the rest pooled into one), Bonferroni over the k + 1 tests. A
simulator that serves the customers in another order moves probability between the customers'
counts, which the marginals and the joint catch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from ..chain.customers import ReadyCounts, feasible_family, marginal, rule_served
from ..errors import SimulationError
from ..io.files import read_text
from ..io.tables import make_table, render_table
from ..solve.customers import CustomersSolution
from .checks import pooled_chi_square, sparse_chi_square
from .runs import PROVENANCE_PREFIX, provenance, read_provenance

__all__ = ["simulate_customers", "CustomersRuns", "validate_customers", "CustomersValidation",
           "read_customer_runs"]


@dataclass(frozen=True)
class CustomersRuns:
    """Simulated review periods of a policy for several customers.

    Attributes
    ----------
    names : tuple of str
    ready_counts : ndarray of int64, shape (runs, k)
    sacrificed : ndarray of int64, shape (runs, k)
    cost : ndarray of float, shape (runs,)
        Purchases, holding cost and settlements of each run (less the salvage, with carry).
    seed : int
    provenance : dict or None
        What the runs were made from (:func:`~slamarkov.simulation.runs.provenance`): written as
        the runs file's first line, so that ``validate`` can warn about runs of another problem.
    """

    names: tuple
    ready_counts: np.ndarray
    sacrificed: np.ndarray
    cost: np.ndarray
    seed: int
    provenance: dict | None = None

    @property
    def runs(self) -> int:
        return len(self.cost)

    def columns(self) -> dict:
        """The runs as columns: ``ready_count_<name>``, ``sacrificed_<name>``, ``cost``."""
        out = {f"ready_count_{n}": self.ready_counts[:, j] for j, n in enumerate(self.names)}
        out.update({f"sacrificed_{n}": self.sacrificed[:, j] for j, n in enumerate(self.names)})
        out["cost"] = self.cost
        return out

    def summary(self, solution: CustomersSolution) -> dict:
        """Simulated means with their standard errors beside the exact values: each
        customer's ready rate (``ready_rate_<name>``) and sacrificed periods
        (``sacrificed_<name>``), and the cost of a review period (``cost``).

        Examples
        --------
        >>> from slamarkov import Contract, DiscreteUniform
        >>> from slamarkov.model.customers import Customer, CustomersProblem
        >>> from slamarkov.solve.customers import solve_customers_dynamic
        >>> p = CustomersProblem([Customer(n, Contract.study(3), DiscreteUniform(0, 3))
        ...                       for n in "ab"], 1)
        >>> sol = solve_customers_dynamic(p)
        >>> s = simulate_customers(sol, 4000, seed=3).summary(sol)
        >>> abs(s["cost"]["simulated"] - s["cost"]["exact"]) < 5 * s["cost"]["se"]
        True
        """
        T = solution.problem.review_period
        n = self.runs

        def row(x, exact):
            x = np.asarray(x, dtype=np.float64)
            se = float(x.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
            return {"simulated": float(x.mean()), "se": se, "exact": float(exact)}

        out = {}
        for j, name in enumerate(self.names):
            out[f"ready_rate_{name}"] = row(self.ready_counts[:, j] / T,
                                            solution.ready_rates[j].mean)
            out[f"sacrificed_{name}"] = row(self.sacrificed[:, j], solution.sacrificed[j])
        out["cost"] = row(self.cost, solution.value_start)
        return out

    def csv_text(self) -> str:
        """The runs as CSV: ``run``, ``ready_count_<name>``, ``sacrificed_<name>``, ``cost``,
        after the provenance line when there is one.

        Examples
        --------
        >>> r = CustomersRuns(("a",), np.array([[2]]), np.array([[0]]), np.array([1.5]), 0)
        >>> print(r.csv_text(), end="")
        run,ready_count_a,sacrificed_a,cost
        1,2,0,1.5
        """
        cols = self.columns()
        rows = [{"run": n + 1, **{c: v[n].item() for c, v in cols.items()}}
                for n in range(self.runs)]
        table = render_table(make_table("runs", ["run", *cols], rows), "csv")
        if self.provenance is None:
            return table
        return f"{PROVENANCE_PREFIX}{json.dumps(self.provenance, separators=(',', ':'))}\n{table}"


def simulate_customers(solution: CustomersSolution, runs: int, seed: int | None = None,
                       *, serve=None) -> CustomersRuns:
    """Simulate ``runs`` review periods of a solved policy (docs/model.md section 15).

    Parameters
    ----------
    solution : CustomersSolution
    runs : int
    seed : int, optional
        Fixes every number (one draw per customer and period for all runs at once).
    serve : callable, optional
        Replace the allocation: ``serve(i, counts, y, demands) -> bit masks`` (vectorised over
        runs), for tests of the validation.

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform
    >>> from slamarkov.model.customers import Customer, CustomersProblem
    >>> from slamarkov.solve.customers import solve_customers_dynamic
    >>> p = CustomersProblem([Customer(n, Contract.study(3), DiscreteUniform(0, 3))
    ...                       for n in "ab"], 1)
    >>> r = simulate_customers(solve_customers_dynamic(p), 1000, seed=1)
    >>> r.ready_counts.shape, int(r.ready_counts.max()) <= 3
    ((1000, 2), True)
    """
    if isinstance(runs, bool) or not isinstance(runs, (int, np.integer)) or runs < 1:
        raise SimulationError(f"runs: must be an integer >= 1, got {runs!r}")
    p = solution.problem
    T, k = p.review_period, p.k
    rng = np.random.default_rng(seed)
    if seed is None:
        seed = int(rng.integers(2**31))
        rng = np.random.default_rng(seed)
    score = ReadyCounts(T, p.names)
    counts = np.zeros((runs, k), dtype=np.int64)
    lost = np.zeros((runs, k), dtype=np.int64)
    x = np.full(runs, int(p.initial_stock), dtype=np.int64)
    c, h, s = float(p.purchase_cost), float(p.holding_cost), float(p.salvage_value)
    cost = np.zeros(runs)
    G = [cu.contract.settlement() for cu in p.customers]
    for i in range(1, T + 1):
        idx = score.index(i, counts)
        col = np.zeros(runs, dtype=np.int64) if (i == 1 or not p.carries) else x
        y = solution.orders[i - 1][idx, col].astype(np.int64)
        d = np.column_stack([cu.demand.sample(rng, runs) for cu in p.customers]).astype(np.int64)
        D = d.sum(axis=1)
        left = np.maximum(y - D, 0) if p.carries else np.zeros(runs, dtype=np.int64)
        if serve is not None:
            a = np.asarray(serve(i, counts, y, d), dtype=np.int64)
        elif solution.kind == "static":
            a = rule_served(d, y, solution.rule)
        else:
            f = np.searchsorted(solution.families, feasible_family(d, y))
            a = solution.allocation[i - 1][f, idx, left].astype(np.int64)
        served = (a[:, None] >> np.arange(k)) & 1
        cost += c * np.maximum(y - x, 0) + c * np.maximum(D - y, 0) + h * np.maximum(y - D, 0)
        lost += (d <= y[:, None]) & (served == 0)
        counts += served
        x = left
    for j in range(k):
        cost += G[j][counts[:, j]]
    if p.carries:
        cost -= s * x
    return CustomersRuns(p.names, counts, lost, cost, int(seed),
                         provenance(p, solution.kind, int(seed), runs))


@dataclass(frozen=True)
class CustomersValidation:
    """The verdict of :func:`validate_customers`: each test's statistic, degrees of freedom and
    p-value, and whether the runs are consistent with the exact distribution at ``alpha``."""

    tests: dict
    alpha: float
    consistent: bool

    def to_dict(self) -> dict:
        return {"alpha": self.alpha, "consistent": self.consistent, "tests": self.tests}


def validate_customers(solution: CustomersSolution, ready_counts, alpha: float = 0.01
                       ) -> CustomersValidation:
    """Test simulated ready counts (runs x k) against the policy's exact joint distribution
    (module docstring): each marginal and the joint, Bonferroni over the k + 1 tests.

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform
    >>> from slamarkov.model.customers import Customer, CustomersProblem
    >>> from slamarkov.solve.customers import solve_customers_dynamic
    >>> p = CustomersProblem([Customer(n, Contract.study(3), DiscreteUniform(0, 3))
    ...                       for n in "ab"], 1)
    >>> sol = solve_customers_dynamic(p)
    >>> validate_customers(sol, simulate_customers(sol, 5000, seed=2).ready_counts).consistent
    True
    """
    counts = np.asarray(ready_counts, dtype=np.int64)
    p = solution.problem
    T, k = p.review_period, p.k
    if counts.ndim != 2 or counts.shape[1] != k:
        raise SimulationError(f"ready counts: must have one column per customer ({k}), got "
                              f"shape {counts.shape}")
    if counts.min(initial=0) < 0 or counts.max(initial=0) > T:
        raise SimulationError(f"ready counts: must lie in 0..{T}")
    joint = np.asarray(solution.joint_pmf, dtype=np.float64)
    tests = {}
    for j, name in enumerate(p.names):
        pmf = marginal(joint, j)
        obs = np.bincount(counts[:, j], minlength=T + 1)
        t = pooled_chi_square(obs, pmf)
        tests[f"ready_count_{name}"] = {"statistic": t.statistic, "df": t.df,
                                        "p_value": t.p_value}
    flat = np.ravel_multi_index(counts.T, joint.shape)
    t = sparse_chi_square(np.bincount(flat, minlength=joint.size), joint.ravel())
    stat, df, pv = t.statistic, t.df, t.p_value
    tests["joint"] = {"statistic": stat, "df": df, "p_value": pv}
    level = alpha / len(tests)
    consistent = all(t["p_value"] > level for t in tests.values())
    return CustomersValidation(tests, float(alpha), bool(consistent))


def read_customer_runs(path, names, *, with_provenance: bool = False):
    """The ready counts (runs x k) of a runs file: CSV with a header holding
    ``ready_count_<name>`` for each customer (other columns and ``#`` comment lines ignored).

    With ``with_provenance`` the pair (counts, provenance): the mapping of the file's
    ``# slamarkov simulate:`` line (:func:`~slamarkov.simulation.runs.provenance`), or None.

    Raises
    ------
    SimulationError
        One line naming the file, the column or the line, and the rule.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     f = pathlib.Path(d) / "runs.csv"
    ...     _ = f.write_text("run,ready_count_a,ready_count_b\\n1,3,2\\n2,1,0\\n")
    ...     read_customer_runs(f, ["a", "b"]).tolist()
    [[3, 2], [1, 0]]
    """
    import csv

    text = read_text(path, "a runs file", SimulationError)
    made = None
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#"):
            break
        if line.startswith(PROVENANCE_PREFIX):
            made = read_provenance(line[len(PROVENANCE_PREFIX):].strip(), str(path), n)
    # the file's own line numbers, for the messages: comment and blank lines are skipped
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), start=1)
                if line.strip() and not line.startswith("#")]
    if not numbered:
        raise SimulationError(f"{path}: no header line (a runs file is CSV with a header)")
    rows = csv.reader(line for _, line in numbered)
    header = next(rows)
    cols = []
    for name in names:
        col = f"ready_count_{name}"
        if col not in header:
            raise SimulationError(f"{path}: column {col} missing (one ready_count_<name> column "
                                  "per customer)")
        cols.append(header.index(col))
    out = []
    for (n, _), row in zip(numbered[1:], rows):
        try:
            out.append([int(row[c]) for c in cols])
        except (ValueError, IndexError):
            raise SimulationError(f"{path}: line {n}: the ready counts must be integers") from None
    if not out:
        raise SimulationError(f"{path}: no runs")
    counts = np.array(out, dtype=np.int64)
    return (counts, made) if with_provenance else counts
