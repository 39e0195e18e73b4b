"""Optimizers from torch.optim, described by their class and arguments: the trainer builds them, the
exporter writes the same call, the window shows their parameters and defaults, all from one entry.

Built from parameter groups, so that layers can be frozen or get their own LR.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from playground.core.registry import Registry

if TYPE_CHECKING:
    import torch

    from playground.core.spec import OptimSpec


@dataclass(frozen=True)
class Optimizer:
    torch_class: str  # in torch.optim
    default_lr: float
    # the spec's fields this optimizer reads, with the value it uses when the spec leaves one out
    defaults: dict[str, Any] = field(default_factory=dict)
    fixed: dict[str, Any] = field(default_factory=dict)  # constructor arguments the spec does not set
    full_batch: bool = False  # steps with a closure over the whole training set
    weight_decay: bool = True  # takes torch's weight_decay (L-BFGS gets L2 in its loss instead)

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(self.defaults)


def resolved_lr(spec: "OptimSpec") -> float:
    return OPTIMIZERS[spec.name].default_lr if spec.lr is None else spec.lr


def optimizer_arguments(spec: "OptimSpec", lr: float) -> dict[str, Any]:
    """The keyword arguments of ``torch.optim.<torch_class>`` for this spec."""
    entry = OPTIMIZERS[spec.name]
    arguments: dict[str, Any] = {"lr": lr, **entry.fixed}
    for name, default in entry.defaults.items():
        value = getattr(spec, name)
        value = default if value is None else value
        arguments[name] = tuple(value) if isinstance(value, list) else value
    if entry.weight_decay:
        arguments["weight_decay"] = spec.weight_decay
    return arguments


def build_optimizer(groups: list[dict], spec: "OptimSpec") -> "torch.optim.Optimizer":
    """Each group may carry its own ``lr_scale`` (a backbone at a tenth of the head's LR)."""
    import torch  # here, not at the top: the window's process reads this registry without torch

    lr = resolved_lr(spec)
    kind = getattr(torch.optim, OPTIMIZERS[spec.name].torch_class)
    opt = kind(groups, **optimizer_arguments(spec, lr))
    for group in opt.param_groups:
        group.setdefault("lr_scale", 1.0)
        group["lr"] = lr * group["lr_scale"]
    return opt


OPTIMIZERS: Registry[Optimizer] = Registry("optimizer")
OPTIMIZERS.add("sgd", Optimizer("SGD", 0.03), "SGD",
               "Step against the gradient of a minibatch. Slow on ravines and saddle points; LR 0.03 is "
               "TensorFlow Playground's default.")
OPTIMIZERS.add("momentum", Optimizer("SGD", 0.01, {"momentum": 0.9}), "SGD + momentum",
               "Keeps a running velocity (rho = 0.9): rolls through noise and shallow minima, faster along ravines.")
OPTIMIZERS.add("nesterov", Optimizer("SGD", 0.01, {"momentum": 0.9}, {"nesterov": True}), "Nesterov",
               "Momentum that looks ahead: the gradient is taken where the velocity is about to carry you.")
OPTIMIZERS.add("adagrad", Optimizer("Adagrad", 0.01, {"eps": 1e-10}), "AdaGrad",
               "Divides each step by the root of the sum of all past squared gradients: steps shrink forever.")
OPTIMIZERS.add("rmsprop", Optimizer("RMSprop", 1e-3, {"momentum": 0.0, "eps": 1e-8}, {"alpha": 0.99}), "RMSProp",
               "AdaGrad with a leaky (decaying) sum of squared gradients, so steps do not shrink to nothing.")
OPTIMIZERS.add("adam", Optimizer("Adam", 1e-3, {"betas": (0.9, 0.999), "eps": 1e-8}), "Adam",
               "Momentum plus RMSProp with bias correction. The lecture's default: beta1 0.9, beta2 0.999, "
               "LR 1e-3 or 5e-4.")
OPTIMIZERS.add("adamw", Optimizer("AdamW", 1e-3, {"betas": (0.9, 0.999), "eps": 1e-8}), "AdamW",
               "Adam with weight decay applied to the weights directly instead of through the gradient.")
OPTIMIZERS.add("lbfgs", Optimizer("LBFGS", 1.0, fixed={"max_iter": 20, "history_size": 10,
                                                      "line_search_fn": "strong_wolfe"},
                                  full_batch=True, weight_decay=False), "L-BFGS",
               "A quasi-Newton (second-order) method: uses curvature, so there is no LR to tune (the line "
               "search picks the step). Runs on the full batch; too costly for large networks.")
