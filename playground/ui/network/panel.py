"""The network panel: the 'All layers' row above the columns, which columns the experiment needs,
and what a change or a snapshot does to them.

Edits follow the panel contract of ``forms.SpecPanel``. The panel is also a view of training
(``add(records)``, ``clear()``): snapshots of 2D data picture each unit and colour each weight.
Showing an experiment keeps every column whose layer type is still there and only updates its
controls, so that a stream of edits during training stays cheap.
"""

from __future__ import annotations

import re
from collections import defaultdict
from itertools import chain
from typing import Optional

import numpy as np
from PySide6.QtWidgets import QCheckBox, QFrame, QHBoxLayout, QScrollArea, QVBoxLayout, QWidget

from playground.core.choices import DATASETS
from playground.core.pictures import latest_snapshot
from playground.core.plan import BlockPlan, plan_blocks
from playground.core.spec import Experiment, ModelSpec, field_help
from playground.ui.controls import ChoiceCombo, NumberField, caption
from playground.ui.forms import SpecPanel, rich_tip
from playground.ui.network.canvas import NetworkCanvas
from playground.ui.network.coloring import activation_scale, map_images
from playground.ui.network.columns import (REGISTRIES, RULES, AddColumn, AutoFlattenColumn, InputColumn,
                                           LayerColumn, OutputColumn)

LAYER_PATH = re.compile(r"^model\.layers\[(\d+)\]")
NEW_LAYERS = {"dense": {"type": "dense", "units": 4}, "conv": {"type": "conv", "channels": 8},
              "pool": {"type": "pool"}, "flatten": {"type": "flatten"}}


class NetworkPanel(SpecPanel):
    """The network builder: edits ``model.*`` and shows the units' pictures while training."""

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__("network_panel", parent)
        self.layer_columns: list[LayerColumn] = []
        self._auto_columns: list[AutoFlattenColumn] = []
        self._parked: dict[str, list] = defaultdict(list)  # columns of layers no longer there, for reuse
        self._arrangement: Optional[tuple] = None
        self._plans: list[BlockPlan] = []
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
        layout.addLayout(self._defaults_row())
        layout.addWidget(self.scroll, 1)
        self.marks.add("model.layers", self.add_column)
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

    def _show_layer_settings(self, shown: bool) -> None:
        """The output column has no settings: its units (ten for the digits) keep the whole height."""
        self.output_column.settings_box.hide()
        for column in (self.input_column, *self.layer_columns, *self._auto_columns):
            column.settings_box.setVisible(shown)

    # -- the contract ---------------------------------------------------------------------------

    def _show(self, exp: Experiment) -> None:
        self.marks.clear()  # a mark belongs to the experiment it was made for
        info = DATASETS[exp.data.name]
        model = exp.model
        self._plans = self._plan(exp)
        arrangement = tuple("auto" if p.spec_index is None else p.type for p in self._plans if p.type != "out")
        if arrangement != self._arrangement:
            self._arrange(arrangement)
        by_index = {p.spec_index: p for p in self._plans if p.spec_index is not None}
        input_size = info.image_shape[1] if info.kind == "image" else 0
        for column in self.layer_columns:
            column.show_layer(model, by_index.get(column.index), input_size)
        automatic = [p for p in self._plans if p.spec_index is None and p.type == "flatten"]
        for column, plan in zip(self._auto_columns, automatic):
            column.show_plan(plan)
        self.input_column.show_input(info, list(exp.data.features))
        self.output_column.show_output(info)
        self.add_column.show_buttons(info.kind == "image", len(model.layers))
        for field in REGISTRIES:
            combo, choice = self.defaults[field], getattr(model, field)
            changed = combo.choice() != choice
            combo.set_choice(choice)
            if changed:
                combo.updateGeometry()  # its width follows its label: room for the whole one
        self.defaults["dropout"].setValue(model.dropout)
        self.defaults["init_std"].setValue(model.init_std)
        uses_normal = model.init == "normal" or any(layer.init == "normal" for layer in model.layers)
        self.defaults["init_std"].setVisible(uses_normal)
        self.canvas.update()

    @staticmethod
    def _plan(exp: Experiment) -> list[BlockPlan]:
        """Each block as the network builds it, automatic flattens included. The window shows only
        valid experiments; should one not plan, its layers are drawn without shapes."""
        info = DATASETS[exp.data.name]
        shape = info.image_shape if info.kind == "image" else (len(exp.data.features),)
        try:
            return plan_blocks(exp.model, shape, max(info.num_classes, 1))
        except ValueError:
            return [BlockPlan(f"{layer.type}{i}", layer.type, (), (), i) for i, layer in enumerate(exp.model.layers)]

    def _arrange(self, arrangement: tuple) -> None:
        """Columns for a new sequence of layer types: each type's columns are taken in order from
        those shown (and those parked earlier); only a type's first use builds one."""
        pool = defaultdict(list)
        for column in (*self.layer_columns, *self._auto_columns, *chain.from_iterable(self._parked.values())):
            pool[column.kind].append(column)
        chosen = [pool[kind].pop(0) if pool[kind] else self._new_column(kind) for kind in arrangement]
        self._parked = pool
        for column in chain.from_iterable(pool.values()):
            column.hide()
            if isinstance(column, LayerColumn):
                column.set_index(None)
        self.layer_columns = [c for c in chosen if isinstance(c, LayerColumn)]
        self._auto_columns = [c for c in chosen if isinstance(c, AutoFlattenColumn)]
        self.marks.targets = {path: target for path, target in self.marks.targets.items()
                              if not LAYER_PATH.match(path)}
        for index, column in enumerate(self.layer_columns):
            column.set_index(index)
            self.marks.add(column.path(), column)
            for field, control in column.fields.items():
                self.marks.add(column.path(field), control)
        self.canvas.arrange([self.input_column, *chosen, self.add_column, self.output_column],
                            shaded=self.layer_columns, dashed=self.add_column)
        self._show_layer_settings(self.per_layer.isChecked())
        self._arrangement = arrangement

    def _new_column(self, kind: str) -> QWidget:
        column = AutoFlattenColumn() if kind == "auto" else LayerColumn(kind, self._emit, self._refuse,
                                                                          self.remove_layer)
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
