"""Issue 24 item 3: stock carried over with an unbounded demand (normal, negative binomial).

The carry-over chain's cost decomposition reads E[d^2], which sums a table of the demand to
where its tail is negligible. The cut was ``quantile(1 - 1e-17)``, and ``1 - 1e-17`` is 1 in
float64: an infinite quantile, and ``chain --from``, ``simulate --out``, ``report`` and ``sweep``
died with an ``OverflowError``. The cut is now :meth:`DiscreteDemand.support_cut`, always finite.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from contracts import study_contract, write_contract
from test_cli_solve import run_cli

from slamarkov.model.demand import TAIL_CUT, DiscreteUniform, DiscretisedNormal, Poisson

def carry_normal(T) -> str:
    """The study's contract with stock carried over and normal demand (mean 5, sd 2)."""
    return study_contract(T, costs="holding = 0.5\npurchase = 1\n",
                          demand='kind = "normal"\nmean = 5\nsd = 2\n',
                          tail='[inventory]\nleftover = "carry"\n')


class TestSupportCut:
    def test_bounded_support_is_its_top(self):
        assert DiscreteUniform(2, 9).support_cut() == 9

    @pytest.mark.parametrize("demand", [DiscretisedNormal(5, 2), DiscretisedNormal(15, 5), Poisson(5)])
    def test_unbounded_cut_is_the_first_float_one_below_one(self, demand):
        k = demand.support_cut()
        assert isinstance(k, int) and math.isfinite(k)
        assert demand.cdf(k) >= TAIL_CUT > demand.cdf(k - 1)

    def test_the_old_cut_was_one(self):
        # the defect: a probability of 1 - 1e-17 is 1 in float64, whose quantile is infinite
        assert 1 - 1e-17 == 1.0 and DiscretisedNormal(5, 2).quantile(1 - 1e-17) == math.inf

    def test_second_moment_of_a_discretised_normal_by_brute_force(self):
        # E[d^2] = sum_k k^2 P(d = k), P(d = k) = Phi(k + 1) - Phi(k) for k >= 1, P(0) = Phi(1)
        d = DiscretisedNormal(5, 2)
        k = np.arange(0, 200)
        F = d.cdf(k)
        pmf = np.diff(np.concatenate(([0.0], F)))
        assert d.second_moment() == pytest.approx(float((k * k * pmf).sum()), rel=1e-12)

    def test_scipy_negative_binomial_second_moment(self):
        stats = pytest.importorskip("scipy.stats")
        from slamarkov.model.demand import ScipyDemand

        dist = stats.nbinom(5, 0.5)
        assert ScipyDemand(dist).second_moment() == pytest.approx(dist.moment(2), rel=1e-12)


@pytest.fixture
def contract(tmp_path):
    return write_contract(tmp_path, "carry_normal.toml", carry_normal(6))


class TestCommands:
    def test_chain_from(self, contract):
        code, out, err = run_cli("chain", contract, "--from", "1,0")
        assert code == 0, err
        assert "expected cost to the end of the review period" in out

    def test_simulate_out(self, contract, tmp_path):
        code, out, err = run_cli("simulate", contract, "--runs", "50", "--seed", "1",
                                 "--out", tmp_path / "runs.csv")
        assert code == 0, err
        assert "mean total cost" in out and (tmp_path / "runs.csv").is_file()

    def test_report(self, contract, tmp_path):
        code, _out, err = run_cli("report", contract, "--out", tmp_path / "r.html")
        assert code == 0, err
        assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")

    def test_sweep(self, tmp_path):
        grid = write_contract(tmp_path, "grid.toml", carry_normal("[4, 5]"))
        code, _out, err = run_cli("sweep", grid, "--out", tmp_path / "s.csv", "--workers", "1",
                                 "--no-progress")
        assert code == 0, err
        rows = (tmp_path / "s.csv").read_text().splitlines()
        assert len(rows) == 1 + 2 * 2  # two points, both policies
