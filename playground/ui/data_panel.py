"""The data panel: which dataset, how noisy, how it is split, which input features, batches,
preprocessing and augmentation, as TensorFlow Playground's left column does; for image data also
which classes, how many labelled examples of each (few-shot), and a folder of the user's own images.

It shows an Experiment and proposes changes as ``{path: value}`` through ``edited``; the window
validates them. The batch size lives in ``train.batch_size`` but is shown here, beside the data.
A folder is only scanned by name here (no decoding, no torch): its counts show at once.
"""

from __future__ import annotations

import os
from typing import Optional

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (QCheckBox, QFileDialog, QGroupBox, QHBoxLayout, QListView, QListWidget,
                               QListWidgetItem, QSizePolicy, QToolButton, QVBoxLayout, QWidget)
from superqt.utils import signals_blocked

from playground.core.backbones import folder_format
from playground.core.choices import DATASETS, FEATURES, OPTIMIZERS, PREPROCESS
from playground.core.errors import SpecError
from playground.core.image_folder import scan_folder
from playground.core.paths import resolve_path
from playground.core.spec import AugmentSpec, DataSpec, Experiment, TrainSpec, field_help
from playground.ui import colors
from playground.ui.controls import ChoiceCombo, LabeledSlider, NumberField, PathRow
from playground.ui.dataset_pictures import ICON_SIZE, dataset_image, folder_image
from playground.ui.forms import (HINT_STYLE, FieldForm, SpecPanel, align_labels, fit_popup, hint_label,
                                 message_label, rich_tip)
from playground.ui.image_fields import SAMPLE_FOLDER, ClassesField, folder_summary, portable_path, shown_path
from playground.ui.network.coloring import feature_image

FEATURE_ICON_SIZE = 16
FEATURE_EXTENT = 6.0  # TensorFlow Playground draws the feature pictures over [-6, 6]^2

LECTURE_PREPROCESS = ("Lecture: zero-centre and normalise the inputs. If you don't, the loss is very sensitive "
                      "to small changes of the weights, and optimisation is harder.")
LECTURE_AUGMENT = ("Lecture: data augmentation is a regularizer, like dropout and batch norm: use it when the "
                   "validation loss stops falling while the training loss still falls.")
LECTURE_FEW_SHOT = ("Lecture: with very little data, start from a pretrained network (transfer learning) and "
                    "train only a linear classifier on top; with more data, fine-tune more of it.")


def short_label(label: str) -> str:
    """'Plane (regression)' -> 'Plane': the picture and the tooltip say the rest."""
    return label.split(" (")[0]


# -- the dataset picker ---------------------------------------------------------------------------


class DatasetList(QListWidget):
    """Pictures of the datasets in a grid that grows in height to show every one without scrolling."""

    GRID = QSize(70, 84)

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setWrapping(True)
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.setSpacing(0)
        self.setIconSize(QSize(ICON_SIZE, ICON_SIZE))
        self.setGridSize(self.GRID)
        self.setSelectionMode(QListWidget.SelectionMode.SingleSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(self.GRID.width() * 2 + 8)

    def _height_for(self, width: int) -> int:
        columns = max((width - 2 * self.frameWidth() - 4) // self.GRID.width(), 1)
        rows = -(-self.count() // columns)
        return rows * self.GRID.height() + 2 * self.frameWidth() + 6

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        height = self._height_for(event.size().width())
        if height != self.height():
            self.setFixedHeight(height)

    def sizeHint(self) -> QSize:
        width = self.GRID.width() * 4 + 2 * self.frameWidth() + 6
        return QSize(width, self._height_for(width))


# -- the panel ------------------------------------------------------------------------------------


class DataPanel(SpecPanel):
    """Dataset, noise, split, features, batch size, preprocessing and augmentation of an Experiment;
    for image data the classes and examples per class, for a folder its path and image size.

    ``choose_folder(path)`` proposes a folder as the Folder… button does after its dialog."""

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__("data_panel", parent)
        self._last_batch = TrainSpec().batch_size  # what "full batch" off goes back to
        self._last_folder: Optional[str] = None  # what the folder tile goes back to
        self._shown_folder: Optional[tuple] = None  # (path, mtime, format) of the summary shown
        self._shown_dataset: Optional[str] = None
        self._shown_preprocess: Optional[str] = None
        self._shown_optimizer: Optional[str] = None
        self.features_box = self._build_features()
        self.augment_box = self._build_augment()
        self._stack(self._build_dataset(), self.features_box, self._build_batches(), self.augment_box)
        align_labels(self.form_data, self.form_batches, self.form_augment)
        self.set_experiment(self._exp)

    # -- building ------------------------------------------------------------------------------
    def _build_dataset(self) -> QGroupBox:
        box = QGroupBox("Data")
        outer = QVBoxLayout(box)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.setSpacing(2)

        self.dataset_list = DatasetList()
        self.dataset_list.setObjectName("dataset_list")
        self._dataset_rows: dict[str, int] = {}
        for entry in DATASETS:
            self._dataset_rows[entry.name] = self.dataset_list.count()
            picture = QPixmap.fromImage(dataset_image(entry.name))
            icon = QIcon(picture)
            icon.addPixmap(picture, QIcon.Mode.Selected)  # no selection tint: the colours are the classes
            item = QListWidgetItem(icon, short_label(entry.label))
            item.setData(Qt.ItemDataRole.UserRole, entry.name)
            item.setToolTip(rich_tip(entry.label, entry.tip))
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            self.dataset_list.addItem(item)
        self.dataset_list.setToolTip(rich_tip(
            "Dataset", "Pick the problem to learn. Orange is class 0 (or a negative target), blue class 1 "
                       "(or a positive target). Hover a picture for what that dataset teaches."))
        # the selection, not the current item: a click sets the current item first and the selection
        # after it, so a refused click answered at the first would leave the refused tile selected
        self.dataset_list.itemSelectionChanged.connect(self._on_dataset)
        dataset_message = message_label("error_dataset_list")
        self.marks.add("data.name", self.dataset_list, dataset_message)
        outer.addWidget(self.dataset_list)
        outer.addWidget(dataset_message)
        self.dataset_hint = hint_label(object_name="dataset_hint")
        outer.addWidget(self.dataset_hint)

        form = self.form_data = FieldForm(self)
        self._build_folder(form)
        self.noise = LabeledSlider("noise", 0.0, 0.5, 0.01, lambda v: f"{v:.2f}")
        self.noise.valueChanged.connect(lambda v: self._emit({"data.noise": v}))
        self._noise_tip = rich_tip(
            "Noise", field_help(DataSpec, "noise"),
            "More noise: the classes overlap and no boundary can be perfect. Watch the validation "
            "loss: a network that follows every noisy point is overfitting.")
        form.add("Noise", self.noise, "noise", "data.noise", self._noise_tip)

        self.val_fraction = LabeledSlider("val_fraction", 0.0, 0.9, 0.01, _split_text, label_below=True)
        self.val_fraction.valueChanged.connect(lambda v: self._emit({"data.val_fraction": v}))
        self._split_tip = rich_tip(
            "Train / validation split", field_help(DataSpec, "val_fraction"),
            "The network learns from the training part only; the validation part shows how well it "
            "generalises. If the validation loss plateaus while the training loss keeps falling, you "
            "are overfitting: add regularization.")
        form.add("Split", self.val_fraction, "val_fraction", "data.val_fraction", self._split_tip)

        self.n_samples = NumberField("n_samples", integer=True, allow_empty=True)
        self.n_samples.valueEdited.connect(lambda v: self._emit({"data.n_samples": v}))
        form.add("Samples", self.n_samples, "n_samples", "data.n_samples", rich_tip(
            "Number of examples", field_help(DataSpec, "n_samples"),
            "Fewer examples make overfitting easy to see; more make each epoch longer. Empty the field "
            "for the dataset's own size."))

        self.classes = ClassesField("classes")
        self.classes.valueEdited.connect(lambda v: self._emit({"data.classes": v}))
        self._classes_tip = (field_help(DataSpec, "classes"), ("Type a range (30-39), a list (0,1,7) or both "
                             "(0-4, 9); empty: every class. Fewer classes make a smaller, easier problem."))
        form.add("Classes", self.classes, "classes", "data.classes", rich_tip("Classes", *self._classes_tip))

        self.per_class = NumberField("per_class", integer=True, allow_empty=True, suffix=" each", step=1,
                                     placeholder="off: use the split", width_text="off: use the split")
        self.per_class.valueEdited.connect(lambda v: self._emit({"data.per_class": v}))
        form.add("Per class", self.per_class, "per_class", "data.per_class", rich_tip(
            "Examples per class (few-shot)", field_help(DataSpec, "per_class"),
            "With 5 examples of each class a network trained from scratch memorises them; a pretrained "
            "backbone already knows useful features. Empty: the train/validation split decides.",
            LECTURE_FEW_SHOT))

        self.data_seed = NumberField("data_seed", integer=True, step=1)
        self.data_seed.valueEdited.connect(lambda v: self._emit({"data.seed": v}))
        form.add("Data seed", self.data_seed, "data_seed", "data.seed", rich_tip(
            "Data seed", field_help(DataSpec, "seed"), "Change it to draw another sample of the same problem."))
        outer.addLayout(form)
        return box

    def _build_folder(self, form: FieldForm) -> None:
        """The folder's path with its Folder… button, what the folder holds, and the image size."""
        row = PathRow("folder", "Folder…", rich_tip(
            "Choose a folder", "A folder with one subfolder per class (cat/, dog/, ...), each holding that "
            "class's PNG or JPEG pictures. Files elsewhere, and files that are no pictures, are listed and "
            "skipped."), self._ask_folder)
        self.folder_path, self.folder_button = row.label, row.button
        form.add("Folder", row, "folder", "data.path", rich_tip("Folder", field_help(DataSpec, "path")))
        self.folder_summary = hint_label(object_name="folder_summary")
        form.addRow(self.folder_summary)  # the whole width: fewer lines

        self.image_size = NumberField("image_size", integer=True, allow_empty=True, suffix=" px", step=8,
                                      placeholder="default (32 px)", width_text="default (32 px)")
        self.image_size.valueEdited.connect(lambda v: self._emit({"data.image_size": v}))
        form.add("Image size", self.image_size, "image_size", "data.image_size", rich_tip(
            "Image size", field_help(DataSpec, "image_size"), "Every picture is scaled (shorter side) and cut "
            "square in the middle. Small pictures train fast; 32 px keeps the shape of most things. With a "
            "backbone, its own input size is used."))

    def _build_features(self) -> QGroupBox:
        box = QGroupBox("Input features")
        box.setObjectName("features_box")
        outer = QVBoxLayout(box)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.setSpacing(2)
        holder = QWidget()
        holder.setObjectName("features")
        holder.setStyleSheet(
            "QToolButton { border: 1px solid #b0b0b0; border-radius: 4px; padding: 2px 1px; background: #f6f6f6; }"
            "QToolButton:checked { border: 2px solid #0877bd; background: #d5e8f5; font-weight: bold; }"
            "QToolButton:!checked { color: #666666; }")
        rows = QVBoxLayout(holder)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.setSpacing(3)
        self.feature_buttons: dict[str, QToolButton] = {}
        entries = list(FEATURES)
        for start in range(0, len(entries), 4):  # rows of their own widths: short names first
            line = QHBoxLayout()
            line.setSpacing(3)
            rows.addLayout(line)
            for entry in entries[start:start + 4]:
                line.addWidget(self._feature_button(entry))
        message = message_label("error_features")
        self.marks.add("data.features", holder, message)
        outer.addWidget(holder)
        outer.addWidget(message)
        outer.addWidget(hint_label("What the network sees of each point. Orange: negative, blue: positive."))
        return box

    def _feature_button(self, entry) -> QToolButton:
        button = QToolButton()
        button.setObjectName(f"feature_{entry.name}")
        button.setText(entry.label)
        button.setIcon(QIcon(QPixmap.fromImage(feature_image(entry.name, FEATURE_EXTENT, FEATURE_ICON_SIZE))))
        button.setIconSize(QSize(FEATURE_ICON_SIZE, FEATURE_ICON_SIZE))
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setCheckable(True)
        button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        button.setToolTip(rich_tip(f"Feature {entry.label}", entry.tip,
                                   "Click to feed it to the network (blue border) or leave it out."))
        button.toggled.connect(self._on_feature)
        self.feature_buttons[entry.name] = button
        return button

    def _build_batches(self) -> QGroupBox:
        box = QGroupBox("Batches and preprocessing")
        form = self.form_batches = FieldForm(self, box)

        row = QWidget()
        row.setObjectName("batch_row")
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        self.batch_size = NumberField("batch_size", integer=True, step=1, width_text="100000")
        self.batch_size.valueEdited.connect(lambda v: self._emit({"train.batch_size": v}))
        self.full_batch = QCheckBox("full batch")
        self.full_batch.setObjectName("full_batch")
        self.full_batch.setToolTip(rich_tip(
            "Full batch", "Every step uses the whole training set (batch size 0 in the file): gradient "
                          "descent without the noise of minibatches."))
        self.full_batch.toggled.connect(self._on_full_batch)
        line.addWidget(self.batch_size, 1)
        line.addWidget(self.full_batch)
        self._batch_tip = rich_tip(
            "Batch size", field_help(TrainSpec, "batch_size"),
            "Stochastic gradient descent steps on a minibatch; plain gradient descent on all the training "
            "data (full batch). Small batches: noisy but many steps per epoch; large batches: smooth "
            "but few steps.")
        form.add("Batch size", row, "batch_size")
        # the mark goes around the typed number, the message under the row
        self.marks.add("train.batch_size", self.batch_size, form.messages["batch_size"])
        self.batch_size.refused.connect(lambda reason: self._refuse("train.batch_size", reason))

        self.preprocess = ChoiceCombo(PREPROCESS, "", "Preprocessing", LECTURE_PREPROCESS, inherit=False,
                                      name="preprocess")
        for i, entry in enumerate(PREPROCESS):  # the popup shows each formula, the closed combo its name
            self.preprocess.setItemText(i, f"{entry.label}: {entry.value}")
        fit_popup(self.preprocess)
        self.preprocess.currentIndexChanged.connect(lambda: self._emit({"data.preprocess": self.preprocess.choice()}))
        form.add("Preprocess", self.preprocess, "preprocess", "data.preprocess")
        return box

    def _build_augment(self) -> QGroupBox:
        box = QGroupBox("Augmentation")
        box.setObjectName("augment_box")
        form = self.form_augment = FieldForm(self, box)

        self.aug_jitter = NumberField("aug_jitter", zero_text="off", step=0.05)
        self.aug_jitter.valueEdited.connect(lambda v: self._emit({"data.augment.jitter": v}))
        form.add("Jitter", self.aug_jitter, "aug_jitter", "data.augment.jitter", rich_tip(
            "Jitter", field_help(AugmentSpec, "jitter"), "0 = off. The points stay, their copies wiggle: the "
            "boundary cannot wrap itself tightly around single points.", LECTURE_AUGMENT))

        self.aug_shift = NumberField("aug_shift", integer=True, zero_text="off", suffix=" px", step=1)
        self.aug_shift.valueEdited.connect(lambda v: self._emit({"data.augment.shift": v}))
        form.add("Shift", self.aug_shift, "aug_shift", "data.augment.shift", rich_tip(
            "Shift", field_help(AugmentSpec, "shift"), "0 = off. A digit moved by a pixel is still the same "
            "digit.", LECTURE_AUGMENT))

        self.aug_flip = QCheckBox("mirror left-right")
        self.aug_flip.setObjectName("aug_flip")
        self.aug_flip.toggled.connect(lambda v: self._emit({"data.augment.flip": v}))
        form.add("Flip", self.aug_flip, "aug_flip", "data.augment.flip", rich_tip(
            "Flip", field_help(AugmentSpec, "flip"), "Careful: a mirrored 2, 3 or 7 is no longer a digit. "
            "Flips suit photos of things, not handwriting.", LECTURE_AUGMENT))

        self.aug_noise = NumberField("aug_noise", zero_text="off", step=0.1)
        self.aug_noise.valueEdited.connect(lambda v: self._emit({"data.augment.noise": v}))
        form.add("Pixel noise", self.aug_noise, "aug_noise", "data.augment.noise", rich_tip(
            "Pixel noise", field_help(AugmentSpec, "noise"), "0 = off. With standardized pixels, 0.5 is already "
            "a lot.", LECTURE_AUGMENT))
        return box

    # -- showing a spec ------------------------------------------------------------------------
    def _show(self, exp: Experiment) -> None:
        data = exp.data
        if data.name != self._shown_dataset:
            self._show_dataset(data.name)
        row = self._dataset_rows.get(data.name, -1)
        selected = [index.row() for index in self.dataset_list.selectedIndexes()]
        if self.dataset_list.currentRow() != row or selected != [row]:  # also after a refused click
            with signals_blocked(self.dataset_list):
                self.dataset_list.setCurrentRow(row)
        self.noise.setValue(data.noise)
        self.val_fraction.setValue(data.val_fraction)
        self.n_samples.setValue(data.n_samples)
        self.data_seed.setValue(data.seed)
        self._show_subsets(exp)
        for name, button in self.feature_buttons.items():
            with signals_blocked(button):
                button.setChecked(name in data.features)
        self._show_batch(exp)
        if data.preprocess != self._shown_preprocess or self.preprocess.choice() != data.preprocess:
            self._shown_preprocess = data.preprocess  # set_choice rewrites the tooltip: only when it changes
            self.preprocess.set_choice(data.preprocess)
        aug = data.augment
        self.aug_jitter.setValue(aug.jitter)
        self.aug_shift.setValue(aug.shift)
        with signals_blocked(self.aug_flip):
            self.aug_flip.setChecked(aug.flip)
        self.aug_noise.setValue(aug.noise)

    def _show_dataset(self, name: str) -> None:
        """What changes with the dataset: its hint and the controls that suit its kind."""
        self._shown_dataset = name
        info, entry = DATASETS[name], DATASETS.entry(name)
        points = info.kind == "points"
        kind = "regression" if info.task == "regression" else f"{info.num_classes} classes"
        self.dataset_hint.setText(f"{entry.label}: {kind}, {info.default_samples} examples by default.")
        self.dataset_hint.setVisible(name != "folder")  # the folder's own summary says what it holds
        self.n_samples.setPlaceholderText(f"default ({info.default_samples})")
        self.noise.setEnabled(points)
        self.noise.setToolTip(self._noise_tip if points else rich_tip(
            "Noise", "Image datasets ignore noise: handwriting and photos are noisy enough."))
        self.form_data.set_row_visible("n_samples", name != "folder")  # a folder has the images it has
        few_shot = info.kind == "image" and info.task == "classification"
        for row in ("classes", "per_class"):
            self.form_data.set_row_visible(row, few_shot)
        self.form_data.set_row_visible("folder", name == "folder")
        self.form_data.setRowVisible(self.folder_summary, name == "folder")
        if name != "folder":
            self.form_data.set_row_visible("image_size", False)
            self.classes.setPlaceholderText(f"all (0-{info.num_classes - 1})" if info.num_classes else "all")
            self.classes.setToolTip(rich_tip("Classes", *self._classes_tip))
        self._shown_folder = None  # the folder's rows are shown afresh
        self.features_box.setVisible(points)
        self.form_augment.set_row_visible("aug_jitter", points)
        for row in ("aug_shift", "aug_flip", "aug_noise"):
            self.form_augment.set_row_visible(row, not points)

    def _show_subsets(self, exp: Experiment) -> None:
        """Classes, examples per class, and for a folder its path, counts and image size."""
        data = exp.data
        self.classes.setValue(data.classes)
        self.per_class.setValue(data.per_class)
        few_shot = data.per_class is not None
        self.val_fraction.setEnabled(not few_shot)
        split_tip = rich_tip("Train / validation split", "Not used: Per class sets the training examples "
                             f"({data.per_class} of each class) and every other example validates. Empty Per "
                             "class to split by share again.") if few_shot else self._split_tip
        if self.val_fraction.toolTip() != split_tip:
            self.val_fraction.setToolTip(split_tip)
            self.form_data.labels["val_fraction"].setToolTip(split_tip)
        if data.name != "folder":
            return
        if data.path:
            self._last_folder = data.path
        backbone = exp.transfer.enabled
        self.form_data.set_row_visible("image_size", not backbone)
        self.image_size.setValue(data.image_size)
        self._show_folder(exp)

    def _show_folder(self, exp: Experiment) -> None:
        """The folder's summary: scanned again only when its path, its time stamp or the image format
        changes (set_experiment runs on every edit)."""
        path = exp.data.path or ""
        try:
            stamp = resolve_path(path).stat().st_mtime if path else None
        except OSError:
            stamp = None
        try:
            fmt = folder_format(exp)
            size = f"{fmt.size}×{fmt.size} {'colour' if fmt.channels == 3 else 'grey'}"
        except (SpecError, KeyError):
            size = ""
        key = (path, stamp, size, exp.transfer.backbone)
        if key == self._shown_folder:
            return
        self._shown_folder = key
        self.folder_path.set_full_text(shown_path(path) if path else "no folder chosen")
        self.folder_path.setToolTip(str(resolve_path(path)) if path else "")
        if not path:
            text, tip, usable = "Choose a folder with one subfolder per class.", "", False
        else:
            text, tip, usable = folder_summary(path)
        if size and usable:
            text += (f"\nPictures become {size} for the backbone {exp.transfer.backbone}." if exp.transfer.enabled
                     else f"\nPictures become {size} (Image size).")
        self.folder_summary.setText(text)
        self.folder_summary.setToolTip(tip)
        self.folder_summary.setStyleSheet(HINT_STYLE if usable else f"color: {colors.ERROR};")
        item = self.dataset_list.item(self._dataset_rows["folder"])
        picture = QPixmap.fromImage(folder_image(path))
        icon = QIcon(picture)
        icon.addPixmap(picture, QIcon.Mode.Selected)
        item.setIcon(icon)
        names = list(scan_folder(resolve_path(path))[0]) if usable else []
        self.classes.setPlaceholderText(f"all ({len(names)})" if names else "all")
        numbered = ", ".join(f"{i} {name}" for i, name in enumerate(names[:20])) + (", …" if len(names) > 20 else "")
        self.classes.setToolTip(rich_tip("Classes", *self._classes_tip,
                                         f"This folder's classes by index: {numbered}." if names else ""))

    def _show_batch(self, exp: Experiment) -> None:
        batch = exp.train.batch_size
        if batch > 0:
            self._last_batch = batch
        self.batch_size.setValue(self._last_batch)
        with signals_blocked(self.full_batch):
            self.full_batch.setChecked(batch == 0)
        full_batch_optimizer = OPTIMIZERS[exp.optim.name].full_batch
        self.batch_size.setEnabled(batch > 0 and not full_batch_optimizer)
        self.full_batch.setEnabled(not full_batch_optimizer)
        if exp.optim.name != self._shown_optimizer:
            self._shown_optimizer = exp.optim.name
            tip = self._batch_tip if not full_batch_optimizer else rich_tip(
                "Batch size", f"{OPTIMIZERS.entry(exp.optim.name).label} always steps on the full batch: "
                              "its line search needs the same loss at every try.")
            self.batch_size.setToolTip(tip)
            self.form_batches.labels["batch_size"].setToolTip(tip)

    # -- user changes --------------------------------------------------------------------------
    def _on_dataset(self) -> None:
        chosen = self.dataset_list.selectedItems()
        if chosen:
            self._emit(dataset_changes(self._exp, chosen[0].data(Qt.ItemDataRole.UserRole), self._last_folder))

    def _ask_folder(self) -> None:
        start = str(resolve_path(self._exp.data.path)) if self._exp.data.path else os.path.expanduser("~")
        path = QFileDialog.getExistingDirectory(self, "Choose the folder of your images (one subfolder per class)",
                                                start)
        if path:
            self.choose_folder(path)

    def choose_folder(self, path: str) -> None:
        """Propose ``path`` as the data: what the Folder… button does once its dialog is answered."""
        changes = {"data.name": "folder", "data.path": portable_path(path)}
        if self._exp.data.name != "folder" and self._exp.data.classes is not None:
            changes["data.classes"] = None
        self._emit(changes)

    def _on_feature(self) -> None:
        # the spec's order first (the model's input order), newly switched-on features at the end
        on = {name for name, button in self.feature_buttons.items() if button.isChecked()}
        order = [f for f in self._exp.data.features if f in on]
        order += [f for f in self.feature_buttons if f in on and f not in order]
        self._emit({"data.features": order})

    def _on_full_batch(self, checked: bool) -> None:
        self._emit({"train.batch_size": 0 if checked else self._last_batch})


def dataset_changes(exp: Experiment, name: str, last_folder: Optional[str] = None) -> dict:
    """What picking the dataset ``name`` proposes. Class numbers belong to one dataset, so a class
    subset is dropped when the dataset changes; a file of examples cannot give more than it has, so
    a larger sample size goes back to all of them; the folder tile brings the folder chosen last (else
    the shipped sample), because a folder without a path is no experiment yet."""
    changes: dict = {"data.name": name}
    if name != exp.data.name and exp.data.classes is not None:
        changes["data.classes"] = None
    info = DATASETS[name]
    if info.fixed_size and exp.data.n_samples is not None and exp.data.n_samples > info.default_samples:
        changes["data.n_samples"] = None  # all the examples there are, not more
    if name == "folder" and not exp.data.path:
        changes["data.path"] = last_folder or SAMPLE_FOLDER
    return changes


def _split_text(fraction: float) -> str:
    val = round(fraction * 100)
    return f"train {100 - val}% / val {val}%"


