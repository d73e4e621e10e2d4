"""``slamarkov sweep GRID --out FILE``: every contract of a grid file, both policies, one table."""

from __future__ import annotations

import contextlib
from pathlib import Path

from ._common import (
    add_progress_arguments,
    add_workers_arguments,
    positive_int,
    progress_option,
    workers_option,
)

__all__ = ["register", "add_executor_arguments", "executor_options"]


def add_executor_arguments(p) -> None:
    """The grid size limit, where the points run and the progress bar (shared with ``design``)."""
    from ..sweep.grid import DEFAULT_MAX_POINTS

    g = p.add_argument_group("execution")
    add_workers_arguments(g)
    g.add_argument("--max-points", type=positive_int, default=DEFAULT_MAX_POINTS, metavar="N",
                   help=f"refuse grids with more points (default {DEFAULT_MAX_POINTS:,})")
    g.add_argument("--batch-size", type=positive_int, default=None, metavar="N",
                   help="points per task (default: up to 32, about four tasks per worker)")
    add_progress_arguments(g, quiet_alias=True)


def executor_options(args) -> dict:
    """The keyword arguments of :func:`~slamarkov.sweep.sweep` given by the flags of
    :func:`add_executor_arguments`."""
    workers, scheduler = workers_option(args)
    return {"workers": workers, "scheduler": scheduler, "batch_size": args.batch_size,
            "progress": progress_option(args)}


def register(sub):
    p = sub.add_parser(
        "sweep", help="solve every contract of a grid file (both policies) into one table",
        description="Solve every point of a grid file (a contract file whose values may be lists "
        "or {start, stop, step} ranges), dynamic and static policies, with the cost's SD and the "
        "gaming indicators. Finished points are appended to FILE.partial as they come; "
        "--resume continues an interrupted sweep. Exit code 2 on bad input, nothing written.",
    )
    p.add_argument("grid", metavar="GRID", help="grid file (TOML)")
    p.add_argument("--out", required=True, metavar="FILE",
                   help="table to write: .csv, .parquet (needs pyarrow) or .json")
    p.add_argument("--resume", action="store_true",
                   help="skip the points already in FILE.partial from an interrupted run")
    add_executor_arguments(p)
    p.set_defaults(handler=run)


def partial_path(out) -> Path:
    """The sidecar file a sweep appends its finished points to (``FILE.partial``; for a name
    too long for that, the name is shortened, :func:`~slamarkov.io.atomic.sibling_name`)."""
    from ..io.atomic import sibling_name

    out = Path(out)
    return out.with_name(sibling_name(out, "", ".partial"))


def run(args) -> int:
    from ..io.atomic import check_output
    from ..io.tables import check_table_path, write_table
    from ..sweep.grid import load_grid
    from ..sweep.runner import sweep
    from ._common import wrote

    out = check_table_path(args.out)
    check_output(out)  # before any work
    options = executor_options(args)
    grid = load_grid(args.grid, max_points=args.max_points)  # every point checked first
    partial = partial_path(out)
    table = sweep(grid, partial=partial, resume=args.resume, **options)
    write_table(table, out)
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()
    wrote(out)
    return 0
