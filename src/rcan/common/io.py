"""Writing files so that a crash never leaves a half-written one behind, and reading the JSON
files a run left with one-line errors.

Every writer in rcan goes through :func:`atomic_path`: write to a temporary name in the same
folder, then ``os.replace`` it onto the final name (atomic on POSIX).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextlib.contextmanager
def atomic_folder(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``path``; if the block succeeds it replaces
    ``path`` (an existing folder is moved aside first and removed after), otherwise it is
    deleted. Readers see the old folder or the new one, never a half-written mix."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    old = final.with_name(f".{final.name}.{os.getpid()}.old")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        yield tmp
        if final.exists():
            final.rename(old)
        tmp.rename(final)
        if old.exists():
            shutil.rmtree(old)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def write_json(path: str | os.PathLike[str], payload: Any) -> Path:
    """Write ``payload`` (dataclasses allowed) as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(to_jsonable(payload), indent=2, sort_keys=False) + "\n")
    return Path(path)


def read_json(path: str | os.PathLike[str], kind: type = dict) -> Any:
    """The JSON value in ``path``, which must be a ``kind`` (dict or list) at the top; a
    missing, unreadable or malformed file is a one-line RcanError naming it."""
    from rcan.common.errors import RcanError

    try:
        value = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise RcanError(f"{path} is missing") from None
    except (OSError, UnicodeDecodeError) as err:
        raise RcanError(f"{path} is unreadable ({err})") from None
    except json.JSONDecodeError as err:
        raise RcanError(f"{path} is malformed JSON ({err.msg}, line {err.lineno})") from None
    if not isinstance(value, kind):
        raise RcanError(f"{path}: expected a JSON {'object' if kind is dict else 'list'} at the "
                        f"top, got {type(value).__name__}")
    return value


def to_jsonable(obj: Any) -> Any:
    """Convert dataclasses, paths, tuples and numpy scalars into plain JSON values."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalar
        return obj.item()
    return obj


def save_run_config(
    out: str | os.PathLike[str],
    config: Any,
    frozen: tuple[str, ...],
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``OUT/config.json`` for a run that can be resumed.

    If a run already lives in ``out``, the fields named in ``frozen`` (what the saved weights
    and data depend on) must match it; the others (step counts, logging) may change between
    a run and its resumption.
    """
    saved = Path(out) / "config.json"
    payload = {**to_jsonable(config), **(extra or {})}
    if saved.exists():
        previous = read_json(saved)
        for key in frozen:
            if not _same_settings(previous.get(key), payload.get(key)):
                from rcan.common.errors import RcanError

                raise RcanError(
                    f"{out} holds a run with a different {key!r} (see {saved}); "
                    "use another --out to start a new run"
                )
    return write_json(saved, payload)


def _same_settings(saved: Any, current: Any) -> bool:
    """Whether ``current`` keeps every setting ``saved`` recorded. Settings that did not exist
    when the run started (keys only in ``current``) are accepted, so adding a field with a
    default does not orphan older runs."""
    if isinstance(saved, dict) and isinstance(current, dict):
        return all(k in current and _same_settings(v, current[k]) for k, v in saved.items())
    return bool(saved == current)
