r"""Several customers sharing one stock: the dynamic and static policies and their exact
distributions (docs/model.md section 15).

The dynamic program runs over the states :math:`(i, v_1, \dots, v_k[, x])`:

.. math::

    V_i(v, x) = \min_y \Big\{ c(y - x)^+ + c E(D - y)^+ + h E(y - D)^+
        + \sum_{\mathcal F, x'} \pi_y(\mathcal F, x') \min_{A \in \mathcal F} V_{i+1}(v + 1_A, x')
        \Big\}

with :math:`\pi_y` the probability of each family of feasible sets jointly with the leftover
(:func:`~slamarkov.chain.customers.period_outcomes`). Per stage: the best set of each family for
every (state, leftover), one pass per family over its sets in preference order; the expectation
over (family, leftover) for every order, one matrix product; the smallest best order per state.
Everything is vectorised over the states of a layer; the loop runs over the stages.

The static policies (one base stock S, a fixed allocation rule) are scored by one forward pass
per customer over (i, v_j, x) for each S, and the best S's joint distribution by one forward pass
over the whole space. The same forward pass gives each policy's joint pmf of the final ready
counts, the customers' marginals and their expected sacrificed periods.

The module is long but one concern, a several-customers solution: its type, the two solvers that
make it and the row queries from a state all run on one private set-up and one forward pass
(``_setup_of``, ``_forward``), which splitting the module would have to export.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ..chain.customers import (ReadyCounts, feasible_family, marginal, period_outcomes,
                               preference_order, rule_served, set_members)
from ..chain.distribution import ReadyRateDistribution
from ..core.limits import EXACT_MAX_WORK, check_bytes, format_count
from ..core.numbers import rounding_resolution
from ..errors import ChainError, SizeError, SolverError
from ..model.customers import (ALLOCATION_RULES, CustomersProblem, demand_pmf,
                               total_demand_pmf)

__all__ = ["CustomersSolution", "solve_customers_dynamic", "solve_customers_static",
           "solve_customers_both", "customers_stock_range", "check_customers_size",
           "policy_outcomes", "CustomersOutlook", "outlook_from", "state_probabilities",
           "family_probabilities", "stock_levels"]


@dataclass(frozen=True)
class CustomersSolution:
    r"""One policy for several customers, with its exact outcomes (docs/model.md section 15).

    Attributes
    ----------
    problem : CustomersProblem
    kind : {"dynamic", "static"}
    rule : str or None
        The static policy's allocation rule (None for the dynamic policy).
    base_stock : int or None
        The static policy's S* (None for the dynamic policy).
    value_start, cost_per_period
        The expected cost of a review period and per period.
    joint_pmf : ndarray, shape (T + 1,) * k
        :math:`P(v_{T,1} = w_1, \dots, v_{T,k} = w_k)`.
    ready_rates : tuple of ReadyRateDistribution
        Each customer's marginal (file order).
    sacrificed : ndarray, shape (k,)
        Expected periods in which each customer's demand fit alone but it was not served.
    orders : list of ndarray
        ``orders[i - 1]``: the order-up-to level of each state of layer i, shape
        (i^k, stock levels).
    allocation : list of ndarray or None
        Dynamic only: ``allocation[i - 1][f, s, x']``, the set (bit mask) served in state s of
        layer i when the feasible family is ``families[f]`` and the leftover x'.
    families : ndarray
        The families of feasible sets (bit masks over the sets), see
        :func:`~slamarkov.chain.customers.period_outcomes`.
    max_stock : int
        K, the top of the order range.
    """

    problem: CustomersProblem
    kind: str
    rule: str | None
    base_stock: int | None
    value_start: object
    cost_per_period: object
    joint_pmf: np.ndarray = field(repr=False)
    ready_rates: tuple = field(repr=False)
    sacrificed: np.ndarray = field(repr=False)
    orders: list = field(repr=False)
    allocation: list | None = field(repr=False)
    families: np.ndarray = field(repr=False)
    max_stock: int = 0
    exact: bool = False

    def order(self, i: int, counts, x=None):
        """The order-up-to level in state (i, counts[, x]).

        Examples
        --------
        >>> from slamarkov import Contract, DiscreteUniform
        >>> from slamarkov.model.customers import Customer, CustomersProblem
        >>> p = CustomersProblem([Customer(n, Contract.study(2), DiscreteUniform(0, 2))
        ...                       for n in "ab"], 2)
        >>> solve_customers_dynamic(p, exact=True).order(1, (0, 0))
        3
        """
        s, x = locate_state(self, i, counts, x, transient=True)
        col = 0 if (i == 1 or not self.problem.carries) else x
        return int(self.orders[i - 1][s, col])

    def serve(self, i: int, counts, y: int, demands, x=None) -> tuple:
        """The customers (0-based, file order) served in full in state (i, counts[, x]) when
        the order is ``y`` and the demands are ``demands`` (the dynamic policy's allocation, or
        the static rule's).

        Examples
        --------
        >>> from slamarkov import Contract, DiscreteUniform
        >>> from slamarkov.model.customers import Customer, CustomersProblem
        >>> p = CustomersProblem([Customer(n, Contract.study(2), DiscreteUniform(0, 2))
        ...                       for n in "ab"], 2)
        >>> solve_customers_dynamic(p, exact=True).serve(1, (0, 0), 3, (2, 2))
        (0,)
        """
        k = self.problem.k
        s, x = locate_state(self, i, counts, x, transient=True)
        if isinstance(y, bool) or not isinstance(y, (int, np.integer)) \
                or not (x if self.problem.carries else 0) <= y <= self.max_stock:
            low = x if self.problem.carries else 0
            raise ChainError(f"order: must be an integer in {low}..{self.max_stock} (the stock "
                             f"on hand up to the top of the order range), got {y!r}")
        d = list(demands) if np.ndim(demands) == 1 else None
        if d is None or len(d) != k or any(
                isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 0 for t in d):
            raise ChainError(f"demands: must be {k} non-negative integers (one per customer, "
                             f"file order), got {demands!r}")
        d = [int(t) for t in d]
        if self.kind == "static":
            a = int(rule_served(np.array([d], dtype=np.int64), y, self.rule)[0])
            return set_members(a, k)
        fam = int(feasible_family(np.array([d], dtype=np.int64), y)[0])
        f = int(np.searchsorted(self.families, fam))
        if f >= len(self.families) or self.families[f] != fam:
            raise SolverError(f"demands: {tuple(d)} at order {y} give a family of feasible sets "
                              "of probability 0")
        xp = max(y - sum(d), 0) if self.problem.carries else 0
        a = int(self.allocation[i - 1][f, s, xp])
        return set_members(a, k)


def customers_stock_range(problem: CustomersProblem, max_stock=None) -> int:
    """K, the top of the order range: the larger of the user's ``max_stock`` and the pooled
    critical fractile (docs/model.md section 15), at least the initial stock.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson
    >>> from slamarkov.model.customers import Customer, CustomersProblem
    >>> p = CustomersProblem([Customer(n, Contract.study(10), Poisson(5)) for n in "ab"], 0.5)
    >>> customers_stock_range(p) >= 15
    True
    """
    if max_stock is not None:
        if isinstance(max_stock, bool) or not isinstance(max_stock, (int, np.integer)) \
                or max_stock < 0:
            raise SolverError(f"solver.max_stock: must be a non-negative integer, got {max_stock!r}")
    bound = problem.stock_bound()
    if math.isinf(bound):
        if max_stock is None:
            raise SolverError("solver.max_stock: required, no finite bound follows from this demand")
        bound = 0
    top = int(bound) if max_stock is None else max(int(max_stock), int(bound))
    return max(top, int(problem.initial_stock))


def stock_levels(problem: CustomersProblem, i: int, K: int) -> np.ndarray:
    """The stock on hand a state of period i may hold, one per stock column: the initial stock
    in period 1, 0..K with carry, else 0 (leftover stock is thrown away).

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform
    >>> from slamarkov.model.customers import Customer, CustomersProblem
    >>> p = CustomersProblem([Customer(n, Contract.study(2), DiscreteUniform(0, 2))
    ...                       for n in "ab"], 2)
    >>> stock_levels(p, 1, 3).tolist(), stock_levels(p, 2, 3).tolist()
    ([0], [0])
    """
    if i == 1:
        return np.array([int(problem.initial_stock)])
    return np.arange(K + 1) if problem.carries else np.zeros(1, dtype=np.int64)


def _layer_width(problem, i, K):
    return K + 1 if problem.carries and i > 1 else 1


def check_customers_size(problem: CustomersProblem, K: int, exact: bool = False) -> int:
    """Refuse, before anything is allocated, a problem whose state space or per-period tables do
    not fit in memory (or, in exact mode, whose work is too large); returns the number of
    transient states.

    Raises
    ------
    SizeError
        One line naming ``customer`` (the number of customers), the sizes and the limit.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson
    >>> from slamarkov.model.customers import Customer, CustomersProblem
    >>> p = CustomersProblem([Customer(n, Contract.study(10), Poisson(5)) for n in "ab"], 0.5)
    >>> check_customers_size(p, 20)
    385
    """
    T, k = problem.review_period, problem.k
    X = K + 1 if problem.carries else 1
    states = sum(i**k * _layer_width(problem, i, K) for i in range(1, T + 1))
    biggest = max(i**k * _layer_width(problem, i, K) for i in range(1, T + 1))
    families = {1: 2, 2: 5, 3: 19}.get(k, 2 ** (2**k - 1))
    cells = (K + 2) ** k
    need = (8 * states  # the orders
            + states // _layer_width(problem, T, K) * families * X  # the allocation (int8)
            + 8 * 4 * (K + 1) * biggest * X  # one stage's costs of every order
            + 8 * 3 * (2**k + families) * (T + 1) ** k * X  # continuation values
            + 8 * (4 + 2**k) * cells * 3  # one order's demand cells
            + 8 * (K + 1) * (families + 2 * 2**k) * X)
    what = (f"k = {k} customers at T = {T} with orders 0..{K}: {format_count(states)} "
            f"states and {format_count(cells)} demand cells per order")
    if exact and states * (K + 1) * max(families, 2**k) * X > EXACT_MAX_WORK:
        raise SizeError(f"customer: {what}, too much work for exact arithmetic (use exact = "
                        "false)")
    check_bytes(need, "customer", what)
    return states


class _Setup:
    """What both policies share: sizes, per-period tables and the score."""

    def __init__(self, problem: CustomersProblem, max_stock, exact: bool):
        if not isinstance(problem, CustomersProblem):
            raise SolverError("problem: must be a slamarkov CustomersProblem")
        if exact and not problem.rational:
            bad = next(c for c in problem.customers if not c.demand.rational)
            raise SolverError(
                f"exact: customer {bad.name!r}'s demand {bad.demand.describe()} has no rational "
                "probabilities; use discrete-uniform or empirical demand, or exact=False")
        self.problem = problem
        self.exact = exact
        self.T, self.k = problem.review_period, problem.k
        self.K = K = customers_stock_range(problem, max_stock)
        check_customers_size(problem, K, exact)
        self.carry = problem.carries
        self.X = K + 1 if self.carry else 1
        self.dtype = object if exact else np.float64
        self.pmfs = [demand_pmf(c.demand, K, exact) for c in problem.customers]
        self.cdfs = [p.cumsum() for p in self.pmfs]
        self.tails = [1 - F for F in self.cdfs]
        self.outcomes = period_outcomes(self.pmfs, self.tails, K, carry=self.carry,
                                        rules=ALLOCATION_RULES, exact=exact)
        self.score = ReadyCounts(self.T, problem.names)
        c, h, s = problem.purchase_cost, problem.holding_cost, problem.salvage_value
        if not exact:
            c, h, s = float(c), float(h), float(s)
        self.c, self.h, self.s = c, h, s
        pD = total_demand_pmf(problem, K, exact)
        mean = sum((cu.demand.mean_value(exact) for cu in problem.customers),
                   Fraction(0) if exact else 0.0)
        y = np.arange(K + 1)
        over = np.array([sum((yy - t) * pD[t] for t in range(yy + 1)) for yy in range(K + 1)],
                        dtype=self.dtype) if exact else np.array(
            [np.dot(yy - np.arange(yy + 1), pD[: yy + 1]) for yy in range(K + 1)])
        under = mean - y + over  # E(D - y)^+
        self.period = c * under + h * over  # the expected cost of a period, less c (y - x)^+
        self.levels = [None] + [self.stock_levels(i) for i in range(1, self.T + 2)]
        G = self.score.settlement([cu.contract for cu in problem.customers], exact=exact)
        terminal = G[:, None] + np.zeros(self.X, dtype=self.dtype)
        if self.carry:
            terminal = terminal - s * np.arange(self.X)
        self.terminal = terminal

    def stock_levels(self, i):
        return stock_levels(self.problem, i, self.K)

    def zeros(self, shape):
        """An array of zeros of the mode's type (exact: Fraction(0) in every cell)."""
        out = np.zeros(shape, dtype=self.dtype)
        if self.exact:
            out[...] = Fraction(0)
        return out

    def immediate(self, i):
        """(K + 1, width): the expected cost of period i for each order y and stock on hand x,
        with +inf where the order is not allowed (y < x with carry)."""
        x = self.levels[i]
        y = np.arange(self.K + 1)
        buy = np.maximum(y[:, None] - x[None, :], 0)
        cost = self.period[:, None] + self.c * buy
        if self.carry:
            cost = np.where(y[:, None] >= x[None, :], cost, math.inf).astype(self.dtype)
        return cost

    def tolerance(self, values, stages):
        return 0 if self.exact else rounding_resolution(values, stages)


def _setup_of(solution):
    """The setup a solution was solved with (its problem, order range and mode)."""
    return _Setup(solution.problem, solution.max_stock, solution.exact)


def _ready_rates(problem, joint):
    """Each customer's marginal of the joint pmf of the final ready counts (file order)."""
    return tuple(ReadyRateDistribution(cu.contract, marginal(joint, j))
                 for j, cu in enumerate(problem.customers))


def _first_best(stack, tol, exact):
    """Along axis 0: the first index whose value is within ``tol`` of the minimum, and that
    value (exact mode: the first exact minimiser)."""
    if exact:
        best = stack[0]
        for row in stack[1:]:
            best = np.where(np.asarray(row < best, dtype=bool), row, best)
        ok = np.asarray(stack == best[None], dtype=bool)
    else:
        ok = stack <= stack.min(axis=0)[None] + tol
    idx = ok.argmax(axis=0)
    return idx, np.take_along_axis(stack, idx[None], axis=0)[0]


def solve_customers_dynamic(problem: CustomersProblem, *, max_stock=None,
                            exact: bool = False) -> CustomersSolution:
    r"""The strategic supplier's optimal order and allocation in every state (docs/model.md
    section 15).

    Ties: the smallest order; among the sets of least continuation value the one serving the
    most customers, then the first in file order (sorted index lists compared
    lexicographically). In float mode values within the rounding resolution count as tied.

    Parameters
    ----------
    problem : CustomersProblem
    max_stock : int, optional
        Top of the order range (default: the pooled critical fractile).
    exact : bool, default False
        Exact rational arithmetic (rational demands only).

    Returns
    -------
    CustomersSolution

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform
    >>> from slamarkov.model.customers import Customer, CustomersProblem
    >>> p = CustomersProblem([Customer(n, Contract.study(2), DiscreteUniform(0, 2))
    ...                       for n in "ab"], 2)
    >>> sol = solve_customers_dynamic(p, exact=True)
    >>> sol.cost_per_period, sol.joint_pmf.sum()
    (Fraction(-176, 81), Fraction(1, 1))
    """
    st = _Setup(problem, max_stock, exact)
    T, k, X = st.T, st.k, st.X
    fams = st.outcomes.families
    pref = preference_order(k)
    members = [np.array([a for a in pref if f >> a & 1], dtype=np.int64) for f in fams]
    P = st.outcomes.family  # (K + 1, F, X)
    Vn = st.terminal  # (n_{i+1}, X)
    orders, allocation = [None] * T, [None] * T
    for i in range(T, 0, -1):
        succ = st.score.successors(i)  # (2^k, n_i)
        cand = Vn[succ]  # (2^k, n_i, X)
        tol = st.tolerance(Vn, T - i + 1)
        chosen = np.empty((len(fams),) + cand.shape[1:], dtype=np.int8)
        Wc = np.empty((len(fams),) + cand.shape[1:], dtype=st.dtype)
        for f, m in enumerate(members):
            idx, val = _first_best(cand[m], tol, exact)
            chosen[f] = m[idx]
            Wc[f] = val
        cont = np.tensordot(P, Wc, axes=([1, 2], [0, 2]))  # (K + 1, n_i)
        total = cont[:, :, None] + st.immediate(i)[:, None, :]  # (K + 1, n_i, width)
        tol_y = 0 if exact or not problem.rational else rounding_resolution(
            np.where(np.isfinite(total), total, 0), T - i + 1)
        y, V = _first_best(total, tol_y, exact)
        orders[i - 1] = y
        allocation[i - 1] = chosen
        Vn = V
    value = Vn[0, 0]
    return _finish(st, "dynamic", None, None, value, orders, allocation)


def policy_outcomes(solution: CustomersSolution):
    """The joint pmf of the final ready counts and the expected sacrificed periods of a solved
    policy, recomputed by the forward pass over the layers (docs/model.md section 15).

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform
    >>> from slamarkov.model.customers import Customer, CustomersProblem
    >>> p = CustomersProblem([Customer(n, Contract.study(2), DiscreteUniform(0, 2))
    ...                       for n in "ab"], 2)
    >>> sol = solve_customers_static(p, exact=True)
    >>> joint, sacrificed = policy_outcomes(sol)
    >>> bool((joint == sol.joint_pmf).all()), joint.sum()
    (True, Fraction(1, 1))
    """
    st = _setup_of(solution)
    return _forward(st, solution.orders, solution.allocation, solution.rule)[:2]


def family_probabilities(solution: CustomersSolution) -> np.ndarray:
    r""":math:`\pi_y(\mathcal F, x')` for the solution's families (``solution.families``), by
    order y = 0..K and leftover (docs/model.md section 15).

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform
    >>> from slamarkov.model.customers import Customer, CustomersProblem
    >>> p = CustomersProblem([Customer(n, Contract.study(2), DiscreteUniform(0, 2))
    ...                       for n in "ab"], 2)
    >>> family_probabilities(solve_customers_dynamic(p, exact=True)).sum(axis=(1, 2)).tolist()
    [Fraction(1, 1), Fraction(1, 1), Fraction(1, 1), Fraction(1, 1), Fraction(1, 1)]
    """
    return _setup_of(solution).outcomes.family


def state_probabilities(solution: CustomersSolution) -> list:
    """The probability of each state from the start: for period i = 1..T an array (score
    states, stock columns), the forward pass of the chain (docs/model.md section 15).

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform
    >>> from slamarkov.model.customers import Customer, CustomersProblem
    >>> p = CustomersProblem([Customer(n, Contract.study(2), DiscreteUniform(0, 2))
    ...                       for n in "ab"], 2)
    >>> [m.sum() for m in state_probabilities(solve_customers_dynamic(p, exact=True))]
    [Fraction(1, 1), Fraction(1, 1)]
    """
    st = _setup_of(solution)
    keep = []
    _forward(st, solution.orders, solution.allocation, solution.rule, keep=keep)
    return keep


@dataclass(frozen=True)
class CustomersOutlook:
    """What a policy promises from a state in the middle of a review period (docs/model.md
    sections 6 and 15): the joint pmf of the final ready counts (the state's row of B), each
    customer's marginal, the expected sacrificed periods still to come, the expected cost to
    the end, and the state's row of N: ``visits[m]`` the probability of each state (score
    index, stock column) of period i + m, the chain being a layered DAG."""

    state: tuple
    joint_pmf: np.ndarray = field(repr=False)
    ready_rates: tuple = field(repr=False)
    sacrificed: np.ndarray = field(repr=False)
    cost: object = None
    visits: list = field(default=None, repr=False)


def locate_state(solution: CustomersSolution, i: int, counts, x=None,
                 transient: bool = False) -> tuple:
    """Check a state (i, v_1..v_k[, x]) of a several-customers chain and locate it: the flat
    index of the ready counts in layer i and the stock on hand (docs/model.md section 15).

    ``transient=True`` admits periods 1..T only (a state in which an order is placed); otherwise
    T + 1, the end of the review period, too. ``x`` may be omitted where only one stock level
    is possible (period 1, or stock thrown away).

    Raises
    ------
    ChainError
        On a state outside the chain, naming it and the rule.

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform
    >>> from slamarkov.model.customers import Customer, CustomersProblem
    >>> p = CustomersProblem([Customer(n, Contract.study(2), DiscreteUniform(0, 2))
    ...                       for n in "ab"], 2)
    >>> sol = solve_customers_dynamic(p, exact=True)
    >>> locate_state(sol, 2, (1, 0))
    (2, 0)
    >>> locate_state(sol, 2, (2, 0))
    Traceback (most recent call last):
    ...
    slamarkov.errors.ChainError: state: ready counts (2, 0) are not a state of period 2 (2 counts: 0 <= v_j < i for every customer j)
    """
    p = solution.problem
    T = p.review_period
    last = T if transient else T + 1
    if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 1 <= i <= last:
        raise ChainError(f"state: period must lie in 1..{last}, got {i!r}")
    score = ReadyCounts(T, p.names)
    try:
        counts = tuple(counts)
        s = score.locate(i, counts)
    except (TypeError, ValueError):
        s = None
    if s is None:
        raise ChainError(f"state: ready counts {counts} are not a state of period {i} ({p.k} "
                         f"counts: {score.rule() if i <= T else f'0 <= v_j <= {T} at the end'})")
    K = solution.max_stock
    allowed = stock_levels(p, i, K).tolist()
    if x is None:
        x = allowed[0] if len(allowed) == 1 else None
    if x is None or isinstance(x, bool) or not isinstance(x, (int, np.integer)) \
            or x not in allowed:
        what = (f"the initial stock {allowed[0]}" if i == 1 else
                f"0..{K}" if p.carries else "0 (leftover stock is thrown away)")
        raise ChainError(f"state: stock on hand at period {i} must be {what}, got {x!r}")
    return int(s), int(x)


def outlook_from(solution: CustomersSolution, i: int, counts, x=None) -> CustomersOutlook:
    """The row queries of the chain over (i, v_1..v_k[, x]) from one state (docs/model.md
    section 15): period i (T + 1: the end), each customer's ready periods so far, and with
    carry the stock on hand (period 1: the initial stock).

    Raises
    ------
    ChainError
        On a state outside the chain, naming it and the rule.

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform
    >>> from slamarkov.model.customers import Customer, CustomersProblem
    >>> p = CustomersProblem([Customer(n, Contract.study(2), DiscreteUniform(0, 2))
    ...                       for n in "ab"], 2)
    >>> sol = solve_customers_dynamic(p, exact=True)
    >>> outlook_from(sol, 1, (0, 0)).cost == sol.value_start
    True
    >>> outlook_from(sol, 3, (2, 1)).joint_pmf[2, 1]
    Fraction(1, 1)
    >>> [m.sum() for m in outlook_from(sol, 1, (0, 0)).visits]  # each period is visited once
    [Fraction(1, 1), Fraction(1, 1)]
    """
    p = solution.problem
    s, x = locate_state(solution, i, counts, x)
    counts = tuple(counts)
    col = 0 if (i == 1 or not p.carries) else int(x)
    st = _setup_of(solution)
    visits = []
    joint, sac, cost = _forward(st, solution.orders, solution.allocation, solution.rule,
                                start=(i, s, col), keep=visits)
    return CustomersOutlook((i, *counts) + ((x,) if p.carries else ()), joint,
                            _ready_rates(p, joint), sac,
                            cost if solution.exact else float(cost), visits)


def _finish(st, kind, rule, S, value, orders, allocation):
    joint, sacrificed, _ = _forward(st, orders, allocation, rule)
    T = st.T
    return CustomersSolution(
        problem=st.problem, kind=kind, rule=rule, base_stock=S,
        value_start=value if st.exact else float(value),
        cost_per_period=value / T if st.exact else float(value) / T,
        joint_pmf=joint, ready_rates=_ready_rates(st.problem, joint), sacrificed=sacrificed, orders=orders,
        allocation=allocation, families=st.outcomes.families, max_stock=st.K, exact=st.exact)


def _forward(st, orders, allocation, rule, start=(1, 0, 0), keep=None):
    """The joint pmf of the final ready counts, the expected sacrificed periods and the expected
    cost to the end, by one forward pass over the layers from the state ``start`` = (period,
    score index, stock column) (docs/model.md section 15)."""
    T, k, X = st.T, st.k, st.X
    zero = Fraction(0) if st.exact else 0.0
    i0, s0, c0 = start
    mass = st.zeros((st.score.size(i0), X if i0 == T + 1 else len(st.levels[i0])))
    mass[s0, c0] = Fraction(1) if st.exact else 1.0
    sacrificed = np.array([zero] * k, dtype=st.dtype)
    cost = zero
    bits = 1 << np.arange(k)
    for i in range(i0, T + 1):
        if keep is not None:
            keep.append(mass)
        y = orders[i - 1]  # (n_i, width)
        imm = st.immediate(i)
        cost = cost + (mass * imm[y, np.arange(y.shape[1])[None, :]]).sum()
        succ = st.score.successors(i)
        nxt = st.zeros((st.score.size(i + 1), X))
        if allocation is not None:
            P = st.outcomes.family[y]  # (n_i, width, F, X)
            for f, fam in enumerate(st.outcomes.families):
                flow = (mass[:, :, None] * P[:, :, f, :]).sum(axis=1)  # (n_i, X)
                a = allocation[i - 1][f].astype(np.int64)  # (n_i, X)
                target = succ[a, np.arange(a.shape[0])[:, None]]  # (n_i, X)
                _add(nxt, (target, np.broadcast_to(np.arange(X), a.shape)), flow, st.exact)
                for j in range(k):
                    if fam >> int(bits[j]) & 1:  # customer j fits alone
                        lost = (a >> j & 1) == 0
                        sacrificed[j] = sacrificed[j] + (flow * lost).sum()
        else:
            P = st.outcomes.served[rule][y]  # (n_i, width, 2^k, X)
            for a in range(2**k):
                flow = (mass[:, :, None] * P[:, :, a, :]).sum(axis=1)
                nxt[succ[a]] += flow
            lost = st.outcomes.sacrificed[rule][y]  # (n_i, width, k)
            for j in range(k):
                sacrificed[j] = sacrificed[j] + (mass * lost[:, :, j]).sum()
        mass = nxt
    cost = cost + (mass * st.terminal).sum()
    joint = mass.sum(axis=1).reshape((T + 1,) * k)
    return joint, sacrificed, cost


def _add(target, index, values, exact):
    if exact:
        np.add.at(target, index, values)
    else:
        flat = np.ravel_multi_index(index, target.shape)
        target += np.bincount(flat.ravel(), weights=values.ravel(),
                              minlength=target.size).reshape(target.shape)


def solve_customers_static(problem: CustomersProblem, rule: str | None = None, *,
                           max_stock=None, exact: bool = False) -> CustomersSolution:
    r"""The non-strategic supplier's best base stock S* for a fixed allocation rule
    (docs/model.md section 15): order up to max(S, x), serve by ``rule``; S* is the smallest
    minimiser of the expected cost over 0..K.

    Parameters
    ----------
    problem : CustomersProblem
    rule : {"priority", "smallest-first"}, optional
        Default: the problem's ``allocation``.

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform
    >>> from slamarkov.model.customers import Customer, CustomersProblem
    >>> p = CustomersProblem([Customer(n, Contract.study(2), DiscreteUniform(0, 2))
    ...                       for n in "ab"], 2)
    >>> sol = solve_customers_static(p, exact=True)
    >>> sol.base_stock, sol.cost_per_period
    (3, Fraction(-170, 81))
    """
    rule = problem.allocation if rule is None else rule
    if rule not in ALLOCATION_RULES:
        raise SolverError(f"allocation.rule: must be one of {', '.join(map(repr, ALLOCATION_RULES))}"
                          f", got {rule!r}")
    st = _Setup(problem, max_stock, exact)
    costs = [_static_cost(st, S, rule) for S in range(st.K + 1)]
    if exact:
        best = min(costs)
        S = costs.index(best)
    else:
        arr = np.array(costs)
        tol = rounding_resolution(arr, st.T) if problem.rational else 0.0
        S = int(np.flatnonzero(arr <= arr.min() + tol)[0])
    orders = [np.maximum(S, st.levels[i])[None, :].repeat(st.score.size(i), axis=0)
              for i in range(1, st.T + 1)]
    return _finish(st, "static", rule, S, costs[S], orders, None)


def _static_cost(st, S, rule):
    """The expected cost of a review period under base stock S and ``rule``: the stock on hand
    follows its own chain; each customer's count, with it, its own (i, v_j, x) chain."""
    T, k, X = st.T, st.k, st.X
    served = st.outcomes.served[rule]  # (K + 1, 2^k, X)
    one = Fraction(1) if st.exact else 1.0
    total = 0
    # the stock on hand: x -> x' with the order max(S, x)
    px = np.array([one], dtype=st.dtype)
    for i in range(1, T + 1):
        x = st.levels[i]
        y = np.maximum(S, x)
        imm = st.immediate(i)[y, np.arange(len(x))]
        total = total + (px * imm).sum()
        px = px @ served[y].sum(axis=1)  # (X,)
    if st.carry:
        total = total - st.s * (px * np.arange(X)).sum()
    for j, cu in enumerate(st.problem.customers):
        with_j = [a for a in range(2**k) if a >> j & 1]
        without = [a for a in range(2**k) if not a >> j & 1]
        m = np.zeros((1, 1), dtype=st.dtype)
        m[0, 0] = one
        for i in range(1, T + 1):
            x = st.levels[i]
            y = np.maximum(S, x)
            hit = served[y][:, with_j, :].sum(axis=1)  # (width, X)
            miss = served[y][:, without, :].sum(axis=1)
            nxt = st.zeros((i + 1, X))
            nxt[:i] += m @ miss
            nxt[1:] += m @ hit
            m = nxt
        pmf = m.sum(axis=1)
        total = total + (pmf * cu.contract.settlement(exact=st.exact)).sum()
    return total


def solve_customers_both(problem: CustomersProblem, *, max_stock=None, exact: bool = False):
    """The dynamic policy and the static policy of the problem's rule.

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform
    >>> from slamarkov.model.customers import Customer, CustomersProblem
    >>> p = CustomersProblem([Customer(n, Contract.study(2), DiscreteUniform(0, 2))
    ...                       for n in "ab"], 2)
    >>> dyn, sta = solve_customers_both(p, exact=True)
    >>> dyn.cost_per_period <= sta.cost_per_period
    True
    """
    return (solve_customers_dynamic(problem, max_stock=max_stock, exact=exact),
            solve_customers_static(problem, max_stock=max_stock, exact=exact))
