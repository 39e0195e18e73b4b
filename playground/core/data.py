"""From a DataSpec to training and validation arrays: generate, split, compute features, preprocess.

One seed drives the generator and the split, so the same spec always gives the same arrays.
``split_indices``, ``fit_preprocess`` and ``apply_preprocess`` use only numpy so that the code
exporter can paste them into a standalone script.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import numpy as np

from playground.core.datasets import DATASETS, DatasetInfo
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


def split_indices(n: int, val_fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(train, val) indices from one permutation: the first round(n * val_fraction) go to validation."""
    order = rng.permutation(n)
    n_val = round(n * val_fraction)
    return order[n_val:], order[:n_val]


def fit_preprocess(name: str, x_train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) per input (per pixel for images), float32 in the input's shape; identity for 'none'."""
    if name not in ("none", "center", "standardize"):
        raise ValueError(f"unknown preprocessing {name!r}")
    mean = np.zeros(x_train.shape[1:])
    std = np.ones(x_train.shape[1:])
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

    def transform_points(self, points: np.ndarray) -> np.ndarray:
        """Model inputs for any 2D points (a grid for the decision boundary), made like x_train."""
        if self.info.kind != "points":
            raise ValueError("image data has no 2D points to transform")
        return apply_preprocess(feature_matrix(np.asarray(points, np.float64), self.features), self.mean, self.std)


def prepare_data(spec: "DataSpec") -> PreparedData:
    info = DATASETS[spec.name]
    rng = np.random.default_rng(spec.seed)
    n_samples = spec.n_samples if spec.n_samples is not None else info.default_samples
    samples, targets = info.generate(n_samples, spec.noise, rng)
    train, val = split_indices(len(targets), spec.val_fraction, rng)
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
