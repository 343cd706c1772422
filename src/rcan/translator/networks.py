"""The translator's networks: a U-Net generator with three heads and a patch discriminator.

Generator (RCAN / pix2pix): strided 4x4 convolutions down, bilinear upsampling + 3x3
convolutions up (no checkerboard artefacts, unlike transposed convolutions), skip connections
at every scale, instance normalisation + (leaky) ReLU. Three 1x1 heads read the last decoder
features: canonical RGB (tanh, in [-1, 1]), segmentation logits, depth (normalised metres).

Inference semantics: instance normalisation keeps no running statistics, so a given image is
normalised by its own statistics in both ``train()`` and ``eval()`` mode, and dropout (off by
default) is only active in ``train()``. Hence ``eval()`` is deterministic and, with
``dropout=0``, identical to ``train()``.

Discriminator (pix2pix PatchGAN, conditional): sees the input image and a canonical image
stacked (6 channels) and scores overlapping patches; ``scales > 1`` adds copies at half, a
quarter... resolution (multi-scale, as in RCAN) whose losses are averaged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from rcan.common.errors import RcanError
from rcan.sim.render import CLASS_NAMES

#: Depth is predicted normalised: metres = DEPTH_MEAN + DEPTH_SCALE * output.
DEPTH_MEAN = 1.0
DEPTH_SCALE = 0.5


@dataclass
class GeneratorConfig:
    """Shape of the U-Net generator."""

    base_channels: int = 32
    """Channels after the first downsampling; doubled per level."""
    max_channels: int = 256
    """Cap on channels per level."""
    depth: int = 4
    """Downsampling levels (64 px in -> 64 / 2**depth at the bottleneck)."""
    norm: Literal["instance", "batch", "none"] = "instance"
    """Normalisation after each convolution (instance norm: no running statistics)."""
    dropout: float = 0.0
    """Dropout in the three innermost decoder levels (train mode only)."""
    num_classes: int = len(CLASS_NAMES)
    """Segmentation classes (see rcan.sim.render.CLASS_NAMES)."""
    stem_channels: int = 0
    """Width of two 3x3 convolutions at full resolution whose features are the outermost skip;
    0: the raw image is that skip (pix2pix). At 64 x 64 an object covers a few dozen pixels, so
    its outline needs features computed before the first downsampling."""
    decoder_convs: int = 1
    """3x3 convolutions per decoder level (pix2pix: 1; a segmentation U-Net: 2). With one, the
    full-resolution mask is drawn by a single convolution over upsampled features and the image."""


@dataclass
class DiscriminatorConfig:
    """Shape of the conditional patch discriminator."""

    base_channels: int = 32
    """Channels of the first convolution; doubled per layer."""
    layers: int = 3
    """Strided convolutions (3 at 64 px gives 8 x 8 patches of ~34 px receptive field)."""
    scales: int = 1
    """Image scales scored (multi-scale discriminator when > 1)."""


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True, track_running_stats=False)
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    return nn.Identity()


class _Down(nn.Sequential):
    def __init__(self, cin: int, cout: int, norm: str, first: bool) -> None:
        super().__init__(
            nn.Conv2d(cin, cout, 4, stride=2, padding=1, bias=first or norm == "none"),
            nn.Identity() if first else _norm(norm, cout),
            nn.LeakyReLU(0.2, inplace=True),
        )


class _Stem(nn.Sequential):
    def __init__(self, cout: int, norm: str) -> None:
        super().__init__(
            nn.Conv2d(3, cout, 3, padding=1),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(cout, cout, 3, padding=1, bias=norm == "none"),
            _norm(norm, cout),
            nn.LeakyReLU(0.2, inplace=True),
        )


class _Up(nn.Module):
    def __init__(self, cin: int, cskip: int, cout: int, norm: str, dropout: float,
                 convs: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for i in range(convs):
            layers += [
                nn.Conv2d(cin + cskip if i == 0 else cout, cout, 3, padding=1,
                          bias=norm == "none"),
                _norm(norm, cout),
                nn.ReLU(inplace=True),
            ]
        layers.append(nn.Dropout2d(dropout) if dropout > 0 else nn.Identity())
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.conv(torch.cat([x, skip], dim=1))


@dataclass
class GeneratorOutput:
    """The three heads, batched."""

    rgb: torch.Tensor
    """(N, 3, H, W) canonical RGB in [-1, 1]."""
    mask_logits: torch.Tensor
    """(N, C, H, W) segmentation logits."""
    depth: torch.Tensor
    """(N, 1, H, W) normalised depth (see DEPTH_MEAN, DEPTH_SCALE)."""


class UNetGenerator(nn.Module):
    """Image (N, 3, H, W) in [-1, 1] -> canonical RGB, mask logits, depth."""

    def __init__(self, config: GeneratorConfig) -> None:
        super().__init__()
        if config.decoder_convs < 1:
            raise RcanError(f"generator.decoder_convs must be >= 1, got {config.decoder_convs}")
        self.config = config
        widths = [
            min(config.base_channels * 2**i, config.max_channels) for i in range(config.depth)
        ]
        stem = config.stem_channels
        self.stem = _Stem(stem, config.norm) if stem > 0 else nn.Identity()
        self.downs = nn.ModuleList()
        cin = 3
        for i, w in enumerate(widths):
            self.downs.append(_Down(cin, w, config.norm, first=i == 0))
            cin = w
        self.ups = nn.ModuleList()
        skips = [stem or 3, *widths[:-1]]  # the stem's features (or the image) are the last skip
        for i in reversed(range(config.depth)):
            cout = widths[i - 1] if i > 0 else config.base_channels
            drop = config.dropout if i >= config.depth - 3 and i > 0 else 0.0
            self.ups.append(_Up(cin, skips[i], cout, config.norm, drop, config.decoder_convs))
            cin = cout
        self.rgb = nn.Conv2d(cin, 3, 1)
        self.mask = nn.Conv2d(cin, config.num_classes, 1)
        self.depth = nn.Conv2d(cin, 1, 1)

    def forward(self, x: torch.Tensor) -> GeneratorOutput:
        skips = [self.stem(x)]
        h = x
        for down in self.downs:
            h = down(h)
            skips.append(h)
        skips.pop()  # the bottleneck is not a skip
        for up in self.ups:
            h = up(h, skips.pop())
        return GeneratorOutput(torch.tanh(self.rgb(h)), self.mask(h), self.depth(h))


class PatchDiscriminator(nn.Module):
    """Conditional PatchGAN: (input, canonical) -> patch logits at each scale."""

    def __init__(self, config: DiscriminatorConfig) -> None:
        super().__init__()
        self.config = config
        self.nets = nn.ModuleList(self._single(config) for _ in range(config.scales))

    @staticmethod
    def _single(config: DiscriminatorConfig) -> nn.Sequential:
        layers: list[nn.Module] = []
        cin, c = 6, config.base_channels
        for i in range(config.layers):
            layers += [
                nn.Conv2d(cin, c, 4, stride=2, padding=1, bias=i == 0),
                nn.Identity() if i == 0 else nn.InstanceNorm2d(c, affine=True),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            cin, c = c, min(c * 2, 256)
        layers.append(nn.Conv2d(cin, 1, 3, padding=1))
        return nn.Sequential(*layers)

    def forward(self, image: torch.Tensor, canonical: torch.Tensor) -> list[torch.Tensor]:
        x = torch.cat([image, canonical], dim=1)
        outputs = []
        for i, net in enumerate(self.nets):
            if i > 0:
                x = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
            outputs.append(net(x))
        return outputs


def to_model_input(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 3, H, W) -> float in [-1, 1]."""
    return images.float().div(127.5).sub(1.0)


def rgb_to_uint8(rgb: torch.Tensor) -> torch.Tensor:
    """[-1, 1] (N, 3, H, W) -> uint8 (N, H, W, 3)."""
    return rgb.add(1.0).mul(127.5).round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1)


def depth_to_metres(depth: torch.Tensor) -> torch.Tensor:
    """Normalised (N, 1, H, W) -> metres (N, H, W)."""
    return (DEPTH_MEAN + DEPTH_SCALE * depth).squeeze(1)
