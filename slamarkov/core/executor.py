"""Where picklable tasks run: this process, local worker processes, or a Dask cluster.

One executor for every parallel loop of the package (a sweep's batches of grid points, the
study's groups of tables and figures). An :class:`Executor` runs a module-level function on each
of a list of picklable tasks and yields the results as they complete, on

* the calling process (``workers=1``, or a single task),
* local worker processes through :class:`concurrent.futures.ProcessPoolExecutor` (the default:
  one per core, never more than there are tasks), forked on Linux so that no worker imports
  numpy again (:func:`process_context`), or
* a running Dask distributed scheduler (``scheduler="tcp://host:port"`` or a
  :class:`distributed.Client`; the optional ``distributed`` extra), whose workers must have
  slamarkov installed.

The caller puts results back in its own order: the executor promises only that each task runs
once, and that an exception raised by a task reaches the caller (the other tasks are then
cancelled).
"""

from __future__ import annotations

import numbers
import os
import sys

from ..errors import SweepError

__all__ = ["Executor", "connect", "process_context", "CONNECT_TIMEOUT", "SCHEDULER_PROTOCOLS"]


def process_context():
    """The :mod:`multiprocessing` context of local workers: fork on Linux (a worker starts
    with the caller's modules, no re-import of numpy), elsewhere None, the platform's default
    (fork is unsafe on macOS and missing on Windows).

    Examples
    --------
    >>> ctx = process_context()
    >>> ctx is None or ctx.get_start_method() == "fork"
    True
    """
    if sys.platform.startswith("linux"):
        import multiprocessing

        return multiprocessing.get_context("fork")
    return None


#: seconds a connection to a scheduler may take, its first answer included (``--scheduler``)
CONNECT_TIMEOUT = 10
#: the protocols of a scheduler's address: another process's (tcp, tls), or a scheduler in
#: this process (inproc, as a Python caller's LocalCluster(processes=False) gives)
SCHEDULER_PROTOCOLS = ("tcp", "tls", "inproc")


def _scheduler_address(scheduler, error):
    """``scheduler`` checked as ``tcp://host:port`` (or ``tls://``) without connecting."""
    from distributed.comm.addressing import parse_address, parse_host_port

    if not isinstance(scheduler, str) or "://" not in scheduler:
        raise error(f"--scheduler: must be an address such as tcp://host:8786, got {scheduler!r}")
    shown = scheduler if len(scheduler) <= 80 else scheduler[:80] + "..."
    protocol, location = parse_address(scheduler)
    if protocol not in SCHEDULER_PROTOCOLS:
        raise error(f"--scheduler: {shown!r}: the protocol must be tcp or tls (an address such "
                    f"as tcp://host:8786), got {protocol!r}")
    if protocol == "inproc":
        if not location:
            raise error(f"--scheduler: {shown!r}: an inproc address names a scheduler in this "
                        "process (inproc://host/pid/n); from the command line use tcp://host:port")
        return scheduler
    try:
        host, port = parse_host_port(location)
        port = int(port)
    except (ValueError, TypeError):
        host, port = "", None
    if not host or port is None or not 1 <= port <= 65535:
        raise error(f"--scheduler: {shown!r}: must be {protocol}://host:port with a host and a "
                    "port 1..65535")
    return scheduler


def _refused_now(address: str, timeout: float) -> None:
    """Raise ConnectionRefusedError at once when nothing listens at a ``tcp://host:port``
    address (dask retries a refused connection until its timeout); any other outcome is left to
    the scheduler's own handshake."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=timeout):
            pass
    except ConnectionRefusedError:
        raise ConnectionRefusedError("connection refused: is a scheduler running there?") \
            from None
    except OSError:
        pass  # a name that does not resolve, a filtered port: dask's attempt reports it


def _probe(address: str, timeout: float) -> None:
    """Connect to a scheduler and wait for its answer to ``identity``, all within ``timeout``
    seconds: a server that accepts and never answers is given up on, no client is made."""
    import asyncio

    from distributed.comm import connect as comm_connect

    async def ask():
        comm = await comm_connect(address, timeout=timeout)
        try:
            await comm.write({"op": "identity", "reply": True})
            reply = await comm.read()
        finally:
            comm.abort()
        if not isinstance(reply, dict) or reply.get("type") != "Scheduler":
            raise OSError(f"not a Dask scheduler (it answered {str(reply)[:60]!r})")

    async def bounded():
        await asyncio.wait_for(ask(), timeout)

    if address.startswith("tcp://"):  # a port nobody listens on: say so now, not after timeout
        _refused_now(address, timeout)  # seconds of dask's retries
    try:
        asyncio.run(bounded())
    except asyncio.TimeoutError:
        raise TimeoutError(f"no answer in {timeout:g} s") from None


def connect(scheduler, timeout: float | None = None, error=SweepError):
    """A :class:`distributed.Client` on a running scheduler (``tcp://host:port``).

    The address is checked first (protocol tcp or tls, a host and a port); then one connection
    asks the scheduler who it is, and the client is made only once it has answered: every
    attempt is bounded by ``timeout`` (a server that accepts and stays silent included), and a
    failure leaves no half-made client behind (nothing to print at exit).

    Parameters
    ----------
    scheduler : str
        The scheduler's address.
    timeout : float, optional
        Seconds to wait for it, its answer included (default :data:`CONNECT_TIMEOUT`).
    error : type, default SweepError
        The caller's error class.

    Raises
    ------
    error
        When dask.distributed is missing, the address is not one, or the scheduler cannot be
        reached or does not answer in ``timeout`` seconds.

    Examples
    --------
    >>> connect("localhost")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    slamarkov.errors.SweepError: --scheduler: ...
    """
    try:
        from distributed import Client
    except ImportError:
        raise error(
            "--scheduler: needs dask.distributed; pip install 'slamarkov[distributed]'"
        ) from None
    timeout = CONNECT_TIMEOUT if timeout is None else timeout
    address = _scheduler_address(scheduler, error)
    try:
        _probe(address, timeout)
        return Client(address, timeout=timeout, set_as_default=False)
    except Exception as exc:  # OSError, TimeoutError, ValueError on a bad address
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise error(f"--scheduler: cannot reach {address} ({reason})") from None


class Executor:
    """Runs a function on picklable tasks here, on local processes or on a Dask scheduler.

    Parameters
    ----------
    workers : int, optional
        Local worker processes (default: one per core; 1 runs in the calling process). Ignored
        with ``scheduler``.
    scheduler : str or distributed.Client, optional
        Run on this Dask scheduler instead: an address (``tcp://host:port``; the executor
        connects, and :meth:`close` disconnects) or a client the caller owns.
    error : type, default SweepError
        The caller's error class for a bad ``workers`` or an unreachable scheduler.

    Raises
    ------
    error
        On ``workers`` that is not an integer >= 1, or a scheduler that cannot be reached
        (:func:`connect`), before any work.

    Examples
    --------
    >>> with Executor(workers=1) as ex:
    ...     sorted(ex.run(abs, [-2, 1, -3]))
    [1, 2, 3]
    >>> Executor(workers=0)
    Traceback (most recent call last):
    ...
    slamarkov.errors.SweepError: --workers: must be an integer >= 1, got 0
    """

    def __init__(self, workers=None, scheduler=None, *, error=SweepError):
        self.client = None
        self._owns_client = False
        if scheduler is not None:
            if isinstance(scheduler, str):
                self.client = connect(scheduler, error=error)
                self._owns_client = True
            else:
                self.client = scheduler
            self.workers = max(len(self.client.scheduler_info().get("workers", {})), 1)
            return
        if workers is None:
            workers = os.cpu_count() or 1
        if isinstance(workers, bool) or not isinstance(workers, numbers.Integral) or workers < 1:
            raise error(f"--workers: must be an integer >= 1, got {workers!r}")
        self.workers = int(workers)

    def runs_here(self, n_tasks: int) -> bool:
        """Whether ``n_tasks`` tasks would run in the calling process (no pickling)."""
        return self.client is None and (self.workers == 1 or n_tasks <= 1)

    def run(self, fn, tasks):
        """Yield ``fn(task)`` for each task, as each completes (in any order).

        ``fn`` must be a module-level function and the tasks picklable unless they run here
        (:meth:`runs_here`). An exception of a task is raised here, and the tasks not yet
        started are cancelled.
        """
        tasks = list(tasks)
        if self.client is not None:
            yield from self._run_dask(fn, tasks)
        elif self.runs_here(len(tasks)):
            for task in tasks:
                yield fn(task)
        else:
            yield from self._run_processes(fn, tasks)

    def _run_processes(self, fn, tasks):
        from concurrent.futures import ProcessPoolExecutor, as_completed

        pool = ProcessPoolExecutor(min(self.workers, len(tasks)), mp_context=process_context())
        try:
            futures = [pool.submit(fn, t) for t in tasks]
            for f in as_completed(futures):
                yield f.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _run_dask(self, fn, tasks):
        from distributed import as_completed

        futures = self.client.map(fn, tasks, pure=False)
        try:
            with self.client.as_current():  # as_completed looks for the current client
                for f in as_completed(futures):
                    yield f.result()
        finally:
            self.client.cancel(futures)

    def close(self) -> None:
        """Disconnect from a scheduler the executor connected to (a caller's client stays)."""
        if self._owns_client:
            self._owns_client = False
            try:
                self.client.close(timeout=CONNECT_TIMEOUT)
            except Exception:  # noqa: BLE001 - a scheduler gone away: nothing left to close
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
