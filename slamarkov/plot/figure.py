"""The one way slamarkov makes and saves a figure: matplotlib imported on demand, a Figure on the
Agg canvas (no pyplot state, so figures work headless and are not kept alive by pyplot), and an
atomic write whose format is the file's suffix.

matplotlib is the optional ``plot`` extra; without it :func:`require_matplotlib` raises
:class:`~slamarkov.errors.PlotDependencyError` (a :class:`~slamarkov.errors.SlamarkovError` and an
:class:`ImportError`) naming the extra to install.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import OutputError, PlotDependencyError
from ..io.atomic import atomic_path

__all__ = ["require_matplotlib", "check_figure_path", "new_figure", "axes_grid", "save_figure", "FIGURE_SUFFIXES",
           "DYNAMIC_COLOUR", "STATIC_COLOUR", "PENALTY_COLOUR", "BONUS_COLOUR"]

#: colours of the two policies and of the two thresholds, in every figure
DYNAMIC_COLOUR = "tab:blue"
STATIC_COLOUR = "tab:orange"
PENALTY_COLOUR = "tab:red"
BONUS_COLOUR = "tab:green"

#: the formats :func:`save_figure` writes, by suffix
FIGURE_SUFFIXES = (".png", ".svg", ".pdf")


def require_matplotlib():
    """Import matplotlib, or raise :class:`PlotDependencyError` with the fix.

    Examples
    --------
    >>> require_matplotlib().__name__
    'matplotlib'
    """
    try:
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: F401
        from matplotlib.figure import Figure  # noqa: F401
    except ImportError:
        raise PlotDependencyError(
            "matplotlib: not installed; figures need it: pip install 'slamarkov[plot]'"
        ) from None
    return matplotlib


def new_figure(width: float, height: float, **options):
    """A :class:`matplotlib.figure.Figure` of ``width`` x ``height`` inches on the Agg canvas.

    ``options`` go to the Figure (e.g. ``layout="constrained"``).

    Examples
    --------
    >>> fig = new_figure(4, 3)
    >>> fig.get_size_inches().tolist(), type(fig.canvas).__name__
    ([4.0, 3.0], 'FigureCanvasAgg')
    """
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), **options)
    FigureCanvasAgg(fig)
    return fig


def axes_grid(nrows, ncols, width, height, *, left=0.75, right=0.2, top=0.75, bottom=0.6,
              hspace=0.4, wspace=0.3, **options):
    """A :func:`new_figure` with an ``nrows`` x ``ncols`` grid of axes; margins in inches.

    Fixed margins rather than a layout engine: constrained layout draws every figure twice,
    which doubles the time of ``reproduce all``. ``options`` go to ``Figure.subplots`` (e.g.
    ``sharex=True``).

    Returns
    -------
    (Figure, ndarray of Axes)
        The axes as a 2-d array, whatever the grid's shape.

    Examples
    --------
    >>> fig, axes = axes_grid(2, 3, 9, 5)
    >>> axes.shape
    (2, 3)
    """
    fig = new_figure(width, height)
    axes = fig.subplots(nrows, ncols, squeeze=False, **options)
    fig.subplots_adjust(left=left / width, right=1 - right / width, top=1 - top / height,
                        bottom=bottom / height, hspace=hspace, wspace=wspace)
    return fig, axes


def check_figure_path(path) -> Path:
    """Refuse, before any work, a figure path :func:`save_figure` cannot write: a suffix other
    than .png, .svg or .pdf (none means PNG), or no matplotlib to draw it.

    Raises
    ------
    OutputError
        On another suffix.
    PlotDependencyError
        When matplotlib is not installed.

    Examples
    --------
    >>> check_figure_path("front.txt")
    Traceback (most recent call last):
    ...
    slamarkov.errors.OutputError: front.txt: a figure is .png, .svg, .pdf
    """
    path = Path(path)
    if (path.suffix.lower() or ".png") not in FIGURE_SUFFIXES:
        raise OutputError(f"{path}: a figure is {', '.join(FIGURE_SUFFIXES)}")
    require_matplotlib()
    return path


def save_figure(fig, path, *, dpi=110) -> Path:
    """Write ``fig`` to ``path`` atomically, in the format of its suffix (.png, .svg or .pdf;
    PNG when it has none), and return the path.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or Path
    dpi : float or "figure", default 110
        Resolution of a PNG ("figure": the figure's own).

    Raises
    ------
    OutputError
        On another suffix, or a path that cannot be written.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = save_figure(new_figure(2, 2), os.path.join(d, "sub", "empty.png"))
    ...     p.read_bytes()[:4] == b"\\x89PNG"
    True
    """
    path = Path(path)
    suffix = path.suffix.lower() or ".png"
    if suffix not in FIGURE_SUFFIXES:
        raise OutputError(f"{path}: a figure is {', '.join(FIGURE_SUFFIXES)}")
    with atomic_path(path, suffix=suffix) as tmp:
        fig.savefig(tmp, dpi=fig.dpi if dpi == "figure" else dpi, format=suffix[1:])
    return path
