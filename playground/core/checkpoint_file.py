"""The checkpoint file's format, readable without torch: which experiment and how far it trained.

The window's process reads only this header (the training process loads the weights), so opening
a checkpoint there costs neither torch's import nor a copy of the tensors.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from playground.core.checkpoint_header import CheckpointError, peek_metadata
from playground.core.errors import SpecError
from playground.core.spec import Experiment


@dataclass
class CheckpointInfo:
    experiment: Experiment
    epoch: int
    step: int


def checkpoint_info(meta: dict, path: Path) -> CheckpointInfo:
    try:
        experiment = Experiment.from_json(meta.get("experiment", ""))
        epoch, step = int(meta.get("epoch", "0")), int(meta.get("step", "0"))
    except SpecError as e:
        raise CheckpointError(f"{path}: the experiment inside is not valid ({e})") from None
    except ValueError as e:
        raise CheckpointError(f"{path} is damaged: {e}") from None
    return CheckpointInfo(experiment, epoch, step)


def peek_checkpoint(path: str | Path) -> CheckpointInfo:
    """The experiment and counters of a checkpoint, reading only its header."""
    return checkpoint_info(peek_metadata(path), Path(path))
