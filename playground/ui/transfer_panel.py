"""The transfer panel: which pretrained network to start from (the backbone), where to cut it, which of
its blocks train and how fast, and the two comparisons that show what the pretrained weights are worth.

It shows an Experiment and proposes changes as ``{path: value}`` through ``edited``; the window
validates them. Choosing a backbone proposes what the data must become for it (``backbone_changes``).
``compare_requested`` and ``sweep_requested`` ask the window to run the comparisons. Like every panel
of the window's process it never imports torch: the backbones are described by their registry and
their plans.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Optional

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QButtonGroup, QComboBox, QFileDialog, QGroupBox, QHBoxLayout, QPushButton,
                               QRadioButton, QSpinBox, QVBoxLayout, QWidget)
from superqt.utils import signals_blocked

from playground.core.backbones import BACKBONES, STRATEGIES, BackbonePlan, backbone_plan
from playground.core.download import cached_path, hub_checkpoints_dir
from playground.core.errors import SpecError
from playground.core.optimizers import resolved_lr
from playground.core.paths import resolve_path
from playground.core.registry import Registry
from playground.core.spec import Experiment, TransferSpec, field_help
from playground.core.validate import MAX_STEP_ACTIVATIONS, backbone_activations, data_shape
from playground.ui.controls import ChoiceCombo, LogControl, NumberField, PathRow, format_number
from playground.ui.forms import (FieldForm, SpecPanel, align_labels, compact_combo, fit_popup, hint_label,
                                 message_label, rich_tip)
from playground.ui.image_fields import SAMPLE_FOLDER, portable_path, shown_path

NONE_LABEL = "None (train from scratch as usual)"
BACKBONE_LR_RANGE = (0.001, 1.0)
GLYPH_PAIR = {"data.name": "glyphs", "data.n_samples": 4000, "data.classes": list(range(30, 40)), "data.per_class": 5,
              "train.batch_size": 0, "optim.name": "adam", "optim.lr": 0.01}  # as the transfer presets train it
MAX_IMAGENET_BATCH = 16

LECTURE_RULE = ("Lecture: very little data → linear probe; more data → fine-tune the top blocks; a lot of "
                "data → fine-tune more of the network.")
WHAT_IS_TRANSFER = ("Transfer learning starts from a network already trained on a large data set (the backbone) "
                    "and trains a new head for your classes: with few examples it beats training from scratch.\n"
                    "Pick a backbone above, or load a Transfer preset from the Presets menu.")
COMPARE_TIP = ("Trains this experiment and the same one with the strategy 'from scratch' (same network, fresh "
               "weights) side by side: what the pretrained weights are worth.")
SWEEP_TIP = ("Trains with several numbers of examples per class, pretrained and from scratch, and plots the "
             "validation accuracy against them: transfer learning helps most where data is scarce.")


# -- what a backbone asks of the rest of the experiment --------------------------------------------


def backbone_changes(exp: Experiment, backbone: str, path: Optional[str] = None) -> dict:
    """What choosing ``backbone`` (with ``path`` for "checkpoint") proposes: the choice, and what the
    rest of the experiment must become for the window to accept it. Picking a backbone is one click,
    so it should not be refused for a reason the panel can foresee:

    - ``none``: only the choice; the data and the head stay, an ordinary run on them.
    - The first backbone of an ordinary run gets a linear head (``model.layers`` empty): the
      lecture's starting point, a linear classifier on the pretrained features; + layer adds more.
    - Any backbone: the cut goes back to the backbone's feature end (another backbone's block names
      mean nothing here), ``open_blocks`` to at most the blocks it has, and a head of conv, pool and
      flatten layers keeps its dense layers (the feature end is a vector).
    - ImageNet networks (mobilenet_v3_small, resnet18) saw photos normalized by the ImageNet mean and
      std: preprocess ``imagenet``, and a folder of photos (the shipped sample unless a folder is
      chosen), since generated 8x8 or 16x16 grey pictures are not what they know. A step holds millions
      of numbers per photo, so a full batch becomes the largest that fits (at most 16).
    - glyphs_cnn learned glyph classes 0-29: other data than glyphs or a folder becomes the pair it was
      made for, classes 30-39 it never saw, 5 examples of each, trained as the transfer presets train
      it (Adam at 0.01 on the full batch of 50: SGD at 0.03 in batches of 10 barely moves in 100 epochs).
    - A playground checkpoint sees inputs preprocessed as in its own run; data of another shape than
      its own becomes its own dataset (a folder is resized for it and stays).
    """
    changes: dict = {"transfer.backbone": backbone}
    if backbone == "none":
        return changes
    changes["transfer.cut"] = None
    if path is not None:
        changes["transfer.path"] = path
    data = exp.data
    entry = BACKBONES[backbone]
    candidate = dataclasses.replace(exp, transfer=dataclasses.replace(
        exp.transfer, backbone=backbone, cut=None, path=path if path is not None else exp.transfer.path))
    if entry.kind == "imagenet":
        changes["data.preprocess"] = "imagenet"
        if data.name != "folder":
            changes.update({"data.name": "folder", "data.path": SAMPLE_FOLDER, "data.classes": None})
    elif backbone == "glyphs_cnn" and data.name not in ("glyphs", "folder"):
        changes.update(GLYPH_PAIR)
    try:
        plan = backbone_plan(candidate)
    except SpecError:  # a checkpoint not chosen yet, or unreadable: the window says why
        plan = None
    if plan is not None and plan.source is not None:
        source = plan.source
        if "data.name" not in changes and data.name != "folder" and tuple(data_shape(exp)) != plan.input_shape:
            changes.update({"data.name": source.data.name, "data.classes": None})
        if changes.get("data.preprocess", data.preprocess) != source.data.preprocess:
            changes["data.preprocess"] = source.data.preprocess
    if plan is not None:
        if STRATEGIES[exp.transfer.strategy].opens == "top" and exp.transfer.open_blocks > len(plan.lockable):
            changes["transfer.open_blocks"] = max(len(plan.lockable), 1)
        if not exp.transfer.enabled:
            changes["model.layers"] = []
        elif len(plan.out_shape) == 1 and any(layer.type != "dense" for layer in exp.model.layers):
            changes["model.layers"] = [layer.to_dict() for layer in exp.model.layers if layer.type == "dense"]
        if entry.kind == "imagenet":
            fits = MAX_STEP_ACTIVATIONS // max(backbone_activations(plan), 1)
            largest = max(1 << (min(fits, MAX_IMAGENET_BATCH).bit_length() - 1), 1) if fits else 1
            if exp.train.batch_size == 0 or exp.train.batch_size > largest:
                changes["train.batch_size"] = largest
    return changes


def _backbone_choices() -> Registry:
    """The backbone registry with "none" first, as the combo box lists them."""
    choices: Registry = Registry("backbone")
    choices.add("none", None, NONE_LABEL, "An ordinary run: every weight starts random and trains at the full LR.")
    for entry in BACKBONES:
        choices.add(entry.name, entry.value, entry.label, entry.tip)
    return choices


def weights_text(backbone: str) -> tuple[str, str]:
    """Where an ImageNet backbone's weights come from, as a line and a tooltip: the published file,
    its size, and torch's cache, where it is downloaded on first use (or already is)."""
    weights = BACKBONES[backbone].weights
    if weights is None:
        return "", ""
    folder = hub_checkpoints_dir()
    home = os.path.expanduser("~")
    where = "~" + str(folder)[len(home):] if home not in ("", "/") and str(folder).startswith(home) else str(folder)
    size = f"{weights.size / 2 ** 20:.1f} MB"
    if cached_path(weights).exists():
        text = f"Weights: {weights.name} ({size}), cached in {where}"
    else:
        text = f"Weights: {weights.name} ({size}), downloaded on first use into {where}"
    tip = rich_tip("Pretrained weights", f"{weights.url}", f"Kept in {folder} (torch's own cache; set TORCH_HOME "
                   "to use another). Without internet, download the file elsewhere and copy it there; its "
                   "SHA-256 checksum is checked before every use.")
    # a long path has no spaces to wrap at: let it break after each separator
    return text.replace(os.sep, os.sep + "\u200b"), tip


def _blocks_text(names: list[str]) -> str:
    if len(names) <= 4:
        return ", ".join(names)
    return f"{names[0]} … {names[-1]} ({len(names)} blocks)"


# -- the panel ------------------------------------------------------------------------------------


class TransferPanel(SpecPanel):
    """Backbone, cut, strategy, open blocks, backbone LR and the two phases of an Experiment.

    Signals besides ``edited``: ``compare_requested`` (Compare with scratch) and ``sweep_requested``
    (Few-shot sweep…), enabled only while a backbone is set (Compare also not when the strategy is
    already scratch). ``choose_checkpoint(path)`` proposes a checkpoint file as the File… button does
    after its dialog."""

    compare_requested = Signal()
    sweep_requested = Signal()

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__("transfer_panel", parent)
        self._shown_plan_key: Optional[tuple] = None
        self._plan: Optional[BackbonePlan] = None  # the whole backbone, uncut
        self._plan_error = ""
        self.backbone_box = self._build_backbone()
        self.training_box = self._build_training()
        self._stack(self.backbone_box, self.training_box, self._build_compare())
        align_labels(self.form_backbone, self.form_training)
        self.set_experiment(self._exp)

    # -- building ------------------------------------------------------------------------------
    def _build_backbone(self) -> QGroupBox:
        box = QGroupBox("Transfer learning: backbone")
        outer = QVBoxLayout(box)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.setSpacing(2)
        # the whole width, named by the group's title: "None (train from scratch as usual)" fits whole
        self.backbone = ChoiceCombo(_backbone_choices(), "", "Backbone", "The pretrained network whose "
                                    "features the new head reuses. " + LECTURE_RULE, inherit=False, name="backbone")
        self.backbone.currentIndexChanged.connect(self._on_backbone)
        backbone_message = message_label("error_backbone")
        self.marks.add("transfer.backbone", self.backbone, backbone_message)
        outer.addWidget(self.backbone)
        outer.addWidget(backbone_message)
        form = self.form_backbone = FieldForm(self)

        row = PathRow("checkpoint", "File…", rich_tip(
            "Choose a checkpoint", "The .safetensors file of a playground run (Save, or `playground run`): its "
            "network up to the cut becomes the backbone, its experiment tells the input it expects."),
            self._ask_checkpoint_and_choose)
        self.checkpoint_path, self.checkpoint_button = row.label, row.button
        form.add("File", row, "checkpoint", "transfer.path", rich_tip("Checkpoint", field_help(TransferSpec, "path")))

        self.cut = compact_combo(QComboBox(), 10)
        self.cut.setObjectName("cut")
        self.cut.currentIndexChanged.connect(self._on_cut)
        form.add("Cut after", self.cut, "cut", "transfer.cut", rich_tip(
            "Cut after", field_help(TransferSpec, "cut"), "Early blocks compute general features (edges, "
            "strokes), late blocks features of the task they learned. A different new task may do better "
            "with an earlier cut; the head then gets the bigger output of that block."))
        outer.addLayout(form)
        self.backbone_hint = hint_label(object_name="backbone_hint")
        outer.addWidget(self.backbone_hint)
        return box

    def _build_training(self) -> QGroupBox:
        box = QGroupBox("What trains")
        box.setObjectName("training_box")
        outer = QVBoxLayout(box)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.setSpacing(2)

        outer.addWidget(hint_label(LECTURE_RULE, "lecture_hint"))
        holder = QWidget()
        holder.setObjectName("strategy")
        column = QVBoxLayout(holder)
        column.setContentsMargins(2, 0, 0, 0)
        column.setSpacing(1)
        self.strategy_group = QButtonGroup(self)
        self.strategy_buttons: dict[str, QRadioButton] = {}
        for entry in STRATEGIES:
            button = QRadioButton(entry.label)
            button.setObjectName(f"strategy_{entry.name}")
            button.setToolTip(rich_tip(entry.label, entry.tip, LECTURE_RULE))
            self.strategy_group.addButton(button)
            self.strategy_buttons[entry.name] = button
            column.addWidget(button)
        self.strategy_group.buttonToggled.connect(self._on_strategy)
        strategy_message = message_label("error_strategy")
        self.marks.add("transfer.strategy", holder, strategy_message)
        outer.addWidget(holder)
        outer.addWidget(strategy_message)
        self.strategy_hint = hint_label(object_name="strategy_hint")
        outer.addWidget(self.strategy_hint)

        form = self.form_training = FieldForm(self)
        self.open_blocks = QSpinBox()
        self.open_blocks.setObjectName("open_blocks")
        self.open_blocks.setKeyboardTracking(False)  # typed digits are proposed when the typing ends
        self.open_blocks.setPrefix("top ")
        self.open_blocks.setMinimum(1)
        self.open_blocks.valueChanged.connect(lambda v: self._emit({"transfer.open_blocks": v}))
        form.add("Open", self.open_blocks, "open_blocks", "transfer.open_blocks", rich_tip(
            "Open blocks", field_help(TransferSpec, "open_blocks"), "The top blocks hold the features most "
            "specific to the backbone's own task: open them first, and more of them the more data you have."))

        self.backbone_lr = LogControl("backbone_lr", *BACKBONE_LR_RANGE)
        self.backbone_lr.valueChanged.connect(lambda v: self._emit({"transfer.backbone_lr": v}))
        form.add("Backbone LR", self.backbone_lr, "backbone_lr", "transfer.backbone_lr", rich_tip(
            "Backbone LR (a share of the LR)", field_help(TransferSpec, "backbone_lr"), "The open backbone "
            "blocks step at this share of the head's LR (their own parameter group): big steps would wipe "
            "out the pretrained features before the new head has learned anything. 1 = the same LR."))
        self.backbone_lr_hint = hint_label(object_name="backbone_lr_hint")
        form.addRow("", self.backbone_lr_hint)

        self.head_epochs = NumberField("head_epochs", integer=True, zero_text="off", suffix=" epochs", step=1)
        self.head_epochs.valueEdited.connect(lambda v: self._emit({"transfer.head_epochs": v}))
        form.add("Head only", self.head_epochs, "head_epochs", "transfer.head_epochs", rich_tip(
            "Phase one: the head only", field_help(TransferSpec, "head_epochs"), "A new head starts random, and "
            "its first large gradients flow into the backbone: train the head alone first, then open the "
            "blocks. 0 = off: one phase."))
        outer.addLayout(form)
        return box

    def _build_compare(self) -> QGroupBox:
        box = QGroupBox("Is it worth it?")
        line = QHBoxLayout(box)
        line.setContentsMargins(4, 4, 4, 4)
        line.setSpacing(4)
        self.compare_button = QPushButton("Compare with scratch")
        self.compare_button.setObjectName("compare_button")
        self.compare_button.clicked.connect(self.compare_requested)
        self.sweep_button = QPushButton("Few-shot sweep…")
        self.sweep_button.setObjectName("sweep_button")
        self.sweep_button.setToolTip(rich_tip("Few-shot sweep", SWEEP_TIP))
        self.sweep_button.clicked.connect(self.sweep_requested)
        line.addWidget(self.compare_button)
        line.addWidget(self.sweep_button)
        return box

    # -- showing a spec ------------------------------------------------------------------------
    def _show(self, exp: Experiment) -> None:
        transfer = exp.transfer
        if self.backbone.choice() != transfer.backbone:
            self.backbone.set_choice(transfer.backbone)
        enabled = transfer.enabled
        checkpoint = transfer.backbone == "checkpoint"
        self.form_backbone.set_row_visible("checkpoint", checkpoint)
        self.checkpoint_path.set_full_text(shown_path(transfer.path) if transfer.path else "no file chosen")
        self.checkpoint_path.setToolTip(str(resolve_path(transfer.path)) if transfer.path else "")
        self._show_plan(exp)
        self.form_backbone.set_row_visible("cut", enabled)
        self.training_box.setVisible(enabled)
        self._show_backbone_hint(exp)
        self._show_strategy(exp)
        for button in (self.compare_button, self.sweep_button):
            button.setEnabled(enabled)
        scratch = transfer.strategy == "scratch"
        self.compare_button.setEnabled(enabled and not scratch)
        self.compare_button.setToolTip(rich_tip("Compare with scratch", COMPARE_TIP, (
            "This experiment already trains from scratch: choose a pretrained strategy to compare." if scratch
            else "" if enabled else "Choose a backbone first.")))

    def _show_plan(self, exp: Experiment) -> None:
        """The backbone's blocks for the cut's choices: read again only when the backbone changes."""
        transfer = exp.transfer
        key = (transfer.backbone, transfer.path)
        if key != self._shown_plan_key:
            self._shown_plan_key = key
            self._plan, self._plan_error = None, ""
            if transfer.enabled:
                whole = dataclasses.replace(exp, transfer=dataclasses.replace(transfer, cut=None))
                try:
                    self._plan = backbone_plan(whole)
                except SpecError as error:
                    self._plan_error = error.problem
            with signals_blocked(self.cut):
                self.cut.clear()
                for name in self._plan.names if self._plan else []:
                    shape = "×".join(map(str, self._plan.shapes[name]))
                    self.cut.addItem(f"{name} ({shape})", name)
                    self.cut.setItemData(self.cut.count() - 1, rich_tip(
                        name, f"Output {shape}; {self._plan.parameters[name]:,} parameters."),
                        Qt.ItemDataRole.ToolTipRole)
            fit_popup(self.cut)
        self.cut.setEnabled(self._plan is not None)
        with signals_blocked(self.cut):
            chosen = transfer.cut or (self._plan.names[-1] if self._plan else None)
            self.cut.setCurrentIndex(max(self.cut.findData(chosen), 0))

    def _kept(self, exp: Experiment) -> list[str]:
        """The lockable blocks up to the cut."""
        if self._plan is None:
            return []
        names = self._plan.names
        cut = exp.transfer.cut if exp.transfer.cut in names else names[-1]
        kept = names[:names.index(cut) + 1]
        return [name for name in self._plan.lockable if name in kept]

    def _show_backbone_hint(self, exp: Experiment) -> None:
        transfer = exp.transfer
        if not transfer.enabled:
            self.backbone_hint.setText(WHAT_IS_TRANSFER)
            self.backbone_hint.setToolTip("")
            return
        entry = BACKBONES.entry(transfer.backbone)
        if self._plan_error:
            lines = [self._plan_error]
        elif entry.value.kind == "imagenet":
            text, tip = weights_text(transfer.backbone)
            self.backbone_hint.setToolTip(tip)
            lines = [f"Takes 224×224 colour photos; {sum(self._plan.parameters.values()):,} parameters.", text]
        else:
            source = self._plan.source
            learned = source.description.splitlines()[0] if source.description else source.title
            shape = "×".join(map(str, self._plan.input_shape))
            lines = [learned or f"Trained on {source.data.name}.",
                     f"Takes {shape} inputs; {len(self._plan.lockable)} blocks with weights."]
            self.backbone_hint.setToolTip(rich_tip(entry.label, entry.tip))
        self.backbone_hint.setText("\n".join(lines))

    def _show_strategy(self, exp: Experiment) -> None:
        transfer = exp.transfer
        for name, button in self.strategy_buttons.items():
            with signals_blocked(button):
                button.setChecked(name == transfer.strategy)
        opens = STRATEGIES[transfer.strategy].opens
        pretrained = STRATEGIES[transfer.strategy].pretrained
        kept = self._kept(exp)
        self.form_training.set_row_visible("open_blocks", opens == "top")
        with signals_blocked(self.open_blocks):
            self.open_blocks.setMaximum(max(len(kept), 1))
            self.open_blocks.setSuffix(f" of {len(kept)}")
            self.open_blocks.setValue(transfer.open_blocks)
        tuned = pretrained and opens != "none"
        self.form_training.set_row_visible("backbone_lr", tuned)
        self.form_training.setRowVisible(self.backbone_lr_hint, tuned)
        self.backbone_lr.setValue(transfer.backbone_lr)
        lr = resolved_lr(exp.optim)
        self.backbone_lr_hint.setText(f"= {format_number(lr * transfer.backbone_lr, 3)} for the backbone, "
                                      f"{format_number(lr, 3)} for the head")
        self.form_training.set_row_visible("head_epochs", tuned)
        self.head_epochs.setValue(transfer.head_epochs)

        opened = {"none": 0, "top": min(transfer.open_blocks, len(kept)), "all": len(kept)}[opens]
        frozen, trains = kept[:len(kept) - opened], kept[len(kept) - opened:]
        if not pretrained:
            here = "Here: every block starts from fresh random weights and trains at the full LR."
        elif not trains:
            here = f"Here: {_blocks_text(frozen)} frozen; only the head trains."
        else:
            here = (f"Here: {_blocks_text(frozen) + ' frozen; ' if frozen else ''}{_blocks_text(trains)} and "
                    "the head train.")
        # the registry speaks of spec fields; the panel of its rows
        tip = STRATEGIES.entry(transfer.strategy).tip.replace("transfer.open_blocks blocks", "blocks (Open)").replace(
            "(backbone_lr, 0.1 by default)", "(Backbone LR)")
        self.strategy_hint.setText(f"{tip}\n{here}")

    # -- user changes --------------------------------------------------------------------------
    def _on_backbone(self) -> None:
        if self._updating:
            return
        name = self.backbone.choice()
        path = None
        if name == "checkpoint" and not self._exp.transfer.path:
            path = self._ask_checkpoint()
            if not path:  # cancelled: the combo shows the experiment's backbone again
                self.set_experiment(self._exp)
                return
        self._emit(backbone_changes(self._exp, name, path))

    def _ask_checkpoint(self) -> str:
        start = str(resolve_path(self._exp.transfer.path).parent) if self._exp.transfer.path else os.path.expanduser("~")
        path, _ = QFileDialog.getOpenFileName(self, "Choose the checkpoint of a playground run", start,
                                              "Playground checkpoints (*.safetensors)")
        return portable_path(path) if path else ""

    def _ask_checkpoint_and_choose(self) -> None:
        path = self._ask_checkpoint()
        if path:
            self.choose_checkpoint(path)

    def choose_checkpoint(self, path: str) -> None:
        """Propose the checkpoint file ``path`` as the backbone: what the File… button does once its
        dialog is answered."""
        self._emit(backbone_changes(self._exp, "checkpoint", portable_path(path)))

    def _on_cut(self) -> None:
        name = self.cut.currentData()
        if name is None or self._plan is None:
            return
        changes: dict = {"transfer.cut": None if name == self._plan.names[-1] else name}
        kept = self._plan.names[:self._plan.names.index(name) + 1]
        lockable = [block for block in self._plan.lockable if block in kept]
        transfer = self._exp.transfer
        if STRATEGIES[transfer.strategy].opens == "top" and transfer.open_blocks > len(lockable):
            changes["transfer.open_blocks"] = max(len(lockable), 1)
        self._emit(changes)

    def _on_strategy(self, button: QRadioButton, checked: bool) -> None:
        if not checked:
            return
        name = next(n for n, b in self.strategy_buttons.items() if b is button)
        changes: dict = {"transfer.strategy": name}
        kept = self._kept(self._exp)
        if STRATEGIES[name].opens == "top" and kept and self._exp.transfer.open_blocks > len(kept):
            changes["transfer.open_blocks"] = len(kept)  # what was asked of a longer backbone
        self._emit(changes)
