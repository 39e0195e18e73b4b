"""Optimizers racing over a 2-parameter loss surface: the lecture's animated figure, live.

The picture (a log-scaled map of the loss with contour lines) is computed here with numpy, once per
surface. The paths are not: torch stays out of the window's process, so a child process steps them
(``core.surfaces.serve_paths``), started from the app's fork server on the first Play. A QTimer in
the GUI thread asks it for a few steps at a time and draws what came back on the next frame; the
window's thread only polls the pipe and never waits. Every optimizer is stepped, shown or not, so
ticking one on shows its path so far, in the same race.
"""

from __future__ import annotations

import threading
from typing import Optional, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QPushButton, QSpinBox,
                               QVBoxLayout, QWidget)

from playground.core.optimizers import OPTIMIZERS
from playground.core.surfaces import MAX_STEPS, SURFACES, Surface, check_lr, check_start, serve_paths
from playground.ui import colors
from playground.ui.controls import LogControl
from playground.ui.forms import hint_label, rich_tip
from playground.ui.plots import style
from playground.ui.session import launch_process, process_context

DEFAULT_OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
# Okabe-Ito, readable for colour-blind viewers and on a washed-out projector; vivid on the pale map
PATH_COLORS = {"sgd": "#D55E00", "momentum": "#0072B2", "nesterov": "#56B4E9", "adagrad": "#009E73",
               "rmsprop": "#CC79A7", "adam": "#000000", "adamw": "#E69F00", "lbfgs": "#7F7F7F"}
GRID = 200  # samples a side of the loss picture
CONTOURS = 12
MAP_LOW, MAP_HIGH = (255, 255, 255), (160, 176, 198)  # white at the minimum, slate at the top: paths stand out
CONTOUR_PEN = (90, 100, 115, 110)
FRAME_MS = 33  # at most 30 draws a second; faster speeds take several steps a frame
PATH_WIDTH = 2.5
DEFAULT_SPEED = 20  # steps a second: slow enough to follow one step with the eye
MAX_SPEED = 200

TIP = ("The loss over two parameters, darker where it is higher (log scale, with contour lines); the star "
       "marks the minimum. Each line is one optimizer's path from the same start, a dot at its head.\n"
       "Click anywhere to start from there.")


def path_color(name: str) -> str:
    """An optimizer registered later gets one of the categorical colours."""
    return PATH_COLORS.get(name, colors.CATEGORICAL[OPTIMIZERS.names().index(name) % len(colors.CATEGORICAL)])


def log_loss_picture(surface: Surface) -> tuple[np.ndarray, QRectF]:
    """log10 of the loss above its lowest value on the grid, and where the picture lies in the plane."""
    xs, ys, loss = surface.grid(GRID)
    above = loss - loss.min()
    picture = np.log10(above + 1e-4 * max(above.max(), 1e-12))
    dx, dy = xs[1] - xs[0], ys[1] - ys[0]
    return picture, QRectF(xs[0] - dx / 2, ys[0] - dy / 2, xs[-1] - xs[0] + dx, ys[-1] - ys[0] + dy)


class _PathProcess:
    """The child process that steps the paths (torch lives there) and the pipe to it. A plain
    object, so that the view's ``destroyed`` can still stop it after the view is gone."""

    def __init__(self):
        self._conn = None
        self._process = None
        self._starter: Optional[threading.Thread] = None

    def start(self) -> None:
        """Started off the window's thread: the fork server may first have to import torch."""
        if self._conn is not None:
            return
        context = process_context()
        self._conn, child = context.Pipe()
        self._process = context.Process(target=serve_paths, args=(child,), name="playground-surfaces", daemon=True)
        self._starter = threading.Thread(target=launch_process, args=(self._process, child), name="surfaces-starter",
                                         daemon=True)
        self._starter.start()

    def send(self, *message) -> None:
        self.start()
        try:
            self._conn.send(message)
        except (BrokenPipeError, OSError):
            pass  # the process is gone; replies stop, the view says nothing moved

    def replies(self) -> list[tuple]:
        out = []
        try:
            while self._conn is not None and self._conn.poll():
                out.append(self._conn.recv())
        except (EOFError, OSError):
            pass
        return out

    @property
    def alive(self) -> bool:
        """Starting or running; False before the first start and after a crash or a failed start."""
        if self._process is None:
            return False
        return self._starter.is_alive() or (self._process.pid is not None and self._process.is_alive())

    def stop(self, timeout: float = 2.0) -> None:
        if self._conn is None:
            return
        self.send("quit")
        self._starter.join(timeout)
        process, self._process = self._process, None
        if process.pid is not None:
            process.join(timeout)
            if process.is_alive():
                process.terminate()
                process.join(timeout)
        self._conn.close()
        self._conn = None


class _Trail:
    """One optimizer's path: a line made once and fed from a growing buffer, and a dot at its head
    (a cross once the path diverged)."""

    def __init__(self, item: pg.PlotItem, color: str):
        self.curve = style.live_curve(item, color, PATH_WIDTH)
        self.head = pg.ScatterPlotItem(size=11, brush=pg.mkBrush(color), pen=pg.mkPen("w", width=1.5))
        self.head.setZValue(5)
        item.addItem(self.head)
        self.color = color
        self._xy = np.empty((64, 2))
        self.count = 0
        self.diverged_at: Optional[int] = None

    def reset(self, start: Sequence[float]) -> None:
        self.count = 0
        self.diverged_at = None
        self.extend(np.array([start], dtype=float))

    def extend(self, points: np.ndarray) -> None:
        if self.count + len(points) > len(self._xy):
            grown = np.empty((max(2 * len(self._xy), self.count + len(points)), 2))
            grown[:self.count] = self._xy[:self.count]
            self._xy = grown
        self._xy[self.count:self.count + len(points)] = points
        self.count += len(points)

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        return self._xy[:self.count, 0], self._xy[:self.count, 1]

    def draw(self) -> None:
        x, y = self.data()
        style.draw(self.curve, x, y)
        symbol = "x" if self.diverged_at is not None else "o"
        self.head.setData([x[-1]], [y[-1]], symbol=symbol,
                          pen=pg.mkPen(self.color if symbol == "x" else "w", width=2 if symbol == "x" else 1.5))

    def set_shown(self, shown: bool) -> None:
        self.curve.setVisible(shown)
        self.head.setVisible(shown)


class SurfaceView(QWidget):
    """Pick a surface and optimizers, press Play: every path steps from one start at one LR.
    ``shutdown()`` (also on close) ends the child process."""

    def __init__(self, parent: Optional[QWidget] = None, optimizers: Sequence[str] = DEFAULT_OPTIMIZERS):
        super().__init__(parent)
        self.surface_name = ""
        self.start: tuple[float, float] = (0.0, 0.0)
        self.lr = 0.0
        self.steps = 0  # the step the drawn paths have reached
        self.playing = False
        self._generation = 0  # the paths' current start; replies of older ones are dropped
        self._start_sent = False
        self._awaiting = False  # a step request is on its way
        self._process = _PathProcess()
        process = self._process
        self.destroyed.connect(lambda: process.stop())

        self.plot = style.plot_widget(None, "w₁", "w₂", TIP)
        self.plot.setObjectName("surface_plot")
        item = self.plot.getPlotItem()
        item.showGrid(x=False, y=False)
        item.getViewBox().setMouseEnabled(False, False)  # a click sets the start; the view stays the surface's
        item.hideButtons()
        item.setContentsMargins(0, 10, 10, 0)  # room for the top and right tick labels at the range's ends
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.image_item.setZValue(-10)
        self.image_item.setLookupTable(np.linspace(MAP_LOW, MAP_HIGH, 256).astype(np.uint8))
        item.addItem(self.image_item)
        self.contours = [pg.IsocurveItem(level=0, pen=pg.mkPen(CONTOUR_PEN, width=1), axisOrder="row-major")
                         for _ in range(CONTOURS)]
        for contour in self.contours:
            contour.setParentItem(self.image_item)
        self.minimum_marker = pg.ScatterPlotItem(symbol="star", size=20, brush=pg.mkBrush("w"),
                                                 pen=pg.mkPen(colors.TEXT, width=1.5))
        self.start_marker = pg.ScatterPlotItem(symbol="o", size=14, brush=pg.mkBrush(None),
                                               pen=pg.mkPen(colors.TEXT, width=2))
        for marker in (self.minimum_marker, self.start_marker):
            marker.setZValue(4)
            item.addItem(marker)
        self.trails = {name: _Trail(item, path_color(name)) for name in OPTIMIZERS.names()}
        self.plot.scene().sigMouseClicked.connect(self._clicked)

        self.surface_combo = QComboBox()
        self.surface_combo.setObjectName("surface_choice")
        for entry in SURFACES:
            self.surface_combo.addItem(entry.label, entry.name)
            self.surface_combo.setItemData(self.surface_combo.count() - 1, rich_tip(entry.label, entry.tip),
                                           Qt.ItemDataRole.ToolTipRole)
        self.surface_combo.currentIndexChanged.connect(lambda i: self.set_surface(self.surface_combo.itemData(i)))
        self.lr_control = LogControl("surface_lr", 1e-4, 10.0)
        self.lr_control.setToolTip("One LR for every path; a change takes effect at the next step.")
        self.lr_control.valueChanged.connect(self._lr_typed)
        self.lr_control.refused.connect(self._say_refused)
        self.speed = QSpinBox()
        self.speed.setObjectName("surface_speed")
        self.speed.setRange(1, MAX_SPEED)
        self.speed.setValue(DEFAULT_SPEED)
        self.speed.setSuffix(" steps/s")
        self.speed.valueChanged.connect(self._set_pace)
        self.play_button = QPushButton("Play")
        self.play_button.setObjectName("surface_play")
        self.play_button.clicked.connect(lambda: self.pause() if self.playing else self.play())
        self.reset_button = QPushButton("Reset")
        self.reset_button.setObjectName("surface_reset")
        self.reset_button.setToolTip("Every path back to the start, at step 0")
        self.reset_button.clicked.connect(self.reset)

        controls = QHBoxLayout()
        controls.addWidget(self.surface_combo)
        controls.addWidget(QLabel("LR"))
        controls.addWidget(self.lr_control, 1)
        controls.addWidget(self.speed)
        controls.addWidget(self.play_button)
        controls.addWidget(self.reset_button)
        self.checks: dict[str, QCheckBox] = {}
        legend = QVBoxLayout()  # a column beside the plot: the plot keeps the height a short window has
        legend.setContentsMargins(0, 0, 0, 0)
        for entry in OPTIMIZERS:
            box = QCheckBox(entry.label)
            box.setObjectName(f"surface_{entry.name}")
            box.setIcon(style.swatch(path_color(entry.name)))
            box.setToolTip(rich_tip(entry.label, entry.tip))
            box.setChecked(entry.name in optimizers)
            box.toggled.connect(lambda on, name=entry.name: self.trails[name].set_shown(on))
            self.trails[entry.name].set_shown(box.isChecked())
            self.checks[entry.name] = box
            legend.addWidget(box)
        self.tip_label = hint_label("", "surface_tip")
        self.status_label = QLabel()
        self.status_label.setObjectName("surface_status")
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        legend.addStretch(1)
        middle = QHBoxLayout()
        middle.addWidget(self.plot, 1)
        middle.addLayout(legend)
        layout.addLayout(middle, 1)
        layout.addWidget(self.tip_label)
        layout.addWidget(self.status_label)

        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._set_pace(self.speed.value())
        self.set_surface(SURFACES.names()[0])

    # -- the user's choices ------------------------------------------------------------------------
    def set_surface(self, name: str) -> None:
        """Its picture, its start and its suggested LR; the paths start over."""
        surface = SURFACES[name]
        self.surface_name = name
        index = self.surface_combo.findData(name)
        if index != self.surface_combo.currentIndex():
            self.surface_combo.setCurrentIndex(index)  # comes back here once, with nothing left to do
            return
        picture, rect = log_loss_picture(surface)
        self.image_item.setImage(picture, levels=(picture.min(), picture.max()))
        self.image_item.setRect(rect)
        for contour, level in zip(self.contours, np.linspace(picture.min(), picture.max(), CONTOURS + 2)[1:-1]):
            contour.setData(picture, level)
        self.minimum_marker.setData(*np.array(surface.minima).T)
        self.plot.getPlotItem().getViewBox().setRange(xRange=surface.x_range, yRange=surface.y_range, padding=0)
        self.tip_label.setText(SURFACES.entry(name).tip)
        self.lr = surface.lr
        self.lr_control.setValue(self.lr)
        self.set_start(surface.start)

    def set_start(self, start: Sequence[float]) -> None:
        """Every path starts over from ``start`` (inside the picture)."""
        self.start = check_start(SURFACES[self.surface_name], start)
        self.start_marker.setData([self.start[0]], [self.start[1]])
        self._restart()

    def set_lr(self, lr: float) -> None:
        """The running paths continue with ``lr``, their velocities and averages kept."""
        self.lr = check_lr(lr)
        self.lr_control.setValue(self.lr)
        if self._start_sent:
            self._process.send("lr", self.lr)

    def set_speed(self, steps_per_second: int) -> None:
        self.speed.setValue(steps_per_second)

    def play(self) -> None:
        if self.steps >= MAX_STEPS:
            return
        self.playing = True
        self.play_button.setText("Pause")
        self._timer.start()

    def pause(self) -> None:
        self.playing = False
        self.play_button.setText("Play")

    def reset(self) -> None:
        self.pause()
        self._restart()

    def shown_optimizers(self) -> list[str]:
        return [name for name, box in self.checks.items() if box.isChecked()]

    def path_data(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """The x and y of an optimizer's path as drawn, the start included."""
        return self.trails[name].data()

    def shutdown(self) -> None:
        """Stop playing and end the child process (a later Play starts a new one)."""
        self.pause()
        self._timer.stop()
        self._process.stop()
        self._start_sent = False
        self._awaiting = False

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)

    def showEvent(self, event) -> None:
        self._send_start()  # the child imports and builds while nobody waits: the first Play moves at once
        super().showEvent(event)

    # -- the race ----------------------------------------------------------------------------------
    def _restart(self) -> None:
        self._generation += 1
        self._start_sent = False
        self._awaiting = False
        self.steps = 0
        for trail in self.trails.values():
            trail.reset(self.start)
            trail.draw()
        self._show_status()

    def _send_start(self) -> None:
        if not self._start_sent:
            self._process.send("start", self._generation, self.surface_name, OPTIMIZERS.names(), self.start, self.lr)
            self._start_sent = True

    def _set_pace(self, steps_per_second: int) -> None:
        interval = max(1000 // steps_per_second, FRAME_MS)
        self._per_tick = max(1, round(steps_per_second * interval / 1000))
        self._timer.setInterval(interval)

    def _tick(self) -> None:
        if style.in_hidden_tab(self):
            return  # the race waits for its audience
        for reply in self._process.replies():
            self._take(reply)
        if self._awaiting and not self._process.alive:
            self.shutdown()
            self.status_label.setText("The process that steps the paths has stopped; press Play to start it again.")
            return
        if self.playing and not self._awaiting:
            self._send_start()
            self._process.send("step", min(self._per_tick, MAX_STEPS - self.steps))
            self._awaiting = True
        if not self.playing and not self._awaiting:
            self._timer.stop()

    def _take(self, reply: tuple) -> None:
        kind, generation, *rest = reply
        if generation != self._generation:
            return
        self._awaiting = False
        if kind == "error":
            self.pause()
            self.status_label.setText(rest[0])
            return
        self.steps, news = rest
        for name, (points, diverged_at) in news.items():
            trail = self.trails[name]
            trail.extend(points)
            trail.diverged_at = diverged_at
            if self.checks[name].isChecked():
                trail.draw()
        shown = [self.trails[name] for name in self.shown_optimizers()]
        if self.steps >= MAX_STEPS or (shown and all(t.diverged_at is not None for t in shown)):
            self.pause()
        self._show_status()

    def _show_status(self) -> None:
        parts = [f"step {self.steps}"]
        for name in self.shown_optimizers():
            if self.trails[name].diverged_at is not None:
                parts.append(f"{OPTIMIZERS.entry(name).label} diverged at step {self.trails[name].diverged_at}")
        if self.steps >= MAX_STEPS:
            parts.append(f"stopped at {MAX_STEPS} steps")
        self.status_label.setText("   ·   ".join(parts))

    # -- input ---------------------------------------------------------------------------------------
    def _clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        box = self.plot.getPlotItem().getViewBox()
        if not box.sceneBoundingRect().contains(event.scenePos()):
            return
        point = box.mapSceneToView(event.scenePos())
        try:
            self.set_start((point.x(), point.y()))
        except ValueError as e:
            self.status_label.setText(str(e))

    def _lr_typed(self, lr: float) -> None:
        try:
            self.set_lr(lr)
        except ValueError as e:
            self._say_refused(str(e))
            self.lr_control.setValue(self.lr)

    def _say_refused(self, reason: str) -> None:
        self.status_label.setText(f"LR not changed: {reason}")
