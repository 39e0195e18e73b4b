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


@pytest.mark.parametrize("raw, message", [
    ({"data": {"n_samples": 1_000_000}}, "data.n_samples: at most 100000, got 1000000"),
    ({"model": {"layers": [{"units": 5000}]}}, "model.layers[0].units: at most 4096, got 5000"),
    ({"data": {"name": "digits"}, "model": {"layers": [{"type": "conv", "channels": 1000}]}},
     "model.layers[0].channels: at most 512, got 1000"),
    ({"train": {"epochs": 10_000_000}}, "train.epochs: at most 1000000, got 10000000"),
    ({"train": {"batch_size": 200_000}}, "train.batch_size: at most 100000, got 200000"),
    ({"model": {"layers": [{"units": 4}] * 40}}, "model.layers: at most 32 layers, got 40"),
    ({"model": {"layers": [{"units": 4096}] * 3}}, "model.layers: the network would have 33,583,106 parameters; "
                                                    "at most 20,000,000"),
    ({"data": {"n_samples": 100_000}, "model": {"layers": [{"units": 4096}, {"units": 1024}]},
      "train": {"batch_size": 0}}, "train.batch_size: a training step would hold"),
    ({"data": {"n_samples": 100_000}, "optim": {"name": "lbfgs"}, "model": {"layers": [{"units": 4096}]}},
     "data.n_samples: a training step would hold"),
])
def test_sizes_that_cannot_fit_are_refused_before_anything_is_allocated(raw, message):
    """Defect 13: an absurd size made a run hang while it ate the machine's memory. The limit is in
    the message, and the check needs no torch (the window's process runs it on every edit)."""
    with pytest.raises(SpecError) as err:
        Experiment.from_dict(raw)
    assert message in str(err.value)


def test_every_optimizers_declared_defaults_are_what_torch_uses():
    """One place for the defaults: the registry entry. Where torch has its own default for the same
    argument, the entry agrees with it (momentum 0.9 is the lecture's, torch's is 0)."""
    import inspect

    import torch

    from playground.core.optimizers import optimizer_arguments
    from playground.core.spec import OptimSpec

    for entry in OPTIMIZERS:
        kind = getattr(torch.optim, entry.value.torch_class)
        signature = inspect.signature(kind)
        for name, default in entry.value.defaults.items():
            theirs = signature.parameters[name].default
            if name != "momentum" or entry.name == "rmsprop":
                assert theirs == default, (entry.name, name, theirs, default)
        built = kind([torch.zeros(1, requires_grad=True)], **optimizer_arguments(OptimSpec(name=entry.name), 0.1))
        assert all(built.defaults[k] == v for k, v in entry.value.defaults.items())


@pytest.mark.parametrize("preset", ["default", "digits_cnn", "batchnorm_on", "init_xavier"])
def test_the_plans_parameter_count_is_torchs(preset):
    from playground.core.model import build_model
    from playground.core.plan import count_parameters
    from playground.core.presets import load_experiment
    from playground.core.datasets import DATASETS

    exp = load_experiment(preset)
    info = DATASETS[exp.data.name]
    shape = info.image_shape if info.kind == "image" else (len(exp.data.features),)
    net, plans = build_model(exp.model, shape, max(info.num_classes, 1))
    assert count_parameters(plans) == sum(p.numel() for p in net.parameters())
