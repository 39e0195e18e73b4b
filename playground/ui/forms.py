"""What every panel that edits an experiment is built on: the panel contract (``SpecPanel``), forms
of labelled controls, one way to mark a control whose value the spec refused, and tooltips.

The contract: ``set_experiment`` shows an experiment without emitting anything; ``edited`` proposes
``{path: value}`` changes for the window to validate; ``show_error(path, message)`` marks the
control that edits ``path`` and ``show_error(None)`` clears every mark.
"""

from __future__ import annotations

import html
import re
from typing import Optional

from PySide6.QtCore import QEvent, QObject, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from playground.core.spec import Experiment
from playground.ui import colors

HINT_STYLE = f"color: {colors.MUTED};"


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


def message_label(object_name: str, boxed: bool = False) -> QLabel:
    """Red text for a refused value, hidden until there is one."""
    label = QLabel()
    label.setObjectName(object_name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    border = f" border: 2px solid {colors.ERROR}; border-radius: 4px; padding: 3px;" if boxed else ""
    label.setStyleSheet(f"color: {colors.ERROR};{border}")
    label.hide()
    return label


# -- marks ------------------------------------------------------------------------------------------


class ErrorOverlay(QWidget):
    """A red frame drawn over a marked widget; lets the mouse through and follows its size."""

    def __init__(self, target: QWidget):
        super().__init__(target)
        self.setObjectName("error_frame")
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
        p.setPen(QPen(QColor(colors.ERROR), 2))
        p.drawRoundedRect(QRectF(self.rect()).adjusted(1, 1, -1, -1), 4, 4)


class ErrorMarks:
    """Which widget shows the error of which spec path, and where its message goes.

    A path is looked up as given, then without a trailing list index (``optim.betas[1]`` ->
    ``optim.betas``), then by its parents. The marked widget gets a red frame and the message on
    top of its tooltip; the message is written in the label registered with it, or in the panel's
    own label when there is none or the widget is hidden, so that it is never lost.
    """

    def __init__(self, fallback: QLabel):
        self.fallback = fallback
        self.targets: dict[str, tuple[QWidget, Optional[QLabel]]] = {}
        # widget, its own tooltip, the tooltip the mark wrote, the label that shows the message
        self._marked: list[tuple[QWidget, str, str, Optional[QLabel]]] = []

    def add(self, path: str, widget: QWidget, label: Optional[QLabel] = None) -> None:
        self.targets[path] = (widget, label)

    def target(self, path: str) -> Optional[tuple[QWidget, Optional[QLabel]]]:
        parts = path.split(".")
        candidates = [path, re.sub(r"\[\d+\]$", "", path)] + [".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)]
        return next((self.targets[c] for c in candidates if c in self.targets), None)

    def show(self, path: Optional[str], message: str = "", text: Optional[str] = None) -> None:
        """Mark ``path`` (None only clears); ``text`` is what the label says (default: the message)."""
        self.clear()
        if path is None:
            return
        text = message if text is None else text
        found = self.target(path)
        widget, label = found if found is not None else (None, None)
        if widget is not None:
            ErrorOverlay(widget)
            widget.setProperty("error", True)
            own = widget.toolTip()
            body = own[4:-5] if own.startswith("<qt>") and own.endswith("</qt>") else html.escape(own)
            written = f"<qt><p style='color:{colors.ERROR}'><b>{html.escape(message)}</b></p>{body}</qt>"
            widget.setToolTip(written)
            self._marked.append((widget, own, written, label))
        shown_beside = widget is not None and label is not None and widget.isVisibleTo(widget.window())
        target_label = label if shown_beside else self.fallback
        target_label.setText(text if shown_beside else (f"{path}: {message}" if path else message))
        target_label.show()

    def clear(self) -> None:
        for widget, tip, written, label in self._marked:
            for overlay in widget.findChildren(ErrorOverlay, "error_frame", Qt.FindChildOption.FindDirectChildrenOnly):
                overlay.setParent(None)
                overlay.deleteLater()
            widget.setProperty("error", False)
            if widget.toolTip() == written:  # not replaced since by the panel showing another experiment
                widget.setToolTip(tip)
            if label is not None:
                label.hide()
        self._marked = []
        self.fallback.clear()
        self.fallback.hide()

    def marked(self) -> list[QWidget]:
        return [widget for widget, _, _, _ in self._marked]


# -- the panel contract --------------------------------------------------------------------------------


class SpecPanel(QWidget):
    """A panel that edits part of an Experiment (see the module's docstring). Subclasses fill
    ``_show`` and register their controls with ``self.marks``."""

    edited = Signal(dict)

    def __init__(self, object_name: str, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.setObjectName(object_name)
        self._exp = Experiment()
        self._updating = False
        self.error_label = message_label("error_label", boxed=True)
        self.marks = ErrorMarks(self.error_label)

    def set_experiment(self, exp: Experiment) -> None:
        """Show ``exp`` in every control without emitting ``edited``."""
        self._exp = exp
        self._updating = True
        try:
            self._show(exp)
        finally:
            self._updating = False

    def experiment(self) -> Experiment:
        return self._exp

    def show_error(self, path: Optional[str], message: str = "") -> None:
        """Mark the control that edits ``path`` (red frame, message beside it and in its tooltip);
        None clears every mark."""
        self.marks.show(path, message)

    def _show(self, exp: Experiment) -> None:
        raise NotImplementedError

    def _stack(self, *parts: QWidget) -> None:
        """The panel's column: the error label on top, then its groups."""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        for part in (self.error_label, *parts):
            layout.addWidget(part)
        layout.addStretch(1)

    def _emit(self, changes: dict) -> None:
        if self._updating:
            return
        self.marks.clear()  # the window marks this change again if it is refused
        self.edited.emit(changes)

    def _refuse(self, path: str, reason: str) -> None:
        """A typed text that is not a number: marked here, nothing proposed."""
        self.marks.show(path, reason)


class FieldForm(QFormLayout):
    """A form of labelled controls, each registered with the panel's marks under its spec path with
    a message line under it; rows can be shown or hidden by name (the parameters that only some
    optimizers or datasets use)."""

    def __init__(self, panel: SpecPanel, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.panel = panel
        self.rows: dict[str, QWidget] = {}
        self.labels: dict[str, QLabel] = {}
        self.messages: dict[str, QLabel] = {}
        self.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.setContentsMargins(4, 2, 4, 2)
        self.setHorizontalSpacing(6)
        self.setVerticalSpacing(3)

    def add(self, label: str, control: QWidget, name: str, path: Optional[str] = None, tip: str = "") -> QWidget:
        """A row: ``label``, then ``control`` with its message line under it."""
        holder = QWidget()
        holder.setObjectName(f"row_{name}")
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(1)
        column.addWidget(control)
        message = message_label(f"error_{name}")
        column.addWidget(message)
        if tip:
            control.setToolTip(tip)
        text = QLabel(label)
        text.setObjectName(f"label_{name}")
        text.setBuddy(control)
        text.setToolTip(tip)
        self.addRow(text, holder)
        self.rows[name], self.labels[name], self.messages[name] = holder, text, message
        if path:
            self.panel.marks.add(path, control, message)
            refused = getattr(control, "refused", None)
            if refused is not None:
                refused.connect(lambda reason, p=path: self.panel._refuse(p, reason))
        return control

    def set_row_visible(self, name: str, visible: bool) -> None:
        self.setRowVisible(self.rows[name], visible)


def align_labels(*forms: FieldForm) -> None:
    """One label column across several forms, so the controls of all groups start at the same x."""
    labels = [label for form in forms for label in form.labels.values()]
    width = max((label.sizeHint().width() for label in labels), default=0)
    for label in labels:
        label.setMinimumWidth(width)


def compact_combo(combo: QComboBox, characters: int = 8) -> QComboBox:
    """A combo box that does not widen the panel to its longest item; ``fit_popup`` once it is
    filled lets the list show every item whole."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(characters)
    return combo


def fit_popup(combo: QComboBox) -> None:
    combo.view().setMinimumWidth(combo.view().sizeHintForColumn(0) + 28)
