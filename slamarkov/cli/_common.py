"""Options shared by the subcommands: the contract file and the flags that override its fields."""

from __future__ import annotations

import sys

from .._io import atomic_write
from ..config import Config, load_config, parse_demand_spec

__all__ = ["add_problem_arguments", "config_from_args", "emit"]

#: flag -> (dotted key, type, help)
_OVERRIDES = {
    "--review-period": ("contract.review_period", int, "T, periods per review period"),
    "--penalty-threshold": ("contract.penalty_threshold", str, "alpha_L, e.g. 0.8"),
    "--bonus-threshold": ("contract.bonus_threshold", str, "alpha_U, e.g. 0.9"),
    "--scheme": ("contract.scheme", str, "lump-sum or linear"),
    "--penalty": ("contract.penalty", str, "L-, per review period (0: none)"),
    "--bonus": ("contract.bonus", str, "L+, per review period (0: none)"),
    "--holding": ("costs.holding", str, "h, holding cost per leftover unit"),
    "--purchase": ("costs.purchase", str, "c, purchase cost per unit ordered"),
    "--salvage": ("costs.salvage", str, "s, value of a unit on hand after period T (carry)"),
    "--leftover": ("inventory.leftover", str, "discard (the study) or carry"),
    "--initial-stock": ("inventory.initial_stock", str, "x1, stock on hand at period 1"),
    "--max-stock": ("solver.max_stock", int, "top of the stock range 0..max_stock"),
}


def add_problem_arguments(parser, file_required: bool = True) -> None:
    """The contract FILE and the override flags."""
    if file_required:
        parser.add_argument("file", metavar="FILE", help="contract file (TOML)")
    group = parser.add_argument_group("override fields of the contract file")
    for flag, (key, typ, help_) in _OVERRIDES.items():
        group.add_argument(flag, dest=key, type=typ, default=None, metavar="X", help=help_)
    group.add_argument(
        "--demand", dest="demand_spec", default=None, metavar="KIND:PARAMS",
        help="demand, e.g. poisson:5, normal:15,5, uniform:0,10, empirical:0.2,0.5,0.3",
    )
    group.add_argument("--exact", dest="solver.exact", action="store_const", const=True,
                       default=None, help="exact rational arithmetic (rational demand only)")


def config_from_args(args) -> Config:
    """Load the contract file with the command line's overrides."""
    overrides = {key: getattr(args, key) for key, *_ in _OVERRIDES.values()}
    overrides["solver.exact"] = getattr(args, "solver.exact", None)
    if args.demand_spec is not None:
        overrides["demand"] = parse_demand_spec(args.demand_spec)
    return load_config(args.file, overrides)


def emit(text: str, out=None) -> None:
    """Print ``text``, or write it atomically to ``out``."""
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        atomic_write(out, text if text.endswith("\n") else text + "\n")
