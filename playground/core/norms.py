"""Normalization layers, for dense and for conv blocks, named by their torch.nn class."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from playground.core.registry import Registry


@dataclass(frozen=True)
class Layer:
    """``torch.nn.<module>(*leading, size)``, where size is the block's units or channels."""

    module: str
    leading: tuple = ()


@dataclass(frozen=True)
class Norm:
    dense: Optional[Layer]  # None: no layer
    conv: Optional[Layer]


NORMS: Registry[Norm] = Registry("normalization")
NORMS.add("none", Norm(None, None), "None", "No normalization layer.")
NORMS.add("batchnorm", Norm(Layer("BatchNorm1d"), Layer("BatchNorm2d")), "Batch norm",
          "Normalizes each unit (conv: each channel) to zero mean, unit variance over the batch, then "
          "learns a scale and shift. Makes deep nets far less sensitive to init and LR; needs batches > 1.")
# one group over (C, H, W) is layer norm that does not fix the image size
NORMS.add("layernorm", Norm(Layer("LayerNorm"), Layer("GroupNorm", (1,))), "Layer norm",
          "Normalizes across the units of each example: independent of batch size.")
