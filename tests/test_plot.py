"""Tests of slamarkov.plot: the study's figures say what they show, and render.

The figures are checked through their artists (titles, labels, legends, the plotted data against
the study's tables), then rendered to PNG.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from slamarkov import LINEAR, LUMP_SUM, SlamarkovError  # noqa: E402
from slamarkov.cli import main  # noqa: E402
from slamarkov.plot import PlotDependencyError, save_figure  # noqa: E402
from slamarkov.study import Study, cost_table, reproduce_all, saving_table, stock_table  # noqa: E402
from slamarkov.study import figures as plot  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def small():
    return Study(LUMP_SUM, holding_costs=(0.5, 2), review_periods=(10, 20, 30))


def _visible(fig):
    return [ax for ax in fig.axes if ax.get_visible()]


class TestCostFigure:
    def test_lines_and_band_are_the_exact_costs(self, small):
        fig = plot.cost_figure(small)
        axes = _visible(fig)
        assert [ax.get_title() for ax in axes] == ["h = 0.5", "h = 2"]
        t = cost_table(small)
        for ax, h in zip(axes, (0.5, 2)):
            rows = t[t["h"] == h]
            lines = {ln.get_label(): ln for ln in ax.get_lines()}
            np.testing.assert_allclose(lines["dynamic"].get_ydata(), rows["dyn_cost"])
            np.testing.assert_allclose(lines["static (S*)"].get_ydata(),
                                       rows["static_cost"])
            bands = [c for c in ax.collections if c.get_label() == "dynamic ± 1 SD"]
            assert len(bands) == 1
            ys = bands[0].get_paths()[0].vertices[:, 1]
            lo = (rows["dyn_cost"] - rows["dyn_cost_sd"]).to_numpy()
            hi = (rows["dyn_cost"] + rows["dyn_cost_sd"]).to_numpy()
            assert ys.min() == pytest.approx(min(lo)) and ys.max() == pytest.approx(max(hi))
            assert ax.get_ylabel() == "cost per period"
        assert axes[-1].get_xlabel() == "review period T (periods)"
        assert axes[0].get_legend() is not None
        assert "Expected cost per period vs T" in fig._suptitle.get_text()

    def test_without_band(self, small):
        fig = plot.cost_figure(small, band=False)
        assert all(len(ax.collections) == 0 for ax in _visible(fig))


class TestReadyRateFigure:
    def test_panels_and_thresholds(self, small):
        fig = plot.ready_rate_figure(small, review_periods=(10, 30))
        axes = _visible(fig)
        assert [ax.get_title() for ax in axes] == [
            "h = 0.5, T = 10", "h = 0.5, T = 30", "h = 2, T = 10", "h = 2, T = 30"]
        for ax, T in zip(axes, (10, 30, 10, 30)):
            c = small.contract(T)
            xs = sorted(ln.get_xdata()[0] for ln in ax.get_lines()
                        if ln.get_linestyle() == "--")
            # between the bars of the last penalty count and the first safe one
            assert xs == pytest.approx([100 * (c.penalty_count - 0.5) / T,
                                        100 * (c.bonus_count - 0.5) / T])
        assert axes[2].get_xlabel() == "ready rate (%)" and axes[0].get_ylabel() == "probability"
        labels = [t.get_text() for t in fig.legends[0].get_texts()]
        assert labels[:2] == ["static", "dynamic"] and any("penalty" in s for s in labels)

    def test_bars_are_the_exact_pmf(self, small):
        fig = plot.ready_rate_figure(small, holding_costs=(2,), review_periods=(10,))
        ax = _visible(fig)[0]
        cell = small.solve(2, 10)
        filled = {p.get_label(): p.get_data() for p in ax.patches if p.get_fill()}
        assert sorted(filled) == ["dynamic", "static"]
        for name in ("dynamic", "static"):
            values, edges, _ = filled[name]
            np.testing.assert_allclose(values, getattr(cell, name).ready_rate.pmf)
            # one bar per ready count v, centred on 100 v / T
            np.testing.assert_allclose((edges[:-1] + edges[1:]) / 2, 100 * np.arange(11) / 10)


class TestSavingFigure:
    def test_one_line_per_ratio(self):
        st = Study(LINEAR, holding_costs=(1,), review_periods=(10, 20))
        fig = plot.saving_figure(st)
        ax = _visible(fig)[0]
        lines = ax.get_lines()
        assert [ln.get_label() for ln in lines] == ["ratio 1.2", "ratio 1.3", "ratio 1.4"]
        t = saving_table(st)
        np.testing.assert_allclose(lines[1].get_ydata(),
                                   t.loc[t["ratio"] == 1.3, "saving"])
        assert ax.get_ylim()[0] == 0 and ax.get_ylabel() == "saving per period"

    def test_shared_axis_shows_every_panel(self):
        """Regression: a y-limit set on the first shared panel hid the larger savings."""
        st = Study(LINEAR, holding_costs=(0.5, 1.5), review_periods=(10, 60))
        fig = plot.saving_figure(st)
        top = saving_table(st)["saving"].max()
        assert all(ax.get_ylim()[1] >= top for ax in _visible(fig))


class TestStockFigure:
    def test_median_line_is_the_table(self):
        st = Study()
        fig = plot.stock_figure(st, review_periods=(10, 30))
        axes = _visible(fig)
        assert [ax.get_title() for ax in axes] == ["T = 10", "T = 30"]
        t = stock_table(st, review_periods=(10, 30))
        med = [ln for ln in axes[1].get_lines() if ln.get_label() == "dynamic: median"][0]
        np.testing.assert_array_equal(med.get_ydata(), t.loc[t["T"] == 30, "median"])
        static = [ln for ln in axes[0].get_lines() if ln.get_label() == "static S*"][0]
        assert static.get_ydata()[0] == st.solve(1, 10).static.base_stock


class TestCarryOverFigure:
    def test_mean_panel_is_the_table_in_percent(self):
        """The table holds fractions; the ready-rate panel plots them in percent."""
        from slamarkov.study import carry_over_table

        t = carry_over_table(Study(holding_costs=(1,), review_periods=(10, 20)))
        fig = plot.carry_over_figure(t)
        mean_ax, cost_ax = fig.axes[:2]
        assert mean_ax.get_title() == "ready rate mean (%)"
        lines = {ln.get_label(): ln for ln in mean_ax.get_lines()}
        np.testing.assert_array_equal(lines["dynamic, carry"].get_ydata(),
                                      100 * t["dyn_mean_carry"].to_numpy())
        assert 80 < lines["static, discard"].get_ydata().min() <= 100
        costs = {ln.get_label(): ln for ln in cost_ax.get_lines()}
        np.testing.assert_array_equal(costs["dynamic, carry"].get_ydata(),
                                      t["dyn_cost_carry"].to_numpy())


class TestRendering:
    def test_save_figure_writes_png(self, small, tmp_path):
        for name, fig in (("cost", plot.cost_figure(small)),
                          ("rr", plot.ready_rate_figure(small, review_periods=(10,))),
                          ("saving", plot.saving_figure(small)),
                          ("stock", plot.stock_figure(small, review_periods=(10,)))):
            p = save_figure(fig, tmp_path / "sub" / f"{name}.png")
            assert p.read_bytes()[:8] == PNG
        assert sorted(x.name for x in (tmp_path / "sub").iterdir()) == [
            "cost.png", "rr.png", "saving.png", "stock.png"]  # no temporary files left

    def test_reproduce_all_writes_every_figure(self, tmp_path):
        st = Study(holding_costs=(1,), review_periods=(10, 30))
        paths = reproduce_all(tmp_path, study=st, variants=False)
        pngs = sorted(p.name for p in paths if p.suffix == ".png")
        assert pngs == sorted(f"{kind}-{s}.png" for s in (LUMP_SUM, LINEAR)
                              for kind in ("cost-vs-T", "ready-rate", "saving", "stock"))
        for p in paths:
            if p.suffix == ".png":
                assert p.read_bytes()[:8] == PNG

    def test_cli_all_with_figures(self, tmp_path, capsys):
        assert main(["reproduce", "all", "--out", str(tmp_path), "--scheme", "linear",
                     "--holding", "1", "--review-periods", "10", "--no-variants"]) == 0
        assert (tmp_path / "cost-vs-T-linear.png").read_bytes()[:8] == PNG


class TestMissingMatplotlib:
    def test_clear_error(self, monkeypatch, small):
        monkeypatch.setitem(sys.modules, "matplotlib", None)
        with pytest.raises(PlotDependencyError, match=r"slamarkov\[plot\]"):
            plot.cost_figure(small)
        assert issubclass(PlotDependencyError, SlamarkovError)
        assert issubclass(PlotDependencyError, ImportError)

    def test_cli_one_line_exit_2(self, monkeypatch, tmp_path, capsys):
        monkeypatch.setitem(sys.modules, "matplotlib", None)
        code = main(["reproduce", "all", "--out", str(tmp_path), "--holding", "1",
                     "--review-periods", "10"])
        err = capsys.readouterr().err.strip()
        assert code == 2 and len(err.splitlines()) == 1 and "matplotlib" in err
        assert not any(tmp_path.iterdir())  # nothing half-written

    def test_tables_need_no_matplotlib(self, monkeypatch, tmp_path):
        monkeypatch.setitem(sys.modules, "matplotlib", None)
        paths = reproduce_all(tmp_path, figures=False, variants=False,
                              study=Study(holding_costs=(1,), review_periods=(10,)))
        assert paths and all(p.suffix == ".csv" for p in paths)
