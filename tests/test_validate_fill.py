"""Validation of simulated fill-rate runs (docs/model.md sections 7 and 14): the ready rate's
checks on the fill rate. Issue 21's requirement: the test catches a simulator that fills
min(d, y - 1) or counts periods instead of units, and passes a correct one at the nominal rate
over many seeds."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from slamarkov import Contract, DiscreteUniform, Problem, solve_dynamic, solve_static
from slamarkov.cli import main
from slamarkov.model.fill import fill_settlement
from slamarkov.simulation.fill import (
    FillRuns,
    fill_reference,
    read_fill_runs,
    simulate_fill,
    validate_fill_runs,
)
from slamarkov.simulation.validate import validate_runs

#: a correct simulator is called inconsistent with probability at most ALPHA (Bonferroni); over
#: SEEDS independent seeds the number of rejections is then at most Binomial(SEEDS, ALPHA), and a
#: count above its 1 - 1e-3 quantile says the test rejects more often than its level
ALPHA = 0.05
SEEDS = 200
RUNS = 500

DISCARD = Problem(Contract(4, "0.7", "0.9", penalty=10, bonus=3, measure="fill-rate"),
                  DiscreteUniform(0, 3), 1)
CARRY = Problem(Contract(3, "0.6", "0.85", penalty=4, bonus=2, measure="fill-rate"),
                DiscreteUniform(0, 3), "1/2", purchase_cost=1, salvage_value="1/2",
                leftover="carry", initial_stock=1)


@pytest.fixture(scope="module", params=["discard-dynamic", "carry-static"])
def solution(request):
    if request.param == "discard-dynamic":
        return solve_dynamic(DISCARD)
    return solve_static(CARRY, max_stock=6)


def _simulator(policy, runs, seed, fault=None):
    """A simulator written for the test, with its own bookkeeping of (D, F): correct
    (``fault=None``), filling min(d, y - 1) ("fill_one_less"), or counting periods instead of
    units ("count_periods": one demanded per period, one filled per period demand met)."""
    space, prob = policy.space, policy.problem
    rng = np.random.default_rng(seed)
    D = np.zeros(runs, dtype=np.int64)
    F = np.zeros(runs, dtype=np.int64)
    x = np.full(runs, int(space.initial_stock), dtype=np.int64)
    left = np.zeros(runs, dtype=np.int64)
    bought = np.zeros(runs, dtype=np.int64)
    for i in range(1, space.T + 1):
        y = np.asarray(policy.layer(i), dtype=np.int64)[D * (D + 1) // 2 + F, space.columns(i, x)]
        d = np.asarray(prob.demand.sample(rng, runs), dtype=np.int64)
        if fault == "count_periods":
            D += 1
            F += d <= y
        else:
            D += d
            F += np.minimum(d, np.maximum(y - 1, 0)) if fault == "fill_one_less" else \
                np.minimum(d, y)
        left += np.maximum(y - d, 0)
        bought += np.maximum(y - x, 0) + np.maximum(d - y, 0)
        x = space.stock_after(y, d)
    holding = left * float(prob.holding_cost)
    settlement = np.asarray(fill_settlement(prob.contract, D, F), dtype=np.float64)
    purchase = None
    if prob.purchase_cost or prob.salvage_value:
        purchase = bought * float(prob.purchase_cost) - x * float(prob.salvage_value)
    total = holding + settlement + (0 if purchase is None else purchase)
    return FillRuns(D, F, holding, purchase, settlement, total)


def test_the_test_simulator_is_the_products_bit_for_bit(solution):
    # so the faulty simulators below differ from a correct one by their fault alone
    ours = _simulator(solution.policy, 300, seed=11)
    theirs = simulate_fill(solution.policy, 300, seed=11)
    for col in ("demand_total", "filled_total", "holding_cost", "purchase_cost", "settlement"):
        a, b = getattr(ours, col), getattr(theirs, col)
        assert (a is None and b is None) or np.array_equal(a, b), col
    assert np.allclose(ours.total_cost, theirs.total_cost, rtol=0, atol=1e-12)


def test_a_correct_simulator_passes_at_the_nominal_rate(solution):
    reports = [validate_fill_runs(solution, simulate_fill(solution.policy, RUNS, seed=s),
                                  alpha=ALPHA) for s in range(SEEDS)]
    assert {len(r.checks) for r in reports} == {9 if solution.problem.carries else 8}
    rejected = sum(not r.consistent for r in reports)
    assert rejected <= stats.binom.ppf(1 - 1e-3, SEEDS, ALPHA)


@pytest.mark.parametrize("fault", ["fill_one_less", "count_periods"])
@pytest.mark.parametrize("costs", [False, True])
def test_a_faulty_simulator_is_caught(solution, fault, costs):
    # 200 runs: caught on every seed, from the units alone as well as with the costs
    for seed in range(20):
        runs = _simulator(solution.policy, 200, seed, fault)
        if not costs:
            runs = FillRuns(runs.demand_total, runs.filled_total)
        rep = validate_fill_runs(solution, runs, alpha=ALPHA)
        assert not rep.consistent, (fault, seed)
        assert {"chi_square", "dkw_band"} & set(rep.rejected)


def test_the_report_has_the_ready_rates_shape():
    sol = solve_dynamic(DISCARD, exact=True)
    fill = validate_fill_runs(sol, simulate_fill(sol.policy, 1000, seed=2)).to_dict()
    prob = Problem(Contract(4, "0.7", "0.9", penalty=10, bonus=3), DiscreteUniform(0, 3), 1)
    ready = validate_runs(solve_dynamic(prob).policy, [3] * 10, total_cost=[0.0] * 10).to_dict()
    assert fill["measure"] == "fill-rate" and "measure" not in ready
    assert list(fill)[1:] == list(ready)
    assert [c["name"] for c in fill["checks"]] == [
        "dkw_band", "chi_square", "mean", "p_penalty", "p_bonus", "mean_holding_cost",
        "mean_settlement", "mean_cost"]
    assert fill["level"] == fill["alpha"] / 8 and fill["correction"] == "bonferroni"


def test_the_exact_side_is_the_chains():
    sol = solve_dynamic(DISCARD, exact=True)
    ref = fill_reference(sol)
    dist = sol.fill_rate
    assert ref.pmf.tolist() == [float(p) for p in dist.pmf]
    assert ref.mean == float(dist.mean) and ref.p_bonus == float(dist.p_bonus)
    assert ref.mean_cost == float(sol.value_start)
    _, var = sol.chain.cost_components()["total"]
    assert ref.sd_cost == pytest.approx(float(var) ** 0.5, rel=1e-12)


def test_runs_at_a_value_of_probability_zero_reject_outright():
    sol = solve_dynamic(DISCARD)
    runs = simulate_fill(sol.policy, 1000, seed=3)
    D, F = runs.demand_total.copy(), runs.filled_total.copy()
    D[0], F[0] = 12, 1  # FR = 1/12: below anything the policy lets happen
    rep = validate_fill_runs(sol, FillRuns(D, F))
    chi = rep.check("chi_square")
    assert chi.p_value == 0.0 and "F/D = 1/12" in chi.detail and not rep.consistent


def test_no_penalty_band_is_not_tested():
    prob = Problem(Contract(2, 0, 1, bonus=1, measure="fill-rate"), DiscreteUniform(0, 2), 1)
    sol = solve_dynamic(prob)
    rep = validate_fill_runs(sol, simulate_fill(sol.policy, 500, seed=1))
    assert "p_penalty" not in [c.name for c in rep.checks]


# -- the command line ----------------------------------------------------------------------------

CONTRACT = """
[contract]
review_period = 3
penalty_threshold = 0.6
bonus_threshold = 0.85
penalty = 4
bonus = 2
measure = "fill-rate"
[costs]
holding = 0.5
purchase = 1
salvage = 0.5
[inventory]
leftover = "carry"
initial_stock = 1
[demand]
kind = "discrete-uniform"
low = 0
high = 3
[solver]
max_stock = 6
"""


def _cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def files(tmp_path, capsys):
    cfg = tmp_path / "fill.toml"
    cfg.write_text(CONTRACT)
    runs = tmp_path / "runs.csv"
    assert _cli(capsys, "simulate", cfg, "--runs", "3000", "--seed", "5", "--out", runs)[0] == 0
    return cfg, runs


def test_cli_validates_a_simulated_file(capsys, files):
    cfg, runs = files
    made = read_fill_runs(runs)
    assert made.provenance["contract"]["measure"] == "fill-rate" and made.seed == 5
    assert made.purchase_cost is not None
    code, out, err = _cli(capsys, "validate", cfg, "--runs", runs, "--format", "json")
    doc = json.loads(out)
    assert code == 0 and err == "" and doc["consistent"] and len(doc["checks"]) == 9
    code, out, err = _cli(capsys, "validate", cfg, "--runs", runs)
    assert code == 0 and out.splitlines()[0].startswith(
        "3000 runs against the exact chain of the dynamic policy (T = 3), measure fill-rate")
    assert "verdict: consistent with the exact chain" in out


def test_cli_warns_and_rejects_runs_of_another_policy(capsys, files):
    cfg, runs = files
    code, out, err = _cli(capsys, "validate", cfg, "--runs", runs, "--holding", "3")
    assert code == 1 and "verdict: INCONSISTENT" in out
    assert "costs.holding 1/2 (here 3)" in err and err.count("\n") == 1


@pytest.mark.parametrize("row, message", [
    ("1,2,3,1.0,0,0,0", "filled_total must not exceed demand_total"),
    ("1,2,1,0.5,x,0,0", "holding_cost must be a finite number"),
    ("1,2,1,0.5,0,0", "expected 7 fields"),
    ("1,2,\u00b2,1.0,0,0,0", "filled_total must be a non-negative integer (units), got '\u00b2'"),
    ("1," + "9" * 5000 + ",1,0,0,0,0", "demand_total must be a non-negative integer (units)"),
])
def test_cli_bad_runs_file_is_one_line(capsys, tmp_path, files, row, message):
    cfg, _ = files
    bad = tmp_path / "bad.csv"
    bad.write_text("run,demand_total,filled_total,fill_rate,holding_cost,settlement,total_cost\n"
                   + row + "\n")
    code, out, err = _cli(capsys, "validate", cfg, "--runs", bad)
    assert code == 2 and out == "" and err.count("\n") == 1 and message in err


def test_cli_bad_alpha_is_one_line(capsys, files):
    cfg, runs = files
    code, _, err = _cli(capsys, "validate", cfg, "--runs", runs, "--alpha", "1.5")
    assert code == 2 and err.count("\n") == 1 and "--alpha: must lie in (0, 1)" in err


# -- the Python entry points -----------------------------------------------------------------------

def test_the_ready_rate_api_refuses_a_fill_policy_naming_the_fill_rate_one():
    from slamarkov.errors import SimulationError
    from slamarkov.simulation.simulate import simulate
    from slamarkov.simulation.validate import exact_reference, validate

    sol = solve_dynamic(DISCARD)
    with pytest.raises(SimulationError, match="validate them with "
                       "slamarkov.simulation.fill.validate_fill_runs"):
        validate(sol, simulate_fill(sol.policy, 50, seed=4))
    with pytest.raises(SimulationError, match="policy: of a fill-rate contract; simulate it "
                       "with slamarkov.simulation.fill.simulate_fill"):
        simulate(sol.policy, 10, seed=1)
    with pytest.raises(SimulationError, match="fill_reference"):
        exact_reference(sol)
