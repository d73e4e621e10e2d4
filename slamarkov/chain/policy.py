r"""A stocking policy: the stock table :math:`S_i(v)` over the transient states of a review period.

The table is stored flat in the chain's state order (stage i, then ready count v; docs/model.md
section 6), in the smallest integer dtype that holds it for discrete demand (one byte per state
for stocks up to 255), so that a table at T = 10,000 (50 million states) takes 50 MB.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

import numpy as np

from ..errors import ChainError, PolicyError
from ..model.contract import FILL_RATE
from ..model.problem import Problem
from .distribution import ReadyRateDistribution
from .kernels import kernel_for
from .space import StateSpace
from .tables import DemandFunctions, DemandTables
from .triangle import n_transient, offset

__all__ = ["Policy", "as_policy", "base_stock_orders"]


def _compact(stock: np.ndarray) -> np.ndarray:
    top = int(stock.max(initial=0))
    for dt in (np.uint8, np.uint16, np.uint32):
        if top <= np.iinfo(dt).max:
            return stock.astype(dt, copy=False)  # no second copy of a table already compact
    return stock.astype(np.int64, copy=False)


class Policy:
    r"""A stock table :math:`S_i(v)`, i = 1..T, v = 0..i-1, for a problem.

    Parameters
    ----------
    problem : Problem
        Contract, demand and holding cost the policy is applied to.
    stock : array_like
        Either the flat table of T(T+1)/2 stocks in state order, or a list over i = 1..T of
        lists over v = 0..i-1. Integers for discrete demand, reals for continuous demand;
        non-negative and finite.
    kind : str, default "user"
        "dynamic", "static" or "user" (a label carried to reports).
    exact : bool, default False
        Give success probabilities as Fractions (the demand must be rational).
    max_stock : int, optional
        With stock carried over (``problem.leftover == "carry"``), K: the stock on hand of
        periods 2..T ranges over 0..K and the table holds an order-up-to level
        :math:`y_i(v, x) \ge x` for each state (i, v, x) (docs/model.md section 11); given as
        a flat array in state order or as a list over i of lists over v of lists over x. By
        default K is read off the table's shape.

    Raises
    ------
    PolicyError
        On a table of the wrong shape, or negative, non-integer or non-finite stock.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem
    >>> prob = Problem(Contract(2, 0.5, 1, penalty=10, bonus=5), Poisson(5), 1)
    >>> pol = Policy(prob, [[6], [0, 8]])
    >>> pol.stock_at(2, 1), pol.to_lists()
    (8, [[6], [0, 8]])

    With stock carried over, one order-up-to level per (i, v, x):

    >>> carry = Problem(Contract(2, 0.5, 1, penalty=10), Poisson(5), 1, leftover="carry")
    >>> Policy(carry, [[[2]], [[1, 1, 2], [2, 2, 2]]]).stock_at(2, 1, 0)
    2
    """

    def __init__(self, problem: Problem, stock, kind: str = "user", exact: bool = False, *,
                 max_stock=None):
        if not isinstance(problem, Problem):
            raise PolicyError("problem: must be a slamarkov.Problem")
        T = problem.review_period
        if problem.contract.measure == FILL_RATE:  # states (i, D, F[, x]): flat tables only
            flat, space = self._flatten_fill(stock, problem, max_stock)
        elif problem.carries:
            flat, space = self._flatten_carry(stock, problem, max_stock)
        else:
            flat = self._flatten(stock, T)
            space = StateSpace.for_problem(problem)
        # one level in every state, given as a broadcast (stride-0) array: check and compact the
        # one value and keep the table a view of it, so a constant policy holds no table
        n_states = flat.shape[0]
        constant = (not problem.carries and n_states > 1 and flat.strides == (0,))
        constant = constant and flat.ndim == 1
        if constant:
            flat = np.array(flat[:1])
        if problem.demand.discrete:
            if flat.dtype.kind == "f" or flat.dtype == object:
                asfloat = flat.astype(np.float64)
                if not np.all(np.isfinite(asfloat)):
                    raise PolicyError("stock: must be finite")
                if np.any(asfloat != np.floor(asfloat)):
                    raise PolicyError("stock: must be integers for discrete demand")
                flat = asfloat.astype(np.int64)
            if flat.dtype.kind not in "iu":
                raise PolicyError("stock: must be integers for discrete demand")
            if flat.size and flat.min() < 0:
                raise PolicyError(f"stock: must be >= 0, got {int(flat.min())}")
            flat = _compact(flat)
        else:
            if flat.dtype != object:
                flat = flat.astype(np.float64)
                if not np.all(np.isfinite(flat)):
                    raise PolicyError("stock: must be finite")
            if flat.size and flat.min() < 0:
                raise PolicyError(f"stock: must be >= 0, got {float(flat.min()):g}")
        if exact and not problem.demand.rational:
            raise PolicyError(
                f"exact: demand {problem.demand.describe()} has no rational probabilities"
            )
        if problem.carries:
            for i in range(1, T + 1):  # y >= x, layer by layer (no table of coordinates)
                below = space.layer(flat, i) < space.stock_levels(i)[None, :]
                if below.any():
                    v, col = np.unravel_index(int(np.argmax(below)), below.shape)
                    k = space.offset(i) + v * space.width(i) + col
                    raise PolicyError(
                        f"stock: the order-up-to level in state {space.state(k)} is below the "
                        f"stock on hand ({int(flat[k])} < {int(space.stock_levels(i)[col])}); "
                        "stock carries over, so y >= x"
                    )
        self._constant = None
        if constant:
            self._constant = flat[0]
            flat = np.broadcast_to(flat, (n_states,))  # read-only, no memory
        if flat.dtype != object:
            flat.setflags(write=False)
        self.problem = problem
        self.space = space
        self.stock = flat
        self.kind = kind
        self.exact = exact

    @staticmethod
    def _flatten(stock, T):
        if isinstance(stock, np.ndarray) and stock.ndim == 1:
            flat = stock
        elif isinstance(stock, np.ndarray) and stock.ndim != 1:
            raise PolicyError(f"stock: must be flat or a list of T = {T} rows, got shape {stock.shape}")
        else:
            rows = list(stock)
            if rows and all(np.ndim(r) == 0 for r in rows):
                flat = np.asarray(rows)
            else:
                if len(rows) != T:
                    raise PolicyError(f"stock: must have T = {T} rows (one per period), got {len(rows)}")
                for i, row in enumerate(rows, start=1):
                    if np.ndim(row) != 1 or len(row) != i:
                        raise PolicyError(
                            f"stock[{i - 1}]: period {i} must have {i} entries (v = 0..{i - 1})"
                        )
                flat = np.concatenate([np.asarray(r) for r in rows]) if rows else np.zeros(0)
        if flat.shape != (n_transient(T),):
            raise PolicyError(
                f"stock: must have T(T+1)/2 = {n_transient(T)} entries, got {flat.shape[0]}"
            )
        if flat.dtype.kind not in "iufO":
            raise PolicyError("stock: must be numbers")
        return flat

    @staticmethod
    def _flatten_carry(stock, problem, max_stock):
        T = problem.review_period
        x0 = problem.initial_stock
        if isinstance(stock, np.ndarray) and stock.ndim == 1:
            flat = stock
            n = flat.shape[0]
            if max_stock is None:
                # n = 1 + (K + 1)(T(T+1)/2 - 1)
                inner = n_transient(T) - 1
                if inner == 0:
                    max_stock = max(int(np.max(flat, initial=0)), x0)
                elif (n - 1) % inner or n < 1 + inner:
                    raise PolicyError(
                        f"stock: {n} entries do not make a carry-over table for T = {T} "
                        "(1 + (K+1)(T(T+1)/2 - 1) for some K)"
                    )
                else:
                    max_stock = (n - 1) // inner - 1
        else:
            rows = list(stock)
            if len(rows) != T:
                raise PolicyError(f"stock: must have T = {T} rows (one per period), got {len(rows)}")
            cells = []
            for i, row in enumerate(rows, start=1):
                if np.ndim(row) != 2 or len(row) != i:
                    raise PolicyError(
                        f"stock[{i - 1}]: period {i} must have {i} rows (v = 0..{i - 1}) of "
                        "stock levels over x"
                    )
                cells.append(np.asarray(row))
            if max_stock is None:
                max_stock = cells[1].shape[1] - 1 if T >= 2 else max(int(cells[0].max()), x0)
            flat = np.concatenate([c.ravel() for c in cells])
        max_stock = int(max_stock)
        if max_stock < x0:
            raise PolicyError(f"max_stock: must be >= the initial stock {x0}, got {max_stock}")
        space = StateSpace.for_problem(problem, max_stock)
        if flat.shape != (space.n_transient,):
            raise PolicyError(
                f"stock: must have {space.n_transient} entries (states (i, v, x) with x in "
                f"0..{max_stock}), got {flat.shape[0]}"
            )
        if flat.dtype.kind not in "iufO":
            raise PolicyError("stock: must be numbers")
        if flat.size and np.max(flat) > max_stock:
            raise PolicyError(f"stock: must be <= max_stock = {max_stock}, got {np.max(flat)}")
        return flat, space

    @staticmethod
    def _flatten_fill(stock, problem, max_stock):
        """A fill-rate table: flat in state order over the space of (i, D, F[, x]); with stock
        carried over, K is ``max_stock`` or read off the table's length."""
        from .space import score_of

        flat = np.asarray(stock)
        if flat.ndim != 1:
            raise PolicyError("stock: a fill-rate policy is a flat table in state order "
                              f"(i, D, F[, x]), got shape {flat.shape}")
        if problem.carries and max_stock is None:
            score = score_of(problem)
            first = score.size(1)
            later = sum(score.size(i) for i in range(2, problem.review_period + 1))
            n = flat.shape[0]
            if later == 0:
                max_stock = max(int(np.max(flat, initial=0)), int(problem.initial_stock))
            elif (n - first) % later or n < first + later:
                raise PolicyError(f"stock: {n} entries do not make a fill-rate carry-over table "
                                  f"for T = {problem.review_period}")
            else:
                max_stock = (n - first) // later - 1
        K = int(max_stock) if max_stock is not None else 0
        if problem.carries and K < problem.initial_stock:
            raise PolicyError(f"max_stock: must be >= the initial stock {problem.initial_stock}, "
                              f"got {K}")
        space = StateSpace.for_problem(problem, K)
        if flat.shape != (space.n_transient,):
            raise PolicyError(f"stock: must have {space.n_transient} entries (states "
                              f"{space.example()}), got {flat.shape[0]}")
        if flat.dtype.kind not in "iufO":
            raise PolicyError("stock: must be numbers")
        if problem.carries and flat.size and np.max(flat) > K:
            raise PolicyError(f"stock: must be <= max_stock = {K}, got {np.max(flat)}")
        return flat, space

    @property
    def fills(self) -> bool:
        """True for a fill-rate contract: states (i, D, F[, x]) (docs/model.md section 14)."""
        return self.problem.contract.measure == FILL_RATE

    def fill_rate(self, start=None):
        """The exact distribution of the fill rate from a start state (default: period 1, nothing
        demanded or filled, the initial stock), by a forward pass over the layers
        (docs/model.md section 14).

        Examples
        --------
        >>> from slamarkov import Contract, DiscreteUniform, Problem
        >>> prob = Problem(Contract(2, 0.5, 1, measure="fill-rate"), DiscreteUniform(0, 2), 1)
        >>> dist = Policy.constant(prob, 1, exact=True).fill_rate()
        >>> [str(v) for v in dist.values], [str(p) for p in dist.pmf]
        (['1/2', '2/3', '1'], ['1/3', '2/9', '4/9'])
        """
        from .fill import FillRateDistribution

        if not self.fills:
            raise PolicyError("fill_rate: the contract measures the ready rate; use ready_count")
        space = self.space
        if start is None:
            start = (1, 0, 0, space.initial_stock) if space.carry else (1, 0, 0)
        pos = space.start(start)
        final = space.score.values(self.review_period + 1)
        if pos.i > self.review_period:
            pmf = np.zeros(final.shape[0], dtype=object if self.exact else np.float64)
            pmf[:] = Fraction(0) if self.exact else 0.0
            pmf[pos.score] = Fraction(1) if self.exact else 1.0
        else:
            pmf = kernel_for(self).forward(pos)
        mass = space.score.support.truncated_mass
        lost = Fraction(mass) if self.exact else float(mass)
        if pos.i > 1 and not self.exact:
            lost = float(max(0.0, 1.0 - math.fsum(pmf.tolist())))  # the cut from this state
        return FillRateDistribution(self.problem.contract, final[:, 0], final[:, 1], pmf, lost)

    @classmethod
    def base_stock(cls, problem: Problem, level, *, max_stock=None, exact: bool = False):
        """The static (non-strategic) policy: order up to max(S, x) in every state
        (docs/model.md sections 5 and 11).

        Without carry-over the stock on hand is 0 and this is :meth:`constant`.

        Examples
        --------
        >>> from slamarkov import Contract, Poisson, Problem
        >>> prob = Problem(Contract.study(2), Poisson(5), 1, leftover="carry")
        >>> Policy.base_stock(prob, 1, max_stock=2).to_lists()
        [[[1]], [[1, 1, 2], [1, 1, 2]]]
        """
        if not problem.carries:
            if level >= problem.initial_stock:
                return cls.constant(problem, level, exact=exact)
            # period 1 orders up to the initial stock; later periods hold nothing
            n = (StateSpace.for_problem(problem).n_transient
                 if problem.contract.measure == FILL_RATE else n_transient(problem.review_period))
            table = np.full(n, level, dtype=np.int64)
            table[0] = problem.initial_stock
            return cls(problem, table, kind="static", exact=exact)
        T = problem.review_period
        K = int(max(max_stock if max_stock is not None else level, level, problem.initial_stock))
        space = StateSpace.for_problem(problem, K)
        table = np.empty(space.n_transient, dtype=np.uint8 if K <= 255 else np.int64)
        orders = base_stock_orders(space, level)
        for i in range(1, T + 1):  # layer by layer: no table of coordinates
            space.layer(table, i)[...] = orders(i)
        return cls(problem, table, kind="static", exact=exact, max_stock=K)

    @classmethod
    def constant(cls, problem: Problem, stock, kind: str = "static", exact: bool = False):
        """The policy that keeps one base-stock level in every state (docs/model.md section 5).

        Examples
        --------
        >>> from slamarkov import Contract, Poisson, Problem
        >>> prob = Problem(Contract.study(3), Poisson(5), 1)
        >>> Policy.constant(prob, 7).to_lists()
        [[7], [7, 7], [7, 7, 7]]
        """
        if problem.carries:
            return cls.base_stock(problem, stock, exact=exact)
        n = (StateSpace.for_problem(problem).n_transient
             if problem.contract.measure == FILL_RATE else n_transient(problem.review_period))
        dtype = object if isinstance(stock, Fraction) else None
        # a read-only view of one value: no table of n entries is built
        return cls(problem, np.broadcast_to(np.array(stock, dtype=dtype), (n,)), kind=kind,
                   exact=exact)

    @property
    def review_period(self) -> int:
        return self.problem.review_period

    @property
    def carries(self) -> bool:
        """True when stock carries over: states are (i, v, x)."""
        return self.space.carry

    def stage(self, i: int) -> np.ndarray:
        """The stocks S_i(v), v = 0..i-1 (a read-only view); with carry-over, the (i, K+1)
        array of order-up-to levels :math:`y_i(v, x)` (period 1: one column, the initial
        stock)."""
        if not 1 <= i <= self.review_period:
            raise PolicyError(f"stage: must lie in 1..{self.review_period}, got {i}")
        if self.carries or self.fills:
            return self.space.layer(self.stock, i)
        o = offset(i)
        return self.stock[o : o + i]

    def layer(self, i: int) -> np.ndarray:
        """The order-up-to levels of period i's states as an (i, width) array (no check)."""
        return self.space.layer(self.stock, i)

    def stock_at(self, i: int, v: int, x=None):
        """S_i(v), or :math:`y_i(v, x)` with carry-over, as a Python number."""
        if self.carries:
            if x is None:
                raise PolicyError("stock on hand: give x, stock carries over")
            try:
                k = self.space.index(i, v, x)
            except ChainError as exc:
                raise PolicyError(str(exc)) from None
            y = self.stock[k]
        else:
            row = self.stage(i)
            if not 0 <= v < i:
                raise PolicyError(f"ready count: must lie in 0..{i - 1} at period {i}, got {v}")
            y = row[v]
        return y if isinstance(y, Fraction) else y.item()

    def to_lists(self) -> list:
        """The table as a list over i = 1..T of lists over v = 0..i-1 (JSON-friendly); with
        carry-over each entry is a list over the stock on hand x of period i."""
        out = []
        for i in range(1, self.review_period + 1):
            row = self.stage(i)
            if self.carries or self.fills:
                out.append(row.tolist())
            else:
                out.append([x if isinstance(x, Fraction) else x.item() for x in row])
        return out

    def stock_values(self) -> list:
        """The table flat in state order as Python numbers: ints for discrete demand, floats
        otherwise (the exact values rounded), for text and graph files.

        Examples
        --------
        >>> from slamarkov import Contract, Poisson, Problem
        >>> Policy(Problem(Contract.study(2), Poisson(5), 1), [[6], [0, 8]]).stock_values()
        [6, 0, 8]
        """
        if self.problem.demand.discrete:
            return self.stock.astype(np.int64).tolist()
        return np.asarray(self.stock, dtype=np.float64).tolist()

    def adds_no_stock(self) -> np.ndarray:
        """Flat mask of the states where the policy adds no stock (docs/model.md sections 11
        and 12): it stocks nothing, S = 0, when leftover stock is thrown away; it orders nothing
        beyond the stock on hand, y = x, when stock carries over (the policy never orders below
        what it holds, so y <= x means y = x).

        Examples
        --------
        >>> from slamarkov import Contract, Poisson, Problem
        >>> carry = Problem(Contract.study(2), Poisson(5), 1, leftover="carry")
        >>> Policy(carry, [[[0]], [[1, 1, 2], [0, 2, 2]]]).adds_no_stock().astype(int).tolist()
        [1, 0, 1, 1, 1, 0, 1]
        """
        if self.carries:
            return np.asarray(self.stock) <= self.space.coordinates()[-1]
        return np.asarray(self.stock) == 0

    # -- success probabilities -------------------------------------------------------------
    @functools.cached_property
    def tables(self):
        """The demand on the policy's stock range, built once: a
        :class:`~slamarkov.chain.tables.DemandTables` on 0..max stock for discrete demand (F, H,
        L2, the pmf and its Toeplitz matrix, E[d], E[d^2]), or the
        :class:`~slamarkov.chain.tables.DemandFunctions` of a continuous demand; Fractions for an
        exact policy."""
        demand = self.problem.demand
        if not demand.discrete:
            return DemandFunctions(demand, exact=self.exact)
        top = int(self.stock.max(initial=0) if self._constant is None else self._constant)
        if self.carries:
            top = max(top, self.space.max_stock)
        return DemandTables(demand, top, exact=self.exact)

    def kernel(self) -> np.ndarray:
        """The demand's Toeplitz matrix :math:`P(d = y - x')` on 0..max stock (carry-over;
        ``tables.toeplitz``)."""
        return self.tables.toeplitz

    def stage_success(self, i: int) -> np.ndarray:
        """The ready probabilities F(S_i(v)), v = 0..i-1."""
        s = self.stage(i)
        demand = self.problem.demand
        if demand.discrete:
            # intp indices: numpy's take casts small-integer indices on a path several times slower
            return self.tables.F.take(s.astype(np.intp))
        return demand.cdf(s, exact=True) if self.exact else demand.cdf(s)

    def success_lookup(self):
        """``(table, stock)`` such that the success probability of flat state k is
        ``table[stock[k]]`` (discrete demand without carry-over; an inner kernel's fast path),
        else ``(None, None)``.

        Examples
        --------
        >>> from slamarkov import Contract, DiscreteUniform, Problem
        >>> prob = Problem(Contract(2, 0.5, 1, penalty=10), DiscreteUniform(0, 3), 1)
        >>> table, stock = Policy(prob, [[1], [0, 2]]).success_lookup()
        >>> table.take(stock).tolist()
        [0.5, 0.25, 0.75]
        """
        if self.carries or not self.problem.demand.discrete:
            return None, None
        return self.tables.F, self.stock

    def success_window(self, i: int, lo: int, hi: int) -> np.ndarray:
        """F(S_i(v)) for v = lo..hi-1 only (no bounds check: an inner kernel)."""
        o = offset(i)
        s = self.stock[o + lo : o + hi]
        demand = self.problem.demand
        if demand.discrete:
            # intp indices: numpy's take casts small-integer indices on a path several times slower
            return self.tables.F.take(s.astype(np.intp))
        return demand.cdf(s, exact=True) if self.exact else demand.cdf(s)

    def success(self) -> np.ndarray:
        """F(S_i(v)) for every transient state, flat in state order."""
        demand = self.problem.demand
        if demand.discrete:
            return self.tables.F.take(self.stock)
        return demand.cdf(self.stock, exact=True) if self.exact else demand.cdf(self.stock)

    def stage_holding(self, i: int) -> np.ndarray:
        """Expected holding cost h H(S_i(v)) in each state of stage i."""
        return self.leftover_moments(i, 0, i)[0]

    def leftover_moments(self, i: int, lo: int, hi: int):
        """First and second moments of a period's holding cost X = h (S - d)^+, for the states
        (i, lo..hi-1): ``(E[X], E[X^2])`` (no bounds check: an inner kernel)."""
        demand = self.problem.demand
        h = self.problem.holding_cost if self.exact else float(self.problem.holding_cost)
        o = offset(i)
        s = self.stock[o + lo : o + hi]
        if demand.discrete:
            return self.tables.H.take(s) * h, self.tables.L2.take(s) * (h * h)
        e1 = demand.expected_leftover(s, exact=self.exact)
        e2 = demand.leftover_second_moment(s, exact=self.exact)
        return np.asarray(e1) * h, np.asarray(e2) * (h * h)

    def ready_count(self, start=(1, 0)) -> ReadyRateDistribution:
        """The exact distribution of the final ready count from a start state.

        Probability is propagated forward stage by stage (the chain is a layered DAG).

        Parameters
        ----------
        start : (int, int) or (int, int, int), default (1, 0)
            The state (i, v): at the start of period i with v ready periods so far; with
            carry-over (i, v, x), x the stock on hand (default: the initial stock at i = 1,
            else 0).

        Examples
        --------
        >>> from slamarkov import Contract, DiscreteUniform, Problem
        >>> prob = Problem(Contract(2, 0.5, 1, penalty=10), DiscreteUniform(0, 3), 1)
        >>> Policy.constant(prob, 1, exact=True).ready_count().pmf.tolist()
        [Fraction(1, 4), Fraction(1, 2), Fraction(1, 4)]
        """
        T = self.review_period
        try:
            parts = tuple(start)
        except TypeError:
            raise PolicyError(f"start: must be a state (i, v), got {start!r}") from None
        if self.carries and len(parts) == 2:
            parts = (*parts, self.space.initial_stock if parts[0] == 1 else 0)
        end = self.space.score.size(T + 1)
        if len(parts) >= 2 and isinstance(parts[1], (int, np.integer)) and parts[0] == T + 1 \
                and 0 <= parts[1] < end:
            pmf = np.zeros(end, dtype=object if self.exact else np.float64)
            pmf[:] = Fraction(0) if self.exact else 0.0
            pmf[parts[1]] = Fraction(1) if self.exact else 1.0
            return ReadyRateDistribution(self.problem.contract, pmf)
        pos = self.space.position(*parts)
        if pos is None:
            raise PolicyError(f"start: state {self.space.describe_state(*parts)} is not in the "
                              f"chain ({self.space.rule()}; the end: i = {T + 1}, "
                              f"0 <= v <= {T})")
        pmf = kernel_for(self).forward(pos)
        return ReadyRateDistribution(self.problem.contract, pmf)

    def __repr__(self):
        top = self.stock.max(initial=0) if self._constant is None else self._constant
        return f"Policy(kind={self.kind!r}, T={self.review_period}, max_stock={top})"


def as_policy(obj) -> Policy:
    """The :class:`Policy` of ``obj``: a policy itself, or anything that holds one as
    ``.policy`` (an :class:`~slamarkov.chain.AbsorbingChain`, a solver's solution).

    Raises
    ------
    ChainError
        When ``obj`` is none of these.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_static
    >>> sol = solve_static(Problem(Contract.study(3), Poisson(5), 1))
    >>> as_policy(sol) is sol.policy, as_policy(sol.policy) is sol.policy
    (True, True)
    """
    if isinstance(obj, Policy):
        return obj
    inner = getattr(obj, "policy", None)
    if isinstance(inner, Policy):
        return inner
    raise ChainError(f"policy: must be a slamarkov.Policy, AbsorbingChain or solution, got "
                     f"{type(obj).__name__}")


def base_stock_orders(space, S):
    """``orders(i)``: the base-stock rule "order up to max(S, x)" on layer i of a space, without
    building a table (docs/model.md sections 5 and 11).

    Examples
    --------
    >>> from slamarkov.chain.space import StateSpace
    >>> base_stock_orders(StateSpace(2, carry=True, max_stock=2), 1)(2).tolist()
    [[1, 1, 2], [1, 1, 2]]
    """
    def layer(i):
        levels = space.stock_levels(i)
        return np.broadcast_to(np.maximum(levels, S)[None, :], (space.size(i), levels.shape[0]))
    return layer
