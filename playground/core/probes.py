"""Activation and gradient statistics per hidden block: the lecture's diagnostics, as plain numbers.

A probe watches one real training step (no extra forward pass, so batch norm's running statistics
and the random-number stream are exactly as without it): the block outputs after the activation
in that step's forward, the weight gradients of its backward and the size of its update.
"""

from __future__ import annotations

import math
from typing import Optional

import torch
from torch import nn

from playground.core.activations import ACTIVATIONS
from playground.core.plan import BlockPlan

HIST_BINS = 30
SATURATION_MARGIN = 0.01  # within this of a bound of tanh/sigmoid counts as saturated


class ActivationProbe:
    """Attach for one step with ``with probe:``; read ``record(step)`` after the optimizer step."""

    def __init__(self, blocks: list[tuple[BlockPlan, nn.Sequential]]):
        self.blocks = blocks
        self._outputs: list[Optional[torch.Tensor]] = [None] * len(blocks)
        self._before: list[torch.Tensor] = []
        self._grad_std: list[float] = []
        self._handles: list = []

    def __enter__(self) -> "ActivationProbe":
        self._outputs = [None] * len(self.blocks)
        for i, (_, block) in enumerate(self.blocks):
            self._handles.append(block.act.register_forward_hook(self._keeper(i)))
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _keeper(self, i: int):
        def keep(module, inputs, output):
            if self._outputs[i] is None:  # L-BFGS evaluates several times per step: keep the first
                self._outputs[i] = output.detach()
        return keep

    def before_update(self) -> None:
        """Call between backward and the optimizer step."""
        weights = [block.layer.weight for _, block in self.blocks]
        self._grad_std = [float(w.grad.std()) if w.grad is not None and w.grad.numel() > 1 else 0.0
                          for w in weights]
        self._before = [w.detach().clone() for w in weights]

    def record(self, step: int) -> dict:
        layers = []
        for i, (plan, block) in enumerate(self.blocks):
            w = block.layer.weight.detach()
            old = self._before[i] if self._before else w
            norm = float(old.norm())
            entry = activation_stats(self._outputs[i], plan.activation)
            entry["name"] = plan.name
            entry["grad_std"] = self._grad_std[i] if self._grad_std else 0.0
            entry["update_ratio"] = float((w - old).norm()) / norm if norm > 0 else 0.0
            entry["weight_std"] = float(w.std()) if w.numel() > 1 else 0.0
            norm_layer = getattr(block, "norm", None)
            if isinstance(norm_layer, nn.modules.batchnorm._BatchNorm):
                entry["bn_running_mean"] = float(norm_layer.running_mean.mean())
                entry["bn_running_var"] = float(norm_layer.running_var.mean())
            name = entry.pop("name")
            layers.append({"name": name, **{k: _finite(v) for k, v in entry.items()}})
        return {"type": "probe", "step": step, "layers": layers}


def _finite(value):
    """Keep records strict JSON: an overflowed statistic is null, not NaN or Infinity."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def activation_stats(a: Optional[torch.Tensor], activation: str) -> dict:
    """Mean, std, dead and saturated fractions and a fixed-bin histogram of one block's outputs."""
    if a is None or a.numel() == 0:
        return {"act_mean": 0.0, "act_std": 0.0, "frac_zero": 0.0, "frac_dead_units": 0.0,
                "frac_saturated": None, "hist": {"lo": 0.0, "hi": 0.0, "counts": [0] * HIST_BINS}}
    a = a.float()
    bounds = ACTIVATIONS[activation].bounds
    zero = a == 0
    # a unit (dense) or channel (conv) that is zero for every example in the batch is dead
    per_unit = zero.transpose(0, 1).reshape(a.shape[1], -1)
    stats = {
        "act_mean": float(a.mean()),
        "act_std": float(a.std()) if a.numel() > 1 else 0.0,
        "frac_zero": float(zero.float().mean()),
        "frac_dead_units": float(per_unit.all(dim=1).float().mean()),
        "frac_saturated": None,
    }
    if bounds is not None:
        lo, hi = bounds
        saturated = (a <= lo + SATURATION_MARGIN) | (a >= hi - SATURATION_MARGIN)
        stats["frac_saturated"] = float(saturated.float().mean())
    else:
        lo, hi = float(a.min()), float(a.max())
        if hi - lo < 1e-12:
            lo, hi = lo - 0.5, hi + 0.5
    counts = torch.histc(a.flatten(), bins=HIST_BINS, min=lo, max=hi)
    stats["hist"] = {"lo": lo, "hi": hi, "counts": [int(c) for c in counts.tolist()]}
    return stats
