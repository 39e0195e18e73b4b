"""The lecture's diagnostics from probe records: activation histograms per layer (the init picture),
per-layer curves of activation std, gradient std and update/weight ratio, and dead or saturated
fractions.

Items are created when the number of layers changes and updated in place otherwise, so a probe
every few steps costs a few ``setOpts``/``setData`` calls.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from playground.ui.plots import style

SERIES = ("act_std", "grad_std", "update_ratio")
RATIO_RULE = 1e-3  # the lecture's rule of thumb for |dW| / |W| per step

HIST_TIP = ("What each hidden layer outputs for one training batch (the latest probe), first layer "
            "on the left.\nHealthy: every layer keeps a similar spread, so the signal reaches the "
            "end intact.\nInit too small: the histograms shrink to a spike at 0 layer after layer "
            "(the signal dies).\nInit too large with tanh/sigmoid: the mass piles up at -1 and +1 "
            "(saturated: gradients vanish).\nReLU: a tall bar at 0 is normal; all of it at 0 means "
            "dead units.")
ACT_STD_TIP = ("Spread of each layer's outputs over training. Healthy: similar for all layers and "
               "steady. Falling with depth: vanishing signal; growing with depth: exploding.")
GRAD_STD_TIP = ("Spread of each layer's weight gradients (log axis). Healthy: within about one order "
                "of magnitude across layers. Early layers far below later ones: vanishing gradients.")
RATIO_TIP = ("Size of each step's weight update relative to the weights, |dW| / |W| (log axis).\n"
             "Rule of thumb: around 1e-3 (dashed line). Far below (1e-5): the learning rate is too "
             "low, the layer barely moves. Far above (1e-1): too high, training is unstable.")
DEAD_TIP = ("Fraction of units that output 0 for every example of the batch: they get no gradient "
            "and stop learning. A few percent is harmless; a large fraction (often after a too high "
            "learning rate with ReLU) wastes the layer: lower the rate, or try leaky ReLU.")
SAT_TIP = ("Fraction of tanh/sigmoid outputs within 0.01 of their bounds, where the slope (and so "
           "the gradient) is almost 0. Healthy: low. High: weights too large at init, or inputs "
           "not normalized.")


def short(x: float) -> str:
    """Two decimals, or one significant digit for tiny values: 0.35, -0.02, 3e-06."""
    if x == 0 or abs(x) >= 0.01:
        return f"{x:.2f}"
    mantissa, exponent = f"{x:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


class ProbePlots(QWidget):
    """Per-layer activation histograms (latest probe), diagnostics over steps, dead/saturated bars."""

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self._names: Optional[list[str]] = None  # None: no probe yet
        self._colors = []
        self._buffer = style.GrowingColumns(1)
        self._latest: Optional[dict] = None
        self._stale = False  # data arrived while hidden: draw on show

        self.header = QLabel("Activations per layer")
        self.header.setFont(style.font(style.FONT_PT + 1, bold=True))
        self.shared_x = QCheckBox("same x range for all layers")
        self.shared_x.setChecked(True)
        self.shared_x.setFont(style.font(style.TICK_PT))
        self.shared_x.setToolTip("One x range for every histogram, so a layer whose outputs shrink "
                                 "shows as a narrowing spike, as in the lecture's picture.")
        self.hist_view = pg.GraphicsLayoutWidget()
        self.hist_view.setBackground(style.BACKGROUND)
        self.hist_view.setToolTip(HIST_TIP)
        self.hist_view.setMinimumHeight(170)
        self.histogram_plots: list[pg.PlotItem] = []
        self.histogram_bars: list[pg.BarGraphItem] = []

        self.legend_label = QLabel()
        self.legend_label.setFont(style.font(style.TICK_PT))
        self.legend_label.setWordWrap(True)
        self.legend_label.setStyleSheet(f"color: {style.TEXT};")

        self.act_std_plot = style.plot_widget("Activation std", "step", None, ACT_STD_TIP)
        self.grad_std_plot = style.plot_widget("Gradient std", "step", None, GRAD_STD_TIP)
        self.ratio_plot = style.plot_widget("Update / weight", "step", None, RATIO_TIP)
        style.set_log_y(self.grad_std_plot.getPlotItem(), True)
        style.set_log_y(self.ratio_plot.getPlotItem(), True)
        # InfiniteLine knows nothing of log axes: its position is in view units, log10 here
        self.ratio_reference = pg.InfiniteLine(
            pos=np.log10(RATIO_RULE), angle=0, movable=False,
            pen=style.pen(style.REFERENCE, 2, Qt.PenStyle.DashLine),
            label="1e-3", labelOpts={"position": 0.03, "color": style.REFERENCE, "anchors": [(0, 0), (0, 0)]})
        self.ratio_plot.getPlotItem().addItem(self.ratio_reference, ignoreBounds=False)
        self._series_plots = {"act_std": self.act_std_plot, "grad_std": self.grad_std_plot,
                              "update_ratio": self.ratio_plot}
        self.curves: dict[str, list[pg.PlotDataItem]] = {name: [] for name in SERIES}
        for plot in self._series_plots.values():
            style.fast_curves(plot.getPlotItem())

        self.dead_plot, self.dead_bars = self._fraction_plot("Dead units", DEAD_TIP)
        self.sat_plot, self.sat_bars = self._fraction_plot("Saturated", SAT_TIP)
        self.sat_note = pg.TextItem("no bounds,\nno saturation", color=style.REFERENCE,
                                    anchor=(0.5, 0.5))
        self.sat_note.setFont(style.font(style.SMALL_PT))
        self.sat_plot.getPlotItem().addItem(self.sat_note, ignoreBounds=True)
        self.sat_note.hide()

        top = QHBoxLayout()
        top.addWidget(self.header)
        top.addStretch(1)
        top.addWidget(self.shared_x)
        grid = QGridLayout()
        for col, (plot, stretch) in enumerate(((self.act_std_plot, 3), (self.grad_std_plot, 3),
                                               (self.ratio_plot, 3), (self.dead_plot, 2), (self.sat_plot, 2))):
            grid.addWidget(plot, 0, col)
            grid.setColumnStretch(col, stretch)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.hist_view, 3)
        layout.addWidget(self.legend_label, 0)
        layout.addLayout(grid, 3)
        self.shared_x.toggled.connect(self._apply_x_ranges)

    # -- API -------------------------------------------------------------------------------
    def add(self, records: list[dict]) -> None:
        self.add_probes([r for r in records if r["type"] == "probe"])

    def add_probes(self, records: list[dict]) -> None:
        """Append the curves' points of every record; histograms and bars show the last one."""
        records = [r for r in records if r.get("type", "probe") == "probe"]
        if not records:
            return
        names = [layer["name"] for layer in records[-1]["layers"]]
        if names != self._names:
            self._set_layers(names)
        # records from before a change of network would not fit the new curves
        records = [r for r in records if [layer["name"] for layer in r["layers"]] == names]
        L = len(names)
        rows = [[r["step"]] + [layer.get(key) for key in SERIES for layer in r["layers"]] for r in records]
        self._buffer.append(np.array(rows, dtype=float).T.reshape(1 + 3 * L, -1))
        self._latest = records[-1]
        if self.window().isVisible() and not self.isVisible():
            self._stale = True  # in a hidden tab: keep the numbers, draw when shown
        else:
            self._draw()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self._draw()

    def _draw(self) -> None:
        self._stale = False
        if self._latest is None:
            return
        steps = self._buffer.column(0)
        L = len(self._names)
        for s, key in enumerate(SERIES):
            for i, curve in enumerate(self.curves[key]):
                style.draw(curve, steps, self._buffer.column(1 + s * L + i))
        self._show_latest(self._latest)

    def clear(self) -> None:
        self._set_layers([])
        self._names = None
        self._latest = None
        self.legend_label.setText("")
        self.sat_note.hide()
        self.header.setText("Activations per layer")

    def probe_count(self) -> int:
        return self._buffer.count

    def curve_data(self, series: str, layer: int) -> tuple[np.ndarray, np.ndarray]:
        """(steps, values) drawn for ``series`` in SERIES of the ``layer``-th layer (copies)."""
        x, y = self.curves[series][layer].getOriginalDataset()
        return (np.empty(0), np.empty(0)) if x is None else (np.array(x), np.array(y))

    # -- building --------------------------------------------------------------------------
    def _fraction_plot(self, title: str, tip: str) -> tuple[pg.PlotWidget, pg.BarGraphItem]:
        plot = style.plot_widget(title, "layer", None, tip)
        item = plot.getPlotItem()
        item.setYRange(0.0, 1.0, padding=0.06)  # fractions: fixed, so 0.5 always looks half full
        item.setMouseEnabled(x=False, y=False)
        item.showGrid(x=False, y=True, alpha=style.GRID_ALPHA)
        bars = pg.BarGraphItem(x=np.zeros(0), height=np.zeros(0), width=0.7, pen=None)
        item.addItem(bars)
        return plot, bars

    def _set_layers(self, names: list[str]) -> None:
        """A new network: new history; new plot items only if the number of layers changed."""
        count_changed = len(names) != len(self._names or [])
        self._names = list(names)
        L = len(names)
        self._buffer = style.GrowingColumns(1 + 3 * L)
        if count_changed:
            self._colors = style.layer_colors(L)
            self._build_histograms(L)
            self._build_curves(L)
            self._build_fraction_axes(L)
        else:
            for curves in self.curves.values():
                for curve in curves:
                    curve.setData([], [])
        for plot, name in zip(self.histogram_plots, names):
            plot.setTitle(f"<b>{name}</b>", size=f"{style.SMALL_PT}pt", color=style.TEXT)
        self.legend_label.setText(style.legend_html(names, self._colors) if names
                                  else "no hidden layers to probe")
        ticks = [(i, str(i + 1)) for i in range(L)]  # names do not fit under narrow bars
        for plot in (self.dead_plot, self.sat_plot):
            plot.getPlotItem().getAxis("bottom").setTicks([ticks])
        self.dead_bars.setOpts(x=np.arange(L), height=np.zeros(L), brushes=self._colors)
        self.sat_bars.setOpts(x=np.arange(L), height=np.zeros(L), brushes=self._colors)

    def _build_histograms(self, count: int) -> None:
        self.hist_view.clear()
        self.histogram_plots, self.histogram_bars = [], []
        for i in range(count):
            plot = self.hist_view.addPlot(row=0, col=i)
            style.style_plot(plot, title_pt=style.SMALL_PT, tick_pt=style.SMALL_PT - 1)
            plot.hideAxis("left")  # counts differ by layer size; the shape is the message
            plot.getAxis("bottom").setStyle(maxTickLevel=0)
            plot.showGrid(x=False, y=False)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            bars = pg.BarGraphItem(x0=np.zeros(1), width=1.0, height=np.zeros(1),
                                   brush=self._colors[i], pen=None)
            plot.addItem(bars)
            self.histogram_plots.append(plot)
            self.histogram_bars.append(bars)

    def _build_curves(self, count: int) -> None:
        for key, plot in self._series_plots.items():
            item = plot.getPlotItem()
            for curve in self.curves[key]:
                item.removeItem(curve)
            self.curves[key] = [style.live_curve(item, color, 2.5) for color in self._colors]

    def _build_fraction_axes(self, count: int) -> None:
        for plot in (self.dead_plot, self.sat_plot):
            plot.getPlotItem().setXRange(-0.6, max(count, 1) - 0.4, padding=0)
        self.sat_note.setPos((max(count, 1) - 1) / 2, 0.5)

    # -- showing the latest probe ----------------------------------------------------------
    def _show_latest(self, record: dict) -> None:
        layers = record["layers"]
        self.header.setText(f"Activations per layer at step {record['step']}")
        for plot, bars, layer in zip(self.histogram_plots, self.histogram_bars, layers):
            hist = layer["hist"]
            counts = np.asarray(hist["counts"], dtype=float)
            lo, hi = float(hist["lo"]), float(hist["hi"])
            width = (hi - lo) / max(len(counts), 1) or 1.0
            bars.setOpts(x0=lo + width * np.arange(len(counts)), width=width, height=counts)
            plot.setTitle(f"<b>{layer['name']}</b><br>μ {short(layer['act_mean'])}  σ {short(layer['act_std'])}",
                          size=f"{style.SMALL_PT}pt", color=style.TEXT)
        self._apply_x_ranges()
        dead = np.array([layer.get("frac_dead_units") or 0.0 for layer in layers])
        saturated = [layer.get("frac_saturated") for layer in layers]
        self.dead_bars.setOpts(x=np.arange(len(layers)), height=dead, brushes=self._colors)
        self.sat_bars.setOpts(x=np.arange(len(layers)),
                              height=np.array([s or 0.0 for s in saturated]), brushes=self._colors)
        self.sat_note.setVisible(all(s is None for s in saturated))

    def _apply_x_ranges(self) -> None:
        if not self._latest or not self.histogram_plots:
            return
        if self.shared_x.isChecked():
            lo = min(float(layer["hist"]["lo"]) for layer in self._latest["layers"])
            hi = max(float(layer["hist"]["hi"]) for layer in self._latest["layers"])
            if hi > lo:
                for plot in self.histogram_plots:
                    plot.setXRange(lo, hi, padding=0.03)
                return
        for plot in self.histogram_plots:
            plot.enableAutoRange(x=True)
            plot.getViewBox().updateAutoRange()  # now, not at the next paint
