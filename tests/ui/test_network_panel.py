"""The network builder, driven through its own buttons, combos and spin boxes.

Every emitted change is applied the way the main window does it (``exp.with_changes`` then
``set_experiment``), so these tests check the round trip, not just the signal.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton, QAbstractSpinBox, QApplication, QComboBox, QLabel, QPushButton, QSpinBox, QWidget,
)

from playground.core.snapshot import snapshot
from playground.core.spec import Experiment
from playground.core.trainer import Trainer
from playground.ui.network_panel import NetworkPanel, NodeBand

DIGITS_CNN = {"data": {"name": "digits", "preprocess": "standardize"},
              "model": {"activation": "relu", "init": "kaiming_normal",
                        "layers": [{"type": "conv", "channels": 16}, {"type": "pool"},
                                   {"type": "conv", "channels": 32}, {"type": "pool"}, {"units": 64}]}}


@pytest.fixture
def panel(qtbot):
    widget = NetworkPanel()
    qtbot.addWidget(widget)
    widget.resize(700, 380)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def edits(panel):
    received: list[dict] = []
    panel.edited.connect(received.append)
    return received


def child(panel: QWidget, cls, name: str):
    widget = panel.findChild(cls, name)
    assert widget is not None, f"no {cls.__name__} named {name}"
    return widget


def round_trip(panel: NetworkPanel, exp: Experiment, edits: list[dict]) -> Experiment:
    """Apply the one change the panel emitted, as the main window does."""
    assert len(edits) == 1, edits
    new = exp.with_changes(edits.pop())
    show(panel, new)
    return new


def show(panel: NetworkPanel, exp: Experiment) -> None:
    """set_experiment, then let the layouts settle as the event loop would."""
    panel.set_experiment(exp)
    QApplication.processEvents()


def select(combo: QComboBox, name) -> None:
    index = combo.findData(name)
    assert index >= 0, name
    combo.setCurrentIndex(index)


def test_default_experiment_shows_two_hidden_columns(panel, edits):
    show(panel, Experiment())
    assert edits == []  # set_experiment never emits
    assert len(panel.layer_columns) == 2
    assert child(panel, QSpinBox, "layer1_units").value() == 4
    assert child(panel, QSpinBox, "layer2_units").value() == 2
    assert [child(panel, NodeBand, f"layer{n}_nodes").count for n in (1, 2)] == [4, 2]
    assert child(panel, NodeBand, "input_nodes").labels == ["X₁", "X₂"]
    assert child(panel, NodeBand, "output_nodes").count == 2
    assert panel.findChild(QLabel, "layer1_error").isHidden()


def test_add_layer_and_units_round_trip(panel, edits, qtbot):
    exp = Experiment()
    show(panel, exp)
    qtbot.mouseClick(child(panel, QPushButton, "add_layer"), Qt.MouseButton.LeftButton)
    layers = edits[0]["model.layers"]
    assert len(layers) == 3 and layers[2] == {"type": "dense", "units": 4}
    exp = round_trip(panel, exp, edits)
    assert [layer.units for layer in exp.model.layers] == [4, 2, 4]
    assert len(panel.layer_columns) == 3

    qtbot.mouseClick(child(panel, QAbstractButton, "layer1_units_plus"), Qt.MouseButton.LeftButton)
    assert edits[0]["model.layers"][0] == {"type": "dense", "units": 5}
    exp = round_trip(panel, exp, edits)
    assert exp.model.layers[0].units == 5
    assert child(panel, QSpinBox, "layer1_units").value() == 5
    assert child(panel, NodeBand, "layer1_nodes").count == 5

    qtbot.mouseClick(child(panel, QAbstractButton, "layer2_units_minus"), Qt.MouseButton.LeftButton)
    exp = round_trip(panel, exp, edits)
    assert exp.model.layers[1].units == 1
    assert not child(panel, QAbstractButton, "layer2_units_minus").isEnabled()  # 1 is the least

    child(panel, QSpinBox, "layer3_units").setValue(20)  # typed; wider than drawn: a count box
    exp = round_trip(panel, exp, edits)
    assert exp.model.layers[2].units == 20
    assert child(panel, NodeBand, "layer3_nodes").compact


def test_units_change_keeps_the_columns(panel, edits, qtbot):
    """Same layer types: widgets are updated in place, so a control keeps its focus while stepping."""
    exp = Experiment()
    show(panel, exp)
    column = panel.layer_columns[0]
    qtbot.mouseClick(child(panel, QAbstractButton, "layer1_units_plus"), Qt.MouseButton.LeftButton)
    round_trip(panel, exp, edits)
    assert panel.layer_columns[0] is column


def test_remove_layers(panel, edits, qtbot):
    exp = Experiment.from_dict({"model": {"layers": [{"units": 3}, {"units": 5}, {"units": 7}]}})
    show(panel, exp)
    qtbot.mouseClick(child(panel, QAbstractButton, "layer2_remove"), Qt.MouseButton.LeftButton)
    exp = round_trip(panel, exp, edits)
    assert [layer.units for layer in exp.model.layers] == [3, 7]
    qtbot.mouseClick(child(panel, QPushButton, "remove_layer"), Qt.MouseButton.LeftButton)
    exp = round_trip(panel, exp, edits)
    assert [layer.units for layer in exp.model.layers] == [3]
    qtbot.mouseClick(child(panel, QPushButton, "remove_layer"), Qt.MouseButton.LeftButton)
    exp = round_trip(panel, exp, edits)
    assert exp.model.layers == [] and panel.layer_columns == []
    assert not child(panel, QPushButton, "remove_layer").isEnabled()


def test_layer_activation_override_and_back_to_default(panel, edits):
    exp = Experiment()
    show(panel, exp)
    combo = child(panel, QComboBox, "layer2_activation")
    assert combo.currentIndex() == 0 and combo.itemText(0) == "default (Tanh)"
    select(combo, "relu")
    assert edits[0] == {"model.layers[1].activation": "relu"}
    exp = round_trip(panel, exp, edits)
    assert exp.model.layers[1].activation == "relu"
    assert child(panel, QComboBox, "layer2_activation").currentData() == "relu"

    child(panel, QComboBox, "layer2_activation").setCurrentIndex(0)
    assert edits[0] == {"model.layers[1].activation": None}
    exp = round_trip(panel, exp, edits)
    assert exp.model.layers[1].activation is None


@pytest.mark.parametrize("field, name", [("init", "kaiming_uniform"), ("norm", "layernorm")])
def test_layer_init_and_norm_overrides(panel, edits, field, name):
    exp = Experiment()
    show(panel, exp)
    select(child(panel, QComboBox, f"layer1_{field}"), name)
    assert edits[0] == {f"model.layers[0].{field}": name}
    exp = round_trip(panel, exp, edits)
    assert getattr(exp.model.layers[0], field) == name
    assert getattr(exp.model.layers[1], field) is None


def test_default_row_edits_the_model_defaults(panel, edits):
    exp = Experiment()
    show(panel, exp)
    select(child(panel, QComboBox, "default_activation"), "relu")
    assert edits[0] == {"model.activation": "relu"}
    exp = round_trip(panel, exp, edits)
    assert exp.model.activation == "relu"
    assert child(panel, QComboBox, "layer1_activation").itemText(0) == "default (ReLU)"

    select(child(panel, QComboBox, "default_norm"), "batchnorm")
    exp = round_trip(panel, exp, edits)
    assert exp.model.norm == "batchnorm"

    child(panel, QAbstractSpinBox, "default_dropout").setValue(0.2)
    assert edits[0] == {"model.dropout": 0.2}
    exp = round_trip(panel, exp, edits)
    assert exp.model.dropout == 0.2


def test_layer_dropout_spin(panel, edits):
    exp = Experiment()
    show(panel, exp)
    spin = child(panel, QAbstractSpinBox, "layer2_dropout")
    assert spin.dropout() is None  # inherits
    spin.setValue(0.3)
    assert edits[0] == {"model.layers[1].dropout": 0.3}
    exp = round_trip(panel, exp, edits)
    assert exp.model.layers[1].dropout == 0.3
    spin = child(panel, QAbstractSpinBox, "layer2_dropout")
    spin.setValue(spin.minimum())  # one step below 0: back to the default
    assert edits[0] == {"model.layers[1].dropout": None}
    exp = round_trip(panel, exp, edits)
    assert exp.model.layers[1].dropout is None


def test_normal_init_shows_its_std(panel, edits):
    exp = Experiment()
    show(panel, exp)
    std = child(panel, QAbstractSpinBox, "default_init_std")
    assert not std.isVisibleTo(panel)
    select(child(panel, QComboBox, "default_init"), "normal")
    assert edits[0] == {"model.init": "normal"}
    exp = round_trip(panel, exp, edits)
    assert std.isVisibleTo(panel)
    std.setValue(1.0)
    assert edits[0] == {"model.init_std": 1.0}
    exp = round_trip(panel, exp, edits)
    assert exp.model.init_std == 1.0

    select(child(panel, QComboBox, "default_init"), "xavier_uniform")
    exp = round_trip(panel, exp, edits)
    assert not std.isVisibleTo(panel)
    select(child(panel, QComboBox, "layer1_init"), "normal")  # a layer's own 'normal' needs it too
    round_trip(panel, exp, edits)
    assert std.isVisibleTo(panel)


def test_image_layer_buttons_only_for_image_data(panel, edits, qtbot):
    show(panel, Experiment())
    for name in ("add_conv", "add_pool", "add_flatten"):
        assert child(panel, QPushButton, name).isHidden()

    exp = Experiment.from_dict({"data": {"name": "digits"}, "model": {"layers": [{"units": 32}]}})
    show(panel, exp)
    for name in ("add_conv", "add_pool", "add_flatten"):
        assert child(panel, QPushButton, name).isVisibleTo(panel)
    qtbot.mouseClick(child(panel, QPushButton, "add_conv"), Qt.MouseButton.LeftButton)
    assert edits[0]["model.layers"][0] == {"type": "conv", "channels": 8}  # before the dense layer
    exp = round_trip(panel, exp, edits)
    assert [layer.type for layer in exp.model.layers] == ["conv", "dense"]

    qtbot.mouseClick(child(panel, QPushButton, "add_pool"), Qt.MouseButton.LeftButton)
    exp = round_trip(panel, exp, edits)
    qtbot.mouseClick(child(panel, QPushButton, "add_flatten"), Qt.MouseButton.LeftButton)
    exp = round_trip(panel, exp, edits)
    assert [layer.type for layer in exp.model.layers] == ["conv", "pool", "flatten", "dense"]

    child(panel, QSpinBox, "layer1_channels").setValue(16)
    assert edits[0] == {"model.layers[0].channels": 16}
    exp = round_trip(panel, exp, edits)
    child(panel, QSpinBox, "layer2_kernel").setValue(4)
    assert edits[0] == {"model.layers[1].kernel": 4}
    exp = round_trip(panel, exp, edits)
    assert (exp.model.layers[0].channels, exp.model.layers[1].kernel) == (16, 4)
    assert panel.layer_columns[1].shape_view.shape == (16, 2, 2)

    show(panel, Experiment())
    assert child(panel, QPushButton, "add_conv").isHidden()


def test_digits_cnn_layout(panel):
    show(panel, Experiment.from_dict(DIGITS_CNN))
    assert [c.type for c in panel.layer_columns] == ["conv", "pool", "conv", "pool", "dense"]
    assert panel.findChild(QWidget, "input_image") is not None
    assert child(panel, NodeBand, "layer5_nodes").compact  # 64 units: a count, not 64 squares
    assert child(panel, NodeBand, "output_nodes").labels == [str(i) for i in range(10)]
    assert panel.canvas.connections() == []  # nothing narrow enough to draw
    assert child(panel, QComboBox, "layer1_activation").isVisibleTo(panel)  # conv layers take overrides
    assert panel.findChild(QComboBox, "layer2_activation") is None  # pooling has none


def test_show_error_marks_the_layer_column(panel):
    show(panel, Experiment())
    panel.show_error("model.layers[1].units", "must be >= 1, got 0")
    column = child(panel, QWidget, "layer2_column")
    label = child(panel, QLabel, "layer2_error")
    assert column.property("error") is True
    assert label.text() == "must be >= 1, got 0" and label.isVisibleTo(panel)
    assert "must be &gt;= 1" in column.toolTip()
    assert child(panel, QSpinBox, "layer2_units").property("error") is True
    assert not child(panel, QWidget, "layer1_column").property("error")

    panel.show_error(None)
    assert not column.property("error")
    assert label.isHidden()
    assert "must be" not in child(panel, QSpinBox, "layer2_units").toolTip()


def test_show_error_for_the_default_row_and_other_paths(panel):
    show(panel, Experiment())
    panel.show_error("model.init_std", "must be > 0.0, got 0.0")
    assert child(panel, QWidget, "default_init_std").property("error") is True
    assert "must be > 0.0" in child(panel, QLabel, "error_label").text()
    panel.show_error("train.batch_size", "batch norm needs at least 2 examples per batch")
    assert not child(panel, QWidget, "default_init_std").property("error")  # the old mark is gone
    assert "train.batch_size" in child(panel, QLabel, "error_label").text()
    panel.show_error(None)
    assert child(panel, QLabel, "error_label").isHidden()


def test_error_after_a_structural_edit_goes_to_the_panel_label(panel, edits, qtbot):
    """Indices in an error for a list the panel emitted need not match the columns shown."""
    exp = Experiment.from_dict({"data": {"name": "digits"}, "model": {"layers": [{"type": "pool"}] * 3}})
    show(panel, exp)
    qtbot.mouseClick(child(panel, QPushButton, "add_pool"), Qt.MouseButton.LeftButton)
    with pytest.raises(Exception) as error:
        exp.with_changes(edits.pop())
    panel.show_error(error.value.path, error.value.problem)
    assert error.value.path == "model.layers[3].type"
    assert "Layer 4" in child(panel, QLabel, "error_label").text()
    assert not any(c.property("error") for c in panel.layer_columns)


def test_set_experiment_never_emits(panel, qtbot):
    with qtbot.assertNotEmitted(panel.edited):
        panel.set_experiment(Experiment())
        panel.set_experiment(Experiment.from_dict({"model": {"activation": "relu", "dropout": 0.1,
                                                             "layers": [{"units": 3, "init": "normal"}]}}))
        panel.set_experiment(Experiment.from_dict(DIGITS_CNN))


def test_every_control_has_a_teaching_tooltip(panel):
    show(panel, Experiment.from_dict(DIGITS_CNN))
    kinds = (QComboBox, QAbstractSpinBox, QAbstractButton)
    controls = [w for w in panel.findChildren(QWidget) if isinstance(w, kinds) and w.objectName()
                and "qt_" not in w.objectName()]
    assert len(controls) > 20
    for widget in controls:
        assert len(widget.toolTip()) > 20, widget.objectName()
    assert "ReLU is the default choice" in child(panel, QComboBox, "default_activation").toolTip()
    assert "Xavier or MSRA" in child(panel, QComboBox, "layer1_init").toolTip()
    assert "mostly in fully connected layers" in child(panel, QAbstractSpinBox, "layer1_dropout").toolTip()


@pytest.fixture(scope="module")
def snapshots():
    trainer = Trainer(Experiment.from_dict({"train": {"epochs": 1}}))
    before = snapshot(trainer)
    trainer.run()
    return before, snapshot(trainer)


def _pixels(image) -> bytes:
    return bytes(image.constBits())


def test_snapshot_updates_node_pictures(panel, snapshots):
    before, after = snapshots
    show(panel, Experiment())
    band = child(panel, NodeBand, "layer1_nodes")
    assert band.image(0) is None
    panel.set_snapshot(before)
    first = [_pixels(band.image(i)) for i in range(4)]
    assert all(band.image(i) is not None and not band.image(i).isNull() for i in range(4))
    panel.set_snapshot(after)
    assert [_pixels(band.image(i)) for i in range(4)] != first
    assert child(panel, NodeBand, "output_nodes").image(1) is not None
    QApplication.processEvents()
    centre = band.mapTo(panel, band.node_rects()[0].center().toPoint())
    assert panel.grab().toImage().pixelColor(centre).name() != "#ffffff"  # the picture is on screen


def test_snapshot_sets_connection_pens(panel, snapshots):
    _, snap = snapshots
    show(panel, Experiment())
    lines = panel.canvas.connections()
    assert len(lines) == 2 * 4 + 4 * 2 + 2 * 2
    panel.set_snapshot(snap)
    lines = panel.canvas.connections()
    assert len(lines) == 2 * 4 + 4 * 2 + 2 * 2
    # connections() lists each pair's lines target by target, source by source: W[j][i]
    weights = np.concatenate([np.asarray(w).ravel() for w in snap["weights"]])
    widths = np.array([pen.widthF() for _, pen in lines])
    order = np.argsort(np.abs(weights))
    assert np.all(np.diff(widths[order]) >= -1e-9)  # thicker with |w|
    assert widths.max() > widths.min()
    for w, (_, pen) in zip(weights, lines):
        color = pen.color()
        assert (color.blue() > color.red()) == (w > 0)  # blue positive, orange negative
    for line, _ in lines:
        assert line.x2() > line.x1()  # left to right


def test_stale_snapshot_is_ignored(panel, edits, snapshots, qtbot):
    """A snapshot of the previous network arriving after an edit must not break anything."""
    _, snap = snapshots
    exp = Experiment()
    show(panel, exp)
    qtbot.mouseClick(child(panel, QAbstractButton, "layer1_units_plus"), Qt.MouseButton.LeftButton)
    round_trip(panel, exp, edits)
    panel.set_snapshot(snap)  # layer 1 has 5 units now, the snapshot 4
    assert child(panel, NodeBand, "layer1_nodes").image(0) is None
    assert child(panel, NodeBand, "layer2_nodes").image(0) is not None
    lines = panel.canvas.connections()
    assert len(lines) == 2 * 5 + 5 * 2 + 2 * 2
    panel.set_snapshot({"kind": "image"})  # nothing to draw for images


def test_wide_layers_skip_their_lines(panel):
    show(panel, Experiment.from_dict({"model": {"layers": [{"units": 20}, {"units": 3}]}}))
    assert len(panel.canvas.connections()) == 3 * 2  # only layer 2 -> output


def test_layer_settings_can_be_hidden(panel):
    show(panel, Experiment())
    combo = child(panel, QComboBox, "layer1_activation")
    band = child(panel, NodeBand, "layer1_nodes")
    height = band.height()
    panel.per_layer.setChecked(False)
    QApplication.processEvents()
    assert not combo.isVisibleTo(panel)
    assert band.height() > height
    assert child(panel, QPushButton, "add_layer").isVisibleTo(panel)


@pytest.mark.parametrize("name, raw", [
    ("default", {"train": {"epochs": 1}}),
    ("spiral", {"data": {"name": "spiral"}, "model": {"activation": "relu", "layers": [{"units": 8}] * 6}}),
    ("digits", DIGITS_CNN),
])
def test_screenshots_render(panel, snapshots, tmp_path, name, raw):
    show(panel, Experiment.from_dict(raw))
    if name == "default":
        panel.set_snapshot(snapshots[1])
    image = panel.grab().toImage()
    assert image.width() == 700 and image.height() == 380
    assert image.save(str(tmp_path / f"network_{name}.png"))
    if name == "spiral":
        assert panel.scroll.horizontalScrollBar().maximum() > 0  # many layers scroll sideways
