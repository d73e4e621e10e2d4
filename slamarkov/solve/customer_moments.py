r"""Moments of the chain of several customers (docs/model.md section 15, moments): the mean and
variance of the cost of the rest of the review period and of its parts from a state, and, from
every transient state at once, the expected cost and its variance, the expected sacrificed
periods and each customer's P(penalty) and P(bonus), by one backward recursion over the layers
(no N).

A period in a state with stock on hand x and order y costs
:math:`X = a + \alpha H + \beta S` with :math:`a = c (y - x)^+`, :math:`H = (y - D)^+`,
:math:`S = (D - y)^+`, :math:`\alpha = h`, :math:`\beta = c` (each switched on or off by the part);
the next state depends on the period's *key* (the family of feasible sets for the dynamic policy,
the served set for a static rule) and the leftover :math:`x'`. The recursion needs, for each
order, key and leftover, :math:`P`, :math:`E[H 1]`, :math:`E[H^2 1]`, :math:`E[S 1]` and
:math:`E[S^2 1]` (:math:`HS = 0`), summed over the demand cells :math:`\{0..y, >y\}^k`; a cell
with a customer above y has :math:`H = 0` and :math:`S = D - y`, whose moments come from each
customer's partial moments :math:`E[d_j 1\{d_j > y\}]` and :math:`E[d_j^2 1\{d_j > y\}]`.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..chain.customers import ReadyCounts, feasible_family, period_outcomes, rule_served
from ..errors import ChainError
from ..model.customers import demand_pmf
from .customers import CustomersSolution, stock_levels

__all__ = ["period_cost_tables", "customers_cost_components", "customers_cost_moments",
           "customers_state_moments"]


def _zeros(shape, exact):
    out = np.zeros(shape, dtype=object if exact else np.float64)
    if exact:
        out[...] = Fraction(0)
    return out


def period_cost_tables(solution: CustomersSolution) -> np.ndarray:
    r"""For each order y = 0..K, key q and leftover x': :math:`P`, :math:`E[H 1]`,
    :math:`E[H^2 1]`, :math:`E[S 1]`, :math:`E[S^2 1]` of the event {key q, leftover x'}, with
    :math:`H = (y - D)^+` and :math:`S = (D - y)^+` (docs/model.md section 15, moments). The keys
    are ``solution.families`` (dynamic) or the served sets (static, bit masks 0..2^k - 1).

    Returns
    -------
    ndarray, shape (K + 1, keys, X, 5)

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform
    >>> from slamarkov.model.customers import Customer, CustomersProblem
    >>> from slamarkov.solve.customers import solve_customers_dynamic
    >>> p = CustomersProblem([Customer(n, Contract.study(2), DiscreteUniform(0, 2))
    ...                       for n in "ab"], 2)
    >>> t = period_cost_tables(solve_customers_dynamic(p, exact=True))
    >>> [str(v) for v in t[2].sum(axis=(0, 1))]  # P, E[H], E[H^2], E[S], E[S^2] at y = 2
    ['1', '4/9', '2/3', '4/9', '2/3']
    """
    p, exact = solution.problem, solution.exact
    K, k = solution.max_stock, p.k
    X = K + 1 if p.carries else 1
    dynamic = solution.kind == "dynamic"
    keys = len(solution.families) if dynamic else 2**k
    pmfs = [demand_pmf(cu.demand, K, exact) for cu in p.customers]
    means = [cu.demand.mean_value(exact) for cu in p.customers]
    seconds = [cu.demand.second_moment(exact) for cu in p.customers]
    out = _zeros((K + 1, keys, X, 5), exact)
    for y in range(K + 1):
        d = np.indices((y + 2,) * k).reshape(k, -1).T  # y + 1 stands for "above y"
        t = np.arange(y + 1)
        P, M1, M2 = [], [], []
        for j in range(k):
            head = pmfs[j][: y + 1]
            m1, m2 = (t * head).sum(), (t * t * head).sum()
            P.append(np.concatenate((head, [1 - head.sum()]))[d[:, j]])
            M1.append(np.concatenate((t * head, [means[j] - m1]))[d[:, j]])
            M2.append(np.concatenate((t * t * head, [seconds[j] - m2]))[d[:, j]])
        if exact:
            P, M1, M2 = ([a.astype(object) for a in arr] for arr in (P, M1, M2))
        prob = np.prod(P, axis=0)

        def others(*js):
            rest = [P[l] for l in range(k) if l not in js]
            return np.prod(rest, axis=0) if rest else 1

        ED = sum(M1[j] * others(j) for j in range(k))
        ED2 = sum(M2[j] * others(j) for j in range(k)) + 2 * sum(
            M1[j] * M1[l] * others(j, l) for j in range(k) for l in range(j + 1, k))
        total = d.sum(axis=1)
        above = (d > y).any(axis=1)
        H = np.maximum(y - total, 0)
        S = np.maximum(total - y, 0)
        ES = np.where(above, ED - y * prob, prob * S)
        ES2 = np.where(above, ED2 - 2 * y * ED + y * y * prob, prob * S * S)
        key = (np.searchsorted(solution.families, feasible_family(d, y)) if dynamic
               else rule_served(d, y, solution.rule))
        left = H if p.carries else np.zeros(len(d), dtype=np.int64)
        for m, vals in enumerate((prob, prob * H, prob * H * H, ES, ES2)):
            np.add.at(out[y, :, :, m], (key, left), np.asarray(vals))
    return out


class _Chain:
    """What the backward recursions share: the solution's layers, successors and tables."""

    def __init__(self, solution: CustomersSolution):
        if not isinstance(solution, CustomersSolution):
            raise ChainError("solution: must be a slamarkov CustomersSolution")
        self.sol = solution
        p = self.problem = solution.problem
        self.exact, self.T, self.k, self.K = solution.exact, p.review_period, p.k, solution.max_stock
        self.X = self.K + 1 if p.carries else 1
        self.score = ReadyCounts(self.T, p.names)
        self.tables = period_cost_tables(solution)
        conv = (lambda v: v) if self.exact else float
        self.c, self.h, self.s = (conv(p.purchase_cost), conv(p.holding_cost),
                                  conv(p.salvage_value))
        self.final = self.score.values(self.T + 1)  # (n_final, k)
        self._lost = None

    def targets(self, i):
        """For each key: the next score index of every (state, leftover), shape (n_i, X)."""
        succ = self.score.successors(i)
        n = succ.shape[1]
        if self.sol.kind == "dynamic":
            alloc = self.sol.allocation[i - 1]
            return [succ[alloc[q].astype(np.int64), np.arange(n)[:, None]]
                    for q in range(len(alloc))]
        return [np.broadcast_to(succ[a][:, None], (n, self.X)) for a in range(2**self.k)]

    def terminal_cost(self, settlement, salvage, customer=None):
        """(n_final, X): the settlement (all customers', or one's) less the salvage."""
        term = _zeros((len(self.final), self.X), self.exact)
        if settlement:
            cus = self.problem.customers
            for j in range(self.k) if customer is None else [customer]:
                G = cus[j].contract.settlement(exact=self.exact)
                term = term + G[self.final[:, j]][:, None]
        if salvage and self.problem.carries:
            term = term - self.s * np.arange(self.X)[None, :]
        return term

    def cost_moments(self, *, holding, purchase, settlement, customer=None):
        r"""(M1, M2) per layer i = 1..T (entry 0 unused; entry T + 1 the end): the first two
        moments of the part of the cost switched on, from every state (section 15, moments)."""
        alpha = self.h if holding else 0
        beta = self.c if purchase else 0
        term = self.terminal_cost(settlement, purchase, customer)
        M1, M2 = term, term * term
        out = [None] * (self.T + 2)
        out[self.T + 1] = (M1, M2)
        cols = np.arange(self.X)
        for i in range(self.T, 0, -1):
            y = self.sol.orders[i - 1]  # (n_i, w)
            x = stock_levels(self.problem, i, self.K)
            a = self.c * np.maximum(y - x[None, :], 0) if purchase else np.zeros(y.shape, int)
            a = a[:, :, None]
            m1 = _zeros(y.shape, self.exact)
            m2 = _zeros(y.shape, self.exact)
            for q, tgt in enumerate(self.targets(i)):
                tab = self.tables[y, q]  # (n_i, w, X, 5)
                P, EH, EH2, ES, ES2 = (tab[..., m] for m in range(5))
                m1n, m2n = M1[tgt, cols][:, None, :], M2[tgt, cols][:, None, :]
                lin = alpha * EH + beta * ES
                ex = a * P + lin
                ex2 = a * a * P + 2 * a * lin + alpha * alpha * EH2 + beta * beta * ES2
                m1 = m1 + (ex + P * m1n).sum(axis=2)
                m2 = m2 + (ex2 + 2 * ex * m1n + P * m2n).sum(axis=2)
            M1, M2 = m1, m2
            out[i] = (M1, M2)
        return out

    def probabilities(self):
        """Per layer i = 1..T + 1: (n_i, w, 3k) of the expected sacrificed periods still to
        come, P(penalty) and P(bonus) of each customer, by the mean recursion."""
        k, exact = self.k, self.exact
        one = Fraction(1) if exact else 1.0
        term = _zeros((len(self.final), self.X, 3 * k), exact)
        for j, cu in enumerate(self.problem.customers):
            v = self.final[:, j][:, None]
            term[:, :, k + j] = np.where(v < cu.contract.penalty_count, one, 0 * one)
            term[:, :, 2 * k + j] = np.where(v >= cu.contract.bonus_count, one, 0 * one)
        M = term
        out = [None] * (self.T + 2)
        out[self.T + 1] = M
        cols = np.arange(self.X)
        fams = self.sol.families
        for i in range(self.T, 0, -1):
            y = self.sol.orders[i - 1]
            m = _zeros(y.shape + (3 * k,), exact)
            for q, tgt in enumerate(self.targets(i)):
                P = self.tables[y, q][..., 0]  # (n_i, w, X)
                m = m + (P[..., None] * M[tgt, cols][:, None, :, :]).sum(axis=2)
                for j in range(k):
                    if self.sol.kind == "dynamic":
                        if not fams[q] >> (1 << j) & 1:  # customer j does not fit alone
                            continue
                        lost = (self.sol.allocation[i - 1][q] >> j & 1) == 0  # (n_i, X)
                        m[..., j] = m[..., j] + (P * lost[:, None, :]).sum(axis=2)
            if self.sol.kind == "static":
                m[..., :k] = m[..., :k] + self._static_lost(y)
            M = m
            out[i] = M
        return out

    def _static_lost(self, y):
        """(n_i, w, k): the probability that the static rule leaves out a customer whose demand
        fits alone, at each state's order (:func:`period_outcomes`)."""
        if self._lost is None:
            p, exact = self.problem, self.exact
            pmfs = [demand_pmf(cu.demand, self.K, exact) for cu in p.customers]
            tails = [1 - pm.cumsum() for pm in pmfs]
            out = period_outcomes(pmfs, tails, self.K, carry=p.carries, rules=(self.sol.rule,),
                                  exact=exact)
            self._lost = out.sacrificed[self.sol.rule]
        return self._lost[y]


def _variance(M1, M2, exact):
    var = M2 - M1 * M1
    if not exact:  # rounding can make a zero variance slightly negative
        var = np.maximum(np.asarray(var, dtype=np.float64), 0.0)
    return var


def _parts(chain):
    p = chain.problem
    parts = {"holding": dict(holding=True, purchase=False, settlement=False)}
    if p.purchase_cost or p.salvage_value:
        parts["purchase"] = dict(holding=False, purchase=True, settlement=False)
    parts["settlement"] = dict(holding=False, purchase=False, settlement=True)
    for j, name in enumerate(p.names):
        parts[f"settlement_{name}"] = dict(holding=False, purchase=False, settlement=True,
                                           customer=j)
    parts["total"] = dict(holding=True, purchase=True, settlement=True)
    return parts


def customers_cost_components(solution: CustomersSolution, i: int, counts, x=None) -> dict:
    r"""Mean and variance of the cost of the rest of the review period from the state
    (i, counts[, x]) and of its parts, exactly in exact mode (docs/model.md section 15,
    moments): the holding cost, the purchases less salvage (when modelled), the settlement
    of all customers and of each (``settlement_<name>``), and the total.

    Returns
    -------
    dict
        ``{"holding": (mean, variance), ..., "total": (mean, variance)}``.

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform
    >>> from slamarkov.model.customers import Customer, CustomersProblem
    >>> from slamarkov.solve.customers import solve_customers_dynamic
    >>> p = CustomersProblem([Customer(n, Contract.study(2), DiscreteUniform(0, 2))
    ...                       for n in "ab"], 2)
    >>> sol = solve_customers_dynamic(p, exact=True)
    >>> parts = customers_cost_components(sol, 1, (0, 0))
    >>> parts["total"][0] == sol.value_start, sorted(parts)
    (True, ['holding', 'settlement', 'settlement_a', 'settlement_b', 'total'])
    """
    chain = _Chain(solution)
    i, s, col = _locate(solution, i, counts, x)
    out = {}
    for name, flags in _parts(chain).items():
        M1, M2 = chain.cost_moments(**flags)[i]
        mu, var = M1[s, col], _variance(M1[s, col], M2[s, col], solution.exact)
        out[name] = (mu, var) if solution.exact else (float(mu), float(var))
    return out


def customers_cost_moments(solution: CustomersSolution, i: int, counts, x=None):
    """Mean and variance of the total cost of the rest of the review period from the state
    (i, counts[, x]) (the ``total`` of :func:`customers_cost_components`).

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform
    >>> from slamarkov.model.customers import Customer, CustomersProblem
    >>> from slamarkov.solve.customers import solve_customers_dynamic
    >>> p = CustomersProblem([Customer(n, Contract.study(2), DiscreteUniform(0, 2))
    ...                       for n in "ab"], 2)
    >>> customers_cost_moments(solve_customers_dynamic(p, exact=True), 3, (2, 1))
    (Fraction(4, 1), Fraction(0, 1))
    """
    chain = _Chain(solution)
    i, s, col = _locate(solution, i, counts, x)
    M1, M2 = chain.cost_moments(holding=True, purchase=True, settlement=True)[i]
    mu, var = M1[s, col], _variance(M1[s, col], M2[s, col], solution.exact)
    return (mu, var) if solution.exact else (float(mu), float(var))


def customers_state_moments(solution: CustomersSolution) -> dict:
    r"""From every transient state at once, by one backward recursion over the layers (no N;
    docs/model.md section 15, moments): the expected cost to the end and its variance, the
    expected sacrificed periods still to come and P(penalty), P(bonus) of each customer.

    Returns
    -------
    dict
        ``{"mean", "variance"}``: lists indexed by period i = 1..T (entry 0 unused) of arrays
        (score states of layer i, stock columns); ``{"sacrificed", "p_penalty", "p_bonus"}``:
        the same with a last axis over the customers (file order).

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform
    >>> from slamarkov.model.customers import Customer, CustomersProblem
    >>> from slamarkov.solve.customers import solve_customers_dynamic
    >>> p = CustomersProblem([Customer(n, Contract.study(2), DiscreteUniform(0, 2))
    ...                       for n in "ab"], 2)
    >>> sol = solve_customers_dynamic(p, exact=True)
    >>> m = customers_state_moments(sol)
    >>> m["mean"][1][0, 0] == sol.value_start, m["p_penalty"][1][0, 0].tolist()
    (True, [Fraction(0, 1), Fraction(17, 81)])
    """
    chain = _Chain(solution)
    k, T = chain.k, chain.T
    cost = chain.cost_moments(holding=True, purchase=True, settlement=True)
    probs = chain.probabilities()
    out = {"mean": [None], "variance": [None], "sacrificed": [None], "p_penalty": [None],
           "p_bonus": [None]}
    for i in range(1, T + 1):
        M1, M2 = cost[i]
        out["mean"].append(M1 if solution.exact else np.asarray(M1, dtype=np.float64))
        out["variance"].append(_variance(M1, M2, solution.exact))
        pr = probs[i] if solution.exact else np.asarray(probs[i], dtype=np.float64)
        out["sacrificed"].append(pr[..., :k])
        out["p_penalty"].append(pr[..., k:2 * k])
        out["p_bonus"].append(pr[..., 2 * k:])
    return out


def _locate(solution, i, counts, x):
    """(period, score index, stock column) of a state, checked as :func:`outlook_from` does."""
    p = solution.problem
    T = p.review_period
    if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 1 <= i <= T + 1:
        raise ChainError(f"state: period must lie in 1..{T + 1}, got {i!r}")
    score = ReadyCounts(T, p.names)
    s = score.locate(i, tuple(counts))
    if s is None:
        raise ChainError(f"state: {p.k} ready counts {tuple(counts)} are not a state of "
                         f"period {i}")
    allowed = (stock_levels(p, i, solution.max_stock).tolist() if i <= T
               else list(range(solution.max_stock + 1)) if p.carries else [0])
    if x is None:
        x = allowed[0] if len(allowed) == 1 else None
    if x is None or isinstance(x, bool) or not isinstance(x, (int, np.integer)) \
            or x not in allowed:
        raise ChainError(f"state: stock on hand at period {i} must be one of "
                         f"{allowed[0]}..{allowed[-1]}, got {x!r}")
    col = 0 if (i == 1 or not p.carries) else int(x)
    return i, s, col
