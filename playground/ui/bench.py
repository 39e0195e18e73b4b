"""``playground bench --window``: what an edit and a frame of records cost the window's thread.

The edit storm test holds the whole to its target (latency p99 while training); this prints the
parts, so that a slow one can be found: each panel's ``set_experiment`` over a storm of edits, and
each view's ``clear``, first records, a frame of records and a repaint, fed records that a real
Trainer made in this process (before anything is timed). Medians and maxima in ms, measured in
one run: compare them with each other, not with another machine's.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from typing import Callable, TextIO

FRAMES = 10  # frames of records per round
STEPS_PER_FRAME = {"spiral_deep_relu": 40, "digits_cnn": 12}  # about what 1/30 s trains (README's table)
VIEW_SIZE = (590, 600)
PARTS = ("clear", "first", "frame", "repaint")


def run_window_bench(rounds: int = 10, out: TextIO = sys.stdout) -> None:
    if not os.environ.get("DISPLAY") and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    previous = qInstallMessageHandler(quiet)
    try:
        app = QApplication.instance() or QApplication(sys.argv[:1])
        print(f"window bench ({app.platformName()}): median / max ms on the window's thread, {rounds} rounds",
              file=out)
        panels = _panel_costs(rounds)
        print(f"set_experiment over {len(_edit_storm())} edits: "
              + "   ".join(f"{name} {_figure(times)}" for name, times in panels.items()), file=out)
        for preset in STEPS_PER_FRAME:
            print(f"{preset:<18}" + "".join(f"{part:>14}" for part in PARTS), file=out)
            for name, costs in _view_costs(preset, rounds).items():
                print(f"  {name:<16}" + "".join(f"{_figure(costs[part]):>14}" for part in PARTS), file=out)
    finally:
        qInstallMessageHandler(previous)


def quiet(kind, context, text: str) -> None:
    """Qt's messages, but for the one the offscreen platform gives at every window shown."""
    if "propagateSizeHints" not in text:
        print(text, file=sys.stderr)


def _figure(seconds: list[float]) -> str:
    return f"{statistics.median(seconds) * 1000:.1f} / {max(seconds) * 1000:.1f}"


def _timed(times: list[float], call: Callable[[], object]) -> None:
    began = time.perf_counter()
    call()
    times.append(time.perf_counter() - began)


def _edit_storm() -> list:
    from playground.core.presets import load_experiment

    base = load_experiment("default")
    return [base, base.with_changes({"optim.lr": 0.05}), base.with_changes({"model.layers[0].units": 5}),
            base.with_changes({"model.layers": [{"units": 4}, {"units": 2}, {"units": 3}]}),
            base.with_changes({"data.name": "spiral"}), base.with_changes({"optim.name": "adam"}),
            base.with_changes({"schedule.name": "step"}), load_experiment("digits_cnn"),
            load_experiment("spiral_deep_relu")]


def _panel_costs(rounds: int) -> dict[str, list[float]]:
    from playground.ui.data_panel import DataPanel
    from playground.ui.network import NetworkPanel
    from playground.ui.training_panel import TrainingPanel

    storm = _edit_storm()
    costs = {}
    for name, panel in (("data", DataPanel()), ("training", TrainingPanel()), ("network", NetworkPanel())):
        panel.show()
        for exp in storm:  # every kind of column and row made once, as in a window used for a while
            panel.set_experiment(exp)
        costs[name] = times = []
        for _ in range(rounds):
            for exp in storm:
                _timed(times, lambda: panel.set_experiment(exp))
        panel.close()
    return costs


def _records(preset: str) -> tuple[list[dict], list[list[dict]]]:
    """A run's first records, as the training process sends them when it loads, then FRAMES frames."""
    from playground.core.devices import use_few_threads
    from playground.core.presets import load_experiment
    from playground.core.snapshot import snapshot
    from playground.core.trainer import Trainer
    from playground.ui.worker import ready_record

    use_few_threads()
    pending: list[dict] = []
    trainer = Trainer(load_experiment(preset), pending.append, run=1)
    first = [ready_record(trainer), *([trainer.probe_untrained()] if trainer.blocks else []), snapshot(trainer)]
    frames = []
    for k in range(FRAMES):
        for _ in range(STEPS_PER_FRAME[preset]):
            trainer.train_step()
        if k % 3 == 0:  # a picture every few frames, as the session asks for them
            pending.append(snapshot(trainer))
        pending.append({"type": "counters", "run": 1, "epoch": trainer.epoch, "step": trainer.step})
        frames.append(list(pending))
        pending.clear()
    return first, frames


def _view_costs(preset: str, rounds: int) -> dict[str, dict[str, list[float]]]:
    from playground.core.presets import load_experiment
    from playground.ui.network import NetworkPanel
    from playground.ui.plots import BoundaryView, ImageView, MetricsPlots, ProbePlots

    first, frames = _records(preset)
    network = NetworkPanel()
    network.set_experiment(load_experiment(preset))
    pictures = BoundaryView() if first[0]["kind"] == "points" else ImageView()
    views = {"metrics": MetricsPlots(), "probes": ProbePlots(), type(pictures).__name__: pictures, "network": network}
    costs = {}
    for name, view in views.items():
        view.resize(*VIEW_SIZE)
        view.show()
        draw = view.flush if isinstance(view, ProbePlots) else lambda: None  # its throttled draw, now
        costs[name] = parts = {part: [] for part in PARTS}
        for round_ in range(rounds + 1):  # the first round makes what a view keeps: not counted
            measured = {part: [] for part in parts}
            _timed(measured["clear"], view.clear)
            _timed(measured["first"], lambda: (view.add(first), draw()))
            for frame in frames:
                _timed(measured["frame"], lambda: (view.add(frame), draw()))
            _timed(measured["repaint"], view.grab)
            if round_:
                for part, times in measured.items():
                    parts[part] += times
        view.close()
    return costs
