"""The whole window, driven through its widgets as a student would: build, train, change, close."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QSpinBox

from playground.core.presets import load_experiment
from playground.ui.session import IDLE, PAUSED, RUNNING
from playground.ui.window import MainWindow

WAIT_MS = 60_000  # generous: CI machines are shared


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)


@pytest.fixture
def window(qtbot, settings):
    w = MainWindow(load_experiment("default"), settings=settings)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.session.shutdown()


def child(window, cls, name):
    widget = window.findChild(cls, name)
    assert widget is not None, f"no {cls.__name__} named {name}"
    return widget


def choose(combo: QComboBox, name: str) -> None:
    index = combo.findData(name)
    if index < 0:
        index = next(i for i in range(combo.count()) if name.lower() in combo.itemText(i).lower())
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def type_into(qtbot, field: QLineEdit, text: str) -> None:
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key_Return)


def click(qtbot, window, name):
    qtbot.mouseClick(child(window, QAbstractButton, name), Qt.LeftButton)


def test_building_a_network_through_the_widgets_gives_the_spec(window, qtbot):
    click(qtbot, window, "add_layer")
    assert [layer.units for layer in window.experiment.model.layers] == [4, 2, 4]
    click(qtbot, window, "layer1_units_plus")
    click(qtbot, window, "layer1_units_plus")
    assert window.experiment.model.layers[0].units == 6
    choose(child(window, QComboBox, "layer2_activation"), "relu")
    choose(child(window, QComboBox, "layer2_init"), "kaiming_normal")
    choose(child(window, QComboBox, "layer3_norm"), "batchnorm")
    child(window, QAbstractSpinBox, "layer3_dropout").setValue(0.25)
    choose(child(window, QComboBox, "optimizer"), "adam")
    choose(child(window, QComboBox, "schedule"), "step")
    layers = window.experiment.model.layers
    assert (layers[1].activation, layers[1].init) == ("relu", "kaiming_normal")
    assert (layers[2].norm, layers[2].dropout) == ("batchnorm", 0.25)
    assert window.experiment.optim.name == "adam" and window.experiment.optim.lr is None
    assert window.experiment.schedule.name == "step"
    # the running network follows the spec: the session was rebuilt with it, and the rebuilt
    # network is what the builder draws (a snapshot of the new shape arrives)
    assert window.session.experiment.to_dict() == window.experiment.to_dict()
    qtbot.waitUntil(lambda: window.session.ready, timeout=WAIT_MS)


def test_play_draws_loss_points_and_pause_stops_the_steps(window, qtbot):
    window.play_action.trigger()
    qtbot.waitUntil(lambda: window.metrics.point_count() >= 5, timeout=WAIT_MS)
    x, y = window.metrics.curve_data("train_loss")
    assert len(x) >= 5 and y[-1] < y[0]
    window.play_action.trigger()
    assert window.session.state == PAUSED
    qtbot.wait(300)
    paused_at = window.session.at_step
    qtbot.wait(300)
    assert window.session.at_step == paused_at
    window.step_action.trigger()
    qtbot.waitUntil(lambda: window.session.at_step == paused_at + 1, timeout=WAIT_MS)


def test_lr_changed_while_running_shows_in_the_next_records(window, qtbot):
    seen = []
    window.session.epochs.connect(seen.extend)
    window.play_action.trigger()
    qtbot.waitUntil(lambda: len(seen) >= 3, timeout=WAIT_MS)
    generation = window.session.generation
    type_into(qtbot, child(window, QLineEdit, "lr_value"), "0.005")
    assert window.experiment.optim.lr == 0.005
    assert window.session.generation == generation  # a live change: the same run goes on
    count = len(seen)
    qtbot.waitUntil(lambda: len(seen) >= count + 3, timeout=WAIT_MS)
    assert seen[-1]["lr"] == 0.005 and seen[1]["lr"] == 0.03
    epochs = [r["epoch"] for r in seen]
    assert epochs == list(range(len(seen)))  # one run, no restart


def test_an_invalid_edit_is_marked_and_changes_nothing(window, qtbot):
    choose(child(window, QComboBox, "default_norm"), "batchnorm")
    before = window.experiment.to_dict()
    spin = child(window, QSpinBox, "batch_size")
    spin.setValue(1)
    spin.editingFinished.emit()
    assert window.experiment.to_dict() == before
    assert "batch norm needs at least 2 examples" in window.statusBar().currentMessage()


def test_closing_the_window_mid_run_stops_the_worker(qtbot, settings):
    w = MainWindow(load_experiment("default"), settings=settings)
    qtbot.addWidget(w)
    w.show()
    w.play_action.trigger()
    qtbot.waitUntil(lambda: w.session.at_step > 50, timeout=WAIT_MS)
    process = w.session._process
    w.close()
    assert not process.is_alive() and process.exitcode == 0  # it ended by itself, cleanly
    assert w.session.state == IDLE


def test_ctrl_q_quits_in_the_middle_of_training(window, qtbot):
    window.play_action.trigger()
    qtbot.waitUntil(lambda: window.session.state == RUNNING and window.metrics.point_count() > 2, timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key_Q, Qt.ControlModifier)
    assert not window.isVisible() and window.session.state == IDLE


def test_save_and_open_use_the_command_lines_file(window, qtbot, tmp_path):
    click(qtbot, window, "add_layer")
    path = tmp_path / "mine.json"
    assert window.save_path(path)
    assert json.loads(path.read_text()) == window.experiment.to_dict()
    bad = tmp_path / "broken.json"
    bad.write_text('{"model": {"layers": [{"units": 0}]}}')
    before = window.experiment.to_dict()
    assert not window.open_path(bad)
    assert window.experiment.to_dict() == before
    assert "model.layers[0].units: must be >= 1, got 0" in window.banner.text()
    other = load_experiment("spiral_deep_relu")
    other.save(tmp_path / "spiral.json")
    assert window.open_path(tmp_path / "spiral.json")
    assert window.experiment.to_dict() == other.to_dict()


def test_weights_saved_from_the_window_open_again(window, qtbot, tmp_path):
    window.play_action.trigger()
    qtbot.waitUntil(lambda: window.metrics.point_count() >= 3, timeout=WAIT_MS)
    path = tmp_path / "run.safetensors"
    window.save_path(path)
    qtbot.waitUntil(path.exists, timeout=WAIT_MS)
    window.session.pause()
    assert window.open_path(path)
    qtbot.waitUntil(lambda: window.metrics.point_count() >= 1, timeout=WAIT_MS)
    assert window.metrics.curve_data("train_loss")[1][0] < 0.69  # starts trained, not from scratch


def test_the_last_experiment_comes_back_on_restart(qtbot, settings):
    first = MainWindow(load_experiment("spiral_deep_relu"), settings=settings)
    qtbot.addWidget(first)
    first.close()
    second = MainWindow(settings=settings)
    qtbot.addWidget(second)
    assert second.experiment.to_dict() == load_experiment("spiral_deep_relu").to_dict()
    second.close()


def test_every_toolbar_action_and_panel_control_teaches_with_a_tooltip(window):
    for action in (window.play_action, window.step_action, window.reset_action):
        assert len(action.toolTip()) > 20
    controls = [w for cls in (QComboBox, QAbstractSpinBox, QLineEdit, QAbstractButton) for w in window.findChildren(cls)]
    named = [w for w in controls if w.isVisibleTo(window) and w.objectName() and not w.objectName().startswith("qt_")]
    assert len(named) > 30
    for widget in named:
        holder = widget  # Qt shows the nearest ancestor's tooltip where a widget has none
        while holder is not None and holder is not window and not holder.toolTip():
            holder = holder.parentWidget()
        assert holder is not window and holder is not None, f"{widget.objectName()} has no tooltip"


def test_scripted_mode_prints_its_figures_and_saves_a_screenshot(tmp_path):
    shot = tmp_path / "shot.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-m", "playground", "--preset", "default", "--autorun",
                           "--exit-after", "4", "--screenshot", str(shot)], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    for key in ("steps_per_s", "headless_steps_per_s", "plot_fps", "latency_p50_ms", "latency_p99_ms",
                "peak_rss_mb", "epochs"):
        assert isinstance(figures[key], (int, float)), key
    assert figures["steps_per_s"] > 0 and figures["epochs"] > 0
    from PySide6.QtGui import QImage

    image = QImage(str(shot))
    assert image.width() >= 1000 and image.height() >= 600
    colours = {image.pixel(x, y) for x in range(0, image.width(), 37) for y in range(0, image.height(), 37)}
    assert len(colours) > 20  # not a blank window


def test_scripted_mode_fails_loudly_on_a_bad_preset():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-m", "playground", "--preset", "nope", "--exit-after", "2"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 2 and "no experiment file or preset named 'nope'" in done.stderr
