"""Loss, accuracy and learning rate over a run, and the schedule preview.

Every curve is created once and fed views of one doubling numpy buffer, so a 100k-epoch run costs
one ``setData`` per curve per batch of records, and peak downsampling with clip-to-view keeps the
drawing proportional to the plot's width, not to the run's length.
"""

from __future__ import annotations

import time
from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from playground.ui.plots import style

FIELDS = ("epoch", "step", "train_loss", "val_loss", "train_acc", "val_acc", "lr")
COLUMN = {name: i for i, name in enumerate(FIELDS)}
X_AXES = {"epochs": "epoch", "steps": "step"}
SECONDARY_HZ = 4  # accuracy and LR curves: slower than the loss, which is what people watch

LOG_TIP = ("Log scale: equal distances are equal ratios, so a loss going from 1 to 0.1 to 0.01 "
           "shows as steady progress instead of a flat line near zero after the first epochs.")
LOSS_TIP = ("Mean loss on the training and validation splits after each epoch (epoch 0 = untrained).\n"
            "Both falling: still learning. Training falling while validation rises: overfitting, "
            "try regularization (dropout, weight decay) or more data.\n"
            "Flat from the start: learning rate too low or a bad initialization; jumping or "
            "exploding: learning rate too high.")
ACC_TIP = ("Fraction of examples classified correctly. Validation accuracy is the honest number: "
           "the gap to training accuracy is how much the network memorizes.")
LR_TIP = "The learning rate used in each epoch: flat for a constant rate, falling for a schedule."


def nice_above(value: float) -> float:
    """The smallest of 1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten that is >= value
    (> 0): steps of at most a third, so at least three quarters of the axis holds data."""
    if not np.isfinite(value) or value <= 0:
        return 1.0
    power = 10.0 ** np.floor(np.log10(value))
    for step in (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        if step * power >= value * (1 - 1e-12):
            return step * power
    return 10.0 * power


class SteppedRange:
    """An axis range that grows (or shrinks) in jumps instead of following every new point: a
    changed range redraws the axis, its ticks and the grid, which costs five times the curves."""

    def __init__(self) -> None:
        self.top: Optional[float] = None

    def fit(self, high: float) -> Optional[float]:
        """The new top if it must change, else None."""
        if not np.isfinite(high) or high <= 0:
            return None
        if self.top is None or high > self.top or high < self.top / 4:
            self.top = nice_above(high * 1.05)
            return self.top
        return None


def lr_range(plot: pg.PlotWidget, lrs: np.ndarray) -> None:
    """Linear LR axes start at 0, so a constant rate is a flat line, not noise around its value."""
    item = plot.getPlotItem()
    if item.getAxis("left").logMode:
        item.enableAutoRange(y=True)
        return
    finite = lrs[np.isfinite(lrs)]
    top = float(finite.max()) if finite.size else 0.0
    item.setYRange(0.0, top * 1.08 if top > 0 else 1.0, padding=0.1)


class MetricsPlots(QWidget):
    """Train/validation loss, accuracy and the learning rate over epochs or steps, x axes linked."""

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self._buffer = style.GrowingColumns(len(FIELDS))
        self._has_acc = False
        self._x_range, self._loss_range, self._lr_top = SteppedRange(), SteppedRange(), None
        self._secondary_drawn = 0.0
        self._secondary_timer = QTimer(self)
        self._secondary_timer.setSingleShot(True)
        self._secondary_timer.timeout.connect(self._redraw_secondary)

        self.x_axis = QComboBox()
        self.x_axis.addItems(list(X_AXES))
        self.x_axis.setToolTip("Plot against epochs (passes over the data) or optimizer steps "
                               "(batches): steps compare runs with different batch sizes fairly.")
        self.log_scale = QCheckBox("log loss axis")
        self.log_scale.setToolTip(LOG_TIP)

        self.loss_plot = style.plot_widget("Loss", "epoch", "loss", LOSS_TIP)
        self.acc_plot = style.plot_widget("Accuracy", "epoch", "accuracy", ACC_TIP)
        self.lr_plot = style.plot_widget("Learning rate", "epoch", "lr", LR_TIP)
        self.acc_plot.setYRange(0.0, 1.0, padding=0.06)  # fixed: 50% looks like 50% at any moment
        # a short plot: three labels, never crowded
        self.acc_plot.getPlotItem().getAxis("left").setTicks([[(0.0, "0"), (0.5, "0.5"), (1.0, "1")]])
        self.lr_plot.getPlotItem().getAxis("left").setStyle(showValues=False)  # too short: the title says it
        self.no_acc_label = QLabel("no accuracy for regression")
        self.no_acc_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_acc_label.setFont(style.font(style.FONT_PT))
        self.no_acc_label.setStyleSheet(f"color: {style.TEXT}; background: white;")

        loss_item, acc_item, lr_item = (p.getPlotItem() for p in (self.loss_plot, self.acc_plot, self.lr_plot))
        self._curves: dict[str, pg.PlotDataItem] = {}
        for name, item, color in (("train_loss", loss_item, style.TRAIN),
                                  ("val_loss", loss_item, style.VALIDATION),
                                  ("train_acc", acc_item, style.TRAIN),
                                  ("val_acc", acc_item, style.VALIDATION),
                                  ("lr", lr_item, style.LEARNING_RATE)):
            self._curves[name] = style.live_curve(item, color)
        for item in (loss_item, acc_item, lr_item):
            style.fast_curves(item)
        acc_item.setXLink(loss_item)
        lr_item.setXLink(loss_item)
        for item in (loss_item, acc_item, lr_item):
            item.disableAutoRange()  # SteppedRange sets them: see _fit_ranges

        controls = QHBoxLayout()
        x_label = QLabel("x axis:")
        controls.addWidget(x_label)
        controls.addWidget(self.x_axis)
        controls.addSpacing(16)
        controls.addWidget(self.log_scale)
        controls.addStretch(1)
        # the legend sits above the plots, where it can never hide a curve
        self.legend_label = QLabel(style.line_legend_html(["train", "validation"], [style.TRAIN, style.VALIDATION]))
        controls.addWidget(self.legend_label)
        for w in (x_label, self.x_axis, self.log_scale, self.legend_label):
            w.setFont(style.font(style.TICK_PT))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(controls)
        self.loss_plot.setMinimumHeight(170)
        self.acc_plot.setMinimumHeight(130)
        self.lr_plot.setMinimumHeight(100)
        layout.addWidget(self.loss_plot, 3)
        layout.addWidget(self.acc_plot, 2)
        layout.addWidget(self.no_acc_label, 0)
        layout.addWidget(self.lr_plot, 1)
        self._show_accuracy(False)
        self.no_acc_label.hide()  # nothing known yet: show neither the plot nor the note

        self.x_axis.currentTextChanged.connect(self._x_axis_changed)
        self.log_scale.toggled.connect(self._apply_log_scale)

    # -- API -------------------------------------------------------------------------------
    def add(self, records: list[dict]) -> None:
        self.add_epochs([r for r in records if r["type"] == "epoch"])

    def add_epochs(self, records: list[dict]) -> None:
        """Append a batch of epoch records and redraw once."""
        if not records:
            return
        block = style.column_block(records, FIELDS)
        self._buffer.append(block)
        if not self._has_acc:
            self._show_accuracy(bool(np.isfinite(block[COLUMN["train_acc"]:COLUMN["val_acc"] + 1]).any()))
        self._redraw()

    def clear(self) -> None:
        self._buffer.clear()
        self._x_range, self._loss_range, self._lr_top = SteppedRange(), SteppedRange(), None
        self._has_acc = False
        self._show_accuracy(False)
        self.no_acc_label.hide()
        self._redraw()

    def set_log_scale(self, on: bool) -> None:
        self.log_scale.setChecked(on)  # the checkbox applies it, so both stay in step

    def set_x_axis(self, name: str) -> None:
        """'epochs' or 'steps'."""
        self.x_axis.setCurrentText(name)

    def point_count(self) -> int:
        return self._buffer.count

    def curve_data(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """What the named curve draws (copies), including a throttled update still to come."""
        if self._secondary_timer.isActive():
            self._redraw_secondary()
        x, y = self._curves[name].getOriginalDataset()
        if x is None:
            return np.empty(0), np.empty(0)
        return np.array(x), np.array(y)

    # -- internals -------------------------------------------------------------------------
    def _redraw(self) -> None:
        """The loss at every call; accuracy and LR at most SECONDARY_HZ times a second (each
        repaint of a plot holds the GIL that the training thread needs), the rest a moment later."""
        x = self._buffer.column(COLUMN[X_AXES[self.x_axis.currentText()]])
        for name in ("train_loss", "val_loss"):
            style.draw(self._curves[name], x, self._buffer.column(COLUMN[name]))
        self._fit_ranges(x)
        now = time.monotonic()
        if now - self._secondary_drawn >= 1.0 / SECONDARY_HZ:
            self._redraw_secondary()
        elif not self._secondary_timer.isActive():
            self._secondary_timer.start(int(1000 / SECONDARY_HZ))

    def _redraw_secondary(self) -> None:
        self._secondary_timer.stop()
        self._secondary_drawn = time.monotonic()
        x = self._buffer.column(COLUMN[X_AXES[self.x_axis.currentText()]])
        for name in ("train_acc", "val_acc", "lr"):
            style.draw(self._curves[name], x, self._buffer.column(COLUMN[name]))
        # the short plots say their latest value in the title, readable from the back of a room
        self._title(self.acc_plot, "Accuracy", "val_acc", lambda v: f"{v:.1%}")
        self._title(self.lr_plot, "Learning rate", "lr", style.format_number)

    def _title(self, plot: pg.PlotWidget, name: str, column: str, fmt) -> None:
        values = self._buffer.column(COLUMN[column])
        latest = values[-1] if len(values) else np.nan
        text = f"{name}: {fmt(float(latest))}" if np.isfinite(latest) else name
        if text != getattr(plot, "_shown_title", None):
            plot._shown_title = text
            plot.getPlotItem().setTitle(text, size=f"{style.FONT_PT + 1}pt", color=style.TEXT, bold=True)

    def _fit_ranges(self, x: np.ndarray) -> None:
        if not len(x):
            return
        top = self._x_range.fit(float(x[-1]))
        if top is not None:
            self.loss_plot.getPlotItem().setXRange(0.0, top, padding=0.02)
        loss_item = self.loss_plot.getPlotItem()
        if loss_item.getAxis("left").logMode:
            loss_item.enableAutoRange(y=True)
        else:
            losses = np.concatenate([self._buffer.column(COLUMN["train_loss"]), self._buffer.column(COLUMN["val_loss"])])
            finite = losses[np.isfinite(losses)]
            top = self._loss_range.fit(float(finite.max())) if finite.size else None
            if top is not None:
                loss_item.setYRange(0.0, top, padding=0.02)
        lrs = self._buffer.column(COLUMN["lr"])
        finite = lrs[np.isfinite(lrs)]
        lr_top = float(finite.max()) if finite.size else None
        if lr_top != self._lr_top:
            self._lr_top = lr_top
            lr_range(self.lr_plot, lrs)


    def _show_accuracy(self, has_acc: bool) -> None:
        self._has_acc = has_acc
        self.acc_plot.setVisible(has_acc)
        self.no_acc_label.setVisible(not has_acc)

    def _apply_log_scale(self, on: bool) -> None:
        style.set_log_y(self.loss_plot.getPlotItem(), on)
        self._loss_range = SteppedRange()
        self._redraw()

    def _x_axis_changed(self, text: str) -> None:
        label = X_AXES[text]
        for plot in (self.loss_plot, self.acc_plot, self.lr_plot):
            plot.getPlotItem().setLabel("bottom", label, **{"font-size": f"{style.FONT_PT}pt", "color": style.TEXT})
        self._x_range = SteppedRange()
        self._redraw()


class LRPreview(QWidget):
    """The learning rate of every epoch of a planned run: see a schedule before training with it."""

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.plot = style.plot_widget(None, "epoch", "learning rate",
                                      "The learning rate each epoch will use under this schedule.")
        self.plot.setMinimumSize(160, 110)
        self.curve = self.plot.getPlotItem().plot(pen=style.pen(style.LEARNING_RATE), antialias=True)
        self.log_scale = QCheckBox("log")
        self.log_scale.setToolTip("Log scale: an exponential decay becomes a straight line.")
        self.log_scale.toggled.connect(self._apply_log_scale)
        self.log_scale.setFont(style.font(style.TICK_PT))
        title = QLabel("Learning rate per epoch")
        title.setFont(style.font(style.TICK_PT, bold=True))
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.log_scale)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.plot, 1)

    def set_curve(self, lrs: list[float]) -> None:
        y = np.asarray(lrs, dtype=float)
        self.curve.setData(np.arange(1, len(y) + 1, dtype=float), y)
        lr_range(self.plot, y)

    def set_log_scale(self, on: bool) -> None:
        self.log_scale.setChecked(on)

    def _apply_log_scale(self, on: bool) -> None:
        style.set_log_y(self.plot.getPlotItem(), on)
        x, y = self.curve_data()
        lr_range(self.plot, y)

    def curve_data(self) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.curve.getOriginalDataset()
        return (np.empty(0), np.empty(0)) if x is None else (np.array(x), np.array(y))
