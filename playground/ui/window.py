"""The main window: panels that edit one experiment, plots that show its training, and the toolbar.

The window holds the current ``Experiment``; panels propose changes as ``{path: value}``, the window
validates them with ``Experiment.with_changes`` and either marks the offending widget or adopts the
new experiment. LR, L1/L2 and dropout go to the running trainer at its next step; any other change
rebuilds the network (as TensorFlow Playground does), keeping it running if it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QComboBox, QDockWidget, QFileDialog, QLabel, QMainWindow, QMenu, QScrollArea,
                               QSlider, QSplitter, QStackedWidget, QTabWidget, QToolButton, QVBoxLayout, QWidget)

from playground.core.checkpoint import CheckpointError, load_checkpoint
from playground.core.datasets import DATASETS
from playground.core.devices import available_devices
from playground.core.presets import load_experiment, preset_names
from playground.core.spec import Experiment, SpecError
from playground.ui.data_panel import DataPanel
from playground.ui.network_panel import NetworkPanel
from playground.ui.plots import BoundaryView, ImageView, MetricsPlots, ProbePlots
from playground.ui.session import LIVE_PATHS, PAUSED, READY, RUNNING, TrainingSession
from playground.ui.training_panel import TrainingPanel

# which sections of the experiment each panel edits; the network panel is redrawn only when its
# part changes (the other two are cheap and read across sections, e.g. L-BFGS locks the batch size)
PANEL_SECTIONS = {"data": ("data.", "train.batch_size"), "network": ("model.", "data.name", "data.features"),
                  "training": ("optim.", "schedule.", "train.")}
# the speed slider, from slow motion (seconds before each step) to full speed
SPEEDS = [1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.0]
SETTINGS_ORG, SETTINGS_APP = "playground", "playground"
LAYOUT_VERSION = 2  # bump when the docks change: an older saved layout is then ignored


class MainWindow(QMainWindow):
    def __init__(self, experiment: Optional[Experiment] = None, settings: Optional[QSettings] = None):
        super().__init__()
        self.setWindowTitle("Neural Network Playground")
        self.settings = settings or QSettings(SETTINGS_ORG, SETTINGS_APP)
        self.session = TrainingSession(self)
        self.experiment = experiment or self._last_experiment() or load_experiment("default")
        self._build()
        self._connect()
        self._restore_layout()
        self._show_experiment(self.experiment)
        self.session.load(self.experiment)

    # -- building ------------------------------------------------------------------------------
    def _build(self) -> None:
        self.data_panel = DataPanel()
        self.network_panel = NetworkPanel()
        self.training_panel = TrainingPanel()
        self.metrics = MetricsPlots()
        self.probes = ProbePlots()
        self.boundary = BoundaryView()
        self.images = ImageView()
        self.pictures = QStackedWidget()
        self.pictures.addWidget(self.boundary)
        self.pictures.addWidget(self.images)

        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("QLabel#banner { background: #fde2e1; color: #8a1c14; padding: 6px;"
                                  " font-weight: bold; border: 1px solid #e0a39e; }")
        self.banner.hide()

        # only the visible tab repaints: the activation plots cost nothing while the curves are shown
        self.plot_tabs = QTabWidget()
        self.plot_tabs.setObjectName("plot_tabs")
        self.plot_tabs.addTab(self.metrics, "Loss and accuracy")
        self.plot_tabs.addTab(self.probes, "Activations and gradients")
        self.plot_tabs.setTabToolTip(0, "Training and validation loss and accuracy, and the learning rate")
        self.plot_tabs.setTabToolTip(1, "Per-layer activation histograms, gradient and update sizes: the lecture's "
                                        "diagnostics for initialization and learning rate")
        self.lower = lower = QSplitter(Qt.Horizontal)
        lower.addWidget(self.pictures)
        lower.addWidget(self.plot_tabs)
        lower.setStretchFactor(0, 2)
        lower.setStretchFactor(1, 3)
        centre = QSplitter(Qt.Vertical)
        centre.addWidget(self.network_panel)
        centre.addWidget(lower)
        centre.setStretchFactor(0, 1)
        centre.setStretchFactor(1, 1)
        centre.setSizes([420, 480])
        holder = QWidget()
        layout = QVBoxLayout(holder)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.banner)
        layout.addWidget(centre, 1)
        self.setCentralWidget(holder)

        self._dock("Data", self.data_panel, Qt.LeftDockWidgetArea)
        self._dock("Training", self.training_panel, Qt.RightDockWidgetArea)
        self._build_toolbar()
        self.statusBar().showMessage("Ready. Space plays and pauses, S steps, R resets.")
        self.resize(1600, 1000)

    def _dock(self, title: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.split()[0].lower()}")
        holder = QScrollArea()
        holder.setWidgetResizable(True)
        holder.setWidget(widget)
        holder.setMinimumWidth(max(widget.minimumSizeHint().width() + 16, 300))
        dock.setWidget(holder)
        dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, text: str, shortcut, tip: str, slot) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcuts(shortcut if isinstance(shortcut, list) else [QKeySequence(shortcut)])
        action.setToolTip(f"{tip} ({action.shortcut().toString()})" if shortcut else tip)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work wherever the focus is
        return action

    def _build_toolbar(self) -> None:
        bar = self.addToolBar("Training")
        bar.setObjectName("toolbar")
        bar.setMovable(False)
        self.play_action = self._action("Play", Qt.Key_Space, "Start or pause training", self.toggle_play)
        self.step_action = self._action("Step", Qt.Key_S, "Train exactly one batch, then pause: follow one update "
                                                          "at a time", self.session.step)
        self.reset_action = self._action("Reset", [QKeySequence(Qt.Key_R), QKeySequence("Ctrl+R")],
                                         "Re-initialise the weights with the same seed", self.session.reset)
        for action in (self.play_action, self.step_action, self.reset_action):
            bar.addAction(action)
        bar.addSeparator()
        self.counter_label = QLabel("epoch 0  step 0")
        self.counter_label.setObjectName("counters")
        self.counter_label.setMinimumWidth(190)  # fixed widths: changing text never re-lays out the bar
        self.counter_label.setToolTip("Epochs: passes over the training set. Steps: optimizer updates (batches).")
        self.rate_label = QLabel("0 steps/s")
        self.rate_label.setToolTip("Optimizer steps per second, measured over the last half second")
        self.rate_label.setMinimumWidth(110)
        bar.addWidget(self.counter_label)
        bar.addWidget(QLabel("   "))
        bar.addWidget(self.rate_label)
        bar.addSeparator()
        bar.addWidget(QLabel("Speed "))
        self.speed = QSlider(Qt.Horizontal)
        self.speed.setObjectName("speed")
        self.speed.setRange(0, len(SPEEDS) - 1)
        self.speed.setValue(len(SPEEDS) - 1)
        self.speed.setFixedWidth(120)
        self.speed.setToolTip("From slow motion (one step a second, to explain each update) to full speed")
        bar.addWidget(self.speed)
        bar.addSeparator()
        self.preset_button = QToolButton()
        self.preset_button.setText("Presets")
        self.preset_button.setObjectName("presets")
        self.preset_button.setPopupMode(QToolButton.InstantPopup)
        self.preset_button.setToolTip("Experiments that demonstrate the lecture, one point each")
        menu = QMenu(self.preset_button)
        for name in preset_names():
            exp = load_experiment(name)
            action = menu.addAction(exp.title or name)
            action.setToolTip(exp.description)
            action.triggered.connect(lambda checked=False, n=name: self.open_preset(n))
        menu.setToolTipsVisible(True)
        self.preset_button.setMenu(menu)
        bar.addWidget(self.preset_button)
        bar.addAction(self._action("Open", QKeySequence.Open, "Open an experiment (.json) or a checkpoint with its "
                                                             "weights (.safetensors)", self.open_file))
        bar.addAction(self._action("Save", QKeySequence.Save, "Save the experiment (.json), or it and the current "
                                                             "weights (.safetensors)", self.save_file))
        bar.addSeparator()
        bar.addWidget(QLabel("Device "))
        self.device_combo = QComboBox()
        self.device_combo.setObjectName("device")
        self.device_combo.addItems(["auto", *available_devices()])
        self.device_combo.setToolTip("Where tensors live. auto = a GPU if torch sees one, else the CPU. "
                                     "Tiny networks are often faster on the CPU.")
        bar.addWidget(self.device_combo)
        self._action("Quit", QKeySequence("Ctrl+Q"), "Quit", self.close)

    def _connect(self) -> None:
        for panel in (self.data_panel, self.network_panel, self.training_panel):
            panel.edited.connect(lambda changes, p=panel: self.apply_changes(changes, p))
        s = self.session
        s.epochs.connect(self.metrics.add_epochs)
        s.probes.connect(self.probes.add_probes)
        s.snapshot_ready.connect(self._on_snapshot)
        s.trainer_ready.connect(self._on_trainer_ready)
        s.message.connect(lambda level, text: self.statusBar().showMessage(text, 10000))
        s.ended.connect(self._on_ended)
        s.state_changed.connect(self._on_state)
        s.counters.connect(self._on_counters)
        self.speed.valueChanged.connect(lambda i: self.session.set_speed(SPEEDS[i]))
        self.device_combo.activated.connect(lambda i: self.apply_changes({"train.device": self.device_combo.currentText()}))

    # -- the experiment ------------------------------------------------------------------------
    def apply_changes(self, changes: dict, source=None) -> bool:
        """Validate and adopt a change from a panel; mark the widget and keep the old spec if bad."""
        try:
            new = self.experiment.with_changes(changes)
        except SpecError as e:
            panel = source or self._panel_for(e.path)
            if panel is not None:
                panel.show_error(e.path, e.problem)
            self.statusBar().showMessage(str(e), 10000)
            return False
        for panel in (self.data_panel, self.network_panel, self.training_panel):
            panel.show_error(None)
        self.experiment = new
        self._refresh_panels(changes)
        if all(path in LIVE_PATHS for path in changes) and self.session.accepts_live_changes:
            for path, value in changes.items():
                self.session.apply_live(path, value)
            return True
        running = self.session.state == RUNNING
        self._reload(run=running)
        return True

    def _panel_for(self, path: str):
        for name, panel in (("data", self.data_panel), ("network", self.network_panel), ("training", self.training_panel)):
            if path.startswith(PANEL_SECTIONS[name]):
                return panel
        return None

    def _refresh_panels(self, changes: dict) -> None:
        self.data_panel.set_experiment(self.experiment)
        self.training_panel.set_experiment(self.experiment)
        if any(path.startswith(PANEL_SECTIONS["network"]) for path in changes):
            self.network_panel.set_experiment(self.experiment)
        self.device_combo.setCurrentIndex(max(self.device_combo.findText(self.experiment.train.device), 0))

    def _show_experiment(self, exp: Experiment) -> None:
        for panel in (self.data_panel, self.network_panel, self.training_panel):
            panel.set_experiment(exp)
        index = self.device_combo.findText(exp.train.device)
        self.device_combo.setCurrentIndex(max(index, 0))
        self._show_pictures()
        self.setWindowTitle(f"Neural Network Playground: {exp.title}" if exp.title else "Neural Network Playground")

    def set_experiment(self, exp: Experiment, state_dict: Optional[dict] = None, run: bool = False) -> None:
        self.experiment = exp
        self._show_experiment(exp)
        self._reload(run=run, state_dict=state_dict)

    def _reload(self, run: bool, state_dict: Optional[dict] = None) -> None:
        self.banner.hide()
        self.metrics.clear()
        self.probes.clear()
        self.boundary.clear_field()
        self._show_pictures()
        self.session.load(self.experiment, run=run, state_dict=state_dict)

    def _show_pictures(self) -> None:
        """The decision boundary for 2D data; sample predictions and confusion for images (wider)."""
        points = DATASETS[self.experiment.data.name].kind == "points"
        wanted = self.boundary if points else self.images
        if self.pictures.currentWidget() is not wanted:
            self.pictures.setCurrentWidget(wanted)
            total = sum(self.lower.sizes()) or 1000
            self.lower.setSizes([total * 2 // 5, total * 3 // 5] if points else [total // 2, total // 2])

    def open_preset(self, name: str) -> None:
        self.set_experiment(load_experiment(name))
        self.statusBar().showMessage(f"Preset: {self.experiment.title or name}", 5000)

    # -- files -------------------------------------------------------------------------------
    def open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open experiment", self._last_dir(),
                                              "Experiments (*.json *.safetensors);;All files (*)")
        if path:
            self.open_path(Path(path))

    def open_path(self, path: Path) -> bool:
        try:
            if path.suffix == ".safetensors":
                checkpoint = load_checkpoint(path)
                self.set_experiment(checkpoint.experiment, state_dict=checkpoint.state_dict)
            else:
                self.set_experiment(Experiment.load(path))
        except (SpecError, CheckpointError) as e:
            self.statusBar().showMessage(f"Could not open {path.name}: {e}", 15000)
            self._show_banner(f"Could not open {path.name}: {e}")
            return False
        self.settings.setValue("last_dir", str(path.parent))
        self.statusBar().showMessage(f"Opened {path}", 5000)
        return True

    def save_file(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save experiment", self._last_dir(),
                                              "Experiment (*.json);;Experiment with weights (*.safetensors)")
        if path:
            self.save_path(Path(path))

    def save_path(self, path: Path) -> bool:
        self.settings.setValue("last_dir", str(path.parent))
        if path.suffix == ".safetensors":
            self.session.save_checkpoint(path)  # the training process says when it is written
            return True
        try:
            self.experiment.save(path if path.suffix else path.with_suffix(".json"))
        except OSError as e:
            self.statusBar().showMessage(f"Could not save {path}: {e}", 15000)
            return False
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def _last_dir(self) -> str:
        return str(self.settings.value("last_dir", str(Path.home())))

    # -- session events --------------------------------------------------------------------------
    def _on_trainer_ready(self, data: dict) -> None:
        if data["kind"] == "points":
            self.boundary.set_points(data["points_train"], data["y_train"], data["points_val"], data["y_val"],
                                     data["task"], data["num_classes"])

    def _on_snapshot(self, snap: dict) -> None:
        if snap["kind"] == "points":
            self.boundary.set_snapshot(snap)
            self.network_panel.set_snapshot(snap)
        else:
            self.images.set_snapshot(snap)

    def _on_ended(self, record: dict) -> None:
        if record["reason"] in ("diverged", "error"):
            self._show_banner(f"Training stopped. {record['message']}")
        self.statusBar().showMessage(record["message"], 15000)

    def _show_banner(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.show()

    def _on_state(self, state: str) -> None:
        running = state == RUNNING
        self.play_action.setText("Pause" if running else "Play")
        self.step_action.setEnabled(state in (READY, PAUSED, RUNNING))

    def _on_counters(self, epoch: int, step: int, rate: float) -> None:
        self.counter_label.setText(f"epoch {epoch}  step {step}")
        self.rate_label.setText(f"{rate:,.0f} steps/s")

    def toggle_play(self) -> None:
        if self.session.state == RUNNING:
            self.session.pause()
        else:
            self.session.play()

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

    def closeEvent(self, event) -> None:
        """Stop the worker before the window goes; keep the experiment and the layout for next time."""
        self.session.shutdown()
        self.settings.setValue("experiment", self.experiment.to_json())
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("window_state", self.saveState(LAYOUT_VERSION))
        self.settings.sync()
        super().closeEvent(event)
