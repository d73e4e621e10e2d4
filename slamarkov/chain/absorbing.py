r"""The absorbing Markov chain of a policy (docs/model.md sections 6 and 11).

The transient states are the states of the review period's :class:`StateSpace`, layer by layer
(with the ready count and no stock carried over, the study's :math:`(i, v)`, :math:`i = 1..T`,
:math:`v = 0..i-1`, ordered by i then v: :math:`t = T(T+1)/2` of them), and the absorbing states
are the final scores (the final ready counts :math:`(T+1, v)`, :math:`v = 0..T`). Under the
stock :math:`S_i(v)` the chain moves to :math:`(i+1, v+1)` with probability
:math:`p_i(v) = F(S_i(v))` and to :math:`(i+1, v)` otherwise. In canonical form

.. math::

    P = \begin{pmatrix} Q & R \\ 0 & I \end{pmatrix}, \qquad
    N = (I - Q)^{-1}, \qquad B = N R.

Every transition goes one layer forward, so the chain is a layered DAG: a state is visited at
most once, :math:`N_{s s'}` is the probability of ever reaching :math:`s'` from :math:`s`
(:math:`N_{dg} = I`), and rows of N and B come from pushing probability forward layer by layer.
Nothing here inverts a matrix: a row costs :math:`O(t)` and the whole of N :math:`O(t^2)`, the
size of N itself. Every pass goes through the policy's kernel
(:func:`~slamarkov.chain.kernels.kernel_for`), the one place that knows the score and whether
stock carries over.

One concern, one module, although a long one: the questions a policy's chain answers (its
matrices, the rows from one state, the moments from every state, for each score), each a thin
method over the kernel's passes, so that a reader finds every question in one place.
"""

from __future__ import annotations

import inspect
from fractions import Fraction

import numpy as np

from ..errors import ChainError
from .distribution import ReadyRateDistribution
from .kernels import kernel_for, size_error
from .policy import Policy
from .space import Position
from .triangle import reach_nnz

__all__ = ["AbsorbingChain", "DEFAULT_MAX_BYTES"]

#: the names a state-set callable's arguments go by in messages, per score coordinate
_ARG_NAMES = {"ready_count": "v", "demand_total": "D", "filled_total": "F"}

#: default memory guard for dense matrices (1 GiB)
DEFAULT_MAX_BYTES = 1 << 30


class AbsorbingChain:
    r"""The absorbing chain of a policy: Q, R, N, B and the questions they answer.

    Parameters
    ----------
    policy : Policy
        Any stock table: dynamic, static or a user's. An exact policy (``exact=True``) gives
        exact results (object arrays of Fractions) for dense matrices and row queries.
    max_bytes : int, default 1 GiB
        Memory guard: asking for a dense N or B larger than this raises
        :class:`ChainSizeError` with the size it would need.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
    >>> sol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40)
    >>> chain = AbsorbingChain(sol.policy)
    >>> chain.n_transient, chain.n_absorbing, chain.Q.shape, chain.R.shape
    (55, 11, (55, 55), (55, 11))
    >>> round(chain.ready_rate(start=(6, 4)).p_bonus, 4)
    0.9334
    """

    def __init__(self, policy: Policy, *, max_bytes: int = DEFAULT_MAX_BYTES):
        if not isinstance(policy, Policy):
            raise ChainError("policy: must be a slamarkov.Policy")
        self.policy = policy
        self.problem = policy.problem
        self.contract = policy.problem.contract
        self.T = policy.review_period
        self.exact = policy.exact
        self.max_bytes = int(max_bytes)
        self._Q = self._R = None
        self.space = policy.space
        #: the passes over the layers (docs/model.md sections 6 and 11)
        self.kernel = kernel_for(policy)

    def _zero(self):
        return Fraction(0) if self.exact else 0.0

    def _one(self):
        return Fraction(1) if self.exact else 1.0

    # -- states ----------------------------------------------------------------------------
    @property
    def n_transient(self) -> int:
        """t = T(T+1)/2, or the number of states (i, v, x) with stock carried over."""
        return self.space.n_transient

    @property
    def n_absorbing(self) -> int:
        """T + 1: the final ready counts."""
        return self.space.n_final

    @property
    def n_states(self) -> int:
        return self.n_transient + self.n_absorbing

    def start(self, start, *, field: str = "start") -> Position:
        """A state to look forward from, checked: (i, v), or (i, v, x) with stock carried over
        (:meth:`StateSpace.start`); i = T + 1 is the end of the review period. (1, 0) is the
        start of the review period for any score (docs/model.md section 14: (1, 0, 0))."""
        k = len(self.space.score.coordinates)
        if k > 1 and isinstance(start, tuple) and start == (1, 0):
            start = (1,) + (0,) * k
        return self.space.start(start, field=field)

    def index(self, i: int, v: int, x=None) -> int:
        """Index of state (i, v) in the canonical order; absorbing (T+1, v) is t + v. With
        stock carried over, transient states are (i, v, x).

        Examples
        --------
        >>> from slamarkov import Contract, Poisson, Problem, Policy
        >>> ch = AbsorbingChain(Policy.constant(Problem(Contract.study(3), Poisson(5), 1), 6))
        >>> ch.index(3, 2), ch.index(4, 0), ch.state(5), ch.state(6)
        (5, 6, (3, 2), (4, 0))
        """
        pos = self.start((i, v) if x is None else (i, v, x), field="state")
        if pos.i == self.T + 1:
            return self.n_transient + pos.score
        return self.space.flat(pos)

    def state(self, index: int) -> tuple:
        """The state (i, v) (or (i, v, x) with stock carried over) at an index of the canonical
        order."""
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not (
            0 <= index < self.n_states
        ):
            raise ChainError(f"index: must lie in 0..{self.n_states - 1}, got {index}")
        if index >= self.n_transient:
            return self.T + 1, int(index - self.n_transient)
        state = self.space.state(int(index))
        return state if self.space.carry else state[:-1]

    def states(self) -> dict:
        """The state table, vectorised: index, stage, the score's columns, stock, kind.

        Returns
        -------
        dict of ndarray
            ``kind`` is "transient" or "absorbing"; absorbing states have no stock (NaN).
        """
        t, n_final = self.n_transient, self.n_absorbing
        idx = np.arange(t + n_final)
        i, *score, x = self.space.coordinates()
        stage = np.concatenate((i, np.full(n_final, self.T + 1)))
        finals = self.space.score.values(self.T + 1)  # the score's columns (ready_count; D, F)
        out = {"index": idx, "stage": stage}
        for k, name in enumerate(self.space.score.coordinates):
            out[name] = np.concatenate((score[k], finals[:, k]))
        on_hand = np.concatenate((x.astype(np.float64), np.full(n_final, np.nan)))
        stock = np.concatenate((self.policy.stock.astype(np.float64), np.full(n_final, np.nan)))
        kind = np.where(idx < t, "transient", "absorbing")
        out.update(stock_on_hand=on_hand, stock=stock, kind=kind)
        return out

    def write_states_csv(self, path) -> None:
        """Write states.csv (index,stage,<score columns>,stock,kind,stock_on_hand) atomically,
        without Python loops over states. ``stock_on_hand`` is x (docs/model.md section 11): 0
        unless stock carries over or an initial stock is held; ``stock`` is the order-up-to
        level."""
        from ..io.atomic import atomic_path

        st = self.states()
        t = self.n_transient
        discrete = self.problem.demand.discrete

        def text(values):
            return (values.astype(np.int64).astype(str) if discrete
                    else np.char.mod("%.17g", values.astype(np.float64)))

        stock_txt = np.empty(st["index"].shape, dtype=object)
        stock_txt[:t] = text(self.policy.stock)
        stock_txt[t:] = ""
        x = self.space.coordinates()[-1]
        hand_txt = np.empty(st["index"].shape, dtype=object)
        hand_txt[:t] = text(x)
        hand_txt[t:] = ""
        sep = np.array(",")
        lines = st["index"].astype(str)
        names = self.space.score.coordinates
        for col in (st["stage"].astype(str), *(st[n].astype(str) for n in names),
                    stock_txt.astype(str), st["kind"], hand_txt.astype(str)):
            lines = np.char.add(np.char.add(lines, sep), col)
        header = ",".join(("index", "stage", *names, "stock", "kind", "stock_on_hand"))
        body = header + "\n" + "\n".join(lines.tolist()) + "\n"
        with atomic_path(path) as tmp:
            tmp.write_text(body, encoding="utf-8")

    # -- sparse canonical form -------------------------------------------------------------
    def _build(self):
        if self.exact:
            raise ChainError("Q: sparse matrices are float; use dense_canonical() in exact mode")
        from scipy import (
            sparse,  # imported where needed: `import slamarkov` stays light
        )

        from ..core.limits import check_bytes

        t = self.n_transient
        # the COO triplets and the CSR copies of Q and R: about 200 bytes per state
        check_bytes(200 * t, "contract.review_period", f"Q and R of {t:,} states would")
        qr, qc, qv, rr, rc, rv = self.kernel.transition_arrays()
        Q = sparse.csr_matrix((np.asarray(qv, dtype=np.float64), (qr, qc)), shape=(t, t))
        R = sparse.csr_matrix((np.asarray(rv, dtype=np.float64), (rr, rc)),
                              shape=(t, self.n_absorbing))
        Q.eliminate_zeros()
        R.eliminate_zeros()
        self._Q, self._R = Q, R

    @property
    def Q(self) -> "scipy.sparse.csr_matrix":
        """Transient-to-transient transition probabilities, t x t (scipy.sparse CSR)."""
        if self._Q is None:
            self._build()
        return self._Q

    @property
    def R(self) -> "scipy.sparse.csr_matrix":
        """Transient-to-absorbing transition probabilities, t x (T+1) (scipy.sparse CSR)."""
        if self._R is None:
            self._build()
        return self._R

    @property
    def P(self) -> "scipy.sparse.csr_matrix":
        """The canonical transition matrix [[Q, R], [0, I]] (scipy.sparse CSR)."""
        from scipy import sparse

        n_a = self.n_absorbing
        zero = sparse.csr_matrix((n_a, self.n_transient))
        return sparse.bmat([[self.Q, self.R], [zero, sparse.identity(n_a, format="csr")]],
                           format="csr")

    def dense_canonical(self) -> np.ndarray:
        """The canonical P as a dense array (object array of Fractions in exact mode).

        Guarded by ``max_bytes``.
        """
        n = self.n_states
        self._guard(n * n, "P")
        P = np.full((n, n), self._zero(), dtype=object if self.exact else np.float64)
        t = self.n_transient
        qr, qc, qv, rr, rc, rv = self.kernel.transition_arrays()
        np.add.at(P, (qr, qc), qv)
        np.add.at(P, (rr, t + rc), rv)
        P[np.arange(t, n), np.arange(t, n)] = self._one()
        return P

    # -- dense N and B ---------------------------------------------------------------------
    def _guard(self, entries, name):
        need = entries * (64 if self.exact else 8)
        if need > self.max_bytes:
            raise size_error(name, need, self.max_bytes, self.T)

    def _N_bytes(self, dense):
        t = self.n_transient
        if dense or not self.kernel.sparse_fundamental:  # otherwise N is built dense
            return t * t * (64 if self.exact else 8)
        nnz = reach_nnz(self.T)
        index = 4 if max(nnz, t) < 2**31 else 8
        return nnz * (8 + index) + (t + 1) * index

    def _check_N(self, dense, extra=0, name="N"):
        if self.exact and not dense:
            raise ChainError(f"{name}: sparse matrices are float; ask for dense=True in exact mode")
        need = self._N_bytes(dense) + extra
        if need > self.max_bytes:
            what = "dense N" if dense else f"sparse N ({reach_nnz(self.T):,} non-zeros)"
            if extra:
                what += " and B"
            raise size_error(name, need, self.max_bytes, self.T, what)

    def absorption_matrix(self) -> np.ndarray:
        """B = N R, dense t x (T+1): row s is the distribution of the final ready count from s.

        Computed by a backward recursion over the layers, without N: the rows of a layer are
        the expectation of the next layer's rows (docs/model.md section 6).

        Raises
        ------
        ChainSizeError
            When B would exceed the memory guard.

        Examples
        --------
        >>> from slamarkov import Contract, DiscreteUniform, Problem, Policy
        >>> prob = Problem(Contract.study(2), DiscreteUniform(0, 1), 1)
        >>> B = AbsorbingChain(Policy.constant(prob, 0, exact=True)).absorption_matrix()
        >>> [[str(x) for x in row] for row in B]
        [['1/4', '1/2', '1/4'], ['1/2', '1/2', '0'], ['0', '1/2', '1/2']]
        """
        return self.kernel.absorption_matrix(self.max_bytes)

    def fundamental_matrix(self, dense: bool = False):
        """N = (I - Q)^-1, t x t, from the layered structure (no inversion).

        N is upper triangular and only the reachable pairs are non-zero (about T^4/24 of the
        t^2 entries), so it is returned as a scipy.sparse CSR matrix built from the layers: the
        reach probabilities from the states of a layer come from those of the next one
        (docs/model.md section 6).

        Parameters
        ----------
        dense : bool, default False
            Return a dense ndarray instead (t x t; required in exact mode, where the entries
            are Fractions).

        Raises
        ------
        ChainSizeError
            When N would exceed the memory guard (the sparse form counts its non-zeros).
        ChainError
            When the sparse form is asked for in exact mode.

        Examples
        --------
        >>> from slamarkov import Contract, Poisson, Problem, Policy
        >>> ch = AbsorbingChain(Policy.constant(Problem(Contract.study(3), Poisson(5), 1), 6))
        >>> N = ch.fundamental_matrix()
        >>> N.format, N.shape, N.nnz
        ('csr', (6, 6), 15)
        >>> float(N[0].sum())  # expected number of transient visits from (1, 0) is T
        3.0
        """
        self._check_N(dense)
        return self.kernel.fundamental(dense, self.max_bytes)

    def matrices(self, dense: bool = False):
        """(N, B): the fundamental matrix (sparse CSR unless ``dense=True``, see
        :meth:`fundamental_matrix`) and the dense absorption matrix.

        Examples
        --------
        >>> from slamarkov import Contract, DiscreteUniform, Problem, Policy
        >>> prob = Problem(Contract.study(2), DiscreteUniform(0, 1), 1)
        >>> N, B = AbsorbingChain(Policy.constant(prob, 0, exact=True)).matrices(dense=True)
        >>> [[str(x) for x in row] for row in N]
        [['1', '1/2', '1/2'], ['0', '1', '0'], ['0', '0', '1']]
        """
        b_itemsize = 64 if self.exact else 8
        self._check_N(dense, extra=self.n_transient * self.n_absorbing * b_itemsize,
                      name="N and B")
        return self.kernel.fundamental(dense, self.max_bytes), self.absorption_matrix()

    # -- row queries -----------------------------------------------------------------------
    def _point_mass(self, pos) -> np.ndarray:
        out = np.full(self.n_absorbing, self._zero(), dtype=object if self.exact else np.float64)
        out[pos.score] = self._one()
        return out

    def visits(self, start=(1, 0)) -> np.ndarray:
        """Row of N from a start state: expected visits (= reach probabilities) of every
        transient state, flat in state order (zeros before the start's period).

        Examples
        --------
        >>> from slamarkov import Contract, Poisson, Problem, Policy
        >>> ch = AbsorbingChain(Policy.constant(Problem(Contract.study(3), Poisson(5), 1), 6))
        >>> bool(np.allclose(ch.visits((2, 1)), ch.fundamental_matrix(dense=True)[ch.index(2, 1)]))
        True
        """
        pos = self.start(start)
        self._guard(self.n_transient, "N row")
        row = np.zeros(self.n_transient, dtype=object if self.exact else np.float64)
        if self.exact:
            row[:] = Fraction(0)
        if pos.i > self.T:
            return row
        space = self.space

        def keep(i, lo, mass):
            space.layer(row, i)[lo : lo + mass.shape[0]] = mass

        self.kernel.forward(pos, on_layer=keep)
        return row

    def absorption(self, start=(1, 0)) -> np.ndarray:
        """Row of B from a start state: P(final ready count = v), v = 0..T. No Q is built.

        With stock carried over the start is (i, v, x) (x may be left out at i = 1)."""
        pos = self.start(start)
        if pos.i > self.T:
            return self._point_mass(pos)
        return self.kernel.forward(pos)

    def ready_rate(self, start=(1, 0)) -> ReadyRateDistribution:
        """The exact ready-rate distribution from a start state (mean, sd, p_penalty, ...).

        Raises
        ------
        ChainError
            On a fill-rate chain: its service is :meth:`fill_rate` (the ready count is not in
            its state; :meth:`remaining_ready` gives the ready periods still to come).

        Examples
        --------
        >>> from slamarkov import Contract, Poisson, Problem, Policy
        >>> ch = AbsorbingChain(Policy.constant(Problem(Contract.study(3), Poisson(5), 1), 6))
        >>> round(ch.ready_rate((2, 1)).mean, 4)
        0.8415
        """
        if self.policy.fills:
            raise ChainError("ready_rate: a fill-rate chain measures units, not periods: its "
                             "service is fill_rate(start) (the ready count is not in its state; "
                             "remaining_ready(start) gives the ready periods still to come)")
        return ReadyRateDistribution(self.contract, self.absorption(start))

    def fill_rate(self, start=None):
        """The exact fill-rate distribution from a state (i, D, F[, x]) (docs/model.md
        section 14; default: the start of the review period).

        Examples
        --------
        >>> from slamarkov import Contract, DiscreteUniform, Problem, Policy
        >>> prob = Problem(Contract(2, 0.5, 1, measure="fill-rate"), DiscreteUniform(0, 2), 1)
        >>> [str(p) for p in AbsorbingChain(Policy.constant(prob, 1, exact=True)).fill_rate(
        ...     (2, 1, 1)).pmf]
        ['1/3', '2/3']
        """
        if start is not None and tuple(start) == (1, 0):
            start = None  # the start of the review period, as for every score
        return self.policy.fill_rate(start)

    def band_probabilities(self, start=(1, 0)) -> dict:
        """Absorption probabilities into the penalty, neutral and bonus bands: of the ready rate,
        or on a fill-rate chain of the fill rate (:meth:`fill_rate`; with the float-mode cut the
        three sum to 1 - ``truncated_mass``).

        Examples
        --------
        >>> from slamarkov import Contract, Poisson, Problem, Policy
        >>> ch = AbsorbingChain(Policy.constant(Problem(Contract.study(3), Poisson(5), 1), 6))
        >>> sorted(ch.band_probabilities())
        ['bonus', 'neutral', 'penalty']
        >>> from slamarkov import DiscreteUniform
        >>> prob = Problem(Contract(2, 0.6, 1, measure="fill-rate"), DiscreteUniform(0, 2), 1)
        >>> bands = AbsorbingChain(Policy.constant(prob, 1, exact=True)).band_probabilities()
        >>> {k: str(p) for k, p in bands.items()}
        {'penalty': '1/3', 'neutral': '2/9', 'bonus': '4/9'}
        """
        dist = self.fill_rate(start) if self.policy.fills else self.ready_rate(start)
        return {"penalty": dist.p_penalty, "neutral": dist.p_neutral, "bonus": dist.p_bonus}

    def _state_picker(self, states):
        """``pick(i, lo, mass) -> bool array like mass``: the states of a set in a window of a
        layer. ``states`` is a flat mask, or a callable of the stage, the score's coordinates and
        the order-up-to level, and optionally the stock on hand: (i, v, stock[, x]) for the
        ready count, (i, D, F, stock[, x]) for the fill rate (docs/model.md section 14)."""
        space = self.space
        if callable(states):
            k = len(space.score.coordinates)
            shape = ("(i, " + ", ".join(_ARG_NAMES.get(c, c) for c in space.score.coordinates)
                     + ", stock")
            try:
                params = inspect.signature(states).parameters.values()
            except (TypeError, ValueError):  # a builtin without a signature: the short form
                params = ()
            positional = [q for q in params if q.kind in (q.POSITIONAL_ONLY,
                                                          q.POSITIONAL_OR_KEYWORD)]
            if any(q.kind == q.VAR_POSITIONAL for q in params):
                n_args = k + 2
            else:
                n_args = len(positional) if positional else k + 2
            if n_args not in (k + 2, k + 3):
                raise ChainError(f"states: a callable must take {shape}) or {shape}, x), got "
                                 f"{n_args} arguments")
            takes_x = n_args == k + 3

            def pick(i, lo, shape):
                n, w = shape
                vals = space.score.values(i)[lo : lo + n]
                y = self.policy.layer(i)[lo : lo + n]
                if takes_x:
                    coords = [np.broadcast_to(vals[:, j][:, None], (n, w)) for j in range(k)]
                    x = np.broadcast_to(space.stock_levels(i)[None, :], (n, w))
                    m = states(i, *coords, y, x)
                elif space.carry:
                    coords = [np.broadcast_to(vals[:, j][:, None], (n, w)) for j in range(k)]
                    m = states(i, *coords, y)
                else:  # one stock level: the callable sees the stage's 1-d arrays
                    m = np.asarray(states(i, *(vals[:, j] for j in range(k)), y[:, 0]),
                                   dtype=bool)[:, None]
                return np.broadcast_to(np.asarray(m, dtype=bool), (n, w))

            return pick
        mask = np.asarray(states, dtype=bool)
        if mask.shape != (self.n_transient,):
            raise ChainError(f"states: mask must have t = {self.n_transient} entries")

        def pick_mask(i, lo, shape):
            return space.layer(mask, i)[lo : lo + shape[0]]

        return pick_mask

    def expected_visits(self, states, start=(1, 0)):
        """Expected number of visits, from a start state, to a set of transient states.

        Parameters
        ----------
        states : ndarray of bool, or callable
            A flat mask over transient states (length t), or ``states(i, v, stock)`` returning a
            boolean array for the states of stage i (v and stock are arrays), e.g.
            ``lambda i, v, s: s == 0``; it may take the stock on hand x as a last argument,
            ``states(i, v, stock, x)``. On a fill-rate chain the score is the pair (D, F)
            (docs/model.md section 14) and the callable is ``states(i, D, F, stock)`` or
            ``states(i, D, F, stock, x)``, e.g. ``lambda i, D, F, s: F < D`` (a unit short so
            far).
        start : tuple
            (i, v[, x]), or (i, D, F[, x]) on a fill-rate chain.

        Raises
        ------
        ChainError
            On a mask of the wrong length or a callable taking the wrong number of arguments.

        Examples
        --------
        >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
        >>> sol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40)
        >>> ch = AbsorbingChain(sol.policy)
        >>> round(float(ch.expected_visits(lambda i, v, s: s == 0, start=(6, 4))), 4)
        0.0019
        """
        pick = self._state_picker(states)
        pos = self.start(start)
        total = [self._zero()]
        if pos.i <= self.T:
            def add(i, lo, mass):
                m = pick(i, lo, mass.shape)
                if m.any():
                    total[0] += mass[m].sum()

            self.kernel.forward(pos, on_layer=add)
        return total[0] if self.exact else float(total[0])

    def visit_variance(self, start=(1, 0)) -> np.ndarray:
        r"""Variance of the number of visits to each transient state from a start state.

        The row of :math:`N_2 = N(2 N_{dg} - I) - N_{sq}`; in this chain :math:`N_{dg} = I` (no
        state is visited twice), so :math:`N_2 = N - N_{sq}`, the Bernoulli variance
        :math:`N(1 - N)`.
        """
        row = self.visits(start)
        return row - row * row

    def remaining_ready(self, start=(1, 0)) -> dict:
        """Mean and variance of the number of ready periods still to come from a start state.

        A period is ready when its demand is met in full, d <= y. On a fill-rate chain the ready
        count is not in the state (docs/model.md section 14): the moments are the start's entry
        of :meth:`remaining_ready_moments`.

        Examples
        --------
        >>> from slamarkov import Contract, DiscreteUniform, Problem, Policy
        >>> prob = Problem(Contract(2, 0.5, 1, measure="fill-rate"), DiscreteUniform(0, 2), 1)
        >>> ch = AbsorbingChain(Policy.constant(prob, 1, exact=True))
        >>> {k: str(v) for k, v in ch.remaining_ready((1, 0, 0)).items()}
        {'mean': '4/3', 'variance': '4/9'}
        """
        pos = self.start(start)
        if self.policy.fills:
            if pos.i > self.T:
                return {"mean": self._zero(), "variance": self._zero()}
            m = self.remaining_ready_moments()
            k = self.space.flat(pos)
            return {"mean": m["mean"][k], "variance": m["variance"][k]} if self.exact else {
                "mean": float(m["mean"][k]), "variance": float(m["variance"][k])}
        pmf = self.absorption(start)
        k = np.arange(self.n_absorbing) - pos.score
        mean = (pmf * k).sum()
        var = (pmf * (k - mean) ** 2).sum()
        if not self.exact:
            mean, var = float(mean), float(var)
        return {"mean": mean, "variance": var}

    def cost_decomposition(self, start=(1, 0)) -> dict:
        r"""Expected cost from a start state, split into holding cost and settlement.

        ``holding`` is :math:`\sum_s N[start, s]\, h H(S_s)` and ``settlement`` is
        :math:`\sum_v B[start, v] G(v)`; their sum equals :math:`V_{i}(v)` of an optimal policy
        (docs/model.md section 6 identity). With a purchase price, a salvage value, an initial
        stock or stock carried over, ``purchase`` (purchases less salvage) is a third part
        (docs/model.md section 11).

        Examples
        --------
        >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
        >>> sol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40)
        >>> parts = AbsorbingChain(sol.policy).cost_decomposition()
        >>> abs(parts["total"] - sol.value_start) < 1e-9
        True
        """
        pos = self.start(start)
        if pos.i > self.T:
            out = {k: mu for k, (mu, _) in self._end_costs(pos).items()}
        else:
            out = self.kernel.cost_decomposition(pos)
        return out if self.exact else {k: float(x) for k, x in out.items()}

    def _end_costs(self, pos) -> dict:
        """The cost still to come at the end of the review period: the settlement G(v) alone,
        as (mean, second moment); refused where the final stock would matter (salvage)."""
        p = self.problem
        if self.space.carry or p.purchase_cost or p.salvage_value:
            raise ChainError("start: an absorbing state has no cost still to come")
        g = self.space.score.settlement(self.contract, exact=self.exact)[pos.score]
        zero = self._zero()
        return {"holding": (zero, zero), "settlement": (g, g * g), "total": (g, g * g)}

    def cost_components(self, start=(1, 0)) -> dict:
        r"""Mean and variance of the holding cost, the settlement and the total cost of the rest
        of the review period, exactly (and of the purchases less salvage, when they are
        modelled; docs/model.md sections 6 and 11).

        Returns
        -------
        dict
            ``{"holding": (mean, variance), "settlement": (...), "total": (...)}``.

        Examples
        --------
        >>> from slamarkov import Contract, DiscreteUniform, Problem, Policy
        >>> prob = Problem(Contract(1, 1, 1, penalty=4), DiscreteUniform(0, 1), 2)
        >>> AbsorbingChain(Policy.constant(prob, 1)).cost_components()["holding"]
        (1.0, 1.0)
        """
        pos = self.start(start)
        parts = self._end_costs(pos) if pos.i > self.T else self.kernel.cost_components(pos)
        out = {k: (mu, second - mu * mu) for k, (mu, second) in parts.items()}
        if not self.exact:  # rounding can make a zero variance slightly negative
            out = {k: (float(mu), float(max(var, 0.0))) for k, (mu, var) in out.items()}
        return out

    def cost_moments(self, start=(1, 0)):
        """Mean and variance of the total cost of the rest of the review period, exactly
        (the ``total`` entry of :meth:`cost_components`).

        Returns
        -------
        (mean, variance)

        Examples
        --------
        >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
        >>> sol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40)
        >>> mean, var = AbsorbingChain(sol.policy).cost_moments()
        >>> abs(mean - sol.value_start) < 1e-9, var > 0
        (True, True)
        """
        return self.cost_components(start)["total"]

    # -- every start state at once -----------------------------------------------------------
    def _moments(self, mean, second) -> dict:
        var = second - mean * mean
        if not self.exact:
            np.maximum(var, 0.0, out=var)  # rounding can make a zero variance slightly negative
        return {"mean": mean, "variance": var}

    def visit_moments(self, states=None) -> dict:
        r"""Mean and variance of the number of visits to a set of transient states, from every
        transient start state at once.

        By a backward recursion over the layers, without N: the count from a state is the
        indicator of the state plus the count from the next state. With every transient state in
        the set the mean is :math:`N\mathbf{1}`, the expected number of periods to absorption
        (T - i + 1 here, with variance 0: every stage is visited once). With stock carried over
        the states are (i, v, x) and a callable may take x as a fourth argument. On a fill-rate
        chain the states are (i, D, F[, x]) and a callable takes (i, D, F, stock) or
        (i, D, F, stock, x) (:meth:`expected_visits`).

        Parameters
        ----------
        states : ndarray of bool or callable, optional
            As in :meth:`expected_visits`; default every transient state.

        Returns
        -------
        dict
            ``{"mean": ndarray, "variance": ndarray}``, each of length t, flat in state order.

        Examples
        --------
        >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
        >>> sol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40)
        >>> ch = AbsorbingChain(sol.policy)
        >>> m = ch.visit_moments(lambda i, v, s: s == 0)
        >>> round(float(m["mean"][ch.index(6, 4)]), 4)
        0.0019
        >>> ch.visit_moments()["mean"][:4].tolist()
        [10.0, 9.0, 9.0, 8.0]

        On a fill-rate chain: the periods still to come that start with a unit short so far.

        >>> from slamarkov import Contract, DiscreteUniform, Policy
        >>> prob = Problem(Contract(2, 0.5, 1, measure="fill-rate"), DiscreteUniform(0, 2), 1)
        >>> fc = AbsorbingChain(Policy.constant(prob, 1, exact=True))
        >>> [str(m) for m in fc.visit_moments(lambda i, D, F, s: F < D)["mean"]]
        ['1/3', '0', '1', '0', '1', '1', '0']
        """
        space = self.space
        if states is None:
            mask = np.ones(self.n_transient, dtype=bool)
        else:
            pick = self._state_picker(states)
            mask = np.empty(self.n_transient, dtype=bool)
            for i in range(1, self.T + 1):
                space.layer(mask, i)[...] = pick(i, 0, (space.size(i), space.width(i)))

        def reward(i):
            r = space.layer(mask, i)
            return r.astype(object) * Fraction(1) if self.exact else r.astype(np.float64)

        return self._moments(*self.kernel.state_moments(reward))

    def remaining_ready_moments(self) -> dict:
        """Mean and variance of the number of ready periods still to come, from every transient
        start state at once (a backward recursion over the layers, without N or B). A period is
        ready when its demand is met in full, d <= y; on a fill-rate chain this counts the same
        periods, although its states do not hold the count (docs/model.md section 14).

        Returns
        -------
        dict
            ``{"mean": ndarray, "variance": ndarray}``, each of length t, flat in state order;
            entry :meth:`index` (i, v) equals :meth:`remaining_ready` from (i, v).

        Examples
        --------
        >>> from slamarkov import Contract, Poisson, Problem, Policy
        >>> ch = AbsorbingChain(Policy.constant(Problem(Contract.study(3), Poisson(5), 1), 6))
        >>> r = ch.remaining_ready_moments()
        >>> bool(abs(r["variance"][0] - ch.remaining_ready()["variance"]) < 1e-12)
        True
        """
        return self._moments(*self.kernel.ready_moments())

    def _units_kernel(self, name):
        if not self.policy.fills:
            raise ChainError(f"{name}: a ready-rate chain counts periods, not units; use "
                             "remaining_ready")
        return self.kernel

    def _remaining_units(self, units, start) -> dict:
        """Mean and variance of the units still to be filled (or demanded) from one state: the
        final pairs (D, F) by a forward pass, less the state's own."""
        kernel = self._units_kernel(f"remaining_{units}")
        pos = self.start(start)
        if pos.i > self.T:
            return {"mean": self._zero(), "variance": self._zero()}
        col = 1 if units == "filled" else 0
        pmf = kernel.forward(pos)
        k = (self.space.score.values(self.T + 1)[:, col]
             - int(self.space.score.values(pos.i)[pos.score, col]))
        mean, second = (pmf * k).sum(), (pmf * k * k).sum()
        var = second - mean * mean
        return {"mean": mean, "variance": var} if self.exact else {
            "mean": float(mean), "variance": float(max(var, 0.0))}

    def remaining_filled(self, start=None) -> dict:
        r"""Mean and variance of the units still to be filled, :math:`F_{T+1} - F`, from a state
        (i, D, F[, x]) of a fill-rate chain (default: the start of the review period), by one
        forward pass (docs/model.md section 14). With the float-mode cut, the paths it drops
        count for nothing.

        Raises
        ------
        ChainError
            On a ready-rate chain (it counts periods: :meth:`remaining_ready`).

        Examples
        --------
        >>> from slamarkov import Contract, DiscreteUniform, Problem, Policy
        >>> prob = Problem(Contract(2, 0.5, 1, measure="fill-rate"), DiscreteUniform(0, 2), 1)
        >>> ch = AbsorbingChain(Policy.constant(prob, 1, exact=True))
        >>> {k: str(v) for k, v in ch.remaining_filled((2, 2, 1)).items()}
        {'mean': '2/3', 'variance': '2/9'}
        """
        return self._remaining_units("filled", (1, 0) if start is None else start)

    def remaining_demanded(self, start=None) -> dict:
        r"""Mean and variance of the units still to be demanded, :math:`D_{T+1} - D`, from a state
        (i, D, F[, x]) of a fill-rate chain (as :meth:`remaining_filled`; with the float-mode cut
        the demands dropped count for nothing).

        Raises
        ------
        ChainError
            On a ready-rate chain.

        Examples
        --------
        >>> from slamarkov import Contract, DiscreteUniform, Problem, Policy
        >>> prob = Problem(Contract(2, 0.5, 1, measure="fill-rate"), DiscreteUniform(0, 2), 1)
        >>> ch = AbsorbingChain(Policy.constant(prob, 1, exact=True))
        >>> {k: str(v) for k, v in ch.remaining_demanded().items()}
        {'mean': '2', 'variance': '4/3'}
        """
        return self._remaining_units("demanded", (1, 0) if start is None else start)

    def remaining_filled_moments(self) -> dict:
        r"""Mean and variance of the units still to be filled, from every transient state of a
        fill-rate chain at once (docs/model.md section 14).

        By a backward recursion over the layers, without N or B: a period with order y and
        demand d fills :math:`f = \min(d, y)`, and with :math:`M_1, M_2` the moments from the
        state it moves to, :math:`M_1 = E[f + M_1']`, :math:`M_2 = E[f^2 + 2 f M_1' + M_2']`.

        Returns
        -------
        dict
            ``{"mean": ndarray, "variance": ndarray}``, each of length t, flat in state order;
            entry :meth:`index` (i, D, F[, x]) equals :meth:`remaining_filled` from that state.
            Fractions in exact mode.

        Raises
        ------
        ChainError
            On a ready-rate chain.

        Examples
        --------
        >>> from slamarkov import Contract, DiscreteUniform, Problem, Policy
        >>> prob = Problem(Contract(2, 0.5, 1, measure="fill-rate"), DiscreteUniform(0, 2), 1)
        >>> ch = AbsorbingChain(Policy.constant(prob, 1, exact=True))
        >>> m = ch.remaining_filled_moments()
        >>> [str(v) for v in m["mean"]], str(m["variance"][0])
        (['4/3', '2/3', '2/3', '2/3', '2/3', '2/3', '2/3'], '4/9')
        """
        return self._moments(*self._units_kernel("remaining_filled_moments").units_moments(
            "filled"))

    def remaining_demanded_moments(self) -> dict:
        """Mean and variance of the units still to be demanded, from every transient state of a
        fill-rate chain at once (as :meth:`remaining_filled_moments`, with d in place of
        min(d, y); the same for every policy unless the float-mode cut drops demands).

        Raises
        ------
        ChainError
            On a ready-rate chain.

        Examples
        --------
        >>> from slamarkov import Contract, DiscreteUniform, Problem, Policy
        >>> prob = Problem(Contract(2, 0.5, 1, measure="fill-rate"), DiscreteUniform(0, 2), 1)
        >>> m = AbsorbingChain(Policy.constant(prob, 1, exact=True)).remaining_demanded_moments()
        >>> [str(v) for v in m["mean"][:2]], [str(v) for v in m["variance"][:2]]
        (['2', '1'], ['4/3', '2/3'])
        """
        return self._moments(*self._units_kernel("remaining_demanded_moments").units_moments(
            "demanded"))

    def visit_variance_matrix(self, dense: bool = False):
        r""":math:`N_2 = N(2 N_{dg} - I) - N_{sq}`, the variances of the number of visits to every
        transient state from every transient state; here :math:`N_{dg} = I`, so
        :math:`N_2 = N - N \circ N`, with N's sparsity (CSR unless ``dense=True``).

        Examples
        --------
        >>> from slamarkov import Contract, Poisson, Problem, Policy
        >>> ch = AbsorbingChain(Policy.constant(Problem(Contract.study(3), Poisson(5), 1), 6))
        >>> N2 = ch.visit_variance_matrix()
        >>> bool(np.allclose(N2[ch.index(2, 1)].toarray().ravel(), ch.visit_variance((2, 1))))
        True
        """
        N = self.fundamental_matrix(dense=dense)
        if dense:
            return N - N * N
        N2 = N - N.multiply(N)
        N2 = N2.tocsr()
        N2.eliminate_zeros()
        return N2

    # -- named state sets ------------------------------------------------------------------
    def penalty_certain(self) -> np.ndarray:
        """Flat mask of transient states from which the penalty band is certain whatever happens
        (:func:`~slamarkov.chain.classes.decided_codes`; docs/model.md sections 12 and 14)."""
        from .classes import decided_codes

        return decided_codes(self.space, self.contract, amounts=False) == -1

    def bonus_secured(self) -> np.ndarray:
        """Flat mask of transient states where the bonus band is earned whatever happens
        (:func:`~slamarkov.chain.classes.decided_codes`; docs/model.md sections 12 and 14)."""
        from .classes import decided_codes

        return decided_codes(self.space, self.contract, amounts=False) == 1

    def zero_stock(self) -> np.ndarray:
        """Flat mask of transient states where the policy adds no stock
        (:meth:`Policy.adds_no_stock`: S = 0, or, with stock carried over, an order-up-to level
        no higher than the stock on hand, y = x; docs/model.md section 11)."""
        return self.policy.adds_no_stock()

    def __repr__(self):
        return (f"AbsorbingChain(T={self.T}, transient={self.n_transient}, "
                f"absorbing={self.n_absorbing}, policy={self.policy.kind!r})")
