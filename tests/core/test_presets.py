"""The shipped presets: they load, they read well, and each one shows what its description claims.

The demonstrations run the real trainer, mostly on fewer epochs than the preset (where the effect
already shows), with margins chosen far from the measured figures so that they are not flaky.
"""

from __future__ import annotations

import json
import math

import pytest

from playground import cli
from playground.core.presets import load_experiment, preset_names, presets_dir
from playground.core.spec import Experiment
from playground.core.trainer import Trainer

NAMES = preset_names()

REQUIRED = [
    "default", "spiral_deep_relu",
    "init_too_small", "init_too_large", "init_xavier", "init_kaiming",
    "batchnorm_off", "batchnorm_on",
    "overfit_no_dropout", "overfit_dropout",
    "lr_too_high", "lr_too_low", "lr_good",
    "optim_sgd", "optim_momentum", "optim_adam",
    "lbfgs_full_batch",
    "decay_step", "decay_exponential", "decay_inverse_time",
    "digits_mlp", "digits_cnn",
]


def run(name: str, epochs: int | None = None, overrides: tuple[str, ...] = ()) -> tuple[list[dict], dict]:
    """Train a preset headless: (epoch records, end record)."""
    exp = load_experiment(name)
    sets = list(overrides) + ([f"train.epochs={epochs}"] if epochs is not None else [])
    if sets:
        exp = exp.with_overrides(sets)
    records: list[dict] = []
    end = Trainer(exp, records.append).run()
    return [r for r in records if r["type"] == "epoch"], end


def first_probe(name: str) -> list[dict]:
    """The per-layer probe of step 0 (the untrained network), from one training step."""
    records: list[dict] = []
    trainer = Trainer(load_experiment(name), records.append)
    trainer.train_step()
    probe = next(r for r in records if r["type"] == "probe")
    assert probe["step"] == 0
    return probe["layers"]


# -- the files ------------------------------------------------------------------------------------


def test_the_lecture_presets_exist():
    missing = sorted(set(REQUIRED) - set(NAMES))
    assert not missing, f"missing presets: {missing}"


@pytest.mark.parametrize("name", NAMES)
def test_preset_loads_with_a_title_and_a_two_line_description(name):
    assert name == name.lower() and name.replace("_", "").isalnum(), "preset names are snake_case"
    exp = load_experiment(name)  # validates
    assert exp.title.strip()
    lines = exp.description.split("\n")
    assert len(lines) == 2, f"description has {len(lines)} lines"
    assert all(line.strip() == line and line for line in lines)
    assert all(len(line) <= 120 for line in lines), "keep each line short enough for a tooltip"


def _non_defaults(raw: dict, default: dict, path: str) -> list[str]:
    """Keys of raw (recursively through sections) whose value equals the default's."""
    same = []
    for key, value in raw.items():
        where = f"{path}.{key}" if path else key
        if isinstance(value, dict) and isinstance(default.get(key), dict):
            same += _non_defaults(value, default[key], where)
        elif key in default and value == default[key]:
            same.append(where)
    return same


@pytest.mark.parametrize("name", NAMES)
def test_preset_writes_only_what_differs_from_the_defaults(name):
    raw = json.loads((presets_dir() / f"{name}.json").read_text(encoding="utf-8"))
    default = Experiment().to_dict()
    assert _non_defaults(raw, default, "") == []


@pytest.mark.parametrize("name", NAMES)
def test_preset_round_trips(name):
    text = (presets_dir() / f"{name}.json").read_text(encoding="utf-8")
    first = Experiment.from_json(text)
    saved = first.to_json()
    second = Experiment.from_json(saved)
    assert second == first
    assert second.to_json() == saved
    assert json.loads(saved) == first.to_dict()


def test_cli_lists_every_preset(capsys):
    assert cli.main(["presets"]) == 0
    out = capsys.readouterr().out
    listed = [line.split()[0] for line in out.splitlines() if line and not line.startswith(" ")]
    assert listed == NAMES
    for name in NAMES:
        exp = load_experiment(name)
        assert exp.title in out
        for line in exp.description.splitlines():
            assert line in out


# -- the demonstrations ---------------------------------------------------------------------------


def test_lr_too_high_diverges_and_names_the_learning_rate():
    epochs, end = run("lr_too_high")
    assert end["reason"] == "diverged"
    assert "learning rate 3 " in end["message"]
    assert end["epoch"] == 0 and len(epochs) == 1  # dies in its first epoch


def test_mse_sum_reduction_diverges_where_the_mean_does_not():
    _, summed = run("mse_sum_reduction", epochs=5)
    assert summed["reason"] == "diverged"
    mean_epochs, mean = run("regression_plane", epochs=5)
    assert mean["reason"] == "completed"
    assert mean_epochs[-1]["train_loss"] < 0.01


def test_lr_too_low_moves_less_than_lr_good():
    def drop(name):
        epochs, end = run(name, epochs=3)
        assert end["reason"] == "completed"
        return epochs[0]["train_loss"] - epochs[-1]["train_loss"]

    low, good = drop("lr_too_low"), drop("lr_good")
    assert low < 0.1 < 1.0 < good  # measured: about 0.03 and 2.2


def test_momentum_and_adam_beat_sgd_after_the_same_epochs():
    final = {name: run(name, epochs=5)[0][-1]["train_loss"] for name in ("optim_sgd", "optim_momentum", "optim_adam")}
    # measured: sgd 0.41, momentum 0.10, adam 0.23
    assert final["optim_momentum"] < 0.5 * final["optim_sgd"]
    assert final["optim_adam"] < 0.75 * final["optim_sgd"]


def test_dropout_narrows_the_overfitting_gap():
    def gap(name):
        last = run(name, epochs=60)[0][-1]
        return last["val_loss"] - last["train_loss"]

    without, with_dropout = gap("overfit_no_dropout"), gap("overfit_dropout")
    assert without > 2 * with_dropout  # measured: about 0.5 against 0.15
    assert gap("overfit_l2") < 0.5 * without


def test_overfitting_shows_as_rising_validation_loss():
    epochs, _ = run("overfit_no_dropout", epochs=60)
    best = min(r["val_loss"] for r in epochs)
    assert epochs[-1]["val_loss"] > 1.5 * best
    assert epochs[-1]["train_loss"] < epochs[10]["train_loss"]


def test_batchnorm_on_beats_batchnorm_off():
    off, on = run("batchnorm_off", epochs=30)[0][-1], run("batchnorm_on", epochs=30)[0][-1]
    # measured at 30 epochs: off 0.69 / 52%, on 0.36 / 88%
    assert on["val_loss"] < off["val_loss"] - 0.15
    assert on["val_acc"] > off["val_acc"] + 0.15


DECAYS = {
    "decay_step": lambda lr0, s, t: lr0 * s.gamma ** (t // s.step_epochs),
    "decay_exponential": lambda lr0, s, t: lr0 * math.exp(-s.k * t),
    "decay_inverse_time": lambda lr0, s, t: lr0 / (1 + s.k * t),
}


@pytest.mark.parametrize("name", sorted(DECAYS))
def test_decay_preset_follows_its_formula(name):
    exp = load_experiment(name)
    assert exp.schedule.name == name.removeprefix("decay_")
    epochs, end = run(name, epochs=12)  # past the first step-decay boundary (t = 10)
    assert end["reason"] == "completed"
    lr0 = exp.optim.lr
    for record in epochs[1:]:
        expected = DECAYS[name](lr0, exp.schedule, record["epoch"] - 1)
        assert record["lr"] == pytest.approx(expected, rel=1e-9), record["epoch"]
    assert epochs[-1]["lr"] < lr0


def test_decay_constant_is_the_baseline():
    exp = load_experiment("decay_constant")
    for name in DECAYS:
        other = load_experiment(name)
        other.schedule = exp.schedule
        other.title, other.description = exp.title, exp.description
        assert other == exp, f"{name} differs from decay_constant in more than its schedule"


def test_init_presets_show_the_lecture_pictures_at_step_0():
    small = first_probe("init_too_small")
    stds = [layer["act_std"] for layer in small]
    assert all(b < 0.5 * a for a, b in zip(stds, stds[1:]))  # shrinking layer after layer
    assert stds[-1] < 1e-5

    large = first_probe("init_too_large")
    assert all(layer["frac_saturated"] > 0.6 for layer in large)

    xavier = first_probe("init_xavier")
    assert all(0.1 < layer["act_std"] < 0.6 and layer["frac_saturated"] < 0.05 for layer in xavier)

    kaiming = first_probe("init_kaiming")
    assert all(layer["act_std"] > 0.4 and 0.4 < layer["frac_zero"] < 0.6 for layer in kaiming)


def test_digits_cnn_reaches_90_percent():
    epochs, _ = run("digits_cnn", epochs=8)
    assert epochs[-1]["val_acc"] > 0.9  # measured: 0.94


def test_xor_features_needs_no_hidden_layer():
    epochs, _ = run("xor_features", epochs=3)
    assert epochs[0]["val_acc"] < 0.5 and epochs[-1]["val_acc"] == 1.0
