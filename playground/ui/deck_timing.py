"""``playground lecture check --window``: each step of a deck opened in the window as a lecturer
opens it (Right), timed from the key to the end of its run (of all its runs, in a step that compares runs).

The headless check says each phenomenon is there after the step's epochs; this says how long a room
waits for it with the window drawing, the training process and its start-up included. Seconds on
this machine, printed, not asserted: machines are shared and noisy.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

from playground.core.lecture import Deck

STEP_LIMIT_S = 60.0  # a step whose run has not ended by then is reported as such, and the walk goes on


def run_deck_timing(deck: Deck, out: TextIO = sys.stdout) -> float:
    """Prints one line per step; returns the slowest step's seconds."""
    if not os.environ.get("DISPLAY") and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QSettings, QTemporaryDir, QTimer, qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    from playground.ui.bench import quiet
    from playground.ui.session import FINISHED
    from playground.ui.window import MainWindow

    qInstallMessageHandler(quiet)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    scratch = QTemporaryDir()
    window = MainWindow(settings=QSettings(scratch.filePath("settings.ini"), QSettings.Format.IniFormat))
    window.resize(1280, 720)
    window.show()
    width = max(len(step.id) for step in deck.steps)
    times: list[float] = []
    opened = [time.monotonic()]

    def poll() -> None:
        number = window.lecture.index + 1
        took = time.monotonic() - opened[0]
        runs = window.run_set
        if window.lecture.step.runs:  # every run of the comparison
            ended = runs.all_ended
            reason = f"{len(runs.sessions)} runs ended"
            epoch = max((session.at_epoch for session in runs.sessions.values()), default=0)
        else:
            ended = window.session.state == FINISHED and window._end is not None
            reason, epoch = (window._end or {}).get("reason"), window.session.at_epoch
        if ended or took > STEP_LIMIT_S:
            reason = reason if ended else f"not ended after {STEP_LIMIT_S:.0f} s"
            times.append(took)
            print(f"{number:>2} {window.lecture.step.id:<{width}}  {took:5.1f} s  {reason}, epoch {epoch}",
                  file=out, flush=True)
            if number == len(deck.steps):
                app.exit()
                return
            opened[0] = time.monotonic()
            window.lecture.next()
        QTimer.singleShot(10, poll)

    window.lecture.show_deck(deck)
    opened[0] = time.monotonic()
    QTimer.singleShot(10, poll)
    app.exec()
    window.close()
    print(f"slowest step: {max(times):.1f} s from opening it to the end of its run", file=out)
    return max(times)
