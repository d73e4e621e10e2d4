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
does this for every command); by default it is :data:`DEFAULT_FRACTION` of the machine's memory.
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

_limit: contextvars.ContextVar = contextvars.ContextVar("slamarkov_max_bytes", default=None)


def default_max_bytes() -> int:
    """:data:`DEFAULT_FRACTION` of the machine's physical memory (4 GiB when unknown).

    Examples
    --------
    >>> default_max_bytes() > 0
    True
    """
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 0
    if total <= 0:
        return _FALLBACK_BYTES
    return int(total * DEFAULT_FRACTION)


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
