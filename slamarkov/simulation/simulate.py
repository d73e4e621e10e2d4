r"""Monte Carlo simulation of a stocking policy over review periods (docs/model.md section 7).

Each run is one review period of :math:`T` inventory periods. At the start of period :math:`i`
a run with :math:`v` ready periods so far stocks :math:`S_i(v)` (the policy's table), demand
:math:`d_i` is drawn, the period is ready when :math:`d_i \le S_i(v)`, and the leftover
:math:`(S_i(v) - d_i)^+` costs :math:`h` per unit (leftover stock is discarded, docs/model.md
section 1). At the end the run pays the settlement :math:`G(v_T)` of the contract. Per run the
simulator records

* the ready count :math:`v_T` and the ready rate :math:`v_T / T`,
* the holding cost :math:`h \sum_i (S_i - d_i)^+`, the settlement :math:`G(v_T)`, and their sum,
  the total cost,
* optionally the stock of every period.

The work is vectorised over runs and loops over the :math:`T` periods; the demand of period
:math:`i` for all runs is one call of ``demand.sample(rng, runs)``, so a seed fixes every number
to the bit.

The number of runs the source study used, 18,445, is the Dvoretzky-Kiefer-Wolfowitz sample size
:math:`n = \lceil \ln(2/\delta) / (2\varepsilon^2) \rceil` for :math:`\varepsilon = 0.01`,
:math:`\delta = 0.05` (:func:`dkw_sample_size`): with that many runs the empirical CDF of the ready
rate lies within 0.01 of the true CDF everywhere with probability at least 95%.

The runs come back as a :class:`~slamarkov.simulation.runs.SimulationResult`, which writes
them as a runs file (:mod:`slamarkov.simulation.runs`).
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np

from ..chain.policy import Policy
from ..core.numbers import to_fraction, to_int
from ..core.progress import progress as _progress_bar
from ..errors import SimulationError
from .runs import SimulationResult, provenance

__all__ = ["simulate", "dkw_sample_size", "dkw_epsilon", "STUDY_RUNS", "PROGRESS_DRAWS"]


#: the source study's number of runs, the DKW sample size for eps = 0.01, delta = 0.05
STUDY_RUNS = 18_445


#: show a progress bar (on a terminal) when a simulation draws at least this many demands
PROGRESS_DRAWS = 5_000_000


def dkw_sample_size(eps=0.01, delta=0.05) -> int:
    r"""The number of runs that puts the empirical CDF within ``eps`` of the true CDF with
    probability at least ``1 - delta`` (the Dvoretzky-Kiefer-Wolfowitz inequality, Massart's
    constant).

    .. math:: n = \left\lceil \frac{\ln(2/\delta)}{2\varepsilon^2} \right\rceil

    ``eps`` and ``delta`` are read as exact rationals (``0.01`` is 1/100) and the logarithm is
    taken to 50 significant digits, so the ceiling is exact: :math:`\ln(2/\delta)` is irrational
    for every rational :math:`\delta \ne 2`, so the quotient is never within rounding of an
    integer at that precision.

    Parameters
    ----------
    eps : number, default 0.01
        Half-width of the band, 0 < eps < 1.
    delta : number, default 0.05
        Probability that the band fails, 0 < delta < 1.

    Returns
    -------
    int

    Raises
    ------
    SimulationError
        On eps or delta outside (0, 1).

    Examples
    --------
    >>> dkw_sample_size(0.01, 0.05)
    18445
    >>> dkw_sample_size("0.05", "0.01")
    1060
    """
    e = to_fraction(eps, "eps", SimulationError)
    d = to_fraction(delta, "delta", SimulationError)
    if not 0 < e < 1:
        raise SimulationError(f"eps: must lie in (0, 1), got {float(e):g}")
    if not 0 < d < 1:
        raise SimulationError(f"delta: must lie in (0, 1), got {float(d):g}")
    with localcontext() as ctx:
        ctx.prec = 50
        q = Fraction(2) / d
        log = (Decimal(q.numerator) / Decimal(q.denominator)).ln()
        x = log / (2 * Decimal(e.numerator) ** 2 / Decimal(e.denominator) ** 2)
        return int(x.to_integral_value(rounding="ROUND_CEILING"))


def dkw_epsilon(runs: int, delta) -> float:
    r"""The DKW band half-width :math:`\sqrt{\ln(2/\delta) / (2n)}` for ``runs`` = n.

    Examples
    --------
    >>> round(dkw_epsilon(18445, 0.05), 6)
    0.01
    """
    n = to_int(runs, "runs", SimulationError)
    if n < 1:
        raise SimulationError(f"runs: must be >= 1, got {n}")
    d = float(delta)
    if not 0 < d < 1:
        raise SimulationError(f"delta: must lie in (0, 1), got {d:g}")
    return math.sqrt(math.log(2 / d) / (2 * n))


def _resolve_seed(seed):
    """A Generator and the integer seed that reproduces it (None when the caller passed one in)."""
    if isinstance(seed, np.random.Generator):
        return seed, None
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % 2**63)
    elif isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise SimulationError(f"seed: must be a non-negative integer, got {seed!r}")
    elif seed < 0:
        raise SimulationError(f"seed: must be a non-negative integer, got {seed}")
    return np.random.default_rng(int(seed)), int(seed)


def simulate(policy: Policy, runs: int, seed=None, *, record_stock: bool = False,
             progress: bool | None = None) -> SimulationResult:
    r"""Simulate ``runs`` review periods of a policy (docs/model.md section 7).

    At period :math:`i` each run in state :math:`v` stocks :math:`S_i(v)`; period :math:`i`'s
    demands for every run are one call of ``policy.problem.demand.sample(rng, runs)``. A run
    is ready in a period when :math:`d \le S` and leaves :math:`(S - d)^+` units, each costing
    :math:`h`. The settlement :math:`G(v_T)` comes from
    :meth:`Contract.settlement <slamarkov.Contract.settlement>`.

    Parameters
    ----------
    policy : Policy
        Any stock table: a solver's dynamic or static policy, or a user's.
    runs : int
        n >= 1, the number of review periods simulated (the study used :data:`STUDY_RUNS`).
    seed : int or numpy.random.Generator, optional
        A non-negative integer reproduces the runs to the bit; a Generator is used as is. By
        default a fresh seed is drawn and stored in the result's ``seed``.
    record_stock : bool, default False
        Keep the ``runs x T`` table of stocks.
    progress : bool, optional
        Draw a progress bar on standard error. By default only for long simulations (at least
        five million demand draws) and only when standard error is a terminal.

    Returns
    -------
    SimulationResult

    Raises
    ------
    SimulationError
        On a non-positive number of runs, a bad seed, or a policy that is not a Policy.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
    >>> sol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40)
    >>> res = simulate(sol.policy, 2000, seed=1)
    >>> res.ready_count.shape, res.seed
    ((2000,), 1)
    >>> s = res.summary()
    >>> abs(s["mean"].value - sol.ready_rate.mean) < 4 * s["mean"].se
    True
    >>> bool(np.array_equal(res.total_cost, simulate(sol.policy, 2000, seed=1).total_cost))
    True
    """
    if not isinstance(policy, Policy):
        raise SimulationError("policy: must be a slamarkov.Policy (e.g. solve_dynamic(...).policy)")
    if getattr(policy, "fills", False):  # its score is (D, F), not a ready count
        raise SimulationError("policy: of a fill-rate contract; simulate it with "
                              "slamarkov.simulation.fill.simulate_fill (units demanded and filled)")
    n = to_int(runs, "runs", SimulationError)
    if n < 1:
        raise SimulationError(f"runs: must be >= 1, got {n}")
    from ..core.limits import check_runs

    check_runs(n, policy.review_period, record_stock=record_stock)
    rng, seed_used = _resolve_seed(seed)
    problem = policy.problem
    contract = problem.contract
    demand = problem.demand
    T = contract.review_period
    discrete = demand.discrete

    space = policy.space
    score = space.score
    v = np.zeros(n, dtype=np.int64)  # each run's score (its index in the layer): the ready count
    # integer leftovers add up exactly; h is applied once at the end
    leftover = np.zeros(n, dtype=np.int64 if discrete else np.float64)
    priced = bool(problem.purchase_cost or problem.salvage_value)
    # stock on hand x (docs/model.md section 11) and the units bought, c (y - x)^+ + c (d - y)^+
    on_hand = np.full(n, problem.initial_stock, dtype=np.int64 if discrete else np.float64)
    bought = np.zeros(n, dtype=on_hand.dtype) if priced else None
    stock_table = None
    if record_stock:
        dt = policy.stock.dtype if policy.stock.dtype != object else np.float64
        stock_table = np.empty((n, T), dtype=dt)
    if progress is None:
        show = None if n * T >= PROGRESS_DRAWS else False
    else:
        show = bool(progress)
    periods = _progress_bar(range(1, T + 1), total=T, label=f"simulate {n} runs", enabled=show)
    for i in periods:
        # each run's state (i, v, x) in the policy's table
        S = policy.stock.take(space.offset(i) + v * space.width(i) + space.columns(i, on_hand))
        if S.dtype == object:
            S = S.astype(np.float64)
        if stock_table is not None:
            stock_table[:, i - 1] = S
        d = demand.sample(rng, n)
        if discrete:
            left = S.astype(np.int64) - d
        else:
            left = S - d
        leftover += np.where(left >= 0, left, 0)
        if bought is not None:
            bought += np.maximum(S - on_hand, 0) + np.maximum(-left, 0)
        on_hand = space.stock_after(S.astype(on_hand.dtype) if discrete else S, d)
        v = score.step(i, v, S, d)
    holding = leftover * float(problem.holding_cost)
    settlement = score.settlement(contract).take(v)
    purchase = None
    if bought is not None:
        # the stock left after period T is sold back (nothing is left when it is thrown away)
        purchase = bought * float(problem.purchase_cost) - on_hand * float(problem.salvage_value)
    total = holding + settlement if purchase is None else holding + purchase + settlement
    return SimulationResult(
        contract=contract,
        ready_count=v,
        holding_cost=holding,
        settlement=settlement,
        total_cost=total,
        stock=stock_table,
        seed=seed_used,
        purchase_cost=purchase,
        policy_kind=policy.kind,
        provenance=provenance(problem, policy.kind, seed_used, n),
    )
