r"""Watching a running review period: from a log of the periods so far to what happens next.

Implements docs/model.md section 13. An SLA manager keeps a log of the periods observed so far
in the current review period (``period,ready[,demand]``). Its n rows give the chain's current
state :math:`(i, v)` with :math:`i = n + 1` (the next period to be stocked) and :math:`v` the
number of ready periods so far. From that state each policy's chain answers, exactly:

* the band probabilities :math:`P(v_T < T\alpha_L \mid i, v)`, the neutral band and
  :math:`P(v_T \ge T\alpha_U \mid i, v)` (the row of B from (i, v), summed over each band);
* the expected settlement :math:`E[G(v_T) \mid i, v]`, the supplier's view (a penalty is
  positive, a bonus negative);
* the stock the policy orders now, :math:`S_i(v)`;

and the contract alone gives how many of the :math:`T - i + 1` remaining periods must be ready to
avoid the penalty, :math:`\max(\lceil T\alpha_L \rceil - v, 0)`, and to earn the bonus,
:math:`\max(\lceil T\alpha_U \rceil - v, 0)` (``None`` when that exceeds the periods left), and
whether the band is already decided whatever happens.

A log of all T periods is the end state :math:`(T + 1, v)`: everything is decided and no stock is
ordered. The state is a small object (:class:`MonitorState`) and every chain query goes through
:func:`outlook`, so that a further coordinate of the state (stock carried over) changes one place;
a period's outcome is read from the log by the contract's score
(:meth:`Score.read_outcome <slamarkov.chain.score.Score.read_outcome>`). One concern, one module:
from a log to where the review period stands, with the log's rules and the report of it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from ..chain.absorbing import AbsorbingChain
from ..chain.classes import OPEN, committed_band
from ..chain.policy import Policy
from ..chain.score import ReadyCount, Score
from ..chain.space import score_of
from ..core.numbers import to_fraction
from ..errors import MonitorError
from ..io.files import open_text
from ..model.contract import BANDS
from ..model.problem import Problem
from ..solve.both import solve_policy

__all__ = [
    "LOG_COLUMNS",
    "MonitorState",
    "PeriodLog",
    "PolicyOutlook",
    "MonitorResult",
    "parse_log",
    "read_log",
    "as_log",
    "decided_band",
    "outlook",
    "monitor",
    "monitor_text",
]

#: the columns a log may have; ``period`` and the score's outcome columns (``ready`` for the
#: ready count, :attr:`Score.log_columns <slamarkov.chain.score.Score.log_columns>`) are
#: required, ``stock_on_hand`` (the stock left at the end of the period) only when stock carries
#: over, and then it is required
LOG_COLUMNS = ("period", *ReadyCount.log_columns, "demand", "stock_on_hand")


@dataclass(frozen=True)
class MonitorState:
    """The chain state of a running review period.

    Parameters
    ----------
    period : int
        :math:`i`, the next period to be stocked (periods logged + 1); ``T + 1`` once the review
        period is over.
    ready_count : int
        :math:`v`, the ready periods so far.
    stock_on_hand : int, optional
        :math:`x`, the stock carried into period i, when stock carries over
        (docs/model.md section 11); None otherwise.

    Examples
    --------
    >>> MonitorState(7, 5).chain_state, MonitorState(7, 5, 3).chain_state
    ((7, 5), (7, 5, 3))
    """

    period: int
    ready_count: int
    stock_on_hand: int | None = None

    def __repr__(self):
        x = "" if self.stock_on_hand is None else f", stock_on_hand={self.stock_on_hand}"
        return f"MonitorState(period={self.period}, ready_count={self.ready_count}{x})"

    @property
    def chain_state(self) -> tuple:
        """The state as the chain's row queries take it: (i, v), or (i, v, x)."""
        if self.stock_on_hand is None:
            return (self.period, self.ready_count)
        return (self.period, self.ready_count, self.stock_on_hand)

    def to_dict(self) -> dict:
        """The JSON ``state`` object.

        Examples
        --------
        >>> MonitorState(7, 5).to_dict(), MonitorState(7, 5, 3).to_dict()["stock_on_hand"]
        ({'period': 7, 'ready_count': 5}, 3)
        """
        out = {"period": self.period, "ready_count": self.ready_count}
        if self.stock_on_hand is not None:
            out["stock_on_hand"] = self.stock_on_hand
        return out


@dataclass(frozen=True)
class PeriodLog:
    """The validated periods of a running review period (build it with :func:`read_log` or
    :func:`parse_log`).

    Attributes
    ----------
    ready : tuple
        The outcome of each period 1..n as the contract's score reads it from the log: ready
        (1) or short (0) for the ready count (:meth:`Score.read_outcome
        <slamarkov.chain.score.Score.read_outcome>`).
    demand : tuple
        The logged demand of each period (``None`` where not logged).
    source : str
        Where the log came from (a file name), for messages.
    stock_on_hand : tuple or None
        With stock carried over: the stock left at the end of each period (carried into the
        next), and ``initial_stock`` the stock at the start of period 1.
    initial_stock : int or None
    score : Score, optional
        The score that read the outcomes (default the ready count).
    """

    ready: tuple
    demand: tuple
    source: str = "<log>"
    stock_on_hand: tuple | None = None
    initial_stock: int | None = None
    score: Score | None = field(default=None, repr=False, compare=False)

    @property
    def n_periods(self) -> int:
        return len(self.ready)

    @property
    def state(self) -> MonitorState:
        """(i, v) = (periods logged + 1, ready periods logged): the score's coordinates after
        the logged outcomes, with the stock on hand when stock carries over.

        Examples
        --------
        >>> PeriodLog((1, 1, 0), (None,) * 3).state
        MonitorState(period=4, ready_count=2)
        """
        score = self.score if self.score is not None else ReadyCount(self.n_periods)
        coords = score.logged(self.ready)
        if self.stock_on_hand is None:
            return MonitorState(self.n_periods + 1, *coords)
        x = self.stock_on_hand[-1] if self.stock_on_hand else self.initial_stock
        return MonitorState(self.n_periods + 1, *coords, x)


@dataclass(frozen=True)
class PolicyOutlook:
    """What one policy makes of the rest of the review period from the current state.

    Probabilities are fractions (not percent); in exact mode they and the settlement are
    :class:`~fractions.Fraction`.

    Attributes
    ----------
    p_penalty, p_neutral, p_bonus
        The probabilities of ending the review period in each band.
    expected_settlement
        :math:`E[G(v_T) \\mid i, v]`, the supplier's view: a penalty counts positive, a bonus
        negative.
    stock_now
        :math:`S_i(v)`, the stock the policy orders in period i (``None`` at the end state).
    needed_for_no_penalty, needed_for_bonus : int or None
        How many of the remaining periods must be ready: 0 when already secured, ``None`` when
        no longer possible.
    """

    p_penalty: object
    p_neutral: object
    p_bonus: object
    expected_settlement: object
    stock_now: object
    needed_for_no_penalty: int | None
    needed_for_bonus: int | None

    def to_dict(self) -> dict:
        """The JSON ``dynamic`` / ``static`` object (probabilities and settlement as floats).

        Examples
        --------
        >>> from fractions import Fraction
        >>> PolicyOutlook(Fraction(1, 4), Fraction(1, 2), Fraction(1, 4), Fraction(5), 3, 2,
        ...               None).to_dict()["p_penalty"]
        0.25
        """

        def num(x):
            return float(x) if isinstance(x, Fraction) else x

        return {
            "p_penalty": float(self.p_penalty),
            "p_neutral": float(self.p_neutral),
            "p_bonus": float(self.p_bonus),
            "expected_settlement": float(self.expected_settlement),
            "stock_now": num(self.stock_now),
            "needed_for_no_penalty": self.needed_for_no_penalty,
            "needed_for_bonus": self.needed_for_bonus,
        }


@dataclass(frozen=True)
class MonitorResult:
    """Where a running review period stands, under the dynamic and the static policy.

    The fields are those of the ``monitor --format json`` document (:meth:`to_dict`).

    Attributes
    ----------
    state : MonitorState
    decided : {"penalty", "neutral", "bonus"} or None
        The band the review period ends in whatever happens from here, or ``None`` while it is
        open.
    dynamic, static : PolicyOutlook
    """

    state: MonitorState
    decided: str | None
    dynamic: PolicyOutlook
    static: PolicyOutlook

    def to_dict(self) -> dict:
        """The JSON document: ``state``, ``decided``, ``dynamic``, ``static``.

        Examples
        --------
        >>> from slamarkov import Contract, Poisson, Problem
        >>> doc = monitor(Problem(Contract.study(10), Poisson(5), 0.5), [0, 0, 0]).to_dict()
        >>> doc["state"], doc["decided"], doc["dynamic"]["needed_for_no_penalty"]
        ({'period': 4, 'ready_count': 0}, 'penalty', None)
        """
        return {
            "state": self.state.to_dict(),
            "decided": self.decided,
            "dynamic": self.dynamic.to_dict(),
            "static": self.static.to_dict(),
        }


# -- reading a log -------------------------------------------------------------------------------
def _row_error(source, line, period, rule):
    where = f"{source} line {line}" + (f" (period {period})" if period is not None else "")
    return MonitorError(f"{where}: {rule}")


def _parse_demand(text, line, k, short, describe, problem, source):
    demand = problem.demand
    try:
        # bounded before it is converted: Fraction("1e999999999") would expand the exponent
        d = to_fraction(text, "demand", ValueError)
    except (ValueError, ZeroDivisionError) as exc:
        rule = str(exc).removeprefix("demand: ")
        if "must be a number" in rule or not text.strip():
            rule = f"must be a number, got {_shown(text)}"
        raise _row_error(source, line, k, f"demand {rule}") from None
    if d < 0:
        raise _row_error(source, line, k, f"demand must be >= 0, got {text}")
    if demand.discrete and d.denominator != 1:
        raise _row_error(source, line, k,
                         f"demand must be an integer ({demand.describe()} demand), got {text}")
    if d > demand.upper:
        raise _row_error(source, line, k, f"demand {text} is above the largest demand of "
                         f"{demand.describe()} ({demand.upper:g}), so it cannot occur")
    if short and d == 0:
        raise _row_error(source, line, k, f"{describe(short)} but demand is 0: stock is never "
                         "negative, so a period without demand is ready")
    return int(d) if d.denominator == 1 else float(d)


def _shown(text: str) -> str:
    """A cell as a message quotes it: at most 40 characters of it."""
    return repr(text) if len(text) <= 40 else f"{text[:40]!r}... ({len(text):,} characters)"


def _validate(rows, header, problem: Problem, source: str, max_stock=None) -> PeriodLog:
    """Check every row of a log: periods 1..n in order, ready 0/1, demand consistent, and with
    stock carried over a stock on hand the chain can reach. ``rows`` is read lazily: the log is
    refused at row T + 1, before any row after it is read."""
    T = problem.review_period
    score = score_of(problem)
    outcomes, demand = [], []
    has_demand = "demand" in header
    carry = problem.carries
    on_hand = [] if carry else None
    previous = problem.initial_stock
    for k, (line, row) in enumerate(rows, start=1):
        if carry and "stock_on_hand" not in header:
            raise MonitorError(f"{source}: missing column 'stock_on_hand': stock carries over, so "
                               "the state needs the stock left at the end of each period")
        if len(row) != len(header):
            raise _row_error(source, line, None, f"expected {len(header)} fields "
                             f"({','.join(header)}), got {len(row)}")
        rec = dict(zip(header, (x.strip() for x in row)))
        text = rec["period"]
        try:
            period = int(text) if len(text) <= 20 else None
        except ValueError:
            period = None
        if period is None:
            raise _row_error(source, line, None,
                             f"period must be an integer, got {_shown(text)}") from None
        if period != k:
            if 1 <= period < k:
                rule = f"period {period} is repeated (periods run 1, 2, ... in order, once each)"
            else:
                rule = (f"period must be {k} here (periods run 1, 2, ... in order, once each), "
                        f"got {period}")
            raise _row_error(source, line, None, rule)
        if k > T:
            raise _row_error(source, line, k, f"the log is longer than the review period "
                             f"(T = {T} periods)")
        try:
            outcome = score.read_outcome(rec)
        except ValueError as exc:
            raise _row_error(source, line, k, str(exc)) from None
        short = score.short(outcome)
        d = None
        if has_demand and rec["demand"] != "":
            d = _parse_demand(rec["demand"], line, k, short, _outcome_text(score, rec), problem,
                              source)
        if carry:
            x = _parse_on_hand(rec["stock_on_hand"], line, k, short, d, previous, max_stock,
                               source)
            on_hand.append(x)
            previous = x
        outcomes.append(outcome)
        demand.append(d)
    if carry:
        return PeriodLog(tuple(outcomes), tuple(demand), source, tuple(on_hand),
                         int(problem.initial_stock), score=score)
    return PeriodLog(tuple(outcomes), tuple(demand), source, score=score)


def _outcome_text(score, rec):
    """How a row's outcome reads in a message, e.g. "ready is 0"."""
    def describe(short):
        return ", ".join(f"{c} is {rec[c]}" for c in score.log_columns)
    return describe


def _parse_on_hand(text, line, k, short, d, previous, max_stock, source):
    """The stock left at the end of period k, checked against what the chain can reach: an
    integer in the stock range, 0 after a short period, and y = x + d >= the stock carried in
    when the demand is logged (docs/model.md section 11)."""
    try:
        x = int(text) if len(text) <= 20 else None
    except ValueError:
        x = None
    if x is None:
        raise _row_error(source, line, k, f"stock_on_hand must be an integer >= 0, got "
                         f"{_shown(text)}") from None
    if x < 0:
        raise _row_error(source, line, k, f"stock_on_hand must be an integer >= 0, got {text}")
    if short and x != 0:
        raise _row_error(source, line, k, f"stock_on_hand {x} after a short period: demand "
                         "above the stock leaves nothing on hand")
    if max_stock is not None and x > max_stock:
        raise _row_error(source, line, k, f"stock_on_hand {x} is above the stock range "
                         f"0..{max_stock} (no order goes above it)")
    if d is not None and not short and x + d < previous:
        raise _row_error(source, line, k, f"stock_on_hand {x} with demand {d} means an "
                         f"order-up-to level of {x + d}, below the {previous} units carried "
                         "in; stock carries over, so the order is at least what is on hand")
    if d is not None and not short and max_stock is not None and x + d > max_stock:
        raise _row_error(source, line, k, f"stock_on_hand {x} with demand {d} means an "
                         f"order-up-to level of {x + d}, above the stock range 0..{max_stock}")
    return x


def parse_log(text: str, problem: Problem, source: str = "<log>", *,
              max_stock=None) -> PeriodLog:
    """Validate the text of a log (CSV with a header ``period,ready[,demand]``).

    Parameters
    ----------
    text : str
        One row per period observed so far; ``period`` runs 1, 2, ... in order, ``ready`` is 0
        or 1, and the optional ``demand`` (a cell may be empty) is a non-negative number that
        the demand model can produce (an integer for discrete demand). A row with demand 0
        cannot be short. With stock carried over a column ``stock_on_hand`` is required: the
        stock left at the end of each period (0 after a short period; with the demand logged,
        stock plus demand is the order, at least the stock carried in). Blank lines are
        ignored; a header alone is an empty log.
    problem : Problem
        Gives the review period T and the demand model.
    source : str
        Named in error messages.
    max_stock : int, optional
        The top of the stock range (stock on hand above it is refused).

    Returns
    -------
    PeriodLog

    Raises
    ------
    MonitorError
        One line naming the row (line number and period) and the rule it breaks: a missing or
        unknown column, a period out of order or repeated, more than T rows, a ready value other
        than 0/1, an impossible demand, a ``stock_on_hand`` column when stock does not carry
        over (or none when it does), or a stock on hand the chain cannot reach.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem
    >>> prob = Problem(Contract.study(10), Poisson(5), 0.5)
    >>> parse_log("period,ready\\n1,1\\n2,0\\n3,1\\n", prob).state
    MonitorState(period=4, ready_count=2)
    >>> parse_log("period,ready\\n1,1\\n1,0\\n", prob)
    Traceback (most recent call last):
    ...
    slamarkov.errors.MonitorError: <log> line 3: period 1 is repeated (periods run 1, 2, ... in order, once each)
    """
    return _parse_lines(io.StringIO(text.removeprefix("\ufeff")), problem, source, max_stock)


#: the longest line of a log that is read (a row of a few numbers is tens of characters);
#: the csv module refuses a field above 131,072 characters on its own
MAX_LOG_LINE = 1 << 20
#: blank lines a log may hold beyond its rows (they are skipped, but not without end)
MAX_BLANK_LINES = 10_000


def _bounded_lines(lines, source):
    """The lines of a log, each read with a bound on its length."""
    readline = getattr(lines, "readline", None)
    if readline is None:
        yield from lines
        return
    n = 0
    while True:
        line = readline(MAX_LOG_LINE + 1)
        if not line:
            return
        n += 1
        if len(line) > MAX_LOG_LINE:
            raise MonitorError(f"{source} line {n}: longer than {MAX_LOG_LINE:,} characters; a "
                               "log row is period,ready[,demand][,stock_on_hand]")
        yield line


def _parse_lines(lines, problem: Problem, source: str, max_stock=None) -> PeriodLog:
    """:func:`parse_log` on a text stream, read row by row: a log is refused at its row T + 1
    (or at a line or field too long, or too many blank lines) without reading further."""
    reader = csv.reader(_bounded_lines(lines, source))

    def numbered():
        blank = 0
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                reason = str(exc)
                if "field larger than field limit" in reason:
                    reason = f"a field is longer than {csv.field_size_limit():,} characters"
                raise MonitorError(f"{source} line {reader.line_num}: not a CSV row ({reason})"
                                   ) from None
            if not row or all(not x.strip() for x in row):
                blank += 1
                if blank > MAX_BLANK_LINES:
                    raise MonitorError(f"{source} line {reader.line_num}: more than "
                                       f"{MAX_BLANK_LINES:,} blank lines")
                continue
            yield reader.line_num, row

    rows = numbered()
    first = next(rows, None)
    if first is None:
        raise MonitorError(f"{source}: empty; the first line must be the header "
                           "period,ready[,demand]")
    line, row = first
    header = [x.strip() for x in row]
    _check_header(header, source, line, problem.carries, score_of(problem))
    return _validate(rows, header, problem, source, max_stock)


def _check_header(header, source, line, carry, score):
    outcome = list(score.log_columns)
    shape = ",".join(["period", *outcome]) + ("" if "demand" in outcome else "[,demand]")
    for name in header:
        if name == "stock_on_hand" and not carry:
            raise MonitorError(
                f"{source} line {line}: column stock_on_hand needs stock carried over "
                "([inventory] leftover = \"carry\" in the contract file); this contract discards "
                "leftover stock, so the state has no stock on hand")
        if name not in ("period", *outcome, "demand", "stock_on_hand"):
            raise MonitorError(f"{source} line {line}: unknown column {_shown(name)} (the header is "
                               f"{shape})")
        if header.count(name) > 1:
            raise MonitorError(f"{source} line {line}: column {name!r} appears twice")
    for name in ("period", *outcome):
        if name not in header:
            raise MonitorError(f"{source} line {line}: missing column {name!r} (the header is "
                               f"{shape})")


def read_log(path, problem: Problem, *, max_stock=None) -> PeriodLog:
    """Read and validate a log file (see :func:`parse_log` for the format and the rules).

    Raises
    ------
    MonitorError
        On a file that cannot be read, or a row that breaks a rule.

    Examples
    --------
    >>> import os, tempfile
    >>> from slamarkov import Contract, Poisson, Problem
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = os.path.join(d, "log.csv")
    ...     with open(path, "w") as fh:
    ...         _ = fh.write("period,ready,demand\\n1,1,4\\n2,0,11\\n")
    ...     read_log(path, Problem(Contract.study(10), Poisson(5), 0.5)).state
    MonitorState(period=3, ready_count=1)
    """
    p = Path(path)
    with open_text(p, "a log file", MonitorError, encoding="utf-8-sig", newline="") as fh:
        return _parse_lines(fh, problem, str(p), max_stock=max_stock)


def as_log(log, problem: Problem, max_stock=None) -> PeriodLog:
    """A checked :class:`PeriodLog` from a log file's path, a :class:`PeriodLog` (checked again
    against ``problem``) or a sequence of 0/1 ready values (with stock carried over, of
    (ready, stock_on_hand) pairs).

    Raises
    ------
    MonitorError
        As :func:`parse_log`: one line naming the row and the rule.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem
    >>> as_log([1, 0, 1], Problem(Contract.study(10), Poisson(5), 0.5)).state
    MonitorState(period=4, ready_count=2)
    """
    if isinstance(log, PeriodLog):
        if log.n_periods > problem.review_period:
            raise MonitorError(f"{log.source}: the log is longer than the review period "
                               f"(T = {problem.review_period} periods)")
        if problem.carries and log.stock_on_hand is None:
            raise MonitorError(f"{log.source}: no stock_on_hand: stock carries over, so the "
                               "state needs the stock left at the end of each period")
        if problem.carries and max_stock is not None:
            for k, x in enumerate(log.stock_on_hand, start=1):
                if x > max_stock:
                    raise MonitorError(f"{log.source} (period {k}): stock_on_hand {x} is above "
                                       f"the stock range 0..{max_stock} (no order goes above it)")
        return log
    if isinstance(log, (str, Path)):
        return read_log(log, problem, max_stock=max_stock)
    # a sequence of ready values, e.g. [1, 1, 0]
    try:
        values = list(log)
    except TypeError:
        raise MonitorError("log: must be a file path, a PeriodLog or a sequence of 0/1 "
                           "ready values") from None
    if problem.carries:
        # (ready, stock_on_hand) pairs
        try:
            rows = [(k, [str(k), str(int(r)), str(x)]) for k, (r, x) in enumerate(values, 1)]
        except (TypeError, ValueError):
            raise MonitorError("log: with stock carried over, give (ready, stock_on_hand) pairs, "
                               "a PeriodLog or a file") from None
        return _validate(rows, ["period", "ready", "stock_on_hand"], problem, "log", max_stock)
    rows = [(k, [str(k), "1" if x is True else "0" if x is False else str(x)])
            for k, x in enumerate(values, start=1)]
    return _validate(rows, ["period", "ready"], problem, "log")


# -- the outlook from a state ---------------------------------------------------------------------
def _needed(problem: Problem, state: MonitorState):
    """Ready periods still needed to avoid the penalty and to earn the bonus (None: impossible)."""
    c = problem.contract
    left = problem.review_period - state.period + 1
    out = []
    for count in (c.penalty_count, c.bonus_count):
        need = max(count - state.ready_count, 0)
        out.append(need if need <= left else None)
    return tuple(out)


def decided_band(problem: Problem, state: MonitorState) -> str | None:
    """The band the review period ends in whatever happens from ``state``, or None.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem
    >>> prob = Problem(Contract.study(10), Poisson(5), 0.5)   # penalty below 8, bonus from 9
    >>> [decided_band(prob, MonitorState(i, v)) for i, v in ((8, 2), (10, 9), (6, 5), (11, 8))]
    ['penalty', 'bonus', None, 'neutral']
    """
    band = int(committed_band(problem.contract, state.period, state.ready_count))
    return None if band == OPEN else BANDS[band + 1]


def outlook(policy: Policy, state: MonitorState) -> PolicyOutlook:
    r"""One policy's outlook from a state: band probabilities, expected settlement, stock now.

    The one place the monitor asks the chain: the row of B from the state
    (:meth:`AbsorbingChain.absorption`), summed over the bands and against :math:`G(v)`.

    Parameters
    ----------
    policy : Policy
    state : MonitorState

    Returns
    -------
    PolicyOutlook

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem, solve_dynamic
    >>> pol = solve_dynamic(Problem(Contract.study(10), Poisson(5), 0.5), max_stock=40).policy
    >>> out = outlook(pol, MonitorState(6, 4))
    >>> round(out.p_bonus, 4), out.stock_now, out.needed_for_bonus
    (0.9334, 10, 5)
    """
    problem = policy.problem
    chain = AbsorbingChain(policy)
    dist = chain.ready_rate(state.chain_state)
    i, v = state.period, state.ready_count
    stock = policy.stock_at(i, v, state.stock_on_hand) if i <= problem.review_period else None
    no_penalty, bonus = _needed(problem, state)
    return PolicyOutlook(
        p_penalty=dist.p_penalty,
        p_neutral=dist.p_neutral,
        p_bonus=dist.p_bonus,
        expected_settlement=dist.expected_settlement(),
        stock_now=stock,
        needed_for_no_penalty=no_penalty,
        needed_for_bonus=bonus,
    )


def monitor(problem: Problem, log=(), *, max_stock=None, exact: bool = False,
            dynamic: Policy | None = None, static: Policy | None = None) -> MonitorResult:
    r"""Where a running review period stands: the state its log reaches and both policies'
    outlook from there (docs/model.md section 13).

    Parameters
    ----------
    problem : Problem
    log : path, PeriodLog or sequence of 0/1, default ()
        The periods observed so far (empty: the start of the review period).
    max_stock, exact
        Solver settings, as for :func:`~slamarkov.solve.solve_dynamic`.
    dynamic, static : Policy, optional
        Already-solved policies (otherwise both are solved here).

    Returns
    -------
    MonitorResult

    Raises
    ------
    MonitorError
        On an invalid log.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem
    >>> prob = Problem(Contract.study(10), Poisson(5), 0.5)
    >>> res = monitor(prob, [1, 1, 0, 1, 1, 1], max_stock=40)
    >>> res.state, res.decided
    (MonitorState(period=7, ready_count=5), None)
    >>> res.dynamic.needed_for_no_penalty, res.dynamic.needed_for_bonus
    (3, 4)
    >>> round(res.dynamic.p_penalty, 4), round(res.static.p_penalty, 4)
    (0.0011, 0.0254)
    """
    if not isinstance(problem, Problem):
        raise MonitorError("problem: must be a slamarkov.Problem")
    if dynamic is None:
        dynamic = solve_policy(problem, "dynamic", max_stock=max_stock, exact=exact).policy
    if static is None:
        static = solve_policy(problem, "static", max_stock=max_stock, exact=exact).policy
    # with carry-over the stock on hand must lie in the policies' range
    top = dynamic.space.max_stock if dynamic.carries else None
    if top is not None and static.carries:
        top = min(top, static.space.max_stock)
    state = as_log(log, problem, top).state
    return MonitorResult(state, decided_band(problem, state), outlook(dynamic, state),
                         outlook(static, state))


# -- text -------------------------------------------------------------------------------------------
def _pct(p) -> str:
    return f"{100 * float(p):.4f}%"


def _needed_text(need, left, what, impossible):
    if need is None:
        return f"impossible ({impossible})"
    if need == 0:
        return f"0 (already {what})"
    return f"{need} of the {left} periods left"


def monitor_text(result: MonitorResult, problem: Problem) -> str:
    """A short readable report of a :class:`MonitorResult`.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem
    >>> prob = Problem(Contract.study(10), Poisson(5), 0.5)
    >>> print(monitor_text(monitor(prob, [1] * 9, max_stock=40), prob).splitlines()[1])
    state (i, v) = (10, 9): next period 10 of 10, 9 of 9 periods logged ready
    """
    T = problem.review_period
    s = result.state
    left = T - s.period + 1
    logged = s.period - 1
    coords = ("(i, v)", f"({s.period}, {s.ready_count})") if s.stock_on_hand is None else \
        ("(i, v, x)", f"({s.period}, {s.ready_count}, {s.stock_on_hand})")
    head = (f"state {coords[0]} = {coords[1]}: "
            + (f"next period {s.period} of {T}" if left else f"review period over (T = {T})")
            + f", {s.ready_count} of {logged} periods logged ready"
            + ("" if s.stock_on_hand is None else f", {s.stock_on_hand} units on hand"))
    d, st = result.dynamic, result.static
    decided = ("undecided" if result.decided is None
               else f"decided: {result.decided}" + (" (whatever happens)" if left else ""))
    lines = [problem.contract.describe(), head, f"outcome: {decided}",
             "ready periods needed: to avoid the penalty "
             + _needed_text(d.needed_for_no_penalty, left, "secured", "the penalty is certain")
             + "; for the bonus "
             + _needed_text(d.needed_for_bonus, left, "earned", "too few periods left"),
             "", f"{'from here':28}{'dynamic':>14}{'static':>14}"]

    def stock(x):
        return "-" if x is None else f"{float(x):g}"

    rows = [
        ("P(penalty)", _pct(d.p_penalty), _pct(st.p_penalty)),
        ("P(neutral)", _pct(d.p_neutral), _pct(st.p_neutral)),
        ("P(bonus)", _pct(d.p_bonus), _pct(st.p_bonus)),
        ("expected settlement", f"{float(d.expected_settlement):.6g}",
         f"{float(st.expected_settlement):.6g}"),
    ]
    if s.stock_on_hand is None:  # leftover stock is discarded: the stock is all ordered now
        rows.append(("order now (none on hand)", stock(d.stock_now), stock(st.stock_now)))
    else:
        x = s.stock_on_hand

        def order(y):
            return "-" if y is None else f"{float(y) - float(x):g}"

        rows += [("order up to", stock(d.stock_now), stock(st.stock_now)),
                 (f"{x:g} on hand: order", order(d.stock_now), order(st.stock_now))]
    for label, a, b in rows:
        lines.append(f"{label:28}{a:>14}{b:>14}")
    lines.append("(settlement: what the supplier pays at the end; a bonus counts negative)")
    return "\n".join(lines)
