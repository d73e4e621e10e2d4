"""A tiny progress bar on standard error, drawn only when it is a terminal.

No dependency: one line redrawn with a carriage return, at most ten times a second, and cleared
when the loop ends. Any module with a long loop can wrap it::

    for i in progress(range(1, T + 1), total=T, label="simulate"):
        ...
"""

from __future__ import annotations

import sys
import time

__all__ = ["progress", "is_terminal"]

#: width of the bar in characters
WIDTH = 30


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


def _line(label: str, done: int, total: int | None) -> str:
    if total:
        frac = min(done / total, 1.0)
        fill = int(round(WIDTH * frac))
        bar = "#" * fill + "-" * (WIDTH - fill)
        return f"\r{label} [{bar}] {done}/{total} {100 * frac:3.0f}%"
    return f"\r{label} {done}"


def progress(iterable, total: int | None = None, label: str = "", enabled: bool | None = None,
             stream=None, min_interval: float = 0.1):
    """Yield from ``iterable`` while drawing a progress bar on ``stream``.

    Parameters
    ----------
    iterable : iterable
        The loop to follow.
    total : int, optional
        Number of items (``len(iterable)`` when it has one).
    label : str
        Text in front of the bar.
    enabled : bool, optional
        Draw the bar; by default only when ``stream`` is a terminal, so that redirected output
        and logs stay clean.
    stream : file, default sys.stderr
    min_interval : float, default 0.1
        Seconds between redraws (the last state is always drawn).

    Examples
    --------
    >>> import io
    >>> buf = io.StringIO()
    >>> sum(progress(range(4), label="work", stream=buf))  # not a terminal: no bar
    6
    >>> buf.getvalue()
    ''
    >>> _ = list(progress(range(4), label="work", enabled=True, stream=buf))
    >>> buf.getvalue().rstrip().split("\\r")[-1]
    'work [##############################] 4/4 100%'
    """
    stream = sys.stderr if stream is None else stream
    if enabled is None:
        enabled = is_terminal(stream)
    if not enabled:
        yield from iterable
        return
    if total is None:
        try:
            total = len(iterable)
        except TypeError:
            total = None
    done = 0
    last = -float("inf")
    width = 0
    try:
        for item in iterable:
            yield item
            done += 1
            now = time.monotonic()
            if now - last >= min_interval:
                text = _line(label, done, total)
                width = max(width, len(text))
                stream.write(text)
                stream.flush()
                last = now
    finally:
        text = _line(label, done, total)
        stream.write(text.ljust(width) + "\n")
        stream.flush()
