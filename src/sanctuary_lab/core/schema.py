"""Typed models of the user-editable files, and their one-line errors.

Study files and their ``[multiverse]`` section are declared as pydantic models built on
:class:`FileModel` (unknown keys forbidden, no type coercion). A problem in a file becomes one
:class:`~sanctuary_lab.core.errors.SpecError` line naming the file and the dotted key path, e.g.
``study.toml: key 'analysis[2].options': must be an inline table of design options``:

- a field declares its messages with :func:`key` (``expect`` for a value of the wrong type or out
  of bounds, ``missing`` for an absent required key);
- a model declares how an unknown key is reported (:attr:`FileModel.unknown`);
- a validator that needs its own words raises :func:`fail`; a validator that calls code raising
  a ready :class:`SpecError` (the filter language, frame parameters) lets it through unchanged.

:func:`spec_error` turns pydantic's ``ValidationError`` into that line, choosing the problem met
first in reading order (unknown keys of a table before its values).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from types import UnionType
from typing import Any, ClassVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from sanctuary_lab.core.errors import SpecError

#: pydantic error type of the errors raised by :func:`fail`
FAIL = "spec"


class FileModel(BaseModel):
    """Base of the file models: unknown keys are errors, values are never coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    #: How an unknown key is reported: ``{name}`` is the key, ``{allowed}`` the declared keys.
    unknown: ClassVar[str] = "unknown key; allowed keys: {allowed}"
    #: Whether an unknown key is reported at this table's path (else at the unknown key's own).
    unknown_at_table: ClassVar[bool] = False

    @classmethod
    def allowed_keys(cls) -> list[str]:
        """The keys the table may hold, as listed in the unknown-key message."""
        return sorted(f.alias or name for name, f in cls.model_fields.items())


def key(
    default: Any = ...,
    *,
    expect: str | dict[str, str],
    missing: str | None = None,
    item: str | None = None,
    at_table: bool = False,
    **constraints: Any,
) -> Any:
    """A model field with its error messages.

    Parameters
    ----------
    default
        The default value (``...``: required).
    expect
        Message for a value pydantic rejects (``{value!r}``: the value, ``{type}``: its type
        name); a dict maps pydantic error types (e.g. ``"less_than_equal"``) to messages, with
        ``"*"`` for the others.
    missing
        Message for an absent required key (default: ``expect``).
    item
        Message for a rejected item of a list or table, reported at the item's path
        (``exclude[0]``, ``designs.cs``); by default it is reported at the field with ``expect``.
    at_table
        Report this field's problems at the path of the table holding it.
    constraints
        Passed to :func:`pydantic.Field` (bounds such as ``ge``/``le``, ``alias``, ...).
    """
    extra: dict[str, Any] = {
        "expect": expect,
        "missing": missing,
        "item": item,
        "at_table": at_table,
    }
    return Field(default, json_schema_extra=extra, **constraints)


def fail(message: str, at: str | None = None) -> PydanticCustomError:
    """An error with our own ``message``, reported at the validated key or at the path ``at``
    (relative to the file's root model). Raise it from a validator."""
    return PydanticCustomError(FAIL, "{message}", {"message": message, "at": at})


def key_error(where: str | Path, path: str, message: str) -> SpecError:
    """The one-line error ``where: key 'path': message``."""
    return SpecError(f"{where}: key '{path}': {message}")


def read_toml(path: Path) -> dict[str, Any]:
    """Read and decode a study file once (one-line errors for a missing, non-UTF-8 or bad file)."""
    if not path.is_file():
        raise SpecError(f"{path}: study file not found")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise SpecError(f"{path}: not UTF-8 text") from None


def validate(
    model: type[BaseModel],
    doc: dict[str, Any],
    where: str | Path,
    prefix: str = "",
    context: dict[str, Any] | None = None,
) -> Any:
    """``model`` validated from ``doc``, or the first problem as a one-line :class:`SpecError`.

    ``prefix`` is the path of ``doc`` inside the file (``"multiverse."``).
    """
    try:
        return model.model_validate(doc, context=context)
    except ValidationError as exc:
        raise spec_error(exc, model, doc, where, prefix) from None


def spec_error(
    exc: ValidationError, model: type[BaseModel], doc: Any, where: str | Path, prefix: str = ""
) -> SpecError:
    """The first problem of ``exc`` as ``where: key 'prefix+path': message``."""
    errors = exc.errors(include_url=False)
    first = min(errors, key=_reading_order(errors))
    ctx = first.get("ctx") or {}
    if isinstance(ctx.get("error"), SpecError):
        return ctx["error"]  # already one line naming the file and key
    loc = tuple(first["loc"])
    if first["type"] == FAIL:
        at = ctx.get("at")
        at = at if at is not None else _walk(model, loc)[0]
        return key_error(where, prefix + at, first["msg"])
    if first["type"] == "extra_forbidden":
        table, _, owner, _, _ = _walk(model, loc[:-1])
        name = str(loc[-1])
        at = table if owner.unknown_at_table else ".".join(p for p in (table, name) if p)
        message = owner.unknown.format(name=name, allowed=owner.allowed_keys())
        return key_error(where, prefix + at, message)
    _, path, _, meta, depth = _walk(model, loc)
    value = _lookup(doc, loc[:depth])
    if first["type"] == "missing":
        message = meta.get("missing") or meta["expect"]
    elif meta.get("item") and len(loc) == depth + 1:
        item = f"[{loc[depth]}]" if isinstance(loc[depth], int) else f".{loc[depth]}"
        path, message, value = path + item, meta["item"], _lookup(doc, loc)
    else:
        expect = meta["expect"]
        message = expect if isinstance(expect, str) else expect.get(first["type"], expect["*"])
    if meta.get("at_table"):
        path = path.rpartition(".")[0]
    return key_error(where, prefix + path, message.format(value=value, type=type(value).__name__))


def _reading_order(errors: list[Any]):
    """Sort key: pydantic's order (declared fields, then items), unknown keys of a table first."""
    rank: dict[tuple[Any, ...], int] = {}
    for e in errors:
        loc = tuple(e["loc"])
        for i in range(1, len(loc) + 1):
            rank.setdefault(loc[:i], len(rank))

    def order(e: Any) -> tuple[tuple[int, str], ...]:
        loc = tuple(e["loc"])
        out = [(rank[loc[: i + 1]], "") for i in range(len(loc))]
        if e["type"] == "extra_forbidden" and out:
            out[-1] = (-1, str(loc[-1]))
        return tuple(out)

    return order


def _walk(
    model: type[BaseModel], loc: tuple[Any, ...]
) -> tuple[str, str, Any, dict[str, Any], int]:
    """Follow ``loc`` through the declared fields.

    Returns the dotted path of ``loc`` (up to the last field when ``loc`` goes on inside a value),
    the path of the last field reached, the type there, that field's messages and its depth in
    ``loc``.
    """
    typ: Any = model
    path, field_path, meta, depth = "", "", {}, 0
    for i, part in enumerate(loc):
        typ = _strip_none(typ)
        if isinstance(part, str) and isinstance(typ, type) and issubclass(typ, BaseModel):
            name = next((n for n, f in typ.model_fields.items() if (f.alias or n) == part), None)
            if name is None:
                break
            field = typ.model_fields[name]
            path = f"{path}.{part}" if path else part
            declared = field.json_schema_extra
            meta = dict(declared) if isinstance(declared, dict) else {}
            field_path, depth = path, i + 1
            typ = field.annotation
        elif isinstance(part, int) and get_origin(typ) in (list, tuple):
            path, typ = f"{path}[{part}]", get_args(typ)[0]
        elif isinstance(part, str) and get_origin(typ) is dict:
            path, typ = f"{path}.{part}", get_args(typ)[1]
        else:
            break
    else:
        return path, field_path, _strip_none(typ), meta, depth
    return field_path, field_path, _strip_none(typ), meta, depth


def _strip_none(typ: Any) -> Any:
    if get_origin(typ) in (Union, UnionType):
        args = [a for a in get_args(typ) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return typ


def _lookup(doc: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc:
        try:
            doc = doc[part]
        except (KeyError, IndexError, TypeError):
            return None
    return doc
