"""The training panel: optimizer and its own parameters, learning rate, schedule with a preview of
the LR over the planned epochs, L1/L2, and how the run is set up (epochs, loss, device, seed, probes).

It shows an Experiment and proposes changes as ``{path: value}`` through ``edited``; the window
validates them. LR, L1 and L2 are emitted on every change, also while a slider is dragged, because
the window hands them to a running trainer at its next step. Which parameter rows an optimizer or
a schedule shows, and their defaults, come from its registry entry.
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

from playground.core.choices import DATASETS, LOSSES, OPTIMIZERS, SCHEDULES
from playground.core.losses import resolved_loss
from playground.core.optimizers import Optimizer, resolved_lr
from playground.core.registry import Entry
from playground.core.schedules import lr_curve, schedule_params
from playground.core.spec import Experiment, OptimSpec, ScheduleSpec, TrainSpec, field_help
from playground.ui import colors
from playground.ui.controls import ChoiceCombo, LogControl, NumberField, format_number
from playground.ui.forms import FieldForm, SpecPanel, align_labels, compact_combo, fit_popup, hint_label, rich_tip

LR_RANGE = (1e-5, 10.0)
REG_RANGE = (1e-6, 1.0)
PREVIEW_POINTS = 1000  # beyond this many epochs the preview samples the curve (a plot ~250 px wide)

LECTURE_LR = ("Too high: the loss jumps around or explodes. Too low: it creeps down and training takes "
              "forever (in theory a low LR ends better after many epochs, but it takes long).")
LECTURE_ADAM = "Lecture: Adam with beta1 = 0.9, beta2 = 0.999 and LR 1e-3 or 5e-4 is a good default for many models."
LECTURE_DECAY = ("Lecture: LR decay is more common with SGD than with Adam. To find where to decay, train "
                 "without decay, look at the loss curve, and lower the LR where it plateaus.")
LECTURE_REG = ("Lecture: L1/L2 terms added to the loss are not so common for neural networks; dropout "
               "(mostly in the fully connected layers), batch norm and data augmentation are the usual "
               "regularizers. Use them when the validation loss stops following the training loss.")
LINE_SEARCH = "picks each step by line search"
REDUCTION_TIP = ("mean: the loss is averaged over the examples of a batch, so the step size does not depend on "
                 "the batch size. sum: the loss is added up, the old size_average=False of "
                 "torch.nn.MSELoss(size_average=False): the gradient and the effective step grow with the "
                 "batch size, so the LR must shrink when the batch grows.")
REDUCTIONS = {"mean": "mean over the batch", "sum": "sum over the batch"}
# the rows of the schedule parameters (ScheduleSpec fields) a schedule function may take
SCHEDULE_ROWS = {"k": "schedule_k", "gamma": "step_gamma", "step_epochs": "step_epochs"}


class SchedulePreview(pg.PlotWidget):
    """The LR of every planned epoch, as steps (the LR is constant within an epoch)."""

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent, background="w")
        self.setObjectName("lr_preview")
        self.setFixedHeight(110)  # resizing re-lays out its axes: rows shown or hidden above must not
        item = self.getPlotItem()
        item.hideButtons()
        item.setMenuEnabled(False)
        item.setMouseEnabled(x=False, y=False)
        item.showGrid(x=True, y=True, alpha=0.25)
        tick_font = QFont()
        tick_font.setPointSize(8)
        for side in ("left", "bottom"):
            axis = item.getAxis(side)
            axis.setPen(pg.mkPen(colors.TEXT))
            axis.setTextPen(pg.mkPen(colors.TEXT))
            axis.setTickFont(tick_font)
        item.getAxis("left").setWidth(44)
        self.curve = item.plot([0, 1], [0], stepMode="center", pen=pg.mkPen(colors.LEARNING_RATE, width=2.5))

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
    """Optimizer, learning rate and its schedule, regularization and the run settings of an Experiment.

    ``_show`` runs on every edit (up to 20 times a second while an LR is dragged): what depends on
    the optimizer, the schedule or the task is redone only when that changes."""

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__("training_panel", parent)
        self._devices: tuple[list[str], str] = (["cpu"], "")
        self._shown_optimizer: Optional[str] = None
        self._shown_schedule: Optional[tuple[str, bool]] = None
        self._shown_task: Optional[str] = None
        self._preview_shape: Optional[tuple] = None  # (epochs, schedule) of the factors drawn
        self._preview_lr: Optional[float] = None
        self._stack(self._build_optimizer(), self._build_schedule(), self._build_regularization(), self._build_run())
        align_labels(self.form_optim, self.form_schedule, self.form_reg, self.form_run)
        self.set_experiment(self._exp)

    # -- building ------------------------------------------------------------------------------
    def _build_optimizer(self) -> QGroupBox:
        box = QGroupBox("Optimizer")
        form = self.form_optim = FieldForm(self, box)

        self.optimizer = ChoiceCombo(OPTIMIZERS, "", "Optimizer", "Switching the optimizer goes back to its own "
                                     "default LR. " + LECTURE_ADAM, inherit=False, name="optimizer")
        for i, entry in enumerate(OPTIMIZERS):
            tip = rich_tip(entry.label, entry.tip, f"Default LR {format_number(entry.value.default_lr)}.")
            self.optimizer.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
        # lr None: the new optimizer's own default (SGD's 0.03 would be far too big for Adam)
        self.optimizer.currentIndexChanged.connect(
            lambda: self._emit({"optim.name": self.optimizer.choice(), "optim.lr": None}))
        form.add("Optimizer", self.optimizer, "optimizer", "optim.name")

        self.lr = LogControl("lr", *LR_RANGE)
        self.lr_slider, self.lr_value = self.lr.slider, self.lr.field
        self.lr.valueChanged.connect(lambda v: self._emit({"optim.lr": v}))
        form.add("LR", self.lr, "lr", "optim.lr")
        hint_row = QWidget()
        hint_row.setObjectName("lr_hint_row")
        line = QHBoxLayout(hint_row)
        line.setContentsMargins(0, 0, 0, 0)
        self.lr_hint = hint_label(object_name="lr_hint")
        self.lr_hint.setWordWrap(False)  # one line, always: a wrapping label asked for two and then gave them back
        self.lr_reset = QToolButton()
        self.lr_reset.setObjectName("lr_reset")
        self.lr_reset.setAutoRaise(True)
        self.lr_reset.setToolTip(rich_tip("Use the default", "Back to the optimizer's own default LR "
                                          "(the LR is then left out of the experiment file)."))
        self.lr_reset.clicked.connect(lambda: self._emit({"optim.lr": None}))
        line.addWidget(self.lr_hint, 1)
        line.addWidget(self.lr_reset)
        # as tall with the hint as with the button: the groups below stay put when they swap
        hint_row.setFixedHeight(max(self.lr_reset.sizeHint().height(), self.lr_hint.sizeHint().height()))
        form.addRow("", hint_row)

        self.momentum = NumberField("momentum", allow_empty=True, step=0.05)
        self.momentum.valueEdited.connect(lambda v: self._emit({"optim.momentum": v}))
        form.add("Momentum", self.momentum, "momentum", "optim.momentum", rich_tip(
            "Momentum (rho)", "How much of the last step's velocity is kept: the update rolls through noisy "
                              "gradients and shallow minima and speeds up along ravines. 0.9 is the usual value; "
                              "0 turns it off.", "Empty: this optimizer's default (shown in grey)."))

        self.beta1 = NumberField("beta1", allow_empty=True, step=0.01)
        self.beta2 = NumberField("beta2", allow_empty=True, step=0.001)
        form.add("β₁", self.beta1, "beta1", "optim.betas[0]", rich_tip(
            "beta1", "Decay of the running mean of the gradients: the momentum part. 0.9 keeps about the "
                     "last 10 steps.", "Empty: the default (shown in grey).", LECTURE_ADAM))
        form.add("β₂", self.beta2, "beta2", "optim.betas[1]", rich_tip(
            "beta2", "Decay of the running mean of the squared gradients: the RMSProp part that scales each "
                     "weight's step. 0.999 keeps about the last 1000 steps.", "Empty: the default (shown in "
                     "grey).", LECTURE_ADAM))
        self.marks.add("optim.betas", self.beta1, form.messages["beta1"])
        for field in (self.beta1, self.beta2):
            field.valueEdited.connect(self._on_betas)

        self.eps = NumberField("eps", allow_empty=True)
        self.eps.valueEdited.connect(lambda v: self._emit({"optim.eps": v}))
        form.add("Epsilon", self.eps, "eps", "optim.eps", rich_tip(
            "Epsilon", "A tiny number added to the denominator so that a weight whose gradients were all near 0 "
                       "does not get a huge step. Rarely changed.", "Empty: this optimizer's default (shown in "
                       "grey)."))
        # the fields of the parameters (OptimSpec fields) an optimizer's entry may list in its defaults
        self._optimizer_fields = {"momentum": (self.momentum,), "betas": (self.beta1, self.beta2),
                                  "eps": (self.eps,)}
        return box

    def _build_schedule(self) -> QGroupBox:
        box = QGroupBox("Learning-rate schedule")
        outer = QVBoxLayout(box)
        outer.setContentsMargins(0, 0, 0, 4)
        outer.setSpacing(0)
        form = self.form_schedule = FieldForm(self)

        self.schedule = ChoiceCombo(SCHEDULES, "", "Learning-rate schedule", LECTURE_DECAY, inherit=False,
                                    name="schedule")
        self.schedule.currentIndexChanged.connect(lambda: self._emit({"schedule.name": self.schedule.choice()}))
        form.add("Schedule", self.schedule, "schedule", "schedule.name")

        self.schedule_k = NumberField("schedule_k", step=0.01)
        self.schedule_k.valueEdited.connect(lambda v: self._emit({"schedule.k": v}))
        form.add("k", self.schedule_k, "schedule_k", "schedule.k", rich_tip(
            "Decay rate k", field_help(ScheduleSpec, "k"), "Exponential: lr = lr0 · e^(−kt); 1/t: lr = lr0 / "
            "(1 + kt). t counts epochs: with k = 0.1 the LR is about a third (exponential) or half (1/t) of "
            "lr0 after 10 epochs."))

        self.step_gamma = NumberField("step_gamma", step=0.05)
        self.step_gamma.valueEdited.connect(lambda v: self._emit({"schedule.gamma": v}))
        form.add("Gamma", self.step_gamma, "step_gamma", "schedule.gamma", rich_tip(
            "Gamma", field_help(ScheduleSpec, "gamma"), "0.5 halves the LR at every step, as in the lecture."))

        self.step_epochs = NumberField("step_epochs", integer=True, suffix=" epochs", step=1)
        self.step_epochs.valueEdited.connect(lambda v: self._emit({"schedule.step_epochs": v}))
        form.add("Every", self.step_epochs, "step_epochs", "schedule.step_epochs", rich_tip(
            "Step every", field_help(ScheduleSpec, "step_epochs"), "Step decay: decay the LR by half every "
            "few epochs."))

        self.warmup_epochs = NumberField("warmup_epochs", integer=True, zero_text="off", suffix=" epochs", step=1)
        self.warmup_epochs.valueEdited.connect(lambda v: self._emit({"schedule.warmup_epochs": v}))
        form.add("Warm-up", self.warmup_epochs, "warmup_epochs", "schedule.warmup_epochs", rich_tip(
            "Warm-up", field_help(ScheduleSpec, "warmup_epochs"), "Small steps while the weights are still "
            "random keep a large LR from throwing the network off at the start. 0 = off."))
        outer.addLayout(form)
        # what a full-batch optimizer's explanation replaces, put back when the optimizer changes again
        fields = (self.schedule_k, self.step_gamma, self.step_epochs, self.warmup_epochs)
        self._schedule_tips = {widget: widget.toolTip()
                               for widget in (*fields, *(form.labels[field.objectName()] for field in fields))}

        self.lr_preview = SchedulePreview()
        self.lr_preview.setToolTip(rich_tip(
            "LR over the run", "The learning rate of every planned epoch, from the LR, the schedule and the "
            "number of epochs. Nothing is trained to draw it."))
        self.preview_caption = hint_label(object_name="lr_preview_caption")
        self.preview_caption.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        outer.addWidget(self.lr_preview)
        outer.addWidget(self.preview_caption)
        return box

    def _build_regularization(self) -> QGroupBox:
        box = QGroupBox("Regularization")
        form = self.form_reg = FieldForm(self, box)
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
        form = self.form_run = FieldForm(self, box)

        self.epochs = NumberField("epochs", integer=True, step=10)
        self.epochs.valueEdited.connect(lambda v: self._emit({"train.epochs": v}))
        form.add("Epochs", self.epochs, "epochs", "train.epochs", rich_tip(
            "Epochs", "How many passes over the training set the run plans: the length of the schedule's "
                      "curve, and where training stops."))

        self.loss = compact_combo(QComboBox())
        self.loss.setObjectName("loss")
        self.loss.addItem("auto", "auto")
        for entry in LOSSES:
            self.loss.addItem(entry.label, entry.name)
            self.loss.setItemData(self.loss.count() - 1, rich_tip(entry.label, entry.tip), Qt.ItemDataRole.ToolTipRole)
        self.loss.currentIndexChanged.connect(lambda: self._emit({"train.loss": self.loss.currentData()}))
        form.add("Loss", self.loss, "loss", "train.loss", rich_tip(
            "Loss", field_help(TrainSpec, "loss"), *(f"{entry.label}: {entry.tip}" for entry in LOSSES)))

        self.reduction = compact_combo(QComboBox())
        self.reduction.setObjectName("reduction")
        for name, text in REDUCTIONS.items():
            self.reduction.addItem(text, name)
        self.reduction.currentIndexChanged.connect(
            lambda: self._emit({"train.reduction": self.reduction.currentData()}))
        form.add("Reduction", self.reduction, "reduction", "train.reduction", rich_tip("Reduction", REDUCTION_TIP))

        self.device = compact_combo(QComboBox())
        self.device.setObjectName("device")
        self.device.currentIndexChanged.connect(lambda: self._emit({"train.device": self.device.currentData()}))
        form.add("Device", self.device, "device", "train.device", rich_tip(
            "Device", "Where the tensors live. auto: a GPU if torch sees one, else the CPU. Tiny networks "
                      "are often faster on the CPU: each step is too small to keep a GPU busy."))
        self._fill_devices()

        self.train_seed = NumberField("train_seed", integer=True, step=1)
        self.train_seed.valueEdited.connect(lambda v: self._emit({"train.seed": v}))
        form.add("Seed", self.train_seed, "train_seed", "train.seed", rich_tip(
            "Training seed", field_help(TrainSpec, "seed"), "Change it to see how much a result depends on "
            "luck: the same network from other initial weights."))

        self.probe_every = NumberField("probe_every", integer=True, zero_text="off", suffix=" steps", step=10)
        self.probe_every.valueEdited.connect(lambda v: self._emit({"train.probe_every": v}))
        form.add("Probe every", self.probe_every, "probe_every", "train.probe_every", rich_tip(
            "Probe interval", field_help(TrainSpec, "probe_every"), "Probes record the histograms of "
            "activations and gradients per layer: where they vanish or explode. Fewer probes, faster "
            "training. 0 = off."))
        return box

    # -- showing a spec ------------------------------------------------------------------------
    def _show(self, exp: Experiment) -> None:
        optim, schedule, train = exp.optim, exp.schedule, exp.train
        entry = OPTIMIZERS.entry(optim.name)
        if optim.name != self._shown_optimizer:
            self._show_optimizer(entry)
        elif self.optimizer.choice() != optim.name:  # a refused choice
            self.optimizer.set_choice(optim.name)
        full_batch = entry.value.full_batch
        self.lr.setValue(resolved_lr(optim))
        self.lr_hint.setText("not used (line search)" if full_batch
                             else "(default) the optimizer's own LR" if optim.lr is None else "")
        self.lr_reset.setVisible(optim.lr is not None and not full_batch)
        self.momentum.setValue(optim.momentum)
        betas = optim.betas or (None, None)
        self.beta1.setValue(betas[0])
        self.beta2.setValue(betas[1])
        self.eps.setValue(optim.eps)

        if (schedule.name, full_batch) != self._shown_schedule:
            self._show_schedule(schedule.name, entry)
        elif self.schedule.choice() != schedule.name:  # a refused choice
            self.schedule.set_choice(schedule.name)
        self.schedule_k.setValue(schedule.k)
        self.step_gamma.setValue(schedule.gamma)
        self.step_epochs.setValue(schedule.step_epochs)
        self.warmup_epochs.setValue(schedule.warmup_epochs)
        if not full_batch:
            self._show_preview(exp)

        self.l2.setValue(optim.weight_decay)
        self.l1.setValue(optim.l1)

        self.epochs.setValue(train.epochs)
        task = DATASETS[exp.data.name].task
        if task != self._shown_task:
            self._shown_task = task
            auto = dataclasses.replace(exp, train=dataclasses.replace(train, loss="auto"))
            self.loss.setItemText(0, f"auto ({LOSSES.entry(resolved_loss(auto, task)).label})")
        self._choose(self.loss, train.loss)
        self._choose(self.reduction, train.reduction)
        if self.device.findData(train.device) < 0:  # a file written on a machine with a GPU
            self.device.addItem(f"{train.device} (not here: CPU)", train.device)
        self._choose(self.device, train.device)
        self.train_seed.setValue(train.seed)
        self.probe_every.setValue(train.probe_every)

    @staticmethod
    def _choose(combo: QComboBox, data: str) -> None:
        with signals_blocked(combo):
            combo.setCurrentIndex(combo.findData(data))

    def _show_optimizer(self, entry: Entry[Optimizer]) -> None:
        """The optimizer's own rows, defaults, LR tips: redone only when the optimizer changes."""
        self._shown_optimizer = entry.name
        self.optimizer.set_choice(entry.name)
        optimizer = entry.value
        for param, fields in self._optimizer_fields.items():
            used = param in optimizer.defaults
            default = optimizer.defaults.get(param)
            per_field = default if isinstance(default, (tuple, list)) else [default] * len(fields)
            for field, value in zip(fields, per_field):
                self.form_optim.set_row_visible(field.objectName(), used)
                field.setPlaceholderText(f"default ({format_number(value)})" if used else "")

        full_batch = optimizer.full_batch
        self.lr.setEnabled(not full_batch)
        self.lr_reset.setText(f"use default ({format_number(optimizer.default_lr)})")
        if full_batch:
            tip = rich_tip("Learning rate", f"{entry.label} {LINE_SEARCH}: there is no LR to tune.", entry.tip)
        else:
            default = format_number(optimizer.default_lr)
            tip = rich_tip("Learning rate", f"The size of each step against the gradient. "
                           f"{field_help(OptimSpec, 'lr')} {entry.label}'s default is {default}.", LECTURE_LR,
                           "Drag for the order of magnitude, type for an exact value (1e-3 works). The change "
                           "reaches a running training at its next step.")
        self.lr.setToolTip(tip)
        self.form_optim.labels["lr"].setToolTip(tip)

    def _show_schedule(self, name: str, entry: Entry[Optimizer]) -> None:
        """The schedule's own parameter rows, or, for an optimizer that picks each step by line
        search, why there is no schedule: redone only when either changes."""
        full_batch = entry.value.full_batch
        self._shown_schedule = (name, full_batch)
        self._preview_shape = None  # the caption said why there is no schedule: draw afresh
        self.schedule.set_choice(name)
        params = schedule_params(name)
        for param, row in SCHEDULE_ROWS.items():
            self.form_schedule.set_row_visible(row, param in params)
        why = rich_tip("No schedule", f"{entry.label} {LINE_SEARCH}: a schedule has nothing to scale.")
        self.schedule.setEnabled(not full_batch)
        if full_batch:
            self.schedule.setToolTip(why)
        for widget, own in self._schedule_tips.items():
            widget.setEnabled(not full_batch)
            widget.setToolTip(why if full_batch else own)
        self.lr_preview.setVisible(not full_batch)
        if full_batch:
            self.preview_caption.setText(f"No schedule: {entry.label} {LINE_SEARCH}, so there is no LR to "
                                         "scale.")

    def _show_preview(self, exp: Experiment) -> None:
        """The curve's shape depends on the schedule and the epochs only: a dragged LR just scales it."""
        lr0, epochs = resolved_lr(exp.optim), exp.train.epochs
        shape = (epochs, exp.schedule)
        if shape != self._preview_shape:
            self._preview_shape = shape
            # every epoch, or for a million of them PREVIEW_POINTS samples of the same function
            self._preview_epochs = (np.arange(epochs) if epochs <= PREVIEW_POINTS else
                                    np.unique(np.linspace(0, epochs - 1, PREVIEW_POINTS).round().astype(int)))
            self._preview_factors = np.asarray(lr_curve(exp.schedule, 1.0, epochs, self._preview_epochs))
        elif lr0 == self._preview_lr:
            return
        self._preview_lr = lr0
        lrs = lr0 * self._preview_factors
        self.lr_preview.set_curve(self._preview_epochs, lrs)
        self.preview_caption.setText(
            f"LR {format_number(lrs[0], 3)} → {format_number(lrs[-1], 3)} over {epochs} epochs")

    def set_devices(self, devices: list[str], auto: str) -> None:
        """What torch sees, as the training process reports it (the window's process has no torch)."""
        self._devices = (list(devices), auto)
        self._fill_devices()
        self.set_experiment(self._exp)

    def _fill_devices(self) -> None:
        devices, auto = self._devices
        with signals_blocked(self.device):
            self.device.clear()
            self.device.addItem(f"auto ({auto})" if auto else "auto", "auto")
            for name in devices:
                self.device.addItem(name, name)
        fit_popup(self.device)

    # -- user changes --------------------------------------------------------------------------
    def _on_betas(self) -> None:
        """An empty field is its default; a pair of defaults is left out of the experiment."""
        defaults = list(OPTIMIZERS[self._exp.optim.name].defaults.get("betas", (0.9, 0.999)))
        typed = (self.beta1.value(), self.beta2.value())
        betas = [d if t is None else t for t, d in zip(typed, defaults)]
        self._emit({"optim.betas": None if betas == defaults else betas})
