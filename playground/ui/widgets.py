"""Small widgets the panels share: a log-scale slider, a number field that takes 1e-5, a slider with
its value beside it, and a frame that shows a validation error next to the control that caused it.

The composite widgets follow Qt's convention: ``setValue`` emits ``valueChanged`` when the value
changes, so a panel that populates them from a spec blocks its own reactions while doing so.
"""

from __future__ import annotations

import html
import math
import re
from typing import Callable, Optional

from PySide6.QtCore import QRegularExpression, QSize, Qt, Signal
from PySide6.QtGui import QFocusEvent, QRegularExpressionValidator
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QFrame, QHBoxLayout, QLabel, QLineEdit,
                               QSlider, QSpinBox, QVBoxLayout, QWidget)

from playground.core.spec import Experiment

ERROR_COLOR = "#c62828"
HINT_STYLE = "color: #555555;"


def format_number(value: float, digits: int = 4) -> str:
    """Short and exact enough for a field: 0.03, 0.0005, 1e-05 -> '1e-5', 10."""
    text = f"{value:.{digits}g}"
    return re.sub(r"e([+-])0*(\d)", lambda m: "e" + ("-" if m.group(1) == "-" else "") + m.group(2), text)


def rich_tip(title: str, *paragraphs: str) -> str:
    """A tooltip as rich text, so that Qt wraps long explanations instead of one endless line."""
    parts = [f"<b>{html.escape(title)}</b>"] if title else []
    parts += [f"<p>{html.escape(p)}</p>" for p in paragraphs if p]
    return "<qt>" + "".join(parts) + "</qt>"


def hint_label(text: str = "", object_name: str = "") -> QLabel:
    """Small grey explanatory text under a control."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(HINT_STYLE)
    if object_name:
        label.setObjectName(object_name)
    return label


# -- log-scale slider ---------------------------------------------------------------------------


class TickSlider(QWidget):
    """A QSlider of integer ticks standing for float values. ``value()`` returns exactly what
    ``setValue`` was given, even between ticks; subclasses map ticks (``position_of``/``value_at``),
    may round a dragged value (``_dragged``) and show the value elsewhere (``_shown``)."""

    valueChanged = Signal(float)

    def _watch(self, track: QSlider, value: float) -> None:
        self._track = track
        self._value = value
        track.valueChanged.connect(self._on_slider)

    def position_of(self, value: float) -> int:
        raise NotImplementedError

    def value_at(self, position: int) -> float:
        raise NotImplementedError

    def _dragged(self, value: float) -> float:
        return value

    def _shown(self, value: float) -> None:
        pass

    def value(self) -> float:
        return self._value

    def setValue(self, value: float) -> None:
        value = float(value)
        if value == self._value:
            return
        self._value = value
        self._track.blockSignals(True)
        self._track.setValue(self.position_of(value))
        self._track.blockSignals(False)
        self._shown(value)
        self.valueChanged.emit(value)

    def _on_slider(self, position: int) -> None:
        value = self._dragged(self.value_at(position))
        self._shown(value)
        if value != self._value:
            self._value = value
            self.valueChanged.emit(value)


class LogSlider(TickSlider):
    """A horizontal slider over [minimum, maximum] on a log scale (integer ticks underneath).

    ``value()`` returns exactly what ``setValue`` was given, even between ticks; a value the user
    drags to is rounded to three significant digits (0.00126, not 0.0012589254). With
    ``zero_allowed`` the leftmost tick is 0 ("off"), for regularization strengths.
    """

    def __init__(self, minimum: float = 1e-5, maximum: float = 10.0, *, steps_per_decade: int = 200,
                 zero_allowed: bool = False, parent: Optional[QWidget] = None):
        super().__init__(parent)
        if not 0 < minimum < maximum:
            raise ValueError("LogSlider needs 0 < minimum < maximum")
        self._lo, self._hi = float(minimum), float(maximum)
        self._per_decade = steps_per_decade
        self._zero_allowed = zero_allowed
        self._first = 1 if zero_allowed else 0  # the tick of `minimum`
        ticks = round(math.log10(self._hi / self._lo) * steps_per_decade)
        self._slider = QSlider(Qt.Horizontal, self)
        self._slider.setRange(0, ticks + self._first)
        self._slider.setSingleStep(max(steps_per_decade // 10, 1))  # arrow keys: x1.26
        self._slider.setPageStep(steps_per_decade)  # page keys: x10
        self._slider.setFocusPolicy(Qt.StrongFocus)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._slider)
        start = 0.0 if zero_allowed else self._lo
        self._slider.setValue(self.position_of(start))
        self._watch(self._slider, start)

    def slider(self) -> QSlider:
        return self._slider

    def minimum(self) -> float:
        return self._lo

    def maximum(self) -> float:
        return self._hi

    def position_of(self, value: float) -> int:
        """The tick nearest to ``value`` (values outside the range go to the ends)."""
        if value <= 0:
            return 0
        clamped = min(max(value, self._lo), self._hi)
        return self._first + round(math.log10(clamped / self._lo) * self._per_decade)

    def value_at(self, position: int) -> float:
        if self._zero_allowed and position <= 0:
            return 0.0
        return self._lo * 10 ** ((position - self._first) / self._per_decade)

    def _dragged(self, value: float) -> float:
        return float(f"{value:.3g}") if value > 0 else 0.0


# -- number field ---------------------------------------------------------------------------------


class NumberField(QLineEdit):
    """A line edit for one number that accepts 0.001 and 1e-3 alike; an empty field means None
    (the default) where ``allow_empty``. Emits ``valueEdited`` when the user finishes typing a
    different number; text that is not a number goes back to the last value."""

    valueEdited = Signal(object)  # float, or None for an emptied field

    def __init__(self, *, allow_empty: bool = False, zero_text: str = "", parent: Optional[QWidget] = None):
        super().__init__(parent)
        self._allow_empty = allow_empty
        self._zero_text = zero_text  # shown for 0 ("off") and read back as 0
        pattern = r"[0-9]*\.?[0-9]*(?:[eE][-+]?[0-9]*)?"
        if zero_text:
            pattern = f"(?:{pattern}|{re.escape(zero_text)})"
        self.setValidator(QRegularExpressionValidator(QRegularExpression(pattern), self))
        self._value: Optional[float] = None
        self.editingFinished.connect(self._finished)
        self.setAlignment(Qt.AlignRight | Qt.AlignVCenter)

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(self.fontMetrics().horizontalAdvance("0.00000") + 16, hint.height())

    def value(self) -> Optional[float]:
        return self._value

    def setValue(self, value: Optional[float]) -> None:
        self._value = None if value is None else float(value)
        self.setText(self._text(self._value))

    def _text(self, value: Optional[float]) -> str:
        if value is None:
            return ""
        if value == 0 and self._zero_text:
            return self._zero_text
        return format_number(value)

    def _parse(self, text: str):
        text = text.strip()
        if not text:
            return None if self._allow_empty else ValueError
        if self._zero_text and text == self._zero_text:
            return 0.0
        try:
            return float(text)
        except ValueError:
            return ValueError

    def _finished(self) -> None:
        value = self._parse(self.text())
        if value is ValueError:
            self.setText(self._text(self._value))
            return
        self.setText(self._text(value))
        if value != self._value:
            self._value = value
            self.valueEdited.emit(value)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        if not self.hasAcceptableInput():  # half-typed text: editingFinished does not come
            self.setText(self._text(self._value))


class LogControl(QWidget):
    """A LogSlider and a NumberField kept in sync: drag for the order of magnitude, type the exact value.

    Children are named ``<name>_slider`` and ``<name>_value`` after ``setObjectName(name)`` is
    given in the constructor.
    """

    valueChanged = Signal(float)

    def __init__(self, name: str, minimum: float, maximum: float, *, zero_allowed: bool = False,
                 parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.setObjectName(name)
        self.slider = LogSlider(minimum, maximum, zero_allowed=zero_allowed)
        self.slider.setObjectName(f"{name}_slider")
        self.field = NumberField(zero_text="off" if zero_allowed else "")
        self.field.setObjectName(f"{name}_value")
        self.field.setMaximumWidth(self.field.sizeHint().width())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.field)
        self.field.setValue(self.slider.value())
        self.slider.valueChanged.connect(self._from_slider)
        self.field.valueEdited.connect(self._from_field)

    def value(self) -> float:
        return self.slider.value()

    def setValue(self, value: float) -> None:
        if float(value) == self.slider.value():
            return
        self.slider.setValue(value)  # -> _from_slider -> field and valueChanged

    def _from_slider(self, value: float) -> None:
        self.field.setValue(value)
        self.valueChanged.emit(value)

    def _from_field(self, value) -> None:
        if value is None:
            return
        self.slider.setValue(value)


# -- linear slider with its value -----------------------------------------------------------------


class LabeledSlider(TickSlider):
    """A float slider over [minimum, maximum] in steps of ``step``, its value written beside it by
    ``formatter`` (the label is as wide as the widest text, so nothing jumps while dragging)."""

    def __init__(self, name: str, minimum: float, maximum: float, step: float,
                 formatter: Callable[[float], str] = lambda v: f"{v:.2f}", *, label_below: bool = False,
                 parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.setObjectName(name)
        self._lo, self._step = minimum, step
        self._format = formatter
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setObjectName(f"{name}_slider")
        self.slider.setRange(0, round((maximum - minimum) / step))
        self.slider.setPageStep(max(self.slider.maximum() // 10, 1))
        self.label = QLabel()
        self.label.setObjectName(f"{name}_label")
        widest = max((formatter(self.value_at(i)) for i in range(self.slider.maximum() + 1)),
                     key=lambda s: self.label.fontMetrics().horizontalAdvance(s))
        self.label.setMinimumWidth(self.label.fontMetrics().horizontalAdvance(widest) + 4)
        self.label.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        # a long text (train 50% / val 50%) goes under the slider, so the slider keeps the width
        layout = QVBoxLayout(self) if label_below else QHBoxLayout(self)
        layout.setSpacing(0 if label_below else 6)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        self.label.setText(formatter(minimum))
        self._watch(self.slider, minimum)

    def position_of(self, value: float) -> int:
        return round((value - self._lo) / self._step)

    def value_at(self, position: int) -> float:
        return round(self._lo + position * self._step, 10)

    def _shown(self, value: float) -> None:
        self.label.setText(self._format(value))


# -- errors ---------------------------------------------------------------------------------------


class FieldFrame(QFrame):
    """A control in a frame that turns red on a validation error, with the message under it and at
    the top of the tooltips of the control and its parts. The frame keeps its margins either way,
    so nothing moves when an error comes or goes."""

    def __init__(self, control: QWidget, name: str, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.setObjectName(f"frame_{name}")
        self.control = control
        self.error_label = QLabel()
        self.error_label.setObjectName(f"error_{name}")
        self.error_label.setTextFormat(Qt.PlainText)
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(f"color: {ERROR_COLOR};")
        self.error_label.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(1)
        layout.addWidget(control)
        layout.addWidget(self.error_label)
        self.setProperty("error", False)
        self._saved: Optional[dict[QWidget, str]] = None  # own tooltips while an error is shown

    def has_error(self) -> bool:
        return bool(self.property("error"))

    def error(self) -> str:
        return self.error_label.text()

    def set_tip(self, tip: str, widget: Optional[QWidget] = None) -> None:
        """Change a tooltip in this frame, also while an error is shown (it stays on top)."""
        widget = widget or self.control
        if self._saved is None:
            widget.setToolTip(tip)
        else:
            self._saved[widget] = tip
            widget.setToolTip(self._with_error(tip))

    def _with_error(self, tip: str) -> str:
        message = f"<p style='color:{ERROR_COLOR}'><b>{html.escape(self.error())}</b></p>"
        own = tip[4:-5] if tip.startswith("<qt>") and tip.endswith("</qt>") else html.escape(tip)
        return f"<qt>{message}{own}</qt>"

    def set_error(self, message: str) -> None:
        if self._saved is None:
            widgets = [self.control, *self.control.findChildren(QWidget)]
            self._saved = {w: w.toolTip() for w in widgets if w is self.control or w.toolTip()}
        self.setProperty("error", True)
        self.setStyleSheet(f"QFrame#{self.objectName()} {{ border: 2px solid {ERROR_COLOR}; border-radius: 4px; }}")
        self.error_label.setText(message)
        self.error_label.show()
        for widget, tip in self._saved.items():
            widget.setToolTip(self._with_error(tip))

    def clear_error(self) -> None:
        if self._saved is not None:
            for widget, tip in self._saved.items():
                widget.setToolTip(tip)
        self._saved = None
        if self.has_error():
            self.setProperty("error", False)
            self.setStyleSheet("")
        self.error_label.clear()
        self.error_label.hide()


class ErrorMarks:
    """Which FieldFrame shows the error of which spec path.

    A path is looked up as given, then without a trailing list index (``optim.betas[1]`` ->
    ``optim.betas``), then by its parents; a path with no frame here, or whose frame is hidden,
    goes to the panel's own label so that the message is never lost.
    """

    def __init__(self, fallback: QLabel):
        self.fallback = fallback
        self.frames: dict[str, FieldFrame] = {}

    def add(self, path: str, frame: FieldFrame) -> None:
        self.frames[path] = frame

    def frame_for(self, path: str) -> Optional[FieldFrame]:
        candidates = [path, re.sub(r"\[\d+\]$", "", path)]
        parts = path.split(".")
        candidates += [".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)]
        for candidate in candidates:
            if candidate in self.frames:
                return self.frames[candidate]
        return None

    def show(self, path: Optional[str], message: str = "") -> None:
        self.clear()
        if path is None:
            return
        frame = self.frame_for(path)
        if frame is not None:
            frame.set_error(message)
        if frame is None or not frame.isVisibleTo(frame.window()):  # e.g. momentum while Adam is chosen
            self.fallback.setText(f"{path}: {message}" if path else message)
            self.fallback.show()

    def clear(self) -> None:
        for frame in set(self.frames.values()):
            frame.clear_error()
        self.fallback.clear()
        self.fallback.hide()


def error_banner(object_name: str = "error_label") -> QLabel:
    """The panel-wide label for errors that have no control here."""
    label = QLabel()
    label.setObjectName(object_name)
    label.setTextFormat(Qt.PlainText)
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {ERROR_COLOR}; border: 2px solid {ERROR_COLOR}; border-radius: 4px; padding: 3px;")
    label.hide()
    return label


def int_spin(name: str, minimum: int, maximum: int, *, suffix: str = "", off: str = "") -> QSpinBox:
    """A whole-number field that reports when the typing is done, not at every keystroke; ``off``
    names its minimum (e.g. 0 = "off")."""
    spin = QSpinBox()
    spin.setObjectName(name)
    spin.setRange(minimum, maximum)
    spin.setSuffix(suffix)
    spin.setSpecialValueText(off)
    spin.setKeyboardTracking(False)
    return spin


class SpecPanel(QWidget):
    """A panel that edits part of an Experiment: ``set_experiment`` shows one without emitting,
    ``edited`` proposes ``{path: value}`` changes for the window to validate, and ``show_error``
    marks the control of a bad path (None clears). Subclasses fill ``_show`` and build their forms
    on ``self.marks``."""

    edited = Signal(dict)

    def __init__(self, object_name: str, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.setObjectName(object_name)
        self._exp = Experiment()
        self._updating = False
        self.error_label = error_banner()
        self.marks = ErrorMarks(self.error_label)

    def set_experiment(self, exp: Experiment) -> None:
        """Show ``exp`` in every control without emitting ``edited``."""
        self._exp = exp
        self._updating = True
        try:
            self._show(exp)
        finally:
            self._updating = False

    def _stack(self, *parts: QWidget) -> None:
        """The panel's column: the error label on top, then its groups."""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        for part in (self.error_label, *parts):
            layout.addWidget(part)
        layout.addStretch(1)

    def _show(self, exp: Experiment) -> None:
        raise NotImplementedError

    def experiment(self) -> Experiment:
        return self._exp

    def show_error(self, path: Optional[str], message: str = "") -> None:
        """Mark the control that edits ``path`` (red frame, message under it and in its tooltip); None clears."""
        self.marks.show(path, message)

    def _emit(self, changes: dict) -> None:
        if self._updating:
            return
        self.marks.clear()  # the window marks this change again if it is bad
        self.edited.emit(changes)


class FieldForm(QFormLayout):
    """A form whose rows are FieldFrames registered with ErrorMarks under their spec path, and can be
    shown or hidden by name (the parameters that only some optimizers or datasets use)."""

    def __init__(self, marks: ErrorMarks, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.marks = marks
        self.frames: dict[str, FieldFrame] = {}
        self.labels: dict[str, QLabel] = {}
        self.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.setRowWrapPolicy(QFormLayout.DontWrapRows)
        self.setLabelAlignment(Qt.AlignLeft | Qt.AlignVCenter)
        self.setContentsMargins(4, 2, 4, 2)
        self.setHorizontalSpacing(6)
        self.setVerticalSpacing(0)  # the frames' margins space the rows

    def add(self, label: str, control: QWidget, name: str, path: Optional[str] = None, tip: str = "") -> FieldFrame:
        frame = FieldFrame(control, name)
        if tip:
            frame.set_tip(tip)
        text = QLabel(label)
        text.setObjectName(f"label_{name}")
        text.setBuddy(control)
        text.setToolTip(tip)
        self.addRow(text, frame)
        self.frames[name] = frame
        self.labels[name] = text
        if path:
            self.marks.add(path, frame)
        return frame

    def set_row_visible(self, name: str, visible: bool) -> None:
        self.setRowVisible(self.frames[name], visible)


def align_labels(*forms: FieldForm) -> None:
    """One label column across several forms, so the controls of all groups start at the same x."""
    labels = [label for form in forms for label in form.labels.values()]
    width = max((label.sizeHint().width() for label in labels), default=0)
    for label in labels:
        label.setMinimumWidth(width)


def compact_combo(combo: QComboBox, characters: int = 8) -> QComboBox:
    """A combo box that does not widen the panel to its longest item (the popup still shows it all)."""
    combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(characters)
    return combo


class DoubleSpinBox(QDoubleSpinBox):
    """A QDoubleSpinBox that writes 0.9 and 0.999 rather than 0.9000 and 0.9990."""

    def __init__(self, name: str, minimum: float, maximum: float, step: float, decimals: int,
                 parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.setObjectName(name)
        self.setDecimals(decimals)
        self.setRange(minimum, maximum)
        self.setSingleStep(step)
        self.setKeyboardTracking(False)  # a value per finished edit, not per keystroke

    def textFromValue(self, value: float) -> str:
        text = f"{value:.{self.decimals()}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
