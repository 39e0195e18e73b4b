"""Starting the window, and the scripted mode that demos, packaging checks and tests use.

``playground --preset NAME --autorun --exit-after S --screenshot FILE [--tab activations]`` opens
the window as it opens for a user of this screen, trains at once, saves a screenshot after S
seconds, clicks a tab to time the answer, prints its measurements as one JSON object on the last
line of stdout and exits 0; a watchdog ends it with a non-zero code if anything hangs or raises.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Optional

EXIT_HUNG, EXIT_RAISED = 4, 5
SETTLE_S = 60.0  # memory is compared from this far into a run: the first paints and caches come before


def seconds_since_launch() -> Optional[float]:
    """Time since this process started (Linux), so the figure includes Python's and Qt's imports."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def current_rss_mb(pid: str = "self") -> Optional[float]:
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 if pid == "self" else None


def peak_rss_mb(pid: str = "self") -> Optional[float]:
    """The most memory the process has held so far (Linux's VmHWM)."""
    try:
        line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024
    except (OSError, ValueError, StopIteration):
        return None


def run_app(preset: Optional[str] = None, autorun: bool = False, exit_after: Optional[float] = None,
            screenshot: Optional[Path] = None, tab: str = "loss", lecture: Optional[str] = None,
            compare: Optional[str] = None) -> int:
    gc.set_threshold(50_000, 50, 100)  # full GC passes with many live objects stalled the window
    from PySide6.QtWidgets import QApplication

    from playground.core.errors import SpecError
    from playground.core.presets import load_experiment
    from playground.ui.window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Neural Network Playground")
    app.setDesktopFileName("playground")  # Wayland matches the window to playground.desktop by this
    from playground.core.compare import parse_vary, vary
    from playground.core.lecture import DeckError, load_deck

    try:
        experiment = load_experiment(preset) if preset else None
        deck = load_deck(lecture) if lecture else None
        if compare:  # checked before any window shows
            what, values = parse_vary(compare)
            runs = vary(experiment or load_experiment("default"), what, values)
    except (SpecError, DeckError) as e:
        print(f"playground: error: {e}", file=sys.stderr)
        return 2
    scripted = exit_after is not None
    settings = None
    if scripted:  # demos and checks start from the same window every time and leave no trace
        from PySide6.QtCore import QSettings, QTemporaryDir

        scratch = QTemporaryDir()
        settings = QSettings(scratch.filePath("settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(experiment, settings=settings)
    window.show_tab(tab)
    if deck is not None:  # a lecture opens at its first step, on the projector's terms (Esc leaves)
        window.lecture.show_deck(deck)
        window.presentation.enter()
    race = (runs, what) if compare else None
    if scripted:
        return _scripted(app, window, autorun, exit_after, screenshot, race)
    window.show()
    if race:
        window.start_comparison(*race, running=autorun)
    elif autorun:
        window.session.play()
    return app.exec()


def _scripted(app, window, autorun: bool, exit_after: float, screenshot: Optional[Path], race=None) -> int:
    """Run for ``exit_after`` seconds, measuring what a user would feel, then report and quit.
    ``race``: (runs, field) of a comparison, started once the training processes' fork server is up
    (as it is by the time a user asks for one), timed to the end of its last run."""
    from PySide6.QtCore import QPoint, Qt, QTimer
    from PySide6.QtTest import QTest

    errors: list[str] = []
    previous_hook = sys.excepthook

    def on_exception(kind, value, tb):  # an exception in a slot does not stop Qt: stop ourselves
        errors.append(f"{kind.__name__}: {value}")
        previous_hook(kind, value, tb)
        app.exit(EXIT_RAISED)
    sys.excepthook = on_exception

    def watchdog():
        print(f"playground: error: still running {exit_after + 60:.0f} s after start: hung", file=sys.stderr)
        os._exit(EXIT_HUNG)
    dog = threading.Timer(exit_after + 60.0, watchdog)
    dog.daemon = True
    dog.start()

    window.show()
    figures: dict = {"window_shown_s": seconds_since_launch()}
    lateness: list[float] = []
    frames = [0]
    session = window.session

    def on_records(records):
        if any(r["type"] in ("epoch", "steps") for r in records):
            frames[0] += 1
    session.records.connect(on_records)
    tick = QTimer()
    tick.setInterval(10)
    last = [time.perf_counter()]

    def on_tick():
        now = time.perf_counter()
        lateness.append(max(0.0, now - last[0] - 0.010) * 1000)
        last[0] = now
    tick.timeout.connect(on_tick)
    started = [0.0]
    ended_at: list[float] = []  # a run that completes early is measured up to its end

    def on_end(records):
        if not ended_at and any(r["type"] == "end" for r in records):
            ended_at.append(time.perf_counter())
    session.records.connect(on_end)

    def worker_rss(measure=current_rss_mb) -> Optional[float]:
        return measure(str(session.pid)) if session.alive and session.pid else None

    raced: list[float] = []  # the race's start, then its end

    def start_race():
        if session.hello is None:  # the fork server is still importing torch
            QTimer.singleShot(20, start_race)
            return
        window.run_set.ended.connect(lambda: len(raced) == 1 and raced.append(time.perf_counter()))
        raced.append(time.perf_counter())
        window.start_comparison(*race, running=True)

    def begin():
        figures["rss_start_mb"] = current_rss_mb()
        last[0] = time.perf_counter()
        tick.start()
        if race:
            start_race()
        elif autorun:
            session.play()

    def training_started(records):  # steps/s counts from here: the training process has built the trainer
        if not started[0] and any(r["type"] == "ready" for r in records):
            started[0] = time.perf_counter()
            figures["worker_rss_start_mb"] = worker_rss()
    session.records.connect(training_started)

    def settled():
        figures["rss_settled_mb"] = current_rss_mb()
        figures["worker_rss_settled_mb"] = worker_rss()

    def click_answer_ms() -> float:
        """Click the other plot tab as a user would and time until it is shown and painted."""
        bar = window.plot_tabs.tabBar()
        other = 1 if window.plot_tabs.currentIndex() == 0 else 0
        centre = bar.tabRect(other).center()
        began = time.perf_counter()
        QTest.mouseClick(bar, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(centre))
        window.plot_tabs.currentWidget().repaint()
        app.processEvents()
        return (time.perf_counter() - began) * 1000 if window.plot_tabs.currentIndex() == other else float("inf")

    def finish():
        tick.stop()
        elapsed = (ended_at[0] if ended_at else time.perf_counter()) - started[0] if started[0] else 0.0
        figures.update({
            "steps_per_s": session.at_step / elapsed if elapsed > 0 else 0.0,
            "epochs": session.at_epoch,
            "plot_fps": frames[0] / elapsed if elapsed > 0 else 0.0,
            "latency_p50_ms": _percentile(lateness, 50),
            "latency_p99_ms": _percentile(lateness, 99),
            "latency_max_ms": max(lateness, default=0.0),
            "rss_end_mb": current_rss_mb(),
            "worker_rss_end_mb": worker_rss(),
            "peak_rss_mb": peak_rss_mb(),  # the window's process, before anything below imports torch
            "worker_peak_rss_mb": worker_rss(peak_rss_mb),
            "torch_in_window": "torch" in sys.modules,
            "window_size": [window.width(), window.height()],
        })
        if race:
            took = (raced[1] if len(raced) > 1 else time.perf_counter()) - raced[0] if raced else 0.0
            view = window.runs_view
            figures.update({"race_runs": len(race[0]), "race_s": took if len(raced) > 1 else None,
                            "race_epochs": [int(view.data(n, "train_loss")[0][-1]) if view.data(n, "train_loss")[0].size
                                            else 0 for n in view.boxes],
                            "race_plot_fps": view.frames / took if took > 0 else 0.0})
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            figures["screenshot"] = str(screenshot) if window.grab().save(str(screenshot)) else None
        figures["click_ms"] = click_answer_ms()
        window.close()
        app.exit(0)

    QTimer.singleShot(0, begin)
    if exit_after > SETTLE_S * 1.5:
        QTimer.singleShot(int(SETTLE_S * 1000), settled)
    QTimer.singleShot(int(exit_after * 1000), finish)
    code = app.exec()
    if code != 0 or errors:
        dog.cancel()
        print(f"playground: error: {'; '.join(errors) or 'the app exited with code ' + str(code)}", file=sys.stderr)
        return code or EXIT_RAISED
    figures["headless_steps_per_s"] = _headless_rate(window.experiment, seconds=min(5.0, max(1.0, exit_after / 3)))
    dog.cancel()
    print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in figures.items()}))
    return 0


def _headless_rate(experiment, seconds: float) -> Optional[float]:
    """The same experiment's steps/s without a window, in this process, after it closed (torch is
    imported here only now, after the window's figures are taken); None for a run that cannot start
    (the window said why: weights that cannot be fetched, say)."""
    from playground.core.devices import use_few_threads
    from playground.core.trainer import Trainer

    use_few_threads()
    try:
        trainer = Trainer(experiment)
    except (ValueError, RuntimeError):  # SpecError, CheckpointError, DownloadError and torch's own
        return None
    trainer.train_step()
    began, start_step = time.perf_counter(), trainer.step
    while time.perf_counter() - began < seconds and not trainer.finished:
        trainer.train_step()
        if trainer.epoch >= experiment.train.epochs:
            break
    return (trainer.step - start_step) / (time.perf_counter() - began)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]
