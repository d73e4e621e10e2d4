"""A user's condition over a table's columns, parsed and evaluated without running any code.

An option such as ``design --where "p_penalty <= 0.05 and ready_mean >= 0.9"`` is text a user
types; it is never handed to ``eval``, pandas ``query`` or numexpr (those resolve ``@name``
against Python variables and allow attribute access and calls). :func:`parse_condition` parses it
with Python's :mod:`ast` and keeps only a whitelist:

* a column name (``ready_mean``; a dotted ``contract.penalty_per_period`` or a back-quoted
  ```a name``` where the column's name is not an identifier);
* a finite number (at most ``1e15`` in magnitude, like every number a user gives) or, as an
  operand of ``==`` and ``!=``, a short quoted text (``policy == 'static'``);
* ``+ - * /``, unary ``-`` and ``+``, and ``**`` with a number in ``[-MAX_EXPONENT,
  MAX_EXPONENT]`` as its exponent;
* comparisons ``< <= > >= == !=``, chained (``0.8 <= ready_mean < 0.9``);
* ``and``, ``or``, ``not`` and parentheses.

Anything else (a call, an attribute of something that is not a column, a subscript, ``@name``,
a lambda, a string where a number belongs) is refused in one line that names the offending part.
The arithmetic is numpy's float64 over whole columns at once, so no expression can build a huge
integer (``10 ** 10 ** 10`` is refused by the exponent rule, and an overflow gives ``inf``).
A comparison with a missing value (NaN) is false, as in pandas.
"""

from __future__ import annotations

import ast
import math
import operator
import re

import numpy as np

from ..errors import ExpressionError
from .numbers import MAX_MAGNITUDE

__all__ = ["MAX_DEPTH", "MAX_EXPONENT", "MAX_LENGTH", "Condition", "parse_condition"]

#: the largest exponent ``**`` accepts (a number written in the expression)
MAX_EXPONENT = 64
#: the longest expression accepted, in characters
MAX_LENGTH = 2000
#: the deepest nesting of operations accepted
MAX_DEPTH = 50
# the longest quoted text accepted (compared with a column of names)
_MAX_TEXT = 200

_BACKQUOTED = re.compile(r"`([^`]*)`")

_ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
               ast.Div: operator.truediv, ast.Pow: operator.pow}
_COMPARE = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
            ast.Eq: operator.eq, ast.NotEq: operator.ne}
_EQUALITY = (ast.Eq, ast.NotEq)
_NAMES = {ast.BitAnd: "'&' (write 'and')", ast.BitOr: "'|' (write 'or')",
          ast.Invert: "'~' (write 'not')", ast.FloorDiv: "'//'", ast.Mod: "'%'",
          ast.MatMult: "'@'", ast.LShift: "'<<'", ast.RShift: "'>>'", ast.BitXor: "'^'",
          ast.In: "'in'", ast.NotIn: "'not in'", ast.Is: "'is'", ast.IsNot: "'is not'"}


def _short(text: str, width: int = 80) -> str:
    """``text`` cut to ``width`` characters for a message (one line)."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 3] + "..."


class Condition:
    """A parsed condition (:func:`parse_condition`): ``columns`` it reads, ``evaluate(table)``."""

    def __init__(self, text: str, tree, columns, field: str):
        self.text = text
        self.field = field
        self._tree = tree
        #: the table columns the condition reads, in order of appearance
        self.columns = tuple(columns)

    def __repr__(self) -> str:
        return f"Condition({_short(self.text)!r})"

    def evaluate(self, table) -> np.ndarray:
        """The boolean mask of the rows of ``table`` (a mapping of column -> array, e.g. a
        DataFrame) where the condition holds.

        Raises
        ------
        ExpressionError
            When a column read as a number holds text, or the condition is not a truth value.

        Examples
        --------
        >>> import pandas as pd
        >>> t = pd.DataFrame({"a": [1.0, 2.0, float("nan")], "kind": ["x", "y", "x"]})
        >>> parse_condition("a ** 2 > 1 or kind == 'x'", ["a", "kind"]).evaluate(t).tolist()
        [True, True, True]
        """
        n = len(table)
        with np.errstate(all="ignore"):
            value = self._eval(self._tree, table, n)
        if value.dtype != bool:
            raise ExpressionError(f"{self.field}: {_short(self.text)!r} is not a condition (compare a "
                                  "column with a value, e.g. ready_mean >= 0.9)")
        return np.broadcast_to(value, (n,)).copy()

    def _eval(self, node, table, n):
        if isinstance(node, str):  # a column
            values = np.asarray(table[node])
            return values
        if isinstance(node, tuple):
            kind = node[0]
            if kind == "num":
                return np.float64(node[1])
            if kind == "text":
                return np.array(node[1], dtype=object)
            if kind == "not":
                return ~self._truth(node[1], table, n)
            if kind in ("and", "or"):
                parts = [self._truth(p, table, n) for p in node[1]]
                op = np.logical_and if kind == "and" else np.logical_or
                return op.reduce(np.broadcast_arrays(*parts)) if len(parts) > 1 else parts[0]
            if kind == "neg":
                return -self._number(node[1], table, n)
            if kind == "arith":
                _, op, left, right = node
                return _ARITHMETIC[op](self._number(left, table, n),
                                       self._number(right, table, n))
            if kind == "compare":
                _, first, rest = node
                left = self._operand(first, table, n)
                out = None
                for op, right_node in rest:
                    right = self._operand(right_node, table, n)
                    if (left.dtype == object) != (right.dtype == object) and op not in _EQUALITY:
                        raise ExpressionError(f"{self.field}: text is compared with a number by "
                                              f"order in {_short(self.text)!r} (use == or !=)")
                    if left.dtype == object and right.dtype == object and op not in _EQUALITY:
                        raise ExpressionError(f"{self.field}: text is compared by order in "
                                              f"{_short(self.text)!r} (use == or !=)")
                    got = np.asarray(_COMPARE[op](left, right), dtype=bool)
                    out = got if out is None else out & got
                    left = right
                return out
        raise AssertionError(node)  # pragma: no cover - the parser builds only the kinds above

    def _operand(self, node, table, n):
        value = self._eval(node, table, n)
        if value.dtype == object:  # text column or text literal: compared as it is
            return value
        return self._as_number(value, node)

    def _number(self, node, table, n):
        return self._as_number(self._eval(node, table, n), node)

    def _as_number(self, value, node):
        if value.dtype == bool or not np.issubdtype(value.dtype, np.number):
            what = f"column {node!r}" if isinstance(node, str) else "a value"
            raise ExpressionError(f"{self.field}: {what} is not a number where {_short(self.text)!r} "
                                  "does arithmetic or compares with a number")
        return value.astype(np.float64, copy=False)

    def _truth(self, node, table, n):
        value = self._eval(node, table, n)
        if value.dtype != bool:
            what = f"column {node!r}" if isinstance(node, str) else "an operand"
            raise ExpressionError(f"{self.field}: {what} of 'and', 'or' or 'not' is not a "
                                  f"condition in {_short(self.text)!r}")
        return value


def parse_condition(text, columns, field: str = "--where") -> Condition:
    """Parse a condition over ``columns`` (module docstring: the accepted grammar).

    Parameters
    ----------
    text : str
        The condition as typed, e.g. ``"p_penalty <= 0.05 and ready_mean >= 0.9"``.
    columns : sequence of str
        The names the condition may read.
    field : str, default "--where"
        The option's name, the start of every message.

    Returns
    -------
    Condition

    Raises
    ------
    ExpressionError
        One line naming the offending part: ``--where: a call is not allowed: 'f(x)'``,
        ``--where: unknown column 'x' (columns: ...)``, ...

    Examples
    --------
    >>> parse_condition("0.8 <= ready_mean < 0.9 and not p_bonus > 0.5",
    ...                 ["ready_mean", "p_bonus"]).columns
    ('ready_mean', 'p_bonus')
    >>> parse_condition("ready_mean > 0 and __import__('os').system('id') == 0", ["ready_mean"])
    Traceback (most recent call last):
    ...
    slamarkov.errors.ExpressionError: --where: a call is not allowed: "__import__('os').system('id')"
    >>> parse_condition("10 ** 10 ** 10 > 1", [])
    Traceback (most recent call last):
    ...
    slamarkov.errors.ExpressionError: --where: an exponent must be a number in [-64, 64]: '10 ** 10'
    """
    return _Parser(text, columns, field).parse()


class _Parser:
    def __init__(self, text, columns, field):
        self.field = field
        self.columns = list(dict.fromkeys(str(c) for c in columns))
        self.known = set(self.columns)
        self.used: list = []
        if not isinstance(text, str):
            raise ExpressionError(f"{field}: must be text, got {type(text).__name__}")
        self.text = text
        self.source = text
        self.quoted: dict = {}

    def fail(self, message, node=None):
        part = ""
        if node is not None:
            segment = ast.get_source_segment(self.source, node)
            if segment is not None:
                segment = self._unquote(segment)
                segment = _short(segment)
                part = f": {segment!r}"
        raise ExpressionError(f"{self.field}: {message}{part}")

    def _unquote(self, segment):
        for name, column in self.quoted.items():
            segment = segment.replace(name, f"`{column}`")
        return segment

    def parse(self) -> Condition:
        text = self.text
        if not text.strip():
            raise ExpressionError(f"{self.field}: empty; give a condition, e.g. "
                                  "\"ready_mean >= 0.9\"")
        if len(text) > MAX_LENGTH:
            raise ExpressionError(f"{self.field}: longer than {MAX_LENGTH} characters "
                                  f"({len(text)})")
        if "\x00" in text:
            raise ExpressionError(f"{self.field}: holds a NUL character")

        def quote(m):
            name = f"__column_{len(self.quoted)}__"
            self.quoted[name] = m.group(1)
            return name

        self.source = _BACKQUOTED.sub(quote, text)
        try:
            tree = ast.parse(self.source.strip(), mode="eval")
        except SyntaxError as exc:
            reason = (exc.msg or "invalid syntax").splitlines()[0]
            lines = self.source.strip().splitlines() or [""]
            if exc.offset and exc.lineno and exc.lineno <= len(lines):
                here = self._unquote(lines[exc.lineno - 1][exc.offset - 1:])
                where = (f" at character {exc.offset}" if exc.lineno == 1
                         else f" on line {exc.lineno}")
                raise ExpressionError(f"{self.field}: not a valid expression{where} ({reason}): "
                                      f"{_short(here)!r}") from None
            raise ExpressionError(f"{self.field}: not a valid expression ({reason}): "
                                  f"{_short(text)!r}") from None
        except (RecursionError, MemoryError, ValueError) as exc:
            raise ExpressionError(f"{self.field}: not a valid expression ({type(exc).__name__}"
                                  f"): too deeply nested or too large") from None
        self.source = self.source.strip()
        try:
            built = self.build(tree.body, 0)
        except RecursionError:
            raise ExpressionError(f"{self.field}: nested deeper than {MAX_DEPTH}") from None
        return Condition(text, built, self.used, self.field)

    def column(self, name, node):
        name = self.quoted.get(name, name)
        if name not in self.known:
            shown = ", ".join(self.columns)
            raise ExpressionError(f"{self.field}: unknown column {name!r} (columns: {shown})")
        if name not in self.used:
            self.used.append(name)
        return name

    def number(self, node):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail("only numbers, columns and quoted text in comparisons are allowed", node)
        if isinstance(value, float) and not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
            self.fail("a number must be finite and at most 1e15 in magnitude", node)
        return ("num", float(value))

    def build(self, node, depth):
        if depth > MAX_DEPTH:
            raise ExpressionError(f"{self.field}: nested deeper than {MAX_DEPTH}")
        d = depth + 1
        if isinstance(node, ast.Name):
            return self.column(node.id, node)
        if isinstance(node, ast.Attribute):
            dotted = self._dotted(node)
            if dotted is not None and dotted in self.known:
                return self.column(dotted, node)
            if dotted is not None and "." in dotted and dotted.split(".")[0] not in self.known:
                # a dotted name is a column name (section.key) or nothing
                return self.column(dotted, node)
            self.fail("attribute access is not allowed", node)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                self.fail("text is allowed only as an operand of == or !=", node)
            return self.number(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return ("not", self.build(node.operand, d))
            if isinstance(node.op, ast.USub):
                inner = self.build(node.operand, d)
                if isinstance(inner, tuple) and inner[0] == "num":
                    return ("num", -inner[1])
                return ("neg", inner)
            if isinstance(node.op, ast.UAdd):
                return self.build(node.operand, d)
            self.fail(f"{_NAMES.get(type(node.op), 'this operator')} is not allowed", node)
        if isinstance(node, ast.BoolOp):
            kind = "and" if isinstance(node.op, ast.And) else "or"
            return (kind, tuple(self.build(v, d) for v in node.values))
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _ARITHMETIC:
                self.fail(f"{_NAMES.get(type(node.op), 'this operator')} is not allowed", node)
            if isinstance(node.op, ast.Pow):
                exponent = self._exponent(node.right)
                if exponent is None or abs(exponent) > MAX_EXPONENT:
                    self.fail(f"an exponent must be a number in [-{MAX_EXPONENT}, "
                              f"{MAX_EXPONENT}]", node.right)
            return ("arith", type(node.op), self.build(node.left, d), self.build(node.right, d))
        if isinstance(node, ast.Compare):
            rest = []
            for op in node.ops:
                if type(op) not in _COMPARE:
                    self.fail(f"{_NAMES.get(type(op), 'this comparison')} is not allowed", node)
            operands = [node.left] + list(node.comparators)
            built = []
            for i, operand in enumerate(operands):
                if isinstance(operand, ast.Constant) and isinstance(operand.value, str):
                    ops = [node.ops[j] for j in (i - 1, i) if 0 <= j < len(node.ops)]
                    if not all(isinstance(op, (ast.Eq, ast.NotEq)) for op in ops):
                        self.fail("text is allowed only as an operand of == or !=", operand)
                    if len(operand.value) > _MAX_TEXT:
                        self.fail(f"a quoted text is longer than {_MAX_TEXT} characters",
                                  operand)
                    built.append(("text", operand.value))
                else:
                    built.append(self.build(operand, d))
            rest = list(zip((type(op) for op in node.ops), built[1:]))
            return ("compare", built[0], tuple(rest))
        what = {ast.Call: "a call", ast.Subscript: "a subscript", ast.Lambda: "a lambda",
                ast.IfExp: "'if ... else'", ast.NamedExpr: "':='", ast.Starred: "'*'",
                ast.List: "a list", ast.Tuple: "a tuple", ast.Set: "a set", ast.Dict: "a dict",
                ast.JoinedStr: "an f-string", ast.Await: "'await'", ast.Slice: "a slice",
                }.get(type(node))
        if what is None:
            what = "'" + type(node).__name__ + "'"
        self.fail(f"{what} is not allowed", node)

    def _dotted(self, node):
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        parts.append(node.id)
        return ".".join(reversed(parts))

    def _exponent(self, node):
        sign = 1
        while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            sign = -sign if isinstance(node.op, ast.USub) else sign
            node = node.operand
        if (isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
                and not isinstance(node.value, bool) and math.isfinite(node.value)):
            return sign * node.value
        return None
