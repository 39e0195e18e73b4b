"""The few-shot sweep from the window: accuracy against labelled examples per class, per strategy.

The sweep (core/sweep.py) runs in a thread of the window's process that only hands out work: the
runs train in processes of their own (so this process still never imports torch), and each result
reaches the plot through a queued signal as it ends. Closing the dialog stops the sweep.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Optional

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QCheckBox, QDialog, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit,
                               QProgressBar, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from playground.core.backbones import STRATEGIES
from playground.core.errors import SpecError
from playground.core.spec import Experiment
from playground.core.sweep import parse_per_class, run_sweep
from playground.ui.forms import hint_label, rich_tip
from playground.ui.plots.sweep import SweepPlot

DEFAULT_PER_CLASS = "1, 5, 20, all"
SWEEP_TIP = ("Each strategy is trained with 1, 5, 20 ... labelled examples per class (all: the whole "
             "training split), once per seed, and its final validation accuracy is drawn: the lecture's "
             "table of when to freeze and when to fine-tune, measured.")


class _Relay(QObject):
    """Carries the sweep thread's news to the GUI thread (signals across threads are queued)."""

    row = Signal(object)
    done = Signal(object, str)  # the result (or None), and an error text


class SweepDialog(QDialog):
    def __init__(self, experiment: Experiment, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.setObjectName("sweep_dialog")
        self.setWindowTitle("Few-shot sweep")
        self.experiment = experiment
        self.result = None
        self._stop: Optional[threading.Event] = None
        self._thread: Optional[threading.Thread] = None
        self._total = 0
        self._relay = _Relay(self)
        self._relay.row.connect(self._on_row)
        self._relay.done.connect(self._on_done)

        self.per_class = QLineEdit(DEFAULT_PER_CLASS)
        self.per_class.setObjectName("per_class")
        self.per_class.setToolTip("Labelled training examples per class, comma-separated; all = the whole split")
        self.seeds = QSpinBox()
        self.seeds.setObjectName("seeds")
        self.seeds.setRange(1, 20)
        self.seeds.setValue(3)
        self.seeds.setToolTip("Runs per cell, each with its own data split and initial weights: the error bars")
        self.strategies = {}
        row = QHBoxLayout()
        row.addWidget(QLabel("per class:"))
        row.addWidget(self.per_class, 1)
        row.addWidget(QLabel("seeds:"))
        row.addWidget(self.seeds)
        choices = QHBoxLayout()
        for entry in STRATEGIES:
            box = QCheckBox(entry.label.split(" (")[0])
            box.setObjectName(f"sweep_{entry.name}")
            box.setChecked(True)
            box.setToolTip(rich_tip(entry.label, entry.tip))
            self.strategies[entry.name] = box
            choices.addWidget(box)
        choices.addStretch(1)
        self.run_button = QPushButton("Run")
        self.run_button.setObjectName("sweep_run")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.toggle)
        self.save_button = QPushButton("Save PNG…")
        self.save_button.setObjectName("sweep_save")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save_dialog)
        self.progress = QProgressBar()
        self.progress.setObjectName("sweep_progress")
        self.status = hint_label(f"{SWEEP_TIP} Every run uses this experiment's epochs and LR.", "sweep_status")
        self.plot = SweepPlot()
        self.plot.setMinimumSize(560, 340)
        self.table = QPlainTextEdit()
        self.table.setObjectName("sweep_table")
        self.table.setReadOnly(True)
        self.table.setFont(QFont("monospace"))
        self.table.setMaximumHeight(130)
        buttons = QHBoxLayout()
        buttons.addWidget(self.progress, 1)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addLayout(choices)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.table)
        self.resize(820, 680)

    # -- running -------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def toggle(self) -> None:
        if self.running:
            self.stop()
        else:
            self.start()

    def start(self) -> bool:
        try:
            per_class = parse_per_class(self.per_class.text())
        except SpecError as e:
            self.status.setText(str(e))
            return False
        strategies = [name for name, box in self.strategies.items() if box.isChecked()]
        if not strategies:
            self.status.setText("Choose at least one strategy.")
            return False
        seeds = self.seeds.value()
        self._total = len(per_class) * len(strategies) * seeds
        self.plot.set_plan(strategies, per_class, seeds, self.experiment.to_dict())
        self.progress.setRange(0, self._total)
        self.progress.setValue(0)
        self.table.clear()
        self.status.setText(f"Training {self._total} runs in processes of their own …")
        self._stop = threading.Event()
        stop, relay, exp = self._stop, self._relay, self.experiment

        def work() -> None:
            try:
                result = run_sweep(exp, per_class, strategies, seeds, relay.row.emit, workers=2, stop=stop)
                relay.done.emit(result, "")
            except (SpecError, RuntimeError, OSError) as e:
                relay.done.emit(None, str(e))

        self._thread = threading.Thread(target=work, name="sweep", daemon=True)
        self._thread.start()
        self.run_button.setText("Stop")
        self.save_button.setEnabled(False)
        return True

    def stop(self) -> None:
        if self._stop is not None:
            self._stop.set()

    def wait(self, timeout: float = 30.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _on_row(self, row) -> None:
        self.plot.add_result(row)
        self.progress.setValue(self.progress.value() + 1)

    def _on_done(self, result, error: str) -> None:
        self.run_button.setText("Run")
        if result is None:
            self.status.setText(f"The sweep stopped: {error}")
            return
        self.result = result
        self.plot.set_result(result)
        self.table.setPlainText(result.table())
        self.save_button.setEnabled(True)
        finished = "" if result.complete else " (stopped early: cells marked * are incomplete)"
        self.status.setText(f"{len(result.rows)} runs in {result.seconds:.0f} s{finished}.")

    # -- saving --------------------------------------------------------------------------------
    def save_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the sweep", str(Path.home() / "sweep.png"), "PNG (*.png)")
        if path:
            self.save(Path(path))

    def save(self, path: Path) -> None:
        """The picture, and the numbers beside it (``.json``) for the table."""
        self.plot.save_png(str(path))
        if self.result is not None:
            path.with_suffix(".json").write_text(self.result.to_json(), encoding="utf-8")
        self.status.setText(f"Saved {path} and {path.with_suffix('.json').name}")

    def done(self, code: int) -> None:  # closing by any means stops the runs: no worker outlives it
        self.stop()
        super().done(code)

