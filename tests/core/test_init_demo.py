"""The lecture's initialization picture, measured at step 0 (must show 3)."""

import pytest

from playground.core.presets import load_experiment
from playground.core.trainer import Trainer


def step0_layers(preset):
    """Probe the very first step: the forward pass of the freshly initialised network."""
    records = []
    exp = load_experiment(preset)
    assert len(exp.model.layers) == 10 and all(layer.units == 500 for layer in exp.model.layers)
    assert exp.data.name == "digits" and exp.data.preprocess == "standardize"
    trainer = Trainer(exp, records.append)
    trainer.train_step()
    (probe,) = [r for r in records if r["type"] == "probe"]
    assert probe["step"] == 0
    return probe["layers"]


def test_too_small_init_makes_activations_vanish_layer_after_layer():
    layers = step0_layers("init_too_small")
    stds = [layer["act_std"] for layer in layers]
    assert all(later < earlier for earlier, later in zip(stds, stds[1:]))
    assert stds[-1] < 1e-3 * stds[0]


def test_too_large_init_saturates_most_tanh_units():
    layers = step0_layers("init_too_large")
    assert all(layer["frac_saturated"] > 0.5 for layer in layers[1:])
    assert sum(layer["frac_saturated"] for layer in layers) / len(layers) > 0.8


@pytest.mark.parametrize("preset", ["init_xavier", "init_kaiming"])
def test_xavier_and_kaiming_keep_the_scale_across_all_layers(preset):
    stds = [layer["act_std"] for layer in step0_layers(preset)]
    assert max(stds) / min(stds) < 10
