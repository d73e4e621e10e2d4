r"""Whom each state sacrifices first: inspecting a dynamic policy for several customers sharing
one stock (docs/model.md section 15).

In a state :math:`(i, v_1, \dots, v_k[, x])` the customer sacrificed first is the one the policy
leaves out when every k - 1 of the customers fit together but not all k (every other customer is
then served): for two customers, the one not served when each fits alone but not both. The
report lists it for every state, with the order placed there and the probability of reaching the
state from the start (the forward pass of the chain), and sums, per customer, the probability
mass of the states that sacrifice it first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..chain.customers import ReadyCounts
from ..errors import ChainError
from ..solve.customers import (CustomersSolution, family_probabilities,
                               state_probabilities, stock_levels)

__all__ = ["sacrificed_first", "CustomersInspection", "inspect_customers"]


def sacrificed_first(solution: CustomersSolution, i: int) -> np.ndarray:
    """For each state of period i (score index by stock column), the customer (0-based) the
    dynamic policy sacrifices first, or -1 where the demands never make that choice at the
    state's order (docs/model.md section 15).

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform
    >>> from slamarkov.model.customers import Customer, CustomersProblem
    >>> from slamarkov.solve.customers import solve_customers_dynamic
    >>> p = CustomersProblem([Customer(n, Contract.study(2), DiscreteUniform(0, 2))
    ...                       for n in "ab"], 2)
    >>> sacrificed_first(solve_customers_dynamic(p, exact=True), 1).tolist()
    [[1]]
    """
    if solution.kind != "dynamic":
        raise ChainError("inspect: whom a state sacrifices first is a question for the dynamic "
                         "policy (a static rule fixes it)")
    k = solution.problem.k
    # the family of every set of at most k - 1 customers: all fit but k together
    fam = 0
    for a in range(2**k):
        if bin(a).count("1") <= k - 1:
            fam |= 1 << a
    orders = solution.orders[i - 1]
    out = np.full(orders.shape, -1, dtype=np.int64)
    where = np.flatnonzero(solution.families == fam)
    if k < 2 or not len(where):
        return out
    f = where[0]
    chosen = solution.allocation[i - 1][f][:, 0].astype(np.int64)  # x' = 0: D > y
    missing = (2**k - 1) ^ chosen
    first = np.array([int(m).bit_length() - 1 if m and m & (m - 1) == 0 else -1
                      for m in missing])
    occurs = family_probabilities(solution)[:, f, :].sum(axis=1) > 0  # by order y
    out[:] = np.where(occurs[orders.astype(np.int64)], first[:, None], -1)
    return out


@dataclass(frozen=True)
class CustomersInspection:
    """The states of a dynamic policy with whom each sacrifices first (see the module)."""

    names: tuple
    rows: list
    mass: dict

    def to_dict(self) -> dict:
        return {"states": self.rows, "sacrificed_first_probability": self.mass}

    def to_text(self) -> str:
        lines = ["whom each reachable state sacrifices first (when every customer but one fits "
                 "together), with the probability of the state:"]
        for r in self.rows:
            if r["probability"] > 0:
                who = r["sacrificed_first"] or "-"
                counts = ",".join(str(v) for v in r["ready_counts"].values())
                x = f" x={r['stock_on_hand']}" if "stock_on_hand" in r else ""
                lines.append(f"  i={r['period']:<3} v=({counts}){x}  order {r['order']:<3} "
                             f"sacrifices {who:<12} P(state) {r['probability']:.4g}")
        lines.append("expected periods in states that sacrifice each customer first: "
                     + ", ".join(f"{n} {m:.4f}" for n, m in self.mass.items()))
        return "\n".join(lines)


def inspect_customers(solution: CustomersSolution) -> CustomersInspection:
    """Every state of the dynamic policy: its order, whom it sacrifices first and its
    probability from the start.

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform
    >>> from slamarkov.model.customers import Customer, CustomersProblem
    >>> from slamarkov.solve.customers import solve_customers_dynamic
    >>> p = CustomersProblem([Customer(n, Contract.study(2), DiscreteUniform(0, 2))
    ...                       for n in "ab"], 2)
    >>> rep = inspect_customers(solve_customers_dynamic(p, exact=True))
    >>> rep.rows[0]["sacrificed_first"], rep.mass["b"]
    ('b', 2.0)
    """
    p = solution.problem
    T = p.review_period
    score = ReadyCounts(T, p.names)
    probs = state_probabilities(solution)
    rows, mass = [], {n: 0.0 for n in p.names}
    for i in range(1, T + 1):
        first = sacrificed_first(solution, i)
        vals = score.values(i)
        orders = solution.orders[i - 1]
        levels = stock_levels(p, i, solution.max_stock).tolist()
        for s in range(len(vals)):
            for c, x in enumerate(levels):
                pr = float(probs[i - 1][s, c])
                row = {"period": i, "ready_counts": dict(zip(p.names, map(int, vals[s])))}
                if p.carries:
                    row["stock_on_hand"] = x
                who = p.names[first[s, c]] if first[s, c] >= 0 else None
                row.update(order=int(orders[s, c]), sacrificed_first=who, probability=pr)
                rows.append(row)
                if who is not None:
                    mass[who] += pr
    return CustomersInspection(p.names, rows, mass)
