"""A transfer run's yardstick: the same experiment from scratch, trained side by side.

It trains in a training process of its own (the window's run keeps its speed on the other core),
from the same seed, data and head initialization, and its epoch records are drawn dashed over the
run's curves. Play, Pause and Step drive both; a new run of the window ends it.
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import QObject

from playground.core.errors import SpecError
from playground.core.spec import Experiment
from playground.ui.plots.metrics import MetricsPlots
from playground.ui.session import TrainingSession

NAME = "from scratch"


def scratch_variant(exp: Experiment) -> Experiment:
    """Fresh weights of the same architecture, everything at the full LR (validated like any edit)."""
    if not exp.transfer.enabled:
        raise SpecError("transfer.backbone", "choose a backbone first: scratch is compared with a pretrained start")
    return exp.with_changes({"transfer.strategy": "scratch", "transfer.head_epochs": 0})


class ScratchComparison(QObject):
    def __init__(self, metrics: MetricsPlots, parent: Optional[QObject] = None):
        super().__init__(parent)
        self.metrics = metrics
        self.session: Optional[TrainingSession] = None

    @property
    def active(self) -> bool:
        return self.session is not None

    def start(self, exp: Experiment, running: bool) -> None:
        """Train the scratch variant of ``exp`` from epoch 0 (a comparison under way starts over)."""
        variant = scratch_variant(exp)
        self.metrics.clear_companion()
        if self.session is None:
            self.session = TrainingSession(self)
            self.session.records.connect(lambda records: self.metrics.add_companion(records, NAME))
        self.session.load(variant, running=running)

    def stop(self) -> None:
        """End the comparison: its process goes, its curves with it."""
        if self.session is not None:
            self.session.shutdown()
            self.session.deleteLater()
            self.session = None
            self.metrics.clear_companion()

    def play(self) -> None:
        if self.session is not None:
            self.session.play()

    def pause(self) -> None:
        if self.session is not None:
            self.session.pause()

    def step(self) -> None:
        if self.session is not None:
            self.session.step()
