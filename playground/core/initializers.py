"""Weight initializers, all from torch.nn.init; biases always start at zero."""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from playground.core.activations import ACTIVATIONS
from playground.core.registry import Registry

# (weight, init_std, activation name) -> None, filling weight in place
Initializer = Callable[[torch.Tensor, float, str], None]


def _gain(activation: str) -> float:
    return nn.init.calculate_gain(ACTIVATIONS[activation].gain_name)


def _kaiming_nonlinearity(activation: str) -> str:
    name = ACTIVATIONS[activation].gain_name
    return name if name in ("relu", "leaky_relu") else "linear"


def xavier_uniform(w, std, activation):
    nn.init.xavier_uniform_(w)


def xavier_normal(w, std, activation):
    nn.init.xavier_normal_(w)


def kaiming_uniform(w, std, activation):
    nn.init.kaiming_uniform_(w, nonlinearity=_kaiming_nonlinearity(activation))


def kaiming_normal(w, std, activation):
    nn.init.kaiming_normal_(w, nonlinearity=_kaiming_nonlinearity(activation))


def orthogonal(w, std, activation):
    nn.init.orthogonal_(w, gain=_gain(activation))


def normal(w, std, activation):
    nn.init.normal_(w, 0.0, std)


def zeros(w, std, activation):
    nn.init.zeros_(w)


INITIALIZERS: Registry[Initializer] = Registry("initializer")
INITIALIZERS.add("xavier_uniform", xavier_uniform, "Xavier (uniform)",
                 "Glorot: variance 2/(fan_in + fan_out), keeps activations' scale through tanh layers. "
                 "The lecture's default with MSRA.")
INITIALIZERS.add("xavier_normal", xavier_normal, "Xavier (normal)", "Glorot's scale from a normal distribution.")
INITIALIZERS.add("kaiming_uniform", kaiming_uniform, "Kaiming / MSRA (uniform)",
                 "He: variance 2/fan_in, which makes up for ReLU zeroing half its inputs.")
INITIALIZERS.add("kaiming_normal", kaiming_normal, "Kaiming / MSRA (normal)",
                 "He's scale from a normal distribution: the usual choice for ReLU networks.")
INITIALIZERS.add("orthogonal", orthogonal, "Orthogonal", "A random rotation: preserves the norm of what passes through.")
INITIALIZERS.add("normal", normal, "Normal (std)",
                 "N(0, init_std^2) for every weight, whatever the layer size. 0.01 is the lecture's "
                 "'too small' (activations vanish layer after layer), 1.0 its 'too large' (tanh saturates).")
INITIALIZERS.add("zeros", zeros, "Zeros",
                 "Every unit starts the same, gets the same gradient and stays the same: nothing learns. "
                 "Shown to make the point that initial weights must break symmetry.")
