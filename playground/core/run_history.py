"""Finished runs, kept: what a run was (its experiment, in a line), how it ended and its curves.

The window lists them, pins any under the live curves as a faint baseline, and saves them to a
history file (``.runs.json``) when asked; this module is their plain data and that file (no Qt, no
torch). A run's curves are its epoch records' figures, at most MAX_POINTS of them (a long run is
thinned evenly, its last epoch always kept), so a history stays small whatever was trained.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

from playground.core.errors import SpecError
from playground.core.spec import Experiment

FIGURES = ("epoch", "step", "train_loss", "val_loss", "train_acc", "val_acc", "lr")
MAX_POINTS = 1000  # per run and figure
MAX_RUNS = 50  # a history longer than this forgets its oldest runs
MAX_FILE_BYTES = 20_000_000
FORMAT = "playground-runs/1"


@dataclass(eq=False)  # a run is itself: two runs with the same figures are still two
class FinishedRun:
    name: str
    settings: str  # the experiment in one line: "adam lr 0.01, 8-8 relu, batch 10, circle"
    end: str  # completed, diverged, stopped, error
    experiment: dict
    curves: dict[str, list] = field(default_factory=dict)  # FIGURES -> values (None: not measured)

    @property
    def final(self) -> dict:
        """The last epoch's figures."""
        return {name: values[-1] for name, values in self.curves.items() if values}

    def to_dict(self) -> dict:
        return asdict(self)


def summary(exp: Experiment) -> str:
    """The settings that tell runs apart, in one line."""
    optim = exp.optim
    lr = f" lr {optim.lr:g}" if optim.lr is not None else ""
    layers = "-".join(str(layer.units or layer.channels or layer.type) for layer in exp.model.layers) or "linear"
    batch = "full batch" if not exp.train.batch_size else f"batch {exp.train.batch_size}"
    extra = "".join(text for test, text in ((exp.model.dropout, f", dropout {exp.model.dropout:g}"),
                                            (exp.model.norm != "none", f", {exp.model.norm}"),
                                            (optim.weight_decay, f", L2 {optim.weight_decay:g}"))
                    if test)
    return f"{optim.name}{lr}, {layers} {exp.model.activation}, {exp.model.init}{extra}, {batch}, {exp.data.name}"


def from_records(name: str, exp: Experiment, epochs: list[dict], end: str) -> FinishedRun:
    """A finished run from its epoch records (thinned evenly to MAX_POINTS, the last one kept)."""
    if len(epochs) > MAX_POINTS:
        stride = math.ceil(len(epochs) / MAX_POINTS)
        epochs = epochs[:-1][::stride] + epochs[-1:]
    curves = {figure: [_finite(r.get(figure)) for r in epochs] for figure in FIGURES}
    return FinishedRun(name, summary(exp), end, exp.to_dict(), curves)


def _finite(value) -> Optional[float]:
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None


def history_beside(experiment_file: Path) -> Path:
    """Where an experiment file's runs are saved with it: ``lr_trio.json`` -> ``lr_trio.runs.json``."""
    return experiment_file.with_name(f"{experiment_file.stem}.runs.json")


def save_history(runs: list[FinishedRun], path: Path) -> None:
    path.write_text(json.dumps({"format": FORMAT, "runs": [run.to_dict() for run in runs]}), encoding="utf-8")


def load_history(path: Path) -> list[FinishedRun]:
    """A history file's runs; anything else is refused in one line (SpecError), nothing half-read."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise SpecError("", f"{path.name}: over {MAX_FILE_BYTES // 1_000_000} MB, not a run history")
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise SpecError("", f"{path.name}: {e.strerror or e}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise SpecError("", f"{path.name}: not JSON ({e})") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT or not isinstance(raw.get("runs"), list):
        raise SpecError("", f"{path.name}: not a run history (a {FORMAT} file)")
    runs = []
    for i, item in enumerate(raw["runs"][:MAX_RUNS], 1):  # newest first, as saved
        try:
            Experiment.from_dict(item["experiment"])  # a run that cannot be opened again is not kept
            curves = {figure: [_finite(v) for v in item["curves"][figure]][:MAX_POINTS] for figure in FIGURES}
            runs.append(FinishedRun(str(item["name"]), str(item["settings"]), str(item["end"]),
                                    item["experiment"], curves))
        except (KeyError, TypeError, SpecError) as e:
            raise SpecError("", f"{path.name}: run {i}: {e}") from None
    return runs
