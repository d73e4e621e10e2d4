"""Poisson and discretised-normal probabilities without scipy (issue 12), against 40-digit
references (mpmath, which sympy brings) and against scipy.special.

The bounds are what the arithmetic gives, not tuned to pass. Each pmf term is
exp(-delta(x) - D(x, lambda)) / sqrt(2 pi x). Near the mean the deviance D comes from its series
and the term is good to a few ulps; far from it, D = x ln(x / lambda) + (lambda - x) is the
difference of two terms of size A(x) = x |ln(x / lambda)| + |lambda - x|, so the exponent carries
an absolute error of a few eps A(x), which is the term's relative error (scipy's own pmf,
exp(x ln lambda - ln x! - lambda), carries eps times x ln lambda + lambda, more). F below the mode
is a sum of positive terms from the small end, 1 - F above it a sum of the upper tail from its
small end, each dominated by its terms nearest k. So the relative bound at k is
1e-14 + 16 eps A(k), checked where the exact value is >= 1e-300, and F is good to 1e-15
absolute everywhere.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import mpmath
import numpy as np
import pytest
from scipy import special, stats

from slamarkov import DiscretisedNormal, Poisson
from slamarkov.core.binomial import poisson_pmf

ROOT = Path(__file__).resolve().parents[1]
MEANS = [1e-3, 0.5, 1, 5, 15, 50, 200, 1e3, 1e4, 1e5, 1e6]


EPS = 2.0**-52


def rel_bound(k, lam):
    """1e-14 + 16 eps A(k), A(k) = k |ln(k / lambda)| + |lambda - k| (module docstring)."""
    a = (k * abs(math.log(k / lam)) if k > 0 else 0.0) + abs(lam - k)
    return 1e-14 + 16 * EPS * a


def grid(lam):
    sd = math.sqrt(lam)
    return sorted({int(min(max(lam + z * sd, 0), lam + 12 * sd + 30))
                   for z in (-40, -30, -20, -10, -5, -3, -1, -0.5, 0, 0.5, 1, 3, 5, 10, 12)}
                  | {0, 1, 2, int(lam) - 1, int(lam), int(lam) + 1} - {-1})


# mpmath's incomplete gamma does not converge for means of 1e5 and more: there the pmf test below
# and the comparison with scipy carry the check
@pytest.mark.parametrize("lam", [m for m in MEANS if m <= 1e4])
def test_poisson_cdf_against_40_digits(lam):
    mpmath.mp.dps = 40
    ks = grid(lam)
    F = Poisson(lam).cdf(np.array(ks))
    for k, f in zip(ks, F):
        exact = mpmath.gammainc(k + 1, lam, mpmath.inf, regularized=True)  # P(d <= k)
        upper = mpmath.gammainc(k + 1, 0, lam, regularized=True)  # P(d > k), no cancellation
        assert abs(f - float(exact)) <= 1e-15, (k, f, exact)
        if exact >= 1e-300:
            assert abs(f - exact) <= rel_bound(k, lam) * exact, (k, f, exact)
        if upper >= 1e-300 and f < 1:
            assert abs((1 - f) - upper) <= rel_bound(k + 1, lam) * upper + EPS, (k, 1 - f, upper)


@pytest.mark.parametrize("lam", MEANS)
def test_poisson_pmf_against_40_digits(lam):
    mpmath.mp.dps = 40
    ks = grid(lam)
    p = poisson_pmf(max(ks), lam)
    for k in ks:
        exact = mpmath.exp(-lam + k * mpmath.log(lam) - mpmath.loggamma(k + 1))
        if exact >= 1e-300:
            assert abs(p[k] - exact) <= rel_bound(k, lam) * exact, (k, p[k], exact)


@pytest.mark.parametrize("lam", MEANS)
def test_poisson_against_scipy(lam):
    k = np.arange(int(lam + 12 * math.sqrt(lam)) + 30)
    F = Poisson(lam).cdf(k)
    # scipy's pdtr is itself off by up to 4e-11 near lambda = 1e6 (a branch of igamc): the
    # 40-digit test above is the reference; here the two agree to scipy's accuracy
    np.testing.assert_allclose(F, special.pdtr(k, lam), rtol=0, atol=1e-10 if lam >= 1e6 else 1e-15)
    assert np.all(np.diff(F) >= 0) and F.max() <= 1.0
    for q in (1e-9, 0.01, 0.5, 0.9, 0.999999):
        assert Poisson(lam).quantile(q) == stats.poisson.ppf(q, lam)


@pytest.mark.parametrize("mu, sd", [(15, 5), (0, 1), (100, 3), (5, 0.01), (1e6, 1e3)])
def test_normal_against_scipy_and_40_digits(mu, sd):
    mpmath.mp.dps = 40
    d = DiscretisedNormal(mu, sd)
    k = np.arange(int(mu + 40 * sd) + 2)
    F = d.cdf(k)
    z = (k + 1 - mu) / sd
    np.testing.assert_allclose(F, special.ndtr(z), rtol=0, atol=2.3e-16)
    for kk in k[:: max(1, len(k) // 50)]:
        exact = mpmath.ncdf((mpmath.mpf(int(kk)) + 1 - mpmath.mpf(mu)) / mpmath.mpf(sd))
        if exact >= 1e-300:
            # the argument z is rounded once (eps |z|), which moves log Phi by about z^2 eps
            zz = float((kk + 1 - mu) / sd)
            assert abs(F[kk] - exact) <= (4 + zz * zz) * 2.3e-16 * exact, (kk, F[kk], exact)
    for q in (1e-9, 0.01, 0.5, 0.9, 0.999999):
        ref = max(math.ceil(mu + sd * stats.norm.ppf(q) - 1), 0)
        assert abs(d.quantile(q) - ref) <= 1 and d.cdf(d.quantile(q)) >= q


def test_solving_poisson_and_normal_imports_no_scipy_special():
    script = (
        "import io, contextlib, sys\nfrom slamarkov.cli import main\n"
        "for demand in (['--demand', 'poisson:5'], ['--demand', 'normal:15,5']):\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        assert main(['solve', 'examples/contract.toml', '--format', 'json', *demand]) == 0\n"
        "print(sorted(m for m in sys.modules if m.startswith('scipy')))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]", proc.stdout
