"""The whole window, driven as a student would: build, train, change, save, open, close."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit

from playground.cli import main
from playground.core.presets import load_experiment
from playground.ui.session import IDLE, PAUSED, RUNNING
from playground.ui.window import MainWindow
from tests.ui.window_helpers import WAIT_MS, Recorder, open_window, wait_ready


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
    qtbot.keyClick(field, Qt.Key.Key_Return)


def click(qtbot, window, name):
    qtbot.mouseClick(child(window, QAbstractButton, name), Qt.MouseButton.LeftButton)


def test_building_a_network_through_the_widgets_gives_the_spec(qtbot, settings):
    window = open_window(qtbot, settings)
    click(qtbot, window, "add_layer")
    assert [layer.units for layer in window.experiment.model.layers] == [4, 2, 4]
    click(qtbot, window, "layer1_units_plus")
    click(qtbot, window, "layer1_units_plus")
    assert window.experiment.model.layers[0].units == 6
    choose(child(window, QComboBox, "layer2_activation"), "relu")
    choose(child(window, QComboBox, "optimizer"), "adam")
    choose(child(window, QComboBox, "schedule"), "step")
    layers = window.experiment.model.layers
    assert layers[1].activation == "relu"
    assert window.experiment.optim.name == "adam" and window.experiment.optim.lr is None
    assert window.experiment.schedule.name == "step"
    # what trains is the window's experiment: the training process reports the spec it runs
    recorder = Recorder(window)
    wait_ready(qtbot, window)
    window.session.request_spec()
    qtbot.waitUntil(lambda: bool(recorder.of("spec", window.session.run)), timeout=WAIT_MS)
    assert json.loads(recorder.of("spec")[-1]["experiment"]) == window.experiment.to_dict()


def test_play_draws_loss_points_and_pause_stops_the_steps(qtbot, settings):
    window = open_window(qtbot, settings)
    recorder = Recorder(window)
    window.play_action.trigger()
    qtbot.waitUntil(lambda: len(recorder.of("epoch")) >= 5, timeout=WAIT_MS)
    losses = [r["train_loss"] for r in recorder.of("epoch")]
    assert losses[-1] < losses[0]
    window.play_action.trigger()
    assert window.session.state == PAUSED and window.play_action.text() == "Play"
    qtbot.wait(300)
    paused_at = window.session.at_step
    qtbot.wait(300)
    assert window.session.at_step == paused_at
    window.step_action.trigger()
    qtbot.waitUntil(lambda: window.session.at_step == paused_at + 1, timeout=WAIT_MS)


def test_lr_changed_while_running_shows_in_the_next_records(qtbot, settings):
    window = open_window(qtbot, settings)
    window.apply_changes({"train.epochs": 100_000})  # the default's 100 epochs can end in a second
    recorder = Recorder(window)
    window.play_action.trigger()
    qtbot.waitUntil(lambda: len(recorder.of("epoch")) >= 3, timeout=WAIT_MS)
    run = window.session.run
    type_into(qtbot, child(window, QLineEdit, "lr_value"), "0.005")
    assert window.experiment.optim.lr == 0.005
    assert window.session.run == run  # a live change: the same run goes on
    qtbot.waitUntil(lambda: [r["lr"] for r in recorder.of("epoch")][-3:] == [0.005] * 3, timeout=WAIT_MS)
    lrs = [r["lr"] for r in recorder.of("epoch")]
    changed = lrs.index(0.005)
    assert set(lrs[1:changed]) == {0.03} and set(lrs[changed:]) == {0.005}
    epochs = recorder.of("epoch")
    assert [r["epoch"] for r in epochs] == list(range(len(epochs)))  # one run, no restart


def test_closing_the_window_mid_run_stops_the_worker(qtbot, settings):
    window = open_window(qtbot, settings)
    window.play_action.trigger()
    qtbot.waitUntil(lambda: window.session.at_step > 50, timeout=WAIT_MS)
    process = window.session._process
    window.close()
    assert not process.is_alive() and process.exitcode == 0  # it ended by itself, cleanly
    assert window.session.state == IDLE


def test_ctrl_q_quits_in_the_middle_of_training(qtbot, settings):
    window = open_window(qtbot, settings)
    window.play_action.trigger()
    qtbot.waitUntil(lambda: window.session.state == RUNNING and window.session.at_step > 20, timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert not window.isVisible() and window.session.state == IDLE


def test_save_and_open_use_the_command_lines_file(qtbot, settings, tmp_path):
    window = open_window(qtbot, settings)
    click(qtbot, window, "add_layer")
    path = tmp_path / "mine.json"
    assert window.save_path(path)
    assert json.loads(path.read_text()) == window.experiment.to_dict()
    bad = tmp_path / "broken.json"
    bad.write_text('{"model": {"layers": [{"units": 0}]}}')
    before = window.experiment.to_dict()
    assert not window.open_path(bad)
    assert window.experiment.to_dict() == before
    assert "model.layers[0].units: must be >= 1, got 0" in window.banner.message()
    other = load_experiment("spiral_deep_relu")
    other.save(tmp_path / "spiral.json")
    assert window.open_path(tmp_path / "spiral.json")
    assert window.experiment.to_dict() == other.to_dict()


def test_the_last_experiment_comes_back_on_restart(qtbot, settings):
    first = MainWindow(load_experiment("spiral_deep_relu"), settings=settings)
    qtbot.addWidget(first)
    first.close()
    second = MainWindow(settings=settings)
    qtbot.addWidget(second)
    assert second.experiment.to_dict() == load_experiment("spiral_deep_relu").to_dict()
    second.close()


def test_every_toolbar_action_and_panel_control_teaches_with_a_tooltip(qtbot, settings):
    window = open_window(qtbot, settings)
    for action in (window.play_action, window.step_action, window.reset_action, window.undo_action):
        assert len(action.toolTip()) > 20
    controls = [w for cls in (QComboBox, QLineEdit, QAbstractButton) for w in window.findChildren(cls)]
    named = [w for w in controls if w.isVisibleTo(window) and w.objectName() and not w.objectName().startswith("qt_")]
    assert len(named) > 30
    for widget in named:
        holder = widget  # Qt shows the nearest ancestor's tooltip where a widget has none
        while holder is not None and holder is not window and not holder.toolTip():
            holder = holder.parentWidget()
        assert holder is not window and holder is not None, f"{widget.objectName()} has no tooltip"


def test_scripted_mode_prints_its_figures_and_saves_a_screenshot(tmp_path):
    """The one test of the app in a process of its own: start-up, the training process, the figures."""
    shot = tmp_path / "shot.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    # 3 s: the training processes' fork server imports torch, torch._dynamo and the trainer before the
    # first run's process (a comparison's six then start at once), so the first steps come ~0.5 s later
    done = subprocess.run([sys.executable, "-m", "playground", "--preset", "default", "--autorun", "--tab",
                           "activations", "--exit-after", "3", "--screenshot", str(shot)], capture_output=True,
                          text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    for key in ("steps_per_s", "headless_steps_per_s", "plot_fps", "latency_p50_ms", "latency_p99_ms",
                "latency_max_ms", "peak_rss_mb", "epochs", "window_shown_s", "click_ms"):
        assert isinstance(figures[key], (int, float)), key
    assert figures["steps_per_s"] > 0 and figures["epochs"] > 0
    assert figures["torch_in_window"] is False  # the window's process never imported torch
    from PySide6.QtGui import QImage

    image = QImage(str(shot))
    assert (image.width(), image.height()) == tuple(figures["window_size"])
    colours = {image.pixel(x, y) for x in range(0, image.width(), 37) for y in range(0, image.height(), 37)}
    assert len(colours) > 20  # not a blank window


def test_scripted_mode_fails_loudly_on_a_bad_preset(capsys):
    assert main(["--preset", "nope", "--exit-after", "2"]) == 2
    assert "no experiment file or preset named 'nope'" in capsys.readouterr().err


def test_the_window_bench_prints_each_panels_and_each_views_costs(capsys):
    """``playground bench --window``: the figures behind the edit storm, part by part."""
    assert main(["bench", "--window", "--rounds", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    figure = r"\d+\.\d / \d+\.\d"
    assert re.fullmatch(rf"set_experiment over 9 edits: data {figure}   training {figure}   network {figure}",
                        lines[1])
    rows = {line.split()[0]: line for line in lines[2:]}
    for view in ("metrics", "probes", "BoundaryView", "ImageView", "network"):
        assert len(re.findall(figure, rows[view])) == 4, rows[view]  # clear, first, frame, repaint
    assert [line.split()[0] for line in lines if not line.startswith(" ")][2:] == ["spiral_deep_relu", "digits_cnn"]
