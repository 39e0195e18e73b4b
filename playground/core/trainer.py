"""The training loop: one batch at a time, controllable from another thread, reporting plain records.

Records (the same ones ``playground run`` writes as JSON lines) each carry ``"run"``, the run they
belong to, from the moment they are made:
- ``{"type": "epoch", "epoch", "step", "train_loss", "val_loss", "train_acc", "val_acc", "lr"}``;
  epoch 0 is the untrained network, epoch k the network after k epochs, ``lr`` the rate used in it.
  Losses are the mean data loss over the whole split in eval mode (no dropout, no regularization).
- ``{"type": "steps", "step", "loss": [...]}``: the training loss of each batch, before its update,
  of the steps after ``step`` (so ``loss[i]`` belongs to step ``step + i + 1``); null where it was
  not finite. Sent at every epoch's end, every ``STEPS_CHUNK`` steps and when a run ends.
- ``{"type": "probe", "step", "layers": [...]}`` (see probes.py), at step 0 and every ``probe_every``.
- ``{"type": "message", "level", "text"}`` for things the user should know (a device fallback, a
  loss that explodes without becoming NaN, folder images that were skipped).
- ``{"type": "phase", "epoch", "step", "open", "text"}``: a two-phase transfer run opens its backbone
  blocks (``open``) with the optimizer rebuilt, from epoch ``epoch``.
- ``{"type": "download", "file", "done", "total"}``: pretrained weights arriving (first use only),
  and ``{"type": "progress", "what", "done", "total"}`` while a folder's images are read; both at
  most ten times a second.
- ``{"type": "advice", "rule", "text", "fix": {path: value}, "step", "epoch"}``: the coach (coach.py)
  explains a problem it sees, right after the record that showed it (just before an end record);
  each rule at most once a run.
- ``{"type": "end", "reason": "completed" | "diverged" | "stopped" | "error", "message", ...}`` last.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from typing import Any, Callable, Optional

import torch

from playground.core.augment import augment_batch, augment_enabled
from playground.core.backbones import folder_format
from playground.core.checkpoint import apply_weights
from playground.core.coach import Coach
from playground.core.data import PreparedData, prepare_data
from playground.core.devices import resolve_device
from playground.core.losses import data_loss, resolved_loss
from playground.core.model import build_model, hidden_blocks, layer_weights, set_block_dropout
from playground.core.optimizers import OPTIMIZERS, build_optimizer, resolved_lr
from playground.core.plan import activations_per_example
from playground.core.probes import ActivationProbe
from playground.core.schedules import lr_factor
from playground.core.spec import Experiment
from playground.core.transfer import TransferModel, build_transfer, frozen_children, module_name, param_groups
from playground.core.validate import MAX_STEP_ACTIVATIONS, backbone_activations

Record = dict
STEPS_CHUNK = 200  # per-step losses go out at least this often
EXPLODING = 10.0  # a whole epoch's batch losses above this many times the untrained loss: say so


def _finite(value: Optional[float]) -> Optional[float]:
    """Records stay strict JSON: a NaN or infinite figure is reported as null."""
    return value if value is not None and math.isfinite(value) else None


class Trainer:
    """Owns the model, the data tensors and the optimizer of one run.

    ``run()`` blocks until the run ends; ``pause``, ``resume``, ``request_step``, ``stop``, ``extend``
    and the ``set_*`` methods may be called from any other thread and act between two steps.
    """

    def __init__(self, exp: Experiment, on_record: Optional[Callable[[Record], None]] = None, *,
                 run: Any = None, data: Optional[PreparedData] = None,
                 state_dict: Optional[dict] = None, start: tuple[int, int] = (0, 0)):
        self.exp = exp.copy()
        self.run_id = run
        self._on_record = on_record or (lambda record: None)
        self._coach = Coach(self.exp)  # watches the records, explains what goes wrong (coach.py)
        self.device, device_note = resolve_device(exp.train.device)
        level = "info" if exp.train.device == "auto" else "warning"
        self._notes = [(level, device_note)] if device_note else []
        if data is None:
            folder = folder_format(exp) if exp.data.name == "folder" else None
            data = prepare_data(exp.data, folder, self._throttled(
                lambda done, total: {"type": "progress", "what": "Reading images", "done": done, "total": total}))
        self.data = data
        info = self.data.info
        self.loss_name = resolved_loss(exp, info.task)
        self.classification = info.task == "classification"
        if self.data.skipped:
            shown = "; ".join(f"{path} ({why})" for path, why in self.data.skipped[:5])
            more = f" and {len(self.data.skipped) - 5} more" if len(self.data.skipped) > 5 else ""
            self._notes.append(("warning", f"Skipped {len(self.data.skipped)} file(s) of the folder: {shown}{more}."))

        torch.manual_seed(exp.train.seed)
        self.transfer: Optional[TransferModel] = None
        per_example = 0
        if exp.transfer.enabled:
            self.transfer = build_transfer(exp, max(info.num_classes, 1), self._throttled(
                lambda done, total: {"type": "download", "file": exp.transfer.backbone, "done": done, "total": total}))
            self.net, self.plans = self.transfer.net, self.transfer.plans
            per_example = backbone_activations(self.transfer.backbone)
        else:
            self.net, self.plans = build_model(exp.model, self.data.input_shape, max(info.num_classes, 1))
        if state_dict is not None:
            apply_weights(self.net, state_dict, "the checkpoint")
        self.net.to(self.device)
        self._all_blocks = (self.transfer.probed if self.transfer else []) + hidden_blocks(self.net, self.plans)
        self.blocks = self._all_blocks
        self._weights = layer_weights(self.net)
        # evaluation goes through a split in chunks that hold no more than a training step may
        per_example += activations_per_example(self.plans)
        self._eval_chunk = max(1, MAX_STEP_ACTIVATIONS // max(per_example, 1))

        self.x_train, self.y_train = self._tensors(self.data.x_train, self.data.y_train)
        self.x_val, self.y_val = self._tensors(self.data.x_val, self.data.y_val)
        self._images = (self.x_train, self.x_val)
        self._closure = OPTIMIZERS[exp.optim.name].full_batch  # L-BFGS steps with a closure
        self.full_batch = self._closure or exp.train.batch_size == 0 \
            or exp.train.batch_size >= len(self.x_train)
        self.steps_per_epoch = 1 if self.full_batch else math.ceil(len(self.x_train) / exp.train.batch_size)
        self._batch_gen = torch.Generator(device=self.device).manual_seed(exp.train.seed)
        self._augment_gen = torch.Generator(device=self.device).manual_seed(exp.train.seed + 1)
        self._augmenting = augment_enabled(exp.data.augment, info.kind)
        self._phase_two = self.transfer is None or exp.transfer.head_epochs <= start[0]
        if self.transfer is not None:
            self._lock(self._phase_two)
        self.optimizer = build_optimizer(self._param_groups(), exp.optim)

        self.epoch, self.step = start  # epochs and optimizer steps completed
        self.lr = resolved_lr(exp.optim) * lr_factor(exp.schedule, self.epoch, exp.train.epochs)
        self._batches: tuple[torch.Tensor, ...] = ()
        self._batch_index = 0
        self._last_loss: Optional[float] = None
        self._step_losses: list[float] = []  # batch losses not yet reported, of the steps after _steps_from
        self._steps_from = self.step
        self._epoch_low = math.inf  # the lowest batch loss of the epoch under way
        self._start_loss: Optional[float] = None
        self._warned_exploding = False
        self._started = False
        self._end: Optional[Record] = None

        # control, shared with other threads
        self._cond = threading.Condition()
        self._running = True
        self._stopped = False
        self._pending_steps = 0
        self._changes: deque[Callable[[], None]] = deque()
        self._interval = 0.0  # slow motion: seconds from one step's start to the next's
        self._due = 0.0  # when the next step may start
        self._go = True  # fast path: running at full speed, not stopped, nothing queued
        self._closing = False  # the run has ended and still serves what was queued before

    def on_record(self, record: Record) -> None:
        """Hand a record on, marked with this run, and the coach's advice about it (if any) right
        after it; advice about the end comes just before it, so that the end stays last."""
        advice = self._coach.feed(record)
        for r in (advice + [record] if record["type"] == "end" else [record] + advice):
            self._on_record({**r, "run": self.run_id})

    # -- control from other threads ---------------------------------------------------------
    def pause(self) -> None:
        self._control(running=False)

    def resume(self) -> None:
        self._control(running=True)

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._go = False
            self._cond.notify_all()

    def request_step(self) -> None:
        """While paused: run exactly one more batch."""
        with self._cond:
            self._pending_steps += 1
            self._cond.notify_all()

    def set_step_interval(self, seconds: float) -> None:
        """Slow motion: start a step at most every ``seconds`` (0 = full speed). Other requests in
        between (a picture, a new LR) are served while waiting, without hurrying the next step."""
        with self._cond:
            self._interval = max(seconds, 0.0)
            self._due = min(self._due, time.monotonic() + self._interval)
            self._refresh_go()
            self._cond.notify_all()

    def call_soon(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` in the training thread before the next step, or at once there while paused:
        the safe way for another thread to look at the model (e.g. a decision-boundary picture).
        What was queued when the run ends is still served (see ``_finish``); after that nothing
        trains, so ``fn`` runs at once in the caller's thread (a new LR set then is the one a
        continued run goes on with, and what the run reports)."""
        with self._cond:
            if self._end is None or self._closing:
                self._changes.append(fn)
                self._go = False
                self._cond.notify_all()
                return
        fn()

    def set_lr(self, lr: float) -> None:
        self.call_soon(lambda: self._apply_lr(lr))

    def set_l1(self, l1: float) -> None:
        self.call_soon(lambda: setattr(self.exp.optim, "l1", l1))

    def set_weight_decay(self, weight_decay: float) -> None:
        def apply():
            self.exp.optim.weight_decay = weight_decay
            for group in self.optimizer.param_groups:
                if "weight_decay" in group:
                    group["weight_decay"] = weight_decay
        self.call_soon(apply)

    def set_dropout(self, p: float) -> None:
        """The model-wide dropout; layers with their own rate keep it."""
        def apply():
            self.exp.model.dropout = p
            backbone = set(self.transfer.net.backbone) if self.transfer is not None else set()
            for plan, block in self._all_blocks:
                if module_name(plan.name) not in backbone and self.exp.model.layers[plan.spec_index].dropout is None:
                    set_block_dropout(plan, block, p)
        self.call_soon(apply)

    def extend(self, epochs: int) -> bool:
        """Plan ``epochs`` more epochs; a completed run can then ``run()`` on from where it ended.
        False (and nothing changes) for a run that diverged, failed or was stopped."""
        with self._cond:
            if self._end is not None and self._end["reason"] != "completed":
                return False
            self.exp.train.epochs += epochs
            self._end = None
            return True

    def resolved_experiment(self) -> Experiment:
        """The experiment with every default this run chose written out (for DIR/spec.json)."""
        exp = self.exp.copy()
        exp.optim.lr = resolved_lr(exp.optim)
        for name, default in OPTIMIZERS[exp.optim.name].defaults.items():
            if getattr(exp.optim, name) is None:
                setattr(exp.optim, name, list(default) if isinstance(default, tuple) else default)
        exp.train.loss = self.loss_name
        exp.train.device = self.device.type
        if exp.data.name != "folder":  # a folder is what it holds: no count to write down
            exp.data.n_samples = exp.data.n_samples or self.data.info.default_samples
        return exp

    @property
    def finished(self) -> bool:
        return self._end is not None

    # -- the loop -----------------------------------------------------------------------------
    def run(self) -> Record:
        """Train until the planned epochs are done, the loss diverges or ``stop()`` is called."""
        try:
            if not self._started:
                self._start()
            while self._end is None:
                if self.epoch >= self.exp.train.epochs:
                    self._finish("completed", f"trained {self.epoch} epochs")
                elif not self._gate():
                    self._finish("stopped", f"stopped at epoch {self.epoch}, step {self.step}")
                else:
                    self.train_step()
        except (RuntimeError, ValueError) as e:  # torch reports device and shape problems as these
            self._finish("error", f"training failed at step {self.step}: {e}")
        return self._end

    def train_step(self) -> None:
        """One optimizer step on the next batch; evaluates and reports when it ends an epoch."""
        if not self._started:
            self._start()
        if self._changes:
            self._run_changes()
        if self._batch_index == 0:
            self._start_epoch()
        every = self.exp.train.probe_every
        probe = ActivationProbe(self.blocks) if every and self.step % every == 0 and self.blocks else None
        xb, yb = self._batch(self._batch_index, self._augment_gen)
        if probe is not None:
            with probe:
                loss = self._optimize(xb, yb, probe)
        else:
            loss = self._optimize(xb, yb, None)
        self._step_losses.append(loss)
        if not math.isfinite(loss):
            self._diverged(loss)
            return
        self._last_loss = loss
        self._epoch_low = min(self._epoch_low, loss)
        self.step += 1
        self._batch_index += 1
        if probe is not None:
            self.on_record(probe.record(self.step - 1))
        if self._batch_index >= len(self._batches):
            self._end_epoch()
        elif len(self._step_losses) >= STEPS_CHUNK:
            self._report_steps()

    def _batch(self, index: int, augment_gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        if self.full_batch:
            xb, yb = self.x_train, self.y_train
        else:
            idx = self._batches[index]
            xb, yb = self.x_train.index_select(0, idx), self.y_train.index_select(0, idx)
        if self._augmenting:
            xb = augment_batch(xb, self.exp.data.augment, self.data.info.kind, augment_gen)
        return xb, yb

    def probe_untrained(self) -> Record:
        """The probe the first step will take, measured now without changing anything: the same
        batch, dropout masks and gradients, with the weights, batch-norm statistics and random
        streams left as they were. The init demos' point is step 0, before anyone presses Play."""
        if self.step != 0 or not self.blocks:
            raise ValueError("only an untrained network with hidden layers has an untrained probe")
        buffers = {name: b.clone() for name, b in self.net.named_buffers()}
        batch_gen = torch.Generator(device=self.device).set_state(self._batch_gen.get_state())
        augment_gen = torch.Generator(device=self.device).set_state(self._augment_gen.get_state())
        devices = [self.device.index or 0] if self.device.type == "cuda" else []
        probe = ActivationProbe(self.blocks)
        with torch.random.fork_rng(devices=devices):
            saved, self._batch_gen = self._batch_gen, batch_gen
            try:
                self._start_epoch()
                xb, yb = self._batch(0, augment_gen)
            finally:
                self._batch_gen, self._batches = saved, ()
            with probe:
                loss = data_loss(self.net(xb), yb, self.loss_name, self.exp.train.reduction)
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                probe.before_update()
        self.optimizer.zero_grad(set_to_none=True)
        with torch.no_grad():
            for name, b in self.net.named_buffers():
                b.copy_(buffers[name])
        record = {**probe.record(0), "run": self.run_id}
        for layer in record["layers"]:
            layer["update_ratio"] = None  # no update has been made yet
        return record

    def _optimize(self, xb: torch.Tensor, yb: torch.Tensor, probe: Optional[ActivationProbe]) -> float:
        if self._closure:
            evaluations = 0

            def closure():
                nonlocal evaluations
                self.optimizer.zero_grad(set_to_none=True)
                total = self._regularized(data_loss(self.net(xb), yb, self.loss_name, self.exp.train.reduction))
                total.backward()
                if probe is not None and evaluations == 0:
                    probe.before_update()  # the gradients and weights before this step's update
                evaluations += 1
                return total
            return self.optimizer.step(closure).item()  # L-BFGS returns the loss before its update
        loss = data_loss(self.net(xb), yb, self.loss_name, self.exp.train.reduction)
        l1 = self.exp.optim.l1
        if l1:
            loss = loss + l1 * sum(w.abs().sum() for w in self._weights)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        value = loss.item()
        if probe is not None and math.isfinite(value):
            probe.before_update()
        if math.isfinite(value):
            self.optimizer.step()
        return value

    def _regularized(self, loss: torch.Tensor) -> torch.Tensor:
        """L-BFGS has no weight_decay of its own: L2 goes into its loss, as does L1 for everyone."""
        optim = self.exp.optim
        if optim.l1:
            loss = loss + optim.l1 * sum(w.abs().sum() for w in self._weights)
        if optim.weight_decay:
            loss = loss + 0.5 * optim.weight_decay * sum((p * p).sum() for p in self.net.parameters()
                                                         if p.requires_grad)
        return loss

    def evaluate(self) -> dict:
        """Mean data loss and accuracy on both splits, in eval mode."""
        self.net.eval()
        try:
            with torch.no_grad():
                train = self._measure(self.x_train, self.y_train)
                val = self._measure(self.x_val, self.y_val) if len(self.x_val) else (None, None)
        finally:
            self.net.train()
        return {"train_loss": _finite(train[0]), "val_loss": _finite(val[0]), "train_acc": train[1], "val_acc": val[1]}

    def _measure(self, x: torch.Tensor, y: torch.Tensor) -> tuple[float, Optional[float]]:
        loss_sum, right = 0.0, 0
        for start in range(0, len(x), self._eval_chunk):
            xs, ys = x[start:start + self._eval_chunk], y[start:start + self._eval_chunk]
            out = self.net(xs)
            loss_sum += data_loss(out, ys, self.loss_name, "mean").item() * len(xs)
            if self.classification:
                right += int((out.argmax(1) == ys).sum())
        return loss_sum / len(x), (right / len(x) if self.classification else None)

    # -- transfer learning ----------------------------------------------------------------------
    def _param_groups(self) -> list[dict]:
        if self.transfer is not None:
            return param_groups(self.transfer, self.exp)
        return [{"params": list(self.net.parameters()), "name": "all", "lr_scale": 1.0}]

    def _lock(self, phase_two: bool) -> None:
        """Freeze what this phase keeps fixed; while the whole backbone is frozen and nothing is
        augmented, its features are computed once and the head trains on them."""
        model = self.transfer
        model.net.lock(frozen_children(self.exp, model.backbone, model.lockable, phase_two))
        frozen = set(model.net.frozen)
        cache = all(model.lockable[b] in frozen for b in model.lockable) and not self._augmenting
        if cache != model.net.features_cached:
            model.net.features_cached = False
            if cache:
                self.x_train, self.x_val = (model.net.features(x) for x in self._images)
            else:
                self.x_train, self.x_val = self._images
            model.net.features_cached = cache
        backbone = set(model.net.backbone)
        self.blocks = [(p, b) for p, b in self._all_blocks if not (cache and module_name(p.name) in backbone)]
        self._weights = [w for w in layer_weights(self.net) if w.requires_grad]  # L1 charges what trains

    def _open_phase_two(self) -> None:
        """Phase two of a two-phase run: open the strategy's blocks and rebuild the optimizer (its
        state belongs to the head-only phase)."""
        self._phase_two = True
        self._lock(True)
        self.optimizer = build_optimizer(self._param_groups(), self.exp.optim)
        opened = [b for b in self.transfer.lockable if self.transfer.lockable[b] not in self.transfer.net.frozen]
        what = (f"{', '.join(opened)} open at {self.exp.transfer.backbone_lr:g}x the LR" if opened
                else "nothing more opens (linear probe)")
        self.on_record({"type": "phase", "epoch": self.epoch, "step": self.step, "open": opened,
                        "text": f"Phase two from epoch {self.epoch}: {what}; the optimizer starts afresh."})

    def _throttled(self, make: Callable[[int, int], Record]) -> Callable[[int, int], None]:
        """A progress callback that reports at most ten times a second, and always the end."""
        last = [0.0]

        def report(done: int, total: int) -> None:
            now = time.monotonic()
            if done >= total or now - last[0] >= 0.1:
                last[0] = now
                self.on_record(make(done, total))
        return report

    # -- internals ----------------------------------------------------------------------------
    def _tensors(self, x, y) -> tuple[torch.Tensor, torch.Tensor]:
        return (torch.as_tensor(x, device=self.device),
                torch.as_tensor(y, device=self.device))

    def _start(self) -> None:
        self._started = True
        for level, text in self._notes:
            self.on_record({"type": "message", "level": level, "text": text})
        metrics = self.evaluate()
        self._start_loss = metrics["train_loss"]
        self.on_record({"type": "epoch", "epoch": self.epoch, "step": self.step, **metrics, "lr": self.lr})

    def _start_epoch(self) -> None:
        if not self._phase_two and self.epoch >= self.exp.transfer.head_epochs:
            self._open_phase_two()
        self.lr = resolved_lr(self.exp.optim) * lr_factor(self.exp.schedule, self.epoch, self.exp.train.epochs)
        self._set_group_lrs()
        if not self.net.training:
            self.net.train()
        self._epoch_low = math.inf
        if self.full_batch:
            self._batches = (torch.empty(0),)
        else:
            n = len(self.x_train)
            perm = torch.randperm(n, generator=self._batch_gen, device=self.device)
            self._batches = perm.split(self.exp.train.batch_size)

    def _end_epoch(self) -> None:
        self._batch_index = 0
        self._report_steps()
        metrics = self.evaluate()
        if metrics["train_loss"] is None:  # the last step blew the weights up: no record of NaNs
            self._diverged(float("nan"))
            return
        self.epoch += 1
        self.on_record({"type": "epoch", "epoch": self.epoch, "step": self.step, **metrics, "lr": self.lr})
        self._check_exploding()

    def _report_steps(self) -> None:
        if self._step_losses:
            self.on_record({"type": "steps", "step": self._steps_from,
                            "loss": [_finite(x) for x in self._step_losses]})
            self._steps_from += len(self._step_losses)
            self._step_losses = []

    def _check_exploding(self) -> None:
        """A loss far above where it started for a whole epoch, without becoming NaN (an LR of 1e9
        on tanh units keeps a finite but useless loss): say so once, with what to try."""
        start = self._start_loss
        if self._warned_exploding or start is None or not self._epoch_low > EXPLODING * max(start, 1e-3):
            return
        self._warned_exploding = True
        optim = self.exp.optim
        lr = resolved_lr(optim)
        advice = (f"the learning rate {lr:g} is far too high for {optim.name}; try {lr / 10:g} or lower"
                  if not OPTIMIZERS[optim.name].full_batch else "try standardized inputs or a smaller network")
        self.on_record({"type": "message", "level": "warning",
                        "text": f"The loss is exploding: every batch of epoch {self.epoch} stayed above "
                                f"{EXPLODING:g}x the untrained loss ({start:.3g}; lowest {self._epoch_low:.3g}). "
                                f"Training goes on, but it will not learn: {advice}."})

    def _set_group_lrs(self) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = self.lr * group["lr_scale"]

    def _apply_lr(self, lr: float) -> None:
        self.exp.optim.lr = lr
        self.lr = lr * lr_factor(self.exp.schedule, self.epoch, self.exp.train.epochs)
        self._set_group_lrs()

    def _diverged(self, loss: float) -> None:
        optim = self.exp.optim
        what = "NaN" if math.isnan(loss) else "infinite"
        if OPTIMIZERS[optim.name].full_batch:
            advice = "its line search could not keep the loss finite; try a smaller network or standardized inputs"
        else:
            lr = resolved_lr(optim)
            advice = f"the learning rate {lr:g} is too high for {optim.name}; try {lr / 10:g} or lower"
        last = f", after a batch loss of {self._last_loss:.3g}" if self._last_loss is not None else ""
        self._finish("diverged", f"loss diverged (became {what}) at step {self.step}, epoch {self.epoch + 1}{last}: "
                                 f"{advice}")

    def _finish(self, reason: str, message: str) -> None:
        """End the run. Requests queued before the end are still served here, in order (a picture
        of the last step, a save): none is lost; one that extends the run lets it go on instead."""
        self._report_steps()
        end = {"type": "end", "reason": reason, "message": message, "epoch": self.epoch, "step": self.step}
        with self._cond:
            self._end, self._closing = end, True
        self._run_changes()
        if self._end is end:
            self.on_record(end)

    def _control(self, running: bool) -> None:
        with self._cond:
            self._running = running
            self._refresh_go()
            self._cond.notify_all()

    def _refresh_go(self) -> None:
        self._go = self._running and not self._stopped and not self._interval and not self._changes

    def _run_changes(self) -> None:
        """Queued changes and requests, in the training thread, outside the lock (a picture may take
        a while; pause() must not wait for it)."""
        while True:
            with self._cond:
                if not self._changes:
                    self._closing = False
                    self._refresh_go()
                    return
                change = self._changes.popleft()
            change()

    def _gate(self) -> bool:
        """Between steps: serve requests, wait while paused or slowed down; False once stopped."""
        if self._go:
            return True
        while True:
            self._run_changes()
            with self._cond:
                if self._changes:
                    continue
                if self._stopped:
                    return False
                if self._running:
                    now = time.monotonic()
                    if self._interval and now < self._due:
                        self._cond.wait(self._due - now)  # a request may wake it: the loop waits on
                        continue
                    self._due = max(self._due, now) + self._interval
                    return True
                if self._pending_steps:  # Step while paused: at once, whatever the speed
                    self._pending_steps -= 1
                    return True
                self._cond.wait()
