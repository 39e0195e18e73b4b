"""The decision boundary (or regression surface) over the input plane, with the data points on top.

Colours follow TensorFlow Playground (the app's one map, ``colors.DIVERGING``): orange for class 0
/ negative, blue for class 1 / positive, a light tint of them in the background so the points (full
colour) stand out; more than two classes get one categorical colour each. Levels are fixed (0..1,
-1..1, 0..C), so nothing flickers, and a colour bar gives the background's numbers.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from playground.core.pictures import latest_snapshot
from playground.ui import colors
from playground.ui.plots import style

BACKGROUND_TINT = 0.35  # blend of the field's colours with white: points stay readable on top
BIG_SCATTER = 2000  # above this many points, drop antialiasing: it costs more than it shows
LEGEND_PT = 11
BAR_WIDTH = 14
BAR_TICKS = 5
TALL = 1.15  # a pane this much taller than wide gets the colour bar below the plot
DOT_SHADES = 32  # distinct colours of regression dots over -1..1

TIP = ("The network's answer at every point of the plane: orange where it says class 0 (or a "
       "negative value), blue for class 1 (or positive), pale where it is unsure; the colour bar "
       "gives the numbers.\nFilled dots: training data; hollow: validation data. Validation dots "
       "on the wrong colour are the errors that count.")
VALIDATION_TIP = ("Hollow dots: data the network never trains on. Where they sit on the wrong colour, "
                  "the boundary does not generalize.")


def swatches_html(names: list[str], rgb: np.ndarray) -> str:
    """Coloured squares with names: a legend beside the plot, never over the points."""
    return "&nbsp;&nbsp;".join(f'<span style="color:rgb({r},{g},{b})">&#9632;</span>&nbsp;{name}'
                               for name, (r, g, b) in zip(names, rgb.tolist()))


class BoundaryView(QWidget):
    """The plane [-extent, extent]^2: field as an image, train and validation points as scatters,
    and a colour bar for the field's value where it is a number (regression, P(class 1))."""

    def __init__(self, parent: QWidget | None = None):
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
        self.bars = {below: self._colour_bar("horizontal" if below else "vertical") for below in (False, True)}
        self.bar_below = False  # below a tall plot, where the room is; beside a wide one
        self.bar_ticks: list[tuple[float, str]] = []

        self.legend_label = QLabel()
        self.legend_label.setFont(style.font(LEGEND_PT))
        self.legend_label.setWordWrap(True)
        self.legend_label.setTextFormat(Qt.TextFormat.RichText)
        self.show_validation = QCheckBox("○ validation")  # the legend's last entry, and its switch
        self.show_validation.setChecked(True)
        self.show_validation.setFont(style.font(LEGEND_PT))
        self.show_validation.setToolTip(VALIDATION_TIP)
        self.show_validation.toggled.connect(self.val_scatter.setVisible)

        bottom = QHBoxLayout()
        bottom.setContentsMargins(0, 0, 0, 0)
        bottom.addWidget(self.legend_label, 1)
        bottom.addWidget(self.show_validation, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(self.plot, 1)
        layout.addLayout(bottom)
        self._apply_colours()
        self._set_range(self.extent)

    # -- the view contract ---------------------------------------------------------------------
    def add(self, records: list[dict]) -> None:
        """The run's data set (``ready``) and its latest field (the batch's last points snapshot)."""
        for r in records:
            if r["type"] == "ready" and r.get("kind") == "points":
                self.set_points(r["points_train"], r["y_train"], r["points_val"], r["y_val"], r["task"],
                                r["num_classes"])
        latest = latest_snapshot(records, "points")
        if latest is not None:
            self.set_snapshot(latest)

    def clear(self) -> None:
        """A new run: no field and no points until it says what they are; the items stay."""
        self.image_item.clear()
        self.train_scatter.clear()
        self.val_scatter.clear()

    # -- drawing ---------------------------------------------------------------------------------
    def set_points(self, train_xy, train_y, val_xy, val_y, task: str, num_classes: int) -> None:
        """The data set (called when it changes, not every frame)."""
        if (task, max(int(num_classes), 1)) != (self.task, self.num_classes):
            self.task, self.num_classes = task, max(int(num_classes), 1)
            self._apply_colours()
        train_xy, val_xy = np.asarray(train_xy, float).reshape(-1, 2), np.asarray(val_xy, float).reshape(-1, 2)
        big = len(train_xy) + len(val_xy) > BIG_SCATTER
        self.train_scatter.setData(pos=train_xy, brush=self._brushes(train_y), pen=pg.mkPen("w", width=1.2),
                                   antialias=not big)
        self.val_scatter.setData(pos=val_xy, brush=pg.mkBrush(255, 255, 255, 230), pen=self._pens(val_y),
                                 antialias=not big)
        if self.image_item.image is None and (len(train_xy) or len(val_xy)):
            self._set_range(float(np.abs(np.concatenate([train_xy, val_xy])).max()) or 1.0)

    def set_snapshot(self, snap: dict) -> None:
        """Show ``snap["field"]`` (row 0 = top, y = +extent) over [-extent, extent]^2."""
        field = np.asarray(snap["field"], dtype=float)
        extent = float(snap["extent"])
        # ImageItem puts row 0 at the smallest y; the plane's row 0 is the top: flip rows
        self.image_item.setImage(np.ascontiguousarray(field[::-1]), autoLevels=False, levels=self.levels())
        self.image_item.setRect(QRectF(-extent, -extent, 2 * extent, 2 * extent))
        if extent != self.extent:
            self._set_range(extent)

    def levels(self) -> tuple[float, float]:
        """The field's fixed range: a predicted value, P(class 1), or a class index."""
        if self.task == "regression":
            return (-1.0, 1.0)
        if self.num_classes > 2:
            return (0.0, float(self.num_classes))  # value k -> k-th of num_classes LUT entries
        return (0.0, 1.0)

    # -- internals -------------------------------------------------------------------------
    @property
    def colour_bar(self) -> pg.ColorBarItem:
        return self.bars[self.bar_below]

    def _colour_bar(self, orientation: str) -> pg.ColorBarItem:
        """A fixed, non-interactive bar, not linked to the image: the bar must not replace the
        image's tinted lookup table. Placed by ``_place_colour_bar``."""
        bar = pg.ColorBarItem(values=(0.0, 1.0), width=BAR_WIDTH, interactive=False, colorMapMenu=False,
                              orientation=orientation)
        for name in ("left", "right", "top", "bottom"):
            bar.getAxis(name).setPen(pg.mkPen(colors.TEXT, width=1))
        bar.axis.setTextPen(pg.mkPen(colors.TEXT))
        bar.axis.setTickFont(style.font(LEGEND_PT - 1))
        if orientation == "vertical":
            bar.axis.setWidth()  # as wide as its numbers and label need
        else:
            bar.axis.setStyle(hideOverlappingLabels=False)  # keep the end numbers, -1 and 1
        bar.hide()
        return bar

    def _place_colour_bar(self) -> None:
        """The shown bar where pyqtgraph's own ``insert_in`` puts it (right of or below the plot,
        after a small gap); an unused bar leaves the layout, since a hidden item keeps its room."""
        layout = self.plot.getPlotItem().layout
        numeric = self.numeric
        for below, bar in self.bars.items():
            wanted = numeric and below == self.bar_below
            if wanted and not bar.isVisible():
                layout.addItem(bar, *((5, 1) if below else (2, 5)))
                bar.show()
            elif bar.isVisible() and not wanted:
                layout.removeItem(bar)
                bar.hide()
        layout.setColumnFixedWidth(4, 6 if numeric and not self.bar_below else 0)
        layout.setRowFixedHeight(4, 6 if numeric and self.bar_below else 0)

    def resizeEvent(self, event) -> None:
        below = event.size().height() > TALL * event.size().width()
        if below != self.bar_below:
            self.bar_below = below
            self._place_colour_bar()
        super().resizeEvent(event)

    @property
    def numeric(self) -> bool:
        """The field is a number (a value, P(class 1)), not a class index: it gets a colour bar."""
        return self.task == "regression" or self.num_classes <= 2

    def _apply_colours(self) -> None:
        if self.numeric:
            lut = colors.tint(colors.DIVERGING, BACKGROUND_TINT)
            self._label_colour_bars(lut)
        else:
            lut = colors.tint(colors.class_rgb(self.num_classes), BACKGROUND_TINT)
        self.image_item.setLookupTable(lut)
        if self.image_item.image is not None:
            self.image_item.setLevels(self.levels())
        self.legend_label.setText(f"{self._legend()}&nbsp; ●&nbsp;train")
        self._place_colour_bar()

    def _legend(self) -> str:
        """What the dots' colours mean; the colour bar, where shown, names the background's."""
        if self.task == "regression":
            return "dots:&nbsp;true&nbsp;value"
        classes = max(self.num_classes, 2)
        return swatches_html([f"class {k}" for k in range(classes)], colors.class_rgb(classes))

    def _label_colour_bars(self, lut: np.ndarray) -> None:
        """Both bars get the field's map, its fixed levels, round ticks and what the value is."""
        lo, hi = self.levels()
        self.bar_ticks = [(float(v), style.format_number(float(v)) if v else "0")
                          for v in np.linspace(lo, hi, BAR_TICKS)]
        for bar in self.bars.values():
            bar.setColorMap(pg.ColorMap(np.linspace(0.0, 1.0, len(lut)), lut))
            bar.setLevels((lo, hi))
            bar.axis.setTicks([self.bar_ticks])
            bar.axis.setLabel("predicted value" if self.task == "regression" else "P(class 1)",
                              **{"color": colors.TEXT, "font-size": f"{LEGEND_PT}pt"})

    def _set_range(self, extent: float) -> None:
        self.extent = extent
        self.plot.getPlotItem().setRange(xRange=(-extent, extent), yRange=(-extent, extent), padding=0.02)

    def _rgb(self, labels) -> np.ndarray:
        """(n, 3) uint8 per label: the diverging map for targets, a colour per class otherwise."""
        labels = np.asarray(labels, dtype=float).reshape(-1)
        if self.task == "regression":  # in DOT_SHADES steps: few brushes to make, no visible loss
            return colors.diverging_rgb(np.round(labels * DOT_SHADES / 2) / (DOT_SHADES / 2))
        classes = colors.class_rgb(max(self.num_classes, 2))
        return classes[np.clip(labels.astype(int), 0, len(classes) - 1)]

    def _brushes(self, labels) -> list:
        """One brush per distinct colour, shared by its points: a 2000-point data set makes two."""
        return shared(pg.mkBrush, self._rgb(labels))

    def _pens(self, labels) -> list:
        return shared(lambda *c: pg.mkPen(c, width=2.5), self._rgb(labels))


def shared(make, rgb: np.ndarray) -> list:
    """``make(r, g, b)`` for each row of ``rgb``, called once per distinct colour."""
    made: dict[tuple, object] = {}
    out = []
    for c in map(tuple, rgb.tolist()):
        if c not in made:
            made[c] = make(*c)
        out.append(made[c])
    return out
