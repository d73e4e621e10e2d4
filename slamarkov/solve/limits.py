r"""The size of solving a problem, estimated from its sizes before any work (docs/model.md
sections 4, 5 and 11): the states of its review period, the stock range its demand needs and, in
exact mode, the size of its rationals and the work on them. Every entry point that solves calls
:func:`check_solve`, which refuses in one line naming the field that drives the size, the estimate
and the limit (the memory limit of :mod:`slamarkov.core.limits`, ``--max-gib``).
"""

from __future__ import annotations

import math

from ..core.limits import (
    EXACT_MAX_BITS,
    EXACT_MAX_WORK,
    FRACTION_BYTES,
    PER_STATE,
    check_states,
    format_count,
    format_gib,
    max_bytes,
)
from ..errors import SizeError

__all__ = ["check_solve"]


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
            f"{format_count(bits)} bits ({why}), above the limit of {EXACT_MAX_BITS:,} bits; use float "
            "mode (no --exact) or a shorter review period")
    # dynamic: one operation on a bits-sized rational per state and stage; static: a binomial
    # pmf of T + 1 terms of up to bits size per candidate stock
    work = states * (1 + bits // 64) + K * (T + 1) * (1 + bits // 64)
    if work > EXACT_MAX_WORK:
        raise SizeError(
            f"contract.review_period: exact mode at T = {T} needs about {format_count(work)} operations "
            f"on rationals of about {format_count(bits)} bits, above the limit of {EXACT_MAX_WORK:,}; "
            "use float mode (no --exact) or a shorter review period")


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
    >>> from slamarkov import Contract, Poisson, Problem, memory_limit
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
                head = f"solver.max_stock: a stock range 0..{format_count(K - 1)} over T = {T} periods"
            else:
                head = (f"demand: {demand.describe()} needs the stock range 0..{format_count(K - 1)} "
                        f"over T = {T} periods")
        else:
            head = f"contract.review_period: T = {T}{layer} gives {format_count(states)} states"
            if layer and field == "solver.max_stock":
                head = f"solver.max_stock: T = {T}{layer} gives {format_count(states)} states"
        raise SizeError(f"{head}, about {format_gib(need)} {what}, above the memory limit of "
                        f"{format_gib(limit)} (--max-gib)")
    if exact:
        _exact_check(problem, states, K)


