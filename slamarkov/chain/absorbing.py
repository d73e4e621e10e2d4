r"""The absorbing Markov chain of a policy (docs/model.md section 6).

Transient states :math:`(i, v)`, :math:`i = 1..T`, :math:`v = 0..i-1`, ordered by i then v
(:math:`t = T(T+1)/2` of them), and absorbing states :math:`(T+1, v)`, :math:`v = 0..T`. Under
the stock :math:`S_i(v)` the chain moves to :math:`(i+1, v+1)` with probability
:math:`p_i(v) = F(S_i(v))` and to :math:`(i+1, v)` otherwise. In canonical form

.. math::

    P = \begin{pmatrix} Q & R \\ 0 & I \end{pmatrix}, \qquad
    N = (I - Q)^{-1}, \qquad B = N R.

Every transition goes one stage forward, so the chain is a layered DAG: a state is visited at
most once, :math:`N_{s s'}` is the probability of ever reaching :math:`s'` from :math:`s`
(:math:`N_{dg} = I`), and rows of N and B come from pushing probability forward stage by stage.
Nothing here inverts a matrix: a row costs :math:`O(t)` and the whole of N :math:`O(t^2)`, the
size of N itself.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .triangle import (
    backward_step,
    offset,
    propagate,
    reach_nnz,
    reach_step,
    stage_of,
    stage_slice,
)
from .distribution import ReadyRateDistribution
from ..errors import ChainError, ChainSizeError
from . import stock as _stock
from .policy import Policy

__all__ = ["AbsorbingChain", "DEFAULT_MAX_BYTES"]

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
        problem = policy.problem
        # states (i, v, x), or costs beyond h and G: the layered kernels of slamarkov.chain.space
        # (docs/model.md section 11); the study's triangle keeps its own, faster ones
        self._stock_model = policy.carries or bool(
            problem.purchase_cost or problem.salvage_value or problem.initial_stock)

    # -- states ----------------------------------------------------------------------------
    @property
    def n_transient(self) -> int:
        """t = T(T+1)/2, or the number of states (i, v, x) with stock carried over."""
        return self.space.n_transient

    @property
    def n_absorbing(self) -> int:
        """T + 1."""
        return self.T + 1

    @property
    def n_states(self) -> int:
        return self.n_transient + self.n_absorbing

    def _check_state(self, i, v, absorbing_ok=True):
        T = self.T
        top = T + 1 if absorbing_ok else T
        ok = (
            not isinstance(i, bool)
            and not isinstance(v, bool)
            and isinstance(i, (int, np.integer))
            and isinstance(v, (int, np.integer))
            and 1 <= i <= top
            and 0 <= v <= (T if i == T + 1 else i - 1)
        )
        if not ok:
            raise ChainError(
                f"state: ({i}, {v}) is not in the chain (transient: 1 <= i <= {T}, 0 <= v < i; "
                f"absorbing: i = {T + 1}, 0 <= v <= {T})"
            )

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
        if self.policy.carries and not (i == self.T + 1 and x is None):
            return self.space.index(i, v, x)
        self._check_state(i, v)
        if i == self.T + 1:
            return self.n_transient + v
        return offset(i) + v

    def state(self, index: int) -> tuple[int, int]:
        """The state (i, v) at an index of the canonical order."""
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not (
            0 <= index < self.n_states
        ):
            raise ChainError(f"index: must lie in 0..{self.n_states - 1}, got {index}")
        if index >= self.n_transient:
            return self.T + 1, int(index - self.n_transient)
        if self.policy.carries:
            return self.space.state(int(index))
        i, v = stage_of(index)
        return int(i), int(v)

    def states(self) -> dict:
        """The state table, vectorised: index, stage, ready_count, stock, kind, for every state.

        Returns
        -------
        dict of ndarray
            ``kind`` is "transient" or "absorbing"; absorbing states have no stock (NaN, or -1
            as an integer column ``stock_int``).
        """
        t, T = self.n_transient, self.T
        idx = np.arange(t + T + 1)
        i, v, x = self.space.coordinates()
        stage = np.concatenate((i, np.full(T + 1, T + 1)))
        ready = np.concatenate((v, np.arange(T + 1)))
        on_hand = np.concatenate((x.astype(np.float64), np.full(T + 1, np.nan)))
        stock = np.concatenate((self.policy.stock.astype(np.float64), np.full(T + 1, np.nan)))
        kind = np.where(idx < t, "transient", "absorbing")
        return {"index": idx, "stage": stage, "ready_count": ready, "stock_on_hand": on_hand,
                "stock": stock, "kind": kind}

    def write_states_csv(self, path) -> None:
        """Write states.csv (index,stage,ready_count,stock,kind,stock_on_hand) atomically,
        without Python loops over states. ``stock_on_hand`` is x (docs/model.md section 11): 0
        unless stock carries over or an initial stock is held; ``stock`` is the order-up-to
        level."""
        from ..io.atomic import atomic_path

        st = self.states()
        t = self.n_transient
        stock_txt = np.empty(st["index"].shape, dtype=object)
        if self.problem.demand.discrete:
            stock_txt[:t] = self.policy.stock.astype(np.int64).astype(str)
        else:
            stock_txt[:t] = np.char.mod("%.17g", self.policy.stock.astype(np.float64))
        stock_txt[t:] = ""
        _, _, x = self.space.coordinates()
        hand_txt = np.empty(st["index"].shape, dtype=object)
        hand_txt[:t] = (x.astype(np.int64).astype(str) if self.problem.demand.discrete
                        else np.char.mod("%.17g", x.astype(np.float64)))
        hand_txt[t:] = ""
        sep = np.array(",")
        lines = st["index"].astype(str)
        for col in (st["stage"].astype(str), st["ready_count"].astype(str), stock_txt.astype(str),
                    st["kind"], hand_txt.astype(str)):
            lines = np.char.add(np.char.add(lines, sep), col)
        text = ("index,stage,ready_count,stock,kind,stock_on_hand\n" + "\n".join(lines.tolist())
                + "\n")
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8")

    # -- sparse canonical form -------------------------------------------------------------
    def _build(self):
        if self.exact:
            raise ChainError("Q: sparse matrices are float; use dense_canonical() in exact mode")
        from scipy import sparse  # imported where needed: `import slamarkov` stays light
        t, T = self.n_transient, self.T
        from ..core.limits import check_bytes

        # the COO triplets and the CSR copies of Q and R: about 200 bytes per state
        check_bytes(200 * t, "contract.review_period", f"Q and R of {t:,} states would")
        if self.policy.carries:
            qr, qc, qv, rr, rc, rv = _stock.transition_arrays(self.policy)
            Q = sparse.csr_matrix((np.asarray(qv, dtype=np.float64), (qr, qc)), shape=(t, t))
            R = sparse.csr_matrix((np.asarray(rv, dtype=np.float64), (rr, rc)), shape=(t, T + 1))
            Q.eliminate_zeros()
            R.eliminate_zeros()
            self._Q, self._R = Q, R
            return
        p = np.asarray(self.policy.success(), dtype=np.float64)
        idx = np.arange(t, dtype=np.int64)
        i, v = stage_of(idx)
        inner = i < T
        rows_q = idx[inner]
        # (i, v) -> (i+1, v) has flat index idx + i; -> (i+1, v+1) is idx + i + 1
        q_rows = np.concatenate((rows_q, rows_q))
        q_cols = np.concatenate((rows_q + i[inner], rows_q + i[inner] + 1))
        q_vals = np.concatenate((1 - p[inner], p[inner]))
        Q = sparse.csr_matrix((q_vals, (q_rows, q_cols)), shape=(t, t))
        last = idx[~inner]
        vl = v[~inner]
        r_rows = np.concatenate((last, last))
        r_cols = np.concatenate((vl, vl + 1))
        r_vals = np.concatenate((1 - p[~inner], p[~inner]))
        R = sparse.csr_matrix((r_vals, (r_rows, r_cols)), shape=(t, T + 1))
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
        one, zero = (Fraction(1), Fraction(0)) if self.exact else (1.0, 0.0)
        P = np.full((n, n), zero, dtype=object if self.exact else np.float64)
        t, T = self.n_transient, self.T
        if self.policy.carries:
            qr, qc, qv, rr, rc, rv = _stock.transition_arrays(self.policy)
            np.add.at(P, (qr, qc), qv)
            np.add.at(P, (rr, t + rc), rv)
            P[np.arange(t, n), np.arange(t, n)] = one
            return P
        for i in range(1, T + 1):
            o = offset(i)
            p = self.policy.stage_success(i)
            rows = o + np.arange(i)
            nxt = o + i if i < T else t
            P[rows, nxt + np.arange(i)] = one - p
            P[rows, nxt + np.arange(i) + 1] = p
        P[np.arange(t, n), np.arange(t, n)] = one
        return P

    # -- dense N and B ---------------------------------------------------------------------
    def _guard(self, entries, name):
        itemsize = 8 if not self.exact else 64
        need = entries * itemsize
        if need > self.max_bytes:
            raise ChainSizeError(
                f"{name}: a dense {name} for T = {self.T} needs {need / 2**30:.3g} GiB, above the "
                f"memory guard of {self.max_bytes / 2**30:.3g} GiB; use row queries (from a start "
                "state) or raise max_bytes"
            )

    def _N_bytes(self, dense):
        t = self.n_transient
        if dense or self.policy.carries:  # with stock on hand N is built dense
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
            raise ChainSizeError(
                f"{name}: a {what} for T = {self.T} needs {need / 2**30:.3g} GiB, above the "
                f"memory guard of {self.max_bytes / 2**30:.3g} GiB; use row queries (from a start "
                "state) or raise max_bytes"
            )

    def _fundamental(self, dense):
        """N from the layers: each start's reach probabilities as bands (:func:`reach_step`),
        stage by stage backwards, written straight into CSR (float) or a dense array."""
        T, t = self.T, self.n_transient
        if self.policy.carries:  # N = I + Q N through the (v, x) kernel, behind the dense guard
            from scipy import sparse

            N = _stock.fundamental_matrix(self.policy, self.max_bytes)
            return N if dense else sparse.csr_matrix(N)
        dtype = object if self.exact else np.float64
        nnz = reach_nnz(T)
        itype = np.int32 if max(nnz, t) < 2**31 else np.int64
        if dense:
            N = np.zeros((t, t), dtype=dtype)
            if self.exact:
                N[:] = Fraction(0)
        else:
            data = np.empty(nnz, dtype=np.float64)
            indices = np.empty(nnz, dtype=itype)
            indptr = np.empty(t + 1, dtype=itype)
            indptr[0] = 0
        one = Fraction(1) if self.exact else 1.0
        nxt = None
        end = nnz
        for i in range(T, 0, -1):
            m = T - i + 1  # distances d = 0..T-i
            A = np.empty((i, m, m), dtype=dtype)
            if nxt is None:
                A[:, 0, 0] = one
            else:
                reach_step(nxt, self.policy.stage_success(i), A)
            d, k = np.tril_indices(m)
            flat = d * m + k
            band = A.reshape(i, m * m)[:, flat]  # row (i, v): stages i..T in turn, ready counts up
            base = offset(i + d) + k  # column of (i + d, v + k) is base + v
            o = offset(i)
            if dense:
                v = np.arange(i)
                N[(o + v)[:, None], base[None, :] + v[:, None]] = band
            else:
                L = flat.shape[0]
                start = end - i * L
                data[start:end] = band.ravel()
                cols = indices[start:end].reshape(i, L)
                np.add(base[None, :].astype(itype), np.arange(i, dtype=itype)[:, None], out=cols)
                indptr[o + 1 : o + i + 1] = start + L * np.arange(1, i + 1)
                end = start
            nxt = A
        if dense:
            return N
        from scipy import sparse

        N = sparse.csr_matrix((data, indices, indptr), shape=(t, t))
        N.eliminate_zeros()
        return N

    def _absorption_rows(self):
        """B by the backward recursion over the layers: no N, O(t (T + 1)) work and memory.

        A row of B is where the chain ends from a state, so the rows of stage i are two
        shifted, weighted copies of the rows of stage i + 1 (:func:`backward_step`), and the
        rows of the absorbing stage T + 1 are the identity.
        """
        T = self.T
        self._guard(self.n_transient * (T + 1), "B")
        if self.policy.carries:  # the same recursion through the (v, x) kernel
            return _stock.absorption_matrix(self.policy, self.max_bytes)
        dtype = object if self.exact else np.float64
        one, zero = (Fraction(1), Fraction(0)) if self.exact else (1.0, 0.0)
        end = np.full((T + 1, T + 1), zero, dtype=dtype)
        end[np.arange(T + 1), np.arange(T + 1)] = one
        B = np.empty((self.n_transient, T + 1), dtype=dtype)
        nxt = end
        for i in range(T, 0, -1):
            rows = B[stage_slice(i)]
            backward_step(nxt, self.policy.stage_success(i), rows)
            nxt = rows
        return B

    def absorption_matrix(self) -> np.ndarray:
        """B = N R, dense t x (T+1): row s is the distribution of the final ready count from s.

        Computed by a backward recursion over the stages, without N: the rows of stage i are
        two shifted, weighted copies of the rows of stage i + 1 (docs/model.md section 6).

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
        return self._absorption_rows()

    def fundamental_matrix(self, dense: bool = False):
        """N = (I - Q)^-1, t x t, from the layered structure (no inversion).

        N is upper triangular and only the reachable pairs are non-zero (about T^4/24 of the
        t^2 entries), so it is returned as a scipy.sparse CSR matrix built from the layers: the
        reach probabilities from the states of stage i are two shifted, weighted copies of those
        from stage i + 1 (docs/model.md section 6).

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
        return self._fundamental(dense)

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
        self._check_N(dense, extra=self.n_transient * (self.T + 1) * b_itemsize, name="N and B")
        return self._fundamental(dense), self._absorption_rows()

    # -- row queries -----------------------------------------------------------------------
    def _start(self, start):
        try:
            i, v = start
        except (TypeError, ValueError):
            raise ChainError(f"start: must be a state (i, v), got {start!r}") from None
        self._check_state(i, v)
        return int(i), int(v)

    def visits(self, start=(1, 0)) -> np.ndarray:
        """Row of N from a start state: expected visits (= reach probabilities) of every
        transient state, flat in state order (zeros before the start's stage).

        Examples
        --------
        >>> from slamarkov import Contract, Poisson, Problem, Policy
        >>> ch = AbsorbingChain(Policy.constant(Problem(Contract.study(3), Poisson(5), 1), 6))
        >>> bool(np.allclose(ch.visits((2, 1)), ch.fundamental_matrix(dense=True)[ch.index(2, 1)]))
        True
        """
        if self.policy.carries:
            return _stock.visits(self.policy, start)
        i0, v0 = self._start(start)
        self._guard(self.n_transient, "N row")
        row = np.zeros(self.n_transient, dtype=object if self.exact else np.float64)
        if self.exact:
            row[:] = Fraction(0)

        def keep(i, lo, reach):
            o = offset(i)
            row[o + lo : o + lo + reach.shape[0]] = reach

        propagate(self.policy, self.T, i0, v0, exact=self.exact, on_stage=keep)
        return row

    def absorption(self, start=(1, 0)) -> np.ndarray:
        """Row of B from a start state: P(final ready count = v), v = 0..T. No Q is built.

        With stock carried over the start is (i, v, x) (x may be left out at i = 1)."""
        if self.policy.carries:
            return _stock.absorption(self.policy, start)
        i0, v0 = self._start(start)
        return propagate(self.policy, self.T, i0, v0, exact=self.exact)

    def ready_rate(self, start=(1, 0)) -> ReadyRateDistribution:
        """The exact ready-rate distribution from a start state (mean, sd, p_penalty, ...)."""
        return ReadyRateDistribution(self.contract, self.absorption(start))

    def band_probabilities(self, start=(1, 0)) -> dict:
        """Absorption probabilities into the penalty, neutral and bonus bands.

        Examples
        --------
        >>> from slamarkov import Contract, Poisson, Problem, Policy
        >>> ch = AbsorbingChain(Policy.constant(Problem(Contract.study(3), Poisson(5), 1), 6))
        >>> sorted(ch.band_probabilities())
        ['bonus', 'neutral', 'penalty']
        """
        dist = self.ready_rate(start)
        return {"penalty": dist.p_penalty, "neutral": dist.p_neutral, "bonus": dist.p_bonus}

    def _picker(self, states):
        """``pick(i, v, stock)`` for a flat mask, a callable, or None (every transient state)."""
        if states is None:
            return lambda i, v, s: np.ones(np.shape(v), dtype=bool)
        if callable(states):
            return states
        mask = np.asarray(states, dtype=bool)
        if mask.shape != (self.n_transient,):
            raise ChainError(f"states: mask must have t = {self.n_transient} entries")

        def pick(i, v, s):
            return mask[offset(i) + v]

        return pick

    def expected_visits(self, states, start=(1, 0)):
        """Expected number of visits, from a start state, to a set of transient states.

        Parameters
        ----------
        states : ndarray of bool, or callable
            A flat mask over transient states (length t), or ``states(i, v, stock)`` returning a
            boolean array for the states of stage i (v and stock are arrays), e.g.
            ``lambda i, v, s: s == 0``.
        start : (int, int)

        Examples
        --------
        >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
        >>> sol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40)
        >>> ch = AbsorbingChain(sol.policy)
        >>> round(float(ch.expected_visits(lambda i, v, s: s == 0, start=(6, 4))), 4)
        0.0019
        """
        if self.policy.carries:
            return self._expected_visits_stock(states, start)
        i0, v0 = self._start(start)
        pick = self._picker(states)

        total = [Fraction(0) if self.exact else 0.0]

        def add(i, lo, reach):
            v = np.arange(lo, lo + reach.shape[0])
            m = np.asarray(pick(i, v, self.policy.stage(i)[lo : lo + reach.shape[0]]), dtype=bool)
            if m.any():
                total[0] += reach[m].sum()

        propagate(self.policy, self.T, i0, v0, exact=self.exact, on_stage=add)
        return total[0] if self.exact else float(total[0])

    def _expected_visits_stock(self, states, start):
        import inspect

        space = self.space
        if callable(states):
            takes_x = len(inspect.signature(states).parameters) >= 4
            total = [Fraction(0) if self.exact else 0.0]

            def add(i, lo, mass):
                n, w = mass.shape
                v = np.repeat(np.arange(lo, lo + n)[:, None], w, axis=1)
                y = self.policy.layer(i)[lo : lo + n]
                x = np.broadcast_to(space.stock_levels(i)[None, :], (n, w))
                m = states(i, v, y, x) if takes_x else states(i, v, y)
                m = np.broadcast_to(np.asarray(m, dtype=bool), (n, w))
                if m.any():
                    total[0] += mass[m].sum()

            _stock.visits(self.policy, start, on_layer=add)
            return total[0] if self.exact else float(total[0])
        mask = np.asarray(states, dtype=bool)
        if mask.shape != (self.n_transient,):
            raise ChainError(f"states: mask must have t = {self.n_transient} entries")
        row = _stock.visits(self.policy, start)
        out = row[mask].sum()
        return out if self.exact else float(out)

    def visit_variance(self, start=(1, 0)) -> np.ndarray:
        r"""Variance of the number of visits to each transient state from a start state.

        The row of :math:`N_2 = N(2 N_{dg} - I) - N_{sq}`; in this chain :math:`N_{dg} = I` (no
        state is visited twice), so :math:`N_2 = N - N_{sq}`, the Bernoulli variance
        :math:`N(1 - N)`.
        """
        row = self.visits(start)
        return row - row * row

    def remaining_ready(self, start=(1, 0)) -> dict:
        """Mean and variance of the number of ready periods still to come from a start state."""
        if self.policy.carries:
            i0, v0, _ = _stock.start_state(self.policy, start)
            pmf = self.absorption(start)
        else:
            i0, v0 = self._start(start)
            pmf = self.absorption((i0, v0))
        k = np.arange(self.T + 1) - v0
        mean = (pmf * k).sum()
        var = (pmf * (k - mean) ** 2).sum()
        if not self.exact:
            mean, var = float(mean), float(var)
        return {"mean": mean, "variance": var}

    def cost_decomposition(self, start=(1, 0)) -> dict:
        r"""Expected cost from a start state, split into holding cost and settlement.

        ``holding`` is :math:`\sum_s N[start, s]\, h H(S_s)` and ``settlement`` is
        :math:`\sum_v B[start, v] G(v)`; their sum equals :math:`V_{i}(v)` of an optimal policy
        (docs/model.md section 6 identity).

        Examples
        --------
        >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
        >>> sol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40)
        >>> parts = AbsorbingChain(sol.policy).cost_decomposition()
        >>> abs(parts["total"] - sol.value_start) < 1e-9
        True
        """
        if self._stock_model:
            comps = self._stock_components(start, moments=False)
            return comps
        i0, v0 = self._start(start)
        hold = [Fraction(0) if self.exact else 0.0]

        def add(i, lo, reach):
            hold[0] += (reach * self.policy.stage_holding(i)[lo : lo + reach.shape[0]]).sum()

        pmf = propagate(self.policy, self.T, i0, v0, exact=self.exact, on_stage=add)
        settle = (pmf * self.contract.settlement(exact=self.exact)).sum()
        out = {"holding": hold[0], "settlement": settle, "total": hold[0] + settle}
        return out if self.exact else {k: float(x) for k, x in out.items()}

    def cost_components(self, start=(1, 0)) -> dict:
        r"""Mean and variance of the holding cost, the settlement and the total cost of the rest
        of the review period, exactly.

        Carries, state by state, the probability m, :math:`E[C 1]` and :math:`E[C^2 1]` of the
        holding cost C accrued so far. A period with stock S and demand d costs
        :math:`X = h (S - d)^+`, which is positive only when the period is ready, so the ready
        branch adds :math:`E[X] = hH(S)` and :math:`E[X^2] = h^2 E[((S-d)^+)^2]` and the short one
        adds nothing. At the end the settlement G(v) is added.

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
        if self._stock_model:
            return self._stock_components(start, moments=True)
        i0, v0 = self._start(start)
        T, exact = self.T, self.exact
        dtype = object if exact else np.float64
        one = Fraction(1) if exact else 1.0
        m = np.array([one], dtype=dtype)
        a = np.zeros(1, dtype=dtype) * one
        b = np.zeros(1, dtype=dtype) * one
        lo = v0
        for i in range(i0, T + 1):
            n = m.shape[0]
            p = self.policy.success_window(i, lo, lo + n)
            e1, e2 = self.policy.leftover_moments(i, lo, lo + n)
            nm, na, nb = (np.zeros(n + 1, dtype=dtype) * one for _ in range(3))
            nm[:n] += m * (1 - p)
            na[:n] += a * (1 - p)
            nb[:n] += b * (1 - p)
            nm[1:] += m * p
            na[1:] += a * p + m * e1
            nb[1:] += b * p + 2 * a * e1 + m * e2
            m, a, b = nm, na, nb
        G = self.contract.settlement(exact=exact)[lo : lo + m.shape[0]]
        mean_h, mean_g = a.sum(), (m * G).sum()
        mean = mean_h + mean_g
        out = {
            "holding": (mean_h, b.sum() - mean_h * mean_h),
            "settlement": (mean_g, (m * G * G).sum() - mean_g * mean_g),
            "total": (mean, (b + 2 * a * G + m * G * G).sum() - mean * mean),
        }
        if not exact:  # rounding can make a zero variance slightly negative
            out = {k: (float(mu), float(max(var, 0.0))) for k, (mu, var) in out.items()}
        return out

    def _stock_components(self, start, moments):
        """Cost parts by the backward recursion of the layered kernels (docs/model.md
        section 11): holding, purchase (purchases less salvage), settlement and total."""
        i, v, x = _stock.start_state(self.policy, start)
        if i == self.T + 1:
            raise ChainError("start: an absorbing state has no cost still to come")
        col = self.space._column(i, x)
        parts = {
            "holding": dict(holding=True, purchase=False, settlement=False),
            "purchase": dict(holding=False, purchase=True, settlement=False),
            "settlement": dict(holding=False, purchase=False, settlement=True),
            "total": dict(holding=True, purchase=True, settlement=True),
        }
        out = {}
        for name, flags in parts.items():
            M1, M2 = _stock.reward_moments(self.policy, **flags)[i]
            mean, second = M1[v, col], M2[v, col]
            out[name] = (mean, second - mean * mean)
        if not self.exact:
            out = {k: (float(mu), float(max(var, 0.0))) for k, (mu, var) in out.items()}
        if moments:
            return out
        return {k: mu for k, (mu, _) in out.items()}

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
    def _backward_moments(self, reward):
        r"""Mean and second moment of a sum of per-period rewards to the end of the period, from
        every transient state, by one backward pass over the stages (no N).

        ``reward(i, p)`` gives the rewards of the states of stage i on the short and on the
        ready branch, ``(r0, r1)`` (arrays or scalars). With m, s the next stage's mean and
        second moment, the step is :math:`m_i(v) = E[r] + \mathrm{step}(m)` and
        :math:`s_i(v) = E[r^2] + 2 E[r\, m_{i+1}] + \mathrm{step}(s)`, where step is
        :func:`backward_step` (two shifted, weighted copies).
        """
        if self.policy.carries:
            return self._backward_moments_stock(reward)
        T, t = self.T, self.n_transient
        dtype = object if self.exact else np.float64
        zero = Fraction(0) if self.exact else 0.0
        mean = np.empty(t, dtype=dtype)
        second = np.empty(t, dtype=dtype)
        nxt = np.full((T + 1, 2), zero, dtype=dtype)  # absorbing: nothing more to come
        for i in range(T, 0, -1):
            sl = stage_slice(i)
            p = self.policy.stage_success(i)
            r0, r1 = reward(i, p)
            m1 = nxt[:, 0]
            cur = backward_step(nxt, p, np.empty((i, 2), dtype=dtype))
            q = 1 - p
            cur[:, 0] += q * r0 + p * r1
            cur[:, 1] += q * r0 * r0 + p * r1 * r1 + 2 * (q * r0 * m1[:i] + p * r1 * m1[1:])
            mean[sl], second[sl] = cur[:, 0], cur[:, 1]
            nxt = cur
        var = second - mean * mean
        if not self.exact:
            np.maximum(var, 0.0, out=var)  # rounding can make a zero variance slightly negative
        return {"mean": mean, "variance": var}

    def _backward_moments_stock(self, reward):
        """:meth:`_backward_moments` on states (i, v, x): the ready branch spreads over the
        stock left, x' = y - d, through the demand kernel (docs/model.md section 11)."""
        from .space import backward_step as step

        space, T = self.space, self.T
        dtype = object if self.exact else np.float64
        zero = Fraction(0) if self.exact else 0.0
        one = Fraction(1) if self.exact else 1.0
        mean = np.empty(self.n_transient, dtype=dtype)
        second = np.empty(self.n_transient, dtype=dtype)
        F, kernel = self.policy._table(), self.policy.kernel()
        kernel_t = np.ascontiguousarray(kernel.T)
        m1 = np.full((T + 1, space.final_width), zero, dtype=dtype)
        s1 = m1.copy()
        for i in range(T, 0, -1):
            Y = np.asarray(self.policy.layer(i), dtype=np.int64)
            p = F.take(Y)
            q = one - p
            r0, r1 = reward(i, p)
            rows = np.arange(i)[:, None]
            ready_m = (m1[1 : i + 1] @ kernel_t)[rows, Y]  # E[m'; ready]
            short_m = q * m1[:i, :1]  # E[m'; short]
            cur_m = q * r0 + p * r1 + step(m1[: i + 1], Y, F, kernel, True)
            cur_s = (q * r0 * r0 + p * r1 * r1 + 2 * (r0 * short_m + r1 * ready_m)
                     + step(s1[: i + 1], Y, F, kernel, True))
            space.layer(mean, i)[...] = cur_m
            space.layer(second, i)[...] = cur_s
            m1, s1 = cur_m, cur_s
        var = second - mean * mean
        if not self.exact:
            np.maximum(var, 0.0, out=var)
        return {"mean": mean, "variance": var}

    def visit_moments(self, states=None) -> dict:
        r"""Mean and variance of the number of visits to a set of transient states, from every
        transient start state at once.

        By a backward recursion over the stages, without N: the count from (i, v) is the
        indicator of (i, v) plus the count from the next state. With every transient state in
        the set the mean is :math:`N\mathbf{1}`, the expected number of periods to absorption
        (T - i + 1 here, with variance 0: every stage is visited once). With stock carried over
        the states are (i, v, x) and a callable may take x as a fourth argument.

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
        """
        if self.policy.carries:
            return self._visit_moments_stock(states)
        pick = self._picker(states)

        def reward(i, p):
            v = np.arange(i)
            r = np.asarray(pick(i, v, self.policy.stage(i)), dtype=bool)
            r = r.astype(object) * Fraction(1) if self.exact else r.astype(np.float64)
            return r, r

        return self._backward_moments(reward)

    def _visit_moments_stock(self, states):
        import inspect

        space = self.space
        if states is None:
            mask = np.ones(self.n_transient, dtype=bool)
        elif callable(states):
            takes_x = len(inspect.signature(states).parameters) >= 4
            mask = np.empty(self.n_transient, dtype=bool)
            for i in range(1, self.T + 1):
                y = self.policy.layer(i)
                v = np.broadcast_to(np.arange(i)[:, None], y.shape)
                x = np.broadcast_to(space.stock_levels(i)[None, :], y.shape)
                m = states(i, v, y, x) if takes_x else states(i, v, y)
                space.layer(mask, i)[...] = np.broadcast_to(np.asarray(m, dtype=bool), y.shape)
        else:
            mask = np.asarray(states, dtype=bool)
            if mask.shape != (self.n_transient,):
                raise ChainError(f"states: mask must have t = {self.n_transient} entries")

        def reward(i, p):
            r = space.layer(mask, i)
            r = r.astype(object) * Fraction(1) if self.exact else r.astype(np.float64)
            return r, r

        return self._backward_moments_stock(reward)

    def remaining_ready_moments(self) -> dict:
        """Mean and variance of the number of ready periods still to come, from every transient
        start state at once (a backward recursion over the stages, without N or B).

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
        exact = self.exact
        return self._backward_moments(lambda i, p: (Fraction(0) if exact else 0.0,
                                                    Fraction(1) if exact else 1.0))

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
        """Flat mask of transient states from which the penalty is certain whatever happens:
        v + (T - i + 1) < ceil(T alpha_L)."""
        st = self.states()
        t = self.n_transient
        i, v = st["stage"][:t], st["ready_count"][:t]
        return v + (self.T - i + 1) < self.contract.penalty_count

    def bonus_secured(self) -> np.ndarray:
        """Flat mask of transient states where the bonus is already earned: v >= ceil(T alpha_U)."""
        t = self.n_transient
        v = self.states()["ready_count"][:t]
        return v >= self.contract.bonus_count

    def zero_stock(self) -> np.ndarray:
        """Flat mask of transient states where the policy adds no stock: S = 0, or, with stock
        carried over, an order-up-to level no higher than the stock on hand (y = x; docs/model.md
        section 11)."""
        if self.policy.carries:
            _, _, x = self.space.coordinates()
            return np.asarray(self.policy.stock) <= x
        return np.asarray(self.policy.stock) == 0

    def __repr__(self):
        return (f"AbsorbingChain(T={self.T}, transient={self.n_transient}, "
                f"absorbing={self.n_absorbing}, policy={self.policy.kind!r})")
