"""What the network a spec describes looks like, block by block, without building it.

Shapes, resolved per-layer choices, parameter and activation counts: what validation needs to
refuse a network before anything is allocated, and what the window draws, neither of which
needs torch. ``model.py`` builds the modules from these plans.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import TYPE_CHECKING, Optional

from playground.core.errors import ShapeError
from playground.core.norms import NORMS

if TYPE_CHECKING:
    from playground.core.spec import ModelSpec


@dataclass(frozen=True)
class BlockPlan:
    """One block of the network with its resolved choices and its output shape."""

    name: str
    type: str  # dense | conv | pool | flatten | out
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    spec_index: Optional[int]  # index into model.layers; None for an automatic flatten and the output
    kernel: int = 0
    activation: str = "linear"
    init: str = "xavier_uniform"
    norm: str = "none"
    dropout: float = 0.0

    @property
    def parameters(self) -> int:
        """Weights, biases and normalization scales and shifts."""
        if self.type in ("pool", "flatten"):
            return 0
        fan_in = self.in_shape[0] * (self.kernel * self.kernel if self.type == "conv" else 1)
        size = self.out_shape[0]
        norm = NORMS[self.norm]
        has_norm = (norm.conv if self.type == "conv" else norm.dense) is not None
        return fan_in * size + size + (2 * size if has_norm else 0)


def plan_blocks(model: "ModelSpec", input_shape: tuple[int, ...], outputs: int, prefix: str = "") -> list[BlockPlan]:
    """Walk the layers, tracking shapes; the one place that decides what the network looks like.
    ``prefix`` names a transfer head's blocks apart from the backbone's (``head_dense1``)."""
    plans: list[BlockPlan] = []
    shape = tuple(input_shape)
    counts: dict[str, int] = {}

    def name_for(kind: str) -> str:
        counts[kind] = counts.get(kind, 0) + 1
        return f"{prefix}{kind}{counts[kind]}"

    def flatten(index: Optional[int]) -> None:
        nonlocal shape
        if len(shape) > 1:
            flat = (prod(shape),)
            plans.append(BlockPlan(name_for("flatten"), "flatten", shape, flat, index))
            shape = flat

    for i, layer in enumerate(model.layers):
        choice = {k: model.layer_choice(layer, k) for k in ("activation", "init", "norm", "dropout")}
        if layer.type == "flatten":
            if len(shape) == 1:
                raise ShapeError(i, "flatten needs image-shaped input; the input here is already flat")
            flatten(i)
        elif layer.type == "dense":
            flatten(None)
            out = (layer.units,)
            plans.append(BlockPlan(name_for("dense"), "dense", shape, out, i, **choice))
            shape = out
        else:  # conv and pool need (C, H, W)
            if len(shape) != 3:
                raise ShapeError(i, f"{layer.type} needs image data or conv output; the input here is a flat vector")
            kernel = layer.kernel or (3 if layer.type == "conv" else 2)
            c, h, w = shape
            if kernel > min(h, w):
                raise ShapeError(i, f"kernel {kernel} is larger than the {h}x{w} image that reaches this layer")
            if layer.type == "conv":
                out = (layer.channels, h, w)  # 'same' padding for odd kernels
                if kernel % 2 == 0:
                    out = (layer.channels, h - kernel + 1, w - kernel + 1)
                plans.append(BlockPlan(name_for("conv"), "conv", shape, out, i, kernel=kernel, **choice))
            else:
                out = (c, h // kernel, w // kernel)
                plans.append(BlockPlan(name_for("pool"), "pool", shape, out, i, kernel=kernel))
            shape = out
    flatten(None)
    plans.append(BlockPlan("out", "out", shape, (outputs,), None, init=model.init))
    return plans


def count_parameters(plans: list[BlockPlan]) -> int:
    return sum(plan.parameters for plan in plans)


def activations_per_example(plans: list[BlockPlan]) -> int:
    """Numbers one example leaves behind in a forward pass (each block's output; a dense or conv
    block keeps about three: the layer's, the norm's and the activation's): what a batch costs."""
    per_block = {"dense": 3, "conv": 3, "pool": 1, "flatten": 0, "out": 1}
    return sum(per_block[p.type] * prod(p.out_shape) for p in plans)
