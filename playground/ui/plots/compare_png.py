"""A comparison's loss curves as a PNG: one colour per run, training solid, validation dashed,
on a log loss axis (an LR sweep's losses span decades).

Run as a module it draws the runs' metrics.jsonl files, one curve pair per file, named by the
records' run: ``python -m playground.ui.plots.compare_png OUT.png A/metrics.jsonl B/metrics.jsonl``
(what ``playground compare`` does in a process of its own: Qt may abort where it cannot start).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from playground.ui import colors
from playground.ui.plots import style

# Okabe-Ito without its yellow (invisible on white), then black and grey: 8 runs at most
RUN_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", colors.REFERENCE)
SIZE = (900, 560)
FLOOR = 1e-8  # a loss of exactly 0 has no place on a log axis


class LossAxis(pg.AxisItem):
    """A log axis that labels 1, 2 and 5 times a power of ten where there are many ticks: pyqtgraph
    labels every one of 2..9 and they ran together."""

    MOST_LABELS = 6

    def tickStrings(self, values, scale, spacing):
        strings = super().tickStrings(values, scale, spacing)
        if not self.logMode or len(values) <= self.MOST_LABELS:
            return strings
        return [s if round(10 ** (v - math.floor(v))) in (1, 2, 5, 10) else "" for v, s in zip(values, strings)]


class PlottedRun(NamedTuple):
    name: str
    epochs: list[dict]  # its epoch records
    diverged: bool = False

    @property
    def label(self) -> str:
        """The legend's: a run that diverged at once draws no line, so its name says it."""
        return f"{self.name}: diverged" if self.diverged else self.name


def read_runs(paths: list[Path]) -> list[PlottedRun]:
    """Each metrics.jsonl's run."""
    runs = []
    for path in paths:
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        name = next((r["run"] for r in records if r.get("run") is not None), path.parent.name)
        diverged = any(r["type"] == "end" and r.get("reason") == "diverged" for r in records)
        runs.append(PlottedRun(name, [r for r in records if r["type"] == "epoch"], diverged))
    return runs


def comparison_plot(runs: list[PlottedRun]) -> pg.PlotWidget:
    plot = pg.PlotWidget(background=style.BACKGROUND, axisItems={"left": LossAxis("left")})
    item = plot.getPlotItem()
    style.style_plot(item, "Loss of each run: training solid, validation dashed", "epoch", "loss (log scale)")
    item.setLogMode(x=False, y=True)
    item.hideButtons()
    item.addLegend(offset=(12, -12),  # bottom left: losses fall to the right
                   labelTextColor=colors.TEXT, labelTextSize=f"{style.TICK_PT}pt",
                   brush=pg.mkBrush(255, 255, 255, 230), pen=pg.mkPen(colors.MUTED, width=1))
    for index, run in enumerate(runs):
        color = RUN_COLORS[index % len(RUN_COLORS)]
        x = np.array([r["epoch"] for r in run.epochs], dtype=float)
        for key, line, label in (("train_loss", Qt.PenStyle.SolidLine, run.label),
                                 ("val_loss", Qt.PenStyle.DashLine, None)):
            y = np.array([np.nan if r.get(key) is None else max(r[key], FLOOR) for r in run.epochs], dtype=float)
            if np.isfinite(y).any():
                item.addItem(pg.PlotDataItem(x, y, pen=style.pen(color, style.LINE_WIDTH, line), name=label,
                                             antialias=True, connect="finite"))
            if label and run.diverged and np.isfinite(y).any():  # a cross at its last loss: one point draws no line
                last = np.flatnonzero(np.isfinite(y))[-1]
                item.addItem(pg.PlotDataItem(x[last:last + 1], y[last:last + 1], pen=None, symbol="x",
                                             symbolSize=16, symbolBrush=color, symbolPen=style.pen(color, 2)))
    return plot


def save_png(runs: list[PlottedRun], path: Path, size: tuple[int, int] = SIZE) -> None:
    from pyqtgraph.exporters import ImageExporter

    plot = comparison_plot(runs)
    plot.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    plot.resize(*size)
    plot.show()
    QApplication.processEvents()
    exporter = ImageExporter(plot.getPlotItem())
    exporter.params.param("width").setValue(size[0], blockSignal=exporter.widthChanged)
    exporter.params.param("height").setValue(size[1], blockSignal=exporter.heightChanged)
    exporter.export(str(path))
    plot.close()
    if not path.exists():
        raise OSError(f"could not write {path}")


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: python -m playground.ui.plots.compare_png OUT.png RUN/metrics.jsonl ...", file=sys.stderr)
        return 2
    app = QApplication.instance() or QApplication([sys.argv[0]])  # noqa: F841 - Qt needs one to draw
    try:
        save_png(read_runs([Path(p) for p in argv[1:]]), Path(argv[0]))
    except (OSError, ValueError, KeyError) as e:
        print(f"cannot draw {argv[0]}: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
