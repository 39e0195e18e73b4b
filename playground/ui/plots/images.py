"""Image data: validation images labelled with the network's guess (the misclassified first), and
the confusion matrix with each class's accuracy.

Both are painted with QPainter in plain widgets and laid out afresh from the widget's size: the
number of columns, the image size and the font sizes are chosen so that every label fits inside
its cell, from the pane's smallest size (about 480 x 165 each) up; larger windows get larger
pictures and text. A layout is a small record of rectangles, so tests can check the geometry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPen
from PySide6.QtWidgets import QBoxLayout, QToolTip, QWidget

from playground.core.pictures import latest_snapshot
from playground.ui import colors
from playground.ui.plots import style

MARGIN = 3.0
GAP = 4.0  # between neighbouring pictures, and between a picture and its label
MIN_PT = 9  # nothing smaller: it must stay readable on a projector
LABEL_PT = 12  # the largest label under an image
COUNT_PT = 14  # the largest count in a confusion cell
HEADER_PT = 10  # titles and axis titles ...
ROOMY_HEADER_PT = 12  # ... where the widget is at least ROOMY tall
ROOMY = 300
SIDE_BY_SIDE_MIN = 320  # each half's width: ten columns of three-digit counts at MIN_PT
KEY_COST = 0.85  # the colour key gets a line of its own if the images keep this much of their size
EVEN_CONTRAST = 21 ** 0.5  # the background on which white and black text contrast equally

PRED_TIP = ("Validation images with the network's prediction underneath: green when right, red when "
            "wrong, with the true class after '≠' (8≠6: it said 8, the image is a 6). Look at the red "
            "ones: would you have got them right?")
CONF_TIP = ("Rows: the true class; columns: what the network predicted; each cell counts validation "
            "images. A perfect network has everything on the diagonal; a dark off-diagonal cell is "
            "a pair of classes it confuses. Shading is the fraction of the row.")


def font_sizes(texts: list[str], largest: int, bold: bool = False) -> list[tuple[QFont, float, float]]:
    """(font, the widest text's advance, digit height) from ``largest`` down to MIN_PT points:
    measured once per layout, tried for every cell size."""
    sizes = []
    for pt in range(largest, MIN_PT - 1, -1):
        f = style.font(pt, bold)
        metrics = QFontMetricsF(f)
        sizes.append((f, max((metrics.horizontalAdvance(t) for t in texts), default=0.0), digit_height(f)))
    return sizes


def fitting_font(sizes: list[tuple[QFont, float, float]], width: float, height: float) -> tuple[QFont, float, float]:
    """The largest of ``sizes`` whose widest text fits ``width`` and digits fit ``height``; the
    smallest (MIN_PT) when none does: readability wins over fitting."""
    return next((size for size in sizes if size[1] <= width and size[2] <= height), sizes[-1])


def digit_height(f: QFont) -> float:
    return QFontMetricsF(f).tightBoundingRect("0123456789").height()


def centred_text(f: QFont, text: str, centre: QPointF) -> QRectF:
    """The rectangle of ``text``'s ink (digit height) centred on ``centre``. Qt would centre the
    line box, descent included, which sets digits visibly high in a small cell."""
    width, height = QFontMetricsF(f).horizontalAdvance(text), digit_height(f)
    return QRectF(centre.x() - width / 2, centre.y() - height / 2, width, height)


def draw_ink_text(painter: QPainter, f: QFont, rect: QRectF, text: str) -> None:
    """Draw ``text`` so its digits fill ``rect`` (from ``centred_text``): baseline at the bottom."""
    painter.setFont(f)
    painter.drawText(QPointF(rect.left(), rect.bottom()), text)


def line_rect(f: QFont, text: str, left: float, top: float) -> QRectF:
    metrics = QFontMetricsF(f)
    return QRectF(left, top, metrics.horizontalAdvance(text), metrics.height())


def header_pt(height: float) -> int:
    return ROOMY_HEADER_PT if height >= ROOMY else HEADER_PT


def contrast_with_white(rgb: np.ndarray) -> np.ndarray:
    """WCAG contrast ratio of white text on uint8 colours (..., 3): 4.5 and more reads well."""
    channels = np.asarray(rgb, dtype=float) / 255.0
    linear = np.where(channels <= 0.04045, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    return 1.05 / (linear @ np.array([0.2126, 0.7152, 0.0722]) + 0.05)


def pictures_of(images: np.ndarray, ink: bool = True) -> list[QImage]:
    """uint8 pictures as QImages: greyscale ink (255 = full ink) drawn dark on white, as digits are
    usually shown; RGB (n, H, W, 3) and other greyscale as they are."""
    images = np.asarray(images, dtype=np.uint8)
    out = []
    for picture in images:
        picture = np.ascontiguousarray(255 - picture if ink and picture.ndim == 2 else picture)
        h, w = picture.shape[:2]
        if picture.ndim == 3:
            out.append(QImage(picture.tobytes(), w, h, 3 * w, QImage.Format.Format_RGB888).copy())
        else:
            out.append(QImage(picture.tobytes(), w, h, w, QImage.Format.Format_Grayscale8).copy())
    return out


def short(name: str, limit: int = 8) -> str:
    return name if len(name) <= limit else name[:limit - 1] + "…"


# -- sample predictions ---------------------------------------------------------------------------
@dataclass
class PredictionLayout:
    title: QRectF
    key: QRectF | None  # the colour key: beside the title, on a line of its own, or None (no room)
    images: list[QRectF]
    labels: list[QRectF]  # each label's ink, centred under its image
    cells: list[QRectF]  # the grid cell that holds an image and its label
    label_font: QFont


def best_grid(texts: list[str], area: QRectF) -> tuple[int, float, float, QFont, float]:
    """(columns, cell width, cell height, label font, image side) with the largest images whose
    labels fit their cells; the label font is the largest (MIN_PT..LABEL_PT) that takes at most a
    third of a cell's height."""
    best = None
    sizes = font_sizes(texts, LABEL_PT, bold=True)
    for columns in range(1, max(len(texts), 1) + 1):
        rows = max(-(-len(texts) // columns), 1)
        cell_w, cell_h = area.width() / columns, area.height() / rows
        f, label_w, ink = fitting_font(sizes, cell_w - 2, cell_h * 0.3)
        side = max(min(cell_w - GAP, cell_h - ink - 2 * GAP), 1.0)
        score = (label_w <= cell_w - 2, side, f.pointSize())
        if best is None or score > best[0]:
            best = (score, (columns, cell_w, cell_h, f, side))
    return best[1]


def prediction_layout(size: QSize, texts: list[str], title: str, key: str) -> PredictionLayout:
    """The title, the colour key beside it (or on a line of its own where that costs the images
    little), and the grid of pictures from ``best_grid``."""
    width, height = float(size.width()), float(size.height())
    title_rect = line_rect(style.font(header_pt(height), bold=True), title, MARGIN, MARGIN)
    key_font = style.font(header_pt(height))
    key_rect = line_rect(key_font, key, title_rect.right() + 2 * GAP, MARGIN)
    top = title_rect.bottom() + GAP / 2
    columns, cell_w, cell_h, f, side = best_grid(texts, QRectF(MARGIN, top, width - 2 * MARGIN,
                                                                          height - MARGIN - top))
    if key_rect.right() > width - MARGIN:
        key_rect = line_rect(key_font, key, MARGIN, title_rect.bottom())
        below = key_rect.bottom() + GAP / 2
        grid = best_grid(texts, QRectF(MARGIN, below, width - 2 * MARGIN, height - MARGIN - below))
        if key_rect.right() <= width - MARGIN and grid[4] >= KEY_COST * side:
            columns, cell_w, cell_h, f, side = grid
            top = below
        else:
            key_rect = None
    cells, images, labels = [], [], []
    ink = digit_height(f)
    block = side + GAP + ink  # image and label, centred together in the cell
    for k, text in enumerate(texts):
        r, c = divmod(k, columns)
        cell = QRectF(MARGIN + c * cell_w, top + r * cell_h, cell_w, cell_h)
        image = QRectF(cell.center().x() - side / 2, cell.top() + (cell_h - block) / 2, side, side)
        cells.append(cell)
        images.append(image)
        labels.append(centred_text(f, text, QPointF(cell.center().x(), image.bottom() + GAP + ink / 2)))
    return PredictionLayout(title_rect, key_rect, images, labels, cells, f)


class LaidOut(QWidget):
    """A widget painted from a layout of rectangles made for its size (``_make_layout``), kept
    until the size or the data change: a paint only draws, and tests read the geometry."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._layout = None

    def _make_layout(self):
        raise NotImplementedError

    def layout_now(self):
        if self._layout is None:
            self._layout = self._make_layout()
        return self._layout

    def _changed(self) -> None:
        self._layout = None
        self.update()

    def resizeEvent(self, event) -> None:
        self._layout = None
        super().resizeEvent(event)

    def _painter(self) -> QPainter:
        """On white, dark text, smooth letters."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.white)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.setPen(QColor(colors.TEXT))
        return painter


class ImagePredictions(LaidOut):
    """A grid of sample images, each with the network's guess underneath: green when right, red
    (with the true class, "8≠6", and a red frame) when wrong. Columns follow the width."""

    KEY = "red: wrong, 8≠6 = said 8, is 6"

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setToolTip(PRED_TIP)
        self.setMinimumSize(160, 110)
        self.pictures: list[QImage] = []
        self.texts: list[str] = []
        self.right: list[bool] = []
        self.wrong = self.total = None

    # -- data ----------------------------------------------------------------------------------
    def set_snapshot(self, snap: dict) -> None:
        images = np.asarray(snap["images"])
        labels = np.asarray(snap["labels"]).astype(int).reshape(-1)
        predicted = np.asarray(snap["predicted"]).astype(int).reshape(-1)
        names = snap.get("class_names") or [str(c) for c in range(max([*labels, *predicted], default=0) + 1)]
        self.pictures = pictures_of(images, snap.get("ink", True)) if images.ndim in (3, 4) else []
        n = len(self.pictures)
        self.right = [bool(p == t) for p, t in zip(predicted[:n], labels[:n])]
        self.texts = [short(names[p]) if p == t else f"{short(names[p])}≠{short(names[t])}"
                      for p, t in zip(predicted[:n], labels[:n])]
        self.wrong, self.total = snap.get("wrong"), snap.get("total")
        self._changed()

    def clear(self) -> None:
        self.pictures, self.texts, self.right = [], [], []
        self.wrong = self.total = None
        self._changed()

    def title(self) -> str:
        if not self.texts:
            return "Predictions"
        if self.total:
            return f"Predictions: {self.wrong} of {self.total} wrong (shown first)"
        return f"Predictions: {sum(self.right)} of {len(self.texts)} right"

    def label_colour(self, k: int) -> str:
        return colors.RIGHT if self.right[k] else colors.WRONG

    def _make_layout(self) -> PredictionLayout:
        return prediction_layout(self.size(), self.texts, self.title(), self.KEY)

    # -- Qt ------------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        grid = self.layout_now()
        painter = self._painter()
        title_font = style.font(header_pt(self.height()), bold=True)
        painter.setFont(title_font)
        painter.drawText(grid.title, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.title())
        if grid.key is not None and self.texts:
            painter.setPen(QColor(colors.WRONG))
            painter.setFont(style.font(header_pt(self.height())))
            painter.drawText(grid.key, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.KEY)
        for k, picture in enumerate(self.pictures):  # nearest-neighbour scaling: crisp pixels
            painter.drawImage(grid.images[k], picture)
            colour = QColor(self.label_colour(k))
            if not self.right[k]:
                painter.setPen(QPen(colour, 2))
                painter.drawRect(grid.images[k].adjusted(-1, -1, 1, 1))
            painter.setPen(colour)
            draw_ink_text(painter, grid.label_font, grid.labels[k], self.texts[k])
        painter.end()

    def event(self, e) -> bool:
        if e.type() == QEvent.Type.ToolTip and self.texts:
            for k, cell in enumerate(self.layout_now().cells):
                if cell.contains(QPointF(e.pos())):
                    p, _, t = self.texts[k].partition("≠")
                    QToolTip.showText(e.globalPos(), f"predicted {p}, true {t or p}", self)
                    return True
        return super().event(e)


# -- confusion matrix -----------------------------------------------------------------------------
@dataclass
class MatrixLayout:
    title: QRectF | None  # dropped where it would crowd the "predicted" axis title
    predicted: QRectF
    true: QRectF  # drawn rotated; this is its rectangle on screen
    column_ticks: list[QRectF]
    row_ticks: list[QRectF]
    cells: list[list[QRectF]]  # [true][predicted]
    counts: list[list[QRectF | None]]  # each count's ink, centred in its cell; None: no room
    count_font: QFont
    header_font: QFont


def matrix_layout(size: QSize, classes: int, texts: list[list[str]], rows: list[str] = ()) -> MatrixLayout:
    """Axis titles "predicted" (top) and "true" (left), class numbers, then the cells filling the
    rest; counts in the largest font (MIN_PT..COUNT_PT) in which the widest count fits a cell. The
    title shares the "predicted" line where it fits, else takes a line of its own where that leaves
    the counts' font as it is, else is left out (the tooltip names the picture)."""
    width, height = float(size.width()), float(size.height())
    header = style.font(header_pt(height))
    metrics = QFontMetricsF(header)
    line = metrics.height()
    rows = list(rows) or [str(k) for k in range(classes)]
    tick_w = max((metrics.horizontalAdvance(t) for t in rows), default=metrics.horizontalAdvance("0"))
    left = MARGIN + line + GAP + tick_w + GAP
    sizes = font_sizes([t for row in texts for t in row], COUNT_PT)
    title = line_rect(style.font(header_pt(height), bold=True), "Confusion matrix", MARGIN, MARGIN)
    predicted = line_rect(header, "predicted", 0, MARGIN)
    predicted.moveLeft(left + (width - MARGIN - left - predicted.width()) / 2)

    def cells_from(top: float) -> tuple[float, float, QFont]:
        cell_w, cell_h = (width - MARGIN - left) / max(classes, 1), (height - MARGIN - top) / max(classes, 1)
        return cell_w, cell_h, fitting_font(sizes, cell_w - 2, cell_h - 3)[0]

    top = MARGIN + 2 * line
    cell_w, cell_h, count_font = cells_from(top)
    if predicted.left() < title.right() + 2 * GAP:
        roomy = cells_from(top + line)
        if roomy[2].pointSize() == count_font.pointSize():
            predicted.translate(0, line)
            top += line
            cell_w, cell_h, count_font = roomy
        else:
            title = None
    cells = [[QRectF(left + j * cell_w, top + i * cell_h, cell_w, cell_h) for j in range(classes)]
             for i in range(classes)]
    counts = [[centred_text(count_font, texts[i][j], cells[i][j].center()) for j in range(classes)]
              for i in range(classes)] if texts else []
    for row in counts:  # too narrow even at MIN_PT: the shading and the tooltip still tell
        row[:] = [rect if rect.width() <= cell_w - 2 else None for rect in row]
    true_length = metrics.horizontalAdvance("true")
    true = QRectF(MARGIN, top + (height - MARGIN - top - true_length) / 2, line, true_length)
    column_ticks = [QRectF(left + j * cell_w, top - line, cell_w, line) for j in range(classes)]
    row_ticks = [QRectF(left - GAP - tick_w, top + i * cell_h, tick_w, cell_h) for i in range(classes)]
    return MatrixLayout(title, predicted, true, column_ticks, row_ticks, cells, counts, count_font, header)


class ConfusionMatrix(LaidOut):
    """C x C counts (true class down, predicted across), each cell shaded by its fraction of the
    true class: white for none, the class-1 blue for all."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setToolTip(CONF_TIP)
        self.setMinimumSize(160, 140)
        self.counts = np.zeros((0, 0), dtype=np.int64)
        self.clear()

    def set_snapshot(self, snap: dict) -> None:
        self.counts = np.asarray(snap["confusion"], dtype=np.int64)
        names = snap.get("class_names") or [str(k) for k in range(self.classes)]
        self.names = [short(n, 6) for n in names]
        accuracy = snap.get("class_accuracy") or [None] * self.classes
        # each true class's accuracy beside its row: the classes the network gets wrong, at a glance
        self.row_names = [f"{n} {a:.0%}" if a is not None else n for n, a in zip(self.names, accuracy)]
        totals = self.counts.sum(axis=1, keepdims=True)
        fraction = np.divide(self.counts, totals, out=np.zeros(self.counts.shape), where=totals > 0)
        self.fill = colors.tint(np.array(colors.BLUE), 1.0 - fraction[..., None])  # (C, C, 3)
        self.white_text = contrast_with_white(self.fill) > EVEN_CONTRAST
        self._changed()

    def clear(self) -> None:
        self.set_snapshot({"confusion": np.zeros((0, 0), dtype=np.int64)})

    @property
    def classes(self) -> int:
        return self.counts.shape[0]

    def cell_text(self, true_class: int, predicted_class: int) -> str:
        return str(int(self.counts[true_class, predicted_class]))

    def cell_colour(self, true_class: int, predicted_class: int) -> QColor:
        return QColor(*self.fill[true_class, predicted_class].tolist())

    def text_colour(self, true_class: int, predicted_class: int) -> str:
        """White or dark, whichever contrasts more with the cell; zeros muted, so the counts that
        matter stand out."""
        if self.white_text[true_class, predicted_class]:
            return "#ffffff"
        return colors.MUTED if self.counts[true_class, predicted_class] == 0 else colors.TEXT

    def _make_layout(self) -> MatrixLayout:
        texts = [[self.cell_text(i, j) for j in range(self.classes)] for i in range(self.classes)]
        return matrix_layout(self.size(), self.classes, texts, self.row_names)

    # -- Qt ------------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        grid = self.layout_now()
        painter = self._painter()
        centre = Qt.AlignmentFlag.AlignCenter
        if grid.title is not None:
            painter.setFont(style.font(header_pt(self.height()), bold=True))
            painter.drawText(grid.title, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, "Confusion matrix")
        painter.setFont(grid.header_font)
        painter.drawText(grid.predicted, centre, "predicted")
        painter.save()  # "true" reads bottom to top, along its axis
        painter.translate(grid.true.center())
        painter.rotate(-90)
        painter.drawText(QRectF(-grid.true.height() / 2, -grid.true.width() / 2, grid.true.height(),
                                grid.true.width()), centre, "true")
        painter.restore()
        for k, rect in enumerate(grid.column_ticks):
            painter.drawText(rect, centre, self.names[k])
        for k, rect in enumerate(grid.row_ticks):
            painter.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, self.row_names[k])
        grid_pen = QPen(QColor(colors.NEUTRAL[0], colors.NEUTRAL[1], colors.NEUTRAL[2]), 1)
        for i, row in enumerate(grid.cells):
            for j, cell in enumerate(row):
                painter.fillRect(cell, self.cell_colour(i, j))
                painter.setPen(grid_pen)
                painter.drawRect(cell)
                if grid.counts[i][j] is not None:
                    painter.setPen(QColor(self.text_colour(i, j)))
                    draw_ink_text(painter, grid.count_font, grid.counts[i][j], self.cell_text(i, j))
        painter.end()

    def event(self, e) -> bool:
        if e.type() == QEvent.Type.ToolTip and self.classes:
            for i, row in enumerate(self.layout_now().cells):
                for j, cell in enumerate(row):
                    if cell.contains(QPointF(e.pos())):
                        total = int(self.counts[i].sum())
                        QToolTip.showText(e.globalPos(), f"{self.cell_text(i, j)} of the {total} images of "
                                                         f"{self.names[i]} were predicted {self.names[j]}", self)
                        return True
        return super().event(e)


class ImageView(QWidget):
    """Predictions and the confusion matrix: one above the other in a tall or squarish pane, side
    by side in a wide one."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.predictions = ImagePredictions()
        self.confusion = ConfusionMatrix()
        self.box = QBoxLayout(QBoxLayout.Direction.TopToBottom, self)
        self.box.setContentsMargins(0, 0, 0, 0)
        self.box.setSpacing(2)
        self.box.addWidget(self.predictions, 1)
        self.box.addWidget(self.confusion, 1)

    def add(self, records: list[dict]) -> None:
        """Only the batch's latest image snapshot is drawn: the ones before it are already stale."""
        latest = latest_snapshot(records, "image")
        if latest is not None:
            self.set_snapshot(latest)

    def clear(self) -> None:
        self.predictions.clear()
        self.confusion.clear()

    def set_snapshot(self, snap: dict) -> None:
        self.predictions.set_snapshot(snap)
        self.confusion.set_snapshot(snap)

    def resizeEvent(self, event) -> None:
        width, height = event.size().width(), event.size().height()
        wide = width >= 2 * height and width >= 2 * SIDE_BY_SIDE_MIN
        self.box.setDirection(QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom)
        super().resizeEvent(event)
