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
from typing import TypeVar

import tyro

from rcan.common.errors import RcanError
from rcan.common.helptext import document_fields

T = TypeVar("T")


def _parse(config: type[T], *, args: Sequence[str], prog: str) -> T:
    """``config`` from ``args`` with tyro; ``--help`` shows each field's docstring as one
    flowing paragraph."""
    document_fields(config)
    return tyro.cli(config, args=args, prog=prog)


def _generate(args: Sequence[str]) -> None:
    from rcan.data.generate import GenerateConfig, generate

    config = _parse(GenerateConfig, args=args, prog="rcan generate")
    made = generate(config)
    print(f"made {len(made)} shard(s) in {config.out}")


def _show(args: Sequence[str]) -> None:
    from rcan.sim.show import ShowConfig, show

    config = _parse(ShowConfig, args=args, prog="rcan show")
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

    config = _parse(RolloutConfig, args=args, prog="rcan rollout")
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

        tconfig = _parse(TranslatorBenchConfig, args=args[1:], prog="rcan bench translator")
        r = bench_translator(tconfig)
        print(f"one image {r['single_image_ms']:.2f} ms | batched {r['batched_ms_per_image']:.2f}"
              f" ms/image ({r['batching_speedup']:.1f}x) on {r['threads']} threads "
              f"-> {tconfig.out}")
        return
    if args[0] == "qtopt":
        from rcan.bench.qtopt_bench import QtOptBenchConfig, bench_qtopt

        qconfig = _parse(QtOptBenchConfig, args=args[1:], prog="rcan bench qtopt")
        q = bench_qtopt(qconfig)
        print(json.dumps({k: v for k, v in q.items() if k != "cem"}, indent=2))
        return
    if args[0] == "ray":
        from rcan.bench.ray_bench import RayBenchConfig, bench_ray

        rconfig = _parse(RayBenchConfig, args=args[1:], prog="rcan bench ray")
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

    config = _parse(SimBenchConfig, args=args[1:], prog="rcan bench sim")
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

    config = _parse(TrainTranslatorConfig, args=args, prog="rcan train-translator")
    metrics = train_translator(config)
    print(json.dumps(metrics, indent=2))


def _evaluate_translator(args: Sequence[str]) -> None:
    from rcan.translator.evaluate import EvaluateTranslatorConfig, evaluate_translator

    config = _parse(EvaluateTranslatorConfig, args=args, prog="rcan evaluate-translator")
    print(json.dumps(evaluate_translator(config), indent=2))


def _train_policy(args: Sequence[str]) -> None:
    from rcan.qtopt.train import TrainPolicyConfig, train_policy

    config = _parse(TrainPolicyConfig, args=args, prog="rcan train-policy")
    print(json.dumps(train_policy(config), indent=2))


def _fit_policy(args: Sequence[str]) -> None:
    from rcan.qtopt.fit import FitPolicyConfig, fit_policy

    config = _parse(FitPolicyConfig, args=args, prog="rcan fit-policy")
    print(json.dumps(fit_policy(config), indent=2))


def _evaluate(args: Sequence[str]) -> None:
    from rcan.qtopt.evaluate import EvaluateConfig, evaluate

    config = _parse(EvaluateConfig, args=args, prog="rcan evaluate")
    print(json.dumps(evaluate(config), indent=2))


def _select_snapshot(args: Sequence[str]) -> None:
    from rcan.qtopt.select import SelectSnapshotConfig, select_snapshot

    config = _parse(SelectSnapshotConfig, args=args, prog="rcan select-snapshot")
    best = select_snapshot(config)["best"]
    print(f"best on validation: {best['evaluate'].removeprefix('rcan evaluate ')} "
          f"({100 * best['success']:.1f}% over {best['episodes']} episodes); measure it on the "
          f"held-out objects with: {best['evaluate']}")


@dataclass
class PublishRunConfig:
    """Settings of ``rcan publish-run``."""

    run: Path
    """A train-policy run folder."""
    out: Path
    """Results folder to write (curve.json/png, config.json, metrics.json)."""


def _publish_run(args: Sequence[str]) -> None:
    from rcan.qtopt.results import publish_run

    config = _parse(PublishRunConfig, args=args, prog="rcan publish-run")
    print(json.dumps(publish_run(config.run, config.out), indent=2))


@dataclass
class CompareCurvesConfig:
    """Settings of ``rcan compare-curves``."""

    runs: tyro.conf.Positional[tuple[Path, ...]]
    """Two or more train-policy runs or published results folders (each with curve.json)."""
    out: Path
    """Folder to write compare.json and compare.png to."""
    labels: tuple[str, ...] = ()
    """A name per run, in order (default: the folder names)."""
    since: int = 0
    """Pool each curve only over the common points at or after this many grasps (a plateau,
    say); the table and the plot still show every common point."""


def _compare_curves(args: Sequence[str]) -> None:
    from rcan.common.io import write_json
    from rcan.qtopt.curve import compare_curves, comparison_table, plot_comparison, read_curve

    config = _parse(CompareCurvesConfig, args=args, prog="rcan compare-curves")
    labels = list(config.labels) or [run.name for run in config.runs]
    if len(labels) != len(config.runs) or len(set(labels)) != len(labels):
        raise RcanError(f"--labels: expected {len(config.runs)} distinct names, one per run, "
                        f"got {labels}")
    summary = compare_curves({label: read_curve(run)
                              for label, run in zip(labels, config.runs, strict=True)},
                             since=config.since)
    summary = {"command": "rcan compare-curves " + " ".join(args),
               "runs": {label: str(run) for label, run in zip(labels, config.runs, strict=True)},
               **summary}
    write_json(config.out / "compare.json", summary)
    plot_comparison(summary, config.out / "compare.png")
    print(comparison_table(summary))
    pooled = summary["pooled_grasps"]
    for label, rate in summary["pooled_over_points"].items():
        print(f"{label}: pooled over {len(pooled)} points from {pooled[0]:,} grasps "
              f"{100 * rate['success']:.1f}% [{100 * rate['ci_low']:.1f}, "
              f"{100 * rate['ci_high']:.1f}]")
    print(f"wrote {config.out / 'compare.json'} and {config.out / 'compare.png'}")


@dataclass
class CompareEvalsConfig:
    """Settings of ``rcan compare-evals``."""

    evaluations: tyro.conf.Positional[tuple[Path, Path]]
    """Two ``rcan evaluate`` JSON files of the same episodes (domain, objects, seed, count): A
    then B."""
    out: Path | None = None
    """JSON file for the comparison (optional)."""


def _compare_evals(args: Sequence[str]) -> None:
    from rcan.common.io import write_json
    from rcan.qtopt.evaluate import compare_evaluations

    config = _parse(CompareEvalsConfig, args=args, prog="rcan compare-evals")
    result = compare_evaluations(*config.evaluations)
    for key in ("a", "b"):
        rate = result[key]
        print(f"{key.upper()}: {100 * rate['success']:.1f}% [{100 * rate['ci_low']:.1f}, "
              f"{100 * rate['ci_high']:.1f}]  {rate['file']}")
    print(f"B - A: {100 * result['difference']:+.1f} points over {result['episodes']} episodes; "
          f"only A grasped {result['only_a']}, only B {result['only_b']}; McNemar exact "
          f"p = {result['p_value']:.3g}")
    if config.out is not None:
        write_json(config.out, {"command": "rcan compare-evals " + " ".join(args), **result})


def _export(args: Sequence[str]) -> None:
    from rcan.transfer.export import ExportConfig, export

    config = _parse(ExportConfig, args=args, prog="rcan export")
    meta = export(config)
    check = meta["check"]
    print(f"wrote {config.out}/policy.onnx and policy.json (obs {meta['spec']['obs']}); "
          f"onnxruntime vs PyTorch on {check['observations']} random observations: "
          f"max action difference {check['max_action_difference']:.2g}, "
          f"max Q difference {check['max_q_difference']:.2g}")


@dataclass
class SavePolicyConfig:
    """Settings of ``rcan save-policy``."""

    run: tyro.conf.Positional[Path]
    """A train-policy run folder."""
    out: Path
    """Policy folder to write (safetensors + JSON, the translator inside for rcan)."""


def _save_policy(args: Sequence[str]) -> None:
    from rcan.transfer.grasp_policy import GraspPolicy, run_provenance

    config = _parse(SavePolicyConfig, args=args, prog="rcan save-policy")
    policy = GraspPolicy.from_pretrained(config.run)
    policy.save_pretrained(config.out, trained=run_provenance(config.run))
    print(f"wrote {config.out} (obs {policy.obs}); load it with "
          f"GraspPolicy.from_pretrained({str(config.out)!r})")


@dataclass
class DemoConfig:
    """Settings of ``rcan demo``: the shipped translator and RCAN policy in the target domain,
    beside the scripted explorer and the oracle, with a report, in a few minutes."""

    out: Path = Path("runs/demo")
    """Output folder: results.json and report/ (report.md, report.html, pictures)."""
    policy: Path = Path("models/policy_rcan")
    """Shipped RCAN policy (a GraspPolicy.save_pretrained folder); skipped, with a note, if
    missing."""
    translator: Path = Path("models/translator")
    """Shipped translator whose translations the report draws (skipped if missing)."""
    domain: str = "target"
    """Domain the policies are played in (name or domain file)."""
    episodes: int = 100
    """Episodes per policy for the success table (the same episodes for each)."""
    gif_episodes: int = 2
    """Episodes of the RCAN policy kept as GIFs (recorded while evaluating)."""
    perfect_translation: bool = True
    """Also play the RCAN policy reading each state's true canonical render in place of G(x)
    (a translator that is never wrong; row ``perfect G(x)``): the gap to its own row is what
    translation costs."""
    translation_samples: int = 4
    """Target states in the translation picture (0: none)."""
    show_samples: int = 3
    """States per domain in the domain pictures (0: none)."""
    grid: int = 25
    """Points per axis of the Q heat map."""
    seed: int = 0
    """Seed of the episodes."""
    threads: int = 1
    """PyTorch CPU threads (one: the networks are small, and a second thread only spins
    when the cores are busy with the simulator or anything else)."""


def _demo(args: Sequence[str]) -> None:
    from rcan.transfer.demo import run_demo

    run_demo(_parse(DemoConfig, args=args, prog="rcan demo"))


def _experiment(args: Sequence[str]) -> None:
    if not args or args[0] in ("-h", "--help"):
        print("usage: rcan experiment {table1,report} [--help]\n\n"
              "  table1  train, measure and finetune the three rows of RCAN's Table 1 and write\n"
              "          results/table1.json (+ .meta.json) and its report; resumable\n"
              "  report  rebuild the report from an existing table JSON and policy folders")
        return
    if args[0] == "table1":
        from rcan.transfer.experiment import Table1Config, run_table1

        config = _parse(Table1Config, args=args[1:], prog="rcan experiment table1")
        table = run_table1(config, "rcan experiment " + " ".join(args))
        if table is not None:
            print(json.dumps(table, indent=2))
        return
    if args[0] == "report":
        from rcan.transfer.report import ReportConfig, build_report

        rconfig = _parse(ReportConfig, args=args[1:], prog="rcan experiment report")
        print(f"wrote {build_report(rconfig)}/report.md and report.html")
        return
    raise RcanError(f"unknown experiment {args[0]!r}: expected table1 or report")


COMMANDS: dict[str, tuple[Callable[[Sequence[str]], None], str]] = {
    "demo": (_demo, "the shipped RCAN policy in the target domain: success table and report"),
    "generate": (_generate, "write paired images or episode transitions to HDF5 shards"),
    "show": (_show, "write a PNG grid: randomized | canonical | mask | depth"),
    "rollout": (_rollout, "success rate of the oracle or scripted policy in a domain"),
    "train-translator": (_train_translator, "train the RCAN generator on paired shards"),
    "evaluate-translator": (_evaluate_translator,
                            "a translator's PSNR, IoU and depth error on paired shards"),
    "train-policy": (_train_policy, "QT-Opt: learn to grasp (obs canonical, randomized or rcan)"),
    "fit-policy": (_fit_policy, "more gradient steps on a run's replay, no new grasps"),
    "evaluate": (_evaluate, "success of a trained policy in any domain, with a 95% interval"),
    "select-snapshot": (_select_snapshot,
                        "choose a run's best curve point on validation episodes"),
    "publish-run": (_publish_run, "copy a run's curve, latest metrics and network to results/"),
    "compare-curves": (_compare_curves, "learning curves of several runs side by side"),
    "compare-evals": (_compare_evals, "two evaluations of the same episodes, paired test"),
    "save-policy": (_save_policy, "a trained run as a self-contained policy folder (safetensors)"),
    "export": (_export, "a trained policy (and its translator) as ONNX, for a robot"),
    "experiment": (_experiment, "RCAN's transfer table: 'rcan experiment table1|report'"),
    "bench": (_bench, "benchmarks: 'rcan bench sim|translator|qtopt|ray'"),
}


def _usage() -> str:
    lines = ["usage: rcan COMMAND [--help]", "", "commands:"]
    lines += [f"  {name:<20} {text}" for name, (_, text) in COMMANDS.items()]
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
