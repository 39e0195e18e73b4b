"""The boundary between the training process and the window.

The trainer runs in a child process (playground/ui/worker.py) and sends its records in batches over
a pipe; a QTimer in the GUI thread drains the pipe at a fixed rate and re-emits what arrived as Qt
signals, so the window redraws at most ``fps`` times a second however fast training goes. Commands
(play, pause, a new LR) go the other way and act between two steps.
"""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path
from typing import Optional

from PySide6.QtCore import QObject, QTimer, Signal

from playground.core.spec import Experiment
from playground.ui.worker import serve

IDLE, READY, RUNNING, PAUSED, FINISHED = "idle", "ready", "running", "paused", "finished"
LIVE_PATHS = ("optim.lr", "optim.l1", "optim.weight_decay", "model.dropout")


class TrainingSession(QObject):
    """One experiment's training, in a process of its own. ``load`` builds a fresh trainer (paused);
    ``play``/``pause``/``step``/``reset`` control it; ``shutdown`` ends the process."""

    epochs = Signal(list)  # epoch records since the last frame
    probes = Signal(list)  # probe records since the last frame
    snapshot_ready = Signal(dict)  # the latest picture of what the network computes
    message = Signal(str, str)  # level, text
    ended = Signal(dict)  # the end record
    state_changed = Signal(str)
    counters = Signal(int, int, float)  # epoch, step, steps per second
    trainer_ready = Signal(dict)  # the new run's data: points and labels for the pictures

    def __init__(self, parent: Optional[QObject] = None, fps: int = 30, snapshot_interval_s: float = 0.2):
        super().__init__(parent)
        self.experiment: Optional[Experiment] = None
        self.state = IDLE
        self.at_epoch = self.at_step = 0  # the trainer's counters, as last reported
        self.generation = 0
        self.ready = False  # the current generation's trainer exists
        self._process = None
        self._conn = None
        self._delay = 0.0
        self._snapshot_interval = snapshot_interval_s
        self._snapshot_due = 0.0
        self._snapshot_pending = False
        self._rate_mark = (time.monotonic(), 0)
        self._steps_per_s = 0.0
        self._start_process()
        self._timer = QTimer(self)
        self._timer.setInterval(max(1, 1000 // fps))
        self._timer.timeout.connect(self._drain)
        self._timer.start()

    # -- control (GUI thread) ------------------------------------------------------------------
    def load(self, exp: Experiment, run: bool = False, state_dict: Optional[dict] = None) -> None:
        """Build a trainer for ``exp`` (paused unless ``run``), from ``state_dict`` weights if given;
        whatever ran before stops."""
        if self._process is None or not self._process.is_alive():
            self._start_process()
        self.experiment = exp
        self.generation += 1
        self.ready = False
        self.at_epoch = self.at_step = 0  # the trainer's counters, as last reported
        self._rate_mark = (time.monotonic(), 0)
        self._steps_per_s = 0.0
        self._snapshot_pending = True  # the worker sends a first snapshot by itself
        self._send("load", self.generation, exp.to_json(), state_dict, run, self._delay)
        self._set_state(RUNNING if run else READY)

    def play(self) -> None:
        if self.state in (FINISHED, IDLE):
            if self.experiment is not None:
                self.load(self.experiment, run=True)
            return
        self._send("resume")
        self._set_state(RUNNING)

    def pause(self) -> None:
        self._send("pause")
        if self.state == RUNNING:
            self._set_state(PAUSED)

    def step(self) -> None:
        """One batch, then paused."""
        if self.state in (FINISHED, IDLE):
            return
        self._send("pause")
        self._send("request_step")
        self._set_state(PAUSED)

    def reset(self) -> None:
        """Re-initialise with the same seed (and the current experiment), paused."""
        if self.experiment is not None:
            self.load(self.experiment)

    def set_speed(self, delay_s: float) -> None:
        """Seconds to wait before each step: 0 is full speed, ~1 s is slow motion for explaining."""
        self._delay = delay_s
        self._send("set_step_interval", delay_s)

    @property
    def accepts_live_changes(self) -> bool:
        return self.state in (READY, RUNNING, PAUSED)

    def apply_live(self, path: str, value) -> bool:
        """LR, L1, L2 and dropout reach a running trainer at its next step; False for other fields."""
        if path not in LIVE_PATHS or value is None or not self.accepts_live_changes:
            return False
        self._send("set", path, value)
        return True

    def save_checkpoint(self, path) -> None:
        """Weights and spec, written by the training process between two steps; a message follows."""
        self._send("save", str(Path(path)))

    def shutdown(self, timeout: float = 10.0) -> None:
        """End the training process: a worker never outlives its window."""
        process, self._process = self._process, None
        if process is not None:
            self._send_to(self._conn, "quit")
            process.join(timeout)
            if process.is_alive():
                process.kill()
                process.join(2)
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._set_state(IDLE)

    @property
    def steps_per_s(self) -> float:
        return self._steps_per_s

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    # -- the process -----------------------------------------------------------------------------
    def _start_process(self) -> None:
        context = multiprocessing.get_context("spawn")  # fork would copy Qt's threads and state
        self._conn, child = context.Pipe()
        self._process = context.Process(target=serve, args=(child,), name="playground-training", daemon=True)
        self._process.start()
        child.close()

    def _send(self, *message) -> None:
        if self._conn is not None:
            self._send_to(self._conn, *message)

    @staticmethod
    def _send_to(conn, *message) -> None:
        try:
            conn.send(message)
        except (BrokenPipeError, OSError):
            pass  # the process is gone; _drain reports it

    # -- the GUI thread's frame ------------------------------------------------------------------
    def _drain(self) -> None:
        epochs, probes, latest = [], [], None
        while self._conn is not None and self._poll():
            try:
                generation, batch = self._conn.recv()
            except (EOFError, OSError):
                break
            if generation != self.generation:
                continue  # from a run that has since been replaced
            for item in batch:
                if isinstance(item, tuple):
                    latest = item[1]
                    self._snapshot_pending = False
                    continue
                kind = item["type"]
                if kind == "epoch":
                    epochs.append(item)
                elif kind == "probe":
                    probes.append(item)
                elif kind == "counters":
                    self.at_epoch, self.at_step = item["epoch"], item["step"]
                elif kind == "ready":
                    self.ready = True
                    self.trainer_ready.emit(item)
                elif kind == "message":
                    self.message.emit(item["level"], item["text"])
                elif kind == "end":
                    self._flush(epochs, probes, latest)
                    epochs, probes, latest = [], [], None
                    self._set_state(FINISHED)
                    self.ended.emit(item)
                    self._snapshot_pending = False
                    self._request_snapshot()
        self._flush(epochs, probes, latest)
        self._check_process()
        self._update_rate()
        now = time.monotonic()
        if self.state == RUNNING and now >= self._snapshot_due:
            self._snapshot_due = now + self._snapshot_interval
            self._request_snapshot()

    def _poll(self) -> bool:
        try:
            return self._conn.poll()
        except (EOFError, OSError):
            return False

    def _check_process(self) -> None:
        if self._process is not None and not self._process.is_alive() and self.state != IDLE:
            code = self._process.exitcode
            self._process = None
            self._set_state(FINISHED)
            self.ended.emit({"type": "end", "reason": "error", "epoch": self.at_epoch, "step": self.at_step,
                             "message": f"the training process stopped unexpectedly (exit code {code}); "
                                        "Reset starts a new one"})

    def _request_snapshot(self) -> None:
        if not self._snapshot_pending and self.ready:
            self._snapshot_pending = True
            self._send("snapshot")

    def _flush(self, epochs: list, probes: list, latest: Optional[dict]) -> None:
        if epochs:
            self.epochs.emit(epochs)
        if probes:
            self.probes.emit(probes)
        if latest is not None:
            self.snapshot_ready.emit(latest)

    def _update_rate(self) -> None:
        now = time.monotonic()
        since, steps = self._rate_mark
        if now - since >= 0.5:
            self._steps_per_s = max(self.at_step - steps, 0) / (now - since)
            self._rate_mark = (now, self.at_step)
        self.counters.emit(self.at_epoch, self.at_step, self._steps_per_s)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)
