"""Run ▸ Compare runs…: the window's experiment with one field varied, or 2 to 8 experiment files,
side by side.

The field is picked from the ones the lecture compares (or typed as a path, as ``--vary`` takes
it) and its values typed as a list; each choice fills in the lecture's values. The runs are made
and checked by ``core.compare.vary``, so a bad value is refused here, naming the run and the field,
before anything trains.
"""

from __future__ import annotations

from typing import Optional

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QLabel, QLineEdit,
                               QPushButton, QVBoxLayout, QWidget)

from playground.core.compare import from_specs, split_values, vary
from playground.core.errors import SpecError
from playground.core.spec import Experiment

# the field, its label, the values the lecture compares
FIELDS = (("optim.name", "Optimizer", "sgd,momentum,nesterov,adagrad,rmsprop,adam"),
          ("optim.lr", "Learning rate", "0.0001,0.03,3"),
          ("model.dropout", "Dropout", "0,0.5"),
          ("model.init", "Initializer", "normal,xavier_uniform,kaiming_normal"),
          ("model.activation", "Activation", "sigmoid,tanh,relu"),
          ("model.norm", "Normalization", "none,batchnorm"),
          ("train.batch_size", "Batch size", "1,10,100"),
          ("train.seed", "Seed (the same run, other weights and data order)", "0,1,2,3"))


class CompareDialog(QDialog):
    """Asks for a field and its values; ``runs`` holds the checked runs once accepted."""

    def __init__(self, experiment: Experiment, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.setWindowTitle("Compare runs")
        self.experiment = experiment
        self.runs: list[tuple[str, Experiment]] = []
        self.path = ""
        self.field = QComboBox()
        self.field.setObjectName("compare_field")
        self.field.setEditable(True)  # any field path: data.noise, model.layers[0].units, ...
        for path, label, _ in FIELDS:
            self.field.addItem(f"{label} ({path})", path)
        self.field.setToolTip("The one field that differs between the runs: a choice, or any field's path "
                              "as the command line's --vary takes it (data.noise, model.layers[0].units)")
        self.values = QLineEdit()
        self.values.setObjectName("compare_values")
        self.values.setToolTip("Two to eight values, separated by commas: one run each")
        self.error = QLabel()
        self.error.setObjectName("compare_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c62828;")
        self.error.hide()
        form = QFormLayout()
        form.addRow("Vary", self.field)
        form.addRow("over", self.values)
        files = QPushButton("Or compare experiment files…")
        files.setObjectName("compare_files")
        files.setToolTip("Pick 2 to 8 experiment files (.json) or checkpoints' experiments: one run each, named "
                         "by its file")
        files.clicked.connect(self._choose_files)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Train them")
        buttons.button(QDialogButtonBox.StandardButton.Ok).setObjectName("compare_ok")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Runs of “{experiment.title or 'this experiment'}” that differ in one field, "
                                "trained side by side, curves overlaid:"))
        layout.addLayout(form)
        layout.addWidget(files)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.field.currentIndexChanged.connect(self._fill_values)
        self._fill_values(0)

    def chosen_path(self) -> str:
        """The field's path: the choice's, or what was typed."""
        index = self.field.currentIndex()
        if index >= 0 and self.field.currentText() == self.field.itemText(index):
            return self.field.itemData(index)
        return self.field.currentText().strip()

    def _fill_values(self, index: int) -> None:
        if 0 <= index < len(FIELDS):
            self.values.setText(FIELDS[index][2])

    def ask_files(self) -> list[str]:
        """The files the user picked (tests answer it themselves)."""
        names, _ = QFileDialog.getOpenFileNames(self, "Experiments to compare", "", "Experiments (*.json)")
        return names

    def _choose_files(self) -> None:
        names = self.ask_files()
        if not names:
            return
        try:
            self.runs = from_specs(names)
        except SpecError as e:
            self.error.setText(str(e))
            self.error.show()
            return
        self.path = "experiment"
        super().accept()

    def accept(self) -> None:
        """Make and check the runs; a mistake is said here and the dialog stays."""
        path = self.chosen_path()
        try:
            self.runs = vary(self.experiment, path, split_values(self.values.text()))
        except SpecError as e:
            self.error.setText(str(e).removeprefix("--vary "))
            self.error.show()
            return
        self.path = path
        super().accept()
