"""The training process: a Trainer in a process of its own, driven over a pipe.

Training in the window's process shared one GIL with the plots: every repaint stalled the trainer
(measured at 0.6-0.8x of headless speed). Here the trainer has a GIL to itself, a crash of torch
cannot take the window down, and the window's process never imports torch.

No Qt here: this module runs in the child. Messages to the child are tuples ``(command, *args)``;
messages from it are lists of records, each tagged with the run it belongs to where it is made
(the trainer's records; ``ready``, ``counters``, ``snapshot``, ``spec`` and the messages this
process adds); ``{"type": "hello", "run": None, ...}`` comes once, when the process is ready.
"""

from __future__ import annotations

import gc
import os
import threading
import time
import traceback
from collections import deque
from typing import Callable, Optional

SEND_INTERVAL_S = 0.02  # batch records: one pipe message per ~20 ms of training


def serve(conn, nice: int = 0) -> None:
    """The child's main loop: commands in, batches of records out, until "quit" or the pipe closes.
    ``nice``: yield the cores to the window (a comparison's runs are several processes on two cores)."""
    from playground.core.devices import available_devices, resolve_device, use_few_threads

    if nice and hasattr(os, "nice"):
        os.nice(nice)
    use_few_threads()
    gc.set_threshold(50_000, 50, 100)  # a full GC pass held the GIL for 100+ ms
    worker = _Worker(conn)
    worker.outbox.append({"type": "hello", "run": None, "devices": available_devices(),
                          "auto": resolve_device("auto")[0].type})
    pending: deque = deque()
    try:
        while True:
            try:
                if not pending:
                    pending.append(conn.recv())
                while conn.poll():
                    pending.append(conn.recv())
            except (EOFError, OSError):
                break  # the window is gone
            message = pending.popleft()
            if message[0] == "quit":
                break
            if message[0] == "load" and any(later[0] in ("load", "quit") for later in pending):
                continue  # a later run replaces this one before it could show anything: skip building it
            worker.handle(message)
    finally:
        worker.close()


class _Worker:
    def __init__(self, conn):
        self.conn = conn
        self.outbox: deque = deque()
        self.trainer = None
        self.thread: Optional[threading.Thread] = None
        self._counters: Optional[tuple] = None
        self._send_lock = threading.Lock()  # the command loop and the sender both flush
        self.alive = True
        self.sender = threading.Thread(target=self._send_loop, name="sender", daemon=True)
        self.sender.start()

    def handle(self, message: tuple) -> None:
        command, *args = message
        if command == "load":
            self._load(*args)
            return
        trainer = self.trainer
        if trainer is None:
            return
        if command == "snapshot":
            self._snapshot(trainer)
        elif command == "save":
            self._when_idle(trainer, lambda: self._save(trainer, args[0]))
        elif command == "load_weights":
            self._when_idle(trainer, lambda: self._load_weights(trainer, args[0]))
        elif command == "report_spec":
            self._when_idle(trainer, lambda: self._say(trainer, {"type": "spec", "experiment": trainer.exp.to_json(),
                                                                 "epoch": trainer.epoch, "step": trainer.step}))
        elif command == "set":
            path, value = args
            setter = {"optim.lr": trainer.set_lr, "optim.l1": trainer.set_l1,
                      "optim.weight_decay": trainer.set_weight_decay, "model.dropout": trainer.set_dropout}[path]
            setter(value)
        elif command == "extend":
            self._extend(trainer, args[0])
        else:  # pause, resume, request_step, set_step_interval, stop
            getattr(trainer, command)(*args)

    def _load(self, run, experiment_json: str, checkpoint: Optional[str], running: bool, interval: float) -> None:
        """A new run. The old trainer is stopped and joined first: nothing of it is made after this."""
        from playground.core.checkpoint import load_checkpoint
        from playground.core.spec import Experiment
        from playground.core.trainer import Trainer

        self._stop_trainer()
        try:
            state, start = None, (0, 0)
            if checkpoint:
                saved = load_checkpoint(checkpoint)
                state, start = saved.state_dict, (saved.epoch, saved.step)
            trainer = Trainer(Experiment.from_json(experiment_json), self.outbox.append, run=run,
                              state_dict=state, start=start)
        except Exception as e:  # a bad checkpoint or device: said to the user, the process lives on
            self.outbox.append(_error(e, run))
            return
        if not running:
            trainer.pause()
        trainer.set_step_interval(interval)
        self.trainer = trainer
        self.outbox.append(ready_record(trainer))
        if trainer.blocks and trainer.step == 0 and trainer.exp.train.probe_every:  # 0: probes are off
            self.outbox.append(trainer.probe_untrained())
        self._snapshot(trainer)
        self._start_thread(trainer)

    def _start_thread(self, trainer) -> None:
        self.thread = threading.Thread(target=self._run, args=(trainer,), name="training", daemon=True)
        self.thread.start()

    def _run(self, trainer) -> None:
        try:
            trainer.run()
        except Exception as e:
            self.outbox.append(_error(e, trainer.run_id))

    def _extend(self, trainer, epochs: int) -> None:
        """More epochs: a run under way just plans them; an ended one goes on in a new thread."""
        if not trainer.finished:
            trainer.call_soon(lambda: trainer.extend(epochs))
            return
        if self.thread is not None:
            self.thread.join()  # the end record was its last act
        if trainer.extend(epochs):
            trainer.resume()
            self._start_thread(trainer)
        else:
            self._say(trainer, {"type": "message", "level": "warning",
                                "text": "This run cannot continue (it did not complete): start over instead."})

    def _snapshot(self, trainer) -> None:
        from playground.core.snapshot import snapshot

        self._when_idle(trainer, lambda: self.outbox.append(snapshot(trainer)))

    def _when_idle(self, trainer, fn: Callable[[], None]) -> None:
        """Between two steps in the training thread, or at once when it has ended."""
        if self.thread is not None and self.thread.is_alive():
            trainer.call_soon(fn)
        else:
            fn()

    def _say(self, trainer, record: dict) -> None:
        self.outbox.append({**record, "run": trainer.run_id})

    def _save(self, trainer, path: str) -> None:
        from playground.core.checkpoint import save_checkpoint

        try:
            save_checkpoint(path, trainer.exp, trainer.net, trainer.epoch, trainer.step)
            self._say(trainer, {"type": "saved", "path": path})
            self._say(trainer, {"type": "message", "level": "info", "text": f"Saved the experiment and its weights to {path}"})
        except OSError as e:
            self._say(trainer, {"type": "message", "level": "warning", "text": f"Could not save {path}: {e}"})

    def _load_weights(self, trainer, path: str) -> None:
        from playground.core.checkpoint import apply_weights, load_checkpoint
        from playground.core.checkpoint_file import CheckpointError

        try:
            apply_weights(trainer.net, load_checkpoint(path).state_dict, path)
        except CheckpointError as e:
            self._say(trainer, {"type": "message", "level": "warning", "text": f"Weights not loaded: {e}"})
            return
        self._say(trainer, {"type": "message", "level": "info", "text": f"Loaded the weights of {path} into this network"})
        self._snapshot(trainer)

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
            batch = []
            while self.outbox:
                batch.append(self.outbox.popleft())
            trainer = self.trainer
            if trainer is not None and (trainer.run_id, trainer.epoch, trainer.step) != self._counters:
                self._counters = (trainer.run_id, trainer.epoch, trainer.step)  # the toolbar's, when they move
                batch.append({"type": "counters", "run": trainer.run_id, "epoch": trainer.epoch, "step": trainer.step})
            if batch:
                try:
                    self.conn.send(batch)
                except (BrokenPipeError, OSError):
                    self.alive = False

    def close(self) -> None:
        self._stop_trainer()
        self.alive = False
        self.sender.join()
        self._flush()


def ready_record(trainer) -> dict:
    """What the window learns of a run when its trainer exists: its data and where it starts."""
    data = trainer.data
    return {"type": "ready", "run": trainer.run_id, "kind": data.info.kind, "task": data.info.task,
            "num_classes": data.info.num_classes, "points_train": data.points_train, "y_train": data.y_train,
            "points_val": data.points_val, "y_val": data.y_val, "steps_per_epoch": trainer.steps_per_epoch,
            "epoch": trainer.epoch, "step": trainer.step, "device": trainer.device.type}


def _error(e: Exception, run) -> dict:
    """A run that could not start or go on. The user's own problems (a bad file, a folder, weights
    that cannot be fetched) are said in their words; anything else names its exception too."""
    from playground.core.checkpoint_header import CheckpointError
    from playground.core.download import DownloadError
    from playground.core.errors import SpecError

    expected = isinstance(e, (SpecError, CheckpointError, DownloadError))
    return {"type": "end", "reason": "error", "run": run, "message": str(e) if expected else f"{type(e).__name__}: {e}",
            "detail": "" if expected else traceback.format_exc()}
