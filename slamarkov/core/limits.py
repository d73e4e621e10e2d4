r"""Size checks before work: the memory and work of a request, estimated from its sizes.

Every entry point that allocates in proportion to a size a user chose (the review period, the
stock range, the demand's support, the number of runs) first asks this module, which estimates
the bytes (and, in exact mode, the work) from the sizes alone and refuses in one line naming the
field, the estimate and the limit, *before* anything is allocated:

.. code-block:: text

    contract.review_period: T = 65535 gives 2,147,450,880 states, about 42.2 GiB to solve,
    above the memory limit of 11.6 GiB (--max-gib)

The estimates are linear models whose coefficients were measured on this code (peak
``tracemalloc`` bytes per state, per candidate stock, per run); they are deliberately on the
high side. The number of states is an *input* (``states``), not derived here from T, so a state
space with more coordinates than (i, v) is one more factor in the caller's count.

The limit is ambient: :func:`memory_limit` sets it for a block (the command line's ``--max-gib``
does this for every command); by default it is the smallest of :data:`DEFAULT_FRACTION` of the
machine's memory, the room left under the process's address-space limit (``RLIMIT_AS``) and the
room left under its cgroup's memory limit (cgroup v2 ``memory.max``, v1
``memory.limit_in_bytes``): :func:`default_max_bytes`.

Work is limited as memory is: a request whose estimated number of operations exceeds
:func:`max_work` (:data:`DEFAULT_MAX_WORK`, or ``--max-work`` / :func:`work_limit`) is refused
by :func:`check_work` before it starts, in one line giving the estimate. An *operation* is one
floating-point multiply-add of a vectorised pass (a BLAS product or a numpy loop); a step the
code takes in Python (one candidate stock of the static solver) counts as the operations it
costs, measured against such passes. :data:`OPS_PER_SECOND` turns the count into a rough time.
"""

from __future__ import annotations

import contextlib
import contextvars
import os

from ..errors import SizeError
from .numbers import to_fraction

__all__ = [
    "DEFAULT_FRACTION",
    "default_max_bytes",
    "max_bytes",
    "memory_limit",
    "parse_gib",
    "check_bytes",
    "check_states",
    "check_runs",
    "format_gib",
    "format_count",
    "PER_STATE",
    "FRACTION_BYTES",
    "EXACT_MAX_BITS",
    "EXACT_MAX_WORK",
    "DEFAULT_MAX_WORK",
    "OPS_PER_SECOND",
    "max_work",
    "work_limit",
    "parse_work",
    "check_work",
    "process_memory_limits",
]

#: the share of the machine's physical memory a request may use by default
DEFAULT_FRACTION = 0.5
#: fallback when the machine's memory cannot be read
_FALLBACK_BYTES = 4 * 2**30

#: measured peak bytes per transient state, per kind of request (float64 mode)
PER_STATE = {
    "solve": 24,  # dynamic table, static table, values and deltas (kept up to 5e6 states)
    "chain": 1_200,  # sparse Q and R with their COO intermediates, states.csv text
    "graph": 5_000,  # a networkx node and two edges per state, and the exported text
    "inspect": 400,  # roles, reach and paths of the inspection report
}
#: bytes per run of a simulation (the per-run arrays and the CSV text) and per recorded stock
PER_RUN, PER_RUN_PERIOD = 320, 16
#: an exact rational of b bits costs about this many bytes plus b / 8
FRACTION_BYTES = 120
#: exact mode: the largest rational (in bits) and the most word operations that are accepted
EXACT_MAX_BITS = 2**17
EXACT_MAX_WORK = 5 * 10**7

#: the default work budget of a request, in operations (module docstring; ``--max-work``):
#: from about ten seconds to a minute of one core of the machine the coefficients were measured
#: on (a carry-over solve at K = 7,000 and T = 10; a static solve of 50,000 candidate stocks)
DEFAULT_MAX_WORK = 2 * 10**10
#: operations a second on one core, between those measured (2.4e10 estimated operations in
#: 9.5 s for a carry-over solve at K = 8,000; 3.7e10 in 81 s at K = 10,000 on a loaded
#: machine; 4e11 in 220 s for 990,000 static candidates): only to say how long a refused
#: request would take
OPS_PER_SECOND = 10**9

_limit: contextvars.ContextVar = contextvars.ContextVar("slamarkov_max_bytes", default=None)
_work: contextvars.ContextVar = contextvars.ContextVar("slamarkov_max_work", default=None)

#: cgroup files of the memory limit and the memory in use: v2, then v1
_CGROUP_FILES = (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                 ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                  "/sys/fs/cgroup/memory/memory.usage_in_bytes"))
#: a cgroup v1 "limit" at or above this is the kernel's "no limit" (a page-rounded 2**63 - 1)
_CGROUP_UNLIMITED = 2**60


def _read_int(path) -> int | None:
    try:
        with open(path, encoding="ascii") as fh:
            text = fh.read(64).strip()
    except (OSError, ValueError):
        return None
    return int(text) if text.isdigit() else None  # "max" (v2): no limit


def _own_address_space() -> int:
    """Bytes of address space this process holds now (``/proc/self/statm``; 0 when unknown)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            pages = int(fh.read(64).split()[0])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return 0


def process_memory_limits(cgroup_files=_CGROUP_FILES) -> dict:
    """The memory a request may use under each limit that applies to this process, in bytes.

    ``"memory"`` is :data:`DEFAULT_FRACTION` of the machine's physical memory; ``"RLIMIT_AS"``
    the soft address-space limit less the address space the process holds already;
    ``"cgroup"`` the cgroup's memory limit less the memory it uses already (v2 ``memory.max``,
    else v1 ``memory.limit_in_bytes``). A limit that is not set is left out.

    Examples
    --------
    >>> limits = process_memory_limits()
    >>> "memory" in limits and all(v >= 0 for v in limits.values())
    True
    """
    out = {}
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 0
    out["memory"] = int(total * DEFAULT_FRACTION) if total > 0 else _FALLBACK_BYTES
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft != resource.RLIM_INFINITY and soft > 0:
            out["RLIMIT_AS"] = max(soft - _own_address_space(), 0)
    except (ImportError, ValueError, OSError, AttributeError):
        pass
    for limit_file, usage_file in cgroup_files:
        limit = _read_int(limit_file)
        if limit is not None and limit < _CGROUP_UNLIMITED:
            out["cgroup"] = max(limit - (_read_int(usage_file) or 0), 0)
            break
    return out


def default_max_bytes() -> int:
    """The default memory limit: the smallest of :func:`process_memory_limits` (half of the
    machine's memory, the room under ``RLIMIT_AS`` and under the cgroup's limit), at least 1.

    Examples
    --------
    >>> default_max_bytes() > 0
    True
    """
    return max(min(process_memory_limits().values()), 1)


def max_bytes() -> int:
    """The memory limit in force, in bytes."""
    value = _limit.get()
    return default_max_bytes() if value is None else value


def parse_gib(value, field: str = "--max-gib") -> int:
    """A memory limit in GiB (a finite number > 0, at most 1e15) as bytes.

    Raises
    ------
    SizeError
        One line naming ``field`` and the rule.

    Examples
    --------
    >>> parse_gib("0.5")
    536870912
    >>> parse_gib("inf")
    Traceback (most recent call last):
    slamarkov.errors.SizeError: --max-gib: must be a number, got 'inf'
    """
    gib = to_fraction(value, field, SizeError)
    if gib <= 0:
        raise SizeError(f"{field}: must be > 0 (GiB), got {value}")
    return max(int(gib * 2**30), 1)


@contextlib.contextmanager
def memory_limit(limit=None, *, gib=None):
    """Set the memory limit for a block: ``limit`` in bytes, or ``gib`` in GiB.

    ``None`` for both keeps the default (a fraction of the machine's memory).

    Examples
    --------
    >>> with memory_limit(gib=2):
    ...     max_bytes() == 2 * 2**30
    True
    """
    if gib is not None:
        limit = parse_gib(gib, "max_gib")
    elif limit is not None:
        limit = int(limit)
        if limit <= 0:
            raise SizeError(f"max_bytes: must be > 0, got {limit}")
    token = _limit.set(limit)
    try:
        yield
    finally:
        _limit.reset(token)


def format_gib(n) -> str:
    """A number of bytes in GiB, as the size messages give it.

    Examples
    --------
    >>> format_gib(3 * 2**30), format_gib(12.5 * 2**30)
    ('3 GiB', '12 GiB')
    """
    g = n / 2**30
    if g >= 1e6:
        return f"{g:.3g} GiB"
    return f"{g:.3g} GiB" if g < 10 else f"{g:,.0f} GiB"


def check_bytes(need, field: str, what: str) -> None:
    """Refuse when ``need`` bytes exceed the limit, naming ``field`` and ``what`` needs them.

    Examples
    --------
    >>> with memory_limit(gib=1):
    ...     check_bytes(3 * 2**30, "runs", "10 runs")
    Traceback (most recent call last):
    slamarkov.errors.SizeError: runs: 10 runs need about 3 GiB, above the memory limit of 1 GiB (--max-gib)
    """
    limit = max_bytes()
    if need > limit:
        raise SizeError(f"{field}: {what} need about {format_gib(need)}, above the memory limit of "
                        f"{format_gib(limit)} (--max-gib)")


def format_count(n) -> str:
    """A count with thousands separators (in floating point beyond 1e15).

    Examples
    --------
    >>> format_count(2147450880), format_count(5 * 10**17)
    ('2,147,450,880', '5e+17')
    """
    return f"{n:,}" if n < 10**15 else f"{float(n):.3g}"


def check_states(T: int, states: int | None = None, *, per_state: int = PER_STATE["solve"],
                 what: str = "to solve") -> None:
    """Refuse a review period whose ``states`` (default T(T+1)/2) cannot fit, on T alone.

    Examples
    --------
    >>> with memory_limit(gib=1):
    ...     check_states(10**9)
    Traceback (most recent call last):
    slamarkov.errors.SizeError: contract.review_period: T = 1000000000 gives 5e+17 states, about 1.12e+10 GiB to solve, above the memory limit of 1 GiB (--max-gib)
    """
    if states is None:
        states = T * (T + 1) // 2
    limit = max_bytes()
    need = states * per_state
    if need > limit:
        raise SizeError(f"contract.review_period: T = {T} gives {format_count(states)} states, about "
                        f"{format_gib(need)} {what}, above the memory limit of {format_gib(limit)} "
                        "(--max-gib)")


def check_runs(runs: int, review_period: int, *, record_stock: bool = False,
               field: str = "runs") -> None:
    """Refuse a simulation of ``runs`` review periods that cannot fit.

    Examples
    --------
    >>> with memory_limit(gib=1):
    ...     check_runs(10**9, 10)
    Traceback (most recent call last):
    slamarkov.errors.SizeError: runs: 1,000,000,000 runs of T = 10 periods need about 298 GiB, above the memory limit of 1 GiB (--max-gib)
    """
    per = PER_RUN + (PER_RUN_PERIOD * review_period if record_stock else 0)
    check_bytes(runs * per, field, f"{format_count(runs)} runs of T = {review_period} periods")


def max_work() -> int:
    """The work limit in force, in operations (:data:`DEFAULT_MAX_WORK` by default)."""
    value = _work.get()
    return DEFAULT_MAX_WORK if value is None else value


def parse_work(value, field: str = "--max-work") -> int:
    """A work limit in operations (a number >= 1, at most 1e15, e.g. ``1e12``) as an int.

    Raises
    ------
    SizeError
        One line naming ``field`` and the rule.

    Examples
    --------
    >>> parse_work("1e12")
    1000000000000
    >>> parse_work("0")
    Traceback (most recent call last):
    slamarkov.errors.SizeError: --max-work: must be >= 1 (operations), got 0
    """
    ops = to_fraction(value, field, SizeError)
    if ops < 1:
        raise SizeError(f"{field}: must be >= 1 (operations), got {value}")
    return int(ops)


@contextlib.contextmanager
def work_limit(limit=None):
    """Set the work limit (operations) for a block; ``None`` keeps :data:`DEFAULT_MAX_WORK`.

    Examples
    --------
    >>> with work_limit(10**12):
    ...     max_work()
    1000000000000
    """
    token = _work.set(None if limit is None else parse_work(limit, "max_work"))
    try:
        yield
    finally:
        _work.reset(token)


def _format_seconds(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.3g} days"


def check_work(ops, field: str, what: str) -> None:
    """Refuse when ``ops`` estimated operations exceed the work limit, naming ``field`` and
    ``what`` needs them (and roughly how long they would take, at :data:`OPS_PER_SECOND`).

    Examples
    --------
    >>> check_work(10**9, "demand", "this")
    >>> check_work(10**13, "demand", "a stock range 0..1,000,000")
    Traceback (most recent call last):
    slamarkov.errors.SizeError: demand: a stock range 0..1,000,000 needs about 1e+13 operations (about 3 h on one core), above the work limit of 2e+10 operations (--max-work)
    """
    limit = max_work()
    if ops > limit:
        raise SizeError(f"{field}: {what} needs about {float(ops):.3g} operations (about "
                        f"{_format_seconds(ops / OPS_PER_SECOND)} on one core), above the work "
                        f"limit of {float(limit):.3g} operations (--max-work)")
