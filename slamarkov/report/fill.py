"""The ``solve`` report of a fill-rate contract (docs/model.md section 14), as JSON and as text.

Keys: ``"measure": "fill-rate"``; ``dynamic`` and ``static`` each with ``cost_per_period`` and
``fill_rate`` = {``mean``, ``sd``, ``p_penalty``, ``p_bonus``, ``values``, ``pmf``} (the distinct
values of FR in increasing order and their probabilities; fraction strings in exact mode);
``static.base_stock``; beside it each policy's ``ready_rate`` = {``mean``, ``sd``}, the share of
periods whose demand the same policy meets in full (its moments from the chain: the ready count
is not in the fill-rate state, so no pmf); ``truncated_mass``, the probability the float-mode cut drops (0 in exact
mode); ``dynamic.stock`` (left out with ``summary_only``): the order-up-to level of every state,
a list over periods i of the layer's orders in state order (pairs (D, F) by D then F, and with
stock carried over one list over the stock on hand x per pair).
"""

from __future__ import annotations

import math
from fractions import Fraction

from ..model.config import Config
from ..solve.both import solve_both
from .fields import contract_terms, cost_fields, json_number

__all__ = ["fill_solve_report", "fill_solve_text", "ready_rate_moments"]


def fill_solve_report(config: Config, summary_only: bool = False) -> dict:
    """Solve both policies of a fill-rate contract file: the ``solve`` JSON document.

    Examples
    --------
    >>> from slamarkov.model.config import config_from_dict
    >>> cfg = config_from_dict({
    ...     "contract": {"review_period": 2, "penalty_threshold": 0.8, "bonus_threshold": 1,
    ...                  "penalty": 10, "measure": "fill-rate"},
    ...     "costs": {"holding": 1}, "demand": {"kind": "discrete-uniform", "low": 0, "high": 2},
    ...     "solver": {"exact": True}})
    >>> rep = fill_solve_report(cfg, summary_only=True)
    >>> rep["measure"], rep["dynamic"]["fill_rate"]["values"], rep["static"]["base_stock"]
    ('fill-rate', ['1'], 2)
    >>> rep["static"]["ready_rate"]  # every period ready: S* = 2 meets any demand of 0..2
    {'mean': '1', 'sd': 0.0}
    """
    dyn, sta = solve_both(config.problem, **config.solver_options())
    problem = config.problem
    c = problem.contract
    mass = dyn.truncated_mass
    out = {
        "measure": c.measure,
        "contract": {
            "review_period": c.review_period,
            **contract_terms(c),
            "measure": c.measure,
        },
        **cost_fields(problem),
        "demand": problem.demand.describe(),
        "max_stock": json_number(dyn.max_stock),
        "truncated_mass": str(mass) if isinstance(mass, Fraction) else float(mass),
        "dynamic": {
            "cost_per_period": json_number(dyn.cost_per_period),
            "fill_rate": dyn.fill_rate.to_dict(),
            "ready_rate": ready_rate_moments(dyn),
        },
        "static": {
            "cost_per_period": json_number(sta.cost_per_period),
            "base_stock": json_number(sta.base_stock),
            "fill_rate": sta.fill_rate.to_dict(),
            "ready_rate": ready_rate_moments(sta),
        },
    }
    if not summary_only:
        rows = dyn.policy.to_lists()
        # discard: one order per pair; carry: one list over the stock on hand per pair
        out["dynamic"]["stock"] = rows if problem.carries else [[r[0] for r in row] for row in rows]
    return out


def ready_rate_moments(solution) -> dict:
    """The ready rate v_T / T of a fill-rate policy from the start, ``{"mean", "sd"}``: the mean
    as the fill rate's (a fraction string in exact mode), the SD a float. From the chain's
    ready periods still to come (:meth:`AbsorbingChain.remaining_ready
    <slamarkov.chain.AbsorbingChain.remaining_ready>`), a period being ready when its demand is
    met in full (docs/model.md section 14).

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform, Problem, solve_static
    >>> prob = Problem(Contract(3, 0.5, 1, penalty=1, measure="fill-rate"),
    ...                DiscreteUniform(0, 3), 1)
    >>> sol = solve_static(prob, exact=True)   # S* = 0: ready when d = 0, chance 1/4
    >>> sol.base_stock, ready_rate_moments(sol)   # v ~ Binomial(3, 1/4): SD sqrt(3/16) / 3
    (0, {'mean': '1/4', 'sd': 0.25})
    """
    T = solution.problem.review_period
    moments = solution.chain.remaining_ready((1, 0, 0))
    mean = moments["mean"] / T
    return {"mean": str(mean) if isinstance(mean, Fraction) else float(mean),
            "sd": math.sqrt(max(float(moments["variance"]), 0.0)) / T}


def fill_solve_text(config: Config, report: dict) -> str:
    """A short readable report of :func:`fill_solve_report`'s document."""
    problem = config.problem
    d, s = report["dynamic"], report["static"]
    lines = [
        problem.contract.describe(),
        f"demand {problem.demand.describe()}, holding cost h = {float(problem.holding_cost):g}, "
        f"stock searched in 0..{report['max_stock']:g}",
        "stock carries over" if problem.carries else "leftover stock discarded",
        f"probability of the demand paths cut (float mode): {float(report['truncated_mass']):.3g}",
        "",
        f"{'':24}{'dynamic':>12}{'static':>12}",
    ]
    rows = [("cost per period", d["cost_per_period"], s["cost_per_period"], 1, "{:12.6f}")]
    for key, label in (("mean", "fill rate mean (%)"), ("sd", "fill rate SD (%)"),
                       ("p_penalty", "P(penalty) (%)"), ("p_bonus", "P(bonus) (%)")):
        rows.append((label, d["fill_rate"][key], s["fill_rate"][key], 100, "{:12.4f}"))
    rows.append(("ready rate mean (%)", d["ready_rate"]["mean"], s["ready_rate"]["mean"], 100,
                 "{:12.4f}"))
    for label, a, b, scale, fmt in rows:
        lines.append(f"{label:24}{fmt.format(scale * float(Fraction(a)))}"
                     f"{fmt.format(scale * float(Fraction(b)))}")
    lines.append(f"{'base stock S*':24}{'':>12}{s['base_stock']:>12g}")
    saving = s["cost_per_period"] - d["cost_per_period"]
    lines.append(f"saving of the dynamic policy per period: {saving:.6f}")
    lines.append("(the fill rate is units filled on time over units demanded; rates and "
                 "probabilities in percent)")
    return "\n".join(lines)
