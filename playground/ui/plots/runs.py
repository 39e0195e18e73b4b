"""The runs of a comparison, overlaid: a view fed each run's records.

Loss (training solid, validation dashed), validation accuracy, the learning rate and the probes'
update/weight ratio (the median over the layers: one line per run reads well) of every run,
one colour per run, on one x axis of epochs. The legend is a row of check boxes, one per run, that
show and hide its curves. Records only go into each run's bounded history; a timer draws the runs
that changed at most 30 times a second, however many runs report.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QCheckBox, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from playground.ui.plots import style

FIELDS = ("epoch", "train_loss", "val_loss", "val_acc", "lr")
COLUMN = {name: i for i, name in enumerate(FIELDS)}
FRAME_MS = 33
# the curves of one run: (plot, field, dashed)
CURVES = (("loss", "train_loss", False), ("loss", "val_loss", True), ("acc", "val_acc", False), ("lr", "lr", False),
          ("ratio", "update_ratio", False))
RATIO_TIP = ("Each run's update/weight ratio: the median over the layers of how much a step changes the weights, "
             "relative to their size. The lecture's rule of thumb: about 1e-3 (the dotted line); far below, the "
             "LR is too low, far above, too high.")


class _Run:
    def __init__(self, name: str, color: str, plots: dict[str, pg.PlotItem]):
        self.name, self.color = name, color
        self.history = style.History(len(FIELDS))
        self.ratios = style.History(2)  # epoch (from the probe's step), median update/weight ratio
        self.steps_per_epoch = 1
        self.curves = {}
        for plot, field, dashed in CURVES:
            curve = style.live_curve(plots[plot], color)
            if dashed:
                curve.setPen(style.pen(color, style.LINE_WIDTH - 1, Qt.PenStyle.DashLine))
            curve.opts["antialias"] = False  # up to 40 thick curves redrawn 30 times a second: the races' cores
            self.curves[field] = curve
        # a cross where the loss was last finite: a run that diverged at once has no line to show
        self.cross = plots["loss"].plot([], [], pen=None, symbol="x", symbolSize=18, symbolBrush=color,
                                        symbolPen=style.pen(color, 2))
        self.diverged = False
        self.dirty = False

    def add(self, records: list[dict]) -> None:
        epochs = style.moving_on([r for r in records if r["type"] == "epoch"], "epoch", self.history.newest_x)
        if epochs:
            self.history.append(style.column_block(epochs, FIELDS))
            self.dirty = True
        for record in records:
            if record["type"] == "end" and record.get("reason") == "diverged":
                self.diverged = self.dirty = True
            elif record["type"] == "ready":
                self.steps_per_epoch = max(int(record["steps_per_epoch"]), 1)
            elif record["type"] == "probe":
                ratios = [layer["update_ratio"] for layer in record["layers"] if layer.get("update_ratio")]
                x = record["step"] / self.steps_per_epoch
                if ratios and x > self.ratios.newest_x:
                    self.ratios.append(np.array([[x], [float(np.median(ratios))]]))
                    self.dirty = True

    def draw(self) -> None:
        x = self.history.column(0)
        for field, curve in self.curves.items():
            if field == "update_ratio":
                curve.setData(self.ratios.column(0), self.ratios.column(1))
            else:
                curve.setData(x, self.history.column(COLUMN[field]))
        if self.diverged:
            losses = self.history.column(COLUMN["train_loss"])
            finite = np.flatnonzero(np.isfinite(losses) & (losses > 0))
            if finite.size:
                self.cross.setData(x[finite[-1:]], losses[finite[-1:]])
        self.dirty = False

    def set_shown(self, shown: bool) -> None:
        for curve in (*self.curves.values(), self.cross):
            curve.setVisible(shown)

    def remove(self, plots: dict[str, pg.PlotItem]) -> None:
        for (plot, _, _), curve in zip(CURVES, self.curves.values()):
            plots[plot].removeItem(curve)
        plots["loss"].removeItem(self.cross)


class RunsPlots(QWidget):
    """Every run of a comparison on the same axes; ``set_runs`` starts a comparison's curves."""

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.title = QLabel("No comparison: Run ▸ Compare runs… (Ctrl+Shift+K)")
        self.title.setObjectName("runs_title")
        self.title.setWordWrap(True)
        self.legend = QHBoxLayout()
        self.legend.setSpacing(12)
        self.loss_plot = style.plot_widget("Loss", None, None, "Each run's training loss (solid) and validation "
                                           "loss (dashed), log scale: runs that differ by 100x still share the plot")
        self.loss_plot.getPlotItem().setLogMode(y=True)
        self.acc_plot = style.plot_widget("Validation accuracy", None, None, "Each run's validation accuracy")
        self.lr_plot = style.plot_widget("Learning rate", None, None, "Each run's learning rate (log scale)")
        self.lr_plot.getPlotItem().setLogMode(y=True)
        self.ratio_plot = style.plot_widget("Update / weight", None, None, RATIO_TIP)
        self.ratio_plot.getPlotItem().setLogMode(y=True)
        rule = pg.InfiniteLine(-3, angle=0, pen=style.pen("#555555", 1, Qt.PenStyle.DotLine))  # log10(1e-3)
        self.ratio_plot.getPlotItem().addItem(rule, ignoreBounds=True)
        self.plots = {"loss": self.loss_plot.getPlotItem(), "acc": self.acc_plot.getPlotItem(),
                      "lr": self.lr_plot.getPlotItem(), "ratio": self.ratio_plot.getPlotItem()}
        for item in self.plots.values():
            style.fast_curves(item)
        grid = QGridLayout()  # 2 x 2: at 1280x720 a row of three left each plot 45 px of height
        grid.addWidget(self.loss_plot, 0, 0)
        grid.addWidget(self.acc_plot, 0, 1)
        grid.addWidget(self.lr_plot, 1, 0)
        grid.addWidget(self.ratio_plot, 1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        heading = QHBoxLayout()
        heading.addWidget(self.title, 1)
        self.x_axis = QLabel("x axis: epoch")  # said once here: an axis title under each plot took a third of it
        self.x_axis.hide()
        heading.addWidget(self.x_axis)
        layout.addLayout(heading)
        layout.addLayout(self.legend)
        layout.addLayout(grid, 1)
        self._runs: dict[str, _Run] = {}
        self._spans: dict[str, Optional[tuple[float, float]]] = {"loss": None, "lr": None, "ratio": None}
        self.boxes: dict[str, QCheckBox] = {}
        self.frames = 0  # draws so far: the scripted mode's refresh rate
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._draw)  # runs while there are runs to draw

    def set_runs(self, names: list[str], colors: list[str], title: str, epochs: int = 0) -> None:
        """``epochs``: the longest run's, the x axis' end (fixed: a range that changes at every
        epoch redraws every axis, five times the cost of the curves)."""
        self.clear()
        self.title.setText(title)
        for item in self.plots.values():
            item.enableAutoRange(x=not epochs, y=False)
            if epochs:
                item.setXRange(0, epochs, padding=0.02)
        self.plots["acc"].setYRange(0, 1, padding=0.02)
        self._spans = {"loss": None, "lr": None, "ratio": None}
        for name, color in zip(names, colors):
            self._runs[name] = _Run(name, color, self.plots)
            box = QCheckBox(name)
            box.setObjectName(f"run_{name}")
            box.setIcon(style.swatch(color))
            box.setChecked(True)
            box.setToolTip(f"Show or hide the curves of {name}")
            box.toggled.connect(lambda shown, n=name: self.set_shown(n, shown))
            self.legend.addWidget(box)
            self.boxes[name] = box
        self.legend.addStretch(1)
        self.x_axis.show()
        self._timer.start()

    def add(self, name: str, records: list) -> None:
        run = self._runs.get(name)
        if run is not None:
            run.add(records)
            if run.diverged:
                self.boxes[name].setText(f"{name}: diverged")

    def set_shown(self, name: str, shown: bool) -> None:
        self._runs[name].set_shown(shown)
        if self.boxes[name].isChecked() != shown:
            self.boxes[name].setChecked(shown)

    def shown(self) -> list[str]:
        return [name for name, box in self.boxes.items() if box.isChecked()]

    def data(self, name: str, field: str) -> tuple[np.ndarray, np.ndarray]:
        """What is drawn for a run's ``field`` (for tests and exports)."""
        run = self._runs[name]
        if field == "update_ratio":
            return run.ratios.column(0).copy(), run.ratios.column(1).copy()
        return run.history.column(0).copy(), run.history.column(COLUMN[field]).copy()

    def clear(self) -> None:
        for run in self._runs.values():
            run.remove(self.plots)
        self._runs = {}
        while self.legend.count():
            widget = self.legend.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        self.boxes = {}
        self._timer.stop()
        self.title.setText("No comparison: Run ▸ Compare runs… (Ctrl+Shift+K)")
        self.x_axis.hide()

    def _draw(self) -> None:
        dirty = [run for run in self._runs.values() if run.dirty]
        if not dirty or style.in_hidden_tab(self):
            return
        for run in dirty:
            run.draw()
        for plot, fields in (("loss", ("train_loss", "val_loss")), ("lr", ("lr",))):
            self._fit_log_range(plot, [run.history.column(COLUMN[f]) for run in self._runs.values() for f in fields])
        self._fit_log_range("ratio", [run.ratios.column(1) for run in self._runs.values()] + [np.array([1e-3])])
        self.frames += 1

    def _fit_log_range(self, plot: str, columns: list[np.ndarray]) -> None:
        """A log axis from the 1-2-5 mark below the runs' lowest value to the one above their highest
        (0.2 to 2 for losses between 0.3 and 1.3; whole decades left two thirds of a short plot
        empty): it moves when a curve crosses a mark, not at every point."""
        values = np.concatenate(columns) if columns else np.zeros(0)
        values = values[np.isfinite(values) & (values > 0)]
        if not values.size:
            return
        span = (_mark(float(values.min()), below=True), _mark(float(values.max()), below=False))
        if span[1] <= span[0]:  # one value on a mark (every run at LR 0.01): the marks on either side
            span = (_mark(10 ** span[0] / 1.5, below=True), _mark(10 ** span[0] * 1.5, below=False))
        if span != self._spans.get(plot):
            self._spans[plot] = span
            self.plots[plot].setYRange(*span, padding=0.05)  # a constant LR off the frame


def _mark(value: float, below: bool) -> float:
    """log10 of the nearest of ..., 0.1, 0.2, 0.5, 1, 2, 5, 10, ... below (or above) a positive value."""
    decade = np.floor(np.log10(value))
    marks = [decade + np.log10(m) for m in (1, 2, 5, 10)]
    at = np.log10(value)
    if below:
        return float(max(m for m in marks if m <= at + 1e-12))
    return float(min(m for m in marks if m >= at - 1e-12))
