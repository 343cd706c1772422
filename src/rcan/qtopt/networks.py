"""The Q-network of QT-Opt (Kalashnikov et al. 2018), scaled down to 64 x 64 images.

Shape (paper, Fig. 6, with fewer and narrower layers): a convolutional stack reads the image; the
action and the state scalars (gripper_closed, height) each go through a dense layer, are summed,
go through a dense layer and are broadcast-added (tiled) over the feature map; more
convolutions with pooling bring it down to 4 x 4; two dense layers of 64; one logit. Q is the
sigmoid of that logit, in [0, 1], because QT-Opt trains it with the log loss against targets in
[0, 1] (the reward is a grasp-success probability).

Default sizes at 64 x 64 (about 71k parameters; QT-Opt's is 1.2M at 472 x 472)::

    image  uint8 (N, C, 64, 64) -> [-1, 1]
    conv 7x7/2, 32 -> 32x32 ; max-pool 2 -> 16x16 ; 2 x conv 3x3, 32
    max-pool 2 -> 8x8                                               (encode: once per state)
    + tile(dense(dense(action) + dense(state)))                    (merge: per action)
    conv 3x3 ; max-pool 2 -> 4x4
    flatten 512 -> dense 64 -> dense 64 -> 1 logit

Merging at 8 x 8 rather than 16 x 16 makes every scored action (64 x 2 per CEM call, for acting
and for each Bellman target) about 7x cheaper, and the width of 32 another 3x, which is what
makes training on a CPU practical; ``channels=64, pre_merge_pools=0, post_merge_convs=(2, 2)``
is closer to the paper.

The forward pass is split at the merge so that CEM (which scores many actions per state) runs
the image stack once per state: :meth:`QNetwork.encode` gives the features, and
:meth:`QNetwork.q_logits` broadcasts them against ``S`` actions per state, reshaping to
``N * S`` rows only after the merge. No batch normalisation (QT-Opt used it): with batch
statistics a sample's Q would depend on the other CEM samples scored with it, and the
encode-once path would no longer equal the naive one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

#: Order of the state scalars in the ``scalars`` tensors (QT-Opt's non-image state).
STATE_SCALARS = ("gripper_closed", "height")

#: Activations run channels-last (NHWC): PyTorch's CPU convolutions and max-pools have
#: vectorised NHWC kernels, which make a gradient step with its Bellman labels (64 states x 16
#: CEM actions) about 1.7x faster than NCHW at 2 threads (``rcan bench qtopt``). The weights
#: keep the default layout, so checkpoints and exports are unchanged.
_layout = {"activations": torch.channels_last}


@contextmanager
def activation_layout(layout: torch.memory_format) -> Iterator[None]:
    """Run Q-networks with activations in ``layout`` inside the block (benchmarks compare
    ``torch.contiguous_format``, NCHW, against the default ``torch.channels_last``)."""
    previous = _layout["activations"]
    _layout["activations"] = layout
    try:
        yield
    finally:
        _layout["activations"] = previous


@dataclass
class QNetworkConfig:
    """Shape of the Q-network (defaults: about 71k parameters at 64 x 64)."""

    in_channels: int = 3
    """Image channels: 3 for canonical or randomized RGB, 6 for RCAN (canonical + raw)."""
    image_height: int = 64
    """Input image height in pixels (sizes the first dense layer)."""
    image_width: int = 64
    """Input image width in pixels."""
    action_dim: int = 7
    """Action size (rcan.sim.env: translation 3, yaw 1, close, open, terminate)."""
    state_dim: int = len(STATE_SCALARS)
    """Non-image state scalars, in the order of STATE_SCALARS."""
    channels: int = 32
    """Width of every convolution and of the merge vector (QT-Opt: 64; 32 trains ~3x faster
    on a CPU)."""
    pre_merge_convs: int = 2
    """3x3 convolutions after the 7x7/2 stem and its 2x2 pool, before the merge."""
    pre_merge_pools: int = 1
    """Extra 2x2 max-pools before the merge: each makes the per-action work (CEM, Bellman
    targets) 4x cheaper, which is what makes CPU training practical."""
    post_merge_convs: tuple[int, ...] = (1,)
    """3x3 convolutions after the merge, per stage; every stage ends with a 2x2 max-pool."""
    hidden: int = 64
    """Width of the two dense layers before the output (QT-Opt: 64)."""
    height_scale: float = 10.0
    """The height scalar (metres) is multiplied by this before its dense layer, so that the
    0-0.35 m of the workspace span a few units like the other inputs do."""
    coord_channels: bool = False
    """Give the first convolution two more input maps, each pixel's x and y in [-1, 1]
    (CoordConv, Liu et al. 2018), so that features can say where in the image they are."""


def _conv_block(channels: int, count: int) -> list[nn.Module]:
    layers: list[nn.Module] = []
    for _ in range(count):
        layers += [nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(inplace=True)]
    return layers


class QNetwork(nn.Module):
    """QT-Opt's Q(s, a) with an encode-once split (see the module docstring)."""

    def __init__(self, config: QNetworkConfig | None = None) -> None:
        super().__init__()
        self.config = cfg = config if config is not None else QNetworkConfig()
        c = cfg.channels
        self.image_stack = nn.Sequential(
            nn.Conv2d(cfg.in_channels, c, 7, stride=2, padding=3),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            *_conv_block(c, cfg.pre_merge_convs),
            *[nn.MaxPool2d(2) for _ in range(cfg.pre_merge_pools)],
        )
        # CoordConv as a second stem convolution over the constant coordinate maps: the same
        # as two more input channels, but the image stem keeps its shape, so checkpoints,
        # widening to rcan inputs and frozen input channels treat image channels alone.
        self.coord_stem: nn.Conv2d | None = None
        if cfg.coord_channels:
            self.coord_stem = nn.Conv2d(2, c, 7, stride=2, padding=3, bias=False)
            ys = torch.linspace(-1.0, 1.0, cfg.image_height)
            xs = torch.linspace(-1.0, 1.0, cfg.image_width)
            coords = torch.stack(torch.meshgrid(xs, ys, indexing="xy"))[None]
            self.register_buffer("coords", coords, persistent=False)
        self.action_fc = nn.Linear(cfg.action_dim, c)
        self.state_fc = nn.Linear(cfg.state_dim, c)
        self.merge_fc = nn.Linear(c, c)
        post: list[nn.Module] = []
        for count in cfg.post_merge_convs:
            post += [*_conv_block(c, count), nn.MaxPool2d(2)]
        self.merged_stack = nn.Sequential(*post)
        h, w = self.feature_shape()[1:]
        for _ in cfg.post_merge_convs:
            h, w = h // 2, w // 2
        if h < 1 or w < 1:
            raise ValueError(f"images of {cfg.image_height}x{cfg.image_width} are too small")
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(c * h * w, cfg.hidden),
            nn.ReLU(inplace=True),
            nn.Linear(cfg.hidden, cfg.hidden),
            nn.ReLU(inplace=True),
            nn.Linear(cfg.hidden, 1),
        )

    def feature_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of :meth:`encode`'s output per image."""
        cfg = self.config
        # stem: stride 2 with padding 3 gives ceil(x / 2); the pool then floors
        h = (cfg.image_height + 1) // 2 // 2 // 2**cfg.pre_merge_pools
        w = (cfg.image_width + 1) // 2 // 2 // 2**cfg.pre_merge_pools
        return cfg.channels, h, w

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """Image features before the merge, (N, C, H', W'), from uint8 images (N, C, H, W).

        Images are scaled inside, from [0, 255] to [-1, 1] (zero-centred inputs for the first
        convolution; the same range as the translator's tanh outputs), so callers, replay
        buffers and workers only ever move uint8 pixels: 4x less memory and bandwidth.
        """
        if images.dtype != torch.uint8:
            raise TypeError(f"QNetwork expects uint8 images, got {images.dtype}")
        x = images.to(torch.float32) * (2.0 / 255.0) - 1.0
        x = x.contiguous(memory_format=_layout["activations"])
        if self.coord_stem is None:
            return self.image_stack(x)
        x = self.image_stack[0](x) + self.coord_stem(self.coords)
        return self.image_stack[1:](x)

    def q_logits(
        self, features: torch.Tensor, scalars: torch.Tensor, actions: torch.Tensor
    ) -> torch.Tensor:
        """Logits of Q for features (N, C, H', W'), scalars (N, 2) and actions (N, S, A).

        Returns (N, S); actions (N, A) give (N,). The features are only expanded (a view) and
        summed with each action's merge vector, so the image stack's work is shared by all
        ``S`` actions of a state; the post-merge layers then see ``N * S`` rows.
        """
        single = actions.dim() == 2
        if single:
            actions = actions.unsqueeze(1)
        n, s, _ = actions.shape
        scale = scalars.new_tensor([1.0, self.config.height_scale])
        merge = self.action_fc(actions) + self.state_fc(scalars * scale).unsqueeze(1)
        merge = self.merge_fc(F.relu(merge))  # (N, S, C)
        c, h, w = features.shape[1:]
        # one (N, S, C, H, W) tensor: the tiled add itself, nothing recomputed
        x = (features.unsqueeze(1) + merge[..., None, None]).reshape(n * s, c, h, w)
        x = x.contiguous(memory_format=_layout["activations"])
        logits = self.head(self.merged_stack(x)).view(n, s)
        return logits.squeeze(1) if single else logits

    def forward(
        self, images: torch.Tensor, scalars: torch.Tensor, actions: torch.Tensor
    ) -> torch.Tensor:
        """Q in [0, 1]: sigmoid of :meth:`q_logits` on :meth:`encode` (shapes as there)."""
        return torch.sigmoid(self.q_logits(self.encode(images), scalars, actions))


def parameter_count(module: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
