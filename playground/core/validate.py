"""Checks that span several fields (the per-field limits live in spec.py beside each field), and the
limits on what a network may cost, checked on its plan before anything is allocated."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playground.core.datasets import DATASETS
from playground.core.errors import ShapeError, SpecError
from playground.core.losses import LOSSES, resolved_loss
from playground.core.optimizers import OPTIMIZERS
from playground.core.plan import activations_per_example, count_parameters, plan_blocks

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
    n = exp.data.n_samples or info.default_samples
    if info.kind == "image" and n > info.default_samples:
        raise SpecError("data.n_samples", f"{exp.data.name} has {info.default_samples} examples, asked for {n}")
    n_val = round(n * exp.data.val_fraction)
    if n - n_val < 2:
        raise SpecError("data.n_samples", f"leaves {n - n_val} training examples after the validation split; need 2")
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
    input_shape = info.image_shape if info.kind == "image" else (len(exp.data.features),)
    try:
        plans = plan_blocks(exp.model, input_shape, max(info.num_classes, 1))
    except ShapeError as e:
        raise SpecError(f"model.layers[{e.index}].type", str(e)) from None
    parameters = count_parameters(plans)
    if parameters > MAX_PARAMETERS:
        raise SpecError("model.layers", f"the network would have {parameters:,} parameters; at most "
                                        f"{MAX_PARAMETERS:,}: use fewer or narrower layers")
    full_batch = exp.train.batch_size == 0 or OPTIMIZERS[exp.optim.name].full_batch
    n_train = n - n_val
    batch = n_train if full_batch else min(exp.train.batch_size, n_train)
    held = batch * activations_per_example(plans)
    if held > MAX_STEP_ACTIVATIONS:
        path = "data.n_samples" if OPTIMIZERS[exp.optim.name].full_batch else "train.batch_size"
        raise SpecError(path, f"a training step would hold {held:,} numbers ({batch:,} examples x "
                              f"{held // batch:,} each); at most {MAX_STEP_ACTIVATIONS:,}: "
                              "use smaller batches or a smaller network")
    uses_batchnorm = any(p.norm == "batchnorm" for p in plans if p.type in ("dense", "conv"))
    if uses_batchnorm and not full_batch:
        if exp.train.batch_size < 2:
            raise SpecError("train.batch_size", "batch norm needs at least 2 examples per batch")
        if n_train % exp.train.batch_size == 1:
            raise SpecError("train.batch_size", f"leaves a last batch of 1 of the {n_train} training examples, "
                                                "which batch norm cannot normalise; pick another batch size")
