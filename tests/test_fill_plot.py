"""Drawings of a fill-rate policy (slamarkov.plot.policy: fill_policy_panels, draw_fill_policy;
docs/model.md section 14) and ``slamarkov plot`` on fill-rate contracts."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from contracts import study_contract, write_contract

from slamarkov import (
    ChainError,
    Contract,
    DiscreteUniform,
    Poisson,
    Problem,
    SlamarkovError,
    solve_dynamic,
    solve_static,
)
from slamarkov.chain import AbsorbingChain
from slamarkov.cli import main
from slamarkov.plot.policy import (
    draw_chain,
    draw_fill_policy,
    draw_policy_heatmap,
    fill_policy_panels,
)

pytest.importorskip("matplotlib")


def fill_problem(T=3, leftover="discard", x0=0):
    contract = Contract(T, Fraction(1, 2), Fraction(9, 10), penalty=12, bonus=5,
                        measure="fill-rate")
    return Problem(contract, DiscreteUniform(0, 3), 1, leftover=leftover, initial_stock=x0,
                   purchase_cost=1 if leftover == "carry" else 0)


@pytest.fixture(scope="module", params=["discard", "carry", "carry-x0"])
def exact_policy(request):
    kw = {"discard": {}, "carry": {"leftover": "carry"},
          "carry-x0": {"leftover": "carry", "x0": 2}}[request.param]
    return solve_dynamic(fill_problem(**kw), max_stock=3, exact=True).policy


def drawn_states(policy, panels, x):
    """{(i, D, F[, x]): (stock, reach)} of every drawn cell."""
    out = {}
    for p in panels:
        for (f, d), y in np.ndenumerate(p.stock):
            if not np.isnan(y):
                key = (p.period, int(p.demand_total[d]), int(p.filled_total[f]))
                if policy.carries:
                    key += (policy.space.initial_stock if p.period == 1 else x,)
                out[key] = (y, p.reach[f, d])
    return out


class TestPanels:
    @pytest.mark.parametrize("x", [0, 1, 3])
    def test_drawn_stock_is_the_policys(self, exact_policy, x):
        """Every drawn cell holds the policy's order in its state, and the cells drawn are
        exactly the states of the slice reached with probability above 1e-9."""
        pol = exact_policy
        if not pol.carries and x:
            pytest.skip("no slices without carry-over")
        panels = fill_policy_panels(pol, stock_on_hand=x if pol.carries else None)
        assert [p.period for p in panels] == [1, 2, 3]
        chain = AbsorbingChain(pol)
        reach = chain.visits((1, 0))
        drawn = drawn_states(pol, panels, x)
        want = {}
        for k in range(chain.n_transient):
            state = chain.state(k)
            on_slice = (not pol.carries or state[0] == 1 or state[-1] == x)
            if on_slice and reach[k] > Fraction(1, 10**9):
                want[state] = (float(pol.stock[k]), float(reach[k]))
        assert drawn == want
        for p in panels:
            D, F = np.meshgrid(p.demand_total, p.filled_total)
            assert np.all(np.isnan(p.stock[F > D]))  # F <= D in every state

    def test_limits_are_the_visited_box(self):
        pol = solve_dynamic(Problem(Contract.study(10, measure="fill-rate"), Poisson(5), 0.5),
                            max_stock=40).policy
        panels = fill_policy_panels(pol)
        assert [p.period for p in panels] == [1, 3, 5, 6, 8, 10]
        space = pol.space
        last = panels[-1]
        assert last.demand_total[-1] < space.score.cap(10)  # the kept triangle is far larger
        assert last.reach[~np.isnan(last.stock)].min() > 1e-9
        for p in panels:  # each edge of the box holds a drawn state
            seen = ~np.isnan(p.stock)
            assert seen[0].any() and seen[-1].any() and seen[:, 0].any() and seen[:, -1].any()
        total = math.fsum(p.reach.sum() for p in panels[:1])
        assert total == 1.0

    def test_periods(self):
        pol = solve_static(fill_problem(T=3), max_stock=3).policy
        assert [p.period for p in fill_policy_panels(pol, periods=[3, 1])] == [1, 3]
        for bad in ([0], [4], [], [1, 2, 3, 4, 5, 6, 7]):
            with pytest.raises(SlamarkovError, match="^periods: must be 1 to 6 periods"):
                fill_policy_panels(pol, periods=bad)

    def test_bad_slices(self):
        pol = solve_static(fill_problem(), max_stock=3).policy
        with pytest.raises(SlamarkovError, match="^stock_on_hand: stock does not carry over"):
            fill_policy_panels(pol, stock_on_hand=1)
        carry = solve_static(fill_problem(leftover="carry"), max_stock=3).policy
        with pytest.raises(SlamarkovError, match=r"^stock_on_hand: must be an integer in 0\.\.3"):
            fill_policy_panels(carry, stock_on_hand=4)

    def test_ready_rate_policy_refused(self):
        pol = solve_static(Problem(Contract.study(3), Poisson(5), 1), max_stock=20).policy
        with pytest.raises(SlamarkovError, match="^policy: fill_policy_panels draws"):
            fill_policy_panels(pol)


class TestFigures:
    def test_png_written(self, tmp_path, exact_policy):
        path = tmp_path / "fill.png"
        fig = draw_fill_policy(exact_policy, path,
                               stock_on_hand=1 if exact_policy.carries else None)
        assert path.read_bytes()[:4] == b"\x89PNG" and path.stat().st_size > 1000
        axes = [ax for ax in fig.axes if ax.get_title().startswith("period")]
        assert len(axes) == 3
        ax = axes[-1]
        slopes = sorted((line.get_ydata()[1] - line.get_ydata()[0])
                        / (line.get_xdata()[1] - line.get_xdata()[0]) for line in ax.lines)
        assert slopes == pytest.approx([0.5, 0.9])  # F = aL D and F = aU D

    def test_heatmap_dispatches_and_chain_refuses(self, tmp_path):
        pol = solve_static(fill_problem(), max_stock=3).policy
        fig = draw_policy_heatmap(pol, tmp_path / "h.png")
        assert fig._suptitle.get_text().startswith("Static policy, T = 3: order-up-to levels")
        with pytest.raises(ChainError, match="^kind: the chain drawing is for ready-rate"):
            draw_chain(pol)


# -- the command line ---------------------------------------------------------------------------
@pytest.fixture
def contract(tmp_path):
    """A fill-rate contract file (the measure given on the command line): T = 3, demand
    uniform on 0..3, h = 1."""
    return write_contract(tmp_path, "fill.toml", study_contract(
        3, costs="holding = 1\n", demand='kind = "discrete-uniform"\nlow = 0\nhigh = 3\n',
        tail="[solver]\nmax_stock = 3\n"))


def run(capsys, command, *args):
    code = main([command, *(str(a) for a in args), "--measure", "fill-rate"])
    out, err = capsys.readouterr()
    return code, out, err


class TestCommandLine:
    @pytest.mark.parametrize("extra", [[], ["--exact", "--policy", "static"],
                                       ["--leftover", "carry", "--stock-on-hand", "2"]])
    def test_policy_png(self, capsys, contract, tmp_path, extra):
        out = tmp_path / "p.png"
        code, _, err = run(capsys, "plot", contract, "--kind", "policy", "--out", out, *extra)
        assert code == 0, err
        assert out.read_bytes()[:4] == b"\x89PNG" and out.stat().st_size > 1000

    @pytest.mark.parametrize("args, message", [
        (["--kind", "chain"], "kind: the chain drawing is for ready-rate contracts"),
        (["--kind", "policy", "--stock-on-hand", "1"], "stock_on_hand: stock does not carry"),
        (["--kind", "policy", "--leftover", "carry", "--stock-on-hand", "9"],
         "stock_on_hand: must be an integer in 0..3"),
    ])
    def test_refusals_are_one_line(self, capsys, contract, tmp_path, args, message):
        out = tmp_path / "p.png"
        code, stdout, err = run(capsys, "plot", contract, "--out", out, *args)
        assert code == 2 and stdout == "" and err.count("\n") == 1 and message in err
        assert not out.exists()
