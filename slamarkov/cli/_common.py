"""Conventions shared by the subcommands, so that every command speaks with one voice.

- The contract FILE and the flags that override its fields (:func:`add_problem_arguments`,
  :func:`config_from_args`). ``--penalty`` and ``--bonus`` are amounts per review period
  everywhere; ``--penalty-per-period X`` and ``--bonus-per-period X`` give them per period
  (L = X T); both forms for one amount are refused.
- Messages: ``slamarkov COMMAND: error: ...`` (one line, exit code 2), ``slamarkov COMMAND:
  warning: ...`` and ``slamarkov COMMAND: note: ...``, all on standard error (:func:`warn`,
  :func:`note`; :data:`PROG` is the running command's name).
- ``--out PATH``: the format comes from the suffix where a command has several
  (:func:`out_format`); a suffix the command cannot write is refused; on success one line
  ``wrote PATH`` goes to standard output (:func:`emit`, :func:`wrote`).
- Text reports give rates and probabilities in percent, labelled ``%``; JSON and CSV keep
  fractions (:func:`percent`).
- Every long command takes ``--progress`` / ``--no-progress`` (default: a bar when standard
  error is a terminal; :func:`add_progress_arguments`), and every parallel one ``--workers N``
  and ``--scheduler ADDRESS`` (:func:`add_workers_arguments`). A deprecated flag still works and
  prints one warning line naming its new name (:func:`deprecated`).
"""

from __future__ import annotations

import json
import sys
from fractions import Fraction
from pathlib import Path

from ..errors import ConfigError, OutputError
from ..io.atomic import atomic_write, check_output
from ..model.config import Config, load_config, parse_demand_spec
from ..model.problem import Problem

__all__ = ["add_problem_arguments", "config_from_args", "emit", "wrote", "warn", "note",
           "out_format", "add_out_argument", "percent", "PROG", "positive_int",
           "add_workers_arguments", "workers_option", "add_progress_arguments",
           "progress_option", "deprecated"]

#: the running command, e.g. "slamarkov solve" (set by :func:`slamarkov.cli.main`)
PROG = "slamarkov"

#: flag -> (dotted key, type, help)
_OVERRIDES = {
    "--review-period": ("contract.review_period", int, "T, periods per review period"),
    "--penalty-threshold": ("contract.penalty_threshold", str, "alpha_L, e.g. 0.8"),
    "--bonus-threshold": ("contract.bonus_threshold", str, "alpha_U, e.g. 0.9"),
    "--scheme": ("contract.scheme", str, "lump-sum or linear"),
    "--measure": ("contract.measure", str, "ready-rate (default) or fill-rate"),
    "--penalty": ("contract.penalty", str,
                  "L-, the penalty per review period (0: none); per period: --penalty-per-period"),
    "--bonus": ("contract.bonus", str,
                "L+, the bonus per review period (0: none); per period: --bonus-per-period"),
    "--holding": ("costs.holding", str, "h, holding cost per leftover unit"),
    "--purchase": ("costs.purchase", str, "c, purchase cost per unit ordered"),
    "--salvage": ("costs.salvage", str, "s, value of a unit on hand after period T (carry)"),
    "--leftover": ("inventory.leftover", str, "discard (the study) or carry"),
    "--initial-stock": ("inventory.initial_stock", str, "x1, stock on hand at period 1"),
    "--max-stock": ("solver.max_stock", int, "top of the stock range 0..max_stock"),
}

#: per-period flag -> (dest, the per-review-period flag it replaces, contract key)
PER_PERIOD = {
    "--penalty-per-period": ("penalty_per_period", "--penalty", "contract.penalty"),
    "--bonus-per-period": ("bonus_per_period", "--bonus", "contract.bonus"),
}


def add_per_period_arguments(group) -> None:
    """Add ``--penalty-per-period`` and ``--bonus-per-period`` (L = X T) to a parser or group."""
    for flag, (dest, whole, _key) in PER_PERIOD.items():
        group.add_argument(flag, dest=dest, default=None, metavar="X",
                           help=f"{whole[2:]} per period: L = X*T (instead of {whole})")


def per_period_amounts(args, review_period: int, whole=None) -> dict:
    """``{contract key: X * T}`` for the per-period flags given; refuses both forms of one amount.

    ``whole`` maps each per-review-period flag to its value (default: read from ``args``).
    """
    from ..core.numbers import to_fraction

    out = {}
    for flag, (dest, whole_flag, key) in PER_PERIOD.items():
        x = getattr(args, dest, None)
        if x is None:
            continue
        given = whole.get(whole_flag) if whole is not None else getattr(args, key, None)
        if given is not None:
            raise ConfigError(f"{flag}: give {whole_flag} (per review period) or {flag} "
                              f"(per period, L = X*T), not both")
        amount = to_fraction(x, flag, ConfigError)
        if amount < 0:
            raise ConfigError(f"{flag}: must be >= 0, got {x}")
        out[key] = amount * review_period
    return out


def add_problem_arguments(parser, file_required: bool = True) -> None:
    """The contract FILE and the override flags."""
    if file_required:
        parser.add_argument("file", metavar="FILE", help="contract file (TOML)")
    group = parser.add_argument_group("override fields of the contract file")
    for flag, (key, typ, help_) in _OVERRIDES.items():
        group.add_argument(flag, dest=key, type=typ, default=None, metavar="X", help=help_)
    add_per_period_arguments(group)
    group.add_argument(
        "--demand", dest="demand_spec", default=None, metavar="KIND:PARAMS",
        help="demand, e.g. poisson:5, normal:15,5, uniform:0,10, empirical:0.2,0.5,0.3",
    )
    group.add_argument("--exact", dest="solver.exact", action="store_const", const=True,
                       default=None, help="exact rational arithmetic (rational demand only)")


def config_from_args(args, measures=("ready-rate",), *, customers: bool = False) -> Config:
    """Load the contract file with the command line's overrides; a file with several customers
    only where the command takes one (``customers``), and a contract whose measure the command
    does not handle (``measures``) refused in one line."""
    cfg = _config_from_args(args, customers=customers)
    measure = getattr(getattr(cfg.problem, "contract", None), "measure", "ready-rate")
    if measure not in measures:
        raise ConfigError(f"contract.measure: {PROG} handles {', '.join(measures)} contracts, "
                          f"got {measure!r} (solve, chain, simulate, validate and monitor handle "
                          "fill-rate ones)")
    return cfg


def _config_from_args(args, *, customers: bool = False) -> Config:
    overrides = {key: getattr(args, key, None) for key, *_ in _OVERRIDES.values()}
    overrides["solver.exact"] = getattr(args, "solver.exact", None)
    if args.demand_spec is not None:
        overrides["demand"] = parse_demand_spec(args.demand_spec)
    if any(getattr(args, dest, None) is not None for dest, *_ in PER_PERIOD.values()):
        # the per-period amounts need T, which the file or --review-period gives
        T = load_config(args.file, overrides).problem.review_period
        overrides.update(per_period_amounts(args, T))
    config = load_config(args.file, overrides)
    if not customers and not isinstance(config.problem, Problem):
        raise ConfigError("customer: this command takes one customer (a [demand] table); files "
                          "with [[customer]] tables go to solve, simulate, validate, chain "
                          "--from and monitor")
    if (isinstance(config.problem, Problem) and config.exact
            and not config.problem.demand.rational):
        # the API's message names its keyword (exact=False); here the user typed a flag or a key
        field, undo = (("--exact", "leave out --exact") if overrides["solver.exact"]
                       else ("solver.exact", "set solver.exact = false"))
        raise ConfigError(f"{field}: demand {config.problem.demand.describe()} has no rational "
                          "probabilities; use discrete-uniform, uniform or empirical demand, or "
                          f"{undo}")
    return config


def _message(kind: str, text: str) -> None:
    print(f"{PROG}: {kind}: {text}", file=sys.stderr)


def warn(text: str) -> None:
    """One ``slamarkov COMMAND: warning: ...`` line on standard error."""
    _message("warning", text)


def note(text: str) -> None:
    """One ``slamarkov COMMAND: note: ...`` line on standard error."""
    _message("note", text)


def deprecated(old: str, new: str) -> None:
    """The one warning line of a deprecated flag, e.g. ``--jobs is deprecated; use --workers``.

    Examples
    --------
    >>> import contextlib, io
    >>> with contextlib.redirect_stderr(io.StringIO()) as err:
    ...     deprecated("--jobs", "--workers")
    >>> err.getvalue().endswith(": warning: --jobs is deprecated; use --workers\\n")
    True
    """
    warn(f"{old} is deprecated; use {new}")


def positive_int(text) -> int:
    """An argparse type: an integer >= 1.

    Examples
    --------
    >>> positive_int("3")
    3
    """
    import argparse

    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}")
    return n


def add_workers_arguments(group, *, jobs_alias: bool = False,
                          default: str = "one per core") -> None:
    """``--workers N`` and ``--scheduler ADDRESS``: where the work runs
    (:class:`~slamarkov.core.executor.Executor`); with ``jobs_alias`` also ``--jobs N``, the
    deprecated name of ``--workers``.

    Examples
    --------
    >>> import argparse
    >>> p = argparse.ArgumentParser()
    >>> add_workers_arguments(p, jobs_alias=True)
    >>> workers_option(p.parse_args(["--workers", "2"]))
    (2, None)
    """
    names = group.add_mutually_exclusive_group()
    names.add_argument("--workers", type=positive_int, default=None, metavar="N",
                       help=f"local worker processes (default: {default}; 1 runs in this "
                       "process)")
    if jobs_alias:
        names.add_argument("--jobs", type=positive_int, default=None, metavar="N",
                           help="deprecated: use --workers")
    group.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run on a running Dask distributed scheduler, e.g. tcp://host:8786 "
                       "(needs the 'distributed' extra; workers need slamarkov installed); "
                       "connecting, its first answer included, times out after 10 s")


def workers_option(args):
    """``(workers, scheduler)`` from :func:`add_workers_arguments`'s flags: ``--jobs`` warns and
    stands for ``--workers``; ``--workers`` with ``--scheduler`` is refused.

    Examples
    --------
    >>> import argparse
    >>> p = argparse.ArgumentParser()
    >>> add_workers_arguments(p)
    >>> workers_option(p.parse_args(["--scheduler", "tcp://host:8786"]))
    (None, 'tcp://host:8786')
    >>> workers_option(p.parse_args(["--scheduler", "tcp://host:8786", "--workers", "2"]))
    Traceback (most recent call last):
    ...
    slamarkov.errors.ConfigError: --workers: give --workers or --scheduler, not both
    """
    workers = args.workers
    if getattr(args, "jobs", None) is not None:
        deprecated("--jobs", "--workers")
        workers = args.jobs
    if args.scheduler is not None and workers is not None:
        raise ConfigError("--workers: give --workers or --scheduler, not both")
    return workers, args.scheduler


def add_progress_arguments(parser, *, quiet_alias: bool = False,
                           default: str = "when standard error is a terminal") -> None:
    """``--progress`` / ``--no-progress``: a progress bar on standard error always or never
    (by default ``default``); with ``quiet_alias`` also ``--quiet``, the deprecated name of
    ``--no-progress``.

    Examples
    --------
    >>> import argparse
    >>> p = argparse.ArgumentParser()
    >>> add_progress_arguments(p)
    >>> p.parse_args(["--progress"]).progress, p.parse_args([]).progress
    (True, None)
    """
    bar = parser.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_const", const=True,
                     default=None, help="always show a progress bar on standard error")
    bar.add_argument("--no-progress", dest="progress", action="store_const", const=False,
                     help=f"never show it (default: shown {default})")
    if quiet_alias:
        bar.add_argument("--quiet", action="store_true", help="deprecated: use --no-progress")


def progress_option(args):
    """None (a bar on a terminal), True or False from :func:`add_progress_arguments`'s flags;
    ``--quiet`` warns and stands for ``--no-progress``.

    Examples
    --------
    >>> import argparse
    >>> p = argparse.ArgumentParser()
    >>> add_progress_arguments(p, quiet_alias=True)
    >>> progress_option(p.parse_args(["--no-progress"])), progress_option(p.parse_args([]))
    (False, None)
    """
    if getattr(args, "quiet", False):
        deprecated("--quiet", "--no-progress")
        return False
    return args.progress


def wrote(path) -> None:
    """The one line a command prints on standard output after writing ``path``."""
    print(f"wrote {path}", flush=True)


#: the types json_text writes on one line within a list (anything else is a nested block)
_SCALARS = {int, float, str, bool, type(None)}


def json_text(doc) -> str:
    """A JSON document as the commands print it: objects and lists of objects indented by two
    spaces, one entry per line; a list of numbers or strings (a pmf, a row of the stock table)
    on one line, written by the json module's C encoder. NaN and infinity are refused.

    Examples
    --------
    >>> print(json_text({"mean": 0.5, "pmf": [0.25, 0.5, 0.25], "stock": [[6], [0, 8]]}))
    {
      "mean": 0.5,
      "pmf": [0.25, 0.5, 0.25],
      "stock": [
        [6],
        [0, 8]
      ]
    }
    """
    def flat(value):
        return json.dumps(value, allow_nan=False)

    def block(value, pad):
        inner = pad + "  "
        if isinstance(value, dict):
            if not value:
                return "{}"
            items = (f"{inner}{flat(str(k))}: {block(v, inner)}" for k, v in value.items())
            return "{\n" + ",\n".join(items) + "\n" + pad + "}"
        if isinstance(value, (list, tuple)) and not set(map(type, value)) <= _SCALARS:
            return "[\n" + ",\n".join(inner + block(x, inner) for x in value) + "\n" + pad + "]"
        return flat(value)

    return block(doc, "")


def emit(text: str, out=None) -> None:
    """Print ``text``, or write it atomically to ``out`` and print ``wrote PATH``."""
    text = text if text.endswith("\n") else text + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        atomic_write(out, text)
        wrote(out)


#: suffix -> format name, for every format some command writes
SUFFIXES = {
    ".txt": "text", ".text": "text", ".json": "json", ".csv": "csv", ".md": "markdown",
    ".markdown": "markdown", ".tex": "latex", ".html": "html", ".png": "png", ".svg": "svg",
    ".pdf": "pdf", ".graphml": "graphml", ".gexf": "gexf", ".dot": "dot", ".gv": "dot",
}


def add_out_argument(parser, formats, help_=None) -> None:
    """``--out PATH`` whose suffix picks one of ``formats``."""
    suffixes = " ".join(s for s, f in SUFFIXES.items() if f in formats)
    parser.add_argument("--out", default=None, metavar="PATH",
                        help=help_ or f"write to PATH instead of standard output; the suffix "
                        f"({suffixes}) picks the format")


def out_format(out, fmt, formats, default):
    """The format to write: ``--format`` if given, else the suffix of ``--out``, else ``default``.

    Refuses (:class:`~slamarkov.errors.OutputError`, one line) a suffix that is not one of
    ``formats`` and a ``--format`` that contradicts the suffix.

    Examples
    --------
    >>> out_format("report.json", None, ("text", "json"), "text")
    'json'
    >>> out_format(None, None, ("text", "json"), "text")
    'text'
    """
    if out is None:
        return fmt or default
    check_output(out)  # a folder, a socket, a name too long: refused before any work
    suffix = Path(out).suffix.lower()
    allowed = [s for s, f in SUFFIXES.items() if f in formats]
    if not suffix:
        return fmt or default
    by_suffix = SUFFIXES.get(suffix) if suffix in allowed else None
    if by_suffix is None:
        raise OutputError(f"--out: cannot write {suffix} files here; the suffix must be one of "
                          f"{', '.join(allowed)} (got {out})")
    if fmt is not None and fmt != by_suffix:
        raise OutputError(f"--out: the suffix {suffix} means {by_suffix}, but --format is {fmt}")
    return by_suffix


def percent(x, digits: int = 4) -> str:
    """A fraction as a labelled percentage (the text reports' unit for rates and probabilities).

    Exact values (a :class:`~fractions.Fraction` that is not an integer) keep the exact fraction
    beside the percentage.

    Examples
    --------
    >>> percent(0.25), percent(Fraction(1, 3), 2)
    ('25.0000%', '33.33% (exact 1/3)')
    """
    text = f"{100 * float(x):.{digits}f}%"
    if isinstance(x, Fraction) and x.denominator != 1:
        text += f" (exact {x})"
    return text
