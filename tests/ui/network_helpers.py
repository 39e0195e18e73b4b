"""What the network panel's tests share: the panel at a projector's size, and edits applied the
way the main window applies them, letting the layouts settle after each."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from playground.core.spec import Experiment
from playground.ui.network import NetworkPanel
from tests.ui import panel_helpers

PROJECTOR = (960, 300)  # what the network panel gets of a 1280x720 window


def show(panel: NetworkPanel, exp: Experiment) -> None:
    """set_experiment, then let the layouts settle as the event loop would."""
    panel.set_experiment(exp)
    QApplication.processEvents()


class Window(panel_helpers.Window):
    def show(self, exp: Experiment) -> None:
        show(self.panel, exp)


def network_panel(qtbot) -> NetworkPanel:
    """A shown panel (each test module's ``panel`` fixture)."""
    widget = NetworkPanel()
    qtbot.addWidget(widget)
    widget.resize(*PROJECTOR)
    widget.show()
    qtbot.waitExposed(widget)
    return widget
