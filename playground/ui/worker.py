"""The training process: a Trainer in a process of its own, driven over a pipe.

Training in the window's process shared one GIL with the plots: every repaint stalled the trainer
(measured at 0.6-0.8x of headless speed). Here the trainer has a GIL to itself, a crash of torch
cannot take the window down, and the window stays responsive whatever the network costs.

No Qt here: this module runs in the child. Messages to the child are tuples ``(command, *args)``;
messages from it are lists of items: record dicts (trainer records, plus ``{"type": "ready", ...}``
once a trainer is built) and ``("snapshot", dict)``.
"""

from __future__ import annotations

import gc
import threading
import time
import traceback
from collections import deque
from typing import Optional

SEND_INTERVAL_S = 0.02  # batch records: one pipe message per ~20 ms of training


def serve(conn) -> None:
    """The child's main loop: commands in, batches of records out, until "quit" or the pipe closes."""
    from playground.core.devices import use_few_threads

    use_few_threads()
    gc.set_threshold(50_000, 50, 100)  # a full GC pass held the GIL for 100+ ms
    worker = _Worker(conn)
    try:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                break  # the window is gone
            if message[0] == "quit":
                break
            worker.handle(message)
    finally:
        worker.close()


class _Worker:
    def __init__(self, conn):
        self.conn = conn
        self.outbox: deque = deque()
        self.trainer = None
        self.thread: Optional[threading.Thread] = None
        self.generation = 0  # which load the records belong to: the window drops older ones
        self._counters = None
        self._send_lock = threading.Lock()  # the command loop and the sender both flush
        self.alive = True
        self.sender = threading.Thread(target=self._send_loop, name="sender", daemon=True)
        self.sender.start()

    def handle(self, message: tuple) -> None:
        command, *args = message
        if command == "load":
            self._flush()  # what the previous run said goes out under its own generation
            self.generation = args[0]
            self._load(*args[1:])
            return
        trainer = self.trainer
        if trainer is None:
            return
        if command == "snapshot":
            self._snapshot(trainer)
        elif command == "save":
            self._when_idle(trainer, lambda: self._save(trainer, args[0]))
        elif command == "set":
            path, value = args
            setter = {"optim.lr": trainer.set_lr, "optim.l1": trainer.set_l1,
                      "optim.weight_decay": trainer.set_weight_decay, "model.dropout": trainer.set_dropout}[path]
            setter(value)
        else:  # pause, resume, request_step, set_step_interval, stop
            getattr(trainer, command)(*args)

    def _load(self, experiment_json: str, state_dict: Optional[dict], run: bool, delay: float) -> None:
        from playground.core.spec import Experiment
        from playground.core.trainer import Trainer

        self._stop_trainer()
        self.outbox.clear()
        try:
            trainer = Trainer(Experiment.from_json(experiment_json), self.outbox.append, state_dict=state_dict)
        except Exception as e:  # a bad checkpoint or device: said to the user, the process lives on
            self.outbox.append(_error(e))
            return
        if not run:
            trainer.pause()
        trainer.set_step_interval(delay)
        self.trainer = trainer
        data = trainer.data
        self.outbox.append({"type": "ready", "kind": data.info.kind, "task": data.info.task,
                            "num_classes": data.info.num_classes, "points_train": data.points_train,
                            "y_train": data.y_train, "points_val": data.points_val, "y_val": data.y_val})
        self._snapshot(trainer)
        self.thread = threading.Thread(target=self._run, args=(trainer,), name="training", daemon=True)
        self.thread.start()

    def _run(self, trainer) -> None:
        try:
            trainer.run()
        except Exception as e:
            self.outbox.append(_error(e))

    def _snapshot(self, trainer) -> None:
        from playground.core.snapshot import snapshot

        self._when_idle(trainer, lambda: self.outbox.append(("snapshot", snapshot(trainer))))

    def _when_idle(self, trainer, fn) -> None:
        """Between two steps in the training thread, or at once when it has ended."""
        if self.thread is not None and self.thread.is_alive():
            trainer.call_soon(fn)
        else:
            fn()

    def _save(self, trainer, path: str) -> None:
        from playground.core.checkpoint import save_checkpoint

        try:
            save_checkpoint(path, trainer.exp, trainer.net, trainer.epoch, trainer.step)
            self.outbox.append({"type": "message", "level": "info",
                                "text": f"Saved the experiment and its weights to {path}"})
        except OSError as e:
            self.outbox.append({"type": "message", "level": "warning", "text": f"Could not save {path}: {e}"})

    def _stop_trainer(self) -> None:
        if self.trainer is not None:
            self.trainer.stop()
        if self.thread is not None:
            self.thread.join()
        self.trainer, self.thread = None, None

    def _send_loop(self) -> None:
        while self.alive:
            time.sleep(SEND_INTERVAL_S)
            self._flush()

    def _flush(self) -> None:
        with self._send_lock:  # two writers at once would interleave their bytes in the pipe
            self._flush_locked()

    def _flush_locked(self) -> None:
        batch = []
        while self.outbox:
            batch.append(self.outbox.popleft())
        trainer = self.trainer
        if trainer is not None and (trainer.epoch, trainer.step) != self._counters:
            self._counters = (trainer.epoch, trainer.step)  # the toolbar's counters, when they move
            batch.append({"type": "counters", "epoch": trainer.epoch, "step": trainer.step})
        if batch:
            try:
                self.conn.send((self.generation, batch))
            except (BrokenPipeError, OSError):
                self.alive = False

    def close(self) -> None:
        self._stop_trainer()
        self.alive = False
        self.sender.join()
        self._flush()


def _error(e: Exception) -> dict:
    return {"type": "end", "reason": "error", "message": f"{type(e).__name__}: {e}", "detail": traceback.format_exc()}
