"""The coach in the window: its advice in the banner, with the fix one click away."""

from __future__ import annotations

from PySide6.QtCore import Qt

from playground.ui.session import FINISHED
from tests.ui.window_helpers import WAIT_MS, Recorder, open_window


def test_the_coachs_fix_is_one_click_away(qtbot, settings):
    """LR 3 diverges: the banner says why and offers the coach's fix, LR 0.3, which is applied (and
    undoable) with one click, and the run then trains without the advice."""
    window = open_window(qtbot, settings, "lr_too_high")
    recorder = Recorder(window)
    window.play_action.trigger()
    qtbot.waitUntil(lambda: window.session.state == FINISHED, timeout=WAIT_MS)
    assert recorder.of("advice", window.session.run)[-1]["rule"] == "diverging"  # the latest is offered
    fix = next(b for b in window.banner.actions() if b.text().startswith("Try"))
    assert fix.text() == "Try lr = 0.3"
    qtbot.mouseClick(fix, Qt.MouseButton.LeftButton)
    assert window.experiment.optim.lr == 0.3
    window.play_action.trigger()
    qtbot.waitUntil(lambda: window.session.state == FINISHED, timeout=WAIT_MS)
    assert window._end["reason"] == "completed" and not recorder.of("advice", window.session.run)
