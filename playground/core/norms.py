"""Normalization layers, for dense and for conv blocks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from torch import nn

from playground.core.registry import Registry


@dataclass(frozen=True)
class Norm:
    dense: Optional[Callable[[int], nn.Module]]  # units -> module; None: no layer
    conv: Optional[Callable[[int], nn.Module]]  # channels -> module


def _layernorm_conv(channels: int) -> nn.Module:
    # one group over (C, H, W) is layer norm that does not fix the image size
    return nn.GroupNorm(1, channels)


NORMS: Registry[Norm] = Registry("normalization")
NORMS.add("none", Norm(None, None), "None", "No normalization layer.")
NORMS.add("batchnorm", Norm(nn.BatchNorm1d, nn.BatchNorm2d), "Batch norm",
          "Normalizes each unit (conv: each channel) to zero mean, unit variance over the batch, then "
          "learns a scale and shift. Makes deep nets far less sensitive to init and LR; needs batches > 1.")
NORMS.add("layernorm", Norm(nn.LayerNorm, _layernorm_conv), "Layer norm",
          "Normalizes across the units of each example: independent of batch size.")
