"""Editing the experiment in the window: refused input keeps the old value and says why, marks
and labels never go stale, undo and redo, sizes that cannot fit, a CNN back to 2D data, the last
input feature, and shortcuts from any focus (defects 9, 10, 12, 13, 15, 16, 17)."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLineEdit, QListWidget, QWidget

from playground.core.presets import load_experiment
from playground.ui.forms import ErrorOverlay
from tests.ui.window_helpers import ask_answers, open_window


def type_into(qtbot, field: QLineEdit, text: str) -> None:
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def field(window, name: str) -> QLineEdit:
    widget = window.findChild(QLineEdit, name)
    assert widget is not None, name
    return widget


def marks(window) -> list[QWidget]:
    """The widgets that show a red mark now."""
    return [overlay.parentWidget() for overlay in window.findChildren(ErrorOverlay) if overlay.isVisibleTo(window)]


def test_typed_input_that_is_refused_keeps_the_old_value_and_says_why(qtbot, settings):
    """Defect 9: LR '-5' became 5 and was accepted; 'abc' was dropped without a word."""
    window = open_window(qtbot, settings)
    lr = field(window, "lr_value")
    type_into(qtbot, lr, "-5")
    assert window.experiment.optim.lr is None and lr.text() == "0.03"
    assert "optim.lr: must be > 0.0, got -5.0" in window.statusBar().currentMessage()
    assert lr in marks(window) or any(w.isAncestorOf(lr) for w in marks(window))
    type_into(qtbot, lr, "abc")
    assert window.experiment.optim.lr is None and lr.text() == "0.03"
    assert marks(window)
    type_into(qtbot, lr, "1e-3")
    assert window.experiment.optim.lr == 1e-3 and not marks(window)


def test_marks_and_labels_never_outlive_what_they_were_about(qtbot, settings, tmp_path):
    """Defect 10: a mark from an earlier edit survived loading a preset; an edited experiment kept
    the preset's title and description."""
    window = open_window(qtbot, settings)
    assert not window.apply_changes({"data.n_samples": 3}, window.data_panel)
    assert marks(window)
    window.open_preset("spiral_deep_relu")
    assert not marks(window)
    assert window.apply_changes({"model.layers[0].units": 6}, window.network_panel)
    title = load_experiment("spiral_deep_relu").title
    assert window.windowTitle().startswith(f"{title} (edited)")
    window.save_path(tmp_path / "mine.json")
    saved = json.loads((tmp_path / "mine.json").read_text())
    assert saved["title"] == f"{title} (edited)" and not saved.get("description")


def test_undo_and_redo_edits_and_a_preset_that_replaced_them(qtbot, settings):
    """Defect 12: a preset or Open replaced a hand-built network with no question and no undo."""
    window = open_window(qtbot, settings)
    original = window.experiment.to_dict()
    window.apply_changes({"model.layers[0].units": 7}, window.network_panel)
    window.apply_changes({"model.activation": "relu"}, window.network_panel)
    built = window.experiment.to_dict()
    window.open_preset("digits_cnn")
    assert window.experiment.data.name == "digits"
    field(window, "lr_value").setFocus()  # from any focus, also a number field's
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.experiment.to_dict() == built
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.experiment.to_dict() == original
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.experiment.model.layers[0].units == 7
    assert "model.activation" in window.redo_action.toolTip()
    assert window.statusBar().currentMessage() == "Redone: model.layers[0].units"


def test_dragging_the_lr_is_one_step_of_the_history(qtbot, settings):
    window = open_window(qtbot, settings)
    for lr in (0.04, 0.05, 0.06, 0.07):
        window.apply_changes({"optim.lr": lr}, window.training_panel)
    assert window.undo_stack.count() == 1
    window.undo_action.trigger()
    assert window.experiment.optim.lr is None


def test_sizes_that_cannot_fit_are_refused_with_the_limit(qtbot, settings, tmp_path):
    """Defect 13: a large enough size made a run hang while it ate the machine's memory."""
    window = open_window(qtbot, settings)
    before = window.experiment.to_dict()
    assert not window.apply_changes({"data.n_samples": 10_000_000}, window.data_panel)
    assert "data.n_samples: at most 100000, got 10000000" in window.statusBar().currentMessage()
    assert window.experiment.to_dict() == before and marks(window)
    huge = tmp_path / "huge.json"
    huge.write_text(json.dumps({"model": {"layers": [{"units": 4096}] * 3}}))
    assert not window.open_path(huge)
    assert "at most 20,000,000" in window.banner.message() and window.experiment.to_dict() == before


def _dataset_tile(window, name: str):
    tiles = window.findChild(QListWidget, "dataset_list")
    return tiles, next(tiles.item(i) for i in range(tiles.count()) if tiles.item(i).data(Qt.ItemDataRole.UserRole) == name)


def test_a_cnn_can_go_back_to_2d_data(qtbot, settings):
    """Defect 15: digits with conv and pool layers, then Circle: refused while the Circle tile
    stayed highlighted. Now the window offers to drop the image layers; refusing keeps digits."""
    window = open_window(qtbot, settings, "digits_cnn")
    asked = ask_answers(window, False)
    tiles, circle = _dataset_tile(window, "circle")
    tiles.setCurrentItem(circle)
    assert asked and "conv, pool layers cannot take it" in asked[0]
    assert window.experiment.data.name == "digits"
    assert tiles.currentItem().data(Qt.ItemDataRole.UserRole) == "digits"  # the refused choice is not shown
    assert not marks(window)  # declining is a choice, not a mistake
    ask_answers(window, True)
    tiles.setCurrentItem(circle)
    assert window.experiment.data.name == "circle"
    assert [layer.type for layer in window.experiment.model.layers] == ["dense"]
    window.undo_action.trigger()
    assert window.experiment.to_dict() == load_experiment("digits_cnn").to_dict()


def test_the_last_input_feature_snaps_back_on(qtbot, settings):
    """Defect 16: removing every input feature left all toggles off while the network still used one."""
    window = open_window(qtbot, settings)
    x1 = window.findChild(QAbstractButton, "feature_x1")
    x2 = window.findChild(QAbstractButton, "feature_x2")
    qtbot.mouseClick(x2, Qt.MouseButton.LeftButton)
    assert window.experiment.data.features == ["x1"] and not x2.isChecked()
    qtbot.mouseClick(x1, Qt.MouseButton.LeftButton)
    assert window.experiment.data.features == ["x1"] and x1.isChecked()
    assert "choose at least one input feature" in window.statusBar().currentMessage()


def test_shortcuts_work_from_any_focus_and_never_edit_a_field(qtbot, settings):
    """Defect 17: with a conv 'channels' box focused, Ctrl+O opened no dialog and the typed path went
    into the box (16 channels became 126, and the network was rebuilt)."""
    window = open_window(qtbot, settings, "digits_cnn")
    opened: list[str] = []
    window._file_dialog = lambda title, filters, save: opened.append(title) or ""
    channels = next(w for w in window.findChildren(QLineEdit) if w.objectName().endswith("_channels"))
    before = window.experiment.to_dict()
    channels.setFocus()
    qtbot.keyClick(channels, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    assert opened == ["Open experiment"]
    qtbot.keyClick(channels, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert opened[-1] == "Save experiment"
    assert window.experiment.to_dict() == before
    qtbot.keyClicks(channels, "/tmp/run126.json")  # typed where the dialog should have been
    qtbot.keyClick(channels, Qt.Key.Key_Return)
    assert window.experiment.to_dict() == before and marks(window)  # refused, never half-read as 126
