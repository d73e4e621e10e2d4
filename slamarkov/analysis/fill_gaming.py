r"""The gaming indicators of a fill-rate contract (docs/model.md section 14: sweeps, and state
classes and outcome indicators in units), the API the sweep and the report read; every class and
indicator is defined once, in :mod:`slamarkov.chain.classes`.

Measured, as for the ready rate (section 12), against the non-strategic reference: the static
policy "order up to :math:`y_{ref} = \max(S^*, x)`" of the same contract. In units instead of
periods, with :math:`e(y) = E\min(d, y)`:

* ``give_up_periods`` / ``coasting_periods``: the expected periods spent in states whose fill
  ratio :math:`e(y)/E[d]` is below :math:`\alpha_L` (:math:`\alpha_U`) while the penalty (the
  bonus) is the likely outcome under the policy;
* ``withheld_filled_units``: :math:`\sum_{i, s} P(s) (e(y_{ref}) - e(y))^+`, the expected units
  the policy fills less than the reference would in the states it visits, split into
  ``_open`` and ``_decided`` states (the outcome decided whatever happens, in units);
* ``added_filled_units``: the same with :math:`(e(y) - e(y_{ref}))^+`;
* ``bunching_excess_bonus``: P(FR = :math:`\phi_U`) minus the reference's, :math:`\phi_U` the
  smallest value F/D of the final pairs that earns the bonus (:math:`\ge \alpha_U`);
* ``bunching_excess_penalty``: the same at :math:`\phi_L`, the smallest that avoids the penalty.

One backward and one forward pass over the chain (no N). A state where y equals
:math:`y_{ref}` adds a literal 0, so the static policy scores exactly 0 on every strategic
indicator.
"""

from __future__ import annotations

from ..chain.classes import FILL_INDICATORS, fill_indicators
from ..chain.fill_classes import lowest_fill_class
from ..chain.policy import as_policy

__all__ = ["FILL_GAMING_INDICATORS", "fill_gaming_indicators", "lowest_fill_class"]

#: the indicators of a fill-rate contract, in table order (their one home:
#: :data:`slamarkov.chain.classes.FILL_INDICATORS`)
FILL_GAMING_INDICATORS = FILL_INDICATORS


def fill_gaming_indicators(policy, reference) -> dict:
    r"""The gaming indicators of a policy of a fill-rate contract from the start (module
    docstring; docs/model.md section 14).

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
    >>> ind = fill_gaming_indicators(ref, ref)
    >>> {k for k in ind if ind[k] != 0}
    set()
    >>> ind = fill_gaming_indicators(solve_dynamic(prob, exact=True), ref)
    >>> sorted(ind) == sorted(FILL_GAMING_INDICATORS)
    True
    """
    return fill_indicators(as_policy(policy), int(reference.base_stock),
                           reference_rate=reference.fill_rate)
