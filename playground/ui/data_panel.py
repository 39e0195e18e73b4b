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
from PySide6.QtWidgets import (QCheckBox, QComboBox, QGroupBox, QHBoxLayout, QListView, QListWidget,
                               QListWidgetItem, QSizePolicy, QToolButton, QVBoxLayout, QWidget)

from playground.core.choices import DATASETS, FEATURES, OPTIMIZERS, PREPROCESS
from playground.core.spec import AugmentSpec, DataSpec, Experiment, TrainSpec, field_help
from playground.ui.widgets import (DoubleSpinBox, FieldForm, FieldFrame, LabeledSlider, SpecPanel, align_labels,
                                   compact_combo, hint_label, int_spin, rich_tip)

ORANGE = (245, 147, 34)  # TensorFlow Playground: class 0 / negative
BLUE = (8, 119, 189)  # class 1 / positive
NEUTRAL = (200, 202, 204)  # a regression target of 0, still visible on white
ICON_SIZE = 48
FEATURE_ICON_SIZE = 16
MAX_SAMPLES = 100_000
MAX_BATCH = 100_000
MAX_SEED = 2**31 - 1

LECTURE_PREPROCESS = ("Lecture: zero-centre and normalise the inputs. If you don't, the loss is very sensitive "
                      "to small changes of the weights, and optimisation is harder.")
LECTURE_AUGMENT = ("Lecture: data augmentation is a regularizer, like dropout and batch norm: use it when the "
                   "validation loss stops falling while the training loss still falls.")


# -- pictures of the data (drawn once, cached) -----------------------------------------------------


def _diverging(values: np.ndarray) -> np.ndarray:
    """Values in [-1, 1] to RGB rows: orange for negative, grey for 0, blue for positive."""
    t = np.clip(values, -1.0, 1.0)[:, None]
    neutral, orange, blue = (np.array(c, float) for c in (NEUTRAL, ORANGE, BLUE))
    rgb = np.where(t < 0, neutral + (orange - neutral) * -t, neutral + (blue - neutral) * t)
    return rgb.astype(np.uint8)


def _scatter_image(name: str, size: int) -> QImage:
    info = DATASETS[name]
    points, targets = info.generate(200, 0.0, np.random.default_rng(0))
    if info.task == "classification":
        colours = np.where(targets[:, None] == 1, BLUE, ORANGE).astype(np.uint8)
    else:
        colours = _diverging(np.asarray(targets, float))
    image = QImage(size, size, QImage.Format_ARGB32_Premultiplied)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.Antialiasing)
    scale = (size - 6) / (2 * info.extent)
    painter.setPen(Qt.NoPen)
    for (x, y), (r, g, b) in zip(points, colours):
        painter.setBrush(QColor(int(r), int(g), int(b)))
        painter.drawEllipse(QPointF(3 + (x + info.extent) * scale, 3 + (info.extent - y) * scale), 1.7, 1.7)
    painter.setPen(QPen(QColor("#b8b8b8"), 1))
    painter.setBrush(Qt.NoBrush)
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
    return QImage(canvas.tobytes(), size, size, size, QImage.Format_Grayscale8).copy()


@functools.lru_cache(maxsize=None)
def dataset_image(name: str, size: int = ICON_SIZE) -> QImage:
    """A small picture of a dataset: ~200 points of a 2D set, or a few digits."""
    try:
        if DATASETS[name].kind == "image":
            return _digits_image(size)
        return _scatter_image(name, size)
    except Exception:  # e.g. a missing digits file: the picker still works, with a blank picture
        image = QImage(size, size, QImage.Format_ARGB32_Premultiplied)
        image.fill(QColor("#eeeeee"))
        return image


@functools.lru_cache(maxsize=None)
def feature_image(name: str, size: int = FEATURE_ICON_SIZE) -> QImage:
    """A feature as TensorFlow Playground draws it: its value over the plane, orange < 0 < blue."""
    ticks = np.linspace(-6, 6, size)
    xx, yy = np.meshgrid(ticks, ticks[::-1])
    values = FEATURES[name](np.stack([xx.ravel(), yy.ravel()], axis=1))
    values = values / max(float(np.abs(values).max()), 1e-9)
    rgb = np.ascontiguousarray(_diverging(values).reshape(size, size, 3))
    return QImage(rgb.tobytes(), size, size, 3 * size, QImage.Format_RGB888).copy()


def short_label(label: str) -> str:
    """'Plane (regression)' -> 'Plane': the picture and the tooltip say the rest."""
    return label.split(" (")[0]


# -- the dataset picker ---------------------------------------------------------------------------


class DatasetList(QListWidget):
    """Pictures of the datasets in a grid that grows in height to show every one without scrolling."""

    GRID = QSize(70, 84)

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.setViewMode(QListView.IconMode)
        self.setMovement(QListView.Static)
        self.setResizeMode(QListView.Adjust)
        self.setWrapping(True)
        self.setWordWrap(True)
        self.setTextElideMode(Qt.ElideNone)
        self.setSpacing(0)
        self.setIconSize(QSize(ICON_SIZE, ICON_SIZE))
        self.setGridSize(self.GRID)
        self.setSelectionMode(QListWidget.SingleSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
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
        self._build()
        self.set_experiment(self._exp)

    # -- building ------------------------------------------------------------------------------
    def _build(self) -> None:
        dataset = self._build_dataset()
        self.features_box = self._build_features()
        batches = self._build_batches()
        self.augment_box = self._build_augment()
        self._stack(dataset, self.features_box, batches, self.augment_box)
        align_labels(self.form_data, self.form_batches, self.form_augment)

    def _build_dataset(self) -> QGroupBox:
        box = QGroupBox("Data")
        outer = QVBoxLayout(box)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.setSpacing(2)

        self.dataset_list = DatasetList()
        self.dataset_list.setObjectName("dataset_list")
        for entry in DATASETS:
            picture = QPixmap.fromImage(dataset_image(entry.name))
            icon = QIcon(picture)
            icon.addPixmap(picture, QIcon.Selected)  # no selection tint: the colours are the classes
            item = QListWidgetItem(icon, short_label(entry.label))
            item.setData(Qt.UserRole, entry.name)
            item.setToolTip(rich_tip(entry.label, entry.tip))
            item.setTextAlignment(Qt.AlignHCenter | Qt.AlignTop)
            self.dataset_list.addItem(item)
        self.dataset_list.setToolTip(rich_tip(
            "Dataset", "Pick the problem to learn. Orange is class 0 (or a negative target), blue class 1 "
                       "(or a positive target). Hover a picture for what that dataset teaches."))
        self.dataset_list.currentItemChanged.connect(self._on_dataset)

        frame = FieldFrame(self.dataset_list, "dataset")
        self.marks.add("data.name", frame)
        outer.addWidget(frame)
        self.dataset_hint = hint_label(object_name="dataset_hint")
        outer.addWidget(self.dataset_hint)

        form = FieldForm(self.marks)
        self.form_data = form
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

        self.n_samples = int_spin("n_samples", 0, MAX_SAMPLES)
        self.n_samples.setSingleStep(50)
        self.n_samples.valueChanged.connect(lambda v: self._emit({"data.n_samples": v or None}))
        form.add("Samples", self.n_samples, "n_samples", "data.n_samples", rich_tip(
            "Number of examples", field_help(DataSpec, "n_samples"),
            "Fewer examples make overfitting easy to see; more make each epoch longer."))

        self.data_seed = int_spin("data_seed", 0, MAX_SEED)
        self.data_seed.valueChanged.connect(lambda v: self._emit({"data.seed": v}))
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
                button = QToolButton()
                button.setObjectName(f"feature_{entry.name}")
                button.setText(entry.label)
                button.setIcon(QIcon(QPixmap.fromImage(feature_image(entry.name))))
                button.setIconSize(QSize(FEATURE_ICON_SIZE, FEATURE_ICON_SIZE))
                button.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
                button.setCheckable(True)
                button.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
                button.setToolTip(rich_tip(f"Feature {entry.label}", entry.tip,
                                           "Click to feed it to the network (blue border) or leave it out."))
                button.toggled.connect(self._on_feature)
                line.addWidget(button)
                self.feature_buttons[entry.name] = button
        frame = FieldFrame(holder, "features")
        self.marks.add("data.features", frame)
        outer.addWidget(frame)
        outer.addWidget(hint_label("What the network sees of each point. Orange: negative, blue: positive."))
        return box

    def _build_batches(self) -> QGroupBox:
        box = QGroupBox("Batches and preprocessing")
        form = FieldForm(self.marks, box)
        self.form_batches = form

        row = QWidget()
        row.setObjectName("batch_row")
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        self.batch_size = int_spin("batch_size", 1, MAX_BATCH)
        self.batch_size.setMinimumWidth(64)  # narrower than room for 100000: the panel fits a slim dock
        self.batch_size.valueChanged.connect(self._on_batch_size)
        self.full_batch = QCheckBox("full batch")
        self.full_batch.setObjectName("full_batch")
        self.full_batch.toggled.connect(self._on_full_batch)
        line.addWidget(self.batch_size, 1)
        line.addWidget(self.full_batch)
        self._batch_tip = rich_tip(
            "Batch size", field_help(TrainSpec, "batch_size"),
            "Stochastic gradient descent steps on a minibatch; plain gradient descent on all the training "
            "data (full batch). Small batches: noisy but many steps per epoch; large batches: smooth "
            "but few steps.")
        self.batch_frame = form.add("Batch size", row, "batch_size", "train.batch_size", self._batch_tip)
        self.batch_frame.set_tip(self._batch_tip, self.batch_size)
        self.batch_frame.set_tip(rich_tip("Full batch", "Every step uses the whole training set (batch size 0 "
                                          "in the file): gradient descent without the noise of minibatches."),
                                 self.full_batch)

        self.preprocess = compact_combo(QComboBox())
        self.preprocess.setObjectName("preprocess")
        for i, entry in enumerate(PREPROCESS):
            self.preprocess.addItem(f"{entry.label}: {entry.value}", entry.name)
            self.preprocess.setItemData(i, rich_tip(entry.label, entry.tip), Qt.ToolTipRole)
        self.preprocess.currentIndexChanged.connect(
            lambda i: self._emit({"data.preprocess": self.preprocess.itemData(i)}))
        form.add("Preprocess", self.preprocess, "preprocess", "data.preprocess", rich_tip(
            "Preprocessing", *(f"{e.label} ({e.value}): {e.tip}" for e in PREPROCESS), LECTURE_PREPROCESS))
        return box

    def _build_augment(self) -> QGroupBox:
        box = QGroupBox("Augmentation")
        box.setObjectName("augment_box")
        form = FieldForm(self.marks, box)
        self.form_augment = form

        self.aug_jitter = DoubleSpinBox("aug_jitter", 0.0, 3.0, 0.05, 2)
        self.aug_jitter.setSpecialValueText("off")
        self.aug_jitter.valueChanged.connect(lambda v: self._emit({"data.augment.jitter": v}))
        form.add("Jitter", self.aug_jitter, "aug_jitter", "data.augment.jitter", rich_tip(
            "Jitter", field_help(AugmentSpec, "jitter"), "0 = off. The points stay, their copies wiggle: the "
            "boundary cannot wrap itself tightly around single points.", LECTURE_AUGMENT))

        self.aug_shift = int_spin("aug_shift", 0, 3, suffix=" px", off="off")
        self.aug_shift.valueChanged.connect(lambda v: self._emit({"data.augment.shift": v}))
        form.add("Shift", self.aug_shift, "aug_shift", "data.augment.shift", rich_tip(
            "Shift", field_help(AugmentSpec, "shift"), "A digit moved by a pixel is still the same digit.",
            LECTURE_AUGMENT))

        self.aug_flip = QCheckBox("mirror left-right")
        self.aug_flip.setObjectName("aug_flip")
        self.aug_flip.toggled.connect(lambda v: self._emit({"data.augment.flip": v}))
        form.add("Flip", self.aug_flip, "aug_flip", "data.augment.flip", rich_tip(
            "Flip", field_help(AugmentSpec, "flip"), "Careful: a mirrored 2, 3 or 7 is no longer a digit. "
            "Flips suit photos of things, not handwriting.", LECTURE_AUGMENT))

        self.aug_noise = DoubleSpinBox("aug_noise", 0.0, 5.0, 0.1, 2)
        self.aug_noise.setSpecialValueText("off")
        self.aug_noise.valueChanged.connect(lambda v: self._emit({"data.augment.noise": v}))
        form.add("Pixel noise", self.aug_noise, "aug_noise", "data.augment.noise", rich_tip(
            "Pixel noise", field_help(AugmentSpec, "noise"), "0 = off. With standardized pixels, 0.5 is already "
            "a lot.", LECTURE_AUGMENT))
        return box

    # -- showing a spec ------------------------------------------------------------------------
    def _show(self, exp: Experiment) -> None:
        data, info = exp.data, DATASETS[exp.data.name]
        points = info.kind == "points"
        for row in range(self.dataset_list.count()):
            if self.dataset_list.item(row).data(Qt.UserRole) == data.name:
                self.dataset_list.setCurrentRow(row)
        entry = DATASETS.entry(data.name)
        kind = "regression" if info.task == "regression" else f"{info.num_classes} classes"
        self.dataset_hint.setText(f"{entry.label}: {kind}, {info.default_samples} examples by default.")

        self.noise.setValue(data.noise)
        self.noise.setEnabled(points)
        self.form_data.frames["noise"].set_tip(self._noise_tip if points else rich_tip(
            "Noise", "The digits ignore noise: the handwriting is noisy enough."))
        self.val_fraction.setValue(data.val_fraction)
        self.n_samples.setSpecialValueText(f"default ({info.default_samples})")
        self.n_samples.setValue(data.n_samples or 0)
        self.data_seed.setValue(data.seed)

        self.features_box.setVisible(points)
        for name, button in self.feature_buttons.items():
            button.setChecked(name in data.features)

        batch = exp.train.batch_size
        if batch > 0:
            self._last_batch = batch
        self.batch_size.setValue(self._last_batch)
        self.full_batch.setChecked(batch == 0)
        full_batch_optimizer = OPTIMIZERS[exp.optim.name].full_batch
        self.batch_size.setEnabled(batch > 0 and not full_batch_optimizer)
        self.full_batch.setEnabled(not full_batch_optimizer)
        self.batch_frame.set_tip(self._batch_tip if not full_batch_optimizer else rich_tip(
            "Batch size", f"{OPTIMIZERS.entry(exp.optim.name).label} always steps on the full batch: "
                          "its line search needs the same loss at every try."))
        self.preprocess.setCurrentIndex(self.preprocess.findData(data.preprocess))

        aug = data.augment
        self.aug_jitter.setValue(aug.jitter)
        self.aug_shift.setValue(aug.shift)
        self.aug_flip.setChecked(aug.flip)
        self.aug_noise.setValue(aug.noise)
        self.form_augment.set_row_visible("aug_jitter", points)
        for name in ("aug_shift", "aug_flip", "aug_noise"):
            self.form_augment.set_row_visible(name, not points)

    # -- user changes --------------------------------------------------------------------------
    def _on_dataset(self, current: Optional[QListWidgetItem], _previous=None) -> None:
        if current is not None and current.data(Qt.UserRole) != self._exp.data.name:
            self._emit({"data.name": current.data(Qt.UserRole)})

    def _on_feature(self, _checked: bool) -> None:
        # the spec's order first (the model's input order), newly switched-on features at the end
        on = {name for name, button in self.feature_buttons.items() if button.isChecked()}
        order = [f for f in self._exp.data.features if f in on]
        order += [f for f in self.feature_buttons if f in on and f not in order]
        self._emit({"data.features": order})

    def _on_batch_size(self, value: int) -> None:
        self._last_batch = value
        if not self.full_batch.isChecked():
            self._emit({"train.batch_size": value})

    def _on_full_batch(self, checked: bool) -> None:
        if self._updating:
            return
        self.batch_size.setEnabled(not checked)
        self._emit({"train.batch_size": 0 if checked else self.batch_size.value()})


def _split_text(fraction: float) -> str:
    val = round(fraction * 100)
    return f"train {100 - val}% / val {val}%"


