r"""Inspection of a fill-rate contract's policy, in units (docs/model.md section 14: "State
classes and outcome indicators in units"): where it gives up or coasts (its order's expected fill
ratio e(y)/E[d] against the thresholds while an outcome is likely), which states are decided
whatever the demand and the fills, where it fills fewer (more) units in expectation than the
static supplier, the most probable path into each band and when the probability commits to a
band; what ``slamarkov graph --inspect`` prints for a fill-rate contract.

Every class comes from :mod:`slamarkov.chain.classes` (the one home); the paths and the flow
are :func:`~slamarkov.analysis.inspect.most_probable_paths` and
:func:`~slamarkov.analysis.inspect.band_flow` on the fill chain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ..chain.classes import DECIDED, state_classes
from ..chain.policy import as_policy
from .gaming import reference_base_stock
from .inspect import (
    band_flow,
    check_size,
    flow_document,
    flow_lines,
    most_probable_paths,
    reachable,
    transient_start,
)

__all__ = ["FillInspection", "inspect_fill_policy"]

#: the groups of states the report lists, each by decided outcome
GROUPS = ("give_up", "coasting", "withholding", "adding")


def _stage_summary(states) -> str:
    """'stage 3: 4 states, D 2-5, F/D 0.5-1' for states (i, D, F[, x]) in state order."""
    by_stage: dict[int, list] = {}
    for s in states:
        by_stage.setdefault(s[0], []).append(s)
    parts = []
    for i, xs in by_stage.items():
        D = [s[1] for s in xs]
        fr = [1.0 if s[1] == 0 else s[2] / s[1] for s in xs]
        parts.append(f"{i}: {len(xs)} at D {min(D)}-{max(D)}, F/D {min(fr):.3g}-{max(fr):.3g}")
    return "; ".join(parts)


def _short_periods(path) -> str:
    """The periods of a path of (i, D, F[, x]) in which a unit went unfilled, and how many."""
    short = [(a[0], (b[1] - a[1]) - (b[2] - a[2])) for a, b in zip(path, path[1:])]
    short = [(i, k) for i, k in short if k > 0]
    if not short:
        return "none"
    return ", ".join(f"{i} ({k} unit{'s' if k > 1 else ''})" for i, k in short)


@dataclass
class FillInspection:
    """The inspection report of a fill-rate contract's policy (:func:`inspect_fill_policy`).

    Attributes
    ----------
    review_period : int
    policy : str
    start : tuple
        (i, D, F), or (i, D, F, x) with stock carried over.
    reachable : int
        The number of transient states the policy visits with positive probability.
    decided : dict
        decided outcome ("penalty-certain", "neutral-decided", "bonus-secured") -> the states
        (reachable from the start) whose outcome is decided so.
    give_up, coasting, withholding, adding : dict
        decided outcome (open first) -> the reachable states of the class.
    base_stock : int
        :math:`S^*`, the static reference's base-stock level.
    paths : dict
        band -> :class:`~slamarkov.analysis.inspect.BandPath` (states (i, D, F[, x]), ending
        at (T + 1, D, F)) or None.
    flow : dict
        From :func:`~slamarkov.analysis.inspect.band_flow`.
    """

    review_period: int
    policy: str
    start: tuple
    reachable: int
    decided: dict
    give_up: dict
    coasting: dict
    withholding: dict
    adding: dict
    base_stock: int
    paths: dict
    flow: dict = field(repr=False)

    def to_dict(self) -> dict:
        """A JSON-friendly document (states as lists).

        Examples
        --------
        >>> from slamarkov import Contract, DiscreteUniform, Problem, solve_dynamic
        >>> prob = Problem(Contract(2, 0.5, 0.75, penalty=1, bonus=4, measure="fill-rate"),
        ...                DiscreteUniform(0, 2), 0.5)
        >>> doc = inspect_fill_policy(solve_dynamic(prob, exact=True)).to_dict()
        >>> doc["coasting"], doc["paths"]["bonus"]["path"]
        ({'open': [[2, 2, 2]]}, [[1, 0, 0], [2, 0, 0], [3, 0, 0]])
        """
        def states(xs):
            return [list(s) for s in xs]

        return {
            "measure": "fill-rate",
            "review_period": self.review_period,
            "policy": self.policy,
            "start": list(self.start),
            "reachable": self.reachable,
            "base_stock": self.base_stock,
            "decided": {k: states(x) for k, x in self.decided.items()},
            **{g: {k: states(x) for k, x in getattr(self, g).items()} for g in GROUPS},
            "paths": {
                band: None if bp is None else {
                    "probability": bp.probability, "log_probability": bp.log_probability,
                    "demand_total": bp.path[-1][1], "filled_total": bp.path[-1][2],
                    "path": states(bp.path)}
                for band, bp in self.paths.items()
            },
            "flow": flow_document(self.flow),
        }

    def to_text(self) -> str:
        """The readable report the command line prints.

        Examples
        --------
        >>> from slamarkov import Contract, DiscreteUniform, Problem, solve_dynamic
        >>> prob = Problem(Contract(2, 0.5, 0.75, penalty=1, bonus=4, measure="fill-rate"),
        ...                DiscreteUniform(0, 2), 0.5)
        >>> print(inspect_fill_policy(solve_dynamic(prob, exact=True)).to_text()) # doctest: +ELLIPSIS
        Inspection of the dynamic policy of a fill-rate contract, T = 2, from state (1, 0, 0) (stage, units demanded D, units filled F)
        Reachable states: 4
        Decided states (no demand and no fill can change the outcome): 0
        Give-up states (expected fill ratio e(y)/E[d] below the penalty threshold while the penalty is likely): 0
        Coasting states (expected fill ratio below the bonus threshold while the bonus is likely): 1
          open (1): stage 2: 1 at D 2-2, F/D 1-1
        Withholding states (expected units filled below the static supplier's, S* = 2, y_ref = S*): 1
          open (1): stage 2: 1 at D 2-2, F/D 1-1
        Adding states (expected units filled above the static supplier's): 0
        Most probable path into each band:
          penalty: unreachable
          neutral: unreachable
          bonus: ends at D = 0, F = 0 (fill rate 100%), probability 11.1111% (...); units short in periods none
        Probability committed to each band by stage, in percent (flow in that stage):
        ...
        """
        carry = len(self.start) == 4
        lines = [f"Inspection of the {self.policy} policy of a fill-rate contract, "
                 f"T = {self.review_period}, from state ({', '.join(map(str, self.start))}) "
                 f"(stage, units demanded D, units filled F{', stock on hand' if carry else ''})",
                 f"Reachable states: {self.reachable}"]
        ref = "y_ref = max(S*, x)" if carry else "y_ref = S*"
        titles = [("Decided states (no demand and no fill can change the outcome)", self.decided),
                  ("Give-up states (expected fill ratio e(y)/E[d] below the penalty threshold "
                   "while the penalty is likely)", self.give_up),
                  ("Coasting states (expected fill ratio below the bonus threshold while the "
                   "bonus is likely)", self.coasting),
                  (f"Withholding states (expected units filled below the static supplier's, "
                   f"S* = {self.base_stock}, {ref})", self.withholding),
                  ("Adding states (expected units filled above the static supplier's)",
                   self.adding)]
        for title, groups in titles:
            lines.append(f"{title}: {sum(len(x) for x in groups.values())}")
            for reason, xs in groups.items():
                lines.append(f"  {reason} ({len(xs)}): stage {_stage_summary(xs)}")
        lines.append("Most probable path into each band"
                     + (" (one path of states (i, D, F, x)):" if carry else ":"))
        for band, bp in self.paths.items():
            if bp is None:
                lines.append(f"  {band}: unreachable")
                continue
            D, F = bp.path[-1][1], bp.path[-1][2]
            fr = Fraction(1) if D == 0 else Fraction(F, D)
            lines.append(f"  {band}: ends at D = {D}, F = {F} (fill rate {100 * float(fr):.4g}%), "
                         f"probability {100 * bp.probability:.6g}% (natural log of the "
                         f"probability {bp.log_probability:.4f}); units short in periods "
                         f"{_short_periods(bp.path)}")
        lines.extend(flow_lines(self.flow))
        return "\n".join(lines)


def inspect_fill_policy(policy, start=None, reference=None) -> FillInspection:
    """All the inspection queries of a fill-rate contract's policy, in units (module
    docstring).

    Parameters
    ----------
    policy : Policy, AbsorbingChain or solution
    start : tuple, optional
        (i, D, F), or (i, D, F, x) with stock carried over; default the start of the period.
    reference : FillStaticSolution, Solutions or int, optional
        The static reference (:math:`S^*`); solved when not given.

    Returns
    -------
    FillInspection

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform, Problem, solve_dynamic
    >>> prob = Problem(Contract(4, 0.8, 0.9, penalty=1, bonus=1, measure="fill-rate"),
    ...                DiscreteUniform(0, 1), 2)
    >>> rep = inspect_fill_policy(solve_dynamic(prob, exact=True))
    >>> rep.base_stock, rep.decided["penalty-certain"][:2], sorted(rep.give_up)
    (0, [(2, 1, 0), (3, 1, 0)], ['open', 'penalty-certain'])
    >>> float(rep.flow["committed"]["penalty"][-2])  # at the start of period 4
    0.875

    A penalty too cheap for a holding cost of 2: no supplier stocks, and after one unit short in
    period 1, (2, 1, 0), the fill rate can reach 3/4 at best, below 80%.
    """
    pol = as_policy(policy)
    check_size(pol, "inspect")
    space = pol.space
    if start is None:
        start = (1, 0, 0, space.initial_stock) if space.carry else (1, 0, 0)
    pos = transient_start(pol, start)
    start = space.key(pos)
    S = int(reference_base_stock(policy, reference)[0])
    cls = state_classes(pol, S)
    seen = reachable(pol, start)[: space.n_transient]
    masks = {"give_up": cls["role"] == "give-up", "coasting": cls["role"] == "coasting",
             "withholding": (cls["withheld"] > 0).astype(bool),
             "adding": (cls["added"] > 0).astype(bool)}
    groups: dict = {}
    for name, mask in masks.items():
        groups[name] = {}
        for label in DECIDED[-1:] + DECIDED[:-1]:  # open first
            idx = np.flatnonzero(mask & seen & (cls["decided"] == label))
            if idx.size:
                groups[name][label] = space.keys_at(idx)
    decided = {}
    for label in DECIDED[:-1]:
        idx = np.flatnonzero(seen & (cls["decided"] == label))
        if idx.size:
            decided[label] = space.keys_at(idx)
    return FillInspection(
        review_period=pol.review_period, policy=pol.kind, start=start,
        reachable=int(seen.sum()), decided=decided, base_stock=S,
        paths=most_probable_paths(pol, start), flow=band_flow(pol, start), **groups)
