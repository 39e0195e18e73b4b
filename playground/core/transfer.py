"""A transfer run's network: the backbone's blocks up to the cut, then a head from ``model.layers``.

Frozen blocks have ``requires_grad`` off and stay in eval mode whatever ``train()`` says, so their
batch-norm statistics never move. While every backbone block is frozen and nothing is augmented,
the trainer feeds the head cached features instead of images (``TransferNet.features_cached``).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional

import torch
from torch import nn

from playground.core import imagenet
from playground.core.backbones import (BACKBONES, HEAD_PREFIX, STRATEGIES, BackbonePlan, backbone_plan,
                                       checkpoint_path, open_blocks)
from playground.core.checkpoint import apply_weights, load_checkpoint
from playground.core.download import DownloadError, fetch
from playground.core.model import build_blocks, build_model
from playground.core.plan import BlockPlan, plan_blocks

if TYPE_CHECKING:
    from playground.core.spec import Experiment

FEATURE_CHUNK = 256  # images per pass when features are computed once


class TransferNet(nn.Sequential):
    """Backbone blocks, then the head's; ``frozen`` names children that never leave eval mode."""

    def __init__(self, blocks: "OrderedDict[str, nn.Module]", backbone: list[str]):
        super().__init__(blocks)
        self.backbone = list(backbone)
        self.frozen: list[str] = []
        self.features_cached = False

    def train(self, mode: bool = True) -> "TransferNet":
        super().train(mode)
        for name in self.frozen:
            self._modules[name].eval()
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = set(self.backbone) if self.features_cached else ()
        for name, module in self._modules.items():
            if name not in skip:
                x = module(x)
        return x

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """What the backbone hands the head, in eval mode, chunk by chunk, without gradients."""
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad():
                outputs = []
                for start in range(0, max(len(x), 1), FEATURE_CHUNK):  # an empty split keeps its shape
                    part = x[start:start + FEATURE_CHUNK]
                    for name in self.backbone:
                        part = self._modules[name](part)
                    outputs.append(part)
            return torch.cat(outputs)
        finally:
            self.train(was_training)

    def lock(self, frozen: list[str]) -> None:
        """Freeze exactly these children (parameters and batch-norm statistics) and open the rest."""
        self.frozen = list(frozen)
        for name, module in self._modules.items():
            module.requires_grad_(name not in self.frozen)
        self.train(self.training)


class ProbedBlock:
    """An ImageNet block as the probes see a playground block: its output is the activation (``act``)
    and its last convolution the weight whose gradient and update are measured (``layer``)."""

    def __init__(self, block: nn.Module):
        self.act = block
        self.layer = [m for m in block.modules() if isinstance(m, nn.Conv2d)][-1]
        self.norm = None


@dataclass
class TransferModel:
    net: TransferNet
    plans: list[BlockPlan]  # checkpoint backbone blocks (probed like the playground's own) and the head
    backbone: BackbonePlan
    lockable: dict[str, str]  # a lockable backbone block's name -> its child's name in net
    probed: list[tuple[BlockPlan, ProbedBlock]]  # ImageNet blocks, for the probes (checkpoint ones are in plans)


def module_name(block: str) -> str:
    """Child names cannot hold dots: features.3 becomes features_3."""
    return block.replace(".", "_")


def build_transfer(exp: "Experiment", outputs: int, progress: Optional[Callable[[int, int], None]] = None
                   ) -> TransferModel:
    """The backbone first, then the head, from the seed set by the caller: the exported script builds
    them in the same order and so draws the same head weights."""
    plan = backbone_plan(exp)
    pretrained = STRATEGIES[exp.transfer.strategy].pretrained
    entry = BACKBONES[exp.transfer.backbone]
    probed: list[tuple[BlockPlan, ProbedBlock]] = []
    if entry.kind == "imagenet":
        blocks = _imagenet_blocks(exp.transfer.backbone, plan, pretrained, progress)
        plans: list[BlockPlan] = []
        for name in plan.names:  # "linear": hardswish and ReLU outputs are unbounded, so no saturation
            probed.append((BlockPlan(name, "conv", (), plan.shapes[name], None, activation="linear"),
                           ProbedBlock(blocks[module_name(name)])))
    else:
        blocks = _checkpoint_blocks(exp, plan, pretrained)
        plans = list(plan.plans)
    names = list(blocks)
    head_plans = plan_blocks(exp.model, plan.out_shape, outputs, HEAD_PREFIX)
    head = build_blocks(exp.model, head_plans)
    blocks.update(head.named_children())
    net = TransferNet(blocks, names)
    lockable = {block: module_name(block) for block in plan.lockable}
    net.lock(frozen_children(exp, plan, lockable, phase_two=exp.transfer.head_epochs == 0))
    return TransferModel(net, plans + head_plans, plan, lockable, probed)


def frozen_children(exp: "Experiment", plan: BackbonePlan, lockable: dict[str, str], phase_two: bool) -> list[str]:
    """Every backbone child except the open blocks (a block without parameters has nothing to train,
    and stays in eval mode with the rest)."""
    opened = {lockable[b] for b in open_blocks(exp.transfer, plan, phase_two)}
    children = [module_name(b) for b in plan.names] + (["pool"] if "pool" not in plan.names and not plan.plans else [])
    return [c for c in children if c not in opened]


def param_groups(model: TransferModel, exp: "Experiment") -> list[dict]:
    """The head at the base LR, the open backbone blocks at ``backbone_lr`` of it (scratch: all at the
    base LR). Each trainable parameter is in exactly one group; frozen ones in none."""
    net = model.net
    backbone = set(net.backbone)
    head = [p for name, m in net.named_children() if name not in backbone for p in m.parameters()]
    body = [p for name in net.backbone if name not in net.frozen for p in net._modules[name].parameters()]
    scale = 1.0 if not STRATEGIES[exp.transfer.strategy].pretrained else exp.transfer.backbone_lr
    groups = [{"params": head, "name": "head", "lr_scale": 1.0}]
    if body:
        groups.append({"params": body, "name": "backbone", "lr_scale": scale})
    return groups


def _checkpoint_blocks(exp: "Experiment", plan: BackbonePlan, pretrained: bool) -> "OrderedDict[str, nn.Module]":
    net, _ = build_model(plan.source.model, plan.input_shape, plan.outputs)
    if pretrained:
        apply_weights(net, load_checkpoint(checkpoint_path(exp.transfer)).state_dict, "the backbone checkpoint")
    return OrderedDict((name, getattr(net, name)) for name in plan.names)


def _imagenet_blocks(name: str, plan: BackbonePlan, pretrained: bool,
                     progress: Optional[Callable[[int, int], None]]) -> "OrderedDict[str, nn.Module]":
    model = getattr(imagenet, name)()
    if pretrained:
        path = fetch(BACKBONES[name].weights, progress)
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as e:  # a file that passed its checksum but torch cannot read: say which
            raise DownloadError(f"cannot read {path}: {e}") from None
        model.load_state_dict(state, strict=True)
    kept = dict(imagenet.backbone_blocks(name, model))
    blocks = OrderedDict((module_name(b), kept[b]) for b in plan.names)
    blocks["pool"] = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
    return blocks
