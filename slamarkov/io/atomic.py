"""Atomic output: a file, or a folder of files, is written whole or not at all.

An output path names one of:

* nothing yet, or a regular file: the output is written to a temporary file beside it and moved
  over it in one step (:func:`os.replace`), so a reader sees the old file or the new one;
* a character device (the null device, a terminal, ``/dev/stdout``) or a named pipe with a
  reader: the output is made whole in a temporary file first, then written into the device, which
  stays a device (it is never replaced by a file);
* a symbolic link: the path it points to is written (the link stays a link);
* anything else (a folder where a file is expected, a socket, a block device, a pipe that nobody
  reads) is refused in one line, before anything is written.

A temporary name never exceeds the file system's limit on a name (``NAME_MAX``): for a long
output name the name is shortened and a hash of it kept (:func:`sibling_name`), so every legal
name can be written. An illegal one (over ``NAME_MAX``) is refused in one line.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import shutil
import signal
import stat
import tempfile
import threading
from pathlib import Path

from ..errors import OutputError

__all__ = ["atomic_write", "atomic_path", "atomic_dir", "check_output", "sibling_name"]

#: the mark in the name of a folder being written (``.NAME.partial-PID-XXXX``)
PARTIAL = ".partial-"
# characters tempfile adds to a prefix and a suffix (its random part)
_RANDOM = 8
# paths that name the process's own standard streams (written through, never replaced)
_STREAM = re.compile(r"^/dev/(stdout|stderr|fd/\d+)$|^/proc/(self|\d+)/fd/\d+$")


def _own_descriptor(path) -> int | None:
    """The file descriptor of this process that ``path`` names (``/dev/stdout`` is 1), if any."""
    text = os.path.abspath(path)
    if text in ("/dev/stdout", "/dev/stderr"):
        return 1 if text.endswith("out") else 2
    m = re.match(r"^(?:/dev|/proc/(self|\d+))/fd/(\d+)$", text)
    if m and (m.group(1) in (None, "self") or int(m.group(1)) == os.getpid()):
        return int(m.group(2))
    return None


def _cannot(path, exc) -> OutputError:
    return OutputError(f"{path}: cannot be written ({getattr(exc, 'strerror', None) or exc})")


def _name_max(folder: Path) -> int:
    """The longest name (in bytes) the file system of ``folder`` accepts (255 where unknown)."""
    while True:
        try:
            return int(os.pathconf(folder, "PC_NAME_MAX"))
        except FileNotFoundError:
            if folder.parent == folder:
                return 255
            folder = folder.parent  # not created yet: its nearest existing parent decides
        except (OSError, ValueError, AttributeError):
            return 255


def sibling_name(path, prefix: str = "", suffix: str = "", reserve: int = 0) -> str:
    """The name ``prefix + NAME + suffix`` beside ``path`` (NAME its name), shortened to fit.

    When the whole name (plus ``reserve`` bytes a caller adds later, such as tempfile's random
    part) would exceed the file system's ``NAME_MAX``, NAME is cut and ``~`` and eight hex digits
    of a hash of the full NAME are put in its place, so two long names still give two names, and
    one name always the same.

    Examples
    --------
    >>> sibling_name("out/table.csv", ".", ".partial")
    '.table.csv.partial'
    >>> name = sibling_name("x" * 250 + ".csv", "", ".partial")
    >>> len(name), name[-18:]
    (255, 'x~99b2edef.partial')
    """
    path = Path(path)
    name = path.name
    room = _name_max(path.parent if str(path.parent) else Path(".")) - reserve
    fixed = len(os.fsencode(prefix)) + len(os.fsencode(suffix))
    if len(os.fsencode(name)) + fixed <= room:
        return f"{prefix}{name}{suffix}"
    mark = "~" + hashlib.sha1(os.fsencode(name)).hexdigest()[:8]
    keep = max(room - fixed - len(mark), 1)
    cut = os.fsencode(name)[:keep].decode("utf-8", errors="ignore")
    return f"{prefix}{cut}{mark}{suffix}"


def check_output(path, *, folder: bool = False) -> str:
    """Refuse an output path that must not be written, in one line; say how it will be written.

    Parameters
    ----------
    path : str or Path
        The output (a file, or with ``folder=True`` a folder of files).
    folder : bool, default False

    Returns
    -------
    str
        ``"new"`` (nothing there yet), ``"file"`` (a regular file, replaced atomically),
        ``"folder"`` (an existing folder, with ``folder=True``) or ``"stream"`` (a character
        device, a named pipe with a reader or a standard stream: written into).

    Raises
    ------
    OutputError
        ``PATH: is a folder; give a file name``, ``PATH: is a socket``, ``PATH: cannot be
        written (File name too long)``, ...

    Examples
    --------
    >>> check_output("/dev/null")
    'stream'
    >>> import tempfile
    >>> check_output(tempfile.gettempdir())
    Traceback (most recent call last):
    ...
    slamarkov.errors.OutputError: /tmp: is a folder; give a file name
    """
    path = Path(path)
    if not folder and _STREAM.match(os.path.abspath(path)):
        return "stream"
    try:
        mode = os.stat(path).st_mode  # through symbolic links
    except (FileNotFoundError, NotADirectoryError):
        try:
            os.lstat(path)  # a dangling link is written through; a long name is refused here
        except (FileNotFoundError, NotADirectoryError):
            pass
        except OSError as exc:
            raise _cannot(path, exc) from None
        for parent in path.parents:  # a parent that is a file cannot hold the output
            with contextlib.suppress(OSError):
                if not stat.S_ISDIR(os.stat(parent).st_mode):
                    raise OutputError(f"{path}: cannot be written ({parent} is not a folder)")
                break
        return "new"
    except OSError as exc:  # ENAMETOOLONG, ELOOP, EACCES
        raise _cannot(path, exc) from None
    if stat.S_ISDIR(mode):
        if folder:
            return "folder"
        raise OutputError(f"{path}: is a folder; give a file name")
    if folder:
        raise OutputError(f"{path}: exists and is not a folder")
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISCHR(mode):
        return "stream"
    if stat.S_ISFIFO(mode):
        # a pipe is opened (and refused when no one reads it) when the output is complete:
        # opening it now to look for a reader would end the reader's input
        return "stream"
    kind = ("a socket" if stat.S_ISSOCK(mode) else "a block device" if stat.S_ISBLK(mode)
            else "not a regular file")
    raise OutputError(f"{path}: is {kind}; give a file name")


def _open_stream(path):
    """Open a device or a pipe for writing, without waiting for a reader that is not there.

    A path naming one of this process's own descriptors (``/dev/stdout``) is written through
    that descriptor, so that the output and what the process prints share one position."""
    own = _own_descriptor(path)
    if own is not None:
        import sys

        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        try:
            return os.fdopen(os.dup(own), "wb")
        except OSError as exc:
            raise _cannot(path, exc) from None
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise OutputError(f"{path}: is a named pipe with no reader; give a file "
                              "name") from None
        raise _cannot(path, exc) from None
    os.set_blocking(fd, True)
    if stat.S_ISREG(os.fstat(fd).st_mode):  # a standard stream redirected to a file
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
    return os.fdopen(fd, "wb")


def _target(path: Path) -> Path:
    """The path a regular file is written at: a symbolic link's target (the link stays)."""
    return Path(os.path.realpath(path)) if os.path.islink(path) else path


@contextlib.contextmanager
def atomic_path(path, suffix=""):
    """Yield a temporary path; on success its content becomes ``path`` (module docstring).

    A regular file is replaced atomically (parent folders are created); a character device or a
    pipe with a reader gets the whole content written into it. On an exception the temporary
    file is removed and ``path`` is left as it was. A path that cannot be written (a folder, a
    socket, a name too long, ...) raises :class:`~slamarkov.errors.OutputError`.

    Examples
    --------
    >>> with atomic_path("/dev/null") as tmp:
    ...     _ = tmp.write_text("gone")
    >>> import stat, os
    >>> stat.S_ISCHR(os.stat("/dev/null").st_mode)
    True
    """
    path = Path(path)
    kind = check_output(path)
    target = path if kind == "stream" else _target(path)
    suffix = suffix or target.suffix
    if len(os.fsencode(suffix)) > 16:
        suffix = ""
    try:
        if kind == "stream":
            fd, tmp = tempfile.mkstemp(prefix=".slamarkov-out.", suffix=suffix)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            prefix = sibling_name(target, ".", ".", reserve=_RANDOM + len(os.fsencode(suffix)))
            fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=target.parent)
    except OSError as exc:
        raise _cannot(path, exc) from None
    os.close(fd)
    try:
        yield Path(tmp)
        if kind == "stream":
            try:
                with open(tmp, "rb") as src, _open_stream(path) as dst:
                    shutil.copyfileobj(src, dst)
            except OSError as exc:
                raise _cannot(path, exc) from None
            os.unlink(tmp)
            return
        # mkstemp makes the file 0600; give it the mode an ordinary open() would (umask)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        if check_output(target) == "stream":  # became a device while we wrote: not replaced
            raise OutputError(f"{path}: is no longer a regular file; nothing written")
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise _cannot(path, exc) from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write(path, data) -> None:
    """Write ``data`` (str or bytes) to ``path`` atomically (:func:`atomic_path`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / ("n" * 255)
    >>> atomic_write(out, "a long legal name")
    >>> out.read_text()
    'a long legal name'
    """
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


def _partial_stem(path: Path) -> str:
    """``.NAME.partial-``: NAME shortened to leave room for a process id (up to 10 digits and a
    dash), the random part and ``-old`` (the same for every writer of ``path``)."""
    return sibling_name(path, ".", PARTIAL, reserve=11 + _RANDOM + len("-old"))


def _remove_stale(path: Path) -> None:
    """Remove folders a killed writer of ``path`` left behind (their process is gone)."""
    pattern = re.compile(re.escape(_partial_stem(path)) + r"(\d+)-")
    with contextlib.suppress(OSError):
        for entry in path.parent.iterdir():
            m = pattern.match(entry.name)
            if not m or _pid_alive(int(m.group(1))):
                continue
            if entry.is_symlink():  # an earlier version could leave a link here
                entry.unlink()
            elif entry.is_dir():
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
    temporary folder is named ``.NAME.partial-PID-XXXX`` (hidden, clearly not an output; NAME
    shortened when the whole would be too long a name); it is removed on an exception, on
    SIGTERM and SIGHUP, and, when a writer was killed outright, by the next writer of the same
    path. A symbolic link to a folder is written through: the folder it points to is replaced
    and the link stays.

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
    given = Path(path)
    check_output(given, folder=True)
    path = _target(given)
    if path.is_dir() and owned is not None:
        foreign = sorted(p.name for p in path.iterdir() if p.name not in set(owned))
        if foreign:
            raise OutputError(f"{given}: holds other files ({', '.join(foreign[:3])}"
                              f"{', ...' if len(foreign) > 3 else ''}); give a new or empty "
                              "folder, or one this command wrote")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(path)
        tmp = Path(tempfile.mkdtemp(prefix=f"{_partial_stem(path)}{os.getpid()}-",
                                    dir=path.parent))
    except OSError as exc:
        raise _cannot(given, exc) from None
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
                raise _cannot(given, exc) from None
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
