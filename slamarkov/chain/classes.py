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

__all__ = ["BANDS", "ROLES", "DECIDED", "OPEN", "OUTCOME_INDICATORS", "STRATEGIC_INDICATORS",
           "GAMING_INDICATORS", "committed_band", "decided_outcome", "outcome_chances",
           "state_classes", "state_roles", "indicators"]

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
    outcome = _outcome(pol.problem.contract, np.arange(space.n_final))
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
        ready period below or above the reference's).

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
    ``all_chances`` the chances of the outcomes are left at 0 when no state's ready chance is
    below a threshold (the roles do not depend on them then)."""
    from .policy import as_policy

    pol = as_policy(policy)
    c = pol.problem.contract
    i, v, x = pol.space.coordinates()
    F = np.asarray(pol.success())
    half = Fraction(1, 2) if pol.exact else 0.5
    aL, aU = ((c.penalty_threshold, c.bonus_threshold) if pol.exact
              else (float(c.penalty_threshold), float(c.bonus_threshold)))
    if all_chances or bool((F < max(aL, aU)).any()):
        pen, bon = outcome_chances(pol)
    else:  # every state tries: no role needs the chances (the sweep's static rows, often)
        pen = bon = _zeros(F.shape[0], pol.exact)
    give_up = (F < aL) & (pen > half)
    coast = (F < aU) & (bon > half)
    out = {"stage": i, "ready_count": v}
    if pol.carries:
        out["stock_on_hand"] = x
    out.update(stock=pol.stock, ready_chance=F, p_penalty=pen,
               p_bonus=bon, decided_code=decided_outcome(c, i, v),
               role_code=np.where(give_up, 1, np.where(coast, 2, 0)).astype(np.int8))
    if base_stock is not None:
        y_ref, F_ref, same = _reference_chance(pol, base_stock, x)
        zero = Fraction(0) if pol.exact else 0.0
        out.update(reference_stock=y_ref,
                   withheld=np.where(same, zero, np.maximum(F_ref - F, zero)),
                   added=np.where(same, zero, np.maximum(F - F_ref, zero)))
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
    keys = ("stage", "ready_count", "stock_on_hand", "stock", "role", "decided")
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
    from .kernels import kernel_for
    from .policy import Policy, as_policy

    pol = as_policy(policy)
    exact, space = pol.exact, pol.space
    c = pol.problem.contract
    zero = Fraction(0) if exact else 0.0
    pos = space.start(start)
    cls = _classes(pol, base_stock, all_chances=False)
    same_policy = bool(np.all(cls["reference_stock"] == np.asarray(pol.stock)))
    out = dict.fromkeys(GAMING_INDICATORS, zero)
    if pos.i > space.T:
        return out if exact else {k: float(x) for k, x in out.items()}
    decided = cls["decided_code"] != OPEN
    w = _zeros((space.n_transient, 6), exact)
    w[:, 0] = cls["role_code"] == 1
    w[:, 1] = cls["role_code"] == 2
    w[:, 2] = np.where(decided, zero, cls["withheld"])
    w[:, 3] = np.where(decided, cls["withheld"], zero)
    w[:, 4] = np.where(decided, zero, cls["added"])
    w[:, 5] = np.where(decided, cls["added"], zero)
    if exact:
        w[:, :2] = np.where(w[:, :2].astype(bool), Fraction(1), zero)
    sums = [_zeros(6, exact)]

    def add(i, lo, mass):
        # the row of N from the start, weighted by each class, as the probability passes
        n, width = mass.shape
        o = space.offset(i) + lo * width
        sums[0] = sums[0] + mass.reshape(-1) @ w[o : o + n * width]

    pmf = kernel_for(pol).forward(pos, on_layer=add)
    if same_policy:
        ref = pmf  # the same orders in every state: the same distribution
    elif reference_pmf is not None:
        ref = reference_pmf
    else:
        K = max(int(np.max(cls["reference_stock"], initial=0)), int(space.max_stock)) \
            if pol.carries else None
        reference = Policy.base_stock(pol.problem, base_stock, max_stock=K, exact=exact)
        ref = reference.ready_count(space.key(pos)).pmf
    s = sums[0]
    out.update(give_up_periods=s[0], coasting_periods=s[1],
               withheld_ready_periods=s[2] + s[3], withheld_ready_periods_open=s[2],
               withheld_ready_periods_decided=s[3], added_ready_periods=s[4] + s[5],
               added_ready_periods_open=s[4], added_ready_periods_decided=s[5],
               bunching_excess_bonus=pmf[c.bonus_count] - ref[c.bonus_count],
               bunching_excess_penalty=pmf[c.penalty_count] - ref[c.penalty_count])
    return out if exact else {k: float(x) for k, x in out.items()}
