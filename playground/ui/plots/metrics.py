"""Loss, accuracy and learning rate over a run: a view fed the run's records.

The epoch records draw the train and validation curves; the "steps" records draw each batch's
training loss as a thin, pale curve under them, the one that shows a run climbing to its divergence
before a second epoch record ever comes. A "phase" record (a transfer run opening its backbone)
draws a marker across the plots. A companion run (the same experiment from scratch, trained side
by side) is drawn dashed over the run's curves, fed its own records through ``add_companion``. Every curve is created once and fed views of a bounded
``style.History``, so a 100k-epoch run costs what a 4k-epoch one does.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QCheckBox, QComboBox, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget
from superqt.utils import QSignalThrottler

from playground.ui import colors
from playground.ui.plots import style

FIELDS = ("epoch", "step", "train_loss", "val_loss", "train_acc", "val_acc", "lr")
COLUMN = {name: i for i, name in enumerate(FIELDS)}
X_AXES = {"epochs": "epoch", "steps": "step"}
SECONDARY_HZ = 4  # accuracy and LR curves: slower than the loss, which is what people watch
ACCURACY, LEARNING_RATE = "Accuracy", "Learning rate"
BATCH_ALPHA = 70  # of 255: the batch losses are context, the epoch curves the message
BASELINE_ALPHA, BASELINE_WIDTH = 120, 2  # a pinned run: there to compare with, not to read first
BATCH_COLOR = colors.REFERENCE  # grey: a noisy cloud of its own colour, not a second training curve

LOG_TIP = ("Log scale: equal distances are equal ratios, so a loss going from 1 to 0.1 to 0.01 "
           "shows as steady progress instead of a flat line near zero after the first epochs.")
LOSS_TIP = ("Mean loss on the training and validation splits after each epoch (epoch 0 = untrained); "
            "the thin pale line is the loss of each training batch.\n"
            "Both falling: still learning. Training falling while validation rises: overfitting, "
            "try regularization (dropout, weight decay) or more data.\n"
            "Flat from the start: learning rate too low or a bad initialization; jumping or "
            "exploding: learning rate too high.")
ACC_TIP = ("Fraction of examples classified correctly. Validation accuracy is the honest number: "
           "the gap to training accuracy is how much the network memorizes.")
LR_TIP = ("The learning rate used in each epoch (log axis): flat for a constant rate, falling for "
          "a schedule.")


def lr_log_range(lrs: np.ndarray) -> Optional[tuple[float, float]]:
    """log10 range of the positive rates, at least a decade wide: a constant rate is a flat line
    in the middle, with a labelled value above and below it."""
    positive = lrs[np.isfinite(lrs) & (lrs > 0)]
    if not positive.size:
        return None
    lo, hi = np.log10(positive.min()), np.log10(positive.max())
    middle, half = (lo + hi) / 2, max((hi - lo) / 2 + 0.1, 0.5)
    return float(middle - half), float(middle + half)


def pale(color: str) -> QColor:
    c = QColor(color)
    c.setAlpha(BATCH_ALPHA)
    return c


def finite_max(*columns: np.ndarray) -> float:
    values = np.concatenate(columns)
    values = values[np.isfinite(values)]
    return float(values.max()) if values.size else np.nan


class MetricsPlots(QWidget):
    """Train/validation loss (with the batch losses), accuracy and the learning rate over epochs
    or steps, on one x range."""

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self._epochs = style.History(len(FIELDS))
        self._batches = style.History(2)  # step, the loss of that step's batch
        self._companion = style.History(len(FIELDS))  # a run trained beside this one
        self._companion_name = ""
        self._baselines: list[tuple[str, str, dict]] = []  # finished runs pinned under the live ones
        self._baseline_curves: list[list] = []
        self._baseline_x = np.zeros(0)
        self._steps_per_epoch = 1
        self._stale = False  # records arrived while the tab was hidden
        self._x_range, self._loss_range, self._lr_span = style.SteppedRange(), style.SteppedRange(), None
        self._secondary = QSignalThrottler(parent=self)  # at once, then at most SECONDARY_HZ
        self._secondary.setTimeout(1000 // SECONDARY_HZ)
        self._secondary.triggered.connect(self._redraw_secondary)

        self.x_axis = QComboBox()
        self.x_axis.addItems(list(X_AXES))
        self.x_axis.setToolTip("Plot against epochs (passes over the data) or optimizer steps "
                               "(batches): steps compare runs with different batch sizes fairly.")
        self.log_scale = QCheckBox("log loss axis")
        self.log_scale.setToolTip(LOG_TIP)

        self.loss_plot = style.plot_widget(None, "epoch", None, LOSS_TIP)
        self.acc_plot = style.plot_widget(None, None, None, ACC_TIP)
        self.lr_plot = style.plot_widget(None, None, None, LR_TIP)
        self._loss_title()
        self.acc_plot.setYRange(0.0, 1.0, padding=0.06)  # fixed: 50% looks like 50% at any moment
        # a short plot: three labels, never crowded
        self.acc_plot.getPlotItem().getAxis("left").setTicks([[(0.0, "0"), (0.5, "0.5"), (1.0, "1")]])
        style.set_log_y(self.lr_plot.getPlotItem(), True)  # 4e-5 and 0.1 on one readable axis
        self.no_acc_label = QLabel("no accuracy\nfor regression")
        self.no_acc_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_acc_label.setFont(style.font(style.TICK_PT))
        self.no_acc_label.setStyleSheet(f"color: {colors.TEXT}; background: white;")

        loss_item, acc_item, lr_item = (p.getPlotItem() for p in (self.loss_plot, self.acc_plot, self.lr_plot))
        self.batch_curve = style.live_curve(loss_item, pale(BATCH_COLOR), 1)
        self.batch_curve.setZValue(-1)  # under the epoch curves
        self._curves: dict[str, pg.PlotDataItem] = {}
        for name, item, color in (("train_loss", loss_item, colors.TRAIN),
                                  ("val_loss", loss_item, colors.VALIDATION),
                                  ("train_acc", acc_item, colors.TRAIN),
                                  ("val_acc", acc_item, colors.VALIDATION),
                                  ("lr", lr_item, colors.LEARNING_RATE)):
            self._curves[name] = style.live_curve(item, color)
        for item in (loss_item, acc_item, lr_item):
            style.fast_curves(item)
            item.disableAutoRange()  # SteppedRange sets them: see _fit_ranges
        self._reset_titles()

        controls = QHBoxLayout()
        x_label = QLabel("x axis:")
        controls.addWidget(x_label)
        controls.addWidget(self.x_axis)
        controls.addSpacing(16)
        controls.addWidget(self.log_scale)
        controls.addStretch(1)
        for w in (x_label, self.x_axis, self.log_scale):
            w.setFont(style.font(style.TICK_PT))
        # the loss across the width; accuracy and LR side by side below it, each still readable
        plots = QGridLayout()
        plots.setSpacing(4)
        plots.addWidget(self.loss_plot, 0, 0, 1, 2)
        plots.addWidget(self.acc_plot, 1, 0)
        plots.addWidget(self.no_acc_label, 1, 0)
        plots.addWidget(self.lr_plot, 1, 1)
        plots.setRowStretch(0, 3)
        plots.setRowStretch(1, 2)
        plots.setColumnStretch(0, 1)
        plots.setColumnStretch(1, 1)
        self.loss_plot.setMinimumHeight(140)
        for plot in (self.acc_plot, self.lr_plot):
            plot.setMinimumHeight(90)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(2)
        layout.addLayout(controls)
        layout.addLayout(plots, 1)
        self._show_accuracy(False)
        self.no_acc_label.hide()  # nothing known yet: show neither the plot nor the note
        self._has_acc: Optional[bool] = None  # the first run's first epoch says
        self.x_axis.currentTextChanged.connect(self._x_axis_changed)
        self.log_scale.toggled.connect(self._apply_log_scale)

        self._companion_curves = {name: style.live_curve(item, color, style.LINE_WIDTH)
                                  for name, item, color in (("train_loss", loss_item, colors.TRAIN),
                                                            ("val_loss", loss_item, colors.VALIDATION),
                                                            ("val_acc", acc_item, colors.VALIDATION))}
        for curve in self._companion_curves.values():
            curve.setPen(style.pen(curve.opts["pen"].color(), style.LINE_WIDTH, Qt.PenStyle.DashLine))
        self._phases: list[dict] = []  # the run's phase records: a marker each
        self._markers = [pg.InfiniteLine(angle=90, pen=style.pen(colors.TEXT, 1, Qt.PenStyle.DotLine),
                                         label="phase two", labelOpts={"position": 0.9, "color": colors.TEXT})
                         for _ in range(2)]
        for item, marker in zip((loss_item, acc_item), self._markers):
            item.addItem(marker, ignoreBounds=True)
            marker.hide()

    # -- API -------------------------------------------------------------------------------
    def add(self, records: list[dict]) -> None:
        """Take the run's epoch, steps, ready and phase records; redraw once."""
        epochs, steps = [], []
        for r in records:
            kind = r["type"]
            if kind == "epoch":
                epochs.append(r)
            elif kind == "steps":
                steps.append(r)
            elif kind == "ready":
                self._steps_per_epoch = max(int(r["steps_per_epoch"]), 1)
            elif kind == "phase":
                self._phases.append(r)
                self._place_markers()
        epochs = style.moving_on(epochs, "epoch", self._epochs.newest_x)
        steps = style.moving_on(steps, "step", self._batches.newest_x)
        if not epochs and not steps:
            return
        if epochs:
            block = style.column_block(epochs, FIELDS)
            self._epochs.append(block)
            has_acc = bool(np.isfinite(block[COLUMN["train_acc"]:COLUMN["val_acc"] + 1]).any())
            if self._has_acc is None or (has_acc and not self._has_acc):
                self._show_accuracy(has_acc)
        for r in steps:
            losses = np.array(r["loss"], dtype=float)  # null: NaN, a gap
            self._batches.append(np.vstack([r["step"] + 1 + np.arange(len(losses)), losses]))
        if style.in_hidden_tab(self):
            self._stale = True
        else:
            self._redraw()

    def add_companion(self, records: list[dict], name: str) -> None:
        """The epoch records of a run trained beside this one (``name`` goes in the legend)."""
        epochs = style.moving_on([r for r in records if r["type"] == "epoch"], "epoch", self._companion.newest_x)
        if name != self._companion_name:
            self._companion_name = name
            self._loss_title()
        if epochs:
            self._companion.append(style.column_block(epochs, FIELDS))
            self._redraw_all()

    def clear_companion(self) -> None:
        self._companion.clear()
        self._companion_name = ""
        self._loss_title()
        self._redraw_all()

    def companion_data(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        x, y = self._companion_curves[name].getOriginalDataset()
        return (np.empty(0), np.empty(0)) if x is None else (np.array(x), np.array(y))

    def set_baselines(self, runs: list[tuple[str, str, dict]]) -> None:
        """Finished runs pinned under the live curves, pale: (name, colour, curves), curves being
        core.run_history's figures (lists by name). They stay through new runs until unpinned."""
        for curves in self._baseline_curves:
            for curve, item in curves:
                item.removeItem(curve)
        self._baselines = list(runs)
        loss_item, acc_item = self.loss_plot.getPlotItem(), self.acc_plot.getPlotItem()
        self._baseline_curves = []
        for _, color, _ in self._baselines:
            faint = pale(color)
            faint.setAlpha(BASELINE_ALPHA)
            curves = []
            for name, item, line in (("train_loss", loss_item, Qt.PenStyle.SolidLine),
                                     ("val_loss", loss_item, Qt.PenStyle.DashLine),
                                     ("val_acc", acc_item, Qt.PenStyle.SolidLine)):
                curve = style.live_curve(item, faint, BASELINE_WIDTH)
                curve.setPen(style.pen(faint, BASELINE_WIDTH, line))
                curve.setZValue(-2)  # under the batch losses and the live curves
                curves.append((curve, item))
            self._baseline_curves.append(curves)
        self._loss_title()
        self._draw_baselines()
        self._redraw_all()

    def baseline_data(self, name: str, figure: str) -> tuple[np.ndarray, np.ndarray]:
        """What a pinned run's ``figure`` (train_loss, val_loss, val_acc) draws."""
        index = [n for n, _, _ in self._baselines].index(name)
        curve = self._baseline_curves[index][("train_loss", "val_loss", "val_acc").index(figure)][0]
        x, y = curve.getOriginalDataset()
        return (np.empty(0), np.empty(0)) if x is None else (np.array(x), np.array(y))

    def _draw_baselines(self) -> None:
        """Draw the pinned runs against the chosen x: when they change or the x axis does, not with
        every frame of the live run (they do not move)."""
        unit = X_AXES[self.x_axis.currentText()]
        xs = []
        for (_, _, figures), curves in zip(self._baselines, self._baseline_curves):
            x = np.array(figures[unit], dtype=float)
            for (curve, _), name in zip(curves, ("train_loss", "val_loss", "val_acc")):
                style.draw(curve, x, np.array(figures[name], dtype=float), dots=False)
            xs.append(x)
        self._baseline_x = np.concatenate(xs) if xs else np.zeros(0)  # the ranges reach them too

    def clear(self) -> None:
        """A new run: forget the old one's points, titles and ranges; keep every item."""
        self._epochs.clear()
        self._batches.clear()
        self._phases.clear()
        self._place_markers()
        self._steps_per_epoch = 1
        self._x_range, self._loss_range, self._lr_span = style.SteppedRange(), style.SteppedRange(), None
        self._set_x_range(1.0)
        self.loss_plot.getPlotItem().setYRange(0.0, 1.0, padding=0.02)
        self._has_acc = None  # the next run's first epoch says; until then the layout stays as it is
        if style.in_hidden_tab(self):
            self._stale = True
        else:
            self._redraw_all()  # now: titles and curves of the old run go at once

    def set_log_scale(self, on: bool) -> None:
        self.log_scale.setChecked(on)  # the checkbox applies it, so both stay in step

    def set_x_axis(self, name: str) -> None:
        """'epochs' or 'steps'."""
        self.x_axis.setCurrentText(name)

    def point_count(self) -> int:
        return self._epochs.count

    def curve_data(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """What the named curve ("batch_loss" or an epoch field) draws (copies), including a
        throttled update still to come."""
        if self._stale:
            self._redraw_all()
        self._secondary.flush()
        curve = self.batch_curve if name == "batch_loss" else self._curves[name]
        x, y = curve.getOriginalDataset()
        if x is None:
            return np.empty(0), np.empty(0)
        return np.array(x), np.array(y)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self._redraw_all()

    # -- internals -------------------------------------------------------------------------
    def _redraw_all(self) -> None:
        self._redraw()
        self._secondary.cancel()
        self._redraw_secondary()

    def _place_markers(self) -> None:
        phase = self._phases[-1] if self._phases else None
        for marker in self._markers:
            marker.setVisible(phase is not None)
            if phase is not None:
                marker.setValue(phase["step"] if X_AXES[self.x_axis.currentText()] == "step" else phase["epoch"])

    def _x(self) -> tuple[np.ndarray, np.ndarray]:
        """x of the epoch points and of the batch points, in the chosen unit."""
        steps = self._batches.column(0)
        if X_AXES[self.x_axis.currentText()] == "step":
            return self._epochs.column(COLUMN["step"]), steps
        return self._epochs.column(COLUMN["epoch"]), steps / self._steps_per_epoch

    def _redraw(self) -> None:
        """The loss at every call; accuracy and LR at most SECONDARY_HZ times a second (each
        repaint of a plot holds the GIL that the training thread needs), the rest a moment later."""
        self._stale = False
        x, batch_x = self._x()
        for name in ("train_loss", "val_loss"):
            style.draw(self._curves[name], x, self._epochs.column(COLUMN[name]))
        companion_x = self._companion.column(COLUMN[X_AXES[self.x_axis.currentText()]])
        for name in ("train_loss", "val_loss"):
            style.draw(self._companion_curves[name], companion_x, self._companion.column(COLUMN[name]))
        style.draw(self.batch_curve, batch_x, self._batches.column(1), dots=False)
        self._fit_ranges(x, batch_x, self._baseline_x)
        self._secondary.throttle()

    def _redraw_secondary(self) -> None:
        x, _ = self._x()
        for name in ("train_acc", "val_acc", "lr"):
            style.draw(self._curves[name], x, self._epochs.column(COLUMN[name]))
        companion_x = self._companion.column(COLUMN[X_AXES[self.x_axis.currentText()]])
        style.draw(self._companion_curves["val_acc"], companion_x, self._companion.column(COLUMN["val_acc"]))
        # the short plots say their latest value in the title, readable from the back of a room
        self._title(self.acc_plot, ACCURACY, "val_acc", lambda v: f"{v:.1%}")
        self._title(self.lr_plot, LEARNING_RATE, "lr", style.format_number)

    def _title(self, plot: pg.PlotWidget, name: str, column: str, fmt) -> None:
        values = self._epochs.column(COLUMN[column])
        latest = values[-1] if len(values) else np.nan
        self._set_title(plot, f"{name}: {fmt(float(latest))}" if np.isfinite(latest) else name)

    @staticmethod
    def _set_title(plot: pg.PlotWidget, text: str) -> None:
        item = plot.getPlotItem()
        if text != item.titleLabel.text:  # a new text re-lays out the plot: only when it changes
            style.set_title(item, text)

    def _reset_titles(self) -> None:
        self._set_title(self.acc_plot, ACCURACY)
        self._set_title(self.lr_plot, LEARNING_RATE)

    def _loss_title(self) -> None:
        """The legend in the title line: it never covers a curve and costs no height."""
        legend = style.line_legend_html(["train", "validation"], [colors.TRAIN, colors.VALIDATION])
        batch = f'<span style="color:{BATCH_COLOR}">&#9472;&#9472;</span>&nbsp;batches'
        if self._companion_name:
            batch += f"&nbsp;&nbsp;&nbsp; - - -&nbsp;{self._companion_name}"
        if self._baselines:  # the pale lines are runs of the Runs list, in their colours there
            marks = "".join(f'<span style="color:{pale(color).name()}">&#9472;&#9472;</span>'
                            for _, color, _ in self._baselines)
            batch += f"&nbsp;&nbsp;&nbsp; {marks}&nbsp;pinned"
        self.loss_plot.getPlotItem().setTitle(
            f'Loss&nbsp;&nbsp;&nbsp;<span style="font-weight:normal; font-size:{style.TICK_PT}pt">'
            f"{legend}&nbsp;&nbsp;&nbsp; {batch}</span>",
            size=f"{style.FONT_PT + 1}pt", color=colors.TEXT, bold=True)

    def _fit_ranges(self, x: np.ndarray, batch_x: np.ndarray, baseline_x: np.ndarray) -> None:
        companion_x = self._companion.column(COLUMN[X_AXES[self.x_axis.currentText()]])
        right = finite_max(x[-1:], batch_x[-1:], companion_x[-1:], baseline_x)
        top = self._x_range.fit(right)
        if top is not None:
            self._set_x_range(top)
        loss_item = self.loss_plot.getPlotItem()
        if loss_item.getAxis("left").logMode:
            loss_item.enableAutoRange(y=True)
        else:
            pinned = [np.array(figures[n], dtype=float) for _, _, figures in self._baselines
                      for n in ("train_loss", "val_loss")]
            high = finite_max(*(h.column(COLUMN[n]) for n in ("train_loss", "val_loss")
                                for h in (self._epochs, self._companion)), self._batches.column(1), *pinned)
            top = self._loss_range.fit(high)
            if top is not None:
                loss_item.setYRange(0.0, top, padding=0.02)
        span = lr_log_range(self._epochs.column(COLUMN["lr"]))
        if span is not None and span != self._lr_span:
            self._lr_span = span
            self.lr_plot.getPlotItem().setYRange(*span, padding=0)

    def _set_x_range(self, top: float) -> None:
        """The same x range on all three: side by side, linked views would align by pixels."""
        for plot in (self.loss_plot, self.acc_plot, self.lr_plot):
            plot.getPlotItem().setXRange(0.0, top, padding=0.02)

    def _show_accuracy(self, has_acc: bool) -> None:
        self._has_acc = has_acc
        if self.acc_plot.isHidden() == has_acc or self.no_acc_label.isHidden() != has_acc:
            self.acc_plot.setVisible(has_acc)  # only on a change: it re-lays out every plot here
            self.no_acc_label.setVisible(not has_acc)

    def _apply_log_scale(self, on: bool) -> None:
        style.set_log_y(self.loss_plot.getPlotItem(), on)
        self._loss_range = style.SteppedRange()
        self._redraw()

    def _x_axis_changed(self, text: str) -> None:
        self.loss_plot.getPlotItem().setLabel("bottom", X_AXES[text],
                                              **{"font-size": f"{style.FONT_PT}pt", "color": colors.TEXT})
        self._x_range = style.SteppedRange()
        self._place_markers()
        self._draw_baselines()
        self._redraw_all()  # the user's click: all three at once
