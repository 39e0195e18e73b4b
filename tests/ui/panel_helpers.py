"""What the panel tests share: the window's apply-and-show loop, typing into a field, finding
widgets by name and finding every error mark a panel shows."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QScrollArea, QWidget

from playground.core.spec import Experiment, SpecError
from playground.ui.forms import ErrorOverlay


class Window:
    """What the main window does with a panel's edits: apply and show the result, or show the old
    experiment again (a refused value never stays shown) and mark the refused control."""

    def __init__(self, panel, exp: Experiment):
        self.panel, self.exp, self.emitted = panel, exp, []
        self.show(exp)
        panel.edited.connect(self.apply)

    def show(self, exp: Experiment) -> None:
        self.panel.set_experiment(exp)

    def apply(self, changes: dict) -> None:
        self.emitted.append(changes)
        try:
            new = self.exp.with_changes(changes)
        except SpecError as e:
            self.panel.set_experiment(self.exp)
            self.panel.show_error(e.path, e.problem)
            return
        self.exp = new
        self.panel.show_error(None)
        self.show(new)


def find(panel, name: str, cls=QWidget):
    widget = panel.findChild(cls, name)
    assert widget is not None, f"no widget named {name!r}"
    return widget


def shown(panel, name: str) -> bool:
    return find(panel, name).isVisibleTo(panel)


def type_into(qtbot, field: QLineEdit, text: str, key=Qt.Key.Key_Return) -> None:
    """Select all, type ``text`` as keys, then end with ``key`` (Return, or Escape to throw it away)."""
    field.setFocus()
    field.selectAll()
    qtbot.keyClick(field, Qt.Key.Key_Backspace)
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, key)


def type_refused(qtbot, window: Window, field: QLineEdit, text: str, path: str) -> dict[str, str]:
    """Type a number the spec refuses: it is proposed once, as ``path``; the experiment stays as it
    was and the field shows its old value again. Returns the marks the panel then shows."""
    start, before = window.exp.to_dict(), field.text()
    type_into(qtbot, field, text)
    assert len(window.emitted) == 1 and list(window.emitted[0]) == [path]
    assert window.exp.to_dict() == start
    assert field.text() == before
    return marks(window.panel)


def marks(panel) -> dict[str, str]:
    """Every error mark the panel shows: {marked widget's name: its message}, and the panel's own
    label under "panel"; empty when nothing is marked."""
    found = {overlay.parentWidget().objectName(): "" for overlay in panel.findChildren(ErrorOverlay)}
    found.update({w.objectName(): "" for w in panel.findChildren(QWidget) if w.property("error") is True})
    for label in panel.findChildren(QLabel):
        if label.objectName().startswith("error_") and label.isVisibleTo(panel):
            key = "panel" if label.objectName() == "error_label" else label.objectName()[len("error_"):]
            found[key] = label.text()
    return found


def in_dock(qtbot, panel, size=(320, 700)):
    """The panel as the window shows it: in a scroll area of a 320 x 700 dock."""
    holder = QScrollArea()
    holder.setWidgetResizable(True)
    holder.setWidget(panel)
    holder.resize(*size)
    qtbot.addWidget(holder)
    holder.show()
    qtbot.waitExposed(holder)
    return holder


def clipped(panel) -> list[str]:
    """Names of the shown labels, buttons, fields and combo boxes whose text does not fit: a label
    narrower than its one line of text, a button narrower than it asks for, a field or closed
    combo box that cuts its text off (ChoiceCombo elides its own, so it is not checked)."""
    from PySide6.QtWidgets import QAbstractButton, QComboBox

    from playground.ui.controls import ChoiceCombo

    cut = []
    for widget in panel.findChildren(QWidget):
        if not widget.isVisibleTo(panel) or widget.width() == 0:
            continue
        advance = widget.fontMetrics().horizontalAdvance
        if isinstance(widget, QLabel) and not widget.wordWrap() and widget.text():
            too_narrow = advance(widget.text()) > widget.contentsRect().width()
        elif isinstance(widget, QAbstractButton):
            too_narrow = widget.width() < widget.sizeHint().width()
        elif isinstance(widget, QLineEdit):
            shown_text = widget.text() or widget.placeholderText()
            too_narrow = advance(shown_text) > widget.width() - 8
        elif isinstance(widget, QComboBox) and not isinstance(widget, ChoiceCombo):
            too_narrow = advance(widget.currentText()) > widget.width() - 28
        else:
            continue
        if too_narrow:
            cut.append(widget.objectName() or f"{type(widget).__name__}:{getattr(widget, 'text', lambda: '')()}")
    return cut


def shown_panel(qtbot, cls):
    """A panel of ``cls`` at the dock's width, shown, with the default experiment."""
    panel = cls()
    qtbot.addWidget(panel)
    panel.resize(320, 700)
    panel.show()
    qtbot.waitExposed(panel)
    panel.set_experiment(Experiment())
    return panel
