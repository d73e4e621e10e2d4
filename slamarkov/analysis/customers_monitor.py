r"""Watching a running review period with several customers sharing one stock (docs/model.md
sections 13 and 15).

The log has one row per period observed so far: ``period`` (1, 2, ...), one ``ready_<name>``
column per customer (1 when the customer was served in full, 0 otherwise) and, when stock
carries over, ``stock_on_hand`` (the stock left at the end of the period). Its n rows give the
state :math:`(i, v_1, \dots, v_k[, x])` with :math:`i = n + 1`; from there each policy's chain
gives every customer's band probabilities and expected settlement, the expected cost to the end
and the order to place now.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from ..chain.customers import ReadyCounts
from ..core.numbers import whole_number
from ..errors import ChainError, MonitorError
from ..io.files import read_text
from ..model.customers import CustomersProblem
from ..solve.customers import outlook_from, solve_customers_dynamic, solve_customers_static

__all__ = ["CustomersLog", "read_customers_log", "parse_customers_log", "monitor_customers",
           "CustomersMonitor"]


@dataclass(frozen=True)
class CustomersLog:
    """The periods logged so far: each customer's ready count and the stock on hand."""

    periods: int
    ready_counts: tuple
    stock_on_hand: int | None


def parse_customers_log(text: str, problem: CustomersProblem, source: str = "log"
                        ) -> CustomersLog:
    """Parse a log's text (CSV with a header) for ``problem``.

    Raises
    ------
    MonitorError
        One line naming the log, the line or column, and the rule.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson
    >>> from slamarkov.model.customers import Customer, CustomersProblem
    >>> p = CustomersProblem([Customer(n, Contract.study(10), Poisson(5)) for n in "ab"], 1)
    >>> parse_customers_log("period,ready_a,ready_b\\n1,1,0\\n2,1,1\\n", p).ready_counts
    (2, 1)
    """
    score = ReadyCounts(problem.review_period, problem.names)
    rows = list(csv.DictReader(io.StringIO(text)))
    header = next(csv.reader(io.StringIO(text)), None)
    if header is None:
        raise MonitorError(f"{source}: empty (give a header line: period,"
                           + ",".join(score.log_columns) + ")")
    needed = ["period", *score.log_columns] + (["stock_on_hand"] if problem.carries else [])
    for col in needed:
        if col not in header:
            raise MonitorError(f"{source}: missing column {col!r} (the header this file "
                               f"needs is {','.join(needed)})")
    allowed = set(needed) | {"demand"} | {f"demand_{n}" for n in problem.names}
    for col in header:
        if col not in allowed:
            raise MonitorError(f"{source}: unknown column {col!r} (the header this file "
                               f"needs is {','.join(needed)}, and optionally demand or demand_<name> columns)")
    if len(rows) > problem.review_period:
        raise MonitorError(f"{source}: {len(rows)} periods logged, more than the review period "
                           f"T = {problem.review_period}")
    outcomes, x = [], None
    for n, row in enumerate(rows, start=1):
        if row.get("period") != str(n):
            raise MonitorError(f"{source}: line {n + 1}: period must be {n} (periods 1, 2, ... "
                               f"in order), got {row.get('period')!r}")
        try:
            outcomes.append(score.read_outcome(row))
        except (ValueError, TypeError) as exc:
            raise MonitorError(f"{source}: line {n + 1}: {exc}") from None
        if problem.carries:
            text_x = row.get("stock_on_hand")
            x = None if text_x is None else whole_number(text_x)
            if x is None:
                raise MonitorError(f"{source}: line {n + 1}: stock_on_hand must be an integer "
                                   f">= 0, got {text_x!r}")
    counts = score.logged(outcomes)
    return CustomersLog(len(rows), counts, x)


def read_customers_log(path, problem: CustomersProblem) -> CustomersLog:
    """Read and parse a log file (see :func:`parse_customers_log`)."""
    return parse_customers_log(read_text(path, "a log file", MonitorError), problem, str(path))


@dataclass(frozen=True)
class CustomersMonitor:
    """Where a running review period stands under both policies."""

    problem: CustomersProblem
    log: CustomersLog
    outlooks: dict
    orders: dict

    def to_dict(self) -> dict:
        """The JSON document of ``monitor``: the state, and per policy the order now, the cost
        to the end and, per customer, the band probabilities and expected settlement."""
        p = self.problem
        out = {"state": {"period": self.log.periods + 1,
                         "ready_counts": dict(zip(p.names, self.log.ready_counts))}}
        if p.carries:
            out["state"]["stock_on_hand"] = self.log.stock_on_hand
        for kind, o in self.outlooks.items():
            doc = {"order": self.orders[kind], "cost_to_end": float(o.cost), "customers": []}
            for name, rr in zip(p.names, o.ready_rates):
                doc["customers"].append({
                    "name": name, "p_penalty": float(rr.p_penalty),
                    "p_neutral": float(rr.p_neutral), "p_bonus": float(rr.p_bonus),
                    "expected_settlement": float(rr.expected_settlement()),
                    "mean": float(rr.mean)})
            out[kind] = doc
        return out

    def to_text(self) -> str:
        d = self.to_dict()
        st = d["state"]
        lines = [f"period {st['period']} of {self.problem.review_period}; ready periods so far: "
                 + ", ".join(f"{n} {v}" for n, v in st["ready_counts"].items())
                 + (f"; {st['stock_on_hand']} units on hand" if "stock_on_hand" in st else "")]
        for kind in ("dynamic", "static"):
            doc = d[kind]
            order = "none (the review period is over)" if doc["order"] is None else doc["order"]
            lines.append(f"{kind}: order up to {order}; expected cost to the end "
                         f"{doc['cost_to_end']:.6g}")
            for c in doc["customers"]:
                lines.append(f"  {c['name']}: P(penalty) {100 * c['p_penalty']:.4f}%, "
                             f"P(neutral) {100 * c['p_neutral']:.4f}%, P(bonus) "
                             f"{100 * c['p_bonus']:.4f}%, expected settlement "
                             f"{c['expected_settlement']:.6g}")
        return "\n".join(lines)


def monitor_customers(problem: CustomersProblem, log: CustomersLog, *, max_stock=None,
                      exact: bool = False) -> CustomersMonitor:
    """Both policies' outlook from the logged state (docs/model.md sections 13 and 15).

    Examples
    --------
    >>> from slamarkov import Contract, Poisson
    >>> from slamarkov.model.customers import Customer, CustomersProblem
    >>> p = CustomersProblem([Customer(n, Contract.study(10), Poisson(5)) for n in "ab"], 1)
    >>> log = parse_customers_log("period,ready_a,ready_b\\n1,0,0\\n2,0,0\\n3,0,0\\n", p)
    >>> m = monitor_customers(p, log)
    >>> round(m.to_dict()["dynamic"]["customers"][0]["p_penalty"], 12)  # 3 of 10 missed
    1.0
    """
    sols = {"dynamic": solve_customers_dynamic(problem, max_stock=max_stock, exact=exact),
            "static": solve_customers_static(problem, max_stock=max_stock, exact=exact)}
    i = log.periods + 1
    x = log.stock_on_hand if problem.carries and i > 1 else None
    outlooks, orders = {}, {}
    for kind, sol in sols.items():
        try:
            outlooks[kind] = outlook_from(sol, i, log.ready_counts, x)
        except ChainError as exc:
            raise MonitorError(f"log: {exc}") from None
        orders[kind] = sol.order(i, log.ready_counts, x) if i <= problem.review_period else None
    return CustomersMonitor(problem, log, outlooks, orders)
