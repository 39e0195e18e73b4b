"""Checks that span several fields (the per-field limits live in spec.py beside each field), and the
limits on what a network may cost, checked on its plan before anything is allocated."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from math import prod
from typing import TYPE_CHECKING, Optional

from playground.core.backbones import (BACKBONES, HEAD_PREFIX, STRATEGIES, BackbonePlan, backbone_plan,
                                       folder_format, open_blocks)
from playground.core.datasets import DATASETS
from playground.core.errors import ShapeError, SpecError
from playground.core.image_folder import FolderError, scan_folder
from playground.core.losses import LOSSES, resolved_loss
from playground.core.optimizers import OPTIMIZERS
from playground.core.paths import resolve_path
from playground.core.plan import BlockPlan, activations_per_example, count_parameters, plan_blocks

if TYPE_CHECKING:
    from playground.core.spec import Experiment

TASK_DATA = {"classification": "classes", "regression": "numeric targets"}  # what a loss for the task needs
MAX_LAYERS = 32
MAX_PARAMETERS = 20_000_000  # 80 MB of float32 weights, about 4x that while training with Adam
MAX_STEP_ACTIVATIONS = 50_000_000  # numbers one training step keeps for its backward pass: ~200 MB


def check_experiment(exp: "Experiment") -> None:
    info = DATASETS[exp.data.name]
    if info.kind == "points" and not exp.data.features:
        raise SpecError("data.features", "choose at least one input feature")
    if len(set(exp.data.features)) != len(exp.data.features):
        raise SpecError("data.features", "lists a feature twice")
    classes = folder_classes(exp) if exp.data.name == "folder" else info.num_classes
    n = exp.data.n_samples or info.default_samples
    if info.fixed_size and n > info.default_samples:
        raise SpecError("data.n_samples", f"{exp.data.name} has {info.default_samples} examples, asked for {n}")
    if exp.data.classes is not None:
        _check_classes(exp.data.classes, classes)
        if exp.data.name != "folder" and classes:  # balanced sets: the chosen classes' share of them
            n = n * len(exp.data.classes) // classes
        classes = len(exp.data.classes)
    if exp.data.per_class is not None:
        if info.task != "classification":
            raise SpecError("data.per_class", f"{exp.data.name} has no classes to count examples of")
        n_train = classes * exp.data.per_class
    else:
        n_train = n - round(n * exp.data.val_fraction)
    if exp.data.name != "folder" and n_train < 2:
        raise SpecError("data.n_samples", f"leaves {n_train} training examples after the validation split; need 2")
    if exp.optim.betas is not None:
        if len(exp.optim.betas) != 2:
            raise SpecError("optim.betas", f"must be two numbers (beta1, beta2), got {len(exp.optim.betas)}")
        for i, b in enumerate(exp.optim.betas):
            if not 0.0 <= b < 1.0:
                raise SpecError(f"optim.betas[{i}]", f"must be >= 0 and < 1, got {b}")
    loss = resolved_loss(exp, info.task)
    if info.task not in LOSSES[loss].tasks:
        needs = " or ".join(TASK_DATA[task] for task in LOSSES[loss].tasks)
        fitting = ", ".join(entry.name for entry in LOSSES if info.task in entry.value.tasks)
        raise SpecError("train.loss", f"{loss} needs {needs}; {exp.data.name} is a {info.task} set: use {fitting}")
    if len(exp.model.layers) > MAX_LAYERS:
        raise SpecError("model.layers", f"at most {MAX_LAYERS} layers, got {len(exp.model.layers)}")
    net = outline(exp, classes)
    plans, backbone = net.plans, net.backbone
    parameters = count_parameters(plans) + (sum(backbone.parameters.values()) if backbone and not backbone.plans else 0)
    if parameters > MAX_PARAMETERS:
        raise SpecError("model.layers", f"the network would have {parameters:,} parameters; at most "
                                        f"{MAX_PARAMETERS:,}: use fewer or narrower layers")
    full_batch = exp.train.batch_size == 0 or OPTIMIZERS[exp.optim.name].full_batch
    if exp.data.name == "folder":
        n_train = max(n_train, 2)  # unknown until the images are decoded: checked on one batch
    batch = n_train if full_batch else min(exp.train.batch_size, n_train)
    held = batch * (activations_per_example(plans) + (backbone_activations(backbone) if backbone else 0))
    if held > MAX_STEP_ACTIVATIONS:
        path = "data.n_samples" if OPTIMIZERS[exp.optim.name].full_batch else "train.batch_size"
        raise SpecError(path, f"a training step would hold {held:,} numbers ({batch:,} examples x "
                              f"{held // batch:,} each); at most {MAX_STEP_ACTIVATIONS:,}: "
                              "use smaller batches or a smaller network")
    uses_batchnorm = any(p.norm == "batchnorm" for p in plans if p.type in ("dense", "conv"))
    if uses_batchnorm and not full_batch and exp.data.name != "folder":
        if exp.train.batch_size < 2:
            raise SpecError("train.batch_size", "batch norm needs at least 2 examples per batch")
        if n_train % exp.train.batch_size == 1:
            raise SpecError("train.batch_size", f"leaves a last batch of 1 of the {n_train} training examples, "
                                                "which batch norm cannot normalise; pick another batch size")


def _check_classes(chosen: list[int], available: int) -> None:
    if len(chosen) < 2:
        raise SpecError("data.classes", f"choose at least 2 classes, got {len(chosen)}")
    for i, c in enumerate(chosen):
        if c >= available:
            raise SpecError(f"data.classes[{i}]", f"there are {available} classes (0 to {available - 1}), got {c}")
    if len(set(chosen)) != len(chosen):
        raise SpecError("data.classes", "lists a class twice")


@dataclass(frozen=True)
class Outline:
    """The whole network a valid experiment trains, without torch: what the window draws."""

    input_shape: tuple[int, ...]
    classes: int  # outputs of a classifier (after data.classes); 0 for regression
    backbone: Optional[BackbonePlan]  # a transfer run's pretrained part
    plans: list[BlockPlan]  # every playground-made block: a checkpoint backbone's, then the head's
    head: list[BlockPlan]  # the blocks model.layers makes (the whole network without a backbone)
    open: list[str]  # the backbone blocks that train (all of them from epoch head_epochs on)


def outline(exp: "Experiment", classes: Optional[int] = None) -> Outline:
    info = DATASETS[exp.data.name]
    if classes is None:
        classes = folder_classes(exp) if exp.data.name == "folder" else info.num_classes
        classes = len(exp.data.classes) if exp.data.classes is not None else classes
    input_shape = data_shape(exp)
    backbone = check_transfer(exp, input_shape) if exp.transfer.enabled else None
    try:
        head = plan_blocks(exp.model, backbone.out_shape if backbone else input_shape, max(classes, 1),
                           HEAD_PREFIX if backbone else "")
    except ShapeError as e:
        raise SpecError(f"model.layers[{e.index}].type", str(e)) from None
    plans = backbone.plans + head if backbone else head
    opened = open_blocks(exp.transfer, backbone) if backbone else []
    return Outline(tuple(input_shape), classes, backbone, plans, head, opened)


def data_shape(exp: "Experiment") -> tuple[int, ...]:
    """What one example looks like when it reaches the network."""
    info = DATASETS[exp.data.name]
    if exp.data.name == "folder":
        fmt = folder_format(exp)
        return (fmt.channels, fmt.size, fmt.size)
    return info.image_shape if info.kind == "image" else (len(exp.data.features),)


def folder_classes(exp: "Experiment") -> int:
    if not exp.data.path:
        raise SpecError("data.path", "choose the folder of your images (one subfolder per class)")
    path = resolve_path(exp.data.path)
    try:
        stamp = path.stat().st_mtime
    except OSError:
        raise SpecError("data.path", f"no folder {path}") from None
    try:
        return _folder_classes(str(path), stamp)
    except FolderError as e:
        raise SpecError("data.path", str(e)) from None


@functools.lru_cache(maxsize=8)
def _folder_classes(path: str, mtime: float) -> int:
    """Counted from the file names (no decoding), once per version of the folder."""
    files, _ = scan_folder(path)
    usable = [name for name, found in files.items() if found]
    if len(usable) < 2:
        raise FolderError(f"{path} needs at least 2 class folders with images; found {len(usable)}")
    return len(usable)


def check_transfer(exp: "Experiment", input_shape: tuple[int, ...]) -> "BackbonePlan":
    transfer = exp.transfer
    plan = backbone_plan(exp)
    name = transfer.backbone
    if tuple(input_shape) != tuple(plan.input_shape):
        shape = "x".join(map(str, plan.input_shape))
        raise SpecError("data.name", f"the backbone {name} takes {shape} images; {exp.data.name} gives "
                                     f"{'x'.join(map(str, input_shape))}: choose data of that shape, or a folder "
                                     "of images (resized for the backbone)")
    imagenet = BACKBONES[name].kind == "imagenet"
    if imagenet and exp.data.preprocess != "imagenet":
        raise SpecError("data.preprocess", f"{name} was trained on pixels normalized with the ImageNet mean and "
                                           "std: set it to imagenet")
    if STRATEGIES[transfer.strategy].opens == "top" and transfer.open_blocks > len(plan.lockable):
        raise SpecError("transfer.open_blocks", f"the backbone up to {plan.cut} has {len(plan.lockable)} blocks "
                                                f"that can train, asked for {transfer.open_blocks}")
    return plan


def backbone_activations(plan: "BackbonePlan") -> int:
    """Numbers one example leaves behind in the backbone: its blocks' outputs, about eight times over
    for an ImageNet block (the expanded channels inside an inverted residual, norms, activations)."""
    if plan.plans:
        return 0  # counted with the head's plans
    return sum(8 * prod(shape) for shape in plan.shapes.values())
