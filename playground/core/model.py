"""The network a spec describes, as a plain ``nn.Sequential`` of named blocks.

Blocks are ``dense1``, ``conv1``, ``pool1``, ``flatten1`` and ``out``; a dense or conv block is itself
a Sequential of ``layer``, ``norm``, ``act`` and ``drop``. Plain modules keep the exported script
readable and let probes find each block's activation by name. The shapes come from ``plan.py``.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Optional

import torch
from torch import nn

from playground.core.activations import ACTIVATIONS
from playground.core.initializers import INITIALIZERS, Gain
from playground.core.norms import NORMS
from playground.core.plan import BlockPlan, plan_blocks

if TYPE_CHECKING:
    from playground.core.spec import ModelSpec


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
        norm_layer = norm.dense
        make_drop = nn.Dropout
    else:
        parts["layer"] = nn.Conv2d(plan.in_shape[0], plan.out_shape[0], plan.kernel, padding="same"
                                   if plan.kernel % 2 else 0)
        norm_layer = norm.conv
        make_drop = nn.Dropout2d  # drops whole channels, as the lecture describes for conv layers
    if norm_layer is not None:
        parts["norm"] = getattr(nn, norm_layer.module)(*norm_layer.leading, plan.out_shape[0])
    parts["act"] = getattr(nn, ACTIVATIONS[plan.activation].module)()
    if plan.dropout > 0:
        parts["drop"] = make_drop(plan.dropout)
    return nn.Sequential(parts)


def init_weight(weight: torch.Tensor, init: str, init_std: float, activation: str) -> None:
    """Fill ``weight`` in place as the registry entry says."""
    entry = INITIALIZERS[init]
    arguments = {k: nn.init.calculate_gain(v.nonlinearity) if isinstance(v, Gain) else v
                 for k, v in entry.arguments(init_std, activation).items()}
    getattr(nn.init, entry.function)(weight, **arguments)


def build_model(model: "ModelSpec", input_shape: tuple[int, ...], outputs: int, init_std: Optional[float] = None,
                prefix: str = "") -> tuple[nn.Sequential, list[BlockPlan]]:
    """Build the modules first, then initialise block by block: the exported script does the same,
    in the same order, so that both draw the same random numbers."""
    plans = plan_blocks(model, input_shape, outputs, prefix)
    return build_blocks(model, plans, init_std), plans


def build_blocks(model: "ModelSpec", plans: list[BlockPlan], init_std: Optional[float] = None) -> nn.Sequential:
    """The modules of planned blocks, initialised in order (a transfer head is built this way too)."""
    net = nn.Sequential(OrderedDict((p.name, _block_module(p)) for p in plans))
    std = model.init_std if init_std is None else init_std
    for plan in plans:
        block = getattr(net, plan.name)
        layer = block if plan.type == "out" else getattr(block, "layer", None)
        if layer is None:
            continue
        init_weight(layer.weight, plan.init, std, plan.activation)
        nn.init.zeros_(layer.bias)
    return net


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


def layer_weights(net: nn.Module) -> list[torch.Tensor]:
    """Weights of dense and conv layers (not biases, not norm scales): what L1 and L2 penalise."""
    return [m.weight for m in net.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
