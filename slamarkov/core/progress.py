"""The one progress bar: tqdm on standard error, drawn only when it is a terminal.

Every long loop of the package (a simulation's periods, a study table's cells, ``reproduce
all``'s files, a sweep's points) wraps its iterable, or counts its steps, with
:func:`progress`::

    for i in progress(range(1, T + 1), total=T, label="simulate"):
        ...

One convention throughout, in the Python API and on the command line (``--progress`` /
``--no-progress``): ``enabled`` is None (the default: a bar only when standard error is a
terminal, so that redirected output and logs stay clean), True (always) or False (never).
tqdm is imported when a bar is made, not with the package. :func:`track` follows a loop with
the bar a caller's ``progress`` argument asks for.
"""

from __future__ import annotations

import sys
import warnings

__all__ = ["progress", "track", "is_terminal"]


def is_terminal(stream) -> bool:
    """Whether ``stream`` is an interactive terminal (False when it cannot tell).

    Examples
    --------
    >>> import io
    >>> is_terminal(io.StringIO())
    False
    """
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def progress(iterable=None, total: int | None = None, label: str = "",
             enabled: bool | None = None, stream=None, min_interval: float = 0.1, *,
             unit: str = "it", initial: int = 0):
    """A tqdm bar over ``iterable`` on ``stream`` (standard error), or a counter to advance.

    Iterate over the result as over ``iterable``; without an iterable, call its ``update(n)``
    as work completes and ``close()`` at the end (or use it in a ``with`` block). The bar is
    removed when it closes.

    Parameters
    ----------
    iterable : iterable, optional
        The loop to follow.
    total : int, optional
        Number of items (``len(iterable)`` when it has one).
    label : str
        Text in front of the bar.
    enabled : bool, optional
        Draw the bar; by default (None) only when ``stream`` is a terminal.
    stream : file, default sys.stderr
    min_interval : float, default 0.1
        Seconds between redraws.
    unit : str, default "it"
        What one step is ("point", "file").
    initial : int, default 0
        Steps already done (a resumed sweep).

    Returns
    -------
    tqdm.tqdm

    Examples
    --------
    >>> import io
    >>> buf = io.StringIO()
    >>> sum(progress(range(4), label="work", stream=buf))  # not a terminal: no bar
    6
    >>> buf.getvalue()
    ''
    >>> _ = list(progress(range(4), label="work", enabled=True, stream=buf, min_interval=0))
    >>> "work: 100%" in buf.getvalue() and "4/4" in buf.getvalue()
    True
    """
    from tqdm import tqdm

    stream = sys.stderr if stream is None else stream
    if enabled is None:
        enabled = is_terminal(stream)
    return tqdm(iterable, total=total, desc=label or None, file=stream, disable=not enabled,
                mininterval=min_interval, unit=unit, initial=initial, leave=False,
                dynamic_ncols=True)


def track(iterable, enabled=None, *, total: int | None = None, label: str = "",
          unit: str = "it"):
    """Yield from ``iterable`` with the bar that a caller's ``progress`` argument asks for.

    Parameters
    ----------
    iterable : iterable
    enabled : bool or callable, optional
        The caller's ``progress`` argument:
        None (a bar when standard error is a terminal), True or False, as :func:`progress`.
        A callable ``progress(iterable, total=..., label=...)`` (slamarkov 0.1's convention for
        the study's tables) is still called, with a :class:`DeprecationWarning`.
    total : int, optional
        Number of items (``len(iterable)`` when it has one).
    label, unit : str
        As :func:`progress`.

    Examples
    --------
    >>> list(track(range(3), False, label="cells"))
    [0, 1, 2]
    """
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)
    if callable(enabled):
        warnings.warn("progress: a callable is deprecated; pass True, False or None (a bar "
                      "when standard error is a terminal)", DeprecationWarning, stacklevel=3)
        yield from enabled(iterable, total=total, label=label)
        return
    with progress(iterable, total=total, label=label, enabled=enabled, unit=unit) as bar:
        yield from bar
