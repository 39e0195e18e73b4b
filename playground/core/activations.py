"""Activation functions, with what a probe needs to know about each. Named, not imported: the
window lists them without loading torch (see lazy.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from playground.core.registry import Registry


@dataclass(frozen=True)
class Activation:
    module: str  # the torch.nn class, built with its defaults
    # (low, high) range whose ends count as saturated, for bounded activations only
    bounds: Optional[tuple[float, float]] = None
    # torch.nn.init.calculate_gain's name for Kaiming/Xavier gains
    gain_name: str = "linear"


ACTIVATIONS: Registry[Activation] = Registry("activation")
ACTIVATIONS.add("relu", Activation("ReLU", gain_name="relu"), "ReLU",
                "max(0, x). The lecture's default choice: cheap, does not saturate for x > 0. "
                "Units whose input stays negative die (always 0): watch 'dead' in the probes.")
ACTIVATIONS.add("leaky_relu", Activation("LeakyReLU", gain_name="leaky_relu"), "Leaky ReLU",
                "max(0.01x, x): a small slope for x < 0, so units cannot die.")
ACTIVATIONS.add("elu", Activation("ELU", gain_name="relu"), "ELU",
                "x for x > 0, exp(x) - 1 below: ReLU's benefits with outputs closer to zero mean.")
ACTIVATIONS.add("gelu", Activation("GELU", gain_name="relu"), "GELU",
                "x times the Gaussian CDF of x: a smooth ReLU, used in transformers.")
ACTIVATIONS.add("tanh", Activation("Tanh", bounds=(-1.0, 1.0), gain_name="tanh"), "Tanh",
                "Zero-centred but saturates at -1 and 1, where its gradient vanishes; "
                "too large weights push every unit there.")
ACTIVATIONS.add("sigmoid", Activation("Sigmoid", bounds=(0.0, 1.0), gain_name="sigmoid"), "Sigmoid",
                "Squashes to (0, 1): not zero-centred and saturates; rarely used in hidden layers today.")
ACTIVATIONS.add("linear", Activation("Identity"), "Linear",
                "No non-linearity: any depth of linear layers is still one linear map.")
