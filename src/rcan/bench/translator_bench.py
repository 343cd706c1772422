"""``rcan bench translator``: latency of one 64 x 64 translation on 2 CPU threads.

Side by side in one run: a single image at a time (what a robot's control loop does) and the
same images in one batch (throughput), so the ratio shows what batching buys.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rcan.common.io import write_json
from rcan.translator.inference import Translator


@dataclass
class TranslatorBenchConfig:
    """Settings of ``rcan bench translator``."""

    checkpoint: Path = Path("models/translator")
    """Translator folder (generator.safetensors + config.json)."""
    image_size: int = 64
    """Side of the square test images."""
    threads: int = 2
    """PyTorch CPU threads."""
    repeats: int = 200
    """Single-image calls to time."""
    batch: int = 64
    """Images in the batched measurement."""
    out: Path = Path("results/translator/bench.json")
    """Where the JSON goes."""


def bench_translator(config: TranslatorBenchConfig) -> dict[str, Any]:
    """Time ``Translator.translate`` on one image and on a batch."""
    torch.set_num_threads(config.threads)
    translator = Translator.from_checkpoint(config.checkpoint)
    rng = np.random.default_rng(0)
    side = config.image_size
    images = rng.integers(0, 256, (config.batch, side, side, 3), dtype=np.uint8)
    for i in range(10):
        translator.translate(images[i])
    start = time.perf_counter()
    for i in range(config.repeats):
        translator.translate(images[i % config.batch])
    single_ms = (time.perf_counter() - start) / config.repeats * 1000
    translator.translate(images)
    start = time.perf_counter()
    for _ in range(5):
        translator.translate(images)
    batched_ms = (time.perf_counter() - start) / (5 * config.batch) * 1000
    params = sum(p.numel() for p in translator.generator.parameters())
    result = {
        "single_image_ms": single_ms,
        "batched_ms_per_image": batched_ms,
        "batching_speedup": single_ms / batched_ms,
        "image_size": side,
        "threads": config.threads,
        "parameters": params,
        "checkpoint": str(config.checkpoint),
        "command": f"rcan bench translator --checkpoint {config.checkpoint}",
    }
    write_json(config.out, result)
    return result
