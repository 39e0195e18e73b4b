"""Weights plus the experiment that made them, in one safetensors file (format: checkpoint_file.py).

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

from playground.core.checkpoint_file import checkpoint_info
from playground.core.checkpoint_header import FORMAT, VERSION, CheckpointError, checkpoint_metadata
from playground.core.files import write_atomic
from playground.core.spec import Experiment


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
    write_atomic(Path(path), _sorted_metadata(save_tensors(tensors, metadata=meta)))


def _sorted_metadata(blob: bytes) -> bytes:
    """safetensors writes the metadata in a random order (a hash map): sorted, the same weights
    give the same bytes, so that ``playground pretrain`` can rebuild a shipped file exactly."""
    size = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8:8 + size])
    header["__metadata__"] = dict(sorted(header["__metadata__"].items()))
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the tensors that follow stay 8-byte aligned
    return len(text).to_bytes(8, "little") + text + blob[8 + size:]


def load_checkpoint(path: str | Path) -> Checkpoint:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise CheckpointError(f"cannot read {path}: {e.strerror or e}") from None
    info = checkpoint_info(checkpoint_metadata(raw, path), path)
    try:
        tensors = load_tensors(raw)
    except (ValueError, SafetensorError) as e:
        raise CheckpointError(f"{path} is damaged: {e}") from None
    return Checkpoint(info.experiment, tensors, info.epoch, info.step)


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
