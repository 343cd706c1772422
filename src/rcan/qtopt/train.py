"""``rcan train-policy``: QT-Opt in one process, top to bottom.

1. Bootstrap: the scripted explorer fills the off-policy buffer.
2. Cycles: the collector plays on-policy episodes (CEM + exploration) into the on-policy buffer;
   then the learner takes gradient steps on mixed batches labelled by the Bellman updater
   (clipped double Q with a Polyak-averaged and a lagged target network).
3. Every ``eval_every_grasps`` grasps the greedy policy is evaluated on held-out objects; the
   learning curve (success vs. grasps) goes to ``curve.json``, ``curve.png`` and TensorBoard.

Grasps count every simulated episode the learner's data came from, bootstrap included. A killed
run resumes from ``OUT/checkpoint`` (networks, optimiser, replay buffers, counters, RNG
states); each cycle's collection is seeded by (seed, cycle), so resumed cycles replay the same
simulator episodes for the same weights.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch.utils.tensorboard import SummaryWriter
from tqdm import tqdm

from rcan.common.checkpoint import load_json
from rcan.common.config import from_dict
from rcan.common.errors import RcanError
from rcan.common.io import save_run_config, write_json
from rcan.common.machine import command_line
from rcan.distributed import wants_ray
from rcan.qtopt.actor import ExplorationConfig, QTOptActor
from rcan.qtopt.augment import shift_sample
from rcan.qtopt.batch import QBatch
from rcan.qtopt.bellman import BellmanUpdater, TargetConfig, TargetNetworks
from rcan.qtopt.cem import ACT_CEM, TARGET_CEM, CEMConfig
from rcan.qtopt.checkpoint import load_qtopt, save_qtopt, save_snapshot
from rcan.qtopt.collector import Collector, evaluate_actor
from rcan.qtopt.curve import write_curve
from rcan.qtopt.learner import LearnerConfig, QLearner
from rcan.qtopt.networks import QNetwork, QNetworkConfig
from rcan.qtopt.observation import CHANNELS, ObservationEncoder, ObservationMode, run_domain
from rcan.qtopt.replay import MixedReplay, MixSchedule, ReplayBuffer
from rcan.qtopt.warm_start import RAW_CHANNELS, freeze_input_channels, init_source, warm_start
from rcan.sim.env import ACTION_DIM, EnvConfig


@dataclass
class TrainPolicyConfig:
    """Settings of ``rcan train-policy``; saved as ``OUT/config.json``."""

    obs: ObservationMode = "canonical"
    """What the Q-network sees: canonical, randomized or rcan (G(x) + x)."""
    domain: str | None = None
    """Training domain (default: canonical for obs=canonical, randomized otherwise)."""
    translator: Path | None = None
    """Translator checkpoint (needed for obs=rcan)."""
    objects: str = "train"
    """Object set to train on."""
    eval_objects: str = "test"
    """Object set to evaluate on (held out)."""
    env: EnvConfig = field(default_factory=lambda: EnvConfig(step_penalty=0.0))
    """The grasping MDP (image size, steps, action scales, world); its ``domain`` and
    ``world.objects`` are replaced by the settings above. No step penalty by default: Q is a
    sigmoid, so targets are clipped at 0, and with -0.05 per step every state more than a few
    steps from a likely grasp has a negative expected return, i.e. a flat Q of 0 and no
    gradient towards better actions; the discount alone already rewards speed."""
    out: Path = Path("runs/policy")
    """Output folder; an existing run there is resumed."""
    seed: int = 0
    """Seed of networks, exploration and simulator episodes."""
    grasps: int = 50_000
    """Simulated grasps (episodes) to learn from, bootstrap included."""
    bootstrap_episodes: int = 2_000
    """Scripted-exploration episodes in the off-policy buffer before learning."""
    episodes_per_cycle: int = 20
    """On-policy episodes per collection cycle."""
    updates_per_episode: float = 2.0
    """Gradient steps per collected episode."""
    offline_capacity: int = 30_000
    """Off-policy buffer size in transitions."""
    online_capacity: int = 60_000
    """On-policy buffer size in transitions."""
    mix: MixSchedule = field(default_factory=lambda: MixSchedule(0.0, 0.5, 5_000))
    """Fraction of each batch drawn from on-policy data, ramping with gradient steps."""
    network: QNetworkConfig = field(default_factory=QNetworkConfig)
    """Q-network shape (input channels follow obs)."""
    act_cem: CEMConfig = field(default_factory=lambda: ACT_CEM)
    """CEM for acting."""
    target_cem: CEMConfig = field(default_factory=lambda: TARGET_CEM)
    """CEM for the max in the Bellman target (cheaper than acting: it runs for every sample
    of every batch)."""
    targets: TargetConfig = field(default_factory=TargetConfig)
    """Discount and target-network delays."""
    learner: LearnerConfig = field(default_factory=LearnerConfig)
    """Optimiser and batch size."""
    image_shift: int = 0
    """Random-shift augmentation (DrQ): each sampled image and next image is moved by up to
    this many pixels before labelling and training (0: off; see rcan.qtopt.augment)."""
    exploration: ExplorationConfig = field(default_factory=ExplorationConfig)
    """Exploration while collecting."""
    eval_every_grasps: int = 2_500
    """Grasps between evaluations."""
    eval_episodes: int = 100
    """Episodes per evaluation."""
    checkpoint_every_cycles: int = 10
    """Cycles between checkpoints (replay buffers included)."""
    time_limit_min: float = 0.0
    """Stop with a checkpoint after this many minutes of this invocation (0: no limit); rerun
    the same command to continue for as long again."""
    threads: int = 1
    """PyTorch CPU threads."""
    freeze_raw_input: bool = False
    """obs=rcan only: never update the first convolution's weights on the raw image x (after
    a canonical --init-from they stay zero, so the network keeps reading G(x) alone)."""
    init_from: Path | None = None
    """Joint finetuning (RCAN, Sec. 4): a train-policy run whose networks start this one and
    whose replay (off- and on-policy; the newest offline_capacity rows) becomes this run's
    off-policy data; no bootstrap. A canonical or randomized run may start an rcan one (its
    weights read G(x) or x; its replay is left out unless --canonical-replay-as-rcan)."""
    canonical_replay_as_rcan: bool = False
    """obs=rcan with --init-from a canonical run: keep that run's replay too, each canonical
    image c standing for the whole rcan input as [c, c] (a camera that sees the canonical
    style, translated perfectly), so the skill's own data anchors the finetuning."""
    collectors: int = 1
    """Collector workers; more than 1 runs the parts as Ray actors (pip install 'rcan[ray]')."""
    bellman_updaters: int = 0
    """Bellman-target workers (Ray actors); 0 labels batches in the trainer process."""
    ray_address: str | None = None
    """Ray cluster to join ('auto', 'ray://HOST:10001'; 'local' starts one): runs on Ray."""


def load_run_config(run: Path) -> TrainPolicyConfig:
    """The settings a train-policy run was made with: its ``config.json`` (in the run folder
    or its checkpoint), keeping only TrainPolicyConfig's fields (not ``command``)."""
    folder = run if (run / "config.json").is_file() else run / "checkpoint"
    saved = load_json(folder, "config")
    names = {f.name for f in dataclasses.fields(TrainPolicyConfig)}
    return from_dict(TrainPolicyConfig, {k: v for k, v in saved.items() if k in names},
                     f"{folder}/config.json")


def policy_env_config(config: TrainPolicyConfig, objects: str) -> EnvConfig:
    """The environment of a run, with the object set ``objects``."""
    env = copy.deepcopy(config.env)
    env.domain = run_domain(config.obs, config.domain)
    env.world.objects = objects
    return env


def make_encoder(config: TrainPolicyConfig) -> ObservationEncoder:
    """What the Q-network sees (loads the translator for obs=rcan)."""
    translator = None
    if config.obs == "rcan":
        if config.translator is None:
            raise RcanError("train-policy --obs rcan needs --translator CHECKPOINT")
        from rcan.translator import Translator

        translator = Translator.from_checkpoint(config.translator)
    return ObservationEncoder(config.obs, translator)


@dataclass
class TrainerParts:
    """The trainer side of a run, built and resumed the same way by every wiring."""

    learner: QLearner
    """Online network and optimiser."""
    targets: TargetNetworks
    """Polyak-averaged and lagged target networks."""
    bellman: BellmanUpdater
    """Labels batches with the targets above."""
    actor: QTOptActor
    """The in-process actor (a Ray run keeps it only for its checkpointed RNG state)."""
    replay: MixedReplay
    """Off-policy and on-policy buffers."""
    state: dict[str, Any]
    """Counters and the learning curve (saved as state.json)."""
    rng: np.random.Generator
    """Draws replay batches."""
    label_gen: torch.Generator
    """CEM noise of the Bellman targets."""
    image_shift: int = 0
    """Pixels of random-shift augmentation applied to every sampled batch."""

    def sample(self, batch_size: int, step: int) -> dict[str, np.ndarray]:
        """A mixed replay batch for learner step ``step``, augmented (drawn with ``rng``)."""
        sample = self.replay.sample(batch_size, step, self.rng)
        return shift_sample(sample, self.image_shift, self.rng)


def build_trainer_parts(config: TrainPolicyConfig, command: str | None = None) -> TrainerParts:
    """Check or write ``OUT/config.json`` (recording ``command``, by default this process's
    ``rcan`` command line), build the parts, and restore ``OUT/checkpoint``."""
    for name in ("grasps", "episodes_per_cycle", "eval_every_grasps", "eval_episodes"):
        if getattr(config, name) < 1:
            raise RcanError(f"train-policy --{name.replace('_', '-')} must be >= 1, got "
                            f"{getattr(config, name)}")
    if config.freeze_raw_input and config.obs != "rcan":  # before anything is written to OUT
        raise RcanError(f"--freeze-raw-input needs --obs rcan, got --obs {config.obs}")
    if config.canonical_replay_as_rcan and (config.obs != "rcan" or config.init_from is None):
        raise RcanError("--canonical-replay-as-rcan needs --obs rcan and --init-from a "
                        "canonical run")
    out = Path(config.out)
    if config.init_from is not None and not (out / "checkpoint").is_dir():
        init_source(config)  # a source this run cannot start from stops it before OUT is written
    torch.set_num_threads(config.threads)
    env = policy_env_config(config, config.objects)
    env.validate()  # a bad env setting stops the run before OUT is written
    config.network.image_height, config.network.image_width = env.image_height, env.image_width
    save_run_config(out, config, ("obs", "domain", "env", "network", "seed", "objects"),
                    {"command": command or command_line("rcan train-policy (from Python)")})
    encoder = make_encoder(config)
    config.network.in_channels = CHANNELS[config.obs]

    torch.manual_seed(config.seed)
    network = QNetwork(config.network)
    learner = QLearner(network, config.learner)
    targets = TargetNetworks(network, config.targets)
    bellman = BellmanUpdater(targets, config.target_cem)
    actor = QTOptActor(QNetwork(config.network), encoder, config.act_cem, config.exploration,
                       config.seed)
    actor.load_weights(network.state_dict())
    if config.freeze_raw_input:
        freeze_input_channels(network, RAW_CHANNELS)
    image_shape = (env.image_height, env.image_width, CHANNELS[config.obs])
    replay = MixedReplay(
        ReplayBuffer(config.offline_capacity, image_shape, ACTION_DIM),
        ReplayBuffer(config.online_capacity, image_shape, ACTION_DIM),
        config.mix,
    )
    state: dict[str, Any] = {"grasps": 0, "cycle": 0, "successes_collected": 0, "curve": []}
    rng = np.random.default_rng(config.seed)
    label_gen = torch.Generator().manual_seed(config.seed + 1)
    if (out / "checkpoint").is_dir():
        state = load_qtopt(out / "checkpoint", learner, targets)
        replay = MixedReplay.load(out / "checkpoint" / "replay.h5")
        extra = load_file(str(out / "checkpoint" / "rng.safetensors"))
        label_gen.set_state(extra["label"])
        actor.generator.set_state(extra["actor"])
        rng.bit_generator.state = state["rng"]
        actor.rng.bit_generator.state = state["actor_rng"]
        actor.load_weights(network.state_dict())
        print(f"resuming at {state['grasps']} grasps, cycle {state['cycle']}")
    elif config.init_from is not None:
        warm_start(config, learner, targets, replay)
        actor.load_weights(network.state_dict())
        state["bootstrap_done"] = True
    return TrainerParts(learner, targets, bellman, actor, replay, state, rng, label_gen,
                        config.image_shift)


def train_policy(config: TrainPolicyConfig) -> dict[str, Any]:
    """Run (or resume) training; returns the last evaluation."""
    if wants_ray(config):
        from rcan.distributed.train import train_policy_ray

        return train_policy_ray(config)
    parts = build_trainer_parts(config)
    learner, targets, actor = parts.learner, parts.targets, parts.actor
    replay, state, rng, label_gen = parts.replay, parts.state, parts.rng, parts.label_gen
    collector = Collector(policy_env_config(config, config.objects), actor)
    out = Path(config.out)
    writer = SummaryWriter(str(out / "tb"))
    started = time.perf_counter()
    seconds_before = float(state.get("train_seconds", 0.0))
    bar = tqdm(total=config.grasps, initial=state["grasps"], desc=f"train-policy {config.obs}",
               unit="grasp")
    last_eval: dict[str, Any] = state["curve"][-1] if state["curve"] else {}

    if state["grasps"] == 0 and not state.get("bootstrap_done"):
        # In chunks, for the progress bar: the environment and the actor keep their random
        # streams between calls, so the episodes are those of one long call.
        successes = 0
        bar.set_postfix_str("scripted bootstrap")
        for start in range(0, config.bootstrap_episodes, config.episodes_per_cycle):
            chunk = min(config.episodes_per_cycle, config.bootstrap_episodes - start)
            boot = collector.collect(chunk, seed=cycle_seed(config, -1) if start == 0 else None,
                                     scripted_only=True)
            replay.offline.add(boot.transitions)
            state["grasps"] += boot.episodes
            successes += boot.successes
            bar.update(boot.episodes)
        state["bootstrap_success"] = successes / max(config.bootstrap_episodes, 1)
        writer.add_scalar("collect/bootstrap_success", state["bootstrap_success"], 0)

    while state["grasps"] < config.grasps:
        cycle = int(state["cycle"])
        collected = collector.collect(config.episodes_per_cycle, seed=cycle_seed(config, cycle))
        replay.online.add(collected.transitions)
        state["grasps"] += collected.episodes
        state["successes_collected"] += collected.successes
        bar.update(collected.episodes)

        updates = round(config.updates_per_episode * collected.episodes)
        t0 = time.perf_counter()
        logs = gradient_steps(parts, updates, config.learner.batch_size)
        update_seconds = time.perf_counter() - t0
        actor.load_weights(learner.network.state_dict())
        state["cycle"] = cycle + 1

        grasps = int(state["grasps"])
        writer.add_scalar("collect/success", collected.successes / collected.episodes, grasps)
        writer.add_scalar("throughput/episodes_per_s", collected.episodes / collected.seconds,
                          grasps)
        if updates:
            writer.add_scalar("throughput/gradient_steps_per_s", updates / update_seconds, grasps)
            for key, value in logs.items():
                writer.add_scalar(f"learner/{key}", value, grasps)
        bar.set_postfix(collect=f"{collected.successes / collected.episodes:.2f}",
                        eval=f"{last_eval.get('success', float('nan')):.2f}",
                        steps_s=f"{updates / max(update_seconds, 1e-9):.1f}")

        crossed = grasps // config.eval_every_grasps > (grasps - collected.episodes) // (
            config.eval_every_grasps)
        done = grasps >= config.grasps
        if crossed or done:
            last_eval = evaluate_policy(config, actor, grasps, learner.steps)
            save_snapshot(out, grasps, learner, targets, config)
            state["curve"].append(last_eval)
            writer.add_scalar("eval/success", last_eval["success"], grasps)
            write_curve(out, state["curve"])
        elapsed = seconds_before + time.perf_counter() - started
        out_of_time = past_time_limit(started, config.time_limit_min)
        if done or out_of_time or state["cycle"] % config.checkpoint_every_cycles == 0:
            state["train_seconds"] = elapsed
            save_training_state(out, config, learner, targets, replay, state, rng, actor,
                                label_gen)
        if out_of_time:
            print(f"time limit reached at {grasps} grasps; rerun the same command to continue")
            break
    bar.close()
    writer.close()
    collector.close()
    if last_eval and state["grasps"] >= config.grasps:
        write_json(out / "metrics.json", {**last_eval, "grasps_trained": state["grasps"]})
    return last_eval


def gradient_steps(parts: TrainerParts, count: int, batch_size: int) -> dict[str, float]:
    """``count`` learner steps on mixed replay batches labelled by the Bellman updater, each
    followed by the target-network updates; returns the last step's logs."""
    learner, targets = parts.learner, parts.targets
    logs: dict[str, float] = {}
    for _ in range(count):
        batch = QBatch.from_arrays(parts.sample(batch_size, learner.steps))
        logs = learner.update(batch, parts.bellman.label(batch, parts.label_gen))
        targets.polyak_update(learner.network)
        targets.maybe_lag_update(learner.network, learner.steps)
    return logs


def past_time_limit(started: float, limit_min: float) -> bool:
    """Whether this invocation (begun at ``perf_counter()`` time ``started``) has used its
    ``limit_min`` minutes (0: no limit)."""
    return limit_min > 0 and time.perf_counter() - started > 60 * limit_min


def cycle_seed(config: TrainPolicyConfig, cycle: int) -> int:
    """Seed of collection cycle ``cycle`` (-1: the bootstrap)."""
    return int(np.random.SeedSequence([config.seed, cycle + 1]).generate_state(1)[0])


def evaluate_policy(config: TrainPolicyConfig, actor: QTOptActor, grasps: int, steps: int
                    ) -> dict[str, Any]:
    """One learning-curve point: greedy success on the held-out objects."""
    result = evaluate_actor(actor, policy_env_config(config, config.eval_objects),
                            config.eval_episodes, seed=10_000 + config.seed)
    return {"grasps": grasps, "gradient_steps": steps, **result}


def save_training_state(out: Path, config: TrainPolicyConfig, learner: QLearner,
                        targets: TargetNetworks, replay: MixedReplay, state: dict[str, Any],
                        rng: np.random.Generator, actor: QTOptActor,
                        label_gen: torch.Generator) -> None:
    """``OUT/checkpoint``: networks, optimiser, state, replay buffers and RNG states."""
    state = {**state, "rng": rng.bit_generator.state, "actor_rng": actor.rng.bit_generator.state}

    def replay_and_rng(folder: Path) -> None:
        replay.save(folder / "replay.h5")
        save_file({"label": label_gen.get_state(), "actor": actor.generator.get_state()},
                  str(folder / "rng.safetensors"))

    save_qtopt(out / "checkpoint", learner, targets, state, config, replay_and_rng)
