"""Benchmarks: rcan's simulator measured side by side against reference environments."""

from __future__ import annotations

import sys


def announce(bench: str, stage: str) -> None:
    """Say on stderr which measurement runs now: benchmarks time code, so a progress bar's own
    work would disturb them, but a line per stage still shows that they are alive."""
    print(f"bench {bench}: {stage}", file=sys.stderr, flush=True)
