r"""Two retailers sharing one stock: whom the strategic supplier serves (docs/model.md
section 15), on the study's grid.

Poisson(5) demand for each retailer, the study's amounts per period, leftover discarded; two
pairs of contracts: ``equal`` (both 0.8/0.9) and ``mixed`` (retailer a 0.8/0.9, retailer b
0.9/0.95). For each (pair, h, T): the dynamic policy against both static rules (cost per period,
each retailer's mean ready rate, P(penalty), P(bonus), expected sacrificed periods, the saving)
and against two separate stocks of the single-customer model (what pooling is worth).
"""

from __future__ import annotations

from ..core.progress import track
from ..errors import ConfigError
from ..io.tables import make_table
from ..model.contract import Contract
from ..model.customers import Customer, CustomersProblem
from ..model.demand import Poisson
from ..solve.customers import solve_customers_dynamic, solve_customers_static
from ..solve.dynamic import solve_dynamic

__all__ = ["customers_table", "CUSTOMER_PAIRS", "customers_problem"]

#: the pairs of contracts (penalty, bonus thresholds of retailers a and b)
CUSTOMER_PAIRS = {
    "equal": (("0.8", "0.9"), ("0.8", "0.9")),
    "mixed": (("0.8", "0.9"), ("0.9", "0.95")),
}
_POLICIES = (("dyn", None), ("priority", "priority"), ("smallest", "smallest-first"))
_METRICS = ("mean", "p_penalty", "p_bonus")


def customers_problem(pair: str, T: int, holding_cost, scheme: str = "lump-sum"):
    """The two retailers of ``pair`` at review period T (study amounts, Poisson(5) each).

    Examples
    --------
    >>> customers_problem("mixed", 10, 1).customers[1].contract.bonus_count
    10
    """
    if pair not in CUSTOMER_PAIRS:
        raise ConfigError(f"--pair: must be one of {', '.join(CUSTOMER_PAIRS)}, got {pair!r}")
    customers = [Customer(name, Contract.study(T, scheme, penalty_threshold=lo,
                                               bonus_threshold=hi), Poisson(5))
                 for name, (lo, hi) in zip("ab", CUSTOMER_PAIRS[pair])]
    return CustomersProblem(customers, holding_cost)


def customers_table(*, pairs=("equal", "mixed"), holding_costs=(0.5, 1, 1.5, 2),
                    review_periods=(10, 20, 30), scheme: str = "lump-sum", progress=None):
    r"""Two retailers sharing one stock against both static rules and two separate stocks.

    Columns: ``pair, h, T``; for each policy ``dyn``, ``priority``, ``smallest`` the cost per
    period ``<policy>_cost`` and, for each retailer a and b, ``<policy>_<metric>_<retailer>``
    with metric ``mean`` (ready rate), ``p_penalty``, ``p_bonus`` (fractions; percent in
    markdown) and ``<policy>_sacrificed_<retailer>`` (expected periods per review period);
    ``saving_priority`` and ``saving_smallest`` (static minus dynamic cost per period);
    ``separate_cost`` (two single-customer dynamic policies with their own stocks, summed) and
    ``pooling`` (``separate_cost`` minus ``dyn_cost``).

    Examples
    --------
    >>> t = customers_table(pairs=("mixed",), holding_costs=(1,), review_periods=(10,))
    >>> r = t.iloc[0]
    >>> bool(r["dyn_cost"] <= r["priority_cost"]), bool(r["pooling"] > 0)
    (True, True)
    """
    columns = ["pair", "h", "T"]
    for short, _ in _POLICIES:
        columns.append(f"{short}_cost")
        for who in "ab":
            columns += [f"{short}_{m}_{who}" for m in _METRICS]
            columns.append(f"{short}_sacrificed_{who}")
    columns += ["saving_priority", "saving_smallest", "separate_cost", "pooling"]
    cells = [(pair, h, T) for pair in pairs for h in holding_costs for T in review_periods]
    rows = []
    for pair, h, T in track(cells, progress, label="customers"):
        problem = customers_problem(pair, T, h, scheme)
        row = {"pair": pair, "h": h, "T": T}
        sols = {}
        for short, rule in _POLICIES:
            sol = (solve_customers_dynamic(problem) if rule is None
                   else solve_customers_static(problem, rule))
            sols[short] = sol
            row[f"{short}_cost"] = float(sol.cost_per_period)
            for who, rr, sac in zip("ab", sol.ready_rates, sol.sacrificed):
                for m in _METRICS:
                    row[f"{short}_{m}_{who}"] = float(getattr(rr, m))
                row[f"{short}_sacrificed_{who}"] = float(sac)
        row["saving_priority"] = row["priority_cost"] - row["dyn_cost"]
        row["saving_smallest"] = row["smallest_cost"] - row["dyn_cost"]
        row["separate_cost"] = sum(float(solve_dynamic(problem.customer_problem(j)).cost_per_period)
                                   for j in range(problem.k))
        row["pooling"] = row["separate_cost"] - row["dyn_cost"]
        rows.append(row)
    pct = [c for c in columns if any(c.startswith(f"{s}_{m}_") for s, _ in _POLICIES
                                     for m in _METRICS)]
    digits = {c: ".2f" for c in pct}
    digits.update({c: ".4f" for c in columns if c not in pct and c not in ("pair", "h", "T")})
    return make_table(
        "customers", columns, rows,
        title="Two retailers sharing one stock: dynamic vs static rules vs separate stocks",
        parameters={"demand": "Poisson(5) per retailer", "scheme": scheme,
                    "pairs": {p: [list(t) for t in CUSTOMER_PAIRS[p]] for p in pairs},
                    "leftover": "discard"},
        digits=digits, percent_columns=pct)
