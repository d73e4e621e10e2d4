r"""The strategic gaming indicators of a fill-rate contract (docs/model.md section 14: sweeps).

Measured, as for the ready rate (section 12), against the non-strategic reference: the static
policy "order up to :math:`y_{ref} = \max(S^*, x)`" of the same contract. In units instead of
periods:

* ``withheld_filled_units``: :math:`\sum_{i, s} P(s) (E\min(d, y_{ref}) - E\min(d, y))^+`, the
  expected units the policy fills less than the reference would in the states it visits;
* ``added_filled_units``: the same with :math:`(E\min(d, y) - E\min(d, y_{ref}))^+`;
* ``bunching_excess_bonus``: P(FR = :math:`\phi_U`) minus the reference's, :math:`\phi_U` the
  smallest value F/D of the final pairs that earns the bonus (:math:`\ge \alpha_U`);
* ``bunching_excess_penalty``: the same at :math:`\phi_L`, the smallest that avoids the penalty.

One forward pass over the chain (no N). A state where y equals :math:`y_{ref}` adds a literal 0,
so the static policy scores exactly 0 on every indicator.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..chain.fill import triangle_pairs
from ..chain.kernels import kernel_for
from ..chain.policy import as_policy

__all__ = ["FILL_GAMING_INDICATORS", "fill_gaming_indicators", "lowest_fill_class"]

#: the strategic indicators of a fill-rate contract, in table order
FILL_GAMING_INDICATORS = ("withheld_filled_units", "added_filled_units",
                          "bunching_excess_bonus", "bunching_excess_penalty")


def lowest_fill_class(top: int, threshold) -> Fraction:
    r"""The smallest fill rate F/D (1 when D = 0) of the pairs :math:`0 \le F \le D \le` ``top``
    at or above ``threshold``, compared exactly.

    Examples
    --------
    >>> str(lowest_fill_class(4, Fraction(7, 10))), str(lowest_fill_class(3, 1))
    ('3/4', '1')
    """
    a = Fraction(threshold)
    best = Fraction(1)
    for D in range(1, int(top) + 1):
        F = -(-a.numerator * D // a.denominator)  # ceil(a D)
        if F <= D:
            best = min(best, Fraction(F, D))
    return best


def _class_mass(D, F, mass, value: Fraction, exact):
    """P(F/D = value) of final pairs (D, F) with probabilities ``mass`` (D = 0 counts as 1)."""
    hit = np.where(D == 0, value == 1, F * value.denominator == D * value.numerator)
    total = mass[hit].sum()
    return total if exact else float(total)


def fill_gaming_indicators(policy, reference) -> dict:
    r"""The strategic gaming indicators of a policy of a fill-rate contract from the start
    (module docstring; docs/model.md section 14: sweeps).

    Parameters
    ----------
    policy : Policy, AbsorbingChain or solution
        A fill-rate contract's stock table.
    reference : FillStaticSolution
        The static solution of the same problem (:math:`S^*` and its FR distribution).

    Returns
    -------
    dict
        The keys of :data:`FILL_GAMING_INDICATORS`: Fractions for an exact policy, else floats.

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform, Problem, solve_dynamic, solve_static
    >>> prob = Problem(Contract(3, 0.8, 0.9, penalty=4, bonus=2, measure="fill-rate"),
    ...                DiscreteUniform(0, 2), 0.5)
    >>> ref = solve_static(prob, exact=True)
    >>> set(fill_gaming_indicators(ref, ref).values())
    {Fraction(0, 1)}
    >>> ind = fill_gaming_indicators(solve_dynamic(prob, exact=True), ref)
    >>> sorted(ind) == sorted(FILL_GAMING_INDICATORS)
    True
    """
    pol = as_policy(policy)
    exact, space = pol.exact, pol.space
    contract = pol.problem.contract
    zero = Fraction(0) if exact else 0.0
    _, _, _, x = space.coordinates()
    y = np.asarray(pol.stock, dtype=np.int64)
    y_ref = np.maximum(np.asarray(x, dtype=np.int64), int(reference.base_stock))
    pmf = space.score.pmf(exact)
    top = int(max(y.max(initial=0), y_ref.max(initial=0)))
    d = np.arange(pmf.shape[0])
    # E[min(d, y)] for y = 0..top over the demands kept
    filled = (pmf[None, :] * np.minimum(d[None, :], np.arange(top + 1)[:, None])).sum(axis=1)
    diff = np.where(y == y_ref, zero, filled[y_ref] - filled[y])
    w = np.stack([np.maximum(diff, zero), np.maximum(-diff, zero)], axis=1)
    sums = [np.array([zero, zero], dtype=object if exact else np.float64)]

    def add(i, lo, mass):
        n, width = mass.shape
        o = space.offset(i) + lo * width
        sums[0] = sums[0] + mass.reshape(-1) @ w[o : o + n * width]

    start = (1, 0, 0, space.initial_stock) if space.carry else (1, 0, 0)
    final = kernel_for(pol).forward(space.start(start), on_layer=add)
    cap = space.score.cap(space.T + 1)
    D, F = triangle_pairs(cap)
    ref = reference.fill_rate
    out = {"withheld_filled_units": sums[0][0], "added_filled_units": sums[0][1]}
    for key, a in (("bunching_excess_bonus", contract.bonus_threshold),
                   ("bunching_excess_penalty", contract.penalty_threshold)):
        phi = lowest_fill_class(cap, a)
        at = (ref.numerators == phi.numerator) & (ref.denominators == phi.denominator)
        p_ref = ref.pmf[at].sum() if at.any() else zero
        if np.array_equal(y, y_ref):
            out[key] = zero  # the reference itself
        else:
            out[key] = _class_mass(D, F, final, phi, exact) - p_ref
    return out if exact else {k: float(v) for k, v in out.items()}
