"""Runs side by side in the window: a comparison made through the dialog's widgets, a bad value
refused there, the legend toggling a run, the shared Play/Pause/Step, ending it, and closing the
window during a race (every training process gone)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from playground.core.compare import vary
from playground.ui.compare_dialog import CompareDialog
from playground.ui.plots.runs import RunsPlots
from playground.ui.session import FINISHED
from tests.ui.window_helpers import WAIT_MS, open_window

EPOCHS = 4


def dialog_of(qtbot, window) -> CompareDialog:
    window.compare_runs_action.trigger()
    qtbot.waitUntil(lambda: window.findChild(CompareDialog) is not None and window.findChild(CompareDialog).isVisible())
    return window.findChild(CompareDialog)


def all_finished(window) -> bool:
    return all(session.state == FINISHED for session in window.run_set.sessions.values())


def test_a_comparison_made_in_the_dialog_trains_each_run_to_its_end(qtbot, settings):
    window = open_window(qtbot, settings)
    window.apply_changes({"train.epochs": EPOCHS})
    dialog = dialog_of(qtbot, window)
    dialog.field.setCurrentIndex(1)  # the learning rate
    assert dialog.values.text() == "0.0001,0.03,3"  # the lecture's trio, filled in
    dialog.values.setText("0.003,0.3")
    qtbot.mouseClick(dialog.findChild(QPushButton, "compare_ok"), Qt.MouseButton.LeftButton)
    assert window.runs_view.shown() == ["lr=0.003", "lr=0.3"] and window.plot_tabs.currentIndex() == 3
    qtbot.waitUntil(lambda: all_finished(window), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: all(window.runs_view.data(n, "train_loss")[0].size == EPOCHS + 1
                                for n in ("lr=0.003", "lr=0.3")), timeout=WAIT_MS)
    for name, lr in (("lr=0.003", 0.003), ("lr=0.3", 0.3)):
        epochs, losses = window.runs_view.data(name, "train_loss")
        assert list(epochs) == list(range(EPOCHS + 1)) and all(losses > 0)
        assert window.runs_view.data(name, "lr")[1][-1] == lr
    low, high = (window.runs_view.data(n, "train_loss")[1][-1] for n in ("lr=0.003", "lr=0.3"))
    assert high < low  # the larger LR has learned more in four epochs: two different curves
    small, large = (window.runs_view.data(n, "update_ratio")[1] for n in ("lr=0.003", "lr=0.3"))
    assert len(small) and len(large) and np.median(large) > 10 * np.median(small)  # 100x the LR: bigger steps


def test_a_bad_value_is_refused_in_the_dialog_naming_the_run(qtbot, settings):
    window = open_window(qtbot, settings)
    dialog = dialog_of(qtbot, window)
    dialog.values.setText("sgd,adamm")  # the optimizer, the first field
    qtbot.mouseClick(dialog.findChild(QPushButton, "compare_ok"), Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and "adamm" in dialog.error.text() and "optim.name" in dialog.error.text()
    assert not window.run_set.active
    dialog.values.setText("sgd")
    qtbot.mouseClick(dialog.findChild(QPushButton, "compare_ok"), Qt.MouseButton.LeftButton)
    assert "2 to 8 runs" in dialog.error.text() and not window.run_set.active
    dialog.reject()


def test_the_legend_toggles_a_run_and_the_toolbar_drives_every_run(qtbot, settings):
    window = open_window(qtbot, settings)
    runs = vary(window.experiment.with_changes({"train.epochs": 500}), "optim.name", ["sgd", "adam", "rmsprop"])
    window.start_comparison(runs, "optim.name", running=False)
    qtbot.waitUntil(lambda: all(s.ready for s in window.run_set.sessions.values()), timeout=WAIT_MS)
    window.step_action.trigger()  # S: one step of every run
    qtbot.waitUntil(lambda: all(s.at_step == 1 for s in window.run_set.sessions.values()), timeout=WAIT_MS)
    window.play_action.trigger()
    assert window.run_set.running and window.play_action.text() == "Pause"
    qtbot.waitUntil(lambda: all(window.runs_view.data(n, "train_loss")[0].size > 2 for n in window.run_set.names),
                    timeout=WAIT_MS)
    window.play_action.trigger()
    assert not window.run_set.running and window.play_action.text() == "Play"

    box = window.runs_view.boxes["adam"]
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=box.rect().center())
    assert window.runs_view.shown() == ["sgd", "rmsprop"]
    assert not any(curve.isVisible() for curve in window.runs_view._runs["adam"].curves.values())
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=box.rect().center())
    assert all(curve.isVisible() for curve in window.runs_view._runs["adam"].curves.values())

    sessions = list(window.run_set.sessions.values())
    end = next(b for b in window.banner.actions() if b.text() == "End the comparison")
    qtbot.mouseClick(end, Qt.MouseButton.LeftButton)
    assert not window.run_set.active and not any(s.alive for s in sessions)
    assert window.runs_view.shown() == ["sgd", "adam", "rmsprop"]  # the curves stay to look at


def test_closing_the_window_during_a_race_ends_every_training_process(qtbot, settings):
    window = open_window(qtbot, settings)
    runs = vary(window.experiment.with_changes({"train.epochs": 100_000}), "optim.name",
                ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"])
    window.start_comparison(runs, "optim.name")
    qtbot.waitUntil(lambda: all(window.runs_view.data(n, "train_loss")[0].size > 1 for n in window.run_set.names),
                    timeout=WAIT_MS)
    sessions = list(window.run_set.sessions.values()) + [window.session]
    window.close()
    assert not any(session.alive for session in sessions)


def test_a_shipped_comparison_from_the_presets_menu(qtbot, settings):
    window = open_window(qtbot, settings)
    window._fill_presets()
    action = window.preset_menu.findChild(type(window.play_action), "comparison_optimizer_race")
    assert action.text() == "The optimizer race"
    action.trigger()
    assert window.runs_view.shown() == ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]
    assert window.runs_view.title.text() == "The optimizer race" and window.run_set.running
    window.end_comparison()


def test_a_comparison_of_experiment_files_from_the_dialog(qtbot, settings, tmp_path):
    window = open_window(qtbot, settings)
    paths = []
    for name in ("slow", "fast"):
        exp = window.experiment.with_changes({"train.epochs": EPOCHS, "optim.lr": 0.003 if name == "slow" else 0.3})
        exp.save(tmp_path / f"{name}.json")
        paths.append(str(tmp_path / f"{name}.json"))
    dialog = dialog_of(qtbot, window)
    dialog.ask_files = lambda: paths
    qtbot.mouseClick(dialog.findChild(QPushButton, "compare_files"), Qt.MouseButton.LeftButton)
    assert not dialog.isVisible() and window.runs_view.shown() == ["slow", "fast"]
    qtbot.waitUntil(lambda: all_finished(window), timeout=WAIT_MS)
    assert [exp.optim.lr for _, exp in window.run_set.runs] == [0.003, 0.3]


def test_after_a_finished_run_the_toolbar_drives_the_comparison(qtbot, settings):
    """Found driving it with xdotool: once the window's own run had finished, Step stayed disabled
    and S did nothing to the comparison's runs."""
    window = open_window(qtbot, settings)
    window.apply_changes({"train.epochs": 2})
    window.play_action.trigger()
    qtbot.waitUntil(lambda: window.session.state == FINISHED, timeout=WAIT_MS)
    assert not window.step_action.isEnabled()
    runs = vary(window.experiment.with_changes({"train.epochs": 500}), "optim.name", ["sgd", "adam"])
    window.start_comparison(runs, "optim.name", running=False)
    assert window.step_action.isEnabled() and window.play_action.text() == "Play"
    qtbot.waitUntil(lambda: all(s.ready for s in window.run_set.sessions.values()), timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: all(s.at_step == 1 for s in window.run_set.sessions.values()), timeout=WAIT_MS)
    window.end_comparison()


def test_each_log_axis_of_the_runs_tab_holds_the_runs_with_numbers_to_read(qtbot):
    """At the size the Runs tab gets in a 1280x720 window: each log axis ends at the 1-2-5 marks
    around the runs' values and shows at least two numbers (whole decades put the losses of an LR
    trio, 0.3 to 1.3, in a third of the plot under one label, '1')."""
    view = RunsPlots()
    qtbot.addWidget(view)
    view.resize(570, 300)
    view.show()
    view.set_runs(["lr=1e-4", "lr=0.03", "lr=3"], ["#0072b2", "#d55e00", "#009e73"], "3 runs", epochs=10)
    rng = np.random.default_rng(0)
    for name, lr, losses in (("lr=1e-4", 1e-4, np.linspace(0.7, 0.69, 11)), ("lr=0.03", 0.03, np.linspace(0.7, 0.3, 11)),
                             ("lr=3", 3.0, rng.uniform(0.6, 1.3, 11))):
        view.add(name, [{"type": "ready", "steps_per_epoch": 25}])
        view.add(name, [{"type": "epoch", "epoch": e, "train_loss": float(loss), "val_loss": float(loss) * 1.05,
                         "val_acc": 0.5, "lr": lr} for e, loss in enumerate(losses)])
        view.add(name, [{"type": "probe", "step": 25 * e, "layers": [{"update_ratio": lr / 10 * (1 + e / 10)}]}
                        for e in range(1, 11)])
    qtbot.waitUntil(lambda: view.frames > 0)
    low, high = (10 ** v for v in view.plots["loss"].viewRange()[1])
    assert 0.15 < low < 0.2 and 2 < high < 2.5  # 0.2 to 2, padded (whole decades: 0.1 to 10)
    low, high = (10 ** v for v in view.plots["lr"].viewRange()[1])
    assert 5e-5 < low < 1e-4 and 3 < high < 10  # 1e-4 to 5, padded
    for plot in ("loss", "lr", "ratio"):
        axis = view.plots[plot].getAxis("left")
        labelled = axis.tickValues(*view.plots[plot].viewRange()[1], axis.geometry().height())[0][1]
        assert len(labelled) >= 2, (plot, axis.geometry().height(), labelled)


def test_a_run_that_diverged_says_so_in_the_legend_and_marks_its_last_loss(qtbot):
    """LR 3 diverges in its first epoch: one finite point, no line to see. The legend says it and a
    cross stands at its last finite loss."""
    view = RunsPlots()
    qtbot.addWidget(view)
    view.show()
    view.set_runs(["lr=0.1", "lr=3"], ["#d55e00", "#009e73"], "2 runs", epochs=10)
    view.add("lr=0.1", [{"type": "epoch", "epoch": e, "train_loss": 2.3 / (e + 1), "val_loss": 2.3 / (e + 1),
                         "val_acc": 0.5, "lr": 0.1} for e in range(3)])
    view.add("lr=3", [{"type": "epoch", "epoch": 0, "train_loss": 2.3, "val_loss": 2.3, "val_acc": 0.1, "lr": 3.0},
                      {"type": "epoch", "epoch": 1, "train_loss": float("nan"), "val_loss": float("nan"),
                       "val_acc": 0.1, "lr": 3.0},
                      {"type": "end", "reason": "diverged"}])
    qtbot.waitUntil(lambda: view.frames > 0)
    assert view.boxes["lr=3"].text() == "lr=3: diverged" and view.boxes["lr=0.1"].text() == "lr=0.1"
    x, y = view._runs["lr=3"].cross.getOriginalDataset()
    assert list(x) == [0] and list(y) == [2.3]
    assert view._runs["lr=0.1"].cross.getOriginalDataset() == (None, None)  # no cross on a run that did not diverge
    view.boxes["lr=3"].setChecked(False)
    assert not view._runs["lr=3"].cross.isVisible() and view.shown() == ["lr=0.1"]


def test_runs_at_one_lr_draw_it_inside_the_axis_with_its_number(qtbot):
    """An optimizer race from a preset with an explicit LR: every run at 0.01. The line sat on the
    axis' bottom edge under a lone label, 0.02."""
    view = RunsPlots()
    qtbot.addWidget(view)
    view.resize(570, 300)
    view.show()
    view.set_runs(["sgd", "adam"], ["#0072b2", "#e69f00"], "2 runs", epochs=3)
    for name in ("sgd", "adam"):
        view.add(name, [{"type": "epoch", "epoch": e, "train_loss": 0.5, "val_loss": 0.5, "val_acc": 0.5, "lr": 0.01}
                        for e in range(4)])
    qtbot.waitUntil(lambda: view.frames > 0)
    low, high = view.plots["lr"].viewRange()[1]
    assert low < -2.2 and high > -1.8  # 0.005 to 0.02: 0.01 in the middle, not on an edge
    axis = view.plots["lr"].getAxis("left")
    assert -2.0 in axis.tickValues(low, high, axis.geometry().height())[0][1]  # "0.01" is written beside it
