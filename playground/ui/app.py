"""Starting the window, and the scripted mode that demos, packaging checks and tests use.

``playground --preset NAME --autorun --exit-after S --screenshot FILE`` trains at once, saves a
screenshot after S seconds, prints its measurements as one JSON object on the last line of stdout
and exits 0; a watchdog ends it with a non-zero code if anything hangs or raises.
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


def seconds_since_launch() -> Optional[float]:
    """Time since this process started (Linux), so the figure includes Python's and torch's imports."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def current_rss_mb(pid: str = "self") -> float:
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_app(preset: Optional[str] = None, autorun: bool = False, exit_after: Optional[float] = None,
            screenshot: Optional[Path] = None) -> int:
    from playground.core.devices import use_few_threads

    use_few_threads()
    gc.set_threshold(50_000, 50, 100)  # full GC passes in the worker held the GIL for 100+ ms
    from PySide6.QtWidgets import QApplication

    from playground.core.presets import load_experiment
    from playground.core.spec import SpecError
    from playground.ui.window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Neural Network Playground")
    try:
        experiment = load_experiment(preset) if preset else None
    except SpecError as e:
        print(f"playground: error: {e}", file=sys.stderr)
        return 2
    scripted = exit_after is not None
    settings = None
    if scripted:  # demos and checks start from the same window every time and leave no trace
        from PySide6.QtCore import QSettings, QTemporaryDir

        scratch = QTemporaryDir()
        settings = QSettings(scratch.filePath("settings.ini"), QSettings.IniFormat)
    window = MainWindow(experiment, settings=settings)
    if scripted:
        return _scripted(app, window, autorun, exit_after, screenshot)
    window.show()
    if autorun:
        window.session.play()
    return app.exec()


def _scripted(app, window, autorun: bool, exit_after: float, screenshot: Optional[Path]) -> int:
    """Run for ``exit_after`` seconds, measuring what a user would feel, then report and quit."""
    from PySide6.QtCore import QTimer

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
    window.session.epochs.connect(lambda records: frames.__setitem__(0, frames[0] + 1))
    tick = QTimer()
    tick.setInterval(10)
    last = [time.perf_counter()]

    def on_tick():
        now = time.perf_counter()
        lateness.append(max(0.0, now - last[0] - 0.010) * 1000)
        last[0] = now
    tick.timeout.connect(on_tick)
    started = [0.0, 0]
    ended_at: list[float] = []  # a run that completes early is measured up to its end
    window.session.ended.connect(lambda record: ended_at.append(time.perf_counter()) if not ended_at else None)

    def worker_rss() -> Optional[float]:
        process = window.session._process
        return current_rss_mb(str(process.pid)) if process is not None and process.is_alive() else None

    def begin():
        figures["rss_start_mb"] = current_rss_mb()
        last[0] = time.perf_counter()
        tick.start()
        if autorun:
            window.session.play()

    def training_started(data):  # steps/s counts from here: the training process has built the trainer
        if not started[0]:
            started[0] = time.perf_counter()
            figures["worker_rss_start_mb"] = worker_rss()
    window.session.trainer_ready.connect(training_started)

    def finish():
        tick.stop()
        session = window.session
        elapsed = (ended_at[0] if ended_at else time.perf_counter()) - started[0] if started[0] else 0.0
        figures.update({
            "steps_per_s": session.at_step / elapsed if elapsed > 0 else 0.0,
            "epochs": session.at_epoch,
            "plot_fps": frames[0] / elapsed if elapsed > 0 else 0.0,
            "latency_p50_ms": _percentile(lateness, 50),
            "latency_p99_ms": _percentile(lateness, 99),
            "rss_end_mb": current_rss_mb(),
            "worker_rss_end_mb": worker_rss(),
        })
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            figures["screenshot"] = str(screenshot) if window.grab().save(str(screenshot)) else None
        window.close()
        app.exit(0)

    QTimer.singleShot(0, begin)
    QTimer.singleShot(int(exit_after * 1000), finish)
    code = app.exec()
    if code != 0 or errors:
        dog.cancel()
        print(f"playground: error: {'; '.join(errors) or 'the app exited with code ' + str(code)}", file=sys.stderr)
        return code or EXIT_RAISED
    figures["headless_steps_per_s"] = _headless_rate(window.experiment, seconds=min(5.0, max(1.0, exit_after / 3)))
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["worker_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    dog.cancel()
    print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in figures.items()}))
    return 0


def _headless_rate(experiment, seconds: float) -> float:
    """The same experiment's steps/s without a window, in this process, right after it closed."""
    from playground.core.trainer import Trainer

    trainer = Trainer(experiment)
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
