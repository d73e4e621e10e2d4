"""Every table and figure of the source study into a folder, on the package's executor.

:func:`reproduce_all` describes each file as a picklable :class:`FileTask` (which table or figure
function, the :class:`~slamarkov.study.experiment.Study`, its keyword arguments, the output path
and format) and runs them with :func:`run_group` on a
:class:`~slamarkov.core.executor.Executor`: in this process, on local worker processes or on a
Dask scheduler. The tasks that share a Study's solve cache (one scheme, or one scheme's
variants) form one group, and a group runs in one task, so that its cells are solved once.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

from ..core.executor import Executor, process_context
from ..core.progress import track
from ..errors import ConfigError, ContractError, OutputError
from ..io.atomic import check_output
from ..io.tables import FORMATS, save_table
from ..model.contract import SCHEMES
from .experiment import STOCK_REVIEW_PERIODS, Study
from .tables import check_simulation

__all__ = ["reproduce_all", "FileTask", "run_group"]


@dataclass(frozen=True)
class FileTask:
    """One file of :func:`reproduce_all`, described so that it can be sent to another process.

    Parameters
    ----------
    kind : {"table", "figure"}
        A table of :mod:`slamarkov.study.tables` written by
        :func:`~slamarkov.io.tables.save_table`, or a figure of :mod:`slamarkov.study.figures`
        written by :func:`~slamarkov.plot.figure.save_figure`.
    function : str
        The function's name in that module, e.g. ``"ready_rate_table"``; looked up when the task
        runs.
    path : Path
        The file to write.
    study : Study, optional
        The function's first argument (None: the function takes none).
    options : dict
        Its keyword arguments.
    format : str, optional
        A table's format (``"csv"``, ``"markdown"``, ``"json"``).

    Examples
    --------
    >>> import pickle, tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     task = FileTask("table", "stock_table", pathlib.Path(d) / "stock.csv",
    ...                     Study(), {"review_periods": (10,), "progress": False}, "csv")
    ...     done = pickle.loads(pickle.dumps(task)).run()
    ...     done.read_text().splitlines()[0]
    'T,period,q1,median,q3,static_S'
    """

    kind: str
    function: str
    path: Path
    study: Study | None = None
    options: dict = field(default_factory=dict)
    format: str | None = None

    def run(self) -> Path:
        """Make the table or figure and write it; returns its path."""
        if self.kind == "table":
            from . import tables

            make = getattr(tables, self.function)
            table = make(self.study, **self.options) if self.study is not None \
                else make(**self.options)
            return save_table(table, self.path, self.format)
        from ..plot.figure import save_figure
        from . import figures

        save_figure(getattr(figures, self.function)(self.study, **self.options), self.path)
        return self.path


def run_group(tasks) -> list:
    """Run a group of :class:`FileTask` in order (they share their Study's cache); returns the
    paths written, as strings.

    Examples
    --------
    >>> run_group([])
    []
    """
    return [str(task.run()) for task in tasks]


def _variant_studies(study):
    """The variants the study also ran (docs/model.md section 8), by the sub-folder reproduce_all
    writes them to: penalty-only terms, and normal(15, 5) demand (stock range: the bound)."""
    from ..model.demand import DiscretisedNormal

    return {
        "penalty-only": study.variant(bonus=0),
        "normal-15-5": study.variant(demand=DiscretisedNormal(15, 5), max_stock=None),
    }


def _groups(out, base, schemes, format, figures, variants, sim) -> list:
    """The files to write, in groups that share a Study, in the order they are listed."""
    suffix = FORMATS[format]
    stock_Ts = tuple(T for T in STOCK_REVIEW_PERIODS if T in base.review_periods) \
        or base.review_periods
    quiet = {"progress": False}  # one bar, reproduce_all's own, and none per table

    def table(path, function, study=None, **options):
        return FileTask("table", function, path, study, options, format)

    def figure(path, function, study, **options):
        return FileTask("figure", function, path, study, options)

    def scheme_study(scheme):
        # the default amounts follow the scheme unless the caller set them
        return base.variant(scheme=scheme) if scheme != base.scheme else base

    groups = []
    for scheme in schemes:
        st = scheme_study(scheme)
        bonus_free = st.bonus is None  # the saving table sets the bonus by ratio
        tasks = [
            table(out / f"ready-rate-{scheme}{suffix}", "ready_rate_table", st, **sim, **quiet),
            table(out / f"cost-{scheme}{suffix}", "cost_table", st, **sim, **quiet),
        ]
        if bonus_free:
            tasks.append(table(out / f"saving-{scheme}{suffix}", "saving_table", st, **sim,
                               **quiet))
        tasks.append(table(out / f"stock-{scheme}{suffix}", "stock_table", st,
                           review_periods=stock_Ts, **quiet))
        if figures:
            tasks += [
                figure(out / f"cost-vs-T-{scheme}.png", "cost_figure", st),
                figure(out / f"ready-rate-{scheme}.png", "ready_rate_figure", st,
                       review_periods=stock_Ts),
            ]
            if bonus_free:
                tasks.append(figure(out / f"saving-{scheme}.png", "saving_figure", st))
            tasks.append(figure(out / f"stock-{scheme}.png", "stock_figure", st,
                                review_periods=stock_Ts))
        groups.append(tasks)
    if variants:
        for scheme in schemes:
            tasks = []
            for name, vst in _variant_studies(scheme_study(scheme)).items():
                sub = out / name
                tasks.append(table(sub / f"ready-rate-{scheme}{suffix}", "ready_rate_table", vst,
                                   costs=True, **sim, **quiet))
                if vst.bonus is None:
                    tasks.append(table(sub / f"saving-{scheme}{suffix}", "saving_table", vst,
                                       **sim, **quiet))
                tasks.append(table(sub / f"stock-{scheme}{suffix}", "stock_table", vst,
                                   review_periods=stock_Ts, **quiet))
            groups.append(tasks)
    groups.append([table(out / f"published-comparison{suffix}", "published_comparison_table")])
    return groups


def reproduce_all(out_dir, *, schemes=SCHEMES, format="csv", figures=True, variants=True,
                  simulate=None, seed=None, study=None, workers=None, scheduler=None,
                  progress=None, jobs=None) -> list:
    """Write every table of the study, and its figures, to ``out_dir``.

    For each scheme: ``ready-rate-<scheme>``, ``cost-<scheme>``, ``saving-<scheme>`` and
    ``stock-<scheme>`` tables; with ``figures`` the PNGs ``cost-vs-T-<scheme>``,
    ``ready-rate-<scheme>``, ``saving-<scheme>`` and ``stock-<scheme>``. Then
    ``published-comparison``, and with ``variants`` the ready-rate (with costs) and stock tables
    of the penalty-only variant (``penalty-only/``) and of normal(15, 5) demand
    (``normal-15-5/``, with its saving table too).

    Parameters
    ----------
    out_dir : str or Path
        Created if missing; files in it are replaced atomically.
    schemes : sequence of str, default both
    format : {"csv", "markdown", "json"}
    figures : bool, default True
        Needs matplotlib (the ``plot`` extra).
    variants : bool, default True
    simulate, seed : optional
        Add simulated columns to the ready-rate, cost and saving tables (slow).
    study : Study, optional
        The base settings (grid, amounts, demand) for every scheme; default the study's.
    workers : int, optional
        Local worker processes (:class:`~slamarkov.core.executor.Executor`), never more than
        the groups of files that share a Study (each scheme, each scheme's variants, the
        published comparison). By default one per CPU on Linux (forked workers); elsewhere 1
        (this process), as in slamarkov 0.1.
    scheduler : str or distributed.Client, optional
        Run the groups on this Dask scheduler (``tcp://host:port``) instead; its workers need
        slamarkov installed and write to ``out_dir`` (a folder they share).
    progress : bool, optional
        A bar on standard error advanced as files are written: None (default) only when it is
        a terminal, True always, False never. A callable ``progress(iterable, total=,
        label=)`` (0.1) still works and warns (DeprecationWarning).
    jobs : int, optional
        Deprecated name of ``workers`` (a DeprecationWarning).

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    ConfigError
        On a bad format, ``out_dir`` a file, a bad ``workers`` or an unreachable scheduler,
        before any work.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     paths = reproduce_all(d, schemes=["lump-sum"], figures=False, variants=False,
    ...                           study=Study(holding_costs=(1,), review_periods=(10, 30)))
    ...     sorted(p.name for p in paths)
    ['cost-lump-sum.csv', 'published-comparison.csv', 'ready-rate-lump-sum.csv', 'saving-lump-sum.csv', 'stock-lump-sum.csv']
    """
    if jobs is not None:
        warnings.warn("reproduce_all: jobs= is deprecated; use workers=", DeprecationWarning,
                      stacklevel=2)
        if workers is not None:
            raise ConfigError("--workers: give workers or jobs (its deprecated name), not both")
        workers = jobs
    if format not in FORMATS:
        raise ConfigError(f"--format: must be one of {', '.join(FORMATS)}, got {format!r}")
    check_simulation(simulate, seed)
    for s in schemes:
        if s not in SCHEMES:
            raise ContractError(f"scheme: must be one of {', '.join(SCHEMES)}, got {s!r}")
    out = Path(out_dir)
    try:
        check_output(out, folder=True)  # a name too long, a file, a device: one line
    except OutputError as exc:
        raise ConfigError(f"--out: {str(exc).replace(f'{out}: ', f'{out} ', 1)}") from None
    if figures:
        from ..plot.figure import require_matplotlib

        require_matplotlib()
    base = study if study is not None else Study()
    # the tasks name their files from the root, wherever a worker's current folder is
    root = out.absolute()
    groups = _groups(root, base, schemes, format, figures, variants,
                     {"simulate": simulate, "seed": seed})
    order = {task.path: k for k, task in enumerate(t for g in groups for t in g)}
    if workers is None and scheduler is None and process_context() is None:
        workers = 1  # no fork here: the caller's script would be imported again by each worker
    with Executor(workers, scheduler, error=ConfigError) as executor:
        if executor.runs_here(len(groups)):
            units = [[task] for g in groups for task in g]  # one file at a time, one cache
        else:
            # the largest groups first, so that the small ones fill in at the end
            units = sorted(groups, key=len, reverse=True)
        files = (path for done in executor.run(run_group, units) for path in done)
        written = [Path(p) for p in track(files, progress, total=len(order), label="reproduce",
                                          unit="file")]
    return [out / p.relative_to(root) for p in sorted(written, key=order.__getitem__)]
