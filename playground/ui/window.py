"""The main window: panels that edit one experiment, views that show its training, the toolbar.

The window's ``experiment`` is the one truth: panels propose changes as ``{path: value}``; the
window validates them with ``Experiment.with_changes`` and either adopts the new experiment
(through the undo stack) or shows the old one again with the refused control marked. LR, L1/L2 and
dropout reach the running trainer at its next step; any other change starts a new run of the new
experiment (as TensorFlow Playground does), keeping it running if it was.

Training reports plain records, each tagged with its run (see trainer.py and worker.py); the
session passes on the current run's and the window hands every batch to each view in ``views``
(``add(records)``, ``clear()``), so a new plot is one file and one line.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import pyqtgraph as pg
from PySide6.QtCore import QByteArray, QEvent, QSettings, QStandardPaths, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QLabel, QMainWindow, QMessageBox, QProgressBar,
                               QScrollArea, QSlider, QSplitter, QStackedWidget, QTabWidget,
                               QToolButton, QVBoxLayout, QWidget)
from superqt.utils import WorkerBase

from playground.core.checkpoint_file import CheckpointError, peek_checkpoint
from playground.core.datasets import DATASETS
from playground.core.compare import comparison_info, comparison_names, load_comparison
from playground.core.errors import SpecError
from playground.core.lecture import DeckError, deck_names, load_deck
from playground.core.presets import load_experiment, preset_names
from playground.core.run_history import from_records, history_beside, load_history, save_history
from playground.core.spec import Experiment
from playground.ui.banner import Banner
from playground.ui.comparison import ScratchComparison
from playground.ui.fitting_scroll import FittingScrollArea
from playground.ui.data_panel import DataPanel
from playground.ui.history_panel import HistoryPanel
from playground.ui.lecture_card import LectureCard
from playground.ui.lecture_mode import LectureMode
from playground.ui.network import NetworkPanel
from playground.ui.pictures_export import add_picture_actions, copy_picture, save_picture
from playground.ui.plots import BoundaryView, ImageView, MetricsPlots, ProbePlots
from playground.ui.plots.runs import RunsPlots
from playground.ui.plots.surface import SurfaceView
from playground.ui.presentation import SCALES, Presentation
from playground.ui.recorder import Recorder
from playground.ui.run_set import RUN_COLORS, RunSet
from playground.ui.script_export import ScriptExport
from playground.ui.session import FINISHED, LIVE_PATHS, PAUSED, READY, RUNNING, TrainingSession
from playground.ui.training_panel import TrainingPanel
from playground.ui.transfer_panel import TransferPanel, backbone_changes

# which sections of the experiment each panel shows; a panel is refreshed only when its part changes
PANEL_SECTIONS = {"data": ("data.", "train.batch_size", "optim.name", "transfer.backbone"),
                  "network": ("model.", "data.name", "data.features", "data.classes", "data.path",
                              "data.image_size", "transfer."),
                  "training": ("optim.", "schedule.", "train.", "data.name"),
                  "transfer": ("transfer.", "data.name", "data.path", "data.preprocess")}
# refused values are marked where they are edited: these on the data panel, transfer.* on its own
DATA_FIELDS = ("data.classes", "data.per_class", "data.path", "data.image_size", "data.preprocess")
# the speed slider: seconds from one step to the next, from slow motion to full speed
SPEEDS = [1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.0]
SETTINGS_ORG, SETTINGS_APP = "playground", "playground"
LAYOUT_VERSION = 5  # bump when the docks change: an older saved layout is then ignored
DOCK_WIDTH = 320  # the panels' column: every control readable, the rest for the network and plots
WIDE_SCREEN = 1600  # logical pixels: narrower screens get the Data and Training docks as tabs on one side
TABS = {"loss": 0, "activations": 1, "surfaces": 2, "runs": 3}
EDITED = " (edited)"
DECLINED = object()  # the user answered no to a question an edit asked
MERGE_S = 1.5  # changes of one live value this close together are one step of the undo history
RECORD_S = 10.0  # the window's recording keeps this many seconds


def speed_text(seconds: float) -> str:
    return "full speed" if seconds == 0 else f"{1 / seconds:g} step{'s' if seconds < 1 else ''}/s"


class ExperimentChange(QUndoCommand):
    """One adopted change of the window's experiment; undo brings the previous one back."""

    def __init__(self, window: "MainWindow", before: Experiment, after: Experiment, changes: dict, text: str,
                 checkpoint: Optional[Path] = None):
        super().__init__(text)
        self.window, self.before, self.after, self.changes = window, before, after, changes
        self.checkpoint = checkpoint
        self.made = time.monotonic()

    def redo(self) -> None:
        self.window._adopt(self.after, self.changes, self.checkpoint)

    def undo(self) -> None:
        self.window._adopt(self.before, self.changes, None)

    def id(self) -> int:
        # consecutive drags of one live value (an LR slider) merge into one step of the history
        return 1 if len(self.changes) == 1 and next(iter(self.changes)) in LIVE_PATHS else -1

    def mergeWith(self, other: "ExperimentChange") -> bool:
        if other.changes.keys() != self.changes.keys() or other.made - self.made > MERGE_S:
            return False
        self.after, self.changes, self.made = other.after, other.changes, other.made
        return True


class MainWindow(QMainWindow):
    def __init__(self, experiment: Optional[Experiment] = None, settings: Optional[QSettings] = None):
        super().__init__()
        self.setWindowTitle("Neural Network Playground")
        self.settings = settings or QSettings(SETTINGS_ORG, SETTINGS_APP)
        self.session = TrainingSession(self)
        self.experiment = experiment or self._last_experiment() or load_experiment("default")
        self._backbone_file: Optional[Path] = None  # "use this network as a backbone": being saved
        self._advice: Optional[dict] = None  # the coach's latest advice on the current run
        self._warning: Optional[str] = None  # the current run's latest warning
        self.sweep = None  # the few-shot sweep's dialog, once opened
        self.recorder = Recorder(self, seconds=RECORD_S, parent=self)
        self.recorder.saved.connect(lambda path: self.statusBar().showMessage(f"Saved the recording: {path}", 15000))
        self.recorder.failed.connect(self.say_error)
        self.run_set = RunSet(self)
        self.run_set.ended.connect(self._on_comparison_ended)
        self.script_export = ScriptExport(self)
        self.script_export.done.connect(self._on_script_written)
        self.script_export.failed.connect(self.say_error)
        self.undo_stack = QUndoStack(self)
        self._end: Optional[dict] = None  # the current run's end record
        self._run_epochs: list[dict] = []  # the current run's epoch records: its curves in the history
        self._finished_count = 0
        self._comparing = ""  # the field the comparison varies
        self._started_at = 0  # the epoch the current run started from (a checkpoint's)
        self._rate_mark = (0.0, 0)
        self._build()
        self._connect()
        self._restore_layout()
        if self.experiment.transfer.enabled:
            self.transfer_dock.raise_()
        self._show_experiment(self.experiment)
        self.session.load(self.experiment)

    # -- building ------------------------------------------------------------------------------
    def _build(self) -> None:
        self.data_panel = DataPanel()
        self.network_panel = NetworkPanel()
        self.training_panel = TrainingPanel()
        self.transfer_panel = TransferPanel()
        self.history = HistoryPanel()
        self.panels = {"data": self.data_panel, "network": self.network_panel, "training": self.training_panel,
                       "transfer": self.transfer_panel}
        self.metrics = MetricsPlots()
        self.comparison = ScratchComparison(self.metrics, self)
        self.probes = ProbePlots()
        self.boundary = BoundaryView()
        self.images = ImageView()
        # everything that shows training: each gets every batch of the current run's records
        self.views = [self.metrics, self.probes, self.boundary, self.images, self.network_panel]
        self.pictures = QStackedWidget()
        self.pictures.addWidget(self.boundary)
        self.pictures.addWidget(self.images)
        self.banner = Banner()
        self.card = LectureCard()

        self.plot_tabs = QTabWidget()
        self.plot_tabs.setObjectName("plot_tabs")
        self.plot_tabs.addTab(self.metrics, "Loss and accuracy")
        probe_scroll = self._scrolled(self.probes, "probe_scroll")
        # always there: a scroll bar that came and went with the network's depth resized every plot
        probe_scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.plot_tabs.addTab(probe_scroll, "Activations and gradients")
        self.plot_tabs.setTabToolTip(0, "Training and validation loss and accuracy, and the learning rate")
        self.plot_tabs.setTabToolTip(1, "Per-layer activation histograms, gradient and update sizes: the lecture's "
                                        "diagnostics for initialization and learning rate")
        self.runs_view = RunsPlots()
        self.surfaces: Optional[SurfaceView] = None  # made when its tab is first shown: most sessions never do
        self._histories_read: set[Path] = set()  # the runs files read beside opened experiments
        # fitted to the tab, scrolled only where the tab is smaller than its controls: it never widens the window
        self.surface_scroll = FittingScrollArea("surface_scroll")
        self.plot_tabs.addTab(self.surface_scroll, "Surfaces")
        self.plot_tabs.currentChanged.connect(self._make_surfaces)
        self.plot_tabs.setTabToolTip(2, "The optimizers racing over two-parameter loss surfaces (a ravine, a saddle, "
                                        "Rosenbrock, a local minimum): the lecture's animated figure, with the "
                                        "optimizers that train the networks")
        self.plot_tabs.addTab(self.runs_view, "Runs")
        self.plot_tabs.setTabToolTip(3, "2 to 8 runs of this experiment that differ in one field, trained side by "
                                        "side, curves overlaid (Run ▸ Compare runs…)")
        self.lower = lower = QSplitter(Qt.Orientation.Horizontal)
        lower.setObjectName("lower_splitter")
        lower.addWidget(self.pictures)
        lower.addWidget(self.plot_tabs)
        lower.setStretchFactor(0, 2)
        lower.setStretchFactor(1, 3)
        self.centre = centre = QSplitter(Qt.Orientation.Vertical)
        centre.setObjectName("centre_splitter")
        centre.addWidget(self.network_panel)
        centre.addWidget(lower)
        centre.setStretchFactor(0, 1)
        centre.setStretchFactor(1, 1)
        centre.setChildrenCollapsible(False)
        holder = QWidget()
        layout = QVBoxLayout(holder)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.banner)
        layout.addWidget(self.card)
        layout.addWidget(centre, 1)
        self.setCentralWidget(holder)

        self.data_dock = self._dock("Data", self.data_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.training_dock = self._dock("Training", self.training_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.transfer_dock = self._dock("Transfer", self.transfer_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.history_dock = self._dock("Runs", self.history, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.training_dock, self.transfer_dock)
        self.tabifyDockWidget(self.training_dock, self.history_dock)
        self.training_dock.raise_()
        self._build_actions()
        self.lecture = LectureMode(self)
        self._build_menus()
        self._build_toolbar()
        self.presentation = Presentation(self, self.settings, self.advanced_tools)
        self.presentation.toggled.connect(self._on_presentation)
        self.lecture.blank.shown.connect(self._enable_escape)
        self._enable_escape()
        for plot in self.findChildren(pg.PlotWidget):  # copy or save any plot from its right-click menu
            if plot.getPlotItem().getViewBox().menu is not None:
                add_picture_actions(plot, self, lambda parent: self._ask_picture_path(parent))
        self.progress = QProgressBar()
        self.progress.setObjectName("progress")
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().showMessage("Ready. Space plays and pauses, S steps, R resets, Ctrl+Z undoes.")
        self._fit_screen()

    @staticmethod
    def _scrolled(widget: QWidget, name: str) -> QScrollArea:
        holder = QScrollArea()
        holder.setObjectName(name)
        holder.setWidgetResizable(True)
        holder.setWidget(widget)
        holder.setFrameShape(QScrollArea.Shape.NoFrame)
        return holder

    def _dock(self, title: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.split()[0].lower()}")
        holder = self._scrolled(widget, f"{dock.objectName()}_scroll")
        holder.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        holder.setMinimumWidth(widget.minimumSizeHint().width() + holder.verticalScrollBar().sizeHint().width() + 4)
        dock.setWidget(holder)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _fit_screen(self) -> None:
        """Open as large as the screen allows, never larger; on a narrow screen (a projector at
        1280x720, or 1920x1080 at 150%) the two docks share one side as tabs."""
        screen = self.screen().availableGeometry()
        if screen.width() < WIDE_SCREEN:
            self.tabifyDockWidget(self.data_dock, self.training_dock)
            self.tabifyDockWidget(self.data_dock, self.transfer_dock)
            self.tabifyDockWidget(self.data_dock, self.history_dock)
            self.data_dock.raise_()
        width, height = min(1600, screen.width()), min(1000, screen.height())
        self.resize(width, height)
        self.centre.setSizes([height * 9 // 20, height * 11 // 20])  # the network gets almost half
        central = width - (DOCK_WIDTH if screen.width() < WIDE_SCREEN else 2 * DOCK_WIDTH)
        self.lower.setSizes([central * 2 // 5, central * 3 // 5])
        docks = [self.data_dock] if screen.width() < WIDE_SCREEN else [self.data_dock, self.training_dock]
        self.resizeDocks(docks, [DOCK_WIDTH] * len(docks), Qt.Orientation.Horizontal)

    def _action(self, text: str, shortcuts, tip: str, slot, name: str = "") -> QAction:
        action = QAction(text, self)
        if name:
            action.setObjectName(name)
        if shortcuts:
            keys = shortcuts if isinstance(shortcuts, list) else [shortcuts]
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            tip = f"{tip} ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work wherever the focus is in the window
        return action

    def _build_actions(self) -> None:
        a = self._action
        self.play_action = a("Play", Qt.Key.Key_Space, "Start or pause training", self.toggle_play, "play")
        self.step_action = a("Step", Qt.Key.Key_S, "Train exactly one batch, then pause: follow one update at a time",
                             self.step, "step")
        self.reset_action = a("Reset", [Qt.Key.Key_R, "Ctrl+R"], "New weights from the same seed, back to epoch 0 "
                              "(the curves start again)", self.reset, "reset")
        self.open_action = a("Open…", QKeySequence.StandardKey.Open, "Open an experiment (.json) or a checkpoint with "
                             "its weights (.safetensors)", self.open_file, "open")
        self.save_action = a("Save…", QKeySequence.StandardKey.Save, "Save the experiment (.json), or it and the "
                             "current weights (.safetensors)", self.save_file, "save")
        self.weights_action = a("Load weights into this network…", "Ctrl+L", "Put the weights of a checkpoint into "
                                "the network shown, if every layer has the same shape", self.load_weights_file,
                                "load_weights")
        self.backbone_action = a("Use this network as a backbone", "Ctrl+B", "Save the trained network and start "
                                 "a transfer experiment on top of it: its blocks become a frozen backbone with a "
                                 "new linear head (then pick the new task's data)", self.use_as_backbone,
                                 "use_as_backbone")
        self.compare_action = a("Compare with scratch", "Ctrl+K", "Train this transfer experiment again, and the "
                                "same network from fresh weights beside it: both curves on one plot",
                                self.compare_with_scratch, "compare")
        self.compare_runs_action = a("Compare runs…", "Ctrl+Shift+K", "Train 2 to 8 runs of this experiment that "
                                     "differ in one field (the optimizer, the LR, dropout...) side by side, their "
                                     "curves overlaid; Play, Pause, Step and Reset drive them all",
                                     self.open_compare_dialog, "compare_runs")
        self.export_action = a("Export script…", "Ctrl+E", "Write this experiment as a standalone PyTorch script "
                               "(data, network, optimizer and loop) that prints the same losses",
                               self.export_script_file, "export_script")
        self.copy_picture_action = a("Copy picture of the window", "Ctrl+Shift+C", "The whole window to the "
                                     "clipboard, as an image and as SVG (a plot's own right-click menu copies "
                                     "just that plot)", lambda: copy_picture(self), "copy_picture")
        self.save_picture_action = a("Save picture of the window…", "Ctrl+Shift+E", "The whole window as PNG "
                                     "or SVG, for slides and notes", self.save_window_picture, "save_picture")
        self.record_action = a("Record the window", "Ctrl+Shift+R", f"Keep the last {RECORD_S:g} seconds of the "
                               "window, to save as an animated GIF (each frame costs the window ~20 ms: off "
                               "unless you want it)", self.toggle_recording, "record")
        self.record_action.setCheckable(True)
        self.save_recording_action = a("Save recording as GIF…", "Ctrl+Shift+G", f"The last {RECORD_S:g} seconds "
                                       "recorded, as an animated GIF", self.save_recording, "save_recording")
        self.quit_action = a("Quit", "Ctrl+Q", "Quit (the experiment is kept for next time)", self.close, "quit")
        self.undo_action = a("Undo", QKeySequence.StandardKey.Undo, "Undo the last change of the experiment",
                             lambda: self._step_history(-1), "undo")
        self.redo_action = a("Redo", [QKeySequence.StandardKey.Redo, "Ctrl+Shift+Z"], "Redo what was undone",
                             lambda: self._step_history(+1), "redo")
        self.undo_stack.canUndoChanged.connect(self.undo_action.setEnabled)
        self.undo_stack.canRedoChanged.connect(self.redo_action.setEnabled)
        # what would be undone goes in the tooltip, not the text: the toolbar's button keeps its width
        self.undo_stack.undoTextChanged.connect(lambda t: self.undo_action.setToolTip(f"Undo {t} (Ctrl+Z)"))
        self.undo_stack.redoTextChanged.connect(lambda t: self.redo_action.setToolTip(f"Redo {t} (Ctrl+Shift+Z)"))
        self.undo_action.setEnabled(False)
        self.redo_action.setEnabled(False)
        self.present_action = a("Presentation mode", Qt.Key.Key_F5, "Full screen, large text and thick lines for a "
                                 "projector, advanced controls hidden (Esc leaves)", self.toggle_presentation,
                                 "presentation")
        self.present_action.setCheckable(True)
        self.escape_action = a("Leave", Qt.Key.Key_Escape, "Back from the blank screen, or out of presentation mode",
                               self.escape, "escape")
        self.bigger_action = a("Larger", ["Ctrl++", "Ctrl+="], "Presentation mode: larger text and lines",
                               lambda: self.set_presentation_scale(+1), "larger")
        self.smaller_action = a("Smaller", "Ctrl+-", "Presentation mode: smaller text and lines",
                                lambda: self.set_presentation_scale(-1), "smaller")
        self.open_lecture_action = a("Open lecture…", "Ctrl+Shift+L", "Open a lecture deck (.json): steps, each an "
                                     "experiment with a card; Right/Left step through it", self.open_lecture_file,
                                     "open_lecture")
        self.tab_actions = [a("Loss and accuracy", "Ctrl+1", "Show the loss, accuracy and learning-rate curves",
                              lambda: self.plot_tabs.setCurrentIndex(0), "tab_loss"),
                            a("Activations and gradients", "Ctrl+2", "Show the per-layer diagnostics",
                              lambda: self.plot_tabs.setCurrentIndex(1), "tab_activations"),
                            a("Loss surfaces", "Ctrl+3", "Show the optimizers racing over a 2D loss surface",
                              lambda: self.plot_tabs.setCurrentIndex(2), "tab_surfaces"),
                            a("Compared runs", "Ctrl+4", "Show the runs of the comparison, overlaid",
                              lambda: self.plot_tabs.setCurrentIndex(3), "tab_runs")]

    def _build_menus(self) -> None:
        bar = self.menuBar()
        files = bar.addMenu("&File")
        for action in (self.open_action, self.save_action, self.weights_action):
            files.addAction(action)
        files.addSeparator()
        files.addAction(self.export_action)
        for action in (self.copy_picture_action, self.save_picture_action, self.record_action,
                       self.save_recording_action):
            files.addAction(action)
        files.addSeparator()
        files.addAction(self.quit_action)
        edit = bar.addMenu("&Edit")
        edit.addAction(self.undo_action)
        edit.addAction(self.redo_action)
        run = bar.addMenu("&Run")
        for action in (self.play_action, self.step_action, self.reset_action):
            run.addAction(action)
        run.addSeparator()
        run.addAction(self.compare_runs_action)
        run.addAction(self.compare_action)
        run.addAction(self.backbone_action)
        self.preset_menu = bar.addMenu("&Presets")
        self.preset_menu.setObjectName("preset_menu")
        self.preset_menu.setToolTipsVisible(True)
        self.preset_menu.aboutToShow.connect(self._fill_presets)
        view = bar.addMenu("&View")
        for action in self.tab_actions:
            view.addAction(action)
        view.addSeparator()
        for dock in (self.data_dock, self.training_dock, self.transfer_dock, self.history_dock):
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        view.addAction(self.present_action)
        scales = view.addMenu("Presentation scale")
        scales.setObjectName("scale_menu")
        scales.aboutToShow.connect(lambda: self._fill_scales(scales))
        lecture = bar.addMenu("&Lecture")
        lecture.setObjectName("lecture_menu")
        lecture.addAction(self.open_lecture_action)
        self.deck_menu = lecture.addMenu("Shipped lectures")
        self.deck_menu.setObjectName("deck_menu")
        self.deck_menu.aboutToShow.connect(self._fill_decks)
        lecture.addSeparator()
        for action in self.lecture.actions():
            lecture.addAction(action)
        lecture.addSeparator()
        lecture.addAction(self.present_action)

    def _fill_scales(self, menu) -> None:
        menu.clear()
        for percent in SCALES:
            action = menu.addAction(f"{percent} %")
            action.setCheckable(True)
            action.setChecked(percent == self.presentation.scale)
            action.triggered.connect(lambda checked=False, p=percent: self.presentation.set_scale(p))

    def _fill_decks(self) -> None:
        """Read the shipped decks when the menu first opens, not at start-up."""
        if self.deck_menu.actions():
            return
        for name in deck_names():
            try:
                deck = load_deck(name)
            except DeckError as e:  # said when chosen, by the lecture's own message
                action = self.deck_menu.addAction(name)
                action.setToolTip(str(e))
            else:
                action = self.deck_menu.addAction(f"{deck.title} ({len(deck.steps)} steps)")
                action.setToolTip(deck.source)
            action.setObjectName(f"deck_{name}")
            action.triggered.connect(lambda checked=False, n=name: self.lecture.open(n))

    def _fill_presets(self) -> None:
        """Read the presets when the menu first opens, not at start-up."""
        if self.preset_menu.actions():
            return
        for name in preset_names():
            exp = load_experiment(name)
            action = self.preset_menu.addAction(exp.title or name)
            action.setObjectName(f"preset_{name}")
            action.setToolTip(exp.description)
            action.triggered.connect(lambda checked=False, n=name: self.open_preset(n))
        self.preset_menu.addSection("Compare runs side by side")
        for name in comparison_names():
            title, description = comparison_info(name)  # its runs are built when it is chosen
            action = self.preset_menu.addAction(title)
            action.setObjectName(f"comparison_{name}")
            action.setToolTip(description)
            action.triggered.connect(lambda checked=False, n=name: self.open_comparison(n))

    def _build_toolbar(self) -> None:
        bar = self.addToolBar("Training")
        bar.setObjectName("toolbar")
        bar.setMovable(False)
        self.play_button = QToolButton()
        self.play_button.setObjectName("play_button")
        self.play_button.setDefaultAction(self.play_action)
        bar.addWidget(self.play_button)
        bar.addAction(self.step_action)
        bar.addAction(self.reset_action)
        bar.addSeparator()
        self.counter_label = QLabel("epoch 0  step 0")
        self.counter_label.setObjectName("counters")
        self.counter_label.setToolTip("Epochs: passes over the training set. Steps: optimizer updates (batches).")
        self.rate_label = QLabel("0 steps/s")
        self.rate_label.setObjectName("rate")
        self.rate_label.setToolTip("Optimizer steps per second, measured over the last half second")
        self._fit_toolbar()
        self.play_button.installEventFilter(self)  # a new font size (presentation mode) refits the toolbar
        bar.addWidget(self.counter_label)
        bar.addWidget(self.rate_label)
        bar.addSeparator()
        speed_box = QWidget()
        speed_row = QVBoxLayout(speed_box)
        speed_row.setContentsMargins(2, 0, 2, 0)
        speed_row.setSpacing(0)
        self.speed = QSlider(Qt.Orientation.Horizontal)
        self.speed.setObjectName("speed")
        self.speed.setRange(0, len(SPEEDS) - 1)
        self.speed.setValue(len(SPEEDS) - 1)
        self.speed.setFixedWidth(110)
        self.speed.setToolTip("From slow motion (one step a second, to explain each update) to full speed")
        self.speed_label = QLabel(speed_text(0.0))
        self.speed_label.setObjectName("speed_label")
        self.speed_label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        small = self.speed_label.font()
        small.setPointSizeF(small.pointSizeF() * 0.85)
        self.speed_label.setFont(small)
        speed_row.addWidget(self.speed)
        speed_row.addWidget(self.speed_label)
        speed_box.setFixedWidth(self.speed.width() + 4)
        bar.addWidget(speed_box)
        bar.addSeparator()
        self.preset_button = QToolButton()
        self.preset_button.setText("Presets")
        self.preset_button.setObjectName("presets")
        self.preset_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.preset_button.setToolTip("Experiments that demonstrate the lecture, one point each")
        self.preset_button.setMenu(self.preset_menu)
        # what presentation mode hides: the lecture's deck replaces the presets and files
        self.advanced_tools = [bar.addWidget(self.preset_button),
                               *(bar.addWidget(self._tool_button(action)) for action in (self.open_action,
                                                                                         self.save_action))]
        bar.addAction(self.undo_action)
        bar.addSeparator()
        self.step_label = QLabel()
        self.step_label.setObjectName("lecture_step")
        self.step_label.setToolTip("The lecture's step shown: Right/PageDown next, Left/PageUp previous, 1-9 jump")
        self.lecture_tools = [bar.addWidget(self._tool_button(self.lecture.previous_action)),
                              bar.addWidget(self.step_label),
                              bar.addWidget(self._tool_button(self.lecture.next_action))]
        bar.addWidget(self._tool_button(self.present_action))
        self.lecture.changed.connect(self._on_lecture_step)
        self._on_lecture_step()

    def eventFilter(self, watched, event) -> bool:
        if watched is self.play_button and event.type() == QEvent.Type.FontChange:
            QTimer.singleShot(0, self._fit_toolbar)  # once the labels beside it have the new font too
        return super().eventFilter(watched, event)

    def _make_surfaces(self, index: int) -> None:
        if index != TABS["surfaces"] or self.surfaces is not None:
            return
        self.surfaces = SurfaceView()
        self.surface_scroll.setWidget(self.surfaces)
        add_picture_actions(self.surfaces.plot, self, lambda parent: self._ask_picture_path(parent))

    def _fit_toolbar(self) -> None:
        """Fixed widths for what changes its text (nothing shifts as it counts), for the font shown."""
        widest = max(self.play_button.fontMetrics().horizontalAdvance(t) for t in ("Play", "Pause", "Continue",
                                                                                   "Start over"))
        self.play_button.setFixedWidth(widest + 24)
        metrics = self.counter_label.fontMetrics()
        self.counter_label.setFixedWidth(metrics.horizontalAdvance("epoch 1000000  step 100000000") + 8)
        self.rate_label.setFixedWidth(metrics.horizontalAdvance("100,000 steps/s") + 8)

    @staticmethod
    def _tool_button(action: QAction) -> QToolButton:
        button = QToolButton()
        button.setObjectName(f"{action.objectName()}_button")
        button.setDefaultAction(action)
        return button

    def _connect(self) -> None:
        self.run_set.records.connect(self.runs_view.add)
        self.run_set.run_finished.connect(self._on_compared_run_finished)
        self.history.pinned.connect(self._on_pinned)
        self.history.open_requested.connect(self._open_finished_run)
        self.history.save_requested.connect(self.save_history_file)
        self.history.load_requested.connect(self.open_history_file)
        for panel in self.panels.values():
            panel.edited.connect(lambda changes, p=panel: self.apply_changes(changes, p))
        self.session.records.connect(self._on_records)
        self.session.state_changed.connect(self._on_state)
        self.transfer_panel.compare_requested.connect(self.compare_with_scratch)
        self.transfer_panel.sweep_requested.connect(self.open_sweep)
        self.speed.valueChanged.connect(self._on_speed)

    # -- the experiment ------------------------------------------------------------------------
    def apply_changes(self, changes: dict, source=None) -> bool:
        """Validate a proposed change; adopt it (undoably) or show the experiment again with the
        refused control marked. Nothing else changes when it is refused."""
        try:
            new = self.experiment.with_changes(changes)
        except SpecError as e:
            adapted = self._adapted(changes, e)
            if adapted is DECLINED:  # the user's own choice, not a mistake: nothing to mark
                self._show_experiment(self.experiment)
                self.statusBar().showMessage("Not changed: kept the image layers and the images.", 8000)
                return False
            if adapted is None:
                self._refuse(e, source)
                return False
            changes, new = adapted
        if new.to_dict() == self.experiment.to_dict():
            return True
        self._mark_edited(new)
        self.undo_stack.push(ExperimentChange(self, self.experiment, new, changes, _describe(changes)))
        return True

    def _step_history(self, direction: int) -> None:
        text = self.undo_stack.undoText() if direction < 0 else self.undo_stack.redoText()
        (self.undo_stack.undo if direction < 0 else self.undo_stack.redo)()
        if text:
            self.statusBar().showMessage(f"{'Undone' if direction < 0 else 'Redone'}: {text}", 8000)

    def _refuse(self, error: SpecError, source) -> None:
        panel = source or self._panel_for(error.path)
        for each in self.panels.values():
            if each is panel or each is source:
                each.set_experiment(self.experiment)  # a refused choice never stays shown
        if panel is not None:
            panel.show_error(error.path, error.problem)
        self.statusBar().showMessage(f"Not changed: {error}", 15000)

    def _adapted(self, changes: dict, error: SpecError):
        """Image layers and 2D data do not mix: offer to drop the conv, pool and flatten layers
        when a 2D dataset is picked for a CNN (the dense layers stay)."""
        name = changes.get("data.name")
        if name is None or DATASETS[name].kind != "points" or not error.path.startswith("model.layers"):
            return None
        layers = self.experiment.model.layers
        dropped = [layer for layer in layers if layer.type != "dense"]
        if not dropped:
            return None
        kept = [layer.to_dict() for layer in layers if layer.type == "dense"]
        adapted = {**changes, "model.layers": kept}
        try:
            new = self.experiment.with_changes(adapted)
        except SpecError:
            return None
        kinds = ", ".join(sorted({layer.type for layer in dropped}))
        label = DATASETS.entry(name).label
        question = (f"{label} is 2D points, not images: {kinds} layers cannot take it. Drop the "
                    f"{len(dropped)} {kinds} layer{'s' if len(dropped) > 1 else ''} (the dense layers stay) "
                    f"and switch to {label}? Undo (Ctrl+Z) brings them back.")
        if not self.ask("Switch to 2D data?", question, "Drop them and switch", "Keep the images"):
            return DECLINED
        return adapted, new

    def ask(self, title: str, text: str, yes: str, no: str) -> bool:
        """A question with two answers (tests answer it themselves)."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=self)
        accept = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
        box.addButton(no, QMessageBox.ButtonRole.RejectRole)
        box.exec()
        return box.clickedButton() is accept

    def _mark_edited(self, exp: Experiment) -> None:
        """An edited preset no longer makes the preset's point: its title says so, and the
        description, which may no longer hold, goes."""
        if exp.title and not exp.title.endswith(EDITED):
            exp.title += EDITED
            exp.description = ""

    def _adopt(self, exp: Experiment, changes: dict, checkpoint: Optional[Path]) -> None:
        """Make ``exp`` the experiment (from an edit, its undo or redo, a preset or a file)."""
        if exp.transfer.enabled != self.experiment.transfer.enabled:  # the panel that now matters, in front
            (self.transfer_dock if exp.transfer.enabled else self.data_dock).raise_()
        self.experiment = exp
        for panel in self.panels.values():
            panel.show_error(None)
        live = (checkpoint is None and bool(changes) and all(p in LIVE_PATHS for p in changes)
                and self.session.accepts_live_changes)
        self._refresh(exp, changes)
        if live:
            for path in changes:
                self.session.apply_live(path, _get(exp, path))
            return
        self._new_run(running=self.session.state == RUNNING, checkpoint=checkpoint)

    def _refresh(self, exp: Experiment, changes: dict) -> None:
        """Show ``exp`` in the panels whose part ``changes`` touched (all of them for a new one)."""
        for name, panel in self.panels.items():
            if not changes or any(path.startswith(PANEL_SECTIONS[name]) for path in changes):
                panel.set_experiment(exp)
        self._show_pictures()
        self._show_title(exp)

    def _panel_for(self, path: str):
        if path.startswith("transfer."):
            return self.transfer_panel
        if path.startswith(DATA_FIELDS):
            return self.data_panel
        for name in ("network", "training", "data"):
            if path.startswith(PANEL_SECTIONS[name]):
                return self.panels[name]
        return None

    def _show_experiment(self, exp: Experiment) -> None:
        self._refresh(exp, {})

    def _show_title(self, exp: Experiment) -> None:
        self.setWindowTitle(f"{exp.title} - Neural Network Playground" if exp.title else "Neural Network Playground")

    def _new_run(self, running: bool = False, checkpoint: Optional[Path] = None) -> None:
        """Start the window's experiment afresh: every view forgets the old run."""
        self.banner.clear()
        self._end = None
        self._advice = self._warning = None
        self._run_epochs = []
        self.card.clear_advice()
        for view in self.views:
            view.clear()
        self.comparison.stop()
        self.progress.hide()
        self._show_pictures()
        self.session.load(self.experiment, running=running, checkpoint=checkpoint)
        self._on_counters(self.session.at_epoch, self.session.at_step)

    def reset(self) -> None:
        """New weights from the same seed and the window's experiment, paused (every run of a
        comparison)."""
        if self.run_set.active:
            self.run_set.reset(running=False)
            self.runs_view.set_runs(self.run_set.names, [self.run_set.color(n) for n in self.run_set.names],
                                    self.runs_view.title.text(), max(exp.train.epochs for _, exp in self.run_set.runs))
            self.play_action.setText("Play")
            return
        self._new_run(running=False)

    def _show_pictures(self) -> None:
        """The decision boundary for 2D data; sample predictions and confusion for images. Both get
        the same share of the width: switching between them resizes no plot."""
        points = DATASETS[self.experiment.data.name].kind == "points"
        self.pictures.setCurrentWidget(self.boundary if points else self.images)

    def open_preset(self, name: str) -> None:
        exp = load_experiment(name)
        self._load(exp, f"Preset {exp.title or name}")
        self.statusBar().showMessage(f"Preset: {exp.title or name}. Ctrl+Z goes back to what you had.", 8000)

    def _load(self, exp: Experiment, text: str, checkpoint: Optional[Path] = None) -> None:
        """Replace the experiment (a preset, a file): one step of the undo history, like an edit."""
        self.undo_stack.push(ExperimentChange(self, self.experiment, exp, {}, text, checkpoint))

    # -- files -------------------------------------------------------------------------------
    def open_file(self) -> None:
        path = self._file_dialog("Open experiment", "Experiments (*.json *.safetensors);;All files (*)", save=False)
        if path:
            self.open_path(Path(path))

    def _file_dialog(self, title: str, filters: str, save: bool, suffix: str = "json", name: str = "") -> str:
        """A file dialog that takes the keyboard at once, wherever the focus was."""
        dialog = QFileDialog(self, title, str(Path(self._last_dir()) / name) if name else self._last_dir(), filters)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave if save else QFileDialog.AcceptMode.AcceptOpen)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile if save else QFileDialog.FileMode.ExistingFile)
        if save:
            dialog.setDefaultSuffix(suffix)
        QTimer.singleShot(0, dialog.activateWindow)  # the keyboard goes to the dialog, not to a field behind it
        accepted = dialog.exec() == QFileDialog.DialogCode.Accepted
        files = dialog.selectedFiles()
        return files[0] if accepted and files else ""

    def open_path(self, path: Path) -> bool:
        try:
            if path.suffix == ".safetensors":
                info = peek_checkpoint(path)
                self._load(info.experiment, f"Open {path.name}", checkpoint=path)
            else:
                self._load(Experiment.load(path), f"Open {path.name}")
        except (SpecError, CheckpointError) as e:
            self.statusBar().showMessage(f"Could not open {path.name}: {e}", 15000)
            self.banner.show_message("error", f"Could not open {path.name}: {e}")
            return False
        self.settings.setValue("last_dir", str(path.parent))
        self.statusBar().showMessage(f"Opened {path}. Ctrl+Z goes back to what you had.", 8000)
        beside = history_beside(path)
        if path.suffix == ".json" and beside.is_file() and beside.resolve() not in self._histories_read:
            if self.open_history_path(beside):  # saved with it: its runs come back to the list, once
                self._histories_read.add(beside.resolve())
        return True

    def save_file(self) -> None:
        path = self._file_dialog("Save experiment", "Experiment (*.json);;Experiment with weights (*.safetensors)",
                                 save=True)
        if path:
            self.save_path(Path(path))

    def save_path(self, path: Path) -> bool:
        self.settings.setValue("last_dir", str(path.parent))
        if path.suffix == ".safetensors":
            self.session.save_checkpoint(path)  # the training process says when it is written
            return True
        path = path if path.suffix else path.with_suffix(".json")
        try:
            self.experiment.save(path)
        except OSError as e:
            self.statusBar().showMessage(f"Could not save {path}: {e}", 15000)
            return False
        self.statusBar().showMessage(f"Saved {path}", 8000)
        runs, beside = len(self.history.runs), history_beside(path)
        them = "them" if runs > 1 else "it"
        if runs and self.ask("Save the finished runs too?",
                             f"The Runs list holds {runs} finished run{'s' * (runs > 1)}. Save {them} beside the "
                             f"experiment, as {beside.name}? Opening the experiment brings {them} back.",
                             "Save the runs too", "Only the experiment"):
            self._histories_read.add(beside.resolve())  # they are in the list already
            return self.save_history_path(beside)
        return True

    def export_script_file(self) -> None:
        stem = "".join(c if c.isalnum() else "_" for c in (self.experiment.title or "train").lower()).strip("_")
        path = self._file_dialog("Export the training script", "Python script (*.py)", save=True, suffix="py",
                                 name=f"{stem or 'train'}.py")
        if path:
            self.export_script_path(Path(path))

    def export_script_path(self, path: Path) -> None:
        """Written by ``playground export`` in its own process: the window goes on meanwhile."""
        self.settings.setValue("last_dir", str(path.parent))
        self.script_export.start(self.experiment, path)
        self.statusBar().showMessage(f"Writing {path.name}…", 15000)

    def _ask_picture_path(self, parent) -> Optional[Path]:
        path = self._file_dialog("Save a picture of the plot", "PNG image (*.png);;SVG vector drawing (*.svg)",
                                 save=True, suffix="png", name="plot.png")
        return Path(path) if path else None

    def save_window_picture(self) -> None:
        path = self._file_dialog("Save a picture of the window", "PNG image (*.png);;SVG vector drawing (*.svg)",
                                 save=True, suffix="png", name="playground.png")
        if path:
            self.save_window_picture_path(Path(path))

    def save_window_picture_path(self, path: Path) -> bool:
        self.settings.setValue("last_dir", str(path.parent))
        try:
            save_picture(self, path)
        except (OSError, ValueError) as e:
            self.say_error(f"Could not save the picture: {e}")
            return False
        self.statusBar().showMessage(f"Saved {path}", 8000)
        return True

    def toggle_recording(self) -> None:
        if self.recorder.is_recording:
            self.recorder.stop()
            self.statusBar().showMessage(f"Recording stopped: {self.recorder.seconds_buffered:.0f} s kept "
                                         "(File ▸ Save recording as GIF…)", 8000)
        else:
            self.recorder.start()
            self.statusBar().showMessage(f"Recording the window: the last {RECORD_S:g} s are kept.", 8000)
        self.record_action.setChecked(self.recorder.is_recording)

    def save_recording(self) -> None:
        path = self._file_dialog("Save the recording", "GIF animation (*.gif)", save=True, suffix="gif",
                                 name="playground.gif")
        if path:
            self.settings.setValue("last_dir", str(Path(path).parent))
            self.recorder.save_gif(Path(path))

    def _on_script_written(self, path: str) -> None:
        name = Path(path).name
        self.statusBar().showMessage(f"Wrote {path}: run it with python {name}", 15000)
        self.banner.show_message("info", f"Exported the training script to {path}. It trains this experiment "
                                         f"with plain PyTorch: python {name}")

    def load_weights_file(self) -> None:
        path = self._file_dialog("Load weights into this network", "Checkpoints (*.safetensors)", save=False)
        if path:
            self.load_weights_path(Path(path))

    def load_weights_path(self, path: Path) -> None:
        """The weights of a checkpoint into the network shown; the training process checks they fit."""
        self.settings.setValue("last_dir", str(path.parent))
        self.session.load_weights(path)

    def _last_dir(self) -> str:
        return str(self.settings.value("last_dir", str(Path.home())))

    # -- what training reports ---------------------------------------------------------------
    def _on_records(self, records: list) -> None:
        for view in self.views:
            view.add(records)
        for record in records:
            kind = record["type"]
            if kind == "epoch":
                self._run_epochs.append(record)
            elif kind == "ready":
                self._started_at = record["epoch"]
                self._on_counters(record["epoch"], record["step"])
            elif kind == "counters":
                self._on_counters(record["epoch"], record["step"])
            elif kind == "message":
                self._on_message(record)
            elif kind == "end":
                self._on_end(record)
            elif kind == "hello":
                self._on_hello(record)
            elif kind in ("download", "progress"):
                self._on_progress(record)
            elif kind == "phase":
                self.statusBar().showMessage(record["text"], 15000)
            elif kind == "advice":
                self._on_advice(record)
            elif kind == "saved" and self._backbone_file is not None and Path(record["path"]) == self._backbone_file:
                self._start_transfer_from(self._backbone_file)

    def _on_progress(self, record: dict) -> None:
        """Weights arriving or images being read: a bar in the status bar until it is done."""
        done, total = int(record["done"]), max(int(record["total"]), 1)
        if record["type"] == "download":
            text = f"Downloading {record['file']}: {done / 1e6:.1f} of {total / 1e6:.1f} MB"
        else:
            text = f"{record['what']}: {done} of {total}"
        self.progress.setRange(0, 1000)
        self.progress.setValue(int(1000 * done / total))
        self.progress.setFormat(text)
        self.progress.setToolTip(text)
        self.progress.setVisible(done < total)
        self.statusBar().showMessage(text, 3000)

    # -- the run history ------------------------------------------------------------------------
    def _on_compared_run_finished(self, name: str, exp: Experiment, epochs: list, reason: str) -> None:
        if epochs:
            self.history.add(from_records(f"{name} ({self._comparing})", exp, epochs, reason))

    def _on_pinned(self, runs: list) -> None:
        self.metrics.set_baselines([(run.name, self.history.color(run), run.curves) for run in runs])
        if runs:
            self.show_tab("loss")

    def _open_finished_run(self, run) -> None:
        try:
            exp = Experiment.from_dict(run.experiment)
        except SpecError as e:
            self.say_error(f"Could not open {run.name}: {e}")
            return
        exp.title = run.name
        self._load(exp, f"Open run {run.name}")

    def save_history_file(self) -> None:
        path = self._file_dialog("Save the run history", "Run history (*.runs.json)", save=True, suffix="runs.json",
                                 name="history.runs.json")
        if path:
            self.save_history_path(Path(path))

    def save_history_path(self, path: Path) -> bool:
        self.settings.setValue("last_dir", str(path.parent))
        try:
            save_history(self.history.runs, path)
        except OSError as e:
            self.say_error(f"Could not save {path}: {e.strerror or e}")
            return False
        self.statusBar().showMessage(f"Saved {len(self.history.runs)} runs to {path}", 8000)
        return True

    def open_history_file(self) -> None:
        path = self._file_dialog("Open a run history", "Run history (*.runs.json);;All files (*)", save=False)
        if path:
            self.open_history_path(Path(path))

    def open_history_path(self, path: Path) -> bool:
        try:
            runs = load_history(path)
        except SpecError as e:
            self.say_error(f"Could not open the run history: {e}")
            return False
        self.history.extend(list(reversed(runs)))  # the file's newest stays on top
        self.history_dock.raise_()
        self.statusBar().showMessage(f"Added {len(runs)} runs from {path.name}", 8000)
        return True

    # -- comparing runs -------------------------------------------------------------------------
    def open_compare_dialog(self) -> None:
        from playground.ui.compare_dialog import CompareDialog

        dialog = CompareDialog(self.experiment, self)
        dialog.accepted.connect(lambda: self.start_comparison(dialog.runs, dialog.path))
        dialog.open()

    def open_comparison(self, name: str) -> None:
        """A shipped comparison (Presets ▸ Compare runs side by side)."""
        try:
            preset = load_comparison(name)
        except SpecError as e:
            self.say_error(f"Could not open the comparison: {e}")
            return
        self.start_comparison(preset.runs, preset.what, title=preset.title)

    def start_comparison(self, runs: list, what: str, running: bool = True, title: str = "") -> None:
        """Train ``runs`` side by side, shown on the Compared runs tab; the window's own run pauses."""
        if self.session.state == RUNNING:
            self.session.pause()
            self.comparison.pause()
        names = [name for name, _ in runs]
        self._comparing = what if what != "experiment" else "compared"  # the history's names say it
        title = title or f"{len(names)} runs of “{self.experiment.title or 'this experiment'}”, {what} varied"
        self.runs_view.set_runs(names, [RUN_COLORS[i % len(RUN_COLORS)] for i in range(len(names))], title,
                                max(exp.train.epochs for _, exp in runs))
        self.run_set.start(runs, running=running)  # after the curves exist: its processes start at once
        self.show_tab("runs")
        self._on_state(self.session.state)  # the toolbar drives the runs now, whatever the window's run did
        self.banner.show_message("info", f"Comparing {len(names)} runs ({what}): Play, Pause, Step and Reset drive "
                                         "them all.", (("End the comparison", self.end_comparison),))

    def end_comparison(self) -> None:
        """Its processes go; its curves stay until the next comparison."""
        if not self.run_set.active:
            return
        self.run_set.stop()
        self.banner.clear()
        self._on_state(self.session.state)
        self.statusBar().showMessage("Comparison ended: Play drives this experiment's run again.", 8000)

    def _on_comparison_ended(self) -> None:
        self.play_action.setText("Play")
        self.statusBar().showMessage(f"All {len(self.run_set.names)} runs of the comparison finished.", 15000)

    # -- lectures ------------------------------------------------------------------------------
    def open_lecture_file(self) -> None:
        path = self._file_dialog("Open lecture", "Lecture decks (*.json);;All files (*)", save=False)
        if path:
            self.settings.setValue("last_dir", str(Path(path).parent))
            self.lecture.open(Path(path))

    def open_step(self, step, number: int, total: int, card: bool) -> None:
        """A lecture step: its experiment (one step of the undo history), its plot tab, its card;
        training starts at once if the step says so, so the phenomenon shows while it is explained.
        A step that compares runs starts them side by side; any other ends a comparison under way."""
        if not step.runs:
            self.end_comparison()  # the keys drive this step's run, and no runs train unseen
        if not step.autoplay and self.session.state == RUNNING:
            self.toggle_play()  # the step opens paused, whatever ran before it
        self._load(step.experiment.copy(), f"Lecture step {number}: {step.title}")
        if step.runs:
            self.start_comparison(list(step.runs), step.compared, running=step.autoplay, title=step.title)
        self.show_tab(step.tab)
        self.card.show_step(number, total, step)
        self.card.setVisible(card)
        if step.autoplay and not step.runs and self.session.state != RUNNING:
            self.session.play()
        self.statusBar().showMessage(f"Step {number} of {total}: {step.title}", 8000)

    def _on_lecture_step(self) -> None:
        lecture = self.lecture
        for tool in self.lecture_tools:
            tool.setVisible(lecture.active)
        if lecture.active:
            self.step_label.setText(f" {lecture.index + 1} / {len(lecture.deck.steps)} ")
            self.lecture.previous_action.setEnabled(lecture.index > 0)
            self.lecture.next_action.setEnabled(lecture.index < len(lecture.deck.steps) - 1)

    def say_error(self, text: str) -> None:
        self.banner.show_message("error", text)
        self.statusBar().showMessage(text, 15000)

    def toggle_presentation(self) -> None:
        self.presentation.toggle()

    def _enable_escape(self) -> None:
        """Esc is ours only while there is something to leave: elsewhere a field's Esc throws away
        what was half typed."""
        self.escape_action.setEnabled(self.presentation.active or self.lecture.blank.isVisible())

    def _on_presentation(self, active: bool) -> None:
        self._enable_escape()
        self.present_action.setChecked(active)
        self.network_panel.set_presenting(active)
        if active:  # the curves and pictures carry most steps' point: they get the larger share
            total = sum(self.centre.sizes())
            self.centre.setSizes([total * 2 // 5, total * 3 // 5])

    def set_presentation_scale(self, direction: int) -> None:
        percent = self.presentation.step_scale(direction)
        self.statusBar().showMessage(f"Presentation scale: {percent} %", 4000)

    def escape(self) -> None:
        """Esc: first the blank screen goes, then presentation mode."""
        if self.lecture.blank.isVisible():
            self.lecture.blank.hide()
        elif self.presentation.active:
            self.presentation.leave()

    # -- transfer learning --------------------------------------------------------------------
    def compare_with_scratch(self) -> None:
        """Start the run over and train the same network from scratch beside it, curves overlaid."""
        try:
            self._new_run(running=True)
            self.comparison.start(self.experiment, running=True)
        except SpecError as e:
            self.statusBar().showMessage(f"No comparison: {e}", 15000)
            self.banner.show_message("info", f"No comparison: {e}")
            return
        self.show_tab("loss")
        self.statusBar().showMessage("Training the same network from scratch beside this run (dashed).", 8000)

    def use_as_backbone(self) -> None:
        """Save the current network, then (when the training process says it is written) make it the
        backbone of a new transfer experiment."""
        if DATASETS[self.experiment.data.name].kind != "image" or self.session.at_step == 0:
            self.statusBar().showMessage("Train a network on images first: its blocks become the backbone.", 15000)
            return
        folder = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)) / "backbones"
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            self.statusBar().showMessage(f"Cannot save the backbone in {folder}: {e}", 15000)
            return
        stem = "".join(c if c.isalnum() else "_" for c in (self.experiment.title or self.experiment.data.name))
        self._backbone_file = folder / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}.safetensors"
        self.session.save_checkpoint(self._backbone_file)

    def _start_transfer_from(self, path: Path) -> None:
        self._backbone_file = None
        # the transfer panel's rules for choosing a backbone: a linear head on this network's blocks
        if self.apply_changes(backbone_changes(self.experiment, "checkpoint", str(path))):
            self.transfer_dock.raise_()
            self.statusBar().showMessage(f"The trained network is the backbone now ({path.name}); pick the new "
                                         "task's data, then Play.", 15000)

    def open_sweep(self) -> None:
        """The few-shot sweep of this experiment, in a dialog (its runs stop when it closes)."""
        from playground.ui.sweep_dialog import SweepDialog

        if self.sweep is not None:
            self.sweep.stop()
            self.sweep.deleteLater()
        self.sweep = SweepDialog(self.experiment, self)
        self.sweep.open()

    def _on_hello(self, record: dict) -> None:
        """The training process says which devices torch sees (the window's process has no torch)."""
        self.training_panel.set_devices(record["devices"], record["auto"])

    def _on_message(self, record: dict) -> None:
        if record["level"] == "info":
            if not self.statusBar().currentMessage().startswith(("Opened", "Preset")):
                self.statusBar().showMessage(record["text"], 8000)
            return
        self._warning = record["text"]
        self.banner.show_message("warning", record["text"], self._fix_action())
        self.statusBar().showMessage(record["text"], 15000)

    def _on_advice(self, record: dict) -> None:
        """The coach's diagnosis, with its fix one click away (undoable like any edit). While the run
        goes on it is said in the status bar, or under a warning the banner already shows: a banner
        that appears and goes with every new run would re-lay out the window at each edit. The end
        of the run puts it in the banner."""
        self._advice = record
        if self.lecture.active:
            fix = self._fix_action(on_card=False)
            self.card.show_advice(record["text"], fix[0] if fix else ())
        if self._warning and self.banner.isVisible():
            self.banner.show_message("warning", f"{self._warning}{self._coach_line()}", self._fix_action())
        self.statusBar().showMessage(f"Coach: {record['text']}", 15000)

    def _coach_on_card(self) -> bool:
        """A lecture's card shows the coach: the banner does not say it twice."""
        return self.lecture.active and self.card.isVisible()

    def _coach_line(self) -> str:
        return f"\nCoach: {self._advice['text']}" if self._advice and not self._coach_on_card() else ""

    def _fix_action(self, on_card: bool = True) -> tuple:
        """The latest advice's fix as a banner action, or nothing (also when the card offers it)."""
        advice = self._advice
        if advice is None or not advice.get("fix") or (on_card and self._coach_on_card()):
            return ()
        fix = dict(advice["fix"])
        label = "Try " + ", ".join(f"{path.split('.')[-1]} = {value:g}" if isinstance(value, float)
                                   else f"{path.split('.')[-1]} = {value}" for path, value in fix.items())
        return ((label, lambda: self.apply_changes(fix)),)

    def _on_end(self, record: dict) -> None:
        self._end = record
        if record.get("epoch", self._started_at) > self._started_at and self._run_epochs:
            self._finished_count += 1
            name = f"#{self._finished_count} {self.experiment.title or 'run'}"
            self.history.add(from_records(name, self.experiment, self._run_epochs, record["reason"]))
        reason, message = record["reason"], record["message"]
        if reason == "completed":
            more = self.experiment.train.epochs
            said = (f"\n{self._warning}" if self._warning else "") + self._coach_line()
            self.banner.show_message("warning" if said else "info", f"Finished: {message}.{said}", (
                *self._fix_action(),
                (f"Continue for {more} more epochs", lambda: self.continue_training(more)),
                ("Start over", lambda: self._new_run(running=True))))
        elif reason in ("diverged", "error"):
            self.banner.show_message("error", f"Training stopped. {message}",
                                     (*self._fix_action(), ("Start over", lambda: self._new_run(running=False))))
        if record.get("epoch", self._started_at) > self._started_at or reason != "completed":  # a checkpoint opened at its end: "Opened" stays
            self.statusBar().showMessage(message, 15000)
        self._on_state(self.session.state)

    def continue_training(self, epochs: int) -> None:
        """Train a completed run ``epochs`` more: the planned epochs grow in the experiment too."""
        if self.session.state != FINISHED or not self._end or self._end["reason"] != "completed":
            return
        total = self.experiment.train.epochs + epochs
        try:
            self.experiment = self.experiment.with_changes({"train.epochs": total})
        except SpecError as e:
            self.banner.show_message("error", f"Cannot continue: {e}")
            return
        self.training_panel.set_experiment(self.experiment)
        self.banner.clear()
        self._end = None
        self.session.extend(epochs)

    def _on_state(self, state: str) -> None:
        if self.run_set.active:  # the toolbar drives the comparison's runs
            self.play_action.setText("Pause" if self.run_set.running else "Play")
            self.step_action.setEnabled(True)
            return
        finished = state == FINISHED
        completed = finished and self._end is not None and self._end["reason"] == "completed"
        text = {RUNNING: "Pause"}.get(state, "Play")
        if finished:
            text = "Continue" if completed else "Start over"
        self.play_action.setText(text)
        self.step_action.setEnabled(state in (READY, PAUSED, RUNNING))

    def _on_counters(self, epoch: int, step: int) -> None:
        self.counter_label.setText(f"epoch {epoch:,}  step {step:,}")
        now = time.monotonic()
        since, steps = self._rate_mark
        if now - since >= 0.5 or step < steps:
            rate = max(step - steps, 0) / (now - since) if since and step >= steps else 0.0
            self._rate_mark = (now, step)
            self.rate_label.setText(f"{rate:,.0f} steps/s")

    def _on_speed(self, index: int) -> None:
        self.session.set_interval(SPEEDS[index])
        self.speed_label.setText(speed_text(SPEEDS[index]))

    def toggle_play(self) -> None:
        if self.run_set.active:  # a comparison: one Play for all its runs
            self.run_set.pause() if self.run_set.running else self.run_set.play()
            self.play_action.setText("Pause" if self.run_set.running else "Play")
            return
        state = self.session.state
        if state == RUNNING:
            self.session.pause()
            self.comparison.pause()
        elif state == FINISHED:
            if self._end is not None and self._end["reason"] == "completed":
                self.continue_training(self.experiment.train.epochs)
            else:
                self._new_run(running=True)
        else:
            self.session.play()
            self.comparison.play()

    def step(self) -> None:
        if self.run_set.active:
            self.run_set.step()
            self.play_action.setText("Play")
            return
        self.session.step()
        self.comparison.step()

    def show_tab(self, name: str) -> None:
        self.plot_tabs.setCurrentIndex(TABS[name])

    # -- settings ------------------------------------------------------------------------------
    def _last_experiment(self) -> Optional[Experiment]:
        text = self.settings.value("experiment")
        if not text:
            return None
        try:
            return Experiment.from_json(str(text))
        except SpecError:
            return None  # written by another version: start from the default

    def _restore_layout(self) -> None:
        geometry = self.settings.value("geometry")
        state = self.settings.value("window_state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self.restoreState(state, LAYOUT_VERSION)
        screen = self.screen().availableGeometry()
        if self.width() > screen.width() or self.height() > screen.height():  # saved on a larger screen
            self.resize(min(self.width(), screen.width()), min(self.height(), screen.height()))
        if screen.width() < WIDE_SCREEN and not self.tabifiedDockWidgets(self.data_dock):
            self.tabifyDockWidget(self.data_dock, self.training_dock)  # side by side, they would not fit
            self.tabifyDockWidget(self.data_dock, self.transfer_dock)
            self.tabifyDockWidget(self.data_dock, self.history_dock)

    def closeEvent(self, event) -> None:
        """Stop the workers before the window goes; keep the experiment and the layout for next time."""
        if self.sweep is not None:
            self.sweep.stop()
            self.sweep.wait()
        self.comparison.stop()
        self.script_export.stop()
        self.run_set.stop()
        if self.surfaces is not None:
            self.surfaces.shutdown()
        self.recorder.stop()
        WorkerBase.await_workers(10_000)  # a GIF being written is finished, not cut off
        self.session.shutdown()
        self.presentation.leave()  # the layout kept for next time is the desk's, not the projector's
        self.settings.setValue("experiment", self.experiment.to_json())
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("window_state", self.saveState(LAYOUT_VERSION))
        self.settings.sync()
        super().closeEvent(event)


def _get(exp: Experiment, path: str):
    node = exp
    for part in path.split("."):
        node = getattr(node, part)
    return node


def _describe(changes: dict) -> str:
    """Undo's name for a change: the field it touched, or how many."""
    if len(changes) == 1:
        return next(iter(changes))
    fields = sorted({path.split("[")[0] for path in changes})
    return ", ".join(fields) if len(fields) <= 2 else f"{len(changes)} fields"
