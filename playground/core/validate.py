"""Checks that span several fields (the per-field limits live in spec.py beside each field)."""

from __future__ import annotations

from playground.core.spec import Experiment, SpecError


def check_experiment(exp: Experiment) -> None:
    from playground.core.datasets import DATASETS
    from playground.core.model import ShapeError, plan_blocks
    from playground.core.optimizers import OPTIMIZERS

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
    if info.task == "regression" and exp.train.loss == "cross_entropy":
        raise SpecError("train.loss", f"cross_entropy needs classes; {exp.data.name} is a regression set: use mse")
    input_shape = info.image_shape if info.kind == "image" else (len(exp.data.features),)
    try:
        plans = plan_blocks(exp.model, input_shape, max(info.num_classes, 1))
    except ShapeError as e:
        raise SpecError(f"model.layers[{e.index}].type", str(e)) from None
    uses_batchnorm = any(p.norm == "batchnorm" for p in plans if p.type in ("dense", "conv"))
    full_batch = exp.train.batch_size == 0 or OPTIMIZERS[exp.optim.name].full_batch
    if uses_batchnorm and not full_batch:
        if exp.train.batch_size < 2:
            raise SpecError("train.batch_size", "batch norm needs at least 2 examples per batch")
        if (n - n_val) % exp.train.batch_size == 1:
            raise SpecError("train.batch_size", f"leaves a last batch of 1 of the {n - n_val} training examples, "
                                                "which batch norm cannot normalise; pick another batch size")
