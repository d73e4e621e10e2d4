"""Tables in and out (pandas): the one home for writing and reading slamarkov's tables.

Two kinds of table are written, each with its own pinned bytes:

* the study's tables (:mod:`slamarkov.study`): a DataFrame from :func:`make_table` whose
  ``attrs`` hold its ``name``, ``title``, ``parameters``, per-column ``digits`` and
  ``percent_columns``, rendered as CSV (floats to 12 significant digits), markdown (rates in
  percent) or JSON by :func:`render_table` and written by :func:`save_table`;
* the sweeps' tables (:mod:`slamarkov.sweep`): a plain DataFrame written by :func:`write_table`
  as CSV (floats by their shortest round-trip text), Parquet or JSON records, and read back by
  :func:`read_table`.

Both share one map of file suffixes to formats (:data:`SUFFIX_FORMATS`), one conversion of a
cell to a plain JSON number (:func:`plain_number`), the atomic writes of
:mod:`slamarkov.io.atomic` and the file reader of :mod:`slamarkov.io.files`. pandas is imported
by the functions that need it.
"""

from __future__ import annotations

import csv
import io
import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import ConfigError, OutputError
from .atomic import atomic_path, atomic_write
from .files import read_bytes, read_text

__all__ = [
    "SUFFIX_FORMATS",
    "FORMATS",
    "TABLE_FORMATS",
    "plain_number",
    "make_table",
    "render_table",
    "save_table",
    "table_to_csv",
    "table_to_markdown",
    "table_to_json",
    "check_table_path",
    "write_table",
    "read_table",
]

#: file suffix -> table format, for every table slamarkov writes
SUFFIX_FORMATS = {".csv": "csv", ".md": "markdown", ".json": "json", ".parquet": "parquet"}


def _suffixes(formats) -> dict:
    """``{format: suffix}`` for ``formats``, in their order."""
    by_format = {f: s for s, f in SUFFIX_FORMATS.items()}
    return {f: by_format[f] for f in formats}


#: the study's table formats and their file suffixes
FORMATS = _suffixes(("csv", "markdown", "json"))
#: file suffixes the sweeps' tables are written in
TABLE_FORMATS = tuple(_suffixes(("csv", "parquet", "json")).values())


def plain_number(x):
    """A table cell as a plain Python value for CSV and JSON: a :class:`~fractions.Fraction`
    becomes an int when whole and a float otherwise, a numpy scalar its Python value; anything
    else is returned as it is.

    Examples
    --------
    >>> plain_number(Fraction(3, 2)), plain_number(Fraction(4, 2)), plain_number(np.int64(7))
    (1.5, 2, 7)
    """
    if isinstance(x, Fraction):
        return int(x) if x.denominator == 1 else float(x)
    if isinstance(x, np.generic):
        return x.item()
    return x


# -- the study's tables -----------------------------------------------------------------------
def _fmt_csv(x) -> str:
    if x is None:
        return ""
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        if not math.isfinite(x):
            return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
        return format(x + 0.0, ".12g")  # + 0.0: -0.0 prints as 0 (a z-score of zero)
    return str(x)


def _dtype(values):
    """A column's dtype: int64, float64 or bool when every value has that type, else object
    (e.g. holding costs 0.5 and 1: each is kept as given, so 1 prints as ``1``, not ``1.0``)."""
    kinds = {type(v) for v in values}
    return {frozenset({int}): "int64", frozenset({float}): "float64",
            frozenset({bool}): "bool"}.get(frozenset(kinds), object)


def make_table(name, columns, rows, *, title="", parameters=None, digits=None,
               percent_columns=None):
    """A study table: a pandas DataFrame with its name, title, parameters, digits and percent
    columns in ``attrs``.

    Parameters
    ----------
    name : str
        A short identifier, e.g. ``"ready-rate-lump-sum"``; also the stem of the file
        :func:`~slamarkov.study.reproduce_all` writes (``attrs["name"]``).
    columns : sequence of str
        Column names, in order.
    rows : iterable of dict
        One mapping per row, column name to value (int, float, Fraction or str). Fractions become
        ints when whole and floats otherwise.
    title : str, optional
        A one-line description (JSON output and figure titles; ``attrs["title"]``).
    parameters : dict, optional
        The settings that produced the table, for the JSON output (``attrs["parameters"]``).
    digits : dict, optional
        Column name to a format spec for :func:`table_to_markdown` (e.g. ``".2f"``); floats
        without one print with ``"g"`` (``attrs["digits"]``).
    percent_columns : sequence of str, optional
        The columns holding rates or probabilities, as fractions; :func:`table_to_markdown`
        prints them in percent (``attrs["percent_columns"]``). When there are any, the JSON
        output's parameters say ``"units"``: rates and probabilities are fractions.

    Returns
    -------
    pandas.DataFrame
        Columns of one type are int64, float64 or bool; a column mixing ints and floats (or
        holding text) has dtype object and keeps each value as given.

    Examples
    --------
    >>> t = make_table("demo", ["h", "T", "x"], [{"h": 0.5, "T": 10, "x": 1 / 3}],
    ...                digits={"x": ".3f"})
    >>> t.attrs["name"], t["T"].dtype.name, round(float(t.loc[0, "x"]), 4)
    ('demo', 'int64', 0.3333)
    """
    import pandas as pd

    rows = list(rows)
    data = {}
    for c in columns:
        values = [plain_number(r.get(c)) for r in rows]
        data[c] = pd.Series(values, dtype=_dtype(values))
    df = pd.DataFrame(data, columns=list(columns))
    df.attrs.update(name=name, title=title, parameters=dict(parameters or {}),
                    digits=dict(digits or {}), percent_columns=list(percent_columns or ()))
    return df


def _cells(df):
    """The rows of ``df`` as tuples of Python values (ints stay ints, floats floats)."""
    return zip(*(df[c].tolist() for c in df.columns)) if len(df.columns) else iter(())


def table_to_csv(df) -> str:
    """Comma-separated values with a header row; floats to 12 significant digits.

    Examples
    --------
    >>> t = make_table("demo", ["h", "T", "x"], [{"h": 0.5, "T": 10, "x": 1 / 3}])
    >>> print(table_to_csv(t), end="")
    h,T,x
    0.5,10,0.333333333333
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(df.columns)
    w.writerows([_fmt_csv(x) for x in row] for row in _cells(df))
    return buf.getvalue()


def _fmt_markdown(x, spec) -> str:
    if x is None:
        return ""
    if isinstance(x, float):
        text = format(x, spec or "g")
        # a value that rounds to zero prints without a sign ("-0.00" reads as a negative)
        return text[1:] if text.startswith("-") and not text.strip("-0.") else text
    return str(x)


def table_to_markdown(df) -> str:
    """A GitHub-flavoured markdown table, numbers right-aligned, floats rounded per column
    (``df.attrs["digits"]``); the columns in ``df.attrs["percent_columns"]`` (fractions) print
    in percent, as a text report's rates do.

    Examples
    --------
    >>> t = make_table("demo", ["h", "T", "x", "p"],
    ...                [{"h": 0.5, "T": 10, "x": 1 / 3, "p": 0.25}],
    ...                digits={"x": ".3f", "p": ".2f"}, percent_columns=["p"])
    >>> print(table_to_markdown(t))
    | h | T | x | p |
    |---:|---:|---:|---:|
    | 0.5 | 10 | 0.333 | 25.00 |
    """
    columns = [str(c) for c in df.columns]
    digits = df.attrs.get("digits") or {}
    specs = [digits.get(c) for c in columns]
    pct = set(df.attrs.get("percent_columns") or ())
    scale = [c in pct for c in columns]
    lines = ["| " + " | ".join(columns) + " |",
             "|" + "|".join("---:" for _ in columns) + "|"]
    for row in _cells(df):
        lines.append("| " + " | ".join(
            _fmt_markdown(100 * x if p and isinstance(x, float) else x, s)
            for x, s, p in zip(row, specs, scale)) + " |")
    return "\n".join(lines)


def table_to_json(df) -> str:
    """A JSON document: name, title, parameters (from ``df.attrs``), columns and the rows as
    objects; a float that is not finite becomes null. Rates and probabilities stay fractions;
    when the table has any (``df.attrs["percent_columns"]``), the parameters end with
    ``"units"`` saying so.

    Examples
    --------
    >>> t = make_table("demo", ["T", "x"], [{"T": 10, "x": float("inf")}])
    >>> import json; json.loads(table_to_json(t))["rows"]
    [{'T': 10, 'x': None}]
    """
    columns = [str(c) for c in df.columns]
    rows = [{c: (None if isinstance(x, float) and not math.isfinite(x) else x)
             for c, x in zip(columns, row)} for row in _cells(df)]
    params = dict(df.attrs.get("parameters") or {})
    pct = [c for c in columns if c in set(df.attrs.get("percent_columns") or ())]
    if pct:
        params["units"] = ("rates and probabilities as fractions (0.9, not 90): "
                           + ", ".join(pct))
    doc = {"name": df.attrs.get("name", ""), "title": df.attrs.get("title", ""),
           "parameters": params, "columns": columns, "rows": rows}
    return json.dumps(doc, indent=2, allow_nan=False)


def render_table(df, format="csv") -> str:
    """A study table as ``"csv"``, ``"markdown"`` or ``"json"`` text.

    Raises
    ------
    ConfigError
        On another format.

    Examples
    --------
    >>> t = make_table("demo", ["T"], [{"T": 10}])
    >>> render_table(t, "markdown").splitlines()[-1]
    '| 10 |'
    """
    if format not in FORMATS:
        raise ConfigError(f"--format: must be one of {', '.join(FORMATS)}, got {format!r}")
    return {"csv": table_to_csv, "markdown": table_to_markdown, "json": table_to_json}[format](df)


def save_table(df, path, format=None) -> Path:
    """Write a study table to ``path`` atomically; the format defaults from the suffix
    (``.csv``, ``.md``, ``.json``, in any case; otherwise CSV).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = save_table(make_table("demo", ["T"], [{"T": 10}]), pathlib.Path(d) / "t.md")
    ...     p.read_text()
    '| T |\\n|---:|\\n| 10 |\\n'
    """
    path = Path(path)
    if format is None:
        format = SUFFIX_FORMATS.get(path.suffix.lower())
        format = format if format in FORMATS else "csv"
    text = render_table(df, format)
    atomic_write(path, text if text.endswith("\n") else text + "\n")
    return path


# -- the sweeps' tables -----------------------------------------------------------------------
def check_table_path(path) -> Path:
    """Refuse a table path whose suffix is not .csv, .parquet or .json (before any work).

    Examples
    --------
    >>> check_table_path("t.xlsx")
    Traceback (most recent call last):
    ...
    slamarkov.errors.OutputError: t.xlsx: unknown table format '.xlsx'; use .csv, .parquet, .json
    """
    p = Path(path)
    if p.suffix.lower() not in TABLE_FORMATS:
        raise OutputError(
            f"{p}: unknown table format {p.suffix or '(no suffix)'!r}; use {', '.join(TABLE_FORMATS)}"
        )
    if p.suffix.lower() == ".parquet":
        _require_pyarrow(p)
    return p


def _require_pyarrow(p):
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise OutputError(f"{p}: .parquet needs pyarrow; pip install 'slamarkov[parquet]'") from None


def _json_default(x):
    y = plain_number(x)
    if y is x:
        raise TypeError(f"{type(x).__name__} is not JSON serialisable")
    return y


def _json_kind(x) -> str:
    """The JSON name of a parsed JSON value's kind (for a message)."""
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "true/false"
    return {int: "numbers", float: "numbers", str: "texts", list: "lists", dict: "objects"}.get(
        type(x), type(x).__name__)


def _json_cell(x, path, column):
    """A cell for JSON: NaN (a missing value) is null; an infinite value is refused."""
    y = plain_number(x)
    if isinstance(y, float) and not math.isfinite(y):
        if math.isnan(y):
            return None
        raise OutputError(f"{path}: column {column!r} holds {y}, which JSON cannot hold; "
                          "write .csv or .parquet")
    return y


def write_table(table, path) -> None:
    """Write a table atomically, in the format its suffix names (.csv, .parquet, .json).

    JSON is a list of records whose floats read back bit for bit; a missing value (NaN) is
    ``null`` (JSON has no NaN) and an infinite one is refused (write .csv); CSV writes floats by
    their shortest round-trip text.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "t.json"
    >>> write_table(pd.DataFrame({"x": [0.1, 2.0]}), out)
    >>> out.read_text()
    '[{"x": 0.1}, {"x": 2.0}]\\n'
    """
    p = check_table_path(path)
    fmt = SUFFIX_FORMATS[p.suffix.lower()]
    if fmt == "json":
        records = [{k: _json_cell(v, p, k) for k, v in r.items()}
                   for r in table.to_dict(orient="records")]
        atomic_write(p, json.dumps(records, default=_json_default, allow_nan=False) + "\n")
        return
    with atomic_path(p) as tmp:
        if fmt == "csv":
            table.to_csv(tmp, index=False)
        else:
            table.to_parquet(tmp, index=False)


def read_table(path):
    """Read a table written by :func:`write_table` (a sweep's output) as a DataFrame.

    Raises
    ------
    ConfigError
        On an unreadable file (:mod:`slamarkov.io.files`) or one that is not a sweep table.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> write_table(pd.DataFrame({"x": [0.1, 2.0]}), out)
    >>> read_table(out)["x"].tolist()
    [0.1, 2.0]
    """
    import pandas as pd

    p = check_table_path(path)
    what = "a sweep table"
    fmt = SUFFIX_FORMATS[p.suffix.lower()]
    if fmt == "parquet":
        data = read_bytes(p, what, ConfigError)
    else:
        data = read_text(p, what, ConfigError)
    try:
        if fmt == "csv":
            # pandas < 3's default float parser is not exact (last digit off); pandas 3 parses
            # exactly by default and deprecates the option
            old = int(pd.__version__.split(".")[0]) < 3
            return pd.read_csv(io.StringIO(data), **({"float_precision": "round_trip"} if old else {}))
        if fmt == "parquet":
            return pd.read_parquet(io.BytesIO(data))
        records = json.loads(data)
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            got = _json_kind(records) if not isinstance(records, list) else "a list of " + \
                ", ".join(sorted({_json_kind(r) for r in records if not isinstance(r, dict)}))
            raise ValueError(f"JSON must be a list of records {{column: value}}, got {got}")
        return pd.DataFrame.from_records(records)
    except RecursionError:
        raise ConfigError(f"{p}: not a sweep table (nested too deeply)") from None
    except (ValueError, OSError, TypeError) as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ConfigError(f"{p}: not a sweep table ({reason})") from None
