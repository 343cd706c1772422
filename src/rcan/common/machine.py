"""What a figure was measured on, recorded beside it."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path
from typing import Any

import torch


def machine() -> dict[str, Any]:
    """Platform, CPU count, Python and PyTorch versions, and PyTorch's thread count now."""
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
    }


def machine_summary() -> str:
    """One line for a results file: architecture and CPU count."""
    return f"{platform.machine()}, {os.cpu_count()} CPUs"


def command_line(fallback: str) -> str:
    """This process's ``rcan`` command as typed (``rcan train-policy ...``, or the
    ``rcan experiment table1 ...`` that started a run inside an experiment); ``fallback``
    when the process is not the ``rcan`` command (a Python caller)."""
    if Path(sys.argv[0]).name != "rcan":
        return fallback
    return " ".join(["rcan", *sys.argv[1:]])
