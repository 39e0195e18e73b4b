"""The network builder for a transfer run: the backbone's blocks between the input and the head,
each locked (frozen) or open, and the locks that choose what to fine-tune.

Edits go round the way the main window applies them (``panel_helpers.Window``).
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QPushButton, QToolButton, QWidget

from playground.core.presets import load_experiment
from playground.core.spec import Experiment
from playground.ui.network.columns import BackboneColumn, short_count
from tests.ui import panel_helpers
from tests.ui.network_helpers import PROJECTOR, Window, network_panel, show

GLYPH_BLOCKS = ["conv1", "pool1", "conv2", "pool2", "flatten1", "dense1"]
LOCKABLE = ["conv1", "conv2", "dense1"]




@pytest.fixture
def panel(qtbot):
    return network_panel(qtbot)


def preset(name: str, **transfer) -> Experiment:
    exp = load_experiment(name)
    return exp.with_changes({f"transfer.{k}": v for k, v in transfer.items()}) if transfer else exp


def blocks(panel) -> list[str]:
    return [c.block for c in panel.backbone_columns]


def states(panel) -> dict[str, str]:
    return {c.block: c.state for c in panel.backbone_columns if c.lock is not None}


def lock(panel, name: str) -> QToolButton:
    return panel_helpers.find(panel, f"backbone_{name}_lock", QToolButton)


def click_lock(qtbot, panel, name: str) -> None:
    qtbot.mouseClick(lock(panel, name), Qt.MouseButton.LeftButton)


# -- what is drawn -----------------------------------------------------------------------------------


def test_linear_probe_shows_the_frozen_backbone_then_the_head(panel):
    show(panel, preset("transfer_linear_probe"))
    assert blocks(panel) == GLYPH_BLOCKS
    assert [c.kind for c in panel.backbone_columns] == ["block", "thin", "block", "thin", "thin", "block"]
    assert states(panel) == dict.fromkeys(LOCKABLE, "frozen")
    assert len(panel.findChildren(QToolButton, options=Qt.FindChildOption.FindChildrenRecursively)) >= 3
    for name in LOCKABLE:
        assert lock(panel, name).isVisibleTo(panel) and lock(panel, name).text() == "frozen"
    for name in ("pool1", "pool2", "flatten1"):  # no parameters: thin, never locked
        column = panel_helpers.find(panel, f"backbone_{name}_column", BackboneColumn)
        assert column.lock is None and column.width() < panel.backbone_columns[0].width()
        assert panel.findChild(QToolButton, f"backbone_{name}_lock") is None
    assert panel.layer_columns == []  # a linear head: model.layers is []
    order = panel.canvas.columns
    assert order[0] is panel.input_column and order[1:7] == panel.backbone_columns
    assert order[-2:] == [panel.add_column, panel.output_column]
    output = panel_helpers.find(panel, "output_nodes")
    assert output.labels == [str(c) for c in range(30, 40)]  # the chosen classes, not the dataset's 40
    assert panel.input_column.image.shape == (1, 16, 16)


def test_each_block_shows_its_shape_size_and_state(panel):
    show(panel, preset("transfer_fine_tune_top"))
    conv1, conv2, dense1 = (panel_helpers.find(panel, f"backbone_{n}_column", BackboneColumn) for n in LOCKABLE)
    assert conv1.shape_view.caption() == "16 maps\n16×16"
    assert dense1.shape_view.caption() == "64\nvalues"
    assert conv2.params_label.text() == "4.6k params"
    assert "4,640 parameters" in conv2.params_label.toolTip()
    assert "16×16×16" in conv1.toolTip()
    assert (conv2.state, dense1.state) == ("frozen", "trains")
    assert dense1.note.text() == "×0.1 LR" and conv2.note.text() == ""
    assert panel.canvas.tints[dense1] != panel.canvas.tints[conv2]  # open and frozen look apart
    assert [short_count(n) for n in (160, 4640, 32832, 294096, 2_099_712)] == ["160", "4.6k", "33k", "294k", "2.1M"]


def test_labels_over_the_backbone_and_the_head(panel):
    show(panel, preset("transfer_linear_probe"))
    backbone = panel_helpers.find(panel, "backbone_label", QLabel)
    head = panel_helpers.find(panel, "head_label", QLabel)
    assert backbone.isVisibleTo(panel) and head.isVisibleTo(panel)
    assert backbone.text() == "backbone: glyphs_cnn (pretrained)"
    assert head.text() == "head"
    first, last = panel.backbone_columns[0], panel.backbone_columns[-1]
    assert backbone.geometry().left() >= first.geometry().left() - 2
    assert backbone.geometry().right() <= last.geometry().right() + 2
    assert backbone.geometry().bottom() < first.geometry().top()  # above the columns, not over them
    assert head.geometry().left() > last.geometry().right()
    show(panel, preset("transfer_scratch"))
    assert backbone.text() == "backbone: glyphs_cnn (fresh weights)"
    show(panel, preset("transfer_fine_tune_all"))
    assert "opens after epoch 20" in backbone.text() or "opens after epoch 20" in backbone.toolTip()


def test_fine_tune_top_and_all_open_the_top_blocks(panel):
    show(panel, preset("transfer_fine_tune_top"))
    assert states(panel) == {"conv1": "frozen", "conv2": "frozen", "dense1": "trains"}
    show(panel, preset("transfer_fine_tune_top", open_blocks=2))
    assert states(panel) == {"conv1": "frozen", "conv2": "trains", "dense1": "trains"}
    show(panel, preset("transfer_fine_tune_all", backbone_lr=0.5))
    assert states(panel) == dict.fromkeys(LOCKABLE, "trains")
    assert panel_helpers.find(panel, "backbone_conv1_column", BackboneColumn).note.text() == "×0.5 LR"


def test_a_cut_backbone_shows_the_blocks_kept(panel):
    show(panel, preset("transfer_linear_probe", cut="conv2"))
    assert blocks(panel) == ["conv1", "pool1", "conv2"]
    assert panel.output_column in panel.canvas.groups["head"].columns
    for name in ("add_conv", "add_pool", "add_flatten"):  # the head takes maps: conv layers fit on top
        assert panel_helpers.shown(panel, name)
    show(panel, preset("transfer_linear_probe"))
    assert not panel_helpers.shown(panel, "add_conv")  # on a vector of 64 features: dense layers only


def test_mobilenet_shows_thirteen_blocks_that_fit(panel):
    show(panel, preset("transfer_mobilenet_folder"))
    assert blocks(panel) == [f"features.{i}" for i in range(13)]
    assert states(panel) == dict.fromkeys(blocks(panel), "frozen")
    assert panel.input_column.image.shape == (3, 224, 224)
    assert panel_helpers.find(panel, "output_nodes").count == 3  # the sample folder's classes
    assert panel.scroll.verticalScrollBar().maximum() == 0
    assert panel.scroll.horizontalScrollBar().maximum() == 0  # at 1280x720 all thirteen fit
    last = panel.backbone_columns[-1]
    assert last.shape_view.caption() == "576 maps\n7×7"
    assert last.params_label.text() == "56k params"
    for column in panel.backbone_columns:  # the names are whole (wrapped after the dot, not cut)
        label = column.name_label
        longest = max(label.text().split("\u200b"), key=len)
        assert label.fontMetrics().horizontalAdvance(longest) <= label.width(), column.block


# -- moving the lock -------------------------------------------------------------------------------


def test_clicking_a_lock_opens_it_and_every_block_above(panel, qtbot):
    window = Window(panel, preset("transfer_linear_probe"))
    click_lock(qtbot, panel, "conv2")
    assert window.emitted == [{"transfer.strategy": "fine_tune_top", "transfer.open_blocks": 2}]
    assert states(panel) == {"conv1": "frozen", "conv2": "trains", "dense1": "trains"}
    click_lock(qtbot, panel, "conv1")
    assert window.emitted[-1] == {"transfer.strategy": "fine_tune_all"}
    assert window.exp.transfer.strategy == "fine_tune_all"
    assert states(panel) == dict.fromkeys(LOCKABLE, "trains")


def test_clicking_conv1_from_the_linear_probe_opens_everything(panel, qtbot):
    window = Window(panel, preset("transfer_linear_probe"))
    click_lock(qtbot, panel, "conv1")
    assert window.emitted == [{"transfer.strategy": "fine_tune_all"}]


def test_clicking_an_open_block_above_the_lowest_opens_down_to_it_only(panel, qtbot):
    """Everything open, dense1 clicked: it is not the lowest open block, so the top one stays open and
    the ones below close (the open set is always the top blocks)."""
    window = Window(panel, preset("transfer_fine_tune_all"))
    click_lock(qtbot, panel, "dense1")
    assert window.emitted == [{"transfer.strategy": "fine_tune_top", "transfer.open_blocks": 1}]
    assert states(panel) == {"conv1": "frozen", "conv2": "frozen", "dense1": "trains"}


@pytest.mark.parametrize("start, clicked, expected", [
    ({"strategy": "fine_tune_top", "open_blocks": 1}, "dense1", {"transfer.strategy": "linear_probe"}),
    ({"strategy": "fine_tune_top", "open_blocks": 2}, "conv2",
     {"transfer.strategy": "fine_tune_top", "transfer.open_blocks": 1}),
    ({"strategy": "fine_tune_all"}, "conv1", {"transfer.strategy": "fine_tune_top", "transfer.open_blocks": 2}),
])
def test_clicking_the_lowest_open_block_closes_it(panel, qtbot, start, clicked, expected):
    window = Window(panel, preset("transfer_linear_probe", **start))
    click_lock(qtbot, panel, clicked)
    assert window.emitted == [expected]
    assert states(panel)[clicked] == "frozen"


def test_a_lock_is_keyboard_accessible(panel, qtbot):
    window = Window(panel, preset("transfer_linear_probe"))
    button = lock(panel, "dense1")
    assert button.focusPolicy() & Qt.FocusPolicy.TabFocus
    button.setFocus()
    qtbot.keyClick(button, Qt.Key.Key_Space)
    assert window.emitted == [{"transfer.strategy": "fine_tune_top", "transfer.open_blocks": 1}]


def test_scratch_disables_the_locks(panel, qtbot):
    window = Window(panel, preset("transfer_scratch"))
    assert states(panel) == dict.fromkeys(LOCKABLE, "fresh")
    for name in LOCKABLE:
        button = lock(panel, name)
        assert not button.isEnabled()
        assert "fresh weights" in button.toolTip()
    assert panel_helpers.find(panel, "backbone_conv1_column", BackboneColumn).note.text() == "fresh weights"
    click_lock(qtbot, panel, "conv1")
    panel.toggle_block("conv1")  # even called directly: nothing to propose
    assert window.emitted == []


def test_locks_teach_when_to_fine_tune(panel):
    show(panel, preset("transfer_linear_probe"))
    tip = lock(panel, "conv2").toolTip()
    assert "Click to train this block and every block above it" in tip
    assert "blocks below stay frozen" in tip and "linear probe" in tip
    assert "conv2: Frozen" in tip
    show(panel, preset("transfer_fine_tune_top"))
    assert "backbone LR" in lock(panel, "dense1").toolTip()


def test_set_experiment_never_emits(panel, qtbot):
    with qtbot.assertNotEmitted(panel.edited):
        for name in ("transfer_linear_probe", "transfer_fine_tune_top", "transfer_scratch",
                     "transfer_mobilenet_folder", "transfer_folder", "default"):
            show(panel, load_experiment(name))


# -- the head keeps its controls -------------------------------------------------------------------


def test_the_heads_layers_keep_every_control(panel, qtbot):
    exp = preset("transfer_fine_tune_top").with_changes({"model.layers": [{"units": 5}]})
    window = Window(panel, exp)
    assert len(panel.layer_columns) == 1
    column = panel.layer_columns[0]
    assert column in panel.canvas.groups["head"].columns
    assert panel.canvas.columns.index(column) > panel.canvas.columns.index(panel.backbone_columns[-1])
    panel_helpers.find(panel, "layer1_units_plus", QAbstractButton).click()
    assert window.emitted[-1] == {"model.layers[0].units": 6}
    assert panel_helpers.find(panel, "layer1_units", QLineEdit).text() == "6"
    panel_helpers.find(panel, "add_layer", QPushButton).click()
    assert [layer.units for layer in window.exp.model.layers] == [6, 4]
    panel_helpers.find(panel, "remove_layer", QPushButton).click()
    panel_helpers.find(panel, "remove_layer", QPushButton).click()
    assert window.exp.model.layers == [] and panel.layer_columns == []
    assert states(panel) == {"conv1": "frozen", "conv2": "frozen", "dense1": "trains"}  # untouched


def test_head_layer_errors_mark_the_head_column(panel):
    show(panel, preset("transfer_fine_tune_top").with_changes({"model.layers": [{"units": 5}]}))
    panel.show_error("model.layers[0].units", "must be >= 1, got 0")
    assert [w.objectName() for w in panel.marks.marked()] == ["layer1_units"]


# -- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["transfer.open_blocks", "transfer.cut", "transfer.backbone"])
def test_a_transfer_error_marks_the_backbone(panel, path):
    show(panel, preset("transfer_fine_tune_top"))
    panel.show_error(path, "the backbone up to dense1 has 3 blocks that can train, asked for 4")
    assert [w.objectName() for w in panel.marks.marked()] == ["backbone_area"]
    area = panel_helpers.find(panel, "backbone_area")
    assert "backbone_area" in panel_helpers.marks(panel)
    assert "asked for 4" in panel.error_label.text() and panel.error_label.isVisibleTo(panel)
    span = panel.canvas.groups["backbone"].span()
    assert area.geometry().contains(span)  # the frame goes round the blocks
    panel.show_error(None)
    assert panel_helpers.marks(panel) == {}


def test_the_mark_lets_the_locks_be_clicked(panel, qtbot):
    window = Window(panel, preset("transfer_linear_probe"))
    panel.show_error("transfer.open_blocks", "asked for 4")
    click_lock(qtbot, panel, "dense1")
    assert window.emitted == [{"transfer.strategy": "fine_tune_top", "transfer.open_blocks": 1}]


# -- switching experiments ----------------------------------------------------------------------------


def test_back_to_an_ordinary_experiment_removes_the_backbone(panel):
    show(panel, preset("transfer_fine_tune_top"))
    show(panel, load_experiment("digits_cnn"))
    assert panel.backbone_columns == []
    assert panel.findChild(QWidget, "backbone_conv1_column") is None  # parked columns have no name
    assert not any(isinstance(c, BackboneColumn) for c in panel.canvas.columns)
    assert all(c.isHidden() for c in panel.findChildren(BackboneColumn))
    assert not panel_helpers.find(panel, "backbone_label").isVisibleTo(panel)
    assert not panel_helpers.find(panel, "head_label").isVisibleTo(panel)
    assert [c.kind for c in panel.layer_columns] == ["conv", "pool", "conv", "pool", "dense"]
    assert panel.canvas.tints == {}


@pytest.mark.parametrize("name", ["default", "digits_cnn", "spiral_deep_relu"])
def test_an_ordinary_experiment_looks_the_same_after_a_transfer_one(panel, name):
    exp = load_experiment(name)
    show(panel, exp)
    before = panel.grab().toImage()
    geometry = [(c.objectName(), c.geometry()) for c in panel.canvas.columns]
    show(panel, preset("transfer_mobilenet_folder"))
    show(panel, preset("transfer_fine_tune_top").with_changes({"model.layers": [{"units": 5}]}))
    show(panel, exp)
    assert [(c.objectName(), c.geometry()) for c in panel.canvas.columns] == geometry
    assert panel.grab().toImage() == before


def test_an_edit_storm_reuses_the_backbone_columns(panel):
    storm = [preset("transfer_linear_probe"), preset("transfer_fine_tune_top"), preset("transfer_scratch"),
             preset("transfer_linear_probe", cut="conv2"), preset("transfer_mobilenet_folder"),
             load_experiment("digits_cnn"), Experiment()]
    for exp in storm:
        show(panel, exp)
    built = set(panel.findChildren(BackboneColumn))
    assert sorted(c.kind for c in built).count("block") == 13  # the most shown at once: MobileNet's
    assert sorted(c.kind for c in built).count("thin") == 3  # glyphs_cnn's pools and flatten
    for _ in range(3):
        for exp in storm:
            show(panel, exp)
            assert set(panel.findChildren(BackboneColumn)) == built


def test_a_lock_change_keeps_the_columns(panel, qtbot):
    """Opening a block changes no column: only their states."""
    window = Window(panel, preset("transfer_linear_probe"))
    columns = list(panel.backbone_columns)
    click_lock(qtbot, panel, "conv2")
    assert window.exp.transfer.open_blocks == 2
    assert panel.backbone_columns == columns


@pytest.mark.parametrize("name", ["transfer_fine_tune_top", "transfer_mobilenet_folder", "transfer_folder"])
def test_screenshots_render(panel, tmp_path, name):
    show(panel, load_experiment(name))
    image = panel.grab().toImage()
    assert (image.width(), image.height()) == PROJECTOR
    assert image.save(str(tmp_path / f"network_{name}.png"))


def test_another_backbone_with_blocks_of_the_same_kinds_renames_the_columns(panel):
    """ResNet-18's five blocks and MobileNet's first five are arranged alike: the names still change."""
    show(panel, preset("transfer_mobilenet_folder", cut="features.4"))
    columns = list(panel.backbone_columns)
    assert blocks(panel) == [f"features.{i}" for i in range(5)]
    show(panel, load_experiment("transfer_mobilenet_folder").with_changes({"transfer.backbone": "resnet18",
                                                                           "train.batch_size": 8}))
    assert panel.backbone_columns == columns
    assert blocks(panel) == ["stem", "layer1", "layer2", "layer3", "layer4"]
    assert panel_helpers.find(panel, "backbone_layer4_column", BackboneColumn).params_label.text() == "8.4M params"
    assert panel.findChild(QWidget, "backbone_features.4_column") is None
