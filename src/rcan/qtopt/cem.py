"""The cross-entropy method (CEM) that QT-Opt uses to maximise Q over actions.

Kalashnikov et al. 2018 (QT-Opt) pick actions, both to act and inside the Bellman target, by
CEM with 64 samples, 6 elites and 2 iterations. Here it is batched over states and samples: each
iteration draws an (N, S, A) tensor, calls ``score`` once on it, and refits every state's
sampling distribution to its elites with tensor operations only (a per-sample Python loop, the
usual flaw of ports, is 64x the interpreter overhead per step).

Continuous dimensions follow a Gaussian per state, clipped to the bounds, whose standard
deviation is floored at ``min_std`` (without a floor CEM collapses onto its first elites and
stops exploring). Discrete dimensions (close, open, terminate, which the environment thresholds
at 0.5) follow a Bernoulli per state and dimension and are sampled as exact 0/1 values, so the
Q-network is only ever asked about actions the environment can tell apart; their probability is
refit to the elites' frequency, kept inside [p_floor, 1 - p_floor] for the same reason as the
variance floor. The best sample ever scored for each state is returned, not the last mean,
which might never have been scored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from rcan.common.errors import RcanError

#: Action bounds and discrete dimensions of rcan.sim.env.GraspEnv (kept here so that the
#: learner does not import the simulator; a test checks they agree).
ACTION_LOW = (-1.0, -1.0, -1.0, -1.0, 0.0, 0.0, 0.0)
ACTION_HIGH = (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
DISCRETE_DIMS = (4, 5, 6)
TERMINATE_DIM = 6

Score = Callable[[torch.Tensor], torch.Tensor]
"""Maps actions (N, S, A) to scores (N, S); higher is better."""


@dataclass(frozen=True)
class CEMConfig:
    """Settings of one CEM maximisation (defaults: QT-Opt's 64 samples, 6 elites, 2 rounds)."""

    samples: int = 64
    """Actions sampled per state and iteration."""
    elites: int = 6
    """Best samples per state that the distribution is refit to."""
    iterations: int = 2
    """Sample-score-refit rounds (``score`` is called once per round)."""
    init_std: float = 0.5
    """Initial std of the continuous dims, as a fraction of each dim's half-range."""
    min_std: float = 0.05
    """Variance floor: the std never drops below this fraction of the half-range."""
    init_prob: float = 0.5
    """Initial probability of 1 for every discrete dim."""
    p_floor: float = 0.05
    """Discrete probabilities stay inside [p_floor, 1 - p_floor] after refitting."""

    def __post_init__(self) -> None:
        if not 1 <= self.elites <= self.samples:
            raise RcanError(f"CEM: need 1 <= elites <= samples, got {self.elites}/{self.samples}")
        if self.iterations < 1:
            raise RcanError(f"CEM: iterations must be >= 1, got {self.iterations}")
        if not 0.0 <= self.p_floor <= 0.5:
            raise RcanError(f"CEM: p_floor must be in [0, 0.5], got {self.p_floor}")
        if self.min_std < 0.0 or self.init_std < self.min_std:
            raise RcanError(f"CEM: need 0 <= min_std <= init_std, got {self.min_std}")


ACT_CEM = CEMConfig()
"""CEM for acting: QT-Opt's 64 samples, 6 elites, 2 iterations."""

TARGET_CEM = CEMConfig(samples=16, elites=4, iterations=1)
"""CEM for the max inside the Bellman target, train-policy's default. QT-Opt spends the acting
budget here too; this is 8x cheaper, because labelling costs batch x samples x iterations
post-merge evaluations per gradient step and dominates a CPU training step. A run can set the
two apart without changing how the robot acts."""


def cem_maximize(
    score: Score,
    num_states: int,
    config: CEMConfig,
    generator: torch.Generator,
    action_low: Sequence[float] | torch.Tensor = ACTION_LOW,
    action_high: Sequence[float] | torch.Tensor = ACTION_HIGH,
    discrete_dims: Sequence[int] = DISCRETE_DIMS,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Approximate ``argmax_a score(a)`` for ``num_states`` states at once.

    All sampling happens on ``generator.device`` (``score`` receives tensors there). Returns
    the best action ever scored per state, (N, A), and its score, (N,).
    """
    device = generator.device
    low = torch.as_tensor(action_low, dtype=torch.float32, device=device)
    high = torch.as_tensor(action_high, dtype=torch.float32, device=device)
    dim = low.numel()
    disc = torch.tensor(sorted(set(discrete_dims)), dtype=torch.long, device=device)
    cont_mask = torch.ones(dim, dtype=torch.bool, device=device)
    cont_mask[disc] = False
    cont = cont_mask.nonzero().squeeze(1)
    n, s, e = num_states, config.samples, config.elites

    half = (high[cont] - low[cont]) / 2
    mean = ((high[cont] + low[cont]) / 2).expand(n, -1).clone()
    std = (config.init_std * half).expand(n, -1).clone()
    std_floor = config.min_std * half
    prob = torch.full((n, disc.numel()), config.init_prob, device=device)

    best_actions = torch.zeros(n, dim, device=device)
    best_values: torch.Tensor | None = None
    rows = torch.arange(n, device=device)
    for it in range(config.iterations):
        actions = torch.empty(n, s, dim, device=device)
        noise = torch.randn(n, s, cont.numel(), generator=generator, device=device)
        actions[..., cont] = torch.maximum(
            torch.minimum(mean.unsqueeze(1) + std.unsqueeze(1) * noise, high[cont]), low[cont]
        )
        coins = torch.rand(n, s, disc.numel(), generator=generator, device=device)
        actions[..., disc] = (coins < prob.unsqueeze(1)).to(torch.float32)

        values = score(actions)
        if values.shape != (n, s):
            raise ValueError(f"score returned {tuple(values.shape)}, expected {(n, s)}")
        top_values, top = values.topk(e, dim=1)  # sorted, so column 0 is the round's best
        round_best = actions[rows, top[:, 0]]
        if best_values is None:
            best_values, best_actions = top_values[:, 0].clone(), round_best
        else:
            better = top_values[:, 0] > best_values
            best_values = torch.where(better, top_values[:, 0], best_values)
            best_actions = torch.where(better.unsqueeze(1), round_best, best_actions)

        if it + 1 < config.iterations:  # the last round's refit would never be sampled
            elites = actions.gather(1, top.unsqueeze(2).expand(n, e, dim))
            mean = elites[..., cont].mean(dim=1)
            std = torch.maximum(elites[..., cont].std(dim=1, unbiased=False), std_floor)
            prob = elites[..., disc].mean(dim=1).clamp(config.p_floor, 1.0 - config.p_floor)
    assert best_values is not None
    return best_actions, best_values
