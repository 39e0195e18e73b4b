"""What a run reports beyond epochs: whose run each record is, every batch's loss up to a
divergence, a loss that explodes without becoming NaN, more epochs after the end, and the untrained
network's probe."""

from __future__ import annotations

import math

import pytest

from playground.core.spec import Experiment
from playground.core.trainer import Trainer
from tests.core.conftest import epochs_of


def _run(spec: dict, **kw) -> tuple[Trainer, list[dict]]:
    records: list[dict] = []
    trainer = Trainer(Experiment.from_dict(spec), records.append, **kw)
    trainer.run()
    return trainer, records


def test_every_record_carries_its_run_from_where_it_is_made():
    _, records = _run({"train": {"epochs": 2, "probe_every": 5}}, run=7)
    assert {r["type"] for r in records} >= {"epoch", "steps", "probe", "end"}
    assert all(r["run"] == 7 for r in records)


def test_steps_records_hold_every_batch_loss_in_order():
    trainer, records = _run({"train": {"epochs": 3}})
    steps = [r for r in records if r["type"] == "steps"]
    losses = [x for r in steps for x in r["loss"]]
    assert len(losses) == trainer.step == 75
    assert [r["step"] for r in steps] == [0, 25, 50]  # loss[i] belongs to step r["step"] + i + 1
    assert all(math.isfinite(x) for x in losses)


def test_a_diverging_run_shows_each_step_up_to_the_divergence():
    """Defect 8: LR 3 showed only the epoch-0 point. The batch losses up to the NaN are reported
    before the end record, the last one as null."""
    trainer, records = _run(load_lr_too_high())
    assert records[-1]["reason"] == "diverged"
    steps = [x for r in records if r["type"] == "steps" for x in r["loss"]]
    assert len(steps) == trainer.step + 1  # every step that ran, and the one that blew up
    assert steps[-1] is None and all(x is not None for x in steps[:-1])
    assert max(steps[:-1]) > 10 * steps[0]  # the climb is there to see
    assert records.index(next(r for r in records if r["type"] == "steps")) < len(records) - 1


def load_lr_too_high() -> dict:
    from playground.core.presets import load_experiment

    return load_experiment("lr_too_high").to_dict()


@pytest.mark.parametrize("lr", [1e9, 1000.0])
def test_a_loss_that_explodes_without_nan_is_flagged_once(lr):
    """Defect 8: LR 1e9 on the default network kept a loss near 1e9 for 100 epochs and said
    'trained 100 epochs'. A warning names the LR and what to try, once."""
    _, records = _run({"optim": {"lr": lr}, "train": {"epochs": 20}})
    warnings = [r for r in records if r["type"] == "message" and r["level"] == "warning"]
    assert len(warnings) == 1
    text = warnings[0]["text"]
    assert "exploding" in text and f"the learning rate {lr:g} is far too high for sgd" in text
    assert f"try {lr / 10:g} or lower" in text


@pytest.mark.parametrize("preset", ["default", "optim_adam", "lr_too_low", "digits_mlp"])
def test_healthy_runs_are_not_flagged(preset):
    from playground.core.presets import load_experiment

    exp = load_experiment(preset).with_overrides(["train.epochs=15"])
    _, records = _run(exp.to_dict())
    assert not [r for r in records if r["type"] == "message" and r["level"] == "warning"]


def test_a_completed_run_continues_for_more_epochs():
    trainer, records = _run({"train": {"epochs": 2}})
    assert trainer.extend(3)
    trainer.run()
    assert [r["epoch"] for r in epochs_of(records)] == [0, 1, 2, 3, 4, 5]
    ends = [r for r in records if r["type"] == "end"]
    assert [e["message"] for e in ends] == ["trained 2 epochs", "trained 5 epochs"]
    assert trainer.exp.train.epochs == 5


def test_a_diverged_run_cannot_continue():
    trainer, _ = _run(load_lr_too_high())
    assert not trainer.extend(5)


def test_a_run_can_start_at_a_checkpoints_counters():
    trainer, records = _run({"train": {"epochs": 12}}, start=(10, 250))
    assert [r["epoch"] for r in epochs_of(records)] == [10, 11, 12]
    assert epochs_of(records)[-1]["step"] == 300


def test_the_untrained_probe_is_the_first_steps_probe_and_changes_nothing():
    spec = {"data": {"name": "spiral"}, "model": {"norm": "batchnorm", "dropout": 0.3},
            "train": {"epochs": 1, "probe_every": 5}}
    records: list[dict] = []
    trainer = Trainer(Experiment.from_dict(spec), records.append)
    early = trainer.probe_untrained()
    assert early["step"] == 0 and all(layer["update_ratio"] is None for layer in early["layers"])
    trainer.run()
    first = next(r for r in records if r["type"] == "probe")
    for mine, real in zip(early["layers"], first["layers"]):
        for key in ("act_mean", "act_std", "frac_zero", "grad_std", "hist"):
            assert mine[key] == real[key], key
    _, again = _run(spec)  # the same run without the early probe: the same numbers throughout
    assert [r for r in again if r["type"] == "epoch"] == [r for r in records if r["type"] == "epoch"]


def test_evaluation_in_chunks_gives_the_whole_splits_numbers():
    trainer = Trainer(Experiment.from_dict({"data": {"name": "digits"}, "train": {"epochs": 1}}))
    whole = trainer.evaluate()
    trainer._eval_chunk = 7
    chunked = trainer.evaluate()
    assert chunked["train_acc"] == whole["train_acc"] and chunked["val_acc"] == whole["val_acc"]
    assert chunked["train_loss"] == pytest.approx(whole["train_loss"], rel=1e-5)


def test_resolved_experiment_writes_every_optimizers_own_defaults():
    from playground.core.optimizers import OPTIMIZERS

    for entry in OPTIMIZERS:
        resolved = Trainer(Experiment.from_dict({"optim": {"name": entry.name}})).resolved_experiment()
        for name, default in entry.value.defaults.items():
            value = getattr(resolved.optim, name)
            assert (tuple(value) if isinstance(value, list) else value) == default, (entry.name, name)
    rmsprop = Trainer(Experiment.from_dict({"optim": {"name": "rmsprop"}})).resolved_experiment()
    assert (rmsprop.optim.momentum, rmsprop.optim.eps) == (0.0, 1e-8)


def test_a_change_after_the_end_is_what_a_continued_run_trains_with():
    """The window sends a new LR to a run that has just ended: it must not be lost until Continue."""
    trainer, records = _run({"optim": {"lr": 0.03}, "train": {"epochs": 2}})
    trainer.set_lr(0.005)
    assert trainer.exp.optim.lr == 0.005
    trainer.extend(1)
    trainer.run()
    assert epochs_of(records)[-1]["lr"] == 0.005
