r"""The classes of a review period's states: which band a state is committed to, and why a policy
that adds no stock there stops trying (docs/model.md section 12). The one home of these notions:
the chain's named sets, the monitor's decided band, the inspection report, the drawings and the
gaming indicators all read them here.

In a transient state (i, v), :math:`r = T - i + 1` periods remain (the current one included),
so the final ready count lies in :math:`\{v, \dots, v + r\}` whatever the policy does (at the end,
i = T + 1, r = 0). With :math:`n_L = \lceil T\alpha_L \rceil`, :math:`n_U = \lceil T\alpha_U \rceil`
and the settlement G (non-increasing in the ready count), a state is

* *committed* to a band when every reachable final count lies in it: penalty certain
  (:math:`v + r < n_L`), bonus secured (:math:`v \ge n_U`), or neutral
  (:math:`n_L \le v` and :math:`v + r < n_U`) (:func:`committed_band`);
* *settled* when :math:`G(v) = G(v + r)`: no ready period from now on can change the settlement
  (:func:`settled`).

**Roles.** A state where the policy adds no stock (:meth:`Policy.adds_no_stock
<slamarkov.chain.policy.Policy.adds_no_stock>`) is given a role and a reason, checking in this
order (:func:`classify`):

* give-up, ``penalty-certain``: :math:`v + r < n_L` and :math:`L^- > 0`;
* coasting, ``bonus-secured``: :math:`v \ge n_U`;
* coasting, ``nothing-at-stake``: settled (e.g. lump-sum :math:`v \ge n_L`, :math:`v + r < n_U`);
* give-up, ``penalty-avoidable``: :math:`v < n_L \le v + r` and :math:`L^- > 0`;
* give-up, ``bonus-reachable``: otherwise (a better settlement is still reachable).

States where the policy adds stock have role ``stocking`` and reason ``""``.

**Two readings of "give-up" today.** The inspection report (``graph --inspect``, the drawings)
counts every give-up reason above (:data:`GIVE_UP_REASONS`); the gaming indicators of a sweep
count the states where the penalty is certain alone and call the other two reasons "neither"
(:data:`GAMING_GIVE_UP_REASONS`). Both groupings are defined here, on the one classification;
the coasting states are the same in both.
"""

from __future__ import annotations

import numpy as np

from ..model.contract import BANDS

__all__ = ["BANDS", "ROLES", "GIVE_UP_REASONS", "COASTING_REASONS", "GAMING_GIVE_UP_REASONS",
           "OPEN", "committed_band", "settled", "classify", "state_roles"]

#: the roles of a state under a policy
ROLES = ("stocking", "give-up", "coasting")
#: why a policy that adds no stock gives up, in the order they are checked
GIVE_UP_REASONS = ("penalty-certain", "penalty-avoidable", "bonus-reachable")
#: why a policy that adds no stock coasts
COASTING_REASONS = ("bonus-secured", "nothing-at-stake")
#: the give-up reasons the gaming indicators count (docs/model.md section 12)
GAMING_GIVE_UP_REASONS = ("penalty-certain",)
#: the code of a state not yet committed to a band (the bands are -1, 0, +1)
OPEN = 2


def committed_band(contract, i, v) -> np.ndarray:
    """The band (-1 penalty, 0 neutral, +1 bonus) every final ready count reachable from the
    states (i, v) lies in, or :data:`OPEN` (vectorised; i = T + 1 is the end).

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


def settled(contract, i, v) -> np.ndarray:
    """Whether no ready period from (i, v) on can change the settlement, G(v) = G(v + r)
    (vectorised).

    Examples
    --------
    >>> from slamarkov import Contract
    >>> settled(Contract(10, 0.8, 0.9, penalty=50, bonus=30), [10, 10], [7, 9]).tolist()
    [False, True]
    """
    T = contract.review_period
    G = contract.settlement(exact=True)
    # G is non-increasing: G(v) = G(v + r) iff it has no strict drop in (v, v + r]
    drops = np.concatenate(([0], np.cumsum([G[k] != G[k + 1] for k in range(T)]))).astype(np.int64)
    v = np.asarray(v)
    top = np.minimum(v + (T - np.asarray(i) + 1), T)
    return drops[top] == drops[v]


def classify(contract, i, v, adds_no_stock) -> tuple:
    """The role and the reason of the states (i, v) (module docstring), given where the policy
    adds no stock; vectorised over the states.

    Returns
    -------
    (role, reason) : ndarray of str

    Examples
    --------
    >>> from slamarkov import Contract
    >>> c = Contract(10, 0.8, 0.9, penalty=50, bonus=30)
    >>> role, reason = classify(c, [10, 10, 10, 10], [5, 7, 9, 9], [True, True, True, False])
    >>> role.tolist(), reason.tolist()
    (['give-up', 'give-up', 'coasting', 'stocking'], ['penalty-certain', 'penalty-avoidable', 'bonus-secured', ''])
    """
    T = contract.review_period
    v = np.asarray(v)
    top = v + (T - np.asarray(i) + 1)
    low, high = contract.band(v), contract.band(top)
    at_stake = ~settled(contract, i, v)
    has_penalty = contract.penalty > 0
    conditions = [
        ~np.asarray(adds_no_stock, dtype=bool),
        (high == -1) & has_penalty,
        low == 1,
        ~at_stake,
        (low == -1) & has_penalty,
    ]
    role = np.select(conditions, ["stocking", "give-up", "coasting", "coasting", "give-up"],
                     "give-up")
    reason = np.select(conditions, ["", "penalty-certain", "bonus-secured", "nothing-at-stake",
                                    "penalty-avoidable"], "bonus-reachable")
    return role, reason


def state_roles(policy) -> dict:
    """Classify every transient state of a policy as stocking, give-up or coasting (module
    docstring).

    Parameters
    ----------
    policy : Policy, AbsorbingChain or solution

    Returns
    -------
    dict of ndarray
        Flat in state order (docs/model.md section 6): ``stage``, ``ready_count``, ``stock``,
        ``role`` ("stocking", "give-up", "coasting") and ``reason`` ("" for stocking states;
        "penalty-certain", "penalty-avoidable", "bonus-reachable" for give-up;
        "bonus-secured", "nothing-at-stake" for coasting). With stock carried over also
        ``stock_on_hand`` (x, after ``ready_count``), ``stock`` is the order-up-to level
        :math:`y_i(v, x)` and a state gives up or coasts when it adds no stock, y = x
        (docs/model.md section 11).

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
    >>> pol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40).policy
    >>> roles = state_roles(pol)
    >>> o = 45  # stage 10 starts at flat index 9 * 10 / 2
    >>> roles["stock"][o:].tolist()
    [0, 0, 0, 0, 0, 0, 0, 10, 10, 0]
    >>> roles["reason"][o:].tolist()[5:]
    ['penalty-certain', 'penalty-certain', '', '', 'bonus-secured']
    """
    from .policy import as_policy

    pol = as_policy(policy)
    i, v, x = pol.space.coordinates()
    role, reason = classify(pol.problem.contract, i, v, pol.adds_no_stock())
    stock = np.asarray(pol.stock_values())
    if pol.carries:
        return {"stage": i, "ready_count": v, "stock_on_hand": x, "stock": stock, "role": role,
                "reason": reason}
    return {"stage": i, "ready_count": v, "stock": stock, "role": role, "reason": reason}
