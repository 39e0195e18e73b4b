"""The transfer panel, driven through its widgets as a user would: what it shows for each backbone and
strategy, what it proposes, the round trip the window does, the rules a backbone choice brings along
(backbone_changes), and the two comparison buttons."""

from __future__ import annotations

import subprocess
import sys

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QComboBox, QFileDialog, QLabel, QPushButton, QRadioButton, QSpinBox

from playground.core.backbones import BACKBONES, STRATEGIES
from playground.core.download import hub_checkpoints_dir
from playground.core.paths import resources_dir
from playground.core.presets import load_experiment
from playground.core.spec import Experiment
from playground.ui.controls import NumberField
from playground.ui.transfer_panel import GLYPH_PAIR, NONE_LABEL, LECTURE_RULE, TransferPanel, backbone_changes
from tests.ui.panel_helpers import Window, clipped, find, in_dock, marks, shown, type_into, shown_panel

GLYPHS_CHECKPOINT = "{resources}/backbones/glyphs_cnn.safetensors"  # a playground run's checkpoint


@pytest.fixture
def panel(qtbot):
    return shown_panel(qtbot, TransferPanel)


@pytest.fixture
def fine_tune_top():
    return load_experiment("transfer_fine_tune_top")


def pick(panel, name: str, data) -> None:
    combo = find(panel, name, QComboBox)
    index = combo.findData(data)
    assert index >= 0, (name, data)
    combo.setCurrentIndex(index)


def click(qtbot, panel, name: str) -> None:
    widget = find(panel, name)
    # a radio button takes clicks on its circle and text only, left of the middle of a wide row
    pos = QPoint(8, widget.height() // 2) if isinstance(widget, QRadioButton) else widget.rect().center()
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=pos)


def text(panel, name: str) -> str:
    return find(panel, name, QLabel).text()


# -- what it shows -------------------------------------------------------------------------------------


def test_without_a_backbone_it_explains_transfer_learning_and_disables_the_rest(panel):
    combo = find(panel, "backbone", QComboBox)
    assert combo.currentData() == "none" and combo.itemText(0) == NONE_LABEL
    assert [combo.itemData(i) for i in range(combo.count())] == ["none", *BACKBONES.names()]
    hint = text(panel, "backbone_hint")
    assert "Transfer learning starts from a network already trained" in hint and "Transfer preset" in hint
    assert not shown(panel, "training_box") and not shown(panel, "cut") and not shown(panel, "checkpoint_button")
    assert not find(panel, "compare_button").isEnabled() and not find(panel, "sweep_button").isEnabled()
    assert marks(panel) == {}


def test_a_preset_is_shown_in_every_control(panel, fine_tune_top):
    panel.set_experiment(fine_tune_top)
    assert find(panel, "backbone", QComboBox).currentData() == "glyphs_cnn"
    cut = find(panel, "cut", QComboBox)
    assert [cut.itemData(i) for i in range(cut.count())] == ["conv1", "pool1", "conv2", "pool2", "flatten1", "dense1"]
    assert cut.currentData() == "dense1" and cut.currentText() == "dense1 (64)"  # the default: the last block
    assert find(panel, "strategy_fine_tune_top", QRadioButton).isChecked()
    spin = find(panel, "open_blocks", QSpinBox)
    assert (spin.value(), spin.maximum(), spin.text()) == (1, 3, "top 1 of 3")
    assert find(panel, "backbone_lr_value", NumberField).text() == "0.1"
    assert text(panel, "backbone_lr_hint") == "= 0.001 for the backbone, 0.01 for the head"
    assert find(panel, "head_epochs", NumberField).text() == "off"
    assert "Here: conv1, conv2 frozen; dense1 and the head train." in text(panel, "strategy_hint")
    assert text(panel, "lecture_hint") == LECTURE_RULE
    assert "glyph classes 0-29" in text(panel, "backbone_hint") and "1×16×16" in text(panel, "backbone_hint")
    assert find(panel, "compare_button").isEnabled() and find(panel, "sweep_button").isEnabled()
    assert not shown(panel, "checkpoint_button")


def test_set_experiment_emits_nothing(panel, qtbot):
    exps = [load_experiment(name) for name in ("transfer_fine_tune_top", "transfer_linear_probe", "transfer_folder",
                                               "transfer_mobilenet_folder", "transfer_scratch", "default")]
    exps.append(exps[0].with_changes({"transfer.backbone": "checkpoint", "transfer.path": GLYPHS_CHECKPOINT}))
    with qtbot.assertNotEmitted(panel.edited):
        for exp in exps:
            panel.set_experiment(exp)


def test_every_control_teaches_with_a_tooltip(panel, fine_tune_top):
    panel.set_experiment(fine_tune_top)
    for name in ["backbone", "cut", "open_blocks", "backbone_lr", "head_epochs", "compare_button", "sweep_button",
                 *(f"strategy_{n}" for n in STRATEGIES.names())]:
        assert len(find(panel, name).toolTip()) > 40, name
    combo = find(panel, "backbone", QComboBox)
    for entry in BACKBONES:
        assert entry.tip[:30] in combo.itemData(combo.findData(entry.name), Qt.ItemDataRole.ToolTipRole)


# -- what it proposes ----------------------------------------------------------------------------------


def test_the_strategy_hint_and_rows_follow_the_strategy(panel, qtbot, fine_tune_top):
    window = Window(panel, fine_tune_top)
    click(qtbot, panel, "strategy_fine_tune_all")
    assert window.emitted == [{"transfer.strategy": "fine_tune_all"}]
    assert window.exp.transfer.strategy == "fine_tune_all"
    hint = text(panel, "strategy_hint")
    assert "Every block trains, the backbone at a smaller LR (Backbone LR)" in hint
    assert "Here: conv1, conv2, dense1 and the head train." in hint
    assert not shown(panel, "open_blocks") and shown(panel, "backbone_lr") and shown(panel, "head_epochs")

    click(qtbot, panel, "strategy_linear_probe")
    hint = text(panel, "strategy_hint")
    assert "Only the head trains" in hint and "Here: conv1, conv2, dense1 frozen; only the head trains." in hint
    assert not shown(panel, "open_blocks") and not shown(panel, "backbone_lr") and not shown(panel, "head_epochs")

    click(qtbot, panel, "strategy_scratch")
    assert "freshly initialised weights" in text(panel, "strategy_hint")
    assert "fresh random weights" in text(panel, "strategy_hint")

    click(qtbot, panel, "strategy_fine_tune_top")
    assert "The top blocks (Open) train too" in text(panel, "strategy_hint")
    assert shown(panel, "open_blocks")
    assert window.emitted[1:] == [{"transfer.strategy": s} for s in ("linear_probe", "scratch", "fine_tune_top")]
    assert marks(panel) == {}


def test_open_blocks_counts_up_to_the_blocks_before_the_cut(panel, qtbot, fine_tune_top):
    window = Window(panel, fine_tune_top)
    spin = find(panel, "open_blocks", QSpinBox)
    type_into(qtbot, spin.lineEdit(), "2")
    assert window.emitted == [{"transfer.open_blocks": 2}] and window.exp.transfer.open_blocks == 2
    assert spin.text() == "top 2 of 3"
    assert "Here: conv1 frozen; conv2, dense1 and the head train." in text(panel, "strategy_hint")
    type_into(qtbot, spin.lineEdit(), "7")  # more than there are: the spin box does not take it
    assert window.exp.transfer.open_blocks <= 3 and spin.maximum() == 3

    pick(panel, "cut", "pool1")  # one block with weights left: open_blocks follows
    assert window.emitted[-1] == {"transfer.cut": "pool1", "transfer.open_blocks": 1}
    assert window.exp.transfer.cut == "pool1" and window.exp.transfer.open_blocks == 1
    assert spin.maximum() == 1 and spin.text() == "top 1 of 1"
    pick(panel, "cut", "dense1")  # the end again: left out of the file
    assert window.emitted[-1] == {"transfer.cut": None} and window.exp.transfer.cut is None
    assert spin.maximum() == 3


def test_backbone_lr_and_head_epochs_are_proposed(panel, qtbot, fine_tune_top):
    window = Window(panel, fine_tune_top)
    type_into(qtbot, find(panel, "backbone_lr_value", NumberField), "0.02")
    assert window.emitted == [{"transfer.backbone_lr": 0.02}] and window.exp.transfer.backbone_lr == 0.02
    assert text(panel, "backbone_lr_hint") == "= 0.0002 for the backbone, 0.01 for the head"
    type_into(qtbot, find(panel, "head_epochs", NumberField), "10")
    assert window.emitted[-1] == {"transfer.head_epochs": 10} and window.exp.transfer.head_epochs == 10
    assert find(panel, "head_epochs").text() == "10 epochs"
    type_into(qtbot, find(panel, "backbone_lr_value", NumberField), "2")  # the spec's limit: at most 1
    assert window.exp.transfer.backbone_lr == 0.02
    assert marks(panel)["backbone_lr"] == "at most 1.0, got 2.0"
    type_into(qtbot, find(panel, "head_epochs", NumberField), "ten")  # not a number: refused here
    assert window.emitted[-1] == {"transfer.backbone_lr": 2.0}
    assert marks(panel) == {"head_epochs": "'ten' is not a number"}


def test_choosing_none_proposes_only_the_backbone(panel, fine_tune_top):
    window = Window(panel, fine_tune_top)
    pick(panel, "backbone", "none")
    assert window.emitted == [{"transfer.backbone": "none"}]
    assert not window.exp.transfer.enabled and window.exp.data.classes == list(range(30, 40))
    assert not shown(panel, "training_box") and not find(panel, "compare_button").isEnabled()


def test_choosing_a_backbone_gives_a_valid_experiment(panel):
    window = Window(panel, Experiment())
    pick(panel, "backbone", "glyphs_cnn")
    assert window.emitted == [{"transfer.backbone": "glyphs_cnn", "transfer.cut": None, **GLYPH_PAIR,
                               "model.layers": []}]  # an ordinary run's first backbone: a linear head
    exp = window.exp
    assert exp.transfer.backbone == "glyphs_cnn" and exp.data.name == "glyphs"
    assert (exp.data.classes, exp.data.per_class) == (list(range(30, 40)), 5)
    assert shown(panel, "training_box") and find(panel, "compare_button").isEnabled()

    pick(panel, "backbone", "mobilenet_v3_small")
    assert window.exp.transfer.backbone == "mobilenet_v3_small"  # accepted, not refused
    assert (window.exp.data.name, window.exp.data.path, window.exp.data.preprocess) == (
        "folder", "{resources}/sample_folder", "imagenet")
    assert window.exp.data.classes is None and marks(panel) == {}
    cut = find(panel, "cut", QComboBox)
    assert cut.count() == 13 and cut.currentData() == "features.12"


def test_checkpoint_asks_for_a_file_first(panel, qtbot, monkeypatch):
    window = Window(panel, Experiment().with_changes({"data.name": "digits"}))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: ("", ""))
    pick(panel, "backbone", "checkpoint")  # cancelled: nothing proposed, the combo shows none again
    assert window.emitted == [] and find(panel, "backbone", QComboBox).currentData() == "none"

    chosen = str(resources_dir() / "backbones" / "glyphs_cnn.safetensors")
    asked = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: asked.append(a) or (chosen, ""))
    expected = backbone_changes(window.exp, "checkpoint", GLYPHS_CHECKPOINT)
    pick(panel, "backbone", "checkpoint")
    assert "*.safetensors" in asked[0][3]
    assert window.emitted == [expected]
    exp = window.exp
    assert (exp.transfer.backbone, exp.transfer.path) == ("checkpoint", GLYPHS_CHECKPOINT)
    assert exp.data.name == "glyphs"  # digits are 8x8: the checkpoint's own data instead
    assert shown(panel, "checkpoint_button")
    assert find(panel, "checkpoint_path").full_text() == "backbones/glyphs_cnn.safetensors"
    assert find(panel, "checkpoint_path").toolTip() == chosen

    click(qtbot, panel, "checkpoint_button")  # the button asks again and proposes the file
    assert len(asked) == 2 and window.emitted[-1]["transfer.path"] == GLYPHS_CHECKPOINT


def test_choose_checkpoint_bypasses_the_dialog(panel, tmp_path):
    window = Window(panel, load_experiment("transfer_fine_tune_top"))
    panel.choose_checkpoint(str(resources_dir() / "backbones" / "glyphs_cnn.safetensors"))
    assert window.emitted[0]["transfer.backbone"] == "checkpoint"
    assert window.exp.transfer.path == GLYPHS_CHECKPOINT and marks(panel) == {}
    missing = str(tmp_path / "gone.safetensors")
    panel.choose_checkpoint(missing)  # refused by the spec: marked at the file row
    assert window.emitted[-1]["transfer.path"] == missing
    assert window.exp.transfer.path == GLYPHS_CHECKPOINT
    shown_marks = marks(panel)
    assert list(shown_marks) == ["checkpoint"] and "gone.safetensors" in shown_marks["checkpoint"]


def test_the_imagenet_weights_line_says_where_the_file_is(panel, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    exp = load_experiment("transfer_mobilenet_folder")
    panel.set_experiment(exp)
    line = text(panel, "backbone_hint").replace("\u200b", "")
    folder = str(hub_checkpoints_dir())
    assert f"Weights: mobilenet_v3_small-047dcff4.pth (9.8 MB), downloaded on first use into {folder}" in line
    hub = tmp_path / "torch" / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    (hub / "mobilenet_v3_small-047dcff4.pth").write_bytes(b"x")
    panel.set_experiment(exp.with_changes({"transfer.strategy": "fine_tune_all"}))
    assert f"mobilenet_v3_small-047dcff4.pth (9.8 MB), cached in {folder}" in text(
        panel, "backbone_hint").replace("\u200b", "")
    assert "download.pytorch.org" in find(panel, "backbone_hint").toolTip()


# -- the rules a backbone brings along ---------------------------------------------------------------


def _valid(exp: Experiment, changes: dict) -> Experiment:
    return exp.with_changes(changes)  # raises SpecError when the rules were not enough


def test_backbone_changes_none_is_only_the_choice(fine_tune_top):
    assert backbone_changes(fine_tune_top, "none") == {"transfer.backbone": "none"}


def test_backbone_changes_glyphs_cnn_brings_the_designed_pair():
    for start in (Experiment(), Experiment().with_changes({"data.name": "digits"})):
        changes = backbone_changes(start, "glyphs_cnn")
        assert {k: changes[k] for k in GLYPH_PAIR} == GLYPH_PAIR
        exp = _valid(start, changes)
        assert exp.data.classes == list(range(30, 40)) and exp.data.per_class == 5
    own = Experiment().with_changes({"data.name": "glyphs", "data.classes": [0, 1, 2]})
    assert backbone_changes(own, "glyphs_cnn") == {"transfer.backbone": "glyphs_cnn", "transfer.cut": None,
                                                   "model.layers": []}
    folder = load_experiment("transfer_mobilenet_folder")  # a folder stays, resized; ImageNet's pixels go
    changes = backbone_changes(folder, "glyphs_cnn")
    assert "data.name" not in changes and changes["data.preprocess"] == "none"
    assert _valid(folder, changes).data.path == "{resources}/sample_folder"


@pytest.mark.parametrize("backbone,batch", [("mobilenet_v3_small", 16), ("resnet18", 8)])
def test_backbone_changes_imagenet_brings_photos(fine_tune_top, backbone, batch):
    changes = backbone_changes(fine_tune_top, backbone)
    assert changes["data.preprocess"] == "imagenet"
    assert (changes["data.name"], changes["data.path"], changes["data.classes"]) == (
        "folder", "{resources}/sample_folder", None)
    assert changes["train.batch_size"] == batch  # a full batch of photos would not fit
    exp = _valid(fine_tune_top, changes)
    assert exp.transfer.open_blocks == 1 and exp.transfer.cut is None
    mine = load_experiment("transfer_folder").with_changes({"data.path": str(resources_dir() / "sample_folder")})
    changes = backbone_changes(mine, backbone)
    assert "data.path" not in changes  # the user's folder stays
    _valid(mine, changes)


def test_backbone_changes_keeps_the_dense_head_and_clamps_open_blocks():
    cnn = Experiment().with_changes({"data.name": "digits", "model.layers": [
        {"type": "conv", "channels": 4}, {"type": "pool"}, {"type": "flatten"}, {"type": "dense", "units": 8}]})
    assert backbone_changes(cnn, "glyphs_cnn")["model.layers"] == []  # the first backbone: a linear head
    head = load_experiment("transfer_fine_tune_top").with_changes({"model.layers": [
        {"type": "conv", "channels": 4}, {"type": "pool"}, {"type": "dense", "units": 8}], "transfer.cut": "conv2"})
    changes = backbone_changes(head, "glyphs_cnn")  # the feature end is a vector: the dense layers stay
    assert changes["model.layers"] == [{"type": "dense", "units": 8}]
    _valid(head, changes)
    many = load_experiment("transfer_mobilenet_folder").with_changes(
        {"transfer.strategy": "fine_tune_top", "transfer.open_blocks": 10})
    changes = backbone_changes(many, "glyphs_cnn")
    assert changes["transfer.open_blocks"] == 3
    _valid(many, changes)


def test_backbone_changes_checkpoint_of_another_shape_brings_its_data():
    digits = Experiment().with_changes({"data.name": "digits", "data.classes": [0, 1]})
    changes = backbone_changes(digits, "checkpoint", GLYPHS_CHECKPOINT)
    assert changes["transfer.path"] == GLYPHS_CHECKPOINT
    assert (changes["data.name"], changes["data.classes"]) == ("glyphs", None)
    _valid(digits, changes)
    assert backbone_changes(Experiment(), "checkpoint") == {"transfer.backbone": "checkpoint", "transfer.cut": None}


# -- marks and buttons ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path,widget", [
    ("transfer.backbone", "backbone"), ("transfer.cut", "cut"), ("transfer.strategy", "strategy"),
    ("transfer.open_blocks", "open_blocks"), ("transfer.backbone_lr", "backbone_lr"),
    ("transfer.head_epochs", "head_epochs"),
])
def test_show_error_marks_the_control_and_clears(panel, fine_tune_top, path, widget):
    panel.set_experiment(fine_tune_top)
    panel.show_error(path, "not like this")
    assert widget in marks(panel) and find(panel, widget).property("error") is True
    assert "not like this" in find(panel, widget).toolTip()
    panel.show_error(None)
    assert marks(panel) == {}


def test_a_data_error_goes_to_the_panel_label(panel, fine_tune_top):
    panel.set_experiment(fine_tune_top)
    panel.show_error("data.name", "the backbone glyphs_cnn takes 1x16x16 images")
    assert marks(panel) == {"panel": "data.name: the backbone glyphs_cnn takes 1x16x16 images"}


def test_compare_and_sweep_buttons(panel, qtbot, fine_tune_top):
    panel.set_experiment(fine_tune_top)
    with qtbot.waitSignal(panel.compare_requested, timeout=1000):
        click(qtbot, panel, "compare_button")
    with qtbot.waitSignal(panel.sweep_requested, timeout=1000):
        click(qtbot, panel, "sweep_button")
    panel.set_experiment(fine_tune_top.with_changes({"transfer.strategy": "scratch"}))
    assert not find(panel, "compare_button").isEnabled() and find(panel, "sweep_button").isEnabled()
    assert "already trains from scratch" in find(panel, "compare_button").toolTip()
    panel.set_experiment(Experiment())
    with qtbot.assertNotEmitted(panel.compare_requested), qtbot.assertNotEmitted(panel.sweep_requested):
        click(qtbot, panel, "compare_button")
        click(qtbot, panel, "sweep_button")
    assert not find(panel, "compare_button", QPushButton).isEnabled()


def test_everything_fits_a_narrow_dock(qtbot):
    panel = TransferPanel()
    holder = in_dock(qtbot, panel)
    for name in ("transfer_fine_tune_top", "transfer_folder", "transfer_mobilenet_folder", "default"):
        panel.set_experiment(load_experiment(name))
        qtbot.wait(20)
        assert holder.horizontalScrollBar().maximum() == 0, name
        assert holder.verticalScrollBar().maximum() == 0, name
        assert clipped(panel) == [], name
        assert holder.grab().save(f"/tmp/panel_transfer_{name}.png")


def test_the_panels_never_import_torch():
    code = ("import sys; import playground.ui.transfer_panel, playground.ui.data_panel; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_fine_tuning_the_top_asks_no_more_blocks_than_there_are(panel, qtbot):
    probe = load_experiment("transfer_linear_probe").with_changes({"transfer.open_blocks": 9})
    window = Window(panel, probe)
    click(qtbot, panel, "strategy_fine_tune_top")
    assert window.emitted == [{"transfer.strategy": "fine_tune_top", "transfer.open_blocks": 3}]
    assert window.exp.transfer.open_blocks == 3 and find(panel, "open_blocks", QSpinBox).text() == "top 3 of 3"
    assert "Here: conv1, conv2, dense1 and the head train." in text(panel, "strategy_hint")
