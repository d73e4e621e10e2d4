r"""Gaming indicators, the API (docs/model.md section 12): every state class and indicator is
defined in :mod:`slamarkov.chain.classes`; this module finds the non-strategic reference they are
measured against, the optimal static policy of the same contract (:func:`~slamarkov.solve_static`,
which the chain may not import), and hands its base-stock level :math:`S^*` to them.

Two kinds of indicator, kept apart because they answer different questions:

* **strategic** (what the strategic supplier does differently from the non-strategic one):
  ``withheld_ready_periods`` and ``added_ready_periods`` (each with ``_open`` and ``_decided``
  parts), ``bunching_excess_bonus`` and ``bunching_excess_penalty``; the static policy scores
  exactly 0 on all of them;
* **outcome** (what the contract makes any supplier do): ``give_up_periods`` and
  ``coasting_periods``.

:func:`ready_rate_gap`, the static supplier's expected ready rate minus the dynamic one's, is
the grid point's summary of both.
"""

from __future__ import annotations

import numpy as np

from ..chain.classes import (
    GAMING_INDICATORS,
    OUTCOME_INDICATORS,
    STRATEGIC_INDICATORS,
    indicators,
    state_classes,
)
from ..chain.policy import Policy, as_policy
from ..solve.fill import FillStaticSolution
from ..solve.results import StaticSolution

__all__ = [
    "GAMING_INDICATORS",
    "OUTCOME_INDICATORS",
    "STRATEGIC_INDICATORS",
    "gaming_indicators",
    "reference_base_stock",
    "give_up_states",
    "coasting_states",
    "ready_rate_gap",
]


def reference_base_stock(policy, reference=None):
    """The base-stock level :math:`S^*` of the non-strategic reference of a policy, and the
    reference's distribution of the final ready count from (1, 0) when known.

    Parameters
    ----------
    policy : Policy, AbsorbingChain or solution
    reference : StaticSolution, Solutions or number, optional
        The static solution of the same problem (or both solutions), or :math:`S^*` itself;
        by default the policy's own when it is a static solution, else solved here
        (:func:`~slamarkov.solve_static`, same exactness and stock range).

    Returns
    -------
    (number, ndarray or None)

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
    >>> reference_base_stock(solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5)))[0]
    8
    """
    if reference is None and isinstance(policy, (StaticSolution, FillStaticSolution)):
        reference = policy
    reference = getattr(reference, "static", reference)  # Solutions
    if isinstance(reference, StaticSolution):
        return reference.base_stock, reference.ready_rate.pmf
    if isinstance(reference, FillStaticSolution):  # its final ready count is not the score
        return reference.base_stock, None
    if reference is not None:
        return reference, None
    from ..solve.static import solve_static

    pol = as_policy(policy)
    max_stock = pol.space.max_stock if pol.carries else None
    sol = solve_static(pol.problem, max_stock=max_stock, exact=pol.exact)
    return sol.base_stock, getattr(getattr(sol, "ready_rate", None), "pmf", None)


def gaming_indicators(policy, reference=None, start=(1, 0)) -> dict:
    r"""Every gaming indicator of a policy from a start state (docs/model.md section 12;
    :func:`slamarkov.chain.classes.indicators`).

    Parameters
    ----------
    policy : Policy, AbsorbingChain or solution
        Any stock table (dynamic, static, a user's).
    reference : StaticSolution, Solutions or number, optional
        The non-strategic reference (:func:`reference_base_stock`).
    start : tuple, default (1, 0)

    Returns
    -------
    dict
        The keys of :data:`GAMING_INDICATORS`, floats (Fractions for an exact policy).

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_both
    >>> both = solve_both(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40)
    >>> dyn = gaming_indicators(both.dynamic, both)
    >>> round(dyn["withheld_ready_periods"], 4), round(dyn["give_up_periods"], 4)
    (0.5124, 0.0024)
    >>> {gaming_indicators(both.static)[k] for k in STRATEGIC_INDICATORS}
    {0.0}
    """
    S, pmf = reference_base_stock(policy, reference)
    pol = as_policy(policy)
    key = pol.space.key(pol.space.start(start)) if start != (1, 0) else None
    at_origin = key is None or (key[:2] == (1, 0) and key[-1] == pol.space.initial_stock)
    return indicators(pol, S, start, reference_pmf=pmf if at_origin else None)


def give_up_states(policy) -> np.ndarray:
    """Flat mask of the policy's give-up states (docs/model.md section 12): its ready chance
    is below the penalty threshold, :math:`F(y) < \\alpha_L`, while the penalty is the likely
    outcome from the state under the policy.

    Parameters
    ----------
    policy : Policy, AbsorbingChain or solution

    Returns
    -------
    ndarray of bool
        One entry per transient state, in the chain's state order.

    Examples
    --------
    >>> from slamarkov import AbsorbingChain, Contract, Poisson, Problem, solve_dynamic
    >>> sol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40)
    >>> mask = give_up_states(sol.policy)
    >>> int(mask.sum()), bool(mask[AbsorbingChain(sol.policy).index(10, 6)])
    (28, True)
    """
    return state_classes(as_policy(policy))["role"] == "give-up"


def coasting_states(policy) -> np.ndarray:
    """Flat mask of the policy's coasting states (docs/model.md section 12): its ready chance is
    below the bonus threshold, :math:`F(y) < \\alpha_U`, while the bonus is the likely outcome.

    Parameters
    ----------
    policy : Policy, AbsorbingChain or solution

    Returns
    -------
    ndarray of bool

    Examples
    --------
    >>> from slamarkov import AbsorbingChain, Contract, Poisson, Problem, solve_dynamic
    >>> sol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40)
    >>> mask = coasting_states(sol.policy)
    >>> int(mask.sum()), bool(mask[AbsorbingChain(sol.policy).index(10, 9)])
    (4, True)
    """
    return state_classes(as_policy(policy))["role"] == "coasting"


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
