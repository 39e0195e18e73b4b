"""The look and the bookkeeping every live plot shares.

A light theme that survives a projector (white background, dark text, thick lines, 11-13 pt
fonts), set per widget so nothing global in pyqtgraph changes for other parts of the app; one
colour per layer, ordered by depth; and the doubling numpy buffer behind every live curve.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont

BACKGROUND = "w"
TEXT = "#1a1a1a"
GRID_ALPHA = 0.25
FONT_PT = 12  # titles and axis labels
TICK_PT = 11
SMALL_PT = 10  # the crowded places: one small histogram per layer
LINE_WIDTH = 3

# Okabe-Ito colours: distinct for colour-blind viewers and on washed-out projectors
TRAIN = "#0072B2"
VALIDATION = "#D55E00"
LEARNING_RATE = "#009E73"
REFERENCE = "#555555"
RIGHT = "#1a7f37"
WRONG = "#cf222e"

# TensorFlow Playground's class colours: orange for class 0 / negative, blue for class 1 / positive
ORANGE = (245, 147, 34)
NEUTRAL = (232, 234, 235)
BLUE = (8, 119, 189)
CATEGORICAL = ["#F59322", "#0877BD", "#2CA02C", "#D62728", "#9467BD",
               "#8C564B", "#E377C2", "#7F7F7F", "#BCBD22", "#17BECF"]


def font(points: int, bold: bool = False) -> QFont:
    f = QFont()
    f.setPointSize(points)
    f.setBold(bold)
    return f


def pen(color, width: float = LINE_WIDTH, style: Qt.PenStyle = Qt.PenStyle.SolidLine):
    p = pg.mkPen(color=color, width=width)
    p.setStyle(style)
    return p


def style_plot(item: pg.PlotItem, title: Optional[str] = None, x: Optional[str] = None,
               y: Optional[str] = None, title_pt: int = FONT_PT, tick_pt: int = TICK_PT) -> pg.PlotItem:
    """Dark axes, readable ticks and labels, a faint grid; the menu stays (it offers export)."""
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(TEXT, width=1))
        axis.setTextPen(pg.mkPen(TEXT))
        axis.setTickFont(font(tick_pt))
        axis.enableAutoSIPrefix(False)  # "lr (x0.001)" over ticks like 200 confuses more than it saves
        axis.setStyle(maxTickLevel=1)  # no third level of grid lines: half the cost of a repaint
    label_style = {"font-size": f"{title_pt}pt", "color": TEXT}
    if x:
        item.setLabel("bottom", x, **label_style)
    if y:
        item.setLabel("left", y, **label_style)
    if title:
        item.setTitle(title, size=f"{title_pt + 1}pt", color=TEXT, bold=True)
    item.showGrid(x=True, y=True, alpha=GRID_ALPHA)
    return item


class LogAxis(pg.AxisItem):
    """A y axis whose log mode labels plain numbers (0.002, 1e-05) and keeps labels when the data
    span less than a decade, where pyqtgraph's default leaves a log axis without any."""

    def logTickValues(self, minVal, maxVal, size, stdTicks):
        lo, hi = sorted((minVal, maxVal))
        if hi - lo > 3:
            self._labelled = None
            return super().logTickValues(minVal, maxVal, size, stdTicks)
        if hi - lo > 2:
            marks = (1,)
        elif hi - lo > 1:
            marks = (1, 2, 5)
        elif hi - lo > 0.4:
            marks = (1, 2, 3, 5)
        else:
            marks = tuple(range(1, 10))
        labelled, minor = [], []
        for decade in range(int(np.floor(lo)), int(np.ceil(hi)) + 1):
            for m in range(1, 10):
                v = decade + np.log10(m)
                if lo <= v <= hi:
                    (labelled if m in marks else minor).append(v)
        self._labelled = set(np.round(labelled, 9))
        return [(1.0, labelled), (None, minor)]

    def logTickStrings(self, values, scale, spacing):
        labelled = getattr(self, "_labelled", None)  # None: pyqtgraph's own ticks, label them all
        return [format_number(10 ** v * scale) if labelled is None or round(v, 9) in labelled else ""
                for v in values]


def format_number(x: float) -> str:
    """Short and plain: 0.002, 0.35, 12, 1e-05."""
    if x == 0 or not np.isfinite(x):
        return str(x)
    if 1 <= abs(x) < 1e5:
        return f"{x:.0f}" if x == round(x) else f"{x:.3g}"
    if 1e-3 <= abs(x) < 1:
        return f"{x:.3g}"
    mantissa, exponent = f"{x:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def plot_widget(title: Optional[str] = None, x: Optional[str] = None, y: Optional[str] = None,
                tooltip: str = "") -> pg.PlotWidget:
    widget = pg.PlotWidget(background=BACKGROUND, axisItems={"left": LogAxis("left")})
    style_plot(widget.getPlotItem(), title, x, y)
    widget.setMinimumSize(160, 120)
    if tooltip:
        widget.setToolTip(tooltip)
    return widget


def fast_curves(item: pg.PlotItem) -> None:
    """Long runs stay cheap: draw only the visible range, reduced to min/max per pixel column."""
    item.setDownsampling(auto=True, mode="peak")
    item.setClipToView(True)


FEW_POINTS = 30  # up to this many points a curve also shows dots: a lone first point is visible
SMOOTH_POINTS = 300  # antialiased thick lines: ~20 ms for 500 noisy points, ~700 for 9000


def live_curve(item: pg.PlotItem, color, width: float = LINE_WIDTH) -> pg.PlotDataItem:
    """A curve made once and fed with ``draw``; NaN leaves a gap (a missing value, a divergence)."""
    curve = item.plot(pen=pen(color, width), connect="finite")
    # peak downsampling keeps min and max of each bin: ~1.5 bins a pixel is the exact envelope,
    # pyqtgraph's default of 5 draws 3x more segments for no visible difference
    curve.opts["autoDownsampleFactor"] = 1.5
    return curve


def draw(curve: pg.PlotDataItem, x: np.ndarray, y: np.ndarray) -> None:
    """``setData`` with the look adapted to the length: dots while there are few points (one point
    draws no line), antialiasing while it is cheap. Without antialiasing pyqtgraph draws a thick
    line as separate segments, 10 ms instead of ~700 for 100k noisy points on 1000 pixels."""
    few = len(y) <= FEW_POINTS
    if few:  # pyqtgraph's dots warn on all-NaN data: none on a curve with nothing drawable
        drawable = np.isfinite(y) & (y > 0) if curve.opts["logMode"][1] else np.isfinite(y)
        few = bool(drawable.any())
    if few != (curve.opts.get("symbol") is not None):
        if few:
            color = curve.opts["pen"].color()
            curve.setSymbol("o")
            curve.setSymbolSize(6)
            curve.setSymbolBrush(color)
            curve.setSymbolPen(color)
        else:
            curve.setSymbol(None)
    curve.opts["antialias"] = len(y) <= SMOOTH_POINTS
    curve.setData(x, y)


def set_log_y(item: pg.PlotItem, on: bool) -> None:
    item.setLogMode(x=False, y=on)


def layer_colors(count: int) -> list[QColor]:
    """One colour per layer ordered by depth (dark purple = first, green = last), so 'deeper' reads
    at a glance; viridis' pale yellow end is cut off, it vanishes on white."""
    cmap = pg.colormap.get("viridis")
    stops = np.linspace(0.0, 0.8, count) if count > 1 else np.array([0.0])
    return [QColor(c) for c in cmap.map(stops, mode="qcolor")]


def legend_html(names: list[str], colors: list[QColor]) -> str:
    """A row of coloured squares with names: a legend that never covers a curve."""
    parts = [f'<span style="color:{c.name()}; font-size:16pt">&#9632;</span>&nbsp;{n}'
             for n, c in zip(names, colors)]
    return "&nbsp;&nbsp; ".join(parts)


def line_legend_html(names: list[str], colors: list[str]) -> str:
    """Thick coloured dashes with names, for line plots."""
    parts = [f'<span style="color:{c}; font-weight:bold">&#9473;&#9473;</span>&nbsp;{n}'
             for n, c in zip(names, colors)]
    return "&nbsp;&nbsp;&nbsp; ".join(parts)


class GrowingColumns:
    """Float columns that grow by doubling: amortized O(1) appends, bounded to 2x the data, and each
    column a contiguous view that ``setData`` can take without a copy."""

    MIN_CAPACITY = 256

    def __init__(self, columns: int):
        self._data = np.empty((columns, self.MIN_CAPACITY))
        self.count = 0

    @property
    def capacity(self) -> int:
        return self._data.shape[1]

    @property
    def columns(self) -> int:
        return self._data.shape[0]

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def append(self, block: np.ndarray) -> None:
        """``block`` is (columns, k)."""
        k = block.shape[1]
        needed = self.count + k
        if needed > self.capacity:
            capacity = self.capacity
            while capacity < needed:
                capacity *= 2
            grown = np.empty((self.columns, capacity))
            grown[:, :self.count] = self._data[:, :self.count]
            self._data = grown
        self._data[:, self.count:needed] = block
        self.count = needed

    def column(self, i: int) -> np.ndarray:
        return self._data[i, :self.count]

    def clear(self) -> None:
        """Back to the small initial buffer, so a cleared 100k-epoch run gives its memory back."""
        self._data = np.empty((self.columns, self.MIN_CAPACITY))
        self.count = 0


def column_block(records: list[dict], fields: tuple[str, ...]) -> np.ndarray:
    """(len(fields), len(records)) floats; a missing or None value becomes NaN (a gap in the line)."""
    return np.array([[r.get(f) for f in fields] for r in records], dtype=float).T.reshape(len(fields), -1)
