"""``rcan demo`` (``make demo``): the shipped translator and RCAN policy in the target domain.

In a few minutes on two cores it plays the shipped RCAN policy (``models/policy_rcan``, a
GraspPolicy.save_pretrained folder with its translator inside) in the held-out ``target``
domain, beside the same policy reading a perfect translation (each state's true canonical
render), the scripted explorer and the privileged oracle on the same episodes, prints
their success with 95% intervals, and writes a report (Markdown + self-contained HTML) with
the table, translations of target states, episode GIFs, a Q-value heat map and pictures of
every domain. A missing policy is said plainly and everything else is still made; a missing
translator only leaves out its translations.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from rcan.common.errors import RcanError
from rcan.common.io import write_json
from rcan.common.machine import machine
from rcan.qtopt.actor import QTOptActor
from rcan.qtopt.load import saved_env_config
from rcan.qtopt.observation import PerfectTranslation
from rcan.sim.env import EnvConfig
from rcan.transfer.document import ReportFolder
from rcan.transfer.episodes import (
    ActorController,
    PlayResult,
    ScriptController,
    load_policy,
    play,
)
from rcan.transfer.layout import PolicyFolder
from rcan.transfer.pictures import add_gifs, add_q_maps, add_translations, first_observation

if TYPE_CHECKING:
    from rcan.cli import DemoConfig

DOMAINS = ("randomized", "target", "canonical")
"""Domains drawn as randomized | canonical | mask | depth grids."""
POLICY = "rcan policy"
"""Row of the shipped RCAN policy."""
PERFECT = "perfect G(x)"
"""Row of the RCAN policy acting through a perfect translation."""


def _find_policy(folder: Path) -> str | None:
    """Why the policy cannot be used, or None if it can."""
    if not folder.exists():
        return "does not exist"
    try:
        found = PolicyFolder.find(folder)
        found.translator(None)
    except RcanError as err:
        return str(err)
    return None


def run_demo(config: DemoConfig) -> dict[str, Any]:
    """Play, print, draw; returns what ``OUT/results.json`` holds."""
    started = time.perf_counter()
    torch.set_num_threads(config.threads)
    if config.episodes < 1:
        raise RcanError(f"--episodes must be >= 1, got {config.episodes}")
    out = Path(config.out)
    missing = _find_policy(Path(config.policy))
    if missing:
        print(f"NOTE: no RCAN policy at {config.policy} ({missing}). Its episodes, GIFs and "
              "Q heat map are skipped; the rest of the demo still runs. Train one with "
              "`rcan experiment table1` (or `rcan train-policy --obs rcan`) and save it with "
              "`rcan save-policy RUN --out FOLDER`, or pass --policy FOLDER.")
    played, policy = _play_all(config, skip_policy=bool(missing))
    header = ["policy", "success", "95% interval", "episodes", "steps/episode"]
    rows = [[name, f"{r.rate.success:.1%}", f"[{r.rate.ci_low:.1%}, {r.rate.ci_high:.1%}]",
             str(r.rate.episodes), f"{r.mean_episode_length:.1f}"] for name, r in played.items()]
    _print_table(config, header, rows, missing, PERFECT in played)
    report = out / "report"
    _write_report(config, report, header, rows, played, policy, missing, started)
    results = {
        "command": "rcan demo " + " ".join(sys.argv[2:]) if "demo" in sys.argv else "rcan demo",
        "domain": config.domain,
        "objects": "test",
        "seed": config.seed,
        "policy": str(config.policy),
        "policy_missing": missing,
        "results": {name: r.as_dict() for name, r in played.items()},
        "machine": machine(),
        "wall_seconds": round(time.perf_counter() - started, 2),
    }
    write_json(out / "results.json", results)
    print(f"\nwrote {report}/report.html (and report.md) and {out / 'results.json'} "
          f"in {results['wall_seconds']:.0f} s")
    return results


def _play_all(config: DemoConfig, skip_policy: bool
              ) -> tuple[dict[str, PlayResult], tuple[QTOptActor, EnvConfig] | None]:
    """Every row's episodes (the same seeds for each), and the RCAN policy's actor and
    environment (None when it is missing)."""
    played: dict[str, PlayResult] = {}
    policy = None
    if not skip_policy:
        actor, policy_config = load_policy(config.policy, seed=config.seed)
        env = saved_env_config(policy_config, config.domain, "test")
        policy = actor, env
        played[POLICY] = play(ActorController(actor, POLICY), env, config.episodes,
                              config.seed, record=config.gif_episodes)
        if config.perfect_translation and actor.encoder.mode in ("canonical", "rcan"):
            perfect = QTOptActor(actor.network, PerfectTranslation(actor.encoder.mode),
                                 actor.cem, seed=config.seed)
            played[PERFECT] = play(ActorController(perfect, PERFECT),
                                   replace(env, canonical_view=True), config.episodes,
                                   config.seed, record=0)
    builtin_env = EnvConfig(domain=config.domain)
    builtin_env.world.objects = "test"
    for name in ("scripted", "oracle"):
        played[name] = play(ScriptController(name), builtin_env, config.episodes, config.seed,
                            record=1 if name == "oracle" else 0)
    return played, policy


def _print_table(config: DemoConfig, header: list[str], rows: list[list[str]],
                 missing: str | None, perfect: bool) -> None:
    print(f"\nheld-out objects in the {config.domain!r} domain, the same episodes for each "
          "policy:")
    print(f"{header[0]:<12} {header[1]:>8}  {header[2]:<17} {header[3]:>8} {header[4]:>14}")
    for r in rows:
        print(f"{r[0]:<12} {r[1]:>8}  {r[2]:<17} {r[3]:>8} {r[4]:>14}")
    if missing:
        print(f"{POLICY}  (missing: {config.policy})")
    if perfect:
        print(f"({PERFECT}: the rcan policy reading each state's true canonical render, a "
              "translator that is never wrong)")


def _write_report(config: DemoConfig, report: Path, header: list[str], rows: list[list[str]],
                  played: dict[str, PlayResult], policy: tuple[QTOptActor, EnvConfig] | None,
                  missing: str | None, started: float) -> None:
    """``report/report.md`` and ``report.html``: the table, translations, GIFs, a Q heat map
    and the domains."""
    with ReportFolder(report, "rcan demo: transfer to the target domain") as doc:
        doc.paragraph(f"Grasp success on held-out objects in the `{config.domain}` domain (the "
                      "simulated stand-in for reality, never used for training), every policy "
                      f"on the same {config.episodes} episodes (seed {config.seed}).")
        doc.table(header, rows)
        if PERFECT in played:
            doc.paragraph(f"`{PERFECT}`: the RCAN policy reading each state's true canonical "
                          "render in place of the translator's G(x) (simulation only); the gap "
                          "to its own row is what translation costs.")
        if missing:
            doc.paragraph(f"**No RCAN policy** at `{config.policy}` ({missing}): its row, "
                          "episodes and Q heat map are missing.")
        if config.translator.is_dir() and config.translation_samples > 0:
            doc.heading("What the translator makes of the target domain")
            add_translations(doc, config.translator, config.domain, config.translation_samples,
                             config.seed)
        else:
            doc.paragraph(f"No translator at `{config.translator}`: translations left out.")
        doc.heading("Episodes")
        if policy is not None:
            add_gifs(doc, f"RCAN policy in {config.domain} (camera | G(x))", "episode_rcan",
                     played[POLICY].recorded)
        add_gifs(doc, f"the oracle (privileged state) in {config.domain}", "episode_oracle",
                 played["oracle"].recorded)
        if policy is not None:
            actor, env = policy
            # the first observation of the evaluation: recorded, or replayed from its seed
            recorded = played[POLICY].recorded
            first = (recorded[0].first_observation if recorded
                     else first_observation(env, config.seed))
            doc.heading("Q-value heat map")
            add_q_maps(doc, first, [(POLICY, actor, env.max_translation)], config.grid)
        if config.show_samples > 0:
            from rcan.sim.show import ShowConfig, frame_row, sample_frames, write_grid

            doc.heading("The domains")
            for domain in DOMAINS:
                frames = sample_frames(ShowConfig(domain=domain, samples=config.show_samples,
                                                  seed=config.seed))
                name = f"show_{domain}.png"
                write_grid([frame_row(f) for f in frames], doc.file(name))
                doc.image(name, f"`{domain}`: rendered | canonical | mask | depth")
        seconds = time.perf_counter() - started
        doc.paragraph(f"Made by `rcan demo` in {seconds:.0f} s on {machine()['cpu_count']} "
                      "CPUs.")
