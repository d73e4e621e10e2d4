r"""Mutation tests: break a solver on purpose and show that the proofs notice.

**What this proves.** The proofs in this package are not vacuous: each of the faults below, patched
into the package for the duration of one test, makes at least one proof check fail (the checks
are the ``check_*`` functions of the proof modules, which raise AssertionError on a mismatch).
Each test first runs the same check on the unbroken package, where it passes.

=============================================  ==============================================
fault patched in                               proof that catches it
=============================================  ==============================================
``Contract.penalty_count`` off by one          last stage (threshold rule, solver vs table),
                                               T = 2 discrete closed form (lump-sum)
``Contract.bonus_count`` rounds down           last stage (threshold rule, solver vs table)
tie rule: ``searchsorted(side="right")``       T = 2 discrete closed form (exact ties)
tie rule: continuous stock at Delta = 0 is a   T = 2 continuous closed form
sign of the linear bonus in ``settlement``     T = 2 closed forms (linear), last stage (linear)
chain: ready and short swapped in propagation  chain identities (B, N rows vs symbolic)
DKW size rounded down instead of up            sample size
=============================================  ==============================================

**Which solver it checks.** All of them, through the proof modules: ``solve_dynamic``,
``Contract``, ``ContinuousUniform.best_stock``, ``AbsorbingChain``, ``dkw_sample_size``.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

import slamarkov.chain.triangle
import slamarkov.simulation.simulate
import slamarkov.solve.dynamic
from slamarkov import LINEAR, LUMP_SUM, Contract, ContinuousUniform

from . import proof_chain_identities as chain_proof
from . import proof_last_stage as last_stage
from . import proof_sample_size as sample_size
from . import proof_uniform_t2_continuous as continuous
from . import proof_uniform_t2_discrete as discrete


def assert_caught(check, mutate, monkeypatch):
    """``check`` passes on the package as it is and fails once ``mutate(monkeypatch)`` ran."""
    check()
    with monkeypatch.context() as m:
        mutate(m)
        with pytest.raises(AssertionError):
            check()


# -- the faults ------------------------------------------------------------------------------


def penalty_count_off_by_one(m):
    m.setattr(Contract, "penalty_count",
              property(lambda self: math.ceil(self.review_period * self.penalty_threshold) + 1))


def bonus_count_rounds_down(m):
    m.setattr(Contract, "bonus_count",
              property(lambda self: math.floor(self.review_period * self.bonus_threshold)))


class _SlopesTiesToTheRight(np.ndarray):
    """Hull slopes whose searchsorted breaks ties towards the larger stock."""

    def searchsorted(self, v, side="left", sorter=None):
        return np.asarray(self).searchsorted(v, side="right", sorter=sorter)


def ties_to_largest_stock(m):
    original = slamarkov.solve.dynamic.lower_envelope

    def lower_envelope(F, cost):
        vertex, slopes = original(F, cost)
        return vertex, np.asarray(slopes).view(_SlopesTiesToTheRight)

    m.setattr(slamarkov.solve.dynamic, "lower_envelope", lower_envelope)


def continuous_stock_at_zero_delta(m):
    original = ContinuousUniform.best_stock

    def best_stock(self, delta, holding_cost, exact=False):
        d = np.asarray(delta, dtype=object if exact else np.float64)
        out = original(self, delta, holding_cost, exact)
        low = self.low if exact else float(self.low)
        return np.where(d == 0, low, out)  # stocks up to a although nothing is at stake

    m.setattr(ContinuousUniform, "best_stock", best_stock)


def linear_bonus_sign(m):
    original = Contract.settlement

    def settlement(self, exact=False):
        if self.scheme != LINEAR:
            return original(self, exact)
        T, aL, aU = self.review_period, self.penalty_threshold, self.bonus_threshold
        g = [self.penalty * max(aL - Fraction(v, T), 0) + self.bonus * max(Fraction(v, T) - aU, 0)
             for v in range(T + 1)]
        g = [Fraction(x) for x in g]
        return np.array(g, dtype=object) if exact else np.array([float(x) for x in g])

    m.setattr(Contract, "settlement", settlement)


def chain_swaps_ready_and_short(m):
    original = slamarkov.chain.triangle.propagate

    def propagate(source, T, *args, **kwargs):
        stage = getattr(source, "stage_success", source)  # a Policy, or a callable of the stage
        return original(lambda i: 1 - stage(i), T, *args, **kwargs)

    m.setattr(slamarkov.chain.triangle, "propagate", propagate)


def dkw_rounds_down(m):
    def dkw_sample_size(eps=0.01, delta=0.05):
        e, d = Fraction(str(eps)), Fraction(str(delta))
        return math.floor(math.log(2 / d) / (2 * e * e))

    m.setattr(slamarkov.simulation.simulate, "dkw_sample_size", dkw_sample_size)


# -- the tests -------------------------------------------------------------------------------


def test_penalty_threshold_off_by_one_is_caught(monkeypatch):
    assert_caught(last_stage.check_threshold_rule, penalty_count_off_by_one, monkeypatch)
    assert_caught(lambda: last_stage.check_solver_last_stage((LUMP_SUM,)), penalty_count_off_by_one,
                  monkeypatch)
    assert_caught(lambda: discrete.check_scheme(LUMP_SUM, float_mode=False), penalty_count_off_by_one,
                  monkeypatch)


def test_bonus_threshold_rounding_is_caught(monkeypatch):
    assert_caught(last_stage.check_threshold_rule, bonus_count_rounds_down, monkeypatch)
    assert_caught(lambda: last_stage.check_solver_last_stage((LUMP_SUM,)), bonus_count_rounds_down,
                  monkeypatch)


def test_wrong_tie_rule_in_the_discrete_solver_is_caught(monkeypatch):
    assert_caught(lambda: discrete.check_scheme(LUMP_SUM, float_mode=False), ties_to_largest_stock,
                  monkeypatch)


def test_wrong_tie_rule_in_the_continuous_solver_is_caught(monkeypatch):
    assert_caught(lambda: continuous.check_scheme(LUMP_SUM, float_mode=False),
                  continuous_stock_at_zero_delta, monkeypatch)


def test_sign_of_the_linear_bonus_is_caught(monkeypatch):
    assert_caught(lambda: continuous.check_scheme(LINEAR, float_mode=False), linear_bonus_sign,
                  monkeypatch)
    assert_caught(lambda: discrete.check_scheme(LINEAR, float_mode=False), linear_bonus_sign,
                  monkeypatch)
    assert_caught(lambda: last_stage.check_solver_last_stage((LINEAR,)), linear_bonus_sign, monkeypatch)


def test_swapped_chain_transitions_are_caught(monkeypatch):
    assert_caught(lambda: chain_proof.check_package_chain(3), chain_swaps_ready_and_short, monkeypatch)


def test_dkw_rounding_down_is_caught(monkeypatch):
    assert_caught(sample_size.check_package, dkw_rounds_down, monkeypatch)
