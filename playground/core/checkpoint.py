"""Weights plus the experiment that made them, in one safetensors file.

safetensors holds only tensors and a JSON header, so opening a checkpoint can never run code from
it (unlike a pickle); a damaged or foreign file gets a ``CheckpointError`` in plain words.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from playground.core.files import write_atomic
from playground.core.spec import Experiment, SpecError

FORMAT = "playground-checkpoint"
VERSION = "1"


class CheckpointError(ValueError):
    pass


@dataclass
class Checkpoint:
    experiment: Experiment
    state_dict: dict[str, torch.Tensor]
    epoch: int
    step: int


def save_checkpoint(path: str | Path, experiment: Experiment, net: torch.nn.Module, epoch: int, step: int) -> None:
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in net.state_dict().items()}
    meta = {"format": FORMAT, "version": VERSION, "experiment": experiment.to_json(),
            "epoch": str(epoch), "step": str(step)}
    write_atomic(Path(path), save_tensors(tensors, metadata=meta))


def load_checkpoint(path: str | Path) -> Checkpoint:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise CheckpointError(f"cannot read {path}: {e.strerror or e}") from None
    meta = _header_metadata(raw, path)
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path} is a safetensors file but not a playground checkpoint")
    if meta.get("version") != VERSION:
        raise CheckpointError(f"{path} is a checkpoint of format version {meta.get('version')}; this app reads {VERSION}")
    try:
        experiment = Experiment.from_json(meta.get("experiment", ""))
        epoch, step = int(meta.get("epoch", "0")), int(meta.get("step", "0"))
        tensors = load_tensors(raw)
    except SpecError as e:
        raise CheckpointError(f"{path}: the experiment inside is not valid ({e})") from None
    except (ValueError, SafetensorError) as e:
        raise CheckpointError(f"{path} is damaged: {e}") from None
    return Checkpoint(experiment, tensors, epoch, step)


def _header_metadata(raw: bytes, path: Path) -> dict:
    """Read the header ourselves: a truncated or foreign file is named as such before safetensors
    sees it (8 bytes of little-endian length, then that much JSON)."""
    not_ours = CheckpointError(f"{path} is not a checkpoint this app wrote (expected a safetensors file)")
    if len(raw) < 8:
        raise not_ours
    size = int.from_bytes(raw[:8], "little")
    if size <= 0 or 8 + size > len(raw):
        raise not_ours
    try:
        header = json.loads(raw[8:8 + size])
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise not_ours from None
    meta = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(meta, dict):
        raise not_ours
    return meta


def apply_weights(net: torch.nn.Module, state_dict: dict[str, torch.Tensor], source: str) -> None:
    """Load weights into a network of the same shape, or say which layers do not fit."""
    own = net.state_dict()
    missing = sorted(set(own) - set(state_dict))
    extra = sorted(set(state_dict) - set(own))
    wrong = sorted(k for k in set(own) & set(state_dict) if own[k].shape != state_dict[k].shape)
    if missing or extra or wrong:
        parts = []
        if wrong:
            parts.append("different shapes for " + ", ".join(wrong[:4]))
        if missing:
            parts.append("no weights for " + ", ".join(missing[:4]))
        if extra:
            parts.append("weights for layers this network lacks: " + ", ".join(extra[:4]))
        raise CheckpointError(f"{source} does not fit this network: {'; '.join(parts)}")
    net.load_state_dict(state_dict)
