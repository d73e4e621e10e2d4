r"""Gaming indicators: how much a contract invites a strategic supplier to stop trying
(docs/model.md section 12).

A state where the policy adds no stock is a *give-up* state when the penalty is certain there (it
can no longer be avoided), and a *coasting* state when the bonus is secured or nothing is at
stake; the classes are those of :mod:`slamarkov.chain.classes` (:data:`GAMING_GIVE_UP_REASONS
<slamarkov.chain.classes.GAMING_GIVE_UP_REASONS>`: the indicators count the penalty-certain states
as giving up, where the inspection report also counts the states that stop while the penalty or
a better settlement is still within reach). The two sets are disjoint. The indicators are the
expected numbers of periods spent in each (rows of the fundamental matrix N summed over the
set), the probability that the final ready count is exactly :math:`n_U` (bunching at the bonus
threshold) and the gap between the static and the dynamic supplier's expected ready rates.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..chain.absorbing import AbsorbingChain
from ..chain.classes import GAMING_GIVE_UP_REASONS, classify
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


def _flat_masks(policy: Policy):
    """The give-up and coasting masks: only the states that add no stock can qualify, so only
    those are classified."""
    space = policy.space
    idx = np.flatnonzero(policy.adds_no_stock())
    give_up = np.zeros(space.n_transient, dtype=bool)
    coast = np.zeros(space.n_transient, dtype=bool)
    if idx.size:
        i, v = space.coordinates_at(idx)[:2]
        role, reason = classify(policy.problem.contract, i, v, True)
        give_up[idx[np.isin(reason, GAMING_GIVE_UP_REASONS)]] = True
        coast[idx[role == "coasting"]] = True
    return give_up, coast


def give_up_states(policy) -> np.ndarray:
    """Flat mask of the policy's give-up states (docs/model.md section 12).

    The policy adds no stock while the penalty is certain (:meth:`AbsorbingChain.penalty_certain`,
    with a positive penalty).

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
    chain = policy if isinstance(policy, AbsorbingChain) else AbsorbingChain(pol)
    pos = chain.start(start)
    exact = chain.exact
    zero = Fraction(0) if exact else 0.0
    give_up, coast = _flat_masks(pol)
    sums = [zero, zero]
    if pos.i > chain.T:
        pmf = chain.absorption(start)
    elif give_up.any() or coast.any():
        space = chain.space

        def add(i, lo, mass):
            # the row of N from the start state, summed over each set as it passes
            n = mass.shape[0]
            for k, mask in enumerate((give_up, coast)):
                m = space.layer(mask, i)[lo : lo + n]
                if m.any():
                    sums[k] += mass[m].sum()

        pmf = chain.kernel.forward(pos, on_layer=add)
    else:
        pmf = chain.kernel.forward(pos)
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
