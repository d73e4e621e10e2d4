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
import math
import os

from .numbers import to_fraction
from ..errors import SizeError

__all__ = [
    "DEFAULT_FRACTION",
    "default_max_bytes",
    "max_bytes",
    "memory_limit",
    "parse_gib",
    "check_bytes",
    "check_states",
    "check_solve",
    "check_runs",
    "PER_STATE",
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


def _gib(n) -> str:
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
        raise SizeError(f"{field}: {what} need about {_gib(need)}, above the memory limit of "
                        f"{_gib(limit)} (--max-gib)")


def _stock_bytes(top) -> int:
    for nbytes, cap in ((1, 255), (2, 65_535), (4, 2**32 - 1)):
        if top <= cap:
            return nbytes
    return 8


def _exact_growth(problem):
    """Bits a value gains per stage of backward induction, and whether it doubles instead."""
    from ..model.demand import ContinuousUniform, DiscreteUniform, Empirical

    d = problem.demand
    h = problem.holding_cost
    hbits = h.denominator.bit_length() + h.numerator.bit_length()
    if isinstance(d, ContinuousUniform):
        width = d.high - d.low
        return hbits + width.numerator.bit_length() + width.denominator.bit_length(), True
    if isinstance(d, DiscreteUniform):
        return d.n.bit_length() + hbits, False
    if isinstance(d, Empirical):
        den = math.lcm(*(p.denominator for p in d.pmf_exact))
        return den.bit_length() + hbits, False
    return 64 + hbits, False  # a rational demand of unknown shape: assume the worst of a float


def _exact_check(problem, states: int, K: int) -> None:
    """Refuse exact arithmetic whose rationals or work would grow beyond reason."""
    T = problem.review_period
    c = problem.contract
    start = max(x.numerator.bit_length() + x.denominator.bit_length()
                for x in (c.penalty, c.bonus, c.penalty_threshold, c.bonus_threshold))
    per_stage, doubles = _exact_growth(problem)
    if doubles:
        # the optimal stock is a + Delta/h: every stage squares the size of the values
        bits = start + per_stage * 2 ** max(min(T, 4096) - 3, 0)
        why = "with continuous uniform demand their size doubles each period"
    else:
        bits = start + per_stage * T
        why = "they grow by about {} bits per period".format(per_stage)
    if bits > EXACT_MAX_BITS:
        raise SizeError(
            f"contract.review_period: exact mode at T = {T} needs rationals of about "
            f"{_big(bits)} bits ({why}), above the limit of {EXACT_MAX_BITS:,} bits; use float "
            "mode (no --exact) or a shorter review period")
    # dynamic: one operation on a bits-sized rational per state and stage; static: a binomial
    # pmf of T + 1 terms of up to bits size per candidate stock
    work = states * (1 + bits // 64) + K * (T + 1) * (1 + bits // 64)
    if work > EXACT_MAX_WORK:
        raise SizeError(
            f"contract.review_period: exact mode at T = {T} needs about {_big(work)} operations "
            f"on rationals of about {_big(bits)} bits, above the limit of {EXACT_MAX_WORK:,}; "
            "use float mode (no --exact) or a shorter review period")


def _big(n) -> str:
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
        raise SizeError(f"contract.review_period: T = {T} gives {_big(states)} states, about "
                        f"{_gib(need)} {what}, above the memory limit of {_gib(limit)} "
                        "(--max-gib)")


def check_solve(problem, max_stock=None, *, exact: bool = False, states: int | None = None,
                per_state: int = PER_STATE["solve"], what: str = "to solve") -> None:
    """Refuse a problem whose solution (and the ``per_state`` work after it) cannot fit.

    Parameters
    ----------
    problem : Problem
    max_stock : int, optional
        The user's top of the stock range; the provable bound is used otherwise.
    exact : bool
        Exact rational arithmetic: its own size and work model.
    states : int, optional
        The number of transient states; by default T(T+1)/2 (the (i, v) state space).
    per_state : int
        Bytes per state of the request (:data:`PER_STATE`).
    what : str
        What the bytes are for, in the message ("to solve", "for the graph").

    Raises
    ------
    SizeError
        One line naming the field that drives the size, the estimate and the limit.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem
    >>> problem = Problem(Contract.study(10), Poisson(5), 1)
    >>> with memory_limit(gib=1):
    ...     check_solve(problem, max_stock=10**8)
    Traceback (most recent call last):
    slamarkov.errors.SizeError: solver.max_stock: a stock range 0..100,000,000 over T = 10 periods, about 31 GiB to solve, above the memory limit of 1 GiB (--max-gib)
    """
    T = problem.review_period
    carries = getattr(problem, "carries", False)
    given = states
    if states is None:
        states = T * (T + 1) // 2
    limit = max_bytes()
    # first on T alone (a lower bound with stock carried over): the stock bound below reads the
    # settlement, T + 1 rationals
    check_states(T, states, per_state=per_state, what=what)
    demand = problem.demand
    K = 0
    field = "contract.review_period"
    if demand.discrete:
        bound = problem.stock_bound()
        if max_stock is not None and (math.isinf(bound) or max_stock > bound):
            top, field = max_stock, "solver.max_stock"
        elif math.isinf(bound):
            top = None  # the solver refuses: max_stock is required
        else:
            top, field = bound, "demand"
        if top is not None:
            K = max(int(top), int(getattr(problem, "initial_stock", 0))) + 1
    layer = ""
    if carries and given is None and K:
        # states (i, v, x), x = 0..top: every (i, v) but the start is K states
        states = 1 + K * (T * (T + 1) // 2 - 1)
        per_state += 16  # the carry-over DP keeps order-up-to and suffix-minimum tables
        layer = f" x {K:,} stock levels"
        field = "contract.review_period" if field == "demand" else field
    sbytes = _stock_bytes(K)
    per = per_state + 2 * sbytes
    if exact:
        per += 2 * FRACTION_BYTES
    # F, H, second moment and hull per candidate stock, and the static solver's (K, T+1) pmf
    by_stock = K * (64 + 24 * (T + 1)) if not exact else K * (T + 2) * FRACTION_BYTES
    need = states * per + by_stock + 64 * (T + 1)
    if need > limit:
        if by_stock > states * per:
            if field == "solver.max_stock":
                head = f"solver.max_stock: a stock range 0..{_big(K - 1)} over T = {T} periods"
            else:
                head = (f"demand: {demand.describe()} needs the stock range 0..{_big(K - 1)} "
                        f"over T = {T} periods")
        else:
            head = f"contract.review_period: T = {T}{layer} gives {_big(states)} states"
            if layer and field == "solver.max_stock":
                head = f"solver.max_stock: T = {T}{layer} gives {_big(states)} states"
        raise SizeError(f"{head}, about {_gib(need)} {what}, above the memory limit of "
                        f"{_gib(limit)} (--max-gib)")
    if exact:
        _exact_check(problem, states, K)


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
    check_bytes(runs * per, field, f"{_big(runs)} runs of T = {review_period} periods")
