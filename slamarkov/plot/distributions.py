"""Figures of ready-rate distributions (docs/model.md section 6): the exact pmf of the ready rate
of one or more policies, with the penalty and bonus thresholds drawn between the bars they
separate."""

from __future__ import annotations

import numpy as np

from .figure import (
    BONUS_COLOUR,
    DYNAMIC_COLOUR,
    PENALTY_COLOUR,
    STATIC_COLOUR,
    axes_grid,
)

__all__ = ["ready_rate_panel", "policies_ready_rate_figure"]


def _g(x) -> str:
    return format(float(x), "g")


def ready_rate_panel(ax, contract, series):
    """Draw ready-rate distributions on one axes: ``series`` is a list of (label, colour, pmf)
    over v = 0..T, drawn as filled steps (one bar per ready count, centred on v/T), with the
    penalty and bonus thresholds between the bars they separate.

    Examples
    --------
    >>> from slamarkov import Contract
    >>> fig, axes = axes_grid(1, 1, 4, 3)
    >>> ready_rate_panel(axes[0, 0], Contract(2, 0.5, 1), [("p", "tab:blue", [0.25, 0.5, 0.25])])
    >>> len(axes[0, 0].patches), [line.get_xdata()[0] for line in axes[0, 0].lines]
    (1, [25.0, 75.0])
    """
    from matplotlib.colors import to_rgba

    T = contract.review_period
    edges = 100 * (np.arange(T + 2) - 0.5) / T
    lo = 100.0
    for label, colour, pmf in series:
        pmf = np.asarray(pmf, dtype=np.float64)
        # to_rgba, not a (colour, alpha) pair: matplotlib < 3.8 rejects the pair
        ax.stairs(pmf, edges, fill=True, facecolor=to_rgba(colour, 0.45), edgecolor=colour,
                  linewidth=1.0, label=label)
        seen = np.nonzero(pmf > 1e-3)[0]
        if seen.size:
            lo = min(lo, 100 * seen[0] / T)
    # the lines sit between the last bar that pays the penalty and the first that does not
    # (and likewise for the bonus), so no bar straddles a threshold
    aL, aU = 100 * float(contract.penalty_threshold), 100 * float(contract.bonus_threshold)
    x_pen = 100 * (contract.penalty_count - 0.5) / T
    x_bon = 100 * (contract.bonus_count - 0.5) / T
    ax.axvline(x_pen, color=PENALTY_COLOUR, linestyle="--", linewidth=1.3,
               label=f"penalty: bars left of this line (< {_g(aL)}%)")
    ax.axvline(x_bon, color=BONUS_COLOUR, linestyle="--", linewidth=1.3,
               label=f"bonus: bars right of this line (>= {_g(aU)}%)")
    ax.set_xlim(min(lo, x_pen) - 5, 100 + 50 / T)


def policies_ready_rate_figure(dynamic, static, *, title=None):
    """The ready-rate distributions of the dynamic and the static policy of one contract, side
    by side (shared axes), with the penalty and bonus thresholds drawn.

    Parameters
    ----------
    dynamic, static : ReadyRateDistribution
        E.g. ``solution.ready_rate``, or ``AbsorbingChain(policy).ready_rate(start)`` for the
        distribution from a mid-period state.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic, solve_static
    >>> prob = Problem(Contract.study(10), Poisson(5), 0.5)
    >>> fig = policies_ready_rate_figure(solve_dynamic(prob).ready_rate,
    ...                                  solve_static(prob).ready_rate)
    >>> [ax.get_title() for ax in fig.axes]
    ['dynamic policy', 'static policy']
    """
    height = 3.6 if title else 3.3
    fig, axes = axes_grid(1, 2, 8.6, height, top=1.05 if title else 0.75, bottom=0.55,
                        sharex=True, sharey=True, wspace=0.08)
    for ax, name, colour, dist in ((axes[0, 0], "dynamic", DYNAMIC_COLOUR, dynamic),
                                   (axes[0, 1], "static", STATIC_COLOUR, static)):
        ready_rate_panel(ax, dist.contract, [(name, colour, dist.pmf)])
        ax.set_title(f"{name} policy")
        ax.set_xlabel("ready rate at the end of the review period (%)")
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel("probability")
    # the threshold lines, once, between the title and the panels (never over a bar)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles[1:], labels[1:], loc="upper center", ncol=2, fontsize="small",
               frameon=False, bbox_to_anchor=(0.5, 1 - (0.38 if title else 0.05) / height))
    if title:
        fig.suptitle(title, y=1 - 0.08 / height, va="top")
    return fig
