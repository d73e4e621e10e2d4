"""Figures (matplotlib, the optional ``plot`` extra): the one way to make and save a figure,
ready-rate distributions, and drawings of a policy's chain and stock table (a fill-rate policy's
over units demanded and filled).

Every figure is a :class:`matplotlib.figure.Figure` on the Agg canvas, never pyplot's; matplotlib
is imported when a figure is made, and without it :func:`require_matplotlib` raises
:class:`~slamarkov.errors.PlotDependencyError` naming the extra to install. The study's own
figures are in :mod:`slamarkov.study.figures`, the Pareto front of a sweep in
:mod:`slamarkov.sweep.design`.
"""

from ..errors import PlotDependencyError
from .distributions import policies_ready_rate_figure, ready_rate_panel
from .figure import (
    BONUS_COLOUR,
    DYNAMIC_COLOUR,
    FIGURE_SUFFIXES,
    PENALTY_COLOUR,
    STATIC_COLOUR,
    axes_grid,
    check_figure_path,
    new_figure,
    require_matplotlib,
    save_figure,
)
from .policy import (
    CHAIN_MAX_REVIEW_PERIOD,
    draw_chain,
    draw_fill_policy,
    draw_policy_heatmap,
    fill_policy_panels,
)

__all__ = ["require_matplotlib", "check_figure_path", "new_figure", "axes_grid", "save_figure", "FIGURE_SUFFIXES",
           "policies_ready_rate_figure", "ready_rate_panel", "draw_chain",
           "draw_policy_heatmap", "draw_fill_policy", "fill_policy_panels",
           "CHAIN_MAX_REVIEW_PERIOD", "PlotDependencyError",
           "DYNAMIC_COLOUR", "STATIC_COLOUR", "PENALTY_COLOUR", "BONUS_COLOUR"]


def __getattr__(name):
    # the study's figures were in slamarkov.plot in 0.1; they live with the study now
    from .._compat import lifted

    return lifted(__name__, name)
