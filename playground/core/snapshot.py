"""What the network computes right now, as a ``snapshot`` record of numpy arrays for pictures: the
decision boundary and each unit's output over the input plane (2D data), sample predictions and a
confusion matrix (images).

Runs in whichever thread owns the model (the training worker, between two steps), in eval mode.
Layers wider than the window draws unit by unit get no pictures (see pictures.py): a 4096-unit
layer would otherwise send 38 MB five times a second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import numpy as np
import torch

from playground.core.pictures import PLANE_RESOLUTION, pictured, plane_grid

if TYPE_CHECKING:
    from playground.core.trainer import Trainer


def snapshot(trainer: "Trainer", resolution: int = PLANE_RESOLUTION, samples: int = 32) -> dict:
    body = points_snapshot(trainer, resolution) if trainer.data.info.kind == "points" else image_snapshot(trainer, samples)
    return {"type": "snapshot", "run": trainer.run_id, "step": trainer.step, "epoch": trainer.epoch, **body}


def points_snapshot(trainer: "Trainer", resolution: int = PLANE_RESOLUTION) -> dict:
    """``field`` (res x res): P(class 1) for two classes, the predicted value for regression, the
    winning class for more; ``units``: one (units, res, res) stack per dense block, None where the
    block is too wide to picture; ``weights``: each dense/output layer's weight matrix (out x in),
    None where either side is too wide."""
    info = trainer.data.info
    x = torch.as_tensor(trainer.data.transform_points(plane_grid(info.extent, resolution)), device=trainer.device)
    outputs: dict[int, torch.Tensor] = {}
    hooks = [block.act.register_forward_hook(lambda m, i, o, k=k: outputs.__setitem__(k, o.detach()))
             for k, (plan, block) in enumerate(trainer.blocks) if plan.type == "dense" and pictured(plan.out_shape[0])]
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
    units: list[Optional[np.ndarray]] = []
    for k in range(len(trainer.blocks)):
        o = outputs.get(k)
        units.append(None if o is None else o.reshape(resolution, resolution, -1).permute(2, 0, 1).cpu().numpy())
    layers = [block.layer for _, block in trainer.blocks] + [trainer.net.out]
    weights = [layer.weight.detach().cpu().numpy().copy()
               if isinstance(layer, torch.nn.Linear) and pictured(layer.in_features) and pictured(layer.out_features)
               else None for layer in layers]
    return {
        "kind": "points",
        "extent": info.extent,
        "field": field.reshape(resolution, resolution).cpu().numpy(),
        "units": units,
        "weights": weights,
    }


def image_snapshot(trainer: "Trainer", samples: int = 32) -> dict:
    """Validation images with the network's guesses, the misclassified ones first; the confusion
    matrix over the whole split and each class's accuracy. Images go as uint8 pictures to show:
    ``ink`` ones (digits, glyphs) with 255 for full ink, others (photos) as they are, in RGB."""
    x, y = (trainer.x_val, trainer.y_val) if len(trainer.x_val) else (trainer.x_train, trainer.y_train)
    raw = trainer.data.x_val if len(trainer.x_val) else trainer.data.x_train
    classes = trainer.data.info.num_classes
    trainer.net.eval()
    try:
        with torch.no_grad():
            predicted = torch.cat([trainer.net(x[i:i + 4096]).argmax(1) for i in range(0, len(x), 4096)])
    finally:
        trainer.net.train()
    confusion = torch.zeros(classes * classes, dtype=torch.int64, device=predicted.device)
    confusion.index_add_(0, y * classes + predicted, torch.ones_like(y))
    confusion = confusion.reshape(classes, classes).cpu().numpy()
    labels, guesses = y.cpu().numpy(), predicted.cpu().numpy()
    wrong = np.flatnonzero(labels != guesses)
    shown = np.concatenate([wrong, np.flatnonzero(labels == guesses)])[:samples]
    totals = confusion.sum(axis=1)
    info = trainer.data.info
    pixels = raw[shown] * trainer.data.std + trainer.data.mean  # back to the data's own values
    pictures = np.clip(pixels / info.pixel_max * 255.0, 0, 255).astype(np.uint8)
    pictures = pictures[:, 0] if pictures.shape[1] == 1 else pictures.transpose(0, 2, 3, 1)
    return {
        "kind": "image",
        "images": np.ascontiguousarray(pictures),
        "ink": info.ink,
        "labels": labels[shown],
        "predicted": guesses[shown],
        "confusion": confusion,
        "class_names": list(trainer.data.class_names) or [str(c) for c in range(classes)],
        "class_accuracy": [float(confusion[c, c] / totals[c]) if totals[c] else None for c in range(classes)],
        "wrong": int(len(wrong)),
        "total": int(len(labels)),
    }
