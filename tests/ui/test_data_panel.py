"""The data panel, driven through its widgets as a user would: what it shows, what it emits, and
the round trip the window does (with_changes, then set_experiment)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QListWidget, QSlider, QSpinBox, QToolButton)

from playground.core.choices import DATASETS, FEATURES
from playground.core.spec import Experiment
from playground.ui.data_panel import DataPanel, dataset_image, feature_image
from tests.ui.panel_helpers import Window, find, in_dock, shown


@pytest.fixture
def panel(qtbot):
    p = DataPanel()
    qtbot.addWidget(p)
    p.resize(320, 700)
    p.show()
    qtbot.waitExposed(p)
    p.set_experiment(Experiment())
    return p


def row_of(panel, dataset: str) -> int:
    lst = find(panel, "dataset_list", QListWidget)
    return next(i for i in range(lst.count()) if lst.item(i).data(Qt.UserRole) == dataset)


def test_default_spec_is_shown_in_every_control(panel):
    lst = find(panel, "dataset_list", QListWidget)
    assert lst.currentItem().data(Qt.UserRole) == "circle"
    assert lst.count() == len(DATASETS.names())
    assert find(panel, "noise").value() == 0.0
    assert find(panel, "noise_slider", QSlider).value() == 0
    assert find(panel, "val_fraction").value() == 0.5
    assert find(panel, "val_fraction_label").text() == "train 50% / val 50%"
    for entry in FEATURES:
        button = find(panel, f"feature_{entry.name}", QToolButton)
        assert button.text() == entry.label
        assert button.isChecked() == (entry.name in ("x1", "x2"))
    assert find(panel, "batch_size", QSpinBox).value() == 10
    assert find(panel, "batch_size").isEnabled()
    assert not find(panel, "full_batch", QCheckBox).isChecked()
    assert find(panel, "preprocess", QComboBox).currentData() == "none"
    assert find(panel, "n_samples", QSpinBox).value() == 0
    assert find(panel, "n_samples", QSpinBox).text() == "default (500)"
    assert find(panel, "data_seed", QSpinBox).value() == 0
    assert find(panel, "aug_jitter").value() == 0.0
    assert shown(panel, "features") and shown(panel, "aug_jitter")
    assert not shown(panel, "aug_shift") and not shown(panel, "aug_flip") and not shown(panel, "aug_noise")
    assert not find(panel, "error_label").isVisibleTo(panel)


def test_every_control_teaches_with_a_tooltip(panel):
    names = ["dataset_list", "noise", "val_fraction", "batch_size", "full_batch", "preprocess", "n_samples",
             "data_seed", "aug_jitter", "aug_shift", "aug_flip", "aug_noise"]
    names += [f"feature_{e.name}" for e in FEATURES]
    for name in names:
        assert len(find(panel, name).toolTip()) > 40, name
    assert "zero-centre and normalise" in find(panel, "preprocess").toolTip()
    assert "whole training set" in find(panel, "full_batch").toolTip()
    lst = find(panel, "dataset_list", QListWidget)
    assert "XOR" in lst.item(row_of(panel, "xor")).toolTip()


def test_set_experiment_emits_nothing(panel, qtbot):
    specs = [Experiment(), Experiment().with_changes({"data.name": "digits", "train.batch_size": 0}),
             Experiment().with_changes({"data.noise": 0.3, "data.features": ["x1^2", "x2^2"], "data.n_samples": 300,
                                        "data.augment.jitter": 0.2, "data.preprocess": "standardize"})]
    with qtbot.assertNotEmitted(panel.edited):
        for exp in specs:
            panel.set_experiment(exp)


def _click(qtbot, panel, name):
    widget = find(panel, name)
    qtbot.mouseClick(widget, Qt.LeftButton, pos=widget.rect().center())


ACTIONS = [
    ("dataset", lambda qt, p: find(p, "dataset_list", QListWidget).setCurrentRow(row_of(p, "xor")),
     {"data.name": "xor"}),
    ("noise", lambda qt, p: find(p, "noise_slider", QSlider).setValue(20), {"data.noise": 0.2}),
    ("split", lambda qt, p: find(p, "val_fraction_slider", QSlider).setValue(30), {"data.val_fraction": 0.3}),
    ("feature on", lambda qt, p: _click(qt, p, "feature_x1*x2"), {"data.features": ["x1", "x2", "x1*x2"]}),
    ("feature off", lambda qt, p: _click(qt, p, "feature_x1"), {"data.features": ["x2"]}),
    ("batch size", lambda qt, p: find(p, "batch_size", QSpinBox).setValue(32), {"train.batch_size": 32}),
    ("full batch", lambda qt, p: _click(qt, p, "full_batch"), {"train.batch_size": 0}),
    ("preprocess", lambda qt, p: find(p, "preprocess", QComboBox).setCurrentIndex(2),
     {"data.preprocess": "standardize"}),
    ("jitter", lambda qt, p: find(p, "aug_jitter").setValue(0.1), {"data.augment.jitter": 0.1}),
    ("samples", lambda qt, p: find(p, "n_samples", QSpinBox).setValue(200), {"data.n_samples": 200}),
    ("seed", lambda qt, p: find(p, "data_seed", QSpinBox).setValue(3), {"data.seed": 3}),
]


@pytest.mark.parametrize("label,act,expected", ACTIONS, ids=[a[0] for a in ACTIONS])
def test_each_change_emits_its_path_and_round_trips(panel, qtbot, label, act, expected):
    window = Window(panel, Experiment())
    act(qtbot, panel)
    assert window.emitted == [expected]
    exp = window.exp  # applied by with_changes and shown again by set_experiment
    for path, value in expected.items():
        section, *rest = path.split(".")
        node = getattr(exp, section)
        for part in rest:
            node = getattr(node, part)
        assert node == value
    # showing the result emits nothing and keeps the widget where the user put it
    with qtbot.assertNotEmitted(panel.edited):
        panel.set_experiment(exp)
    if label == "noise":
        assert find(panel, "noise_label").text() == "0.20"
    if label == "split":
        assert find(panel, "val_fraction_label").text() == "train 70% / val 30%"
    if label.startswith("feature"):
        assert [n for n in FEATURES.names() if find(panel, f"feature_{n}").isChecked()] == sorted(
            expected["data.features"], key=FEATURES.names().index)
    if label == "full batch":
        assert find(panel, "full_batch").isChecked() and not find(panel, "batch_size").isEnabled()


def test_full_batch_off_returns_to_the_last_batch_size(panel, qtbot):
    window = Window(panel, Experiment().with_changes({"train.batch_size": 25}))
    _click(qtbot, panel, "full_batch")
    assert window.exp.train.batch_size == 0
    assert find(panel, "batch_size").value() == 25  # still shown, greyed out
    _click(qtbot, panel, "full_batch")
    assert window.emitted == [{"train.batch_size": 0}, {"train.batch_size": 25}]
    assert window.exp.train.batch_size == 25 and find(panel, "batch_size").isEnabled()


def test_feature_order_of_the_spec_is_kept(panel, qtbot):
    window = Window(panel, Experiment().with_changes({"data.features": ["x2", "x1"]}))
    _click(qtbot, panel, "feature_sin_x1")
    assert window.emitted == [{"data.features": ["x2", "x1", "sin_x1"]}]


def test_picking_digits_hides_features_and_shows_image_augmentation(panel, qtbot):
    window = Window(panel, Experiment())
    find(panel, "dataset_list", QListWidget).setCurrentRow(row_of(panel, "digits"))
    assert window.emitted == [{"data.name": "digits"}]
    assert window.exp.data.name == "digits"
    assert not shown(panel, "features") and not shown(panel, "features_box")
    assert not shown(panel, "aug_jitter")
    assert shown(panel, "aug_shift") and shown(panel, "aug_flip") and shown(panel, "aug_noise")
    assert not find(panel, "noise").isEnabled()
    assert find(panel, "n_samples").text() == "default (1797)"

    _click(qtbot, panel, "aug_flip")
    find(panel, "aug_shift", QSpinBox).setValue(2)
    find(panel, "aug_noise").setValue(0.3)
    assert window.emitted[1:] == [{"data.augment.flip": True}, {"data.augment.shift": 2},
                                  {"data.augment.noise": 0.3}]
    aug = window.exp.data.augment
    assert (aug.flip, aug.shift, aug.noise) == (True, 2, 0.3)

    find(panel, "dataset_list", QListWidget).setCurrentRow(row_of(panel, "spiral"))
    assert shown(panel, "features") and shown(panel, "aug_jitter") and not shown(panel, "aug_flip")


def test_lbfgs_locks_the_batch_to_the_full_set(panel):
    panel.set_experiment(Experiment().with_changes({"optim.name": "lbfgs"}))
    assert not find(panel, "batch_size").isEnabled() and not find(panel, "full_batch").isEnabled()
    assert "full batch" in find(panel, "batch_size").toolTip()


def test_show_error_marks_the_control_and_clears(panel):
    frame, label, noise = find(panel, "frame_noise"), find(panel, "error_noise"), find(panel, "noise")
    original = noise.toolTip()
    panel.show_error("data.noise", "must be <= 0.5, got 0.7")
    assert frame.property("error") is True
    assert "border: 2px solid" in frame.styleSheet()
    assert label.isVisibleTo(panel) and label.text() == "must be <= 0.5, got 0.7"
    assert "must be &lt;= 0.5, got 0.7" in noise.toolTip() and original[4:-5] in noise.toolTip()
    panel.show_error(None)
    assert frame.property("error") is False and frame.styleSheet() == ""
    assert not label.isVisibleTo(panel)
    assert noise.toolTip() == original


def test_errors_of_the_window_land_on_their_widget(panel, qtbot):
    window = Window(panel, Experiment().with_changes({"data.features": ["x1"]}))
    _click(qtbot, panel, "feature_x1")  # no feature left: the spec refuses
    assert window.emitted == [{"data.features": []}]
    assert window.exp.data.features == ["x1"]
    assert find(panel, "frame_features").property("error") is True
    assert "at least one input feature" in find(panel, "error_features").text()
    # the next change clears the mark
    find(panel, "noise_slider", QSlider).setValue(10)
    assert find(panel, "frame_features").property("error") is False


def test_errors_without_a_visible_widget_go_to_the_panel_label(panel):
    panel.show_error("model.layers[0].units", "must be >= 1, got 0")
    assert find(panel, "error_label").isVisibleTo(panel)
    assert "model.layers[0].units: must be >= 1" in find(panel, "error_label").text()
    panel.show_error("data.augment.shift", "must be <= 3, got 5")  # hidden for 2D data
    assert find(panel, "frame_aug_shift").property("error") is True
    assert "data.augment.shift" in find(panel, "error_label").text()
    panel.show_error(None)
    assert not find(panel, "error_label").isVisibleTo(panel)
    assert find(panel, "frame_aug_shift").property("error") is False


def test_dataset_pictures_are_drawn_once_and_show_the_classes(qapp):
    for entry in DATASETS:
        image = dataset_image(entry.name)
        assert image.width() == image.height() == 48 and not image.isNull()
        assert dataset_image(entry.name) is image  # cached
    circle = dataset_image("circle")
    colours = {circle.pixelColor(x, y).name() for x in range(48) for y in range(48)}
    assert any(c.startswith("#f5") or c.startswith("#f4") for c in colours)  # orange class 0
    assert any(c.startswith("#08") or c.startswith("#09") for c in colours)  # blue class 1
    digits = dataset_image("digits")
    assert min(digits.pixelColor(x, y).lightness() for x in range(48) for y in range(48)) < 60  # dark ink
    for name in FEATURES.names():
        assert not feature_image(name).isNull()


def test_screenshot_of_the_panel(qtbot):
    panel = DataPanel()
    holder = in_dock(qtbot, panel)
    shots = [(Experiment(), "/tmp/panel_data.png"),
             (Experiment().with_changes({"data.name": "digits", "data.preprocess": "standardize",
                                         "data.augment.shift": 1}), "/tmp/panel_data_digits.png")]
    for exp, path in shots:
        panel.set_experiment(exp)
        qtbot.wait(20)
        assert holder.horizontalScrollBar().maximum() == 0  # nothing cut off at the side
        assert holder.verticalScrollBar().maximum() == 0  # and everything fits in 700 px
        image = holder.grab()
        assert (image.width(), image.height()) == (320, 700)
        assert image.save(path)
    panel.set_experiment(Experiment())
    panel.show_error("data.val_fraction", "leaves 1 training examples after the validation split; need 2")
    qtbot.wait(20)
    holder.grab().save("/tmp/panel_data_error.png")
