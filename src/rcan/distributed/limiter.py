"""Keeping the trainer and the collectors in step: a samples-per-insert rate limiter.

In one process the order is fixed: collect a cycle of episodes, then take
``updates_per_episode`` gradient steps per episode. Run apart, collectors and trainer go at
their own speeds, and either side could drift: a fast trainer would overfit a few episodes
(many gradient steps per transition), fast collectors would fill memory and the replay with
data from ever older weights. Reverb (Cassirer et al. 2021) and Acme bound the ratio of
samples to inserts with an error buffer; :class:`SampleToInsertLimiter` does the same in
units of this project: gradient steps per inserted episode.

* The trainer never runs ahead: it may take a step only while the inserted episodes still
  owe one (each insert of ``n`` episodes grants ``round(ratio * n)`` steps, exactly what the
  single-process loop takes for a cycle of ``n``).
* Collection never runs far ahead: a new chunk may start only while the steps owed for the
  episodes already inserted or under way stay within ``max_owed_steps``.
"""

from __future__ import annotations

from rcan.common.errors import RcanError


class SampleToInsertLimiter:
    """Gradient steps per inserted episode, within a bounded error (see the module docstring)."""

    def __init__(self, steps_per_episode: float, max_owed_steps: int) -> None:
        if steps_per_episode < 0:
            raise RcanError(f"limiter: steps per episode must be >= 0, got {steps_per_episode}")
        if max_owed_steps < 0:
            raise RcanError(f"limiter: max_owed_steps must be >= 0, got {max_owed_steps}")
        self.steps_per_episode = steps_per_episode
        self.max_owed_steps = max_owed_steps
        self.granted = 0
        """Gradient steps earned by the inserted episodes."""
        self.taken = 0
        """Gradient steps taken."""
        self.reserved = 0
        """Episodes being collected (started, not yet inserted)."""

    def steps_for(self, episodes: int) -> int:
        """Gradient steps ``episodes`` inserted episodes earn."""
        return round(self.steps_per_episode * episodes)

    @property
    def owed(self) -> int:
        """Steps the trainer may take now."""
        return self.granted - self.taken

    def can_reserve(self, episodes: int) -> bool:
        """Whether a chunk of ``episodes`` may start without the trainer falling too far
        behind (always true when the trainer owes nothing for it)."""
        pending = self.owed + self.steps_for(self.reserved + episodes)
        return pending <= self.max_owed_steps or self.steps_for(episodes) == 0

    def reserve(self, episodes: int) -> None:
        """A chunk of ``episodes`` started."""
        self.reserved += episodes

    def cancel(self, episodes: int) -> None:
        """A reserved chunk was lost (its worker died) and will be reserved again."""
        self.reserved = max(self.reserved - episodes, 0)

    def insert(self, episodes: int, reserved: bool = True) -> None:
        """``episodes`` were added to the replay; ``reserved`` if they had been reserved."""
        if reserved:
            self.reserved = max(self.reserved - episodes, 0)
        self.granted += self.steps_for(episodes)

    def can_sample(self) -> bool:
        """Whether the trainer may take a step."""
        return self.taken < self.granted

    def sample(self) -> None:
        """The trainer took a step (only allowed when :meth:`can_sample`)."""
        if not self.can_sample():
            raise RuntimeError("limiter: a gradient step was taken that no insert granted")
        self.taken += 1
