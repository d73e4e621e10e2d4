"""Atomic output: a file, or a folder of files, is written whole or not at all."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import tempfile
import threading
from pathlib import Path

from ..errors import OutputError

__all__ = ["atomic_write", "atomic_path", "atomic_dir"]

#: the mark in the name of a folder being written (``.NAME.partial-PID-XXXX``)
PARTIAL = ".partial-"


@contextlib.contextmanager
def atomic_path(path, suffix=""):
    """Yield a temporary path beside ``path``; on success it replaces ``path`` atomically.

    Parent folders are created. On an exception the temporary file is removed and ``path`` is
    left as it was. A path that cannot be written raises :class:`~slamarkov.errors.OutputError`.
    """
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; give a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix or path.suffix,
                                   dir=path.parent)
    except OSError as exc:
        raise OutputError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    os.close(fd)
    try:
        yield Path(tmp)
        # mkstemp makes the file 0600; give it the mode an ordinary open() would (umask)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        try:
            os.replace(tmp, path)
        except OSError as exc:
            raise OutputError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write(path, data) -> None:
    """Write ``data`` (str or bytes) to ``path`` atomically."""
    mode = "wb" if isinstance(data, bytes) else "w"
    with atomic_path(path) as tmp:
        with open(tmp, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as fh:
            fh.write(data)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _remove_stale(path: Path) -> None:
    """Remove folders a killed writer of ``path`` left behind (their process is gone)."""
    pattern = re.compile(re.escape(f".{path.name}{PARTIAL}") + r"(\d+)-")
    with contextlib.suppress(OSError):
        for entry in path.parent.iterdir():
            m = pattern.match(entry.name)
            if m and entry.is_dir() and not _pid_alive(int(m.group(1))):
                shutil.rmtree(entry, ignore_errors=True)


@contextlib.contextmanager
def _signals_raise():
    """While writing, turn SIGTERM and SIGHUP into an exception, so that cleanup runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise SystemExit(128 + signum)

    old = {}
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            with contextlib.suppress(ValueError, OSError):
                old[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, h in old.items():
            signal.signal(sig, h)


@contextlib.contextmanager
def atomic_dir(path, owned=None):
    """Yield an empty temporary folder beside ``path``; on success it replaces ``path`` whole.

    Everything written into the yielded folder appears at ``path`` at once, as a set: a reader
    sees the old folder or the new one, never a mix of two runs or a half-written set. The
    temporary folder is named ``.NAME.partial-PID-XXXX`` (hidden, clearly not an output); it is
    removed on an exception, on SIGTERM and SIGHUP, and, when a writer was killed outright, by the
    next writer of the same path.

    Parameters
    ----------
    path : str or Path
        The folder to create or replace.
    owned : collection of str, optional
        The file names a previous output may hold. An existing folder holding anything else is
        not replaced (it may be the user's): :class:`~slamarkov.errors.OutputError`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = pathlib.Path(d) / "set"
    ...     with atomic_dir(out) as tmp:
    ...         _ = (tmp / "a.txt").write_text("a")
    ...     sorted(p.name for p in pathlib.Path(d).iterdir()), (out / "a.txt").read_text()
    (['set'], 'a')
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path}: exists and is not a folder")
    if path.is_dir() and owned is not None:
        foreign = sorted(p.name for p in path.iterdir() if p.name not in set(owned))
        if foreign:
            raise OutputError(f"{path}: holds other files ({', '.join(foreign[:3])}"
                              f"{', ...' if len(foreign) > 3 else ''}); give a new or empty "
                              "folder, or one this command wrote")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(path)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}{PARTIAL}{os.getpid()}-",
                                    dir=path.parent))
    except OSError as exc:
        raise OutputError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    with _signals_raise():
        try:
            yield tmp
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it 0700
            try:
                if not path.is_dir():
                    os.rename(tmp, path)
                elif _exchange(tmp, path):
                    shutil.rmtree(tmp, ignore_errors=True)  # it now holds the previous folder
                else:  # no atomic swap here: move the old folder aside for the moment between
                    aside = Path(f"{tmp}-old")
                    os.rename(path, aside)
                    try:
                        os.rename(tmp, path)
                    except OSError:
                        os.rename(aside, path)
                        raise
                    shutil.rmtree(aside, ignore_errors=True)
            except OSError as exc:
                raise OutputError(f"{path}: cannot be written ({exc.strerror or exc})") from None
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
