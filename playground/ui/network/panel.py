"""The network panel: the 'All layers' row above the columns, which columns the experiment needs,
and what a change or a snapshot does to them.

Edits follow the panel contract of ``forms.SpecPanel``. The panel is also a view of training
(``add(records)``, ``clear()``): snapshots of 2D data picture each unit and colour each weight.
Showing an experiment keeps every column whose layer type is still there and only updates its
controls, so that a stream of edits during training stays cheap.

A transfer run (``exp.transfer``) is drawn as the whole network ``core.validate.outline`` gives:
the backbone's blocks between the input and the head, each locked (frozen) or open, then the head,
whose layers are ``model.layers``. Clicking a block's lock proposes the strategy that trains that
block and every block above it (``transfer.strategy``, ``transfer.open_blocks``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from itertools import chain
from typing import Optional

import numpy as np
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QCheckBox, QFrame, QHBoxLayout, QScrollArea, QVBoxLayout, QWidget

from playground.core.backbones import BACKBONES, STRATEGIES
from playground.core.choices import DATASETS
from playground.core.pictures import latest_snapshot
from playground.core.plan import BlockPlan
from playground.core.spec import Experiment, ModelSpec, field_help
from playground.core.validate import Outline, data_shape, outline
from playground.ui.controls import ChoiceCombo, NumberField, caption
from playground.ui.forms import SpecPanel, rich_tip
from playground.ui.network.canvas import COLUMN_GAP, NetworkCanvas
from playground.ui.network.coloring import activation_scale, map_images
from playground.ui.network.columns import (REGISTRIES, RULES, AddColumn, AutoFlattenColumn, BackboneColumn,
                                           InputColumn, LayerColumn, OutputColumn)

LAYER_PATH = re.compile(r"^model\.layers\[(\d+)\]")
NEW_LAYERS = {"dense": {"type": "dense", "units": 4}, "conv": {"type": "conv", "channels": 8},
              "pool": {"type": "pool"}, "flatten": {"type": "flatten"}}
BLOCK_GAP = 2  # between two backbone blocks: thirteen ImageNet blocks stay close to the panel's width
TINTS = {"frozen": QColor("#e9ebef"), "trains": QColor("#e2eefa"), "fresh": QColor("#e2eefa")}
BLOCK_KINDS = {"conv": "a convolution (with its activation)", "dense": "a dense layer (with its activation)",
               "pool": "max pooling", "flatten": "flattens the maps into one vector"}


class NetworkPanel(SpecPanel):
    """The network builder: edits ``model.*`` and shows the units' pictures while training."""

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__("network_panel", parent)
        self.layer_columns: list[LayerColumn] = []
        self.backbone_columns: list[BackboneColumn] = []
        self._auto_columns: list[AutoFlattenColumn] = []
        self._parked: dict[str, list] = defaultdict(list)  # columns of layers no longer there, for reuse
        self._arrangement: Optional[tuple] = None
        self._plans: list[BlockPlan] = []  # the blocks model.layers makes (a transfer run's head)
        self.outline: Optional[Outline] = None  # the whole network shown; None if it does not plan
        self._sent_layer_list = False  # the last proposal was a new list of layers (indices may differ)
        self.input_column = InputColumn()
        self.output_column = OutputColumn()
        self.add_column = AddColumn(self.add_layer, self.remove_layer)
        self.buttons = self.add_column.buttons
        self.canvas = NetworkCanvas()
        self.scroll = QScrollArea()
        self.scroll.setObjectName("network_scroll")
        self.scroll.setWidget(self.canvas)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        self._presenting = False
        self._uses_normal = False
        self._defaults = self._defaults_row()
        layout.addLayout(self._defaults)
        layout.addWidget(self.scroll, 1)
        self.backbone_group = self.canvas.group("backbone")
        self.head_group = self.canvas.group("head")
        self.head_group.set_text("head", rich_tip("The head", "The layers on top of the backbone's features "
                                                  "(model.layers; none: a linear head), trained at the full LR."))
        self.marks.add("model.layers", self.add_column)
        self.marks.add("transfer", self.backbone_group.area)
        self.set_experiment(self._exp)

    # -- the 'All layers' row -------------------------------------------------------------------

    def _defaults_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(4)
        title = caption("All layers:", bold=True)
        title.setToolTip(rich_tip("Defaults for every layer", "A layer column can set its own; its controls "
                                  "show inherited values in grey."))
        row.addWidget(title)
        self.defaults: dict[str, QWidget] = {}
        for field, (registry, prefix, title_text) in REGISTRIES.items():
            combo = ChoiceCombo(registry, prefix, f"{title_text} of every layer", RULES[field], inherit=False,
                                name=f"default_{field}")
            combo.currentIndexChanged.connect(lambda _, f=field, c=combo: self._emit({f"model.{f}": c.choice()}))
            self.defaults[field] = combo
        std = NumberField("default_init_std", prefix="std ", width_text="std 0.0001")
        std.setToolTip(rich_tip("Std of the 'Normal (std)' init", field_help(ModelSpec, "init_std"),
                                "Shown while a layer uses the 'Normal (std)' init."))
        dropout = NumberField("default_dropout", prefix="drop ", step=0.05, width_text="drop 0.00")
        dropout.setToolTip(rich_tip("Dropout of every layer", RULES["dropout"]))
        for field, number in (("init_std", std), ("dropout", dropout)):
            number.valueEdited.connect(lambda value, f=field: self._emit({f"model.{f}": value}))
            number.refused.connect(lambda reason, f=field: self._refuse(f"model.{f}", reason))
            number.setMaximumWidth(number.sizeHint().width())
            self.defaults[field] = number
        for field in ("activation", "init", "init_std", "norm", "dropout"):
            row.addWidget(self.defaults[field])
            self.marks.add(f"model.{field}", self.defaults[field])
        self.per_layer = QCheckBox("per layer")
        self.per_layer.setObjectName("show_layer_settings")
        self.per_layer.setChecked(True)
        self.per_layer.setToolTip(rich_tip(
            "Show each layer's own settings", "Shows or hides the activation, init, norm and dropout under each "
            "layer column. Hiding them leaves more room for the units' pictures; the settings stay as they are."))
        self.per_layer.toggled.connect(self._show_layer_settings)
        row.addWidget(self.per_layer)
        row.addWidget(self.error_label, 1)  # refused values are explained here, in the row's free room
        row.addStretch(0)
        return row

    def set_presenting(self, on: bool) -> None:
        """Presentation mode: the network and its pictures, without the controls that edit it (the
        'All layers' row, each layer's settings, the add and remove buttons)."""
        self._presenting = on
        for i in range(self._defaults.count()):
            widget = self._defaults.itemAt(i).widget()
            if widget is not None and widget is not self.error_label:
                widget.setVisible(not on and (widget is not self.defaults["init_std"] or self._uses_normal))
        self.add_column.setVisible(not on)
        for column in self.layer_columns:
            for name in ("units_minus", "units_plus", "remove"):
                if name in column.named:
                    column.named[name].setVisible(not on)
        self._show_layer_settings(self.per_layer.isChecked())

    def _show_layer_settings(self, shown: bool) -> None:
        """The output column has no settings: its units (ten for the digits) keep the whole height."""
        self.output_column.settings_box.hide()
        shown = shown and not self._presenting
        for column in (self.input_column, *self.layer_columns, *self._auto_columns):
            column.settings_box.setVisible(shown)
        if self._arrangement is not None and self._arrangement[0] and not self.layer_columns:
            self.input_column.settings_box.hide()  # a linear head: no layer's rows to name beside the backbone

    # -- the contract ---------------------------------------------------------------------------

    def _show(self, exp: Experiment) -> None:
        self.marks.clear()  # a mark belongs to the experiment it was made for
        info = DATASETS[exp.data.name]
        model = exp.model
        self.outline = whole = self._outline(exp)
        self._plans = whole.head if whole is not None else self._unplanned(exp)
        backbone = whole.backbone if whole is not None else None
        blocks = [("block" if name in backbone.lockable else "thin") for name in backbone.names] if backbone else []
        head = ["auto" if p.spec_index is None else p.type for p in self._plans if p.type != "out"]
        arrangement = (exp.transfer.enabled, *blocks, *head)
        if arrangement != self._arrangement:
            self._arrange(arrangement)
        by_index = {p.spec_index: p for p in self._plans if p.spec_index is not None}
        shape = tuple(whole.input_shape) if whole is not None else self._input_shape(exp)
        input_size = shape[1] if info.kind == "image" and len(shape) == 3 else 0
        for column in self.layer_columns:
            column.show_layer(model, by_index.get(column.index), input_size)
        automatic = [p for p in self._plans if p.spec_index is None and p.type == "flatten"]
        for column, plan in zip(self._auto_columns, automatic):
            column.show_plan(plan)
        self._show_backbone(exp, whole, input_size)
        self.input_column.show_input(info, list(exp.data.features), shape if info.kind == "image" else None)
        names = [str(c) for c in exp.data.classes] if exp.data.classes is not None else None
        self.output_column.show_output(info, whole.classes if whole is not None else None, names)
        head_input = backbone.out_shape if backbone else shape
        images = info.kind == "image" and len(head_input) != 1
        self.add_column.show_buttons(images, len(model.layers), compact=exp.transfer.enabled and not images)
        for field in REGISTRIES:
            combo, choice = self.defaults[field], getattr(model, field)
            changed = combo.choice() != choice
            combo.set_choice(choice)
            if changed:
                combo.updateGeometry()  # its width follows its label: room for the whole one
        self.defaults["dropout"].setValue(model.dropout)
        self.defaults["init_std"].setValue(model.init_std)
        self._uses_normal = model.init == "normal" or any(layer.init == "normal" for layer in model.layers)
        self.defaults["init_std"].setVisible(self._uses_normal and not self._presenting)
        self.canvas.update()

    @staticmethod
    def _outline(exp: Experiment) -> Optional[Outline]:
        """The whole network as the run builds it, automatic flattens included. The window shows
        only valid experiments; a folder it cannot read yet is planned with the dataset's count of
        classes; should the network still not plan, None (its layers are drawn without shapes)."""
        try:
            return outline(exp)
        except ValueError:  # SpecError, ShapeError
            pass
        try:
            return outline(exp, classes=max(DATASETS[exp.data.name].num_classes, 2))
        except ValueError:
            return None

    @staticmethod
    def _unplanned(exp: Experiment) -> list[BlockPlan]:
        return [BlockPlan(f"{layer.type}{i}", layer.type, (), (), i) for i, layer in enumerate(exp.model.layers)]

    @staticmethod
    def _input_shape(exp: Experiment) -> tuple[int, ...]:
        try:
            return tuple(data_shape(exp))
        except ValueError:
            return ()

    def _show_backbone(self, exp: Experiment, whole: Optional[Outline], input_size: int) -> None:
        """Each block's shape, size and lock; the label over them."""
        transfer = exp.transfer
        if not transfer.enabled:
            self.canvas.set_tints({})
            return
        backbone = whole.backbone if whole is not None else None
        pretrained = STRATEGIES[transfer.strategy].pretrained
        opened = set(whole.open) if whole is not None else set()
        tints = {}
        # named here, not when arranged: another backbone can have blocks of the same kinds
        for column, name in zip(self.backbone_columns, backbone.names if backbone else []):
            lockable = column.kind == "block"
            state = ("" if not lockable else "fresh" if not pretrained else "trains" if name in opened else "frozen")
            kind = next((p.type for p in backbone.plans if p.name == name), "") if backbone.plans else "block"
            what = BLOCK_KINDS.get(kind, "a block of the pretrained network")
            column.show_block(name, backbone.shapes[name], backbone.parameters[name], state, what,
                              input_size if len(backbone.shapes[name]) == 3 else 0, transfer.backbone_lr)
            if state:
                tints[column] = TINTS[state]
        self.canvas.set_tints(tints)
        self.backbone_group.set_text(*self._backbone_label(exp, whole))

    @staticmethod
    def _backbone_label(exp: Experiment, whole: Optional[Outline]) -> tuple[str, str]:
        transfer = exp.transfer
        entry = BACKBONES.entry(transfer.backbone)
        name = transfer.backbone
        if BACKBONES[name].kind == "checkpoint" and not BACKBONES[name].file and transfer.path:
            name = transfer.path.replace("\\", "/").rsplit("/", 1)[-1]
        strategy = STRATEGIES.entry(transfer.strategy)
        if not STRATEGIES[transfer.strategy].pretrained:
            how = "fresh weights"
        elif transfer.head_epochs and whole is not None and whole.open:
            how = f"pretrained; opens after epoch {transfer.head_epochs}"
        else:
            how = "pretrained"
        if whole is None or whole.backbone is None:
            how = "cannot be read"
        tip = rich_tip(f"Backbone: {entry.label}", entry.tip, f"{strategy.label}: {strategy.tip}",
                       "Each block's lock says whether it trains; click a lock to choose what to fine-tune.")
        return f"backbone: {name} ({how})", tip

    def _arrange(self, arrangement: tuple) -> None:
        """Columns for a new sequence of column kinds (whether it is a transfer run first): each kind's
        columns are taken in order from those shown (and those parked earlier); only a kind's first
        use builds one."""
        transfer, kinds = arrangement[0], arrangement[1:]
        pool = defaultdict(list)
        for column in (*self.backbone_columns, *self.layer_columns, *self._auto_columns,
                       *chain.from_iterable(self._parked.values())):
            pool[column.kind].append(column)
        chosen = [pool[kind].pop(0) if pool[kind] else self._new_column(kind) for kind in kinds]
        self._parked = pool
        for column in chain.from_iterable(pool.values()):
            column.hide()
            if isinstance(column, LayerColumn):
                column.set_index(None)
            elif isinstance(column, BackboneColumn):
                column.set_name("")
        self.backbone_columns = [c for c in chosen if isinstance(c, BackboneColumn)]
        self.layer_columns = [c for c in chosen if isinstance(c, LayerColumn)]
        self._auto_columns = [c for c in chosen if isinstance(c, AutoFlattenColumn)]
        self.marks.targets = {path: target for path, target in self.marks.targets.items()
                              if not LAYER_PATH.match(path)}
        for index, column in enumerate(self.layer_columns):
            column.set_index(index)
            self.marks.add(column.path(), column)
            for field, control in column.fields.items():
                self.marks.add(column.path(field), control)
        columns = [self.input_column, *chosen, self.add_column, self.output_column]
        blocks = len(self.backbone_columns)
        gaps = [BLOCK_GAP if 1 <= i < blocks else COLUMN_GAP for i in range(len(columns) - 1)]
        head = [c for c in chosen if not isinstance(c, BackboneColumn)] + [self.add_column, self.output_column]
        groups = {"backbone": self.backbone_columns or [self.input_column], "head": head} if transfer else {}
        self.canvas.arrange(columns, shaded=self.layer_columns, dashed=self.add_column, groups=groups, gaps=gaps)
        self._arrangement = arrangement
        self.set_presenting(self._presenting)  # new columns come with their edit buttons

    def _new_column(self, kind: str) -> QWidget:
        if kind in ("block", "thin"):
            column = BackboneColumn(kind, self.toggle_block)
        elif kind == "auto":
            column = AutoFlattenColumn()
        else:
            column = LayerColumn(kind, self._emit, self._refuse, self.remove_layer)
        column.setParent(self.canvas)
        return column

    def show_error(self, path: Optional[str], message: str = "") -> None:
        """Mark the control that edits ``path``. After a new list of layers was proposed, the indices
        in a refusal count the proposed layers, not the columns shown: it is marked on the add
        column and explained with the layer's number."""
        index = LAYER_PATH.match(path or "")
        if index is not None and self._sent_layer_list:
            self.marks.show("model.layers", message)
            self.error_label.setText(f"Layer {int(index.group(1)) + 1}: {message}")
            return
        self.marks.show(path, message)

    def _emit(self, changes: dict) -> None:
        self._sent_layer_list = "model.layers" in changes
        super()._emit(changes)

    # -- choosing what to fine-tune ----------------------------------------------------------------

    def toggle_block(self, name: str) -> None:
        """A lock clicked: open this block and every block above it, or, if it is the lowest open
        block, close it (the blocks above stay open)."""
        whole = self.outline
        if whole is None or whole.backbone is None or not STRATEGIES[self._exp.transfer.strategy].pretrained:
            return
        lockable = whole.backbone.lockable
        if name not in lockable:
            return
        k, n = lockable.index(name), len(lockable)
        if list(whole.open) == lockable[k:]:  # the lowest open block: it closes
            changes = ({"transfer.strategy": "linear_probe"} if k == n - 1 else
                       {"transfer.strategy": "fine_tune_top", "transfer.open_blocks": n - k - 1})
        else:
            changes = ({"transfer.strategy": "fine_tune_all"} if k == 0 else
                       {"transfer.strategy": "fine_tune_top", "transfer.open_blocks": n - k})
        self._emit(changes)

    # -- editing the list of layers -------------------------------------------------------------

    def add_layer(self, layer_type: str = "dense") -> None:
        """Dense layers go last; conv, pool and flatten after the last conv or pool layer, before any
        flatten or dense layer, where their image-shaped input is."""
        layers = [layer.to_dict() for layer in self._exp.model.layers]
        at = len(layers)
        if layer_type != "dense":
            at = next((i for i, layer in enumerate(layers) if layer["type"] in ("dense", "flatten")), at)
        layers.insert(at, dict(NEW_LAYERS[layer_type]))
        self._emit({"model.layers": layers})

    def remove_layer(self, index: Optional[int] = None) -> None:
        layers = [layer.to_dict() for layer in self._exp.model.layers]
        if layers:
            layers.pop(len(layers) - 1 if index is None else index)
            self._emit({"model.layers": layers})

    # -- a view of training ----------------------------------------------------------------------

    def add(self, records: list[dict]) -> None:
        """Draw the newest points snapshot of the batch (older ones would be painted over at once)."""
        latest = latest_snapshot(records, "points")
        if latest is not None:
            self.set_snapshot(latest)

    def clear(self) -> None:
        """A new run: its untrained network has other pictures and weights."""
        for column in (*self.layer_columns, self.output_column):
            if column.band is not None:
                column.band.set_images([])
        self.canvas.clear_weights()

    def set_snapshot(self, snap: dict) -> None:
        """Unit pictures and connection pens from a points snapshot. Anything that does not match the
        network shown is left out: a snapshot of the previous network can arrive after an edit."""
        if snap.get("kind") != "points":
            return
        dense = [(column, plan) for column, plan in zip(self.layer_columns, self._layer_plans())
                 if column.kind == "dense"]
        for (column, plan), maps in zip(dense, snap.get("units") or []):
            if maps is None or column.band.compact or plan is None or np.shape(maps)[0] != column.band.count:
                continue
            maps = np.asarray(maps)
            column.band.set_images(map_images(maps, activation_scale(maps, plan.activation)))
        field = snap.get("field")
        band = self.output_column.band
        if field is not None:
            field = np.asarray(field, dtype=np.float64)
            if DATASETS[self._exp.data.name].task == "regression":
                band.set_images(map_images(field[None], activation_scale(field, "linear")))
            elif band.count == 2:  # P(class 0) in orange, P(class 1) in blue, as the data points
                band.set_images(map_images(np.stack([field - 1.0, field]), 1.0))
        self.canvas.set_weights(list(snap.get("weights") or []))

    def _layer_plans(self) -> list[Optional[BlockPlan]]:
        by_index = {p.spec_index: p for p in self._plans if p.spec_index is not None}
        return [by_index.get(i) for i in range(len(self.layer_columns))]
