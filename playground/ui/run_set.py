"""Runs side by side: 2 to 8 experiments training at once, each in a training process of its own.

Each run is a ``TrainingSession`` (a process from the fork server that has torch imported, so it is
ready in a fraction of a second), without the pictures of the network a single run gets. Their
records come out as ``records(name, records)``; Play, Pause, Step and Reset act on all of them. The
operating system shares the cores between the processes: six runs on two cores take about three
times one run, not six.
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QObject, Signal

from playground.core.spec import Experiment
from playground.ui.session import FINISHED, RUNNING, TrainingSession

NICE = 5  # the runs' processes yield to the window's: six of them on two cores would make it stutter
# Okabe-Ito and two more: distinct for colour-blind viewers, dark enough on white and a projector
RUN_COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000", "#E69F00", "#56B4E9", "#8C564B"]


class RunSet(QObject):
    """The runs of one comparison; ``records(name, records)`` as each session reports, ``ended``
    once every run has ended."""

    records = Signal(str, list)
    run_finished = Signal(str, object, list, str)  # name, experiment, its epoch records, how it ended
    ended = Signal()

    def __init__(self, parent: Optional[QObject] = None):
        super().__init__(parent)
        self.runs: list[tuple[str, Experiment]] = []
        self.sessions: dict[str, TrainingSession] = {}
        self._ended: set[str] = set()
        self._epochs: dict[str, list] = {}

    @property
    def active(self) -> bool:
        return bool(self.sessions)

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.runs]

    def color(self, name: str) -> str:
        return RUN_COLORS[self.names.index(name) % len(RUN_COLORS)]

    @property
    def all_ended(self) -> bool:
        return bool(self.sessions) and len(self._ended) == len(self.sessions)

    @property
    def running(self) -> bool:
        return any(session.state == RUNNING for session in self.sessions.values())

    def start(self, runs: list[tuple[str, Experiment]], running: bool = True) -> None:
        """Train ``runs`` from epoch 0; a comparison under way ends first."""
        self.stop()
        self.runs = list(runs)
        self._ended = set()
        self._epochs = {}
        for name, exp in self.runs:
            session = TrainingSession(self, pictures=False, nice=NICE)
            session.records.connect(lambda records, n=name: self._on_records(n, records))
            session.load(exp, running=running)
            self.sessions[name] = session

    def _on_records(self, name: str, records: list) -> None:
        self.records.emit(name, records)
        self._epochs.setdefault(name, []).extend(r for r in records if r["type"] == "epoch")
        end = next((r for r in records if r["type"] == "end"), None)
        if end is not None:
            self._ended.add(name)
            self.run_finished.emit(name, dict(self.runs)[name], self._epochs.pop(name, []), end["reason"])
            if len(self._ended) == len(self.sessions):
                self.ended.emit()

    def play(self) -> None:
        for session in self.sessions.values():
            if session.state != FINISHED:
                session.play()

    def pause(self) -> None:
        for session in self.sessions.values():
            session.pause()

    def step(self) -> None:
        for session in self.sessions.values():
            session.step()

    def reset(self, running: bool = False) -> None:
        """New weights from the same seeds, back to epoch 0, every run."""
        self._ended = set()
        self._epochs = {}
        for name, exp in self.runs:
            self.sessions[name].load(exp, running=running)

    def stop(self) -> None:
        """End every run's process (the window closes, or another comparison starts)."""
        for session in self.sessions.values():
            session.shutdown()
            session.deleteLater()
        self.sessions = {}
        self.runs = []
