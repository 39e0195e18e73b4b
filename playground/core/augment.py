"""Random changes to each training batch, drawn fresh every step, so the model never sees the exact
same example twice: a regularizer that costs no parameters.

Randomness comes from the caller's ``torch.Generator`` (on the batch's device), so a run's seed
fixes it. Batches are model inputs, i.e. already preprocessed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from playground.core.spec import AugmentSpec


def augment_enabled(spec: "AugmentSpec", kind: str) -> bool:
    """Whether any augmentation applies to this kind of data ("points" or "image")."""
    if kind == "points":
        return spec.jitter > 0
    if kind == "image":
        return spec.shift > 0 or spec.flip or spec.noise > 0
    raise ValueError(f"unknown data kind {kind!r}")


def augment_batch(x: torch.Tensor, spec: "AugmentSpec", kind: str, gen: torch.Generator) -> torch.Tensor:
    """A randomly changed copy of the batch; ``x`` itself when nothing is enabled (no copy, no draws)."""
    if not augment_enabled(spec, kind):
        return x
    if kind == "points":
        return add_noise(x, spec.jitter, gen)
    if spec.shift > 0:
        x = random_shift(x, spec.shift, gen)
    if spec.flip:
        x = random_flip(x, gen)
    if spec.noise > 0:
        x = add_noise(x, spec.noise, gen)
    return x


def add_noise(x: torch.Tensor, std: float, gen: torch.Generator) -> torch.Tensor:
    return x + std * torch.randn(x.shape, generator=gen, device=x.device, dtype=x.dtype)


def random_shift(images: torch.Tensor, max_shift: int, gen: torch.Generator) -> torch.Tensor:
    """Each image moved by its own whole number of pixels in [-max_shift, max_shift] along each
    axis; pixels moved out are lost and the gap is filled with 0 (no wrap-around)."""
    n, _, height, width = images.shape
    dy, dx = torch.randint(-max_shift, max_shift + 1, (2, n), generator=gen, device=images.device)
    padded = torch.nn.functional.pad(images, (max_shift,) * 4)
    # Output pixel (row, col) of image i reads input pixel (row - dy[i], col - dx[i]) of the padding.
    rows = torch.arange(height, device=images.device) + max_shift - dy[:, None]
    cols = torch.arange(width, device=images.device) + max_shift - dx[:, None]
    batch = torch.arange(n, device=images.device)[:, None, None, None]
    channels = torch.arange(images.shape[1], device=images.device)[None, :, None, None]
    return padded[batch, channels, rows[:, None, :, None], cols[:, None, None, :]]


def random_flip(images: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Each image mirrored left to right with probability 1/2."""
    flip = torch.rand(images.shape[0], generator=gen, device=images.device) < 0.5
    return torch.where(flip[:, None, None, None], images.flip(-1), images)
