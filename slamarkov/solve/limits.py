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
    check_work,
    format_count,
    format_gib,
    max_bytes,
)
from ..errors import SizeError
from ..model.contract import FILL_RATE

__all__ = ["check_solve", "solve_work", "KERNEL_BYTES", "CANDIDATE_OPS"]

#: peak bytes per entry of the (K+1) x (K+1) demand kernel of stock carried over (docs/model.md
#: section 11): its index and mask while it is built, the kernel and the transposed copy the
#: dynamic program multiplies by (measured: 2.1 GB peak at K = 8,000, T = 10)
KERNEL_BYTES = 40
#: operations of one candidate stock of the static solver (a Binomial(T, F(S)) row in Python:
#: 220 us per candidate at T = 10, 1e6 candidates in 220 s, at :data:`OPS_PER_SECOND`)
CANDIDATE_OPS = 400_000
#: passes over the kernel per pair (i, v) of a carry-over request: the dynamic program, then the
#: forward and backward passes of the chains of the two policies that every command reads
_CARRY_PASSES = 5
#: operations to build one kernel, per entry, times the kernels a request builds
_KERNEL_BUILD_OPS = 40


def solve_work(problem, K: int, states: int) -> int:
    r"""The operations of solving ``problem`` on the stock range 0..K-1 (K candidate stocks)
    and of the chains of its two policies, with ``states`` transient states.

    With stock carried over, each stage's pass multiplies the layer (i ready counts by K stock
    levels) by the K x K demand kernel: :math:`K^2 T(T+1)/2` multiply-adds a pass,
    :data:`_CARRY_PASSES` passes, plus one more per static base stock below the initial stock
    (each evaluated on its chain) and the kernel's construction. Every discrete demand costs
    the static solver's :data:`CANDIDATE_OPS` per candidate stock, and a few operations a state.

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform, Poisson, Problem
    >>> solve_work(Problem(Contract.study(10), Poisson(5), 0.5), 13, 55)
    5205610
    >>> p = Problem(Contract.study(10), Poisson(5), 0.5, purchase_cost=1, leftover="carry")
    >>> solve_work(p, 10_001, 1 + 10_001 * 54) > 10**10
    True
    """
    T = problem.review_period
    work = K * (CANDIDATE_OPS + 20 * (T + 1)) + 50 * states
    if getattr(problem, "carries", False) and K:
        pairs = T * (T + 1) // 2
        below = min(int(getattr(problem, "initial_stock", 0)), K)
        work += K * K * (pairs * (_CARRY_PASSES + below) + _KERNEL_BUILD_OPS)
    return work


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
        x0 = int(getattr(problem, "initial_stock", 0))
        if top is not None and x0 > top:
            top, field = x0, "inventory.initial_stock"
        if top is not None:
            K = int(top) + 1
    layer = ""
    contract = getattr(problem, "contract", None)
    if given is None and getattr(contract, "measure", None) == FILL_RATE and K:
        # the states (i, D, F[, x]) of docs/model.md section 14, counted from the sizes alone
        from .fill import fill_state_count

        states = fill_state_count(problem, K - 1 if carries else 0)
        given = states  # counted: not the (i, v[, x]) count below
        if field == "demand" or not carries:  # without carry the stock range adds no state
            field = "contract.review_period"
        layer = f" (fill rate{f' x {K:,} stock levels' if carries else ''})"
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
    kernel = KERNEL_BYTES * K * K if carries else 0
    if exact:
        kernel *= FRACTION_BYTES // 8
    need = states * per + by_stock + kernel + 64 * (T + 1)
    if need > limit:
        if kernel > states * per and kernel > by_stock:
            head = (f"{field}: stock carried over on the range 0..{format_count(K - 1)} needs a "
                    f"{format_count(K)} x {format_count(K)} demand kernel")
        elif by_stock > states * per:
            if field in ("solver.max_stock", "inventory.initial_stock"):
                head = f"{field}: a stock range 0..{format_count(K - 1)} over T = {T} periods"
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
    elif K:
        if carries:
            what_work = (f"stock carried over on the range 0..{format_count(K - 1)} over T = {T} "
                         f"periods ({format_count(states)} states, a {format_count(K)} x "
                         f"{format_count(K)} demand kernel)")
        elif field == "demand":
            what_work = (f"solving {demand.describe()} on its stock range 0..{format_count(K - 1)} "
                         f"over T = {T} periods")
        else:
            what_work = f"a stock range 0..{format_count(K - 1)} over T = {T} periods"
        check_work(solve_work(problem, K, states), field, what_work)


