"""The ``slamarkov`` command line: a thin layer over the Python API.

Each subcommand lives in a module of this package that defines ``register(subparsers)``; the
handler it sets returns the exit code. Every :class:`~slamarkov.errors.SlamarkovError` becomes one
line on standard error and exit code 2.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import pkgutil
import sys

from ..errors import SlamarkovError

__all__ = ["main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser with the command line's conventions.

    Usage errors are one line ``slamarkov COMMAND: error: ...`` and exit code 2; a missing
    COMMAND (a bare ``slamarkov``) also prints the usage line; an invalid choice suggests the
    closest one. The parsed namespace records the innermost command's name as ``_prog``.
    """

    def parse_known_args(self, args=None, namespace=None):
        namespace = argparse.Namespace() if namespace is None else namespace
        # a subcommand's parser runs after its parent's and its namespace is copied over the
        # parent's, so the innermost command's name wins
        namespace._prog = self.prog
        return super().parse_known_args(args, namespace)

    def _check_value(self, action, value):
        if action.choices is not None and value not in action.choices:
            choices = [str(c) for c in action.choices]
            close = difflib.get_close_matches(str(value), choices, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise argparse.ArgumentError(
                action, f"invalid choice: {value!r} (choose from {', '.join(choices)}){hint}")
        super()._check_value(action, value)

    def error(self, message):
        missing_command = any(
            isinstance(a, argparse._SubParsersAction) and a.required and a.metavar
            and message.endswith(f"required: {a.metavar}") for a in self._actions)
        if missing_command:
            self.print_usage(sys.stderr)
            message = f"give a {message.rsplit(' ', 1)[-1]} (see {self.prog} --help)"
        self.exit(2, f"{self.prog}: error: {message}\n")


def _leaves(parser):
    """The parsers that run a command (those without subcommands of their own)."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield parser
        return
    for action in subs:
        for child in dict.fromkeys(action.choices.values()):
            yield from _leaves(child)


def _max_gib(text):
    from ..core.limits import parse_gib

    try:
        return parse_gib(text, "value")
    except SlamarkovError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("value: ")) from None


def _max_work(text):
    from ..core.limits import parse_work

    try:
        return parse_work(text, "value")
    except SlamarkovError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("value: ")) from None


def build_parser() -> argparse.ArgumentParser:
    from .._version import __version__

    parser = _Parser(
        prog="slamarkov",
        description="Optimal stocking under ready-rate SLAs, analysed exactly as absorbing "
        "Markov chains.",
    )
    parser.add_argument("--version", action="version", version=f"slamarkov {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        module.register(sub)
    for leaf in _leaves(parser):
        leaf.add_argument("--max-gib", dest="max_bytes", type=_max_gib, default=None,
                          metavar="G", help="memory limit in GiB: a request estimated to need "
                          "more is refused before any work (default: half the machine's memory, "
                          "or less under an address-space or cgroup limit)")
        leaf.add_argument("--max-work", dest="max_work", type=_max_work, default=None,
                          metavar="OPS", help="work limit in operations (multiply-adds, about "
                          "1e9 a second): a request estimated to need more is refused before "
                          "any work (default: 2e10)")
    return parser


def main(argv=None) -> int:
    """Run the command line; returns the exit code.

    Every :class:`~slamarkov.errors.SlamarkovError` becomes one line
    ``slamarkov COMMAND: error: MESSAGE`` on standard error and exit code 2.
    """
    from . import _common

    parser = build_parser()
    args = parser.parse_args(argv)
    _common.PROG = getattr(args, "_prog", parser.prog)
    from ..core.limits import memory_limit, work_limit

    try:
        with memory_limit(getattr(args, "max_bytes", None)), \
                work_limit(getattr(args, "max_work", None)):
            return int(args.handler(args) or 0)
    except SlamarkovError as exc:
        print(f"{_common.PROG}: error: {exc}", file=sys.stderr)
        return 2
    except MemoryError:
        # an allocation the size checks did not foresee: one line, as a refused request
        print(f"{_common.PROG}: error: out of memory (an allocation failed: the request needs "
              "more memory than this process may use; lower its sizes or see --max-gib)",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{_common.PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
