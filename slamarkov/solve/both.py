"""Both optimal policies of a problem at once: the strategic supplier's dynamic policy and the
non-strategic supplier's base-stock level (docs/model.md sections 4 and 5), each with its chain.

Every command and table that compares the two (``solve``, ``monitor``, ``sweep``, the study's
tables, the report) solves them here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import SolverError
from ..model.problem import Problem
from .dynamic import solve_dynamic
from .results import DynamicSolution, StaticSolution
from .static import solve_static

__all__ = ["POLICIES", "Solutions", "solve_both", "solve_policy"]

#: the two optimal policies, in the order every table gives them
POLICIES = ("dynamic", "static")


@dataclass(frozen=True)
class Solutions:
    """The dynamic and the static solution of one problem (:func:`solve_both`).

    Iterating gives the dynamic solution, then the static one; ``solutions["static"]`` picks
    one by name.

    Attributes
    ----------
    problem : Problem
    dynamic : DynamicSolution
    static : StaticSolution

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem
    >>> both = solve_both(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40)
    >>> [round(s.cost_per_period, 5) for s in both], both["static"].base_stock
    ([-1.20155, -0.87201], 8)
    """

    problem: Problem
    dynamic: DynamicSolution
    static: StaticSolution

    def __iter__(self):
        yield self.dynamic
        yield self.static

    def __getitem__(self, kind: str):
        if kind not in POLICIES:
            raise KeyError(kind)
        return getattr(self, kind)


def solve_policy(problem: Problem, kind: str = "dynamic", *, max_stock=None,
                 exact: bool = False):
    """One optimal policy by name: ``"dynamic"`` (:func:`solve_dynamic`) or ``"static"``
    (:func:`solve_static`).

    Raises
    ------
    SolverError
        On another name, or as the solver raises.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem
    >>> solve_policy(Problem(Contract.study(10), Poisson(5), 0.5), "static").base_stock
    8
    """
    if kind not in POLICIES:
        raise SolverError(f"policy: must be one of {', '.join(POLICIES)}, got {kind!r}")
    solver = solve_dynamic if kind == "dynamic" else solve_static
    return solver(problem, max_stock=max_stock, exact=exact)


def solve_both(problem: Problem, *, max_stock=None, exact: bool = False) -> Solutions:
    """The dynamic and the static optimal policy of ``problem``, with the same solver options.

    Parameters
    ----------
    problem : Problem
    max_stock, exact
        As for :func:`solve_dynamic` and :func:`solve_static`.

    Returns
    -------
    Solutions
        ``dynamic`` and ``static``; each solution's ``chain`` is built on first use and kept.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem
    >>> both = solve_both(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40)
    >>> round(both.dynamic.chain.ready_rate(start=(6, 4)).p_bonus, 4)
    0.9334
    """
    return Solutions(problem, solve_dynamic(problem, max_stock=max_stock, exact=exact),
                     solve_static(problem, max_stock=max_stock, exact=exact))
