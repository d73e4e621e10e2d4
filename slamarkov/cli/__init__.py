"""The ``slamarkov`` command line: a thin layer over the Python API.

Each subcommand lives in a module of this package that defines ``register(subparsers)``; the
handler it sets returns the exit code. Every :class:`~slamarkov.errors.SlamarkovError` becomes one
line on standard error and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from ..errors import SlamarkovError

__all__ = ["main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line and exit code 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

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
    return parser


def main(argv=None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except SlamarkovError as exc:
        print(f"slamarkov: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("slamarkov: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
