"""The translator model: generator, discriminator, their losses and optimisers in one place."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from rcan.translator.losses import (
    LossWeights,
    balanced_class_weights,
    gan_loss,
    mpse,
    soft_jaccard,
)
from rcan.translator.networks import (
    DEPTH_MEAN,
    DEPTH_SCALE,
    DiscriminatorConfig,
    GeneratorConfig,
    GeneratorOutput,
    PatchDiscriminator,
    UNetGenerator,
    to_model_input,
)


@dataclass
class ModelConfig:
    """Networks, loss weights and optimiser settings."""

    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    """U-Net shape."""
    discriminator: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)
    """Patch discriminator shape."""
    losses: LossWeights = field(default_factory=LossWeights)
    """Loss weights."""
    lr: float = 2e-4
    """Adam learning rate (pix2pix)."""
    beta1: float = 0.5
    """Adam beta1 (pix2pix)."""
    beta2: float = 0.999
    """Adam beta2."""


@dataclass
class Batch:
    """A training batch as tensors (images channels-first)."""

    image: torch.Tensor
    """(N, 3, H, W) uint8 input (randomized domain)."""
    canonical: torch.Tensor
    """(N, 3, H, W) uint8 target."""
    mask: torch.Tensor
    """(N, H, W) int64 class ids."""
    depth: torch.Tensor
    """(N, H, W) float32 metres."""


class TranslatorModel:
    """Owns the networks, the losses and the optimisers; one call per training step."""

    def __init__(self, config: ModelConfig, device: str | torch.device = "cpu") -> None:
        self.config = config
        self.device = torch.device(device)
        self.generator = UNetGenerator(config.generator).to(self.device)
        self.discriminator = PatchDiscriminator(config.discriminator).to(self.device)
        betas = (config.beta1, config.beta2)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=config.lr, betas=betas)
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=config.lr, betas=betas)
        self.class_weights: torch.Tensor | None = None

    def set_class_frequencies(self, frequencies: torch.Tensor) -> None:
        """Pixel frequency of each mask class in the training data (for ``mask_balance``)."""
        if self.config.losses.mask_balance:
            self.class_weights = balanced_class_weights(frequencies.float()).to(self.device)

    def supervised_losses(
        self,
        out: GeneratorOutput,
        target_rgb: torch.Tensor,
        mask: torch.Tensor,
        depth: torch.Tensor,
    ) -> dict[str, torch.Tensor]:
        """The generator's supervised terms; ``target_rgb`` in [-1, 1], ``depth`` in metres."""
        return {
            "mpse": mpse(out.rgb, target_rgb),
            "l2": F.mse_loss(out.rgb, target_rgb),
            "mask": F.cross_entropy(out.mask_logits, mask, weight=self.class_weights),
            "mask_iou": soft_jaccard(out.mask_logits, mask),
            "depth": F.mse_loss(out.depth, (depth.unsqueeze(1) - DEPTH_MEAN) / DEPTH_SCALE),
        }

    def train_step(self, batch: Batch) -> dict[str, float]:
        """One discriminator update, then one generator update; returns the loss values."""
        w = self.config.losses
        self.generator.train()
        self.discriminator.train()
        x = to_model_input(batch.image.to(self.device))
        target_rgb = to_model_input(batch.canonical.to(self.device))
        out = self.generator(x)

        logs: dict[str, float] = {}
        if w.gan > 0:
            # pix2pix halves the discriminator's loss to slow it relative to the generator.
            real = self.discriminator(x, target_rgb)
            fake = self.discriminator(x, out.rgb.detach())
            loss_d = 0.5 * (gan_loss(real, True) + gan_loss(fake, False))
            self.opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            self.opt_d.step()
            logs["d"] = float(loss_d.detach())

        mask, depth = batch.mask.to(self.device), batch.depth.to(self.device)
        terms = self.supervised_losses(out, target_rgb, mask, depth)
        if w.gan > 0:
            terms["gan"] = gan_loss(self.discriminator(x, out.rgb), True)
        loss_g = sum(getattr(w, name) * value for name, value in terms.items())
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()  # type: ignore[union-attr]
        self.opt_g.step()
        logs.update({name: float(value.detach()) for name, value in terms.items()})
        logs["g"] = float(loss_g.detach())  # type: ignore[union-attr]
        return logs
