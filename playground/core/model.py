"""The network a spec describes, as a plain ``nn.Sequential`` of named blocks.

Blocks are ``dense1``, ``conv1``, ``pool1``, ``flatten1`` and ``out``; a dense or conv block is itself
a Sequential of ``layer``, ``norm``, ``act`` and ``drop``. Plain modules keep the exported script
readable and let probes find each block's activation by name.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Optional

import torch
from torch import nn

from playground.core.activations import ACTIVATIONS
from playground.core.initializers import INITIALIZERS
from playground.core.norms import NORMS
from playground.core.spec import LayerSpec, ModelSpec


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


class ShapeError(ValueError):
    def __init__(self, index: int, problem: str):
        self.index = index
        super().__init__(problem)


def plan_blocks(model: ModelSpec, input_shape: tuple[int, ...], outputs: int) -> list[BlockPlan]:
    """Walk the layers, tracking shapes; the one place that decides what the network looks like."""
    plans: list[BlockPlan] = []
    shape = tuple(input_shape)
    counts: dict[str, int] = {}

    def name_for(kind: str) -> str:
        counts[kind] = counts.get(kind, 0) + 1
        return f"{kind}{counts[kind]}"

    def flatten(index: Optional[int]) -> None:
        nonlocal shape
        if len(shape) > 1:
            flat = (shape[0] * shape[1] * shape[2],)
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


def _block_module(plan: BlockPlan) -> nn.Module:
    if plan.type == "flatten":
        return nn.Flatten()
    if plan.type == "pool":
        return nn.MaxPool2d(plan.kernel)
    if plan.type == "out":
        return nn.Linear(plan.in_shape[0], plan.out_shape[0])
    parts: "OrderedDict[str, nn.Module]" = OrderedDict()
    norm = NORMS[plan.norm]
    if plan.type == "dense":
        parts["layer"] = nn.Linear(plan.in_shape[0], plan.out_shape[0])
        make_norm = norm.dense
        make_drop = nn.Dropout
    else:
        parts["layer"] = nn.Conv2d(plan.in_shape[0], plan.out_shape[0], plan.kernel, padding="same"
                                   if plan.kernel % 2 else 0)
        make_norm = norm.conv
        make_drop = nn.Dropout2d  # drops whole channels, as the lecture describes for conv layers
    if make_norm is not None:
        parts["norm"] = make_norm(plan.out_shape[0])
    parts["act"] = ACTIVATIONS[plan.activation].module()
    if plan.dropout > 0:
        parts["drop"] = make_drop(plan.dropout)
    return nn.Sequential(parts)


def build_model(model: ModelSpec, input_shape: tuple[int, ...], outputs: int, init_std: Optional[float] = None
                ) -> tuple[nn.Sequential, list[BlockPlan]]:
    """Build the modules first, then initialise block by block: the exported script does the same,
    in the same order, so that both draw the same random numbers."""
    plans = plan_blocks(model, input_shape, outputs)
    net = nn.Sequential(OrderedDict((p.name, _block_module(p)) for p in plans))
    std = model.init_std if init_std is None else init_std
    for plan in plans:
        block = getattr(net, plan.name)
        layer = block if plan.type == "out" else getattr(block, "layer", None)
        if layer is None:
            continue
        INITIALIZERS[plan.init](layer.weight, std, plan.activation)
        nn.init.zeros_(layer.bias)
    return net, plans


def hidden_blocks(net: nn.Sequential, plans: list[BlockPlan]) -> list[tuple[BlockPlan, nn.Sequential]]:
    """The dense and conv blocks, in order: what the probes watch."""
    return [(p, getattr(net, p.name)) for p in plans if p.type in ("dense", "conv")]


def set_block_dropout(plan: BlockPlan, block: nn.Sequential, p: float) -> None:
    """Change a running block's dropout: a Sequential runs its children in order, so a new ``drop``
    appended after ``act`` sits where the builder would have put it; no parameters change."""
    if p <= 0:
        if "drop" in block._modules:
            del block._modules["drop"]
    elif "drop" in block._modules:
        block.drop.p = p
    else:
        block.add_module("drop", nn.Dropout(p) if plan.type == "dense" else nn.Dropout2d(p))


def count_parameters(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def layer_weights(net: nn.Module) -> list[torch.Tensor]:
    """Weights of dense and conv layers (not biases, not norm scales): what L1 and L2 penalise."""
    return [m.weight for m in net.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]


__all__ = ["BlockPlan", "ShapeError", "LayerSpec", "build_model", "count_parameters", "hidden_blocks",
           "layer_weights", "plan_blocks", "set_block_dropout"]
