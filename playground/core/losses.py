"""The data losses, one registry entry each: a function ``(out, y, reduction)`` that the trainer
calls and the exporter pastes into the script as it is written here. ``auto`` in the spec means
cross-entropy for classes and mean squared error for regression.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from playground.core.lazy import F
from playground.core.registry import Registry

if TYPE_CHECKING:
    import torch

    from playground.core.spec import Experiment


def cross_entropy(out, y, reduction):
    """Cross-entropy of the class scores `out` against the labels `y`: softmax, then minus the log
    of the right class's probability."""
    return F.cross_entropy(out, y, reduction=reduction)


def mse(out, y, reduction):
    """Squared error: of the single output against the targets (regression), or of the class scores
    against one-hot labels (classes)."""
    if y.dtype.is_floating_point:
        return F.mse_loss(out.squeeze(1), y, reduction=reduction)
    return F.mse_loss(out, F.one_hot(y, out.shape[1]).to(out.dtype), reduction=reduction)


@dataclass(frozen=True)
class Loss:
    function: Callable
    tasks: tuple[str, ...]  # "classification", "regression"


LOSSES: Registry[Loss] = Registry("loss")
LOSSES.add("cross_entropy", Loss(cross_entropy, ("classification",)), "Cross-entropy",
           "Softmax over the classes, then minus the log of the right class's probability: the usual loss "
           "for classification.")
LOSSES.add("mse", Loss(mse, ("classification", "regression")), "MSE",
           "The mean of squared differences: for regression. On classes it compares the outputs with one-hot "
           "targets (learns, but slower).")


def resolved_loss(exp: "Experiment", task: str) -> str:
    """``auto`` means cross-entropy for classes, mean squared error for regression."""
    if exp.train.loss != "auto":
        return exp.train.loss
    return "cross_entropy" if task == "classification" else "mse"


def data_loss(out: "torch.Tensor", y: "torch.Tensor", loss: str, reduction: str = "mean") -> "torch.Tensor":
    """``reduction='sum'`` is the old ``size_average=False``: the loss (and so the gradient and the
    effective step) grows with the batch size instead of being averaged over it."""
    return LOSSES[loss].function(out, y, reduction)
