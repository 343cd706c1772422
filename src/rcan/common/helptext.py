"""``--help`` text from the configs' field docstrings, as flowing paragraphs.

Every config field carries a docstring (the string right below it). tyro reads those itself,
but keeps the source's line breaks (the continuation lines are indented in the source), so a
long description prints as ragged fragments. :func:`document_fields` reads them once, joins
each paragraph's lines, and hands the text to tyro through the field metadata's ``help`` key,
which tyro reads before any docstring.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import itertools
import textwrap
import types
import typing
from typing import Any


def field_docstrings(cls: type) -> dict[str, str]:
    """The docstring below each annotated field in ``cls``'s own body, each paragraph on one
    line (paragraphs keep their blank line); {} if the source cannot be read."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError, SyntaxError):
        return {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    docs = {}
    for statement, after in itertools.pairwise(body):
        if (isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)
                and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)):
            paragraphs = inspect.cleandoc(after.value.value).split("\n\n")
            docs[statement.target.id] = "\n\n".join(" ".join(p.split()) for p in paragraphs)
    return docs


def document_fields(cls: type) -> None:
    """Give every field of dataclass ``cls`` and of the dataclasses nested in it (through
    ``X | None`` too) its docstring as metadata ``help``, unless it already has one."""
    seen: set[type] = set()

    def visit(klass: type) -> None:
        if klass in seen or not dataclasses.is_dataclass(klass):
            return
        seen.add(klass)
        docs: dict[str, str] = {}
        for base in reversed(klass.__mro__):  # a subclass's docstring wins over its base's
            if dataclasses.is_dataclass(base):
                docs.update(field_docstrings(base))
        hints = typing.get_type_hints(klass)
        for f in dataclasses.fields(klass):
            if f.name in docs and "help" not in f.metadata:
                f.metadata = types.MappingProxyType({**f.metadata, "help": docs[f.name]})
            for inner in _dataclasses_in(hints.get(f.name)):
                visit(inner)

    visit(cls)


def _dataclasses_in(hint: Any) -> list[type]:
    """The dataclass types ``hint`` is or holds (``X``, ``X | None``, ``tuple[X, ...]``)."""
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return [hint]
    return [inner for arg in typing.get_args(hint) for inner in _dataclasses_in(arg)]
