"""A small, safe row-filter language for study files and the command line.

Study files (``[[analysis]].subset``), multiverse samples (``sample.query``) and ``run --where``
select rows with expressions such as ``year >= 2004 and state != 'CA'``. Those strings come from
files a user may have been sent, so they are **never** handed to ``DataFrame.query``/``eval`` (which
evaluate ``@name`` references, attribute access and calls against module globals). Instead the
text is parsed with :mod:`ast` and the tree is checked against a whitelist:

- column names (bare names; any other name, ``@``-references, attribute access, calls and
  subscripts are errors),
- literals: numbers, strings, ``True``/``False``/``None``, and lists or tuples of them (for ``in``),
- comparisons ``== != < <= > >=``, ``in`` / ``not in`` (possibly chained: ``2000 <= year <= 2010``),
- ``and`` / ``or`` / ``not`` (and pandas' ``&`` / ``|`` / ``~`` spellings of them),
- unary minus on a number.

The checked tree is then evaluated with pandas boolean masks. Missing values compare False.

Bounds: at most :data:`MAX_FILTER_CHARS` characters and :data:`MAX_FILTER_NODES` tree nodes.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sanctuary_lab.core.errors import SpecError

#: longest filter text accepted
MAX_FILTER_CHARS = 2000
#: most syntax-tree nodes accepted
MAX_FILTER_NODES = 400

_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_LITERAL_TYPES = (int, float, str, bool, type(None))


@dataclass(frozen=True)
class RowFilter:
    """A parsed, whitelisted filter expression.

    Attributes
    ----------
    text
        The expression as written.
    columns
        Column names it refers to.
    """

    text: str
    columns: frozenset[str]
    _tree: ast.expr

    def mask(self, df: pd.DataFrame, where: str = "filter") -> pd.Series:
        """Boolean mask (aligned on ``df.index``) of the rows the filter keeps."""
        missing = sorted(c for c in self.columns if c not in df.columns)
        if missing:
            raise SpecError(
                f"{where}: filter {self.text!r} names unknown column(s) {missing}; "
                f"columns: {list(map(str, df.columns))}"
            )
        try:
            out = _Evaluator(df).eval(self._tree)
        except SpecError as exc:
            raise SpecError(f"{where}: filter {self.text!r}: {exc}") from None
        except (TypeError, ValueError) as exc:
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise SpecError(
                f"{where}: filter {self.text!r} cannot be applied (compare a column with a value "
                f"of its type): {msg}"
            ) from None
        if not isinstance(out, pd.Series):
            # a constant expression such as `1 == 1`
            return pd.Series(bool(out), index=df.index)
        if not pd.api.types.is_bool_dtype(out.dtype):
            raise SpecError(f"{where}: filter {self.text!r} is not a true/false condition")
        return out.fillna(False).astype(bool)

    def apply(self, df: pd.DataFrame, where: str = "filter") -> pd.DataFrame:
        """The rows of ``df`` the filter keeps (index reset)."""
        return df.loc[self.mask(df, where).to_numpy()].reset_index(drop=True)


def parse_filter(text: str, where: str = "filter") -> RowFilter:
    """Parse and whitelist-check a filter expression.

    Raises
    ------
    SpecError
        The text is not a string, too long, not valid syntax, or uses anything beyond column
        names, literals, comparisons and and/or/not. The message is one line and names ``where``.
    """
    if not isinstance(text, str) or not text.strip():
        raise SpecError(f"{where}: filter must be a non-empty expression string, got {text!r}")
    if len(text) > MAX_FILTER_CHARS:
        raise SpecError(f"{where}: filter is longer than {MAX_FILTER_CHARS} characters")
    src = " ".join(text.split())  # newlines in TOML multi-line strings
    try:
        tree = ast.parse(src, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        if "@" in text:
            raise SpecError(
                f"{where}: filter {text!r} uses '@' (variable references are not allowed; "
                "use column names and literal values only)"
            ) from None
        raise SpecError(
            f"{where}: filter {text!r} is not a valid expression "
            "(use e.g. \"year >= 2004 and state != 'CA'\")"
        ) from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_FILTER_NODES:
        raise SpecError(f"{where}: filter has more than {MAX_FILTER_NODES} terms")
    columns: set[str] = set()
    _check(tree.body, text, where, columns)
    return RowFilter(text, frozenset(columns), tree.body)


def apply_filter(df: pd.DataFrame, text: str | None, where: str = "filter") -> pd.DataFrame:
    """``parse_filter(text).apply(df)``; ``None`` or empty keeps every row."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return df.reset_index(drop=True)
    return parse_filter(text, where).apply(df, where)


def _bad(text: str, where: str, what: str) -> SpecError:
    return SpecError(
        f"{where}: filter {text!r} uses {what}, which is not allowed "
        "(only column names, literals, comparisons, in-lists and and/or/not)"
    )


def _is_literal(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, _LITERAL_TYPES)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return (
            isinstance(node.operand, ast.Constant)
            and isinstance(node.operand.value, (int, float))
            and not isinstance(node.operand.value, bool)
        )
    return False


def _check(node: ast.expr, text: str, where: str, columns: set[str]) -> None:
    if isinstance(node, ast.BoolOp):
        for v in node.values:
            _check(v, text, where, columns)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.BitOr)):
        _check(node.left, text, where, columns)
        _check(node.right, text, where, columns)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.Invert)):
        _check(node.operand, text, where, columns)
    elif isinstance(node, ast.Compare):
        operands = [node.left, *node.comparators]
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, (ast.In, ast.NotIn)):
                if not isinstance(right, (ast.List, ast.Tuple, ast.Set)) or not all(
                    _is_literal(e) for e in right.elts
                ):
                    raise _bad(text, where, "'in' with something other than a list of literals")
            elif type(op) not in _COMPARE:
                raise _bad(text, where, f"the operator {type(op).__name__}")
        for i, o in enumerate(operands):
            if isinstance(o, (ast.List, ast.Tuple, ast.Set)) and i > 0:
                continue  # checked above as an in-list
            _check_operand(o, text, where, columns)
    elif isinstance(node, ast.Name):
        columns.add(node.id)  # a boolean column on its own
    elif _is_literal(node):
        pass
    else:
        raise _bad(text, where, _describe(node))


def _check_operand(node: ast.expr, text: str, where: str, columns: set[str]) -> None:
    if isinstance(node, ast.Name):
        columns.add(node.id)
    elif _is_literal(node):
        pass
    else:
        raise _bad(text, where, _describe(node))


def _describe(node: ast.AST) -> str:
    names = {
        ast.Attribute: "attribute access",
        ast.Call: "a function call",
        ast.Subscript: "a subscript",
        ast.Lambda: "a lambda",
        ast.BinOp: "arithmetic",
        ast.Starred: "a starred expression",
        ast.JoinedStr: "an f-string",
    }
    return names.get(type(node), f"a {type(node).__name__} expression")


class _Evaluator:
    """Evaluates a checked tree on a DataFrame with boolean masks."""

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df

    def eval(self, node: ast.expr) -> Any:
        if isinstance(node, ast.BoolOp):
            vals = [self._bool(self.eval(v)) for v in node.values]
            out = vals[0]
            for v in vals[1:]:
                out = (out & v) if isinstance(node.op, ast.And) else (out | v)
            return out
        if isinstance(node, ast.BinOp):
            left, right = self._bool(self.eval(node.left)), self._bool(self.eval(node.right))
            return (left & right) if isinstance(node.op, ast.BitAnd) else (left | right)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.Invert)):
            v = self._bool(self.eval(node.operand))
            return ~v if isinstance(v, pd.Series) else (not v)
        if isinstance(node, ast.Compare):
            return self._compare(node)
        return self._operand(node)

    def _bool(self, v: Any) -> Any:
        if isinstance(v, pd.Series):
            if not pd.api.types.is_bool_dtype(v.dtype):
                raise SpecError("and/or/not need true/false conditions on both sides")
            return v.fillna(False).astype(bool)
        return bool(v)

    def _operand(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Name):
            return self.df[node.id]
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
            v = node.operand.value
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                return -v if isinstance(node.op, ast.USub) else +v
        raise SpecError(f"unsupported term {ast.dump(node)[:40]}")  # unreachable after _check

    def _compare(self, node: ast.Compare) -> Any:
        result: Any = True
        left = self._operand(node.left)
        for op, comp in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, (ast.In, ast.NotIn)):
                assert isinstance(comp, (ast.List, ast.Tuple, ast.Set))
                values = [self._operand(e) for e in comp.elts]
                if isinstance(left, pd.Series):
                    part: Any = left.isin(values)
                else:
                    part = left in values
                if isinstance(op, ast.NotIn):
                    part = ~part if isinstance(part, pd.Series) else (not part)
                right: Any = None
            else:
                right = self._operand(comp)
                if left is None or right is None:
                    series = left if isinstance(left, pd.Series) else right
                    if not isinstance(series, pd.Series) or not isinstance(op, (ast.Eq, ast.NotEq)):
                        raise SpecError("None can only be compared with == or != to a column")
                    part = series.isna() if isinstance(op, ast.Eq) else series.notna()
                else:
                    part = _COMPARE[type(op)](left, right)
                    if isinstance(part, pd.Series):
                        part = part.astype("boolean")
            result = part if result is True else (self._bool(result) & self._bool(part))
            left = right
        return result
