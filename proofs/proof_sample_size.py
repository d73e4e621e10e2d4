r"""The simulation size: the Dvoretzky-Kiefer-Wolfowitz sample size n = 18,445.

**What this proves.** By the DKW inequality with Massart's constant, the empirical CDF
:math:`\hat F_n` of n independent runs satisfies
:math:`P(\sup_x |\hat F_n(x) - F(x)| > \varepsilon) \le 2 e^{-2 n \varepsilon^2}`. The smallest n
with :math:`2 e^{-2 n \varepsilon^2} \le \delta` is
:math:`n = \lceil \ln(2/\delta) / (2\varepsilon^2) \rceil`, and for :math:`\varepsilon = 0.01`,
:math:`\delta = 0.05` it is :math:`\lceil 5000 \ln 40 \rceil = 18445` (docs/model.md section 7): the
bound holds at 18,445 and fails at 18,444, decided exactly by sympy.

**Which solver it checks.** :func:`slamarkov.simulation.simulate.dkw_sample_size` (exact ceiling on a grid
of eps, delta, including the study's), :func:`slamarkov.simulation.simulate.dkw_epsilon` and
``slamarkov.simulation.simulate.STUDY_RUNS``.
"""

from __future__ import annotations

import itertools

import sympy as sp

from slamarkov.simulation import simulate

n = sp.Symbol("n", positive=True)
eps, delta = sp.symbols("epsilon delta", positive=True)

bound = 2 * sp.exp(-2 * n * eps**2)  # DKW-Massart: P(band fails) <= bound
# The bound falls in n; solve bound = delta for the crossing point.
assert sp.diff(bound, n).equals(-4 * eps**2 * sp.exp(-2 * n * eps**2))
(n_cross,) = sp.solve(sp.Eq(bound, delta), n)
assert sp.simplify(n_cross - sp.log(2 / delta) / (2 * eps**2)) == 0


def sample_size(e, d):
    """The smallest integer n with 2 exp(-2 n e^2) <= d, exactly."""
    return int(sp.ceiling(n_cross.subs({eps: e, delta: d})))


def holds(N, e, d):
    """Whether 2 exp(-2 N e^2) <= d, decided by sympy (exact rational comparison of an exp)."""
    return bool(bound.subs({n: N, eps: e, delta: d}) <= d)


EPS_STUDY, DELTA_STUDY = sp.Rational(1, 100), sp.Rational(1, 20)
N_STUDY = sample_size(EPS_STUDY, DELTA_STUDY)


def check_study_size():
    assert sp.simplify(n_cross.subs({eps: EPS_STUDY, delta: DELTA_STUDY}) - 5000 * sp.log(40)) == 0
    assert N_STUDY == 18445
    assert holds(18445, EPS_STUDY, DELTA_STUDY) and not holds(18444, EPS_STUDY, DELTA_STUDY)


def check_package(grid=True):
    assert simulate.STUDY_RUNS == N_STUDY
    assert simulate.dkw_sample_size() == N_STUDY
    assert simulate.dkw_sample_size(0.01, 0.05) == N_STUDY
    if grid:
        for e, d in itertools.product(("1/100", "1/20", "1/10", "3/1000"), ("1/20", "1/100", "1/2", "9/10")):
            es, ds = sp.Rational(e), sp.Rational(d)
            want = sample_size(es, ds)
            assert holds(want, es, ds) and (want == 1 or not holds(want - 1, es, ds)), (e, d)
            assert simulate.dkw_sample_size(e, d) == want, (e, d, want)
            assert simulate.dkw_epsilon(want, float(ds)) <= float(es) * (1 + 1e-12), (e, d)


def test_dkw_sample_size_is_18445():
    check_study_size()


def test_package_dkw_sample_size():
    check_package()
