"""``graph --inspect`` on fill-rate contracts, in units (docs/model.md section 14).

The brute forces walk every demand path (one state path per demand sequence: distinct demands
give distinct D) and share nothing with the Viterbi pass and the forward pass they check; the
committed bands come from listing every final (D, F) reachable over all demands and fills.
"""

from __future__ import annotations

import itertools
import json
import math
from fractions import Fraction

import numpy as np
import pytest

from slamarkov import Contract, DiscreteUniform, Empirical, Problem
from slamarkov.analysis.fill_inspect import inspect_fill_policy
from slamarkov.cli import main
from slamarkov.solve import solve_both

CASES = [
    Problem(Contract(4, "0.8", "0.9", penalty=1, bonus=1, measure="fill-rate"),
            DiscreteUniform(0, 1), 2),
    Problem(Contract(3, "1/2", "3/4", penalty=2, bonus=3, measure="fill-rate"),
            DiscreteUniform(0, 2), "1/2"),
    Problem(Contract(3, "0.6", "0.9", "linear", penalty=10, bonus=4, measure="fill-rate"),
            Empirical(["1/4", "1/4", "1/2"]), 1, leftover="carry", initial_stock=1),
]


def _band(contract, D, F):
    fr = Fraction(1) if D == 0 else Fraction(F, D)
    return -1 if fr < contract.penalty_threshold else (1 if fr >= contract.bonus_threshold else 0)


def _committed(contract, support, i, D, F):
    steps = [(d, f) for d in support for f in range(d + 1)]
    seen = {_band(contract, D + sum(d for d, _ in p), F + sum(f for _, f in p))
            for p in itertools.product(steps, repeat=contract.review_period - i + 1)}
    return seen.pop() if len(seen) == 1 else None


@pytest.mark.parametrize("k", range(len(CASES)))
def test_paths_and_flow_equal_brute_force(k):
    problem = CASES[k]
    c, T = problem.contract, problem.review_period
    sol = solve_both(problem, max_stock=3, exact=True).dynamic
    pol, space = sol.policy, sol.policy.space
    F_, _ = problem.demand.table(int(problem.demand.upper), exact=True)
    pmf = [F_[0]] + [F_[j] - F_[j - 1] for j in range(1, len(F_))]
    support = [d for d, p in enumerate(pmf) if p]
    best = {}
    committed = {b: [Fraction(0)] * (T + 1) for b in (-1, 0, 1)}
    for path in itertools.product(support, repeat=T):
        D, Fl, x, prob = 0, 0, int(problem.initial_stock), Fraction(1)
        for i, d in enumerate(path, start=1):
            band = _committed(c, support, i, D, Fl)
            if band is not None:
                committed[band][i - 1] += prob * math.prod(pmf[e] for e in path[i - 1:])
            y = int(pol.stock[space.index(*((i, D, Fl, x) if space.carry else (i, D, Fl)))])
            prob *= pmf[d]
            D, Fl = D + d, Fl + min(d, y)
            x = max(y - d, 0) if problem.carries else 0
        committed[_band(c, D, Fl)][T] += prob
        b = _band(c, D, Fl)
        if prob > best.get(b, 0):
            best[b] = prob
    rep = inspect_fill_policy(sol)
    for code, name in zip((-1, 0, 1), ("penalty", "neutral", "bonus")):
        bp = rep.paths[name]
        if code not in best:
            assert bp is None
            continue
        assert bp.probability == pytest.approx(float(best[code]), rel=1e-12)
        D, Fl = bp.path[-1][1:3]
        assert _band(c, D, Fl) == code
        assert [float(v) for v in rep.flow["committed"][name]] == pytest.approx(
            [float(v) for v in committed[code]], abs=1e-15)


def test_the_groups_are_the_chain_classes():
    rep = inspect_fill_policy(solve_both(CASES[0], exact=True).dynamic)
    assert rep.decided["penalty-certain"][:2] == [(2, 1, 0), (3, 1, 0)]
    assert sorted(rep.give_up) == ["open", "penalty-certain"]
    # every decided state is penalty-certain: a fill rate of 80% needs every unit of a short
    # history made up, and no later demand suffices
    for i, D, F in rep.decided["penalty-certain"]:
        assert Fraction(F + (5 - i), D + (5 - i)) < Fraction(4, 5)


def _run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture()
def contract_file(tmp_path):
    path = tmp_path / "fill.toml"
    path.write_text("""\
[contract]
review_period = 4
penalty_threshold = 0.8
bonus_threshold = 0.9
penalty = 1
bonus = 1
measure = "fill-rate"
[costs]
holding = 2
[demand]
kind = "discrete-uniform"
low = 0
high = 1
[solver]
exact = true
""")
    return path


def test_cli_inspect_text_and_json(capsys, contract_file, tmp_path):
    code, out, err = _run(capsys, "graph", str(contract_file), "--inspect")
    assert code == 0, err
    assert out.startswith("Inspection of the dynamic policy of a fill-rate contract, T = 4, "
                          "from state (1, 0, 0)")
    assert "Decided states (no demand and no fill can change the outcome): " in out
    code, out, err = _run(capsys, "graph", str(contract_file), "--inspect", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["measure"] == "fill-rate" and doc["base_stock"] == 0
    assert doc["decided"]["penalty-certain"][0] == [2, 1, 0]
    assert sum(doc["flow"]["committed"][b][-1] for b in doc["flow"]["committed"]) \
        == pytest.approx(1)
    code, out, err = _run(capsys, "graph", str(contract_file), "--inspect", "--policy",
                          "static")
    assert code == 0, err
    assert "Withholding states (expected units filled below the static supplier's, S* = 0, " \
           "y_ref = S*): 0" in out


def test_states_at_indices_are_named_by_one_gather_per_stage():
    """space.coordinates_at on a fill space (what the report's state lists read) equals the
    full coordinates, in any order (it once looped over states)."""
    from slamarkov.chain.space import StateSpace

    prob = Problem(Contract(4, "0.8", "0.9", measure="fill-rate"), DiscreteUniform(0, 2), 1,
                   leftover="carry")
    space = StateSpace.for_problem(prob, 3)
    idx = np.random.default_rng(5).permutation(space.n_transient)
    full = space.coordinates()
    for got, want in zip(space.coordinates_at(idx), full):
        assert got.tolist() == want[idx].tolist()


def test_cli_inspect_is_size_checked_before_solving(capsys, monkeypatch):
    # the inspection's memory per state is counted before any solve, as for the ready rate
    import slamarkov.solve.both as both

    def no_solve(*args, **kwargs):
        raise AssertionError("solved before the size check")

    monkeypatch.setattr(both, "solve_policy", no_solve)
    code = main(["graph", "examples/contract.toml", "--measure", "fill-rate", "--inspect",
                 "--review-period", "30", "--max-gib", "0.2"])
    err = capsys.readouterr()[1]
    assert code == 2 and err.count("\n") == 1 and "--max-gib" in err and "for the inspect" in err
