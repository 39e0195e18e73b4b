"""Optimizers from torch.optim, built from parameter groups (so layers can be frozen or get their own LR)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from playground.core.registry import Registry
from playground.core.spec import OptimSpec


@dataclass(frozen=True)
class Optimizer:
    build: Callable[[list[dict], OptimSpec, float], torch.optim.Optimizer]  # (groups, spec, lr)
    default_lr: float
    # parameters this optimizer reads from the spec, for the UI to show
    params: tuple[str, ...] = ()
    full_batch: bool = False  # needs a closure over the whole training set


def _momentum(spec: OptimSpec) -> float:
    return 0.9 if spec.momentum is None else spec.momentum


def _betas(spec: OptimSpec) -> tuple[float, float]:
    return (0.9, 0.999) if spec.betas is None else (spec.betas[0], spec.betas[1])


def _eps(spec: OptimSpec, default: float) -> float:
    return default if spec.eps is None else spec.eps


def resolved_lr(spec: OptimSpec) -> float:
    return OPTIMIZERS[spec.name].default_lr if spec.lr is None else spec.lr


def build_optimizer(groups: list[dict], spec: OptimSpec) -> torch.optim.Optimizer:
    """Each group may carry its own ``lr_scale`` (a backbone at a tenth of the head's LR)."""
    lr = resolved_lr(spec)
    opt = OPTIMIZERS[spec.name].build(groups, spec, lr)
    for group in opt.param_groups:
        group.setdefault("lr_scale", 1.0)
        group["lr"] = lr * group["lr_scale"]
    return opt


OPTIMIZERS: Registry[Optimizer] = Registry("optimizer")
OPTIMIZERS.add("sgd", Optimizer(
    lambda g, s, lr: torch.optim.SGD(g, lr=lr, weight_decay=s.weight_decay), 0.03, ()), "SGD",
    "Step against the gradient of a minibatch. Slow on ravines and saddle points; LR 0.03 is "
    "TensorFlow Playground's default.")
OPTIMIZERS.add("momentum", Optimizer(
    lambda g, s, lr: torch.optim.SGD(g, lr=lr, momentum=_momentum(s), weight_decay=s.weight_decay),
    0.01, ("momentum",)), "SGD + momentum",
    "Keeps a running velocity (rho = 0.9): rolls through noise and shallow minima, faster along ravines.")
OPTIMIZERS.add("nesterov", Optimizer(
    lambda g, s, lr: torch.optim.SGD(g, lr=lr, momentum=_momentum(s), nesterov=True,
                                     weight_decay=s.weight_decay), 0.01, ("momentum",)), "Nesterov",
    "Momentum that looks ahead: the gradient is taken where the velocity is about to carry you.")
OPTIMIZERS.add("adagrad", Optimizer(
    lambda g, s, lr: torch.optim.Adagrad(g, lr=lr, eps=_eps(s, 1e-10), weight_decay=s.weight_decay),
    0.01, ("eps",)), "AdaGrad",
    "Divides each step by the root of the sum of all past squared gradients: steps shrink forever.")
OPTIMIZERS.add("rmsprop", Optimizer(
    lambda g, s, lr: torch.optim.RMSprop(g, lr=lr, alpha=0.99, eps=_eps(s, 1e-8),
                                         momentum=0.0 if s.momentum is None else s.momentum,
                                         weight_decay=s.weight_decay), 1e-3, ("momentum", "eps")), "RMSProp",
    "AdaGrad with a leaky (decaying) sum of squared gradients, so steps do not shrink to nothing.")
OPTIMIZERS.add("adam", Optimizer(
    lambda g, s, lr: torch.optim.Adam(g, lr=lr, betas=_betas(s), eps=_eps(s, 1e-8),
                                      weight_decay=s.weight_decay), 1e-3, ("betas", "eps")), "Adam",
    "Momentum plus RMSProp with bias correction. The lecture's default: beta1 0.9, beta2 0.999, "
    "LR 1e-3 or 5e-4.")
OPTIMIZERS.add("adamw", Optimizer(
    lambda g, s, lr: torch.optim.AdamW(g, lr=lr, betas=_betas(s), eps=_eps(s, 1e-8),
                                       weight_decay=s.weight_decay), 1e-3, ("betas", "eps")), "AdamW",
    "Adam with weight decay applied to the weights directly instead of through the gradient.")
OPTIMIZERS.add("lbfgs", Optimizer(
    lambda g, s, lr: torch.optim.LBFGS(g, lr=lr, max_iter=20, history_size=10,
                                       line_search_fn="strong_wolfe"), 1.0, (), full_batch=True), "L-BFGS",
    "A quasi-Newton (second-order) method: uses curvature, so there is no LR to tune (the line "
    "search picks the step). Runs on the full batch; too costly for large networks.")
