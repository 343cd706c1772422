"""What a run records about where and how it was started."""

from __future__ import annotations

import sys

import pytest

from rcan.common.machine import command_line, machine, machine_summary


def test_command_line_is_the_rcan_command_as_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["/venv/bin/rcan", "experiment", "table1", "--rows", "rcan"])
    assert command_line("x") == "rcan experiment table1 --rows rcan"
    monkeypatch.setattr(sys, "argv", ["/venv/bin/rcan", "train-policy", "--obs", "canonical"])
    assert command_line("x") == "rcan train-policy --obs canonical"
    monkeypatch.setattr(sys, "argv", ["/venv/lib/pytest/__main__.py", "-q"])
    assert command_line("rcan train-policy (from Python)") == "rcan train-policy (from Python)"


def test_machine_names_the_cpus() -> None:
    assert machine()["cpu_count"] >= 1
    assert "CPUs" in machine_summary()
