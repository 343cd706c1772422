"""The whole acting step as one network: observation in, CEM argmax action out.

:class:`ActingGraph` chains what the robot runs each step: (for ``rcan``) the translator's
canonical image stacked with the camera image, the Q-network's image stack once per state,
then QT-Opt's CEM over actions, scoring all samples of a round in one call. It computes
exactly what rcan.qtopt.cem.cem_maximize computes (the same sample-clip-score-refit rounds,
the same floors, the best sample ever scored), except that the random numbers are *inputs*
rather than drawn inside. That is what lets one definition serve two runtimes:

* PyTorch (:class:`rcan.transfer.GraspPolicy`) evaluates the module directly;
* ONNX (:func:`rcan.transfer.export.export_onnx`) traces it into a graph without any random
  operator, which onnxruntime evaluates to the same actions given the same draws.

A test feeds it the draws of a seeded torch.Generator in cem_maximize's order and checks it
returns cem_maximize's actions bit for bit, so the exported policy acts like the trained one.
"""

from __future__ import annotations

import torch
from torch import nn

from rcan.qtopt.cem import ACTION_HIGH, ACTION_LOW, DISCRETE_DIMS, CEMConfig
from rcan.qtopt.networks import QNetwork
from rcan.translator.networks import UNetGenerator, rgb_to_uint8, to_model_input


class ActingGraph(nn.Module):
    """(image, gripper_closed, height, CEM draws) -> (action, Q); see the module docstring.

    Inputs: ``images`` uint8 (N, H, W, 3) camera images; ``gripper_closed`` and ``height``
    float32 (N,); ``normal`` float32 (N, iterations, samples, continuous) standard normal
    draws; ``uniform`` float32 (N, iterations, samples, discrete) draws in [0, 1).
    Outputs: raw actions float32 (N, 7) in the environment's units and Q in [0, 1] (N,).
    """

    def __init__(self, network: QNetwork, cem: CEMConfig,
                 generator: UNetGenerator | None = None) -> None:
        super().__init__()
        self.network = network.eval()
        self.generator = generator.eval() if generator is not None else None
        self.cem = cem
        dim = len(ACTION_LOW)
        disc = sorted(set(DISCRETE_DIMS))
        if disc != list(range(dim - len(disc), dim)):
            # the environment's layout: [translation, yaw | close, open, terminate]
            raise ValueError(f"ActingGraph expects the discrete dims last, got {disc}")
        self.continuous, self.discrete = dim - len(disc), len(disc)
        bounds = torch.tensor([ACTION_LOW, ACTION_HIGH], dtype=torch.float32)
        self.register_buffer("low", bounds[0, : self.continuous], persistent=False)
        self.register_buffer("high", bounds[1, : self.continuous], persistent=False)
        self.eval()  # acting only: no dropout, and exporters expect inference mode

    def observe(self, images: torch.Tensor) -> torch.Tensor:
        """Network input (N, C, H, W) uint8 from camera images (N, H, W, 3): the image itself,
        or for ``rcan`` G(x) stacked with x (rcan.qtopt.observation.ObservationEncoder)."""
        if self.generator is not None:
            x = images.permute(0, 3, 1, 2)
            translated = rgb_to_uint8(self.generator(to_model_input(x)).rgb)
            images = torch.cat([translated, images], dim=-1)
        return images.permute(0, 3, 1, 2)

    def forward(self, images: torch.Tensor, gripper_closed: torch.Tensor, height: torch.Tensor,
                normal: torch.Tensor, uniform: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.network.encode(self.observe(images))
        scalars = torch.stack([gripper_closed, height], dim=1)
        cfg, e = self.cem, self.cem.elites
        half = (self.high - self.low) / 2
        first = normal[:, 0, 0, :]  # (N, continuous): gives the batch shape without Python ints
        mean = torch.zeros_like(first) + (self.high + self.low) / 2
        std = torch.zeros_like(first) + cfg.init_std * half
        std_floor = cfg.min_std * half
        prob = torch.full_like(uniform[:, 0, 0, :], cfg.init_prob)
        best_actions = best_values = None
        for it in range(cfg.iterations):
            moved = mean.unsqueeze(1) + std.unsqueeze(1) * normal[:, it]
            cont = torch.maximum(torch.minimum(moved, self.high), self.low)
            disc = (uniform[:, it] < prob.unsqueeze(1)).to(torch.float32)
            actions = torch.cat([cont, disc], dim=-1)
            values = self.network.q_logits(features, scalars, actions)
            top_values, top = values.topk(e, dim=1)  # sorted: column 0 is the round's best
            dim = actions.shape[-1]
            round_best = actions.gather(1, top[:, :1, None].expand(-1, -1, dim)).squeeze(1)
            if best_values is None or best_actions is None:
                best_values, best_actions = top_values[:, 0], round_best
            else:
                better = top_values[:, 0] > best_values
                best_values = torch.where(better, top_values[:, 0], best_values)
                best_actions = torch.where(better.unsqueeze(1), round_best, best_actions)
            if it + 1 < cfg.iterations:  # the last round's refit would never be sampled
                elites = actions.gather(1, top.unsqueeze(2).expand(-1, -1, dim))
                elite_cont = elites[..., : self.continuous]
                mean = elite_cont.mean(dim=1)
                std = torch.maximum(elite_cont.std(dim=1, unbiased=False), std_floor)
                prob = elites[..., self.continuous :].mean(dim=1).clamp(
                    cfg.p_floor, 1.0 - cfg.p_floor)
        assert best_actions is not None and best_values is not None
        return best_actions, torch.sigmoid(best_values)
