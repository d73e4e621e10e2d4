"""Tests of slamarkov.study and ``slamarkov reproduce`` (docs/model.md sections 8 and 9).

Order: the exact reference rows of docs/model.md section 9; the study's simulated rows within four
standard errors; the CSV layouts the issue fixes; invariants over the whole grid; independent
checks (brute force over ready sequences, the chain's cost moments); simulation columns; the
variants; errors; the command line.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
from fractions import Fraction

import numpy as np
import pytest

from slamarkov import (
    LINEAR,
    LUMP_SUM,
    ConfigError,
    ContractError,
    CostError,
    DemandError,
    DiscretisedNormal,
    Poisson,
    SimulationError,
)
from slamarkov.chain import AbsorbingChain
from slamarkov.cli import main
from slamarkov.study import (
    PUBLISHED_READY_RATE,
    READY_RATE_COLUMNS,
    STUDY_RUNS,
    Study,
    cost_table,
    expected_standard_errors,
    make_table,
    published_comparison_table,
    ready_rate_table,
    render_table,
    reproduce_all,
    save_table,
    saving_table,
    stage_stock_distribution,
    stock_table,
    table_to_csv,
    table_to_json,
    table_to_markdown,
    weighted_quantiles,
)

READY_RATE_HEADER = ("h,T,dyn_mean,dyn_sd,dyn_p_penalty,dyn_p_bonus,static_mean,static_sd,"
                     "static_p_penalty,static_p_bonus")

# docs/model.md section 9, exact: scheme, h, T, dyn cost, dyn mean, dyn SD, dyn P(pen), dyn P(bon),
# static S*, static cost (percent as printed, 4 decimals; costs 6 decimals). The tables hold
# fractions: a printed 89.6123 (%) is 0.896123 to within 5e-7.
EXACT_ROWS = [
    (LUMP_SUM, "0.5", 10, -1.201550, 89.6123, 2.4573, 0.1328, 96.2415, 8, -0.872010),
    (LUMP_SUM, "1", 30, 0.158242, 89.6130, 1.9160, 0.0154, 95.3702, 8, 0.572049),
    (LINEAR, "0.5", 10, 0.797917, 90.2491, 10.2135, 1.9147, 53.1807, 8, 0.894775),
    (LINEAR, "2", 90, 3.681887, 79.3909, 1.1327, 31.9589, 0.0000, 6, 4.049519),
]


@pytest.fixture(scope="module")
def studies():
    """One study per scheme over the full grid, shared so that its solves are cached."""
    return {LUMP_SUM: Study(LUMP_SUM), LINEAR: Study(LINEAR)}


def _rows(t):
    """A study table's rows as dicts of Python values."""
    return t.to_dict("records")


def _find(t, **where):
    """The one row of ``t`` whose columns equal ``where`` (numbers compared as floats)."""
    hits = [r for r in _rows(t) if all(
        math.isclose(float(r[k]), float(v), rel_tol=0, abs_tol=1e-12)
        if isinstance(v, (int, float, Fraction)) else r[k] == v for k, v in where.items())]
    assert len(hits) == 1, (where, len(hits))
    return hits[0]


def _parse_csv(text):
    return list(csv.DictReader(io.StringIO(text)))


# ---------------------------------------------------------------------------------------------
class TestReferenceRows:
    """The exact values docs/model.md section 9 prints, through the tables' API and their CSV."""

    @pytest.mark.parametrize("row", EXACT_ROWS, ids=lambda r: f"{r[0]}-h{r[1]}-T{r[2]}")
    def test_ready_rate_row(self, studies, row):
        scheme, h, T, dcost, dmean, dsd, dpen, dbon, S, scost = row
        t = ready_rate_table(studies[scheme], costs=True)
        r = _find(t, h=float(Fraction(h)), T=T)
        for col, want in (("dyn_mean", dmean), ("dyn_sd", dsd), ("dyn_p_penalty", dpen),
                          ("dyn_p_bonus", dbon)):
            assert r[col] == pytest.approx(want / 100, abs=5e-7), col
        assert r["static_S"] == S
        assert r["dyn_cost"] == pytest.approx(dcost, abs=5e-7)
        assert r["static_cost"] == pytest.approx(scost, abs=5e-7)

    @pytest.mark.parametrize("row", EXACT_ROWS, ids=lambda r: f"{r[0]}-h{r[1]}-T{r[2]}")
    def test_csv_carries_the_same_numbers(self, studies, row):
        scheme, h, T, dcost, dmean, dsd, dpen, dbon, S, scost = row
        rows = _parse_csv(table_to_csv(ready_rate_table(studies[scheme], costs=True)))
        r = next(x for x in rows if float(x["h"]) == float(Fraction(h)) and int(x["T"]) == T)
        assert float(r["dyn_mean"]) == pytest.approx(dmean / 100, abs=5e-7)
        assert float(r["dyn_sd"]) == pytest.approx(dsd / 100, abs=5e-7)
        assert int(r["static_S"]) == S
        assert float(r["static_cost"]) == pytest.approx(scost, abs=5e-7)

    @pytest.mark.parametrize("row", EXACT_ROWS, ids=lambda r: f"{r[0]}-h{r[1]}-T{r[2]}")
    def test_saving_is_the_cost_gap(self, row):
        # the saving table's bonus is penalty / ratio: ratio 5/3 gives back the study's 3T / 15T
        scheme, h, T, dcost, *_, scost = row
        t = saving_table(Study(scheme, holding_costs=(h,), review_periods=(T,),
                               ratios=("5/3",)))
        assert t.loc[0, "saving"] == pytest.approx(scost - dcost, abs=1e-6)


class TestPublishedRows:
    """The study's simulated rows (docs/model.md section 9) against the exact values."""

    def test_every_published_number_within_four_standard_errors(self):
        t = published_comparison_table()
        assert len(t) == 8 * len(PUBLISHED_READY_RATE)
        bad = [(r["scheme"], r["h"], r["T"], r["column"], r["published"], r["exact"], r["z"])
               for r in _rows(t) if not abs(r["z"]) <= 4]
        assert not bad

    @pytest.mark.parametrize("key", sorted(PUBLISHED_READY_RATE, key=str))
    def test_row_independently(self, studies, key):
        """The same check computed here, from the tables and expected_standard_errors."""
        scheme, h, T = key
        exact = _find(ready_rate_table(studies[scheme]), h=float(h), T=T)
        cell = studies[scheme].solve(h, T)
        for k, col in enumerate(READY_RATE_COLUMNS[2:]):
            policy, metric = col.split("_", 1)
            dist = (cell.dynamic if policy == "dyn" else cell.static).ready_rate
            se = 100 * expected_standard_errors(dist, STUDY_RUNS)[metric]
            # the published values are percentages rounded to 0.01; the table holds fractions
            assert abs(PUBLISHED_READY_RATE[key][k] - 100 * exact[col]) <= 4 * se + 0.005, col

    def test_z_of_one_row_by_hand(self, studies):
        """lump-sum, h = 0.5, T = 60, dynamic P(bonus): published 99.70."""
        dist = studies[LUMP_SUM].solve("0.5", 60).dynamic.ready_rate
        p = dist.p_bonus
        se = 100 * math.sqrt(p * (1 - p) / STUDY_RUNS)
        want = (99.70 - 100 * p - 0.005) / se
        row = _find(published_comparison_table(), scheme=LUMP_SUM, h=0.5, T=60,
                    column="dyn_p_bonus")
        assert row["exact"] == pytest.approx(p, abs=1e-14)
        assert row["published"] == pytest.approx(0.9970, abs=1e-15)
        assert row["se"] == pytest.approx(se / 100, rel=1e-12)
        assert row["z"] == pytest.approx(want, rel=1e-9)
        assert 2 < row["z"] < 3

    def test_the_check_can_fail(self, studies):
        """A published value off by one percentage point is far outside 4 SE of the study."""
        cell = studies[LUMP_SUM].solve("0.5", 30)
        se = expected_standard_errors(cell.static.ready_rate, STUDY_RUNS)
        assert 4 * 100 * se["mean"] + 0.005 < 1.0

    def test_standard_errors_against_simulation(self, studies):
        """The SE formulas match the spread of simulated summaries over repeated seeds."""
        from slamarkov.simulation.simulate import simulate

        cell = studies[LINEAR].solve(1, 10)
        dist = cell.static.ready_rate
        runs = 2000
        means, sds = [], []
        for seed in range(60):
            rate = simulate(cell.static.policy, runs, seed=seed).ready_rate
            means.append(rate.mean())
            sds.append(rate.std(ddof=1))
        se = expected_standard_errors(dist, runs)
        assert np.std(means, ddof=1) == pytest.approx(se["mean"], rel=0.3)
        assert np.std(sds, ddof=1) == pytest.approx(se["sd"], rel=0.3)


# ---------------------------------------------------------------------------------------------
class TestLayouts:
    def test_ready_rate_header(self, studies):
        text = table_to_csv(ready_rate_table(Study(holding_costs=(1,), review_periods=(10,))))
        assert text.splitlines()[0] == READY_RATE_HEADER
        assert ",".join(READY_RATE_COLUMNS) == READY_RATE_HEADER

    def test_ready_rate_costs_header(self):
        t = ready_rate_table(Study(holding_costs=(1,), review_periods=(10,)), costs=True)
        assert table_to_csv(t).splitlines()[0] == READY_RATE_HEADER + ",static_S,dyn_cost,static_cost"

    def test_saving_header_and_order(self, studies):
        t = saving_table(studies[LUMP_SUM])
        assert table_to_csv(t).splitlines()[0] == "ratio,h,T,saving"
        keys = [(r["ratio"], r["h"], r["T"]) for r in _rows(t)]
        assert keys == [(r, h, T) for r in (1.2, 1.3, 1.4) for h in (0.5, 1, 1.5, 2)
                        for T in range(10, 100, 10)]

    def test_grid_rows_in_order(self, studies):
        t = ready_rate_table(studies[LINEAR])
        assert [(r["h"], r["T"]) for r in _rows(t)] == [
            (h, T) for h in (0.5, 1, 1.5, 2) for T in range(10, 100, 10)]

    def test_stock_header(self):
        t = stock_table(Study(), review_periods=(10,))
        assert table_to_csv(t).splitlines()[0] == "T,period,q1,median,q3,static_S"
        assert t["period"].tolist() == list(range(1, 11))

    def test_markdown_and_json(self):
        t = ready_rate_table(Study(holding_costs=(0.5,), review_periods=(10, 20)), costs=True)
        md = table_to_markdown(t).splitlines()
        assert len(md) == 2 + 2 and md[0].startswith("| h | T | dyn_mean |")
        # markdown, a text report, prints the rates in percent; JSON keeps fractions
        assert "| 0.5 | 10 | 89.6123 | 2.4573 |" in md[2]
        doc = json.loads(table_to_json(t))
        assert doc["columns"] == list(t.columns) and len(doc["rows"]) == 2
        assert doc["parameters"]["demand"] == "Poisson(5)" and doc["parameters"]["max_stock"] == 40
        assert doc["rows"][0]["dyn_mean"] == pytest.approx(0.896123, abs=5e-7)
        assert doc["rows"][0]["dyn_cost"] == pytest.approx(-1.201550, abs=5e-7)
        assert "fractions" in doc["parameters"]["units"]
        assert "dyn_mean" in doc["parameters"]["units"]
        assert "dyn_cost" not in doc["parameters"]["units"]

    def test_markdown_prints_exactly_the_percent_columns_in_percent(self):
        t = ready_rate_table(Study(holding_costs=(0.5,), review_periods=(10,)), costs=True)
        assert t.attrs["percent_columns"] == list(READY_RATE_COLUMNS[2:])
        cells = table_to_markdown(t).splitlines()[2].strip("| ").split(" | ")
        for c, text in zip(t.columns, cells):
            x = t.loc[0, c]
            if c in t.attrs["percent_columns"]:
                assert text == format(100 * float(x), ".4f"), c
            elif c in ("dyn_cost", "static_cost"):
                assert text == format(float(x), ".6f"), c
            else:
                assert text == str(x), c

    def test_tables_are_dataframes_with_their_attrs(self):
        import pandas as pd

        st = Study(holding_costs=("0.5", 1), review_periods=(10,))
        t = ready_rate_table(st, costs=True)
        assert isinstance(t, pd.DataFrame) and len(t) == 2
        assert t.attrs["name"] == "ready-rate-lump-sum"
        assert t.attrs["title"].startswith("Ready rate of")
        assert t.attrs["parameters"] == st.parameters()
        assert t.attrs["digits"]["dyn_mean"] == ".4f" and t.attrs["digits"]["dyn_cost"] == ".6f"
        # one type per column; h mixes 0.5 and 1, and each keeps its type (1 prints as 1)
        assert t["T"].dtype == np.int64 and t["static_S"].dtype == np.int64
        assert t["dyn_mean"].dtype == np.float64
        assert t["h"].tolist() == [0.5, 1] and type(t["h"].tolist()[1]) is int
        # the same floats as the solver's, not rounded on the way
        cell = st.solve(1, 10)
        assert t.loc[1, "dyn_cost"] == float(cell.dynamic.cost_per_period)
        assert t.loc[1, "dyn_mean"] == float(cell.dynamic.ready_rate.mean)

    def test_attrs_survive_a_selection(self):
        t = saving_table(Study(holding_costs=(1,), review_periods=(10, 20)))
        sub = t[t["T"] == 20]
        assert sub.attrs["name"] == "saving-lump-sum" and len(sub) == 3
        assert table_to_csv(sub).splitlines()[0] == "ratio,h,T,saving"

    def test_write_picks_the_format_from_the_suffix(self, tmp_path):
        t = make_table("x", ["a"], [{"a": 1.5}])
        save_table(t, tmp_path / "x.md")
        save_table(t, tmp_path / "x.json")
        save_table(t, tmp_path / "x.csv")
        assert (tmp_path / "x.md").read_text().startswith("| a |")
        assert json.loads((tmp_path / "x.json").read_text())["rows"] == [{"a": 1.5}]
        assert (tmp_path / "x.csv").read_text() == "a\n1.5\n"

    def test_render_rejects_unknown_format(self):
        with pytest.raises(ConfigError, match="--format"):
            render_table(make_table("x", ["a"], []), "xml")


# ---------------------------------------------------------------------------------------------
class TestInvariants:
    @pytest.mark.parametrize("scheme", [LUMP_SUM, LINEAR])
    def test_saving_never_negative(self, studies, scheme):
        t = saving_table(studies[scheme])
        assert len(t) == 108
        assert t["saving"].min() >= -1e-12
        assert t["saving"].max() > 0

    @pytest.mark.parametrize("scheme", [LUMP_SUM, LINEAR])
    def test_dynamic_never_costs_more(self, studies, scheme):
        for r in _rows(ready_rate_table(studies[scheme], costs=True)):
            assert r["dyn_cost"] <= r["static_cost"] + 1e-12

    @pytest.mark.parametrize("scheme", [LUMP_SUM, LINEAR])
    def test_rates_are_probabilities(self, studies, scheme):
        for r in _rows(ready_rate_table(studies[scheme])):
            for p in ("dyn", "static"):
                assert 0 <= r[f"{p}_p_penalty"] and 0 <= r[f"{p}_p_bonus"]
                assert r[f"{p}_p_penalty"] + r[f"{p}_p_bonus"] <= 1 + 1e-12
                assert 0 <= r[f"{p}_mean"] <= 1 and 0 <= r[f"{p}_sd"] <= 0.5

    def test_static_ready_rate_is_binomial(self, studies):
        """The static ready count is Binomial(T, F(S*)): mean F(S*), SD sqrt(F(1-F)/T)."""
        for r in _rows(ready_rate_table(studies[LUMP_SUM], costs=True)):
            q = Poisson(5).cdf(r["static_S"])
            assert r["static_mean"] == pytest.approx(q, abs=1e-11)
            assert r["static_sd"] == pytest.approx(math.sqrt(q * (1 - q) / r["T"]), abs=1e-11)

    def test_cost_table_means_match_the_solvers(self, studies):
        ct = cost_table(studies[LINEAR])
        rr = ready_rate_table(studies[LINEAR], costs=True)
        for a, b in zip(_rows(ct), _rows(rr)):
            assert a["dyn_cost"] == pytest.approx(b["dyn_cost"], abs=1e-9)
            assert a["static_cost"] == pytest.approx(b["static_cost"], abs=1e-9)
            assert a["static_S"] == b["static_S"]
            assert a["dyn_cost_sd"] > 0 and a["static_cost_sd"] > 0

    @pytest.mark.parametrize("scheme,h,T", [(LUMP_SUM, 0.5, 10), (LUMP_SUM, 2, 90),
                                            (LINEAR, 1, 30), (LINEAR, 1.5, 70)])
    def test_cost_moments_agree_with_the_chain(self, studies, scheme, h, T):
        m = studies[scheme].cost_moments(h, T)
        cell = studies[scheme].solve(h, T)
        for name, sol in (("dynamic", cell.dynamic), ("static", cell.static)):
            mean, var = AbsorbingChain(sol.policy).cost_moments()
            assert m[name][0] == pytest.approx(float(mean) / T, abs=1e-9)
            assert m[name][1] == pytest.approx(math.sqrt(float(var)) / T, rel=1e-9)

    def test_cost_moments_normal_demand(self):
        st = Study(LINEAR, demand=DiscretisedNormal(15, 5), holding_costs=(1,),
                   review_periods=(20,))
        m = st.cost_moments(1, 20)["dynamic"]
        mean, var = AbsorbingChain(st.solve(1, 20).dynamic.policy).cost_moments()
        assert m == pytest.approx((float(mean) / 20, math.sqrt(float(var)) / 20), rel=1e-9)

    def test_cache_returns_the_same_solution(self):
        st = Study()
        assert st.solve(1, 10) is st.solve("1", 10.0)
        assert st.solve(1, 10, "1.2") is not st.solve(1, 10)


# ---------------------------------------------------------------------------------------------
def _brute_force_stage_stock(policy, i):
    """P(S_i = s), enumerating every ready/short sequence of periods 1..i-1."""
    T = policy.review_period
    F = Poisson(5).cdf
    out = {}
    for seq in itertools.product((0, 1), repeat=i - 1):
        p, v = 1.0, 0
        for k, x in enumerate(seq, start=1):
            q = F(policy.stock_at(k, v))
            p *= q if x else 1 - q
            v += x
        s = policy.stock_at(i, v)
        out[s] = out.get(s, 0.0) + p
    assert T >= i
    return out


class TestStock:
    @pytest.mark.parametrize("scheme", [LUMP_SUM, LINEAR])
    def test_stage_distribution_by_brute_force(self, scheme):
        pol = Study(scheme).solve(1, 10).dynamic.policy
        for i, (stocks, probs) in enumerate(stage_stock_distribution(pol), start=1):
            mine = {}
            for s, p in zip(stocks.tolist(), probs.tolist()):
                mine[s] = mine.get(s, 0.0) + p
            want = _brute_force_stage_stock(pol, i)
            assert set(k for k, p in want.items() if p > 0) <= set(mine)
            for s in mine:
                assert mine[s] == pytest.approx(want.get(s, 0.0), abs=1e-12)

    @pytest.mark.parametrize("scheme", [LUMP_SUM, LINEAR])
    def test_quartiles_are_quantiles_of_the_stage_distribution(self, studies, scheme):
        t = stock_table(studies[scheme])
        assert len(t) == 10 + 30 + 60 + 90
        for T in (10, 30, 60, 90):
            pol = studies[scheme].solve(1, T).dynamic.policy
            dist = stage_stock_distribution(pol)
            for r in (x for x in _rows(t) if x["T"] == T):
                stocks, probs = dist[r["period"] - 1]
                assert r["q1"] <= r["median"] <= r["q3"]
                for col, q in (("q1", 0.25), ("median", 0.5), ("q3", 0.75)):
                    below = probs[stocks < r[col]].sum()
                    upto = probs[stocks <= r[col]].sum()
                    assert below < q + 1e-12 and upto >= q - 1e-12, (T, r["period"], col)
            first = next(x for x in _rows(t) if x["T"] == T and x["period"] == 1)
            assert first["q1"] == first["q3"] == pol.stock_at(1, 0)

    def test_weighted_quantiles(self):
        assert weighted_quantiles([5, 1, 3], [0.2, 0.3, 0.5]).tolist() == [1, 3, 3]
        # exactly on a jump: the smaller value (CDF reaches 0.5 there)
        assert weighted_quantiles([1, 2], [0.5, 0.5], [0.5]).tolist() == [1]

    def test_holding_must_be_positive(self):
        with pytest.raises(CostError, match="--holding"):
            stock_table(Study(), holding_cost=0, review_periods=(10,))


# ---------------------------------------------------------------------------------------------
class TestSimulatedColumns:
    def test_ready_rate_simulated_beside_exact(self):
        st = Study(LUMP_SUM, holding_costs=(0.5,), review_periods=(10, 30))
        t = ready_rate_table(st, simulate=STUDY_RUNS, seed=7)
        assert tuple(t.columns[:5]) == ("h", "T", "dyn_mean", "dyn_mean_sim", "dyn_mean_se")
        for r in _rows(t):
            for col in READY_RATE_COLUMNS[2:]:
                se = r[f"{col}_se"]
                # P(penalty) of the dynamic policy at T = 30 is 0.0016%: a handful of runs
                assert abs(r[f"{col}_sim"] - r[col]) <= 5 * se + 0.01, col
                assert se >= 0
        again = ready_rate_table(st, simulate=STUDY_RUNS, seed=7)
        assert again.equals(t)
        other = ready_rate_table(st, simulate=STUDY_RUNS, seed=8)
        assert other.loc[0, "dyn_mean_sim"] != t.loc[0, "dyn_mean_sim"]

    def test_saving_simulated(self):
        st = Study(LINEAR, holding_costs=(1,), review_periods=(10,))
        t = saving_table(st, simulate=20_000, seed=1)
        assert tuple(t.columns) == ("ratio", "h", "T", "saving", "saving_sim", "saving_se")
        for r in _rows(t):
            assert 0 < r["saving_se"] < 0.05
            assert abs(r["saving_sim"] - r["saving"]) <= 5 * r["saving_se"]

    def test_cost_simulated(self):
        t = cost_table(Study(holding_costs=(2,), review_periods=(20,)), simulate=20_000, seed=3)
        r = _rows(t)[0]
        for p in ("dyn", "static"):
            assert abs(r[f"{p}_cost_sim"] - r[f"{p}_cost"]) <= 5 * r[f"{p}_cost_se"]
            # the SE of the mean is the per-run SD over sqrt(n)
            assert r[f"{p}_cost_se"] == pytest.approx(r[f"{p}_cost_sd"] / math.sqrt(20_000),
                                                      rel=0.05)

    @pytest.mark.parametrize("bad", [0, 1, -5, "x", 2.5])
    def test_bad_runs(self, bad):
        with pytest.raises(SimulationError, match="--simulate"):
            ready_rate_table(Study(holding_costs=(1,), review_periods=(10,)), simulate=bad)

    def test_bad_seed(self):
        with pytest.raises(SimulationError, match="--seed"):
            ready_rate_table(Study(holding_costs=(1,), review_periods=(10,)), simulate=10,
                             seed=-1)


# ---------------------------------------------------------------------------------------------
class TestVariants:
    def test_penalty_only(self):
        st = Study(LUMP_SUM, bonus=0, holding_costs=(1,), review_periods=(10, 30))
        assert st.contract(10).bonus == 0 and st.contract(10).penalty == 50
        t = ready_rate_table(st, costs=True)
        for r in _rows(t):
            assert r["dyn_cost"] >= 0  # nothing to earn: costs are holding plus penalties
            assert r["dyn_cost"] <= r["static_cost"] + 1e-12
        with_bonus = ready_rate_table(Study(LUMP_SUM, holding_costs=(1,), review_periods=(10,)))
        # without a bonus the dynamic policy never stocks for the 90% threshold
        assert t.loc[0, "dyn_mean"] < with_bonus.loc[0, "dyn_mean"]
        assert "penalty-only" in st.label

    def test_saving_refuses_a_set_bonus(self):
        with pytest.raises(ConfigError, match="--bonus"):
            saving_table(Study(bonus=0))

    def test_normal_demand(self):
        st = Study(LINEAR, demand=DiscretisedNormal(15, 5), holding_costs=(1,),
                   review_periods=(10, 90))
        assert st.stock_range_top is None  # the provable bound, not the Poisson study's 40
        t = ready_rate_table(st, costs=True)
        for r in _rows(t):
            assert r["dyn_cost"] <= r["static_cost"] + 1e-12
            assert 10 < r["static_S"] < 40
        sv = saving_table(st)
        assert all(r["saving"] >= -1e-12 for r in _rows(sv))

    def test_amounts_per_period(self):
        st = Study(LINEAR, penalty=10)
        c = st.contract(20, ratio=2)
        assert (c.penalty, c.bonus) == (200, 100)
        assert Study(LINEAR).contract(20).penalty == 500


class TestErrors:
    @pytest.mark.parametrize("kwargs,error,match", [
        ({"scheme": "stepwise"}, ContractError, "scheme"),
        ({"holding_costs": ()}, ConfigError, "holding_costs"),
        ({"holding_costs": (1, -1)}, ConfigError, r"holding_costs\[1\]"),
        ({"review_periods": (0,)}, ConfigError, r"review_periods\[0\]"),
        ({"review_periods": (10.5,)}, ConfigError, "review_periods"),
        ({"ratios": (0,)}, ConfigError, "ratios"),
        ({"penalty": -1}, ContractError, "penalty"),
        ({"penalty_threshold": "0.95"}, ContractError, "threshold"),
        ({"max_stock": -1}, ConfigError, "max_stock"),
        ({"demand": "poisson"}, DemandError, "demand"),
    ])
    def test_bad_study(self, kwargs, error, match):
        with pytest.raises(error, match=match):
            Study(**kwargs)

    def test_reproduce_all_refuses_a_file(self, tmp_path):
        f = tmp_path / "f"
        f.write_text("")
        with pytest.raises(ConfigError, match="--out"):
            reproduce_all(f, figures=False)

    def test_reproduce_all_bad_format(self, tmp_path):
        with pytest.raises(ConfigError, match="--format"):
            reproduce_all(tmp_path, format="xlsx", figures=False)


# ---------------------------------------------------------------------------------------------
class TestReproduceAll:
    def test_tables_serial_and_parallel_agree(self, tmp_path):
        st = Study(holding_costs=(0.5, 2), review_periods=(10, 30))
        a = reproduce_all(tmp_path / "a", figures=False, study=st, workers=1)
        b = reproduce_all(tmp_path / "b", figures=False, study=Study(
            holding_costs=(0.5, 2), review_periods=(10, 30)), workers=2)
        names = sorted(str(p.relative_to(tmp_path / "a")) for p in a)
        assert names == sorted(str(p.relative_to(tmp_path / "b")) for p in b)
        assert "normal-15-5/saving-linear.csv" in names
        assert "penalty-only/ready-rate-lump-sum.csv" in names
        assert "penalty-only/saving-lump-sum.csv" not in names
        for n in names:
            assert (tmp_path / "a" / n).read_text() == (tmp_path / "b" / n).read_text(), n
        head = (tmp_path / "a" / "ready-rate-lump-sum.csv").read_text().splitlines()[0]
        assert head == READY_RATE_HEADER

    @pytest.mark.parametrize("workers", [1, 2])
    def test_an_error_reaches_the_caller(self, monkeypatch, tmp_path, workers):
        import slamarkov.study.tables as tables_module

        def boom(*args, **kwargs):
            raise ConfigError("boom: from a task")

        monkeypatch.setattr(tables_module, "saving_table", boom)  # forked workers inherit it
        with pytest.raises(ConfigError, match="boom"):
            reproduce_all(tmp_path, figures=False, workers=workers,
                          study=Study(holding_costs=(1,), review_periods=(10,)))

    def test_the_files_come_back_in_order_whatever_runs_them(self, tmp_path):
        st = Study(holding_costs=(1,), review_periods=(10,))
        a = reproduce_all(tmp_path / "a", figures=False, study=st, workers=1, progress=False)
        b = reproduce_all(tmp_path / "b", figures=False, study=st, workers=2, progress=False)
        assert [p.relative_to(tmp_path / "a") for p in a] == \
            [p.relative_to(tmp_path / "b") for p in b]

    def test_jobs_is_a_deprecated_name_of_workers(self, tmp_path):
        st = Study(holding_costs=(1,), review_periods=(10,))
        with pytest.warns(DeprecationWarning, match="jobs= is deprecated; use workers="):
            paths = reproduce_all(tmp_path, schemes=[LINEAR], figures=False, variants=False,
                                  study=st, jobs=1)
        assert len(paths) == 5
        with pytest.warns(DeprecationWarning), pytest.raises(ConfigError, match="not both"):
            reproduce_all(tmp_path, figures=False, study=st, jobs=1, workers=1)

    def test_bad_workers(self, tmp_path):
        with pytest.raises(ConfigError, match="--workers: must be an integer >= 1, got 0"):
            reproduce_all(tmp_path / "x", figures=False, workers=0)
        assert not (tmp_path / "x").exists()

    def test_the_tasks_run_on_a_dask_cluster(self, tmp_path):
        distributed = pytest.importorskip("distributed")
        st = Study(holding_costs=(1,), review_periods=(10, 30))
        local = reproduce_all(tmp_path / "a", figures=False, study=st, workers=1)
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster:
            with distributed.Client(cluster) as client:
                on_dask = reproduce_all(tmp_path / "b", figures=False, study=st,
                                        scheduler=client)
        names = [str(p.relative_to(tmp_path / "a")) for p in local]
        assert names == [str(p.relative_to(tmp_path / "b")) for p in on_dask]
        for n in names:
            assert (tmp_path / "a" / n).read_bytes() == (tmp_path / "b" / n).read_bytes(), n

    def test_a_progress_callable_still_works_and_warns(self):
        seen = []

        def bar(iterable, total, label):
            seen.append((total, label))
            return iterable

        st = Study(holding_costs=(1,), review_periods=(10,))
        with pytest.warns(DeprecationWarning, match="progress: a callable is deprecated"):
            stock_table(st, review_periods=(10,), progress=bar)
        assert seen == [(1, "stock lump-sum")]

    def test_the_split_experiment_module_keeps_its_names(self):
        import slamarkov.study as study
        import slamarkov.study.experiment as experiment

        for name in study.__all__:
            assert getattr(experiment, name) is getattr(study, name), name

    def test_markdown_files(self, tmp_path):
        paths = reproduce_all(tmp_path, schemes=[LINEAR], format="markdown", figures=False,
                              variants=False, study=Study(holding_costs=(1,),
                                                          review_periods=(10,)))
        assert all(p.suffix == ".md" for p in paths)
        assert (tmp_path / "saving-linear.md").read_text().startswith("| ratio | h | T |")


# ---------------------------------------------------------------------------------------------
class TestCommandLine:
    def test_ready_rate_csv(self, capsys):
        assert main(["reproduce", "ready-rate", "--scheme", "lump-sum", "--holding", "0.5",
                     "--review-periods", "10"]) == 0
        out = capsys.readouterr().out.splitlines()
        assert out[0] == READY_RATE_HEADER
        vals = out[1].split(",")
        assert float(vals[2]) == pytest.approx(0.896123, abs=5e-7)  # CSV keeps fractions

    def test_full_grid_by_default(self, capsys):
        assert main(["reproduce", "ready-rate", "--scheme", "linear"]) == 0
        assert len(capsys.readouterr().out.splitlines()) == 1 + 36

    def test_costs_flag(self, capsys):
        main(["reproduce", "ready-rate", "--scheme", "linear", "--holding", "2",
              "--review-periods", "90", "--costs"])
        rows = _parse_csv(capsys.readouterr().out)
        assert rows[0]["static_S"] == "6"
        assert float(rows[0]["dyn_cost"]) == pytest.approx(3.681887, abs=5e-7)

    def test_saving_to_file_as_json(self, tmp_path):
        out = tmp_path / "s.json"
        assert main(["reproduce", "saving", "--scheme", "linear", "--holding", "1",
                     "--review-periods", "10,20", "--ratios", "1.2", "--format", "json",
                     "--out", str(out)]) == 0
        doc = json.loads(out.read_text())
        assert doc["columns"] == ["ratio", "h", "T", "saving"] and len(doc["rows"]) == 2

    def test_stock(self, capsys):
        assert main(["reproduce", "stock", "--scheme", "lump-sum", "--holding", "1",
                     "--format", "markdown"]) == 0
        out = capsys.readouterr().out.splitlines()
        assert out[0] == "| T | period | q1 | median | q3 | static_S |"
        assert len(out) == 2 + 10 + 30 + 60 + 90

    def test_variants_flags(self, capsys):
        assert main(["reproduce", "ready-rate", "--scheme", "lump-sum", "--bonus", "0",
                     "--demand", "normal:15,5", "--holding", "1", "--review-periods", "10",
                     "--format", "json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert doc["parameters"]["bonus_per_period"] == 0
        assert doc["parameters"]["demand"] == "DiscretisedNormal(15, 5)"

    def test_simulate_flags(self, capsys):
        assert main(["reproduce", "ready-rate", "--holding", "1", "--review-periods", "10",
                     "--simulate", "1000", "--seed", "5"]) == 0
        head = capsys.readouterr().out.splitlines()[0].split(",")
        assert head[2:5] == ["dyn_mean", "dyn_mean_sim", "dyn_mean_se"]

    def test_published(self, capsys):
        assert main(["reproduce", "published"]) == 0
        rows = _parse_csv(capsys.readouterr().out)
        assert len(rows) == 64 and max(abs(float(r["z"])) for r in rows) <= 4

    def test_all_without_figures(self, tmp_path, capsys):
        assert main(["reproduce", "all", "--out", str(tmp_path), "--no-figures",
                     "--no-variants", "--scheme", "linear", "--holding", "1",
                     "--review-periods", "10,30"]) == 0
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            "cost-linear.csv", "published-comparison.csv", "ready-rate-linear.csv",
            "saving-linear.csv", "stock-linear.csv"]
        assert capsys.readouterr().out == f"wrote {tmp_path} (5 files)\n"

    def test_all_jobs_is_a_deprecated_alias(self, tmp_path, capsys):
        argv = ["reproduce", "all", "--out", str(tmp_path), "--no-figures", "--no-variants",
                "--scheme", "linear", "--holding", "1", "--review-periods", "10"]
        assert main(argv + ["--jobs", "1"]) == 0
        captured = capsys.readouterr()
        assert captured.err == ("slamarkov reproduce all: warning: --jobs is deprecated; "
                                "use --workers\n")
        assert main(argv + ["--workers", "1", "--no-progress"]) == 0
        assert capsys.readouterr().err == ""

    def test_progress_flags_on_every_table(self, capsys):
        for table in ("ready-rate", "cost", "saving", "stock", "carry-over"):
            argv = ["reproduce", table, "--holding", "1", "--review-periods", "10"]
            assert main(argv + ["--progress"]) == 0
            assert table in capsys.readouterr().err  # the bar's label, forced on
            assert main(argv + ["--no-progress"]) == 0
            assert capsys.readouterr().err == ""

    @pytest.mark.parametrize("argv,match", [
        (["all", "--out", "x", "--workers", "2", "--jobs", "2"], "--jobs"),
        (["all", "--out", "x", "--workers", "2", "--scheduler", "tcp://h:1"], "not both"),
        (["all", "--out", "x", "--workers", "0"], "--workers"),
        (["ready-rate", "--progress", "--no-progress"], "--no-progress"),
        (["stock", "--holding", "1,2"], "--holding"),
        (["saving", "--bonus", "0"], "--bonus"),
        (["ready-rate", "--demand", "normal:15"], "--demand"),
        (["ready-rate", "--demand", "gamma:1"], "--demand"),
        (["ready-rate", "--holding", "-1"], "--holding"),
        (["ready-rate", "--holding", "a"], "--holding"),
        (["ready-rate", "--review-periods", "0"], "--review-periods"),
        (["ready-rate", "--format", "xml"], "--format"),
        (["ready-rate", "--scheme", "stepwise"], "--scheme"),
        (["ready-rate", "--penalty-threshold", "0.95"], "--penalty-threshold"),
        (["ready-rate", "--simulate", "1"], "--simulate"),
        (["saving", "--ratios", "1.2,,1.3"], "--ratios"),
        (["all"], "--out"),
    ])
    def test_errors_are_one_line_exit_2(self, argv, match, capsys):
        try:
            code = main(["reproduce", *argv])
        except SystemExit as exc:  # argparse usage errors
            code = exc.code
        err = capsys.readouterr().err.strip()
        assert code == 2
        assert len(err.splitlines()) == 1 and match in err
