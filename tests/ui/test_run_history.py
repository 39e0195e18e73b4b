"""The run history: finished runs kept with their final figures, pinned as a faint baseline under
the live curves (through new runs), opened again, deleted, saved and read back; a comparison's runs
land there too."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from playground.core.compare import vary
from playground.ui.session import FINISHED
from tests.ui.window_helpers import WAIT_MS, Recorder, ask_answers, open_window

EPOCHS = 3


def finish_a_run(qtbot, window, changes: dict) -> None:
    window.apply_changes({"train.epochs": EPOCHS, **changes})
    count = len(window.history.runs)
    window.play_action.trigger()
    qtbot.waitUntil(lambda: window.session.state == FINISHED and len(window.history.runs) == count + 1,
                    timeout=WAIT_MS)


def test_a_finished_run_is_kept_with_its_final_figures(qtbot, settings):
    window = open_window(qtbot, settings)
    recorder = Recorder(window)
    finish_a_run(qtbot, window, {"optim.name": "adam"})
    (run,) = window.history.runs
    last = recorder.of("epoch", window.session.run)[-1]
    assert run.final["train_loss"] == last["train_loss"] and run.final["val_acc"] == last["val_acc"]
    assert run.curves["epoch"] == list(range(EPOCHS + 1)) and run.end == "completed"
    assert run.settings.startswith("adam") and "circle" in run.settings
    row = window.history.tree.topLevelItem(0)
    assert row.text(0) == f"{run.name}\n{run.settings}"  # the settings under the name, in sight in a narrow dock


def test_a_pinned_run_stays_under_the_next_runs_curves_until_unpinned_or_deleted(qtbot, settings):
    window = open_window(qtbot, settings)
    finish_a_run(qtbot, window, {"optim.lr": 0.3})
    (first,) = window.history.runs
    window.history.pin(first)
    x, y = window.metrics.baseline_data(first.name, "train_loss")
    assert list(x) == first.curves["epoch"] and np.allclose(y, first.curves["train_loss"])
    finish_a_run(qtbot, window, {"optim.lr": 0.003})  # a new run: the baseline stays beneath it
    assert window.history.runs[1] is first and window.history.pinned_runs() == [first]
    assert len(window.metrics.baseline_data(first.name, "train_loss")[0]) == EPOCHS + 1
    assert len(window.metrics.curve_data("train_loss")[0]) == EPOCHS + 1  # and the live run drawn above it
    title = window.metrics.loss_plot.getPlotItem().titleLabel
    assert "pinned" in title.text  # the legend says what the pale lines are
    window.history.pin(first, False)
    assert window.metrics._baselines == [] and "pinned" not in title.text
    window.history.pin(first)
    window.history.select(first)
    qtbot.mouseClick(window.history.delete_button, Qt.MouseButton.LeftButton)
    assert first not in window.history.runs and window.metrics._baselines == []


def test_open_brings_a_finished_runs_experiment_back_undoably(qtbot, settings):
    window = open_window(qtbot, settings)
    finish_a_run(qtbot, window, {"optim.name": "rmsprop"})
    window.apply_changes({"optim.name": "sgd"})
    window.history.select(window.history.runs[0])
    qtbot.mouseClick(window.history.open_button, Qt.MouseButton.LeftButton)
    assert window.experiment.optim.name == "rmsprop" and window.experiment.title == window.history.runs[0].name
    window.undo_action.trigger()
    assert window.experiment.optim.name == "sgd"


def test_the_history_is_saved_and_read_back_and_a_broken_file_changes_nothing(qtbot, settings, tmp_path):
    window = open_window(qtbot, settings)
    finish_a_run(qtbot, window, {"optim.name": "adam"})
    finish_a_run(qtbot, window, {"optim.name": "momentum"})
    path = tmp_path / "mine.runs.json"
    assert window.save_history_path(path)
    saved = [(run.name, run.settings, run.end, run.experiment, run.curves) for run in window.history.runs]
    names = [name for name, *_ in saved]
    window.history.runs.clear()  # a new session's empty history
    assert window.open_history_path(path)
    assert [(run.name, run.settings, run.end, run.experiment, run.curves) for run in window.history.runs] == saved
    broken = tmp_path / "broken.runs.json"
    broken.write_text('{"format": "playground-runs/1", "runs": [{"name": "x"}]}')
    assert not window.open_history_path(broken)
    assert "broken.runs.json: run 1" in window.banner.message() and [r.name for r in window.history.runs] == names


def test_a_comparisons_runs_land_in_the_history(qtbot, settings):
    window = open_window(qtbot, settings)
    runs = vary(window.experiment.with_changes({"train.epochs": EPOCHS}), "optim.name", ["sgd", "adam"])
    window.start_comparison(runs, "optim.name")
    qtbot.waitUntil(lambda: len(window.history.runs) == 2, timeout=WAIT_MS)
    assert sorted(run.name.split(" ")[0] for run in window.history.runs) == ["adam", "sgd"]
    assert all(run.curves["epoch"][-1] == EPOCHS for run in window.history.runs)


def test_saving_the_experiment_saves_its_runs_beside_it_when_asked_and_opening_brings_them_back(
        qtbot, settings, tmp_path):
    window = open_window(qtbot, settings)
    finish_a_run(qtbot, window, {"optim.name": "adam"})
    asked = ask_answers(window, False)
    assert window.save_path(tmp_path / "plain.json")
    assert "1 finished run" in asked[0] and not (tmp_path / "plain.runs.json").exists()  # not asked for: not written
    ask_answers(window, True)
    assert window.save_path(tmp_path / "mine.json")
    assert (tmp_path / "mine.runs.json").is_file()
    saved = [(run.name, run.settings, run.curves) for run in window.history.runs]

    other = open_window(qtbot, settings)  # another session: an empty list
    assert other.open_path(tmp_path / "mine.json")
    assert [(run.name, run.settings, run.curves) for run in other.history.runs] == saved
    assert other.open_path(tmp_path / "mine.json")  # opened again: its runs are listed once
    assert len(other.history.runs) == len(saved)
    assert other.experiment.to_dict() == window.experiment.to_dict()
    (tmp_path / "mine.runs.json").write_text("{not json")  # a broken history: the experiment still opens
    third = open_window(qtbot, settings)
    assert third.open_path(tmp_path / "mine.json") and not third.history.runs
    assert "mine.runs.json" in third.banner.message()
