"""The boundary between the training process and the window.

The trainer runs in a child process (worker.py) and sends its records in batches over a pipe; a
QTimer in the GUI thread drains the pipe at a fixed rate and emits the current run's records as one
``records`` signal per frame, so the window redraws at most ``fps`` times a second however fast
training goes. Records of a run that has been replaced are dropped here, by the run id each record
carries from where it was made. Commands (play, pause, a new LR) go the other way and act between
two steps. The session keeps no experiment of its own: the window passes its one experiment in.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path
from typing import Optional

from PySide6.QtCore import QObject, QTimer, Signal

from playground.core.spec import Experiment
from playground.ui.worker import serve

IDLE, READY, RUNNING, PAUSED, FINISHED = "idle", "ready", "running", "paused", "finished"
LIVE_PATHS = ("optim.lr", "optim.l1", "optim.weight_decay", "model.dropout")
# how often a running trainer is asked for a picture of what it computes (it pays for it between
# two steps): the 2D pictures five times a second; the images' confusion matrix, a pass over the
# whole validation split, twice
SNAPSHOT_S = {"points": 0.2, "image": 0.5}
DRAIN_BUDGET_S = 0.008  # at most this much of a frame reading the pipe; the rest waits for the next


def process_context():
    """Where training processes come from. Forking the window's process would copy Qt's threads
    and state, so they start from a clean one: a fork server that has imported torch once (then a
    new process, after Reset or a crash, or for the next window, is ready at once, and the window's
    own process still never imports torch), or a fresh interpreter where there is no fork (Windows)."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        # only before its first start; the trainer and torch._dynamo (its first optimizer imports it: 1 s) too,
        # so that the runs of a comparison, six new processes at once, start in a fraction of a second
        context.set_forkserver_preload(["playground.ui.worker", "torch", "torch._dynamo", "playground.core.trainer"])
        return context
    return multiprocessing.get_context("spawn")


def launch_process(process, child) -> None:
    process.start()
    child.close()  # the child has its end now


class TrainingSession(QObject):
    """Training in a process of its own. ``load`` starts a run (paused unless ``running``);
    ``play``/``pause``/``step``/``extend`` control it; ``shutdown`` ends the process."""

    records = Signal(list)  # the current run's records (and the process's own, run None), in order
    state_changed = Signal(str)

    def __init__(self, parent: Optional[QObject] = None, fps: int = 30, pictures: bool = True, nice: int = 0):
        super().__init__(parent)
        self.pictures = pictures  # ask for pictures of the network as it trains (a compared run: no)
        self.nice = nice  # the training process's lower priority: the window first
        self.state = IDLE
        self.run = 0  # the current run's id; records of other runs are dropped
        self.at_epoch = self.at_step = 0  # the trainer's counters, as last reported
        self.ready = False  # the current run's trainer exists
        self.hello: Optional[dict] = None  # the process's devices, once it has started
        self._process = None
        self._starter: Optional[threading.Thread] = None
        self._conn = None
        self._interval = 0.0
        self._snapshot_interval = SNAPSHOT_S["points"]
        self._snapshot_due = 0.0
        self._snapshot_pending = False
        self._pictured_step: Optional[int] = None  # the step of the current run's latest picture
        self._start_process()
        self._timer = QTimer(self)
        self._timer.setInterval(max(1, 1000 // fps))
        self._timer.timeout.connect(self._drain)
        self._timer.start()

    # -- control (GUI thread) ------------------------------------------------------------------
    def load(self, exp: Experiment, running: bool = False, checkpoint: Optional[Path] = None) -> int:
        """Start a new run of ``exp`` (from ``checkpoint``'s weights and counters if given); whatever
        ran before stops. Returns the run's id."""
        if not self.alive:
            self._start_process()
        self.run += 1
        self.ready = False
        self.at_epoch = self.at_step = 0
        self._snapshot_pending = True  # the worker sends a first snapshot by itself
        self._pictured_step = None
        self._send("load", self.run, exp.to_json(), str(checkpoint) if checkpoint else None, running, self._interval)
        self._set_state(RUNNING if running else READY)
        return self.run

    def play(self) -> None:
        """Resume a ready or paused run (a finished one continues only by ``extend``)."""
        if self.state in (READY, PAUSED):
            self._send("resume")
            self._set_state(RUNNING)

    def pause(self) -> None:
        if self.state == RUNNING:
            self._send("pause")
            self._set_state(PAUSED)

    def step(self) -> None:
        """One batch, then paused."""
        if self.state in (READY, PAUSED, RUNNING):
            self._send("pause")
            self._send("request_step")
            self._set_state(PAUSED)

    def extend(self, epochs: int) -> None:
        """A completed run trains ``epochs`` more."""
        self._send("extend", epochs)
        self._set_state(RUNNING)

    def set_interval(self, seconds: float) -> None:
        """Slow motion: a step at most every ``seconds`` (0 is full speed)."""
        self._interval = seconds
        self._send("set_step_interval", seconds)

    @property
    def accepts_live_changes(self) -> bool:
        return self.state in (READY, RUNNING, PAUSED)

    def apply_live(self, path: str, value) -> bool:
        """LR, L1, L2 and dropout reach a running trainer at its next step; False for other fields."""
        if path not in LIVE_PATHS or value is None or not self.accepts_live_changes:
            return False
        self._send("set", path, value)
        return True

    def save_checkpoint(self, path: Path) -> None:
        """Weights and spec, written by the training process between two steps; a message follows."""
        self._send("save", str(path))

    def load_weights(self, path: Path) -> None:
        """Weights of a checkpoint into the current network, if they fit; a message follows."""
        self._send("load_weights", str(path))

    def request_spec(self) -> None:
        """Ask for the experiment the trainer is training now: a ``spec`` record follows."""
        self._send("report_spec")

    def shutdown(self, timeout: float = 0.5) -> None:
        """End the training process: a worker never outlives its window. It gets ``timeout`` to
        finish its step and a save under way (a quit takes ~50 ms); one still busy building a
        network is stopped (it holds nothing a user could lose: files are written atomically)."""
        process, self._process = self._process, None
        if self._starter is not None:
            self._starter.join()  # a process being started is one to stop
        if process is not None:
            if self.hello is None:  # still importing torch: nothing to save, do not wait for it
                process.terminate()
            else:
                self._send_to(self._conn, "quit")
        if self._conn is not None:
            # nobody reads any more: a send blocked on a full pipe fails at once instead of
            # holding the process up until it is killed
            self._conn.close()
            self._conn = None
        if process is not None:
            process.join(timeout)
            if process.is_alive():
                process.terminate()
                process.join(2)
            if process.is_alive():
                process.kill()
                process.join(2)
        self._timer.stop()
        self._set_state(IDLE)

    @property
    def alive(self) -> bool:
        return self._process is not None and (self._starting() or self._process.is_alive())

    @property
    def pid(self) -> Optional[int]:
        return self._process.pid if self._process is not None else None

    # -- the process -----------------------------------------------------------------------------
    def _start_process(self) -> None:
        """A new training process, started off the window's thread: the first start waits until the
        fork server has imported torch (a second or two), and the window must not. Commands sent
        meanwhile wait in the pipe."""
        context = process_context()
        self._conn, child = context.Pipe()
        self._process = context.Process(target=serve, args=(child, self.nice), name="playground-training", daemon=True)
        self.hello = None
        self._starter = threading.Thread(target=launch_process, args=(self._process, child), name="starter", daemon=True)
        self._starter.start()

    def _starting(self) -> bool:
        return self._starter is not None and self._starter.is_alive()

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
        out: list[dict] = []
        began = time.perf_counter()
        while self._conn is not None and time.perf_counter() - began < DRAIN_BUDGET_S and self._poll():
            try:
                batch = self._conn.recv()
            except (EOFError, OSError):
                break
            for record in batch:
                run = record.get("run")
                if run is None:
                    if record["type"] == "hello":
                        self.hello = record
                    out.append(record)
                elif run == self.run:
                    self._follow(record)
                    out.append(record)
        self._check_process(out)
        if out:
            self.records.emit(out)
        # a picture of every step the network has moved to: while running at most every
        # _snapshot_interval, otherwise at once (after a Step, a pause, the end of a run)
        now = time.monotonic()
        moved = self.pictures and self.ready and self.at_step != self._pictured_step
        if moved and (self.state != RUNNING or now >= self._snapshot_due):
            self._snapshot_due = now + self._snapshot_interval
            self._request_snapshot()

    def _follow(self, record: dict) -> None:
        """What the session itself learns from the current run's records."""
        kind = record["type"]
        if kind == "counters":
            self.at_epoch, self.at_step = record["epoch"], record["step"]
        elif kind == "ready":
            self.ready = True
            self._snapshot_interval = SNAPSHOT_S[record["kind"]]
            self.at_epoch, self.at_step = record["epoch"], record["step"]
        elif kind == "snapshot":
            self._snapshot_pending = False
            self._pictured_step = record["step"]
        elif kind == "end":
            self.at_epoch, self.at_step = record.get("epoch", self.at_epoch), record.get("step", self.at_step)
            self._set_state(FINISHED)

    def _poll(self) -> bool:
        try:
            return self._conn.poll()
        except (EOFError, OSError):
            return False

    def _check_process(self, out: list) -> None:
        if self._process is not None and not self.alive and self.state != IDLE:
            code = self._process.exitcode
            self._process = None
            self._set_state(FINISHED)
            out.append({"type": "end", "reason": "error", "run": self.run, "epoch": self.at_epoch,
                        "step": self.at_step, "message": f"the training process stopped unexpectedly (exit code "
                                                         f"{code}); Reset starts a new one"})

    def _request_snapshot(self) -> None:
        if not self._snapshot_pending and self.ready:
            self._snapshot_pending = True
            self._send("snapshot")

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)
