"""Weight initializers: which torch.nn.init function each one calls, and with what. Biases always
start at zero. The model builder makes the call and the exporter writes it, from the same entry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from playground.core.activations import ACTIVATIONS
from playground.core.registry import Registry


@dataclass(frozen=True)
class Gain:
    """``nn.init.calculate_gain(nonlinearity)``: torch computes it when the weights are made, and an
    exported script shows that call rather than its value."""

    nonlinearity: str


@dataclass(frozen=True)
class Initializer:
    function: str  # in torch.nn.init, called as function(weight, **arguments(init_std, activation))
    arguments: Callable[[float, str], dict[str, Any]] = lambda std, activation: {}


def kaiming_nonlinearity(activation: str) -> str:
    """Kaiming's gain for ReLU-like units; the others get the linear gain (torch accepts no other)."""
    name = ACTIVATIONS[activation].gain_name
    return name if name in ("relu", "leaky_relu") else "linear"


INITIALIZERS: Registry[Initializer] = Registry("initializer")
INITIALIZERS.add("xavier_uniform", Initializer("xavier_uniform_"), "Xavier (uniform)",
                 "Glorot: variance 2/(fan_in + fan_out), keeps activations' scale through tanh layers. "
                 "The lecture's default with MSRA.")
INITIALIZERS.add("xavier_normal", Initializer("xavier_normal_"), "Xavier (normal)",
                 "Glorot's scale from a normal distribution.")
INITIALIZERS.add("kaiming_uniform", Initializer(
    "kaiming_uniform_", lambda std, activation: {"nonlinearity": kaiming_nonlinearity(activation)}),
    "Kaiming / MSRA (uniform)", "He: variance 2/fan_in, which makes up for ReLU zeroing half its inputs.")
INITIALIZERS.add("kaiming_normal", Initializer(
    "kaiming_normal_", lambda std, activation: {"nonlinearity": kaiming_nonlinearity(activation)}),
    "Kaiming / MSRA (normal)", "He's scale from a normal distribution: the usual choice for ReLU networks.")
INITIALIZERS.add("orthogonal", Initializer(
    "orthogonal_", lambda std, activation: {"gain": Gain(ACTIVATIONS[activation].gain_name)}),
    "Orthogonal", "A random rotation: preserves the norm of what passes through.")
INITIALIZERS.add("normal", Initializer("normal_", lambda std, activation: {"mean": 0.0, "std": std}), "Normal (std)",
                 "N(0, init_std^2) for every weight, whatever the layer size. 0.01 is the lecture's "
                 "'too small' (activations vanish layer after layer), 1.0 its 'too large' (tanh saturates).")
INITIALIZERS.add("zeros", Initializer("zeros_"), "Zeros",
                 "Every unit starts the same, gets the same gradient and stays the same: nothing learns. "
                 "Shown to make the point that initial weights must break symmetry.")
