"""Where the shipped resources (presets, datasets) live."""

from __future__ import annotations

import os
from pathlib import Path


def resources_dir() -> Path:
    """``$PLAYGROUND_RESOURCES`` if set (a packaged app points it at its bundle), else the checkout's."""
    override = os.environ.get("PLAYGROUND_RESOURCES")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "resources"


def resolve_path(text: str) -> Path:
    """A path in an experiment file: ``{resources}/`` stands for the shipped resources folder, so a
    preset can name its sample folder wherever the app is installed; ``~`` is the user's home."""
    return Path(os.path.expanduser(text.replace("{resources}", str(resources_dir()))))
