"""The experiment file: defaults, round trip, and errors that name the bad field."""

import json

import pytest

from playground.core.choices import OPTIMIZERS
from playground.core.spec import Experiment, SpecError


def test_empty_document_is_tensorflow_playgrounds_default():
    exp = Experiment.from_dict({})
    assert exp.data.name == "circle" and exp.data.val_fraction == 0.5
    assert [layer.units for layer in exp.model.layers] == [4, 2]
    assert exp.model.activation == "tanh"
    assert exp.optim.name == "sgd" and exp.optim.lr is None
    assert OPTIMIZERS[exp.optim.name].default_lr == 0.03
    assert exp.train.batch_size == 10


def test_load_save_gives_the_same_file(tmp_path):
    raw = {"title": "t", "data": {"name": "spiral", "features": ["x1", "x2", "sin_x1"]},
           "model": {"layers": [{"type": "dense", "units": 8, "activation": "relu"}, {"type": "dense", "units": 3}]},
           "optim": {"name": "adam", "betas": [0.8, 0.99]}, "schedule": {"name": "step", "gamma": 0.25}}
    first = tmp_path / "a.json"
    Experiment.from_dict(raw).save(first)
    second = tmp_path / "b.json"
    Experiment.load(first).save(second)
    assert first.read_bytes() == second.read_bytes()
    assert json.loads(first.read_text())["model"]["layers"][0] == {"type": "dense", "units": 8, "activation": "relu"}


@pytest.mark.parametrize("raw, message", [
    ({"model": {"layers": [{"units": 4}, {"units": 0}]}}, "model.layers[1].units: must be >= 1, got 0"),
    ({"optim": {"name": "adamm"}}, "optim.name: unknown choice 'adamm'"),
    ({"optim": {"lr": -1}}, "optim.lr: must be > 0"),
    ({"optim": {"betas": [0.9, 1.5]}}, "optim.betas[1]: must be >= 0 and < 1"),
    ({"data": {"noise": "lots"}}, "data.noise: must be a number"),
    ({"data": {"features": ["x1", "x3"]}}, "data.features[1]: unknown choice 'x3'"),
    ({"data": {"colour": 1}}, "data.colour: unknown key"),
    ({"train": {"epochs": 2.5}}, "train.epochs: must be a whole number"),
    ({"model": {"dropout": 1.0}}, "model.dropout: must be < 1.0"),
    ({"model": {"layers": [{"type": "conv"}]}}, "model.layers[0].type: conv needs image data"),
    ({"data": {"name": "digits"}, "model": {"layers": [{"type": "conv", "kernel": 7}, {"type": "pool", "kernel": 4},
                                                       {"type": "conv", "kernel": 3}]}},
     "model.layers[2].type: kernel 3 is larger than the 2x2 image"),
    ({"data": {"name": "plane"}, "train": {"loss": "cross_entropy"}}, "train.loss: cross_entropy needs classes"),
    ({"model": {"norm": "batchnorm"}, "train": {"batch_size": 1}}, "train.batch_size: batch norm needs at least 2"),
    ({"model": {"norm": "batchnorm"}, "data": {"n_samples": 42}}, "train.batch_size: leaves a last batch of 1"),
    ({"data": {"name": "digits", "n_samples": 5000}}, "data.n_samples: digits has 1797 examples"),
    ({"data": {"seed": -1}}, "data.seed: must be >= 0"),
    ([], "must be an object"),
])
def test_bad_values_are_named_by_their_path(raw, message):
    with pytest.raises(SpecError) as err:
        Experiment.from_dict(raw)
    assert message in str(err.value)


def test_invalid_json_says_where():
    with pytest.raises(SpecError, match="not valid JSON: .* line 1"):
        Experiment.from_json("{nope")


def test_overrides_reach_nested_fields_and_are_validated():
    exp = Experiment.from_dict({}).with_overrides(["model.layers[0].units=8", "optim.name=adam", "data.name=xor"])
    assert exp.model.layers[0].units == 8 and exp.optim.name == "adam" and exp.data.name == "xor"
    with pytest.raises(SpecError, match=r"model.layers\[5\]: no such item \(the list has 2\)"):
        Experiment.from_dict({}).with_overrides(["model.layers[5].units=8"])
    with pytest.raises(SpecError, match="model.layers\\[0\\].units: must be >= 1"):
        Experiment.from_dict({}).with_overrides(["model.layers[0].units=0"])
    with pytest.raises(SpecError, match="wants path=value"):
        Experiment.from_dict({}).with_overrides(["optim.lr"])
