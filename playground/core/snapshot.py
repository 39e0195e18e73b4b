"""What the network computes right now, as numpy arrays for pictures: the decision boundary and each
unit's output over the input plane (2D data), sample predictions and a confusion matrix (images).

Runs in whichever thread owns the model (the training worker, between two steps), in eval mode.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import torch

from playground.core.trainer import Trainer


def plane_grid(extent: float, resolution: int) -> np.ndarray:
    """Points of a square grid over [-extent, extent]^2, row by row from the top (y = +extent)."""
    axis = np.linspace(-extent, extent, resolution)
    xs, ys = np.meshgrid(axis, axis[::-1])
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


def snapshot(trainer: Trainer, resolution: int = 48, samples: int = 32) -> dict:
    if trainer.data.info.kind == "points":
        return points_snapshot(trainer, resolution)
    return image_snapshot(trainer, samples)


def points_snapshot(trainer: Trainer, resolution: int = 48) -> dict:
    """``field`` (res x res): P(class 1) for two classes, the predicted value for regression, the
    winning class for more; ``units``: one res x res map per unit of every dense block;
    ``weights``: each dense/output layer's weight matrix (out x in)."""
    info = trainer.data.info
    x = torch.as_tensor(trainer.data.transform_points(plane_grid(info.extent, resolution)), device=trainer.device)
    outputs: list[Optional[torch.Tensor]] = []
    hooks = [block.act.register_forward_hook(lambda m, i, o: outputs.append(o.detach()))
             for _, block in trainer.blocks]
    trainer.net.eval()
    try:
        with torch.no_grad():
            out = trainer.net(x)
    finally:
        trainer.net.train()
        for hook in hooks:
            hook.remove()
    if info.task == "regression":
        field = out[:, 0]
    elif out.shape[1] == 2:
        field = torch.softmax(out, dim=1)[:, 1]
    else:
        field = out.argmax(1).float()
    units = [o.reshape(resolution, resolution, -1).permute(2, 0, 1).cpu().numpy() for o in outputs]
    layers = [block.layer for _, block in trainer.blocks] + [trainer.net.out]
    return {
        "kind": "points",
        "step": trainer.step,
        "extent": info.extent,
        "field": field.reshape(resolution, resolution).cpu().numpy(),
        "units": units,
        "weights": [layer.weight.detach().cpu().numpy().copy() for layer in layers],
    }


def image_snapshot(trainer: Trainer, samples: int = 32) -> dict:
    """Predictions for the first validation images and the confusion matrix over the whole split."""
    x, y = (trainer.x_val, trainer.y_val) if len(trainer.x_val) else (trainer.x_train, trainer.y_train)
    classes = trainer.data.info.num_classes
    trainer.net.eval()
    try:
        with torch.no_grad():
            predicted = trainer.net(x).argmax(1)
    finally:
        trainer.net.train()
    confusion = torch.zeros(classes * classes, dtype=torch.int64, device=predicted.device)
    confusion.index_add_(0, y * classes + predicted, torch.ones_like(y))
    shown = slice(0, min(samples, len(x)))
    raw = trainer.data.x_val if len(trainer.x_val) else trainer.data.x_train
    return {
        "kind": "image",
        "step": trainer.step,
        "images": (raw[shown] * trainer.data.std + trainer.data.mean)[:, 0],  # back to pixel values
        "labels": y[shown].cpu().numpy(),
        "predicted": predicted[shown].cpu().numpy(),
        "confusion": confusion.reshape(classes, classes).cpu().numpy(),
    }
