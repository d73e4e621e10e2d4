"""Figures of the source study's experiments (docs/model.md section 8; matplotlib, the optional
``plot`` extra).

The study's figures take a :class:`~slamarkov.study.Study` (whose cache the tables share); each
returns a :class:`matplotlib.figure.Figure` made by :mod:`slamarkov.plot` (the Agg canvas, no
pyplot state), which :func:`~slamarkov.plot.save_figure` writes atomically.

* :func:`cost_figure` -- expected cost per period against T for both policies, one panel per
  holding cost, with a band of one SD of the cost per period of one review period (exact).
* :func:`ready_rate_figure` -- the exact ready-rate distributions of both policies per (h, T),
  with the penalty and bonus thresholds drawn.
* :func:`saving_figure` -- the dynamic policy's saving against T, one line per ratio.
* :func:`stock_figure` -- the quartiles of the dynamic stock per period.
* :func:`carry_over_figure` -- discard against carry-over (:func:`carry_over_table`).

Without matplotlib they raise :class:`~slamarkov.errors.PlotDependencyError` naming the extra.
"""

from __future__ import annotations

import numpy as np

from ..plot.distributions import ready_rate_panel
from ..plot.figure import DYNAMIC_COLOUR, STATIC_COLOUR, axes_grid
from .experiment import STOCK_REVIEW_PERIODS, Study
from .tables import saving_table, stock_table

__all__ = ["cost_figure", "ready_rate_figure", "saving_figure", "stock_figure",
           "carry_over_figure"]


def _g(x) -> str:
    return format(float(x), "g")


def _panels(n, max_cols=2):
    cols = min(n, max_cols)
    return (n + cols - 1) // cols, cols


def _label(axes, n, xlabel, ylabel, *, every_y=False):
    """Axis labels on the outer panels only (the bottom row, and the first column unless
    ``every_y``), for the first ``n`` panels of a grid."""
    nrows, ncols = axes.shape
    for k, ax in enumerate(axes.flat[:n]):
        r, c = divmod(k, ncols)
        if r == nrows - 1 or k + ncols >= n:
            ax.set_xlabel(xlabel)
        if c == 0 or every_y:
            ax.set_ylabel(ylabel)


def _hide_unused(axes, n):
    for ax in axes.flat[n:]:
        ax.set_visible(False)


def cost_figure(study: Study, *, band: bool = True):
    """Expected cost per period against T, dynamic and static, one panel per holding cost.

    The shaded band is the expected cost plus and minus one standard deviation of the cost per
    period of one review period (its total cost divided by T), computed exactly from the chain
    (:meth:`Study.cost_moments`).

    Parameters
    ----------
    study : Study
    band : bool, default True

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = cost_figure(Study(holding_costs=(1,), review_periods=(10, 20)))
    >>> [ax.get_title() for ax in fig.axes]
    ['h = 1']
    """
    Ts = np.array(study.review_periods)
    hs = study.holding_costs
    nrows, ncols = _panels(len(hs))
    fig, axes = axes_grid(nrows, ncols, 3.8 * ncols + 0.6, 3.2 * nrows + 1.1, top=1.0,
                        sharex=True)
    for ax, h in zip(axes.flat, hs):
        for name, colour, style, label in (("dynamic", DYNAMIC_COLOUR, "-o", "dynamic"),
                                           ("static", STATIC_COLOUR, "--s", "static (S*)")):
            mom = np.array([study.cost_moments(h, T)[name] for T in Ts])
            mean, sd = mom[:, 0], mom[:, 1]
            ax.plot(Ts, mean, style, color=colour, label=label, markersize=4)
            if band:
                ax.fill_between(Ts, mean - sd, mean + sd, color=colour, alpha=0.15, linewidth=0,
                                label=f"{label} ± 1 SD")
        ax.axhline(0, color="grey", linewidth=0.6)
        ax.set_title(f"h = {_g(h)}")
        ax.grid(alpha=0.3)
    _label(axes, len(hs), "review period T (periods)", "cost per period", every_y=True)
    _hide_unused(axes, len(hs))
    axes.flat[0].legend(fontsize="small", loc="best")
    fig.suptitle(f"Expected cost per period vs T, {study.label}\n"
                 f"band: ±1 SD of the cost per period of one review period")
    return fig


def ready_rate_figure(study: Study, *, holding_costs=None,
                      review_periods=STOCK_REVIEW_PERIODS):
    """The exact ready-rate distributions of both policies, one panel per (h, T).

    Rows are holding costs, columns review periods. Each panel shows P(ready rate = v/T) for
    the dynamic and static policies as filled steps (one bar per ready count v, centred on
    v/T), with the penalty threshold (red) and the bonus threshold (green) drawn between the
    bars they separate: the bars left of the red line pay the penalty, the bars right of the
    green line earn the bonus.

    Parameters
    ----------
    study : Study
    holding_costs : sequence, optional
        Default the study's.
    review_periods : sequence of int, default (10, 30, 60, 90)

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = ready_rate_figure(Study(), holding_costs=(1,), review_periods=(10, 30))
    >>> [ax.get_title() for ax in fig.axes]
    ['h = 1, T = 10', 'h = 1, T = 30']
    """
    hs = tuple(study.holding_costs if holding_costs is None else holding_costs)
    Ts = tuple(review_periods)
    fig, axes = axes_grid(len(hs), len(Ts), 3.2 * len(Ts) + 0.6, 2.5 * len(hs) + 1.1, top=1.05)
    for r, h in enumerate(hs):
        for c, T in enumerate(Ts):
            ax = axes[r, c]
            cell = study.solve(h, T)
            ready_rate_panel(ax, cell.problem.contract,
                             [("static", STATIC_COLOUR, cell.static.ready_rate.pmf),
                              ("dynamic", DYNAMIC_COLOUR, cell.dynamic.ready_rate.pmf)])
            ax.set_title(f"h = {_g(h)}, T = {T}")
            if r == len(hs) - 1:
                ax.set_xlabel("ready rate (%)")
            if c == 0:
                ax.set_ylabel("probability")
            ax.grid(alpha=0.3)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center",
               ncol=4, fontsize="small", frameon=False,
               bbox_to_anchor=(0.5, 1 - 0.42 / fig.get_figheight()))
    fig.suptitle(f"Ready-rate distribution of the dynamic and static policies, {study.label}")
    return fig






def saving_figure(study: Study, *, table=None):
    """The dynamic policy's cost saving per period against T, one line per ratio.

    One panel per holding cost; the saving is the static minus the dynamic expected cost per
    period with the bonus per period set to penalty / ratio (:func:`saving_table`).

    Parameters
    ----------
    study : Study
    table : pandas.DataFrame, optional
        A saving table already computed for ``study``.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = saving_figure(Study(holding_costs=(1,), review_periods=(10, 20)))
    >>> fig.axes[0].get_ylabel()
    'saving per period'
    """
    t = saving_table(study, progress=False) if table is None else table
    hs = study.holding_costs
    nrows, ncols = _panels(len(hs))
    fig, axes = axes_grid(nrows, ncols, 3.8 * ncols + 0.6, 3.0 * nrows + 1.1, top=1.0,
                        sharey=True)
    markers = "os^vDP*"
    for ax, h in zip(axes.flat, hs):
        for k, ratio in enumerate(study.ratios):
            rows = t[np.isclose(t["ratio"].astype(float), float(ratio))
                     & np.isclose(t["h"].astype(float), float(h))]
            ax.plot(rows["T"].to_numpy(), rows["saving"].to_numpy(dtype=float),
                    marker=markers[k % len(markers)], markersize=4,
                    label=f"ratio {_g(ratio)}")
        ax.set_title(f"h = {_g(h)}")
        ax.grid(alpha=0.3)
    _label(axes, len(hs), "review period T (periods)", "saving per period")
    axes.flat[0].set_ylim(bottom=0)  # shared: after every panel is drawn
    _hide_unused(axes, len(hs))
    axes.flat[0].legend(fontsize="small", title="penalty / bonus", title_fontsize="small")
    fig.suptitle(f"Cost saving of the dynamic policy (static − dynamic cost per period)\n"
                 f"{study.scheme}, {study.demand.describe()}, penalty "
                 f"{_g(study.penalty_per_period)} per period, bonus = penalty / ratio")
    return fig


def stock_figure(study: Study, *, holding_cost=1, review_periods=STOCK_REVIEW_PERIODS,
                 table=None):
    """The dynamic stock per period: median and quartiles of S_i over the states reached.

    One panel per review period; the band spans the lower to the upper quartile, the line is
    the median, the dotted line the static policy's S* (:func:`stock_table`, exact).

    Parameters
    ----------
    study : Study
    holding_cost : number, default 1
    review_periods : sequence of int, default (10, 30, 60, 90)
    table : pandas.DataFrame, optional
        A stock table already computed with these settings.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = stock_figure(Study(), review_periods=(10,))
    >>> fig.axes[0].get_title()
    'T = 10'
    """
    t = stock_table(study, holding_cost=holding_cost, review_periods=review_periods,
                    progress=False) \
        if table is None else table
    Ts = tuple(review_periods)
    nrows, ncols = _panels(len(Ts))
    fig, axes = axes_grid(nrows, ncols, 3.8 * ncols + 0.6, 3.0 * nrows + 1.1, top=1.0,
                        sharey=True)
    for ax, T in zip(axes.flat, Ts):
        rows = t[t["T"] == T]
        i = rows["period"].to_numpy()
        q1, med, q3 = (rows[k].to_numpy() for k in ("q1", "median", "q3"))
        ax.fill_between(i, q1, q3, step="mid", color=DYNAMIC_COLOUR, alpha=0.25,
                        linewidth=0, label="dynamic: quartiles")
        ax.step(i, med, where="mid", color=DYNAMIC_COLOUR, linewidth=1.6,
                label="dynamic: median")
        ax.axhline(rows["static_S"].iloc[0], color=STATIC_COLOUR, linestyle=":", linewidth=1.6,
                   label="static S*")
        ax.set_title(f"T = {T}")
        ax.grid(alpha=0.3)
    _label(axes, len(Ts), "period i", "stock S_i (units)")
    axes.flat[0].set_ylim(bottom=0)  # shared: after every panel is drawn
    _hide_unused(axes, len(Ts))
    axes.flat[0].legend(fontsize="small", loc="lower left")
    fig.suptitle(f"Dynamic stock per period: exact quartiles over the states reached\n"
                 f"h = {_g(holding_cost)}, {study.label}")
    return fig


def carry_over_figure(table):
    """Discard against carry-over (the table of :func:`~slamarkov.study.carry_over_table`):
    ready-rate mean and cost per period against T, dynamic and static, one column of panels
    per quantity, one line per holding cost.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from slamarkov.study import Study, carry_over_table
    >>> t = carry_over_table(Study(holding_costs=(1,), review_periods=(10, 20)))
    >>> [ax.get_title() for ax in carry_over_figure(t).axes]
    ['ready rate mean (%)', 'cost per period']
    """
    hs = sorted(set(table["h"].astype(float)))
    fig, axes = axes_grid(1, 2, 10.2, 4.4, top=1.0)
    styles = {"discard": "--", "carry": "-"}
    colours = {"dyn": DYNAMIC_COLOUR, "static": STATIC_COLOUR}
    for ax, metric, title in ((axes.flat[0], "mean", "ready rate mean (%)"),
                              (axes.flat[1], "cost", "cost per period")):
        for h in hs:
            sub = table[table["h"].astype(float) == h]
            Ts = sub["T"].to_numpy()
            for short in ("dyn", "static"):
                for rule in ("discard", "carry"):
                    ys = sub[f"{short}_{metric}_{rule}"].to_numpy(dtype=float)
                    if metric == "mean":  # a fraction in the table, percent on the axis
                        ys = 100 * ys
                    label = (f"{'dynamic' if short == 'dyn' else 'static'}, {rule}"
                             + (f", h = {_g(h)}" if len(hs) > 1 else ""))
                    ax.plot(Ts, ys, styles[rule], color=colours[short], marker="o",
                            markersize=3, alpha=1.0 if len(hs) == 1 else 0.5 + 0.5 * h / max(hs),
                            label=label)
        ax.set_title(title)
        ax.set_xlabel("review period T (periods)")
        ax.grid(alpha=0.3)
    axes.flat[0].legend(fontsize="x-small", loc="best")
    fig.suptitle(table.attrs.get("title", ""))
    return fig


