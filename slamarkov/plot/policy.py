"""Drawings of a policy: its absorbing chain in the layered layout, its stock table as a heat map.

* :func:`draw_chain` -- the chain of docs/model.md section 6 with stage i on the horizontal axis and
  ready count v on the vertical one: transient nodes coloured by their stock S_i(v), ringed when
  the policy gives up or coasts there (:func:`slamarkov.chain.classes.state_roles`), absorbing nodes
  coloured by their band, edges as wide as their probability. Legible up to T of about 30.
* :func:`draw_policy_heatmap` -- stage x ready count -> stock, for any T (above ``max_cells``
  stages the table is sampled on an even grid), with the penalty and bonus counts and the
  penalty-certain boundary drawn.

With stock carried over (docs/model.md section 11) the states are (i, v, x); both drawings show
one *slice* of them, the states with stock on hand x = ``stock_on_hand`` (default 0), and say so in
the title; period 1 holds only the initial stock, so its one state is drawn whatever the slice. A
node's colour is then the order-up-to level :math:`y_i(v, x)` and its edges the probabilities of
a short and of a ready period from it (wherever the ready period leaves the stock); the ring
marks the states where the policy gives up or coasts (docs/model.md section 12).

**Fill-rate contracts** (docs/model.md section 14): the states are (i, D, F[, x]), a triangle of
(D, F) pairs per period, so :func:`draw_policy_heatmap` draws :func:`draw_fill_policy`, small
multiples of up to 6 evenly spaced periods, each a heat map of the order-up-to level with D across
and F up, limited to the states reached with probability above ``1e-9`` (a Poisson chain keeps
totals it all but never visits) and crossed by the threshold lines F = alpha_L D and
F = alpha_U D; :func:`draw_chain` refuses a fill-rate policy in one line (its layers are
triangles, not columns: export it with ``slamarkov graph`` instead).

Both return a :class:`matplotlib.figure.Figure` on the Agg canvas without touching pyplot's global
state, and write a PNG atomically when given ``path``. matplotlib (the ``plot`` extra) is imported
inside the functions; without it they raise :class:`PlotDependencyError`.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import numpy as np

from ..chain.absorbing import AbsorbingChain
from ..chain.classes import committed_band, state_roles
from ..chain.policy import as_policy
from ..chain.triangle import offset
from ..errors import ChainError, PlotDependencyError, SlamarkovError
from .figure import new_figure, save_figure

__all__ = ["PlotDependencyError", "draw_chain", "draw_policy_heatmap", "CHAIN_MAX_REVIEW_PERIOD",
           "draw_fill_policy", "fill_policy_panels", "FillPanel", "FILL_MAX_PANELS",
           "FILL_MIN_REACH", "FILL_CHAIN_REFUSAL"]

#: the largest T :func:`draw_chain` accepts by default (the drawing is legible to about 30)
CHAIN_MAX_REVIEW_PERIOD = 40

#: the one-line refusal of a fill-rate policy's chain drawing
FILL_CHAIN_REFUSAL = ("kind: the chain drawing is for ready-rate contracts (states (i, v)); a "
                      "fill-rate chain's states (i, D, F) are drawn by --kind policy (a heat map of "
                      "D x F per period) and exported by slamarkov graph")

_BAND_COLOURS = {-1: "tab:red", 0: "lightgray", 1: "tab:green"}
_ROLE_RINGS = {"give-up": "tab:red", "coasting": "tab:orange"}


def _figure(width, height):
    return new_figure(width, height, layout="constrained")


def _save(fig, path):
    if path is not None:
        save_figure(fig, path, dpi="figure")


def _title(pol, width=110) -> tuple[str, str]:
    p = pol.problem
    head = f"{pol.kind.capitalize()} policy, T = {pol.review_period}"
    # no-break spaces: a line never ends inside "h = 0.2"
    sub = (f"{p.contract.describe()}; demand {p.demand.describe()}, "
           f"h\u00a0=\u00a0{float(p.holding_cost):g}")
    return head, "\n".join(textwrap.wrap(sub, width))


def _slice(pol, stock_on_hand):
    """The drawn states of a carry-over policy: (mask over the transient states, x, a title
    note, the colour bar's label); (None, None, "", "stock S_i(v)") without carry-over."""
    if not pol.carries:
        if stock_on_hand is not None and stock_on_hand != 0:
            raise SlamarkovError(
                f"stock_on_hand: stock does not carry over, so it is always 0; got "
                f"{stock_on_hand!r}")
        return None, None, "", "stock S_i(v)"
    x = pol.space.stock_slice(0 if stock_on_hand is None else stock_on_hand)
    i, _, on_hand = pol.space.coordinates()
    x1 = pol.space.initial_stock
    note = f" at stock on hand x = {x}" + (f" (period 1: x = {x1})" if x1 != x else "")
    return (on_hand == x) | (i == 1), x, note, f"order-up-to level y_i(v, {x})"


def _stock_colours(stock, discrete):
    """A colormap and norm for the stock: one colour per level when there are few levels."""
    import matplotlib as mpl

    top = float(np.max(stock)) if stock.size else 0.0
    if discrete and top <= 24:
        levels = int(top) + 1
        cmap = mpl.colormaps["viridis"].resampled(levels)
        norm = mpl.colors.BoundaryNorm(np.arange(levels + 1) - 0.5, levels)
        step = -(-levels // 12)  # at most about 12 labelled levels
        return cmap, norm, np.arange(0, levels, step)
    return mpl.colormaps["viridis"], mpl.colors.Normalize(0, max(top, 1e-12)), None


def _annotate(ax, x, y, values, cmap, norm, **options):
    """Print each value at (x, y), in black on light colours of the colour map, white on dark."""
    for a, b, s, colour in zip(np.asarray(x).tolist(), np.asarray(y).tolist(),
                               np.asarray(values).tolist(), cmap(norm(values)).tolist()):
        light = 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2] > 0.55
        ax.text(a, b, f"{s:g}", ha="center", va="center", color="black" if light else "white",
                **options)


def draw_chain(policy, path=None, *, annotate=None, max_review_period=CHAIN_MAX_REVIEW_PERIOD,
               stock_on_hand=None):
    """Draw a policy's absorbing chain in the layered layout (stage x ready count).

    Parameters
    ----------
    policy : Policy or AbsorbingChain
    path : str or Path, optional
        Also write the figure to this PNG (atomically).
    annotate : bool, optional
        Print each transient state's stock inside its node; by default when T <= 15.
    max_review_period : int, default 40
        Refuse larger T: the nodes would be too small to read (use :func:`draw_policy_heatmap`).
    stock_on_hand : int, optional
        With stock carried over, the slice of states drawn: those with this stock on hand
        (default 0; see the module's description). Without carry-over only 0 (or None).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ChainError
        When T exceeds ``max_review_period``, or on a fill-rate policy.
    SlamarkovError
        When ``stock_on_hand`` is not a stock level of the chain.
    PlotDependencyError
        When matplotlib is not installed.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
    >>> pol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40).policy
    >>> fig = draw_chain(pol)
    >>> ax = fig.axes[0]
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('stage i (period)', 'ready count v (ready periods so far)')
    >>> fig.axes[1].get_ylabel()  # the colour bar
    'stock S_i(v)'

    With stock carried over, one slice of the states (i, v, x):

    >>> carry = Problem(Contract.study(6), Poisson(5), 0.5, leftover="carry")
    >>> fig = draw_chain(solve_dynamic(carry, max_stock=20).policy, stock_on_hand=2)
    >>> fig.axes[0].get_title().splitlines()[0]
    'Dynamic policy, T = 6: the absorbing chain at stock on hand x = 2 (period 1: x = 0)'
    >>> fig.axes[1].get_ylabel()
    'order-up-to level y_i(v, 2)'
    """
    pol = as_policy(policy)
    if pol.fills:
        raise ChainError(FILL_CHAIN_REFUSAL)
    mask, x_slice, note, bar = _slice(pol, stock_on_hand)
    T = pol.review_period
    if T > max_review_period:
        raise ChainError(
            f"review_period: the chain drawing is legible up to T = {max_review_period}, got "
            f"T = {T}; draw the policy heat map instead"
        )
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    c = pol.problem.contract
    roles = state_roles(pol)
    p = np.asarray(pol.success(), dtype=np.float64)
    if mask is not None:
        roles = {k: a[mask] for k, a in roles.items()}
        p = p[mask]
    i, v = roles["stage"], roles["ready_count"]
    stock = np.asarray(roles["stock"], dtype=np.float64)
    absorb = np.asarray(AbsorbingChain(pol).absorption(), dtype=np.float64)
    if annotate is None:
        annotate = T <= 15

    size = max(6.5, 0.42 * (T + 2) + 2.2)
    fig = _figure(size + 1.4, max(5.0, 0.36 * (T + 1) + 2.2))
    ax = fig.add_subplot()
    # edges: to (i+1, v) on a shortage, to (i+1, v+1) when the period is ready
    seg = np.empty((2 * i.size, 2, 2))
    seg[:, 0, 0] = np.tile(i, 2)
    seg[:, 0, 1] = np.tile(v, 2)
    seg[:, 1, 0] = np.tile(i + 1, 2)
    seg[:, 1, 1] = np.concatenate((v, v + 1))
    prob = np.concatenate((1 - p, p))
    keep = prob > 0
    width = 0.25 + 4.0 * prob[keep] * (1.0 if T <= 15 else 0.6)
    ax.add_collection(LineCollection(seg[keep], linewidths=width, colors="0.45", alpha=0.55,
                                     zorder=1, capstyle="round"))
    # transient nodes, coloured by stock and ringed by role
    cmap, norm, ticks = _stock_colours(stock, pol.problem.demand.discrete)
    node = 380 if T <= 10 else max(30.0, 380 * (10 / T) ** 1.4)
    ring = np.array([_ROLE_RINGS.get(r, "black") for r in roles["role"].tolist()], dtype=object)
    lw = np.where(roles["role"] == "trying", 0.6, 2.2)
    sc = ax.scatter(i, v, c=stock, cmap=cmap, norm=norm, s=node, edgecolors=list(ring),
                    linewidths=lw, zorder=3)
    if annotate:
        _annotate(ax, i, v, stock, cmap, norm, fontsize=7.5, zorder=4)
    # absorbing nodes, coloured by band
    va = np.arange(T + 1)
    bands = c.band(va)
    ax.scatter(np.full(T + 1, T + 1), va, marker="s", s=node,
               c=[_BAND_COLOURS[b] for b in bands.tolist()], edgecolors="black", linewidths=0.6,
               zorder=3)
    if T <= 15:
        ax.text(T + 1, T + 0.75, "P(final v)", ha="center", va="bottom", fontsize=7.5,
                color="0.25")
        for y, q in zip(va.tolist(), absorb.tolist()):
            ax.text(T + 1.45, y, f"{q:.3g}" if q >= 1e-3 else f"{q:.0e}", ha="left",
                    va="center", fontsize=7, color="0.25")
    # thresholds: counts below penalty_count pay the penalty, from bonus_count on earn the bonus
    for count, colour, label in ((c.penalty_count, "tab:red", "penalty below"),
                                 (c.bonus_count, "tab:green", "bonus from")):
        if 0 < count <= T:
            ax.axhline(count - 0.5, color=colour, linestyle=":", linewidth=1.0, zorder=0)
            ax.text(min(count, T) * 0.45 + 0.6, count - 0.45, f"{label} v = {count}",
                    color=colour, fontsize=8, va="bottom", ha="left")

    cb = fig.colorbar(sc, ax=ax, shrink=0.8, pad=0.01)
    cb.set_label(bar)
    if ticks is not None:
        cb.set_ticks(ticks)
    ax.set_xlim(0.4, T + (2.3 if T <= 15 else 1.6))
    ax.set_ylim(-0.7, T + (1.2 if T <= 15 else 0.7))
    step = 1 if T <= 15 else 5
    ax.set_xticks(list(range(1, T + 2, step)) + ([T + 1] if T % step else []))
    ax.set_yticks(range(0, T + 1, step))
    ax.set_xlabel("stage i (period)")
    ax.set_ylabel("ready count v (ready periods so far)")
    head, sub = _title(pol)
    ax.set_title(f"{head}: the absorbing chain{note}\n{sub}", fontsize=10)
    ax.grid(False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    handles = [
        Line2D([], [], color="0.45", alpha=0.7, linewidth=0.25 + 4.0 * q * (1.0 if T <= 15 else
               0.6), label=f"transition p = {q:g}") for q in (0.1, 0.5, 0.9)
    ] + [
        Line2D([], [], marker="o", linestyle="", markerfacecolor="white", markeredgecolor=colour,
               markeredgewidth=2.0, markersize=9, label=label)
        for colour, label in ((_ROLE_RINGS["give-up"], "give-up (F(y) < aL, penalty likely)"),
                              (_ROLE_RINGS["coasting"], "coasting (F(y) < aU, bonus likely)"))
    ] + [
        Line2D([], [], marker="s", linestyle="", markerfacecolor=_BAND_COLOURS[b],
               markeredgecolor="black", markersize=9, label=f"absorbing: {name}")
        for b, name in ((-1, "penalty"), (0, "neutral"), (1, "bonus"))
    ]
    ax.legend(handles=handles, loc="upper left", fontsize=7.5, frameon=True, framealpha=0.9,
              bbox_to_anchor=(0.0, 0.93))
    _save(fig, path)
    return fig


def _sampled_grid(T, max_cells):
    if T <= max_cells:
        return np.arange(1, T + 1), np.arange(T)
    stages = np.unique(np.linspace(1, T, max_cells).round().astype(np.int64))
    counts = np.unique(np.linspace(0, T - 1, max_cells).round().astype(np.int64))
    return stages, counts


def draw_policy_heatmap(policy, path=None, *, max_cells=800, stock_on_hand=None):
    """Draw a policy's stock table as a heat map: stage i x ready count v -> S_i(v); a
    fill-rate policy's is :func:`draw_fill_policy` (the module's description).

    Parameters
    ----------
    policy : Policy or AbsorbingChain
    path : str or Path, optional
        Also write the figure to this PNG (atomically).
    max_cells : int, default 800
        Above this many stages the table is sampled on an even grid of at most
        ``max_cells`` x ``max_cells`` states (nearest state), so any T can be drawn.
    stock_on_hand : int, optional
        With stock carried over, the slice drawn: the order-up-to levels
        :math:`y_i(v, x)` at this stock on hand (default 0). Without carry-over only 0 (or None).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    SlamarkovError
        When ``stock_on_hand`` is not a stock level of the chain.
    PlotDependencyError
        When matplotlib is not installed.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
    >>> pol = solve_dynamic(Problem(Contract.study(30), Poisson(5), 0.5), max_stock=40).policy
    >>> fig = draw_policy_heatmap(pol)
    >>> fig.axes[0].get_title().splitlines()[0]
    'Dynamic policy, T = 30: stock table S_i(v)'

    With stock carried over, the slice x = 0 by default:

    >>> carry = Problem(Contract.study(6), Poisson(5), 0.5, leftover="carry")
    >>> fig = draw_policy_heatmap(solve_dynamic(carry, max_stock=20).policy)
    >>> fig.axes[0].get_title().splitlines()[0]
    'Dynamic policy, T = 6: order-up-to table y_i(v, x) at stock on hand x = 0'
    """
    pol = as_policy(policy)
    if pol.fills:
        return draw_fill_policy(pol, path, stock_on_hand=stock_on_hand)
    _, x_slice, slice_note, bar = _slice(pol, stock_on_hand)
    if int(max_cells) < 2:
        raise SlamarkovError(f"max_cells: must be >= 2, got {max_cells}")
    T = pol.review_period
    c = pol.problem.contract
    stages, counts = _sampled_grid(T, int(max_cells))
    I, V = np.meshgrid(stages, counts)  # rows: ready count, columns: stage
    inside = V < I
    if pol.carries:  # the states (I, V, x_slice), and period 1's only state
        space = pol.space
        first = np.array([space.offset(k) for k in range(T + 1)] + [0])[I]
        width = np.array([space.width(k) for k in range(T + 1)] + [1])[I]
        flat = np.where(inside, first + V * width + np.where(I == 1, 0, x_slice), 0)
    else:
        flat = np.where(inside, offset(I) + V, 0)
    stock_all = pol.stock
    if stock_all.dtype == object:
        stock_all = np.asarray(stock_all, dtype=np.float64)
    grid = np.ma.masked_array(np.asarray(stock_all[flat.ravel()], dtype=np.float64)
                              .reshape(flat.shape), mask=~inside)

    fig = _figure(7.6, 5.6)
    ax = fig.add_subplot()
    cmap, norm, ticks = _stock_colours(np.asarray(pol.stock, dtype=np.float64),
                                       pol.problem.demand.discrete)
    cmap = cmap.with_extremes(bad="white")
    dx = (stages[-1] - stages[0]) / max(len(stages) - 1, 1) / 2 if len(stages) > 1 else 0.5
    dy = (counts[-1] - counts[0]) / max(len(counts) - 1, 1) / 2 if len(counts) > 1 else 0.5
    im = ax.imshow(grid, origin="lower", cmap=cmap, norm=norm, aspect="auto",
                   interpolation="nearest",
                   extent=(stages[0] - dx, stages[-1] + dx, counts[0] - dy, counts[-1] + dy))
    cb = fig.colorbar(im, ax=ax, shrink=0.9, pad=0.01)
    cb.set_label(bar)
    if ticks is not None:
        cb.set_ticks(ticks)
    pc, bc = c.penalty_count, c.bonus_count
    if 0 < pc <= T:
        ax.axhline(pc - 0.5, color="tab:red", linestyle="--", linewidth=1.2,
                   label=f"penalty below v = {pc}")
        # the states whose band is the penalty whatever happens (chain.classes, the one home):
        # the boundary above the highest such ready count of each stage
        i = np.arange(1, T + 1)
        v = np.arange(T)
        certain = committed_band(c, i[None, :], v[:, None]) == -1
        top = np.where(certain.any(axis=0), T - 1 - np.argmax(certain[::-1], axis=0), -1)
        ax.step(i, top + 0.5, where="mid", color="tab:red", linestyle="-", linewidth=0.9,
                label="penalty certain below")
    if 0 < bc <= T:
        ax.axhline(bc - 0.5, color="tab:green", linestyle="--", linewidth=1.2,
                   label=f"bonus from v = {bc}")
    ax.set_xlim(0.5, T + 0.5)
    # a bonus that needs every period (bc = T) has its line at T - 0.5: keep it inside
    ax.set_ylim(-0.5, max(T - 0.5, 0.5) + (0.5 if bc == T else 0))
    ax.set_xlabel("stage i (period)")
    ax.set_ylabel("ready count v (ready periods so far)")
    head, sub = _title(pol, width=72)
    note = "" if T <= max_cells else f" (sampled on {len(stages)} x {len(counts)} states)"
    table = "order-up-to table y_i(v, x)" + slice_note if pol.carries else "stock table S_i(v)"
    ax.set_title(f"{head}: {table}{note}\n{sub}", fontsize=10)
    ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
    _save(fig, path)
    return fig


# -- fill-rate contracts (docs/model.md section 14) -------------------------------------------
#: the most periods :func:`draw_fill_policy` draws, one panel each
FILL_MAX_PANELS = 6
#: states reached with at most this probability from the start are left out of the drawing
FILL_MIN_REACH = 1e-9


@dataclass(frozen=True)
class FillPanel:
    """One period of a fill-rate policy's drawing: the order-up-to levels of its visited states
    (:func:`fill_policy_panels`).

    Attributes
    ----------
    period : int
        i.
    demand_total : ndarray of int
        The columns: units demanded so far, D = D_lo..D_hi.
    filled_total : ndarray of int
        The rows: units filled so far, F = F_lo..F_hi.
    stock : ndarray of float, shape (rows, columns)
        The order-up-to level of state (i, D, F[, x]); NaN where no state is drawn (F > D, or
        reached with probability at most ``min_reach``).
    reach : ndarray of float, shape (rows, columns)
        The probability of visiting the state from the start (0 where none is drawn).
    """

    period: int
    demand_total: np.ndarray
    filled_total: np.ndarray
    stock: np.ndarray
    reach: np.ndarray


def _fill_periods(T, periods):
    if periods is None:
        return np.unique(np.linspace(1, T, min(FILL_MAX_PANELS, T)).round().astype(np.int64))
    out = sorted({int(k) for k in periods})
    if not out or len(out) > FILL_MAX_PANELS or out[0] < 1 or out[-1] > T:
        raise SlamarkovError(f"periods: must be 1 to {FILL_MAX_PANELS} periods in 1..{T}, got "
                             f"{list(periods)!r}")
    return np.array(out, dtype=np.int64)


def fill_policy_panels(policy, *, periods=None, stock_on_hand=None, min_reach=FILL_MIN_REACH):
    r"""The data :func:`draw_fill_policy` draws: for a few periods, the order-up-to level of
    each state (i, D, F[, x]) visited from the start, on the box of D and F it spans.

    Parameters
    ----------
    policy : Policy or AbsorbingChain
        A fill-rate policy (docs/model.md section 14).
    periods : sequence of int, optional
        1 to 6 periods; by default up to 6 evenly spaced from 1 to T.
    stock_on_hand : int, optional
        With stock carried over, the slice x (default 0; period 1 holds the initial stock).
        Without carry-over only 0 (or None).
    min_reach : float, default 1e-9
        States reached with at most this probability are not drawn (a Poisson chain keeps
        totals the policy all but never sees).

    Returns
    -------
    list of FillPanel

    Raises
    ------
    SlamarkovError
        On a policy of a ready-rate contract, bad ``periods`` or ``stock_on_hand``.

    Examples
    --------
    >>> from slamarkov import Contract, DiscreteUniform, Problem, solve_dynamic
    >>> prob = Problem(Contract(3, 0.5, 0.9, penalty=12, bonus=5, measure="fill-rate"),
    ...                DiscreteUniform(0, 3), 1)
    >>> panel = fill_policy_panels(solve_dynamic(prob, max_stock=3).policy)[1]
    >>> panel.period, panel.demand_total.tolist(), panel.filled_total.tolist()
    (2, [0, 1, 2, 3], [0, 1, 2])
    >>> panel.stock  # rows F, columns D: the order in state (2, D, F); NaN: not visited
    array([[ 3., nan, nan, nan],
           [nan,  3., nan, nan],
           [nan, nan,  3.,  1.]])

    Period 1 ordered up to 2, so period 2 starts with F = D unless demand was 3: then, one unit
    short, the policy orders up to 1 only.
    """
    pol = as_policy(policy)
    if not pol.fills:
        raise SlamarkovError("policy: fill_policy_panels draws a fill-rate contract's policy; "
                             "use draw_policy_heatmap for the ready rate")
    space = pol.space
    T = pol.review_period
    chosen = _fill_periods(T, periods)
    if space.carry:
        x = space.stock_slice(0 if stock_on_hand is None else stock_on_hand)
    else:
        if stock_on_hand is not None and stock_on_hand != 0:
            raise SlamarkovError(f"stock_on_hand: stock does not carry over, so it is always 0; "
                                 f"got {stock_on_hand!r}")
        x = 0
    chain = AbsorbingChain(pol)
    reach = np.asarray(chain.visits((1, 0)), dtype=np.float64)
    stock = np.asarray(pol.stock, dtype=np.float64)
    panels = []
    for i in chosen.tolist():
        col = 0 if (i == 1 or not space.carry) else x
        pairs = space.score.values(i)
        r = space.layer(reach, i)[:, col]
        seen = r > min_reach
        D, F = pairs[seen, 0], pairs[seen, 1]
        if not seen.any():
            panels.append(FillPanel(i, np.zeros(0, np.int64), np.zeros(0, np.int64),
                                    np.zeros((0, 0)), np.zeros((0, 0))))
            continue
        d0, f0 = int(D.min()), int(F.min())
        cols = np.arange(d0, int(D.max()) + 1)
        rows = np.arange(f0, int(F.max()) + 1)
        grid = np.full((rows.size, cols.size), np.nan)
        rgrid = np.zeros((rows.size, cols.size))
        grid[F - f0, D - d0] = space.layer(stock, i)[seen, col]
        rgrid[F - f0, D - d0] = r[seen]
        panels.append(FillPanel(i, cols, rows, grid, rgrid))
    return panels


def draw_fill_policy(policy, path=None, *, periods=None, stock_on_hand=None,
                     min_reach=FILL_MIN_REACH):
    r"""Draw a fill-rate policy (docs/model.md section 14): for up to 6 periods, a heat map of
    the order-up-to level over the states visited, units demanded so far D across and units
    filled so far F up, with the threshold lines F = alpha_L D and F = alpha_U D; one colour
    scale for all panels (:func:`fill_policy_panels` gives the data).

    Parameters
    ----------
    policy : Policy or AbsorbingChain
    path : str or Path, optional
        Also write the figure to this PNG (atomically).
    periods, stock_on_hand, min_reach
        As for :func:`fill_policy_panels`.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    SlamarkovError
        As :func:`fill_policy_panels`.
    PlotDependencyError
        When matplotlib is not installed.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
    >>> prob = Problem(Contract.study(10, measure="fill-rate"), Poisson(5), 0.5)
    >>> fig = draw_fill_policy(solve_dynamic(prob, max_stock=40).policy)
    >>> [ax.get_title() for ax in fig.axes[:6]]
    ['period 1', 'period 3', 'period 5', 'period 6', 'period 8', 'period 10']
    >>> fig.axes[0].get_xlabel(), fig.axes[-1].get_ylabel()
    ('units demanded so far D', 'order-up-to level y_i(D, F)')
    """
    pol = as_policy(policy)
    panels = fill_policy_panels(pol, periods=periods, stock_on_hand=stock_on_hand,
                                min_reach=min_reach)
    from matplotlib.ticker import MaxNLocator
    c = pol.problem.contract
    carry = pol.carries
    x = (pol.space.stock_slice(0 if stock_on_hand is None else stock_on_hand) if carry
         else None)
    drawn = np.concatenate([p.stock[~np.isnan(p.stock)] for p in panels] + [np.zeros(0)])
    cmap, norm, ticks = _stock_colours(drawn if drawn.size else np.zeros(1),
                                       pol.problem.demand.discrete)
    cmap = cmap.with_extremes(bad="white")
    n = len(panels)
    ncols = min(n, 3)
    nrows = -(-n // ncols)
    fig = _figure(3.6 * ncols + 1.2, 3.3 * nrows + 1.2)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False).ravel())
    aL, aU = float(c.penalty_threshold), float(c.bonus_threshold)
    im = None
    for ax, panel in zip(axes, panels):
        ax.set_title(f"period {panel.period}", fontsize=9)
        ax.set_xlabel("units demanded so far D", fontsize=8)
        ax.set_ylabel("units filled so far F", fontsize=8)
        ax.tick_params(labelsize=7)
        if panel.stock.size == 0:
            ax.text(0.5, 0.5, f"no state reached with\nprobability > {min_reach:g}",
                    ha="center", va="center", fontsize=8, transform=ax.transAxes)
            continue
        D, F = panel.demand_total, panel.filled_total
        ext = (D[0] - 0.5, D[-1] + 0.5, F[0] - 0.5, F[-1] + 0.5)
        im = ax.imshow(np.ma.masked_invalid(panel.stock), origin="lower", cmap=cmap, norm=norm,
                       aspect="auto", interpolation="nearest", extent=ext)
        xs = np.array([ext[0], ext[1]])
        for a, colour, label in ((aL, "tab:red", f"F = {aL:g} D (penalty below)"),
                                 (aU, "tab:green", f"F = {aU:g} D (bonus from)")):
            ax.plot(xs, a * xs, color=colour, linestyle="--", linewidth=1.1, label=label)
        ax.set_xlim(ext[0], ext[1])
        ax.set_ylim(ext[2], ext[3])
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
        if panel.stock.size <= 100:  # few states: print each one's order
            f, d = np.nonzero(~np.isnan(panel.stock))
            _annotate(ax, D[d], F[f], panel.stock[f, d], cmap, norm, fontsize=8)
    for ax in axes[n:]:
        ax.set_visible(False)
    if im is not None:
        cb = fig.colorbar(im, ax=axes[:n].tolist(), shrink=0.9, pad=0.01)
        y = f"y_i(D, F, {x})" if carry else "y_i(D, F)"
        cb.set_label(f"order-up-to level {y}")
        if ticks is not None:
            cb.set_ticks(ticks)
        # the legend in the last drawn panel's upper left, where F > D: no state is ever there
        last = max(k for k, p in enumerate(panels) if p.stock.size > 0)
        axes[last].legend(loc="upper left", fontsize=7, framealpha=0.9)
    head, sub = _title(pol, width=40 * ncols)
    note = ""
    if carry:
        x1 = pol.space.initial_stock
        note = f" at stock on hand x = {x}" + (f" (period 1: x = {x1})" if x1 != x else "")
    fig.suptitle(f"{head}: order-up-to levels by units demanded and filled{note}, states "
                 f"reached with probability > {min_reach:g}\n{sub}", fontsize=10)
    _save(fig, path)
    return fig
