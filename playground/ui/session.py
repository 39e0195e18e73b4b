"""The boundary between the training thread and the window.

The trainer runs in a plain Python thread and appends its records to a deque; a QTimer in the GUI
thread drains the deque at a fixed rate and re-emits the records in batches as Qt signals. No signal
ever crosses threads (PySide6 runs slots of non-QObject receivers in the emitting thread, see
FIELD-NOTES), and the window redraws at most ``fps`` times a second however fast training goes.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections import deque
from typing import Optional

from PySide6.QtCore import QObject, QTimer, Signal

from playground.core.checkpoint import save_checkpoint
from playground.core.snapshot import snapshot
from playground.core.spec import Experiment
from playground.core.trainer import Trainer

IDLE, READY, RUNNING, PAUSED, FINISHED = "idle", "ready", "running", "paused", "finished"


class TrainingSession(QObject):
    """One experiment's trainer and its thread. ``load`` builds a fresh trainer (paused);
    ``play``/``pause``/``step``/``reset`` control it; ``shutdown`` stops and joins the thread."""

    epochs = Signal(list)  # epoch records since the last frame
    probes = Signal(list)  # probe records since the last frame
    snapshot_ready = Signal(dict)  # the latest picture of what the network computes
    message = Signal(str, str)  # level, text
    ended = Signal(dict)  # the end record
    state_changed = Signal(str)
    counters = Signal(int, int, float)  # epoch, step, steps per second
    frame = Signal()  # after each drained frame: for measuring the refresh rate
    trainer_ready = Signal(object)  # the new Trainer: its data (numpy arrays) are safe to read

    def __init__(self, parent: Optional[QObject] = None, fps: int = 30, snapshot_interval_s: float = 0.2):
        super().__init__(parent)
        self.trainer: Optional[Trainer] = None
        self.experiment: Optional[Experiment] = None
        self.state = IDLE
        self._thread: Optional[threading.Thread] = None
        self._cancel = threading.Event()
        self._inbox: deque = deque()
        # what the user asked for before the new trainer existed; handed over under the lock
        self._handoff = threading.Lock()
        self._want_run = False
        self._delay = 0.0
        self._pending_steps = 0
        self._snapshot_interval = snapshot_interval_s
        self._snapshot_due = 0.0
        self._snapshot_pending = False
        self._rate_mark = (time.monotonic(), 0)
        self._steps_per_s = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(max(1, 1000 // fps))
        self._timer.timeout.connect(self._drain)
        self._timer.start()

    # -- control (GUI thread) ------------------------------------------------------------------
    def load(self, exp: Experiment, run: bool = False, state_dict: Optional[dict] = None) -> None:
        """Stop whatever runs, then build a trainer for ``exp`` in a new thread (paused unless ``run``),
        starting from ``state_dict`` weights if given."""
        self.shutdown()
        self.experiment = exp
        self._inbox.clear()
        self._rate_mark = (time.monotonic(), 0)
        self._steps_per_s = 0.0
        self._snapshot_pending = False
        self._want_run, self._pending_steps = run, 0
        self._cancel = threading.Event()
        self._thread = threading.Thread(target=self._work, args=(exp, self._cancel, state_dict), name="training",
                                        daemon=True)
        self._thread.start()
        self._set_state(RUNNING if run else READY)

    def play(self) -> None:
        if self.state in (FINISHED, IDLE):
            if self.experiment is not None:
                self.load(self.experiment, run=True)
            return
        with self._handoff:
            self._want_run = True
            if self.trainer is not None:
                self.trainer.resume()
        self._set_state(RUNNING)

    def pause(self) -> None:
        with self._handoff:
            self._want_run = False
            if self.trainer is not None:
                self.trainer.pause()
        if self.state == RUNNING:
            self._set_state(PAUSED)

    def step(self) -> None:
        """One batch, then paused."""
        if self.state in (FINISHED, IDLE):
            return
        self.pause()
        with self._handoff:
            if self.trainer is not None:
                self.trainer.request_step()
            else:
                self._pending_steps += 1
        self._set_state(PAUSED)

    def reset(self) -> None:
        """Re-initialise with the same seed (and the current experiment), paused."""
        if self.experiment is not None:
            self.load(self.experiment)

    def set_speed(self, delay_s: float) -> None:
        """Seconds to wait before each step: 0 is full speed, ~1 s is slow motion for explaining."""
        with self._handoff:
            self._delay = delay_s
            if self.trainer is not None:
                self.trainer.set_step_delay(delay_s)

    def apply_live(self, path: str, value) -> bool:
        """LR, L1, L2 and dropout reach a running trainer at its next step; False for other fields."""
        setters = {"optim.lr": "set_lr", "optim.l1": "set_l1", "optim.weight_decay": "set_weight_decay",
                   "model.dropout": "set_dropout"}
        trainer = self.trainer
        if path not in setters or trainer is None or trainer.finished or value is None:
            return False
        getattr(trainer, setters[path])(value)
        return True

    def save_checkpoint(self, path) -> None:
        """Write weights and spec from the training thread, between two steps; the outcome arrives
        as a message."""
        trainer = self.trainer
        if trainer is None:
            self.message.emit("warning", "The network is still being built: nothing to save yet.")
            return

        def save():
            try:
                save_checkpoint(path, trainer.exp, trainer.net, trainer.epoch, trainer.step)
                note = {"type": "message", "level": "info", "text": f"Saved the experiment and its weights to {path}"}
            except OSError as e:
                note = {"type": "message", "level": "warning", "text": f"Could not save {path}: {e}"}
            self._inbox.append(note)
        if self._thread is not None and self._thread.is_alive():
            trainer.call_soon(save)
        else:
            save()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop the trainer and wait for its thread: a worker never outlives its window."""
        with self._handoff:
            self._cancel.set()
            if self.trainer is not None:
                self.trainer.stop()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout)
        self._thread = None
        self.trainer = None
        self._set_state(IDLE)

    @property
    def steps_per_s(self) -> float:
        return self._steps_per_s

    # -- the training thread ---------------------------------------------------------------------
    def _work(self, exp: Experiment, cancel: threading.Event, state_dict: Optional[dict]) -> None:
        try:
            trainer = Trainer(exp, self._inbox.append, state_dict=state_dict)
            trainer.pause()
            with self._handoff:
                if cancel.is_set():
                    return
                self.trainer = trainer
                trainer.set_step_delay(self._delay)
                for _ in range(self._pending_steps):
                    trainer.request_step()
                self._pending_steps = 0
                if self._want_run:
                    trainer.resume()
            self._inbox.append(("ready", trainer))
            self._inbox.append(("snapshot", snapshot(trainer)))
            trainer.run()
        except Exception as e:  # a device error must reach the user, not kill the thread silently
            self._inbox.append({"type": "end", "reason": "error", "message": f"{type(e).__name__}: {e}",
                                "detail": traceback.format_exc()})

    def _request_snapshot(self) -> None:
        trainer = self.trainer
        if trainer is None or self._snapshot_pending:
            return
        self._snapshot_pending = True
        if self._thread is not None and self._thread.is_alive():
            trainer.call_soon(lambda: self._inbox.append(("snapshot", snapshot(trainer))))
        else:  # the run has ended: nobody else touches the model now
            self._inbox.append(("snapshot", snapshot(trainer)))

    # -- the GUI thread's frame ------------------------------------------------------------------
    def _drain(self) -> None:
        epochs, probes, latest = [], [], None
        while self._inbox:
            item = self._inbox.popleft()
            if isinstance(item, tuple):
                if item[0] == "ready":
                    self.trainer_ready.emit(item[1])
                    continue
                latest = item[1]
                self._snapshot_pending = False
            elif item["type"] == "epoch":
                epochs.append(item)
            elif item["type"] == "probe":
                probes.append(item)
            elif item["type"] == "message":
                self.message.emit(item["level"], item["text"])
            elif item["type"] == "end":
                self._flush(epochs, probes, latest)
                epochs, probes, latest = [], [], None
                self._set_state(FINISHED)
                self.ended.emit(item)
                self._request_snapshot()
        self._flush(epochs, probes, latest)
        self._update_rate()
        now = time.monotonic()
        if self.state == RUNNING and now >= self._snapshot_due:
            self._snapshot_due = now + self._snapshot_interval
            self._request_snapshot()
        self.frame.emit()

    def _flush(self, epochs: list, probes: list, latest: Optional[dict]) -> None:
        if epochs:
            self.epochs.emit(epochs)
        if probes:
            self.probes.emit(probes)
        if latest is not None:
            self.snapshot_ready.emit(latest)

    def _update_rate(self) -> None:
        trainer = self.trainer
        if trainer is None:
            return
        now = time.monotonic()
        since, steps = self._rate_mark
        if now - since >= 0.5:
            self._steps_per_s = (trainer.step - steps) / (now - since)
            self._rate_mark = (now, trainer.step)
        self.counters.emit(trainer.epoch, trainer.step, self._steps_per_s)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)
