"""The few-shot sweep as a picture: validation accuracy against labelled examples per class.

One line with markers and error bars (± one standard deviation over seeds) per strategy, on a log
x axis whose ticks are the counts the sweep ran; "all the data" is drawn at its own count of
examples per class, with its tick labelled "all". Fed a whole result (``set_result``) or one run
at a time while a sweep goes on (``add_result``); ``save_png`` writes it for a README or a slide.

Run as a module it draws a sweep's JSON into a PNG: ``python -m playground.ui.plots.sweep
sweep.json sweep.png`` (what ``playground transfer-sweep`` does in a process of its own).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Optional, Union

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from playground.core.backbones import STRATEGIES
from playground.core.sweep import SweepResult, SweepRow, per_class_label
from playground.ui import colors
from playground.ui.plots import style

# Okabe-Ito, as the other plots; from scratch, the baseline, grey and dashed
STRATEGY_COLORS = {"linear_probe": "#0072B2", "fine_tune_top": "#009E73", "fine_tune_all": "#E69F00",
                   "scratch": colors.REFERENCE}
SPARE_COLORS = ("#CC79A7", "#56B4E9", "#D55E00", "#000000")
SYMBOLS = ("o", "s", "t", "d", "h", "star")
DASHED = {"scratch"}
MARKER_PX = 10
BAR_WIDTH = 2
DODGE_DECADES = 0.018  # strategies side by side at one count, so that their error bars do not cover each other
BEAM_DECADES = 0.025
X_MARGIN_DECADES = 0.12
DEFAULT_SIZE = (900, 560)
TIP = ("Validation accuracy at the end of training against the number of labelled training examples "
       "per class (log axis): mean and ± one standard deviation over seeds.\nWith very little data "
       "the frozen pretrained features (linear probe) win; with more, opening more of the network "
       "catches up; from scratch needs the most data.")

Source = Union[SweepResult, dict, str, Path]


def _as_result(source: Source) -> SweepResult:
    if isinstance(source, SweepResult):
        return source
    if isinstance(source, dict):
        return SweepResult.from_dict(source)
    if isinstance(source, Path) or (isinstance(source, str) and not source.lstrip().startswith("{")):
        return SweepResult.from_json(Path(source).read_text(encoding="utf-8"))
    return SweepResult.from_json(source)


class SweepPlot(pg.PlotWidget):
    """Accuracy (%) against examples per class, one curve per strategy."""

    def __init__(self, result: Optional[Source] = None, parent: Optional[QWidget] = None):
        super().__init__(parent, background=style.BACKGROUND,
                         axisItems={"left": style.CompactAxis("left"), "bottom": pg.AxisItem("bottom")})
        item = self.getPlotItem()
        style.style_plot(item, None, "labelled training examples per class (log scale)", "validation accuracy (%)")
        item.getAxis("bottom").setStyle(tickTextOffset=6)
        item.setLogMode(x=True, y=False)
        item.setMenuEnabled(False)
        item.hideButtons()
        item.setMouseEnabled(x=False, y=False)
        item.setYRange(0.0, 100.0, padding=0.02)  # fixed: 50% looks like 50% whatever the data
        item.getAxis("left").setTicks([[(v, f"{v:g}") for v in range(0, 101, 20)],
                                       [(v, "") for v in range(10, 100, 20)]])
        # bottom right: under the curves, which rise to the right; above the chance line's label (left)
        self.legend = item.addLegend(offset=(-12, -12), labelTextColor=colors.TEXT, labelTextSize=f"{style.TICK_PT}pt",
                                     brush=pg.mkBrush(255, 255, 255, 230), pen=pg.mkPen(colors.MUTED, width=1))
        self.legend.setZValue(10)
        self.chance = pg.InfiniteLine(angle=0, movable=False, pen=style.pen(colors.MUTED, 1.5, Qt.PenStyle.DotLine),
                                      label="chance", labelOpts={"position": 0.02, "color": colors.MUTED,
                                                                 "anchors": [(0, 1), (0, 1)]})
        self.chance.label.setFont(style.font(style.SMALL_PT))
        self.chance.setZValue(-5)
        self.chance.hide()
        item.addItem(self.chance, ignoreBounds=True)
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._bars: dict[str, pg.ErrorBarItem] = {}
        self.result = SweepResult([], [], 0)
        self.setToolTip(TIP)
        self.setMinimumSize(320, 220)
        if result is not None:
            self.set_result(result)
        else:
            self._redraw()

    # -- API -----------------------------------------------------------------------------------
    def set_result(self, result: Source) -> None:
        """Show a whole sweep: a SweepResult, its dict, its JSON text or the path of its JSON file."""
        result = _as_result(result)
        for name in list(self._curves):  # labels may change with the overrides: made afresh
            self._remove(name)
        self.result = SweepResult(list(result.strategies), list(result.per_class), result.seeds, list(result.rows),
                                  result.experiment, result.overrides, result.seconds, result.workers)
        self._redraw()

    def set_plan(self, strategies: list[str], per_class: list[Optional[int]], seeds: int,
                 experiment: Optional[dict] = None) -> None:
        """Before a sweep's first run: the legend and the ticks of what will come, no points yet."""
        self.set_result(SweepResult(list(strategies), list(per_class), seeds, experiment=experiment or {}))

    def add_result(self, row: Union[SweepRow, dict]) -> None:
        """One run has ended (any order): its cell's point and error bar move to the new mean."""
        row = row if isinstance(row, SweepRow) else SweepRow.from_dict(row)
        result = self.result
        if row.strategy not in result.strategies:
            result.strategies.append(row.strategy)
        if row.per_class not in result.per_class:
            result.per_class.append(row.per_class)
        result.rows.append(row)
        result.seeds = max(result.seeds, row.seed + 1)
        self._redraw()

    def clear(self) -> None:
        self.set_result(SweepResult([], [], 0))

    def points(self, strategy: str) -> list[tuple[float, float, float]]:
        """(examples per class, mean %, std %) of a strategy's cells that have a run, by count;
        "all" at the full data's examples per class."""
        out = []
        for count, pc in self._counts():
            stats = self.result.cell(strategy, pc)
            if stats is not None:
                out.append((count, stats[0], stats[1]))
        return out

    def tick_labels(self) -> list[tuple[float, str]]:
        """The x ticks drawn: (examples per class, label)."""
        return [(count, per_class_label(pc)) for count, pc in self._counts()]

    def save_png(self, path: Union[str, Path], size: tuple[int, int] = DEFAULT_SIZE) -> None:
        """Write the plot as a PNG of exactly ``size`` pixels, laid out for that size (a copy is
        drawn off screen, so this widget keeps its own size wherever it is shown)."""
        from pyqtgraph.exporters import ImageExporter

        twin = SweepPlot(self.result)
        twin.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        twin.resize(*size)
        twin.show()
        QApplication.processEvents()
        try:
            exporter = ImageExporter(twin.getPlotItem())
            width, height = exporter.params.param("width"), exporter.params.param("height")
            width.setValue(int(size[0]), blockSignal=exporter.widthChanged)
            height.setValue(int(size[1]), blockSignal=exporter.heightChanged)
            exporter.export(str(path))
        finally:
            twin.close()
            twin.deleteLater()
        if not Path(path).exists():
            raise OSError(f"could not write {path}")

    # -- drawing -------------------------------------------------------------------------------
    def _counts(self) -> list[tuple[float, Optional[int]]]:
        """(examples per class, per_class) of the sweep's columns that can be placed, by count."""
        full = self.result.all_per_class
        placed = [(float(pc), pc) for pc in self.result.per_class if pc is not None]
        if None in self.result.per_class and full is not None:
            placed.append((full, None))
        return sorted(placed, key=lambda p: p[0])

    def _redraw(self) -> None:
        result = self.result
        item = self.getPlotItem()
        for name in list(self._curves):
            if name not in result.strategies:
                self._remove(name)
        shown = [s for s in result.strategies]
        for index, strategy in enumerate(shown):
            curve, bars = self._items(strategy, index)
            points = self.points(strategy)
            shift = (index - (len(shown) - 1) / 2) * DODGE_DECADES
            if points:
                x = np.log10([p[0] for p in points]) + shift
                y = np.array([p[1] for p in points])
                std = np.array([p[2] for p in points])
                curve.setData(10.0 ** x, y)
                bars.setData(x=x, y=y, height=2 * std, beam=BEAM_DECADES)
                bars.setVisible(bool((std > 0).any()))
            else:
                curve.setData([], [])
                bars.setVisible(False)
        counts = self._counts()
        axis = item.getAxis("bottom")
        if counts:
            logs = [math.log10(c) for c, _ in counts]
            axis.setTicks([[(v, per_class_label(pc)) for v, (_, pc) in zip(logs, counts)], []])
            item.setXRange(min(logs) - X_MARGIN_DECADES, max(logs) + X_MARGIN_DECADES, padding=0)
        else:
            axis.setTicks([[], []])
            item.setXRange(0.0, 2.0, padding=0)
        classes = next((r.classes for r in result.rows if r.classes), 0)
        self.chance.setVisible(classes > 1)
        if classes > 1:
            self.chance.setValue(100.0 / classes)
            self.chance.label.setFormat(f"chance ({100.0 / classes:.3g}%)")
        style.set_title(item, self._title())

    def _title(self) -> str:
        result = self.result
        backbone = result.experiment.get("transfer", {}).get("backbone")
        what = f"Few-shot transfer from {backbone}" if backbone else "Few-shot transfer"
        if result.seeds > 1:
            return f"{what}: mean ± std over {result.seeds} seeds"
        return what

    def _items(self, strategy: str, index: int) -> tuple[pg.PlotDataItem, pg.ErrorBarItem]:
        if strategy not in self._curves:
            known = list(STRATEGY_COLORS)
            color = STRATEGY_COLORS.get(strategy) or SPARE_COLORS[len(self._curves) % len(SPARE_COLORS)]
            symbol = SYMBOLS[known.index(strategy) if strategy in known else index % len(SYMBOLS)]
            line = Qt.PenStyle.DashLine if strategy in DASHED else Qt.PenStyle.SolidLine
            label = STRATEGIES.entry(strategy).label if strategy in STRATEGIES else strategy
            lr = self.result.overrides.get(strategy, {}).get("optim.lr")
            if lr is not None:  # not the experiment's LR, as the other curves: say so
                label += f", LR {lr:g}"
            curve = pg.PlotDataItem([], [], pen=style.pen(color, style.LINE_WIDTH, line), symbol=symbol,
                                    symbolSize=MARKER_PX, symbolBrush=pg.mkBrush(color),
                                    symbolPen=pg.mkPen("w", width=1.5), name=label, antialias=True)
            bars = pg.ErrorBarItem(x=np.zeros(0), y=np.zeros(0), pen=pg.mkPen(color, width=BAR_WIDTH))
            item = self.getPlotItem()
            item.addItem(bars)
            item.addItem(curve)
            self._curves[strategy], self._bars[strategy] = curve, bars
        return self._curves[strategy], self._bars[strategy]

    def _remove(self, strategy: str) -> None:
        item = self.getPlotItem()
        item.removeItem(self._curves.pop(strategy))
        item.removeItem(self._bars.pop(strategy))


_APP: list[QApplication] = []  # one made by render_png lives as long as the module


def render_png(source: Source, path: Union[str, Path], size: tuple[int, int] = DEFAULT_SIZE) -> None:
    """Draw a sweep into a PNG, starting Qt if nothing has (set QT_QPA_PLATFORM=offscreen first
    where there is no display)."""
    if QApplication.instance() is None:
        _APP.append(QApplication([sys.argv[0]]))
    SweepPlot(source).save_png(path, size)


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 4):
        print("usage: python -m playground.ui.plots.sweep SWEEP.json OUT.png [WIDTH HEIGHT]", file=sys.stderr)
        return 2
    size = (int(argv[2]), int(argv[3])) if len(argv) == 4 else DEFAULT_SIZE
    try:
        render_png(Path(argv[0]), argv[1], size)
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as e:
        print(f"cannot draw {argv[1]}: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
