"""The lecture's diagnostics from probe records: activation histograms per layer (the init picture),
per-layer curves of activation std, gradient std and update/weight ratio, and dead or saturated
fractions.

Plot items come from pools that only grow (a histogram, a curve per layer): a new run or a new
network shows, hides and recolours them, so ``clear`` and ``add`` build pyqtgraph items only for
a network deeper than any shown before, never while someone drags a slider during training.
"""

from __future__ import annotations

from math import ceil
from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QCheckBox, QGridLayout, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget
from superqt.utils import QSignalDebouncer, QSignalThrottler

from playground.ui import colors
from playground.ui.plots import style

SERIES = ("act_std", "grad_std", "update_ratio")
RATIO_RULE = 1e-3  # the lecture's rule of thumb for |dW| / |W| per step
MAX_COLUMNS = 5  # histograms a row: ten layers in two rows at 1280x720
HIST_MIN_PX = 100  # a histogram's least width: its title "μ -0.03 σ 1.00" and its ticks fit
HIST_ROW_PX = 125  # a two-line title, the bars, the ticks: the shapes read, the curves keep room
CURVES_PX, BARS_PX = 160, 125
CURVE_WIDTH = 2.5
HEADER = "Activations per layer"
DRAW_HZ = 5  # a draw of ten layers' curves and histograms costs ~5-10 ms of the GUI thread; 5 a second reads as live
PREPARE_MS = 500  # after start-up, the items of the first network's depth are made in idle time
UNPROBED_MS = 1000  # a new run without a probe this long (no hidden layers): hide the histograms

HIST_TIP = ("What each hidden layer outputs for one training batch (the latest probe), first layer "
            "top left.\nHealthy: every layer keeps a similar spread, so the signal reaches the "
            "end intact.\nInit too small: the histograms shrink to a spike at 0 layer after layer "
            "(the signal dies).\nInit too large with tanh/sigmoid: the mass piles up at -1 and +1 "
            "(saturated: gradients vanish).\nReLU: a tall bar at 0 is normal; all of it at 0 means "
            "dead units.")
ACT_STD_TIP = ("Spread (standard deviation, σ) of each layer's outputs over training. Healthy: similar "
               "for all layers and steady. Falling with depth: vanishing signal; growing: exploding.")
GRAD_STD_TIP = ("Spread (σ) of each layer's weight gradients (log axis). Healthy: within about one order "
                "of magnitude across layers. Early layers far below later ones: vanishing gradients.")
RATIO_TIP = ("Update ratio: the size of each step's weight update relative to the weights, "
             "|dW| / |W| (log axis).\nRule of thumb: around 1e-3 (dashed line). Far below (1e-5): the "
             "learning rate is too low, the layer barely moves. Far above (1e-1): too high, training "
             "is unstable.\n"
             "None at step 0 before training: no update has been made yet.")
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


def layer_names(record: dict) -> list[str]:
    return [layer["name"] for layer in record["layers"]]


class ProbePlots(QWidget):
    """Per-layer activation histograms (latest probe), diagnostics over steps, dead/saturated bars."""

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self._names: Optional[list[str]] = None  # the layers of this run's probes; None: no probe yet
        self._shown: Optional[list[str]] = None  # the layers the items show (drawing lags the records)
        self._colored_for = 0  # the layer count the pools' colours are for
        self._colors: list = []
        self._history = style.History(1)
        self._latest: Optional[dict] = None
        self._steps_range = style.SteppedRange()
        self._stale = False  # data arrived while hidden: draw on show
        # a draw comes in an event of its own, after the records that asked for it: never inside the
        # frame that brought a new run's first records and pictures
        self._throttle = QSignalThrottler(QSignalThrottler.EmissionPolicy.Trailing, parent=self)
        self._throttle.setTimeout(1000 // DRAW_HZ)
        self._throttle.triggered.connect(self._draw)
        self._curves_due = QTimer(self)
        self._curves_due.setSingleShot(True)
        self._curves_due.setInterval(0)
        self._curves_due.timeout.connect(self._draw_curves)
        # a new run keeps the old layers' empty frames until its first probe: showing and hiding
        # them costs ~40 ms of layout, ten times an edit storm's budget
        self._unprobed = QSignalDebouncer(parent=self)
        self._unprobed.setTimeout(UNPROBED_MS)
        self._unprobed.triggered.connect(self._hide_layers)
        # items for a network seen in a hidden tab are made a moment later, not when the tab is
        # clicked: the click then answers at once
        self._prepare = QTimer(self)
        self._prepare.setSingleShot(True)
        self._prepare.setInterval(PREPARE_MS)
        self._prepare.timeout.connect(lambda: self._grow_pools(len(self._names or [])))

        self.header = QLabel(HEADER)
        self.header.setFont(style.font(style.FONT_PT, bold=True))
        # one line whatever the step: a label that changes height re-lays out every plot below it
        self.header.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.shared_x = QCheckBox("same x range")
        self.shared_x.setChecked(True)
        self.shared_x.setFont(style.font(style.TICK_PT))
        self.shared_x.setToolTip("One x range for every histogram, so a layer whose outputs shrink "
                                 "shows as a narrowing spike, as in the lecture's picture.")
        self.hist_view = pg.GraphicsLayoutWidget()
        self.hist_view.setBackground(style.BACKGROUND)
        self.hist_view.setToolTip(HIST_TIP)
        self.hist_view.setFixedHeight(HIST_ROW_PX)
        self._hist_pool: list[tuple[pg.PlotItem, pg.BarGraphItem]] = []
        self._columns = MAX_COLUMNS  # as many as the width holds, see resizeEvent

        self.legend_label = QLabel()
        self.legend_label.setFont(style.font(style.TICK_PT))
        self.legend_label.setWordWrap(True)
        self.legend_label.setStyleSheet(f"color: {colors.TEXT};")
        # room for two lines (ten layers' names) whatever the network, for the same reason
        self.legend_label.setFixedHeight(2 * self.legend_label.fontMetrics().lineSpacing() + 4)
        self.legend_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

        self.act_std_plot = style.plot_widget(None, "step", None, ACT_STD_TIP)
        self.grad_std_plot = style.plot_widget(None, "step", None, GRAD_STD_TIP)
        self.ratio_plot = style.plot_widget(None, "step", None, RATIO_TIP)
        style.set_log_y(self.grad_std_plot.getPlotItem(), True)
        style.set_log_y(self.ratio_plot.getPlotItem(), True)
        # InfiniteLine knows nothing of log axes: its position is in view units, log10 here
        self.ratio_reference = pg.InfiniteLine(
            pos=np.log10(RATIO_RULE), angle=0, movable=False,
            pen=style.pen(colors.REFERENCE, 2, Qt.PenStyle.DashLine),
            label="1e-3", labelOpts={"position": 0.03, "color": colors.REFERENCE, "anchors": [(0, 0), (0, 0)]})
        self.ratio_plot.getPlotItem().addItem(self.ratio_reference, ignoreBounds=False)
        self._series_plots = {"act_std": self.act_std_plot, "grad_std": self.grad_std_plot,
                              "update_ratio": self.ratio_plot}
        self.curves: dict[str, list[pg.PlotDataItem]] = {name: [] for name in SERIES}  # pools
        for plot, title in zip(self._series_plots.values(), ("Activation σ", "Gradient σ", "Update ratio")):
            item = plot.getPlotItem()
            style.fast_curves(item)
            style.set_title(item, title)
            item.enableAutoRange(x=False)  # _steps_range sets it in jumps, the same for all three

        self.dead_plot, self.dead_bars = self._fraction_plot("Dead units", DEAD_TIP)
        self.sat_plot, self.sat_bars = self._fraction_plot("Saturated", SAT_TIP)
        self.sat_note = pg.TextItem("no bounds,\nno saturation", color=colors.REFERENCE,
                                    anchor=(0.5, 0.5))
        self.sat_note.setFont(style.font(style.SMALL_PT))
        self.sat_plot.getPlotItem().addItem(self.sat_note, ignoreBounds=True)
        self.sat_note.hide()

        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.shared_x)
        # three curve plots in a row, the two bar plots under them: every title has room
        grid = QGridLayout()
        grid.setSpacing(4)
        # fixed heights: a deeper network adds rows of histograms above and the tab scrolls further,
        # but these plots keep their size (resizing them re-lays out every axis: ~40 ms)
        for col, plot in enumerate((self.act_std_plot, self.grad_std_plot, self.ratio_plot)):
            grid.addWidget(plot, 0, 2 * col, 1, 2)
            plot.setMinimumWidth(90)  # three in a row in a narrow tab
            plot.setFixedHeight(CURVES_PX)
        for col, plot in enumerate((self.dead_plot, self.sat_plot)):
            grid.addWidget(plot, 1, 3 * col, 1, 3)
            plot.setMinimumWidth(90)
            plot.setFixedHeight(BARS_PX)
        for col in range(6):
            grid.setColumnStretch(col, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.hist_view)
        layout.addWidget(self.legend_label, 0)
        layout.addLayout(grid)
        layout.addStretch(1)
        self.shared_x.toggled.connect(self._apply_x_ranges)

    # -- API -------------------------------------------------------------------------------
    def add(self, records: list[dict]) -> None:
        """Append the curves' points of the run's probe records; histograms and bars show the
        latest. A probe at the step of the one before replaces it (the untrained one at step 0);
        one behind it is ignored."""
        records = [r for r in records if r["type"] == "probe"]
        if not records:
            return
        self._unprobed.cancel()
        names = layer_names(records[-1])
        if names != self._names:
            self._new_network(names)
        records = style.moving_on([r for r in records if layer_names(r) == names], "step",
                                  self._history.newest_x)
        if not records:
            return
        rows = [[r["step"]] + [layer.get(key) for key in SERIES for layer in r["layers"]] for r in records]
        self._history.append(np.array(rows, dtype=float).T.reshape(self._history.columns, -1))
        self._latest = records[-1]
        self._request_draw()

    def clear(self) -> None:
        """A new run: forget the old one's probes now; the plots empty at the next draw, so an
        edit storm repaints them no more often than training does."""
        self._names = None
        self._latest = None
        self._history.clear()
        self._steps_range = style.SteppedRange()
        self._request_draw()
        self._unprobed.throttle()

    @property
    def histogram_plots(self) -> list[pg.PlotItem]:
        """The histograms of the network probed, first layer first."""
        return [plot for plot, _ in self._hist_pool[:len(self._names or [])]]

    @property
    def histogram_bars(self) -> list[pg.BarGraphItem]:
        return [bars for _, bars in self._hist_pool[:len(self._names or [])]]

    def probe_count(self) -> int:
        return self._history.count

    def flush(self) -> None:
        """Draw now what is waiting for the next draw (for a screenshot, or a test)."""
        if self._stale:
            self._draw()
        self._throttle.flush()
        if self._curves_due.isActive():
            self._draw_curves()

    def curve_data(self, series: str, layer: int) -> tuple[np.ndarray, np.ndarray]:
        """(steps, values) drawn for ``series`` in SERIES of the ``layer``-th layer (copies),
        including a draw still to come."""
        self.flush()
        x, y = self.curves[series][layer].getOriginalDataset()
        return (np.empty(0), np.empty(0)) if x is None else (np.array(x), np.array(y))

    def resizeEvent(self, event) -> None:
        """Rows of as many histograms as fit (hidden ones take no room): no horizontal scrolling."""
        super().resizeEvent(event)
        columns = max(1, min(MAX_COLUMNS, (event.size().width() - 8) // HIST_MIN_PX))
        if columns != self._columns:
            self._columns = columns
            # Qt's grid itself: pyqtgraph's removeItem/addItem take the plots out of the scene
            # and shrink the layout to its least size
            grid = self.hist_view.ci.layout
            for plot, _ in self._hist_pool:
                grid.removeItem(plot)
            for i, (plot, _) in enumerate(self._hist_pool):
                grid.addItem(plot, i // columns, i % columns)
            self._fit_rows()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self._draw()

    # -- the model: what the records said --------------------------------------------------
    def _new_network(self, names: list[str]) -> None:
        self._names = list(names)
        columns = 1 + 3 * len(names)
        if self._history.columns == columns:
            self._history.clear()
        else:
            self._history = style.History(columns)
        self._steps_range = style.SteppedRange()
        if len(names) > len(self._hist_pool):
            self._prepare.start()

    def _request_draw(self) -> None:
        if style.in_hidden_tab(self):
            self._stale = True
        else:
            self._throttle.throttle()

    # -- the pools of items ----------------------------------------------------------------
    def _grow_pools(self, count: int) -> None:
        """A histogram and a curve per series for each of ``count`` layers: ~13 ms a layer, so they
        are made once, when a network first needs them (not at start-up: the window appears
        sooner), and kept for every later network."""
        while len(self._hist_pool) < count:
            plot, bars = self._histogram(len(self._hist_pool))
            plot.hide()
            self._hist_pool.append((plot, bars))
            for key, series_plot in self._series_plots.items():
                curve = style.live_curve(series_plot.getPlotItem(), colors.TEXT, CURVE_WIDTH)
                curve.hide()
                self.curves[key].append(curve)

    def _show_layers(self, names: Optional[list[str]]) -> None:
        """As many histograms and curves shown as the network has layers, coloured by depth."""
        self._shown = names
        names = names or []
        L = len(names)
        self._grow_pools(L)
        if L != self._colored_for:
            self._color_layers(L)
        for i, (plot, bars) in enumerate(self._hist_pool):
            plot.setVisible(i < L)
            if i < L:
                bars.setOpts(height=np.zeros(len(bars.opts["height"])))
                self._set_histogram_title(plot, f"<b>{names[i]}</b><br>&nbsp;")
        for curves in self.curves.values():
            for curve in curves[L:]:
                curve.setData([], [])  # no other run's points, even hidden
            for i, curve in enumerate(curves):
                curve.setVisible(i < L)
        self._fit_rows()
        if self._shown is None:
            self.legend_label.setText("")
        else:
            self.legend_label.setText(style.legend_html(names, self._colors) if names else "no hidden layers to probe")

    def _color_layers(self, L: int) -> None:
        """Colours by depth for L layers; the bar plots' axes sized to L."""
        self._colored_for = L
        self._colors = style.layer_colors(L)
        for i, (_, bars) in enumerate(self._hist_pool[:L]):
            bars.setOpts(brush=self._colors[i])
        for curves in self.curves.values():
            for curve, color in zip(curves, self._colors):
                curve.setPen(style.pen(color, CURVE_WIDTH))
                curve.setSymbolBrush(color)  # the dots a short curve shows, too
                curve.setSymbolPen(color)
        ticks = [(i, str(i + 1)) for i in range(L)]  # names do not fit under narrow bars
        for plot, bars in ((self.dead_plot, self.dead_bars), (self.sat_plot, self.sat_bars)):
            plot.getPlotItem().getAxis("bottom").setTicks([ticks])
            plot.getPlotItem().setXRange(-0.6, max(L, 1) - 0.4, padding=0)
            bars.setOpts(x=np.arange(L), height=np.zeros(L), brushes=self._colors)
        self.sat_note.setPos((max(L, 1) - 1) / 2, 0.5)

    def _hide_layers(self) -> None:
        if self._names is None:  # still no probe of this run
            self._show_layers(None)

    def _fit_rows(self) -> None:
        """The view as tall as its rows, the layout as large as the view: when the shown plots
        change, Qt shrinks pyqtgraph's layout to its least size, and pyqtgraph fits it to the
        view only when the view is resized."""
        rows = max(ceil(len(self._shown or []) / self._columns), 1)
        self.hist_view.setFixedHeight(rows * HIST_ROW_PX)
        self.hist_view.ci.layout.activate()
        self.hist_view.ci.setGeometry(self.hist_view.range)

    def _histogram(self, i: int) -> tuple[pg.PlotItem, pg.BarGraphItem]:
        """The i-th histogram of the pool, in its place of the grid (hidden places take no room)."""
        plot = self.hist_view.addPlot(row=i // self._columns, col=i % self._columns,
                                      axisItems={"bottom": style.CompactAxis("bottom")})
        style.style_plot(plot, title_pt=style.SMALL_PT, tick_pt=style.SMALL_PT - 1)
        plot.hideAxis("left")  # counts differ by layer size; the shape is the message
        plot.getAxis("bottom").setStyle(maxTickLevel=0)
        plot.showGrid(x=False, y=False)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        bars = pg.BarGraphItem(x0=np.zeros(1), width=1.0, height=np.zeros(1), pen=None)
        plot.addItem(bars)
        return plot, bars

    @staticmethod
    def _set_histogram_title(plot: pg.PlotItem, html: str) -> None:
        if html != plot.titleLabel.text:  # a new text re-lays out the label: only when it changes
            plot.setTitle(html, size=f"{style.SMALL_PT}pt", color=colors.TEXT)

    def _fraction_plot(self, title: str, tip: str) -> tuple[pg.PlotWidget, pg.BarGraphItem]:
        plot = style.plot_widget(None, None, None, tip)
        item = plot.getPlotItem()
        style.set_title(item, title)
        item.setYRange(0.0, 1.0, padding=0.06)  # fractions: fixed, so 0.5 always looks half full
        item.getAxis("left").setTicks([[(0.0, "0"), (0.5, "0.5"), (1.0, "1")]])
        item.setMouseEnabled(x=False, y=False)
        item.showGrid(x=False, y=True, alpha=style.GRID_ALPHA)
        bars = pg.BarGraphItem(x=np.zeros(0), height=np.zeros(0), width=0.7, pen=None)
        item.addItem(bars)
        return plot, bars

    # -- drawing ---------------------------------------------------------------------------
    def _draw(self) -> None:
        self._stale = False
        if self._names is not None and self._names != self._shown:
            self._show_layers(self._names)
        if self._latest is None:
            self._show_nothing()
            return
        self._show_latest(self._latest)
        self._curves_due.start()  # the curves in an event of their own: two short stalls, not one long

    def _draw_curves(self) -> None:
        self._curves_due.stop()
        if self._latest is None or self._names is None:
            return
        steps = self._history.column(0)
        L = len(self._names)
        for s, key in enumerate(SERIES):
            for i, curve in enumerate(self.curves[key][:L]):
                style.draw(curve, steps, self._history.column(1 + s * L + i), dots=False)
        top = self._steps_range.fit(float(steps[-1]))
        if top is not None:  # not linked: side by side, linked views align by pixels
            for plot in self._series_plots.values():
                plot.getPlotItem().setXRange(0.0, top, padding=0.02)

    def _show_nothing(self) -> None:
        """A cleared view: no curve, no bar, no step; the frames of the old run's layers stay
        until the new run's first probe says which layers it has."""
        for curves in self.curves.values():
            for curve in curves:
                curve.setData([], [])
        for bars in [bars for _, bars in self._hist_pool] + [self.dead_bars, self.sat_bars]:
            bars.setOpts(height=np.zeros(len(bars.opts["height"])))
        self.sat_note.hide()
        self.header.setText(HEADER)

    def _show_latest(self, record: dict) -> None:
        layers = record["layers"]
        self.header.setText(f"Activations at step {record['step']:,}")  # fits beside the checkbox at 1280x720
        for (plot, bars), layer in zip(self._hist_pool, layers):
            hist = layer["hist"]
            counts = np.asarray(hist["counts"], dtype=float)
            lo, hi = float(hist["lo"]), float(hist["hi"])
            width = (hi - lo) / max(len(counts), 1) or 1.0
            bars.setOpts(x0=lo + width * np.arange(len(counts)), width=width, height=counts)
            self._set_histogram_title(plot, f"<b>{layer['name']}</b><br>μ {short(layer['act_mean'])}"
                                            f"  σ {short(layer['act_std'])}")
        self._apply_x_ranges()
        dead = np.array([layer.get("frac_dead_units") or 0.0 for layer in layers])
        saturated = [layer.get("frac_saturated") for layer in layers]
        self.dead_bars.setOpts(height=dead)
        self.sat_bars.setOpts(height=np.array([s or 0.0 for s in saturated]))
        self.sat_note.setVisible(all(s is None for s in saturated))

    def _apply_x_ranges(self) -> None:
        if not self._latest or not self._names:
            return
        plots = self.histogram_plots
        if self.shared_x.isChecked():
            lo = min(float(layer["hist"]["lo"]) for layer in self._latest["layers"])
            hi = max(float(layer["hist"]["hi"]) for layer in self._latest["layers"])
            if hi > lo:
                for plot in plots:
                    plot.setXRange(lo, hi, padding=0.03)
                return
        for plot in plots:
            plot.enableAutoRange(x=True)
            plot.getViewBox().updateAutoRange()  # now, not at the next paint

