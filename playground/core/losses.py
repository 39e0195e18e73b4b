"""The data loss, from the spec's loss name and the task."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from playground.core.spec import Experiment


def resolved_loss(exp: Experiment, task: str) -> str:
    """``auto`` means cross-entropy for classes, mean squared error for regression."""
    if exp.train.loss != "auto":
        return exp.train.loss
    return "cross_entropy" if task == "classification" else "mse"


def data_loss(out: torch.Tensor, y: torch.Tensor, loss: str, reduction: str = "mean") -> torch.Tensor:
    """``reduction='sum'`` is the old ``size_average=False``: the loss (and so the gradient and the
    effective step) grows with the batch size instead of being averaged over it."""
    if y.dtype.is_floating_point:  # regression: one linear output unit
        return F.mse_loss(out.squeeze(1), y, reduction=reduction)
    if loss == "cross_entropy":
        return F.cross_entropy(out, y, reduction=reduction)
    return F.mse_loss(out, F.one_hot(y, out.shape[1]).to(out.dtype), reduction=reduction)
