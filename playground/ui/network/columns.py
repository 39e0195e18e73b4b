"""The network's columns and their controls: a layer's shape (units, channels, kernel) at its top,
its own activation, init, norm and dropout in the rows under it (inherited values in grey), the
input and output, the flatten the network adds itself, the buttons that add layers, and a transfer
run's backbone blocks with their locks.

Columns only propose: a layer column calls ``propose({path: value})`` and ``refuse(path, reason)``
for text that is not a number; the panel decides what happens.
"""

from __future__ import annotations

from typing import Callable, Optional

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from playground.core.choices import ACTIVATIONS, FEATURES, INITIALIZERS, NORMS
from playground.core.pictures import MAX_PICTURED_UNITS
from playground.core.plan import BlockPlan
from playground.core.spec import LayerSpec, ModelSpec, field_help
from playground.ui import colors
from playground.ui.controls import ChoiceCombo, NumberField, caption, format_number, tool_button
from playground.ui.forms import rich_tip
from playground.ui.network.coloring import feature_image
from playground.ui.network.drawing import LABEL_GAP, NODE_MAX, NodeBand, ShapeView, fitting_font, lock_icon

ROW_H, ROW_GAP = 22, 2  # at the default 9 pt font; rows grow with a larger one
BASE_TEXT_H = 14  # the font height the widths below were made for
WIDTH = {"input": 70, "dense": 92, "conv": 96, "pool": 86, "flatten": 72, "auto": 60, "add": 84,
         "block": 53, "thin": 44}  # block, thin: a backbone's blocks with and without parameters
SETTINGS = ("activation", "init", "norm", "dropout")  # a layer's own choices, one row each
FEATURE_RES = 32  # pixels per side of an input feature's picture

RULES = {
    "activation": "Rule of thumb (lecture): ReLU is the default choice. Tanh and sigmoid saturate, "
                  "and where they do the gradient vanishes.",
    "init": "Rule of thumb (lecture): Xavier or MSRA. Xavier (Glorot) suits tanh, MSRA (Kaiming/He) "
            "suits ReLU. Too small and the activations vanish layer after layer; too large and they "
            "explode (or tanh saturates).",
    "norm": "Normalizing each layer to zero mean and unit variance makes the loss less sensitive to the "
            "weights, so optimization is easier. Batch norm needs batches of more than one example.",
    "dropout": "Dropout zeroes this share of the units at random while training (not when evaluating). "
               "Rule of thumb (lecture): against overfitting (validation loss plateaus while training "
               "loss keeps falling); mostly in fully connected layers. In conv layers it drops whole "
               "channels, which is less common.",
}
REGISTRIES = {"activation": (ACTIVATIONS, "act", "Activation"), "init": (INITIALIZERS, "init", "Initialization"),
              "norm": (NORMS, "norm", "Normalization")}
INHERIT_NOTE = "Grey: inherited from 'All layers' (the top row). Choose 'default (…)' to inherit again."


def short_label(label: str) -> str:
    """A label that fits a narrow column: the lecture's name and U or N for uniform or normal
    ('Kaiming / MSRA (normal)' -> 'MSRA N', 'Batch norm' -> 'Batch')."""
    name, _, detail = label.partition("(")
    word = name.split("/")[-1].split()[0] if name.strip() else label
    return word + {"uniform": " U", "normal": " N"}.get(detail.rstrip(")").strip(), "")


class LayerChoice(ChoiceCombo):
    """A layer's own choice in a narrow column: closed it shows the short label, its popup and
    tooltip the whole one."""

    def _label(self) -> str:
        return short_label(super()._label())


class Column(QWidget):
    """A header row, a body (nodes or a shape) and the settings rows, of the same heights in every
    column so that all bodies start at the same height. ``band`` holds its units, if it draws them;
    ``weighted`` says that lines (weights) come into them from the column before."""

    band: Optional[NodeBand] = None
    weighted = False

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind
        text_h = self.fontMetrics().height()
        self.scale = max(1.0, text_h / BASE_TEXT_H)
        self.row_h = max(ROW_H, text_h + 8)
        self._own: Optional[tuple[int, float]] = None  # see _refit
        if kind in WIDTH:
            self.setFixedWidth(round(WIDTH[kind] * self.scale))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(3, 3, 3, 3)
        layout.setSpacing(ROW_GAP + 1)
        header = QWidget()
        header.setFixedHeight(self.row_h)
        self.header = QHBoxLayout(header)
        self.header.setContentsMargins(0, 0, 0, 0)
        self.header.setSpacing(1)
        layout.addWidget(header)
        self.body = QVBoxLayout()
        self.body.setSpacing(ROW_GAP)
        layout.addLayout(self.body, 1)
        self.settings_box = QWidget()
        self.settings_box.setFixedHeight(len(SETTINGS) * self.row_h + (len(SETTINGS) - 1) * ROW_GAP)
        self.settings = QVBoxLayout(self.settings_box)
        self.settings.setContentsMargins(0, 0, 0, 0)
        self.settings.setSpacing(ROW_GAP)
        layout.addWidget(self.settings_box)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._refit()

    def _refit(self) -> None:
        """The font changed size (presentation mode): the fixed sizes made for the old one follow."""
        text_h = self.fontMetrics().height()
        if self._own is None:  # the width and scale it was made with, to come back to exactly
            self._own = (self.width(), self.scale)
        old_scale, self.scale = self.scale, max(1.0, text_h / BASE_TEXT_H)
        ratio = self.scale / old_scale
        self.row_h = max(ROW_H, text_h + 8)
        header = self.header.parentWidget()
        if self.minimumWidth() == self.maximumWidth() and ratio != 1:
            own_width, own_scale = self._own
            self.setFixedWidth(round(own_width * self.scale / own_scale))
            if self.scale > own_scale:  # once its labels have the new font too
                QTimer.singleShot(0, self._fit_header)
        header.setFixedHeight(max(self.row_h, round(header.height() * ratio)))
        for i in range(self.header.count()):
            widget = self.header.itemAt(i).widget()
            if isinstance(widget, QToolButton):
                widget.setFixedSize(round(widget.width() * ratio), self.row_h)
        self.settings_box.setFixedHeight(len(SETTINGS) * self.row_h + (len(SETTINGS) - 1) * ROW_GAP)
        for i in range(self.settings.count()):
            widget = self.settings.itemAt(i).widget()
            if widget is not None:
                widget.setFixedHeight(self.row_h)

    def _fit_header(self) -> None:
        """Larger text: at least as wide as the header's ("flatten" in a narrow column)."""
        needed = self.header.parentWidget().sizeHint().width() + 6
        if self.minimumWidth() == self.maximumWidth() and self.width() < needed:
            self.setFixedWidth(needed)

    def title(self, text: str, tip: str, bold: bool = True) -> QLabel:
        label = caption(text, bold=bold)
        label.setToolTip(tip)
        self.header.addWidget(label, 1)
        return label

    def fit_width(self, content: int) -> None:
        """As wide as its kind's default, or as ``content`` needs (labels beside nodes), or as its
        header ("Output" in presentation mode's larger font: a step opened there cut it to "Outpu")."""
        header = self.header.parentWidget().sizeHint().width() + 6
        self.setFixedWidth(max(round(WIDTH.get(self.kind, 0) * self.scale), content + 6, header))

    def row(self, widget: QWidget) -> QWidget:
        """A control in the settings rows, as wide as the column."""
        widget.setFixedHeight(self.row_h)
        widget.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.settings.addWidget(widget)
        return widget


class LayerColumn(Column):
    """The column of one entry of ``model.layers``. Columns are reused for the next layer of the
    same type when the network changes, so ``set_index`` renames what they hold."""

    def __init__(self, kind: str, propose: Callable[[dict], None], refuse: Callable[[str, str], None],
                 remove: Callable[[int], None]):
        super().__init__(kind)
        self.index: Optional[int] = None
        self.layer = LayerSpec(type=kind)
        self._propose, self._refuse = propose, refuse
        self.fields: dict[str, QWidget] = {}  # spec field -> the control that edits it
        self.named: dict[str, QWidget] = {}  # name suffix -> widget, named layer<n>_<suffix>
        self.shape_view: Optional[ShapeView] = None
        if kind == "dense":
            self._build_dense()
        else:
            self._build_shaped(kind)
        remove_button = tool_button("×", "", rich_tip("Remove this layer", "The next layer then gets its input "
                                    "from the one before."), lambda: remove(self.index), size=(14, self.row_h))
        remove_button.setAutoRaise(True)
        self.header.addWidget(remove_button)
        self.named["remove"] = remove_button
        if kind in ("dense", "conv"):
            self._build_settings()

    def _build_dense(self) -> None:
        self.weighted = True
        size = (17, self.row_h)
        minus = tool_button("−", "", rich_tip("One unit less", "A simpler model, less able to bend its boundary."),
                            lambda: self._step_units(-1), size=size)
        plus = tool_button("+", "", rich_tip("One unit more", "A more flexible model, with more weights to train."),
                           lambda: self._step_units(+1), size=size)
        units = self._number("units", integer=True, step=1, width_text="000")
        units.setAlignment(Qt.AlignmentFlag.AlignCenter)
        units.setToolTip(rich_tip(
            "Units (neurons) of this dense layer",
            "Each unit computes a weighted sum of all units of the previous layer, then the activation. More "
            "units bend the boundary more freely, but take longer to train and overfit more easily. Type a "
            "number (Up and Down step) or use − and +."))
        for widget in (minus, units, plus):
            self.header.addWidget(widget, 1 if widget is units else 0)
        self.named.update(units_minus=minus, units_plus=plus)
        self.band = NodeBand(tip=self._node_tip)
        self.band.setToolTip(rich_tip("Too many units to draw", "Each unit's output is pictured for layers of at "
                                      f"most {MAX_PICTURED_UNITS} units."))
        self.named["nodes"] = self.band
        self.body.addWidget(self.band, 1)

    def _build_shaped(self, kind: str) -> None:
        titles = {"conv": ("Conv", "A convolution: each filter slides over the image and is shared across it, so "
                           "it has few weights and knows that pixels have neighbours. 'Same' padding keeps the "
                           "size for odd kernels."),
                  "pool": ("Max pool", "Keeps the largest value of each window: halves the map size (window 2) "
                           "and makes the features a little shift-invariant."),
                  "flatten": ("Flatten", "Turns the stack of maps into one vector for the dense layers. Added "
                              "automatically before the first dense layer if you leave it out.")}
        title, tip = titles[kind]
        self.title(title, rich_tip(title, tip))
        if kind == "conv":
            channels = self._number("channels", integer=True, step=1, suffix=" channels")
            channels.setToolTip(rich_tip("Filters (output channels)", field_help(LayerSpec, "channels"),
                                         "Each filter learns one pattern (an edge, a stroke) and makes one map."))
            self.body.addWidget(channels)
        if kind in ("conv", "pool"):
            kernel = self._number("kernel", integer=True, step=1, prefix="kernel " if kind == "conv" else "window ")
            kernel.setToolTip(rich_tip("Kernel size" if kind == "conv" else "Pooling window",
                                       field_help(LayerSpec, "kernel"),
                                       "3×3 is the usual conv kernel: two stacked 3×3 convs see 5×5 pixels."
                                       if kind == "conv" else "2×2 windows are the usual choice."))
            self.body.addWidget(kernel)
        self.shape_view = ShapeView("flatten" if kind == "flatten" else "maps")
        self.body.addWidget(self.shape_view, 1)

    def _build_settings(self) -> None:
        for field, (registry, prefix, title) in REGISTRIES.items():
            combo = self.row(LayerChoice(registry, "", f"{title} of this layer", RULES[field], inherit=True,
                                         inherit_note=INHERIT_NOTE))
            combo.currentIndexChanged.connect(lambda _, f=field, c=combo: self._propose_field(f, c.choice()))
            self.fields[field] = self.named[field] = combo
        dropout = self.row(self._number("dropout", allow_empty=True, step=0.05, width_text="0.00"))
        dropout.setToolTip(rich_tip("Dropout of this layer", RULES["dropout"], "Leave it empty to inherit 'All "
                                    "layers' (the top row): the inherited value then shows in grey."))

    def _number(self, field: str, **options) -> NumberField:
        field_widget = NumberField(**options)
        field_widget.setMinimumWidth(field_widget.fontMetrics().horizontalAdvance("000") + 8)
        field_widget.valueEdited.connect(lambda value: self._propose_field(field, value))
        field_widget.refused.connect(lambda reason: self._refuse(self.path(field), reason))
        self.fields[field] = self.named[field] = field_widget
        return field_widget

    def set_index(self, index: Optional[int]) -> None:
        """Edit ``model.layers[index]``; None parks the column unnamed, so that a search by name
        finds only the columns shown."""
        self.index = index
        prefix = "" if index is None else f"layer{index + 1}"
        self.setObjectName(f"{prefix}_column" if prefix else "")
        for suffix, widget in self.named.items():
            widget.setObjectName(f"{prefix}_{suffix}" if prefix else "")

    def path(self, field: str = "") -> str:
        return f"model.layers[{self.index}]" + (f".{field}" if field else "")

    def show_layer(self, model: ModelSpec, plan: Optional[BlockPlan], input_size: int = 0) -> None:
        layer = self.layer = model.layers[self.index]
        fields = self.fields
        if self.kind == "dense":
            fields["units"].setValue(layer.units)
            self.named["units_minus"].setEnabled(layer.units > 1)
            self.band.set_count(layer.units)
        if "channels" in fields:
            fields["channels"].setValue(layer.channels)
        if "kernel" in fields:
            fields["kernel"].setValue(layer.kernel or (3 if layer.type == "conv" else 2))
        if self.shape_view is not None and plan is not None:
            self.shape_view.set_shape(plan.out_shape, input_size)
        for field in REGISTRIES:
            if field in fields:
                fields[field].set_choice(getattr(layer, field), getattr(model, field))
        if "dropout" in fields:
            fields["dropout"].setPlaceholderText(format_number(model.dropout))
            fields["dropout"].setValue(layer.dropout)

    def _node_tip(self, unit: int) -> str:
        return rich_tip(f"Layer {self.index + 1}, unit {unit + 1}",
                        "Its output over the input plane (2D data): orange negative, grey zero, blue positive. "
                        "Tanh and sigmoid on their fixed range; ReLU and the others scaled by the layer's "
                        "largest output.")

    def _step_units(self, step: int) -> None:
        self._propose_field("units", self.layer.units + step)

    def _propose_field(self, field: str, value) -> None:
        self._propose({self.path(field): value})


class InputColumn(Column):
    """What the network sees: the chosen features, each pictured over the plane, or the image's
    size. Its settings rows name the rows of the layer columns beside it."""

    def __init__(self):
        super().__init__("input")
        self.setObjectName("input_column")
        self.title("Input", rich_tip("Input", "What the network sees of each example."))
        self.band = NodeBand(side="left", tip=self._feature_tip)
        self.band.setObjectName("input_nodes")
        self.image = ShapeView("image")
        self.image.setObjectName("input_image")
        self.body.addWidget(self.band, 1)
        self.body.addWidget(self.image, 1)
        self.names: list[str] = []
        for field in SETTINGS:
            label = self.row(QLabel(field))
            label.setObjectName(f"row_{field}")
            label.setStyleSheet(f"color: {colors.MUTED};")
            label.setToolTip(rich_tip(f"Each layer's {field}", RULES[field], INHERIT_NOTE))

    def show_input(self, info, features: list[str], shape: Optional[tuple[int, ...]] = None) -> None:
        """``shape``: what reaches the network (a folder's images as resized for it); default the
        dataset's own."""
        points = info.kind == "points"
        self.band.setVisible(points)
        self.image.setVisible(not points)
        if not points:
            self.band.set_count(0)
            shape = tuple(shape or info.image_shape or ())
            self.image.set_shape(shape)
            h, w = shape[1:] if len(shape) == 3 else ("?", "?")
            self.image.setToolTip(rich_tip("Image input", f"Each example is a {h}×{w} image. Dense layers see its "
                                           "pixels as one long vector; conv layers keep the neighbourhood."))
            self.fit_width(0)
            return
        self.names = list(features)
        self.band.set_count(len(features), [FEATURES.entry(n).label for n in features])
        self.band.set_images([feature_image(n, info.extent, FEATURE_RES) for n in features])
        widest = max(self.fontMetrics().horizontalAdvance(FEATURES.entry(n).label) for n in features)
        self.fit_width(widest + LABEL_GAP + 28)

    def _feature_tip(self, i: int) -> str:
        entry = FEATURES.entry(self.names[i])
        return rich_tip(entry.label, entry.tip)


class OutputColumn(Column):
    """One unit per class (or the predicted value), pictured over the plane for 2D data."""

    weighted = True

    def __init__(self):
        super().__init__("output")
        self.setObjectName("output_column")
        self.what = ""
        self.header_label = self.title("Output", "")
        self.band = NodeBand(side="right", tip=lambda i: rich_tip(f"Output: {self.band.labels[i]}", self.what))
        self.band.setObjectName("output_nodes")
        self.body.addWidget(self.band, 1)

    def show_output(self, info, classes: Optional[int] = None, names: Optional[list[str]] = None) -> None:
        """``classes``: the outputs (a subset of the data's classes, a folder's); ``names`` label them
        (the chosen class numbers); default the dataset's classes, numbered from 0."""
        count = max(info.num_classes if classes is None else classes, 1)
        if info.task == "regression":
            labels, self.what = ["value"], "The predicted value (linear output, trained with MSE)."
        elif count == 2:
            labels, self.what = ["class 0", "class 1"], ("One unit per class; softmax turns them into "
                                                         "probabilities. The pictures show P(class 0) in orange "
                                                         "and P(class 1) in blue.")
        else:
            labels, self.what = [str(i) for i in range(count)], ("One unit per class; softmax turns them into "
                                                                 "probabilities.")
        if names is not None and len(names) == count and info.task != "regression":
            labels = list(names)
        self.band.set_count(count, labels)
        tip = rich_tip("Output layer", self.what)
        self.band.setToolTip(tip)
        self.header_label.setToolTip(tip)
        self.fit_width(max(self.fontMetrics().horizontalAdvance(label) for label in labels) + LABEL_GAP + NODE_MAX + 4)


class AutoFlattenColumn(Column):
    """The flatten the network adds itself between image-shaped and dense layers: not editable."""

    def __init__(self):
        super().__init__("auto")
        self.setObjectName("auto_flatten_column")
        tip = rich_tip("Flatten (added automatically)", "Dense layers take a vector, so the network turns the "
                       "stack of maps into one long vector here by itself. Nothing to set: add a flatten layer "
                       "(+ flatten) to make the step your own.")
        title = self.title("flatten", tip, bold=False)
        title.setStyleSheet(f"color: {colors.MUTED}; font-style: italic;")
        self.setToolTip(tip)
        self.shape_view = ShapeView("flatten", note="(auto)")
        self.body.addWidget(self.shape_view, 1)

    def show_plan(self, plan: BlockPlan) -> None:
        self.shape_view.set_shape(plan.out_shape)


class AddColumn(Column):
    """The place where new layers appear, with the buttons that add and remove them."""

    SPECS = {"add_layer": ("+ layer", "dense", "Adds a dense (fully connected) layer of 4 units at the end, with "
                           "the defaults of 'All layers' (the top row). More layers can build more complex "
                           "boundaries."),
             "add_conv": ("+ conv", "conv", "Adds a conv layer of 8 filters (3×3) after the last conv/pool layer. "
                          "Filters are shared across the image: few weights, and pixels keep their neighbours."),
             "add_pool": ("+ pool", "pool", "Adds 2×2 max pooling after the last conv/pool layer: halves the maps' "
                          "width and height."),
             "add_flatten": ("+ flatten", "flatten", "Adds a flatten layer after the last conv/pool layer (dense "
                             "layers flatten automatically; this makes the step visible).")}
    IMAGE_ONLY = ("add_conv", "add_pool", "add_flatten")

    def __init__(self, add: Callable[[str], None], remove_last: Callable[[], None]):
        super().__init__("add")
        self.setObjectName("add_column")
        self.setToolTip(rich_tip("Add or remove layers", "New layers inherit 'All layers' (the top row)."))
        self.settings_box.hide()  # the buttons stay when the layers' settings are hidden
        self.body.addStretch(1)
        self.buttons: dict[str, QPushButton] = {}
        for name, (text, layer_type, tip) in self.SPECS.items():
            self._button(name, text, tip).clicked.connect(lambda _=False, t=layer_type: add(t))
        self._button("remove_layer", "− layer", "Removes the last layer (the × in a column's header removes that "
                     "column's layer).").clicked.connect(lambda: remove_last())

    def _button(self, name: str, text: str, tip: str) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.setToolTip(rich_tip(text, tip))
        button.setFixedHeight(self.row_h)
        button.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.body.addWidget(button)
        self.buttons[name] = button
        return button

    def show_buttons(self, images: bool, layers: int, compact: bool = False) -> None:
        """``compact``: as narrow as the buttons shown (a transfer run's head, beside its backbone)."""
        for name in self.IMAGE_ONLY:
            self.buttons[name].setVisible(images)
        self.buttons["remove_layer"].setEnabled(layers > 0)
        shown = [b for n, b in self.buttons.items() if images or n not in self.IMAGE_ONLY]
        default = round(WIDTH[self.kind] * self.scale)
        widest = max(b.fontMetrics().horizontalAdvance(b.text()) for b in shown)
        self.setFixedWidth(min(default, widest + 26) if compact else default)


def short_count(n: int) -> str:
    """A parameter count that fits a narrow column: 160, 4.6k, 33k, 294k, 2.1M."""
    if n < 1000:
        return str(n)
    if n < 10_000:
        return f"{n / 1000:.1f}k"
    if n < 999_500:
        return f"{n / 1000:.0f}k"
    return f"{n / 1e6:.1f}M"


def shape_text(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape))


LOCK_TIP = ("Click to train this block and every block above it (to its right, nearer the output); the blocks "
            "below stay frozen. With very little data keep everything frozen (linear probe): only the head "
            "trains, on features that were learned from far more examples. With more data open the top blocks, "
            "which are the most task-specific; with a lot, open them all. Open blocks train at the backbone LR "
            "(transfer.backbone_lr times the LR), so the pretrained features are adjusted, not wiped out. "
            "Clicking the lowest open block freezes it again.")
FROZEN_COLOR, OPEN_COLOR = colors.MUTED, "#0877BD"
SMALL_TEXT = 7.5  # points: the backbone columns' captions


def _bold(column: QWidget) -> QFont:
    font = QFont(column.font())
    font.setBold(True)
    font.setPointSizeF(max(SMALL_TEXT, font.pointSizeF() - 1))
    return font


class BackboneColumn(Column):
    """One block of a transfer run's backbone: its name, output shape and parameter count, and
    whether it trains. A block with parameters (kind "block") has a lock; one without (a checkpoint's
    pool or flatten: kind "thin") is a thin column, never locked. Clicking the lock calls
    ``toggle(name)``: the panel decides what that proposes. Reused for another block, like layer
    columns, so ``show_block`` renames what it holds."""

    def __init__(self, kind: str, toggle: Callable[[str], None]):
        super().__init__(kind)
        self.block = ""
        self.state = ""  # "frozen", "trains", "fresh" or "" (nothing to train)
        self._shown: tuple = ()
        self.settings_box.hide()  # a pretrained block has none of a layer's own settings
        small = QFont(self.font())
        small.setPointSizeF(max(SMALL_TEXT, small.pointSizeF() - 1))
        self.small = small
        self.name_label = caption("", bold=True)
        self.name_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.name_label.setWordWrap(True)  # an ImageNet block's name breaks after its dot: features. / 12
        self.name_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.header.addWidget(self.name_label, 1)
        self.header.parentWidget().setFixedHeight(max(self.row_h, 2 * QFontMetrics(small).height() + 2))
        self.shape_view = ShapeView("maps")
        self.shape_view.setFont(small)
        self.body.addWidget(self.shape_view, 1)
        self.lock: Optional[QToolButton] = None
        self.params_label = self.note = None
        if kind == "block":
            self.params_label = self._small_label()
            self.params_label.setWordWrap(True)
            self.lock = QToolButton()
            self.lock.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            self.lock.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # Tab reaches it, Space clicks it
            self.lock.setFont(small)
            self.lock.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            self.lock.clicked.connect(lambda: toggle(self.block))
            self.body.addWidget(self.lock)
            self.note = self._small_label()
            self.note.setWordWrap(True)

    def _small_label(self) -> QLabel:
        label = QLabel()
        label.setFont(self.small)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.body.addWidget(label)
        return label

    def set_name(self, name: str) -> None:
        """Named backbone_<block>_...; "" parks the column unnamed."""
        self.block = name
        prefix = f"backbone_{name}" if name else ""
        self.setObjectName(f"{prefix}_column" if name else "")
        if self.lock is not None:
            self.lock.setObjectName(f"{prefix}_lock" if name else "")
        self.name_label.setObjectName(f"{prefix}_name" if name else "")

    def show_block(self, name: str, shape: tuple[int, ...], parameters: int, state: str, what: str,
                   input_size: int = 0, lr: float = 1.0) -> None:
        """``state``: "frozen", "trains" (at ``lr`` times the LR), "fresh" (scratch) or "" (no
        parameters); ``what`` names the block's kind in its tooltip."""
        key = (name, tuple(shape), parameters, state, what, input_size, lr, self.maximumWidth())
        if key == self._shown and name == self.block:
            return  # every edit shows the experiment again: a block that did not change costs nothing
        self._shown = key
        if name != self.block:
            self.set_name(name)
        self.state = state
        base, room = _bold(self), self.maximumWidth() - 6
        wrap = "." in name and QFontMetrics(base).horizontalAdvance(name) > room  # features. / 12
        self.name_label.setFont(fitting_font(base, name.replace(".", ".\n").split("\n") if wrap else [name], room))
        self.name_label.setText(name.replace(".", ".\u200b") if wrap else name)
        muted = state in ("frozen", "")
        self.name_label.setStyleSheet(f"color: {colors.MUTED};" if muted else "")
        self.shape_view.set_shape(shape, input_size, "maps" if len(shape) == 3 else "flatten")
        size = f"{parameters:,} parameters (weights and biases)" if parameters else "No parameters: nothing to train."
        tip = rich_tip(f"{name}: {what}", f"Output {shape_text(shape)}. {size}")
        self.name_label.setToolTip(tip)
        self.shape_view.setToolTip(tip)
        self.setToolTip(tip)
        if self.lock is None:
            return
        self.params_label.setText(f"{short_count(parameters)} params")
        self.params_label.setToolTip(tip)
        self.params_label.setStyleSheet(f"color: {colors.MUTED};")
        texts = {"frozen": ("frozen", "", "Frozen: its pretrained weights stay as they are."),
                 "trains": ("trains", f"×{lr:g} LR", f"Trains at the backbone LR: {lr:g} times the LR."),
                 "fresh": ("trains", "fresh weights", "From scratch: this block starts from fresh weights and "
                           "trains at the full LR, like every block; there is nothing to lock. Choose a "
                           "pretrained strategy to start from the backbone's weights.")}
        button, note, now = texts[state]
        self.lock.setText(button)
        self.lock.setIcon(lock_icon(state != "frozen", FROZEN_COLOR if state == "frozen" else OPEN_COLOR))
        self.lock.setEnabled(state != "fresh")
        self.lock.setToolTip(rich_tip(f"{name}: {now}", LOCK_TIP if state != "fresh" else ""))
        self.note.setText(note)
        self.note.setStyleSheet(f"color: {colors.MUTED};" if state == "fresh" else f"color: {OPEN_COLOR};")
        self.note.setToolTip(self.lock.toolTip())

