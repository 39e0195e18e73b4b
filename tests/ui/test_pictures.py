"""The pictures of what the network computes: the decision boundary (2D data), sample predictions
and the confusion matrix (images), driven as the main window drives them.

Each test also saves a PNG of its widget under /tmp/plots_*.png, to look at by eye.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QBoxLayout

from playground.ui import colors
from playground.ui.plots import (
    BoundaryView,
    ConfusionMatrix,
    ImagePredictions,
    ImageView,
)
from playground.ui.plots.images import MIN_PT
from tests.ui.plot_helpers import save_png, view_to_pixel

# the pane's share of a 1280x720 window (the same logical size at 1920x1080 with 1.5x scaling)
# and larger ones: stacked halves of the lower area, a narrow column, side by side in a wide pane
SIZES = [(480, 165), (390, 165), (300, 240), (480, 330), (450, 420), (640, 350)]


def points_ready(task: str, classes: int, n: int = 200, seed: int = 3) -> dict:
    rng = np.random.default_rng(seed)
    train, val = rng.uniform(-4, 4, (n, 2)), rng.uniform(-4, 4, (n // 3, 2))
    label = (lambda p: np.tanh(p.sum(1) / 4)) if task == "regression" else (lambda p: (p[:, 1] > 0).astype(int))
    return {"type": "ready", "run": 1, "kind": "points", "task": task, "num_classes": classes,
            "points_train": train, "y_train": label(train), "points_val": val, "y_val": label(val)}


def points_snapshot(field: np.ndarray, extent: float = 5.0) -> dict:
    return {"type": "snapshot", "run": 1, "kind": "points", "field": field, "extent": extent, "units": [],
            "weights": []}


# -- BoundaryView -------------------------------------------------------------------------------
def test_boundary_image_is_the_field_with_row_0_on_top(qtbot):
    view = BoundaryView()
    qtbot.addWidget(view)
    field = np.zeros((48, 48))
    field[0, :] = 1.0  # the top row only
    view.add([points_ready("classification", 2), points_snapshot(field)])

    item = view.image_item
    np.testing.assert_array_equal(item.image[::-1], field)
    assert tuple(item.levels) == (0.0, 1.0)
    rows = field.shape[0]
    top = item.mapToView(QPointF(24.5, rows - 0.5))  # centre of the image's last row ...
    bottom = item.mapToView(QPointF(24.5, 0.5))
    assert top.y() == pytest.approx(5.0 - 5.0 / rows, abs=1e-6)  # ... sits at the top of the plane
    assert bottom.y() == pytest.approx(-5.0 + 5.0 / rows, abs=1e-6)
    assert item.mapToView(QPointF(0, 0)).x() == pytest.approx(-5.0)

    view.show_validation.setChecked(False)
    save_png(qtbot, view, "boundary", (650, 700))
    image = view.grab().toImage()
    r, g, b = view_to_pixel(view.plot, -4.5, 4.97, image)  # in the top row: class 1, blue
    assert b > r + 40, (r, g, b)
    r, g, b = view_to_pixel(view.plot, -4.5, 0.02, image)  # everywhere else: class 0, orange
    assert r > b + 40, (r, g, b)

    assert not view.val_scatter.isVisible()
    view.show_validation.setChecked(True)
    assert view.val_scatter.isVisible()
    assert len(view.train_scatter.data) == 200 and len(view.val_scatter.data) == 66


def test_boundary_regression_and_many_classes_use_fixed_levels(qtbot):
    view = BoundaryView()
    qtbot.addWidget(view)
    view.add([points_ready("regression", 1), points_snapshot(np.linspace(-2, 2, 16 * 16).reshape(16, 16), 2.0)])
    assert tuple(view.image_item.levels) == (-1.0, 1.0)
    assert "true&nbsp;value" in view.legend_label.text()  # the dots; the colour bar names the background
    save_png(qtbot, view, "boundary_regression", (390, 330))

    rng = np.random.default_rng(4)
    labels = rng.integers(0, 3, 200)
    ready = {**points_ready("classification", 3), "y_train": labels, "y_val": labels[:66]}
    field = np.repeat(np.arange(3.0), 16 * 16 // 3 + 1)[:256].reshape(16, 16)
    view.add([ready, points_snapshot(field, 1.0)])
    assert tuple(view.image_item.levels) == (0.0, 3.0)
    np.testing.assert_array_equal(view.image_item.lut, colors.tint(colors.class_rgb(3), 0.35))
    assert "class 2" in view.legend_label.text()
    save_png(qtbot, view, "boundary_3_classes", (390, 330))


def bar_pixel(view: BoundaryView, value: float, image) -> tuple[int, int, int]:
    """RGB at ``value`` on the colour bar, in the middle of its width."""
    bar = view.colour_bar
    lo, hi = bar.levels()
    along = 256 * (value - lo) / (hi - lo)  # the bar's view spans 0..256 from lo to hi
    scene = bar.vb.mapViewToScene(QPointF(along, 0.5) if bar.horizontal else QPointF(0.5, along))
    pos = view.plot.mapTo(view, view.plot.mapFromScene(scene))
    c = image.pixelColor(pos.x(), pos.y())
    return c.red(), c.green(), c.blue()


def in_layout(view: BoundaryView, bar) -> bool:
    layout = view.plot.getPlotItem().layout
    return any(layout.itemAt(k) is bar for k in range(layout.count()))


def test_regression_shows_a_colour_bar_with_numbers(qtbot):
    """Defect 19: the predicted value had no numeric scale."""
    view = BoundaryView()
    qtbot.addWidget(view)
    view.add([points_ready("regression", 1), points_snapshot(np.zeros((8, 8)))])
    bar = view.colour_bar
    assert bar.isVisible() and in_layout(view, bar) and not bar.horizontal
    assert bar.levels() == (-1.0, 1.0) and bar.region is None  # fixed: no handles to drag
    assert [label for _, label in view.bar_ticks] == ["-1", "-0.5", "0", "0.5", "1"]
    assert [v for v, _ in view.bar_ticks] == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert bar.axis.labelText == "predicted value" and bar.axis.style["showValues"]
    save_png(qtbot, view, "boundary_colour_bar", (390, 330))
    image = view.grab().toImage()
    r, g, b = bar_pixel(view, 0.9, image)
    assert b > r + 40, (r, g, b)  # +1: blue, as in the background
    r, g, b = bar_pixel(view, -0.9, image)
    assert r > b + 40, (r, g, b)  # -1: orange

    view.add([points_ready("classification", 2)])  # P(class 1) has a scale too ...
    assert bar.levels() == (0.0, 1.0) and bar.axis.labelText == "P(class 1)"
    assert [label for _, label in view.bar_ticks] == ["0", "0.25", "0.5", "0.75", "1"]
    view.add([points_ready("classification", 3)])  # ... a class index has none: the legend names them
    assert not bar.isVisible() and not in_layout(view, bar)
    view.add([points_ready("regression", 1)])
    assert bar.isVisible() and bar.levels() == (-1.0, 1.0)

    save_png(qtbot, view, "boundary_colour_bar_below", (300, 480))  # a tall pane: below the plot
    below = view.colour_bar
    assert below.horizontal and below.isVisible() and in_layout(view, below)
    assert not bar.isVisible() and not in_layout(view, bar)
    assert below.levels() == (-1.0, 1.0) and below.axis.labelText == "predicted value"
    image = view.grab().toImage()
    r, g, b = bar_pixel(view, 0.9, image)
    assert b > r + 40, (r, g, b)


def test_boundary_follows_the_view_contract(qtbot):
    """add() takes its own records from a mixed batch; clear() blanks the run but keeps the items."""
    view = BoundaryView()
    qtbot.addWidget(view)
    items = (view.image_item, view.train_scatter, view.val_scatter, view.colour_bar)
    batch = [{"type": "counters", "run": 1, "epoch": 0, "step": 0}, points_ready("classification", 2, n=1500),
             {"type": "snapshot", "run": 1, "kind": "image", "images": np.zeros((1, 8, 8))},
             points_snapshot(np.full((48, 48), 0.25)), points_snapshot(np.full((48, 48), 0.75))]
    view.add(batch)
    assert len(view.train_scatter.data) == 1500
    assert view.image_item.image[0, 0] == 0.75  # the batch's latest field
    view.clear()
    assert view.image_item.image is None
    assert len(view.train_scatter.data) == 0 and len(view.val_scatter.data) == 0
    assert (view.image_item, view.train_scatter, view.val_scatter, view.colour_bar) == items


# -- images -------------------------------------------------------------------------------------
def digits_snapshot(rng: np.random.Generator, n: int = 32, classes: int = 10, most: int = 30) -> dict:
    labels = rng.integers(0, classes, n)
    predicted = labels.copy()
    wrong = [k for k in (1, 5, 17) if k < n]
    predicted[wrong] = (labels[wrong] + 1) % classes
    confusion = rng.integers(0, most, (classes, classes))
    confusion[np.diag_indices(classes)] += 150
    return {"type": "snapshot", "run": 1, "kind": "image", "step": 100,
            "images": rng.integers(0, 256, (n, 8, 8)).astype(np.uint8), "ink": True,
            "labels": labels, "predicted": predicted, "confusion": confusion}


def assert_apart(rects: list[QRectF]) -> None:
    """No two overlap; neighbours may touch (cells tile the grid), to within rounding."""
    shrunk = [r.adjusted(0.01, 0.01, -0.01, -0.01) for r in rects]
    for (i, a), (j, b) in itertools.combinations(enumerate(shrunk), 2):
        assert not a.intersects(b), (i, a, j, b)


def assert_inside(inner: QRectF, outer: QRectF) -> None:
    assert outer.adjusted(-0.01, -0.01, 0.01, 0.01).contains(inner), (inner, outer)


@pytest.mark.parametrize("size", SIZES)
def test_prediction_labels_fit_their_cells(qtbot, size):
    """Defect 6: labels ran together ("8 (6)8 (6)") in a narrow pane."""
    widget = ImagePredictions()
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.set_snapshot(digits_snapshot(np.random.default_rng(5)))
    grid = widget.layout_now()
    whole = QRectF(widget.rect())
    metrics = QFontMetricsF(grid.label_font)
    assert grid.label_font.pointSize() >= MIN_PT
    assert_apart(grid.labels)
    assert_apart(grid.cells)
    for cell, image, label, text in zip(grid.cells, grid.images, grid.labels, widget.texts):
        assert_inside(image, cell)
        assert_inside(label, cell)
        assert_inside(cell, whole)
        assert not label.intersects(image)
        assert metrics.horizontalAdvance(text) <= cell.width()
        assert image.width() >= 16  # at least two screen pixels per image pixel
    assert_inside(grid.title, whole)
    if grid.key is not None:
        assert_inside(grid.key, whole)
        assert not grid.key.intersects(grid.title)
    assert all(grid.title.bottom() <= cell.top() for cell in grid.cells)
    if size in ((480, 165), (300, 240)):  # beside the title, or on a line of its own
        assert grid.key is not None
    save_png(qtbot, widget, f"predictions_{size[0]}x{size[1]}", size)


def test_predictions_colour_right_and_wrong(qtbot):
    rng = np.random.default_rng(5)
    widget = ImagePredictions()
    qtbot.addWidget(widget)
    snap = digits_snapshot(rng)
    snap["images"][0] = 255  # all ink
    snap["images"][2] = 0  # all paper
    widget.set_snapshot(snap)
    assert len(widget.texts) == 32
    for k, (p, t) in enumerate(zip(snap["predicted"], snap["labels"])):
        assert widget.texts[k] == (str(p) if p == t else f"{p}≠{t}")
        assert widget.label_colour(k) == (colors.RIGHT if p == t else colors.WRONG)
    assert widget.title() == "Predictions: 29 of 32 right"

    save_png(qtbot, widget, "predictions", (480, 165))
    image = widget.grab().toImage()
    grid = widget.layout_now()
    ink, paper = (image.pixelColor(grid.images[k].center().toPoint()) for k in (0, 2))
    assert ink.lightness() < 20 and paper.lightness() > 235
    frame = grid.images[1].adjusted(-1, -1, 1, 1)  # sample 1 is wrong: a red frame
    c = image.pixelColor(QPointF(frame.left(), frame.center().y()).toPoint())
    assert c.red() > 150 and c.green() < 100, c.getRgb()

    widget.set_snapshot(digits_snapshot(rng, n=5))
    assert len(widget.layout_now().labels) == 5


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("most", [30, 900])  # two- and three-digit counts
def test_confusion_counts_fit_their_cells(qtbot, size, most):
    """Defect 6: two-digit counts ran together and the "predicted class" axis title was cut off."""
    widget = ConfusionMatrix()
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.set_snapshot(digits_snapshot(np.random.default_rng(6), most=most))
    grid = widget.layout_now()
    whole = QRectF(widget.rect())
    metrics = QFontMetricsF(grid.count_font)
    assert grid.count_font.pointSize() >= MIN_PT and grid.header_font.pointSize() >= MIN_PT
    counts = [rect for row in grid.counts for rect in row]
    assert None not in counts  # every count is shown at these sizes
    assert_apart(counts)
    for i, j in itertools.product(range(10), range(10)):
        assert_inside(grid.counts[i][j], grid.cells[i][j])
        assert metrics.horizontalAdvance(widget.cell_text(i, j)) <= grid.cells[i][j].width()
    headers = [grid.predicted, grid.true, *grid.column_ticks, *grid.row_ticks]
    if grid.title is not None:
        headers.append(grid.title)
    assert_apart(headers)
    everything = QRectF(grid.cells[0][0].topLeft(), grid.cells[-1][-1].bottomRight())
    for rect in headers:
        assert_inside(rect, whole)
        assert not rect.intersects(everything.adjusted(0.5, 0.5, -0.5, -0.5))
    assert_inside(everything, whole)
    assert grid.predicted.width() >= QFontMetricsF(grid.header_font).horizontalAdvance("predicted")
    assert grid.title is not None  # beside "predicted" where it fits, else on a line of its own
    save_png(qtbot, widget, f"confusion_{size[0]}x{size[1]}_{most}", size)


def test_confusion_matrix_counts_and_colours(qtbot):
    widget = ConfusionMatrix()
    qtbot.addWidget(widget)
    counts = np.array([[40, 0, 0], [5, 0, 15], [0, 0, 0]])
    widget.set_snapshot({"confusion": counts})
    assert [widget.cell_text(1, j) for j in range(3)] == ["5", "0", "15"]
    assert widget.cell_colour(0, 0).getRgb()[:3] == colors.BLUE  # all of the row
    assert widget.cell_colour(1, 2).getRgb()[:3] == tuple(colors.tint(np.array(colors.BLUE), 0.25))
    assert widget.cell_colour(0, 2).name() == "#ffffff"  # none of the row
    assert widget.cell_colour(2, 2).name() == "#ffffff"  # an empty row is no division by zero
    assert widget.text_colour(0, 0) == "#ffffff"  # on the dark cell
    assert widget.text_colour(1, 0) == colors.TEXT
    assert widget.text_colour(1, 1) == colors.MUTED  # zeros step back
    save_png(qtbot, widget, "confusion_3", (300, 200))
    image = widget.grab().toImage()
    dark = image.pixelColor(widget.layout_now().cells[0][0].topLeft().toPoint() + QPointF(3, 3).toPoint())
    assert dark.blue() > dark.red() + 80, dark.getRgb()


def test_image_view_follows_the_view_contract(qtbot):
    """add() draws the batch's latest image snapshot and ignores the rest; clear() blanks both
    pictures without rebuilding them."""
    rng = np.random.default_rng(7)
    view = ImageView()
    qtbot.addWidget(view)
    children = (view.predictions, view.confusion)
    old, new = digits_snapshot(rng), digits_snapshot(rng)
    new["confusion"][3, 3] = 321
    batch = [points_ready("classification", 2), {"type": "counters", "run": 1, "epoch": 1, "step": 9},
             points_snapshot(np.zeros((8, 8))), old, new]
    view.add(batch)
    assert view.confusion.cell_text(3, 3) == "321"
    assert len(view.predictions.texts) == 32
    save_png(qtbot, view, "images", (480, 330))
    assert view.box.direction() == QBoxLayout.Direction.TopToBottom
    save_png(qtbot, view, "images_wide", (1000, 400))
    assert view.box.direction() == QBoxLayout.Direction.LeftToRight

    view.clear()
    assert view.predictions.texts == [] and view.confusion.classes == 0
    assert view.predictions.title() == "Predictions"
    assert (view.predictions, view.confusion) == children
    view.grab()  # paints blank without data


def test_edge_cases_do_not_raise(qtbot):
    """Empty splits, a snapshot before any points, no images, a pane too narrow for the counts."""
    view = BoundaryView()
    qtbot.addWidget(view)
    view.set_snapshot({"field": np.full((8, 8), 0.5), "extent": 1.0})
    view.set_points(np.zeros((3, 2)), [0, 1, 1], np.zeros((0, 2)), [], "classification", 2)
    assert len(view.val_scatter.data) == 0

    predictions = ImagePredictions()
    qtbot.addWidget(predictions)
    predictions.set_snapshot({"images": np.zeros((0, 8, 8)), "labels": [], "predicted": []})
    assert predictions.texts == [] and predictions.layout_now().labels == []
    predictions.grab()

    confusion = ConfusionMatrix()
    qtbot.addWidget(confusion)
    confusion.resize(160, 140)
    confusion.set_snapshot({"confusion": np.full((10, 10), 500)})
    grid = confusion.layout_now()
    shown = [rect for row in grid.counts for rect in row if rect is not None]
    assert_apart(shown)  # what does not fit is left out, never drawn over its neighbour
    confusion.grab()


def test_photos_show_in_colour_with_class_names_and_each_class_accuracy(qtbot):
    """A folder of photos: RGB pictures as they are, predictions named by class folder, the
    misclassified first, and each true class's accuracy beside its row of the confusion matrix."""
    view = ImageView()
    qtbot.addWidget(view)
    view.resize(640, 480)
    red = np.zeros((2, 6, 6, 3), dtype=np.uint8)
    red[..., 0] = 255
    snap = {"type": "snapshot", "run": 1, "kind": "image", "step": 3, "images": red, "ink": False,
            "labels": np.array([0, 1]), "predicted": np.array([1, 1]), "confusion": np.array([[3, 1], [0, 4]]),
            "class_names": ["cat", "dog"], "class_accuracy": [0.75, 1.0], "wrong": 1, "total": 8}
    view.add([snap])
    predictions, confusion = view.predictions, view.confusion
    assert predictions.texts == ["dog≠cat", "dog"]
    assert predictions.title() == "Predictions: 1 of 8 wrong (shown first)"
    colour = predictions.grab().toImage().pixelColor(predictions.layout_now().images[0].center().toPoint())
    assert (colour.red(), colour.green(), colour.blue()) == (255, 0, 0)
    assert confusion.row_names == ["cat 75%", "dog 100%"]
    grid = confusion.layout_now()
    assert grid.row_ticks[0].width() >= QFontMetricsF(grid.header_font).horizontalAdvance("dog 100%") - 0.5
