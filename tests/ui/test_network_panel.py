"""The network builder, driven through its own buttons, combos and typed fields.

Every emitted change is applied the way the main window does it: ``exp.with_changes``, then
``show_error(None)`` and ``set_experiment`` on success, or ``set_experiment(old)`` and
``show_error(path, problem)`` when the spec refuses it. So these tests check the round trip.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractButton, QApplication, QComboBox, QLineEdit, QPushButton, QStyle,
                               QStyleOptionComboBox, QWidget)

from playground.core.presets import load_experiment
from playground.core.snapshot import snapshot
from playground.core.spec import Experiment
from playground.core.trainer import Trainer
from playground.ui.network.columns import LayerChoice, LayerColumn, short_label
from playground.ui.network.drawing import NodeBand
from tests.ui.network_helpers import PROJECTOR, Window, network_panel, show

DIGITS_CNN = {"data": {"name": "digits", "preprocess": "standardize"},
              "model": {"activation": "relu", "init": "kaiming_normal",
                        "layers": [{"type": "conv", "channels": 16}, {"type": "pool"},
                                   {"type": "conv", "channels": 32}, {"type": "pool"}, {"units": 64}]}}




@pytest.fixture
def panel(qtbot):
    return network_panel(qtbot)


def child(panel: QWidget, name: str, cls=QWidget):
    widget = panel.findChild(cls, name)
    assert widget is not None, f"no {cls.__name__} named {name}"
    return widget


def select(combo: QComboBox, name) -> None:
    index = combo.findData(name)
    assert index >= 0, name
    combo.setCurrentIndex(index)


def type_into(qtbot, field: QLineEdit, text: str) -> None:
    """Typing as a user does: select all, delete, type, Return."""
    field.setFocus()
    field.selectAll()
    qtbot.keyClick(field, Qt.Key.Key_Backspace)
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def click(qtbot, panel, name: str) -> None:
    qtbot.mouseClick(child(panel, name, QAbstractButton), Qt.MouseButton.LeftButton)


def marked(panel) -> list[str]:
    return [w.objectName() for w in panel.marks.marked()]


def label_room(combo: QComboBox) -> int:
    """The width the closed combo has for its text."""
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    rect = combo.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                        QStyle.SubControl.SC_ComboBoxEditField, combo)
    return rect.width() - 5


# -- showing and editing ---------------------------------------------------------------------------


def test_default_experiment_shows_two_hidden_columns(panel, qtbot):
    with qtbot.assertNotEmitted(panel.edited):
        show(panel, Experiment())
    assert len(panel.layer_columns) == 2
    assert child(panel, "layer1_units", QLineEdit).text() == "4"
    assert child(panel, "layer2_units", QLineEdit).text() == "2"
    assert [child(panel, f"layer{n}_nodes", NodeBand).count for n in (1, 2)] == [4, 2]
    assert child(panel, "input_nodes", NodeBand).labels == ["X₁", "X₂"]
    assert child(panel, "output_nodes", NodeBand).count == 2
    assert panel.error_label.isHidden()


def test_add_layer_and_units_round_trip(panel, qtbot):
    window = Window(panel, Experiment())
    click(qtbot, panel, "add_layer")
    assert window.emitted[-1]["model.layers"][2] == {"type": "dense", "units": 4}
    assert [layer.units for layer in window.exp.model.layers] == [4, 2, 4]
    assert len(panel.layer_columns) == 3

    click(qtbot, panel, "layer1_units_plus")
    assert window.emitted[-1] == {"model.layers[0].units": 5}
    assert child(panel, "layer1_units", QLineEdit).text() == "5"
    assert child(panel, "layer1_nodes", NodeBand).count == 5

    click(qtbot, panel, "layer2_units_minus")
    assert window.exp.model.layers[1].units == 1
    assert not child(panel, "layer2_units_minus", QAbstractButton).isEnabled()  # 1 is the least

    type_into(qtbot, child(panel, "layer3_units", QLineEdit), "20")  # wider than pictured: a count box
    assert window.emitted[-1] == {"model.layers[2].units": 20}
    assert window.exp.model.layers[2].units == 20
    assert child(panel, "layer3_nodes", NodeBand).compact


def test_a_value_change_keeps_the_columns(panel, qtbot):
    """Same layer types: the controls are updated in place, so a field keeps its focus while stepping."""
    window = Window(panel, Experiment())
    column = panel.layer_columns[0]
    click(qtbot, panel, "layer1_units_plus")
    assert window.exp.model.layers[0].units == 5
    assert panel.layer_columns[0] is column


def test_a_structural_change_reuses_the_columns(panel, qtbot):
    """Adding or removing a layer builds no column that a layer of the same type can take over."""
    exp = Experiment.from_dict({"model": {"layers": [{"units": 3}, {"units": 5}, {"units": 7}]}})
    window = Window(panel, exp)
    first, second, third = panel.layer_columns
    click(qtbot, panel, "layer2_remove")
    assert [layer.units for layer in window.exp.model.layers] == [3, 7]
    assert panel.layer_columns == [first, second]
    assert child(panel, "layer2_units", QLineEdit).text() == "7"
    assert panel.findChild(QWidget, "layer3_column") is None  # the parked column has no name
    click(qtbot, panel, "add_layer")
    assert panel.layer_columns == [first, second, third]


def test_remove_layers(panel, qtbot):
    window = Window(panel, Experiment.from_dict({"model": {"layers": [{"units": 3}, {"units": 5}, {"units": 7}]}}))
    click(qtbot, panel, "layer2_remove")
    assert [layer.units for layer in window.exp.model.layers] == [3, 7]
    click(qtbot, panel, "remove_layer")
    assert [layer.units for layer in window.exp.model.layers] == [3]
    click(qtbot, panel, "remove_layer")
    assert window.exp.model.layers == [] and panel.layer_columns == []
    assert not child(panel, "remove_layer", QPushButton).isEnabled()


def test_layer_activation_override_and_back_to_default(panel):
    window = Window(panel, Experiment())
    combo = child(panel, "layer2_activation", QComboBox)
    assert combo.currentIndex() == 0 and combo.itemText(0) == "default (Tanh)"
    select(combo, "relu")
    assert window.emitted[-1] == {"model.layers[1].activation": "relu"}
    assert window.exp.model.layers[1].activation == "relu"
    assert child(panel, "layer2_activation", QComboBox).currentData() == "relu"
    child(panel, "layer2_activation", QComboBox).setCurrentIndex(0)
    assert window.emitted[-1] == {"model.layers[1].activation": None}
    assert window.exp.model.layers[1].activation is None


@pytest.mark.parametrize("field, name", [("init", "kaiming_uniform"), ("norm", "layernorm")])
def test_layer_init_and_norm_overrides(panel, field, name):
    window = Window(panel, Experiment())
    select(child(panel, f"layer1_{field}", QComboBox), name)
    assert window.emitted[-1] == {f"model.layers[0].{field}": name}
    assert getattr(window.exp.model.layers[0], field) == name
    assert getattr(window.exp.model.layers[1], field) is None


def test_default_row_edits_the_model_defaults(panel, qtbot):
    window = Window(panel, Experiment())
    select(child(panel, "default_activation", QComboBox), "relu")
    assert window.emitted[-1] == {"model.activation": "relu"}
    assert child(panel, "layer1_activation", QComboBox).itemText(0) == "default (ReLU)"
    select(child(panel, "default_norm", QComboBox), "batchnorm")
    assert window.exp.model.norm == "batchnorm"
    type_into(qtbot, child(panel, "default_dropout", QLineEdit), "0.2")
    assert window.emitted[-1] == {"model.dropout": 0.2}
    assert window.exp.model.dropout == 0.2
    assert child(panel, "layer1_dropout", QLineEdit).placeholderText() == "0.2"  # inherited, in grey


def test_layer_dropout_empty_inherits(panel, qtbot):
    window = Window(panel, Experiment.from_dict({"model": {"dropout": 0.1}}))
    field = child(panel, "layer2_dropout", QLineEdit)
    assert field.text() == "" and field.placeholderText() == "0.1"
    type_into(qtbot, field, "0.3")
    assert window.emitted[-1] == {"model.layers[1].dropout": 0.3}
    assert window.exp.model.layers[1].dropout == 0.3
    assert field.text() == "0.3"
    type_into(qtbot, field, "")
    assert window.emitted[-1] == {"model.layers[1].dropout": None}
    assert window.exp.model.layers[1].dropout is None and field.text() == ""


def test_normal_init_shows_its_std(panel, qtbot):
    window = Window(panel, Experiment())
    std = child(panel, "default_init_std", QLineEdit)
    assert not std.isVisibleTo(panel)
    select(child(panel, "default_init", QComboBox), "normal")
    assert std.isVisibleTo(panel)
    type_into(qtbot, std, "1")
    assert window.emitted[-1] == {"model.init_std": 1.0}
    assert window.exp.model.init_std == 1.0
    select(child(panel, "default_init", QComboBox), "xavier_uniform")
    assert not std.isVisibleTo(panel)
    select(child(panel, "layer1_init", QComboBox), "normal")  # a layer's own 'normal' needs it too
    assert std.isVisibleTo(panel)


def test_image_layer_buttons_only_for_image_data(panel, qtbot):
    show(panel, Experiment())
    for name in ("add_conv", "add_pool", "add_flatten"):
        assert child(panel, name, QPushButton).isHidden()
    window = Window(panel, Experiment.from_dict({"data": {"name": "digits"}, "model": {"layers": [{"units": 32}]}}))
    for name in ("add_conv", "add_pool", "add_flatten"):
        assert child(panel, name, QPushButton).isVisibleTo(panel)
    click(qtbot, panel, "add_conv")
    assert window.emitted[-1]["model.layers"][0] == {"type": "conv", "channels": 8}  # before the dense layer
    click(qtbot, panel, "add_pool")
    click(qtbot, panel, "add_flatten")
    assert [layer.type for layer in window.exp.model.layers] == ["conv", "pool", "flatten", "dense"]
    type_into(qtbot, child(panel, "layer1_channels", QLineEdit), "16")
    assert window.emitted[-1] == {"model.layers[0].channels": 16}
    type_into(qtbot, child(panel, "layer2_kernel", QLineEdit), "4")
    assert window.emitted[-1] == {"model.layers[1].kernel": 4}
    assert (window.exp.model.layers[0].channels, window.exp.model.layers[1].kernel) == (16, 4)
    assert panel.layer_columns[1].shape_view.shape == (16, 2, 2)
    show(panel, Experiment())
    assert child(panel, "add_conv", QPushButton).isHidden()


def test_digits_cnn_layout(panel):
    show(panel, Experiment.from_dict(DIGITS_CNN))
    assert [c.kind for c in panel.layer_columns] == ["conv", "pool", "conv", "pool", "dense"]
    assert child(panel, "input_image").isVisibleTo(panel)
    assert not child(panel, "input_nodes").isVisibleTo(panel)
    assert child(panel, "layer5_nodes", NodeBand).compact  # 64 units: a count, not 64 squares
    assert child(panel, "output_nodes", NodeBand).labels == [str(i) for i in range(10)]
    assert panel.canvas.connections() == []  # nothing narrow enough to draw
    assert child(panel, "layer1_activation", QComboBox).isVisibleTo(panel)  # conv layers take overrides
    assert panel.findChild(QComboBox, "layer2_activation") is None  # pooling has none


def test_automatic_flatten_is_drawn_as_a_column(panel):
    """Defect 19: the flatten plan_blocks adds between the pool and the dense layer is shown, not edited."""
    show(panel, Experiment.from_dict(DIGITS_CNN))
    auto = child(panel, "auto_flatten_column")
    assert auto.isVisibleTo(panel)
    order = [c.objectName() for c in panel.canvas.columns]
    assert order.index("layer4_column") < order.index("auto_flatten_column") < order.index("layer5_column")
    assert auto.shape_view.caption() == "(auto)\n128\nvalues"  # 32 maps of 2x2
    assert "automatically" in auto.toolTip()
    assert not auto.findChildren(QLineEdit) and not auto.findChildren(QAbstractButton)
    assert auto.width() < panel.layer_columns[0].width()  # thin
    show(panel, Experiment.from_dict({**DIGITS_CNN, "model": {"layers": [{"type": "conv"}, {"type": "flatten"},
                                                                         {"units": 8}]}}))
    assert panel.findChild(QWidget, "auto_flatten_column").isHidden()  # the user's own flatten: none added
    show(panel, Experiment())
    assert panel.findChild(QWidget, "auto_flatten_column").isHidden()


# -- typed numbers are never changed silently (defect 9) --------------------------------------------


@pytest.mark.parametrize("typed", ["20", "9"])
def test_a_kernel_beyond_the_limit_is_proposed_and_refused(panel, qtbot, typed):
    window = Window(panel, Experiment.from_dict(DIGITS_CNN))
    kernel = child(panel, "layer1_kernel", QLineEdit)
    type_into(qtbot, kernel, typed)
    assert window.emitted[-1] == {"model.layers[0].kernel": int(typed)}  # not 2, not ignored
    assert window.exp.model.layers[0].kernel is None
    assert kernel.text() == "kernel 3"  # the value in force, shown again
    assert marked(panel) == ["layer1_kernel"]
    assert panel.error_label.text() == f"model.layers[0].kernel: at most 7, got {typed}"
    assert panel.error_label.isVisibleTo(panel)


def test_units_beyond_the_limit_are_refused_and_marked(panel, qtbot):
    window = Window(panel, Experiment())
    units = child(panel, "layer1_units", QLineEdit)
    type_into(qtbot, units, "5000")
    assert window.emitted[-1] == {"model.layers[0].units": 5000}
    assert units.text() == "4" and marked(panel) == ["layer1_units"]
    assert "at most 4096, got 5000" in panel.error_label.text()
    assert "at most 4096" in units.toolTip()


@pytest.mark.parametrize("name", ["layer1_units", "layer1_dropout", "default_dropout"])
def test_text_that_is_not_a_number_is_refused_by_the_field(panel, qtbot, name):
    window = Window(panel, Experiment())
    field = child(panel, name, QLineEdit)
    before = field.text()
    type_into(qtbot, field, "abc")
    assert window.emitted == []
    assert field.text() == before
    assert marked(panel) == [name]
    assert "'abc' is not a number" in panel.error_label.text()


# -- error marks -------------------------------------------------------------------------------------


def test_show_error_marks_the_control_of_the_path(panel):
    show(panel, Experiment())
    panel.show_error("model.layers[1].units", "must be >= 1, got 0")
    units = child(panel, "layer2_units")
    assert units.property("error") is True
    assert "must be &gt;= 1" in units.toolTip()
    assert "must be >= 1, got 0" in panel.error_label.text()
    panel.show_error("model.layers[0].type", "kernel 3 is larger than the 2x2 image")
    assert marked(panel) == ["layer1_column"]  # the old mark is gone
    panel.show_error(None)
    assert marked(panel) == [] and panel.error_label.isHidden()
    assert "must be" not in units.toolTip() and not units.property("error")


def test_show_error_for_the_default_row_and_other_paths(panel):
    show(panel, Experiment())
    panel.show_error("model.init_std", "must be > 0.0, got 0.0")
    assert marked(panel) == ["default_init_std"]
    assert "must be > 0.0" in panel.error_label.text()
    panel.show_error("train.batch_size", "batch norm needs at least 2 examples per batch")
    assert marked(panel) == []
    assert "train.batch_size" in panel.error_label.text()
    panel.show_error(None)
    assert panel.error_label.isHidden()


def test_error_after_a_structural_edit_names_the_layer(panel, qtbot):
    """The indices in a refused list of layers count the proposed layers, not the columns shown."""
    pools = Experiment.from_dict({"data": {"name": "digits"}, "model": {"layers": [{"type": "pool"}] * 3}})
    window = Window(panel, pools)
    click(qtbot, panel, "add_pool")
    assert len(window.exp.model.layers) == 3  # refused: a fourth pool has no 1x1 map to halve
    assert panel.error_label.text().startswith("Layer 4: ")
    assert marked(panel) == ["add_column"]


def test_marks_never_survive_a_new_experiment(panel, qtbot):
    """Defect 10: a refused value, then a preset (or any experiment shown): no stale mark or message."""
    window = Window(panel, Experiment())
    type_into(qtbot, child(panel, "layer1_units", QLineEdit), "0")
    assert window.emitted == [{"model.layers[0].units": 0}]
    assert marked(panel) == ["layer1_units"] and "must be >= 1" in panel.error_label.text()
    show(panel, load_experiment("spiral_deep_relu"))
    assert marked(panel) == [] and panel.error_label.isHidden()
    assert not child(panel, "layer1_units").property("error")
    assert "must be" not in child(panel, "layer1_units").toolTip()
    panel.show_error("model.layers[5].units", "must be >= 1, got 0")
    panel.show_error(None)
    assert marked(panel) == [] and panel.error_label.isHidden()


def test_set_experiment_never_emits(panel, qtbot):
    with qtbot.assertNotEmitted(panel.edited):
        panel.set_experiment(Experiment())
        panel.set_experiment(Experiment.from_dict({"model": {"activation": "relu", "dropout": 0.1,
                                                             "layers": [{"units": 3, "init": "normal"}]}}))
        panel.set_experiment(Experiment.from_dict(DIGITS_CNN))


def test_every_control_has_a_teaching_tooltip(panel):
    show(panel, Experiment.from_dict(DIGITS_CNN))
    kinds = (QComboBox, QLineEdit, QAbstractButton)
    controls = [w for w in panel.findChildren(QWidget) if isinstance(w, kinds) and w.objectName()
                and "qt_" not in w.objectName()]
    assert len(controls) > 20
    for widget in controls:
        assert len(widget.toolTip()) > 20, widget.objectName()
    assert "ReLU is the default choice" in child(panel, "default_activation").toolTip()
    assert "Xavier or MSRA" in child(panel, "layer1_init").toolTip()
    assert "mostly in fully connected layers" in child(panel, "layer1_dropout").toolTip()
    assert "automatically" in child(panel, "auto_flatten_column").toolTip()


# -- layout at 1280x720 (defects 11 and 4) -----------------------------------------------------------


def test_layer_choices_show_short_labels_that_fit(panel):
    """Defect 11: no 'Xavier (u…' or 'Batch n…' in a narrow column; the popup keeps the whole label."""
    assert short_label("Kaiming / MSRA (normal)") == "MSRA N"
    assert short_label("Xavier (uniform)") == "Xavier U"
    assert short_label("Batch norm") == "Batch"
    assert short_label("Normal (std)") == "Normal"
    show(panel, load_experiment("spiral_deep_relu"))
    combo = child(panel, "layer1_init", LayerChoice)
    for name in ("xavier_uniform", "kaiming_normal", "normal", "zeros"):
        select(combo, name)
        assert combo.fontMetrics().horizontalAdvance(short_label(combo.currentText())) <= label_room(combo), name
    assert combo.findText("Kaiming / MSRA (normal)") >= 0  # the popup's entries are whole
    norm = child(panel, "layer1_norm", LayerChoice)
    select(norm, "batchnorm")
    assert norm.fontMetrics().horizontalAdvance("Batch") <= label_room(norm)


def test_a_wide_layer_does_not_shrink_the_others(panel):
    """Defect 11: each column sizes its own nodes."""
    show(panel, Experiment.from_dict({"model": {"layers": [{"units": 12}, {"units": 2}]}}))
    wide, narrow = child(panel, "layer1_nodes", NodeBand), child(panel, "layer2_nodes", NodeBand)
    assert narrow.node_size() > 2 * wide.node_size()
    rects = wide.node_rects()
    assert len(rects) == 12 and rects[-1].bottom() <= wide.height()  # all twelve fit


@pytest.mark.parametrize("name", ["default", "spiral_deep_relu", "digits_cnn", "xor_features", "init_kaiming"])
def test_presets_fit_the_projector(panel, name):
    """Defects 11 and 4: at 960 x 300 nothing needs a vertical scroll and everything is reachable;
    the usual networks need no horizontal scroll either."""
    show(panel, load_experiment(name))
    if name != "init_kaiming":  # ten 500-unit layers: the one preset that scrolls sideways
        assert panel.scroll.horizontalScrollBar().maximum() == 0
    assert panel.scroll.verticalScrollBar().maximum() == 0
    viewport = panel.scroll.viewport()
    controls = [w for w in panel.canvas.findChildren(QWidget) if w.objectName() and w.isVisibleTo(panel)
                and isinstance(w, (QLineEdit, QComboBox, QAbstractButton))]
    for widget in controls:
        top_left = widget.mapTo(panel.canvas, widget.rect().topLeft())
        assert 0 <= top_left.y() and top_left.y() + widget.height() <= viewport.height(), widget.objectName()
        assert widget.width() >= 14 and widget.height() >= 20, widget.objectName()
    for combo in panel.defaults.values():  # the 'All layers' row fits whole
        if combo.isVisibleTo(panel):
            assert combo.width() >= combo.sizeHint().width(), combo.objectName()
    for column in panel.layer_columns:
        if column.kind == "dense":
            field = column.fields["units"]
            assert field.fontMetrics().horizontalAdvance(field.text()) < field.width() - 6


def test_default_network_pictures_are_large_on_the_projector(panel):
    show(panel, Experiment())
    assert min(band.node_size() for band in panel.canvas.bands() if band.count) >= 20


def test_layer_settings_can_be_hidden(panel):
    show(panel, load_experiment("spiral_deep_relu"))
    combo = child(panel, "layer1_activation", QComboBox)
    band = child(panel, "layer1_nodes", NodeBand)
    size = band.node_size()
    panel.per_layer.setChecked(False)
    QApplication.processEvents()
    assert not combo.isVisibleTo(panel)
    assert band.node_size() > size
    assert child(panel, "add_layer", QPushButton).isVisibleTo(panel)
    assert child(panel, "remove_layer", QPushButton).isVisibleTo(panel)


# -- the edit storm while training ----------------------------------------------------------------


def test_an_edit_storm_reuses_the_columns_it_has(panel):
    """Every edit during training shows a new experiment: the columns of layer types seen before are
    reused, never built again, which keeps an edit cheap (``playground bench --window`` times it)."""
    base = Experiment()
    storm = [base, base.with_changes({"model.layers[0].units": 5}),
             base.with_changes({"model.layers": [{"units": 4}, {"units": 2}, {"units": 3}]}),
             base.with_changes({"data.name": "spiral"}), load_experiment("digits_cnn"),
             load_experiment("spiral_deep_relu"), base.with_changes({"model.activation": "relu"})]
    for exp in storm:  # every column type built once
        show(panel, exp)
    columns = set(panel.findChildren(LayerColumn))
    for _ in range(5):
        for exp in storm:
            panel.set_experiment(exp)
            QApplication.processEvents()
            assert set(panel.findChildren(LayerColumn)) == columns


# -- a view of training --------------------------------------------------------------------------------


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
    band = child(panel, "layer1_nodes", NodeBand)
    assert band.image(0) is None
    panel.add([{"type": "epoch", "run": 1}, before])
    first = [_pixels(band.image(i)) for i in range(4)]
    assert all(band.image(i) is not None and not band.image(i).isNull() for i in range(4))
    panel.add([after])
    assert [_pixels(band.image(i)) for i in range(4)] != first
    assert child(panel, "output_nodes", NodeBand).image(1) is not None
    QApplication.processEvents()
    centre = band.mapTo(panel, band.node_rects()[0].center().toPoint())
    assert panel.grab().toImage().pixelColor(centre).name() != "#ffffff"  # the picture is on screen
    panel.clear()  # a new run
    assert band.image(0) is None and child(panel, "input_nodes", NodeBand).image(0) is not None


def test_snapshot_sets_connection_pens(panel, snapshots):
    _, snap = snapshots
    show(panel, Experiment())
    assert len(panel.canvas.connections()) == 2 * 4 + 4 * 2 + 2 * 2
    panel.add([snap])
    lines = panel.canvas.connections()
    assert len(lines) == 2 * 4 + 4 * 2 + 2 * 2
    # connections() lists each pair's lines target by target, source by source: W[j][i]
    weights = np.concatenate([np.asarray(w).ravel() for w in snap["weights"]])
    widths = np.array([pen.widthF() for _, pen in lines])
    order = np.argsort(np.abs(weights))
    assert np.all(np.diff(widths[order]) >= -1e-9)  # wider with |w|
    assert widths.max() > widths.min()
    for w, (_, pen) in zip(weights, lines):
        color = pen.color()
        assert (color.blue() > color.red()) == (w > 0)  # blue positive, orange negative
    for line, _ in lines:
        assert line.x2() > line.x1()  # left to right
    panel.clear()
    assert {pen.color().name() for _, pen in panel.canvas.connections()} == {"#c4c8ce"}


def test_stale_snapshot_is_ignored(panel, qtbot, snapshots):
    """A snapshot of the previous network arriving after an edit must not break anything."""
    _, snap = snapshots
    window = Window(panel, Experiment())
    click(qtbot, panel, "layer1_units_plus")
    assert window.exp.model.layers[0].units == 5
    panel.add([snap])  # layer 1 has 5 units now, the snapshot 4
    assert child(panel, "layer1_nodes", NodeBand).image(0) is None
    assert child(panel, "layer2_nodes", NodeBand).image(0) is not None
    assert len(panel.canvas.connections()) == 2 * 5 + 5 * 2 + 2 * 2
    panel.add([{"type": "snapshot", "run": 1, "kind": "image"}])  # nothing to draw for images


def test_wide_layers_skip_their_lines(panel):
    show(panel, Experiment.from_dict({"model": {"layers": [{"units": 20}, {"units": 3}]}}))
    assert len(panel.canvas.connections()) == 3 * 2  # only layer 2 -> output


@pytest.mark.parametrize("name", ["default", "spiral_deep_relu", "digits_cnn", "init_kaiming"])
def test_screenshots_render(panel, snapshots, tmp_path, name):
    show(panel, load_experiment(name))
    if name == "default":
        panel.add([snapshots[1]])
    image = panel.grab().toImage()
    assert (image.width(), image.height()) == PROJECTOR
    assert image.save(str(tmp_path / f"network_{name}.png"))
