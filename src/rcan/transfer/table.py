"""The shape of the transfer results table (RCAN, James et al. 2019, Table 1) and its JSON.

Rows are the three ways of training a simulated policy; columns are where and after how much
target data it is measured::

    {"canonical":  {"sim": CELL, "target_0": CELL, "target_5k": CELL, "target_28k": CELL},
     "randomized": {...},
     "rcan":       {...}}

    CELL = {"success": 0.71, "ci_low": 0.64, "ci_high": 0.77, "episodes": 200}

``sim`` is success in the row's own training domain, ``target_0`` zero-shot in the target
domain, and ``target_<N>`` after joint finetuning on N target grasps (``5k`` for 5,000). The
interval is the 95% Wilson interval. Everything else (commands, timings, curves, folders) goes
to a sibling ``<name>.meta.json`` so the table itself stays this small and fixed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rcan.common.errors import RcanError
from rcan.common.stats import RATE_KEYS, rate_fields

ROWS = ("canonical", "randomized", "rcan")
"""The rows in display order: what the simulated policy sees (rcan.qtopt.observation)."""
SIM = "sim"
"""Column: success in the row's own simulated training domain."""
ZERO_SHOT = "target_0"
"""Column: success in the target domain before any target grasp."""
CELL_KEYS = RATE_KEYS
"""The fields of every cell, in order."""


def budget_column(grasps: int) -> str:
    """Column name after ``grasps`` target grasps: 5000 -> ``target_5k``, 2 -> ``target_2``."""
    if grasps >= 1000 and grasps % 1000 == 0:
        return f"target_{grasps // 1000}k"
    return f"target_{grasps}"


def grasps_of(column: str) -> int | None:
    """Inverse of :func:`budget_column` (``target_0`` -> 0; None for ``sim`` or unknown)."""
    if not column.startswith("target_"):
        return None
    tail = column.removeprefix("target_")
    try:
        return int(tail[:-1]) * 1000 if tail.endswith("k") else int(tail)
    except ValueError:
        return None


def check_budgets(budgets: Sequence[int]) -> tuple[int, ...]:
    """Finetuning budgets, validated and in increasing order (each run continues the last)."""
    values = tuple(budgets)
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise RcanError(f"finetune grasps must be positive integers, got {value!r}")
    if len(set(values)) != len(values):
        raise RcanError(f"finetune grasps must be distinct, got {list(values)}")
    columns = [budget_column(v) for v in values]
    if len(set(columns)) != len(columns):
        raise RcanError(f"finetune grasps {list(values)} give clashing column names {columns}")
    return tuple(sorted(values))


def check_rows(rows: Sequence[str]) -> tuple[str, ...]:
    """Requested rows, validated, in display order."""
    unknown = [r for r in rows if r not in ROWS]
    if unknown:
        raise RcanError(f"unknown row {unknown[0]!r}: expected some of {list(ROWS)}")
    if not rows:
        raise RcanError(f"no rows asked for: expected some of {list(ROWS)}")
    return tuple(r for r in ROWS if r in rows)


def columns(budgets: Sequence[int]) -> list[str]:
    """All column names for these finetuning budgets, in display order."""
    return [SIM, ZERO_SHOT, *(budget_column(b) for b in sorted(budgets))]


def column_grasps(budgets: Sequence[int]) -> dict[str, int | None]:
    """Target grasps behind each column (None for ``sim``)."""
    return {SIM: None, ZERO_SHOT: 0, **{budget_column(b): b for b in budgets}}


def make_cell(result: dict[str, Any]) -> dict[str, Any]:
    """The four cell fields of an evaluation result, nothing else."""
    return rate_fields(result)


def check_table(data: Any, where: str) -> dict[str, dict[str, dict[str, Any]]]:
    """``data`` if it has the table's shape (known rows, sim and target_0 in each, cells with
    the four fields in range), else a one-line RcanError naming ``where``."""
    if not isinstance(data, dict) or not data:
        raise RcanError(f"{where}: expected a mapping of rows, got {type(data).__name__}")
    for row, cells in data.items():
        if row not in ROWS:
            raise RcanError(f"{where}: unknown row {row!r} (expected some of {list(ROWS)})")
        if not isinstance(cells, dict) or SIM not in cells or ZERO_SHOT not in cells:
            raise RcanError(f"{where}: row {row!r} needs at least {SIM!r} and {ZERO_SHOT!r}")
        for column, cell in cells.items():
            if column not in (SIM, ZERO_SHOT) and not column.startswith("target_"):
                raise RcanError(f"{where}: {row}.{column}: unknown column")
            if not isinstance(cell, dict) or set(cell) != set(CELL_KEYS):
                raise RcanError(f"{where}: {row}.{column}: expected the fields {list(CELL_KEYS)}")
            lo, p, hi = cell["ci_low"], cell["success"], cell["ci_high"]
            if not all(isinstance(v, int | float) for v in (lo, p, hi)) or not (
                    0.0 <= lo <= p <= hi <= 1.0):
                raise RcanError(f"{where}: {row}.{column}: need 0 <= ci_low <= success <= "
                                f"ci_high <= 1, got {lo}, {p}, {hi}")
            if not isinstance(cell["episodes"], int) or cell["episodes"] < 1:
                raise RcanError(f"{where}: {row}.{column}: episodes must be a positive integer")
    return data


def meta_path(table: str | Path) -> Path:
    """Where the metadata of ``table`` lives: ``results/table1.json`` ->
    ``results/table1.meta.json``."""
    path = Path(table)
    return path.with_name(f"{path.stem}.meta.json")


def format_cell(cell: dict[str, Any] | None) -> str:
    """``71.0% [64.4, 76.8] n=200``, or ``-`` for a missing cell."""
    if not cell:
        return "-"
    return (f"{cell['success']:.1%} [{100 * cell['ci_low']:.1f}, {100 * cell['ci_high']:.1f}] "
            f"n={cell['episodes']}")
