"""What the window tests share: a window on a scratch settings file, and waiting on what the
training process reports (the session's records signal, received in the GUI thread)."""

from __future__ import annotations

from typing import Callable, Optional

from PySide6.QtWidgets import QApplication

from playground.core.presets import load_experiment
from playground.ui.window import MainWindow

WAIT_MS = 60_000  # generous: CI machines are shared


def open_window(qtbot, settings, preset: Optional[str] = "default", size=(1280, 720)) -> MainWindow:
    window = MainWindow(load_experiment(preset) if preset else None, settings=settings)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()  # window shortcuts act in the active window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT_MS)
    return window


class Recorder:
    """Every record the window's views get, in order."""

    def __init__(self, window: MainWindow):
        self.records: list[dict] = []
        window.session.records.connect(self.records.extend)

    def of(self, kind: str, run: Optional[int] = None) -> list[dict]:
        return [r for r in self.records if r["type"] == kind and (run is None or r.get("run") == run)]

    def wait(self, qtbot, predicate: Callable[[], bool], timeout: int = WAIT_MS) -> None:
        qtbot.waitUntil(predicate, timeout=timeout)


def wait_ready(qtbot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.session.ready, timeout=WAIT_MS)


def ask_answers(window: MainWindow, answer: bool) -> list[str]:
    """Answer the window's questions without a dialog; returns the questions asked."""
    asked: list[str] = []

    def ask(title, text, yes, no):
        asked.append(text)
        return answer
    window.ask = ask
    return asked
