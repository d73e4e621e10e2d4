"""Reading a user's file: every failure is one line naming the file.

A contract file, a grid file, a log file, a runs file, a sweep table, a graph file: each reader
opens the file through :func:`read_text`, :func:`read_bytes` or :func:`open_text`, which turn a
failure into the reader's own error class, one line that names the file and the rule::

    FILE: no such file
    FILE: is a folder, not a contract file
    FILE: not UTF-8 text
    FILE: cannot be read (Permission denied)

The file is named as the caller gave it (``str(path)``). What the content must be (TOML, CSV,
...) is the reader's business: these helpers only get the text to it.
"""

from __future__ import annotations

import contextlib

from ..errors import SlamarkovError

__all__ = ["read_text", "read_bytes", "open_text"]


def _failure(exc: BaseException, path, what: str) -> str:
    """The one-line message for an exception raised while opening or reading ``path``."""
    if isinstance(exc, FileNotFoundError):
        return f"{path}: no such file"
    if isinstance(exc, IsADirectoryError):
        return f"{path}: is a folder, not {what}"
    if isinstance(exc, UnicodeDecodeError):
        return f"{path}: not UTF-8 text"
    return f"{path}: cannot be read ({getattr(exc, 'strerror', None) or exc})"


@contextlib.contextmanager
def open_text(path, what: str, error=SlamarkovError, *, encoding: str = "utf-8",
              newline: str | None = None):
    """Open a user's text file for reading; a failure to open or read it raises ``error``.

    The ``with`` block reads from the yielded file; an :class:`OSError` or a
    :class:`UnicodeDecodeError` raised in it (the file read in pieces) becomes the same one
    line as a failure to open.

    Parameters
    ----------
    path : str or Path
        The file, named in messages as given.
    what : str
        What the file should be, with its article: ``"a contract file"``, ``"a log file"``.
    error : type, default SlamarkovError
        The caller's error class.
    encoding : str, default "utf-8"
        ``"utf-8-sig"`` also drops a byte-order mark.
    newline : str, optional
        As :func:`open` (``""``: no newline translation).

    Raises
    ------
    error
        ``FILE: no such file``, ``FILE: is a folder, not WHAT``, ``FILE: not UTF-8 text`` or
        ``FILE: cannot be read (REASON)``.

    Examples
    --------
    >>> with open_text(".", "a log file") as fh:
    ...     pass
    Traceback (most recent call last):
    ...
    slamarkov.errors.SlamarkovError: .: is a folder, not a log file
    """
    try:
        fh = open(path, encoding=encoding, newline=newline)
    except OSError as exc:
        raise error(_failure(exc, path, what)) from None
    try:
        with fh:
            yield fh
    except (OSError, UnicodeDecodeError) as exc:
        raise error(_failure(exc, path, what)) from None


def read_text(path, what: str, error=SlamarkovError, *, encoding: str = "utf-8",
              newline: str | None = None) -> str:
    """The whole text of a user's file; a failure raises ``error`` (see :func:`open_text`).

    Examples
    --------
    >>> from slamarkov.errors import ConfigError
    >>> read_text("missing.toml", "a contract file", ConfigError)
    Traceback (most recent call last):
    ...
    slamarkov.errors.ConfigError: missing.toml: no such file
    """
    with open_text(path, what, error, encoding=encoding, newline=newline) as fh:
        return fh.read()


def read_bytes(path, what: str, error=SlamarkovError) -> bytes:
    """The bytes of a user's file; a failure raises ``error`` (as :func:`open_text`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d) / "t.parquet"
    ...     _ = p.write_bytes(b"PAR1")
    ...     read_bytes(p, "a sweep table")
    b'PAR1'
    """
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise error(_failure(exc, path, what)) from None
