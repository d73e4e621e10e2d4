"""``slamarkov sweep GRID --out FILE``: every contract of a grid file, both policies, one table."""

from __future__ import annotations

import contextlib
from pathlib import Path

from ..errors import SweepError

__all__ = ["register", "add_executor_arguments", "executor_options"]


def _positive_int(text):
    import argparse

    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}")
    return n


def add_executor_arguments(p) -> None:
    """The grid size limit and where the points run (shared with ``design``)."""
    from ..sweep.grid import DEFAULT_MAX_POINTS

    g = p.add_argument_group("execution")
    g.add_argument("--workers", type=_positive_int, default=None, metavar="N",
                   help="local worker processes (default: one per core; 1 runs in this process)")
    g.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run on a running Dask distributed scheduler, e.g. tcp://host:8786 "
                   "(needs the 'distributed' extra; workers need slamarkov installed)")
    g.add_argument("--max-points", type=_positive_int, default=DEFAULT_MAX_POINTS, metavar="N",
                   help=f"refuse grids with more points (default {DEFAULT_MAX_POINTS:,})")
    g.add_argument("--batch-size", type=_positive_int, default=None, metavar="N",
                   help="points per task (default: up to 32, about four tasks per worker)")
    g.add_argument("--quiet", action="store_true", help="no progress bar")


def executor_options(args) -> dict:
    if args.scheduler is not None and args.workers is not None:
        raise SweepError("--workers: give --workers or --scheduler, not both")
    return {"workers": args.workers, "batch_size": args.batch_size,
            "progress": False if args.quiet else None}


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
    """The sidecar file a sweep appends its finished points to."""
    out = Path(out)
    return out.with_name(out.name + ".partial")


def run(args) -> int:
    from ..sweep.grid import load_grid
    from ..core.executor import connect
    from ..io.tables import check_table_path, write_table
    from ..sweep.runner import sweep
    from ._common import wrote

    out = check_table_path(args.out)
    options = executor_options(args)
    grid = load_grid(args.grid, max_points=args.max_points)  # every point checked first
    client = connect(args.scheduler) if args.scheduler is not None else None
    partial = partial_path(out)
    try:
        table = sweep(grid, scheduler=client, partial=partial, resume=args.resume, **options)
    finally:
        if client is not None:
            client.close()
    write_table(table, out)
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()
    wrote(out)
    return 0
