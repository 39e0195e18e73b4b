"""The app's colours, in one place: TensorFlow Playground's orange (class 0, negative) and blue
(class 1, positive) with a light grey between them, as one diverging map that the data pictures,
the network's unit pictures and the decision boundary all use; categorical colours for more
classes; and the colours of the plots' lines (Okabe-Ito: readable for colour-blind viewers and on
washed-out projectors).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor

ORANGE = (245, 147, 34)  # class 0 / negative
NEUTRAL = (232, 234, 235)  # 0 / undecided
BLUE = (8, 119, 189)  # class 1 / positive
CATEGORICAL = ["#F59322", "#0877BD", "#2CA02C", "#D62728", "#9467BD",
               "#8C564B", "#E377C2", "#7F7F7F", "#BCBD22", "#17BECF"]

TRAIN = "#0072B2"
VALIDATION = "#D55E00"
LEARNING_RATE = "#009E73"
REFERENCE = "#555555"
RIGHT = "#1a7f37"
WRONG = "#cf222e"
ERROR = "#c62828"
TEXT = "#1a1a1a"
MUTED = "#7b818c"


def _diverging_lut(points: int = 256) -> np.ndarray:
    t = np.linspace(-1.0, 1.0, points)[:, None]
    neutral, orange, blue = (np.array(c, float) for c in (NEUTRAL, ORANGE, BLUE))
    rgb = np.where(t < 0, neutral + (orange - neutral) * -t, neutral + (blue - neutral) * t)
    return np.rint(rgb).astype(np.uint8)


DIVERGING = _diverging_lut()  # (256, 3): row 0 is -1 (orange), row 255 is +1 (blue)


def diverging_rgb(values: np.ndarray) -> np.ndarray:
    """Values in [-1, 1] (clipped; NaN as 0) to uint8 RGB, shape (..., 3)."""
    t = np.clip(np.nan_to_num(np.asarray(values, dtype=np.float64)), -1.0, 1.0)
    return DIVERGING[np.rint((t + 1.0) * 127.5).astype(np.intp)]


def diverging_color(t: float) -> QColor:
    r, g, b = diverging_rgb(np.array(t))
    return QColor(int(r), int(g), int(b))


def class_rgb(classes: int) -> np.ndarray:
    """(classes, 3) uint8: orange and blue for two classes, the categorical colours for more."""
    if classes <= 2:
        return np.array([ORANGE, BLUE], dtype=np.uint8)[:max(classes, 1)]
    return np.array([QColor(CATEGORICAL[k % len(CATEGORICAL)]).getRgb()[:3] for k in range(classes)], dtype=np.uint8)


def tint(rgb: np.ndarray, amount: float) -> np.ndarray:
    """Blend colours with white: a pale background that keeps full-colour points readable on top."""
    return (np.asarray(rgb, float) * (1 - amount) + 255 * amount).astype(np.uint8)
