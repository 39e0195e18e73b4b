"""Input features computed from a 2D point, as in TensorFlow Playground.

Each one is a tiny ``def`` of the (n, 2) point array so that the code exporter can paste its
source into a standalone script.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from playground.core.registry import Registry


def x1(points: np.ndarray) -> np.ndarray:
    return points[:, 0]


def x2(points: np.ndarray) -> np.ndarray:
    return points[:, 1]


def x1_squared(points: np.ndarray) -> np.ndarray:
    return points[:, 0] ** 2


def x2_squared(points: np.ndarray) -> np.ndarray:
    return points[:, 1] ** 2


def x1_times_x2(points: np.ndarray) -> np.ndarray:
    return points[:, 0] * points[:, 1]


def sin_x1(points: np.ndarray) -> np.ndarray:
    return np.sin(points[:, 0])


def sin_x2(points: np.ndarray) -> np.ndarray:
    return np.sin(points[:, 1])


FEATURES: Registry[Callable[[np.ndarray], np.ndarray]] = Registry("feature")

_RAW = "With X₁ and X₂ alone, a network without hidden layers can only draw a straight boundary."
_SQUARE = "Squares make circles linear: with X₁² and X₂², a network without hidden layers separates the circle set."
_SINE = "A periodic feature that helps with the spiral: the right features can replace depth, if you know them."

FEATURES.add("x1", x1, "X₁", "The horizontal coordinate. " + _RAW)
FEATURES.add("x2", x2, "X₂", "The vertical coordinate. " + _RAW)
FEATURES.add("x1^2", x1_squared, "X₁²", _SQUARE)
FEATURES.add("x2^2", x2_squared, "X₂²", _SQUARE)
FEATURES.add("x1*x2", x1_times_x2, "X₁X₂", "Positive in two quadrants, negative in the other two: this one feature "
             "solves XOR without any hidden layer.")
FEATURES.add("sin_x1", sin_x1, "sin(X₁)", _SINE)
FEATURES.add("sin_x2", sin_x2, "sin(X₂)", _SINE)


def feature_matrix(points: np.ndarray, names: list[str]) -> np.ndarray:
    """The chosen features side by side, (n, len(names)), in the order given (the model's inputs)."""
    if not names:
        raise ValueError("choose at least one input feature")
    return np.stack([FEATURES[name](points) for name in names], axis=1)
