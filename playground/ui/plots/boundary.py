"""The decision boundary (or regression surface) over the input plane, with the data points on top.

Colours follow TensorFlow Playground: orange for class 0 / negative, blue for class 1 / positive, a
light tint of them in the background so the points (full colour) stand out; more than two classes
get one categorical colour each. Levels are fixed (0..1, -1..1, 0..C), so nothing flickers.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from playground.ui.plots import style

BACKGROUND_TINT = 0.35  # blend of the field's colours with white: points stay readable on top
BIG_SCATTER = 2000  # above this many points, drop antialiasing: it costs more than it shows

TIP = ("The network's answer at every point of the plane: orange where it says class 0 (or a "
       "negative value), blue for class 1 (or positive), pale where it is unsure.\nFilled dots: "
       "training data; hollow: validation data. Validation dots on the wrong colour are the errors "
       "that count.")


def diverging_map() -> pg.ColorMap:
    return pg.ColorMap(pos=[0.0, 0.5, 1.0], color=[style.ORANGE, style.NEUTRAL, style.BLUE])


def tint(lut: np.ndarray, amount: float = BACKGROUND_TINT) -> np.ndarray:
    rgb = lut[:, :3].astype(float) * (1 - amount) + 255 * amount
    return rgb.astype(np.uint8)


class BoundaryView(QWidget):
    """The plane [-extent, extent]^2: field as an image, train and validation points as scatters."""

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.task = "classification"
        self.num_classes = 2
        self.extent = 1.0

        self.plot = style.plot_widget(None, "x₁", "x₂", TIP)
        item = self.plot.getPlotItem()
        item.setAspectLocked(True)
        item.showGrid(x=False, y=False)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.image_item.setZValue(-10)
        item.addItem(self.image_item)
        self.train_scatter = pg.ScatterPlotItem(size=9, symbol="o")
        self.val_scatter = pg.ScatterPlotItem(size=9, symbol="o")
        item.addItem(self.train_scatter)
        item.addItem(self.val_scatter)

        self.show_validation = QCheckBox("show validation points")
        self.show_validation.setChecked(True)
        self.show_validation.setFont(style.font(style.TICK_PT))
        self.show_validation.setToolTip("Hollow dots: data the network never trains on. Where they sit "
                                        "on the wrong colour, the boundary does not generalize.")
        self.show_validation.toggled.connect(self.val_scatter.setVisible)
        self.legend_label = QLabel()
        self.legend_label.setFont(style.font(style.TICK_PT))
        self.legend_label.setWordWrap(True)

        bottom = QHBoxLayout()
        bottom.addWidget(self.legend_label, 1)
        bottom.addWidget(self.show_validation, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.plot, 1)
        layout.addLayout(bottom)
        self._apply_colours()
        self._set_range(self.extent)

    # -- API -------------------------------------------------------------------------------
    def add(self, records: list[dict]) -> None:
        for r in records:
            if r["type"] == "ready" and r["kind"] == "points":
                self.set_points(r["points_train"], r["y_train"], r["points_val"], r["y_val"], r["task"],
                                r["num_classes"])
            elif r["type"] == "snapshot" and r["kind"] == "points":
                self.set_snapshot(r)

    def clear(self) -> None:
        self.clear_field()

    def set_points(self, train_xy, train_y, val_xy, val_y, task: str, num_classes: int) -> None:
        """The data set (called when it changes, not every frame)."""
        self.task, self.num_classes = task, max(int(num_classes), 1)
        self._apply_colours()
        train_xy, val_xy = np.asarray(train_xy, float).reshape(-1, 2), np.asarray(val_xy, float).reshape(-1, 2)
        train_brushes, _ = self._point_colours(train_y)
        val_brushes, val_pens = self._point_colours(val_y)
        big = len(train_xy) + len(val_xy) > BIG_SCATTER
        self.train_scatter.setData(pos=train_xy, brush=train_brushes, pen=pg.mkPen("w", width=1.2),
                                   antialias=not big)
        self.val_scatter.setData(pos=val_xy, brush=pg.mkBrush(255, 255, 255, 230), pen=val_pens,
                                 antialias=not big)
        if self.image_item.image is None and (len(train_xy) or len(val_xy)):
            self._set_range(float(np.abs(np.concatenate([train_xy, val_xy])).max()) or 1.0)

    def set_snapshot(self, snap: dict) -> None:
        """Show ``snap["field"]`` (row 0 = top, y = +extent) over [-extent, extent]^2."""
        field = np.asarray(snap["field"], dtype=float)
        extent = float(snap["extent"])
        # ImageItem puts row 0 at the smallest y; the plane's row 0 is the top: flip rows
        self.image_item.setImage(np.ascontiguousarray(field[::-1]), autoLevels=False, levels=self._levels())
        self.image_item.setRect(QRectF(-extent, -extent, 2 * extent, 2 * extent))
        if extent != self.extent:
            self._set_range(extent)

    def clear_field(self) -> None:
        self.image_item.clear()

    # -- internals -------------------------------------------------------------------------
    def _set_range(self, extent: float) -> None:
        self.extent = extent
        self.plot.getPlotItem().setRange(xRange=(-extent, extent), yRange=(-extent, extent), padding=0.02)

    def _levels(self) -> tuple[float, float]:
        if self.task == "regression":
            return (-1.0, 1.0)
        if self.num_classes > 2:
            return (0.0, float(self.num_classes))  # value k -> k-th of num_classes LUT entries
        return (0.0, 1.0)

    def _class_colours(self) -> np.ndarray:
        """RGB (n, 3) per class for more than two classes."""
        colors = [pg.mkColor(style.CATEGORICAL[k % len(style.CATEGORICAL)]) for k in range(self.num_classes)]
        return np.array([[c.red(), c.green(), c.blue()] for c in colors], dtype=np.uint8)

    def _apply_colours(self) -> None:
        if self.task != "regression" and self.num_classes > 2:
            lut = tint(self._class_colours())
            names = [f"class {k}" for k in range(self.num_classes)]
            swatches = style.legend_html(names, [pg.mkColor(c) for c in style.CATEGORICAL[:self.num_classes]])
        else:
            lut = tint(diverging_map().getLookupTable(nPts=256, alpha=False))
            neg, pos = ("negative", "positive") if self.task == "regression" else ("class 0", "class 1")
            swatches = style.legend_html([neg, pos], [pg.mkColor(style.ORANGE), pg.mkColor(style.BLUE)])
        self.image_item.setLookupTable(lut)
        if self.image_item.image is not None:
            self.image_item.setLevels(self._levels())
        self.legend_label.setText(f"{swatches}&nbsp;&nbsp;&nbsp; ●&nbsp;train &nbsp; ○&nbsp;validation")

    def _point_colours(self, labels) -> tuple[list, list]:
        """Brushes (filled train dots) and pens (hollow validation dots) by label."""
        labels = np.asarray(labels, dtype=float).reshape(-1)
        if self.task == "regression":
            rgba = diverging_map().map(np.clip((labels + 1) / 2, 0, 1), mode="byte")
        elif self.num_classes > 2:
            rgba = self._class_colours()[np.clip(labels.astype(int), 0, self.num_classes - 1)]
        else:
            rgba = np.array([style.ORANGE, style.BLUE], dtype=np.uint8)[np.clip(labels.astype(int), 0, 1)]
        brushes = [pg.mkBrush(int(c[0]), int(c[1]), int(c[2])) for c in rgba]
        pens = [pg.mkPen((int(c[0]), int(c[1]), int(c[2])), width=2.5) for c in rgba]
        return brushes, pens
