"""The experiment with every choice resolved, once: the sections of the script and the check all read
the same data, network and settings, built as the trainer builds them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from playground.core.augment import augment_enabled
from playground.core.backbones import (BACKBONES, STRATEGIES, Backbone, BackbonePlan, checkpoint_path,
                                       folder_format, open_blocks)
from playground.core.checkpoint_header import CheckpointError
from playground.core.data import FolderFormat, PreparedData, prepare_data
from playground.core.datasets import DATASETS
from playground.core.download import DownloadError, WeightFile, cached_path, sha256_of
from playground.core.errors import SpecError
from playground.core.losses import resolved_loss
from playground.core.model import build_model
from playground.core.optimizers import OPTIMIZERS
from playground.core.plan import BlockPlan, activations_per_example
from playground.core.spec import Experiment
from playground.core.transfer import TransferModel, build_transfer
from playground.core.validate import MAX_STEP_ACTIVATIONS, backbone_activations


@dataclass
class _Transfer:
    """A transfer run's backbone as the script rebuilds it, and the playground's own network for it."""

    model: TransferModel  # built as the trainer builds it, from the same seed
    entry: Backbone
    pretrained: bool
    weights_checked: bool  # False: ImageNet weights not at hand when exporting; checked with fresh ones
    open: list[str]  # the backbone's children that train (from epoch head_epochs on)
    source_net: nn.Sequential | None  # a checkpoint backbone: its experiment's whole network
    source_plans: list[BlockPlan]
    head_plans: list[BlockPlan]
    file: Path | None  # a pretrained checkpoint backbone: the .safetensors file
    eval_chunk: int  # examples per evaluation pass, as the trainer takes them

    @property
    def plan(self) -> BackbonePlan:
        return self.model.backbone

    @property
    def imagenet(self) -> bool:
        return self.entry.kind == "imagenet"


@dataclass
class _Context:
    """The experiment with every choice resolved, and the playground's own data and model for it."""

    exp: Experiment
    data: PreparedData
    net: nn.Sequential
    plans: list[BlockPlan]  # a transfer run: the head's
    loss: str  # "cross_entropy" or "mse"
    full_batch: bool  # one step per epoch on the whole training set, no batch order drawn
    closure: bool  # L-BFGS: a full-batch optimizer stepping with a closure
    augmenting: bool
    folder: FolderFormat | None  # how a folder's images are read; None for generated data
    transfer: _Transfer | None


def _context(exp: Experiment) -> _Context:
    info = DATASETS[exp.data.name]
    folder = folder_format(exp) if exp.data.name == "folder" else None
    data = prepare_data(exp.data, folder)
    outputs = max(data.info.num_classes, 1)
    torch.manual_seed(exp.train.seed)
    transfer = _transfer(exp, outputs) if exp.transfer.enabled else None
    if transfer is not None:
        net, plans = transfer.model.net, transfer.head_plans
    else:
        net, plans = build_model(exp.model, data.input_shape, outputs)
    closure = OPTIMIZERS[exp.optim.name].full_batch
    full_batch = closure or exp.train.batch_size == 0 or exp.train.batch_size >= len(data.x_train)
    return _Context(exp, data, net, plans, resolved_loss(exp, info.task), full_batch, closure,
                    augment_enabled(exp.data.augment, info.kind), folder, transfer)


def _transfer(exp: Experiment, outputs: int) -> _Transfer:
    """The trainer's network for a transfer run (built from the seed set by the caller), and what the
    script needs to build it again."""
    entry = BACKBONES[exp.transfer.backbone]
    strategy = STRATEGIES[exp.transfer.strategy]
    reference, checked = exp, True
    if entry.kind == "imagenet" and strategy.pretrained and not _weights_at_hand(entry.weights):
        # Loading weights draws nothing: the same draws come from fresh weights, and the script's
        # loading code is checked whenever the file is at hand (the script itself downloads it).
        reference, checked = exp.with_changes({"transfer.strategy": "scratch"}), False
    try:
        model = build_transfer(reference, outputs)
    except (CheckpointError, DownloadError) as e:
        raise SpecError("transfer.path" if entry.kind == "checkpoint" else "transfer.backbone", str(e)) from None
    plan = model.backbone
    opened = [model.lockable[block] for block in open_blocks(exp.transfer, plan)]
    if opened and OPTIMIZERS[exp.optim.name].full_batch:
        raise SpecError("optim.name", f"{exp.optim.name} takes a single parameter group, and strategy "
                                      f"{exp.transfer.strategy} trains the backbone in a group of its own: choose "
                                      "another optimizer, or the linear_probe strategy")
    source_net, source_plans, file = None, [], None
    if entry.kind == "checkpoint":
        source = plan.source
        with torch.random.fork_rng(devices=[]):
            source_net, source_plans = build_model(source.model, plan.input_shape, plan.outputs)
        file = checkpoint_path(exp.transfer) if strategy.pretrained else None
    per_example = backbone_activations(plan) + activations_per_example(model.plans)
    return _Transfer(model, entry, strategy.pretrained, checked, opened, source_net, source_plans,
                     model.plans[len(plan.plans):], file, max(1, MAX_STEP_ACTIVATIONS // max(per_example, 1)))


def _weights_at_hand(weights: WeightFile) -> bool:
    """Whether the published file is in torch's hub cache, verified (so building reads no network)."""
    path = cached_path(weights)
    try:
        return path.stat().st_size == weights.size and sha256_of(path) == weights.sha256
    except OSError:
        return False
