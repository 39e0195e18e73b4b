"""The coach: for each rule a preset or spec where it fires, the same run with the advice's fix
applied where it does not (and the problem measurably goes away), and the healthy presets where no
rule fires. The thresholds and the values measured on the presets are in README's rule table."""

from __future__ import annotations

import functools
import json
import statistics

import pytest

from playground.core.coach import RULES, Coach
from playground.core.presets import load_experiment
from playground.core.spec import Experiment
from playground.core.trainer import Trainer


@functools.lru_cache(maxsize=None)
def _run(name: str, changes: tuple = ()) -> tuple:
    exp = load_experiment(name).with_changes(dict(changes))
    records: list[dict] = []
    Trainer(exp, records.append).run()
    return exp, tuple(records)


def run(name: str, **changes) -> tuple[Experiment, list[dict]]:
    """Train a preset (with ``model__init="x"`` for ``model.init``) to its end: (exp, records)."""
    exp, records = _run(name, tuple(sorted((k.replace("__", "."), v) for k, v in changes.items())))
    return exp, list(records)


def advice(records: list[dict], rule: str | None = None) -> list[dict]:
    return [r for r in records if r["type"] == "advice" and rule in (None, r["rule"])]


def fired(name: str, rule: str, **changes) -> tuple[Experiment, list[dict], dict]:
    """The run fires ``rule`` exactly once, as a well-formed record; returns it with the run."""
    exp, records = run(name, **changes)
    found = advice(records, rule)
    assert len(found) == 1, [a["text"] for a in advice(records)]
    a = found[0]
    assert set(a) == {"type", "rule", "text", "fix", "step", "epoch", "run"}
    assert a["fix"] and json.loads(json.dumps(a, allow_nan=False)) == a
    exp.with_changes(a["fix"])  # the window can apply it: it validates
    position = records.index(a)
    assert records[-1]["type"] == "end" and position < len(records) - 1
    return exp, records, a


def fixed(name: str, a: dict, **changes) -> list[dict]:
    """The same run with the advice's fix applied: that rule no longer fires."""
    _, records = run(name, **{**changes, **{k.replace(".", "__"): v for k, v in a["fix"].items()}})
    assert not advice(records, a["rule"]), advice(records, a["rule"])[0]["text"]
    return records


def epochs(records):
    return [r for r in records if r["type"] == "epoch"]


def probes(records):
    return [r for r in records if r["type"] == "probe"]


# -- the registry -------------------------------------------------------------------------------


def test_every_rule_has_a_label_and_a_tip():
    assert RULES.names() == ["diverging", "lr_too_low", "dead_relu", "vanishing", "saturated",
                             "overfitting", "update_ratio"]
    for entry in RULES:
        assert entry.label != entry.name and len(entry.tip) > 40, entry.name


def test_the_coach_ignores_the_per_step_losses():
    coach = Coach(load_experiment("default"))
    assert coach.feed({"type": "steps", "step": 0, "loss": [float("nan")] * 10}) == []


# -- each rule: where it fires, and its fix ------------------------------------------------------


def test_diverging_lr_too_high_and_a_tenth_of_the_lr():
    _, records, a = fired("lr_too_high", "diverging", train__epochs=3)
    assert records[-1]["reason"] == "diverged" and a["fix"] == {"optim.lr": 0.3}
    assert "NaN" in a["text"] and "learning rate 3 " in a["text"]
    assert records.index(a) == len(records) - 2  # just before the end it explains
    after = fixed("lr_too_high", a, train__epochs=3)
    assert after[-1]["reason"] == "completed" and epochs(after)[-1]["train_loss"] < 0.5 * epochs(after)[0]["train_loss"]


def test_diverging_summed_loss():
    _, records, a = fired("mse_sum_reduction", "diverging", train__epochs=5)
    assert a["fix"] == {"optim.lr": 0.003} and "summed" in a["text"]
    after = fixed("mse_sum_reduction", a, train__epochs=5)
    assert after[-1]["reason"] == "completed"


def test_diverging_from_the_exploding_warning_and_without_an_lr():
    coach = Coach(load_experiment("lr_good"))
    text = "The loss is exploding: every batch of epoch 3 stayed above 10x the untrained loss."
    (a,) = coach.feed({"type": "message", "level": "warning", "text": text})
    assert a["rule"] == "diverging" and a["fix"] == {"optim.lr": 0.01}
    assert coach.feed({"type": "end", "reason": "diverged", "message": "", "epoch": 3, "step": 9}) == []  # once
    lbfgs = load_experiment("lbfgs_full_batch")
    (a,) = Coach(lbfgs).feed({"type": "end", "reason": "diverged", "message": "loss diverged (became infinite)",
                              "epoch": 0, "step": 1})
    assert a["fix"] == {"data.preprocess": "standardize"} and "infinite" in a["text"]
    lbfgs.with_changes(a["fix"])


def test_lr_too_low_and_ten_times_the_lr():
    _, records, a = fired("lr_too_low", "lr_too_low", train__epochs=6)
    assert a["fix"] == {"optim.lr": 0.001} and a["epoch"] == 5
    after = fixed("lr_too_low", a, train__epochs=6)
    before_fall = epochs(records)[0]["train_loss"] - epochs(records)[-1]["train_loss"]
    after_fall = epochs(after)[0]["train_loss"] - epochs(after)[-1]["train_loss"]
    assert after_fall > 5 * before_fall


def test_dead_relu_on_a_deep_relu_net_with_a_high_lr():
    _, records, a = fired("spiral_deep_relu", "dead_relu", optim__lr=0.1, train__epochs=40)
    assert a["fix"] == {"model.activation": "leaky_relu"} and "dead ReLUs" in a["text"]
    dead = max(layer["frac_dead_units"] for p in probes(records)[2:] for layer in p["layers"])
    assert dead > 0.9
    after = fixed("spiral_deep_relu", a, optim__lr=0.1, train__epochs=40)
    assert max(layer["frac_dead_units"] for p in probes(after) for layer in p["layers"]) < 0.1
    assert epochs(after)[-1]["train_loss"] < epochs(records)[-1]["train_loss"]


def test_vanishing_activations_with_a_too_small_init():
    _, records, a = fired("init_too_small", "vanishing", train__epochs=1)
    assert a["fix"] == {"model.init": "xavier_uniform"} and a["step"] == 0
    after = fixed("init_too_small", a, train__epochs=1)
    layers = probes(after)[0]["layers"]
    assert layers[-1]["act_std"] > 0.1 * layers[0]["act_std"]
    assert epochs(after)[-1]["train_loss"] < 0.5 * epochs(records)[-1]["train_loss"]


def test_saturated_activations_with_a_too_large_init():
    _, records, a = fired("init_too_large", "saturated", train__epochs=1)
    assert a["fix"] == {"model.init": "xavier_uniform"} and a["step"] == 0
    after = fixed("init_too_large", a, train__epochs=1)
    assert max(layer["frac_saturated"] for layer in probes(after)[0]["layers"]) < 0.1
    assert epochs(after)[-1]["train_loss"] < 0.2 * epochs(records)[-1]["train_loss"]


def test_overfitting_and_dropout():
    _, records, a = fired("overfit_no_dropout", "overfitting", train__epochs=80)
    assert a["fix"] == {"model.dropout": 0.5} and 20 < a["epoch"] < 80
    after = fixed("overfit_no_dropout", a, train__epochs=80)

    def gap(rs):
        return epochs(rs)[-1]["val_loss"] - epochs(rs)[-1]["train_loss"]
    assert gap(after) < 0.5 * gap(records)


def test_overfitting_with_dropout_on_offers_l2():
    coach = Coach(load_experiment("overfit_dropout"))
    out = []
    for epoch, (train, val) in enumerate([(1.0, 0.5), (0.5, 0.2), (0.4, 0.6), (0.3, 0.7), (0.2, 0.8)]):
        out += coach.feed({"type": "epoch", "epoch": epoch, "step": epoch, "train_loss": train, "val_loss": val})
    assert [a["fix"] for a in out] == [{"optim.weight_decay": 0.01}] and out[0]["epoch"] == 4


def test_update_ratio_too_high():
    _, records, a = fired("lr_too_high", "update_ratio", train__epochs=3)
    assert a["fix"] == {"optim.lr": 0.03} and a["step"] == 2
    after = fixed("lr_too_high", a, train__epochs=3)
    ratios = [statistics.median(x["update_ratio"] for x in p["layers"]) for p in probes(after)]
    assert after[-1]["reason"] == "completed" and max(ratios) < 0.05


def test_update_ratio_too_low():
    _, records, a = fired("lr_too_low", "update_ratio", optim__lr=1e-7, train__epochs=3)
    assert a["fix"]["optim.lr"] >= 1e-4
    after = fixed("lr_too_low", a, optim__lr=1e-7, train__epochs=3)
    ratios = [statistics.median(x["update_ratio"] for x in p["layers"]) for p in probes(after)]
    assert min(ratios) > 1e-5


# -- the healthy presets ------------------------------------------------------------------------

# Every preset but the unhealthy demos, at full epochs. transfer_mobilenet_folder needs a download;
# its model is a frozen backbone with a linear head, like transfer_linear_probe and transfer_folder.
HEALTHY = [
    "default", "spiral_deep_relu", "batchnorm_on", "init_xavier", "init_kaiming",
    "overfit_dropout", "overfit_l2", "lr_good", "optim_sgd", "optim_momentum", "optim_adam",
    "decay_constant", "decay_step", "decay_exponential", "decay_inverse_time",
    "digits_mlp", "digits_cnn", "xor_features", "regression_plane", "lbfgs_full_batch",
    "transfer_linear_probe", "transfer_folder", "transfer_fine_tune_all", "transfer_fine_tune_top",
    "transfer_scratch",
]


@pytest.mark.parametrize("name", HEALTHY)
def test_no_advice_on_a_healthy_preset(name):
    _, records = run(name)
    assert records[-1]["reason"] == "completed"
    assert not advice(records), [a["text"] for a in advice(records)]


def test_every_preset_is_a_firing_demo_or_healthy():
    from playground.core.presets import preset_names
    demos = {"lr_too_high", "lr_too_low", "init_too_small", "init_too_large", "overfit_no_dropout",
             "batchnorm_off", "mse_sum_reduction", "transfer_mobilenet_folder"}
    assert set(preset_names()) == demos | set(HEALTHY)


def test_playground_run_prints_the_advice(playground, tmp_path):
    code, stdout, stderr = playground("run", "lr_too_high", "--epochs", "3", "--out", str(tmp_path / "r"))
    assert "coach: The loss became NaN" in stderr and "Try: optim.lr=0.3" in stderr
    lines = (tmp_path / "r" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["rule"] for line in lines if '"advice"' in line] == ["update_ratio", "diverging"]
