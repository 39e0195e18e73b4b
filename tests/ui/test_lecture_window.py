"""Lecture mode in the window: the presenter's keys, presentation mode in and out, decks with errors,
the coach on the card, every shipped step opening, and the script export."""

from __future__ import annotations

import json

import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontInfo
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel

from playground import cli
from playground.core.lecture import load_deck
from playground.ui.session import FINISHED, PAUSED, RUNNING
from playground.core.presets import load_experiment
from playground.ui.window import MainWindow
from tests.ui.window_helpers import WAIT_MS, open_window, wait_ready


def write_deck(path, steps):
    path.write_text(json.dumps({"deck": 1, "title": "A test lecture", "steps": steps}), encoding="utf-8")
    return path


def small_deck(tmp_path):
    return write_deck(tmp_path / "deck.json", [
        {"id": "start", "title": "Where we start", "text": ["A small ReLU network."], "watch": "The loss curve.",
         "preset": "default", "autoplay": False},
        {"id": "tiny_init", "title": "Weights too small", "text": ["Activations vanish layer after layer."],
         "watch": "The histograms get narrower.", "preset": "init_too_small", "tab": "activations",
         "autoplay": False},
        {"id": "high_lr", "title": "Learning rate too high", "text": ["The loss explodes."],
         "watch": "The loss curve.", "preset": "lr_too_high", "autoplay": False},
    ])


def key(qtbot, window, k, modifier=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(window, k, modifier)


def test_presenter_keys_walk_the_deck_and_drive_training(qtbot, settings, tmp_path):
    window = open_window(qtbot, settings)
    assert window.lecture.open(small_deck(tmp_path))
    assert window.experiment.title == "Where we start" and window.card.isVisible()
    assert window.card.title.text() == "Where we start" and window.step_label.text().strip() == "1 / 3"
    key(qtbot, window, Qt.Key.Key_Right)
    assert window.experiment.title == "Weights too small"
    assert window.plot_tabs.currentIndex() == 1  # the step's tab: the histograms
    assert window.card.number.text() == "2 / 3" and "vanish" in window.card.text.text()
    key(qtbot, window, Qt.Key.Key_PageDown)
    assert window.experiment.title == "Learning rate too high" and window.plot_tabs.currentIndex() == 0
    key(qtbot, window, Qt.Key.Key_Right)  # the last step: nothing after it
    assert window.lecture.index == 2
    key(qtbot, window, Qt.Key.Key_Left)
    key(qtbot, window, Qt.Key.Key_PageUp)
    assert window.lecture.index == 0 and window.experiment.title == "Where we start"
    key(qtbot, window, Qt.Key.Key_3)
    assert window.experiment.title == "Learning rate too high"
    key(qtbot, window, Qt.Key.Key_9)  # no step 9: stays
    assert window.lecture.index == 2
    key(qtbot, window, Qt.Key.Key_1)
    wait_ready(qtbot, window)
    assert window.session.state != RUNNING  # a step that does not autoplay opens paused

    key(qtbot, window, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: window.session.at_step == 1, timeout=WAIT_MS)
    key(qtbot, window, Qt.Key.Key_Space)
    assert window.session.state == RUNNING
    key(qtbot, window, Qt.Key.Key_Space)
    assert window.session.state == PAUSED
    key(qtbot, window, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: window.session.ready and window.session.at_step == 0, timeout=WAIT_MS)

    key(qtbot, window, Qt.Key.Key_B)
    assert window.lecture.blank.isVisible() and window.lecture.blank.geometry() == window.rect()
    key(qtbot, window, Qt.Key.Key_B)
    assert not window.lecture.blank.isVisible()
    key(qtbot, window, Qt.Key.Key_B)
    key(qtbot, window, Qt.Key.Key_Escape)
    assert not window.lecture.blank.isVisible()
    key(qtbot, window, Qt.Key.Key_C)
    assert not window.card.isVisible()
    key(qtbot, window, Qt.Key.Key_Right)  # the card stays hidden from step to step until C again
    assert not window.card.isVisible() and window.card.title.text() == "Weights too small"
    key(qtbot, window, Qt.Key.Key_C)
    assert window.card.isVisible()


def test_without_a_deck_the_presenter_keys_change_nothing(qtbot, settings):
    window = open_window(qtbot, settings)
    before = window.experiment.to_dict()
    for k in (Qt.Key.Key_Right, Qt.Key.Key_PageDown, Qt.Key.Key_2, Qt.Key.Key_C):
        key(qtbot, window, k)
    assert window.experiment.to_dict() == before and not window.card.isVisible()
    assert not any(tool.isVisible() for tool in window.lecture_tools)


def test_escape_leaves_presentation_but_still_reverts_a_half_typed_field(qtbot, settings):
    window = open_window(qtbot, settings)
    field = window.network_panel.defaults["dropout"]
    field.setFocus()
    qtbot.keyClicks(field, "5")
    key(qtbot, field, Qt.Key.Key_Escape)
    assert field.text() == field.text_for(window.experiment.model.dropout)  # the field's own Esc
    key(qtbot, window, Qt.Key.Key_F5)
    key(qtbot, window, Qt.Key.Key_Escape)
    assert not window.presentation.active


def test_a_step_that_autoplays_starts_training_and_its_coach_speaks_on_the_card(qtbot, settings, tmp_path):
    deck = write_deck(tmp_path / "deck.json", [
        {"id": "high_lr", "title": "Learning rate too high", "text": ["The loss explodes."],
         "watch": "The loss curve.", "preset": "lr_too_high"}])
    window = open_window(qtbot, settings)
    window.lecture.open(deck)
    qtbot.waitUntil(lambda: window.session.state == FINISHED, timeout=WAIT_MS)
    assert "Coach:" in window.card.advice() and "learning rate" in window.card.advice().lower()
    assert window.card.fix.isVisible() and window.card.fix.text() == "Try lr = 0.3"
    qtbot.mouseClick(window.card.fix, Qt.MouseButton.LeftButton)
    assert window.experiment.optim.lr == 0.3 and window.card.advice() == ""


def plot_items(window):
    """Every plot of the window: a PlotWidget's, and each of a layout's (the per-layer histograms)."""
    for view in window.findChildren(pg.GraphicsView):
        for item in view.scene().items():
            if isinstance(item, pg.PlotItem):
                yield view, item


def sizes(window):
    """Every axis' tick font in pixels and every curve's pen width, by the object they belong to."""
    ticks, pens = {}, {}
    for view, item in plot_items(window):
        for name in ("left", "bottom"):
            axis = item.getAxis(name)
            ticks[axis] = QFontInfo(axis.style["tickFont"] or axis.font()).pixelSize()
        pens.update({curve: curve.opts["pen"].widthF() for curve in item.listDataItems()
                     if isinstance(curve, pg.PlotDataItem) and curve.opts["pen"].style() != Qt.PenStyle.NoPen})
    return ticks, pens


@pytest.mark.parametrize("scale", [150, 200])
def test_presentation_mode_enlarges_everything_and_esc_restores_the_layout(qtbot, settings, tmp_path, scale):
    window = open_window(qtbot, settings)
    window.lecture.open(small_deck(tmp_path))
    window.presentation.set_scale(scale)
    state, geometry = window.saveState(), window.geometry()
    docks = {d.objectName(): d.isVisible() for d in window.findChildren(QDockWidget)}
    ticks, pens = sizes(window)
    app_pt = QApplication.font().pointSizeF()
    title_pt = window.card.title.font().pointSizeF()

    key(qtbot, window, Qt.Key.Key_F5)
    assert window.presentation.active and window.isFullScreen() and window.present_action.isChecked()
    assert not any(d.isVisible() for d in window.findChildren(QDockWidget))
    assert not window.menuBar().isVisible() and not window.statusBar().isVisible()
    qtbot.waitUntil(lambda: not window.preset_button.isVisible())  # the toolbar lays out at its next event
    assert window.network_panel.isVisible() and window.metrics.isVisible() and window.card.isVisible()
    assert QApplication.font().pointSizeF() == pytest.approx(app_pt * scale / 100)
    assert window.card.title.font().pointSizeF() == pytest.approx(title_pt * scale / 100)
    big_ticks, big_pens = sizes(window)
    big_ticks, big_pens = {a: big_ticks[a] for a in ticks}, {c: big_pens[c] for c in pens}  # plots made since: below
    assert big_ticks == {axis: pytest.approx(px * scale / 100, abs=1) for axis, px in ticks.items()}
    assert min(big_pens.values()) >= 3
    if scale == 200:
        assert min(big_ticks.values()) >= 18  # axis text readable from the back row
    key(qtbot, window, Qt.Key.Key_Right)  # a step whose plots are made while presenting: at scale too
    window.toggle_play()
    qtbot.waitUntil(lambda: len(sizes(window)[1]) > len(pens), timeout=WAIT_MS)  # its layers' curves
    qtbot.wait(700)
    made_presenting = sizes(window)
    assert min(made_presenting[0].values()) >= min(big_ticks.values()) - 1
    assert min(made_presenting[1].values()) >= 3

    key(qtbot, window, Qt.Key.Key_Escape)
    assert not window.presentation.active and not window.isFullScreen()
    assert {d.objectName(): d.isVisible() for d in window.findChildren(QDockWidget)} == docks
    assert window.menuBar().isVisible() and window.statusBar().isVisible() and window.preset_button.isVisible()
    # the window manager (here the offscreen platform) takes the window out of full screen at its pace
    qtbot.waitUntil(lambda: window.geometry() == geometry and window.saveState() == state)
    assert QApplication.font().pointSizeF() == pytest.approx(app_pt)
    assert window.card.title.font().pointSizeF() == pytest.approx(title_pt)
    after_ticks, after_pens = sizes(window)
    assert {axis: after_ticks[axis] for axis in ticks} == ticks  # each back at its own size
    assert {curve: after_pens[curve] for curve in pens} == pens
    assert max(after_ticks.values()) <= max(ticks.values())  # and those made while presenting too


def test_a_lecture_opened_at_start_up_leaves_presentation_with_menus_and_desk_fonts(qtbot, settings):
    """As `playground --lecture` does: presentation mode before the window is first shown. Leaving it
    brings back the menu and status bars, and a banner shown meanwhile (styled by a style sheet)
    back to the desk's font."""
    window = MainWindow(load_experiment("default"), settings=settings)
    qtbot.addWidget(window)
    window.lecture.open("training_neural_networks")
    window.presentation.enter()
    window.show()
    qtbot.waitExposed(window)
    desk_pt = window.presentation.scale and QApplication.font().pointSizeF() * 100 / window.presentation.scale
    window.say_error("Something to say while presenting")
    window.presentation.leave()
    assert window.menuBar().isVisible() and window.statusBar().isVisible()
    assert window.banner.text.font().pointSizeF() == pytest.approx(desk_pt)
    caption = window.network_panel.input_column.findChild(QLabel)  # bold: a font of its own, its size not
    assert caption.text() == "Input" and caption.font().pointSizeF() == pytest.approx(desk_pt)


def test_a_deck_with_an_error_names_the_step_and_field_and_changes_nothing(qtbot, settings, tmp_path):
    window = open_window(qtbot, settings)
    window.lecture.open(small_deck(tmp_path))
    key(qtbot, window, Qt.Key.Key_Right)
    experiment = window.experiment.to_dict()
    bad = write_deck(tmp_path / "bad.json", [
        {"id": "fine", "title": "Fine", "text": ["ok"], "watch": "Nothing.", "preset": "default"},
        {"id": "broken", "title": "Broken", "text": ["no"], "watch": "Nothing.", "preset": "default",
         "set": {"optim.lr": -1}}])
    assert not window.lecture.open(bad)
    said = window.banner.message()
    assert "bad.json" in said and "step 2" in said and "optim.lr" in said
    assert window.experiment.to_dict() == experiment
    assert window.lecture.deck.title == "A test lecture" and window.lecture.index == 1


def test_every_step_of_the_shipped_deck_opens_in_the_window(qtbot, settings):
    deck = load_deck("training_neural_networks")
    window = open_window(qtbot, settings)
    window.lecture.open("training_neural_networks")
    for number, step in enumerate(deck.steps, 1):
        if number > 1:
            key(qtbot, window, Qt.Key.Key_Right)
        assert window.lecture.index == number - 1
        assert window.experiment.to_dict() == step.experiment.to_dict()
        assert window.card.title.text() == step.title and window.banner.level != "error"
        assert window.run_set.names == [name for name, _ in step.runs]  # a comparison only in its own step
    wait_ready(qtbot, window)
    window.session.pause()


def test_a_step_that_compares_runs_trains_them_side_by_side_and_the_next_step_ends_them(qtbot, settings):
    deck = load_deck("training_neural_networks")
    window = open_window(qtbot, settings)
    window.lecture.open("training_neural_networks")
    trio = [step.id for step in deck.steps].index("lr_trio")
    key(qtbot, window, Qt.Key.Key_9)  # step 9, then Right to it (step 15)
    while window.lecture.index < trio:
        key(qtbot, window, Qt.Key.Key_Right)
    assert window.plot_tabs.currentIndex() == 3 and window.runs_view.title.text() == "Three learning rates side by side"
    assert window.runs_view.shown() == ["lr=0.0001", "lr=0.1", "lr=3"] and window.session.state != RUNNING
    qtbot.waitUntil(lambda: window.run_set.all_ended, timeout=WAIT_MS)  # autoplay: they train at once
    assert window.history.runs[0].name.startswith("lr=") and any(r.end == "diverged" for r in window.history.runs)
    sessions = list(window.run_set.sessions.values())
    key(qtbot, window, Qt.Key.Key_Right)  # the next step: its own run again, the comparison's processes gone
    assert not window.run_set.active and not any(s.alive for s in sessions)
    assert window.plot_tabs.currentIndex() == 0 and window.session.state == RUNNING
    window.session.pause()


def test_a_broken_deck_on_the_command_line_is_one_line(tmp_path, capsys):
    bad = write_deck(tmp_path / "bad.json", [{"id": "x", "title": "X", "text": ["x"], "watch": "",
                                             "preset": "no_such_preset"}])
    assert cli.main(["--lecture", str(bad), "--exit-after", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bad.json" in err and "step 1" in err


def test_file_export_script_writes_the_script_without_blocking(qtbot, settings, tmp_path):
    window = open_window(qtbot, settings)
    target = tmp_path / "train.py"
    with qtbot.waitSignal(window.script_export.done, timeout=WAIT_MS) as done:
        window.export_script_path(target)
        assert window.script_export.busy  # the window went on while it is written
    assert done.args == [str(target)]
    assert "import torch" in target.read_text() and str(target) in window.banner.message()


def test_an_export_that_fails_says_why(qtbot, settings, tmp_path):
    window = open_window(qtbot, settings)
    with qtbot.waitSignal(window.script_export.failed, timeout=WAIT_MS) as failed:
        window.export_script_path(tmp_path / "no_such_folder" / "train.py")
    assert "Could not export" in failed.args[0] and window.banner.level == "error"


def test_lecture_check_window_times_each_step_in_the_window(tmp_path, capsys, qapp):
    deck = write_deck(tmp_path / "deck.json", [
        {"id": "first", "title": "First", "text": ["one"], "watch": "The loss.", "preset": "default",
         "set": {"train.epochs": 3}},
        {"id": "second", "title": "Second", "text": ["two"], "watch": "The loss.", "preset": "lr_too_high"}])
    assert cli.main(["lecture", "check", str(deck), "--window"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split()[:2] == ["1", "first"] and lines[0].endswith("completed, epoch 3")
    assert lines[1].split()[:2] == ["2", "second"] and "diverged" in lines[1]
    assert lines[2].startswith("slowest step: ")


def test_the_loss_surfaces_tab_races_and_its_process_ends_with_the_window(qtbot, settings):
    window = open_window(qtbot, settings)
    key(qtbot, window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.plot_tabs.currentIndex() == 2 and window.surfaces.isVisible()
    window.surfaces.play()
    qtbot.waitUntil(lambda: len(window.surfaces.path_data("momentum")[0]) > 10, timeout=WAIT_MS)
    paths = window.surfaces._process
    assert paths.alive
    window.close()
    assert not paths.alive


def test_a_step_opened_while_presenting_keeps_its_output_header_whole(qtbot, settings):
    """Found walking the deck at 150 %: a digits step opened after a 2D one sized its output column
    for the desk font, and "Output" showed as "Outpu"."""
    window = open_window(qtbot, settings)
    window.lecture.open("training_neural_networks")  # step 1: a 2D problem
    window.presentation.enter()
    qtbot.waitUntil(lambda: window.presentation.active)
    window.lecture.go([step.id for step in window.lecture.deck.steps].index("lr_good"))  # the digits, 10 classes
    column = window.network_panel.output_column
    header = column.header.parentWidget()
    qtbot.waitUntil(lambda: column.width() >= header.sizeHint().width())
    window.presentation.leave()
