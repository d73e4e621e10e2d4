r"""Gaming indicators: how much a contract invites a strategic supplier to stop trying.

Implements docs/model.md section 12. In a state :math:`(i, v)` of a review period of :math:`T`
periods, :math:`r = T - i + 1` periods remain (the current one included), so the final ready count
lies in :math:`\{v, \dots, v + r\}`. With :math:`n_L = \lceil T\alpha_L \rceil`,
:math:`n_U = \lceil T\alpha_U \rceil` and the settlement :math:`G` (non-increasing in the ready
count) a state is

* *penalty certain* when :math:`v + r < n_L` and the penalty is positive;
* *bonus secured* when :math:`v \ge n_U` and the bonus is positive;
* *settled* when :math:`G(v) = G(v + r)`: no ready period from now on can change the settlement,
  so no better settlement is reachable.

A *give-up* state stocks nothing while the penalty is certain, or while it is settled on a penalty
(:math:`G(v) > 0`). A *coasting* state stocks nothing while the bonus is secured, or while it is
settled on no penalty (:math:`G(v) \le 0`: nothing is at stake). The two sets are disjoint. The
indicators are the expected numbers of periods spent in each (rows of the fundamental matrix N
summed over the set), the probability that the final ready count is exactly :math:`n_U`
(bunching at the bonus threshold) and the gap between the static and the dynamic supplier's
expected ready rates.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..chain.triangle import offset, propagate, stage_of
from ..chain.absorbing import AbsorbingChain
from ..errors import ChainError
from ..chain.policy import Policy, as_policy

__all__ = [
    "GAMING_INDICATORS",
    "gaming_indicators",
    "give_up_states",
    "coasting_states",
    "ready_rate_gap",
]

#: the keys of :func:`gaming_indicators`, in the order the sweep's tables give them
GAMING_INDICATORS = ("give_up_periods", "coasting_periods", "p_bunching")


class _Rules:
    """The contract's exact state classes, vectorised over (i, v) arrays (O(T) set-up)."""

    def __init__(self, contract):
        T = contract.review_period
        G = contract.settlement(exact=True)
        self.T = T
        self.n_L = contract.penalty_count
        self.n_U = contract.bonus_count
        self.has_penalty = contract.penalty > 0
        self.has_bonus = contract.bonus > 0
        # G is non-increasing: G(v) = G(v + r) iff no strict drop in (v, v + r]
        drops = np.array([0] + [int(a != b) for a, b in zip(G[:-1], G[1:])], dtype=np.int64)
        self.cum_drops = np.cumsum(drops)
        self.owes = np.array([g > 0 for g in G], dtype=bool)  # G(v) > 0: a penalty

    def masks(self, i, v):
        """(give-up-eligible, coasting-eligible) for states (i, v), ignoring the stock."""
        r = self.T - np.asarray(i) + 1
        v = np.asarray(v)
        settled = self.cum_drops[v + r] == self.cum_drops[v]
        owes = self.owes[v]
        give_up = settled & owes
        coast = settled & ~owes
        if self.has_penalty:
            give_up = give_up | (v + r < self.n_L)
        if self.has_bonus:
            coast = coast | (v >= self.n_U)
        return give_up, coast


def _flat_masks(policy: Policy):
    if getattr(policy, "carries", False):
        # states (i, v, x): the chain knows the layout and what "adds no stock" means
        chain = AbsorbingChain(policy)
        st = chain.states()
        t = chain.n_transient
        i, v = st["stage"][:t], st["ready_count"][:t]
        zero = chain.zero_stock()
    else:
        # only zero-stock states can qualify: classify those alone
        stock = np.asarray(policy.stock)
        zero = stock == 0
        idx = np.flatnonzero(zero)
        give_up = np.zeros(stock.shape[0], dtype=bool)
        coast = np.zeros(stock.shape[0], dtype=bool)
        if idx.size:
            i, v = stage_of(idx)
            g, c = _Rules(policy.problem.contract).masks(i, v)
            give_up[idx[g]] = True
            coast[idx[c]] = True
        return give_up, coast
    give_up, coast = _Rules(policy.problem.contract).masks(i, v)
    return zero & give_up, zero & coast


def give_up_states(policy) -> np.ndarray:
    """Flat mask of the policy's give-up states (docs/model.md section 12).

    Zero stock while the penalty is certain (:meth:`AbsorbingChain.penalty_certain`, with a
    positive penalty), or while the settlement can no longer change and is a penalty.

    Parameters
    ----------
    policy : Policy, AbsorbingChain or solution

    Returns
    -------
    ndarray of bool
        One entry per transient state, in the chain's state order.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
    >>> sol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40)
    >>> mask = give_up_states(sol.policy)
    >>> int(mask.sum()), bool(mask[AbsorbingChain(sol.policy).index(10, 6)])
    (28, True)
    """
    return _flat_masks(as_policy(policy))[0]


def coasting_states(policy) -> np.ndarray:
    """Flat mask of the policy's coasting states (docs/model.md section 12).

    Zero stock while the bonus is secured (:meth:`AbsorbingChain.bonus_secured`, with a positive
    bonus), or while the settlement can no longer change and is not a penalty (nothing at stake).

    Parameters
    ----------
    policy : Policy, AbsorbingChain or solution

    Returns
    -------
    ndarray of bool

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
    >>> sol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40)
    >>> mask = coasting_states(sol.policy)
    >>> int(mask.sum()), bool(mask[AbsorbingChain(sol.policy).index(10, 9)])
    (1, True)
    """
    return _flat_masks(as_policy(policy))[1]


def gaming_indicators(policy, start=(1, 0)) -> dict:
    r"""The gaming indicators of a policy from a start state (docs/model.md section 12).

    One forward pass over the layered chain gives all three: the row of the fundamental matrix N
    summed over :func:`give_up_states` and over :func:`coasting_states` (what
    :meth:`AbsorbingChain.expected_visits` gives with those masks), and the row of B at
    :math:`n_U`.

    Parameters
    ----------
    policy : Policy, AbsorbingChain or solution
        Any stock table (dynamic, static, a user's).
    start : (int, int), default (1, 0)
        The state (i, v) to look forward from.

    Returns
    -------
    dict
        ``give_up_periods``: expected number of periods spent in give-up states;
        ``coasting_periods``: expected number of periods spent in coasting states;
        ``p_bunching``: probability that the final ready count is exactly the bonus count
        :math:`\lceil T\alpha_U \rceil`. Floats, or Fractions for an exact policy.

    Raises
    ------
    ChainError
        On a start state outside the chain, or something that is not a policy.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic, solve_static
    >>> prob = Problem(Contract.study(10), Poisson(5), 0.5)
    >>> dyn = gaming_indicators(solve_dynamic(prob, max_stock=40))
    >>> {k: round(x, 4) for k, x in dyn.items()}
    {'give_up_periods': 0.0024, 'coasting_periods': 0.3749, 'p_bunching': 0.9599}
    >>> gaming_indicators(solve_static(prob, max_stock=40))["give_up_periods"]
    0.0
    """
    pol = as_policy(policy)
    chain = AbsorbingChain(pol)
    i0, v0 = chain._start(start)
    T, exact = chain.T, chain.exact
    give_up, coast = _flat_masks(pol)
    zero = Fraction(0) if exact else 0.0
    if getattr(pol, "carries", False):  # states (i, v, x): the chain's own row queries
        out = {"give_up_periods": chain.expected_visits(give_up, start) + zero,
               "coasting_periods": chain.expected_visits(coast, start) + zero,
               "p_bunching": chain.absorption(start)[pol.problem.contract.bonus_count]}
        return out if exact else {k: float(x) for k, x in out.items()}
    give_idx, coast_idx = np.flatnonzero(give_up), np.flatnonzero(coast)
    if give_idx.size or coast_idx.size:
        # the row of N from the start state, kept stage by stage as probability moves forward
        row = np.zeros(give_up.shape[0], dtype=object if exact else np.float64)
        if exact:
            row[:] = zero

        def keep(i, lo, reach):
            o = offset(i) + lo
            row[o : o + reach.shape[0]] = reach

        pmf = propagate(pol, T, i0, v0, exact=exact, on_stage=keep)
        sums = (row[give_idx].sum(), row[coast_idx].sum())
    else:
        pmf = propagate(pol, T, i0, v0, exact=exact)
        sums = (zero, zero)
    out = {"give_up_periods": sums[0] + zero, "coasting_periods": sums[1] + zero,
           "p_bunching": pmf[pol.problem.contract.bonus_count]}
    return out if exact else {k: float(x) for k, x in out.items()}


def ready_rate_gap(dynamic, static):
    """The static supplier's expected ready rate minus the dynamic one's (docs/model.md section 12).

    Positive when the strategic (dynamic) supplier delivers less service than a supplier who
    stocks the same every period would.

    Parameters
    ----------
    dynamic, static : solution, Policy or ReadyRateDistribution
        Anything with a ``ready_rate`` distribution (the solvers' results), a policy (its ready
        count from (1, 0)), or the distributions themselves.

    Returns
    -------
    float or Fraction

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic, solve_static
    >>> prob = Problem(Contract.study(10), Poisson(5), 0.5)
    >>> gap = ready_rate_gap(solve_dynamic(prob, max_stock=40), solve_static(prob, max_stock=40))
    >>> round(gap, 4)
    0.0358
    """

    def dist(x):
        if isinstance(x, Policy):
            return x.ready_count()
        return getattr(x, "ready_rate", x)

    return dist(static).mean - dist(dynamic).mean
