"""What the panel tests share: the window's apply-and-show loop, and finding widgets by name."""

from __future__ import annotations

from PySide6.QtWidgets import QScrollArea, QWidget

from playground.core.spec import Experiment, SpecError


class Window:
    """What the main window does with a panel's edits: apply, then show the result or the error."""

    def __init__(self, panel, exp: Experiment):
        self.panel, self.exp, self.emitted = panel, exp, []
        panel.set_experiment(exp)
        panel.edited.connect(self.apply)

    def apply(self, changes: dict) -> None:
        self.emitted.append(changes)
        try:
            self.exp = self.exp.with_changes(changes)
        except SpecError as e:
            self.panel.show_error(e.path, e.problem)
            return
        self.panel.show_error(None)
        self.panel.set_experiment(self.exp)


def find(panel, name: str, cls=QWidget):
    widget = panel.findChild(cls, name)
    assert widget is not None, f"no widget named {name!r}"
    return widget


def shown(panel, name: str) -> bool:
    return find(panel, name).isVisibleTo(panel)


def in_dock(qtbot, panel):
    """The panel as the window shows it: in a scroll area of a 320 x 700 dock."""
    holder = QScrollArea()
    holder.setWidgetResizable(True)
    holder.setWidget(panel)
    holder.resize(320, 700)
    qtbot.addWidget(holder)
    holder.show()
    qtbot.waitExposed(holder)
    return holder
