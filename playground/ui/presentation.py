"""Presentation mode (F5; Esc leaves): the window as a lecture instrument, readable from the back row.

Full screen; every font and plot line at the chosen scale (150 % by default, set in the View menu
and kept in the settings); a high-contrast palette (pure black on white, stronger grid lines) that
survives a washed-out projector; the advanced controls hidden, as TensorFlow Playground's
hide-controls does: the docks, the menu bar, the status bar and the toolbar's file and preset
buttons go, leaving the network, the data picture, the curves and the lecture's card. Leaving puts
back exactly the layout there was: docks, their sizes, the window's geometry.
"""

from __future__ import annotations

from typing import Optional

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QDockWidget, QMainWindow, QSplitter

from playground.ui.plots import style
from playground.ui.zoom import zoom

SCALES = (100, 125, 150, 175, 200, 250)  # percent
DEFAULT_SCALE = 150
SETTING = "presentation/scale"
GRID_ALPHA = 0.55  # the faint grid of the desk vanishes on a projector
CATCH_UP_MS = 500  # plots made since (a new step's layers) get the zoom this soon


def contrast_palette(base: QPalette) -> QPalette:
    """Black text on white, a dark selection: what a projector's washed-out greys cannot fade."""
    palette = QPalette(base)
    for role, color in ((QPalette.ColorRole.Window, "#ffffff"), (QPalette.ColorRole.WindowText, "#000000"),
                        (QPalette.ColorRole.Base, "#ffffff"), (QPalette.ColorRole.Text, "#000000"),
                        (QPalette.ColorRole.Button, "#e8e8e8"), (QPalette.ColorRole.ButtonText, "#000000"),
                        (QPalette.ColorRole.Highlight, "#003c8f"), (QPalette.ColorRole.HighlightedText, "#ffffff"),
                        (QPalette.ColorRole.ToolTipBase, "#ffffff"), (QPalette.ColorRole.ToolTipText, "#000000")):
        palette.setColor(role, QColor(color))
    return palette


class Presentation(QObject):
    """Enters and leaves presentation mode for one main window; ``toggled(bool)`` says which."""

    toggled = Signal(bool)

    def __init__(self, window: QMainWindow, settings, advanced: list):
        super().__init__(window)
        self.window, self.settings = window, settings
        self.advanced = advanced  # toolbar actions hidden while presenting
        self.active = False
        self._saved: Optional[tuple] = None
        self._catch_up = QTimer(self)
        self._catch_up.setInterval(CATCH_UP_MS)
        self._catch_up.timeout.connect(self._apply_zoom)
        self._splitters: dict = {}
        self._size = None
        window.installEventFilter(self)

    @property
    def scale(self) -> int:
        try:
            value = int(self.settings.value(SETTING, DEFAULT_SCALE))
        except (TypeError, ValueError):
            return DEFAULT_SCALE
        return value if value in SCALES else DEFAULT_SCALE

    def set_scale(self, percent: int) -> None:
        if percent not in SCALES:
            raise ValueError(f"scale must be one of {', '.join(map(str, SCALES))} %")
        self.settings.setValue(SETTING, percent)
        if self.active:
            self._apply_zoom()

    def step_scale(self, direction: int) -> int:
        """The next larger (1) or smaller (-1) scale; returns it."""
        index = min(max(SCALES.index(self.scale) + direction, 0), len(SCALES) - 1)
        self.set_scale(SCALES[index])
        return SCALES[index]

    def toggle(self) -> None:
        self.leave() if self.active else self.enter()

    def enter(self) -> None:
        if self.active:
            return
        w = self.window
        self._saved = (w.saveState(), w.geometry(), w.windowState(), w.palette(),
                       not w.menuBar().isHidden(), not w.statusBar().isHidden(),  # a window not shown yet too
                       [action.isVisible() for action in self.advanced])
        self._splitters = {splitter: splitter.saveState() for splitter in w.findChildren(QSplitter)}
        self.active = True
        for dock in w.findChildren(QDockWidget):
            dock.hide()
        w.menuBar().hide()
        w.statusBar().hide()
        for action in self.advanced:
            action.setVisible(False)
        w.setPalette(contrast_palette(w.palette()))
        self._apply_zoom()
        self._catch_up.start()
        w.setGeometry(w.screen().geometry())  # where no window manager makes it full screen (a bare X server)
        w.showFullScreen()
        self.toggled.emit(True)

    def leave(self) -> None:
        if not self.active:
            return
        w = self.window
        state, geometry, window_state, palette, menu, status, shown = self._saved
        self._size = geometry.size()
        self.active = False
        self._catch_up.stop()
        zoom(w, 1.0)
        self._set_grid(style.GRID_ALPHA)
        w.setPalette(palette)
        w.menuBar().setVisible(menu)
        w.statusBar().setVisible(status)
        for action, visible in zip(self.advanced, shown):
            action.setVisible(visible)
        w.setWindowState(window_state)
        if not window_state & (Qt.WindowState.WindowMaximized | Qt.WindowState.WindowFullScreen):
            w.setGeometry(geometry)  # as it was, not as restoreGeometry would fit it on this screen
        w.restoreState(state)
        self._restore_splitters()
        self._saved = None
        self.toggled.emit(False)

    def _restore_splitters(self) -> None:
        """Now, and again when the window is back at its size: a splitter shares a resize by its
        stretch factors, not in the proportions it had."""
        for splitter, state in self._splitters.items():
            splitter.restoreState(state)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Resize and not self.active and self._splitters:
            self._restore_splitters()
            if event.size() == self._size:
                self._splitters = {}
        return False

    def _apply_zoom(self) -> None:
        zoom(self.window, self.scale / 100)
        self._set_grid(GRID_ALPHA)

    def _set_grid(self, alpha: float) -> None:
        """Only plots that have a grid, and only when it changes (setting it redraws the axes)."""
        for view in self.window.findChildren(pg.PlotWidget):
            item = view.getPlotItem()
            grid = item.getAxis("left").grid
            if grid is not False and grid != int(alpha * 255):
                item.showGrid(x=True, y=True, alpha=alpha)
