"""The data panel: which dataset, how noisy, how it is split, which input features, batches,
preprocessing and augmentation, as TensorFlow Playground's left column does.

It shows an Experiment and proposes changes as ``{path: value}`` through ``edited``; the window
validates them. The batch size lives in ``train.batch_size`` but is shown here, beside the data.
"""

from __future__ import annotations

import functools
from typing import Optional

import numpy as np
from PySide6.QtCore import QPointF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (QCheckBox, QGroupBox, QHBoxLayout, QListView, QListWidget, QListWidgetItem,
                               QSizePolicy, QToolButton, QVBoxLayout, QWidget)
from superqt.utils import signals_blocked

from playground.core.choices import DATASETS, FEATURES, OPTIMIZERS, PREPROCESS
from playground.core.spec import AugmentSpec, DataSpec, Experiment, TrainSpec, field_help
from playground.ui import colors
from playground.ui.controls import ChoiceCombo, LabeledSlider, NumberField
from playground.ui.forms import (FieldForm, SpecPanel, align_labels, fit_popup, hint_label, message_label,
                                 rich_tip)
from playground.ui.network.coloring import feature_image

ICON_SIZE = 48
FEATURE_ICON_SIZE = 16
FEATURE_EXTENT = 6.0  # TensorFlow Playground draws the feature pictures over [-6, 6]^2

LECTURE_PREPROCESS = ("Lecture: zero-centre and normalise the inputs. If you don't, the loss is very sensitive "
                      "to small changes of the weights, and optimisation is harder.")
LECTURE_AUGMENT = ("Lecture: data augmentation is a regularizer, like dropout and batch norm: use it when the "
                   "validation loss stops falling while the training loss still falls.")


# -- pictures of the data (drawn once, cached) -----------------------------------------------------


def _scatter_image(name: str, size: int) -> QImage:
    info = DATASETS[name]
    points, targets = info.generate(200, 0.0, np.random.default_rng(0))
    if info.task == "classification":
        colours = colors.class_rgb(2)[(np.asarray(targets) == 1).astype(int)]
    else:
        colours = colors.diverging_rgb(targets)
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    scale = (size - 6) / (2 * info.extent)
    painter.setPen(Qt.PenStyle.NoPen)
    for (x, y), (r, g, b) in zip(points, colours):
        painter.setBrush(QColor(int(r), int(g), int(b)))
        painter.drawEllipse(QPointF(3 + (x + info.extent) * scale, 3 + (info.extent - y) * scale), 1.7, 1.7)
    painter.setPen(QPen(QColor("#b8b8b8"), 1))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(0, 0, size - 1, size - 1)
    painter.end()
    return image


def _digits_image(size: int) -> QImage:
    """Four digits tiled 2x2, dark ink on white, pixels scaled up without smoothing; each is the
    example nearest to its class's mean, so the tiny picture shows a typical one."""
    images, labels = DATASETS["digits"].generate(None, 0.0, np.random.default_rng(0))
    cell = size // 2
    scale = max(cell // 8, 1)
    canvas = np.full((size, size), 255, np.uint8)
    for k, digit in enumerate((0, 1, 2, 3)):
        members = images[labels == digit, 0]
        pixels = members[int(np.argmin(((members - members.mean(axis=0)) ** 2).sum(axis=(1, 2))))]
        ink = (255 - pixels * (255 / 16)).astype(np.uint8)
        big = np.kron(ink, np.ones((scale, scale), np.uint8))
        row, col = divmod(k, 2)
        top, left = row * cell + (cell - big.shape[0]) // 2, col * cell + (cell - big.shape[1]) // 2
        canvas[top:top + big.shape[0], left:left + big.shape[1]] = big
    canvas[[0, -1], :] = canvas[:, [0, -1]] = 184  # the same thin border as the 2D sets
    return QImage(canvas.tobytes(), size, size, size, QImage.Format.Format_Grayscale8).copy()


@functools.lru_cache(maxsize=None)
def dataset_image(name: str, size: int = ICON_SIZE) -> QImage:
    """A small picture of a dataset: ~200 points of a 2D set, or a few digits."""
    try:
        if DATASETS[name].kind == "image":
            return _digits_image(size)
        return _scatter_image(name, size)
    except Exception:  # e.g. a missing digits file: the picker still works, with a blank picture
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(QColor("#eeeeee"))
        return image


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
    """Dataset, noise, split, features, batch size, preprocessing and augmentation of an Experiment."""

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__("data_panel", parent)
        self._last_batch = TrainSpec().batch_size  # what "full batch" off goes back to
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
        self.noise = LabeledSlider("noise", 0.0, 0.5, 0.01, lambda v: f"{v:.2f}")
        self.noise.valueChanged.connect(lambda v: self._emit({"data.noise": v}))
        self._noise_tip = rich_tip(
            "Noise", field_help(DataSpec, "noise"),
            "More noise: the classes overlap and no boundary can be perfect. Watch the validation "
            "loss: a network that follows every noisy point is overfitting.")
        form.add("Noise", self.noise, "noise", "data.noise", self._noise_tip)

        self.val_fraction = LabeledSlider("val_fraction", 0.0, 0.9, 0.01, _split_text, label_below=True)
        self.val_fraction.valueChanged.connect(lambda v: self._emit({"data.val_fraction": v}))
        form.add("Split", self.val_fraction, "val_fraction", "data.val_fraction", rich_tip(
            "Train / validation split", field_help(DataSpec, "val_fraction"),
            "The network learns from the training part only; the validation part shows how well it "
            "generalises. If the validation loss plateaus while the training loss keeps falling, you "
            "are overfitting: add regularization."))

        self.n_samples = NumberField("n_samples", integer=True, allow_empty=True)
        self.n_samples.valueEdited.connect(lambda v: self._emit({"data.n_samples": v}))
        form.add("Samples", self.n_samples, "n_samples", "data.n_samples", rich_tip(
            "Number of examples", field_help(DataSpec, "n_samples"),
            "Fewer examples make overfitting easy to see; more make each epoch longer. Empty the field "
            "for the dataset's own size."))

        self.data_seed = NumberField("data_seed", integer=True, step=1)
        self.data_seed.valueEdited.connect(lambda v: self._emit({"data.seed": v}))
        form.add("Data seed", self.data_seed, "data_seed", "data.seed", rich_tip(
            "Data seed", field_help(DataSpec, "seed"), "Change it to draw another sample of the same problem."))
        outer.addLayout(form)
        return box

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
        self.n_samples.setPlaceholderText(f"default ({info.default_samples})")
        self.noise.setEnabled(points)
        self.noise.setToolTip(self._noise_tip if points else rich_tip(
            "Noise", "The digits ignore noise: the handwriting is noisy enough."))
        self.features_box.setVisible(points)
        self.form_augment.set_row_visible("aug_jitter", points)
        for row in ("aug_shift", "aug_flip", "aug_noise"):
            self.form_augment.set_row_visible(row, not points)

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
            self._emit({"data.name": chosen[0].data(Qt.ItemDataRole.UserRole)})

    def _on_feature(self) -> None:
        # the spec's order first (the model's input order), newly switched-on features at the end
        on = {name for name, button in self.feature_buttons.items() if button.isChecked()}
        order = [f for f in self._exp.data.features if f in on]
        order += [f for f in self.feature_buttons if f in on and f not in order]
        self._emit({"data.features": order})

    def _on_full_batch(self, checked: bool) -> None:
        self._emit({"train.batch_size": 0 if checked else self._last_batch})


def _split_text(fraction: float) -> str:
    val = round(fraction * 100)
    return f"train {100 - val}% / val {val}%"


