"""Kernels on the layered state space of a review period (docs/model.md section 6).

Transient states (i, v), i = 1..T, v = 0..i-1, are stored flat, ordered by stage i then ready
count v: stage i occupies ``offset(i) .. offset(i) + i - 1`` with ``offset(i) = i(i-1)/2``. Every
transition goes from stage i to stage i+1, so the chain is a layered DAG: probability moves forward
one stage at a time and no matrix needs inverting. These kernels loop over stages and are
vectorised over the states of a stage; they work on float64 and on object arrays of Fractions.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

__all__ = ["n_transient", "offset", "stage_of", "stage_slice", "propagate", "backward_shift",
           "reach_step", "reach_nnz"]


def n_transient(T: int) -> int:
    """Number of transient states, T(T+1)/2."""
    return T * (T + 1) // 2


def offset(i):
    """Flat index of state (i, 0); vectorised."""
    if isinstance(i, (int, np.integer)):
        return (i - 1) * i // 2
    return (np.asarray(i) - 1) * np.asarray(i) // 2


def stage_slice(i: int) -> slice:
    """The flat slice of the states of stage i, (i, 0) .. (i, i - 1)."""
    o = (i - 1) * i // 2
    return slice(o, o + i)


def stage_of(index):
    """Stage i and ready count v of flat transient indices (vectorised, exact integer arithmetic)."""
    k = np.asarray(index, dtype=np.int64)
    i = ((np.sqrt(8.0 * k + 1) + 1) // 2).astype(np.int64)
    # correct the float square root by at most one step either way
    i = np.where((i - 1) * i // 2 > k, i - 1, i)
    i = np.where(i * (i + 1) // 2 <= k, i + 1, i)
    return i, k - (i - 1) * i // 2


def propagate(source, T, start_stage=1, start_count=0, *, exact=False, on_stage=None):
    """Push the probability of being in (start_stage, start_count) forward to the end of the period.

    Only the window of states with non-zero probability is carried from stage to stage: it
    starts as the start state, grows by one state per stage, and is trimmed where probability is
    exactly zero (no tolerance), so that a distribution concentrated on a band of ready counts
    costs the width of the band, not of the stage. A stage is one gather of the success
    probabilities and three in-place passes over one buffer: no allocation in the loop.

    Parameters
    ----------
    source : Policy or callable
        A :class:`~slamarkov.chain.policy.Policy` (its ``success_lookup()`` table, else its
        ``success_window(i, lo, hi)``), or a callable ``stage_success(i)`` giving the success
        (ready) probabilities of stage i's states, v = 0..i-1.
    T : int
        Review period.
    start_stage, start_count : int
        The start state (i0, v0); 1 <= i0 <= T + 1, 0 <= v0 <= i0 - 1.
    exact : bool
        Work on object arrays of Fractions.
    on_stage : callable, optional
        ``on_stage(i, v_lo, reach)`` is called for each stage i >= i0 with the probability of
        visiting states (i, v_lo), (i, v_lo + 1), ...; states outside that window are reached
        with probability zero. ``reach`` is a view of a reused buffer: copy it to keep it.

    Returns
    -------
    ndarray
        The distribution of the final ready count v_T over 0..T (the absorbing states).
    """
    dtype = object if exact else np.float64
    zero = Fraction(0) if exact else 0.0
    # A policy of discrete demand is a lookup: the success probability of flat state k is
    # table[stock[k]]. Gather it straight into a scratch buffer; other sources give windows.
    lookup = getattr(source, "success_lookup", None)
    table, stock = lookup() if lookup is not None else (None, None)
    window = None
    if table is None:
        window = getattr(source, "success_window", None)
        if window is None:
            def window(i, lo, hi):
                return source(i)[lo:hi]

    # One buffer indexed by the absolute ready count v, updated in place: the window [lo, hi)
    # of non-zero probability only moves right (lo, hi never decrease), and every entry at or
    # beyond hi is zero, so a stage is three in-place passes and no allocation.
    buf = np.full(T + 2, zero, dtype=dtype)
    scratch = np.empty(T + 2, dtype=dtype)
    buf[start_count] = Fraction(1) if exact else 1.0
    lo, hi = start_count, start_count + 1
    o = offset(start_stage)
    for i in range(start_stage, T + 1):
        n = hi - lo
        P = buf[lo:hi]
        if on_stage is not None:
            on_stage(i, lo, P)
        if table is not None:
            moved = table.take(stock[o + lo : o + hi], out=scratch[:n], mode="clip")
            moved *= P
        else:
            moved = np.multiply(P, window(i, lo, hi), out=scratch[:n])
        P -= moved
        nxt = buf[lo + 1 : hi + 1]
        nxt += moved
        hi += 1
        # trim exact zeros at both ends (no tolerance; amortised: the window grows by one)
        while lo < hi - 1 and buf[lo] == 0:
            lo += 1
        while hi > lo + 1 and buf[hi - 1] == 0:
            hi -= 1
        o += i
    out = np.full(T + 1, zero, dtype=dtype)
    out[lo:hi] = buf[lo:hi]
    return out


def backward_shift(nxt, p, out):
    r"""One stage back: rows (values, distributions) of stage i from the rows of stage i + 1.

    For a quantity determined by where the chain goes next (a row of B, a reach probability, an
    expected future reward),

    .. math:: x_i(v) = (1 - p_i(v))\, x_{i+1}(v) + p_i(v)\, x_{i+1}(v + 1):

    two shifted, weighted copies of the next stage's rows. Computed as
    :math:`x_{i+1}(v) + p\,(x_{i+1}(v+1) - x_{i+1}(v))`, three vectorised passes and no
    temporary; exact on Fractions.

    Parameters
    ----------
    nxt : ndarray, shape (n + 1, ...)
        Rows of the states (i + 1, v0 .. v0 + n).
    p : ndarray, shape (n,)
        Success probabilities of the states (i, v0 .. v0 + n - 1).
    out : ndarray, shape (n, ...)
        Receives their rows (overwritten; must not overlap ``nxt``).

    Returns
    -------
    ndarray
        ``out``.

    Examples
    --------
    >>> import numpy as np
    >>> backward_shift(np.eye(3), np.array([0.25, 1.0]), np.empty((2, 3))).tolist()
    [[0.75, 0.25, 0.0], [0.0, 0.0, 1.0]]
    """
    n = p.shape[0]
    pp = p.reshape(p.shape + (1,) * (nxt.ndim - 1))
    np.subtract(nxt[1 : n + 1], nxt[:n], out=out)
    out *= pp
    out += nxt[:n]
    return out


def reach_step(nxt, p, out):
    r"""One stage back for the reach probabilities of the rows of N, kept as bands.

    From (i, v) the states of stage j >= i reachable are (j, v .. v + j - i), so the row of N of
    (i, v) is stored as the band :math:`A_i[v, d, k] = N[(i, v), (i + d, v + k)]`, distance
    d = 0..T-i, shift k = 0..d (the entries k > d of the square (d, k) block are zero). The
    first step goes to (i + 1, v) or (i + 1, v + 1), so

    .. math:: A_i[v, d, k] = (1 - p_i(v))\, A_{i+1}[v, d - 1, k] + p_i(v)\, A_{i+1}[v + 1, d - 1, k - 1],

    with :math:`A_i[v, 0, 0] = 1`: two shifted, weighted copies of the next stage's bands.

    Parameters
    ----------
    nxt : ndarray, shape (n + 1, m, m)
        Bands of stage i + 1 (m = T - i).
    p : ndarray, shape (n,)
        Success probabilities of the states of stage i.
    out : ndarray, shape (n, m + 1, m + 1)
        Receives the bands of stage i (overwritten).

    Returns
    -------
    ndarray
        ``out``.

    Examples
    --------
    >>> import numpy as np
    >>> reach_step(np.ones((2, 1, 1)), np.array([0.25]), np.empty((1, 2, 2))).tolist()
    [[[1.0, 0.0], [0.75, 0.25]]]
    """
    n, m = p.shape[0], nxt.shape[1]
    pp = p.reshape(n, 1, 1)
    one, zero = (Fraction(1), Fraction(0)) if out.dtype == object else (1.0, 0.0)
    out[:, 0, 0] = one
    out[:, 0, 1:] = zero
    body = out[:, 1:, :]
    np.multiply(nxt[:n], 1 - pp, out=body[:, :, :m])
    body[:, :, m] = zero
    body[:, :, 1:] += nxt[1 : n + 1] * pp
    return out


def reach_nnz(T: int) -> int:
    r"""Number of reachable (start, state) pairs of transient states: the structural non-zeros
    of N, :math:`\sum_i i\,(T - i + 1)(T - i + 2)/2`."""
    return sum(i * (T - i + 1) * (T - i + 2) // 2 for i in range(1, T + 1))
