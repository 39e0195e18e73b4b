"""``playground``: the window, and headless run / export / bench / presets."""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Optional, TextIO

from playground import __version__

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT, EXIT_DIVERGED = 0, 1, 2, 3


def main(argv: Optional[list[str]] = None) -> int:
    args = _parser().parse_args(argv)
    from playground.core.checkpoint_file import CheckpointError
    from playground.core.download import DownloadError
    from playground.core.errors import SpecError

    try:
        code = args.func(args)
        sys.stdout.flush()
        return code
    except BrokenPipeError:  # the reader went away (playground presets | head): nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so that exit's flush is quiet
        return EXIT_OK
    except (SpecError, CheckpointError, DownloadError) as e:  # a download's advice is a paragraph: whole
        return _fail(str(e))
    except RuntimeError as e:  # a missing resource or a torch problem, said in one line
        return _fail(str(e).splitlines()[0])


def _fail(message: str) -> int:
    print(f"playground: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="playground", description="Build small neural networks and watch them "
                                     "train. Without a command: open the window.")
    parser.set_defaults(func=_window)
    parser.add_argument("--version", action="version", version=f"playground {__version__}")
    parser.add_argument("--preset", help="open this preset (name) or experiment file (path)")
    parser.add_argument("--autorun", action="store_true", help="start training at once")
    parser.add_argument("--exit-after", type=float, metavar="SECONDS",
                        help="scripted mode: quit after this long and print the measurements as JSON")
    parser.add_argument("--screenshot", type=Path, metavar="FILE", help="with --exit-after: save the window as PNG")
    parser.add_argument("--tab", choices=["loss", "activations", "surfaces"], default="loss",
                        help="the plots shown first: loss and accuracy (default), activations and gradients, or "
                             "the optimizers on 2D loss surfaces")
    parser.add_argument("--compare", metavar="PATH=V1,V2,...",
                        help="train 2 to 8 runs of the experiment side by side, one per value of this field "
                             "(e.g. optim.name=sgd,momentum,adam); with --exit-after the scripted mode times the race")
    parser.add_argument("--lecture", metavar="FILE|NAME",
                        help="open a lecture deck: its first step, presenter keys, presentation mode")
    sub = parser.add_subparsers(metavar="COMMAND")

    run = sub.add_parser("run", help="train an experiment headless and write its metrics")
    run.add_argument("spec", help="experiment file (JSON) or preset name")
    _add_overrides(run)
    run.add_argument("--epochs", type=int, help="train this many epochs instead of the file's")
    run.add_argument("--out", type=Path, help="folder for metrics.jsonl, spec.json, checkpoint (default runs/NAME)")
    run.add_argument("--weights", type=Path, help="start from the weights of this checkpoint")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(func=_run)

    export = sub.add_parser("export", help="write a standalone PyTorch script that reproduces the run")
    export.add_argument("spec", help="experiment file (JSON) or preset name")
    export.add_argument("-o", "--output", type=Path, required=True, help="the script to write, e.g. train.py")
    _add_overrides(export)
    export.set_defaults(func=_export)

    bench = sub.add_parser("bench", help="time the trainer against a bare PyTorch loop and print the ratios")
    bench.add_argument("--seconds", type=float, default=3.0, help="time per measurement (default 3)")
    bench.add_argument("--window", action="store_true",
                       help="instead: what an edit and a frame of records cost the window's panels and views")
    bench.add_argument("--rounds", type=int, default=10, help="with --window: rounds to time (default 10)")
    bench.add_argument("--transfer", action="store_true",
                       help="instead: time feature extraction of the ImageNet backbone and cached features "
                            "against running the frozen backbone each step")
    bench.set_defaults(func=_bench)

    pretrain = sub.add_parser("pretrain", help="train a shipped backbone from its source experiment "
                                               "(resources/backbones/NAME.json) and write its checkpoint")
    pretrain.add_argument("name", help="the backbone, e.g. glyphs_cnn")
    pretrain.add_argument("--out", type=Path, help="write here instead of over the shipped file")
    pretrain.add_argument("--quiet", action="store_true", help="no progress bar")
    pretrain.set_defaults(func=_pretrain)

    from playground.core.sweep import DEFAULT_PER_CLASS, DEFAULT_SEEDS, DEFAULT_STRATEGIES, per_class_label

    per_class = ",".join(per_class_label(pc) for pc in DEFAULT_PER_CLASS)
    sweep = sub.add_parser("transfer-sweep", help="train each transfer strategy with few to all examples per "
                                                  "class, several seeds each, and print the accuracy table",
                           description="The lecture's transfer-learning table, measured: every strategy x "
                                       "examples per class x seed is trained (data.seed and train.seed = the "
                                       "seed) and its final validation accuracy kept. Writes DIR/sweep.json "
                                       "and the plot DIR/sweep.png.")
    sweep.add_argument("spec", nargs="?", default="transfer_linear_probe",
                       help="a transfer experiment file (JSON) or preset name (default transfer_linear_probe)")
    sweep.add_argument("--per-class", default=per_class, metavar="LIST",
                       help="labelled training examples per class, comma-separated; 'all': all the data, split "
                            f"by data.val_fraction (default {per_class})")
    sweep.add_argument("--strategies", default=",".join(DEFAULT_STRATEGIES), metavar="LIST",
                       help=f"comma-separated (default {','.join(DEFAULT_STRATEGIES)})")
    sweep.add_argument("--seeds", type=int, default=DEFAULT_SEEDS,
                       help=f"runs per cell, seeds 0, 1, ... (default {DEFAULT_SEEDS})")
    sweep.add_argument("--epochs", type=int, help="train this many epochs instead of the file's")
    _add_overrides(sweep)
    sweep.add_argument("--scratch-lr", type=float, metavar="LR",
                       help="the scratch strategy's learning rate (default: the experiment's, like the others)")
    sweep.add_argument("--workers", type=int, default=2,
                       help="training processes at once, one torch thread each (default 2)")
    sweep.add_argument("--out", type=Path, help="folder for sweep.json and sweep.png (default runs/sweep-NAME)")
    sweep.add_argument("--quiet", action="store_true", help="no progress lines")
    sweep.set_defaults(func=_transfer_sweep)

    compare = sub.add_parser("compare", help="train 2 to 8 variants of an experiment side by side and overlay "
                                              "their loss curves",
                             description="Either one experiment with one field varied (--vary optim.name=sgd,adam), "
                                         "2 to 8 experiment files and presets, or a shipped comparison by name "
                                         "(optimizer_race, lr_trio, dropout_vs_none, init_comparison, "
                                         "batchnorm_vs_none). Each run trains as `playground "
                                         "run` would train it alone, in worker processes; writes DIR/RUN/"
                                         "metrics.jsonl, DIR/RUN/spec.json and the plot DIR/compare.png, and prints "
                                         "the final figures of each run.")
    compare.add_argument("specs", nargs="+", metavar="SPEC", help="experiment file (JSON) or preset name: one with "
                                                                   "--vary, else 2 to 8; or a shipped comparison")
    compare.add_argument("--vary", metavar="PATH=V1,V2,...",
                         help="one run per value of this field, e.g. optim.lr=0.003,0.03,0.3")
    _add_overrides(compare)
    compare.add_argument("--epochs", type=int, help="train every run this many epochs instead of the file's")
    compare.add_argument("--workers", type=int, default=2,
                         help="training processes at once, one torch thread each (default 2)")
    compare.add_argument("--out", type=Path, help="folder for the runs and compare.png (default runs/compare-NAME)")
    compare.add_argument("--quiet", action="store_true", help="no progress lines")
    compare.set_defaults(func=_compare)

    presets = sub.add_parser("presets", help="list the shipped experiments")
    presets.set_defaults(func=_presets)

    lecture = sub.add_parser("lecture", help="list the shipped lecture decks, or check that each step of one "
                                             "shows its phenomenon")
    actions = lecture.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="the shipped decks with their steps").set_defaults(func=_lecture_list)
    check = actions.add_parser("check", help="train every step headless and check its expectations",
                               description="Train each step of a deck headless and compare its measures with "
                                           "the deck's expectations; exit 1 if any fails.")
    check.add_argument("deck", nargs="?", help="a shipped deck's name or a deck file (default: the shipped deck)")
    check.add_argument("--step", dest="steps", action="append", metavar="ID",
                       help="check only this step (repeat for more); steps it compares with train too")
    check.add_argument("--window", action="store_true",
                       help="open each step in the window instead (offscreen without a display) and print the "
                            "seconds from opening it to the end of its run")
    check.set_defaults(func=_lecture_check)
    return parser


def _add_overrides(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                        help="change one field, e.g. --set model.layers[0].units=8 --set optim.name=adam")


def _load(args) -> "Experiment":  # noqa: F821
    from playground.core.presets import load_experiment

    exp = load_experiment(args.spec)
    if args.overrides:
        exp = exp.with_overrides(args.overrides)
    return exp


def _window(args) -> int:
    if args.screenshot and args.exit_after is None:
        return _fail("--screenshot needs --exit-after SECONDS")
    if not _display_available():
        if args.exit_after is not None:  # scripted mode needs no screen: draw offscreen
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        else:
            print("playground: no display here (DISPLAY is not set), so no window: training the experiment "
                  "headless instead. On a desktop `playground` opens the window; `xvfb-run playground` runs it "
                  "on a virtual screen.", file=sys.stderr)
            args.spec = args.preset or "default"
            args.overrides, args.epochs, args.out, args.weights, args.quiet = [], None, None, None, False
            return _run(args)
    from playground.ui.app import run_app

    return run_app(args.preset, args.autorun, args.exit_after, args.screenshot, args.tab, lecture=args.lecture,
                   compare=args.compare)


def _display_available() -> bool:
    """Qt aborts with a cryptic plugin message where there is no screen: look first (Linux)."""
    if os.environ.get("QT_QPA_PLATFORM") or not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _run(args) -> int:
    from playground.core.checkpoint import load_checkpoint, save_checkpoint
    from playground.core.devices import use_few_threads
    from playground.core.trainer import Trainer

    use_few_threads()
    exp = _load(args)
    if args.epochs is not None:
        exp = exp.with_overrides([f"train.epochs={args.epochs}"])
    state = load_checkpoint(args.weights).state_dict if args.weights else None
    out = args.out or Path("runs") / (Path(args.spec).stem or "run")
    out.mkdir(parents=True, exist_ok=True)
    metrics_path = out / "metrics.jsonl"
    progress = _Progress(exp.train.epochs, sys.stderr, enabled=not args.quiet)
    downloads = _Downloads(sys.stderr, enabled=not args.quiet)
    last_epoch: dict = {}
    with open(metrics_path, "w", encoding="utf-8") as metrics:
        def on_record(record: dict) -> None:
            metrics.write(json.dumps(record, allow_nan=False) + "\n")
            metrics.flush()  # a crash loses at most the line being written
            if record["type"] == "epoch":
                last_epoch.update(record)
                progress.update(record)
            elif record["type"] == "download":
                downloads.update(record)
            elif record["type"] == "message" and record["level"] != "info":
                progress.say(record["text"])
            elif record["type"] == "advice":
                fix = ", ".join(f"{path}={json.dumps(value)}" for path, value in record["fix"].items())
                progress.say(f"coach: {record['text']}" + (f" Try: {fix}" if fix else ""))

        trainer = Trainer(exp, on_record, run=out.name, state_dict=state)
        trainer.resolved_experiment().save(out / "spec.json")
        end = _run_interruptible(trainer)
    progress.close()
    save_checkpoint(out / "checkpoint.safetensors", trainer.exp, trainer.net, trainer.epoch, trainer.step)
    print(_summary(last_epoch, end))
    print(f"wrote {metrics_path}, {out / 'spec.json'}, {out / 'checkpoint.safetensors'}")
    if end["reason"] == "diverged":
        return EXIT_DIVERGED
    return EXIT_BAD_INPUT if end["reason"] == "error" else EXIT_OK


def _run_interruptible(trainer) -> dict:
    """Train in a thread so Ctrl+C stops between two steps and the checkpoint is still written."""
    result: dict = {}
    worker = threading.Thread(target=lambda: result.update(trainer.run()), daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)
    except KeyboardInterrupt:
        trainer.stop()
        worker.join()
    return result


def _summary(epoch: dict, end: dict) -> str:
    parts = [f"{end['reason']}: {end['message']}"]
    if epoch:
        figures = [f"epoch {epoch['epoch']}"]
        for key in ("train_loss", "val_loss", "train_acc", "val_acc"):
            if epoch.get(key) is not None:
                figures.append(f"{key} {epoch[key]:.4g}")
        parts.append("final: " + ", ".join(figures))
    return "\n".join(parts)


class _Progress:
    """A one-line progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self, total: int, stream: TextIO, enabled: bool):
        self.total, self.stream, self.enabled = total, stream, enabled
        self._last = 0.0
        self._width = 0

    def update(self, record: dict) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self._last < 0.1 and record["epoch"] < self.total):
            return
        self._last = now
        done = record["epoch"] / max(self.total, 1)
        bar = "#" * int(done * 24)
        text = f"\repoch {record['epoch']}/{self.total} [{bar:<24}] loss {record['train_loss']:.4g}"
        if record.get("val_loss") is not None:
            text += f" val {record['val_loss']:.4g}"
        self._width = max(self._width, len(text))
        self.stream.write(text.ljust(self._width))
        self.stream.flush()

    def say(self, text: str) -> None:
        if self._width:
            self.stream.write("\n")
            self._width = 0
        self.stream.write(text + "\n")

    def close(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\n")
            self.stream.flush()


class _Downloads:
    """Pretrained weights arriving ("download" records): a TerminalProgress line per file."""

    def __init__(self, stream: TextIO, enabled: bool):
        self.stream, self.enabled = stream, enabled
        self._bars: dict = {}

    def update(self, record: dict) -> None:
        if not self.enabled:
            return
        from playground.core.download import TerminalProgress

        name = record["file"]
        if name not in self._bars:
            self._bars[name] = TerminalProgress(f"downloading {name} weights", self.stream)
        self._bars[name](record["done"], record["total"])


def _export(args) -> int:
    from playground.core.export import export_script

    exp = _load(args)
    script = export_script(exp, args.output.name)
    try:
        args.output.write_text(script, encoding="utf-8")
    except OSError as e:
        return _fail(f"cannot write {args.output}: {e.strerror or e}")
    parallel = "" if exp.transfer.enabled else f" (or torchrun --nproc_per_node=2 {args.output})"
    print(f"wrote {args.output}: run it with python {args.output}{parallel}")
    return EXIT_OK


def _bench(args) -> int:
    if args.window and args.transfer:
        return _fail("--window and --transfer are two different benchmarks: choose one")
    if args.transfer:
        from playground.core.bench import run_transfer_bench
        from playground.core.devices import use_few_threads

        use_few_threads()
        run_transfer_bench(seconds=args.seconds, out=sys.stdout)
        return EXIT_OK
    if args.window:
        from playground.ui.bench import run_window_bench

        run_window_bench(rounds=max(args.rounds, 1), out=sys.stdout)
        return EXIT_OK
    from playground.core.bench import run_bench
    from playground.core.devices import use_few_threads

    use_few_threads()
    run_bench(seconds=args.seconds, out=sys.stdout)
    return EXIT_OK


def _pretrain(args) -> int:
    from playground.core.backbones import backbones_dir
    from playground.core.pretrain import pretrain, source_experiment

    exp = source_experiment(args.name)
    progress = _Progress(exp.train.epochs, sys.stderr, enabled=not args.quiet)
    end = pretrain(args.name, args.out, lambda r: progress.update(r) if r["type"] == "epoch" else None)
    progress.close()
    print(f"{end['message']}; wrote {args.out or backbones_dir() / (args.name + '.safetensors')}")
    return EXIT_OK


def _strategy_list(text: str) -> list[str]:
    from playground.core.backbones import STRATEGIES
    from playground.core.errors import SpecError

    names = [part.strip() for part in text.split(",") if part.strip()]
    for name in names:
        if name not in STRATEGIES:
            raise SpecError("", f"--strategies: unknown strategy {name!r}; choose from {', '.join(STRATEGIES.names())}")
    if not names:
        raise SpecError("", "--strategies: name at least one strategy")
    return names


def _transfer_sweep(args) -> int:
    from playground.core.download import TerminalProgress
    from playground.core.errors import SpecError
    from playground.core.files import write_atomic
    from playground.core.sweep import SweepResult, parse_per_class, per_class_label, run_sweep

    per_class = parse_per_class(args.per_class, "--per-class")
    strategies = _strategy_list(args.strategies)
    if args.seeds < 1:
        raise SpecError("", f"--seeds: at least 1, got {args.seeds}")
    if args.workers < 1:
        raise SpecError("", f"--workers: at least 1, got {args.workers}")
    if args.scratch_lr is not None and not args.scratch_lr > 0:
        raise SpecError("", f"--scratch-lr: must be > 0, got {args.scratch_lr:g}")
    exp = _load(args)
    if args.epochs is not None:
        exp = exp.with_overrides([f"train.epochs={args.epochs}"])
    overrides = {"scratch": {"optim.lr": args.scratch_lr}} if args.scratch_lr is not None and "scratch" in strategies \
        else {}
    out = args.out or Path("runs") / f"sweep-{Path(args.spec).stem or 'transfer'}"
    total = len(per_class) * len(strategies) * args.seeds
    rows: list = []
    width = max(len(s) for s in strategies)
    started = time.monotonic()

    def on_start(runs: int) -> None:
        if not args.quiet:
            print(f"{runs} runs ({len(strategies)} strategies x {len(per_class)} per-class counts x {args.seeds} "
                  f"seeds, {exp.train.epochs} epochs each) on {min(args.workers, runs)} worker(s)", file=sys.stderr,
                  flush=True)

    def on_result(row) -> None:
        rows.append(row)
        if args.quiet:
            return
        accuracy = "-" if row.val_acc is None else f"{100 * row.val_acc:5.1f}%"
        note = "" if row.end == "completed" else f" ({row.end})"
        print(f"[{len(rows):>{len(str(total))}}/{total}] {row.strategy:<{width}}  per class "
              f"{per_class_label(row.per_class):<4} seed {row.seed}: {accuracy}{note}  "
              f"({row.seconds:.1f} s; {time.monotonic() - started:.0f} s in all)", file=sys.stderr, flush=True)

    download = None if args.quiet else TerminalProgress(f"downloading {exp.transfer.backbone} weights")
    try:
        result = run_sweep(exp, per_class, strategies, args.seeds, on_result, args.workers, overrides=overrides,
                           on_download=download, on_start=on_start)
    except KeyboardInterrupt:  # keep what finished: the table and the files of the runs so far
        result = SweepResult(strategies, per_class, args.seeds, rows, exp.to_dict(), overrides,
                             time.monotonic() - started, args.workers)
        order = {name: i for i, name in enumerate(strategies)}
        result.rows.sort(key=lambda r: (order[r.strategy], per_class.index(r.per_class), r.seed))
        print(f"interrupted: {len(rows)} of {total} runs finished", file=sys.stderr)
    out.mkdir(parents=True, exist_ok=True)
    json_path, png_path = out / "sweep.json", out / "sweep.png"
    write_atomic(json_path, result.to_json().encode("utf-8"))
    print(result.table())
    runs = f"{len(result.rows)} run" + ("" if len(result.rows) == 1 else "s")
    print(f"{runs} in {result.seconds:.0f} s on {min(args.workers, total)} worker(s)")
    problem = _draw_png("playground.ui.plots.sweep", [str(json_path), str(png_path)], png_path)
    if problem:
        print(f"wrote {json_path}")
        print(f"playground: no {png_path}: {problem}", file=sys.stderr)
    else:
        print(f"wrote {json_path}, {png_path}")
    return EXIT_OK  # interrupted too, as a stopped run: what finished is written


def _compare(args) -> int:
    from contextlib import ExitStack

    from playground.core.compare import (comparison_names, folder_name, from_specs, load_comparison, parse_vary,
                                         run_comparison, vary, with_epochs)
    from playground.core.errors import SpecError
    from playground.core.presets import load_experiment

    if not args.vary and len(args.specs) == 1 and args.specs[0] in comparison_names():  # a shipped comparison
        runs = load_comparison(args.specs[0]).runs
        if args.overrides:
            runs = [(name, exp.with_overrides(args.overrides)) for name, exp in runs]
    elif args.vary:
        if len(args.specs) != 1:
            raise SpecError("", f"--vary varies one experiment, got {len(args.specs)}: {' '.join(args.specs)}")
        base = load_experiment(args.specs[0])
        runs = vary(base.with_overrides(args.overrides) if args.overrides else base, *parse_vary(args.vary))
    else:
        runs = from_specs(args.specs, args.overrides)
    if args.epochs is not None:
        runs = with_epochs(runs, args.epochs)
    out = args.out or Path("runs") / f"compare-{Path(args.specs[0]).stem or 'runs'}"
    folders = {name: out / folder_name(name) for name, _ in runs}
    if len(set(folders.values())) != len(folders):
        raise SpecError("", f"two runs would share a folder: {', '.join(folders)}")
    if not args.quiet:
        print(f"{len(runs)} runs ({', '.join(folders)}), {min(args.workers, len(runs))} at a time", file=sys.stderr,
              flush=True)
    with ExitStack() as files:
        metrics = {}
        for name, folder in folders.items():
            folder.mkdir(parents=True, exist_ok=True)
            metrics[name] = files.enter_context(open(folder / "metrics.jsonl", "w", encoding="utf-8"))

        def on_record(record: dict) -> None:
            metrics[record["run"]].write(json.dumps(record, allow_nan=False) + "\n")
            if record["type"] == "end" and not args.quiet:
                print(f"{record['run']}: {record['message']}", file=sys.stderr, flush=True)

        try:
            result = run_comparison(runs, args.workers, on_record)
        except KeyboardInterrupt:  # the records so far are written: a stopped run's are worth a look
            print(f"interrupted: the records so far are in {out}", file=sys.stderr)
            return EXIT_OK
    for run in result.runs:
        (folders[run.name] / "spec.json").write_text(json.dumps(run.spec, indent=2) + "\n", encoding="utf-8")
    print(_comparison_table(result))
    png_path = out / "compare.png"
    problem = _draw_png("playground.ui.plots.compare_png",
                        [str(png_path), *(str(folders[name] / "metrics.jsonl") for name in folders)], png_path)
    wrote = f"wrote {out}/RUN/metrics.jsonl and spec.json for {len(runs)} runs"
    print(wrote if problem else f"{wrote}, and {png_path}")
    if problem:
        print(f"playground: no {png_path}: {problem}", file=sys.stderr)
    failed = next((run for run in result.runs if run.end.get("reason") == "error"), None)
    return _fail(f"run {failed.name!r}: {failed.end['message']}") if failed else EXIT_OK  # diverged is a result


def _comparison_table(result) -> str:
    """A row of final figures per run, then the wall time against the runs' own times."""
    def figure(value, percent=False):
        return "-" if value is None else (f"{100 * value:.1f}%" if percent else f"{value:.4g}")

    header = ("run", "train loss", "val loss", "train acc", "val acc", "seconds", "end")
    rows = [(run.name, figure(run.final.get("train_loss")), figure(run.final.get("val_loss")),
             figure(run.final.get("train_acc"), True), figure(run.final.get("val_acc"), True), f"{run.seconds:.1f}",
             run.end.get("reason", "-")) for run in result.runs]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
             for row in [header, *rows]]
    workers = min(result.workers, len(result.runs))
    lines.append(f"{len(result.runs)} runs in {result.seconds:.1f} s on {workers} worker(s); one after another "
                 f"they take {result.run_seconds:.1f} s: {result.speedup:.2f}x as fast"
                 + (" (runs this short wait mostly for the workers to start: torch imports in about 2 s)"
                    if result.speedup < 1 else ""))
    return "\n".join(lines)


def _draw_png(module: str, arguments: list[str], png_path: Path) -> str:
    """Draw a PNG with ``python -m module arguments`` in a process of its own: Qt aborts the whole
    process where it cannot start (no platform plugin), and the table and the JSON must survive
    that. "" when drawn, else why not."""
    import subprocess

    env = dict(os.environ)
    if not _display_available():
        env["QT_QPA_PLATFORM"] = "offscreen"
    try:
        png_path.unlink(missing_ok=True)
        done = subprocess.run([sys.executable, "-m", module, *arguments], capture_output=True, text=True, env=env,
                              timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"could not start Qt to draw it ({e})"
    if done.returncode == 0 and png_path.exists():
        return ""
    lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    why = (lines[0] if done.returncode < 0 else lines[-1]) if lines else f"exit code {done.returncode}"
    return f"Qt could not draw it: {why}"


def _presets(args) -> int:
    from playground.core.presets import load_experiment, preset_names

    for name in preset_names():
        exp = load_experiment(name)
        print(f"{name:24} {exp.title}")
        for line in exp.description.splitlines():
            print(f"{'':24}   {line}")
    return EXIT_OK


def _lecture_list(args) -> int:
    from playground.core.lecture import DeckError, deck_names, load_deck

    for name in deck_names():
        try:
            deck = load_deck(name)
        except DeckError as e:
            return _fail(str(e))
        print(f"{name:28} {len(deck.steps)} steps  {deck.title}")
        for number, step in enumerate(deck.steps, start=1):
            print(f"{number:>4} {step.id:24} {step.title}")
    return EXIT_OK


def _lecture_check(args) -> int:
    from playground.core.devices import use_few_threads
    from playground.core.lecture import DEFAULT_DECK, DeckError, check_deck, load_deck

    use_few_threads()
    try:
        deck = load_deck(args.deck or DEFAULT_DECK)
        for step_id in args.steps or ():
            deck.step(step_id)  # an unknown id is said before anything trains
    except DeckError as e:
        return _fail(str(e))
    if args.window:
        if args.steps:
            return _fail("--window walks the whole deck: leave out --step")
        from playground.ui.deck_timing import run_deck_timing

        run_deck_timing(deck)
        return EXIT_OK
    numbers = {step.id: number for number, step in enumerate(deck.steps, start=1)}
    width = max(len(step.id) for step in deck.steps)

    def on_result(result) -> None:
        figures = "; ".join(f.text() for f in result.figures) or "no expectations"
        end = "" if result.end == "completed" else f" [{result.end}]"
        print(f"{numbers[result.step.id]:>2} {result.step.id:<{width}}  {figures}{end}  ({result.seconds:.1f} s)",
              flush=True)

    started = time.monotonic()
    results = check_deck(deck, args.steps, on_result)
    failed = [r.step.id for r in results if not r.ok]
    summary = f"{len(failed)} of {len(results)} steps failed: {', '.join(failed)}" if failed \
        else f"all {len(results)} steps show their phenomenon"
    print(f"{summary} ({time.monotonic() - started:.0f} s)")
    return EXIT_CHECK_FAILED if failed else EXIT_OK
