"""From a DataSpec to training and validation arrays: generate, split, compute features, preprocess.

One seed drives the generator and the split, so the same spec always gives the same arrays.
``split_indices``, ``fit_preprocess`` and ``apply_preprocess`` use only numpy so that the code
exporter can paste them into a standalone script.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import numpy as np

from playground.core.datasets import DATASETS, DatasetInfo
from playground.core.errors import SpecError
from playground.core.features import feature_matrix
from playground.core.registry import Registry

if TYPE_CHECKING:
    from playground.core.spec import DataSpec

# The value is the formula, shown beside the name.
PREPROCESS: Registry[str] = Registry("preprocessing")
PREPROCESS.add(
    "none", "x", "None",
    "Inputs as they are. Fine for the 2D sets (already around 0, within ±6); raw 0 to 16 pixels make "
    "the first layer's pre-activations large and training slow.",
)
PREPROCESS.add(
    "center", "x − mean", "Center",
    "Subtracts each input's training mean, so inputs are balanced around 0 and the gradients of a "
    "neuron's input weights do not all share one sign (the zig-zag path of uncentred data).",
)
PREPROCESS.add(
    "standardize", "(x − mean) / std", "Standardize",
    "Subtracts each input's training mean and divides by its training std (per pixel for images; "
    "an always-blank pixel keeps std 1), putting every input on one scale. Fitted on the training "
    "split only: statistics of the validation data would leak it into training.",
)
PREPROCESS.add(
    "imagenet", "(x − ImageNet mean) / ImageNet std", "ImageNet",
    "Pixels from 0..1 shifted and scaled per colour channel by the statistics the ImageNet networks "
    "were trained with (mean 0.485, 0.456, 0.406; std 0.229, 0.224, 0.225): what their weights expect.",
)


def split_indices(n: int, val_fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(train, val) indices from one permutation: the first round(n * val_fraction) go to validation."""
    order = rng.permutation(n)
    n_val = round(n * val_fraction)
    return order[n_val:], order[:n_val]


def fit_preprocess(name: str, x_train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) per input (per pixel for images), float32 in the input's shape; identity for 'none'."""
    if name not in ("none", "center", "standardize", "imagenet"):
        raise ValueError(f"unknown preprocessing {name!r}")
    mean = np.zeros(x_train.shape[1:])
    std = np.ones(x_train.shape[1:])
    if name == "imagenet":  # fixed, per colour channel: the statistics the published weights expect
        mean = mean + np.array([0.485, 0.456, 0.406])[:, None, None]
        std = std * np.array([0.229, 0.224, 0.225])[:, None, None]
    if name in ("center", "standardize"):
        mean = x_train.mean(axis=0)
    if name == "standardize":
        std = x_train.std(axis=0)
        std[std == 0] = 1.0
    return mean.astype(np.float32), std.astype(np.float32)


def apply_preprocess(x: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    return ((x - mean) / std).astype(np.float32)


@dataclass
class PreparedData:
    info: DatasetInfo
    features: list[str]  # the feature names behind the columns of x; empty for images
    x_train: np.ndarray  # float32
    y_train: np.ndarray  # int64 classes, or float32 (n,) regression targets
    x_val: np.ndarray
    y_val: np.ndarray
    points_train: Optional[np.ndarray]  # raw 2D points, float32; None for images
    points_val: Optional[np.ndarray]
    input_shape: tuple[int, ...]  # (n_features,) or (C, H, W)
    mean: np.ndarray  # float32, input_shape
    std: np.ndarray
    class_names: list[str] = dataclasses.field(default_factory=list)
    skipped: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # folder files not used, and why

    def transform_points(self, points: np.ndarray) -> np.ndarray:
        """Model inputs for any 2D points (a grid for the decision boundary), made like x_train."""
        if self.info.kind != "points":
            raise ValueError("image data has no 2D points to transform")
        return apply_preprocess(feature_matrix(np.asarray(points, np.float64), self.features), self.mean, self.std)


MAX_INPUT_NUMBERS = 250_000_000  # all images as float32: 1 GB


@dataclass(frozen=True)
class FolderFormat:
    """How a folder's images are made into inputs: what the backbone (or data.image_size) asks for."""

    channels: int
    size: int
    resize: int


def prepare_data(spec: "DataSpec", folder: Optional[FolderFormat] = None, progress=None) -> PreparedData:
    """``folder`` and ``progress(done, total)`` matter for ``data.name = "folder"`` only."""
    info = DATASETS[spec.name]
    rng = np.random.default_rng(spec.seed)
    if spec.name == "folder":
        samples, targets, names, skipped = _folder_images(spec, folder or FolderFormat(3, 32, 32), progress)
        info = dataclasses.replace(info, num_classes=len(names), default_samples=len(targets),
                                   image_shape=samples.shape[1:])
    else:
        n_samples = spec.n_samples if spec.n_samples is not None else info.default_samples
        samples, targets = info.generate(n_samples, spec.noise, rng)
        names, skipped = [str(c) for c in range(info.num_classes)], []
    if spec.classes is not None:
        samples, targets, names = _only_classes(samples, targets, names, spec.classes)
        info = dataclasses.replace(info, num_classes=len(names))
    if spec.per_class is not None:
        train, val = per_class_split(targets, len(names), spec.per_class, rng, names)
    else:
        train, val = split_indices(len(targets), spec.val_fraction, rng)
    prepared = _prepared(spec, info, samples, targets, train, val)
    prepared.class_names, prepared.skipped = names, skipped
    return prepared


def per_class_split(labels: np.ndarray, classes: int, per_class: int, rng: np.random.Generator,
                    names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Few-shot: ``per_class`` random examples of each class train, every other one validates."""
    order = rng.permutation(len(labels))
    train = []
    for c in range(classes):
        mine = order[labels[order] == c]
        if len(mine) <= per_class:
            raise SpecError("data.per_class", f"class {names[c]} has {len(mine)} examples; {per_class} for "
                                              "training leaves none to validate")
        train.append(mine[:per_class])
    chosen = np.concatenate(train)
    rest = np.setdiff1d(order, chosen, assume_unique=True)
    return np.sort(chosen), np.sort(rest)


def _only_classes(samples, targets, names, classes):
    for i, c in enumerate(classes):
        if c >= len(names):
            raise SpecError(f"data.classes[{i}]", f"there are {len(names)} classes (0 to {len(names) - 1}), got {c}")
    keep = np.isin(targets, classes)
    relabel = np.zeros(max(len(names), 1), dtype=np.int64)
    relabel[list(classes)] = np.arange(len(classes))
    return samples[keep], relabel[targets[keep]], [names[c] for c in classes]


def _folder_images(spec: "DataSpec", folder: FolderFormat, progress):
    from playground.core.paths import resolve_path
    from playground.core.image_folder import FolderError, load_image_folder, scan_folder

    if not spec.path:
        raise SpecError("data.path", "choose the folder of your images (one subfolder per class)")
    path = resolve_path(spec.path)
    try:
        files, _ = scan_folder(path)
        count = sum(len(v) for v in files.values())
        numbers = count * folder.channels * folder.size * folder.size
        if numbers > MAX_INPUT_NUMBERS:
            raise SpecError("data.path", f"{count} images of {folder.channels}x{folder.size}x{folder.size} would "
                                         f"hold {numbers:,} numbers; at most {MAX_INPUT_NUMBERS:,}: use fewer images")
        loaded = load_image_folder(path, folder.size, folder.channels, folder.resize, progress)
    except FolderError as e:
        raise SpecError("data.path", str(e)) from None
    return loaded.images.astype(np.float32) / 255.0, loaded.labels, loaded.classes, loaded.skipped


def _prepared(spec, info, samples, targets, train, val) -> PreparedData:
    if info.kind == "points":
        # Rounded to float32 first, so that transform_points(points_train) gives x_train exactly.
        points = samples.astype(np.float32)
        features = list(spec.features)
        inputs = feature_matrix(points.astype(np.float64), features)
    else:
        points = None
        features = []
        inputs = samples
    mean, std = fit_preprocess(spec.preprocess, inputs[train])
    x = apply_preprocess(inputs, mean, std)
    y = targets.astype(np.int64 if info.task == "classification" else np.float32)
    return PreparedData(
        info=info,
        features=features,
        x_train=x[train],
        y_train=y[train],
        x_val=x[val],
        y_val=y[val],
        points_train=None if points is None else points[train],
        points_val=None if points is None else points[val],
        input_shape=x.shape[1:],
        mean=mean,
        std=std,
    )
