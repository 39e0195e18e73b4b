"""Which devices torch can use here, and a plain-words fallback when the requested one is absent."""

from __future__ import annotations

import os
from typing import Optional

import torch


def available_devices() -> list[str]:
    names = ["cpu"]
    if torch.cuda.is_available():
        names.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        names.append("mps")
    return names


def resolve_device(requested: str) -> tuple[torch.device, Optional[str]]:
    """The device to train on, and a message when it is not the one asked for."""
    available = available_devices()
    if requested == "auto":
        for name in ("cuda", "mps"):
            if name in available:
                return torch.device(name), None
        return torch.device("cpu"), "No GPU found: training on the CPU."
    if requested in available:
        return torch.device(requested), None
    return torch.device("cpu"), f"{requested.upper()} was requested but torch sees no such GPU here: training on the CPU instead."


def use_few_threads() -> int:
    """One intra-op thread unless ``PLAYGROUND_THREADS`` says otherwise.

    Small networks are bound by per-op overhead, not arithmetic, and torch's default (one thread
    per core) collapses when anything else wants a core: measured on 2 cores with another process
    busy, a batch-norm step took 36 ms with 2 threads and 0.3 ms with 1.
    """
    text = os.environ.get("PLAYGROUND_THREADS", "1")
    torch.set_num_threads(max(int(text), 1) if text.isdigit() else 1)
    return torch.get_num_threads()
