"""Generic controls the panels share: a field for one typed number, a log-scale slider and its
pairing with a field, a slider that shows its value, and a combo box of registry choices.

Typed input is never changed silently: a field takes any text, and when the typing ends it either
proposes a number (``valueEdited``) for the window to validate against the spec, or refuses the
text with the reason (``refused``) and shows its value again. ``setValue`` never emits.
"""

from __future__ import annotations

import math
import re
from typing import Callable, Optional

from PySide6.QtCore import QEvent, QKeyCombination, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QKeyEvent, QKeySequence, QPalette
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSizePolicy, QSlider, QStyle,
                               QStyleOptionComboBox, QStylePainter, QToolButton, QVBoxLayout, QWidget)
from superqt.utils import signals_blocked

from playground.core.registry import Registry
from playground.ui import colors
from playground.ui.forms import compact_combo, fit_popup, rich_tip


def format_number(value: float, digits: int = 4) -> str:
    """Short and exact enough for a field: 0.03, 0.0005, 1e-05 -> '1e-5', 10."""
    text = f"{value:.{digits}g}"
    return re.sub(r"e([+-])0*(\d)", lambda m: "e" + ("-" if m.group(1) == "-" else "") + m.group(2), text)


# -- a typed number --------------------------------------------------------------------------------


class NumberField(QLineEdit):
    """One number, typed: 0.001 and 1e-3 alike, whole numbers where ``integer``.

    ``prefix``/``suffix`` frame the shown value ("kernel 3", "8 units") and may be typed or left out;
    ``zero_text`` names 0 ("off"); with ``allow_empty`` an emptied field means None (the default,
    shown greyed as ``placeholder``). Up and Down step by ``step``; Escape throws away a half-typed
    value. Nothing here knows the spec's limits: the window checks the proposed value and marks
    the field when the spec refuses it.
    """

    valueEdited = Signal(object)  # a float or int, or None for an emptied field
    refused = Signal(str)  # why the typed text is not a number

    def __init__(self, name: str = "", *, integer: bool = False, allow_empty: bool = False, zero_text: str = "",
                 prefix: str = "", suffix: str = "", step: Optional[float] = None, placeholder: str = "",
                 width_text: str = "", parent: Optional[QWidget] = None):
        super().__init__(parent)
        if name:
            self.setObjectName(name)
        self._integer, self._allow_empty, self._zero_text = integer, allow_empty, zero_text
        self._prefix, self._suffix, self._step = prefix, suffix, step
        self._value: Optional[float] = None
        self._width_text = width_text or f"{prefix}0.00000{suffix}"
        self.setPlaceholderText(placeholder)
        self.editingFinished.connect(self.commit)
        self.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(self.fontMetrics().horizontalAdvance(self._width_text) + 16, hint.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance("0000") + 12, super().minimumSizeHint().height())

    def value(self) -> Optional[float]:
        return self._value

    def setValue(self, value: Optional[float]) -> None:
        self._value = None if value is None else (int(value) if self._integer else float(value))
        self.setText(self.text_for(self._value))

    def text_for(self, value: Optional[float]) -> str:
        if value is None:
            return ""
        if value == 0 and self._zero_text:
            return self._zero_text
        number = str(int(value)) if self._integer else format_number(value)
        return f"{self._prefix}{number}{self._suffix}"

    def parse(self, text: str):
        """The number the text stands for (None for an allowed empty field), or a str: why not."""
        text = text.strip()
        bare = text
        for frame in (self._prefix.strip(), self._suffix.strip()):
            if frame and frame in bare:
                bare = bare.replace(frame, "").strip()
        if not bare:
            return None if self._allow_empty else "type a number"
        if self._zero_text and bare == self._zero_text:
            return 0
        try:
            number = float(bare)
        except ValueError:
            return f"'{text}' is not a number"
        if not math.isfinite(number):
            return f"'{text}' is not a finite number"
        if self._integer:
            if number != int(number):
                return f"'{text}' is not a whole number"
            return int(number)
        return number

    def commit(self) -> None:
        """End of typing: propose the number, or refuse the text and show the value again."""
        parsed = self.parse(self.text())
        if isinstance(parsed, str):
            self.setText(self.text_for(self._value))
            self.refused.emit(parsed)
            return
        self.setText(self.text_for(parsed))
        if parsed != self._value:
            self._value = parsed
            self.valueEdited.emit(parsed)

    def revert(self) -> None:
        self.setText(self.text_for(self._value))

    def event(self, event: QEvent) -> bool:
        """Undo and Redo belong to the window's history while nothing is half-typed here (a committed
        field has no typing of its own to undo): let the window's shortcuts have them."""
        if (event.type() == QEvent.Type.ShortcutOverride and self.text() == self.text_for(self._value)
                and (event.matches(QKeySequence.StandardKey.Undo) or event.matches(QKeySequence.StandardKey.Redo)
                     or event.keyCombination() == QKeyCombination(Qt.KeyboardModifier.ControlModifier
                                                                  | Qt.KeyboardModifier.ShiftModifier, Qt.Key.Key_Z))):
            event.ignore()
            return False
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Escape and self.text() != self.text_for(self._value):
            self.revert()
            return
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and self._step:
            current = self.parse(self.text())
            base = current if isinstance(current, (int, float)) else (self._value or 0)
            moved = base + (self._step if key == Qt.Key.Key_Up else -self._step)
            self.setText(self.text_for(int(moved) if self._integer else round(moved, 10)))
            self.commit()
            return
        super().keyPressEvent(event)


# -- sliders --------------------------------------------------------------------------------------


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
        """Show ``value`` without emitting."""
        value = float(value)
        self._value = value
        with signals_blocked(self._track):
            self._track.setValue(self.position_of(value))
        self._shown(value)

    def _on_slider(self, position: int) -> None:
        value = self._dragged(self.value_at(position))
        self._shown(value)
        if value != self._value:
            self._value = value
            self.valueChanged.emit(value)


class LogSlider(TickSlider):
    """A horizontal slider over [minimum, maximum] on a log scale (integer ticks underneath).

    A value the user drags to is rounded to three significant digits (0.00126, not 0.0012589254).
    With ``zero_allowed`` the leftmost tick is 0 ("off"), for regularization strengths.
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
        self._slider = QSlider(Qt.Orientation.Horizontal, self)
        self._slider.setRange(0, ticks + self._first)
        self._slider.setSingleStep(max(steps_per_decade // 10, 1))  # arrow keys: x1.26
        self._slider.setPageStep(steps_per_decade)  # page keys: x10
        self._slider.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
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


class LogControl(QWidget):
    """A LogSlider and a NumberField side by side: drag for the order of magnitude, type the exact
    value (any positive number, also beyond the slider's ends). ``valueChanged`` carries a dragged
    or typed number; ``refused`` the reason a typed text was not one.

    Children are named ``<name>_slider`` and ``<name>_value``.
    """

    valueChanged = Signal(float)
    refused = Signal(str)

    def __init__(self, name: str, minimum: float, maximum: float, *, zero_allowed: bool = False,
                 parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.setObjectName(name)
        self.slider = LogSlider(minimum, maximum, zero_allowed=zero_allowed)
        self.slider.setObjectName(f"{name}_slider")
        self.field = NumberField(f"{name}_value", zero_text="off" if zero_allowed else "")
        self.field.setMaximumWidth(self.field.sizeHint().width())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.field)
        self.field.setValue(self.slider.value())
        self.slider.valueChanged.connect(self._from_slider)
        self.field.valueEdited.connect(self._from_field)
        self.field.refused.connect(self.refused)

    def value(self) -> float:
        return self.slider.value()

    def setValue(self, value: float) -> None:
        """Show ``value`` in both, without emitting."""
        self.slider.setValue(value)
        self.field.setValue(value)

    def _from_slider(self, value: float) -> None:
        self.field.setValue(value)
        self.valueChanged.emit(value)

    def _from_field(self, value) -> None:
        if value is None:
            return
        self.valueChanged.emit(float(value))


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
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName(f"{name}_slider")
        self.slider.setRange(0, round((maximum - minimum) / step))
        self.slider.setPageStep(max(self.slider.maximum() // 10, 1))
        self.label = QLabel()
        self.label.setObjectName(f"{name}_label")
        widest = max((formatter(self.value_at(i)) for i in range(self.slider.maximum() + 1)),
                     key=lambda s: self.label.fontMetrics().horizontalAdvance(s))
        self.label.setMinimumWidth(self.label.fontMetrics().horizontalAdvance(widest) + 4)
        self.label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
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


# -- choices from a registry ---------------------------------------------------------------------


class ChoiceCombo(QComboBox):
    """A registry choice shown as 'prefix label', the label elided to the room there is (the popup
    shows whole labels and each entry's tooltip). With ``inherit``, a first entry 'default (X)'
    means None (use the model-wide default); the closed combo then shows X in grey italics."""

    def __init__(self, registry: Registry, prefix: str, title: str, rule: str, *, inherit: bool,
                 inherit_note: str = "", name: str = ""):
        super().__init__()
        if name:
            self.setObjectName(name)
        self.prefix, self.title, self.rule, self.inherit = prefix, title, rule, inherit
        self.registry = registry
        self._inherit_note = inherit_note
        self._default: Optional[str] = None
        if inherit:
            self.addItem("default", None)
        for entry in registry:
            self.addItem(entry.label, entry.name)
            self.setItemData(self.count() - 1, rich_tip(entry.label, entry.tip), Qt.ItemDataRole.ToolTipRole)
        compact_combo(self, 4)
        fit_popup(self)  # the popup shows whole labels
        self.currentIndexChanged.connect(self._refresh_tip)
        self._refresh_tip()

    def set_choice(self, name: Optional[str], default: Optional[str] = None) -> None:
        """Show ``name`` (None: inherit ``default``) without emitting."""
        with signals_blocked(self):
            self._default = default
            if self.inherit and default is not None:
                self.setItemText(0, f"default ({self.registry.entry(default).label})")
            self.setCurrentIndex(max(self.findData(name), 0))
        self._refresh_tip()
        self.updateGeometry()  # the room it asks for follows the label shown
        self.update()

    def choice(self) -> Optional[str]:
        return self.currentData()

    def effective(self) -> Optional[str]:
        return self.choice() if self.choice() is not None else self._default

    def _label(self) -> str:
        name = self.effective()
        return self.registry.entry(name).label if name in self.registry else ""

    def _refresh_tip(self) -> None:
        name = self.effective()
        entry = self.registry.entry(name) if name in self.registry else None
        now = self.title
        if entry is not None:
            now = f"{self.title}: {entry.label}" + (" (inherited)" if self.choice() is None else "")
        self.setToolTip(rich_tip(now, entry.tip if entry else "", self.rule, self._inherit_note if self.inherit else ""))

    def sizeHint(self) -> QSize:
        """Room for the current choice (the popup is as wide as the longest label anyway)."""
        width = self.fontMetrics().horizontalAdvance(f"{self.prefix} {self._label()}") + 34
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
        if self.prefix:
            p.setPen(QColor(colors.MUTED))
            p.drawText(rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, self.prefix)
            rect.setLeft(rect.left() + self.fontMetrics().horizontalAdvance(self.prefix + " "))
        font = QFont(self.font())
        inherited = self.inherit and self.choice() is None
        font.setItalic(inherited)
        p.setFont(font)
        p.setPen(QColor(colors.MUTED) if inherited else self.palette().color(QPalette.ColorRole.ButtonText))
        text = QFontMetrics(font).elidedText(self._label(), Qt.TextElideMode.ElideRight, rect.width())
        p.drawText(rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)


def tool_button(text: str, name: str, tip: str, on_click: Callable[[], None], size: tuple[int, int] = (20, 22)
                ) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setObjectName(name)
    button.setToolTip(tip)
    button.setFixedSize(*size)
    button.clicked.connect(on_click)
    return button


def caption(text: str, bold: bool = False) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(bold)
    label.setFont(font)
    return label


class ElidedLabel(QLabel):
    """One line that fits any width: the middle of a long path gives way to an ellipsis; the whole
    text is in ``full_text()`` (and the tooltip the panel gives it)."""

    def __init__(self, name: str, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.setObjectName(name)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setTextFormat(Qt.TextFormat.PlainText)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self._elide()

    def full_text(self) -> str:
        return self._full

    def minimumSizeHint(self) -> QSize:
        return QSize(20, super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = max(self.contentsRect().width(), 20)
        self.setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideMiddle, width))


class PathRow(QWidget):
    """A chosen file or folder, shortened in the middle to fit, and the button that chooses it:
    ``label`` (named NAME_path) and ``button`` (NAME_button)."""

    def __init__(self, name: str, button_text: str, tip: str, choose: Callable[[], None]):
        super().__init__()
        self.setObjectName(name)
        line = QHBoxLayout(self)
        line.setContentsMargins(0, 0, 0, 0)
        line.setSpacing(4)
        self.label = ElidedLabel(f"{name}_path")
        self.button = QPushButton(button_text)
        self.button.setObjectName(f"{name}_button")
        self.button.setToolTip(tip)
        self.button.clicked.connect(choose)
        line.addWidget(self.label, 1)
        line.addWidget(self.button)
