r"""The one home of every state class and every gaming indicator (docs/model.md section 12): the
chain's named sets, the monitor's decided band, the inspection report (``graph --inspect``), the
drawings, the sweep, ``design``, the report and the API all read them here.

Why here, in ``chain/``: every class and indicator is a pass over a policy's chain (a backward
pass for the chance of each outcome from every state, a forward pass for the expected periods),
and the chain's own named sets (:meth:`AbsorbingChain.penalty_certain
<slamarkov.chain.AbsorbingChain.penalty_certain>`) and the monitor read the decided band, so the
home cannot sit above the chain. The one thing from ``solve/`` is the non-strategic reference,
the optimal static policy "order up to :math:`\max(S^*, x)`", which one number, the base-stock
level :math:`S^*`, determines: it is a parameter here, and
:func:`slamarkov.analysis.gaming.gaming_indicators` (which may import ``solve/``) finds it.

In a transient state (i, v, x), :math:`r = T - i + 1` periods remain (the current one included),
so the final ready count lies in :math:`\{v, \dots, v + r\}`. With
:math:`n_L = \lceil T\alpha_L \rceil`, :math:`n_U = \lceil T\alpha_U \rceil`, the policy's
order-up-to level y and its ready chance F(y):

* **decided** (:func:`decided_outcome`): the contract's outcome, penalty (:math:`v_T < n_L` with
  :math:`L^- > 0`), bonus (:math:`v_T \ge n_U` with :math:`L^+ > 0`) or neither, is the same for
  every reachable final count: *penalty-certain*, *bonus-secured* or *neutral-decided*; else
  *open*. A band whose amount is zero is no outcome (a penalty-only contract has no bonus to
  secure), so every contract reads the same way.
* **give-up** (:func:`state_classes`): the supplier is not even trying to meet the penalty
  threshold, :math:`F(y) < \alpha_L`, while the penalty is the likely outcome from the state under
  its own policy, P(penalty | state) > 1/2; **coasting**: :math:`F(y) < \alpha_U` while the bonus
  is the likely outcome. The two are disjoint (two disjoint outcomes cannot both be likely);
  every other state is *trying*.
* **withholding / adding**, against the reference: :math:`(F(y^{ref}) - F(y))^+` and
  :math:`(F(y) - F(y^{ref}))^+` with :math:`y^{ref} = \max(S^*, x)`; a state where
  :math:`y = y^{ref}` contributes exactly zero to both.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..model.contract import BANDS
from .fill import FillScore, triangle_pairs
from .fill_classes import (
    expected_filled,
    fill_outcome_ends,
    fill_ratio,
    fill_value_mass,
    lowest_fill_class,
)

__all__ = ["BANDS", "ROLES", "DECIDED", "OPEN", "OUTCOME_INDICATORS", "STRATEGIC_INDICATORS",
           "GAMING_INDICATORS", "FILL_STRATEGIC_INDICATORS", "FILL_INDICATORS",
           "committed_band", "decided_outcome", "decided_codes", "layer_bands", "outcome_chances",
           "state_classes", "state_roles", "indicators", "fill_indicators"]

#: the roles of a state under a policy (outcome classes)
ROLES = ("trying", "give-up", "coasting")
#: the labels of a state's decided outcome, by the codes of :func:`decided_outcome` (-1, 0, +1,
#: then :data:`OPEN`)
DECIDED = ("penalty-certain", "neutral-decided", "bonus-secured", "open")
#: the code of a state whose outcome (or band) is not yet decided (the bands are -1, 0, +1)
OPEN = 2
#: what the contract makes any supplier do (expected periods)
OUTCOME_INDICATORS = ("give_up_periods", "coasting_periods")
#: what the strategic supplier does differently from the non-strategic one of the same contract
STRATEGIC_INDICATORS = (
    "withheld_ready_periods", "withheld_ready_periods_open", "withheld_ready_periods_decided",
    "added_ready_periods", "added_ready_periods_open", "added_ready_periods_decided",
    "bunching_excess_bonus", "bunching_excess_penalty",
)
#: every indicator of :func:`indicators`, in the order the sweep's tables give them
GAMING_INDICATORS = OUTCOME_INDICATORS + STRATEGIC_INDICATORS
#: the strategic indicators of a fill-rate contract, in units (docs/model.md section 14)
FILL_STRATEGIC_INDICATORS = (
    "withheld_filled_units", "withheld_filled_units_open", "withheld_filled_units_decided",
    "added_filled_units", "added_filled_units_open", "added_filled_units_decided",
    "bunching_excess_bonus", "bunching_excess_penalty",
)
#: every indicator of :func:`fill_indicators`, in table order
FILL_INDICATORS = OUTCOME_INDICATORS + FILL_STRATEGIC_INDICATORS


def _is_fill(space) -> bool:
    return isinstance(space.score, FillScore)


def committed_band(contract, i, v) -> np.ndarray:
    """The band (-1 penalty, 0 neutral, +1 bonus) every final ready count reachable from the
    states (i, v) lies in, or :data:`OPEN` (vectorised; i = T + 1 is the end). The bands are
    those of the ready count, whatever the amounts (the monitor's and the band flow's view).

    Examples
    --------
    >>> from slamarkov import Contract
    >>> c = Contract(10, 0.8, 0.9)   # penalty below 8, bonus from 9
    >>> committed_band(c, [8, 10, 6, 11], [2, 9, 5, 8]).tolist()
    [-1, 1, 2, 0]
    """
    T = contract.review_period
    v = np.asarray(v)
    top = v + (T - np.asarray(i) + 1)  # the highest reachable final count
    low, high = contract.band(v), contract.band(np.minimum(top, T))
    return np.where(low == high, low, OPEN).astype(np.int8)


def _outcome(contract, v) -> np.ndarray:
    """The outcome of final counts v: -1 a penalty is due, +1 a bonus is paid, else 0."""
    band = contract.band(v)
    keep = np.array([contract.penalty > 0, True, contract.bonus > 0])
    return np.where(keep[band + 1], band, 0).astype(np.int8)


def decided_outcome(contract, i, v) -> np.ndarray:
    """The outcome (-1 penalty, 0 neither, +1 bonus) every final ready count reachable from the
    states (i, v) gives, or :data:`OPEN` (vectorised; labels :data:`DECIDED`). The outcome is
    non-decreasing in the count, so it is decided when its two ends agree.

    Examples
    --------
    >>> from slamarkov import Contract
    >>> c = Contract(10, 0.8, 0.9, penalty=50, bonus=30)
    >>> decided_outcome(c, [8, 10, 6, 11], [2, 9, 5, 8]).tolist()
    [-1, 1, 2, 0]
    >>> decided_outcome(Contract(10, 0.8, 0.9, bonus=30), [8], [2]).tolist()  # no penalty
    [0]
    """
    T = contract.review_period
    v = np.asarray(v)
    top = np.minimum(v + (T - np.asarray(i) + 1), T)
    low, high = _outcome(contract, v), _outcome(contract, top)
    return np.where(low == high, low, OPEN).astype(np.int8)


def decided_codes(space, contract, *, amounts: bool = True) -> np.ndarray:
    """The decided outcome (:func:`decided_outcome`, codes -1, 0, +1 or :data:`OPEN`) of every
    transient state of a state space, flat in state order, for any score: the ready count
    (docs/model.md section 12) or units demanded and filled (section 14, in units, from the
    demand's own support). Without ``amounts``, the committed band (a band whose amount is zero
    still counts), what :meth:`AbsorbingChain.penalty_certain
    <slamarkov.chain.AbsorbingChain.penalty_certain>` and ``bonus_secured`` read.

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform, Problem
    >>> from slamarkov.chain.space import StateSpace
    >>> prob = Problem(Contract(2, 0.5, 0.75, penalty=4, measure="fill-rate"),
    ...                DiscreteUniform(0, 1), 1)
    >>> space = StateSpace.for_problem(prob)
    >>> space.score.values(2).tolist(), decided_codes(space, prob.contract)[1:].tolist()
    ([[0, 0], [1, 0], [1, 1]], [2, 2, 0])
    >>> decided_codes(space, prob.contract, amounts=False)[1:].tolist()
    [2, 2, 2]

    From (2, 1, 1) the final rate lies in [1/2, 1]: no penalty whatever happens, and no bonus
    to earn (its amount is 0), so the outcome "neither" is decided; its band is not.
    """
    coords = space.coordinates()
    if _is_fill(space):
        low, high = fill_outcome_ends(contract, space.score.demand.upper, *coords[:3],
                                      amounts=amounts)
        return np.where(low == high, low, OPEN).astype(np.int8)
    return (decided_outcome if amounts else committed_band)(contract, *coords[:2])


def layer_bands(space, contract, i: int, lo: int = 0, hi=None) -> np.ndarray:
    """The committed band (:func:`committed_band`: -1, 0, +1 or :data:`OPEN`, whatever the
    amounts) of the score states lo..hi-1 of layer i of a space (i = T + 1: the final scores),
    for any score (docs/model.md sections 12 and 14).

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform, Problem
    >>> from slamarkov.chain.space import StateSpace
    >>> prob = Problem(Contract(2, 0.6, 0.75, measure="fill-rate"), DiscreteUniform(0, 1), 1)
    >>> layer_bands(StateSpace.for_problem(prob), prob.contract, 2).tolist()  # (0,0) (1,0) (1,1)
    [2, -1, 2]
    >>> layer_bands(StateSpace(10), Contract(10, 0.8, 0.9), 11, 7, 10).tolist()
    [-1, 0, 1]
    """
    hi = space.size(i) if hi is None else hi
    if not _is_fill(space):
        return committed_band(contract, i, np.arange(lo, hi))
    D, F = space.score.values(i)[lo:hi].T
    low, high = fill_outcome_ends(contract, space.score.demand.upper, i, D, F, amounts=False)
    return np.where(low == high, low, OPEN).astype(np.int8)


def _final_outcomes(space, contract) -> np.ndarray:
    """The outcome of every final score (the absorbing states), amounts counted."""
    if _is_fill(space):
        D, F = triangle_pairs(space.score.cap(space.T + 1))
        return fill_outcome_ends(contract, space.score.demand.upper, space.T + 1, D, F)[0]
    return _outcome(contract, np.arange(space.n_final))


def _zeros(shape, exact):
    if exact:
        out = np.empty(shape, dtype=object)
        out[...] = Fraction(0)
        return out
    return np.zeros(shape)


def outcome_chances(policy) -> tuple:
    """P(penalty | state) and P(bonus | state) under the policy, for every transient state: one
    backward pass over the layers (docs/model.md section 12); 0 for an outcome whose amount is
    zero.

    Returns
    -------
    (ndarray, ndarray)
        Flat in state order; Fractions for an exact policy.

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform, Policy, Problem
    >>> prob = Problem(Contract(2, 0.5, 1, penalty=10, bonus=5), DiscreteUniform(0, 3), 1)
    >>> pen, bon = outcome_chances(Policy.constant(prob, 1, exact=True))
    >>> [str(p) for p in pen], [str(p) for p in bon]
    (['1/4', '1/2', '0'], ['1/4', '0', '1/2'])
    """
    from .kernels import kernel_for
    from .policy import as_policy

    pol = as_policy(policy)
    space, exact = pol.space, pol.exact
    outcome = _final_outcomes(space, pol.problem.contract)
    terminal = _zeros((space.n_final, space.final_width, 2), exact)
    one = Fraction(1) if exact else 1.0
    terminal[outcome == -1, :, 0] = one
    terminal[outcome == 1, :, 1] = one
    chances = _zeros((space.n_transient, 2), exact)
    kernel, nxt = kernel_for(pol), terminal
    for i in range(space.T, 0, -1):  # each layer written in place, read by the one before
        o, n, w = space.offset(i), space.size(i), space.width(i)
        nxt = kernel.backward(i, nxt, out=chances[o : o + n * w].reshape(n, w, 2))
    return chances[:, 0], chances[:, 1]


def _reference_chance(pol, base_stock, stock_on_hand):
    """F(max(S*, x)) in every state, and whether y = max(S*, x) there."""
    y = np.asarray(pol.stock)
    y_ref = np.maximum(np.asarray(stock_on_hand), base_stock)
    demand = pol.problem.demand
    if demand.discrete:
        top = int(y_ref.max(initial=0))
        F = pol.tables.F
        if F.shape[0] <= top:
            F = demand.table(top, exact=pol.exact)[0]
        F_ref = F.take(y_ref.astype(np.intp))
    else:
        F_ref = demand.cdf(y_ref, exact=True) if pol.exact else demand.cdf(y_ref)
    return y_ref, np.asarray(F_ref), y == y_ref


def _reference_filled(pol, base_stock, stock_on_hand):
    """e(y) and e(max(S*, x)) in every state (units), and whether y = max(S*, x) there."""
    y = np.asarray(pol.stock, dtype=np.int64)
    y_ref = np.maximum(np.asarray(stock_on_hand, dtype=np.int64), int(base_stock))
    top = int(max(y.max(initial=0), y_ref.max(initial=0)))
    e = expected_filled(pol.problem.demand, top, exact=pol.exact)
    return y_ref, e.take(y_ref), e.take(y), y == y_ref


def state_classes(policy, base_stock=None) -> dict:
    """Every class of every transient state of a policy (module docstring).

    Parameters
    ----------
    policy : Policy, AbsorbingChain or solution
    base_stock : number, optional
        :math:`S^*`, the optimal static policy's base-stock level: adds the strategic
        columns.

    Returns
    -------
    dict of ndarray
        Flat in state order (docs/model.md section 6): ``stage``, ``ready_count``
        (``stock_on_hand`` with stock carried over), ``stock`` (the policy's y), ``ready_chance``
        F(y), ``p_penalty`` and ``p_bonus`` (from the state, under the policy), ``decided``
        (:data:`DECIDED`) and ``role`` (:data:`ROLES`); with ``base_stock`` also
        ``reference_stock`` :math:`\\max(S^*, x)`, ``withheld`` and ``added`` (the chance of a
        ready period below or above the reference's). On a fill-rate policy (docs/model.md
        section 14) ``demand_total`` and ``filled_total`` in place of ``ready_count``,
        ``fill_ratio`` :math:`e(y)/E[d]` in place of ``ready_chance``, and ``withheld`` and
        ``added`` in expected units filled, :math:`e(y) = E\\min(d, y)`.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
    >>> pol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40).policy
    >>> cls = state_classes(pol, base_stock=8)
    >>> o = 45  # stage 10 starts at flat index 9 * 10 / 2
    >>> cls["stock"][o:].tolist()
    [0, 0, 0, 0, 0, 0, 0, 10, 10, 0]
    >>> cls["role"][o:].tolist()[5:], cls["decided"][o:].tolist()[5:]
    (['give-up', 'give-up', 'trying', 'trying', 'coasting'], ['penalty-certain', 'penalty-certain', 'open', 'open', 'bonus-secured'])
    >>> round(float(cls["withheld"][o + 6]), 4)
    0.9252
    """
    from .policy import as_policy

    pol = as_policy(policy)
    cls = _classes(pol, base_stock)
    cls["stock"] = np.asarray(pol.stock_values())
    role, decided = cls.pop("role_code"), cls.pop("decided_code")
    cls["role"] = np.asarray(ROLES)[role]
    cls["decided"] = np.asarray(DECIDED)[decided + 1]
    return cls


def _classes(policy, base_stock=None, all_chances=True) -> dict:
    """:func:`state_classes` with the role and the decided outcome as codes (``role_code``
    into :data:`ROLES`, ``decided_code`` -1, 0, +1 or :data:`OPEN`): no strings built. Without
    ``all_chances`` the chances of the outcomes are left at 0 when no state's ready chance (fill
    ratio) is below a threshold (the roles do not depend on them then)."""
    from .policy import as_policy

    pol = as_policy(policy)
    c, space = pol.problem.contract, pol.space
    fill = _is_fill(space)
    i, *score, x = space.coordinates()
    # the period's chance against alpha: F(y) (periods) or e(y)/E[d] (units, section 14)
    F = (fill_ratio(pol.problem.demand, pol.stock, pol.exact) if fill
         else np.asarray(pol.success()))
    half = Fraction(1, 2) if pol.exact else 0.5
    aL, aU = ((c.penalty_threshold, c.bonus_threshold) if pol.exact
              else (float(c.penalty_threshold), float(c.bonus_threshold)))
    if all_chances or bool((F < max(aL, aU)).any()):
        pen, bon = outcome_chances(pol)
    else:  # every state tries: no role needs the chances (the sweep's static rows, often)
        pen = bon = _zeros(F.shape[0], pol.exact)
    give_up = (F < aL) & (pen > half)
    coast = (F < aU) & (bon > half)
    out = {"stage": i, **dict(zip(space.score.coordinates, score))}
    if pol.carries:
        out["stock_on_hand"] = x
    out.update({"stock": pol.stock, "fill_ratio" if fill else "ready_chance": F,
                "p_penalty": pen, "p_bonus": bon, "decided_code": decided_codes(space, c),
                "role_code": np.where(give_up, 1, np.where(coast, 2, 0)).astype(np.int8)})
    if base_stock is not None:
        if fill:  # units filled in expectation (docs/model.md section 14)
            y_ref, mine_ref, mine, same = _reference_filled(pol, base_stock, x)
        else:
            y_ref, mine_ref, same = _reference_chance(pol, base_stock, x)
            mine = F
        zero = Fraction(0) if pol.exact else 0.0
        out.update(reference_stock=y_ref,
                   withheld=np.where(same, zero, np.maximum(mine_ref - mine, zero)),
                   added=np.where(same, zero, np.maximum(mine - mine_ref, zero)))
    return out


def state_roles(policy) -> dict:
    """The outcome classes of every transient state (:func:`state_classes` without the
    reference): ``stage``, ``ready_count`` (``stock_on_hand``), ``stock``, ``role``
    ("trying", "give-up", "coasting") and ``decided`` ("open", "penalty-certain",
    "neutral-decided", "bonus-secured"), flat in state order; what the drawings and the graph
    files label.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
    >>> pol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40).policy
    >>> roles = state_roles(pol)
    >>> roles["role"][45:].tolist()
    ['give-up', 'give-up', 'give-up', 'give-up', 'give-up', 'give-up', 'give-up', 'trying', 'trying', 'coasting']
    """
    cls = state_classes(policy)
    keys = ("stage", "ready_count", "demand_total", "filled_total", "stock_on_hand", "stock",
            "role", "decided")
    return {k: cls[k] for k in keys if k in cls}


def indicators(policy, base_stock, start=(1, 0), reference_pmf=None) -> dict:
    r"""Every gaming indicator of a policy from a start state (docs/model.md section 12), by one
    backward pass (the chance of each outcome from every state) and one forward pass (the
    probability of every state, summed over each class as it passes); no N.

    Parameters
    ----------
    policy : Policy, AbsorbingChain or solution
    base_stock : number
        :math:`S^*`: the reference is the static policy "order up to :math:`\max(S^*, x)`".
    start : tuple, default (1, 0)
        (i, v), or (i, v, x) with stock carried over.
    reference_pmf : ndarray, optional
        The reference's distribution of the final ready count from ``start``, if known (the
        static solution's ``ready_rate.pmf`` from (1, 0)); else computed.

    Returns
    -------
    dict
        The keys of :data:`GAMING_INDICATORS`: expected periods (give-up, coasting, withheld and
        added ready periods, all and split by open and decided states) and the bunching
        excesses P(v_T = n) - P_ref(v_T = n) at :math:`n_U` and :math:`n_L`. Fractions for an
        exact policy, else floats. A policy whose orders are the reference's scores exactly 0
        on every strategic indicator.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic, solve_static
    >>> prob = Problem(Contract.study(10), Poisson(5), 0.5)
    >>> S = solve_static(prob, max_stock=40).base_stock
    >>> ind = indicators(solve_dynamic(prob, max_stock=40), S)
    >>> round(ind["withheld_ready_periods"], 4), round(ind["bunching_excess_bonus"], 4)
    (0.5124, 0.5989)
    >>> set(indicators(solve_static(prob, max_stock=40), S)[k] for k in STRATEGIC_INDICATORS)
    {0.0}
    """
    from .policy import as_policy

    pol = as_policy(policy)
    if _is_fill(pol.space):  # docs/model.md section 14: the indicators in units
        return fill_indicators(pol, base_stock, None if tuple(start) == (1, 0) else start)
    exact, space = pol.exact, pol.space
    c = pol.problem.contract
    pos, cls, same_policy, out = _setup(pol, base_stock, start, GAMING_INDICATORS)
    if pos.i > space.T:
        return out if exact else {k: float(x) for k, x in out.items()}
    s, pmf = _visit_sums(pol, pos, _class_weights(cls, exact))
    if same_policy:
        ref = pmf  # the same orders in every state: the same distribution
    elif reference_pmf is not None:
        ref = reference_pmf
    else:
        ref = _reference_policy(pol, base_stock, cls).ready_count(space.key(pos)).pmf
    out.update(give_up_periods=s[0], coasting_periods=s[1],
               withheld_ready_periods=s[2] + s[3], withheld_ready_periods_open=s[2],
               withheld_ready_periods_decided=s[3], added_ready_periods=s[4] + s[5],
               added_ready_periods_open=s[4], added_ready_periods_decided=s[5],
               bunching_excess_bonus=pmf[c.bonus_count] - ref[c.bonus_count],
               bunching_excess_penalty=pmf[c.penalty_count] - ref[c.penalty_count])
    return out if exact else {k: float(x) for k, x in out.items()}


def _setup(pol, base_stock, start, keys) -> tuple:
    """The start's position, the classes against the reference, whether the policy is the
    reference itself, and the indicators at zero."""
    pos = pol.space.start(start)  # checked before any work
    cls = _classes(pol, base_stock, all_chances=False)
    same_policy = bool(np.all(cls["reference_stock"] == np.asarray(pol.stock)))
    out = dict.fromkeys(keys, Fraction(0) if pol.exact else 0.0)
    return pos, cls, same_policy, out


def _class_weights(cls, exact) -> np.ndarray:
    """Per state: give-up, coasting (0/1), withheld on open and on decided states, added on open
    and on decided states: the weights the forward pass sums."""
    zero = Fraction(0) if exact else 0.0
    decided = cls["decided_code"] != OPEN
    w = _zeros((decided.shape[0], 6), exact)
    w[:, 0] = cls["role_code"] == 1
    w[:, 1] = cls["role_code"] == 2
    w[:, 2] = np.where(decided, zero, cls["withheld"])
    w[:, 3] = np.where(decided, cls["withheld"], zero)
    w[:, 4] = np.where(decided, zero, cls["added"])
    w[:, 5] = np.where(decided, cls["added"], zero)
    if exact:
        w[:, :2] = np.where(w[:, :2].astype(bool), Fraction(1), zero)
    return w


def _visit_sums(pol, pos, w) -> tuple:
    """One forward pass from ``pos``: the weights ``w`` summed over the row of N (the
    probability of visiting each state), and the distribution of the final score."""
    from .kernels import kernel_for

    space = pol.space
    sums = [_zeros(w.shape[1], pol.exact)]

    def add(i, lo, mass):
        # the row of N from the start, weighted by each class, as the probability passes
        n, width = mass.shape
        o = space.offset(i) + lo * width
        sums[0] = sums[0] + mass.reshape(-1) @ w[o : o + n * width]

    final = kernel_for(pol).forward(pos, on_layer=add)
    return sums[0], final


def _reference_policy(pol, base_stock, cls):
    """The reference "order up to max(S*, x)" on a stock range holding the policy's."""
    from .policy import Policy

    K = max(int(np.max(cls["reference_stock"], initial=0)), int(pol.space.max_stock)) \
        if pol.carries else None
    return Policy.base_stock(pol.problem, base_stock, max_stock=K, exact=pol.exact)


def fill_indicators(policy, base_stock, start=None, reference_rate=None) -> dict:
    r"""Every indicator of a fill-rate contract's policy from a start state, in units
    (docs/model.md section 14), by one backward and one forward pass as :func:`indicators`.

    Parameters
    ----------
    policy : Policy, AbsorbingChain or solution
        A fill-rate contract's stock table.
    base_stock : int
        :math:`S^*`: the reference is the static policy "order up to :math:`\max(S^*, x)`".
    start : tuple, optional
        (i, D, F), or (i, D, F, x) with stock carried over; default the start of the review
        period.
    reference_rate : FillRateDistribution, optional
        The reference's fill rate from ``start``, if known (the static solution's
        ``fill_rate`` from the start); else computed.

    Returns
    -------
    dict
        The keys of :data:`FILL_INDICATORS`: the expected give-up and coasting periods, the
        units withheld and added against the reference (all, on open states, on decided
        ones) and the bunching excesses at the lowest value classes :math:`\phi_U`,
        :math:`\phi_L`. Fractions for an exact policy, else floats. A policy whose orders are
        the reference's scores exactly 0 on every strategic indicator.

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform, Problem, solve_dynamic, solve_static
    >>> prob = Problem(Contract(2, 0.5, 0.75, penalty=1, bonus=4, measure="fill-rate"),
    ...                DiscreteUniform(0, 2), 0.5)
    >>> S = solve_static(prob, exact=True).base_stock
    >>> ind = fill_indicators(solve_dynamic(prob, exact=True), S)
    >>> [str(ind[k]) for k in ("withheld_filled_units_open", "coasting_periods")]
    ['1/9', '1/3']

    After a first period with demand 2 filled in full (probability 1/3) the bonus is certain
    under the policy, which orders up to 1 only: a ratio e(1)/E[d] = 2/3 below 3/4, coasting.
    >>> set(fill_indicators(solve_static(prob, exact=True), S)[k]
    ...     for k in FILL_STRATEGIC_INDICATORS)
    {Fraction(0, 1)}
    """
    from .policy import as_policy

    pol = as_policy(policy)
    exact, space = pol.exact, pol.space
    c = pol.problem.contract
    zero = Fraction(0) if exact else 0.0
    if start is None:
        start = (1, 0, 0, space.initial_stock) if space.carry else (1, 0, 0)
    pos, cls, same_policy, out = _setup(pol, base_stock, start, FILL_INDICATORS)
    if pos.i > space.T:
        return out if exact else {k: float(x) for k, x in out.items()}
    s, final = _visit_sums(pol, pos, _class_weights(cls, exact))
    out.update(give_up_periods=s[0], coasting_periods=s[1],
               withheld_filled_units=s[2] + s[3], withheld_filled_units_open=s[2],
               withheld_filled_units_decided=s[3], added_filled_units=s[4] + s[5],
               added_filled_units_open=s[4], added_filled_units_decided=s[5])
    if not same_policy:
        cap = space.score.cap(space.T + 1)
        D, F = triangle_pairs(cap)
        ref = None
        if reference_rate is None:
            ref_pol = _reference_policy(pol, base_stock, cls)
            from .kernels import kernel_for

            ref = kernel_for(ref_pol).forward(ref_pol.space.start(space.key(pos)))
        for key, a in (("bunching_excess_bonus", c.bonus_threshold),
                       ("bunching_excess_penalty", c.penalty_threshold)):
            phi = lowest_fill_class(cap, a)
            if ref is None:
                at = ((reference_rate.numerators == phi.numerator)
                      & (reference_rate.denominators == phi.denominator))
                p_ref = reference_rate.pmf[at].sum() if at.any() else zero
            else:
                p_ref = fill_value_mass(D, F, ref, phi, exact)
            out[key] = fill_value_mass(D, F, final, phi, exact) - p_ref
    return out if exact else {k: float(x) for k, x in out.items()}
