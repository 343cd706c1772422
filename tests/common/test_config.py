"""Typed config loading and atomic writing."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from rcan.common.config import from_dict
from rcan.common.errors import RcanError
from rcan.common.io import atomic_path, write_json


@dataclass
class Inner:
    size: tuple[float, float] = (1.0, 2.0)
    """A range."""


@dataclass
class Outer:
    name: str = "x"
    """A name."""
    count: int = 1
    """A count."""
    inner: Inner = field(default_factory=Inner)
    """Nested."""


def test_from_dict_builds_nested_and_keeps_defaults() -> None:
    cfg = from_dict(Outer, {"count": 3, "inner": {"size": [0, 5]}}, "cfg")
    assert cfg == Outer(name="x", count=3, inner=Inner((0.0, 5.0)))


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"cont": 1}, "unknown field 'cont'"),
        ({"count": "3"}, "cfg: count: expected an integer"),
        ({"inner": {"size": [1]}}, "cfg: inner.size: expected 2 values"),
        ({"inner": 4}, "cfg: inner: expected a mapping"),
    ],
)
def test_from_dict_errors_name_the_field(data: dict, needle: str) -> None:
    with pytest.raises(RcanError, match=needle):
        from_dict(Outer, data, "cfg")


def test_atomic_path_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []
    write_json(target, {"a": 1})
    assert target.read_text().strip().startswith("{")
