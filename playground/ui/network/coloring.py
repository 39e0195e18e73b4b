"""Numbers to colours for the network's pictures: unit outputs as images and weights as pens, all in
the one diverging map of ``colors`` (orange negative, grey zero, blue positive)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPen

from playground.core.choices import ACTIVATIONS
from playground.core.features import feature_matrix
from playground.core.pictures import plane_grid
from playground.ui import colors

PEN_LEVELS = 16  # weights are drawn in steps of 1/16: few distinct pens, made once
WIDEST_PEN = 5.0


def map_images(maps: np.ndarray, scale: float) -> list[QImage]:
    """One QImage per (H, W) map of ``maps`` (N, H, W): values / scale, clipped to -1..1, coloured."""
    rgb = colors.diverging_rgb(np.asarray(maps, dtype=np.float64) / scale)  # (N, H, W, 3)
    images = []
    for picture in rgb:
        picture = np.ascontiguousarray(picture)
        h, w = picture.shape[:2]
        images.append(QImage(picture.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy())
    return images


def activation_scale(maps: np.ndarray, activation: str) -> float:
    """Bounded activations (tanh, sigmoid) on their fixed range, the others by the largest |value|."""
    bounds = ACTIVATIONS[activation].bounds if activation in ACTIVATIONS else None
    if bounds is not None:
        return max(abs(bounds[0]), abs(bounds[1]))
    peak = float(np.nanmax(np.abs(maps))) if np.size(maps) else 0.0
    return peak if peak > 1e-12 else 1.0


@lru_cache(maxsize=64)
def feature_image(name: str, extent: float, size: int) -> QImage:
    """An input feature's value over the plane [-extent, extent]^2, coloured as the units' outputs:
    what the data panel's feature buttons and the network's input column picture."""
    values = feature_matrix(plane_grid(extent, size), [name])[:, 0].reshape(1, size, size)
    return map_images(values, activation_scale(values, "linear"))[0]


def weight_pen(w: float) -> QPen:
    """Blue for positive, orange for negative (always clearly tinted); wider with |w|, capped."""
    level = min(round(abs(w) * PEN_LEVELS), round((WIDEST_PEN - 0.5) / 1.6 * PEN_LEVELS))
    return _pen(w >= 0, level)


@lru_cache(maxsize=None)
def _pen(positive: bool, level: int) -> QPen:
    magnitude = level / PEN_LEVELS
    tint = 0.35 + 0.65 * min(magnitude, 1.0)
    pen = QPen(colors.diverging_color(tint if positive else -tint), 0.5 + 1.6 * magnitude)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    return pen
