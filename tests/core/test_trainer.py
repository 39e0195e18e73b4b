"""The trainer as a thread-controlled loop: records, control, live changes, divergence, determinism."""

import json
import math
import threading

import pytest

from playground.core.spec import Experiment
from playground.core.trainer import Trainer
from tests.core.conftest import epochs_of


def test_records_are_plain_json_with_the_public_fields(train):
    trainer, records = train({"train": {"epochs": 3, "probe_every": 10}})
    json.dumps(records)  # no live tensors
    epochs = epochs_of(records)
    assert [r["epoch"] for r in epochs] == [0, 1, 2, 3]
    assert set(epochs[1]) >= {"type", "epoch", "step", "train_loss", "val_loss", "train_acc", "val_acc", "lr"}
    assert epochs[-1]["step"] == 3 * 25  # 250 training points in batches of 10
    probes = [r for r in records if r["type"] == "probe"]
    assert [p["step"] for p in probes] == list(range(0, 75, 10))
    assert [layer["name"] for layer in probes[0]["layers"]] == ["dense1", "dense2"]
    layer = probes[0]["layers"][0]
    assert set(layer) >= {"act_mean", "act_std", "frac_zero", "frac_saturated", "hist", "grad_std", "update_ratio"}
    assert sum(layer["hist"]["counts"]) == 10 * 4  # a batch of 10 through 4 units
    assert records[-1] == {"type": "end", "reason": "completed", "message": "trained 3 epochs", "epoch": 3, "step": 75,
                           "run": None}


def test_update_ratio_is_the_relative_size_of_the_step(train):
    """The lecture's ~1e-3 rule: plain SGD's update is lr * grad, so the ratio scales with lr."""
    ratios = {}
    for lr in (0.001, 0.01):
        _, records = train({"optim": {"lr": lr}, "train": {"epochs": 1, "probe_every": 5}})
        ratios[lr] = [r for r in records if r["type"] == "probe"][0]["layers"][0]["update_ratio"]
    assert ratios[0.01] == pytest.approx(10 * ratios[0.001], rel=1e-3)


def test_same_seed_gives_byte_identical_loss_columns(train):
    spec = {"data": {"name": "spiral", "noise": 0.2}, "model": {"dropout": 0.2, "norm": "batchnorm"},
            "optim": {"name": "adam"}, "train": {"epochs": 4, "probe_every": 7}}
    columns = []
    for _ in range(2):
        _, records = train(spec)
        columns.append(json.dumps([[r["train_loss"], r["val_loss"]] for r in epochs_of(records)]))
    assert columns[0] == columns[1]
    _, records = train(spec, **{"train.seed": 1})
    assert json.dumps([[r["train_loss"], r["val_loss"]] for r in epochs_of(records)]) != columns[0]


def test_a_too_high_learning_rate_stops_with_a_diagnosis(train):
    spec = {"data": {"name": "plane"}, "model": {"activation": "relu"}, "optim": {"lr": 10.0}, "train": {"epochs": 50}}
    trainer, records = train(spec)
    end = records[-1]
    assert end["reason"] == "diverged"
    assert f"at step {trainer.step}" in end["message"]
    assert "the learning rate 10 is too high for sgd" in end["message"]
    assert all(math.isfinite(r["train_loss"]) for r in epochs_of(records))  # no flat line of NaNs


def _start(exp_dict):
    records = []
    trainer = Trainer(Experiment.from_dict(exp_dict), records.append)
    thread = threading.Thread(target=trainer.run)
    return trainer, records, thread


def _wait_for(predicate, timeout=20.0):
    done = threading.Event()
    deadline = __import__("time").monotonic() + timeout
    while not predicate():
        if __import__("time").monotonic() > deadline:
            raise AssertionError("timed out")
        done.wait(0.005)


def test_pause_step_resume_and_stop_from_another_thread():
    trainer, records, thread = _start({"train": {"epochs": 100000}})
    trainer.pause()
    thread.start()
    _wait_for(lambda: records)  # the epoch-0 evaluation is out; no step has run
    assert trainer.step == 0
    for expected in (1, 2, 3):
        trainer.request_step()
        _wait_for(lambda n=expected: trainer.step == n)
    assert trainer.step == 3
    trainer.resume()
    _wait_for(lambda: trainer.epoch >= 2)
    trainer.pause()
    _wait_for(lambda: True)
    paused_at = trainer.step
    threading.Event().wait(0.1)
    assert trainer.step in (paused_at, paused_at + 1)  # at most the step under way finishes
    trainer.stop()
    thread.join(5)
    assert not thread.is_alive()
    assert records[-1]["reason"] == "stopped"


def test_lr_l1_l2_and_dropout_change_while_running():
    trainer, records, thread = _start({"optim": {"lr": 0.03}, "model": {"dropout": 0.1}, "train": {"epochs": 100000}})
    thread.start()
    _wait_for(lambda: trainer.epoch >= 2)
    trainer.set_lr(0.003)
    trainer.set_weight_decay(1e-3)
    trainer.set_l1(1e-4)
    trainer.set_dropout(0.5)
    changed_at = trainer.epoch
    _wait_for(lambda: trainer.epoch >= changed_at + 3)
    trainer.stop()
    thread.join(5)
    lrs = [r["lr"] for r in epochs_of(records)]
    assert lrs[1] == 0.03 and lrs[-1] == 0.003
    assert trainer.optimizer.param_groups[0]["weight_decay"] == 1e-3
    assert trainer.exp.optim.l1 == 1e-4 and trainer.exp.optim.lr == 0.003
    assert all(block.drop.p == 0.5 for _, block in trainer.blocks)


def test_dropout_can_be_switched_on_for_a_model_built_without_it():
    trainer = Trainer(Experiment.from_dict({"train": {"epochs": 1}}))
    assert not any(hasattr(block, "drop") for _, block in trainer.blocks)
    trainer.set_dropout(0.3)
    trainer.run()
    assert all(block.drop.p == 0.3 for _, block in trainer.blocks)
    trainer.set_dropout(0.0)
    trainer.train_step()  # changes act between steps, also when stepping by hand
    assert trainer.exp.model.dropout == 0.0


def test_cuda_asked_for_but_absent_falls_back_to_cpu_with_a_message(train):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    trainer, records = train({"train": {"device": "cuda", "epochs": 1}})
    assert trainer.device.type == "cpu"
    assert records[0] == {"type": "message", "level": "warning", "run": None,
                          "text": "CUDA was requested but torch sees no such GPU here: training on the CPU instead."}
    assert records[-1]["reason"] == "completed"


@pytest.mark.parametrize("spec", [
    {"data": {"name": "digits", "preprocess": "standardize"}, "optim": {"name": "adam"},
     "model": {"activation": "relu", "layers": [{"type": "conv", "channels": 4}, {"type": "pool"},
                                                {"type": "dense", "units": 16, "norm": "batchnorm", "dropout": 0.2}]},
     "train": {"epochs": 2, "batch_size": 64, "probe_every": 10}},
    {"data": {"name": "digits", "augment": {"shift": 1, "flip": True, "noise": 0.1}},
     "model": {"layers": [{"type": "conv", "channels": 4, "norm": "layernorm"}, {"type": "flatten"}]},
     "train": {"epochs": 1, "batch_size": 0}},
    {"data": {"name": "multi_gauss", "features": ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin_x1", "sin_x2"],
              "augment": {"jitter": 0.1}},
     "optim": {"name": "lbfgs", "weight_decay": 1e-4, "l1": 1e-4}, "train": {"epochs": 3, "probe_every": 1}},
])
def test_images_convs_regression_and_lbfgs_train(train, spec):
    trainer, records = train(spec)
    losses = [r["train_loss"] for r in epochs_of(records)]
    assert records[-1]["reason"] == "completed"
    assert losses[-1] < losses[0]
    probes = [r for r in records if r["type"] == "probe"]
    assert probes and all(len(p["layers"]) == len(trainer.blocks) for p in probes)


def test_call_soon_runs_in_the_training_thread_also_while_paused():
    trainer, records, thread = _start({"train": {"epochs": 100000}})
    trainer.pause()
    thread.start()
    _wait_for(lambda: records)
    seen = []
    trainer.call_soon(lambda: seen.append((threading.current_thread() is thread, trainer.step)))
    _wait_for(lambda: seen)
    assert seen == [(True, 0)]
    trainer.stop()
    thread.join(5)


def test_a_request_queued_as_the_run_ends_is_served_before_the_end_record():
    """A picture or a save asked for during the last step was dropped: the run ended with it queued."""
    served = []

    def on_record(record):
        if record["type"] == "epoch" and record["epoch"] == 2:  # the last epoch, before the run ends
            trainer.call_soon(lambda: served.append(("request", trainer.step)))
        served.append((record["type"], record.get("step")))

    trainer = Trainer(Experiment.from_dict({"train": {"epochs": 2}}), on_record)
    trainer.run()
    assert served[-2:] == [("request", 50), ("end", 50)]


def test_more_epochs_asked_for_as_the_run_ends_let_it_go_on():
    def on_record(record):
        if record["type"] == "epoch" and record["epoch"] == 2:
            trainer.call_soon(lambda: trainer.extend(1))
        records.append(record)

    records = []
    trainer = Trainer(Experiment.from_dict({"train": {"epochs": 2}}), on_record)
    end = trainer.run()
    assert [r["epoch"] for r in records if r["type"] == "epoch"] == [0, 1, 2, 3]
    assert [r["type"] for r in records].count("end") == 1 and end["epoch"] == 3


def test_slow_motion_spaces_the_steps_and_stop_still_ends_at_once():
    import time

    trainer, records, thread = _start({"train": {"epochs": 100000}})
    trainer.set_step_interval(0.05)
    thread.start()
    time.sleep(0.5)
    assert 3 <= trainer.step <= 11
    trainer.set_step_interval(0)
    _wait_for(lambda: trainer.step > 200)
    trainer.set_step_interval(10.0)
    began = time.monotonic()
    trainer.stop()
    thread.join(5)
    assert time.monotonic() - began < 1.0 and records[-1]["reason"] == "stopped"


def test_requests_while_slowed_down_do_not_hurry_the_next_step():
    """Defect 7: the window asks for a picture five times a second; each request woke the wait, so
    'one step a second' ran 45 steps in 10 s. Steps now start on the interval whatever comes in."""
    import time

    trainer, records, thread = _start({"train": {"epochs": 100000}})
    trainer.set_step_interval(0.25)
    thread.start()
    began = time.monotonic()
    while time.monotonic() - began < 1.6:
        trainer.call_soon(lambda: None)  # what a snapshot request does
        time.sleep(0.02)
    steps = trainer.step
    trainer.stop()
    thread.join(5)
    # steps start at 0, 0.25, ..., 1.5 s: 7 of them (a busy machine may manage fewer, never more)
    assert 3 <= steps <= 7


def test_a_step_while_paused_in_slow_motion_comes_at_once():
    import time

    trainer, records, thread = _start({"train": {"epochs": 100000}})
    trainer.pause()
    trainer.set_step_interval(5.0)
    thread.start()
    _wait_for(lambda: records)
    began = time.monotonic()
    trainer.request_step()
    _wait_for(lambda: trainer.step == 1)
    assert time.monotonic() - began < 2.0
    trainer.stop()
    thread.join(5)
