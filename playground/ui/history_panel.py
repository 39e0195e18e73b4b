"""The run history: every finished run of the window (and of its comparisons), newest first.

A row says the run's name, its settings in a line, its final figures and how it ended. Its check
box pins it as a faint baseline under the live curves; Open brings its experiment back (undoable);
Delete forgets it; Save and Open history write and read a ``.runs.json`` file. The panel holds
the list; the window says what to do with a pin or an open.
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QGridLayout, QHeaderView, QPushButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout,
                               QWidget)

from playground.core.run_history import MAX_RUNS, FinishedRun
from playground.ui import colors
from playground.ui.plots.style import swatch
from playground.ui.run_set import RUN_COLORS

COLUMNS = ("Run", "Train loss", "Val acc")
# not the live curves' blue and vermillion (train, validation): a baseline must not pass for the run
BASELINE_COLORS = [c for c in RUN_COLORS if c not in (colors.TRAIN, colors.VALIDATION)]


def figure(value, percent: bool = False) -> str:
    if value is None:
        return "–"
    return f"{100 * value:.1f}%" if percent else f"{value:.4g}"


class HistoryPanel(QWidget):
    """``pinned(runs)`` when the pinned set changes; ``open_requested(run)`` on Open."""

    pinned = Signal(list)
    open_requested = Signal(object)
    save_requested = Signal()
    load_requested = Signal()

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.setObjectName("history_panel")
        self.runs: list[FinishedRun] = []
        self._pinned: list[FinishedRun] = []  # in the order they were pinned: their colours
        self.tree = QTreeWidget()
        self.tree.setObjectName("history_list")
        self.tree.setRootIsDecorated(False)
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # the name over the settings, in what the figures leave of a narrow dock (settings in a column of
        # their own sat out of sight, behind a horizontal scroll); a run that did not complete says so
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setStretchLastSection(False)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.tree.setToolTip("Finished runs, newest first. Tick one to pin it as a faint baseline under the live "
                             "curves; Open brings its experiment back.")
        self.tree.itemChanged.connect(self._on_item_changed)
        self.tree.itemDoubleClicked.connect(lambda item: self.open_requested.emit(self._run_of(item)))
        buttons = QGridLayout()
        self.open_button = self._button("history_open", "Open", "Open the selected run's experiment (Ctrl+Z goes "
                                        "back)", lambda: self._selected() and self.open_requested.emit(self._selected()))
        self.delete_button = self._button("history_delete", "Delete", "Forget the selected run",
                                          self.delete_selected)
        self.save_button = self._button("history_save", "Save…", "Save these runs to a .runs.json file",
                                        self.save_requested.emit)
        self.load_button = self._button("history_load", "Open file…", "Add the runs of a .runs.json file",
                                        self.load_requested.emit)
        for i, button in enumerate((self.open_button, self.delete_button, self.save_button, self.load_button)):
            buttons.addWidget(button, i // 2, i % 2)  # two by two: the dock stays as narrow as the others
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)

    @staticmethod
    def _button(name: str, text: str, tip: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    def add(self, run: FinishedRun) -> None:
        """Newest first; beyond MAX_RUNS the oldest unpinned one goes."""
        self.runs.insert(0, run)
        if len(self.runs) > MAX_RUNS:
            oldest = next((r for r in reversed(self.runs) if r not in self._pinned), self.runs[-1])
            self.runs.remove(oldest)
            if oldest in self._pinned:
                self._pinned.remove(oldest)
                self.pinned.emit(self.pinned_runs())
        self._show()

    def extend(self, runs: list[FinishedRun]) -> None:
        for run in runs:
            self.add(run)

    def delete_selected(self) -> None:
        run = self._selected()
        if run is None:
            return
        self.runs.remove(run)
        was_pinned = run in self._pinned
        if was_pinned:
            self._pinned.remove(run)
        self._show()
        if was_pinned:
            self.pinned.emit(self.pinned_runs())

    def pin(self, run: FinishedRun, on: bool = True) -> None:
        item = self.tree.topLevelItem(self.runs.index(run))
        item.setCheckState(0, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def pinned_runs(self) -> list[FinishedRun]:
        return list(self._pinned)

    def color(self, run: FinishedRun) -> str:
        """A pinned run's colour: by its place among the pinned ones."""
        return BASELINE_COLORS[self._pinned.index(run) % len(BASELINE_COLORS)]

    def select(self, run: FinishedRun) -> None:
        self.tree.setCurrentItem(self.tree.topLevelItem(self.runs.index(run)))

    def _show(self) -> None:
        self.tree.blockSignals(True)
        self.tree.clear()
        for run in self.runs:
            final = run.final
            title = run.name if run.end == "completed" else f"{run.name} ({run.end})"
            item = QTreeWidgetItem([f"{title}\n{run.settings}", figure(final.get("train_loss")),
                                    figure(final.get("val_acc"), True)])
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(0, Qt.CheckState.Checked if run in self._pinned else Qt.CheckState.Unchecked)
            item.setToolTip(0, f"{run.name}\n{run.settings}\nTick to pin it as a faint baseline under the live "
                               "curves")
            self.tree.addTopLevelItem(item)
        self.tree.blockSignals(False)
        self._recolor()

    def _recolor(self) -> None:
        for i, run in enumerate(self.runs):
            self.tree.topLevelItem(i).setIcon(0, swatch(self.color(run) if run in self._pinned else None))

    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if column != 0:
            return
        run, on = self._run_of(item), item.checkState(0) == Qt.CheckState.Checked
        if on == (run in self._pinned):
            return
        self._pinned.append(run) if on else self._pinned.remove(run)
        self.tree.blockSignals(True)
        self._recolor()
        self.tree.blockSignals(False)
        self.pinned.emit(self.pinned_runs())

    def _selected(self) -> Optional[FinishedRun]:
        item = self.tree.currentItem()
        return self._run_of(item) if item is not None else None

    def _run_of(self, item: QTreeWidgetItem) -> FinishedRun:
        return self.runs[self.tree.indexOfTopLevelItem(item)]
