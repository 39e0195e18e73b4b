"""What the window pictures of a network, agreed between the training process that computes the
pictures and the window that draws them (numpy only: the window's process has no torch)."""

from __future__ import annotations

from typing import Optional

import numpy as np

# wider layers are drawn as one box with a count: their units' pictures and weights are not sent
MAX_PICTURED_UNITS = 12
PLANE_RESOLUTION = 48  # pixels per side of the decision boundary and of each unit's picture


def plane_grid(extent: float, resolution: int) -> np.ndarray:
    """Points of a square grid over [-extent, extent]^2, row by row from the top (y = +extent)."""
    axis = np.linspace(-extent, extent, resolution)
    xs, ys = np.meshgrid(axis, axis[::-1])
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


def pictured(units: int) -> bool:
    return units <= MAX_PICTURED_UNITS


def latest_snapshot(records: list[dict], kind: str) -> Optional[dict]:
    """The newest ``snapshot`` record of ``kind`` ("points" or "image") in a batch of records: a
    view draws only that one, the ones before it are already stale."""
    return next((r for r in reversed(records) if r["type"] == "snapshot" and r.get("kind") == kind), None)
