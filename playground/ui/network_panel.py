"""The network builder: layers as columns from left to right, as in TensorFlow Playground.

The input column, one column per layer of ``model.layers``, a column with the "+ layer" buttons,
then the output column. For 2D data every unit is a square showing its output over the input plane,
and the lines between units are the weights (blue positive, orange negative, thicker = larger).

The panel only edits: a user change is emitted as ``edited({path: value})`` in the spec's path
syntax; the window validates it with ``Experiment.with_changes`` and answers with
``set_experiment`` (success) or ``show_error`` (a ``SpecError``).
"""

from __future__ import annotations

import re
from typing import Any, Callable, Optional

import numpy as np
from PySide6.QtCore import QEvent, QLineF, QObject, QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPalette, QPen, QValidator
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSizePolicy,
    QSpacerItem, QSpinBox, QStyle, QStyleOptionComboBox, QStylePainter, QToolButton, QToolTip,
    QVBoxLayout, QWidget,
)

from playground.core.choices import ACTIVATIONS, DATASETS, FEATURES, INITIALIZERS, NORMS
from playground.core.features import feature_matrix
from playground.core.plan import BlockPlan, plan_blocks
from playground.core.registry import Registry
from playground.core.pictures import plane_grid
from playground.core.spec import Experiment, LayerSpec, ModelSpec, field_help
from playground.ui.plots.boundary import diverging_map
from playground.ui.widgets import ERROR_COLOR, error_banner, rich_tip

MUTED = QColor("#7b818c")  # captions, prefixes and inherited values
GRID_LINE = QColor("#c4c8ce")  # connections before any weights are known, node borders

MAX_DRAWN_UNITS = 12  # wider layers show a unit count instead of one square per unit
NODE_MIN, NODE_MAX = 14, 44  # node squares shrink to fit the panel's height within these
NODE_GAP = 0.18  # gap between nodes, as a share of the node size
ROW_H, ROW_GAP = 24, 3  # at the default 9 pt; both grow with a larger application font
BASE_TEXT_H = 14  # the font height the widths below were made for
WIDTH = {"input": 100, "dense": 132, "conv": 132, "pool": 104, "flatten": 80, "add": 108, "output": 100}
THUMB_RES = 32  # resolution of the input features' pictures (unit pictures come from the snapshot)

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
INHERIT_NOTE = "Grey text: inherited from 'All layers' (the top row). Choose 'default (…)' to inherit again."


# -- colours ----------------------------------------------------------------------------------------


# TensorFlow Playground's colours, as in the boundary plot: orange -1, light grey 0, blue +1
LUT = diverging_map().getLookupTable(nPts=256, alpha=False)  # (256, 3) uint8


def diverging_color(t: float) -> QColor:
    r, g, b = LUT[int(round((min(max(t, -1.0), 1.0) + 1.0) * 127.5))]
    return QColor(int(r), int(g), int(b))


def map_images(maps: np.ndarray, scale: float) -> list[QImage]:
    """One QImage per (H, W) map in ``maps`` (N, H, W): values / scale, clipped to -1..1, coloured."""
    maps = np.nan_to_num(np.asarray(maps, dtype=np.float64) / scale)
    index = np.rint((np.clip(maps, -1.0, 1.0) + 1.0) * 127.5).astype(np.uint8)
    rgb = LUT[index]  # (N, H, W, 3)
    images = []
    for picture in rgb:
        picture = np.ascontiguousarray(picture)
        h, w = picture.shape[:2]
        images.append(QImage(picture.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy())
    return images


def activation_scale(maps: np.ndarray, activation: str) -> float:
    """Bounded activations (tanh, sigmoid) on their fixed range, the others by the layer's largest |value|."""
    bounds = ACTIVATIONS[activation].bounds if activation in ACTIVATIONS else None
    if bounds is not None:
        return max(abs(bounds[0]), abs(bounds[1]))
    peak = float(np.nanmax(np.abs(maps))) if maps.size else 0.0
    return peak if peak > 1e-12 else 1.0


# -- small widgets ----------------------------------------------------------------------------------


class _ErrorFrame(QWidget):
    """A red frame drawn over a widget that has an error; lets the mouse through."""

    def __init__(self, target: QWidget):
        super().__init__(target)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setGeometry(target.rect())
        target.installEventFilter(self)
        self.show()
        self.raise_()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.setGeometry(watched.rect())
        return False

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(QColor(ERROR_COLOR), 2))
        p.drawRoundedRect(QRectF(self.rect()).adjusted(1, 1, -1, -1), 4, 4)


def set_error_mark(widget: QWidget, message: Optional[str]) -> None:
    """Mark (message) or clear (None) a widget: red frame, the message as tooltip, property 'error'."""
    frame = widget.findChild(_ErrorFrame, "error_frame", Qt.FindChildOption.FindDirectChildrenOnly)
    if message is None:
        if frame is not None:
            frame.deleteLater()
            frame.setParent(None)
            widget.setToolTip(widget.property("base_tip") or "")
        widget.setProperty("error", False)
        return
    if frame is None:
        widget.setProperty("base_tip", widget.toolTip())
        frame = _ErrorFrame(widget)
        frame.setObjectName("error_frame")
    widget.setProperty("error", True)
    widget.setToolTip(rich_tip("Not accepted", message))


class ChoiceCombo(QComboBox):
    """A registry choice shown as 'prefix value'. With ``inherit``, a first entry 'default (X)' means
    None (use the model default); the closed combo then shows X in grey italics."""

    def __init__(self, registry: Registry, prefix: str, title: str, rule: str, inherit: bool):
        super().__init__()
        self.prefix, self.title, self.rule, self.inherit = prefix, title, rule, inherit
        self.registry = registry
        self._default: Optional[str] = None
        if inherit:
            self.addItem("default", None)
        for entry in registry:
            self.addItem(entry.label, entry.name)
            self.setItemData(self.count() - 1, rich_tip(entry.label, entry.tip), Qt.ItemDataRole.ToolTipRole)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(4)
        self.view().setMinimumWidth(self.view().sizeHintForColumn(0) + 28)  # the popup shows whole labels
        self.currentIndexChanged.connect(self._refresh_tip)

    def set_choice(self, name: Optional[str], default: Optional[str] = None) -> None:
        """Show ``name`` (None: inherit ``default``) without emitting currentIndexChanged."""
        blocked = self.blockSignals(True)
        self._default = default
        if self.inherit and default is not None:
            self.setItemText(0, f"default ({self.registry.entry(default).label})")
        self.setCurrentIndex(max(self.findData(name), 0))
        self.blockSignals(blocked)
        self._refresh_tip()
        self.updateGeometry()
        self.update()

    def choice(self) -> Optional[str]:
        return self.currentData()

    def effective(self) -> Optional[str]:
        return self.choice() if self.choice() is not None else self._default

    def _refresh_tip(self) -> None:
        name = self.effective()
        entry = self.registry.entry(name) if name in self.registry else None
        now = self.title
        if entry is not None:
            now = f"{self.title}: {entry.label}" + (" (inherited)" if self.choice() is None else "")
        tip = rich_tip(now, entry.tip if entry else "", self.rule, INHERIT_NOTE if self.inherit else "")
        if self.property("error"):
            self.setProperty("base_tip", tip)
        else:
            self.setToolTip(tip)

    def sizeHint(self) -> QSize:
        """Room for the current choice (the popup is as wide as the longest label anyway)."""
        name = self.effective()
        label = self.registry.entry(name).label if name in self.registry else ""
        width = self.fontMetrics().horizontalAdvance(f"{self.prefix} {label}") + 34
        return QSize(width, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        return QSize(64, super().minimumSizeHint().height())

    def paintEvent(self, event) -> None:
        p = QStylePainter(self)
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        opt.currentText = ""
        p.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, opt)
        rect = self.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, opt,
                                           QStyle.SubControl.SC_ComboBoxEditField, self).adjusted(3, 0, -2, 0)
        name = self.effective()
        label = self.registry.entry(name).label if name in self.registry else ""
        p.setPen(MUTED)
        p.drawText(rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, self.prefix)
        rect.setLeft(rect.left() + self.fontMetrics().horizontalAdvance(self.prefix + " "))
        font = QFont(self.font())
        inherited = self.inherit and self.choice() is None
        font.setItalic(inherited)
        p.setFont(font)
        p.setPen(MUTED if inherited else self.palette().color(QPalette.ColorRole.ButtonText))
        text = QFontMetrics(font).elidedText(label, Qt.TextElideMode.ElideRight, rect.width())
        p.drawText(rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)


class DropoutSpin(QDoubleSpinBox):
    """Dropout 0..0.95; with ``inherit`` one step below 0 means None and shows the default in grey."""

    STEP = 0.05

    def __init__(self, inherit: bool):
        super().__init__()
        self.inherit = inherit
        self.setDecimals(2)
        self.setSingleStep(self.STEP)
        self.setRange(-self.STEP if inherit else 0.0, 0.95)
        self.setPrefix("drop ")
        self.setKeyboardTracking(False)
        self.valueChanged.connect(self._restyle)

    def set_dropout(self, value: Optional[float], default: float = 0.0) -> None:
        blocked = self.blockSignals(True)
        if self.inherit:
            self.setSpecialValueText(f"drop {default:.2f}")
        self.setValue(self.minimum() if value is None else value)
        self.blockSignals(blocked)
        self._restyle()

    def dropout(self) -> Optional[float]:
        return None if self.inherit and self.value() < 0 else round(self.value(), 4)

    def _restyle(self) -> None:
        inherited = self.inherit and self.value() < 0
        edit = self.lineEdit()
        font = QFont(self.font())
        font.setItalic(inherited)
        edit.setFont(font)
        palette = edit.palette()
        palette.setColor(QPalette.ColorRole.Text, MUTED if inherited else self.palette().color(QPalette.ColorRole.Text))
        edit.setPalette(palette)


class CountSpin(QSpinBox):
    """A whole number with a word after it ('4 units', '1 unit'), typed or stepped."""

    def __init__(self, word: str, lo: int, hi: int, buttons: bool = True):
        super().__init__()
        self.word = word
        self.setRange(lo, hi)
        self.setKeyboardTracking(False)
        if not buttons:
            self.setButtonSymbols(QSpinBox.ButtonSymbols.NoButtons)
            self.setAlignment(Qt.AlignmentFlag.AlignCenter)

    def textFromValue(self, value: int) -> str:
        return f"{value} {self.word[:-1] if value == 1 else self.word}"  # the word is a plural

    def valueFromText(self, text: str) -> int:
        digits = re.search(r"\d+", text)
        return int(digits.group()) if digits else self.value()

    def validate(self, text: str, pos: int):
        match = re.fullmatch(r"\s*(\d*)\s*[A-Za-z×]*\s*", text)
        if match is None:
            return QValidator.State.Invalid, text, pos
        if not match.group(1):
            return QValidator.State.Intermediate, text, pos
        ok = self.minimum() <= int(match.group(1)) <= self.maximum()
        return (QValidator.State.Acceptable if ok else QValidator.State.Intermediate), text, pos


def _tool_button(text: str, name: str, tip: str, on_click: Callable[[], None]) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setObjectName(name)
    button.setToolTip(tip)
    button.setFixedSize(20, 22)
    button.clicked.connect(on_click)
    return button


def _caption(text: str, bold: bool = False) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(bold)
    label.setFont(font)
    return label


# -- the pictures inside a column ---------------------------------------------------------------------


class NodeBand(QWidget):
    """A column's units as squares, top-aligned: each shows its picture (a QImage) when it has one.
    Input nodes carry their labels on the left, output nodes on the right. Wider layers than
    MAX_DRAWN_UNITS show a single box with the unit count."""

    def __init__(self, canvas: "NetworkCanvas", side: str = "", tip: Callable[[int], str] = lambda i: ""):
        super().__init__()
        self.canvas = canvas
        self.side = side  # "left": labels left of the nodes (input), "right": right of them (output)
        self.tip = tip
        self.count = 0
        self.labels: list[str] = []
        self.images: list[Optional[QImage]] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    @property
    def compact(self) -> bool:
        return self.count > MAX_DRAWN_UNITS

    def set_count(self, count: int, labels: Optional[list[str]] = None) -> None:
        if count != self.count:
            self.images = []
        self.count = count
        self.labels = labels or []
        shown = 4 if self.compact else count
        self.setMinimumHeight(int(shown * NODE_MIN + max(shown - 1, 0) * NODE_MIN * NODE_GAP) + 8)
        self.update()

    def set_images(self, images: list[Optional[QImage]]) -> None:
        self.images = images  # painted with the canvas's next update of its node strip

    def image(self, i: int) -> Optional[QImage]:
        return self.images[i] if i < len(self.images) else None

    def fit_size(self) -> float:
        """The largest node size at which all nodes fit the current height."""
        n = 4 if self.compact else max(self.count, 1)
        return (self.height() - 8) / (n + (n - 1) * NODE_GAP)

    def node_rects(self) -> list[QRectF]:
        if self.compact:
            return []
        size = self.canvas.node_size()
        step = size * (1 + NODE_GAP)
        if self.side == "left":
            x = self.width() - size - 4
        elif self.side == "right":
            x = 4.0
        else:
            x = (self.width() - size) / 2
        return [QRectF(x, 4 + i * step, size, size) for i in range(self.count)]

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        if self.compact:
            self._paint_compact(p)
            return
        for i, rect in enumerate(self.node_rects()):
            image = self.image(i)
            if image is not None:
                p.drawImage(rect, image)
            else:
                p.fillRect(rect, QColor("white"))
            p.setPen(QPen(QColor("#8d939c"), 1))
            p.drawRect(rect)
            if i < len(self.labels):
                p.setPen(self.palette().color(QPalette.ColorRole.WindowText))
                if self.side == "left":
                    box = QRectF(0, rect.top() - 4, rect.left() - 5, rect.height() + 8)
                    align = Qt.AlignmentFlag.AlignRight
                else:
                    box = QRectF(rect.right() + 5, rect.top() - 4, self.width() - rect.right() - 5, rect.height() + 8)
                    align = Qt.AlignmentFlag.AlignLeft
                text = p.fontMetrics().elidedText(self.labels[i], Qt.TextElideMode.ElideRight, int(box.width()))
                p.drawText(box, align | Qt.AlignmentFlag.AlignVCenter, text)

    def _paint_compact(self, p: QPainter) -> None:
        size = self.canvas.node_size()
        height = min(self.height() - 8, 4 * size * (1 + NODE_GAP))
        width = max(size, p.fontMetrics().horizontalAdvance("units") + 14)
        rect = QRectF((self.width() - width) / 2, 4, width, height)
        p.setPen(QPen(QColor("#8d939c"), 1))
        p.setBrush(QColor("white"))
        p.drawRoundedRect(rect, 4, 4)
        p.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"{self.count}\nunits")

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            pos = QPointF(event.pos())
            hit = next((i for i, r in enumerate(self.node_rects()) if r.adjusted(-3, -3, 3, 3).contains(pos)), None)
            text = self.tip(hit) if hit is not None else (self.toolTip() if self.compact else "")
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)


class ShapeView(QWidget):
    """What a conv, pool or flatten layer (or an image input) outputs: a stack of maps, or a bar."""

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind  # "maps", "image" or "flatten"
        self.shape: tuple[int, ...] = ()
        self.input_size = 0  # the input image's height: maps are drawn in proportion to it
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(70)

    def set_shape(self, shape: tuple[int, ...], input_size: int = 0) -> None:
        self.shape, self.input_size = tuple(shape), input_size
        self.update()

    def caption(self) -> str:
        if self.kind == "flatten":
            return f"{self.shape[0]} values" if self.shape else ""
        if len(self.shape) != 3:
            return ""
        c, h, w = self.shape
        if self.kind == "image":
            return f"{h}×{w} image" + ("" if c == 1 else f"\n{c} channels")
        return f"{c} maps\n{h}×{w}"

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        text_h = p.fontMetrics().height() * 2 + 4
        room = QRectF(self.rect()).adjusted(6, 6, -6, -6 - text_h)
        p.setPen(QPen(QColor("#8d939c"), 1))
        if self.kind == "flatten":
            bar = QRectF(room.center().x() - 5, room.top(), 10, min(room.height(), 120))
            p.setBrush(QColor("white"))
            p.drawRect(bar)
            for i in range(1, 8):
                y = bar.top() + bar.height() * i / 8
                p.drawLine(QPointF(bar.left(), y), QPointF(bar.right(), y))
            bottom = bar.bottom()
        else:
            side = max(min(room.width() - 16, room.height() - 16, 64.0), 12.0)
            if self.kind == "maps" and len(self.shape) == 3 and self.input_size:
                side = max(side * self.shape[1] / self.input_size, 14.0)
            layers = 1 if self.kind == "image" else 3
            x0 = room.center().x() - side / 2 - 4 * (layers - 1)
            for k in range(layers):
                square = QRectF(x0 + 8 * k, room.top() + 8 * k, side, side)
                p.setBrush(QColor("white") if k == layers - 1 else QColor("#f1f2f4"))
                p.drawRect(square)
            if self.kind == "image" and len(self.shape) == 3:
                p.setPen(QPen(QColor("#d7dade"), 1))
                for i in range(1, self.shape[2]):
                    x = square.left() + square.width() * i / self.shape[2]
                    p.drawLine(QPointF(x, square.top() + 1), QPointF(x, square.bottom() - 1))
                for i in range(1, self.shape[1]):
                    y = square.top() + square.height() * i / self.shape[1]
                    p.drawLine(QPointF(square.left() + 1, y), QPointF(square.right() - 1, y))
            bottom = square.bottom()
        p.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        p.drawText(QRectF(0, bottom + 4, self.width(), text_h), Qt.AlignmentFlag.AlignHCenter, self.caption())


# -- columns ------------------------------------------------------------------------------------------


class Column(QWidget):
    """One column: a header row, a body (nodes or a shape picture), an error label, and a settings
    area of the same height in every column, so that all bodies start and end at the same height."""

    def __init__(self, kind: str, name: str):
        super().__init__()
        self.kind = kind
        self.setObjectName(name)
        text_h = self.fontMetrics().height()
        self.scale = max(1.0, text_h / BASE_TEXT_H)
        self.row_h = max(ROW_H, text_h + 10)
        self.setFixedWidth(round(WIDTH[kind] * self.scale))
        self.band: Optional[NodeBand] = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(ROW_GAP)
        self.header = QHBoxLayout()
        self.header.setContentsMargins(0, 0, 0, 0)
        self.header.setSpacing(2)
        header = QWidget()
        header.setFixedHeight(self.row_h)
        header.setLayout(self.header)
        layout.addWidget(header)
        self.body = QVBoxLayout()
        self.body.setSpacing(ROW_GAP)
        layout.addLayout(self.body, 1)
        self.error_label = QLabel()
        self.error_label.setObjectName(name.replace("_column", "_error"))
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(f"color: {ERROR_COLOR};")
        self.error_label.hide()
        layout.addWidget(self.error_label)
        self.settings = QVBoxLayout()
        self.settings.setContentsMargins(0, 0, 0, 0)
        self.settings.setSpacing(ROW_GAP)
        self.settings_box = QWidget()
        self.settings_box.setFixedHeight(4 * self.row_h + 3 * ROW_GAP)  # activation, init, norm, dropout
        self.settings_box.setLayout(self.settings)
        layout.addWidget(self.settings_box)

    def title(self, text: str, tip: str) -> QLabel:
        label = _caption(text, bold=True)
        label.setToolTip(tip)
        self.header.addWidget(label, 1)
        return label

    def show_error(self, message: Optional[str]) -> None:
        set_error_mark(self, message)
        self.error_label.setText(message or "")
        self.error_label.setVisible(bool(message))


class LayerColumn(Column):
    """A column for ``model.layers[index]``: its shape controls and, for dense and conv, the
    per-layer activation, init, norm and dropout (each may inherit the model default)."""

    def __init__(self, panel: "NetworkPanel", index: int, layer_type: str):
        super().__init__(layer_type, f"layer{index + 1}_column")
        self.panel, self.index, self.type = panel, index, layer_type
        n = index + 1
        self.widgets: dict[str, QWidget] = {}
        if layer_type == "dense":
            minus = _tool_button("−", f"layer{n}_units_minus", "One unit less: a simpler model, less able to "
                                 "bend its boundary.", lambda: self._step_units(-1))
            plus = _tool_button("+", f"layer{n}_units_plus", "One unit more: a more flexible model, with more "
                                "weights to train.", lambda: self._step_units(+1))
            most = LayerSpec.__dataclass_fields__["units"].metadata["hi"]  # the spec's own limit
            units = CountSpin("units", 1, most, buttons=False)
            units.setObjectName(f"layer{n}_units")
            units.setToolTip(rich_tip(
                "Units (neurons) of this dense layer",
                "Each unit computes a weighted sum of all units of the previous layer, then the activation. "
                "More units bend the boundary more freely, but take longer to train and overfit more easily. "
                "Type a number or use − and +."))
            units.valueChanged.connect(self._set_units)
            self.header.addWidget(minus)
            self.header.addWidget(units, 1)
            self.header.addWidget(plus)
            self.widgets.update(units=units, units_minus=minus, units_plus=plus)
            self.band = NodeBand(panel.canvas, tip=self._node_tip)
            self.band.setObjectName(f"layer{n}_nodes")
            self.band.setToolTip(rich_tip("Too many units to draw", "Each unit's output is not drawn for layers "
                                          f"wider than {MAX_DRAWN_UNITS} units."))
            self.body.addWidget(self.band, 1)
        else:
            titles = {"conv": ("Conv", "A convolution: each filter slides over the image and is shared across "
                               "it, so it has few weights and knows that pixels have neighbours. 'Same' padding "
                               "keeps the size for odd kernels."),
                      "pool": ("Max pool", "Keeps the largest value of each window: halves the map size "
                               "(window 2) and makes the features a little shift-invariant."),
                      "flatten": ("Flatten", "Turns the stack of maps into one vector for the dense layers. "
                                  "Added automatically before the first dense layer if you leave it out.")}
            title, tip = titles[layer_type]
            self.title(title, rich_tip(title, tip))
            if layer_type == "conv":
                channels = CountSpin("channels", 1, 512)
                channels.setObjectName(f"layer{n}_channels")
                channels.setToolTip(rich_tip("Filters (output channels)", field_help(LayerSpec, "channels"),
                                             "Each filter learns one pattern (an edge, a stroke) and makes one map."))
                channels.valueChanged.connect(lambda v: self._emit_field("channels", v))
                self.body.addWidget(channels)
                self.widgets["channels"] = channels
            if layer_type in ("conv", "pool"):
                kernel = QSpinBox()
                kernel.setRange(1, 7)
                kernel.setKeyboardTracking(False)
                kernel.setPrefix("kernel " if layer_type == "conv" else "window ")
                kernel.setObjectName(f"layer{n}_kernel")
                kernel.setToolTip(rich_tip("Kernel size" if layer_type == "conv" else "Pooling window",
                                           field_help(LayerSpec, "kernel"),
                                           "3×3 is the usual conv kernel: two stacked 3×3 convs see 5×5 pixels."
                                           if layer_type == "conv" else "2×2 windows are the usual choice."))
                kernel.valueChanged.connect(lambda v: self._emit_field("kernel", v))
                self.body.addWidget(kernel)
                self.widgets["kernel"] = kernel
            self.shape_view = ShapeView("flatten" if layer_type == "flatten" else "maps")
            self.body.addWidget(self.shape_view, 1)
        remove = _tool_button("×", f"layer{n}_remove", "Remove this layer: the next layer then gets its input "
                              "from the one before.", lambda: panel.remove_layer(index))
        remove.setAutoRaise(True)
        remove.setFixedSize(18, 22)
        self.header.addWidget(remove)
        self.widgets["remove"] = remove
        if layer_type in ("dense", "conv"):
            self._add_settings(n)
        else:
            self.settings.addStretch(1)

    def _add_settings(self, n: int) -> None:
        for field, registry, prefix, title in (("activation", ACTIVATIONS, "act", "Activation"),
                                               ("init", INITIALIZERS, "init", "Initialization"),
                                               ("norm", NORMS, "norm", "Normalization")):
            combo = ChoiceCombo(registry, prefix, f"{title} of this layer", RULES[field], inherit=True)
            combo.setObjectName(f"layer{n}_{field}")
            combo.setFixedHeight(self.row_h)
            combo.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            combo.currentIndexChanged.connect(lambda _, f=field, c=combo: self._emit_field(f, c.choice()))
            self.settings.addWidget(combo)
            self.widgets[field] = combo
        dropout = DropoutSpin(inherit=True)
        dropout.setObjectName(f"layer{n}_dropout")
        dropout.setFixedHeight(self.row_h)
        dropout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        dropout.setToolTip(rich_tip("Dropout of this layer", RULES["dropout"], "Step below 0 to inherit: the "
                                    "value then shows in grey, from 'All layers' (the top row)."))
        dropout.valueChanged.connect(lambda _: self._emit_field("dropout", dropout.dropout()))
        self.settings.addWidget(dropout)
        self.widgets["dropout"] = dropout

    def update_from(self, model: ModelSpec, plan: Optional[BlockPlan], input_size: int = 0) -> None:
        layer = model.layers[self.index]
        w = self.widgets
        if "units" in w:
            _set_quietly(w["units"], layer.units)
            w["units_minus"].setEnabled(layer.units > 1)
            self.band.set_count(layer.units)
        if "channels" in w:
            _set_quietly(w["channels"], layer.channels)
        if "kernel" in w:
            _set_quietly(w["kernel"], layer.kernel or (3 if layer.type == "conv" else 2))
        if hasattr(self, "shape_view") and plan is not None:
            self.shape_view.set_shape(plan.out_shape, input_size)
        for field in ("activation", "init", "norm"):
            if field in w:
                w[field].set_choice(getattr(layer, field), getattr(model, field))
        if "dropout" in w:
            w["dropout"].set_dropout(layer.dropout, model.dropout)

    def _node_tip(self, unit: int) -> str:
        return rich_tip(f"Layer {self.index + 1}, unit {unit + 1}",
                        "Its output over the input plane (2D data): orange negative, white zero, blue positive. "
                        "Tanh and sigmoid on their fixed range; ReLU and the others scaled by the layer's "
                        "largest output.")

    def _step_units(self, step: int) -> None:
        units = self.panel.layer(self.index).units + step
        if units >= 1:
            self.panel.edit_layers(lambda layers: layers[self.index].update(units=units), structural=False)

    def _set_units(self, units: int) -> None:
        if units != self.panel.layer(self.index).units:
            self.panel.edit_layers(lambda layers: layers[self.index].update(units=units), structural=False)

    def _emit_field(self, field: str, value: Any) -> None:
        self.panel.emit_edit({f"model.layers[{self.index}].{field}": value})


def _set_quietly(spin: QSpinBox, value: int) -> None:
    blocked = spin.blockSignals(True)
    spin.setValue(value)
    spin.blockSignals(blocked)


# -- the canvas ---------------------------------------------------------------------------------------


class NetworkCanvas(QWidget):
    """Holds the columns side by side and paints the connections between their nodes underneath.

    A connection's pen is set once per snapshot (``set_weights``); painting only maps node positions.
    """

    def __init__(self):
        super().__init__()
        self.setObjectName("network_canvas")
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor("white"))
        self.setPalette(palette)
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(6, 4, 6, 4)
        self.row.setSpacing(0)
        self.bands: list[NodeBand] = []
        self.layer_columns: list[Column] = []  # columns that get a light background
        self.add_column: Optional[Column] = None  # drawn as a dashed placeholder
        # (source band, target band, index into snapshot["weights"])
        self.pairs: list[tuple[NodeBand, NodeBand, int]] = []
        self._pens: dict[int, list[list[QPen]]] = {}  # weight index -> pens[target][source]

    def node_size(self) -> float:
        fits = [band.fit_size() for band in self.bands if band.count]
        size = min(fits) if fits else NODE_MAX
        return float(int(min(max(size, NODE_MIN), NODE_MAX)))

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Pens for each drawn pair from its weight matrix (out x in): colour = sign, width = |w|."""
        self._pens = {}
        for source, target, k in self.pairs:
            if k < len(weights) and np.shape(weights[k]) == (target.count, source.count):
                self._pens[k] = [[weight_pen(float(w)) for w in row] for row in np.asarray(weights[k])]
        self.update_nodes()

    def clear_weights(self) -> None:
        self._pens = {}
        self.update()

    def update_nodes(self) -> None:
        """Repaint the strip that holds the nodes and the lines, not the controls above and below."""
        shown = [band for band in self.bands if band.isVisible()]
        if not shown:
            return
        top = min(band.mapTo(self, band.rect().topLeft()).y() for band in shown)
        bottom = max(band.mapTo(self, band.rect().bottomLeft()).y() for band in shown)
        self.update(0, top, self.width(), bottom - top + 1)

    def connections(self) -> list[tuple[QLineF, QPen]]:
        """Every line drawn: from each node's right edge to each node's left edge in the next column."""
        neutral = QPen(GRID_LINE, 1)
        lines = []
        for source, target, k in self.pairs:
            if source.compact or target.compact:
                continue
            starts = self._edge_points(source, right=True)
            ends = self._edge_points(target, right=False)
            pens = self._pens.get(k)
            if pens is not None and (len(pens) != len(ends) or len(pens[0]) != len(starts)):
                pens = None
            for j, end in enumerate(ends):
                for i, start in enumerate(starts):
                    lines.append((QLineF(start, end), pens[j][i] if pens else neutral))
        return lines

    def _edge_points(self, band: NodeBand, right: bool) -> list[QPointF]:
        offset = QPointF(band.mapTo(self, QPoint(0, 0)))
        return [offset + QPointF(r.right() if right else r.left(), r.center().y()) for r in band.node_rects()]

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#f5f6f8"))
        for column in self.layer_columns:
            p.drawRoundedRect(QRectF(column.geometry()), 6, 6)
        if self.add_column is not None:  # where the next layer will appear
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(GRID_LINE, 1.2, Qt.PenStyle.DashLine))
            p.drawRoundedRect(QRectF(self.add_column.geometry()).adjusted(1, 1, -1, -1), 6, 6)
        # thin lines first, so that the strong weights stay visible on top
        for line, pen in sorted(self.connections(), key=lambda lp: lp[1].widthF()):
            p.setPen(pen)
            p.drawLine(line)


def weight_pen(w: float) -> QPen:
    """Blue for positive, orange for negative (always clearly tinted); width grows with |w|, capped."""
    magnitude = abs(w)
    tint = 0.35 + 0.65 * min(magnitude, 1.0)
    pen = QPen(diverging_color(tint if w >= 0 else -tint), min(0.5 + 1.6 * magnitude, 5.0))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    return pen


# -- the panel ----------------------------------------------------------------------------------------


_LAYER_PATH = re.compile(r"^model\.layers\[(\d+)\](?:\.(\w+))?")


class NetworkPanel(QWidget):
    """The network builder. ``edited`` carries ``{path: value}``; ``set_experiment`` never emits it."""

    edited = Signal(dict)

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.setObjectName("network_panel")
        self._exp: Optional[Experiment] = None
        self._structure: Optional[tuple] = None
        self._layer_blocks: list[Optional[BlockPlan]] = []
        self._last_edit_structural = False
        self._loading = False
        self.layer_columns: list[LayerColumn] = []
        self.input_column: Optional[Column] = None
        self.output_column: Optional[Column] = None
        self.add_column: Optional[Column] = None
        self.buttons: dict[str, QPushButton] = {}

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addLayout(self._default_row())
        self.canvas = NetworkCanvas()
        self.scroll = QScrollArea()
        self.scroll.setObjectName("network_scroll")
        self.scroll.setWidget(self.canvas)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        layout.addWidget(self.scroll, 1)
        self.error_label = error_banner("error_label")
        layout.addWidget(self.error_label)

    # -- the "same for all layers" row --------------------------------------------------------------

    def _default_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(4)
        title = _caption("All layers:", bold=True)
        title.setToolTip(rich_tip("Defaults for every layer", "A layer column can override each of them; "
                                  "its controls show inherited values in grey."))
        row.addWidget(title)
        self.defaults: dict[str, QWidget] = {}
        for field, registry, prefix, title_text in (("activation", ACTIVATIONS, "act", "Activation"),
                                                    ("init", INITIALIZERS, "init", "Initialization")):
            combo = ChoiceCombo(registry, prefix, f"{title_text} of every layer", RULES[field], inherit=False)
            combo.setObjectName(f"default_{field}")
            combo.currentIndexChanged.connect(lambda _, f=field, c=combo: self._emit_default(f, c.choice()))
            row.addWidget(combo)
            self.defaults[field] = combo
        std = QDoubleSpinBox()
        std.setObjectName("default_init_std")
        std.setDecimals(3)
        std.setRange(0.001, 10.0)
        std.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)
        std.setPrefix("std ")
        std.setKeyboardTracking(False)
        std.setToolTip(rich_tip("Std of the 'Normal (std)' init", field_help(ModelSpec, "init_std"),
                                "Shown while a layer uses the 'Normal (std)' init."))
        std.valueChanged.connect(lambda v: self._emit_default("init_std", v))
        std.hide()
        row.addWidget(std)
        self.defaults["init_std"] = std
        norm = ChoiceCombo(NORMS, "norm", "Normalization of every layer", RULES["norm"], inherit=False)
        norm.setObjectName("default_norm")
        norm.currentIndexChanged.connect(lambda _: self._emit_default("norm", norm.choice()))
        row.addWidget(norm)
        self.defaults["norm"] = norm
        dropout = DropoutSpin(inherit=False)
        dropout.setObjectName("default_dropout")
        dropout.setToolTip(rich_tip("Dropout of every layer", RULES["dropout"]))
        dropout.valueChanged.connect(lambda _: self._emit_default("dropout", dropout.dropout()))
        row.addWidget(dropout)
        self.defaults["dropout"] = dropout
        self.per_layer = QCheckBox("per layer")
        self.per_layer.setObjectName("show_layer_settings")
        self.per_layer.setChecked(True)
        self.per_layer.setToolTip(rich_tip(
            "Show each layer's own settings", "Shows or hides the activation, init, norm and dropout under each "
            "layer column. Hiding them leaves more room for the units' pictures; the settings stay as they are."))
        self.per_layer.toggled.connect(self._show_layer_settings)
        row.addWidget(self.per_layer)
        row.addStretch(1)
        return row

    def _show_layer_settings(self, shown: bool) -> None:
        """Layer settings and the (empty) settings areas of the other columns go together, so that
        all node bands keep the same height."""
        for column in self.findChildren(Column):
            column.settings_box.setVisible(shown or column.kind == "add")

    def _emit_default(self, field: str, value: Any) -> None:
        self.emit_edit({f"model.{field}": value})

    # -- the contract -----------------------------------------------------------------------------

    def set_experiment(self, exp: Experiment) -> None:
        """Show ``exp``; rebuilds the columns only when the layer types or the data change."""
        self._loading = True
        try:
            self._exp = exp
            self._layer_blocks = self._plan_layers(exp)
            info = DATASETS[exp.data.name]
            structure = (exp.data.name, tuple(exp.data.features), tuple(layer.type for layer in exp.model.layers))
            if structure != self._structure:
                self._build_columns(exp)
                self._structure = structure
                self._show_layer_settings(self.per_layer.isChecked())
            self._update_values(exp, info)
            self.show_error(None)
        finally:
            self._loading = False

    def show_error(self, path: Optional[str], message: str = "") -> None:
        """Mark the control that edits ``path`` (or its layer column); None clears every mark."""
        for widget in self.findChildren(QWidget):
            if widget.property("error"):
                set_error_mark(widget, None)
        for column in self.layer_columns:
            column.show_error(None)
        self.error_label.hide()
        if path is None:
            return
        match = _LAYER_PATH.match(path)
        if match and not self._last_edit_structural and int(match.group(1)) < len(self.layer_columns):
            column = self.layer_columns[int(match.group(1))]
            column.show_error(message or "not accepted")
            widget = column.widgets.get(match.group(2) or "")
            if widget is not None:
                set_error_mark(widget, message)
            return
        field = path.removeprefix("model.")
        if path.startswith("model.") and field in self.defaults:
            set_error_mark(self.defaults[field], message)
        elif path.startswith("model.layers") and self.add_column is not None:
            set_error_mark(self.add_column, message)
        if match:
            text = f"Layer {int(match.group(1)) + 1}: {message}"
        else:
            text = f"{path}: {message}" if path else message
        self.error_label.setText(text)
        self.error_label.show()

    def add(self, records: list[dict]) -> None:
        for r in records:
            if r["type"] == "snapshot":
                self.set_snapshot(r)

    def clear(self) -> None:
        self.canvas.clear_weights()

    def set_snapshot(self, snap: dict) -> None:
        """Unit pictures and connection pens from a points snapshot; ignores anything that does not
        match the network shown (a snapshot of the previous network can arrive after an edit)."""
        if self._exp is None or snap.get("kind") != "points":
            return
        dense = [(c, p) for c, p in zip(self.layer_columns, self._layer_blocks) if c.type == "dense"]
        for (column, plan), maps in zip(dense, snap.get("units", [])):
            if maps is None:
                continue
            maps = np.asarray(maps)
            if column.band.compact or plan is None or maps.shape[0] != column.band.count:
                continue
            column.band.set_images(map_images(maps, activation_scale(maps, plan.activation)))
        field = snap.get("field")
        band = self.output_column.band if self.output_column else None
        if field is not None and band is not None:
            field = np.asarray(field, dtype=np.float64)
            if DATASETS[self._exp.data.name].task == "regression":
                band.set_images(map_images(field[None], activation_scale(field, "linear")))
            elif band.count == 2:  # P(class 0) in orange, P(class 1) in blue, as the data points
                band.set_images(map_images(np.stack([field - 1.0, field]), 1.0))
        self.canvas.set_weights(list(snap.get("weights", [])))

    # -- edits ----------------------------------------------------------------------------------------

    def emit_edit(self, change: dict) -> None:
        if self._loading or self._exp is None:
            return
        self._last_edit_structural = False
        self.edited.emit(change)

    def layer(self, index: int) -> LayerSpec:
        return self._exp.model.layers[index]

    def edit_layers(self, change: Callable[[list[dict]], Any], structural: bool = True) -> None:
        """Emit ``model.layers`` as the list of layer dicts after ``change`` edits it in place."""
        if self._loading or self._exp is None:
            return
        layers = [layer.to_dict() for layer in self._exp.model.layers]
        change(layers)
        self._last_edit_structural = structural
        self.edited.emit({"model.layers": layers})

    def add_layer(self, layer_type: str = "dense") -> None:
        """Dense layers go last; conv, pool and flatten after the last conv/pool layer, before any
        flatten or dense layer, where their image-shaped input is."""
        new = {"dense": {"type": "dense", "units": 4}, "conv": {"type": "conv", "channels": 8},
               "pool": {"type": "pool"}, "flatten": {"type": "flatten"}}[layer_type]
        if layer_type == "dense":
            self.edit_layers(lambda layers: layers.append(new))
        else:
            types = [layer.type for layer in self._exp.model.layers]
            at = next((i for i, t in enumerate(types) if t in ("dense", "flatten")), len(types))
            self.edit_layers(lambda layers: layers.insert(at, new))

    def remove_layer(self, index: Optional[int] = None) -> None:
        if self._exp is None or not self._exp.model.layers:
            return
        at = len(self._exp.model.layers) - 1 if index is None else index
        self.edit_layers(lambda layers: layers.pop(at))

    # -- building ---------------------------------------------------------------------------------------

    @staticmethod
    def _plan_layers(exp: Experiment) -> list[Optional[BlockPlan]]:
        """Each layer's resolved block (shapes, inherited choices), by index into model.layers."""
        info = DATASETS[exp.data.name]
        shape = info.image_shape if info.kind == "image" else (len(exp.data.features),)
        try:
            plans = plan_blocks(exp.model, shape, max(info.num_classes, 1))
        except ValueError:  # the window only sends valid experiments; draw without shapes otherwise
            plans = []
        by_index = {p.spec_index: p for p in plans if p.spec_index is not None}
        return [by_index.get(i) for i in range(len(exp.model.layers))]

    def _build_columns(self, exp: Experiment) -> None:
        row = self.canvas.row
        while row.count():
            item = row.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
                item.widget().setParent(None)
        info = DATASETS[exp.data.name]
        self.input_column = self._input_column(exp, info)
        self.layer_columns = [LayerColumn(self, i, layer.type) for i, layer in enumerate(exp.model.layers)]
        self.add_column = self._add_column(info.kind == "image")
        self.output_column = self._output_column(info)
        columns = [self.input_column, *self.layer_columns, self.add_column, self.output_column]
        for i, column in enumerate(columns):
            if i:
                row.addItem(QSpacerItem(14, 0, QSizePolicy.Policy.MinimumExpanding, QSizePolicy.Policy.Minimum))
            row.addWidget(column)
            column.show()  # now, not when the layout gets to it: callers may look at it at once
        self.canvas.layer_columns = list(self.layer_columns)
        self.canvas.add_column = self.add_column
        self.canvas.bands = [c.band for c in columns if c.band is not None]
        # connections run between neighbouring columns that both have nodes; the weights of the k-th
        # dense block (or of the output layer) are snapshot["weights"][k]
        pairs, k = [], 0
        node_columns = [self.input_column, *self.layer_columns, self.output_column]
        for source, target in zip(node_columns, node_columns[1:]):
            if target.kind in ("dense", "output"):
                if source.band is not None:
                    pairs.append((source.band, target.band, k))
                k += 1
        self.canvas.pairs = pairs
        self.canvas.clear_weights()

    def _input_column(self, exp: Experiment, info) -> Column:
        column = Column("input", "input_column")
        column.title("Input", rich_tip("Input", "What the network sees of each example."))
        if info.kind == "points":
            names = list(exp.data.features)
            column.band = NodeBand(self.canvas, side="left",
                                   tip=lambda i: rich_tip(FEATURES.entry(names[i]).label, FEATURES.entry(names[i]).tip))
            column.band.setObjectName("input_nodes")
            column.band.set_count(len(names), [FEATURES.entry(n).label for n in names])
            values = feature_matrix(plane_grid(info.extent, THUMB_RES), names).T.reshape(-1, THUMB_RES, THUMB_RES)
            column.band.set_images([map_images(v[None], activation_scale(v, "linear"))[0] for v in values])
            column.body.addWidget(column.band, 1)
        else:
            view = ShapeView("image")
            view.setObjectName("input_image")
            view.set_shape(info.image_shape)
            view.setToolTip(rich_tip("Image input", f"Each example is a {info.image_shape[1]}×{info.image_shape[2]} "
                                     "image. Dense layers see its pixels as one long vector; conv layers keep "
                                     "the neighbourhood."))
            column.body.addWidget(view, 1)
        column.settings.addStretch(1)
        return column

    def _output_column(self, info) -> Column:
        column = Column("output", "output_column")
        count = max(info.num_classes, 1)
        if info.task == "regression":
            labels, what = ["value"], "The predicted value (linear output, trained with MSE)."
        elif count == 2:
            labels, what = ["class 0", "class 1"], ("One unit per class; softmax turns them into probabilities. "
                                                   "The pictures show P(class 0) in orange and P(class 1) in blue.")
        else:
            labels, what = [str(i) for i in range(count)], "One unit per class; softmax turns them into probabilities."
        column.title("Output", rich_tip("Output layer", what))
        column.band = NodeBand(self.canvas, side="right", tip=lambda i: rich_tip(f"Output: {labels[i]}", what))
        column.band.setObjectName("output_nodes")
        column.band.set_count(count, labels)
        column.band.setToolTip(rich_tip("Output layer", what))
        widest = max(column.fontMetrics().horizontalAdvance(label) for label in labels)
        column.setFixedWidth(max(column.width(), NODE_MAX + widest + 26))  # node, gap, label, margins
        column.body.addWidget(column.band, 1)
        column.settings.addStretch(1)
        return column

    def _add_column(self, images: bool) -> Column:
        """An empty column where new layers appear, its buttons at the bottom, away from the lines."""
        column = Column("add", "add_column")
        column.setToolTip(rich_tip("Add or remove layers", "New layers inherit 'All layers' (the top row)."))
        column.body.addStretch(1)
        specs = {"add_layer": ("+ layer", "dense", "Adds a dense (fully connected) layer of 4 units at the end, "
                               "with the defaults of 'All layers' (the top row). More layers can build more complex "
                               "boundaries."),
                 "add_conv": ("+ conv", "conv", "Adds a conv layer of 8 filters (3×3) after the last conv/pool "
                              "layer. Filters are shared across the image: few weights, and pixels keep their "
                              "neighbours."),
                 "add_pool": ("+ pool", "pool", "Adds 2×2 max pooling after the last conv/pool layer: halves "
                              "the maps' width and height."),
                 "add_flatten": ("+ flatten", "flatten", "Adds a flatten layer after the last conv/pool layer "
                                 "(dense layers flatten automatically; this makes the step visible).")}
        self.buttons = {}
        for name, (text, layer_type, tip) in specs.items():
            button = QPushButton(text)
            button.setObjectName(name)
            button.setToolTip(rich_tip(text, tip))
            button.clicked.connect(lambda _=False, t=layer_type: self.add_layer(t))
            self.buttons[name] = button
        remove = QPushButton("− layer")
        remove.setObjectName("remove_layer")
        remove.setToolTip(rich_tip("− layer", "Removes the last layer (the × in a column's header removes "
                                   "that column's layer)."))
        remove.clicked.connect(lambda: self.remove_layer())
        self.buttons["remove_layer"] = remove
        for button in self.buttons.values():
            button.setFixedHeight(column.row_h)
            button.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        column.settings.addStretch(1)
        for names in (["add_layer"], ["add_conv", "add_pool"], ["add_flatten"], ["remove_layer"]):
            line = QHBoxLayout()
            line.setSpacing(ROW_GAP)
            for name in names:
                line.addWidget(self.buttons[name])
            column.settings.addLayout(line)
        for name in ("add_conv", "add_pool", "add_flatten"):
            self.buttons[name].setVisible(images)
        return column

    def _update_values(self, exp: Experiment, info) -> None:
        model = exp.model
        self.defaults["activation"].set_choice(model.activation)
        self.defaults["init"].set_choice(model.init)
        self.defaults["norm"].set_choice(model.norm)
        self.defaults["dropout"].set_dropout(model.dropout)
        _set_quietly(self.defaults["init_std"], model.init_std)
        uses_normal = model.init == "normal" or any(layer.init == "normal" for layer in model.layers)
        self.defaults["init_std"].setVisible(uses_normal)
        input_size = info.image_shape[1] if info.kind == "image" else 0
        for column, plan in zip(self.layer_columns, self._layer_blocks):
            column.update_from(model, plan, input_size)
        self.buttons["remove_layer"].setEnabled(bool(model.layers))
        self.canvas.update()


__all__ = ["NetworkPanel", "NetworkCanvas", "NodeBand", "ChoiceCombo", "DropoutSpin", "map_images",
           "activation_scale", "weight_pen"]
