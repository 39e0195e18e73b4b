"""The pictures of what the network computes: the decision boundary (2D data), sample predictions
and the confusion matrix (images), driven as the main window drives them.

Each test also saves a PNG of its widget under /tmp/plots_*.png, to look at by eye.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from playground.ui.plots import BoundaryView, ConfusionMatrix, ImagePredictions, ImageView
from playground.ui.plots import style
from tests.ui.plot_helpers import save_png, view_to_pixel


# -- BoundaryView -------------------------------------------------------------------------------
def test_boundary_image_is_the_field_with_row_0_on_top(qtbot):
    view = BoundaryView()
    qtbot.addWidget(view)
    rng = np.random.default_rng(3)
    train = rng.uniform(-4, 4, (200, 2))
    val = rng.uniform(-4, 4, (60, 2))
    view.set_points(train, (train[:, 1] > 0).astype(int), val, (val[:, 1] > 0).astype(int), "classification", 2)
    field = np.zeros((48, 48))
    field[0, :] = 1.0  # the top row only
    view.set_snapshot({"field": field, "extent": 5.0})

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
    path = save_png(qtbot, view, "boundary", (650, 700))
    image = view.grab().toImage()
    r, g, b = view_to_pixel(view.plot, -4.5, 4.97, image)  # in the top row: class 1, blue
    assert b > r + 40, (r, g, b)
    r, g, b = view_to_pixel(view.plot, -4.5, 0.02, image)  # everywhere else: class 0, orange
    assert r > b + 40, (r, g, b)
    assert path.endswith(".png")

    assert not view.val_scatter.isVisible()
    view.show_validation.setChecked(True)
    assert view.val_scatter.isVisible()
    assert len(view.train_scatter.data) == 200 and len(view.val_scatter.data) == 60

    view.clear_field()
    assert view.image_item.image is None


def test_boundary_regression_and_many_classes_use_fixed_levels(qtbot):
    view = BoundaryView()
    qtbot.addWidget(view)
    xy = np.array([[0.0, 0.0], [1.0, 1.0]])
    view.set_points(xy, [-0.5, 0.5], xy, [0.2, -0.2], "regression", 1)
    view.set_snapshot({"field": np.linspace(-2, 2, 16 * 16).reshape(16, 16), "extent": 2.0})
    assert tuple(view.image_item.levels) == (-1.0, 1.0)
    assert "negative" in view.legend_label.text()
    save_png(qtbot, view, "boundary_regression", (600, 650))

    rng = np.random.default_rng(4)
    points = rng.uniform(-1, 1, (90, 2))
    labels = rng.integers(0, 3, 90)
    view.set_points(points, labels, points[:10], labels[:10], "classification", 3)
    field = np.repeat(np.arange(3.0), 16 * 16 // 3 + 1)[:256].reshape(16, 16)
    view.set_snapshot({"field": field, "extent": 1.0})
    assert tuple(view.image_item.levels) == (0.0, 3.0)
    assert view.image_item.lut.shape[0] == 3
    assert "class 2" in view.legend_label.text()
    save_png(qtbot, view, "boundary_3_classes", (600, 650))


# -- images -------------------------------------------------------------------------------------
def digits_snapshot(rng: np.random.Generator, n: int = 32, classes: int = 10) -> dict:
    labels = rng.integers(0, classes, n)
    predicted = labels.copy()
    wrong = [k for k in (1, 5, 17) if k < n]
    predicted[wrong] = (labels[wrong] + 1) % classes
    confusion = rng.integers(0, 30, (classes, classes))
    confusion[np.diag_indices(classes)] += 150
    return {"kind": "image", "step": 100, "images": rng.uniform(0, 16, (n, 8, 8)).astype(np.float32),
            "labels": labels, "predicted": predicted, "confusion": confusion}


def test_image_predictions_colour_right_and_wrong(qtbot):
    rng = np.random.default_rng(5)
    widget = ImagePredictions()
    qtbot.addWidget(widget)
    snap = digits_snapshot(rng)
    widget.set_snapshot(snap)
    assert len(widget.label_items) == 32
    for text, p, t in zip(widget.label_items, snap["predicted"], snap["labels"]):
        assert text.toPlainText().split()[0] == str(p)
        expected = style.RIGHT if p == t else style.WRONG
        assert text.color.name() == expected.lower()
    assert widget.label_items[1].color.name() == style.WRONG.lower()
    assert f"({snap['labels'][1]})" in widget.label_items[1].toPlainText()
    assert tuple(widget.image_item.levels) == (0.0, 16.0)
    assert "29 of 32" in widget.title.text()
    save_png(qtbot, widget, "predictions", (800, 600))

    fewer = digits_snapshot(rng, n=5)
    widget.set_snapshot(fewer)
    assert len(widget.label_items) == 5


def test_confusion_matrix_cells_show_the_counts(qtbot):
    rng = np.random.default_rng(6)
    widget = ConfusionMatrix()
    qtbot.addWidget(widget)
    snap = digits_snapshot(rng)
    widget.set_snapshot(snap)
    counts = snap["confusion"]
    for i in range(10):
        for j in range(10):
            assert widget.cell_text(i, j) == str(counts[i, j])
    fraction = widget.image_item.image
    np.testing.assert_allclose(fraction.sum(axis=1), 1.0)
    item = widget.plot.getPlotItem()
    assert item.getAxis("left").labelText == "true class"
    assert item.getAxis("bottom").labelText == "predicted class"
    save_png(qtbot, widget, "confusion", (600, 600))

    small = np.array([[5, 1], [0, 7]])
    widget.set_snapshot({"confusion": small})
    assert len(widget.cell_items) == 2
    assert [widget.cell_text(i, j) for i in range(2) for j in range(2)] == ["5", "1", "0", "7"]


def test_image_view_combines_both(qtbot):
    rng = np.random.default_rng(7)
    view = ImageView()
    qtbot.addWidget(view)
    snap = digits_snapshot(rng)
    view.set_snapshot(snap)
    assert view.confusion.cell_text(0, 0) == str(snap["confusion"][0, 0])
    assert len(view.predictions.label_items) == 32
    save_png(qtbot, view, "images", (1300, 600))




def test_edge_cases_do_not_raise(qtbot):
    """Empty splits, a snapshot before any points, no images."""
    view = BoundaryView()
    qtbot.addWidget(view)
    view.set_snapshot({"field": np.full((8, 8), 0.5), "extent": 1.0})
    view.set_points(np.zeros((3, 2)), [0, 1, 1], np.zeros((0, 2)), [], "classification", 2)
    assert len(view.val_scatter.data) == 0

    predictions = ImagePredictions()
    qtbot.addWidget(predictions)
    predictions.set_snapshot({"images": np.zeros((0, 8, 8)), "labels": [], "predicted": []})
    assert predictions.label_items == []
