"""``rcan train-policy --collectors N --bellman-updaters M``: QT-Opt's parts as Ray actors.

The wiring of Kalashnikov et al. 2018 at the scale of one machine or a small cluster:

* N :class:`~rcan.distributed.workers.CollectorWorker` actors play chunks of
  ``episodes_per_cycle`` episodes with the latest published weights;
* the driver (this process) is the trainer: it owns the :class:`~rcan.qtopt.learner.QLearner`,
  the target networks and the :class:`~rcan.qtopt.replay.MixedReplay`, so everything already
  in replay survives any worker's death, and checkpoints are written exactly as in one process
  (:func:`rcan.qtopt.train.save_training_state`);
* M :class:`~rcan.distributed.workers.BellmanWorker` actors label sampled batches (a pipeline
  of at most 2 batches per updater); with M = 0 the driver labels them itself, as in one
  process;
* one :class:`~rcan.distributed.workers.EvaluatorWorker` computes the learning curve's points,
  so evaluation does not stall training.

Order and pace. Bootstrap chunks (scripted explorer, off-policy buffer) come first, as in one
process. Then a :class:`~rcan.distributed.limiter.SampleToInsertLimiter` grants
``round(updates_per_episode * n)`` gradient steps per inserted chunk of ``n`` episodes (what a
single-process cycle takes) and holds collectors back while the trainer owes more than one
round of chunks. Weights are published to the object store every cycle's worth of steps;
labels from Bellman updaters use target weights at most that stale. An evaluation is due when a
chunk crosses ``eval_every_grasps`` and runs once the trainer has taken the steps granted up to
that chunk, i.e. on the weights a single-process run would evaluate.

Memory is bounded: one chunk in flight per collector, two batches per Bellman updater, one
evaluation, a preallocated replay; peak resident memory of the driver and of every worker is
logged to TensorBoard (``memory/*``) and ``metrics.json``.

Faults. Every remote wait has a timeout. A worker that dies (crash, ``ray.kill``, lost node) or
hangs is killed and re-created by the driver, which re-sends its chunk or batch; the new worker
fetches the published weights on its first request. The driver, not Ray's ``max_restarts``,
supervises, so it can tell a crash from a bug (an exception raised in the worker stops the
run with that error) and give up after repeated failures. A Ray run resumes from
``OUT/checkpoint`` like a single-process one, and either wiring can resume the other's run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import torch
from torch.utils.tensorboard import SummaryWriter
from tqdm import tqdm

from rcan.common.errors import RcanError
from rcan.common.io import write_json
from rcan.distributed import cluster_cpus, ray_session
from rcan.distributed.limiter import SampleToInsertLimiter
from rcan.distributed.publish import WeightPublisher, to_numpy
from rcan.distributed.workers import (
    BellmanWorker,
    CollectedChunk,
    CollectorWorker,
    EvaluatorWorker,
    Labels,
    derived_seed,
    peak_rss_mb,
    rss_mb,
)
from rcan.qtopt.batch import QBatch
from rcan.qtopt.checkpoint import save_snapshot
from rcan.qtopt.curve import write_curve
from rcan.qtopt.train import (
    TrainerParts,
    TrainPolicyConfig,
    build_trainer_parts,
    cycle_seed,
    past_time_limit,
    policy_env_config,
    save_training_state,
)
from rcan.sim.assets import object_set
from rcan.sim.domain import load_domain

#: Longest wait for anything when the driver has nothing else to do; it wakes up at once when
#: a result arrives, so this only bounds how often time limits and hung workers are checked.
POLL_S = 1.0
#: A collection chunk, evaluation or labelling running longer than this means a hung worker.
TASK_TIMEOUT_S = 1800.0
#: ``ray.get`` of a result ``ray.wait`` already reported ready (a local or one-hop transfer).
FETCH_TIMEOUT_S = 120.0
#: Consecutive failures of one worker slot before the run stops.
MAX_FAILURES = 10
#: Batches in flight per Bellman updater (one being labelled, one queued).
LABELS_PER_UPDATER = 2


def train_policy_ray(config: TrainPolicyConfig) -> dict[str, Any]:
    """Run (or resume) training with Ray workers; returns the last evaluation."""
    needed = config.collectors + config.bellman_updaters
    with ray_session(config.ray_address, num_cpus=max(os.cpu_count() or 1, needed)) as ray:
        available = cluster_cpus(ray)
        if available < needed:
            raise RcanError(
                f"train-policy: {config.collectors} collector(s) and {config.bellman_updaters} "
                f"Bellman updater(s) need {needed} CPUs, the Ray cluster has {available:g}"
            )
        return RayTrainer(config, ray).run()


class WorkerFailed(Exception):
    """A worker died, hung or lost its result: re-create it and re-send its work."""


class _Slot:
    """One supervised worker: its current handle, how to make a new one, and its failures."""

    def __init__(self, ray: ModuleType, name: str, make: Callable[[int], Any]) -> None:
        self._ray = ray
        self._make = make
        self.name = name
        """For messages and the memory report, e.g. 'collector 0'."""
        self.incarnation = 0
        """How many times the worker was re-created."""
        self.failures = 0
        """Failures since the last success."""
        self.handle = make(0)
        """The Ray actor handle."""

    def restart(self, reason: str) -> None:
        """Kill the current actor (if still alive) and start a new one."""
        self.failures += 1
        if self.failures > MAX_FAILURES:
            raise RcanError(f"{self.name} failed {self.failures} times in a row, stopping "
                            f"(last: {reason})")
        self.kill()
        self.incarnation += 1
        self.handle = self._make(self.incarnation)
        tqdm.write(f"{self.name} failed ({reason}); restarted it")

    def kill(self) -> None:
        """Stop the actor now (it is ours; an already dead one is fine)."""
        with contextlib.suppress(Exception):
            self._ray.kill(self.handle, no_restart=True)


@dataclass
class _Chunk:
    """A collection chunk in flight."""

    slot: _Slot
    index: int
    """Online: the cycle index (its seed); bootstrap: the bootstrap chunk index."""
    episodes: int
    ref: Any
    started: float = field(default_factory=time.monotonic)


@dataclass
class _LabelRequest:
    """A sampled batch being labelled by a Bellman updater."""

    slot: _Slot
    incarnation: int
    sample: dict[str, np.ndarray]
    ref: Any
    started: float = field(default_factory=time.monotonic)


class RayTrainer:
    """The driver of a Ray run (see the module docstring).

    ``on_insert(trainer, chunk)`` is called after each online chunk is inserted into replay
    (tests use it to kill workers mid-run).
    """

    def __init__(
        self,
        config: TrainPolicyConfig,
        ray: ModuleType,
        on_insert: Callable[[RayTrainer, CollectedChunk], None] | None = None,
    ) -> None:
        self.config = config
        self.ray = ray
        self.on_insert = on_insert
        _fail_fast(config)
        self.parts: TrainerParts = build_trainer_parts(config)
        self.state = self.parts.state
        self.out = Path(config.out)
        self.collectors: list[_Slot] = []
        self.updaters: list[_Slot] = []
        self.evaluator: _Slot | None = None
        self.weights = WeightPublisher(ray)
        self.target_weights = WeightPublisher(ray)
        per_chunk = max(round(config.updates_per_episode * config.episodes_per_cycle), 0)
        self.publish_every = max(per_chunk, 1)
        self.limiter = SampleToInsertLimiter(config.updates_per_episode,
                                             per_chunk * (config.collectors + 1))
        steps = self.parts.learner.steps
        self.limiter.granted = steps + int(self.state.get("owed_steps", 0))
        self.limiter.taken = steps
        self.state.setdefault("evals_pending", [])
        self.state.setdefault("restarts", {})
        self.chunks: list[_Chunk] = []
        self.labels: deque[_LabelRequest] = deque()
        self.eval_ref: Any = None
        self.eval_started = 0.0
        self.peak_rss: dict[str, float] = {}
        self.rss_logged: dict[str, int] = {}
        self.logs: dict[str, float] = {}
        self.step_seconds = 0.0
        self.steps_since_log = 0
        self.started = time.perf_counter()
        self.online_since = (self.started, int(self.state["grasps"]))
        """(time, grasps) when the online phase started: the total collection rate."""
        self.seconds_before = float(self.state.get("train_seconds", 0.0))
        self.writer: SummaryWriter | None = None
        self.bar: tqdm | None = None

    # -- the run ---------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        """Bootstrap if new, then collect and train until ``config.grasps``."""
        config, state = self.config, self.state
        self.writer = SummaryWriter(str(self.out / "tb"))
        self.bar = tqdm(total=config.grasps, initial=state["grasps"],
                        desc=f"train-policy {config.obs} (ray)", unit="grasp")
        try:
            self._start_workers()
            self._publish()
            if state["grasps"] == 0 and not state.get("bootstrap_done"):  # not --init-from
                self._bootstrap()
            finished = self._train()
        finally:
            self.bar.close()
            self.writer.close()
            for slot in [*self.collectors, *self.updaters, self.evaluator]:
                if slot is not None:
                    slot.kill()
        last_eval: dict[str, Any] = state["curve"][-1] if state["curve"] else {}
        if finished and last_eval:
            write_json(self.out / "metrics.json", {
                **last_eval, "grasps_trained": state["grasps"],
                "distributed": self._report(),
            })
        return last_eval

    def _start_workers(self) -> None:
        ray, config = self.ray, self.config
        worker_config = _portable(config)
        env_config = policy_env_config(config, config.objects)
        # Ray sets OMP_NUM_THREADS to an actor's num_cpus before it imports anything, and the
        # workers pin torch to one thread (workers.single_threaded). No runtime_env: it would
        # spawn a fresh process per actor instead of reusing Ray's pre-started ones.
        options = {"max_restarts": 0, "max_task_retries": 0}
        collector = ray.remote(num_cpus=1, **options)(CollectorWorker)
        updater = ray.remote(num_cpus=1, **options)(BellmanWorker)
        # The evaluator idles between curve points, so it reserves no CPU of its own.
        evaluator = ray.remote(num_cpus=0, **options)(EvaluatorWorker)
        self.collectors = [
            _Slot(ray, f"collector {i}", lambda _: collector.remote(worker_config, env_config))
            for i in range(config.collectors)
        ]
        self.updaters = [
            _Slot(ray, f"bellman {i}",
                  lambda incarnation, i=i: updater.remote(worker_config, i, incarnation))
            for i in range(config.bellman_updaters)
        ]
        self.evaluator = _Slot(ray, "evaluator", lambda _: evaluator.remote(worker_config))

    def _bootstrap(self) -> None:
        """Scripted-explorer chunks into the off-policy buffer (no gradient steps)."""
        config, state = self.config, self.state
        size = max(config.episodes_per_cycle, 1)
        todo = deque((k, min(size, config.bootstrap_episodes - start))
                     for k, start in enumerate(range(0, config.bootstrap_episodes, size)))
        episodes = successes = 0
        while todo or self.chunks:
            for slot in self._idle_collectors():
                if not todo:
                    break
                k, n = todo.popleft()
                self._start_chunk(slot, k, n, derived_seed(config.seed, k, 3), scripted=True)
            for chunk, result in self._finished_chunks(self._wait(POLL_S)):
                if result is None:
                    todo.appendleft((chunk.index, chunk.episodes))
                    continue
                self.parts.replay.offline.add(result.collected.transitions)
                episodes += result.collected.episodes
                successes += result.collected.successes
                state["grasps"] += result.collected.episodes
                self.bar.update(result.collected.episodes)
        state["bootstrap_success"] = successes / max(episodes, 1)
        self.writer.add_scalar("collect/bootstrap_success", state["bootstrap_success"], 0)

    def _train(self) -> bool:
        """The online phase; returns False if it stopped at the time limit."""
        config, state, limiter = self.config, self.state, self.limiter
        next_index = int(state["cycle"])
        lost: list[int] = []  # cycles whose chunk died with its worker: started again first
        planned = int(state["grasps"])
        checkpoint_due = False
        self.online_since = (time.perf_counter(), planned)
        while True:
            for slot in self._idle_collectors():
                if planned >= config.grasps:
                    break
                n = config.episodes_per_cycle
                if not limiter.can_reserve(n):
                    break
                if lost:
                    index = lost.pop(0)
                else:
                    index, next_index = next_index, next_index + 1
                self._start_chunk(slot, index, n, cycle_seed(config, index))
                limiter.reserve(n)
                planned += n
            self._maybe_start_eval()
            stepped = self._train_step()
            for chunk, result in self._finished_chunks(self._wait(0.0 if stepped else POLL_S)):
                if result is None:
                    limiter.cancel(chunk.episodes)
                    lost.append(chunk.index)
                    lost.sort()
                    planned -= chunk.episodes
                    continue
                checkpoint_due |= self._insert(result)
            self._finish_eval()
            done = (state["grasps"] >= config.grasps and not self.chunks and not self.labels
                    and limiter.owed == 0 and not state["evals_pending"])
            elapsed = self.seconds_before + time.perf_counter() - self.started
            out_of_time = past_time_limit(self.started, config.time_limit_min)
            if done or out_of_time or checkpoint_due:
                state["train_seconds"] = elapsed
                self._checkpoint()
                checkpoint_due = False
            if done:
                return True
            if out_of_time:
                tqdm.write(f"time limit reached at {state['grasps']} grasps; rerun the same "
                           "command to continue")
                return False

    # -- collection ------------------------------------------------------------------------
    def _idle_collectors(self) -> list[_Slot]:
        busy = {id(chunk.slot) for chunk in self.chunks}
        return [slot for slot in self.collectors if id(slot) not in busy]

    def _start_chunk(self, slot: _Slot, index: int, episodes: int, seed: int,
                     scripted: bool = False) -> None:
        assert self.weights.latest is not None
        ref = slot.handle.collect.remote(self.weights.latest, episodes, seed, scripted)
        self.chunks.append(_Chunk(slot, index, episodes, ref))

    def _finished_chunks(self, ready: set[Any]) -> Iterator[tuple[_Chunk, CollectedChunk | None]]:
        """Chunks that finished (with their result) or failed (with None, worker restarted)."""
        now = time.monotonic()
        for chunk in list(self.chunks):
            if chunk.ref not in ready and now - chunk.started < TASK_TIMEOUT_S:
                continue
            self.chunks.remove(chunk)
            try:
                if chunk.ref not in ready:
                    raise WorkerFailed(f"no result after {TASK_TIMEOUT_S:.0f} s")
                result: CollectedChunk = self._get(chunk.ref, chunk.slot)
            except WorkerFailed as err:
                chunk.slot.restart(str(err))
                self._count_restart(chunk.slot)
                yield chunk, None
                continue
            chunk.slot.failures = 0
            self._note_memory(chunk.slot.name, result.peak_rss_mb, result.rss_mb)
            yield chunk, result

    def _insert(self, result: CollectedChunk) -> bool:
        """Add an online chunk to replay, log it; returns whether a checkpoint is due."""
        config, state, p = self.config, self.state, self.parts
        collected = result.collected
        p.replay.online.add(collected.transitions)
        self.limiter.insert(collected.episodes)
        before = int(state["grasps"])
        state["grasps"] = grasps = before + collected.episodes
        state["successes_collected"] += collected.successes
        state["cycle"] += 1
        self.bar.update(collected.episodes)
        crossed = grasps // config.eval_every_grasps > before // config.eval_every_grasps
        if crossed or grasps >= config.grasps:
            # evaluated once the trainer took the steps granted so far (see module docstring)
            state["evals_pending"].append({"grasps": grasps, "steps": self.limiter.granted})
        w = self.writer
        assert w is not None
        success = collected.successes / max(collected.episodes, 1)
        w.add_scalar("collect/success", success, grasps)
        w.add_scalar("throughput/episodes_per_s", collected.episodes / collected.seconds, grasps)
        wall = time.perf_counter() - self.online_since[0]
        w.add_scalar("throughput/total_episodes_per_s",
                     (grasps - self.online_since[1]) / max(wall, 1e-9), grasps)
        if self.steps_since_log:
            w.add_scalar("throughput/gradient_steps_per_s",
                         self.steps_since_log / max(self.step_seconds, 1e-9), grasps)
            for key, value in self.logs.items():
                w.add_scalar(f"learner/{key}", value, grasps)
        # flat once the preallocated replay has been written through (see metrics' replay_mb)
        w.add_scalar("memory/rss_mb/driver", rss_mb(), grasps)
        lag = p.learner.steps - result.weights_steps
        w.add_scalar("distributed/policy_lag_steps", lag, grasps)
        w.add_scalar("distributed/owed_steps", self.limiter.owed, grasps)
        rate = self.steps_since_log / max(self.step_seconds, 1e-9)
        last = state["curve"][-1]["success"] if state["curve"] else float("nan")
        assert self.bar is not None
        self.bar.set_postfix(collect=f"{success:.2f}", eval=f"{last:.2f}",
                             steps_s=f"{rate:.1f}", lag=lag)
        self.steps_since_log, self.step_seconds = 0, 0.0
        if self.on_insert is not None:
            self.on_insert(self, result)
        return state["cycle"] % config.checkpoint_every_cycles == 0

    # -- training --------------------------------------------------------------------------
    def _train_step(self) -> bool:
        """Take one gradient step if one is owed and its labels are ready."""
        p, limiter = self.parts, self.limiter
        if self._eval_waiting_on_steps():
            return False  # the due evaluation gets exactly the weights it was granted
        batch_size = self.config.learner.batch_size
        if not self.updaters:
            if not limiter.can_sample():
                return False
            start = time.perf_counter()
            batch = QBatch.from_arrays(p.sample(batch_size, p.learner.steps))
            self._apply(batch, p.bellman.label(batch, p.label_gen), start)
            return True
        while (len(self.labels) < LABELS_PER_UPDATER * len(self.updaters)
               and limiter.taken + len(self.labels) < limiter.granted):
            sample = p.sample(batch_size, p.learner.steps + len(self.labels))
            slot = self.updaters[len(self.labels) % len(self.updaters)]
            self.labels.append(self._request_labels(slot, sample))
        if not self.labels:
            return False
        head = self.labels[0]
        ready, _ = self.ray.wait([head.ref], num_returns=1, timeout=0)
        try:
            if not ready:
                if time.monotonic() - head.started < TASK_TIMEOUT_S:
                    return False
                raise WorkerFailed(f"no labels after {TASK_TIMEOUT_S:.0f} s")
            labels: Labels = self._get(head.ref, head.slot)
        except WorkerFailed as err:
            if head.incarnation == head.slot.incarnation:  # not yet replaced for another batch
                head.slot.restart(str(err))
                self._count_restart(head.slot)
            # the new worker fetches the published targets on its first request
            self.labels[0] = self._request_labels(head.slot, head.sample)
            return False
        self.labels.popleft()
        head.slot.failures = 0
        self._note_memory(head.slot.name, labels.peak_rss_mb, labels.rss_mb)
        start = time.perf_counter()
        self._apply(QBatch.from_arrays(head.sample), torch.from_numpy(labels.values.copy()),
                    start)
        return True

    def _request_labels(self, slot: _Slot, sample: dict[str, np.ndarray]) -> _LabelRequest:
        if self.target_weights.latest is None:
            self._publish_targets()
        ref = slot.handle.label.remote(self.target_weights.latest, sample)
        return _LabelRequest(slot, slot.incarnation, sample, ref)

    def _apply(self, batch: QBatch, labels: torch.Tensor, start: float) -> None:
        """One gradient step and the target updates, as in the single-process loop."""
        p = self.parts
        self.logs = p.learner.update(batch, labels)
        p.targets.polyak_update(p.learner.network)
        p.targets.maybe_lag_update(p.learner.network, p.learner.steps)
        self.limiter.sample()
        self.steps_since_log += 1
        self.step_seconds += time.perf_counter() - start
        if p.learner.steps % self.publish_every == 0:
            self._publish()

    def _publish(self) -> None:
        """Online weights for collectors and the evaluator (and targets for the updaters)."""
        learner = self.parts.learner
        self.weights.publish(to_numpy(learner.network.state_dict()), learner.steps)
        if self.updaters:
            self._publish_targets()

    def _publish_targets(self) -> None:
        targets = self.parts.targets
        self.target_weights.publish(
            {"polyak": to_numpy(targets.polyak.state_dict()),
             "lagged": to_numpy(targets.lagged.state_dict())},
            self.parts.learner.steps,
        )

    # -- evaluation ------------------------------------------------------------------------
    def _eval_waiting_on_steps(self) -> bool:
        pending = self.state["evals_pending"]
        return bool(pending) and self.eval_ref is None and (
            self.parts.learner.steps >= pending[0]["steps"])

    def _maybe_start_eval(self) -> None:
        pending = self.state["evals_pending"]
        if self.eval_ref is not None or not pending:
            return
        if self.parts.learner.steps < pending[0]["steps"] and self.limiter.can_sample():
            return  # still owes the steps this evaluation was granted
        self._publish()
        save_snapshot(self.out, pending[0]["grasps"], self.parts.learner, self.parts.targets,
                      self.config)
        self.eval_ref = self.evaluator.handle.evaluate.remote(self.weights.latest,
                                                              pending[0]["grasps"])
        self.eval_started = time.monotonic()

    def _finish_eval(self) -> None:
        if self.eval_ref is None:
            return
        ready, _ = self.ray.wait([self.eval_ref], num_returns=1, timeout=0)
        try:
            if not ready:
                if time.monotonic() - self.eval_started < TASK_TIMEOUT_S:
                    return
                raise WorkerFailed(f"no evaluation after {TASK_TIMEOUT_S:.0f} s")
            result: dict[str, Any] = self._get(self.eval_ref, self.evaluator)
        except WorkerFailed as err:
            self.eval_ref = None
            self.evaluator.restart(str(err))
            self._count_restart(self.evaluator)
            return  # still pending: started again on the new evaluator
        self.eval_ref = None
        self.evaluator.failures = 0
        self._note_memory(self.evaluator.name, result.pop("peak_rss_mb"))
        self.state["evals_pending"].pop(0)
        self.state["curve"].append(result)
        assert self.writer is not None
        self.writer.add_scalar("eval/success", result["success"], result["grasps"])
        write_curve(self.out, self.state["curve"])

    # -- plumbing --------------------------------------------------------------------------
    def _wait(self, timeout: float) -> set[Any]:
        """Block until any result is in (or ``timeout``); returns the finished chunk refs."""
        refs = [chunk.ref for chunk in self.chunks]
        others = [r for r in (self.eval_ref, self.labels[0].ref if self.labels else None) if r]
        if not refs and not others:
            return set()
        self.ray.wait(refs + others, num_returns=1, timeout=timeout)
        if not refs:
            return set()
        ready, _ = self.ray.wait(refs, num_returns=len(refs), timeout=0)
        return set(ready)

    def _get(self, ref: Any, slot: _Slot) -> Any:
        """The result behind ``ref``; WorkerFailed if the worker died or the fetch timed out,
        the worker's own error if it raised one."""
        ray = self.ray
        try:
            return ray.get(ref, timeout=FETCH_TIMEOUT_S)
        except ray.exceptions.RayActorError as err:
            if err.actor_init_failed:
                first = str(err).strip().splitlines()[-1]
                raise RcanError(f"{slot.name} could not start: {first}") from None
            raise WorkerFailed(type(err).__name__) from None
        except (ray.exceptions.GetTimeoutError, ray.exceptions.ObjectLostError,
                ray.exceptions.WorkerCrashedError) as err:
            raise WorkerFailed(type(err).__name__) from None
        except ray.exceptions.RayTaskError as err:
            if isinstance(err.cause, RcanError):
                raise RcanError(f"{slot.name}: {err.cause}") from None
            raise

    def _count_restart(self, slot: _Slot) -> None:
        restarts = self.state["restarts"]
        restarts[slot.name] = restarts.get(slot.name, 0) + 1
        if self.writer is not None:
            self.writer.add_scalar("distributed/restarts", sum(restarts.values()),
                                   int(self.state["grasps"]))

    def _note_memory(self, name: str, peak: float, now: float | None = None) -> None:
        # a slot's peak over all its incarnations
        self.peak_rss[name] = max(self.peak_rss.get(name, 0.0), peak)
        grasps = int(self.state["grasps"])
        # at most once per chunk of grasps: Bellman updaters answer many batches per chunk
        if now is not None and self.writer is not None and self.rss_logged.get(name) != grasps:
            self.rss_logged[name] = grasps
            self.writer.add_scalar(f"memory/rss_mb/{name.replace(' ', '_')}", now, grasps)

    def _report(self) -> dict[str, Any]:
        """Worker counts, restarts, memory: what metrics.json adds to the single-process one."""
        driver = peak_rss_mb()
        replay = self.parts.replay
        return {
            "collectors": self.config.collectors,
            "bellman_updaters": self.config.bellman_updaters,
            "restarts": dict(self.state["restarts"]),
            "peak_rss_mb": {"driver": driver, **self.peak_rss,
                            "total": driver + sum(self.peak_rss.values())},
            "replay_mb": (replay.offline.nbytes + replay.online.nbytes) / 2**20,
        }

    def _checkpoint(self) -> None:
        p, state = self.parts, self.state
        state["owed_steps"] = self.limiter.owed
        state["peak_rss_mb"] = self._report()["peak_rss_mb"]
        grasps = int(state["grasps"])
        assert self.writer is not None
        for name, value in state["peak_rss_mb"].items():
            self.writer.add_scalar(f"memory/peak_rss_mb/{name.replace(' ', '_')}", value, grasps)
        save_training_state(self.out, self.config, p.learner, p.targets, p.replay, state, p.rng,
                            p.actor, p.label_gen)


def _fail_fast(config: TrainPolicyConfig) -> None:
    """Check the domain and object sets here, before any worker starts with them."""
    for objects in (config.objects, config.eval_objects):
        env = policy_env_config(config, objects)
        env.validate()
        load_domain(env.domain)
        object_set(env.world.objects)


def _portable(config: TrainPolicyConfig) -> TrainPolicyConfig:
    """The config workers get: paths made absolute (a worker's working folder may differ)."""
    translator = Path(config.translator).resolve() if config.translator else None
    return dataclasses.replace(config, translator=translator,
                               out=Path(config.out).resolve())


