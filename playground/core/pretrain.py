"""``playground pretrain NAME``: train a shipped backbone's source experiment and write its checkpoint.

The experiment is ``resources/backbones/NAME.json``; the checkpoint it makes is the shipped
``NAME.safetensors``, byte for byte: one torch thread, a fixed seed and a header without dates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

import torch

from playground.core.backbones import BACKBONES, backbones_dir
from playground.core.checkpoint import save_checkpoint
from playground.core.errors import SpecError
from playground.core.spec import Experiment
from playground.core.trainer import Trainer


def shipped_backbones() -> list[str]:
    return [entry.value.file for entry in BACKBONES if entry.value.kind == "checkpoint" and entry.value.file]


def source_experiment(name: str) -> Experiment:
    if name not in shipped_backbones():
        raise SpecError("", f"no shipped backbone named {name!r}; shipped: {', '.join(shipped_backbones())}")
    return Experiment.load(backbones_dir() / f"{name}.json")


def pretrain(name: str, out: Optional[Path] = None, on_record: Optional[Callable[[dict], None]] = None) -> dict:
    """Train and write ``out`` (default: the shipped file); returns the end record."""
    exp = source_experiment(name)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # other thread counts sum in other orders: other bits
    try:
        trainer = Trainer(exp, on_record, run=f"pretrain {name}")
        end = trainer.run()
    finally:
        torch.set_num_threads(threads)
    if end["reason"] != "completed":
        raise RuntimeError(f"pretraining {name} ended early: {end['message']}")
    save_checkpoint(out or backbones_dir() / f"{name}.safetensors", exp, trainer.net, trainer.epoch, trainer.step)
    return end
