"""The ``rcan`` command line: one entry point, one subcommand per job.

Each subcommand parses its own typed dataclass config with tyro, so ``rcan CMD --help`` lists
every setting with its documentation. A user error prints one line and exits with status 2.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import tyro

from rcan.common.errors import RcanError


def _generate(args: Sequence[str]) -> None:
    from rcan.data.generate import GenerateConfig, generate

    config = tyro.cli(GenerateConfig, args=args, prog="rcan generate")
    made = generate(config)
    print(f"made {len(made)} shard(s) in {config.out}")


def _show(args: Sequence[str]) -> None:
    from rcan.sim.show import ShowConfig, show

    config = tyro.cli(ShowConfig, args=args, prog="rcan show")
    if config.translator is None:
        if config.images is not None:
            raise RcanError("show: --images needs --translator CHECKPOINT")
        print(f"wrote {show(config)}")
        return
    from rcan.sim.show import sample_frames, write_grid
    from rcan.translator import Translator
    from rcan.translator.visualize import load_photos, photo_rows, translation_rows

    translator = Translator.from_checkpoint(config.translator)
    if config.images is not None:
        rows = photo_rows(translator, load_photos(config.images, config.image_size,
                                                   config.samples))
    else:
        rows = translation_rows(translator, sample_frames(config))
    print(f"wrote {write_grid(rows, config.out, config.scale)}")


def _rollout(args: Sequence[str]) -> None:
    from rcan.sim.rollout import RolloutConfig, rollout

    config = tyro.cli(RolloutConfig, args=args, prog="rcan rollout")
    print(json.dumps(rollout(config), indent=2))


def _bench(args: Sequence[str]) -> None:
    if not args or args[0] in ("-h", "--help"):
        print("usage: rcan bench {sim,translator,qtopt,ray} [--help]\n\n"
              "  sim         our environment vs pybullet's KukaDiverseObjectEnv, side by side\n"
              "  translator  latency of one 64 x 64 translation on 2 threads\n"
              "  qtopt       acting latency, batched vs looped CEM, training throughput\n"
              "  ray         collection episodes/s with 1 and 2 Ray collector actors")
        return
    if args[0] == "translator":
        from rcan.bench.translator_bench import TranslatorBenchConfig, bench_translator

        tconfig = tyro.cli(TranslatorBenchConfig, args=args[1:], prog="rcan bench translator")
        r = bench_translator(tconfig)
        print(f"one image {r['single_image_ms']:.2f} ms | batched {r['batched_ms_per_image']:.2f}"
              f" ms/image ({r['batching_speedup']:.1f}x) on {r['threads']} threads "
              f"-> {tconfig.out}")
        return
    if args[0] == "qtopt":
        from rcan.bench.qtopt_bench import QtOptBenchConfig, bench_qtopt

        qconfig = tyro.cli(QtOptBenchConfig, args=args[1:], prog="rcan bench qtopt")
        q = bench_qtopt(qconfig)
        print(json.dumps({k: v for k, v in q.items() if k != "cem"}, indent=2))
        return
    if args[0] == "ray":
        from rcan.bench.ray_bench import RayBenchConfig, bench_ray

        rconfig = tyro.cli(RayBenchConfig, args=args[1:], prog="rcan bench ray")
        r = bench_ray(rconfig)
        rates = ", ".join(f"{n}: {e:.2f}" for n, e in zip(r["collectors"], r["episodes_per_s"],
                                                           strict=True))
        ratio = r["ratio_2_over_1"]
        print(f"episodes/s by collectors {rates}"
              + (f" | 2 over 1: {ratio:.2f}x" if ratio is not None else "")
              + f" -> {rconfig.out}")
        return
    if args[0] != "sim":
        raise RcanError(
            f"unknown benchmark {args[0]!r}: expected sim, translator, qtopt or ray")
    from rcan.bench.sim_bench import SimBenchConfig, bench_sim

    config = tyro.cli(SimBenchConfig, args=args[1:], prog="rcan bench sim")
    result = bench_sim(config)
    print(
        f"ours {result['ours_episodes_per_s']:.2f} episodes/s "
        f"({result['ours_steps_per_s']:.1f} steps/s) | peer "
        f"{result['peer_episodes_per_s']:.2f} episodes/s ({result['peer_steps_per_s']:.1f} "
        f"steps/s) | ratio {result['ratio']:.1f}x | paired render "
        f"{result['paired_render_ms_64']:.2f} ms -> {config.out}"
    )


def _train_translator(args: Sequence[str]) -> None:
    from rcan.translator.train import TrainTranslatorConfig, train_translator

    config = tyro.cli(TrainTranslatorConfig, args=args, prog="rcan train-translator")
    metrics = train_translator(config)
    print(json.dumps(metrics, indent=2))


def _train_policy(args: Sequence[str]) -> None:
    from rcan.qtopt.train import TrainPolicyConfig, train_policy

    config = tyro.cli(TrainPolicyConfig, args=args, prog="rcan train-policy")
    print(json.dumps(train_policy(config), indent=2))


def _evaluate(args: Sequence[str]) -> None:
    from rcan.qtopt.evaluate import EvaluateConfig, evaluate

    config = tyro.cli(EvaluateConfig, args=args, prog="rcan evaluate")
    print(json.dumps(evaluate(config), indent=2))


def _export(args: Sequence[str]) -> None:
    from rcan.transfer.export import ExportConfig, export

    config = tyro.cli(ExportConfig, args=args, prog="rcan export")
    meta = export(config)
    check = meta["check"]
    print(f"wrote {config.out}/policy.onnx and policy.json (obs {meta['spec']['obs']}); "
          f"onnxruntime vs PyTorch on {check['observations']} random observations: "
          f"max action difference {check['max_action_difference']:.2g}, "
          f"max Q difference {check['max_q_difference']:.2g}")


@dataclass
class DemoConfig:
    """Settings of ``rcan demo``: what exists of the pipeline, end to end, in a few minutes."""

    out: Path = Path("runs/demo")
    """Output folder."""
    episodes: int = 20
    """Episodes per policy for the success table."""
    seed: int = 0
    """Seed."""
    translator: Path = Path("models/translator")
    """Shipped translator whose translations the demo draws (skipped if missing)."""


def _demo(args: Sequence[str]) -> None:
    from rcan.data.generate import GenerateConfig, generate
    from rcan.sim.rollout import RolloutConfig, rollout
    from rcan.sim.show import ShowConfig, show

    config = tyro.cli(DemoConfig, args=args, prog="rcan demo")
    out = config.out
    for domain in ("randomized", "target", "canonical"):
        path = show(ShowConfig(domain=domain, out=out / f"show_{domain}.png", seed=config.seed))
        print(f"wrote {path}")
    generate(GenerateConfig(out=out / "paired", shards=2, episodes_per_shard=2,
                            seed=config.seed, workers=2))
    print(f"wrote paired shards to {out / 'paired'}")
    if config.translator.is_dir():
        from rcan.sim.show import sample_frames, write_grid
        from rcan.translator import Translator
        from rcan.translator.visualize import translation_rows

        translator = Translator.from_checkpoint(config.translator)
        for domain in ("randomized", "target"):
            frames = sample_frames(ShowConfig(domain=domain, objects="test", seed=config.seed))
            path = write_grid(translation_rows(translator, frames),
                              out / f"translation_{domain}.png")
            print(f"wrote {path} (input | G(x) | true canonical | G's mask | G's depth)")
    rows = []
    for policy, domain in [("oracle", "canonical"), ("scripted", "randomized"),
                           ("oracle", "target")]:
        result = rollout(RolloutConfig(policy=policy, domain=domain, objects="test",
                                       episodes=config.episodes, seed=config.seed,
                                       out=out / f"rollout_{policy}_{domain}.json"))
        rows.append(result)
    print("\npolicy    domain       success  95% interval     episodes  steps/episode")
    for r in rows:
        print(f"{r['policy']:<9} {r['domain']:<12} {r['success']:>6.1%}   "
              f"[{r['ci_low']:.1%}, {r['ci_high']:.1%}]  {r['episodes']:>8}  "
              f"{r['mean_episode_length']:>8.1f}")


COMMANDS: dict[str, tuple[Callable[[Sequence[str]], None], str]] = {
    "demo": (_demo, "pictures, a small paired dataset and a success table (make demo)"),
    "generate": (_generate, "write paired images or episode transitions to HDF5 shards"),
    "show": (_show, "write a PNG grid: randomized | canonical | mask | depth"),
    "rollout": (_rollout, "success rate of the oracle or scripted policy in a domain"),
    "train-translator": (_train_translator, "train the RCAN generator on paired shards"),
    "train-policy": (_train_policy, "QT-Opt: learn to grasp (obs canonical, randomized or rcan)"),
    "evaluate": (_evaluate, "success of a trained policy in any domain, with a 95% interval"),
    "export": (_export, "a trained policy (and its translator) as ONNX, for a robot"),
    "bench": (_bench, "benchmarks: 'rcan bench sim|translator|qtopt|ray'"),
}


def _usage() -> str:
    lines = ["usage: rcan COMMAND [--help]", "", "commands:"]
    lines += [f"  {name:<17} {text}" for name, (_, text) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rcan`` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(_usage())
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"rcan: error: unknown command {name!r}\n{_usage()}", file=sys.stderr)
        return 2
    try:
        COMMANDS[name][0](rest)
    except RcanError as err:
        print(f"rcan {name}: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
