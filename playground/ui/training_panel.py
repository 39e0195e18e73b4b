"""The training panel: optimizer and its own parameters, learning rate, schedule with a preview of
the LR over the planned epochs, L1/L2, and how the run is set up (epochs, loss, device, seed, probes).

It shows an Experiment and proposes changes as ``{path: value}`` through ``edited``; the window
validates them. LR, L1 and L2 are emitted on every change, also while a slider is dragged, because
the window hands them to a running trainer at its next step.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QToolButton, QVBoxLayout, QWidget

from superqt.utils import signals_blocked

from playground.core.choices import DATASETS, OPTIMIZERS, SCHEDULES
from playground.core.losses import resolved_loss
from playground.core.optimizers import resolved_lr
from playground.core.schedules import lr_curve, lr_factor
from playground.core.spec import Experiment, OptimSpec, ScheduleSpec, TrainSpec, field_help
from playground.ui.widgets import (DoubleSpinBox, FieldForm, LogControl, NumberField, SpecPanel, align_labels,
                                   compact_combo, format_number, hint_label, int_spin, rich_tip)

LR_RANGE = (1e-5, 10.0)
REG_RANGE = (1e-6, 1.0)
MAX_EPOCHS = 1_000_000
MAX_SEED = 2**31 - 1
PREVIEW_POINTS = 5000  # beyond this many epochs the preview samples the curve
PREVIEW_COLOR = "#009E73"  # the learning-rate colour of the live plots

LECTURE_LR = ("Too high: the loss jumps around or explodes. Too low: it creeps down and training takes "
              "forever (in theory a low LR ends better after many epochs, but it takes long).")
LECTURE_ADAM = "Lecture: Adam with beta1 = 0.9, beta2 = 0.999 and LR 1e-3 or 5e-4 is a good default for many models."
LECTURE_DECAY = ("Lecture: LR decay is more common with SGD than with Adam. To find where to decay, train "
                 "without decay, look at the loss curve, and lower the LR where it plateaus.")
LECTURE_REG = ("Lecture: L1/L2 terms added to the loss are not so common for neural networks; dropout "
               "(mostly in the fully connected layers), batch norm and data augmentation are the usual "
               "regularizers. Use them when the validation loss stops following the training loss.")
LBFGS_LR = "L-BFGS picks its step by line search"
REDUCTION_TIP = ("mean: the loss is averaged over the examples of a batch, so the step size does not depend on "
                 "the batch size. sum: the loss is added up, the old size_average=False of "
                 "torch.nn.MSELoss(size_average=False): the gradient and the effective step grow with the "
                 "batch size, so the LR must shrink when the batch grows.")


class SchedulePreview(pg.PlotWidget):
    """The LR of every planned epoch, as steps (the LR is constant within an epoch)."""

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent, background="w")
        self.setObjectName("lr_preview")
        self.setMinimumHeight(80)
        self.setMaximumHeight(130)
        item = self.getPlotItem()
        item.hideButtons()
        item.setMenuEnabled(False)
        item.setMouseEnabled(x=False, y=False)
        item.showGrid(x=True, y=True, alpha=0.25)
        tick_font = QFont()
        tick_font.setPointSize(8)
        for side in ("left", "bottom"):
            axis = item.getAxis(side)
            axis.setPen(pg.mkPen("#1a1a1a"))
            axis.setTextPen(pg.mkPen("#1a1a1a"))
            axis.setTickFont(tick_font)
        item.getAxis("left").setWidth(44)
        self.curve = item.plot([0, 1], [0], stepMode="center", pen=pg.mkPen(PREVIEW_COLOR, width=2.5))

    def set_curve(self, epochs: np.ndarray, lrs: list[float]) -> None:
        """``epochs`` are the epoch numbers (0-based) whose LR ``lrs`` gives; each spans one epoch."""
        edges = np.append(epochs, epochs[-1] + 1).astype(float) if len(epochs) else np.array([0.0, 1.0])
        values = np.asarray(lrs, float) if len(lrs) else np.zeros(1)
        self.curve.setData(edges, values)
        top = float(values.max()) if values.size else 1.0
        self.setXRange(0, edges[-1], padding=0)
        self.setYRange(0, top * 1.08 if top > 0 else 1.0, padding=0)

    def lrs(self) -> np.ndarray:
        """The LR values drawn (what a test compares with ``lr_curve``)."""
        return np.asarray(self.curve.yData)


class TrainingPanel(SpecPanel):
    """Optimizer, learning rate and its schedule, regularization and the run settings of an Experiment."""

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__("training_panel", parent)
        self._build()
        self.set_experiment(self._exp)

    # -- building ------------------------------------------------------------------------------
    def _build(self) -> None:
        self._stack(self._build_optimizer(), self._build_schedule(), self._build_regularization(), self._build_run())
        align_labels(self.form_optim, self.form_schedule, self.form_reg, self.form_run)

    def _build_optimizer(self) -> QGroupBox:
        box = QGroupBox("Optimizer")
        form = FieldForm(self.marks, box)
        self.form_optim = form

        self.optimizer = compact_combo(QComboBox())
        self.optimizer.setObjectName("optimizer")
        for i, entry in enumerate(OPTIMIZERS):
            self.optimizer.addItem(entry.label, entry.name)
            self.optimizer.setItemData(i, rich_tip(entry.label, entry.tip,
                                                   f"Default LR {format_number(entry.value.default_lr)}."),
                                       Qt.ToolTipRole)
        self.optimizer.currentIndexChanged.connect(self._on_optimizer)
        form.add("Optimizer", self.optimizer, "optimizer", "optim.name")

        lr_box = QWidget()
        lr_layout = QVBoxLayout(lr_box)
        lr_layout.setContentsMargins(0, 0, 0, 0)
        lr_layout.setSpacing(0)
        self.lr = LogControl("lr", *LR_RANGE)
        self.lr_slider, self.lr_value = self.lr.slider, self.lr.field
        self.lr.valueChanged.connect(lambda v: self._emit({"optim.lr": v}))
        hint_row = QHBoxLayout()
        hint_row.setContentsMargins(0, 0, 0, 0)
        self.lr_hint = hint_label(object_name="lr_hint")
        self.lr_reset = QToolButton()
        self.lr_reset.setObjectName("lr_reset")
        self.lr_reset.setText("use default")
        self.lr_reset.setAutoRaise(True)
        self.lr_reset.setToolTip(rich_tip("Use the default", "Back to the optimizer's own default LR "
                                          "(the LR is then left out of the experiment file)."))
        self.lr_reset.clicked.connect(lambda: self._emit({"optim.lr": None}))
        hint_row.addWidget(self.lr_hint, 1)
        hint_row.addWidget(self.lr_reset)
        lr_layout.addWidget(self.lr)
        lr_layout.addLayout(hint_row)
        self.lr_frame = form.add("LR", lr_box, "lr", "optim.lr")

        self.momentum = DoubleSpinBox("momentum", 0.0, 0.999, 0.05, 3)
        self.momentum.valueChanged.connect(lambda v: self._emit({"optim.momentum": v}))
        form.add("Momentum", self.momentum, "momentum", "optim.momentum", rich_tip(
            "Momentum (rho)", "How much of the last step's velocity is kept: the update rolls through noisy "
                              "gradients and shallow minima and speeds up along ravines. 0.9 is the usual value; "
                              "0 turns it off.", "Omitted in the file: this optimizer's default."))

        betas = QWidget()
        line = QHBoxLayout(betas)
        line.setContentsMargins(0, 0, 0, 0)
        self.beta1 = DoubleSpinBox("beta1", 0.0, 0.9999, 0.01, 4)
        self.beta2 = DoubleSpinBox("beta2", 0.0, 0.9999, 0.001, 4)
        for spin in (self.beta1, self.beta2):
            spin.valueChanged.connect(self._on_betas)
            line.addWidget(spin, 1)
        frame = form.add("β₁ / β₂", betas, "betas", "optim.betas", rich_tip(
            "Adam's betas", field_help(OptimSpec, "betas"),
            "beta1: decay of the running mean of the gradients (momentum). beta2: decay of the running "
            "mean of their squares (the RMSProp part).", LECTURE_ADAM))
        frame.set_tip(rich_tip("beta1", "Decay of the running mean of the gradients: the momentum part. "
                               "0.9 keeps about the last 10 steps.", LECTURE_ADAM), self.beta1)
        frame.set_tip(rich_tip("beta2", "Decay of the running mean of the squared gradients: the RMSProp "
                               "part that scales each weight's step. 0.999 keeps about the last 1000 steps.",
                               LECTURE_ADAM), self.beta2)
        self.marks.add("optim.betas[0]", form.frames["betas"])
        self.marks.add("optim.betas[1]", form.frames["betas"])

        self.eps = NumberField(allow_empty=True)
        self.eps.setObjectName("eps")
        self.eps.valueEdited.connect(lambda v: self._emit({"optim.eps": v}))
        self.eps_frame = form.add("Epsilon", self.eps, "eps", "optim.eps")
        return box

    def _build_schedule(self) -> QGroupBox:
        box = QGroupBox("Learning-rate schedule")
        outer = QVBoxLayout(box)
        outer.setContentsMargins(0, 0, 0, 4)
        outer.setSpacing(0)
        form = FieldForm(self.marks)
        self.form_schedule = form

        self.schedule = compact_combo(QComboBox())
        self.schedule.setObjectName("schedule")
        for i, entry in enumerate(SCHEDULES):
            self.schedule.addItem(entry.label, entry.name)
            self.schedule.setItemData(i, rich_tip(entry.label, entry.tip), Qt.ToolTipRole)
        self.schedule.currentIndexChanged.connect(
            lambda i: self._emit({"schedule.name": self.schedule.itemData(i)}))
        form.add("Schedule", self.schedule, "schedule", "schedule.name", rich_tip(
            "Learning-rate schedule", *(f"{e.label}: {e.tip}" for e in SCHEDULES),
            "Step decay: decay the LR by half every few epochs. Exponential: lr = lr0 · e^(−kt). "
            "1/t: lr = lr0 / (1 + kt).", LECTURE_DECAY))

        self.schedule_k = DoubleSpinBox("schedule_k", 0.0, 10.0, 0.01, 3)
        self.schedule_k.valueChanged.connect(lambda v: self._emit({"schedule.k": v}))
        form.add("k", self.schedule_k, "schedule_k", "schedule.k", rich_tip(
            "Decay rate k", field_help(ScheduleSpec, "k"), "t counts epochs: with k = 0.1 the LR is about a "
            "third (exponential) or half (1/t) of lr0 after 10 epochs."))

        self.step_gamma = DoubleSpinBox("step_gamma", 0.01, 1.0, 0.05, 2)
        self.step_gamma.valueChanged.connect(lambda v: self._emit({"schedule.gamma": v}))
        form.add("Gamma", self.step_gamma, "step_gamma", "schedule.gamma", rich_tip(
            "Gamma", field_help(ScheduleSpec, "gamma"), "0.5 halves the LR at every step, as in the lecture."))

        self.step_epochs = int_spin("step_epochs", 1, MAX_EPOCHS, suffix=" epochs")
        self.step_epochs.valueChanged.connect(lambda v: self._emit({"schedule.step_epochs": v}))
        form.add("Every", self.step_epochs, "step_epochs", "schedule.step_epochs", rich_tip(
            "Step every", field_help(ScheduleSpec, "step_epochs"), "Step decay: decay the LR by half every "
            "few epochs."))

        self.warmup_epochs = int_spin("warmup_epochs", 0, MAX_EPOCHS, suffix=" epochs", off="off")
        self.warmup_epochs.valueChanged.connect(lambda v: self._emit({"schedule.warmup_epochs": v}))
        form.add("Warm-up", self.warmup_epochs, "warmup_epochs", "schedule.warmup_epochs", rich_tip(
            "Warm-up", field_help(ScheduleSpec, "warmup_epochs"), "Small steps while the weights are still "
            "random keep a large LR from throwing the network off at the start. 0 = off."))
        outer.addLayout(form)

        self.lr_preview = SchedulePreview()
        self.lr_preview.setToolTip(rich_tip(
            "LR over the run", "The learning rate of every planned epoch, from the LR, the schedule and the "
            "number of epochs. Nothing is trained to draw it."))
        self.preview_caption = hint_label(object_name="lr_preview_caption")
        self.preview_caption.setAlignment(Qt.AlignHCenter)
        outer.addWidget(self.lr_preview)
        outer.addWidget(self.preview_caption)
        return box

    def _build_regularization(self) -> QGroupBox:
        box = QGroupBox("Regularization")
        form = FieldForm(self.marks, box)
        self.form_reg = form
        self.l2 = LogControl("l2", *REG_RANGE, zero_allowed=True)
        self.l2.valueChanged.connect(lambda v: self._emit({"optim.weight_decay": v}))
        form.add("L2", self.l2, "l2", "optim.weight_decay", rich_tip(
            "L2 (weight decay)", field_help(OptimSpec, "weight_decay"),
            "Pulls every weight towards 0 a little at each step: smoother boundaries, less overfitting. "
            "Typical values 1e-4 to 1e-2; drag to the left end for off. With Adam, AdamW applies it to the "
            "weights directly.", LECTURE_REG))
        self.l1 = LogControl("l1", *REG_RANGE, zero_allowed=True)
        self.l1.valueChanged.connect(lambda v: self._emit({"optim.l1": v}))
        form.add("L1", self.l1, "l1", "optim.l1", rich_tip(
            "L1", field_help(OptimSpec, "l1"), "Pushes weights to exactly 0, so the network uses few inputs "
            "and connections (sparse weights). Drag to the left end for off.", LECTURE_REG))
        return box

    def _build_run(self) -> QGroupBox:
        box = QGroupBox("Run")
        form = FieldForm(self.marks, box)
        self.form_run = form

        self.epochs = int_spin("epochs", 1, MAX_EPOCHS)
        self.epochs.setSingleStep(10)
        self.epochs.valueChanged.connect(lambda v: self._emit({"train.epochs": v}))
        form.add("Epochs", self.epochs, "epochs", "train.epochs", rich_tip(
            "Epochs", "How many passes over the training set the run plans: the length of the schedule's "
                      "curve, and where training stops."))

        self.loss = compact_combo(QComboBox())
        self.loss.setObjectName("loss")
        for name in ("auto", "cross_entropy", "mse"):
            self.loss.addItem(name, name)
        self.loss.currentIndexChanged.connect(lambda i: self._emit({"train.loss": self.loss.itemData(i)}))
        form.add("Loss", self.loss, "loss", "train.loss", rich_tip(
            "Loss", "auto: cross-entropy for classes, mean squared error (MSE) for regression.",
            "Cross-entropy: softmax over the classes, then minus the log of the right class's probability; "
            "the usual loss for classification.", "MSE: the mean of squared differences; for regression. On "
            "classes it compares the outputs with one-hot targets (learns, but slower)."))

        self.reduction = compact_combo(QComboBox())
        self.reduction.setObjectName("reduction")
        self.reduction.addItem("mean over the batch", "mean")
        self.reduction.addItem("sum over the batch", "sum")
        self.reduction.currentIndexChanged.connect(
            lambda i: self._emit({"train.reduction": self.reduction.itemData(i)}))
        form.add("Reduction", self.reduction, "reduction", "train.reduction",
                 rich_tip("Reduction", REDUCTION_TIP))

        self.device = compact_combo(QComboBox())
        self.device.setObjectName("device")
        self.device.currentIndexChanged.connect(lambda i: self._emit({"train.device": self.device.itemData(i)}))
        form.add("Device", self.device, "device", "train.device", rich_tip(
            "Device", "Where the tensors live. auto: a GPU if torch sees one, else the CPU. Tiny networks "
                      "are often faster on the CPU: each step is too small to keep a GPU busy."))

        self.train_seed = int_spin("train_seed", 0, MAX_SEED)
        self.train_seed.valueChanged.connect(lambda v: self._emit({"train.seed": v}))
        form.add("Seed", self.train_seed, "train_seed", "train.seed", rich_tip(
            "Training seed", field_help(TrainSpec, "seed"), "Change it to see how much a result depends on "
            "luck: the same network from other initial weights."))

        self.probe_every = int_spin("probe_every", 0, 1_000_000, suffix=" steps", off="off")
        self.probe_every.setSingleStep(10)
        self.probe_every.valueChanged.connect(lambda v: self._emit({"train.probe_every": v}))
        form.add("Probe every", self.probe_every, "probe_every", "train.probe_every", rich_tip(
            "Probe interval", field_help(TrainSpec, "probe_every"), "Probes record the histograms of "
            "activations and gradients per layer: where they vanish or explode. Fewer probes, faster "
            "training."))
        return box

    # -- showing a spec ------------------------------------------------------------------------
    def _show(self, exp: Experiment) -> None:
        optim, schedule, train = exp.optim, exp.schedule, exp.train
        entry = OPTIMIZERS.entry(optim.name)
        uses = entry.value.params
        defaults = entry.value.defaults
        self.optimizer.setCurrentIndex(self.optimizer.findData(optim.name))
        self.form_optim.frames["optimizer"].set_tip(rich_tip(
            "Optimizer", f"{entry.label}: {entry.tip}",
            "Switching the optimizer goes back to its own default LR.", LECTURE_ADAM))

        lr = resolved_lr(optim)
        self.lr.setValue(lr)
        lbfgs = entry.value.full_batch
        for widget in (self.lr_slider, self.lr_value, self.lr_reset):
            widget.setEnabled(not lbfgs)
        default = format_number(entry.value.default_lr)
        if lbfgs:
            self.lr_hint.setText(f"not used: {LBFGS_LR}")
            self.lr_frame.set_tip(rich_tip("Learning rate", LBFGS_LR + ": there is no LR to tune.", entry.tip))
        else:
            self.lr_hint.setText(f"(default) {entry.label}'s own LR" if optim.lr is None else "")
            self.lr_reset.setText(f"use default ({default})")
            self.lr_frame.set_tip(rich_tip(
                "Learning rate", f"The size of each step against the gradient. {field_help(OptimSpec, 'lr')} "
                f"{entry.label}'s default is {default}.", LECTURE_LR,
                "Drag for the order of magnitude, type for an exact value (1e-3 works). The change reaches "
                "a running training at its next step."))
        self.lr_reset.setVisible(optim.lr is not None and not lbfgs)

        self.form_optim.set_row_visible("momentum", "momentum" in uses)
        self.form_optim.set_row_visible("betas", "betas" in uses)
        self.form_optim.set_row_visible("eps", "eps" in uses)
        if "momentum" in uses:
            self.momentum.setValue(defaults.get("momentum", 0.0) if optim.momentum is None else optim.momentum)
        if "betas" in uses:
            b1, b2 = defaults.get("betas", (0.9, 0.999)) if optim.betas is None else optim.betas
            self.beta1.setValue(b1)
            self.beta2.setValue(b2)
        if "eps" in uses:
            default_eps = format_number(defaults.get("eps", 1e-8))
            self.eps.setValue(optim.eps)
            self.eps.setPlaceholderText(f"{default_eps} (default)")
            self.eps_frame.set_tip(rich_tip(
                "Epsilon", "A tiny number added to the denominator so that a weight whose gradients "
                f"were all near 0 does not get a huge step. Rarely changed; empty: {default_eps}, "
                f"{entry.label}'s default."))

        self.schedule.setCurrentIndex(self.schedule.findData(schedule.name))
        self.schedule_k.setValue(schedule.k)
        self.step_gamma.setValue(schedule.gamma)
        self.step_epochs.setValue(schedule.step_epochs)
        self.warmup_epochs.setValue(schedule.warmup_epochs)
        self.form_schedule.set_row_visible("schedule_k", schedule.name in ("exponential", "inverse_time"))
        self.form_schedule.set_row_visible("step_gamma", schedule.name == "step")
        self.form_schedule.set_row_visible("step_epochs", schedule.name == "step")
        self._update_preview(exp)

        self.l2.setValue(optim.weight_decay)
        self.l1.setValue(optim.l1)

        self.epochs.setValue(train.epochs)
        task = DATASETS[exp.data.name].task
        as_auto = dataclasses.replace(exp, train=dataclasses.replace(train, loss="auto"))
        auto = {"cross_entropy": "cross-entropy", "mse": "MSE"}[resolved_loss(as_auto, task)]
        self.loss.setItemText(0, f"auto ({auto})")
        self.loss.setItemText(1, "cross-entropy")
        self.loss.setItemText(2, "MSE")
        self.loss.setCurrentIndex(self.loss.findData(train.loss))
        self.reduction.setCurrentIndex(self.reduction.findData(train.reduction))
        self._fill_devices(train.device)
        self.train_seed.setValue(train.seed)
        self.probe_every.setValue(train.probe_every)

    def _update_preview(self, exp: Experiment) -> None:
        lr0, epochs = resolved_lr(exp.optim), exp.train.epochs
        if epochs <= PREVIEW_POINTS:
            at = np.arange(epochs)
            lrs = lr_curve(exp.schedule, lr0, epochs)
        else:  # a million epochs: sample the same function instead of drawing every one
            at = np.unique(np.linspace(0, epochs - 1, PREVIEW_POINTS).round().astype(int))
            lrs = [lr0 * lr_factor(exp.schedule, int(e), epochs) for e in at]
        self.lr_preview.set_curve(at, lrs)
        self.preview_caption.setText(
            f"LR {format_number(lrs[0], 3)} → {format_number(lrs[-1], 3)} over {epochs} epochs")

    def set_devices(self, devices: list[str], auto: str) -> None:
        """What torch sees, as the training process reports it (the window's process has no torch)."""
        self._devices = (list(devices), auto)
        with signals_blocked(self.device):
            self.device.clear()
        self.set_experiment(self._exp)

    def _fill_devices(self, requested: str) -> None:
        if self.device.count() == 0:
            devices, auto = getattr(self, "_devices", (["cpu"], "cpu"))
            self.device.addItem(f"auto ({auto})", "auto")
            for name in devices:
                self.device.addItem(name, name)
        if self.device.findData(requested) < 0:  # a file written on a machine with a GPU
            self.device.addItem(f"{requested} (not here: CPU)", requested)
        self.device.setCurrentIndex(self.device.findData(requested))

    # -- user changes --------------------------------------------------------------------------
    def _on_optimizer(self, index: int) -> None:
        # lr None: the new optimizer's own default (SGD's 0.03 would be far too big for Adam)
        self._emit({"optim.name": self.optimizer.itemData(index), "optim.lr": None})

    def _on_betas(self, _value: float) -> None:
        self._emit({"optim.betas": [self.beta1.value(), self.beta2.value()]})
