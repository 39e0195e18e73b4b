"""Transfer learning in the window: the lock that chooses what trains, the run from scratch beside
the fine-tuned one, the few-shot sweep's button, the phase-two marker, a trained network becoming a
backbone, and no training process left behind by any of them."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QCheckBox, QLineEdit, QPushButton, QSpinBox

from playground.core.presets import load_experiment
from playground.ui.session import FINISHED
from playground.ui.sweep_dialog import SweepDialog
from playground.ui.window import MainWindow
from tests.ui.window_helpers import WAIT_MS, Recorder, open_window, wait_ready

QUICK = {"data.n_samples": 1200, "train.epochs": 8}  # the designed pair, smaller: seconds, not minutes


def training_processes() -> int:
    return sum(1 for p in multiprocessing.active_children() if p.name == "playground-training" and p.is_alive())


def click(qtbot, window, cls, name: str) -> None:
    button = window.findChild(cls, name)
    assert button is not None, name
    assert button.isEnabled(), f"{name} is disabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_moving_the_lock_chooses_what_the_training_process_trains(qtbot, settings):
    window = open_window(qtbot, settings, "transfer_linear_probe")
    recorder = Recorder(window)
    wait_ready(qtbot, window)
    click(qtbot, window, QAbstractButton, "backbone_conv2_lock")
    assert window.experiment.transfer.strategy == "fine_tune_top"
    assert window.experiment.transfer.open_blocks == 2
    click(qtbot, window, QAbstractButton, "backbone_conv1_lock")
    assert window.experiment.transfer.strategy == "fine_tune_all"
    wait_ready(qtbot, window)
    window.session.request_spec()
    recorder.wait(qtbot, lambda: bool(recorder.of("spec", window.session.run)))
    trained = recorder.of("spec", window.session.run)[-1]["experiment"]
    assert '"strategy": "fine_tune_all"' in trained
    window.undo_action.trigger()  # the lock's move is one step of the history
    assert window.experiment.transfer.strategy == "fine_tune_top"


def test_compare_with_scratch_overlays_the_scratch_run_and_leaves_no_process(qtbot, settings):
    window = open_window(qtbot, settings, "transfer_linear_probe")
    assert window.apply_changes(QUICK)
    window.transfer_dock.raise_()
    click(qtbot, window, QPushButton, "compare_button")
    assert window.comparison.active
    qtbot.waitUntil(lambda: training_processes() == 2, timeout=WAIT_MS)  # started off the GUI thread
    qtbot.waitUntil(lambda: len(window.metrics.companion_data("val_acc")[1]) == 9, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.session.state == FINISHED, timeout=WAIT_MS)
    fine_tuned = window.metrics.curve_data("val_acc")[1]
    scratch = window.metrics.companion_data("val_acc")[1]
    assert len(fine_tuned) == 9 and fine_tuned[-1] > scratch[-1]  # the pretrained start wins here
    window.reset()  # a new run of the window ends the comparison and its process
    assert not window.comparison.active
    qtbot.waitUntil(lambda: training_processes() == 1, timeout=WAIT_MS)
    window.compare_action.trigger()
    qtbot.waitUntil(lambda: training_processes() == 2, timeout=WAIT_MS)
    window.close()
    qtbot.waitUntil(lambda: training_processes() == 0, timeout=WAIT_MS)


def test_the_sweep_button_fills_the_plot_and_closing_stops_it(qtbot, settings):
    window = open_window(qtbot, settings, "transfer_linear_probe")
    assert window.apply_changes({**QUICK, "train.epochs": 3})
    window.transfer_dock.raise_()
    click(qtbot, window, QPushButton, "sweep_button")
    dialog = window.findChild(SweepDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.findChild(QLineEdit, "per_class").setText("1, 5")
    dialog.findChild(QSpinBox, "seeds").setValue(1)
    for name in ("fine_tune_top", "fine_tune_all"):
        dialog.findChild(QCheckBox, f"sweep_{name}").setChecked(False)
    click(qtbot, dialog, QPushButton, "sweep_run")
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=WAIT_MS)
    assert [x for x, _, _ in dialog.plot.points("linear_probe")] == [1, 5]
    assert len(dialog.plot.points("scratch")) == 2
    assert "linear_probe" in dialog.findChild(type(dialog.table), "sweep_table").toPlainText()
    click(qtbot, dialog, QPushButton, "sweep_run")  # again, then closed while it runs
    dialog.reject()
    dialog.wait()
    assert not dialog.running


def test_a_two_phase_run_marks_where_phase_two_starts(qtbot, settings):
    window = open_window(qtbot, settings, "transfer_fine_tune_all")
    assert window.apply_changes({**QUICK, "transfer.head_epochs": 3, "train.epochs": 5})
    window.play_action.trigger()
    qtbot.waitUntil(lambda: window.session.state == FINISHED, timeout=WAIT_MS)
    loss_marker = window.metrics._markers[0]
    assert loss_marker.isVisible() and loss_marker.value() == 3
    window.metrics.set_x_axis("steps")  # one full batch a step: step 3 is where epoch 3 began
    assert loss_marker.value() == 3


def test_a_trained_network_becomes_the_backbone_of_a_new_experiment(qtbot, settings, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))  # where QStandardPaths puts app data on Linux
    window = open_window(qtbot, settings, "digits_cnn")
    assert window.apply_changes({"train.epochs": 1})
    window.play_action.trigger()
    qtbot.waitUntil(lambda: window.session.state == FINISHED, timeout=WAIT_MS)
    window.backbone_action.trigger()
    qtbot.waitUntil(lambda: window.experiment.transfer.enabled, timeout=WAIT_MS)
    transfer = window.experiment.transfer
    assert transfer.backbone == "checkpoint" and transfer.strategy == "linear_probe"
    assert Path(transfer.path).is_file() and window.experiment.model.layers == []
    window.play_action.trigger()
    qtbot.waitUntil(lambda: window.session.at_epoch >= 1, timeout=WAIT_MS)
    assert window.findChild(QAbstractButton, "backbone_conv1_lock") is not None


def test_transfer_presets_open_in_a_fresh_window(qtbot, settings):
    for name in ("transfer_folder", "transfer_scratch"):
        window = MainWindow(load_experiment(name), settings=settings)
        qtbot.addWidget(window)
        window.show()
        wait_ready(qtbot, window)
        assert window.experiment.transfer.enabled
        window.close()


def test_a_backbone_that_cannot_be_read_is_said_in_the_banner(qtbot, settings, tmp_path):
    """The training process cannot build the run (its checkpoint went missing): the window says why,
    in the user's words, and stays usable."""
    from playground.core.checkpoint import save_checkpoint
    from playground.core.spec import Experiment
    from playground.core.trainer import Trainer

    source = Trainer(Experiment.from_dict({"data": {"name": "digits"}, "model": {"layers": [{"type": "conv"}]},
                                           "train": {"epochs": 1}}))
    path = tmp_path / "mine.safetensors"
    save_checkpoint(path, source.exp, source.net, 0, 0)
    exp = Experiment.from_dict({"data": {"name": "digits"}, "model": {"layers": []},
                                "transfer": {"backbone": "checkpoint", "path": str(path)}})
    window = MainWindow(exp, settings=settings)
    qtbot.addWidget(window)
    window.show()
    wait_ready(qtbot, window)
    path.unlink()
    window.reset()
    qtbot.waitUntil(lambda: "cannot read" in window.banner.message(), timeout=WAIT_MS)
    assert "Error" not in window.banner.message()  # no exception's class name, no traceback
    assert window.session.alive

