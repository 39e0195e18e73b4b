"""The look and the bookkeeping every live plot shares.

A light theme that survives a projector (white background, dark text, thick lines, 11-13 pt
fonts), set per widget so nothing global in pyqtgraph changes for other parts of the app; axes whose
labels never run together; one colour per layer, ordered by depth; and the bounded numpy history
behind every live curve.
"""

from __future__ import annotations

from math import ceil, floor, log10
from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QIcon, QPixmap

from playground.ui.colors import TEXT

BACKGROUND = "w"
GRID_ALPHA = 0.25
FONT_PT = 12  # titles and axis labels
TICK_PT = 11
SMALL_PT = 10  # the crowded places: one small histogram per layer
LINE_WIDTH = 3


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


def set_title(item: pg.PlotItem, text: str) -> None:
    """The title of a small plot: a point smaller than a big plot's, so it fits a third of a tab."""
    item.setTitle(text, size=f"{FONT_PT}pt", color=TEXT, bold=True)


# -- axes ---------------------------------------------------------------------------------------
UNITS = ((1e9, "G"), (1e6, "M"), (1e3, "k"))


def compact_number(value: float, step: float, unit: float = 1.0, suffix: str = "") -> str:
    """``value`` in ``unit`` with just the decimals that a tick ``step`` needs: 1.5k, 300k, 0.25."""
    decimals = max(0, ceil(log10(unit / step) - 1e-9)) if step > 0 else 0
    if abs(value) < step * 1e-6:  # 0, or 0 give or take the float error of a tick's position
        return "0"
    return f"{value / unit:.{decimals}f}{suffix}"


def nice_step(least: float, factors=(1.0, 2.0, 5.0)) -> float:
    """The smallest 1, 2 or 5 (or ``factors``) times a power of ten that is >= ``least`` (> 0)."""
    power = 10.0 ** floor(log10(least))
    for factor in (*factors, 10.0):
        if factor * power >= least * (1 - 1e-9):
            return factor * power
    return 10.0 * power


class CompactAxis(pg.AxisItem):
    """An axis whose labelled ticks are as many as their labels' widths allow, never more, and
    whose large numbers are short (1.5k, 300k, 1.2M): pyqtgraph spaces ticks by the axis length
    alone, so ``1000`` and ``1500`` ran together on a narrow plot. Unlabelled minor ticks only draw
    grid lines. The number of ticks is bounded by the pixels, whatever the range."""

    GAP_EM = 1.2  # space between two labels, in font heights

    def __init__(self, orientation: str, **kwargs):
        super().__init__(orientation, **kwargs)
        self.setStyle(maxTextLevel=0)  # minor ticks: grid lines, no labels

    def boundingRect(self):
        """Room for an end tick's label to reach past the axis' ends, where the plot has room
        (over the y axis, under the title): pyqtgraph drops such labels on axes with a grid, and
        so dropped the 0 under the first point. Not past the plot's right edge: it would be cut."""
        rect = super().boundingRect()
        reach = self._metrics().height()
        if self.orientation in ("left", "right"):
            return rect.adjusted(0, -reach, 0, reach)
        return rect.adjusted(-reach, 0, 0, 0)

    def _metrics(self) -> QFontMetricsF:
        return QFontMetricsF(self.style["tickFont"] or self.font())

    def _room(self, labels: list[str]) -> float:
        """Pixels along the axis that one label needs, with the gap to the next."""
        metrics = self._metrics()
        if self.orientation in ("left", "right"):
            return metrics.height() * (1 + self.GAP_EM / 2)
        return max(metrics.horizontalAdvance(s) for s in labels) + metrics.height() * self.GAP_EM

    def tickSpacing(self, minVal: float, maxVal: float, size: float):
        span = abs(maxVal - minVal)
        if not (np.isfinite(span) and span > 0 and size > 0):
            return []
        lo, hi = sorted((minVal, maxVal))
        step = nice_step(span * self._room(["0"]) / size)
        for _ in range(8):  # wider labels at a finer step: widen until they fit (two or three rounds)
            ends = [floor(lo / step) * step, ceil(hi / step) * step]
            room = self._room(self.tickStrings(ends, 1.0, step))
            if step / span * size >= room:
                break
            step = nice_step(step * 1.01)
        levels = [(step, 0.0)]
        minor = step / (4 if round(step / 10 ** floor(log10(step))) == 2 else 5)
        if self.style["maxTickLevel"] >= 1 and minor / span * size >= 8:
            levels.append((minor, 0.0))
        return levels

    def tickStrings(self, values, scale, spacing):
        if self.logMode:
            return self.logTickStrings(values, scale, spacing)
        step = spacing * scale
        largest = max((abs(v * scale) for v in values), default=0.0)
        unit, suffix = next(((u, s) for u, s in UNITS if largest >= u and step >= u / 10), (1.0, ""))
        if largest >= 1e12 or (unit == 1.0 and step < 1e-3):
            return [format_number(v * scale) if v else "0" for v in values]
        return [compact_number(v * scale, step, unit, suffix) for v in values]


class LogAxis(CompactAxis):
    """A y axis whose log mode labels plain numbers (0.002, 1e-05), as many as the pixels hold: every
    decade's 1, 2, 3 and 5 on a tall axis or a span under a decade, 1 and 3, every decade or every few
    decades on a short one. Its work is bounded by the pixels, not by the number of decades (a
    huge range once kept pyqtgraph's own log ticks busy for minutes)."""

    MARKS = ((1, 2, 3, 5), (1, 2, 5), (1, 3), (1,))  # finest first; (1, 3): two numbers on a short axis

    def tickValues(self, minVal, maxVal, size):
        """In log mode only ours: pyqtgraph would first make linear ticks, then throw them away."""
        if self.logMode:
            return self.logTickValues(minVal * self.scale, maxVal * self.scale, size, [])
        return super().tickValues(minVal, maxVal, size)

    def logTickValues(self, minVal, maxVal, size, stdTicks):
        lo, hi = sorted((minVal, maxVal))
        if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo and size > 0):
            return []
        per_decade = size / (hi - lo)
        room = self._metrics().height() * 1.25  # a quarter line between two: a short axis keeps two numbers
        # no label cut in half at the bottom of a short axis, over the x axis' numbers; at the top
        # it may stand out half its height (pyqtgraph draws 15 px past the end), beside the title
        inner = room / 3 / per_decade
        labelled = []
        for marks in self.MARKS:
            if per_decade * min(np.diff(np.log10([*marks, 10]))) >= room:
                labelled = self._marks(lo + inner, hi, marks, 1)
                if labelled:
                    break
        if not labelled:  # not even one label a decade fits: one every few decades, from where most fit
            every = max(1, int(nice_step(room / per_decade, (1.0, 2.0, 3.0, 5.0))))
            labelled = max((self._marks(lo + inner, hi, (1,), every, start) for start in range(min(every, 10))),
                           key=len)
        if not labelled:  # a span between two marks: the 1..9 x 10^k nearest its middle
            middle = (lo + hi) / 2
            labelled = sorted(self._marks(lo, hi, range(1, 10), 1), key=lambda v: abs(v - middle))[:1]
        minor = self._marks(lo, hi, range(1, 10) if per_decade >= 60 else (1,), 1) if per_decade >= 8 else []
        return [(1.0, labelled), (None, [v for v in minor if v not in labelled])]

    @staticmethod
    def _marks(lo: float, hi: float, marks, every: int, start: int = 0) -> list[float]:
        """log10 of marks x 10^k within [lo, hi], for every ``every``-th decade k from ``start``."""
        first = floor((lo - start) / every) * every + start
        return [float(k + log10(m)) for k in range(first, ceil(hi) + 1, every) for m in marks
                if lo <= k + log10(m) <= hi]

    def logTickStrings(self, values, scale, spacing):
        return [format_number(10.0 ** min(v, 308.0) * scale) for v in values]


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
    widget = pg.PlotWidget(background=BACKGROUND,
                           axisItems={"left": LogAxis("left"), "bottom": CompactAxis("bottom")})
    item = widget.getPlotItem()
    style_plot(item, title, x, y)
    # the title spans the y axis' column too: a third of a narrow tab still holds "Gradient σ"
    item.layout.removeItem(item.titleLabel)
    item.layout.addItem(item.titleLabel, 0, 0, 1, 3)
    widget.setMinimumSize(120, 80)
    if tooltip:
        widget.setToolTip(tooltip)
    return widget


def in_hidden_tab(widget) -> bool:
    """Hidden in a shown window (another tab is in front): a view keeps the numbers and draws
    when it is shown, not for nobody."""
    return widget.window().isVisible() and not widget.isVisible()


# -- curves -------------------------------------------------------------------------------------
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


def draw(curve: pg.PlotDataItem, x: np.ndarray, y: np.ndarray, dots: bool = True) -> None:
    """``setData`` with the look adapted to the length: dots while there are few points (one point
    draws no line; ``dots=False`` where many curves share a plot and each dot costs), antialiasing
    while it is cheap. Without antialiasing pyqtgraph draws a thick line as separate segments,
    10 ms instead of ~700 for 100k noisy points on 1000 pixels."""
    few = dots and len(y) <= FEW_POINTS
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


def swatch(color: Optional[str]) -> QIcon:
    """A square of the colour for a legend's check box (transparent for None: rows without one keep
    their text aligned)."""
    pixmap = QPixmap(14, 14)
    pixmap.fill(QColor(color) if color else QColor(0, 0, 0, 0))
    return QIcon(pixmap)


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


# -- history ------------------------------------------------------------------------------------
def moving_on(records: list[dict], key: str, newest: float) -> list[dict]:
    """The records whose ``key`` is not behind ``newest`` nor behind an earlier one of the list:
    a curve's x never goes back (an equal x replaces the point, see ``History.append``)."""
    kept = []
    for record in records:
        if record[key] >= newest:
            kept.append(record)
            newest = record[key]
    return kept


class History:
    """Float columns, x in row 0, that hold at most ``limit`` points of a run of any length: when
    full, every other point goes and from then on only every 2nd (then 4th, ...) new point is
    kept, so the run stays evenly covered while memory and drawing stay bounded. The newest point
    is always the last column, kept or not. Each column is a view that ``setData`` takes as is."""

    LIMIT = 4096

    def __init__(self, columns: int, limit: int = LIMIT):
        self._data = np.empty((columns, limit + 1))  # + 1: the newest point when it is not kept
        self.limit = limit
        self.clear()

    def clear(self) -> None:
        self._kept = 0  # evenly spaced points: every stride-th of those appended
        self._stride = 1
        self._appended = 0
        self._newest_apart = False  # the newest point follows the kept ones without being one

    @property
    def columns(self) -> int:
        return self._data.shape[0]

    @property
    def count(self) -> int:
        return self._kept + self._newest_apart

    @property
    def stride(self) -> int:
        return self._stride

    @property
    def newest_x(self) -> float:
        return float(self._data[0, self.count - 1]) if self.count else -np.inf

    def column(self, i: int) -> np.ndarray:
        return self._data[i, :self.count]

    def append(self, block: np.ndarray) -> None:
        """``block`` is (columns, k), x not decreasing and not below ``newest_x``. A point at the x
        of the one before it replaces that one (the untrained probe at step 0, then the real one)."""
        x = block[0]
        block = block[:, np.append(x[1:] != x[:-1], True)] if len(x) else block
        if block.shape[1] and self.count and block[0, 0] == self.newest_x:
            self._data[:, self.count - 1] = block[:, 0]
            block = block[:, 1:]
        k = block.shape[1]
        if k == 0:
            return
        index = self._appended + np.arange(k)
        self._appended += k
        chosen = np.flatnonzero(index % self._stride == 0)
        while len(chosen) > self.limit - self._kept:
            room = self.limit - self._kept
            self._keep(block[:, chosen[:room]])
            self._thin()
            chosen = chosen[room:]
            chosen = chosen[index[chosen] % self._stride == 0]
        self._keep(block[:, chosen])
        self._newest_apart = bool(index[-1] % self._stride)
        if self._newest_apart:
            self._data[:, self._kept] = block[:, -1]

    def _keep(self, points: np.ndarray) -> None:
        self._data[:, self._kept:self._kept + points.shape[1]] = points
        self._kept += points.shape[1]

    def _thin(self) -> None:
        """Keep every other kept point: those whose index is a multiple of the doubled stride."""
        half = (self._kept + 1) // 2
        self._data[:, :half] = self._data[:, :self._kept:2]
        self._kept = half
        self._stride *= 2


def column_block(records: list[dict], fields: tuple[str, ...]) -> np.ndarray:
    """(len(fields), len(records)) floats; a missing or None value becomes NaN (a gap in the line)."""
    return np.array([[r.get(f) for f in fields] for r in records], dtype=float).T.reshape(len(fields), -1)
