"""Typed dataclass configs from plain dicts (YAML/JSON), with one-line errors.

Every config in rcan is a dataclass. :func:`from_dict` builds one from nested dicts, checking
field names and value types, so a typo in a YAML file is reported as
``domain file 'x.yaml': unknown field 'lighting.azimuthh'`` rather than silently ignored.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from rcan.common.errors import RcanError

T = TypeVar("T")


def from_dict(
    cls: type[T], data: Any, where: str, path: str = "", use_custom: bool = True
) -> T:
    """Build dataclass ``cls`` from ``data``; fields left out keep their defaults.

    ``where`` names the source (e.g. a file) and ``path`` the field being read, so errors read
    ``domain file 'x.yaml': unknown field 'lighting.azimuthh'``. A class with its own
    ``from_dict`` is built by it unless ``use_custom`` is False (how that method itself can
    delegate the plain fields back here).
    """
    if not isinstance(data, dict):
        raise RcanError(f"{_at(where, path)}expected a mapping, got {type(data).__name__}")
    custom = getattr(cls, "from_dict", None) if use_custom else None
    if custom is not None:
        return custom(data, f"{where}: {path}" if path else where)
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    for key in data:
        if key not in names:
            raise RcanError(
                f"{where}: unknown field {join_path(path, key)!r} (expected one of {sorted(names)})"
            )
    values = {k: _convert(hints[k], v, where, join_path(path, k)) for k, v in data.items()}
    return cls(**values)


def join_path(path: str, key: str) -> str:
    """The dotted name of field ``key`` under ``path`` (``lighting.azimuth``)."""
    return f"{path}.{key}" if path else str(key)


def _at(where: str, path: str) -> str:
    return f"{where}: {path}: " if path else f"{where}: "


def _convert(hint: Any, value: Any, source: str, path: str) -> Any:
    where = f"{source}: {path}" if path else source
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value, source, path)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(arg, value, source, path)
            except RcanError as err:
                errors.append(str(err))
        raise RcanError(errors[0] if errors else f"{where}: bad value {value!r}")
    if origin is typing.Literal:
        if value not in args:
            raise RcanError(f"{where}: expected one of {list(args)}, got {value!r}")
        return value
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise RcanError(f"{where}: expected a list of {len(args)} values, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v, source, path) for v in value)
        if len(value) != len(args):
            raise RcanError(f"{where}: expected {len(args)} values, got {len(value)}")
        return tuple(_convert(a, v, source, path) for a, v in zip(args, value, strict=True))
    if origin is list:
        if not isinstance(value, list | tuple):
            raise RcanError(f"{where}: expected a list, got {value!r}")
        return [_convert(args[0], v, source, path) for v in value]
    if origin is dict:
        if not isinstance(value, dict):
            raise RcanError(f"{where}: expected a mapping, got {value!r}")
        return {str(k): _convert(args[1], v, source, join_path(path, k)) for k, v in value.items()}
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RcanError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise RcanError(f"{where}: expected an integer, got {value!r}")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise RcanError(f"{where}: expected true or false, got {value!r}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise RcanError(f"{where}: expected a string, got {value!r}")
        return value
    if hint is Path:
        return Path(value)
    return value
