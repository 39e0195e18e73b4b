"""The shipped experiments under resources/presets/, addressed by file stem or by path."""

from __future__ import annotations

from pathlib import Path

from playground.core.paths import resources_dir
from playground.core.spec import Experiment, SpecError


def presets_dir() -> Path:
    return resources_dir() / "presets"


def preset_names() -> list[str]:
    return sorted(p.stem for p in presets_dir().glob("*.json"))


def load_experiment(name_or_path: str) -> Experiment:
    """A preset name (``spiral_relu``) or the path of any experiment file."""
    path = Path(name_or_path)
    if path.suffix == ".json" or path.is_file():
        return Experiment.load(path)
    candidate = presets_dir() / f"{name_or_path}.json"
    if candidate.exists():
        return Experiment.load(candidate)
    raise SpecError("", f"no experiment file or preset named {name_or_path!r}; "
                        f"presets: {', '.join(preset_names()) or 'none found'}")
